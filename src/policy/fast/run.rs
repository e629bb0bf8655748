//! Running a rule on a document with the fast evaluator. A `let` is evaluated when the
//! assertion needs it, and the others only when the assertion fails (a message may need
//! them); a `let` that reads no subject variable is evaluated once per document. Expressions
//! the fast evaluator gives up on are evaluated by the reference interpreter, from the same
//! budget; messages of findings are rendered by the reference path, from the same values.

use serde_json::Value;

use super::{Bail, Env, Fv, Globals};
use crate::diagnostic::Diagnostic;
use crate::pointer;
use crate::policy::cel::{self, Bindings, EvalError, Expression, budget};
use crate::policy::eval::{
    Params, Scope, Subject, report, rule_error, subjects, target, with_error,
};
use crate::policy::rule::{LetPlan, PolicyRule};

/// Evaluation context of one rule on one document.
struct Ctx<'a, 's> {
    doc: &'s Subject<'a>,
    scope: &'s Scope<'a>,
    params: Params<'a>,
}

/// A `let` evaluated once for the document: its value or its error.
type Hoisted<'a> = Option<Result<Fv<'a>, EvalError>>;

/// Runs `rule` on `doc`; `at` follows the subject being checked (see `eval::run`).
pub fn run<'a>(
    rule: &'a PolicyRule,
    params: Params<'a>,
    doc: &Subject<'a>,
    scope: &Scope<'a>,
    at: &mut String,
) -> Vec<Diagnostic> {
    let globals = Globals {
        tables: Fv::from_json(scope.tables),
        library: scope.library,
        workspace: scope.workspace,
    };
    let mut env = Env {
        vars: Vec::with_capacity(16),
        globals: &globals,
    };
    // Positions 0 and 1: `bindings` hands the reference interpreter the converted originals.
    env.vars.push(("doc", Fv::from_json(doc.value)));
    env.vars.push(("params", Fv::from_json(params.json)));
    let ctx = Ctx { doc, scope, params };
    let mut out = Vec::new();
    for (name, expr) in &rule.with {
        match ctx.eval(expr, &mut env) {
            Ok(value) => env.vars.push((name, value)),
            Err(_) if budget::exhausted() => return out,
            Err(e) => {
                out.extend(with_error(rule, name, expr, &e, doc, scope));
                return out;
            }
        }
    }
    let base = env.vars.len();
    let mut hoisted: Vec<Hoisted<'a>> = vec![None; rule.lets.len()];
    for subject in subjects(rule, doc.value) {
        *at = subject;
        env.vars.truncate(base);
        let found = check_subject(rule, at, &mut env, &mut hoisted, &ctx);
        if !budget::spend(1) {
            break;
        }
        out.extend(found);
    }
    out
}

fn check_subject<'a>(
    rule: &'a PolicyRule,
    subject: &str,
    env: &mut Env<'a, '_>,
    hoisted: &mut [Hoisted<'a>],
    ctx: &Ctx<'a, '_>,
) -> Option<Diagnostic> {
    bind_subject(env, ctx.doc.value, subject, &rule.plan);
    let target = target(rule, subject);
    let fail = |name: &str, expr: &Expression, e: &EvalError| {
        let span = ctx.doc.spans.value_or_ancestor(&target);
        (!ctx.doc.flagged).then(|| rule_error(rule, name, expr, e, span, subject, ctx.scope.lang))
    };
    let mut done = vec![false; rule.lets.len()];
    for &i in &rule.plan.assert_deps {
        if let Err((j, e)) = need(i, rule, env, hoisted, &mut done, ctx) {
            let (name, expr) = &rule.lets[j];
            return fail(&format!("let.{name}"), expr, &e);
        }
    }
    let holds = match ctx.eval(&rule.assert, env) {
        Ok(Fv::Bool(b)) => b,
        Ok(other) => {
            let e = EvalError(format!(
                "the assertion gave {} instead of true or false",
                cel::display(other.to_cel().as_ref(), ", ")
            ));
            return fail("assert", &rule.assert, &e);
        }
        Err(e) => return fail("assert", &rule.assert, &e),
    };
    if holds {
        return None;
    }
    for i in 0..rule.lets.len() {
        if let Err((j, e)) = need(i, rule, env, hoisted, &mut done, ctx) {
            let (name, expr) = &rule.lets[j];
            return fail(&format!("let.{name}"), expr, &e);
        }
    }
    let bindings = ctx.bindings(env);
    report(rule, subject, target, &bindings, ctx.doc, ctx.scope)
}

/// Binds `let` number `i` (after the earlier ones it reads), unless it is bound already.
fn need<'a>(
    i: usize,
    rule: &'a PolicyRule,
    env: &mut Env<'a, '_>,
    hoisted: &mut [Hoisted<'a>],
    done: &mut [bool],
    ctx: &Ctx<'a, '_>,
) -> Result<(), (usize, EvalError)> {
    if done[i] {
        return Ok(());
    }
    for &j in &rule.plan.deps[i] {
        need(j, rule, env, hoisted, done, ctx)?;
    }
    let (name, expr) = &rule.lets[i];
    let value = if rule.plan.hoist[i] {
        match &hoisted[i] {
            Some(cached) => cached.clone(),
            None => {
                let result = ctx.eval(expr, env);
                hoisted[i] = Some(result.clone());
                result
            }
        }
    } else {
        ctx.eval(expr, env)
    };
    env.vars.push((name, value.map_err(|e| (i, e))?));
    done[i] = true;
    Ok(())
}

impl<'a> Ctx<'a, '_> {
    /// Evaluates `expr`, with the reference interpreter when the fast one gives up.
    fn eval(&self, expr: &'a Expression, env: &mut Env<'a, '_>) -> Result<Fv<'a>, EvalError> {
        let saved = budget::snapshot();
        match super::eval(expr.ast(), env) {
            Ok(value) => Ok(value),
            Err(Bail) if budget::exhausted() => Err(EvalError("step budget exhausted".to_owned())),
            Err(Bail) => {
                budget::restore(saved);
                let bindings = self.bindings(env);
                self.scope.runtime.eval(expr, &bindings).map(Fv::from_cel)
            }
        }
    }

    /// The variables as the reference interpreter's.
    fn bindings(&self, env: &Env<'a, '_>) -> Bindings {
        let mut bindings = Bindings::default();
        for (i, (name, value)) in env.vars.iter().enumerate() {
            let converted = match i {
                0 => self.doc.cel().boxed(),
                1 => self.params.cel.boxed(),
                _ => value.to_cel(),
            };
            bindings.set(name, converted);
        }
        bindings
    }
}

/// Binds `self`, `parent`, `ancestors`, `index`, `key` and `path` for the subject at
/// `subject`, as `eval::bind_subject` does for the reference path.
fn bind_subject<'a>(env: &mut Env<'a, '_>, root: &'a Value, subject: &str, plan: &LetPlan) {
    let tokens = pointer::tokens(subject);
    let mut chain: Vec<&'a Value> = vec![root];
    for token in &tokens {
        let Some(next) = chain.last().and_then(|v| child(v, token)) else {
            break;
        };
        chain.push(next);
    }
    let this = chain.pop().unwrap_or(root);
    let in_list = chain.last().is_some_and(|c| c.is_array());
    let ancestors: Vec<&'a Value> = chain
        .iter()
        .rev()
        .filter(|v| !v.is_array())
        .copied()
        .collect();
    let parent = ancestors.first().map_or(Fv::Null, |p| Fv::from_json(p));
    let index = tokens
        .last()
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|_| in_list)
        .unwrap_or(-1);
    let key = tokens
        .last()
        .filter(|_| index < 0)
        .map_or(Fv::Null, |k| Fv::text(k));
    env.vars.push(("self", Fv::from_json(this)));
    env.vars.push(("parent", parent));
    let ancestors = if plan.ancestors {
        ancestors.into_iter().map(Fv::from_json).collect()
    } else {
        Vec::new()
    };
    env.vars.push(("ancestors", Fv::list(ancestors)));
    env.vars.push(("index", Fv::Int(index)));
    env.vars.push(("key", key));
    let path = if plan.path {
        let mut at: Vec<&Value> = vec![root];
        tokens
            .iter()
            .map(|t| {
                let in_list = at.last().is_some_and(|c| c.is_array());
                if let Some(next) = at.last().and_then(|c| child(c, t)) {
                    at.push(next);
                }
                match t.parse::<i64>() {
                    Ok(i) if in_list => Fv::Int(i),
                    _ => Fv::text(t),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    env.vars.push(("path", Fv::list(path)));
}

/// The element at a JSON Pointer token.
fn child<'a>(value: &'a Value, token: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map.get(token),
        Value::Array(items) => items.get(token.parse::<usize>().ok()?),
        _ => None,
    }
}
