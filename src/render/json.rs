//! `--format json`: the stable, versioned machine format of DESIGN.md §4.

use serde::Serialize;

use super::{RunReport, Summary};
use crate::diagnostic::{Severity, SourceFile};

/// Version of the JSON format; bumped on any incompatible change.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    path: &'a str,
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pointer: Option<&'a str>,
    span: JsonSpan,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated<'a>>,
    fingerprint: &'a str,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: &'a str,
    message: &'a str,
    span: JsonSpan,
}

#[derive(Serialize)]
struct JsonSpan {
    start: JsonPos,
    end: JsonPos,
}

#[derive(Serialize)]
struct JsonPos {
    line: u32,
    column: u32,
    offset: usize,
}

fn span(source: &SourceFile, span: &std::ops::Range<usize>) -> JsonSpan {
    let span = source.clamp(span);
    let pos = |offset: usize| {
        let lc = source.line_col(offset);
        JsonPos {
            line: lc.line,
            column: lc.column,
            offset,
        }
    };
    JsonSpan {
        start: pos(span.start),
        end: pos(span.end),
    }
}

/// Renders the report as pretty-printed JSON.
pub fn render(report: &RunReport) -> String {
    let mut diagnostics = Vec::new();
    for file in &report.files {
        for d in &file.diagnostics {
            let related = d
                .related
                .iter()
                .map(|r| {
                    let source = r.source.as_deref().unwrap_or(&file.source);
                    JsonRelated {
                        path: &source.path,
                        message: &r.message,
                        span: span(source, &r.span),
                    }
                })
                .collect();
            diagnostics.push(JsonDiagnostic {
                path: &file.source.path,
                rule: &d.rule,
                severity: d.severity,
                message: &d.message,
                help: d.help.as_deref(),
                pointer: d.pointer.as_deref(),
                span: span(&file.source, &d.span),
                related,
                fingerprint: &d.fingerprint,
            });
        }
    }
    let output = Output {
        version: VERSION,
        diagnostics,
        summary: report.summary(),
    };
    let mut text = serde_json::to_string_pretty(&output).unwrap_or_default();
    text.push('\n');
    text
}
