//! Property tests: offsets, lines, character columns and UTF-16 positions round trip on any
//! text; and for any document vetlint loads and checks, every span it records or reports lies
//! inside its file, on character boundaries, with `start <= end`.
//!
//! The documents are generated values (CJK, astral characters, quotes, escapes, line breaks,
//! numbers, booleans, null), written as JSON (compact and pretty, `\n` or `\r\n`) and as YAML by
//! a small emitter below (block and flow collections, plain, single-quoted, double-quoted and
//! literal scalars, comments); perturbed copies of `fixtures/examples/*` so that schema and
//! policy rules (and their cross-document related spans) fire; and texts mutated by truncation,
//! insertion, deletion, duplicated lines, a byte-order mark or an invalid byte.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Number, Value};

use vetlint::check::{Engine, Origin};
use vetlint::config::Config;
use vetlint::lang::Lang;
use vetlint::load::{self, Document, Format};
use vetlint::pointer;
use vetlint::position::{LineCol, LineIndex, Utf16Pos, char_to_byte_table};
use vetlint::workspace::Workspace;

/// Cases per property: enough to find the boundary bugs, fast enough for CI in debug builds.
const CASES: u32 = 256;

/// `PROPTEST_CASES` overrides [`CASES`], to search longer locally.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Positions
// ---------------------------------------------------------------------------------------------

/// Pieces that make position bugs likely: every line terminator, multi-byte and astral
/// characters (two UTF-16 units), a zero-width character.
const TEXT_PIECES: &[&str] = &[
    "a", "b", "z", " ", "\t", "\n", "\r", "\r\n", "\n\n", "\r\r", "\n\r", "中", "文", "𠀀", "😀",
    "é", "\u{200b}", "\u{85}", "\u{2028}", ":", "#", "\"", "\\", "{", "-", "0",
];

fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => prop::sample::select(TEXT_PIECES).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..48).prop_map(|pieces| pieces.concat())
}

/// Every character boundary of `text`, the end included.
fn boundaries(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect()
}

/// Whether `offset` is the `\n` of a `\r\n`: it belongs to the line the pair ends, one column
/// after the `\r`, but no column addresses it (`offset_of_*` stop at the line's content).
fn is_lf_of_crlf(text: &str, offset: usize) -> bool {
    let bytes = text.as_bytes();
    offset > 0 && bytes.get(offset) == Some(&b'\n') && bytes[offset - 1] == b'\r'
}

/// The content of 0-based `line` (without its terminator), by a naive scan.
fn line_contents(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    loop {
        match rest.find(['\n', '\r']) {
            None => {
                lines.push(rest);
                return lines;
            }
            Some(i) => {
                lines.push(&rest[..i]);
                let terminator = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + terminator..];
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// offset → line/column → offset and offset → UTF-16 → offset on every character boundary,
    /// and both positions count what they say they count.
    #[test]
    fn offsets_round_trip_through_line_col_and_utf16(text in text()) {
        let index = LineIndex::new(&text);
        for offset in boundaries(&text) {
            let lc = index.line_col(&text, offset);
            let u = index.utf16(&text, offset);
            let line = index.line_of(offset);
            prop_assert_eq!(lc.line as usize, line + 1);
            prop_assert_eq!(u.line as usize, line);
            let start = index.line_start(line).expect("line_of gives an existing line");
            prop_assert!(start <= offset);
            let before = &text[start..offset];
            prop_assert_eq!(lc.column as usize, before.chars().count() + 1, "offset {}", offset);
            prop_assert_eq!(u.character as usize, before.encode_utf16().count(), "offset {}", offset);
            if is_lf_of_crlf(&text, offset) {
                prop_assert_eq!(index.offset_of_line_col(&text, lc), None);
                prop_assert_eq!(index.offset_of_utf16(&text, u), None);
                let cr = index.line_col(&text, offset - 1);
                prop_assert_eq!(cr, LineCol { line: lc.line, column: lc.column - 1 });
            } else {
                prop_assert_eq!(index.offset_of_line_col(&text, lc), Some(offset), "{:?}", lc);
                prop_assert_eq!(index.offset_of_utf16(&text, u), Some(offset), "{:?}", u);
            }
        }
    }

    /// Positions never go backwards as the offset grows, and strictly grow from one character
    /// boundary to the next; offsets inside a character or past the end clamp back.
    #[test]
    fn positions_are_monotonic_and_offsets_clamp(text in text()) {
        let index = LineIndex::new(&text);
        let mut last: Option<(usize, LineCol, Utf16Pos)> = None;
        for offset in 0..=text.len() + 5 {
            let lc = index.line_col(&text, offset);
            let u = index.utf16(&text, offset);
            let clamped = LineIndex::clamp(&text, offset);
            prop_assert!(text.is_char_boundary(clamped));
            prop_assert!(clamped <= offset.min(text.len()));
            prop_assert!(offset.min(text.len()) - clamped < 4);
            prop_assert_eq!(lc, index.line_col(&text, clamped));
            prop_assert_eq!(u, index.utf16(&text, clamped));
            if let Some((previous, plc, pu)) = last {
                prop_assert!(plc <= lc && pu <= u, "{previous} {plc:?} {pu:?} → {offset} {lc:?} {u:?}");
                let new_boundary = offset <= text.len() && text.is_char_boundary(offset);
                if new_boundary {
                    prop_assert!(plc < lc && pu < u, "{previous} {plc:?} {pu:?} → {offset} {lc:?} {u:?}");
                }
            }
            last = Some((offset, lc, u));
        }
    }

    /// Lines end at `\n`, `\r\n` and a lone `\r`, and nowhere else.
    #[test]
    fn lines_end_at_every_terminator_and_only_there(text in text()) {
        let index = LineIndex::new(&text);
        let contents = line_contents(&text);
        prop_assert_eq!(index.line_count(), contents.len());
        let mut previous = None;
        for (line, content) in contents.iter().enumerate() {
            let start = index.line_start(line).expect("line exists");
            prop_assert!(text.is_char_boundary(start));
            prop_assert!(previous.is_none_or(|p| p < start));
            prop_assert!(text[start..].starts_with(content));
            prop_assert_eq!(index.line_of(start), line);
            prop_assert_eq!(
                index.line_col(&text, start),
                LineCol { line: u32::try_from(line + 1).unwrap(), column: 1 }
            );
            // The end of the content is the last column of the line.
            let end = start + content.len();
            let last = index.line_col(&text, end);
            prop_assert_eq!(last.line as usize, line + 1);
            prop_assert_eq!(last.column as usize, content.chars().count() + 1);
            previous = Some(start);
        }
        prop_assert_eq!(index.line_start(contents.len()), None);
        prop_assert_eq!(index.line_of(usize::MAX), contents.len() - 1);
    }

    /// Any position maps to an offset exactly when it lies in a line's content (not inside a
    /// surrogate pair), and the offset maps back to the same position.
    #[test]
    fn positions_map_to_offsets_exactly_when_they_exist(
        text in text(),
        line in 0u32..12,
        column in 0u32..40,
    ) {
        let index = LineIndex::new(&text);
        let contents = line_contents(&text);
        let lc = LineCol { line, column };
        let expected = (line >= 1 && column >= 1)
            .then(|| contents.get(line as usize - 1))
            .flatten()
            .filter(|content| column as usize - 1 <= content.chars().count());
        match index.offset_of_line_col(&text, lc) {
            Some(offset) => {
                prop_assert!(expected.is_some(), "{:?} → {}", lc, offset);
                prop_assert!(text.is_char_boundary(offset));
                prop_assert_eq!(index.line_col(&text, offset), lc);
            }
            None => prop_assert!(expected.is_none(), "{:?} exists but maps to nothing", lc),
        }
        let u = Utf16Pos { line, character: column };
        let expected = contents.get(line as usize).filter(|content| {
            let mut units = 0;
            let mut hits = column == 0;
            for c in content.chars() {
                units += c.len_utf16();
                hits |= units == column as usize;
            }
            hits
        });
        match index.offset_of_utf16(&text, u) {
            Some(offset) => {
                prop_assert!(expected.is_some(), "{:?} → {}", u, offset);
                prop_assert!(text.is_char_boundary(offset));
                prop_assert_eq!(index.utf16(&text, offset), u);
            }
            None => prop_assert!(expected.is_none(), "{:?} exists but maps to nothing", u),
        }
    }

    /// The character → byte table lists every character boundary, in order, then the end.
    #[test]
    fn char_to_byte_table_lists_every_boundary(text in text()) {
        let table = char_to_byte_table(&text);
        prop_assert_eq!(table.len(), text.chars().count() + 1);
        prop_assert_eq!(&table, &boundaries(&text));
        for (i, pair) in table.windows(2).enumerate() {
            let c = text[pair[0]..pair[1]].chars().next().expect("one character");
            prop_assert_eq!(text[pair[0]..pair[1]].chars().count(), 1);
            prop_assert_eq!(text.chars().nth(i), Some(c));
        }
        prop_assert_eq!(table.last().copied(), Some(text.len()));
    }
}

// ---------------------------------------------------------------------------------------------
// Generated values
// ---------------------------------------------------------------------------------------------

/// Pieces of strings and keys: YAML indicators, escapes, every line break, reserved words,
/// number look-alikes, CJK and astral characters, a few non-printable characters.
const STRING_PIECES: &[&str] = &[
    "a", "kind", "plan", "x y", "Ab", "中文", "课程", "𠀀", "😀", "é", "\"", "'", "\\", "\n",
    "\r\n", "\r", "\t", " ", ": ", " #", "- ", "{", "}", "[", "]", ",", "&a", "*a", "!", "|", ">",
    "%", "@", "`", "?", "~", "null", "true", "false", "yes", "No", "0", "1.5", "-7", "0x1F", "1e3",
    ".inf", "---", "...", "\u{1}", "\u{7f}", "\u{85}", "\u{a0}", "\u{2028}", "\u{fffd}", "/", "~1",
];

/// Kinds vetlint knows (and one it does not), so that generated documents reach the schemas.
const KINDS: &[&str] = &[
    "plan",
    "standard",
    "registry",
    "pilot-report",
    "Plan",
    "deployment",
];

fn string() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(STRING_PIECES), 0..6).prop_map(|p| p.concat())
}

fn key() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(STRING_PIECES), 0..3).prop_map(|p| p.concat())
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        4 => (-3000i64..3000).prop_map(Number::from),
        1 => any::<i64>().prop_map(Number::from),
        1 => any::<u64>().prop_map(Number::from),
        2 => (-1e4f64..1e4).prop_filter_map("finite", Number::from_f64),
        1 => any::<f64>().prop_filter_map("finite", Number::from_f64),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => number().prop_map(Value::Number),
        4 => string().prop_map(Value::String),
    ]
}

fn object<S: Strategy<Value = Value>>(values: S) -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), values), 0..6)
        .prop_map(|entries| Value::Object(entries.into_iter().collect()))
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            object(inner),
        ]
    })
}

/// A value, often a mapping with a `kind` so that the schemas and policies run.
fn document() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => value(),
        2 => (prop::sample::select(KINDS), prop::option::of(string()), object(value())).prop_map(
            |(kind, id, rest)| {
                let mut map = Map::new();
                map.insert("kind".into(), Value::String(kind.into()));
                if let Some(id) = id {
                    map.insert("id".into(), Value::String(id));
                }
                if let Value::Object(rest) = rest {
                    for (k, v) in rest {
                        map.entry(k).or_insert(v);
                    }
                }
                Value::Object(map)
            }
        ),
    ]
}

/// Equal values, in the same order; numbers compare as `f64` (YAML has no `u64`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same(vx, vy))
        }
        _ => a == b,
    }
}

/// Every JSON Pointer of `value`, the root included.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, pointer::push_index(&at, i), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                pointers(v, pointer::push(&at, k), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

// ---------------------------------------------------------------------------------------------
// A YAML emitter with random style choices
// ---------------------------------------------------------------------------------------------

/// A tiny deterministic generator for the emitter's style choices (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n)
    }
}

/// Printable in YAML 1.2 (`c-printable` less the byte-order mark), so allowed raw.
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && c != '\u{feff}'
}

/// A string that YAML reads back as the same string when written plain, in block and in flow
/// context: starts with a letter, only letters, digits, `_`, `.` and inner single spaces.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    first.is_alphabetic()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '.'))
        && !s.ends_with(' ')
        && !matches!(
            s,
            "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
        )
}

/// A string a literal block scalar (`|` or `|-`) holds exactly.
fn literal_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.contains('\r')
        && !s.ends_with("\n\n")
        && s.chars().any(|c| c != '\n')
        && s.chars()
            .all(|c| printable(c) && c != '\u{85}' && c != '\u{2028}')
        && s.split('\n').all(|line| !line.starts_with([' ', '\t']))
}

/// A one-line string a folded block scalar (`>-`) holds exactly.
fn folded_ok(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with([' ', '\t'])
        && s.chars()
            .all(|c| printable(c) && !matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}'))
}

struct YamlEmitter {
    rng: Rng,
    out: String,
    newline: &'static str,
    /// Anchored values, by anchor name, for aliases to reuse.
    anchors: Vec<(String, Value)>,
}

impl YamlEmitter {
    fn emit(value: &Value, seed: u64) -> String {
        let mut rng = Rng::new(seed);
        let newline = if rng.one_in(4) { "\r\n" } else { "\n" };
        let mut e = Self {
            rng,
            out: String::new(),
            newline,
            anchors: Vec::new(),
        };
        if e.rng.one_in(4) {
            e.out.push_str("# 生成的文档 😀");
            e.out.push_str(newline);
        }
        if e.rng.one_in(8) {
            e.out.push_str("%YAML 1.2");
            e.out.push_str(newline);
            e.out.push_str("---");
            e.out.push_str(newline);
        } else if e.rng.one_in(4) {
            e.out.push_str("---");
            e.out.push_str(newline);
        }
        match value {
            Value::Object(map) if !map.is_empty() && !e.rng.one_in(5) => e.block_map(map, 0, false),
            Value::Array(items) if !items.is_empty() && !e.rng.one_in(5) => {
                e.block_seq(items, 0, false)
            }
            _ => {
                let flow = e.flow(value, 0);
                e.out.push_str(&flow);
                e.out.push_str(newline);
            }
        }
        if e.rng.one_in(6) {
            e.out.push_str("...");
            e.out.push_str(newline);
        }
        e.out
    }

    fn pad(&mut self, indent: usize) {
        self.out.extend(std::iter::repeat_n(' ', indent));
    }

    fn line_end(&mut self) {
        if self.rng.one_in(10) {
            self.out.push_str(" # 注释");
        }
        self.out.push_str(self.newline);
    }

    /// `*name` for a value anchored before, sometimes.
    fn alias(&mut self, v: &Value) -> Option<String> {
        if !self.rng.one_in(2) {
            return None;
        }
        let (name, _) = self.anchors.iter().rev().find(|(_, a)| a == v)?;
        Some(format!("*{name}"))
    }

    /// `&name ` for a value, sometimes; remembered for aliases.
    fn anchor(&mut self, v: &Value) -> String {
        if !self.rng.one_in(8) {
            return String::new();
        }
        let name = format!("a{}", self.anchors.len());
        self.anchors.push((name.clone(), v.clone()));
        format!("&{name} ")
    }

    fn block_map(&mut self, map: &Map<String, Value>, indent: usize, inline_first: bool) {
        for (i, (k, v)) in map.iter().enumerate() {
            if i > 0 || !inline_first {
                if self.rng.one_in(12) {
                    self.pad(indent);
                    self.out.push_str("# 注释：");
                    self.out.push_str(self.newline);
                }
                self.pad(indent);
            }
            let key = Value::String(k.clone());
            let written = match self.alias(&key) {
                // An alias key needs a space before its colon.
                Some(alias) => format!("{alias} "),
                None => {
                    // An anchor on the first key of an inline mapping would anchor the mapping.
                    let anchor = if i > 0 || !inline_first {
                        self.anchor(&key)
                    } else {
                        String::new()
                    };
                    format!("{anchor}{}", self.scalar_string(k, true, indent))
                }
            };
            if self.rng.one_in(10) {
                // An explicit key: `? key` then `: value` on the next line.
                self.out.push_str("? ");
                self.out.push_str(&written);
                self.out.push_str(self.newline);
                self.pad(indent);
            } else {
                self.out.push_str(&written);
            }
            self.out.push(':');
            self.value_after(v, indent, true);
        }
    }

    fn block_seq(&mut self, items: &[Value], indent: usize, inline_first: bool) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 || !inline_first {
                self.pad(indent);
            }
            self.out.push('-');
            self.value_after(item, indent, false);
        }
    }

    /// The value of a mapping entry (`key:` written) or a sequence item (`-` written) at
    /// `indent`.
    fn value_after(&mut self, v: &Value, indent: usize, in_map: bool) {
        if let Some(alias) = self.alias(v) {
            self.out.push(' ');
            self.out.push_str(&alias);
            self.line_end();
            return;
        }
        match v {
            Value::Object(map) if !map.is_empty() && !self.rng.one_in(4) => {
                if !in_map && self.rng.one_in(2) {
                    // `- a: 1` with the following keys under `a`.
                    self.out.push(' ');
                    self.block_map(map, indent + 2, true);
                } else {
                    let anchor = self.anchor(v);
                    let tag = if self.rng.one_in(10) { "!!map" } else { "" };
                    if !anchor.is_empty() || !tag.is_empty() {
                        self.out.push(' ');
                        self.out.push_str(&anchor);
                        self.out.push_str(tag);
                    }
                    self.out.push_str(self.newline);
                    self.block_map(map, indent + 2, false);
                }
            }
            Value::Array(items) if !items.is_empty() && !self.rng.one_in(4) => {
                if !in_map && self.rng.one_in(2) {
                    self.out.push(' ');
                    self.block_seq(items, indent + 2, true);
                } else {
                    let anchor = self.anchor(v);
                    if !anchor.is_empty() {
                        self.out.push(' ');
                        self.out.push_str(anchor.trim_end());
                    }
                    self.out.push_str(self.newline);
                    // A sequence may sit at its key's indentation.
                    let nested = if in_map && self.rng.one_in(2) {
                        indent
                    } else {
                        indent + 2
                    };
                    self.block_seq(items, nested, false);
                }
            }
            Value::String(s) if literal_ok(s) && !self.rng.one_in(3) => {
                // `|+` keeps every final line break, `|` one, `|-` none.
                let (body, chomp) = match s.strip_suffix('\n') {
                    Some(body) if body.ends_with('\n') => (body, "+"),
                    Some(body) => (body, ""),
                    None => (s.as_str(), "-"),
                };
                let anchor = self.anchor(v);
                self.out.push(' ');
                self.out.push_str(&anchor);
                self.out.push('|');
                self.out.push_str(chomp);
                self.out.push_str(self.newline);
                for line in body.split('\n') {
                    if !line.is_empty() {
                        self.pad(indent + 2);
                        self.out.push_str(line);
                    }
                    self.out.push_str(self.newline);
                }
            }
            Value::String(s) if folded_ok(s) && self.rng.one_in(4) => {
                self.out.push_str(" >-");
                self.out.push_str(self.newline);
                self.pad(indent + 2);
                self.out.push_str(s);
                self.out.push_str(self.newline);
            }
            Value::Null if self.rng.one_in(3) => self.line_end(),
            _ => {
                self.out.push(' ');
                let flow = self.flow(v, indent);
                self.out.push_str(&flow);
                self.line_end();
            }
        }
    }

    /// A value in flow style (an alias, or a node perhaps anchored); only double-quoted
    /// strings span lines, indented past `indent`.
    fn flow(&mut self, v: &Value, indent: usize) -> String {
        if let Some(alias) = self.alias(v) {
            // In a flow collection an alias is followed by `,` or a bracket: keep a space.
            return format!("{alias} ");
        }
        let anchor = self.anchor(v);
        let node = self.flow_node(v, indent);
        format!("{anchor}{node}")
    }

    fn flow_node(&mut self, v: &Value, indent: usize) -> String {
        match v {
            Value::Null => {
                ["null", "~", "Null", "NULL", "!!null null"][(self.rng.next() % 5) as usize].into()
            }
            Value::Bool(b) => match (b, self.rng.next() % 4) {
                (true, 0) => "True".into(),
                (true, 1) => "!!bool true".into(),
                (true, _) => "true".into(),
                (false, 0) => "FALSE".into(),
                (false, 1) => "!!bool false".into(),
                (false, _) => "false".into(),
            },
            Value::Number(n) => {
                let tag = match (n.is_i64(), n.is_f64(), self.rng.next() % 6) {
                    (true, _, 0) => "!!int ",
                    (_, true, 0) => "!!float ",
                    (_, _, 1) => "!local ",
                    _ => "",
                };
                format!("{tag}{n}")
            }
            Value::String(s) => {
                let tag = match self.rng.next() % 8 {
                    0 => "!!str ",
                    1 => "!local ",
                    _ => "",
                };
                let s = self.scalar_string(s, false, indent);
                format!("{tag}{s}")
            }
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(|i| self.flow(i, indent)).collect();
                format!("[{}]", items.join(", "))
            }
            Value::Object(map) => {
                let entries: Vec<String> = map
                    .iter()
                    .map(|(k, v)| {
                        let k = self.scalar_string(k, true, indent);
                        let v = self.flow(v, indent);
                        format!("{k}: {v}")
                    })
                    .collect();
                format!("{{{}}}", entries.join(", "))
            }
        }
    }

    /// A string as a plain, single-quoted or double-quoted scalar.
    fn scalar_string(&mut self, s: &str, key: bool, indent: usize) -> String {
        let choice = self.rng.next() % 3;
        if choice == 0 && plain_ok(s) {
            return s.to_owned();
        }
        let single_ok = s
            .chars()
            .all(|c| printable(c) && !matches!(c, '\n' | '\r' | '\t' | '\u{85}' | '\u{2028}'));
        // A single-quoted key must fit on one line, like any implicit key.
        if choice == 1 && single_ok && !(key && s.len() > 1000) {
            return format!("'{}'", s.replace('\'', "''"));
        }
        self.double_quoted(s, !key, indent)
    }

    /// A double-quoted scalar; when `multiline`, sometimes broken with escaped line breaks
    /// (`\` at the end of a line, the continuation indented past `indent`).
    fn double_quoted(&mut self, s: &str, multiline: bool, indent: usize) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            if multiline && c != ' ' && c != '\t' && self.rng.one_in(12) {
                out.push('\\');
                out.push_str(self.newline);
                out.extend(std::iter::repeat_n(
                    ' ',
                    indent + 1 + (self.rng.next() % 3) as usize,
                ));
            }
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' if self.rng.one_in(2) => out.push_str("\\t"),
                '/' if self.rng.one_in(2) => out.push_str("\\/"),
                '\u{85}' => out.push_str("\\N"),
                '\u{a0}' if self.rng.one_in(2) => out.push_str("\\_"),
                '\u{2028}' => out.push_str("\\L"),
                c if !printable(c) || c == '\t' => out.push_str(&format!("\\x{:02x}", c as u32)),
                c if !c.is_ascii() && self.rng.one_in(4) => {
                    if (c as u32) < 0x10000 {
                        out.push_str(&format!("\\u{:04X}", c as u32));
                    } else {
                        out.push_str(&format!("\\U{:08x}", c as u32));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}

/// JSON with random layout (space, tab, `\n`, `\r\n` between tokens) and random escapes
/// (`\/`, `\uXXXX` for any character, surrogate pairs for astral ones).
fn json_emit(value: &Value, seed: u64) -> String {
    fn ws(rng: &mut Rng, out: &mut String) {
        const WS: &[&str] = &["", "", "", " ", "\n", "\r\n", "\t", "\n    ", "\r"];
        out.push_str(WS[(rng.next() % WS.len() as u64) as usize]);
    }
    fn string(rng: &mut Rng, s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' if rng.one_in(2) => out.push_str("\\n"),
                '\r' if rng.one_in(2) => out.push_str("\\r"),
                '\t' if rng.one_in(2) => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '/' if rng.one_in(2) => out.push_str("\\/"),
                c if c < ' ' || rng.one_in(5) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        if rng.one_in(2) {
                            out.push_str(&format!("\\u{unit:04x}"));
                        } else {
                            out.push_str(&format!("\\u{unit:04X}"));
                        }
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
    fn node(rng: &mut Rng, v: &Value, out: &mut String) {
        match v {
            Value::String(s) => string(rng, s, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(rng, out);
                    node(rng, item, out);
                    ws(rng, out);
                }
                out.push(']');
            }
            Value::Object(map) => {
                out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(rng, out);
                    string(rng, k, out);
                    ws(rng, out);
                    out.push(':');
                    ws(rng, out);
                    node(rng, v, out);
                    ws(rng, out);
                }
                out.push('}');
            }
            v => out.push_str(&v.to_string()),
        }
    }
    let mut rng = Rng::new(seed);
    let mut out = String::new();
    ws(&mut rng, &mut out);
    node(&mut rng, value, &mut out);
    ws(&mut rng, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Serializing and mutating
// ---------------------------------------------------------------------------------------------

/// How a value becomes text.
#[derive(Debug, Clone, Copy)]
enum Style {
    JsonCompact,
    JsonPretty { crlf: bool },
    Json { seed: u64 },
    Yaml { seed: u64 },
}

fn style() -> impl Strategy<Value = Style> {
    prop_oneof![
        1 => Just(Style::JsonCompact),
        1 => any::<bool>().prop_map(|crlf| Style::JsonPretty { crlf }),
        2 => any::<u64>().prop_map(|seed| Style::Json { seed }),
        3 => any::<u64>().prop_map(|seed| Style::Yaml { seed }),
    ]
}

fn serialize(value: &Value, style: Style) -> (String, Format) {
    match style {
        Style::JsonCompact => (serde_json::to_string(value).unwrap(), Format::Json),
        Style::JsonPretty { crlf } => {
            let text = serde_json::to_string_pretty(value).unwrap();
            // JSON strings hold no raw line breaks: every `\n` is layout.
            let text = if crlf {
                text.replace('\n', "\r\n")
            } else {
                text
            };
            (text, Format::Json)
        }
        Style::Json { seed } => (json_emit(value, seed), Format::Json),
        Style::Yaml { seed } => (YamlEmitter::emit(value, seed), Format::Yaml),
    }
}

/// Characters a mutation inserts: syntax, line breaks, multi-byte, a BOM, a NUL.
const INSERTED: &[char] = &[
    '"', '\'', '{', '}', '[', ']', ':', ',', '-', '#', '\t', '\n', '\r', ' ', '中', '😀', '&', '*',
    '!', '|', '>', '\\', '?', '\u{feff}', '\0', '\u{85}',
];

/// One damage done to a serialized text.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(Index),
    Insert(Index, char),
    Delete(Index),
    DuplicateLine(Index),
    Bom,
    InvalidByte(Index, u8),
    Snippet(Index, &'static str),
}

/// Bits of syntax a mutation inserts: anchors, aliases, tags, indicators, escapes.
const SNIPPETS: &[&str] = &[
    "&x ",
    "*x",
    "*x ",
    "!!int ",
    "!!str ",
    "!!bool ",
    "!!float ",
    "!!map ",
    "? ",
    ": ",
    "- ",
    "|+\n",
    ">-\n",
    "|2\n",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "<<: *x\n",
    "[",
    "{a: ",
    "\"\\u12",
    "\"\\ud83d\"",
    "\"\\ud83d\\ude00\"",
    "\\uDE00",
    "'",
    "#",
    " #c\n",
    "\t",
    "\r\n",
    ",",
    "{}",
    "[]",
    "&x [*x]",
    "0x1F",
    "1e999",
    "-",
    "null",
    "\"\\x\"",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => any::<Index>().prop_map(Mutation::Truncate),
        3 => (any::<Index>(), prop::sample::select(INSERTED)).prop_map(|(i, c)| Mutation::Insert(i, c)),
        2 => any::<Index>().prop_map(Mutation::Delete),
        2 => any::<Index>().prop_map(Mutation::DuplicateLine),
        1 => Just(Mutation::Bom),
        1 => (any::<Index>(), prop::sample::select(vec![0x80u8, 0xC3, 0xE4, 0xF0, 0xFF]))
            .prop_map(|(i, b)| Mutation::InvalidByte(i, b)),
        3 => (any::<Index>(), prop::sample::select(SNIPPETS))
            .prop_map(|(i, s)| Mutation::Snippet(i, s)),
    ]
}

fn mutate(text: &str, mutation: &Mutation) -> Vec<u8> {
    let bounds = boundaries(text);
    let at = |i: &Index| bounds[i.index(bounds.len())];
    match mutation {
        Mutation::Truncate(i) => text.as_bytes()[..at(i)].to_vec(),
        Mutation::Insert(i, c) => {
            let mut s = text.to_owned();
            s.insert(at(i), *c);
            s.into_bytes()
        }
        Mutation::Delete(i) => {
            let start = at(i);
            let end = text[start..]
                .chars()
                .next()
                .map_or(start, |c| start + c.len_utf8());
            format!("{}{}", &text[..start], &text[end..]).into_bytes()
        }
        Mutation::DuplicateLine(i) => {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            if lines.is_empty() {
                return Vec::new();
            }
            let n = i.index(lines.len());
            let mut out = String::new();
            for (k, line) in lines.iter().enumerate() {
                out.push_str(line);
                if k == n {
                    if !line.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str(line);
                }
            }
            out.into_bytes()
        }
        Mutation::Bom => {
            let mut bytes = b"\xEF\xBB\xBF".to_vec();
            bytes.extend_from_slice(text.as_bytes());
            bytes
        }
        Mutation::Snippet(i, snippet) => {
            let mut s = text.to_owned();
            s.insert_str(at(i), snippet);
            s.into_bytes()
        }
        Mutation::InvalidByte(i, b) => {
            let mut bytes = text.as_bytes().to_vec();
            bytes.insert(at(i), *b);
            bytes
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Templates from fixtures/examples
// ---------------------------------------------------------------------------------------------

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const EXAMPLES: &[&str] = &[
    "fixtures/examples/plans/wxit-570201-2021.yaml",
    "fixtures/examples/plans/szpt-530701-2021.json",
    "fixtures/examples/registries/batch-4.yaml",
    "fixtures/examples/reports/wxit-vets-2021.yaml",
    "fixtures/examples/standards/vets.yaml",
];

/// The example documents, loaded once: the workspace every check runs in, and the values the
/// perturbed documents start from.
fn examples() -> &'static [Document] {
    static EXAMPLES_LOADED: OnceLock<Vec<Document>> = OnceLock::new();
    EXAMPLES_LOADED.get_or_init(|| {
        EXAMPLES
            .iter()
            .map(|path| {
                let bytes = std::fs::read(root().join(path)).expect("example exists");
                let format = Format::from_path(path.as_ref());
                let doc = load::load((*path).to_owned(), &bytes, format, Lang::En);
                assert!(doc.value.is_some(), "{path} loads");
                doc
            })
            .collect()
    })
}

fn workspace() -> &'static Workspace {
    static WORKSPACE: OnceLock<Workspace> = OnceLock::new();
    WORKSPACE.get_or_init(|| {
        let mut workspace = Workspace::default();
        for doc in examples() {
            workspace.add(doc);
        }
        workspace
    })
}

/// The bundled engine, compiled once per test binary (about 300 CEL expressions).
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::bundled(Config::default_at(root()), Lang::En).expect("bundled engine builds")
    })
}

/// One change to a value at a node chosen by index.
#[derive(Debug, Clone)]
enum Edit {
    Replace(Value),
    Remove,
    RenameKey(String),
    Nudge(i64),
    Retype,
    Duplicate,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => leaf().prop_map(Edit::Replace),
        1 => value().prop_map(Edit::Replace),
        3 => Just(Edit::Remove),
        2 => key().prop_map(Edit::RenameKey),
        3 => (-20i64..20).prop_map(Edit::Nudge),
        2 => Just(Edit::Retype),
        2 => Just(Edit::Duplicate),
    ]
}

fn apply(value: &mut Value, at: &Index, edit: &Edit) {
    let mut all = Vec::new();
    pointers(value, String::new(), &mut all);
    let target = all[at.index(all.len())].clone();
    let parent = pointer::parent(&target).map(str::to_owned);
    let last = pointer::tokens(&target).pop();
    let node = value.pointer_mut(&target).expect("pointer of the value");
    match edit {
        Edit::Replace(v) => *node = v.clone(),
        Edit::Nudge(d) => match node {
            Value::Number(n) => {
                *n = match n.as_i64() {
                    Some(i) => Number::from(i.saturating_add(*d)),
                    None => Number::from_f64(n.as_f64().unwrap_or(0.0) + *d as f64)
                        .unwrap_or_else(|| Number::from(0)),
                }
            }
            Value::String(s) => {
                if *d < 0 {
                    let keep = s.chars().count().saturating_sub(d.unsigned_abs() as usize);
                    *s = s.chars().take(keep).collect();
                } else {
                    s.push_str(&"中x".repeat(*d as usize));
                }
            }
            Value::Bool(b) => *b = !*b,
            _ => *node = Value::Null,
        },
        Edit::Retype => {
            *node = match &*node {
                Value::Number(n) => Value::String(n.to_string()),
                Value::String(s) => s
                    .parse::<Number>()
                    .map(Value::Number)
                    .unwrap_or(Value::Bool(true)),
                Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
                Value::Object(_) => Value::Array(vec![node.clone()]),
                Value::Bool(_) | Value::Null => Value::from(1),
            }
        }
        Edit::Remove | Edit::RenameKey(_) | Edit::Duplicate => {
            let (Some(parent), Some(last)) = (parent, last) else {
                return;
            };
            let parent = value.pointer_mut(&parent).expect("parent exists");
            match (parent, edit) {
                (Value::Object(map), Edit::Remove) => {
                    map.shift_remove(&last);
                }
                (Value::Array(items), Edit::Remove) => {
                    items.remove(last.parse::<usize>().expect("index"));
                }
                (Value::Object(map), Edit::RenameKey(suffix)) => {
                    if let Some(v) = map.shift_remove(&last) {
                        map.insert(format!("{last}{suffix}"), v);
                    }
                }
                (Value::Array(items), Edit::Duplicate) => {
                    let i = last.parse::<usize>().expect("index");
                    items.insert(i, items[i].clone());
                }
                (Value::Object(map), Edit::Duplicate) => {
                    let v = map[&last].clone();
                    map.insert(format!("{last}_2"), v);
                }
                _ => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The document properties
// ---------------------------------------------------------------------------------------------

fn span_ok(text: &str, span: &Range<usize>, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} outside 0..{}",
        text.len()
    );
    prop_assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} not on character boundaries of {text:?}"
    );
    Ok(())
}

/// Loads `bytes`, checks the span index, compares the value with `expected` (for texts that
/// are a faithful serialization), then runs the engine and checks every reported span.
fn load_and_check(
    bytes: &[u8],
    format: Format,
    expected: Option<&Value>,
    origin: Origin,
) -> Result<(), TestCaseError> {
    let name = match format {
        Format::Json => "zz/generated.json",
        Format::Yaml => "zz/generated.yaml",
    };
    let doc = load::load(name.to_owned(), bytes, Some(format), Lang::En);
    let source = doc.source.clone();
    let text = source.text.as_str();
    prop_assert_eq!(
        doc.source.lines().line_count(),
        LineIndex::new(text).line_count()
    );
    for (p, node) in doc.spans.iter() {
        span_ok(text, &node.value, &format!("value span of `{p}`"))?;
        if let Some(key) = &node.key {
            span_ok(text, key, &format!("key span of `{p}`"))?;
        }
        // After a duplicate key too: the loaders drop the spans of the replaced value.
        let value = doc.value.as_ref();
        prop_assert!(
            value.and_then(|v| v.pointer(p)).is_some(),
            "`{p}` is in the span index but not in the value"
        );
    }
    for d in &doc.diagnostics {
        span_ok(
            text,
            &d.span,
            &format!("load diagnostic {} {:?}", d.rule, d.message),
        )?;
    }
    if let Some(expected) = expected {
        prop_assert!(
            doc.diagnostics.is_empty(),
            "a faithful serialization loads without findings: {:#?}",
            doc.diagnostics
        );
        let value = doc.value.as_ref();
        prop_assert!(
            value.is_some_and(|v| same(v, expected)),
            "loaded {value:?}\nexpected {expected:?}"
        );
        // Every value has a span, except inside a YAML alias: the alias's span stands for
        // everything it copies.
        let mut all = Vec::new();
        pointers(expected, String::new(), &mut all);
        for p in all {
            if doc.spans.get(&p).is_some() {
                continue;
            }
            let mut ancestor = p.as_str();
            while doc.spans.get(ancestor).is_none() {
                ancestor = pointer::parent(ancestor).expect("the root has a span");
            }
            let span = doc.spans.get(ancestor).unwrap().value.clone();
            prop_assert!(
                format == Format::Yaml && text[span.clone()].starts_with('*'),
                "no span for `{p}`, and `{ancestor}` at {span:?} is no alias"
            );
        }
    }
    let engine = engine();
    let mut with_doc = workspace().clone();
    with_doc.add(&doc);
    let run = engine.prepare(with_doc);
    let Some(report) = engine.check(doc, origin, &run) else {
        prop_assert_eq!(
            origin,
            Origin::Walked,
            "an explicit file is always reported"
        );
        return Ok(());
    };
    prop_assert!(std::sync::Arc::ptr_eq(&report.source, &source));
    for d in &report.diagnostics {
        let what = format!("{} {:?} at {:?}", d.rule, d.message, d.pointer);
        span_ok(text, &d.span, &what)?;
        for related in &d.related {
            let what = format!("{what}, related {:?}", related.message);
            match &related.source {
                None => span_ok(text, &related.span, &what)?,
                Some(file) => span_ok(&file.text, &related.span, &what)?,
            }
        }
    }
    Ok(())
}

fn origin() -> impl Strategy<Value = Origin> {
    prop_oneof![3 => Just(Origin::Explicit), 1 => Just(Origin::Walked)]
}

proptest! {
    #![proptest_config(config())]

    /// A generated value written as JSON or YAML loads back as itself, with a span for every
    /// value and only sound spans in the load and check findings.
    #[test]
    fn serialized_values_load_back_with_sound_spans(
        value in document(),
        style in style(),
        origin in origin(),
    ) {
        let (text, format) = serialize(&value, style);
        load_and_check(text.as_bytes(), format, Some(&value), origin)?;
    }

    /// JSON is (nearly) YAML: a JSON text loaded as YAML still has sound spans.
    #[test]
    fn json_loaded_as_yaml_has_sound_spans(value in document(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            serde_json::to_string(&value).unwrap()
        };
        load_and_check(text.as_bytes(), Format::Yaml, None, Origin::Explicit)?;
    }

    /// Damaged texts (truncated, a character inserted or deleted, a line duplicated, a BOM, an
    /// invalid byte) still produce only sound spans.
    #[test]
    fn mutated_texts_have_sound_spans(
        value in document(),
        style in style(),
        mutations in prop::collection::vec(mutation(), 1..3),
        origin in origin(),
    ) {
        let (text, format) = serialize(&value, style);
        let mut bytes = text.into_bytes();
        for m in &mutations {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            bytes = mutate(&text, m);
        }
        load_and_check(&bytes, format, None, origin)?;
    }

    /// Perturbed copies of the example documents (values replaced, keys renamed or removed,
    /// items duplicated), so that schema and policy rules fire: faithful serializations load
    /// back as the perturbed value, and every finding's span (related ones in other files
    /// included) is sound; damaged ones too.
    #[test]
    fn perturbed_examples_have_sound_spans(
        example in any::<Index>(),
        edits in prop::collection::vec((any::<Index>(), edit()), 0..5),
        style in style(),
        mutation in prop::option::weighted(0.25, mutation()),
    ) {
        let examples = examples();
        let mut value = examples[example.index(examples.len())]
            .value
            .clone()
            .expect("examples load");
        for (at, edit) in &edits {
            apply(&mut value, at, edit);
        }
        let (text, format) = serialize(&value, style);
        match &mutation {
            None => load_and_check(text.as_bytes(), format, Some(&value), Origin::Explicit)?,
            Some(m) => load_and_check(&mutate(&text, m), format, None, Origin::Explicit)?,
        }
    }
}

/// The unperturbed examples raise schema and policy findings with related spans in another
/// file, so the property above does reach the code that builds them.
#[test]
fn examples_reach_policy_rules_and_cross_file_spans() {
    let doc = &examples()[0];
    let value = doc.value.clone().unwrap();
    let (text, format) = serialize(&value, Style::Yaml { seed: 7 });
    let doc = load::load(
        "zz/plan.yaml".into(),
        text.as_bytes(),
        Some(format),
        Lang::En,
    );
    let mut with_doc = workspace().clone();
    with_doc.add(&doc);
    let run = engine().prepare(with_doc);
    let report = engine().check(doc, Origin::Explicit, &run).unwrap();
    let rules: Vec<&str> = report.diagnostics.iter().map(|d| d.rule.as_str()).collect();
    for rule in ["schema-enum", "credit-cap", "task-coverage", "duplicate-id"] {
        assert!(rules.contains(&rule), "{rule} in {rules:?}");
    }
    assert!(
        report
            .diagnostics
            .iter()
            .flat_map(|d| &d.related)
            .any(|r| r.source.is_some()),
        "a related span in another file"
    );
}

/// Regression (found by `mutated_texts_have_sound_spans` duplicating a line): the span index
/// kept the pointers of a value that a duplicate key replaced.
#[test]
fn no_stale_spans_after_a_duplicate_key() {
    let dir = root().join("tests/regressions");
    for name in [
        "stale-span-after-duplicate-key.yaml",
        "stale-span-after-duplicate-key.json",
    ] {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).expect("regression file");
        let doc = load::load(name.into(), &bytes, Format::from_path(&path), Lang::En);
        let value = doc.value.as_ref().expect("loads");
        for (p, _) in doc.spans.iter() {
            assert!(value.pointer(p).is_some(), "{name}: stale span for `{p}`");
        }
    }
}
