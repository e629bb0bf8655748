//! Running a compiled policy rule on one document: pick the subjects, bind the variables,
//! evaluate, and turn each failed assertion into a diagnostic. The reference path here runs
//! every expression through the `cel` crate, every `let` of every subject; the fast path
//! (`policy::fast::run`, the default) gives the same findings for a fraction of the work.

use std::ops::Range;

use serde_json::Value;

use super::cel::{self, Bindings, EvalError, Expression, Runtime, Shared, Val, value as v};
use super::rule::PolicyRule;
use crate::diagnostic::{Diagnostic, Related};
use crate::lang::Lang;
use crate::load::SpanIndex;
use crate::pointer;
use crate::rules::names;
use crate::workspace::Workspace;

/// What evaluation needs to know about the document.
pub struct Subject<'a> {
    /// The document's value.
    pub value: &'a Value,
    /// The same, as a CEL value, converted when the reference interpreter first needs it.
    pub cel: &'a std::cell::OnceCell<Shared>,
    /// Its spans.
    pub spans: &'a SpanIndex,
    /// Its text (for compact spans).
    pub text: &'a str,
    /// Whether the schema already flagged something in it: evaluation errors then stay quiet.
    pub flagged: bool,
    /// Values of `with` expressions that read only the document, shared by the rules that
    /// spell the same expression (the fast path's; the reference path evaluates each).
    pub memo: &'a super::fast::run::Memo<'a>,
}

impl Scope<'_> {
    /// The reference tables as a CEL value.
    pub fn tables_cel(&self) -> &Shared {
        self.tables_cel
            .get_or_init(|| Shared::new(v::from_json(self.tables)))
    }
}

impl Subject<'_> {
    /// The document as a CEL value.
    pub fn cel(&self) -> &Shared {
        self.cel
            .get_or_init(|| Shared::new(v::from_json(self.value)))
    }
}

/// A rule's effective parameters, in both forms.
#[derive(Clone, Copy)]
pub struct Params<'a> {
    /// As JSON (fast path).
    pub json: &'a Value,
    /// As a CEL value (reference interpreter).
    pub cel: &'a Shared,
}

/// Everything shared by the evaluations of one run.
pub struct Scope<'a> {
    /// Functions and globals.
    pub runtime: &'a Runtime,
    /// The workspace index behind vetlint's functions.
    pub library: &'a super::cel::Library,
    /// The reference tables, as JSON.
    pub tables: &'a Value,
    /// The same as a CEL value, converted when the reference interpreter first needs it.
    pub tables_cel: &'a std::sync::OnceLock<Shared>,
    /// Evaluate with the reference path only (`check --reference`).
    pub reference: bool,
    /// Cross-document index.
    pub workspace: &'a Workspace,
    /// Message language.
    pub lang: Lang,
    /// Step budget of one rule on one document.
    pub steps: u64,
}

/// Runs `rule` with `params` on `doc`, within the step budget of `scope`. When the budget
/// runs out, the rule's findings on this document are unreliable (loops stopped early), so
/// they are replaced by one `rule-error` at the subject being checked.
pub fn run<'a>(
    rule: &'a PolicyRule,
    params: Params<'a>,
    doc: &Subject<'a>,
    scope: &Scope<'a>,
) -> Vec<Diagnostic> {
    let budget = cel::budget::start(scope.steps);
    let mut at = String::new();
    let out = if scope.reference {
        run_subjects(rule, params.cel, doc, scope, &mut at)
    } else {
        let started = crate::stats::rules_timed().then(std::time::Instant::now);
        let out = super::fast::run::run(rule, params, doc, scope, &mut at);
        if let Some(started) = started {
            crate::stats::rule(&rule.meta.name, started.elapsed());
        }
        out
    };
    if !budget.exceeded() {
        return out;
    }
    let span = crate::check::first_line(doc.text, doc.spans.value_or_ancestor(&at));
    let name = &rule.meta.name;
    let steps = scope.steps;
    let message = match scope.lang {
        Lang::En => format!(
            "rule `{name}` stopped after {steps} evaluation steps on this document; its findings here are incomplete"
        ),
        Lang::Zh => {
            format!("规则 `{name}` 在本文档上计算了 {steps} 步后被中止，它在此处的结果不完整")
        }
    };
    vec![
        Diagnostic::new(names::RULE_ERROR, span, message)
            .with_pointer(at)
            .with_label(scope.lang.pick("计算到这里时超出上限", "the limit was reached here"))
            .with_help(scope.lang.pick(
                "文档中的列表异常庞大，或者规则的写法是平方级的；确需检查时，在 vetlint.toml 的 [limits] 中调高 rule-steps",
                "a list in the document is unusually large, or the rule is quadratic; if the document is real, raise `rule-steps` under [limits] in vetlint.toml",
            )),
    ]
}

/// Evaluates `with`, then every subject; `at` follows the subject being checked.
fn run_subjects(
    rule: &PolicyRule,
    params: &Shared,
    doc: &Subject<'_>,
    scope: &Scope<'_>,
    at: &mut String,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut bindings = Bindings::default();
    bindings.set("tables", scope.tables_cel().boxed());
    bindings.set("doc", doc.cel().boxed());
    bindings.set("params", params.boxed());
    for (name, expr) in &rule.with {
        match scope.runtime.eval(expr, &bindings) {
            Ok(value) => bindings.set(name, v::share(value)),
            Err(_) if cel::budget::exhausted() => return out,
            Err(e) => {
                out.extend(with_error(rule, name, expr, &e, doc, scope));
                return out;
            }
        }
    }
    for subject in subjects(rule, doc.value) {
        *at = subject;
        let found = check_subject(rule, at, &bindings, doc, scope);
        if !cel::budget::spend(1) {
            break;
        }
        out.extend(found);
    }
    out
}

/// The `rule-error` of a `with` binding that cannot be evaluated (at the document's first
/// line; none when the schema already flagged the document).
pub fn with_error(
    rule: &PolicyRule,
    name: &str,
    expr: &Expression,
    e: &EvalError,
    doc: &Subject<'_>,
    scope: &Scope<'_>,
) -> Option<Diagnostic> {
    if doc.flagged {
        return None;
    }
    let at = crate::check::first_line(doc.text, doc.spans.value_or_ancestor(""));
    Some(rule_error(
        rule,
        &format!("with.{name}"),
        expr,
        e,
        at,
        "",
        scope.lang,
    ))
}

/// The JSON Pointers of the rule's subjects in `value`.
pub fn subjects(rule: &PolicyRule, value: &Value) -> Vec<String> {
    match &rule.each {
        Some(path) => path
            .query_located(value)
            .iter()
            .map(|n| n.location().to_json_pointer())
            .collect(),
        None => vec![String::new()],
    }
}

/// Where a subject's finding points: the subject, then the rule's `at` path.
pub fn target(rule: &PolicyRule, subject: &str) -> String {
    rule.at
        .iter()
        .fold(subject.to_owned(), |p, t| pointer::push(&p, t))
}

fn check_subject(
    rule: &PolicyRule,
    subject: &str,
    with: &Bindings,
    doc: &Subject<'_>,
    scope: &Scope<'_>,
) -> Option<Diagnostic> {
    let lang = scope.lang;
    let mut bindings = Bindings::default();
    bindings.extend(with);
    bind_subject(&mut bindings, doc, subject);
    let target = target(rule, subject);
    let span = doc.spans.value_or_ancestor(&target);
    let fail = |name: &str, expr: &Expression, e: &EvalError| {
        (!doc.flagged).then(|| rule_error(rule, name, expr, e, span.clone(), subject, lang))
    };
    for (name, expr) in &rule.lets {
        match scope.runtime.eval(expr, &bindings) {
            Ok(value) => bindings.set(name, v::share(value)),
            Err(e) => return fail(&format!("let.{name}"), expr, &e),
        }
    }
    let holds = match scope.runtime.eval(&rule.assert, &bindings) {
        Ok(value) => match v::as_bool(value.as_ref()) {
            Some(b) => b,
            None => {
                let e = EvalError(format!(
                    "the assertion gave {} instead of true or false",
                    cel::display(value.as_ref(), ", ")
                ));
                return fail("assert", &rule.assert, &e);
            }
        },
        Err(e) => return fail("assert", &rule.assert, &e),
    };
    if holds {
        return None;
    }
    report(rule, subject, target, &bindings, doc, scope)
}

/// The finding of a failed assertion, with its message, help and related labels rendered from
/// `bindings` (or a `rule-error` when one of them cannot be evaluated).
pub fn report(
    rule: &PolicyRule,
    subject: &str,
    target: String,
    bindings: &Bindings,
    doc: &Subject<'_>,
    scope: &Scope<'_>,
) -> Option<Diagnostic> {
    let lang = scope.lang;
    let separator = lang.pick("、", ", ");
    let span = doc.spans.value_or_ancestor(&target);
    let fail = |name: &str, expr: &Expression, e: &EvalError| {
        (!doc.flagged).then(|| rule_error(rule, name, expr, e, span.clone(), subject, lang))
    };
    let message = match rule
        .message(lang)
        .render(scope.runtime, bindings, separator)
    {
        Ok(m) => m,
        Err((e, expr)) => return fail("message", expr, &e),
    };
    let mut d = Diagnostic::new(&rule.meta.name, span.clone(), message).with_pointer(target);
    if let Some(help) = rule.help(lang) {
        match help.render(scope.runtime, bindings, separator) {
            Ok(h) => d.help = Some(h),
            Err((e, expr)) => return fail("help", expr, &e),
        }
    }
    for related in &rule.related {
        match related_label(related, bindings, doc, scope) {
            Ok(Some(r)) => d.related.push(r),
            Ok(None) => {}
            Err((e, expr, what)) => return fail(what, expr, &e),
        }
    }
    Some(d)
}

type RelatedError<'r> = (EvalError, &'r Expression, &'static str);

fn related_label<'r>(
    related: &'r super::rule::Related,
    bindings: &Bindings,
    doc: &Subject<'_>,
    scope: &Scope<'_>,
) -> Result<Option<Related>, RelatedError<'r>> {
    let eval = |expr: &'r Expression, what: &'static str| {
        scope
            .runtime
            .eval(expr, bindings)
            .map_err(|e| (e, expr, what))
    };
    if let Some(when) = &related.when
        && v::as_bool(eval(when, "related.when")?.as_ref()) != Some(true)
    {
        return Ok(None);
    }
    let at = eval(&related.at, "related.at")?;
    let Some(at) = v::as_str(at.as_ref()).map(str::to_owned) else {
        return Ok(None);
    };
    let (source, span) = match (&related.kind, &related.id) {
        (Some(kind), Some(id)) => {
            let id = eval(id, "related.id")?;
            let Some(entry) = v::as_str(id.as_ref()).and_then(|id| scope.workspace.get(kind, id))
            else {
                return Ok(None);
            };
            // Only documents kept whole (the referenced kinds) are pointed into.
            if entry.value.is_none() {
                return Ok(None);
            }
            (
                Some(entry.source.clone()),
                entry.index.value_or_ancestor(&at),
            )
        }
        _ => (None, doc.spans.value_or_ancestor(&at)),
    };
    let template = &related.message[usize::from(scope.lang == Lang::En)];
    let message = template
        .render(scope.runtime, bindings, scope.lang.pick("、", ", "))
        .map_err(|(e, expr)| (e, expr, "related.message"))?;
    Ok(Some(Related {
        source,
        span,
        message,
    }))
}

/// Binds `self`, `parent`, `ancestors`, `index`, `key` and `path` for the subject at `subject`.
fn bind_subject(bindings: &mut Bindings, doc: &Subject<'_>, subject: &str) {
    let tokens = pointer::tokens(subject);
    let root = doc.cel().get();
    let mut chain: Vec<&(dyn Val + 'static)> = vec![root];
    for token in &tokens {
        let Some(next) = chain.last().and_then(|v| v::child(*v, token)) else {
            break;
        };
        chain.push(next);
    }
    let this = chain.pop().unwrap_or(root);
    // Enclosing objects, nearest first (lists are skipped: `parent` of a list item is the
    // object that holds the list).
    let ancestors: Vec<Box<dyn Val>> = chain
        .iter()
        .rev()
        .filter(|v| v::as_list(**v).is_none())
        .map(|v| v.clone_as_boxed())
        .collect();
    let parent = ancestors
        .first()
        .map_or_else(v::null, |p| p.clone_as_boxed());
    let index = tokens
        .last()
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|_| chain.last().is_some_and(|c| v::as_list(*c).is_some()))
        .unwrap_or(-1);
    bindings.set("self", this.clone_as_boxed());
    bindings.set("parent", parent);
    bindings.set("ancestors", v::list(ancestors));
    bindings.set("index", v::int(index));
    let key = tokens
        .last()
        .filter(|_| index < 0)
        .map_or_else(v::null, |k| v::string(k));
    bindings.set("key", key);
    // The subject's place: list positions as ints, member names as strings.
    let mut at: Vec<&(dyn Val + 'static)> = vec![root];
    let path = tokens
        .iter()
        .map(|t| {
            let in_list = at.last().is_some_and(|c| v::as_list(*c).is_some());
            if let Some(next) = at.last().and_then(|c| v::child(*c, t)) {
                at.push(next);
            }
            match t.parse::<i64>() {
                Ok(i) if in_list => v::int(i),
                _ => v::string(t),
            }
        })
        .collect();
    bindings.set("path", v::list(path));
}

pub fn rule_error(
    rule: &PolicyRule,
    part: &str,
    expr: &Expression,
    error: &EvalError,
    span: Range<usize>,
    subject: &str,
    lang: Lang,
) -> Diagnostic {
    let name = &rule.meta.name;
    let message = match lang {
        Lang::En => format!(
            "rule `{name}` could not evaluate `{part}` (`{}`): {}",
            expr.source.trim(),
            error.0
        ),
        Lang::Zh => format!(
            "规则 `{name}` 无法计算 `{part}`（`{}`）：{}",
            expr.source.trim(),
            error.0
        ),
    };
    Diagnostic::new(names::RULE_ERROR, span, message)
        .with_pointer(subject.to_owned())
        .with_help(match lang {
            Lang::En => format!(
                "this is a defect of the rule file {}, not of the document",
                rule.meta.file
            ),
            Lang::Zh => format!("这是规则文件 {} 的缺陷，而不是文档的问题", rule.meta.file),
        })
}
