//! Diagnostics: what vetlint found, where, and under which rule; plus the source files they
//! point into.

use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::position::{LineCol, LineIndex};

/// How serious a finding is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: worth knowing, never fails a run by default.
    Info,
    /// Probably wrong; fails a run only with `--fail-on warning`.
    Warning,
    /// Wrong: fails a run.
    Error,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One input file as vetlint saw it: a display path and its decoded text.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as printed: relative to the working directory when under it, `/`-separated.
    pub path: String,
    /// The decoded text (a UTF-8 byte-order mark removed); spans are byte offsets into it.
    pub text: String,
    /// Line starts of `text`, indexed when first needed (a file without findings never is).
    lines: std::sync::OnceLock<LineIndex>,
}

impl SourceFile {
    /// Wraps a decoded text.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            path: path.into(),
            text: text.into(),
            lines: std::sync::OnceLock::new(),
        })
    }

    /// Line starts of `text`.
    pub fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines().line_col(&self.text, offset)
    }

    /// Clamps a span into the text, on character boundaries.
    pub fn clamp(&self, span: &Range<usize>) -> Range<usize> {
        let start = LineIndex::clamp(&self.text, span.start);
        let end = LineIndex::clamp(&self.text, span.end).max(start);
        start..end
    }
}

/// A secondary location, in the same file or another one.
#[derive(Debug, Clone)]
pub struct Related {
    /// The file the location is in; `None` for the diagnostic's own file.
    pub source: Option<Arc<SourceFile>>,
    /// Byte span in that file.
    pub span: Range<usize>,
    /// What this location means.
    pub message: String,
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable kebab-case rule name.
    pub rule: String,
    /// Effective severity (the rule's default, or the configured override).
    pub severity: Severity,
    /// A sentence for people.
    pub message: String,
    /// Short text under the primary span, if any.
    pub label: Option<String>,
    /// How to fix it, if vetlint knows.
    pub help: Option<String>,
    /// JSON Pointer of the value the finding is about, when there is one.
    pub pointer: Option<String>,
    /// Byte span in the file.
    pub span: Range<usize>,
    /// Secondary locations.
    pub related: Vec<Related>,
    /// Stable identity (see [`crate::identity`]); empty until the check fills it in.
    pub fingerprint: String,
    /// A mechanical fix, when vetlint knows one (editors offer it as a code action).
    pub fix: Option<Fix>,
}

/// Replace a span of the file with new text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What to replace.
    pub span: Range<usize>,
    /// The text to put there.
    pub replacement: String,
}

impl Diagnostic {
    /// A diagnostic of `rule` at `span`; severity is filled in from the rule set later.
    pub fn new(rule: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        Self {
            rule: rule.to_owned(),
            severity: Severity::Error,
            message: message.into(),
            label: None,
            help: None,
            pointer: None,
            span,
            related: Vec::new(),
            fingerprint: String::new(),
            fix: None,
        }
    }

    /// Sets the JSON Pointer.
    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// Sets the label under the primary span.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary location.
    pub fn with_related(
        mut self,
        source: Option<Arc<SourceFile>>,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        self.related.push(Related {
            source,
            span,
            message: message.into(),
        });
        self
    }
}

/// The findings of one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file.
    pub source: Arc<SourceFile>,
    /// Its findings, sorted by offset then rule.
    pub diagnostics: Vec<Diagnostic>,
}

impl FileReport {
    /// Sorts the findings by offset, end, rule, then message, so output never depends on the
    /// order in which they were found.
    pub fn sort(&mut self) {
        self.diagnostics.sort_by(|a, b| {
            (a.span.start, &a.rule, a.span.end, &a.message, &a.pointer).cmp(&(
                b.span.start,
                &b.rule,
                b.span.end,
                &b.message,
                &b.pointer,
            ))
        });
        self.diagnostics
            .dedup_by(|a, b| a.span == b.span && a.rule == b.rule && a.message == b.message);
    }
}
