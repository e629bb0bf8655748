//! The core: checks one loaded document against the schemas and rules. Pure: no IO, never
//! panics on any input, never fails; everything it finds is a diagnostic.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde_json::Value;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, FileReport, Fix, SourceFile};
use crate::lang::Lang;
use crate::load::{Document, SpanIndex};
use crate::policy::cel::{Library, Runtime, Shared, value as cel_value};
use crate::policy::eval;
use crate::rules::{RuleSet, names};
use crate::schema::{SchemaFailure, Schemas, Target, report_suggest};
use crate::stats::{self, Stage};
use crate::workspace::Workspace;

/// Everything a check needs, compiled once and shared read-only across threads.
#[derive(Debug)]
pub struct Engine {
    /// Bundled schemas.
    pub schemas: Schemas,
    /// Rule metadata and compiled policy rules.
    pub rules: RuleSet,
    /// Effective configuration.
    pub config: Config,
    /// Message language.
    pub lang: Lang,
    /// Each policy rule's effective parameters, as JSON and as CEL values.
    params: HashMap<String, (Value, Shared)>,
    /// The reference tables as a CEL value, converted when the reference interpreter first
    /// needs it and kept for every later run (the language server checks again and again).
    tables_cel: OnceLock<Shared>,
    /// Evaluate rules with the reference path only (`check --reference`).
    pub reference: bool,
    /// The parsed reference tables (their JSON is built once per process).
    table_data: &'static std::collections::BTreeMap<String, crate::tables::Table>,
}

/// What one run adds to the engine: the workspace and the evaluation runtime built on it.
pub struct Run {
    /// Every document of the run, by kind and id.
    pub workspace: Workspace,
    runtime: Runtime,
    library: Arc<Library>,
    tables: Arc<Value>,
    /// Whether `tables` holds the reference tables (or, no rule reading them, nothing).
    needs_tables: bool,
    /// The CEL form of an empty `tables`.
    no_tables_cel: OnceLock<Shared>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("workspace", &self.workspace)
            .finish()
    }
}

/// How a file came to be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Named on the command line (or stdin): always checked.
    Explicit,
    /// Found by walking a directory or matching a glob: skipped unless it is a vetlint document.
    Walked,
}

impl Engine {
    /// An engine over loaded schemas, rules and configuration.
    pub fn new(
        schemas: Schemas,
        rules: RuleSet,
        config: Config,
        lang: Lang,
    ) -> Result<Self, crate::error::Error> {
        // Parse the tables now, so a broken table is an error of the run, not a panic later.
        let table_data = crate::tables::shared()?;
        let params = rules
            .policies()
            .map(|p| {
                let values = Value::Object(config.params(&p.meta));
                let converted = Shared::new(cel_value::from_json(&values));
                (p.meta.name.clone(), (values, converted))
            })
            .collect();
        Ok(Self {
            schemas,
            rules,
            config,
            lang,
            params,
            tables_cel: OnceLock::new(),
            reference: false,
            table_data,
        })
    }

    /// The bundled schemas and rules with `config`.
    pub fn bundled(config: Config, lang: Lang) -> Result<Self, crate::error::Error> {
        let schemas = Schemas::bundled()?;
        let rules = RuleSet::bundled(&schemas, lang).map_err(crate::error::Error::Config)?;
        Self::new(schemas, rules, config, lang)
    }

    /// Compiles, in parallel, the deferred policy rules of the document kinds a run is about
    /// to check (otherwise each compiles on its first use, on the thread that needs it).
    pub fn precompile(&self, kinds: &[&str]) {
        let wanted: Vec<_> = self
            .rules
            .policies()
            .filter(|p| kinds.contains(&p.kind.as_str()))
            .collect();
        stats::time(Stage::Rules, || {
            wanted.par_iter().for_each(|p| {
                p.get();
            });
        });
    }

    /// Prepares a run over `workspace`.
    pub fn prepare(&self, workspace: Workspace) -> Run {
        let library = Arc::new(Library::new(&workspace));
        // Decided from the rule files, without compiling any rule (the workspace's kinds
        // would not do: a document without an id is checked but not indexed).
        let needs_tables = self.rules.policies().any(|p| p.reads_tables);
        let tables = if needs_tables {
            crate::tables::shared_json(self.table_data)
        } else {
            Arc::new(Value::Object(serde_json::Map::new()))
        };
        // `tables` reaches the reference interpreter as a binding, converted on first use.
        let runtime = Runtime::new(&library);
        Run {
            workspace,
            runtime,
            library,
            tables,
            needs_tables,
            no_tables_cel: OnceLock::new(),
        }
    }

    /// Checks one document. Returns `None` for a walked file that is not a vetlint document.
    pub fn check(&self, doc: Document, origin: Origin, run: &Run) -> Option<FileReport> {
        let duplicate = run.workspace.duplicate(&doc, self.lang);
        let Document {
            source,
            format,
            value,
            spans,
            mut diagnostics,
        } = doc;
        match &value {
            None if diagnostics.is_empty() => {
                // Nothing but whitespace and comments: no `kind`, so not a document when
                // found by walking.
                if origin == Origin::Walked {
                    return None;
                }
                diagnostics.push(
                    Diagnostic::new(
                        names::UNKNOWN_KIND,
                        0..0,
                        self.lang.pick("文件是空的", "the file is empty"),
                    )
                    .with_help(self.lang.pick(
                        "vetlint 文档是一个带 `kind` 字段的映射（对象）",
                        "a vetlint document is a mapping with a `kind` field",
                    )),
                );
            }
            None => {
                // A file that could not be read or decoded may be a document: never drop it.
                let unread = diagnostics.iter().any(|d| {
                    [names::IO_ERROR, names::FILE_TOO_LARGE, names::INVALID_UTF8]
                        .contains(&d.rule.as_str())
                });
                if origin == Origin::Walked && !unread && !self.looks_like_document(&source.text) {
                    return None;
                }
            }
            Some(value) => match self.classify(value, &spans, &source.text) {
                Ok(kind) => {
                    let failures = stats::time(Stage::Schema, || {
                        self.schemas
                            .validate(kind, value, self.lang)
                            .unwrap_or_default()
                    });
                    diagnostics.extend(
                        failures
                            .into_iter()
                            .map(|f| to_diagnostic(f, &spans, &source.text)),
                    );
                    diagnostics.extend(duplicate);
                    let flagged = !diagnostics.is_empty();
                    diagnostics.extend(stats::time(Stage::Rules, || {
                        self.policies(kind, value, &spans, &source.text, flagged, run)
                    }));
                }
                Err(unknown) => {
                    let (d, plausible) = *unknown;
                    if origin == Origin::Walked && !plausible {
                        return None;
                    }
                    diagnostics.push(d);
                }
            },
        }
        if format == crate::load::Format::Yaml {
            diagnostics = self.suppress(diagnostics, &source);
        }
        let mut diagnostics = self.apply_severities(diagnostics);
        for d in &mut diagnostics {
            d.fingerprint = crate::identity::fingerprint(&source.path, d, value.as_ref());
        }
        let mut report = FileReport {
            source,
            diagnostics,
        };
        report.sort();
        Some(report)
    }

    /// Applies the `# vetlint: ignore…` comments of a YAML file.
    fn suppress(&self, diagnostics: Vec<Diagnostic>, source: &SourceFile) -> Vec<Diagnostic> {
        let comments = crate::suppress::comments(&source.text);
        if comments.is_empty() {
            return diagnostics;
        }
        let known = |name: &str| {
            self.rules.get(name).is_none().then(|| {
                report_suggest(name, self.rules.iter().map(|r| r.name.as_str())).map(str::to_owned)
            })
        };
        crate::suppress::apply_comments(
            diagnostics,
            &comments,
            |offset| source.lines().line_of(offset),
            known,
            self.lang,
        )
    }

    /// Runs every policy rule of `kind` that is not switched off.
    fn policies(
        &self,
        kind: &str,
        value: &Value,
        spans: &SpanIndex,
        text: &str,
        flagged: bool,
        run: &Run,
    ) -> Vec<Diagnostic> {
        let applicable: Vec<_> = self
            .rules
            .policies()
            .filter(|p| {
                p.kind == kind
                    && self
                        .config
                        .severity(&p.meta.name, p.meta.severity)
                        .is_some()
            })
            .collect();
        if applicable.is_empty() {
            return Vec::new();
        }
        let converted = std::cell::OnceCell::new();
        let memo = crate::policy::fast::run::Memo::default();
        let subject = eval::Subject {
            value,
            cel: &converted,
            spans,
            text,
            flagged,
            memo: &memo,
        };
        let scope = eval::Scope {
            runtime: &run.runtime,
            library: &run.library,
            tables: &run.tables,
            tables_cel: if run.needs_tables {
                &self.tables_cel
            } else {
                &run.no_tables_cel
            },
            reference: self.reference,
            workspace: &run.workspace,
            lang: self.lang,
            steps: self.config.limits.rule_steps,
        };
        let mut out = Vec::new();
        for policy in applicable {
            let (Some((json, cel)), Some(policy)) =
                (self.params.get(&policy.meta.name), policy.get())
            else {
                continue;
            };
            let params = eval::Params { json, cel };
            out.extend(eval::run(policy, params, &subject, &scope));
        }
        out
    }

    /// Sets each diagnostic's severity from its rule and the configuration; drops rules that
    /// are off.
    pub fn apply_severities(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diagnostics
            .into_iter()
            .filter_map(|mut d| {
                let default = self.rules.get(&d.rule).map_or(d.severity, |r| r.severity);
                d.severity = self.config.severity(&d.rule, default)?;
                Some(d)
            })
            .collect()
    }

    /// The document's kind, or the `unknown-kind` diagnostic and whether the file plausibly
    /// meant to be a vetlint document (a walked file is reported only then).
    fn classify<'v>(
        &self,
        value: &'v Value,
        spans: &SpanIndex,
        text: &str,
    ) -> Result<&'v str, Box<(Diagnostic, bool)>> {
        let lang = self.lang;
        let kinds: Vec<&str> = self.schemas.kinds().collect();
        let list = kinds
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let help = match lang {
            Lang::En => format!("vetlint checks documents of kind {list}"),
            Lang::Zh => format!("vetlint 检查的文档类型（kind）：{list}"),
        };
        let unknown = |span: Range<usize>, message: String, pointer: &str| {
            Diagnostic::new(names::UNKNOWN_KIND, span, message)
                .with_pointer(pointer)
                .with_help(help.clone())
        };
        // A finding about the document as a whole, at its first line; never plausible.
        let whole = |message: &str| {
            let span = first_line(text, spans.value_or_ancestor(""));
            Err(Box::new((unknown(span, message.to_owned(), ""), false)))
        };
        let Some(object) = value.as_object() else {
            return whole(lang.pick(
                "vetlint 文档必须是带 `kind` 字段的映射（对象）",
                "a vetlint document is a mapping with a `kind` field",
            ));
        };
        if object.contains_key("summary")
            && object.contains_key("docs")
            && object.contains_key("group")
        {
            // A rule file (its `kind` names the documents it applies to): not a document.
            return whole(lang.pick(
                "这是 vetlint 规则文件，不是文档；规则目录请在 vetlint.toml 的 `rule-dirs` 中配置",
                "this is a vetlint rule file, not a document; list rule folders in `rule-dirs` of vetlint.toml",
            ));
        }
        let Some(kind) = object.get("kind") else {
            return whole(lang.pick("文档缺少 `kind` 字段", "the document has no `kind` field"));
        };
        // Looked up only for a finding: a document without one never builds its span index.
        let span = || spans.value_or_ancestor("/kind");
        let Some(kind) = kind.as_str() else {
            let message = lang.pick("`kind` 必须是文本", "`kind` must be a string");
            return Err(Box::new((unknown(span(), message.into(), "/kind"), true)));
        };
        if self.schemas.has_kind(kind) {
            return Ok(kind);
        }
        let guess = report_suggest(kind, kinds.iter().copied());
        let message = match (lang, guess) {
            (Lang::En, Some(g)) => format!("unknown kind `{kind}`; did you mean `{g}`?"),
            (Lang::En, None) => format!("unknown kind `{kind}`"),
            (Lang::Zh, Some(g)) => format!("未知的文档类型 `{kind}`；是否想写 `{g}`？"),
            (Lang::Zh, None) => format!("未知的文档类型 `{kind}`"),
        };
        // A walked file of another tool (`kind: Deployment`) is skipped; a near miss or a
        // Chinese kind name is meant for vetlint and reported.
        let plausible = guess.is_some() || kind.chars().any(|c| c > '\u{2e80}');
        Err(Box::new((unknown(span(), message, "/kind"), plausible)))
    }

    /// Whether text that failed to parse still declares a vetlint kind on some line, so that
    /// a broken plan found by walking is reported rather than skipped.
    fn looks_like_document(&self, text: &str) -> bool {
        text.lines().any(|line| {
            let line = line.trim_start().trim_start_matches(['{', ' ']);
            let rest = line
                .strip_prefix("\"kind\"")
                .or_else(|| line.strip_prefix("kind"))
                .map(|r| r.trim_start());
            let Some(rest) = rest.and_then(|r| r.strip_prefix(':')) else {
                return false;
            };
            // The value: quoted up to its closing quote, or plain up to a separator.
            let rest = rest.trim_start();
            let value = match rest.chars().next() {
                Some(quote @ ('"' | '\'')) => rest[1..].split(quote).next().unwrap_or_default(),
                _ => rest
                    .split([',', '}', '#', ' ', '\t'])
                    .next()
                    .unwrap_or_default(),
            };
            self.schemas.has_kind(value.trim())
        })
    }
}

/// The span a schema failure points at.
pub fn failure_span(spans: &SpanIndex, text: &str, failure: &SchemaFailure) -> Range<usize> {
    match failure.target {
        // An empty value (`key:` with nothing after it) has no width: point at its key.
        Target::Value => match spans.get(&failure.pointer) {
            Some(node) if node.value.is_empty() => {
                node.key.clone().unwrap_or_else(|| node.value.clone())
            }
            _ => spans.value_or_ancestor(&failure.pointer),
        },
        Target::Key => spans.key_or_value(&failure.pointer),
        Target::Object => match spans.get(&failure.pointer) {
            Some(node) => match &node.key {
                Some(key) => key.clone(),
                None => first_line(text, node.value.clone()),
            },
            None => first_line(text, spans.value_or_ancestor(&failure.pointer)),
        },
    }
}

fn to_diagnostic(failure: SchemaFailure, spans: &SpanIndex, text: &str) -> Diagnostic {
    let span = failure_span(spans, text, &failure);
    let fix = failure.replacement.as_ref().map(|r| Fix {
        span: span.clone(),
        replacement: quoted_like(text.get(span.clone()).unwrap_or_default(), r),
    });
    Diagnostic {
        rule: failure.rule.to_owned(),
        severity: crate::diagnostic::Severity::Error,
        message: failure.message,
        label: failure.label,
        help: failure.help,
        pointer: Some(failure.pointer),
        span,
        related: Vec::new(),
        fingerprint: String::new(),
        fix,
    }
}

/// `replacement` written the way `original` is: in double or single quotes, or plain.
fn quoted_like(original: &str, replacement: &str) -> String {
    if original.starts_with('"') {
        serde_json::to_string(replacement).unwrap_or_default()
    } else if original.starts_with('\'') {
        format!("'{}'", replacement.replace('\'', "''"))
    } else {
        replacement.to_owned()
    }
}

/// The part of `span` on its first line, without trailing whitespace: a compact place to
/// point at a whole object.
pub fn first_line(text: &str, span: Range<usize>) -> Range<usize> {
    let Some(slice) = text.get(span.clone()) else {
        return span;
    };
    let mut lines = slice.split_inclusive('\n');
    let mut end = 0;
    // A line that only opens the value (`{`, `[`) says nothing: take the next one too.
    for line in lines.by_ref() {
        let content = line.trim_end();
        end += line.len();
        if !matches!(content.trim_start(), "{" | "[" | "") {
            end -= line.len() - content.len();
            break;
        }
    }
    span.start..span.start + end.min(slice.len())
}
