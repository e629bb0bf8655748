//! `--format junit`: JUnit XML for CI test-report views (GitLab, Jenkins, Azure DevOps): one
//! test case per checked file, one `<failure>` per finding. No timestamps, so the output is
//! deterministic.

use std::fmt::Write;

use super::RunReport;

/// Renders the report as one JUnit test suite.
pub fn render(report: &RunReport) -> String {
    let summary = report.summary();
    let failures = summary.errors + summary.warnings + summary.infos;
    let failed_files = report
        .files
        .iter()
        .filter(|f| !f.diagnostics.is_empty())
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"vetlint\" tests=\"{}\" failures=\"{failed_files}\" errors=\"0\">",
        summary.files
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"vetlint\" tests=\"{}\" failures=\"{failed_files}\" errors=\"0\" skipped=\"0\">",
        summary.files
    );
    let _ = writeln!(
        out,
        "    <properties><property name=\"findings\" value=\"{failures}\"/></properties>"
    );
    for file in &report.files {
        let path = escape(&file.source.path);
        if file.diagnostics.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase name=\"{path}\" classname=\"vetlint\" file=\"{path}\"/>"
            );
            continue;
        }
        let _ = writeln!(
            out,
            "    <testcase name=\"{path}\" classname=\"vetlint\" file=\"{path}\">"
        );
        for d in &file.diagnostics {
            let mut body = super::short::line(&file.source, d);
            if let Some(help) = &d.help {
                body.push_str("\nhelp: ");
                body.push_str(help);
            }
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}: {}\">{}</failure>",
                escape(&d.rule),
                escape(&d.rule),
                escape(&d.message),
                escape(&body)
            );
        }
        let _ = writeln!(out, "    </testcase>");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Text safe in XML 1.0 attributes and content: markup escaped, characters XML cannot hold
/// replaced by U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes() {
        assert_eq!(
            escape("a<b & \"c\"\n\u{1}"),
            "a&lt;b &amp; &quot;c&quot;&#10;\u{FFFD}"
        );
    }
}
