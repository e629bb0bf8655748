//! `--format human`: miette's graphical reports, with a location header that counts
//! characters (miette's own counts bytes), snippets of distant labels kept apart, long lines
//! cut around their labels, and a summary line.

use std::fmt;
use std::sync::Arc;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use super::RunReport;
use super::elide::Shown;
use crate::diagnostic::{Diagnostic, Severity, SourceFile};
use crate::lang::Lang;

/// How the human format looks.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Use colours.
    pub color: bool,
    /// Wrap width in columns.
    pub width: usize,
    /// Language of the summary line.
    pub lang: Lang,
}

/// A source file as miette reads it: long lines cut around the labels, and the header's
/// column counted in characters of the original line.
struct Snippet {
    shown: Shown,
    original: Arc<SourceFile>,
}

impl Snippet {
    /// The snippet of `file` for labels at `spans` (file offsets), and those spans as shown.
    fn new(file: &Arc<SourceFile>, spans: &[std::ops::Range<usize>]) -> (Self, Vec<SourceSpan>) {
        let shown = Shown::new(file, spans);
        let mapped = spans
            .iter()
            .map(|s| {
                let s = shown.span(s);
                SourceSpan::from(s.start..s.end)
            })
            .collect();
        let snippet = Self {
            shown,
            original: file.clone(),
        };
        (snippet, mapped)
    }
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .shown
            .source
            .text
            .as_str()
            .read_span(span, before, after)?;
        let column = if before == 0 {
            let offset = self.shown.original(span.offset());
            (self.original.line_col(offset).column as usize).saturating_sub(1)
        } else {
            inner.column()
        };
        // miette's own `line_count` counts from the start of the file, which makes it merge
        // the snippets of two labels far apart; count the lines of this context instead.
        let data = inner.data();
        let lines =
            data.iter().filter(|b| **b == b'\n').count() + usize::from(!data.ends_with(b"\n"));
        Ok(Box::new(MietteSpanContents::new_named(
            self.original.path.clone(),
            data,
            *inner.span(),
            inner.line(),
            column,
            lines,
        )))
    }
}

/// One finding in miette's terms.
struct Report {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Snippet,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// Spans longer than this many lines are drawn on their first line only; the JSON output
/// keeps the whole span.
const MAX_DRAWN_LINES: usize = 4;

fn drawn(source: &SourceFile, span: &std::ops::Range<usize>) -> std::ops::Range<usize> {
    let span = source.clamp(span);
    let lines = source.lines().line_of(span.end) - source.lines().line_of(span.start);
    if lines < MAX_DRAWN_LINES {
        return span;
    }
    crate::check::first_line(&source.text, span)
}

fn to_miette(source: &Arc<SourceFile>, d: &Diagnostic) -> Report {
    // Labels in this file: the primary one, then the related ones without a file of their own.
    let local: Vec<&crate::diagnostic::Related> =
        d.related.iter().filter(|r| r.source.is_none()).collect();
    let spans: Vec<_> = std::iter::once(&d.span)
        .chain(local.iter().map(|r| &r.span))
        .map(|s| drawn(source, s))
        .collect();
    let (snippet, shown) = Snippet::new(source, &spans);
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        d.label.clone(),
        shown[0],
    )];
    for (r, span) in local.iter().zip(&shown[1..]) {
        labels.push(LabeledSpan::new_with_span(Some(r.message.clone()), *span));
    }
    let mut related = Vec::new();
    for r in &d.related {
        if let Some(other) = &r.source {
            let (snippet, shown) = Snippet::new(other, &[drawn(other, &r.span)]);
            related.push(Report {
                message: r.message.clone(),
                code: String::new(),
                severity: miette::Severity::Advice,
                help: None,
                source: snippet,
                labels: vec![LabeledSpan::new_primary_with_span(None, shown[0])],
                related: Vec::new(),
            });
        }
    }
    Report {
        message: d.message.clone(),
        code: d.rule.clone(),
        severity: miette_severity(d.severity),
        help: d.help.clone(),
        source: snippet,
        labels,
        related,
    }
}

/// The report handler for a style; tests use the colourless theme at a fixed width.
pub fn handler(style: Style) -> GraphicalReportHandler {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(style.width)
}

/// Renders every finding, then a summary line.
pub fn render(report: &RunReport, style: Style) -> String {
    let handler = handler(style);
    let mut out = String::new();
    for file in &report.files {
        for d in &file.diagnostics {
            let _ = handler.render_report(&mut out, &to_miette(&file.source, d));
            out.push('\n');
        }
    }
    out.push_str(&summary_line(report, style.lang));
    out.push('\n');
    out
}

/// Renders findings without a summary (configuration errors).
pub fn render_reports(files: &[crate::diagnostic::FileReport], style: Style) -> String {
    let handler = handler(style);
    let mut out = String::new();
    for file in files {
        for d in &file.diagnostics {
            let _ = handler.render_report(&mut out, &to_miette(&file.source, d));
            out.push('\n');
        }
    }
    out
}

fn summary_line(report: &RunReport, lang: Lang) -> String {
    let s = report.summary();
    let files_with = report
        .files
        .iter()
        .filter(|f| !f.diagnostics.is_empty())
        .count();
    let total = s.errors + s.warnings + s.infos;
    match lang {
        Lang::En => {
            let plural = |n: usize, word: &str| {
                if n == 1 {
                    format!("{n} {word}")
                } else {
                    format!("{n} {word}s")
                }
            };
            if total == 0 {
                format!("Checked {}: no problems found.", plural(s.files, "file"))
            } else {
                format!(
                    "Checked {}: {}, {}, {} (in {} of them).",
                    plural(s.files, "file"),
                    plural(s.errors, "error"),
                    plural(s.warnings, "warning"),
                    plural(s.infos, "info"),
                    files_with
                )
            }
        }
        Lang::Zh => {
            if total == 0 {
                format!("检查了 {} 个文件：没有发现问题。", s.files)
            } else {
                format!(
                    "检查了 {} 个文件：{} 个错误，{} 个警告，{} 条提示（涉及其中 {} 个文件）。",
                    s.files, s.errors, s.warnings, s.infos, files_with
                )
            }
        }
    }
}
