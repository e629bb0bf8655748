//! The span index of a JSON text that loaded cleanly on the fast path (strict JSON, no
//! repeated key, nesting within the limit), by one scan of its bytes: the spans `json::load`
//! records through jsonc-parser, without a syntax tree or a second value. A finding in a clean
//! JSON file used to cost a full second parse for its spans.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use super::head;
use super::spans::NodeSpan;
use crate::limits::DEPTH_CEILING;
use crate::pointer;

/// Every pointer of `text` with its spans, or `None` where the scan meets anything it does
/// not expect of strict JSON (the caller then asks jsonc-parser).
pub fn index(text: &str) -> Option<HashMap<String, NodeSpan>> {
    let mut scan = Scan {
        text,
        bytes: text.as_bytes(),
        at: 0,
        out: HashMap::new(),
    };
    scan.space();
    scan.value(String::new(), None, 1)?;
    scan.space();
    (scan.at == scan.bytes.len()).then_some(scan.out)
}

/// What [`index`] has under `pointer`, found by passing over everything that is not on the way
/// to it: a file with a few findings needs a few spans, not all of them. The inner `None`: the
/// text has no value there. The outer `None`: the scan met something it does not expect (the
/// caller then builds the whole index).
pub fn find(text: &str, pointer: &str) -> Option<Option<NodeSpan>> {
    let bytes = text.as_bytes();
    let mut at = head::skip_space(bytes, 0);
    let mut key = None;
    for token in pointer::tokens(pointer) {
        // The container at `at`, then the child `token` names in it.
        let close = match bytes.get(at)? {
            b'{' => b'}',
            b'[' => b']',
            _ => return Some(None),
        };
        let wanted = if close == b']' {
            match token.parse::<usize>() {
                // `index` spells each index in decimal, without leading zeros.
                Ok(i) if i.to_string() == token => Some(i),
                _ => return Some(None),
            }
        } else {
            None
        };
        at = head::skip_space(bytes, at + 1);
        if *bytes.get(at)? == close {
            return Some(None);
        }
        let mut position = 0;
        loop {
            if close == b'}' {
                if bytes.get(at) != Some(&b'"') {
                    return None;
                }
                let start = at;
                at = head::skip_string(bytes, at)?;
                let name = start..at;
                at = head::skip_space(bytes, at);
                if *bytes.get(at)? != b':' {
                    return None;
                }
                at = head::skip_space(bytes, at + 1);
                if decode(text, name.clone())? == token.as_str() {
                    key = Some(name);
                    break;
                }
            } else if wanted == Some(position) {
                key = None;
                break;
            }
            at = head::skip_space(bytes, head::skip_value(bytes, at)?);
            match *bytes.get(at)? {
                b',' => at = head::skip_space(bytes, at + 1),
                b if b == close => return Some(None),
                _ => return None,
            }
            position += 1;
        }
    }
    let end = head::skip_value(bytes, at)?;
    Some(Some(NodeSpan {
        value: at..end,
        key,
    }))
}

/// The text of the string literal at `range` (quotes included), escapes decoded; borrowed
/// when it has none.
fn decode(text: &str, range: Range<usize>) -> Option<Cow<'_, str>> {
    let raw = text.get(range.start + 1..range.end - 1)?;
    if !raw.contains('\\') {
        return Some(Cow::Borrowed(raw));
    }
    serde_json::from_str(text.get(range)?).ok().map(Cow::Owned)
}

struct Scan<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    out: HashMap<String, NodeSpan>,
}

impl Scan<'_> {
    fn space(&mut self) {
        self.at = head::skip_space(self.bytes, self.at);
    }

    /// Whether the next byte is `byte`; it is passed over if so.
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.bytes.get(self.at) == Some(&byte);
        self.at += usize::from(found);
        found
    }

    /// The value at the cursor, at nesting `depth` (the root container is at 1), recorded
    /// under `path` after its children.
    fn value(&mut self, path: String, key: Option<Range<usize>>, depth: usize) -> Option<()> {
        let start = self.at;
        match *self.bytes.get(start)? {
            open @ (b'{' | b'[') => {
                if depth > DEPTH_CEILING {
                    return None;
                }
                let close = if open == b'{' { b'}' } else { b']' };
                self.at += 1;
                self.space();
                if !self.eat(close) {
                    let mut index = 0;
                    loop {
                        if open == b'{' {
                            self.member(&path, depth)?;
                        } else {
                            self.value(pointer::push_index(&path, index), None, depth + 1)?;
                            index += 1;
                        }
                        self.space();
                        if self.eat(close) {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                        self.space();
                    }
                }
            }
            b'"' => self.string()?,
            _ => {
                let len = self.bytes[start..]
                    .iter()
                    .take_while(|b| head::bare(**b))
                    .count();
                if len == 0 {
                    return None;
                }
                self.at += len;
            }
        }
        self.out.insert(
            path,
            NodeSpan {
                value: start..self.at,
                key,
            },
        );
        Some(())
    }

    /// One `"key": value` member of the object at `path`.
    fn member(&mut self, path: &str, depth: usize) -> Option<()> {
        let key_start = self.at;
        self.string()?;
        let key = key_start..self.at;
        let name = decode(self.text, key.clone())?;
        self.space();
        if !self.eat(b':') {
            return None;
        }
        self.space();
        self.value(pointer::push(path, &name), Some(key), depth + 1)
    }

    /// Passes over the string whose opening quote is at the cursor.
    fn string(&mut self) -> Option<()> {
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        self.at = head::skip_string(self.bytes, self.at)?;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{find, index};
    use crate::lang::Lang;
    use crate::limits::DEPTH_CEILING;
    use crate::load::json;
    use crate::load::spans::NodeSpan;

    /// What jsonc-parser's load records for `text`.
    fn full(text: &str) -> HashMap<String, NodeSpan> {
        let loaded = json::load(text, Lang::En, DEPTH_CEILING);
        loaded
            .spans
            .iter()
            .map(|(p, s)| (p.to_owned(), s.clone()))
            .collect()
    }

    /// Every clean JSON text gets from the scan exactly the index jsonc-parser gives.
    fn same(text: &str, name: &str) -> bool {
        if json::fast(text, DEPTH_CEILING).is_none() {
            return false;
        }
        let scanned = index(text).unwrap_or_else(|| panic!("{name}: the scan gave up"));
        assert_eq!(scanned, full(text), "{name}");
        // Each span alone, and pointers the text does not have.
        for (pointer, span) in &scanned {
            let found = find(text, pointer).unwrap_or_else(|| panic!("{name}: find gave up"));
            assert_eq!(found.as_ref(), Some(span), "{name}: {pointer}");
            for missing in ["/zz~1", "/01", "/-1", "/99999", "/"] {
                let pointer = format!("{pointer}{missing}");
                if !scanned.contains_key(&pointer) {
                    assert_eq!(find(text, &pointer), Some(None), "{name}: {pointer}");
                }
            }
        }
        true
    }

    #[test]
    fn the_scan_gives_the_full_parsers_spans() {
        for (i, text) in [
            r#"{"a": 1, "b": [true, false, null, -2.5e-3, "x\"y"], "c": {}}"#,
            "  [ ]  ",
            "\"only a string\"",
            "-0",
            r#"{"k~e/y": {"": [[], [{}], {"x": []}]}, "\u00e9\u4e2d": "\\", "é": 1E5}"#,
            "{\n  \"课程\": [\n    {\"学时\": 64,\t\"名称\": \"商务英语\"}\n  ]\r\n}\n",
            r#"{"a\nb": 1, "tab\tkey": "v\u0000w", "slash\/": 2}"#,
        ]
        .iter()
        .enumerate()
        {
            assert!(
                same(text, &format!("case {i}")),
                "case {i} is not clean JSON"
            );
        }
    }

    #[test]
    fn the_scan_gives_the_full_parsers_spans_on_every_json_file_of_the_repository() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for dir in ["fixtures", "tests/conformance/json-test-suite", "schemas"] {
            for entry in walk(&root.join(dir)) {
                if entry.extension().is_some_and(|e| e == "json")
                    && let Ok(text) = std::fs::read_to_string(&entry)
                {
                    checked += usize::from(same(&text, &entry.display().to_string()));
                }
            }
        }
        assert!(checked > 100, "only {checked} clean JSON files");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }
}
