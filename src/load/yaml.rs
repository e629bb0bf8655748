//! YAML 1.2 into a `serde_json::Value` plus its span index, built from saphyr's event stream
//! so that duplicate keys, aliases, extra documents and nesting are under our control.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use saphyr::Scalar;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Number, Value};

use super::{Loaded, rule};
use crate::diagnostic::Diagnostic;
use crate::lang::Lang;
use crate::limits::{DEPTH_CEILING, Limits};
use crate::load::spans::SpanIndex;
use crate::pointer;
use crate::position::char_to_byte_table;

/// The deepest nesting of flow collections saphyr's scanner reads (it counts them in a `u8`).
pub const FLOW_DEPTH_CEILING: usize = 255;

/// Parses the first YAML document of `text` within `limits` (nesting depth, alias values).
/// The tree is built from events with an explicit stack, so no depth overflows it.
pub fn load(text: &str, lang: Lang, limits: &Limits) -> Loaded {
    build(text, lang, limits, true)
}

/// The value of `text` when [`load`] finds nothing wrong with it, built without spans (no
/// pointers, no index): the same builder, so the same value. `None` when there is a finding
/// (the caller then loads it with spans, which the finding needs).
pub fn fast(text: &str, limits: &Limits) -> Option<serde_json::Value> {
    let loaded = build(text, Lang::En, limits, false);
    if loaded.diagnostics.is_empty() {
        loaded.value
    } else {
        None
    }
}

fn build(text: &str, lang: Lang, limits: &Limits, spans: bool) -> Loaded {
    let mut builder = Builder {
        record: spans,
        text,
        max_depth: limits.depth.min(DEPTH_CEILING),
        max_alias_values: limits.alias_values,
        // Without spans, nothing needs byte offsets (a finding sends the file to the slow path).
        chars: if spans {
            char_to_byte_table(text)
        } else {
            Vec::new()
        },
        lang,
        stack: Vec::new(),
        root: None,
        spans: SpanIndex::default(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        diagnostics: Vec::new(),
    };
    let fatal = builder.run();
    let mut loaded = Loaded {
        value: None,
        spans: SpanIndex::default(),
        diagnostics: builder.diagnostics,
    };
    if let Some(fatal) = fatal {
        loaded.diagnostics.push(fatal);
        return loaded;
    }
    match builder.root {
        Some(value) => {
            loaded.value = Some(value);
            loaded.spans = builder.spans;
        }
        None => {
            // An empty stream: no document at all. The caller reports it.
        }
    }
    loaded
}

enum Container {
    Seq(Vec<Value>),
    /// A mapping's entries in order, made into a map once it ends (in one allocation of its
    /// size: a map growing as it fills rehashes each key several times).
    Map {
        entries: Vec<(String, Value)>,
        key: Option<(String, Range<usize>)>,
        seen: HashMap<String, Range<usize>>,
    },
}

struct Frame {
    container: Container,
    pointer: String,
    key: Option<Range<usize>>,
    name: String,
    start: usize,
    last_end: usize,
    anchor: usize,
    nodes: usize,
}

/// Where the next value goes: its pointer and the span of its key.
struct Slot {
    pointer: String,
    key: Option<Range<usize>>,
    name: String,
}

struct Builder<'t> {
    text: &'t str,
    max_depth: usize,
    max_alias_values: usize,
    /// Whether to build pointers and record spans.
    record: bool,
    chars: Vec<usize>,
    lang: Lang,
    stack: Vec<Frame>,
    root: Option<Value>,
    spans: SpanIndex,
    anchors: HashMap<usize, (Value, usize)>,
    alias_nodes: usize,
    diagnostics: Vec<Diagnostic>,
}

impl Builder<'_> {
    /// Consumes the event stream; returns the diagnostic that stopped loading, if any.
    fn run(&mut self) -> Option<Diagnostic> {
        let mut parser = Parser::new_from_str(self.text);
        let mut documents = 0;
        // The span of a second document's start, until it shows content.
        let mut extra: Option<Range<usize>> = None;
        while let Some(next) = parser.next_event() {
            let (event, span) = match next {
                Ok(ok) => ok,
                Err(error) => {
                    let mut at = self.byte(error.marker().index());
                    let info = error.info();
                    // saphyr reports a stray tab at the start of the scalar it was scanning;
                    // the tab itself is the better place to point at.
                    if info.contains("tab")
                        && let Some(tab) = self.text[at..].find('\t')
                    {
                        at += tab;
                    }
                    if info == "recursion limit exceeded" {
                        return Some(self.flow_too_deep(at));
                    }
                    let message = match self.lang {
                        Lang::En => format!("invalid YAML: {info}"),
                        Lang::Zh => format!("YAML 语法错误：{info}"),
                    };
                    return Some(
                        Diagnostic::new(rule::PARSE_ERROR, at..at, message)
                            .with_label(self.lang.pick("这里", "here")),
                    );
                }
            };
            let range = self.range(span);
            match event {
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 && extra.replace(range).is_some() {
                        let d = self.extra_document(extra.take());
                        self.diagnostics.push(d);
                        return None;
                    }
                }
                // A lone `---` at the end opens an empty document: harmless, not reported.
                Event::Scalar(ref raw, ScalarStyle::Plain, 0, None)
                    if extra.is_some() && raw.is_empty() => {}
                Event::DocumentEnd if extra.is_some() => {}
                Event::StreamEnd => return None,
                _ if extra.is_some() => {
                    let d = self.extra_document(extra.take());
                    self.diagnostics.push(d);
                    return None;
                }
                Event::Scalar(raw, style, anchor, tag) => {
                    let range = trim_end(self.text, range);
                    if let Err(d) = self.scalar(raw, style, anchor, tag, range) {
                        return Some(*d);
                    }
                }
                Event::Alias(id) => {
                    if let Err(d) = self.alias(id, range) {
                        return Some(*d);
                    }
                }
                Event::SequenceStart(anchor, _) => {
                    if let Err(d) = self.open(Container::Seq(Vec::new()), anchor, range) {
                        return Some(*d);
                    }
                }
                Event::MappingStart(anchor, _) => {
                    let map = Container::Map {
                        entries: Vec::new(),
                        key: None,
                        seen: HashMap::new(),
                    };
                    if let Err(d) = self.open(map, anchor, range) {
                        return Some(*d);
                    }
                }
                Event::SequenceEnd | Event::MappingEnd => self.close(range),
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            }
        }
        None
    }

    fn extra_document(&self, at: Option<Range<usize>>) -> Diagnostic {
        Diagnostic::new(
            rule::MULTIPLE_DOCUMENTS,
            at.unwrap_or(0..0),
            self.lang.pick(
                "文件包含多个 YAML 文档；vetlint 只检查第一个",
                "the file holds more than one YAML document; vetlint checks only the first",
            ),
        )
        .with_help(self.lang.pick(
            "每个文件只放一个文档，把其余文档拆到单独的文件中",
            "put one document in each file",
        ))
    }

    fn byte(&self, char_index: usize) -> usize {
        if !self.record {
            return 0;
        }
        self.chars
            .get(char_index)
            .copied()
            .unwrap_or(self.text.len())
    }

    fn range(&self, span: Span) -> Range<usize> {
        self.byte(span.start.index())..self.byte(span.end.index())
    }

    fn expects_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                container: Container::Map { key: None, .. },
                ..
            })
        )
    }

    fn scalar(
        &mut self,
        raw: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<Cow<'_, Tag>>,
        range: Range<usize>,
    ) -> Result<(), Box<Diagnostic>> {
        if self.expects_key() {
            if anchor != 0 {
                self.anchors
                    .insert(anchor, (Value::String(raw.to_string()), 1));
            }
            self.set_key(raw.into_owned(), range);
            return Ok(());
        }
        // The non-specific tag `!` makes a plain scalar a string (YAML 1.2 §6.9.1).
        let non_specific = tag
            .as_ref()
            .is_some_and(|t| t.handle.is_empty() && t.suffix == "!");
        let parsed = if non_specific {
            Some(Scalar::String(raw.clone()))
        } else {
            Scalar::parse_from_cow_and_metadata(raw.clone(), style, tag.as_ref())
        };
        let value = match parsed {
            Some(scalar) => scalar_value(scalar, &raw),
            None => {
                let tag = tag.map(|t| t.to_string()).unwrap_or_default();
                return Err(boxed(Diagnostic::new(
                    rule::PARSE_ERROR,
                    range,
                    match self.lang {
                        Lang::En => format!("invalid YAML: `{raw}` is not a valid {tag} value"),
                        Lang::Zh => format!("YAML 语法错误：`{raw}` 不是合法的 {tag} 值"),
                    },
                )));
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), 1));
        }
        let slot = self.slot(&range);
        self.place(slot, value, range, 1);
        Ok(())
    }

    fn alias(&mut self, id: usize, range: Range<usize>) -> Result<(), Box<Diagnostic>> {
        let Some((value, nodes)) = self.anchors.get(&id).cloned() else {
            return Err(boxed(Diagnostic::new(
                rule::PARSE_ERROR,
                range,
                self.lang.pick(
                    "YAML 别名指向未定义的锚点",
                    "YAML alias refers to an unknown anchor",
                ),
            )));
        };
        self.alias_nodes = self.alias_nodes.saturating_add(nodes);
        if self.alias_nodes > self.max_alias_values {
            let limit = self.max_alias_values;
            return Err(boxed(
                Diagnostic::new(
                    rule::TOO_MANY_ALIASES,
                    range,
                    match self.lang {
                        Lang::En => format!(
                            "YAML aliases here copy more than {limit} values in all; vetlint stops expanding them"
                        ),
                        Lang::Zh => {
                            format!("YAML 别名在此处累计复制的值超过 {limit} 个，vetlint 停止展开")
                        }
                    },
                )
                .with_label(self.lang.pick("超过上限的别名", "the alias that passes the limit"))
                .with_help(self.lang.pick(
                    "把重复的内容直接写出来，或在 vetlint.toml 的 [limits] 中调高 yaml-alias-values",
                    "write the repeated content out, or raise `yaml-alias-values` under [limits] in vetlint.toml",
                )),
            ));
        }
        if self.expects_key() {
            let key = match &value {
                Value::String(s) => s.clone(),
                Value::Number(_) | Value::Bool(_) | Value::Null => value.to_string(),
                _ => return Err(self.complex_key(range)),
            };
            self.set_key(key, range);
            return Ok(());
        }
        let slot = self.slot(&range);
        self.place(slot, value, range, nodes);
        Ok(())
    }

    /// saphyr's scanner counts flow nesting in a `u8`: the 256th `[` or `{` is its ceiling.
    fn flow_too_deep(&self, at: usize) -> Diagnostic {
        let limit = self.max_depth.min(FLOW_DEPTH_CEILING);
        let mut d = super::too_deep(super::bracket(self.text, at), limit, self.lang);
        if limit == FLOW_DEPTH_CEILING {
            d.message = match self.lang {
                Lang::En => format!(
                    "flow lists and mappings (`[…]`, `{{…}}`) nest more than {limit} levels deep here, the most the YAML parser reads"
                ),
                Lang::Zh => format!(
                    "流式列表和映射（`[…]`、`{{…}}`）在此处嵌套超过 {limit} 层，这是 YAML 解析器能读取的上限"
                ),
            };
        }
        d
    }

    fn complex_key(&self, range: Range<usize>) -> Box<Diagnostic> {
        boxed(Diagnostic::new(
            rule::PARSE_ERROR,
            range,
            self.lang.pick(
                "不支持以列表或映射作为键；键必须是字符串",
                "a list or mapping cannot be a key; keys must be strings",
            ),
        ))
    }

    fn set_key(&mut self, key: String, range: Range<usize>) {
        if let Some(Frame {
            container: Container::Map { key: slot, .. },
            ..
        }) = self.stack.last_mut()
        {
            *slot = Some((key, range));
        }
    }

    fn open(
        &mut self,
        container: Container,
        anchor: usize,
        range: Range<usize>,
    ) -> Result<(), Box<Diagnostic>> {
        if self.expects_key() {
            return Err(self.complex_key(range));
        }
        if self.stack.len() >= self.max_depth {
            return Err(boxed(super::too_deep(
                super::bracket(self.text, range.start),
                self.max_depth,
                self.lang,
            )));
        }
        let slot = self.slot(&range);
        self.stack.push(Frame {
            container,
            pointer: slot.pointer,
            key: slot.key,
            name: slot.name,
            start: range.start,
            last_end: range.end,
            anchor,
            nodes: 1,
        });
        Ok(())
    }

    fn close(&mut self, range: Range<usize>) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        // Flow collections end at their bracket; block ones at their last value.
        let end = if range.is_empty() {
            frame.last_end
        } else {
            range.end
        };
        let value = match frame.container {
            Container::Seq(items) => Value::Array(items),
            Container::Map { entries, .. } => {
                let mut map = Map::with_capacity(entries.len());
                for (key, value) in entries {
                    match map.entry(key) {
                        serde_json::map::Entry::Vacant(slot) => {
                            slot.insert(value);
                        }
                        // A repeated key keeps its first place and its last value. With spans,
                        // `slot` has reported it where both keys are known; without, it is
                        // found here, and any finding sends the file to the slow path, which
                        // reports it with its spans.
                        serde_json::map::Entry::Occupied(mut slot) => {
                            if !self.record {
                                self.diagnostics.push(super::duplicate_key(
                                    slot.key(),
                                    0..0,
                                    0..0,
                                    &frame.pointer,
                                    self.lang,
                                ));
                            }
                            slot.insert(value);
                        }
                    }
                }
                Value::Object(map)
            }
        };
        if frame.anchor != 0 {
            self.anchors
                .insert(frame.anchor, (value.clone(), frame.nodes));
        }
        let slot = Slot {
            pointer: frame.pointer,
            key: frame.key,
            name: frame.name,
        };
        self.place(slot, value, frame.start..end, frame.nodes);
    }

    /// Claims the place of the next value in the innermost container.
    fn slot(&mut self, range: &Range<usize>) -> Slot {
        let lang = self.lang;
        let Some(frame) = self.stack.last_mut() else {
            return Slot {
                pointer: String::new(),
                key: None,
                name: String::new(),
            };
        };
        match &mut frame.container {
            Container::Seq(items) => Slot {
                pointer: if self.record {
                    pointer::push_index(&frame.pointer, items.len())
                } else {
                    String::new()
                },
                key: None,
                name: String::new(),
            },
            Container::Map { key, seen, .. } => {
                let (name, key_range) = key
                    .take()
                    .unwrap_or_else(|| (String::new(), range.start..range.start));
                if !self.record {
                    // No spans to report: a repeated key is found when the mapping ends.
                    return Slot {
                        pointer: String::new(),
                        key: Some(key_range),
                        name,
                    };
                }
                if let Some(first) = seen.get(&name) {
                    self.diagnostics.push(super::duplicate_key(
                        &name,
                        first.clone(),
                        key_range.clone(),
                        &frame.pointer,
                        lang,
                    ));
                }
                seen.insert(name.clone(), key_range.clone());
                Slot {
                    pointer: if self.record {
                        pointer::push(&frame.pointer, &name)
                    } else {
                        String::new()
                    },
                    key: Some(key_range),
                    name,
                }
            }
        }
    }

    /// Stores a finished value at its slot and records its spans.
    fn place(&mut self, slot: Slot, value: Value, range: Range<usize>, nodes: usize) {
        if self.record {
            self.spans
                .insert(slot.pointer.clone(), range.clone(), slot.key);
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(value);
            return;
        };
        frame.last_end = frame.last_end.max(range.end);
        frame.nodes += nodes;
        match &mut frame.container {
            Container::Seq(items) => items.push(value),
            Container::Map { entries, .. } => entries.push((slot.name, value)),
        }
    }
}

fn scalar_value(scalar: Scalar<'_>, raw: &str) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(b),
        Scalar::Integer(i) => Value::Number(i.into()),
        Scalar::FloatingPoint(f) => Number::from_f64(f.into_inner())
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(raw.to_owned())),
        Scalar::String(s) => Value::String(s.into_owned()),
    }
}

/// Drops trailing whitespace from a span (block scalars run on to the next token).
fn trim_end(text: &str, range: Range<usize>) -> Range<usize> {
    let Some(slice) = text.get(range.clone()) else {
        return range;
    };
    let trimmed = slice.trim_end_matches([' ', '\t', '\r', '\n']);
    range.start..range.start + trimmed.len()
}

/// Boxes a diagnostic that stops loading (keeps `Result`s small).
fn boxed(d: Diagnostic) -> Box<Diagnostic> {
    Box::new(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mapping of `n` keys `k0`…, with key `k{repeat}` written again at the end.
    fn mapping(n: usize, repeat: Option<usize>) -> String {
        let mut text: String = (0..n).map(|i| format!("k{i}: {i}\n")).collect();
        if let Some(r) = repeat {
            text.push_str(&format!("k{r}: again\n"));
        }
        text
    }

    #[test]
    fn the_fast_path_finds_repeated_keys_in_small_and_large_mappings() {
        let limits = Limits::default();
        for n in [1, 2, 15, 16, 17, 40] {
            let clean = mapping(n, None);
            let built = fast(&clean, &limits).expect("a clean mapping loads");
            assert_eq!(
                Some(built),
                load(&clean, Lang::En, &limits).value,
                "{n} keys"
            );
            for repeat in [0, n / 2, n - 1] {
                let text = mapping(n, Some(repeat));
                assert_eq!(fast(&text, &limits), None, "{n} keys, k{repeat} twice");
                let loaded = load(&text, Lang::En, &limits);
                assert_eq!(loaded.diagnostics.len(), 1, "{n} keys, k{repeat} twice");
                // The key keeps its first place and takes its last value.
                let map = loaded
                    .value
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default();
                assert_eq!(
                    map.keys().position(|k| *k == format!("k{repeat}")),
                    Some(repeat)
                );
                assert_eq!(map[&format!("k{repeat}")], serde_json::json!("again"));
            }
        }
    }
}
