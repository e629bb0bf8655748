//! Invariants shared by the fuzz targets (included with `mod common;`).
//!
//! The README of vetlint promises: "Spans are byte ranges into the decoded text, always on
//! character boundaries". These helpers assert exactly that, with a message that names the
//! offending span so a crash report says which rule produced it.

#![allow(dead_code)]

use std::ops::Range;

use vetlint::diagnostic::Diagnostic;
use vetlint::load::{Document, Format, SpanIndex};

/// Panics unless `span` is a well-formed byte range of `text` on character boundaries.
pub fn assert_span(text: &str, span: &Range<usize>, what: &dyn std::fmt::Display) {
    assert!(
        span.start <= span.end,
        "{what}: span {span:?} is reversed (text length {})",
        text.len()
    );
    assert!(
        span.end <= text.len(),
        "{what}: span {span:?} runs past the end of the text (length {})",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start),
        "{what}: span {span:?} starts inside a character"
    );
    assert!(
        text.is_char_boundary(span.end),
        "{what}: span {span:?} ends inside a character"
    );
}

/// Every diagnostic's primary span and every same-file related span lie in `text`;
/// related spans into another file lie in that file's text.
pub fn assert_diagnostics(text: &str, diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        let what = format!("diagnostic [{}] {:?}", d.rule, d.message);
        assert_span(text, &d.span, &what);
        for r in &d.related {
            let what = format!("related {:?} of [{}] {:?}", r.message, d.rule, d.message);
            match &r.source {
                None => assert_span(text, &r.span, &what),
                Some(other) => assert_span(&other.text, &r.span, &what),
            }
        }
    }
}

/// Every value and key span of the span index lies in `text`.
pub fn assert_span_index(text: &str, spans: &SpanIndex) {
    for (pointer, node) in spans.iter() {
        assert_span(text, &node.value, &format!("value span of {pointer:?}"));
        if let Some(key) = &node.key {
            assert_span(text, key, &format!("key span of {pointer:?}"));
        }
    }
}

/// Load diagnostics and the span index of a document.
pub fn assert_document(doc: &Document) {
    let text = &doc.source.text;
    assert_diagnostics(text, &doc.diagnostics);
    assert_span_index(text, &doc.spans);
}

/// Input format from the first byte (then dropped): even → JSON, odd → YAML.
pub fn split_format(data: &[u8]) -> Option<(Format, &[u8])> {
    let (&first, rest) = data.split_first()?;
    let format = if first & 1 == 0 { Format::Json } else { Format::Yaml };
    Some((format, rest))
}
