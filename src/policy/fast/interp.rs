//! The fast evaluator: walks a compiled expression's syntax tree over borrowed document
//! values. It handles the part of CEL that rules use (operators, field selection and `has`,
//! indexing, `in`, the comprehension macros, the common standard functions and vetlint's
//! library); for anything else, and for every error, it bails and the caller asks the
//! reference interpreter (the `cel` crate), so results and error messages are the crate's.

use std::cmp::Ordering;
use std::rc::Rc;

use cel::IdedExpr;
use cel::common::ast::{ComprehensionExpr, EntryExpr, Expr, LiteralValue};

use super::functions;
use super::value::{Bail, Fv, compare, equal};
use crate::policy::cel::{Library, budget};
use crate::workspace::Workspace;

/// What every evaluation of a run can see besides its variables.
pub struct Globals<'a> {
    /// The reference tables (`tables`).
    pub tables: Fv<'a>,
    /// The workspace index behind `lookup`, `tasksOf`, ….
    pub library: &'a Library,
    /// The run's documents.
    pub workspace: &'a Workspace,
}

/// The variables in scope, innermost last.
pub struct Env<'a, 'g> {
    /// Name → value.
    pub vars: Vec<(&'a str, Fv<'a>)>,
    /// Globals.
    pub globals: &'g Globals<'a>,
}

impl<'a> Env<'a, '_> {
    fn get(&self, name: &str) -> Option<Fv<'a>> {
        if let Some((_, value)) = self.vars.iter().rev().find(|(n, _)| *n == name) {
            return Some(value.clone());
        }
        (name == "tables").then(|| self.globals.tables.clone())
    }
}

/// Evaluates `expr`.
pub fn eval<'a>(expr: &'a IdedExpr, env: &mut Env<'a, '_>) -> Result<Fv<'a>, Bail> {
    match &expr.expr {
        Expr::Literal(literal) => literal_value(literal),
        Expr::Ident(name) => env.get(name).ok_or(Bail),
        Expr::Select(select) => {
            let operand = eval(&select.operand, env)?;
            let found = operand.map_get(&select.field)?;
            if select.test {
                Ok(Fv::Bool(found.is_some()))
            } else {
                found.ok_or(Bail)
            }
        }
        Expr::Call(call) => {
            let name = call.func_name.as_str();
            let args = &call.args;
            match (&call.target, name, args.len()) {
                (None, "_?_:_", 3) => match eval(&args[0], env)? {
                    Fv::Bool(true) => eval(&args[1], env),
                    Fv::Bool(false) => eval(&args[2], env),
                    _ => Err(Bail),
                },
                (None, "_&&_", 2) => match eval(&args[0], env)? {
                    Fv::Bool(false) => Ok(Fv::Bool(false)),
                    Fv::Bool(true) => bool_of(eval(&args[1], env)?),
                    _ => Err(Bail),
                },
                (None, "_||_", 2) => match eval(&args[0], env)? {
                    Fv::Bool(true) => Ok(Fv::Bool(true)),
                    Fv::Bool(false) => bool_of(eval(&args[1], env)?),
                    _ => Err(Bail),
                },
                (None, "!_", 1) => match eval(&args[0], env)? {
                    Fv::Bool(b) => Ok(Fv::Bool(!b)),
                    _ => Err(Bail),
                },
                (None, "@not_strictly_false", 1) => bool_of(eval(&args[0], env)?),
                (None, "-_", 1) => match eval(&args[0], env)? {
                    Fv::Int(i) => i.checked_neg().map(Fv::Int).ok_or(Bail),
                    Fv::Double(d) => Ok(Fv::Double(-d)),
                    _ => Err(Bail),
                },
                (None, _, 2) if is_binary(name) => {
                    let left = eval(&args[0], env)?;
                    let right = eval(&args[1], env)?;
                    binary(name, &left, &right)
                }
                (None, _, _) => {
                    let values = eval_all(args, env)?;
                    functions::global(name, &values, env.globals)
                }
                (Some(target), _, _) => {
                    // `lists.range(3)`, `math.abs(x)`: a qualified name, not a method call.
                    if let Expr::Ident(qualifier) = &target.expr
                        && env.get(qualifier).is_none()
                    {
                        return Err(Bail);
                    }
                    let this = eval(target, env)?;
                    let values = eval_all(args, env)?;
                    functions::member(name, &this, &values)
                }
            }
        }
        Expr::List(list) => {
            if !list.optional_indices.is_empty() {
                return Err(Bail);
            }
            Ok(Fv::list(eval_all(&list.elements, env)?))
        }
        Expr::Map(map) => {
            let mut entries: Vec<(Rc<str>, Fv<'a>)> = Vec::with_capacity(map.entries.len());
            for entry in &map.entries {
                let EntryExpr::MapEntry(e) = &entry.expr else {
                    return Err(Bail);
                };
                if e.optional {
                    return Err(Bail);
                }
                let key = eval(&e.key, env)?;
                let key: Rc<str> = Rc::from(key.as_str().ok_or(Bail)?);
                let value = eval(&e.value, env)?;
                if entries.iter().any(|(k, _)| *k == key) {
                    // The reference map keeps one of them; which one is its business.
                    return Err(Bail);
                }
                entries.push((key, value));
            }
            Ok(Fv::Map(Rc::new(entries)))
        }
        Expr::Comprehension(c) => comprehension(c, env),
        Expr::Struct(_) | Expr::Unspecified => Err(Bail),
    }
}

fn eval_all<'a>(exprs: &'a [IdedExpr], env: &mut Env<'a, '_>) -> Result<Vec<Fv<'a>>, Bail> {
    exprs.iter().map(|e| eval(e, env)).collect()
}

fn bool_of(value: Fv<'_>) -> Result<Fv<'_>, Bail> {
    match value {
        Fv::Bool(b) => Ok(Fv::Bool(b)),
        _ => Err(Bail),
    }
}

fn literal_value<'a>(literal: &'a LiteralValue) -> Result<Fv<'a>, Bail> {
    Ok(match literal {
        LiteralValue::Boolean(b) => Fv::Bool(*b.inner()),
        LiteralValue::Double(d) => Fv::Double(*d.inner()),
        LiteralValue::Int(i) => Fv::Int(*i.inner()),
        LiteralValue::UInt(u) => Fv::UInt(*u.inner()),
        LiteralValue::Null => Fv::Null,
        LiteralValue::String(s) => Fv::Str(s.inner()),
        LiteralValue::Bytes(_) => return Err(Bail),
    })
}

fn is_binary(name: &str) -> bool {
    matches!(
        name,
        "_==_"
            | "_!=_"
            | "_<_"
            | "_<=_"
            | "_>_"
            | "_>=_"
            | "_+_"
            | "_-_"
            | "_*_"
            | "_/_"
            | "_%_"
            | "_[_]"
            | "@in"
    )
}

fn binary<'a>(name: &str, left: &Fv<'a>, right: &Fv<'a>) -> Result<Fv<'a>, Bail> {
    Ok(match name {
        "_==_" => Fv::Bool(equal(left, right)?),
        "_!=_" => Fv::Bool(!equal(left, right)?),
        "_<_" => Fv::Bool(compare(left, right)? == Ordering::Less),
        "_<=_" => Fv::Bool(compare(left, right)? != Ordering::Greater),
        "_>_" => Fv::Bool(compare(left, right)? == Ordering::Greater),
        "_>=_" => Fv::Bool(compare(left, right)? != Ordering::Less),
        "_+_" => add(left, right)?,
        "_-_" => arithmetic(left, right, i64::checked_sub, u64::checked_sub, |a, b| {
            a - b
        })?,
        "_*_" => arithmetic(left, right, i64::checked_mul, u64::checked_mul, |a, b| {
            a * b
        })?,
        "_/_" => match (left, right) {
            // Division by zero is an error for ints and left to the reference for doubles.
            (Fv::Double(_), Fv::Double(b)) if *b == 0.0 => return Err(Bail),
            _ => arithmetic(left, right, i64::checked_div, u64::checked_div, |a, b| {
                a / b
            })?,
        },
        "_%_" => match (left, right) {
            (Fv::Int(a), Fv::Int(b)) => Fv::Int(a.checked_rem(*b).ok_or(Bail)?),
            (Fv::UInt(a), Fv::UInt(b)) => Fv::UInt(a.checked_rem(*b).ok_or(Bail)?),
            _ => return Err(Bail),
        },
        "_[_]" => index(left, right)?,
        "@in" => Fv::Bool(contains(right, left)?),
        _ => return Err(Bail),
    })
}

fn add<'a>(left: &Fv<'a>, right: &Fv<'a>) -> Result<Fv<'a>, Bail> {
    if let (Some(a), Some(b)) = (left.as_str(), right.as_str()) {
        let mut joined = String::with_capacity(a.len() + b.len());
        joined.push_str(a);
        joined.push_str(b);
        return Ok(Fv::Text(Rc::from(joined)));
    }
    if let (Some(a), Some(b)) = (left.list_items(), right.list_items()) {
        return Ok(Fv::list(a.chain(b).collect()));
    }
    arithmetic(left, right, i64::checked_add, u64::checked_add, |a, b| {
        a + b
    })
}

/// An arithmetic operator on two numbers of one kind (mixed kinds are left to the reference,
/// which has no overload for them); integer overflow bails.
fn arithmetic<'a>(
    left: &Fv<'a>,
    right: &Fv<'a>,
    int: fn(i64, i64) -> Option<i64>,
    uint: fn(u64, u64) -> Option<u64>,
    double: fn(f64, f64) -> f64,
) -> Result<Fv<'a>, Bail> {
    match (left, right) {
        (Fv::Int(a), Fv::Int(b)) => int(*a, *b).map(Fv::Int).ok_or(Bail),
        (Fv::UInt(a), Fv::UInt(b)) => uint(*a, *b).map(Fv::UInt).ok_or(Bail),
        (Fv::Double(a), Fv::Double(b)) => Ok(Fv::Double(double(*a, *b))),
        _ => Err(Bail),
    }
}

fn index<'a>(container: &Fv<'a>, key: &Fv<'a>) -> Result<Fv<'a>, Bail> {
    if container.is_list() {
        let Fv::Int(i) = key else { return Err(Bail) };
        let i = usize::try_from(*i).map_err(|_| Bail)?;
        return container.list_get(i).ok_or(Bail);
    }
    let key = key.as_str().ok_or(Bail)?;
    container.map_get(key)?.ok_or(Bail)
}

/// `needle in container`: a list is searched (one budget step per element), a map's keys are
/// looked up (one step).
fn contains(container: &Fv<'_>, needle: &Fv<'_>) -> Result<bool, Bail> {
    if let Some(items) = container.list_items() {
        let len = container.list_len().unwrap_or_default() as u64;
        if !budget::spend(len) {
            return Ok(false);
        }
        for item in items {
            if equal(&item, needle)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if container.is_map() {
        let key = needle.as_str().ok_or(Bail)?;
        if !budget::spend(1) {
            return Ok(false);
        }
        return Ok(container.map_get(key)?.is_some());
    }
    Err(Bail)
}

/// The comprehension behind `all`, `exists`, `exists_one`, `map` and `filter`. Each element
/// visited costs one budget step; when the budget runs out the loop stops (the caller then
/// discards the rule's findings on this document).
fn comprehension<'a>(c: &'a ComprehensionExpr, env: &mut Env<'a, '_>) -> Result<Fv<'a>, Bail> {
    if c.iter_var2.is_some() {
        return Err(Bail);
    }
    let init = eval(&c.accu_init, env)?;
    let range = eval(&c.iter_range, env)?;
    let items: Vec<Fv<'a>> = match range.list_items() {
        Some(items) => items.collect(),
        None => range.map_keys().ok_or(Bail)?,
    };
    let base = env.vars.len();
    let result = match append_step(c) {
        Some((guard, item)) if init.list_len() == Some(0) => {
            collect(c, env, items, guard, item).map(Fv::list)
        }
        _ => fold(c, env, items, init),
    };
    env.vars.truncate(base);
    result
}

/// `map` and `filter`: the loop step appends `[item]` to the accumulator, perhaps under a
/// guard; the result is built in place.
fn collect<'a>(
    c: &'a ComprehensionExpr,
    env: &mut Env<'a, '_>,
    items: Vec<Fv<'a>>,
    guard: Option<&'a IdedExpr>,
    item: &'a [IdedExpr],
) -> Result<Vec<Fv<'a>>, Bail> {
    let mut out = Vec::with_capacity(items.len());
    let slot = env.vars.len();
    env.vars.push((&c.iter_var, Fv::Null));
    for value in items {
        if !budget::spend(1) {
            break;
        }
        if matches!(bool_of(eval(&c.loop_cond, env)?)?, Fv::Bool(false)) {
            break;
        }
        env.vars[slot].1 = value;
        if let Some(guard) = guard {
            match eval(guard, env)? {
                Fv::Bool(true) => {}
                Fv::Bool(false) => continue,
                _ => return Err(Bail),
            }
        }
        for e in item {
            out.push(eval(e, env)?);
        }
    }
    Ok(out)
}

fn fold<'a>(
    c: &'a ComprehensionExpr,
    env: &mut Env<'a, '_>,
    items: Vec<Fv<'a>>,
    init: Fv<'a>,
) -> Result<Fv<'a>, Bail> {
    let accu = env.vars.len();
    env.vars.push((&c.accu_var, init));
    let slot = env.vars.len();
    env.vars.push((&c.iter_var, Fv::Null));
    for value in items {
        if !budget::spend(1) {
            break;
        }
        if matches!(bool_of(eval(&c.loop_cond, env)?)?, Fv::Bool(false)) {
            break;
        }
        env.vars[slot].1 = value;
        let next = eval(&c.loop_step, env)?;
        env.vars[accu].1 = next;
    }
    env.vars.truncate(slot);
    eval(&c.result, env)
}

/// Recognises the loop step of `map` and `filter`: `@result + [e]` or
/// `g ? @result + [e] : @result`, with `@result` as the result and a constant condition.
fn append_step<'e>(c: &'e ComprehensionExpr) -> Option<(Option<&'e IdedExpr>, &'e [IdedExpr])> {
    let accu = c.accu_var.as_str();
    let is_accu = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(n) if n == accu);
    let items_of = |e: &'e IdedExpr| -> Option<&'e [IdedExpr]> {
        let Expr::Call(call) = &e.expr else {
            return None;
        };
        match (call.func_name.as_str(), &call.target, call.args.as_slice()) {
            ("_+_", None, [lhs, rhs]) if is_accu(lhs) => match &rhs.expr {
                Expr::List(list) if list.optional_indices.is_empty() => {
                    Some(list.elements.as_slice())
                }
                _ => None,
            },
            _ => None,
        }
    };
    if !is_accu(&c.result) || !matches!(c.loop_cond.expr, Expr::Literal(_)) {
        return None;
    }
    if let Expr::Call(call) = &c.loop_step.expr
        && call.func_name == "_?_:_"
        && call.target.is_none()
        && let [guard, step, otherwise] = call.args.as_slice()
        && is_accu(otherwise)
    {
        return Some((Some(guard), items_of(step)?));
    }
    Some((None, items_of(&c.loop_step)?))
}
