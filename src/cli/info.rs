//! The informational subcommands: `rules`, `explain`, `schema`.

use std::fmt::Write;

use crate::lang::Lang;
use crate::rules::{RuleMeta, RuleSet};
use crate::schema::Schemas;

/// `vetlint rules`: a table of every rule.
pub fn rules_table(rules: &RuleSet, lang: Lang) -> String {
    let width = rules.iter().map(|r| r.name.len()).max().unwrap_or(4);
    let group_width = rules.iter().map(|r| r.group.len()).max().unwrap_or(5);
    let mut out = String::new();
    let (name, group, severity) = ("NAME", "GROUP", "SEVERITY");
    let _ = writeln!(
        out,
        "{name:width$}  {group:group_width$}  {severity:8}  SUMMARY"
    );
    for rule in rules.iter() {
        let _ = writeln!(
            out,
            "{:width$}  {:group_width$}  {:8}  {}",
            rule.name,
            rule.group,
            rule.severity.as_str(),
            rule.summary.get(lang)
        );
    }
    out
}

/// `vetlint explain RULE`: docs, source and examples.
pub fn explain(rule: &RuleMeta, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}", rule.name);
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", rule.summary.get(lang));
    let _ = writeln!(out);
    let (group, severity, source) = match lang {
        Lang::En => ("Group", "Default severity", "Source"),
        Lang::Zh => ("分组", "默认级别", "依据"),
    };
    let _ = writeln!(out, "- {group}: {}", rule.group);
    let _ = writeln!(out, "- {severity}: {}", rule.severity.as_str());
    if let Some(s) = &rule.source {
        let _ = writeln!(out, "- {source}: {s}");
    }
    if let Some(kind) = &rule.kind {
        let _ = writeln!(out, "- {}: {kind}", lang.pick("适用文档", "Applies to"));
    }
    if !rule.params.is_empty() {
        let _ = writeln!(
            out,
            "- {}:",
            lang.pick("参数（默认值）", "Parameters (defaults)")
        );
        for (name, value) in &rule.params {
            let _ = writeln!(out, "  - `{name}` = `{value}`");
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", rule.docs.get(lang).trim_end());
    let sections = [
        (
            lang.pick("## 违反规则的示例", "## Failing examples"),
            &rule.examples.fail,
        ),
        (
            lang.pick("## 符合规则的示例", "## Passing examples"),
            &rule.examples.pass,
        ),
    ];
    let limits = rule.examples.limits.toml_lines();
    if !limits.is_empty() && !rule.examples.fail.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            lang.pick(
                "下面的示例在较小的上限下运行（vetlint.toml）：",
                "The examples below run with smaller limits (vetlint.toml):"
            )
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "```toml\n[limits]\n{}\n```", limits.join("\n"));
    }
    for (title, examples) in sections {
        if examples.is_empty() {
            continue;
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "{title}");
        for example in examples {
            let (text, format) = example.text();
            let fence = match format {
                crate::load::Format::Json => "json",
                crate::load::Format::Yaml => "yaml",
            };
            let _ = writeln!(out);
            let _ = writeln!(out, "```{fence}");
            let _ = writeln!(out, "{}", text.trim_end());
            let _ = writeln!(out, "```");
        }
    }
    out
}

/// `vetlint schema KIND`: the published schema text of a kind (or of `common` / `rule`).
pub fn schema<'s>(schemas: &'s Schemas, kind: &str) -> Option<&'s str> {
    schemas
        .file_of_kind(kind)
        .or_else(|| schemas.file(&format!("{kind}.schema.json")))
        .map(|f| f.text.as_ref())
}
