//! `--format sarif`: SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, Azure DevOps).
//! Every rule of the run is listed with its summary and docs; columns count Unicode code points
//! (`columnKind`); file URIs are relative and percent-encoded; `partialFingerprints` carry the
//! finding's line-independent identity.

use serde_json::{Value, json};

use super::RunReport;
use crate::diagnostic::{Severity, SourceFile};
use crate::lang::Lang;
use crate::rules::RuleSet;

/// The schema address SARIF consumers expect in `$schema`.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The `partialFingerprints` key of vetlint's identity (see [`crate::identity`]).
pub const FINGERPRINT_KEY: &str = "vetlintFindingId/v1";

/// Renders the report as one SARIF run.
pub fn render(report: &RunReport, rules: &RuleSet, lang: Lang) -> String {
    let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    let driver_rules: Vec<Value> = rules
        .iter()
        .map(|rule| {
            let docs = rule.docs.get(lang).trim_end();
            let mut properties = json!({ "tags": [rule.group] });
            if let Some(source) = &rule.source {
                properties["source"] = json!(source);
            }
            json!({
                "id": rule.name,
                "name": rule.name,
                "shortDescription": { "text": rule.summary.get(lang) },
                "fullDescription": { "text": docs },
                "help": { "text": docs, "markdown": docs },
                "defaultConfiguration": { "level": level(rule.severity) },
                "properties": properties,
            })
        })
        .collect();
    let mut results = Vec::new();
    for file in &report.files {
        for d in &file.diagnostics {
            let mut result = json!({
                "ruleId": d.rule,
                "level": level(d.severity),
                "message": { "text": message(&d.message, d.help.as_deref()) },
                "locations": [location(&file.source, &d.span, None)],
                "partialFingerprints": { FINGERPRINT_KEY: d.fingerprint },
            });
            if let Some(index) = names.iter().position(|n| *n == d.rule) {
                result["ruleIndex"] = json!(index);
            }
            if let Some(pointer) = &d.pointer {
                result["properties"] = json!({ "pointer": pointer });
            }
            let related: Vec<Value> = d
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let source = r.source.as_deref().unwrap_or(&file.source);
                    let mut loc = location(source, &r.span, Some(&r.message));
                    loc["id"] = json!(i);
                    loc
                })
                .collect();
            if !related.is_empty() {
                result["relatedLocations"] = json!(related);
            }
            results.push(result);
        }
    }
    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "vetlint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": driver_rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    text.push('\n');
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn message(message: &str, help: Option<&str>) -> String {
    match help {
        Some(help) => format!("{message}\n{help}"),
        None => message.to_owned(),
    }
}

/// A physical location: relative percent-encoded URI and a region in code points (end column
/// exclusive, as SARIF counts it).
fn location(source: &SourceFile, span: &std::ops::Range<usize>, note: Option<&str>) -> Value {
    let span = source.clamp(span);
    let start = source.line_col(span.start);
    let end = source.line_col(span.end);
    let mut loc = json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&source.path), "uriBaseId": "%SRCROOT%" },
            "region": {
                "startLine": start.line,
                "startColumn": start.column,
                "endLine": end.line,
                "endColumn": end.column,
            },
        },
    });
    if let Some(note) = note {
        loc["message"] = json!({ "text": note });
    }
    loc
}

/// A relative path as a URI reference: `/` kept, every other byte outside RFC 3986's
/// unreserved set percent-encoded (so Chinese names become `%E6%97%A0…`).
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("plans/无锡.yaml"), "plans/%E6%97%A0%E9%94%A1.yaml");
        assert_eq!(uri("a b#c%.json"), "a%20b%23c%25.json");
        assert_eq!(uri("../x/y.yaml"), "../x/y.yaml");
    }
}
