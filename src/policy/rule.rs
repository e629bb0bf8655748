//! Compiling a policy rule file: JSONPath, CEL and templates checked at load time, every
//! mistake a `config-error` with a span in the rule file.

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;

use serde_json_path::JsonPath;

use super::cel::{self, ExprError, Expression};
use super::template::Template;
use crate::diagnostic::Diagnostic;
use crate::lang::Lang;
use crate::load::Document;
use crate::pointer;
use crate::rules::{RuleMeta, names};

/// Variables every per-subject expression may read.
pub const SUBJECT_VARS: &[&str] = &["self", "parent", "ancestors", "index", "key", "path"];
/// Variables every expression may read.
pub const DOC_VARS: &[&str] = &["doc", "params", "tables"];

/// A related label, compiled.
#[derive(Debug)]
pub struct Related {
    /// Shown only when this holds.
    pub when: Option<Expression>,
    /// Kind of the other document (`None`: the finding's own document).
    pub kind: Option<String>,
    /// Id of the other document.
    pub id: Option<Expression>,
    /// JSON Pointer of the place.
    pub at: Expression,
    /// Label in Chinese and English.
    pub message: [Template; 2],
}

/// A policy rule ready to run.
#[derive(Debug)]
pub struct PolicyRule {
    /// Its metadata.
    pub meta: Arc<RuleMeta>,
    /// The document kind it applies to.
    pub kind: String,
    /// Subjects (`None`: the document itself).
    pub each: Option<JsonPath>,
    /// Per-document bindings.
    pub with: Vec<(String, Expression)>,
    /// Per-subject bindings.
    pub lets: Vec<(String, Expression)>,
    /// The condition.
    pub assert: Expression,
    /// Path from the subject to the place the finding points at.
    pub at: Vec<String>,
    /// Message in Chinese and English.
    pub message: [Template; 2],
    /// Help in Chinese and English.
    pub help: Option<[Template; 2]>,
    /// Secondary labels.
    pub related: Vec<Related>,
    /// Which `let`s the assertion needs, and which do not depend on the subject.
    pub plan: LetPlan,
    /// `with`, `let` and `assert` compiled for the fast evaluator.
    pub fast: crate::policy::fast::compile::Compiled,
}

/// How the fast path evaluates a rule's `let`s: only those the assertion needs (the rest
/// when it fails and a message needs them), and those that read no subject variable once
/// per document.
#[derive(Debug, Clone, Default)]
pub struct LetPlan {
    /// For each `let`, the earlier `let`s it reads.
    pub deps: Vec<Vec<usize>>,
    /// For each `let`, whether it is the same for every subject of a document.
    pub hoist: Vec<bool>,
    /// The `let`s the assertion reads.
    pub assert_deps: Vec<usize>,
    /// Whether any expression reads `ancestors`.
    pub ancestors: bool,
    /// Whether any expression reads `path`.
    pub path: bool,
    /// Whether any expression reads `tables`.
    pub tables: bool,
    /// For each variable of the fast path's frame (`compile::Layout::names`), whether a
    /// finding's message, help or related labels read it: the others are not converted for
    /// the reference interpreter that renders them (`doc` or `parent` would be the whole
    /// document).
    pub reported: Vec<bool>,
}

impl LetPlan {
    fn new(
        lets: &[(String, Expression)],
        assert: &Expression,
        uses: impl Fn(&str) -> bool,
    ) -> Self {
        let deps: Vec<Vec<usize>> = lets
            .iter()
            .enumerate()
            .map(|(i, (_, e))| (0..i).filter(|&j| e.reads(&lets[j].0)).collect())
            .collect();
        let mut hoist: Vec<bool> = Vec::with_capacity(lets.len());
        for (i, (_, e)) in lets.iter().enumerate() {
            let own = !SUBJECT_VARS.iter().any(|v| e.reads(v));
            hoist.push(own && deps[i].iter().all(|&j| hoist[j]));
        }
        let assert_deps = (0..lets.len())
            .filter(|&j| assert.reads(&lets[j].0))
            .collect();
        Self {
            deps,
            hoist,
            assert_deps,
            ancestors: uses("ancestors"),
            path: uses("path"),
            tables: uses("tables"),
            reported: Vec::new(),
        }
    }
}

impl PolicyRule {
    /// Whether any expression of the rule reads the variable `name`.
    pub fn uses(&self, name: &str) -> bool {
        let mut exprs: Vec<&Expression> =
            self.with.iter().chain(&self.lets).map(|(_, e)| e).collect();
        exprs.push(&self.assert);
        exprs.iter().any(|e| e.reads(name)) || self.reports_read(name)
    }

    /// Whether a finding's message, help or related labels read the variable `name`.
    pub fn reports_read(&self, name: &str) -> bool {
        let mut exprs: Vec<&Expression> = Vec::new();
        for r in &self.related {
            exprs.extend(r.when.iter().chain(&r.id).chain(std::iter::once(&r.at)));
            exprs.extend(
                r.message
                    .iter()
                    .flat_map(|t| t.expressions().map(|(e, _)| e)),
            );
        }
        exprs.extend(
            self.message
                .iter()
                .flat_map(|t| t.expressions().map(|(e, _)| e)),
        );
        exprs.extend(
            self.help
                .iter()
                .flatten()
                .flat_map(|t| t.expressions().map(|(e, _)| e)),
        );
        exprs.iter().any(|e| e.reads(name))
    }

    /// The message template for `lang`.
    pub fn message(&self, lang: Lang) -> &Template {
        &self.message[usize::from(lang == Lang::En)]
    }

    /// The help template for `lang`.
    pub fn help(&self, lang: Lang) -> Option<&Template> {
        self.help
            .as_ref()
            .map(|h| &h[usize::from(lang == Lang::En)])
    }
}

/// Collects compile errors with their spans in the rule file.
struct Compiler<'d> {
    doc: &'d Document,
    lang: Lang,
    /// Compile the templates of this language only (the other stays empty).
    only: Option<Lang>,
    errors: Vec<Diagnostic>,
}

impl Compiler<'_> {
    fn error(&mut self, span: Range<usize>, pointer: &str, message: String) {
        self.errors.push(
            Diagnostic::new(names::CONFIG_ERROR, span, message).with_pointer(pointer.to_owned()),
        );
    }

    /// The byte span of characters `chars` of the expression `expr` written at `pointer`.
    fn expr_span(&self, pointer: &str, expr: &str, chars: &Range<usize>) -> Range<usize> {
        let value = self.doc.spans.value_or_ancestor(pointer);
        locate(&self.doc.source.text, value, expr, chars)
    }

    fn report(&mut self, pointer: &str, expr: &str, error: &ExprError, what: &str) {
        let span = self.expr_span(pointer, expr, &error.chars);
        let message = match self.lang {
            Lang::En => format!("{what}: {}", error.message),
            Lang::Zh => format!("{what}：{}", error.message),
        };
        self.error(span, pointer, message);
    }

    fn expression(
        &mut self,
        pointer: &str,
        source: &str,
        known: &BTreeSet<&str>,
    ) -> Option<Expression> {
        let what = self
            .lang
            .pick("CEL 表达式有误", "invalid CEL expression")
            .to_owned();
        match cel::compile(source) {
            Ok(expr) => {
                for unknown in expr.unknown_names(known) {
                    self.report(pointer, source, &unknown, &what);
                }
                Some(expr)
            }
            Err(e) => {
                self.report(pointer, source, &e, &what);
                None
            }
        }
    }

    fn template(&mut self, pointer: &str, text: &str, known: &BTreeSet<&str>) -> Option<Template> {
        let what = self
            .lang
            .pick("消息模板有误", "invalid message template")
            .to_owned();
        match Template::parse(text) {
            Ok(t) => {
                for (expr, at) in t.expressions() {
                    for mut unknown in expr.unknown_names(known) {
                        unknown.chars = unknown.chars.start + at..unknown.chars.end + at;
                        self.report(pointer, text, &unknown, &what);
                    }
                }
                Some(t)
            }
            Err(e) => {
                self.report(pointer, text, &e, &what);
                None
            }
        }
    }

    fn pair(
        &mut self,
        pointer: &str,
        text: &crate::lang::Text,
        known: &BTreeSet<&str>,
    ) -> Option<[Template; 2]> {
        let only = self.only;
        let skip = |lang: Lang| only.is_some_and(|only| only != lang);
        let zh = if skip(Lang::Zh) {
            Template::parse("").ok()
        } else {
            self.template(&pointer::push(pointer, "zh"), &text.zh, known)
        };
        let en = if skip(Lang::En) {
            Template::parse("").ok()
        } else {
            self.template(&pointer::push(pointer, "en"), &text.en, known)
        };
        Some([zh?, en?])
    }
}

/// Compiles a policy rule; `doc` is its rule file, `kinds` the document kinds. With `only`,
/// the message templates of that language alone are compiled (a run speaks one language).
pub fn compile(
    meta: Arc<RuleMeta>,
    doc: &Document,
    kinds: &[&str],
    lang: Lang,
    only: Option<Lang>,
) -> Result<PolicyRule, Vec<Diagnostic>> {
    let mut c = Compiler {
        doc,
        lang,
        only,
        errors: Vec::new(),
    };
    let kind = meta.kind.clone().unwrap_or_default();
    if !kinds.contains(&kind.as_str()) {
        let message = match lang {
            Lang::En => format!(
                "unknown document kind `{kind}`; the kinds are {}",
                kinds.join(", ")
            ),
            Lang::Zh => format!("未知的文档类型 `{kind}`；可用的类型：{}", kinds.join("、")),
        };
        c.error(doc.spans.value_or_ancestor("/kind"), "/kind", message);
    }
    let each = meta
        .each
        .as_deref()
        .and_then(|path| match JsonPath::parse(path) {
            Ok(p) => Some(p),
            Err(e) => {
                let at = e.position().saturating_sub(1);
                let span = c.expr_span("/each", path, &(at..at + 1));
                let message = match lang {
                    Lang::En => format!("invalid JSONPath: {}", e.message()),
                    Lang::Zh => format!("JSONPath 有误：{}", e.message()),
                };
                c.error(span, "/each", message);
                None
            }
        });
    let mut known: BTreeSet<&str> = DOC_VARS.iter().copied().collect();
    let mut with = Vec::new();
    for (name, source) in &meta.with {
        let pointer = pointer::push("/with", name);
        let source = source.as_str().unwrap_or_default();
        if let Some(e) = c.expression(&pointer, source, &known) {
            with.push((name.clone(), e));
        }
        known.insert(name.as_str());
    }
    known.extend(SUBJECT_VARS);
    let mut lets = Vec::new();
    for (name, source) in &meta.lets {
        let pointer = pointer::push("/let", name);
        let source = source.as_str().unwrap_or_default();
        if let Some(e) = c.expression(&pointer, source, &known) {
            lets.push((name.clone(), e));
        }
        known.insert(name.as_str());
    }
    let assert = c.expression(
        "/assert",
        meta.assert.as_deref().unwrap_or_default(),
        &known,
    );
    let message = match &meta.message {
        Some(text) => c.pair("/message", text, &known),
        None => None,
    };
    let help = meta
        .help
        .as_ref()
        .and_then(|text| c.pair("/help", text, &known));
    let mut related = Vec::new();
    for (i, r) in meta.related.iter().enumerate() {
        let base = pointer::push_index("/related", i);
        let when = r
            .when
            .as_ref()
            .and_then(|w| c.expression(&pointer::push(&base, "when"), w, &known));
        let id =
            r.id.as_ref()
                .and_then(|w| c.expression(&pointer::push(&base, "id"), w, &known));
        let at = c.expression(&pointer::push(&base, "at"), &r.at, &known);
        let message = c.pair(&pointer::push(&base, "message"), &r.message, &known);
        if let (Some(at), Some(message)) = (at, message) {
            related.push(Related {
                when,
                kind: r.kind.clone(),
                id,
                at,
                message,
            });
        }
    }
    let at = meta
        .at
        .as_deref()
        .map(|a| {
            a.split('.')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    match (assert, message, c.errors.is_empty()) {
        (Some(assert), Some(message), true) => {
            let mut rule = PolicyRule {
                meta,
                kind,
                each,
                with,
                lets,
                assert,
                at,
                message,
                help,
                related,
                plan: LetPlan::default(),
                fast: Default::default(),
            };
            rule.plan = LetPlan::new(&rule.lets, &rule.assert, |name| rule.uses(name));
            rule.fast = crate::policy::fast::compile::rule(
                &rule.with,
                &rule.lets,
                &rule.assert,
                rule.meta.each.as_deref(),
            );
            rule.plan.reported = (rule.fast.layout.names.iter())
                .map(|name| rule.reports_read(name))
                .collect();
            Ok(rule)
        }
        _ => Err(c.errors),
    }
}

/// The byte span in `text` of characters `chars` of `expr`, which is written (possibly
/// quoted, or as a block scalar) in the span `value`. Falls back to the whole value.
pub fn locate(text: &str, value: Range<usize>, expr: &str, chars: &Range<usize>) -> Range<usize> {
    let Some(raw) = text.get(value.clone()) else {
        return value;
    };
    let char_to_byte = |s: &str, c: usize| s.char_indices().nth(c).map_or(s.len(), |(b, _)| b);
    let start_byte = char_to_byte(expr, chars.start);
    let end_byte = char_to_byte(expr, chars.end.max(chars.start));
    // The line of the expression that holds the start, and the lines before it.
    let line_start = expr[..start_byte].rfind('\n').map_or(0, |i| i + 1);
    let line_end = expr[line_start..]
        .find('\n')
        .map_or(expr.len(), |i| line_start + i);
    let mut search = 0;
    for line in expr[..line_start]
        .split('\n')
        .filter(|l| !l.trim().is_empty())
    {
        match raw[search..].find(line.trim()) {
            Some(at) => search += at + line.trim().len(),
            None => return value,
        }
    }
    let line = &expr[line_start..line_end];
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let Some(found) = raw[search..]
        .find(trimmed.trim_end())
        .filter(|_| !trimmed.is_empty())
    else {
        return value;
    };
    let base = value.start + search + found;
    let start = base + (start_byte - line_start).saturating_sub(indent);
    let end = (base + (end_byte - line_start).saturating_sub(indent))
        .min(value.end)
        .max(start);
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locating_expressions_in_plain_quoted_and_block_scalars() {
        let text = "assert: total <= params.mx\n";
        let value = 8..text.len() - 1;
        let expr = "total <= params.mx";
        assert_eq!(&text[locate(text, value, expr, &(9..18))], "params.mx");
        let text = "assert: \"total <= x\"\n";
        assert_eq!(&text[locate(text, 8..20, "total <= x", &(9..10))], "x");
        let text = "let:\n  a: |\n    first.line &&\n    second.line\n";
        let value = text.find("first").unwrap()..text.len() - 1;
        let expr = "first.line &&\nsecond.line\n";
        assert_eq!(&text[locate(text, value, expr, &(14..20))], "second");
    }
}
