//! Strict JSON (RFC 8259) into a `serde_json::Value` plus its span index, through
//! jsonc-parser with every lenient option switched off.

use std::cell::RefCell;
use std::collections::HashMap;

use jsonc_parser::ast;
use jsonc_parser::errors::ParseErrorKind;
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};
use serde_json::{Map, Number, Value};

use super::{Loaded, rule};
use crate::diagnostic::Diagnostic;
use crate::lang::Lang;
use crate::limits::DEPTH_CEILING;
use crate::load::spans::SpanIndex;
use crate::pointer;

/// The fast path: `text` parsed by serde_json, when that gives exactly what [`load`] would
/// (a value with no finding): `None` for anything else (a syntax error, a repeated key, nesting
/// deeper than `max_depth` or than serde_json's own limit), which [`load`] then reports.
pub fn fast(text: &str, max_depth: usize) -> Option<Value> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(text);
    let scratch = Scratch::default();
    let value = Strict {
        depth: 1,
        max_depth,
        scratch: &scratch,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some(value)
}

/// The top-level `kind` and `id` strings of a JSON text, without building its value: `None`
/// when [`fast`] might not accept the text (a syntax error, nesting beyond `max_depth`, a
/// repeated top-level key), so the caller loads it whole instead.
pub fn sniff(text: &str, max_depth: usize) -> Option<(Option<String>, Option<String>)> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(text);
    let head = Head { max_depth }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(head)
}

/// The top level of a document, for [`sniff`].
struct Head {
    max_depth: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for Head {
    type Value = (Option<String>, Option<String>);

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Head {
    type Value = (Option<String>, Option<String>);

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let skip = Skip {
            depth: 2,
            max_depth: self.max_depth,
        };
        if self.max_depth < 1 {
            return Err(serde::de::Error::custom("too deep"));
        }
        let (mut kind, mut id) = (None, None);
        let mut seen: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if seen.iter().any(|k| *k == key) {
                return Err(serde::de::Error::custom("repeated key"));
            }
            seen.push(key.to_string());
            match &*key {
                "kind" | "id" => {
                    let value = map.next_value_seed(Strict {
                        depth: 2,
                        max_depth: self.max_depth,
                        scratch: &Scratch::default(),
                    })?;
                    let text = value.as_str().map(str::to_owned);
                    if key == "kind" {
                        kind = text;
                    } else {
                        id = text;
                    }
                }
                _ => map.next_value_seed(skip)?,
            }
        }
        Ok((kind, id))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip {
            depth: 1,
            max_depth: self.max_depth,
        }
        .visit_seq(seq)?;
        Ok((None, None))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok((None, None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok((None, None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok((None, None))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Self::Value, E> {
        Skip {
            depth: 1,
            max_depth: self.max_depth,
        }
        .visit_f64(n)?;
        Ok((None, None))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok((None, None))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok((None, None))
    }
}

/// Any JSON value, checked as [`Strict`] checks it (nesting, finite numbers) but not kept.
#[derive(Clone, Copy)]
struct Skip {
    depth: usize,
    max_depth: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<(), E> {
        if n.is_finite() {
            Ok(())
        } else {
            Err(E::custom("not a finite number"))
        }
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth > self.max_depth {
            return Err(serde::de::Error::custom("too deep"));
        }
        let child = Skip {
            depth: self.depth + 1,
            ..self
        };
        while seq.next_element_seed(child)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.depth > self.max_depth {
            return Err(serde::de::Error::custom("too deep"));
        }
        let child = Skip {
            depth: self.depth + 1,
            ..self
        };
        while map.next_key_seed(child)?.is_some() {
            map.next_value_seed(child)?;
        }
        Ok(())
    }
}

/// serde_json's `Value`, refusing repeated keys and nesting beyond a depth.
#[derive(Clone, Copy)]
struct Strict<'s> {
    depth: usize,
    max_depth: usize,
    scratch: &'s Scratch,
}

/// The elements and entries of the lists and objects being parsed, one stack of each for a
/// whole document: a list or object is built once its size is known, in one allocation of
/// that size (growing each as it fills would reallocate and, for an object, rebuild its hash
/// index several times).
#[derive(Default)]
struct Scratch {
    items: RefCell<Vec<Value>>,
    entries: RefCell<Vec<(String, Value)>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Value, E> {
        Number::from_f64(n)
            .map(Value::Number)
            .ok_or_else(|| E::custom("not a finite number"))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        if self.depth > self.max_depth {
            return Err(serde::de::Error::custom("too deep"));
        }
        let start = self.scratch.items.borrow().len();
        while let Some(item) = seq.next_element_seed(self.child())? {
            self.scratch.items.borrow_mut().push(item);
        }
        let items = self.scratch.items.borrow_mut().split_off(start);
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        if self.depth > self.max_depth {
            return Err(serde::de::Error::custom("too deep"));
        }
        let start = self.scratch.entries.borrow().len();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self.child())?;
            self.scratch.entries.borrow_mut().push((key, value));
        }
        let mut entries = self.scratch.entries.borrow_mut();
        let mut out = Map::with_capacity(entries.len() - start);
        for (key, value) in entries.drain(start..) {
            if out.insert(key, value).is_some() {
                return Err(serde::de::Error::custom("repeated key"));
            }
        }
        Ok(Value::Object(out))
    }
}

impl Strict<'_> {
    fn child(&self) -> Self {
        Strict {
            depth: self.depth + 1,
            ..*self
        }
    }
}

/// Parses `text` as strict JSON, nesting at most `max_depth` lists and objects.
pub fn load(text: &str, lang: Lang, max_depth: usize) -> Loaded {
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let mut loaded = Loaded::default();
    let ast = match parse_to_ast(text, &CollectOptions::default(), &options) {
        Ok(result) => result.value,
        Err(error) => {
            let range = error.range();
            let diagnostic = if matches!(error.kind(), ParseErrorKind::NestingDepthExceeded) {
                // The parser stops at its own ceiling, the most any configuration allows.
                super::too_deep(
                    super::bracket(text, range.start),
                    max_depth.min(DEPTH_CEILING),
                    lang,
                )
            } else {
                Diagnostic::new(
                    rule::PARSE_ERROR,
                    range.start..range.end,
                    lang_message(error.kind(), lang),
                )
                .with_label(lang.pick("这里", "here"))
            };
            loaded.diagnostics.push(diagnostic);
            return loaded;
        }
    };
    // jsonc-parser lets through what RFC 8259 forbids: raw control characters in strings and
    // whitespace other than space, tab, CR and LF between tokens.
    if let Some((at, message)) = beyond_rfc_8259(text, lang) {
        loaded.diagnostics.push(
            Diagnostic::new(rule::PARSE_ERROR, at, message).with_label(lang.pick("这里", "here")),
        );
        return loaded;
    }
    let Some(ast) = ast else {
        loaded.diagnostics.push(Diagnostic::new(
            rule::PARSE_ERROR,
            text.len()..text.len(),
            lang.pick("文件中没有 JSON 值", "the file holds no JSON value"),
        ));
        return loaded;
    };
    let mut builder = Builder {
        spans: SpanIndex::default(),
        diagnostics: Vec::new(),
        lang,
        max_depth,
        too_deep: false,
    };
    let value = builder.convert(&ast, String::new(), None, 1);
    if builder.too_deep {
        loaded.diagnostics = builder.diagnostics;
        return loaded;
    }
    loaded.value = Some(value);
    loaded.spans = builder.spans;
    loaded.diagnostics = builder.diagnostics;
    loaded
}

struct Builder {
    spans: SpanIndex,
    diagnostics: Vec<Diagnostic>,
    lang: Lang,
    max_depth: usize,
    /// Set once a container nests deeper than `max_depth`: the value is then dropped.
    too_deep: bool,
}

impl Builder {
    /// Converts one node at nesting `depth` (the root container is at 1). jsonc-parser caps
    /// nesting at [`DEPTH_CEILING`], which bounds this recursion; a lower configured limit
    /// is enforced here, at the first container (in document order) that passes it.
    fn convert(
        &mut self,
        node: &ast::Value<'_>,
        path: String,
        key: Option<std::ops::Range<usize>>,
        depth: usize,
    ) -> Value {
        let range = range_of(node);
        if self.too_deep {
            return Value::Null;
        }
        if depth > self.max_depth && matches!(node, ast::Value::Array(_) | ast::Value::Object(_)) {
            self.too_deep = true;
            self.diagnostics.push(super::too_deep(
                range.start..range.start + 1,
                self.max_depth,
                self.lang,
            ));
            return Value::Null;
        }
        let value = match node {
            ast::Value::StringLit(s) => Value::String(s.value.to_string()),
            ast::Value::NumberLit(n) => number(n.value),
            ast::Value::BooleanLit(b) => Value::Bool(b.value),
            ast::Value::NullKeyword(_) => Value::Null,
            ast::Value::Array(array) => Value::Array(
                array
                    .elements
                    .iter()
                    .enumerate()
                    .map(|(i, element)| {
                        self.convert(element, pointer::push_index(&path, i), None, depth + 1)
                    })
                    .collect(),
            ),
            ast::Value::Object(object) => {
                let mut map = Map::new();
                let mut seen: HashMap<&str, std::ops::Range<usize>> = HashMap::new();
                for prop in &object.properties {
                    let name = prop.name.as_str();
                    let key_range = match &prop.name {
                        ast::ObjectPropName::String(s) => s.range.start..s.range.end,
                        ast::ObjectPropName::Word(w) => w.range.start..w.range.end,
                    };
                    if let Some(first) = seen.get(name) {
                        self.diagnostics.push(super::duplicate_key(
                            name,
                            first.clone(),
                            key_range.clone(),
                            &path,
                            self.lang,
                        ));
                    }
                    seen.insert(name, key_range.clone());
                    let child = pointer::push(&path, name);
                    let value = self.convert(&prop.value, child, Some(key_range), depth + 1);
                    map.insert(name.to_owned(), value);
                }
                Value::Object(map)
            }
        };
        self.spans.insert(path, range, key);
        value
    }
}

fn range_of(node: &ast::Value<'_>) -> std::ops::Range<usize> {
    let r = match node {
        ast::Value::StringLit(v) => v.range,
        ast::Value::NumberLit(v) => v.range,
        ast::Value::BooleanLit(v) => v.range,
        ast::Value::NullKeyword(v) => v.range,
        ast::Value::Array(v) => v.range,
        ast::Value::Object(v) => v.range,
    };
    r.start..r.end
}

/// A JSON number literal as serde_json would read it: integers stay integers when they fit.
fn number(literal: &str) -> Value {
    literal
        .parse::<Number>()
        .map(Value::Number)
        .unwrap_or_else(|_| Value::String(literal.to_owned()))
}

/// The first character that strict JSON does not allow where it stands, with a message.
fn beyond_rfc_8259(text: &str, lang: Lang) -> Option<(std::ops::Range<usize>, String)> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        let at = i..i + c.len_utf8();
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                c if (c as u32) < 0x20 => {
                    let message = match lang {
                        Lang::En => format!(
                            "invalid JSON: the control character U+{:04X} must be escaped in a string",
                            c as u32
                        ),
                        Lang::Zh => format!(
                            "JSON 语法错误：字符串中的控制字符 U+{:04X} 必须转义",
                            c as u32
                        ),
                    };
                    return Some((at, message));
                }
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c.is_whitespace() && !matches!(c, ' ' | '\t' | '\n' | '\r') {
            let message = match lang {
                Lang::En => format!(
                    "invalid JSON: U+{:04X} is not JSON whitespace (only space, tab, CR and LF are)",
                    c as u32
                ),
                Lang::Zh => format!(
                    "JSON 语法错误：U+{:04X} 不是 JSON 的空白字符（只允许空格、制表符、回车和换行）",
                    c as u32
                ),
            };
            return Some((at, message));
        }
    }
    None
}

fn lang_message(kind: &ParseErrorKind, lang: Lang) -> String {
    let en = kind.to_string();
    if lang == Lang::En {
        return format!("invalid JSON: {}", lower_first(&en));
    }
    let zh = match kind {
        ParseErrorKind::CommentsNotAllowed => "不允许注释",
        ParseErrorKind::TrailingCommasNotAllowed => "不允许尾随逗号",
        ParseErrorKind::ExpectedComma => "缺少逗号",
        ParseErrorKind::ExpectedColonAfterObjectKey => "键后缺少冒号",
        ParseErrorKind::ExpectedObjectValue => "冒号后缺少值",
        ParseErrorKind::ExpectedStringObjectProperty => "对象的键必须是双引号字符串",
        ParseErrorKind::SingleQuotedStringsNotAllowed => "不允许单引号字符串",
        ParseErrorKind::UnterminatedArray => "数组没有结束",
        ParseErrorKind::UnterminatedObject => "对象没有结束",
        ParseErrorKind::MultipleRootJsonValues => "文件中有多个顶层 JSON 值",
        ParseErrorKind::NestingDepthExceeded => "嵌套层数过深",
        ParseErrorKind::UnexpectedCloseBrace => "多余的右花括号",
        ParseErrorKind::UnexpectedCloseBracket => "多余的右方括号",
        ParseErrorKind::UnexpectedComma => "多余的逗号",
        ParseErrorKind::UnexpectedColon => "多余的冒号",
        _ => return format!("JSON 语法错误：{en}"),
    };
    format!("JSON 语法错误：{zh}")
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_gives_the_full_parsers_value_or_none() {
        for text in [
            "-0",
            "0.0",
            "1e2",
            "1E+2",
            "-1.5e-3",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "1e-400",
            "123456789.123456789",
            r#"{"a": "\u00e9\ud83d\ude00", "b": [1, 2.5, null, true]}"#,
            "\"\\/\"",
            // Lists and objects inside others, empty ones, and keys out of alphabetical order:
            // each is built from its own part of the shared stacks.
            r#"{"z": [{"b": 1, "a": [2, {"d": [], "c": {}}]}, 3], "e": {}, "f": [[], {}, [[4]]]}"#,
        ] {
            let full = load(text, Lang::En, 512);
            assert_eq!(fast(text, 512), full.value, "{text}");
            assert!(full.diagnostics.is_empty(), "{text}");
        }
        for refused in [
            r#"{"a": 1, "a": 2}"#,
            r#"[{"x": 1}, {"y": 1, "z": 2, "y": 3}]"#,
            "[[[1]]]",
            "1e400",
            "",
            "[1,]",
            "\u{c}1",
        ] {
            assert_eq!(fast(refused, 2), None, "{refused:?}");
        }
        assert!(fast("[[1]]", 2).is_some());
    }
}

#[cfg(test)]
mod sniff_tests {
    use super::*;

    #[test]
    fn sniffing_reads_kind_and_id_or_refuses() {
        let doc = r#"{"kind": "plan", "courses": [{"code": "A", "n": 1.5}], "id": "p-1"}"#;
        assert_eq!(
            sniff(doc, 512),
            Some((Some("plan".to_owned()), Some("p-1".to_owned())))
        );
        assert_eq!(sniff(r#"{"kind": 3}"#, 512), Some((None, None)));
        assert_eq!(sniff("[1, 2]", 512), Some((None, None)));
        for refused in [
            r#"{"kind": "plan", "kind": "standard"}"#,
            r#"{"kind": "plan", "a": [[1]]}"#,
            "{\"kind\": \"plan\", \"a\": \"\u{1}\"}",
            r#"{"kind": "plan",}"#,
            r#"{"kind": "plan", "a": 1e400}"#,
        ] {
            assert_eq!(sniff(refused, 2), None, "{refused}");
        }
        // Whatever it accepts, the fast parser accepts with the same kind and id.
        let value = fast(doc, 512).unwrap();
        assert_eq!(value["kind"], "plan");
        assert_eq!(value["id"], "p-1");
    }
}
