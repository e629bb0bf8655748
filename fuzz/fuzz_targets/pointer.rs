//! JSON Pointer → span mapping: for every value of a loaded document, its pointer (built with
//! `vetlint::pointer`) splits back into the same tokens, and the span index lookups the checks
//! use (`value_or_ancestor`, `key_or_value`, `get`) give spans inside the text on character
//! boundaries. For JSON (no aliases) every value must have its own entry in the index; YAML
//! aliases copy a value without indexing its children, so YAML falls back to an ancestor.
//!
//! Input: first byte chooses the format (even → JSON, odd → YAML), the rest is the file.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vetlint::lang::Lang;
use vetlint::load::{self, Format, SpanIndex};
use vetlint::pointer;

/// Values visited per input at most (aliases can expand a small YAML file a lot).
const MAX_VISITS: usize = 100_000;

fn visit(value: &Value, at: &str, tokens: &mut Vec<String>, cx: &mut Cx<'_>) {
    if cx.visits >= MAX_VISITS {
        return;
    }
    cx.visits += 1;
    assert_eq!(&pointer::tokens(at), tokens, "pointer {at:?} does not split back");
    let what = format!("pointer {at:?}");
    common::assert_span(cx.text, &cx.spans.value_or_ancestor(at), &what);
    common::assert_span(cx.text, &cx.spans.key_or_value(at), &what);
    match cx.spans.get(at) {
        Some(node) => {
            common::assert_span(cx.text, &node.value, &what);
            if let Some(key) = &node.key {
                common::assert_span(cx.text, key, &what);
            }
        }
        None => assert!(cx.format == Format::Yaml, "JSON value at {at:?} has no span"),
    }
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                tokens.push(i.to_string());
                visit(item, &pointer::push_index(at, i), tokens, cx);
                tokens.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                tokens.push(k.clone());
                visit(item, &pointer::push(at, k), tokens, cx);
                tokens.pop();
            }
        }
        _ => {}
    }
}

struct Cx<'a> {
    text: &'a str,
    spans: &'a SpanIndex,
    format: Format,
    visits: usize,
}

fuzz_target!(|data: &[u8]| {
    let Some((format, bytes)) = common::split_format(data) else {
        return;
    };
    let doc = load::load("fuzz".to_owned(), bytes, Some(format), Lang::En);
    common::assert_document(&doc);
    if let Some(value) = &doc.value {
        let mut cx = Cx { text: &doc.source.text, spans: &doc.spans, format, visits: 0 };
        visit(value, "", &mut Vec::new(), &mut cx);
    }
});
