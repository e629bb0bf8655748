//! Turns the bytes of one file into a document: decoded text, a JSON value and a span index,
//! plus the load diagnostics (`invalid-utf8`, `parse-error`, `duplicate-key`,
//! `multiple-documents`). Pure: the caller reads the bytes.

pub mod head;
pub mod json;
mod json_spans;
pub mod spans;
pub mod yaml;

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::lang::Lang;
use crate::limits::{Bytes, DEPTH_CEILING, Limits};
use crate::pointer;
pub(crate) use crate::rules::names as rule;
pub use spans::{NodeSpan, SpanIndex};

/// The syntax a file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Strict JSON.
    Json,
    /// YAML 1.2.
    Yaml,
}

impl Format {
    /// The format a file name implies (`.json`, `.yaml`, `.yml`), if any.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }

    /// Guesses from the content: JSON when it starts with `{` or `[`, YAML otherwise.
    pub fn sniff(text: &str) -> Self {
        match text.trim_start().chars().next() {
            Some('{' | '[') => Format::Json,
            _ => Format::Yaml,
        }
    }
}

/// A parsed value with its spans and the diagnostics found on the way.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The value, or `None` when the text could not be parsed.
    pub value: Option<Value>,
    /// Spans of every value in `value`.
    pub spans: SpanIndex,
    /// Load diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

/// One loaded file.
#[derive(Debug)]
pub struct Document {
    /// The file and its text.
    pub source: Arc<SourceFile>,
    /// Its syntax.
    pub format: Format,
    /// The value, or `None` when it could not be decoded or parsed.
    pub value: Option<Value>,
    /// Spans of every value.
    pub spans: SpanIndex,
    /// Diagnostics raised while loading.
    pub diagnostics: Vec<Diagnostic>,
}

impl Document {
    /// A file whose content could not be had (unreadable, too large): no text, no value, and
    /// the one finding that says why.
    pub fn unread(path: String, diagnostic: Diagnostic) -> Self {
        Self {
            source: SourceFile::new(path, String::new()),
            format: Format::Yaml,
            value: None,
            spans: SpanIndex::default(),
            diagnostics: vec![diagnostic],
        }
    }

    /// The top-level `kind` string, if the document has one.
    pub fn kind(&self) -> Option<&str> {
        self.value.as_ref()?.get("kind")?.as_str()
    }
}

/// Decodes and parses one file within the default [`Limits`]. `format` is `None` when the
/// name does not say; the content decides then.
pub fn load(path: String, bytes: &[u8], format: Option<Format>, lang: Lang) -> Document {
    load_with(path, bytes, format, lang, &Limits::default())
}

/// Decodes and parses one file within `limits`.
pub fn load_with(
    path: String,
    bytes: &[u8],
    format: Option<Format>,
    lang: Lang,
    limits: &Limits,
) -> Document {
    load_as(path, bytes, format, lang, limits, true)
}

/// [`load_with`], with the fast path for clean JSON (serde_json, spans built on first use)
/// or without it (`check --reference`).
pub fn load_as(
    path: String,
    bytes: &[u8],
    format: Option<Format>,
    lang: Lang,
    limits: &Limits,
    fast: bool,
) -> Document {
    if bytes.len() as u64 > limits.file_size {
        return too_large(path, bytes.len() as u64, limits.file_size, lang);
    }
    let (text, problem) = decode(bytes, lang);
    let format = format.unwrap_or_else(|| Format::sniff(&text));
    let source = SourceFile::new(path, text);
    if let Some(problem) = problem {
        return Document {
            source,
            format,
            value: None,
            spans: SpanIndex::default(),
            diagnostics: vec![problem],
        };
    }
    let depth = limits.depth.min(DEPTH_CEILING);
    if fast {
        let value = match format {
            Format::Json => json::fast(&source.text, depth),
            Format::Yaml => yaml::fast(&source.text, limits),
        };
        if let Some(value) = value {
            return Document {
                spans: SpanIndex::deferred(source.clone(), format, limits),
                source,
                format,
                value: Some(value),
                diagnostics: Vec::new(),
            };
        }
    }
    let mut loaded = match format {
        Format::Json => json::load(&source.text, lang, depth),
        Format::Yaml => yaml::load(&source.text, lang, limits),
    };
    if let Some(value) = &loaded.value
        && loaded
            .diagnostics
            .iter()
            .any(|d| d.rule == rule::DUPLICATE_KEY)
    {
        loaded.spans.retain_existing(value);
    }
    Document {
        source,
        format,
        value: loaded.value,
        spans: loaded.spans,
        diagnostics: loaded.diagnostics,
    }
}

/// The top-level `kind` and `id` of a file that [`load_with`] would load as JSON without a
/// finding, read without building its value; `None` when that is not certain (the caller
/// loads the file whole).
pub fn json_identity(
    bytes: &[u8],
    format: Option<Format>,
    limits: &Limits,
) -> Option<(Option<String>, Option<String>)> {
    match identity_text(bytes, format, limits)? {
        (text, Format::Json) => json::sniff(text, limits.depth.min(DEPTH_CEILING)),
        (_, Format::Yaml) => None,
    }
}

/// The top-level `kind` and `id` of a JSON or YAML file read from its head (see [`head`]):
/// `None` when that is not certain.
pub fn head_identity(
    bytes: &[u8],
    format: Option<Format>,
    limits: &Limits,
) -> Option<(String, String)> {
    match identity_text(bytes, format, limits)? {
        (text, Format::Json) => head::json(text),
        (text, Format::Yaml) => head::yaml(text),
    }
}

/// The text of a file [`load_with`] would read (within the size limit, UTF-8 without its
/// byte-order mark) and its format, for reading an identity without loading the file.
fn identity_text<'b>(
    bytes: &'b [u8],
    format: Option<Format>,
    limits: &Limits,
) -> Option<(&'b str, Format)> {
    if bytes.len() as u64 > limits.file_size {
        return None;
    }
    let text = utf8(bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Some((text, format.unwrap_or_else(|| Format::sniff(text))))
}

/// `bytes` as UTF-8 text: checked with SIMD first (std's check is several times slower on
/// Chinese text), and by std only to find where invalid bytes start.
fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(bytes),
    }
}

/// The document of a file too large to read: a `file-too-large` finding and nothing else.
pub fn too_large(path: String, size: u64, limit: u64, lang: Lang) -> Document {
    let message = match lang {
        Lang::En => format!(
            "the file is {} ({size} bytes), more than the {} limit; it was not read",
            Bytes(size),
            Bytes(limit)
        ),
        Lang::Zh => format!(
            "文件大小为 {}（{size} 字节），超过 {} 的上限，未读取",
            Bytes(size),
            Bytes(limit)
        ),
    };
    let diagnostic = Diagnostic::new(rule::FILE_TOO_LARGE, 0..0, message).with_help(lang.pick(
        "确认这是要检查的文件；确需检查时，在 vetlint.toml 的 [limits] 中调高 file-size",
        "check that this is the file you meant; if so, raise `file-size` under [limits] in vetlint.toml",
    ));
    Document::unread(path, diagnostic)
}

/// The `too-deep` diagnostic at the container that opens one level too many.
pub(crate) fn too_deep(at: Range<usize>, limit: usize, lang: Lang) -> Diagnostic {
    let message = match lang {
        Lang::En => format!("lists and mappings nest more than {limit} levels deep here"),
        Lang::Zh => format!("列表和映射在此处嵌套超过 {limit} 层"),
    };
    Diagnostic::new(rule::TOO_DEEP, at, message)
        .with_label(lang.pick(
            "超过上限的那一层从这里开始",
            "the level past the limit opens here",
        ))
        .with_help(lang.pick(
            "标准和方案只需要几层嵌套；检查是否有多余或未闭合的括号。确需更深时，在 vetlint.toml 的 [limits] 中调高 depth",
            "standards and plans need only a few levels: look for stray or unclosed brackets; if the nesting is real, raise `depth` under [limits] in vetlint.toml",
        ))
}

/// The opening bracket at `at`, or an empty span there when there is none (a YAML block
/// collection starts at its first entry).
pub(crate) fn bracket(text: &str, at: usize) -> Range<usize> {
    match text.as_bytes().get(at) {
        Some(b'[' | b'{') => at..at + 1,
        _ => at..at,
    }
}

/// UTF-8 text without its byte-order mark; invalid UTF-8 is replaced and reported.
fn decode(bytes: &[u8], lang: Lang) -> (String, Option<Diagnostic>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let message = lang.pick(
            "文件是 UTF-16 编码；vetlint 只读 UTF-8",
            "the file is UTF-16 encoded; vetlint reads UTF-8 only",
        );
        let diagnostic = Diagnostic::new(rule::INVALID_UTF8, 0..0, message)
            .with_help(lang.pick("把文件另存为 UTF-8", "save the file as UTF-8"));
        return (text, Some(diagnostic));
    }
    match utf8(bytes) {
        Ok(text) => (text.to_owned(), None),
        Err(error) => {
            let at = error.valid_up_to();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            let message = match lang {
                Lang::En => format!("the file is not valid UTF-8 (first bad byte at offset {at})"),
                Lang::Zh => format!("文件不是合法的 UTF-8 编码（第一个错误字节在偏移 {at}）"),
            };
            let diagnostic = Diagnostic::new(rule::INVALID_UTF8, at..end, message)
                .with_label(lang.pick("无法解码的字节", "undecodable bytes"))
                .with_help(lang.pick("把文件另存为 UTF-8", "save the file as UTF-8"));
            (text, Some(diagnostic))
        }
    }
}

/// The `duplicate-key` diagnostic: at the repeated key, with a label on the first one.
pub(crate) fn duplicate_key(
    name: &str,
    first: Range<usize>,
    again: Range<usize>,
    parent: &str,
    lang: Lang,
) -> Diagnostic {
    let message = match lang {
        Lang::En => format!("duplicate key `{name}`; the later value would silently win"),
        Lang::Zh => format!("重复的键 `{name}`；后一个值会悄悄覆盖前一个"),
    };
    let mut d = Diagnostic::new(rule::DUPLICATE_KEY, again, message)
        .with_pointer(pointer::push(parent, name))
        .with_label(lang.pick("再次出现", "repeated here"))
        .with_help(lang.pick(
            "删除其中一个，或合并两处的内容",
            "remove one of them or merge their contents",
        ));
    d.related.push(crate::diagnostic::Related {
        source: None,
        span: first,
        message: lang.pick("第一次出现", "first defined here").to_owned(),
    });
    d
}
