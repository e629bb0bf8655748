//! `--format short`: one line per finding, `path:line:col: severity[rule]: message`.

use std::fmt::Write;

use super::RunReport;

/// Renders every finding on its own line; columns count characters.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    for file in &report.files {
        for d in &file.diagnostics {
            let at = file.source.line_col(d.span.start);
            let message = d.message.replace(['\n', '\r'], " ");
            let _ = writeln!(
                out,
                "{}:{}:{}: {}[{}]: {}",
                file.source.path,
                at.line,
                at.column,
                d.severity.as_str(),
                d.rule,
                message
            );
        }
    }
    out
}
