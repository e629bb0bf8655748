//! The top-level `kind` and `id` of a document read from its head, for runs that keep plans
//! as identities: JSON by a byte scanner that skips nested values without parsing them (and
//! stops at both keys when the rest cannot spell either again), YAML
//! by the event parser stopped once both are known and a line scan of the rest for another
//! top-level `kind` or `id`. `None` whenever the answer is not certain (the caller then reads
//! the file the slow way). A file whose head looks right but that fails to load later keeps
//! its identity until `run::finish` reads it again for a `duplicate-id` (the only finding an
//! identity of a plan can give).

use saphyr::Scalar;
use saphyr_parser::{Event, Parser};

/// `(kind, id)` of a JSON text (after its byte-order mark), when both are strings without
/// escapes and no top-level key repeats them.
pub fn json(text: &str) -> Option<(String, String)> {
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    let (mut kind, mut id) = (None, None);
    at = skip_space(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return None;
    }
    loop {
        let (key, end) = plain_string(text, at)?;
        at = skip_space(bytes, end);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_space(bytes, at + 1);
        match key {
            "kind" | "id" => {
                let (value, end) = plain_string(text, at)?;
                let slot = if key == "kind" { &mut kind } else { &mut id };
                if slot.replace(value).is_some() {
                    return None;
                }
                at = end;
                // Neither key can come again when the rest never spells either (not even
                // with an escape): the rest need not be scanned.
                if let (Some(kind), Some(id)) = (kind, id)
                    && !could_repeat(&bytes[at..])
                {
                    return Some((kind.to_owned(), id.to_owned()));
                }
            }
            _ => at = skip_value(bytes, at)?,
        }
        at = skip_space(bytes, at);
        match bytes.get(at) {
            Some(b',') => at = skip_space(bytes, at + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    if skip_space(bytes, at + 1) != bytes.len() {
        return None;
    }
    Some((kind?.to_owned(), id?.to_owned()))
}

/// Whether `rest` could hold another key `kind` or `id`: it has `"kind"` or `"id"`, or an
/// escape that could spell one (`"\u0069d"`).
fn could_repeat(rest: &[u8]) -> bool {
    use memchr::memmem;
    memmem::find(rest, b"\"kind\"").is_some()
        || memmem::find(rest, b"\"id\"").is_some()
        || memmem::find(rest, b"\\u").is_some()
}

/// The index of the first byte at or after `at` that is not JSON whitespace.
pub(super) fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\r' | b'\n') = bytes.get(at) {
        at += 1;
    }
    at
}

/// A string at `at` without escapes or control characters, and the index after it.
fn plain_string(text: &str, at: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let len = bytes[at + 1..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    let end = at + 1 + len;
    (bytes[end] == b'"').then(|| (&text[at + 1..end], end + 1))
}

/// The index after the value at `at`: strings and brackets are matched, scalars run to the
/// next delimiter. Anything outside strings that strict JSON would not have there (comments,
/// single quotes, bare words) gives `None`.
pub(super) fn skip_value(bytes: &[u8], at: usize) -> Option<usize> {
    match *bytes.get(at)? {
        b'"' => skip_string(bytes, at),
        b'{' | b'[' => {
            let (mut at, mut depth) = (at, 0usize);
            loop {
                // Whitespace, separators and scalars are passed over a byte at a time by
                // table; strings are searched for their end.
                match CLASS[*bytes.get(at)? as usize] {
                    SKIP => {}
                    QUOTE => {
                        at = skip_string(bytes, at)?;
                        continue;
                    }
                    OPEN => depth += 1,
                    CLOSE => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(at + 1);
                        }
                    }
                    _ => return None,
                }
                at += 1;
            }
        }
        _ => {
            let len = bytes[at..].iter().take_while(|b| bare(**b)).count();
            (len > 0).then_some(at + len)
        }
    }
}

/// What a byte inside a nested value is to [`skip_value`].
const SKIP: u8 = 0;
const QUOTE: u8 = 1;
const OPEN: u8 = 2;
const CLOSE: u8 = 3;
const OTHER: u8 = 4;

/// [`SKIP`] for separators, whitespace and the bytes of scalars, [`OTHER`] for anything strict
/// JSON would not have outside a string.
const CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = match byte {
            b'"' => QUOTE,
            b'{' | b'[' => OPEN,
            b'}' | b']' => CLOSE,
            b',' | b':' | b' ' | b'\t' | b'\r' | b'\n' => SKIP,
            _ if bare(byte) => SKIP,
            _ => OTHER,
        };
        b += 1;
    }
    table
};

/// The index after the string whose opening quote is at `at`.
pub(super) fn skip_string(bytes: &[u8], at: usize) -> Option<usize> {
    let mut at = at + 1;
    loop {
        at += memchr::memchr2(b'"', b'\\', bytes.get(at..)?)?;
        if bytes[at] == b'"' {
            return Some(at + 1);
        }
        at += 2;
    }
}

/// Bytes of numbers, `true`, `false` and `null`.
pub(super) const fn bare(b: u8) -> bool {
    matches!(
        b,
        b'0'..=b'9'
            | b'-'
            | b'+'
            | b'.'
            | b'e'
            | b'E'
            | b't'
            | b'r'
            | b'u'
            | b'f'
            | b'a'
            | b'l'
            | b's'
            | b'n'
    )
}

/// `(kind, id)` of a YAML text whose top level is a block mapping, when both are scalars that
/// load as strings (no anchor, tag or alias) and no later line at the mapping's indentation
/// could be another `kind` or `id` (or anything this scan cannot follow: quoted or complex
/// keys, flow collections, anchors, tags, merge keys, directives, document markers).
pub fn yaml(text: &str) -> Option<(String, String)> {
    let mut parser = Parser::new_from_str(text);
    let mut next = || parser.next_event().and_then(Result::ok);
    let (mut kind, mut id): (Option<String>, Option<String>) = (None, None);
    let mut column = None;
    let mut end = 0;
    loop {
        let (event, _) = next()?;
        match event {
            Event::StreamStart | Event::DocumentStart(_) => {}
            Event::MappingStart(0, None) => break,
            _ => return None,
        }
    }
    while kind.is_none() || id.is_none() {
        let (key, span) = next()?;
        let Event::Scalar(key, _, 0, None) = key else {
            return None;
        };
        let key_column = span.start.col();
        if *column.get_or_insert(key_column) != key_column {
            return None;
        }
        let (value, span) = next()?;
        end = span.end.index();
        match (key.as_ref(), value) {
            ("kind" | "id", Event::Scalar(raw, style, 0, None)) => {
                let Some(Scalar::String(value)) =
                    Scalar::parse_from_cow_and_metadata(raw.clone(), style, None)
                else {
                    return None;
                };
                let slot = if key == "kind" { &mut kind } else { &mut id };
                if slot.replace(value.into_owned()).is_some() {
                    return None;
                }
            }
            ("kind" | "id", _) => return None,
            (_, Event::Scalar(..) | Event::Alias(_)) => {}
            (_, Event::MappingStart(..) | Event::SequenceStart(..)) => {
                let mut depth = 1usize;
                while depth > 0 {
                    let (event, span) = next()?;
                    end = span.end.index();
                    match event {
                        Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
                        Event::MappingEnd | Event::SequenceEnd => depth -= 1,
                        _ => {}
                    }
                }
            }
            _ => return None,
        }
    }
    // The rest, from the line after the last value read.
    let byte = text.char_indices().nth(end).map_or(text.len(), |(i, _)| i);
    let rest = text[byte..].split_once('\n').map_or("", |(_, rest)| rest);
    let column = column?;
    for line in rest.split('\n') {
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        let content = content.trim_end_matches('\r');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if content.starts_with('\t') || indent < column {
            return None;
        }
        if indent > column || content == "-" || content.starts_with("- ") {
            continue;
        }
        let special = content.starts_with([
            '?', '"', '\'', '{', '[', '!', '&', '*', '%', '|', '>', '@', '`', ':',
        ]) || content.starts_with("<<")
            || content.starts_with("---")
            || content.starts_with("...");
        let name = content
            .split_once(':')
            .map(|(name, _)| name.trim_end_matches([' ', '\t']));
        if special || matches!(name, Some("kind" | "id")) {
            return None;
        }
    }
    Some((kind?, id?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_heads() {
        let ok = r#" {"kind": "plan", "id": "p-1", "courses": [{"a": "]}\"", "b": [1, -2.5e3, true, null]}], "n": 1}"#;
        assert_eq!(json(ok), Some(("plan".into(), "p-1".into())));
        // Once both are known and the rest cannot spell either again, the rest is not read:
        // whether it parses is the loader's business (a file that fails to load is confirmed
        // before it can count for a `duplicate-id`).
        for head_only in [
            r#"{"kind": "plan", "id": "p", "x": 1 // comment
            }"#,
            r#"{"kind": "plan", "id": "p"} {"#,
            r#"{"kind": "plan", "id": "p", "x": 'single'}"#,
            r#"{"$schema": "s", "id": "p", "kind": "plan", "x": [1, 2}"#,
        ] {
            assert_eq!(
                json(head_only),
                Some(("plan".into(), "p".into())),
                "{head_only}"
            );
        }
        // A rest that could name either again is scanned.
        let nested = r#"{"kind": "plan", "id": "p", "certs": [{"id": "c", "kind": "x"}]}"#;
        assert_eq!(json(nested), Some(("plan".into(), "p".into())));
        for bad in [
            r#"{"kind": "plan", "id": "p", "kind": "standard"}"#,
            r#"{"kind": "plan", "id": "p", "x": {"a": 1}, "\u0069d": "q"}"#,
            r#"{"kind": "plan", "id": "p", "x": [{"id": 1}], "id": "q"}"#,
            r#"{"kind": "plan", "id": "p", "x": [1, 2}, "id": "q"}"#,
            r#"{"kind": "plan", "id": "p\u0031"}"#,
            r#"{"kind": "plan", "x": [1, 2]}"#,
            r#"{"kind": "plan", "id": 7}"#,
            r#"["kind", "plan"]"#,
            "",
        ] {
            assert_eq!(json(bad), None, "{bad}");
        }
    }

    #[test]
    fn yaml_heads() {
        let ok = "# a plan\nkind: plan\nid: 'p-1'\ntitle: |\n  kind: standard\ncourses:\n- code: A\n  id: x\n";
        assert_eq!(yaml(ok), Some(("plan".into(), "p-1".into())));
        let nested = "meta: {a: [1, 2]}\nid: \"p\"\nkind: plan\n";
        assert_eq!(yaml(nested), Some(("plan".into(), "p".into())));
        for bad in [
            "kind: plan\nid: p\nkind: standard\n",
            "kind: plan\nid: p\nkind : standard\n",
            "kind: plan\nid: p\n\"kind\": standard\n",
            "kind: plan\nid: p\n? kind\n: standard\n",
            "kind: plan\nid: p\n<<: *base\n",
            "kind: plan\nid: p\n---\nkind: standard\n",
            "kind: plan\nid: 2021\n",
            "kind: plan\nid: null\n",
            "kind: !!str plan\nid: p\n",
            "kind: &k plan\nid: p\n",
            "kind: plan\nid: *p\n",
            "kind: plan\n",
            "- kind: plan\n",
            "{kind: plan, id: p}\n",
        ] {
            assert_eq!(yaml(bad), None, "{bad}");
        }
    }
}
