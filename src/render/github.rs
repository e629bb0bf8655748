//! `--format github`: GitHub Actions workflow commands, one annotation per finding, shown on
//! the pull request's diff (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=rule::…`).

use std::fmt::Write;

use super::RunReport;
use crate::diagnostic::Severity;

/// Renders one workflow command per finding.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    for file in &report.files {
        for d in &file.diagnostics {
            let span = file.source.clamp(&d.span);
            let start = file.source.line_col(span.start);
            let end = file.source.line_col(span.end);
            // GitHub's end column is inclusive, vetlint's exclusive.
            let end_column = if end.line == start.line {
                end.column.saturating_sub(1).max(start.column)
            } else {
                end.column
            };
            let command = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push('\n');
                message.push_str(help);
            }
            let _ = writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                property(&file.source.path),
                start.line,
                start.column,
                end.line,
                end_column,
                property(&d.rule),
                data(&message)
            );
        }
    }
    out
}

/// Escapes a command's message: `%`, CR and LF.
pub fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: as a message, plus `:` and `,`.
pub fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escapes() {
        assert_eq!(data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
