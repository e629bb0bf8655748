//! The fast evaluator: walks an expression compiled by `compile.rs` over borrowed document
//! values. It handles the part of CEL that rules use (operators, field selection and `has`,
//! indexing, `in`, the comprehension macros, the common standard functions and vetlint's
//! library); for anything else, and for every error, it bails and the caller asks the
//! reference interpreter (the `cel` crate), so results and error messages are the crate's.

use std::cmp::Ordering;
use std::rc::Rc;

use super::compile::{Collect, Fold, Func, Method, Node, Op, Quantifier};
use super::functions;
use super::value::{Bail, Fv, compare, equal};
use crate::policy::cel::{Library, budget};

/// What every evaluation of a run can see besides its variables.
pub struct Globals<'a> {
    /// The reference tables (`tables`).
    pub tables: Fv<'a>,
    /// The workspace index behind `lookup`, `tasksOf`, ….
    pub library: &'a Library,
}

/// The variables of one rule on one document, by slot (see `compile::Layout`).
pub struct Frame<'a, 'g> {
    /// Slot → value.
    pub slots: Vec<Fv<'a>>,
    /// Slot → whether it holds its value yet (a `let` is evaluated when first read).
    pub bound: Vec<bool>,
    /// The `let`s, evaluated on first read.
    pub lets: Lets<'a>,
    /// Globals.
    pub globals: &'g Globals<'a>,
}

/// A rule's `let`s for lazy evaluation.
pub struct Lets<'a> {
    /// Slot of the first.
    pub base: usize,
    /// Each compiled.
    pub nodes: &'a [Node],
    /// Whether each is the same for every subject of the document: once computed, it stays
    /// bound in its slot from one subject to the next.
    pub hoist: &'a [bool],
    /// The error that computing each of those gave, if it failed (it is not tried again).
    pub failed: Vec<Option<crate::policy::cel::EvalError>>,
}

/// Gives the unbound `let` in `slot` its value.
#[inline(never)]
fn force<'a>(slot: usize, f: &mut Frame<'a, '_>) -> Result<(), Bail> {
    let i = slot.checked_sub(f.lets.base).ok_or(Bail)?;
    let node = f.lets.nodes.get(i).ok_or(Bail)?;
    if f.lets.hoist[i] && f.lets.failed[i].is_some() {
        return Err(Bail);
    }
    let value = eval(node, f)?;
    Fv::set(&mut f.slots[slot], value);
    f.bound[slot] = true;
    Ok(())
}

/// Evaluates `node`, reading a leaf in place: a literal, a bound variable, or a field
/// of one. Most nodes of an expression are leaves, and a call to [`eval`] costs more than
/// reading one.
#[inline(always)]
fn ev<'a>(node: &'a Node, f: &mut Frame<'a, '_>) -> Result<Fv<'a>, Bail> {
    match node {
        Node::Double(d) => Ok(Fv::Double(*d)),
        Node::Str(s) => Ok(Fv::Str(s)),
        Node::Bool(b) => Ok(Fv::Bool(*b)),
        Node::Int(i) => Ok(Fv::Int(*i)),
        // A `let` read for the first time is computed by `force` directly (not through
        // another `eval` frame).
        Node::Var(slot) => var(*slot, f),
        Node::Select(operand, field, test) => match **operand {
            Node::Var(slot) if f.bound[slot] => selected(f.slots[slot].field(field)?, *test),
            _ => eval(node, f),
        },
        _ => eval(node, f),
    }
}

/// The value of the variable in `slot`, a `let` computed first if it is not bound yet.
#[inline(always)]
fn var<'a>(slot: usize, f: &mut Frame<'a, '_>) -> Result<Fv<'a>, Bail> {
    if !f.bound[slot] {
        force(slot, f)?;
    }
    Ok(f.slots[slot].clone())
}

/// What a selection gives for the field it `found`: the field's value, or whether it is there
/// for `has()` (`test`); a missing field bails.
#[inline(always)]
fn selected(found: Option<Fv<'_>>, test: bool) -> Result<Fv<'_>, Bail> {
    if test {
        let has = found.is_some();
        if let Some(value) = found {
            value.discard();
        }
        Ok(Fv::Bool(has))
    } else {
        found.ok_or(Bail)
    }
}

/// Evaluates `node`.
pub fn eval<'a>(node: &'a Node, f: &mut Frame<'a, '_>) -> Result<Fv<'a>, Bail> {
    match node {
        Node::Null => Ok(Fv::Null),
        Node::Bool(b) => Ok(Fv::Bool(*b)),
        Node::Int(i) => Ok(Fv::Int(*i)),
        Node::UInt(u) => Ok(Fv::UInt(*u)),
        Node::Double(d) => Ok(Fv::Double(*d)),
        Node::Str(s) => Ok(Fv::Str(s)),
        Node::Var(slot) => var(*slot, f),
        Node::Tables => Ok(f.globals.tables.clone()),
        Node::Type(name) => Ok(Fv::Type(name)),
        Node::Select(operand, field, test) => {
            // A variable's field is read in place (no clone of the variable).
            let found = match &**operand {
                Node::Var(slot) if f.bound[*slot] => f.slots[*slot].field(field)?,
                _ => eval(operand, f)?.field(field)?,
            };
            selected(found, *test)
        }
        Node::FieldOr(slot, field, otherwise) => {
            if !f.bound[*slot] {
                force(*slot, f)?;
            }
            match f.slots[*slot].field(field)? {
                Some(value) => Ok(value),
                None => eval(otherwise, f),
            }
        }
        Node::Cond(parts) => match truth(ev(&parts[0], f)?)? {
            true => ev(&parts[1], f),
            false => ev(&parts[2], f),
        },
        Node::And(parts) => match truth(ev(&parts[0], f)?)? {
            false => Ok(Fv::Bool(false)),
            true => truth(ev(&parts[1], f)?).map(Fv::Bool),
        },
        Node::Or(parts) => match truth(ev(&parts[0], f)?)? {
            true => Ok(Fv::Bool(true)),
            false => truth(ev(&parts[1], f)?).map(Fv::Bool),
        },
        Node::Not(a) => truth(ev(a, f)?).map(|b| Fv::Bool(!b)),
        Node::NotStrictlyFalse(a) => truth(ev(a, f)?).map(Fv::Bool),
        Node::Neg(a) => match eval(a, f)? {
            Fv::Int(i) => i.checked_neg().map(Fv::Int).ok_or(Bail),
            Fv::Double(d) => Ok(Fv::Double(-d)),
            _ => Err(Bail),
        },
        Node::Binary(op, parts) => {
            let left = ev(&parts[0], f)?;
            let right = ev(&parts[1], f)?;
            // Two doubles (every JSON number is one): compared and added in place.
            if let (Fv::Double(a), Fv::Double(b)) = (&left, &right)
                && let Some(value) = doubles(*op, *a, *b)
            {
                // Doubles own nothing: no drop glue to call.
                std::mem::forget((left, right));
                return Ok(value);
            }
            let value = binary(*op, &left, &right);
            left.discard();
            right.discard();
            value
        }
        Node::Call(func, args) => call(*func, args, f),
        Node::Method(m, target, args) => method(*m, target, args, f),
        Node::List(items) => list(items, f),
        Node::Map(entries) => map(entries, f),
        Node::Collect(c) => collect(c, f),
        Node::Sum(c) => sum(c, f),
        Node::Quantifier(q) => quantifier(q, f),
        Node::Fold(c) => fold(c, f),
        Node::Bail => Err(Bail),
    }
}

// The arms below live outside `eval` so that its frame stays small: every node pays for it.

#[inline(never)]
fn call<'a>(func: Func, args: &'a [Node], f: &mut Frame<'a, '_>) -> Result<Fv<'a>, Bail> {
    // One or two arguments (most calls): on the stack, without the small vector's bookkeeping.
    match args {
        [a] => {
            let values = [ev(a, f)?];
            let out = functions::global(func, &values, f.globals);
            let [a] = values;
            a.discard();
            out
        }
        [a, b] => {
            let a = ev(a, f)?;
            let b = match ev(b, f) {
                Ok(b) => b,
                Err(bail) => {
                    a.discard();
                    return Err(bail);
                }
            };
            let values = [a, b];
            let out = functions::global(func, &values, f.globals);
            let [a, b] = values;
            a.discard();
            b.discard();
            out
        }
        _ => {
            let values = eval_all(args, f)?;
            functions::global(func, &values, f.globals)
        }
    }
}

#[inline(never)]
fn method<'a>(
    method: Method,
    target: &'a Node,
    args: &'a [Node],
    f: &mut Frame<'a, '_>,
) -> Result<Fv<'a>, Bail> {
    let this = eval(target, f)?;
    let values = eval_all(args, f)?;
    functions::member(method, &this, &values)
}

#[inline(never)]
fn list<'a>(items: &'a [Node], f: &mut Frame<'a, '_>) -> Result<Fv<'a>, Bail> {
    Ok(Fv::list(
        items.iter().map(|n| eval(n, f)).collect::<Result<_, _>>()?,
    ))
}

#[inline(never)]
fn map<'a>(entries: &'a [(Node, Node)], f: &mut Frame<'a, '_>) -> Result<Fv<'a>, Bail> {
    let mut out: Vec<(Rc<str>, Fv<'a>)> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let key = eval(k, f)?;
        let key: Rc<str> = Rc::from(key.as_str().ok_or(Bail)?);
        let value = eval(v, f)?;
        if out.iter().any(|(k, _)| *k == key) {
            // The reference map keeps one of them; which one is its business.
            return Err(Bail);
        }
        out.push((key, value));
    }
    Ok(Fv::Map(Rc::new(out)))
}

/// Arguments of a call: on the stack for up to four.
type Args<'a> = smallvec::SmallVec<[Fv<'a>; 4]>;

fn eval_all<'a>(nodes: &'a [Node], f: &mut Frame<'a, '_>) -> Result<Args<'a>, Bail> {
    // A plain loop: collecting `Result`s into a `SmallVec` cost more than most functions.
    let mut out = Args::new();
    for node in nodes {
        out.push(ev(node, f)?);
    }
    Ok(out)
}

/// The bool a value is (anything else bails), without the drop glue's out-of-line call for
/// a bool.
#[inline(always)]
fn truth(value: Fv<'_>) -> Result<bool, Bail> {
    if let Fv::Bool(b) = value {
        std::mem::forget(value);
        Ok(b)
    } else {
        value.discard();
        Err(Bail)
    }
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

/// The elements a comprehension visits: a document's list, a computed one, or a map's keys.
enum Range<'a> {
    Json(&'a [serde_json::Value]),
    List(Rc<Vec<Fv<'a>>>),
    Keys(Vec<Fv<'a>>),
}

impl<'a> Range<'a> {
    fn of(value: Fv<'a>) -> Result<Self, Bail> {
        match value {
            Fv::Json(serde_json::Value::Array(items)) => Ok(Range::Json(items)),
            Fv::List(items) => Ok(Range::List(items)),
            other => Ok(Range::Keys(other.map_keys().ok_or(Bail)?)),
        }
    }

    fn len(&self) -> usize {
        match self {
            Range::Json(items) => items.len(),
            Range::List(items) => items.len(),
            Range::Keys(keys) => keys.len(),
        }
    }

    /// Element `i` (`i < len()`).
    #[inline]
    fn get(&self, i: usize) -> Fv<'a> {
        match self {
            Range::Json(items) => Fv::from_json(&items[i]),
            Range::List(items) => items[i].clone(),
            Range::Keys(keys) => keys[i].clone(),
        }
    }
}

/// Moves a comprehension to element `i`: one budget step, the loop condition, then the element
/// bound in `slot`. `false` when the loop stops there.
fn next<'a>(
    cond: &'a Node,
    slot: usize,
    range: &Range<'a>,
    i: usize,
    f: &mut Frame<'a, '_>,
) -> Result<bool, Bail> {
    // `map` and `filter` loop while `true`: no need to evaluate it.
    let stop = !matches!(cond, Node::Bool(true)) && !truth(eval(cond, f)?)?;
    if !budget::spend(1) || stop {
        return Ok(false);
    }
    Fv::set(&mut f.slots[slot], range.get(i));
    Ok(true)
}

/// `map` and `filter`: each element visited costs one budget step; when the budget runs out
/// the loop stops (the caller then discards the rule's findings on this document).
#[inline(never)]
fn collect<'a>(c: &'a Collect, f: &mut Frame<'a, '_>) -> Result<Fv<'a>, Bail> {
    let mut out = Vec::new();
    drive(c, f, &mut out)?;
    Ok(Fv::list(out))
}

/// Where [`drive`] puts the values a `map`/`filter` appends.
trait Sink<'a> {
    /// The loop visits at most `n` elements.
    fn reserve(&mut self, _n: usize) {}
    /// One value appended.
    fn take(&mut self, value: Fv<'a>) -> Result<(), Bail>;
}

impl<'a> Sink<'a> for Vec<Fv<'a>> {
    fn reserve(&mut self, n: usize) {
        Vec::reserve(self, n);
    }

    fn take(&mut self, value: Fv<'a>) -> Result<(), Bail> {
        self.push(value);
        Ok(())
    }
}

/// A running `sum`: the values added, how many, and whether one was not a number.
#[derive(Default)]
struct Total {
    sum: f64,
    count: u64,
    other: bool,
}

impl<'a> Sink<'a> for Total {
    fn take(&mut self, value: Fv<'a>) -> Result<(), Bail> {
        match value.as_number() {
            Some(n) => self.sum += n,
            None => self.other = true,
        }
        self.count += 1;
        Ok(())
    }
}

/// `sum(l.map(x, e))`: what `sum` of the list would give, and spend (one step per value), with
/// no list built.
#[inline(never)]
fn sum<'a>(c: &'a Collect, f: &mut Frame<'a, '_>) -> Result<Fv<'a>, Bail> {
    let mut total = Total::default();
    drive(c, f, &mut total)?;
    // As `sum` of the list: its steps at once, then the check of its elements.
    if !budget::spend(total.count) || total.other {
        return Err(Bail);
    }
    Ok(Fv::Double(total.sum))
}

/// The loop of a `map`/`filter` (after the `filter` fused before it, if any): each value
/// appended goes to `sink`.
fn drive<'a>(c: &'a Collect, f: &mut Frame<'a, '_>, sink: &mut impl Sink<'a>) -> Result<(), Bail> {
    let range = Range::of(eval(&c.range, f)?)?;
    sink.reserve(range.len());
    for i in 0..range.len() {
        if let Some(pre) = &c.pre {
            if !budget::spend(1) {
                break;
            }
            Fv::set(&mut f.slots[pre.slot], range.get(i));
            if !truth(ev(&pre.guard, f)?)? {
                continue;
            }
        }
        if !next(&c.cond, c.slot, &range, i, f)? {
            break;
        }
        if let Some(guard) = &c.guard
            && !truth(ev(guard, f)?)?
        {
            continue;
        }
        for item in &c.items {
            sink.take(ev(item, f)?)?;
        }
    }
    Ok(())
}

/// `all` and `exists`: the fold the macros expand to, without its accumulator. It stops at the
/// first element that decides, and spends the budget as the fold does (one step per element
/// visited, and one more to find the loop condition false when elements are left).
#[inline(never)]
fn quantifier<'a>(q: &'a Quantifier, f: &mut Frame<'a, '_>) -> Result<Fv<'a>, Bail> {
    let range = Range::of(eval(&q.range, f)?)?;
    let len = range.len();
    for i in 0..len {
        if !budget::spend(1) {
            break;
        }
        Fv::set(&mut f.slots[q.slot], range.get(i));
        let holds = truth(ev(&q.pred, f)?)?;
        if holds != q.all {
            if i + 1 < len {
                budget::spend(1);
            }
            return Ok(Fv::Bool(!q.all));
        }
    }
    Ok(Fv::Bool(q.all))
}

/// `exists_one` and any other comprehension, step by step.
#[inline(never)]
fn fold<'a>(c: &'a Fold, f: &mut Frame<'a, '_>) -> Result<Fv<'a>, Bail> {
    let init = eval(&c.init, f)?;
    let range = Range::of(eval(&c.range, f)?)?;
    f.slots[c.accu] = init;
    for i in 0..range.len() {
        if !next(&c.cond, c.slot, &range, i, f)? {
            break;
        }
        f.slots[c.accu] = eval(&c.step, f)?;
    }
    eval(&c.result, f)
}

/// `a op b` for two doubles, as [`binary`] gives it; `None` where that needs more care
/// (division by zero, NaN in an ordering, operators of other types).
#[inline(always)]
fn doubles<'a>(op: Op, a: f64, b: f64) -> Option<Fv<'a>> {
    Some(match op {
        Op::Eq => Fv::Bool(a == b),
        Op::Ne => Fv::Bool(a != b),
        Op::Lt if !a.is_nan() && !b.is_nan() => Fv::Bool(a < b),
        Op::Le if !a.is_nan() && !b.is_nan() => Fv::Bool(a <= b),
        Op::Gt if !a.is_nan() && !b.is_nan() => Fv::Bool(a > b),
        Op::Ge if !a.is_nan() && !b.is_nan() => Fv::Bool(a >= b),
        Op::Add => Fv::Double(a + b),
        Op::Sub => Fv::Double(a - b),
        Op::Mul => Fv::Double(a * b),
        Op::Div if b != 0.0 => Fv::Double(a / b),
        _ => return None,
    })
}

#[inline(never)]
fn binary<'a>(op: Op, left: &Fv<'a>, right: &Fv<'a>) -> Result<Fv<'a>, Bail> {
    Ok(match op {
        Op::Eq => Fv::Bool(equal(left, right)?),
        Op::Ne => Fv::Bool(!equal(left, right)?),
        Op::Lt => Fv::Bool(compare(left, right)? == Ordering::Less),
        Op::Le => Fv::Bool(compare(left, right)? != Ordering::Greater),
        Op::Gt => Fv::Bool(compare(left, right)? == Ordering::Greater),
        Op::Ge => Fv::Bool(compare(left, right)? != Ordering::Less),
        Op::Add => add(left, right)?,
        Op::Sub => arithmetic(left, right, i64::checked_sub, u64::checked_sub, |a, b| {
            a - b
        })?,
        Op::Mul => arithmetic(left, right, i64::checked_mul, u64::checked_mul, |a, b| {
            a * b
        })?,
        Op::Div => match (left, right) {
            // Division by zero is an error for ints and left to the reference for doubles.
            (Fv::Double(_), Fv::Double(b)) if *b == 0.0 => return Err(Bail),
            _ => arithmetic(left, right, i64::checked_div, u64::checked_div, |a, b| {
                a / b
            })?,
        },
        Op::Rem => match (left, right) {
            (Fv::Int(a), Fv::Int(b)) => Fv::Int(a.checked_rem(*b).ok_or(Bail)?),
            (Fv::UInt(a), Fv::UInt(b)) => Fv::UInt(a.checked_rem(*b).ok_or(Bail)?),
            _ => return Err(Bail),
        },
        Op::Index => index(left, right)?,
        Op::In => Fv::Bool(contains(right, left)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::cel::{self, Library};
    use crate::policy::fast::compile::{self, Fold};
    use serde_json::json;

    /// The fold a quantifier at the root of `node` replaced (what `compile` built before it
    /// recognised `all` and `exists`); the accumulator is the slot after the element's.
    fn unfold(node: Node) -> Node {
        let Node::Quantifier(q) = node else {
            panic!("not a quantifier: {node:?}")
        };
        let Quantifier {
            range,
            slot,
            pred,
            all,
        } = *q;
        let accu = || Node::Var(slot + 1);
        Node::Fold(Box::new(Fold {
            range,
            slot,
            accu: slot + 1,
            init: Node::Bool(all),
            cond: Node::NotStrictlyFalse(Box::new(if all {
                accu()
            } else {
                Node::Not(Box::new(accu()))
            })),
            step: if all {
                Node::And(Box::new([accu(), pred]))
            } else {
                Node::Or(Box::new([accu(), pred]))
            },
            result: accu(),
        }))
    }

    /// Evaluates `node` on `doc` within `steps`: the value, and the budget left.
    fn run(node: &Node, size: usize, named: usize, doc: &serde_json::Value, steps: u64) -> String {
        let library = Library::new(&crate::workspace::Workspace::default());
        let globals = Globals {
            tables: Fv::Null,
            library: &library,
        };
        let mut f = Frame {
            slots: vec![Fv::Null; size],
            bound: (0..size).map(|i| i >= named).collect(),
            lets: Lets {
                base: named,
                nodes: &[],
                hoist: &[],
                failed: Vec::new(),
            },
            globals: &globals,
        };
        f.slots[0] = Fv::from_json(doc);
        f.slots[1] = Fv::Null;
        f.bound[0] = true;
        f.bound[1] = true;
        let _guard = budget::start(steps);
        let value = eval(node, &mut f);
        format!("{value:?} {:?}", budget::snapshot())
    }

    /// What `compile` built before it fused comprehensions: a `sum` call over the list, and
    /// the inner `filter` as a comprehension of its own.
    fn unfuse(node: Node) -> Node {
        let unpre = |mut c: Box<Collect>| {
            if let Some(pre) = c.pre.take() {
                let range = std::mem::take(&mut c.range);
                c.range = Node::Collect(Box::new(Collect {
                    range,
                    slot: pre.slot,
                    cond: Node::Bool(true),
                    guard: Some(pre.guard),
                    items: vec![Node::Var(pre.slot)],
                    pre: None,
                }));
            }
            Node::Collect(c)
        };
        match node {
            Node::Sum(c) => Node::Call(Func::Sum, vec![unpre(c)]),
            Node::Collect(c) => unpre(c),
            other => panic!("not fused: {other:?}"),
        }
    }

    #[test]
    fn fused_comprehensions_give_and_spend_what_the_lists_did() {
        let doc = json!({"items": [1.0, 2.0, 3.0, 2.0], "none": [], "words": ["a", "b"],
                         "keys": {"a": 1.0, "b": 2.0}});
        for source in [
            "sum(doc.items.map(x, x * 2.0))",
            "sum(doc.items.filter(x, x > 1.0).map(x, x + 1.0))",
            "sum(doc.items.filter(x, x > 1.0))",
            "sum(doc.none.map(x, x))",
            "sum(doc.words.map(w, w))",
            "doc.items.filter(x, x != 2.0).map(x, x * 10.0)",
            "doc.items.filter(x, x > 1.0).filter(y, y < 3.0)",
            "doc.keys.filter(k, k == 'b').map(k, k + '!')",
        ] {
            let expr = cel::compile(source).expect("compiles");
            let compiled = compile::rule(&[], &[], &expr, None);
            let (size, named) = (compiled.layout.size, compiled.layout.names.len());
            assert!(
                matches!(&compiled.assert, Node::Sum(_))
                    || matches!(&compiled.assert, Node::Collect(c) if c.pre.is_some()),
                "{source}: {:?}",
                compiled.assert
            );
            let unfused = unfuse(compile::rule(&[], &[], &expr, None).assert);
            for steps in 0..14 {
                let (fused, plain) = (
                    run(&compiled.assert, size, named, &doc, steps),
                    run(&unfused, size, named, &doc, steps),
                );
                // Once the budget is exceeded a rule's findings on the document are dropped,
                // so only whether it was matters then; a bail within the budget leaves the
                // expression to the reference interpreter, from the budget before it.
                if fused.starts_with("Err(Bail)") && fused.ends_with("false)") {
                    continue;
                }
                if plain.ends_with("true)") {
                    assert!(fused.ends_with("true)"), "{source} within {steps}: {fused}");
                } else {
                    assert_eq!(fused, plain, "{source} within {steps} steps");
                }
            }
        }
    }

    #[test]
    fn quantifiers_stop_and_spend_as_the_folds_they_replace() {
        let doc = json!({"items": [1.0, 2.0, 3.0, 2.0], "none": [], "keys": {"a": 1.0, "b": 2.0}});
        for source in [
            "doc.items.all(x, x < 3.0)",
            "doc.items.all(x, x < 9.0)",
            "doc.items.exists(x, x == 2.0)",
            "doc.items.exists(x, x == 7.0)",
            "doc.none.all(x, x == 1.0)",
            "doc.none.exists(x, x == 1.0)",
            "doc.keys.exists(k, k == 'b')",
            "doc.items.all(x, x == 'a')",
        ] {
            let expr = cel::compile(source).expect("compiles");
            let compiled = compile::rule(&[], &[], &expr, None);
            let (size, named) = (compiled.layout.size, compiled.layout.names.len());
            assert!(
                matches!(compiled.assert, Node::Quantifier(_)),
                "{source}: {:?}",
                compiled.assert
            );
            let folded = unfold(compile::rule(&[], &[], &expr, None).assert);
            for steps in 0..8 {
                assert_eq!(
                    run(&compiled.assert, size, named, &doc, steps),
                    run(&folded, size, named, &doc, steps),
                    "{source} within {steps} steps"
                );
            }
        }
    }
}
