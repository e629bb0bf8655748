//! The rule set: rule metadata files (`rules/*.yaml`), checked against
//! `schemas/rule.schema.json` and keyed by name. Adding a file adds the rule.

pub mod names;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use serde::Deserialize;

use crate::diagnostic::{Diagnostic, FileReport, Severity, SourceFile};
use crate::lang::{Lang, Text};
use crate::load::{self, Format};
use crate::policy::rule::PolicyRule;
use crate::schema::Schemas;

static RULE_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/rules");

/// One example document of a rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Example {
    /// A YAML document, as text.
    Yaml(String),
    /// A document in a stated format.
    Formatted {
        /// `json` or `yaml`.
        format: ExampleFormat,
        /// The document text.
        text: String,
    },
}

impl Example {
    /// The text and its format.
    pub fn text(&self) -> (&str, Format) {
        match self {
            Example::Yaml(text) => (text, Format::Yaml),
            Example::Formatted { format, text } => (
                text,
                match format {
                    ExampleFormat::Json => Format::Json,
                    ExampleFormat::Yaml => Format::Yaml,
                },
            ),
        }
    }
}

/// Syntax of an example.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExampleFormat {
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

/// Example documents: `fail` ones raise the rule, `pass` ones do not; `workspace` holds the
/// other documents they refer to (a standard, a registry).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Documents the examples refer to.
    #[serde(default)]
    pub workspace: Vec<Example>,
    /// Documents that raise the rule.
    #[serde(default)]
    pub fail: Vec<Example>,
    /// Documents that do not.
    #[serde(default)]
    pub pass: Vec<Example>,
    /// `[limits]` the examples run under, for the rules that enforce a limit.
    #[serde(default)]
    pub limits: ExampleLimits,
}

/// Limits for a rule's examples, so a limit rule can show a small failing example. (These
/// are the limits of loading; a rule's step budget is not shown by document examples.)
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExampleLimits {
    /// `[limits] file-size`, in bytes.
    pub file_size: Option<u64>,
    /// `[limits] depth`.
    pub depth: Option<usize>,
    /// `[limits] yaml-alias-values`.
    pub yaml_alias_values: Option<usize>,
}

impl ExampleLimits {
    /// The default limits with these on top.
    pub fn limits(&self) -> crate::limits::Limits {
        let mut limits = crate::limits::Limits::default();
        limits.file_size = self.file_size.unwrap_or(limits.file_size);
        limits.depth = self.depth.unwrap_or(limits.depth);
        limits.alias_values = self.yaml_alias_values.unwrap_or(limits.alias_values);
        limits
    }

    /// The settings as they would be written in `vetlint.toml`, one per line.
    pub fn toml_lines(&self) -> Vec<String> {
        let settings = [
            ("file-size", self.file_size),
            ("depth", self.depth.map(|n| n as u64)),
            (
                "yaml-alias-values",
                self.yaml_alias_values.map(|n| n as u64),
            ),
        ];
        settings
            .into_iter()
            .filter_map(|(name, value)| Some(format!("{name} = {}", value?)))
            .collect()
    }
}

/// A rule's metadata, as written in its file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    /// Stable kebab-case name; equals the file stem.
    pub name: String,
    /// Group (`load`, `schema`, …).
    pub group: String,
    /// Default severity.
    pub severity: Severity,
    /// One line.
    pub summary: Text,
    /// The document that backs the rule.
    #[serde(default)]
    pub source: Option<String>,
    /// Why it matters and how to fix it (Markdown).
    pub docs: Text,
    /// Example documents, executed as tests.
    #[serde(default)]
    pub examples: Examples,
    /// Policy rules: the document kind they apply to.
    #[serde(default)]
    pub kind: Option<String>,
    /// Policy rules: parameters and their defaults.
    #[serde(default)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Policy rules: JSONPath of the subjects (default: the document).
    #[serde(default)]
    pub each: Option<String>,
    /// Policy rules: CEL bindings computed once per document, in order.
    #[serde(default, rename = "with")]
    pub with: serde_json::Map<String, serde_json::Value>,
    /// Policy rules: CEL bindings computed per subject, in order.
    #[serde(default, rename = "let")]
    pub lets: serde_json::Map<String, serde_json::Value>,
    /// Policy rules: the CEL condition every subject must meet.
    #[serde(default)]
    pub assert: Option<String>,
    /// Policy rules: where the finding points, relative to the subject (`matrix`, `major.code`).
    #[serde(default)]
    pub at: Option<String>,
    /// Policy rules: the finding's message, with `{{ CEL }}` placeholders.
    #[serde(default)]
    pub message: Option<Text>,
    /// Policy rules: how to fix it, with placeholders.
    #[serde(default)]
    pub help: Option<Text>,
    /// Policy rules: secondary labels, in this document or another one.
    #[serde(default)]
    pub related: Vec<RelatedMeta>,
    /// The rule file, as loaded.
    #[serde(skip)]
    pub file: String,
}

impl RuleMeta {
    /// Whether this is a policy rule (it has an `assert`), as opposed to the metadata of a
    /// rule that vetlint's code raises.
    pub fn is_policy(&self) -> bool {
        self.assert.is_some()
    }
}

/// A secondary label of a policy rule's finding.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedMeta {
    /// CEL condition; the label is shown only when it holds.
    #[serde(default)]
    pub when: Option<String>,
    /// Kind of the other document; absent for the finding's own document.
    #[serde(default)]
    pub kind: Option<String>,
    /// CEL: id of the other document.
    #[serde(default)]
    pub id: Option<String>,
    /// CEL: JSON Pointer of the place in that document.
    pub at: String,
    /// The label, with placeholders.
    pub message: Text,
}

/// How far a rule file is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Bundled in the binary (and checked by its tests): policies compile on first use, in
    /// the run's language only, so a run pays only for the kinds it checks.
    Bundled,
    /// A school's or province's file: validated against the rule schema and compiled at
    /// once, in both languages, so every mistake is a `config-error` before the run.
    User,
}

/// A policy rule, compiled now or on first use.
#[derive(Debug)]
pub struct Policy {
    /// Its metadata.
    pub meta: Arc<RuleMeta>,
    /// The document kind it applies to.
    pub kind: String,
    /// Whether its expressions may read `tables`: exact for a compiled rule, a conservative
    /// reading of the file's text for a deferred one.
    pub reads_tables: bool,
    compiled: std::sync::OnceLock<Option<PolicyRule>>,
    /// What a deferred compilation needs: the rule file, the kinds, the language.
    deferred: Option<(load::Document, Vec<String>, Lang)>,
}

impl Policy {
    /// The compiled rule (compiling it now if it was deferred); `None` only if a bundled rule
    /// fails to compile, which the tests rule out.
    pub fn get(&self) -> Option<&PolicyRule> {
        self.compiled
            .get_or_init(|| {
                let (doc, kinds, lang) = self.deferred.as_ref()?;
                let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
                crate::policy::rule::compile(self.meta.clone(), doc, &kinds, *lang, Some(*lang))
                    .ok()
            })
            .as_ref()
    }
}

/// Every known rule, by name, and the policy rules among them.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: BTreeMap<String, Arc<RuleMeta>>,
    policies: BTreeMap<String, Arc<Policy>>,
}

impl RuleSet {
    /// The rule files compiled into the binary.
    pub fn bundled(schemas: &Schemas, lang: Lang) -> Result<Self, Vec<FileReport>> {
        Self::from_files(Self::bundled_files(), schemas, lang, Trust::Bundled)
    }

    /// The rule files compiled into the binary, as (display path, bytes).
    pub fn bundled_files() -> impl Iterator<Item = (String, &'static [u8])> {
        RULE_DIR
            .files()
            .map(|f| (format!("rules/{}", f.path().display()), f.contents()))
    }

    /// Loads rule files given as (display path, bytes). Errors carry spans in the files.
    pub fn from_files<'b>(
        files: impl IntoIterator<Item = (String, &'b [u8])>,
        schemas: &Schemas,
        lang: Lang,
        trust: Trust,
    ) -> Result<Self, Vec<FileReport>> {
        use rayon::prelude::*;
        let mut set = Self::default();
        let mut errors = Vec::new();
        let files: Vec<(String, &[u8], Format)> = files
            .into_iter()
            .filter_map(|(path, bytes)| {
                let format = Format::from_path(Path::new(&path))?;
                Some((path, bytes, format))
            })
            .collect();
        // Parsed in parallel (YAML parsing is most of start-up), then filed in order.
        let loaded: Vec<_> = files
            .into_par_iter()
            .map(|(path, bytes, format)| load_rule(path, bytes, format, schemas, lang, trust))
            .collect();
        for result in loaded {
            match result {
                Ok((rule, policy)) => {
                    if let Some(policy) = policy {
                        set.policies.insert(rule.name.clone(), Arc::new(policy));
                    }
                    set.rules.insert(rule.name.clone(), rule);
                }
                Err(report) => errors.push(report),
            }
        }
        if errors.is_empty() {
            Ok(set)
        } else {
            errors.sort_by(|a, b| a.source.path.cmp(&b.source.path));
            Err(errors)
        }
    }

    /// Adds the rules of `other` (a school's or province's own folder). A name that is
    /// already taken is a configuration error at the newcomer's `name`.
    pub fn extend(&mut self, other: RuleSet, lang: Lang) -> Result<(), Vec<FileReport>> {
        let mut errors = Vec::new();
        for (name, rule) in other.rules {
            if let Some(existing) = self.rules.get(&name) {
                let message = match lang {
                    Lang::En => format!("rule `{name}` is already defined by {}", existing.file),
                    Lang::Zh => format!("规则 `{name}` 已在 {} 中定义", existing.file),
                };
                let source = SourceFile::new(rule.file.clone(), String::new());
                let mut d = Diagnostic::new(names::CONFIG_ERROR, 0..0, message);
                d.severity = Severity::Error;
                errors.push(FileReport {
                    source,
                    diagnostics: vec![d],
                });
                continue;
            }
            self.rules.insert(name, rule);
        }
        self.policies.extend(other.policies);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The policy rules, sorted by name.
    pub fn policies(&self) -> impl Iterator<Item = &Arc<Policy>> {
        self.policies.values()
    }

    /// The rule called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<RuleMeta>> {
        self.rules.get(name)
    }

    /// Every rule, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<RuleMeta>> {
        self.rules.values()
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

fn load_rule(
    path: String,
    bytes: &[u8],
    format: Format,
    schemas: &Schemas,
    lang: Lang,
    trust: Trust,
) -> Result<(Arc<RuleMeta>, Option<Policy>), FileReport> {
    let stem = Path::new(&path)
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split('.').next())
        .unwrap_or_default()
        .to_owned();
    // Spans are built only if a finding or a compile error needs them (a bundled rule has none).
    let limits = crate::limits::Limits::default();
    let doc = load::load_as(path, bytes, Some(format), lang, &limits, true);
    let fail = |source: Arc<SourceFile>, mut diagnostics: Vec<Diagnostic>| {
        for d in &mut diagnostics {
            d.rule = names::CONFIG_ERROR.to_owned();
            d.severity = Severity::Error;
        }
        FileReport {
            source,
            diagnostics,
        }
    };
    let mut diagnostics = doc.diagnostics.clone();
    let Some(value) = doc.value.clone() else {
        return Err(fail(doc.source.clone(), diagnostics));
    };
    let failures = match trust {
        Trust::User => schemas.validate_rule(&value, lang),
        Trust::Bundled => Vec::new(),
    };
    for failure in failures {
        let span = crate::check::failure_span(&doc.spans, &doc.source.text, &failure);
        let mut d = Diagnostic::new(names::CONFIG_ERROR, span, failure.message)
            .with_pointer(failure.pointer);
        d.label = failure.label;
        d.help = failure.help;
        diagnostics.push(d);
    }
    let name = value
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or_default();
    if diagnostics.is_empty() && name != stem {
        let span = doc.spans.value_or_ancestor("/name");
        diagnostics.push(Diagnostic::new(
            names::CONFIG_ERROR,
            span,
            match lang {
                Lang::En => {
                    format!("rule `{name}` must live in a file named `{name}.yaml`, not `{stem}`")
                }
                Lang::Zh => format!("规则 `{name}` 的文件名应为 `{name}.yaml`，而不是 `{stem}`"),
            },
        ));
    }
    if !diagnostics.is_empty() {
        return Err(fail(doc.source.clone(), diagnostics));
    }
    let mut rule = match serde_json::from_value::<RuleMeta>(value) {
        Ok(rule) => rule,
        Err(error) => {
            let d = Diagnostic::new(names::CONFIG_ERROR, 0..0, error.to_string());
            return Err(fail(doc.source.clone(), vec![d]));
        }
    };
    rule.file = doc.source.path.clone();
    let rule = Arc::new(rule);
    if !rule.is_policy() {
        return Ok((rule, None));
    }
    let kind = rule.kind.clone().unwrap_or_default();
    if trust == Trust::Bundled {
        let reads_tables = doc.source.text.contains("tables");
        let kinds = schemas.kinds().map(str::to_owned).collect();
        let policy = Policy {
            meta: rule.clone(),
            kind,
            reads_tables,
            compiled: std::sync::OnceLock::new(),
            deferred: Some((doc, kinds, lang)),
        };
        return Ok((rule, Some(policy)));
    }
    let kinds: Vec<&str> = schemas.kinds().collect();
    match crate::policy::rule::compile(rule.clone(), &doc, &kinds, lang, None) {
        Ok(compiled) => {
            let policy = Policy {
                meta: rule.clone(),
                kind,
                reads_tables: compiled.uses("tables"),
                compiled: std::sync::OnceLock::from(Some(compiled)),
                deferred: None,
            };
            Ok((rule, Some(policy)))
        }
        Err(diagnostics) => Err(fail(doc.source.clone(), diagnostics)),
    }
}
