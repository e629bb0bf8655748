//! Running a rule on a document with the fast evaluator. A `let` is evaluated when an
//! expression first reads it (so `!deleted || …` never computes what `…` needs for a course
//! that is not deleted), every `let` when the assertion fails (a message may need them), and a
//! `let` that reads no subject variable once per document. Expressions the fast evaluator
//! gives up on are evaluated by the reference interpreter, from the same budget, after the
//! `let`s they read; messages of findings are rendered by the reference path, from the same
//! values. A subject that passes costs no allocation beyond what its expressions compute.

use serde_json::Value;
use std::ops::ControlFlow;

use serde_json_path::PathElement;

use super::compile::Node;
use super::interp::Lets;
use super::walk::{self, Chain, Location};
use super::{Bail, Frame, Fv, Globals};
use crate::diagnostic::Diagnostic;
use crate::policy::cel::{self, Bindings, EvalError, Expression, budget};
use crate::policy::eval::{Params, Scope, Subject, report, rule_error, target, with_error};
use crate::policy::rule::PolicyRule;

/// The values of document-only `with`s (by source) on one document, with the budget steps
/// each took, so that every rule that spells one pays the same steps without computing it.
pub type Memo<'a> = std::cell::RefCell<foldhash::HashMap<&'a str, (Fv<'a>, u64)>>;

/// Evaluation context of one rule on one document.
struct Ctx<'a, 's> {
    /// An empty list, shared.
    empty: Fv<'a>,
    rule: &'a PolicyRule,
    doc: &'s Subject<'a>,
    scope: &'s Scope<'a>,
    params: Params<'a>,
}

/// Why an expression has no value: the error, and the `let` it came from (if it came from one
/// the expression reads).
type Failure = (Option<usize>, EvalError);

/// Runs `rule` on `doc`; `at` is set to the subject being checked when the step budget runs
/// out (see `eval::run`).
pub fn run<'a>(
    rule: &'a PolicyRule,
    params: Params<'a>,
    doc: &Subject<'a>,
    scope: &Scope<'a>,
    at: &mut String,
) -> Vec<Diagnostic> {
    let compiled = &rule.fast;
    let layout = &compiled.layout;
    let globals = Globals {
        tables: Fv::from_json(scope.tables),
        library: scope.library,
    };
    let mut f = Frame {
        slots: vec![Fv::Null; layout.size],
        // Comprehension slots (after the named ones) are always written before being read.
        bound: (0..layout.size).map(|i| i >= layout.names.len()).collect(),
        lets: Lets {
            base: layout.lets,
            nodes: &compiled.lets,
            hoist: &rule.plan.hoist,
            failed: vec![None; rule.lets.len()],
        },
        globals: &globals,
    };
    f.slots[0] = Fv::from_json(doc.value);
    f.slots[1] = Fv::from_json(params.json);
    f.bound[0] = true;
    f.bound[1] = true;
    let empty = Fv::list(Vec::new());
    // `ancestors` and `path` of a rule that never reads them stay empty lists (the reference
    // path binds them so).
    f.slots[layout.subject + 2] = empty.clone();
    f.slots[layout.subject + 5] = empty.clone();
    let ctx = Ctx {
        empty,
        rule,
        doc,
        scope,
        params,
    };
    let mut out = Vec::new();
    for (i, (name, expr)) in rule.with.iter().enumerate() {
        let key = compiled.memo[i].as_deref();
        let kept = key.and_then(|key| doc.memo.borrow().get(key).cloned());
        if let Some((value, steps)) = kept {
            if !budget::spend(steps) {
                return out;
            }
            f.slots[2 + i] = value;
            f.bound[2 + i] = true;
            continue;
        }
        let before = budget::left();
        match ctx.eval(expr, &compiled.with[i], &[], &mut f) {
            Ok(value) => {
                if let Some(key) = key
                    && !budget::exhausted()
                {
                    let steps = before.zip(budget::left()).map_or(0, |(b, a)| b - a);
                    doc.memo.borrow_mut().insert(key, (value.clone(), steps));
                }
                f.slots[2 + i] = value;
                f.bound[2 + i] = true;
            }
            Err(_) if budget::exhausted() => return out,
            Err((_, e)) => {
                out.extend(with_error(rule, name, expr, &e, doc, scope));
                return out;
            }
        }
    }
    let mut subject = |location: &Location<'a>, chain: &Chain<'a>, node: &'a Value| {
        let before = out.len();
        out.extend(subject_finding(&ctx, location, chain, node, &mut f));
        if !budget::spend(1) {
            // The subject's finding, if any, is dropped with the rule's others.
            out.truncate(before);
            *at = walk::pointer(location);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    };
    match &rule.each {
        Some(path) => compiled.walk.visit(path, doc.value, &mut subject),
        None => {
            let _ = subject(&[], &[], doc.value);
        }
    }
    out
}

/// Checks one subject: its finding or rule error, if any.
fn subject_finding<'a>(
    ctx: &Ctx<'a, '_>,
    location: &Location<'a>,
    chain: &Chain<'a>,
    node: &'a Value,
    f: &mut Frame<'a, '_>,
) -> Option<Diagnostic> {
    let rule = ctx.rule;
    let layout = &rule.fast.layout;
    // A `let` that is the same for every subject keeps its value once computed; the others
    // are computed again for this subject when read.
    let lets = &mut f.bound[layout.lets..layout.names.len()];
    for (bound, &hoist) in lets.iter_mut().zip(&rule.plan.hoist) {
        *bound &= hoist;
    }
    bind_subject(f, ctx, location, chain, node);
    let fail = |(from, e): Failure, own: (&str, &Expression)| {
        let (name, expr) = match from {
            Some(j) => (format!("let.{}", rule.lets[j].0), &rule.lets[j].1),
            None => (own.0.to_owned(), own.1),
        };
        let subject = walk::pointer(location);
        let span = ctx.doc.spans.value_or_ancestor(&target(rule, &subject));
        (!ctx.doc.flagged)
            .then(|| rule_error(rule, &name, expr, &e, span, &subject, ctx.scope.lang))
    };
    let assert = ("assert", &rule.assert);
    let holds = match ctx.eval(&rule.assert, &rule.fast.assert, &rule.plan.assert_deps, f) {
        Ok(Fv::Bool(b)) => b,
        Ok(other) => {
            let e = EvalError(format!(
                "the assertion gave {} instead of true or false",
                cel::display(other.to_cel().as_ref(), ", ")
            ));
            return fail((None, e), assert);
        }
        Err(failure) => return fail(failure, assert),
    };
    if holds {
        return None;
    }
    for i in 0..rule.lets.len() {
        if let Err(failure) = need(i, ctx, f) {
            return fail(failure, assert);
        }
    }
    let bindings = ctx.bindings(f, Some(&rule.plan.reported));
    let subject = walk::pointer(location);
    let target = target(rule, &subject);
    report(rule, &subject, target, &bindings, ctx.doc, ctx.scope)
}

/// Binds `let` number `i` (after the earlier ones it reads), unless it is bound already.
fn need<'a>(i: usize, ctx: &Ctx<'a, '_>, f: &mut Frame<'a, '_>) -> Result<(), Failure> {
    let rule = ctx.rule;
    let slot = rule.fast.layout.lets + i;
    if f.bound[slot] {
        return Ok(());
    }
    let (_, expr) = &rule.lets[i];
    let hoist = rule.plan.hoist[i];
    if hoist && let Some(e) = &f.lets.failed[i] {
        return Err((Some(i), e.clone()));
    }
    let result = ctx.eval(expr, &rule.fast.lets[i], &rule.plan.deps[i], f);
    if hoist && let Err((None, e)) = &result {
        f.lets.failed[i] = Some(e.clone());
    }
    let value = result.map_err(|(from, e)| (from.or(Some(i)), e))?;
    Fv::set(&mut f.slots[slot], value);
    f.bound[slot] = true;
    Ok(())
}

impl<'a> Ctx<'a, '_> {
    /// Evaluates `expr` (compiled as `node`). When the fast evaluator gives up, the `let`s
    /// it reads (`deps`) are evaluated one by one and the reference interpreter evaluates it.
    fn eval(
        &self,
        expr: &'a Expression,
        node: &'a Node,
        deps: &[usize],
        f: &mut Frame<'a, '_>,
    ) -> Result<Fv<'a>, Failure> {
        let saved = budget::snapshot();
        match super::eval(node, f) {
            Ok(value) => Ok(value),
            Err(Bail) if budget::exhausted() => {
                Err((None, EvalError("step budget exhausted".to_owned())))
            }
            Err(Bail) => {
                if std::env::var_os("VETLINT_TRACE_BAIL").is_some() {
                    eprintln!("bail: {}: {}", self.rule.meta.name, expr.source.trim());
                }
                budget::restore(saved);
                for &j in deps {
                    need(j, self, f)?;
                }
                let bindings = self.bindings(f, None);
                self.scope
                    .runtime
                    .eval(expr, &bindings)
                    .map(Fv::from_cel)
                    .map_err(|e| (None, e))
            }
        }
    }

    /// The bound variables as the reference interpreter's, in the reference's order.
    /// `only`: which of them (by slot) to bind; `None`: all.
    fn bindings(&self, f: &Frame<'a, '_>, only: Option<&[bool]>) -> Bindings {
        let mut bindings = Bindings::default();
        if self.rule.plan.tables {
            bindings.set("tables", self.scope.tables_cel().boxed());
        }
        let names = &self.rule.fast.layout.names;
        for (i, name) in names.iter().enumerate() {
            if !f.bound[i] || only.is_some_and(|only| !only.get(i).copied().unwrap_or(true)) {
                continue;
            }
            let converted = match i {
                0 => self.doc.cel().boxed(),
                1 => self.params.cel.boxed(),
                _ => f.slots[i].to_cel(),
            };
            bindings.set(name, converted);
        }
        bindings
    }
}

/// Binds `self`, `parent`, `ancestors`, `index`, `key` and `path` for the subject at
/// `location`, as `eval::bind_subject` does for the reference path.
fn bind_subject<'a>(
    f: &mut Frame<'a, '_>,
    ctx: &Ctx<'a, '_>,
    location: &Location<'a>,
    chain: &Chain<'a>,
    node: &'a Value,
) {
    let plan = &ctx.rule.plan;
    let base = ctx.rule.fast.layout.subject;
    // The containers on the way down (from the walk), and whether the subject sits in a list.
    let mut parent: Option<&'a Value> = None;
    let mut container: Option<&'a Value> = None;
    let mut ancestors: Vec<Fv<'a>> = Vec::new();
    let mut path: Vec<Fv<'a>> = Vec::new();
    let mut last: Option<&PathElement<'a>> = None;
    for (element, &current) in location.iter().zip(chain) {
        if current.is_object() {
            parent = Some(current);
            if plan.ancestors {
                ancestors.push(Fv::from_json(current));
            }
        }
        container = Some(current);
        if plan.path {
            path.push(match element {
                PathElement::Index(i) if current.is_array() => Fv::Int(*i as i64),
                PathElement::Index(i) => Fv::text(&i.to_string()),
                PathElement::Name(k) => Fv::Str(k),
            });
        }
        last = Some(element);
    }
    ancestors.reverse();
    let in_list = container.is_some_and(Value::is_array);
    let (index, key) = match last {
        Some(PathElement::Index(i)) if in_list => (Fv::Int(*i as i64), Fv::Null),
        Some(PathElement::Index(i)) => (Fv::Int(-1), Fv::text(&i.to_string())),
        Some(PathElement::Name(k)) => (Fv::Int(-1), Fv::Str(k)),
        None => (Fv::Int(-1), Fv::Null),
    };
    // Lists nobody reads stay unallocated (an empty list either way).
    let list = |items: Vec<Fv<'a>>| {
        if items.is_empty() {
            ctx.empty.clone()
        } else {
            Fv::list(items)
        }
    };
    let slots = &mut f.slots[base..base + 6];
    Fv::set(&mut slots[0], Fv::from_json(node));
    Fv::set(&mut slots[1], parent.map_or(Fv::Null, Fv::from_json));
    if plan.ancestors {
        slots[2] = list(ancestors);
    }
    Fv::set(&mut slots[3], index);
    slots[4] = key;
    if plan.path {
        slots[5] = list(path);
    }
    f.bound[base..base + 6].fill(true);
}
