//! Spans where they are hard to get right: CJK and 4-byte characters, flow mappings, block
//! scalars, duplicate keys, CRLF line ends and byte-order marks.

use vetlint::diagnostic::SourceFile;
use vetlint::lang::Lang;
use vetlint::load::{self, Document, Format};

fn yaml(text: &str) -> Document {
    load::load(
        "t.yaml".into(),
        text.as_bytes(),
        Some(Format::Yaml),
        Lang::En,
    )
}

fn json(text: &str) -> Document {
    load::load(
        "t.json".into(),
        text.as_bytes(),
        Some(Format::Json),
        Lang::En,
    )
}

fn value_text<'d>(doc: &'d Document, pointer: &str) -> &'d str {
    let span = &doc.spans.get(pointer).expect(pointer).value;
    &doc.source.text[span.clone()]
}

fn key_text<'d>(doc: &'d Document, pointer: &str) -> &'d str {
    let span = doc
        .spans
        .get(pointer)
        .expect(pointer)
        .key
        .clone()
        .expect("key");
    &doc.source.text[span]
}

#[test]
fn value_after_cjk_and_astral_characters_on_one_line() {
    let text = "kind: plan\nc: {name: 𠀀中文课, credits: \"四\"}\n";
    {
        let doc = yaml(text);
        assert_eq!(value_text(&doc, "/c/credits"), "\"四\"");
        let start = doc.spans.get("/c/credits").unwrap().value.start;
        let lines = doc.source.lines();
        let text = &doc.source.text;
        // byte offset, character column and UTF-16 column all differ on this line
        // 25 characters precede the value on its line: 34 bytes, 26 UTF-16 units.
        assert_eq!(start, 11 + 34, "byte offset");
        assert_eq!(
            lines.line_col(text, start).column,
            25 + 1,
            "character column (1-based)"
        );
        assert_eq!(
            lines.utf16(text, start).character,
            26,
            "UTF-16 column (0-based)"
        );
        assert_eq!(key_text(&doc, "/c/name"), "name");
        assert_eq!(value_text(&doc, "/c/name"), "𠀀中文课");
    }
    let doc = json("{\"name\": \"𠀀中文\", \"credits\": \"四\"}");
    let start = doc.spans.get("/credits").unwrap().value.start;
    // 27 characters, 34 bytes, 28 UTF-16 units precede the value.
    assert_eq!(start, 34);
    assert_eq!(doc.source.line_col(start).column, 27 + 1);
    assert_eq!(
        doc.source.lines().utf16(&doc.source.text, start).character,
        28
    );
    assert_eq!(value_text(&doc, "/credits"), "\"四\"");
}

#[test]
fn keys_inside_flow_mappings_and_sequences() {
    let doc = yaml("a: [x, {k: v, 键: 值}]\n");
    assert_eq!(key_text(&doc, "/a/1/键"), "键");
    assert_eq!(value_text(&doc, "/a/1/键"), "值");
    assert_eq!(value_text(&doc, "/a/1"), "{k: v, 键: 值}");
    assert_eq!(value_text(&doc, "/a"), "[x, {k: v, 键: 值}]");
    assert_eq!(value_text(&doc, "/a/0"), "x");
}

#[test]
fn block_scalars_span_their_content() {
    let doc = yaml("scope: |\n  本标准规定了\n  工作领域。\n\nnext: 1\n");
    assert_eq!(value_text(&doc, "/scope"), "本标准规定了\n  工作领域。");
    assert_eq!(
        doc.value.as_ref().unwrap()["scope"],
        "本标准规定了\n工作领域。\n"
    );
    let block = yaml("a:\n  b: 1\n  # trailing comment\nc: 2\n");
    assert_eq!(value_text(&block, "/a"), "b: 1");
}

#[test]
fn duplicate_keys_label_both_occurrences() {
    for doc in [
        yaml("kind: plan\nid: a\nid: b\n"),
        json("{\"kind\": \"plan\", \"id\": \"a\", \"id\": \"b\"}"),
    ] {
        let d = &doc.diagnostics[0];
        assert_eq!(d.rule, "duplicate-key");
        let text = &doc.source.text;
        assert!(text[d.span.clone()].contains("id"));
        let first = &d.related[0].span;
        assert!(first.start < d.span.start);
        assert!(text[first.clone()].contains("id"));
        assert_eq!(
            doc.value.as_ref().unwrap()["id"],
            "b",
            "the later value wins"
        );
    }
}

#[test]
fn crlf_files_keep_lines_and_columns() {
    let doc = yaml("kind: plan\r\nid: 中文\r\nyears: 3\r\n");
    let start = doc.spans.get("/years").unwrap().value.start;
    let lc = doc.source.line_col(start);
    assert_eq!((lc.line, lc.column), (3, 8));
    assert_eq!(value_text(&doc, "/id"), "中文");
    let doc = json("{\r\n  \"id\": \"中文\",\r\n  \"years\": 3\r\n}");
    let lc = doc
        .source
        .line_col(doc.spans.get("/years").unwrap().value.start);
    assert_eq!((lc.line, lc.column), (3, 12));
}

#[test]
fn byte_order_marks_are_accepted() {
    let bytes = b"\xEF\xBB\xBFkind: plan\n";
    let doc = load::load("b.yaml".into(), bytes, None, Lang::En);
    assert!(doc.diagnostics.is_empty());
    assert_eq!(doc.kind(), Some("plan"));
    assert_eq!(doc.spans.get("/kind").unwrap().value, 6..10);
}

#[test]
fn aliases_resolve_and_extra_documents_are_reported() {
    let doc = yaml("base: &b {credits: 2}\ncopy: *b\n---\nsecond: 1\n");
    assert_eq!(doc.value.as_ref().unwrap()["copy"]["credits"], 2);
    assert_eq!(value_text(&doc, "/copy"), "*b");
    let d = &doc.diagnostics[0];
    assert_eq!(d.rule, "multiple-documents");
    assert_eq!(&doc.source.text[d.span.clone()], "---");
}

#[test]
fn strict_json_rejects_comments_and_trailing_commas() {
    for text in ["{\"a\": 1,}", "{\"a\": 1 // no\n}", "{'a': 1}", "[1, 2,]"] {
        let doc = json(text);
        assert!(doc.value.is_none(), "{text}");
        assert_eq!(doc.diagnostics[0].rule, "parse-error", "{text}");
    }
}

#[test]
fn yaml_one_point_two_keeps_no_as_a_string() {
    let doc = yaml("a: no\nb: yes\nc: 0o17\nd: 1_000\ne: ~\n");
    let v = doc.value.unwrap();
    assert_eq!(v["a"], "no");
    assert_eq!(v["b"], "yes");
    assert_eq!(v["c"], 15);
    assert_eq!(v["d"], "1_000");
    assert!(v["e"].is_null());
}

#[test]
fn invalid_utf8_points_at_the_first_bad_byte() {
    let doc = load::load("g.yaml".into(), b"name: \xC4\xE3\n", None, Lang::En);
    let d = &doc.diagnostics[0];
    assert_eq!(d.rule, "invalid-utf8");
    assert_eq!(d.span.start, 6);
    let source: &SourceFile = &doc.source;
    assert!(source.text.is_char_boundary(d.span.end));
}

#[test]
fn complex_keys_and_deep_nesting_are_diagnostics_not_crashes() {
    let doc = yaml("? [a, b]\n: 1\n");
    assert_eq!(doc.diagnostics[0].rule, "parse-error");
    let deep = "[".repeat(100_000);
    let doc = yaml(&deep);
    assert_eq!(doc.diagnostics[0].rule, "too-deep");
    let doc = json(&deep);
    assert_eq!(doc.diagnostics[0].rule, "too-deep");
}
