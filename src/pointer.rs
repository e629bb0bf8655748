//! JSON Pointers (RFC 6901): building them segment by segment and splitting them again.

/// Appends one reference token to `pointer`, escaping `~` and `/`.
pub fn push(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// Appends an array index to `pointer`.
pub fn push_index(pointer: &str, index: usize) -> String {
    format!("{pointer}/{index}")
}

/// The unescaped reference tokens of `pointer` (empty for the root).
pub fn tokens(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The pointer of the parent container, or `None` for the root.
pub fn parent(pointer: &str) -> Option<&str> {
    pointer.rfind('/').map(|i| &pointer[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        let p = push(&push_index("", 0), "a/b~c");
        assert_eq!(p, "/0/a~1b~0c");
        assert_eq!(tokens(&p), vec!["0", "a/b~c"]);
        assert_eq!(parent(&p), Some("/0"));
        assert_eq!(parent(""), None);
        assert!(tokens("").is_empty());
    }
}
