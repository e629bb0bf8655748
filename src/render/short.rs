//! `--format short`: one line per finding, `path:line:col: severity[rule]: message`.

use std::fmt::Write;

use super::RunReport;
use crate::diagnostic::{Diagnostic, SourceFile};

/// Renders every finding on its own line; columns count characters.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    for file in &report.files {
        for d in &file.diagnostics {
            let _ = writeln!(out, "{}", line(&file.source, d));
        }
    }
    out
}

/// One finding as `path:line:col: severity[rule]: message`, on one line.
pub fn line(source: &SourceFile, d: &Diagnostic) -> String {
    let at = source.line_col(d.span.start);
    let message = d.message.replace(['\n', '\r'], " ");
    format!(
        "{}:{}:{}: {}[{}]: {}",
        source.path,
        at.line,
        at.column,
        d.severity.as_str(),
        d.rule,
        message
    )
}
