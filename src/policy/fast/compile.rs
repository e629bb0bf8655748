//! Compiling a rule's expressions for the fast evaluator, once per rule: variables become
//! slots of a fixed frame, operators and functions become enum tags, and every construct
//! the fast evaluator does not model becomes [`Node::Bail`] (the reference interpreter then
//! evaluates the whole expression).

use cel::IdedExpr;
use cel::common::ast::{ComprehensionExpr, EntryExpr, Expr, LiteralValue};

use crate::policy::cel::Expression;
use crate::policy::rule::SUBJECT_VARS;

/// An expression compiled for the fast evaluator.
#[derive(Debug, Default)]
pub enum Node {
    /// `null`.
    Null,
    /// A bool literal.
    Bool(bool),
    /// An int literal.
    Int(i64),
    /// A uint literal.
    UInt(u64),
    /// A double literal.
    Double(f64),
    /// A string literal.
    Str(Box<str>),
    /// A variable, by frame slot.
    Var(usize),
    /// The reference tables.
    Tables,
    /// `operand.field`, or `has(operand.field)` when `test`.
    Select(Box<Node>, Field, bool),
    /// `c ? a : b`.
    Cond(Box<[Node; 3]>),
    /// `has(v.f) ? v.f : d` for a variable `v` (in slot): one lookup.
    FieldOr(usize, Field, Box<Node>),
    /// `a && b`.
    And(Box<[Node; 2]>),
    /// `a || b`.
    Or(Box<[Node; 2]>),
    /// `!a`.
    Not(Box<Node>),
    /// `-a`.
    Neg(Box<Node>),
    /// The loop condition of `all`/`exists`: true unless `a` is false.
    NotStrictlyFalse(Box<Node>),
    /// A binary operator.
    Binary(Op, Box<[Node; 2]>),
    /// A global function.
    Call(Func, Vec<Node>),
    /// A method: target, then arguments.
    Method(Method, Box<Node>, Vec<Node>),
    /// A list literal.
    List(Vec<Node>),
    /// A map literal.
    Map(Vec<(Node, Node)>),
    /// `map`/`filter`: append `items` for each element (that passes `guard`).
    Collect(Box<Collect>),
    /// `sum(l.map(x, e))` (or over a `filter`): the values added as they come, no list built.
    Sum(Box<Collect>),
    /// `all` or `exists`.
    Quantifier(Box<Quantifier>),
    /// Any other comprehension (`exists_one`, hand-written ones).
    Fold(Box<Fold>),
    /// A type name used as a value (`string` in `type(x) == string`).
    Type(&'static str),
    /// Something only the reference interpreter handles.
    #[default]
    Bail,
}

/// A field name read at one place of an expression, with where it was last found: documents
/// repeat their key order (every course of a plan lists its keys alike), so the next object
/// read there most likely has it at the same position.
#[derive(Debug)]
pub struct Field {
    /// The name.
    pub name: Box<str>,
    /// Position of the key in the last object it was found in (a guess, checked on use).
    pub hint: std::sync::atomic::AtomicU32,
}

/// A `map`/`filter` comprehension.
#[derive(Debug)]
pub struct Collect {
    /// The list or map iterated.
    pub range: Node,
    /// Slot of the element variable.
    pub slot: usize,
    /// Loop condition.
    pub cond: Node,
    /// Filter.
    pub guard: Option<Node>,
    /// Appended per element.
    pub items: Vec<Node>,
    /// A `filter` whose result this comprehension iterates, fused into it.
    pub pre: Option<Pre>,
}

/// A `filter` fused into the `map`/`filter` over its result (`l.filter(x, p).map(y, e)`): the
/// range's elements are bound in `slot` and go on when `guard` holds, one budget step each
/// (what the `filter` spent), and no list is built between the two.
#[derive(Debug)]
pub struct Pre {
    /// Slot of the filter's element variable.
    pub slot: usize,
    /// The filter's predicate.
    pub guard: Node,
}

/// `range.all(x, pred)` (`all`) or `range.exists(x, pred)`.
#[derive(Debug)]
pub struct Quantifier {
    /// The list or map iterated.
    pub range: Node,
    /// Slot of the element variable.
    pub slot: usize,
    /// The predicate.
    pub pred: Node,
    /// `all` (else `exists`).
    pub all: bool,
}

/// A general comprehension.
#[derive(Debug)]
pub struct Fold {
    /// The list or map iterated.
    pub range: Node,
    /// Slot of the element variable.
    pub slot: usize,
    /// Slot of the accumulator.
    pub accu: usize,
    /// Initial accumulator.
    pub init: Node,
    /// Loop condition.
    pub cond: Node,
    /// Next accumulator.
    pub step: Node,
    /// Result.
    pub result: Node,
}

/// Binary operators.
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Index,
    In,
}

/// Global functions.
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs)]
pub enum Func {
    Size,
    Type,
    Int,
    Double,
    String,
    Matches,
    Lookup,
    HasDoc,
    Docs,
    Sum,
    Percent,
    Round,
    Decimals,
    Ceil,
    Floor,
    IndexOf,
    Duplicates,
    Join,
    LevelsOf,
    WorkAreasOf,
    TasksOf,
    TasksOfArea,
    TaskName,
    WorkAreaName,
    LevelPointer,
    WorkAreaPointer,
    TaskPointer,
}

/// Methods.
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs)]
pub enum Method {
    Size,
    Contains,
    StartsWith,
    EndsWith,
    Matches,
    Flatten,
    Slice,
}

/// CEL's type names that the fast evaluator knows as values.
const TYPES: &[&str] = &[
    "bool",
    "int",
    "uint",
    "double",
    "string",
    "list",
    "map",
    "null_type",
];

fn func(name: &str) -> Option<Func> {
    Some(match name {
        "size" => Func::Size,
        "type" => Func::Type,
        "int" => Func::Int,
        "double" => Func::Double,
        "string" => Func::String,
        "matches" => Func::Matches,
        "lookup" => Func::Lookup,
        "hasDoc" => Func::HasDoc,
        "docs" => Func::Docs,
        "sum" => Func::Sum,
        "percent" => Func::Percent,
        "round" => Func::Round,
        "decimals" => Func::Decimals,
        "ceil" => Func::Ceil,
        "floor" => Func::Floor,
        "indexOf" => Func::IndexOf,
        "duplicates" => Func::Duplicates,
        "join" => Func::Join,
        "levelsOf" => Func::LevelsOf,
        "workAreasOf" => Func::WorkAreasOf,
        "tasksOf" => Func::TasksOf,
        "tasksOfArea" => Func::TasksOfArea,
        "taskName" => Func::TaskName,
        "workAreaName" => Func::WorkAreaName,
        "levelPointer" => Func::LevelPointer,
        "workAreaPointer" => Func::WorkAreaPointer,
        "taskPointer" => Func::TaskPointer,
        _ => return None,
    })
}

fn method(name: &str) -> Option<Method> {
    Some(match name {
        "size" => Method::Size,
        "contains" => Method::Contains,
        "startsWith" => Method::StartsWith,
        "endsWith" => Method::EndsWith,
        "matches" => Method::Matches,
        "flatten" => Method::Flatten,
        "slice" => Method::Slice,
        _ => return None,
    })
}

fn op(name: &str) -> Option<Op> {
    Some(match name {
        "_==_" => Op::Eq,
        "_!=_" => Op::Ne,
        "_<_" => Op::Lt,
        "_<=_" => Op::Le,
        "_>_" => Op::Gt,
        "_>=_" => Op::Ge,
        "_+_" => Op::Add,
        "_-_" => Op::Sub,
        "_*_" => Op::Mul,
        "_/_" => Op::Div,
        "_%_" => Op::Rem,
        "_[_]" => Op::Index,
        "@in" => Op::In,
        _ => return None,
    })
}

/// The frame of a rule: which slot holds which variable.
///
/// Slots: `doc`, `params`, the `with` bindings, the six subject variables, the `let`s, then
/// for each expression two per nesting level of its comprehensions.
#[derive(Debug, Default)]
pub struct Layout {
    /// Name of each fixed slot.
    pub names: Vec<String>,
    /// First subject slot.
    pub subject: usize,
    /// First `let` slot.
    pub lets: usize,
    /// Frame size, comprehension slots included.
    pub size: usize,
}

/// A rule's expressions compiled for the fast evaluator.
#[derive(Debug, Default)]
pub struct Compiled {
    /// The frame.
    pub layout: Layout,
    /// Each `with`.
    pub with: Vec<Node>,
    /// For each `with` that reads only the document, its source: the key its value is kept
    /// under for the other rules of the same document (`run::Memo`).
    pub memo: Vec<Option<Box<str>>>,
    /// Each `let`.
    pub lets: Vec<Node>,
    /// The assertion.
    pub assert: Node,
    /// The subjects (`each`).
    pub walk: super::walk::Walk,
}

/// Compiles a rule's `with`, `let` and `assert`, and the walk of its `each` (a JSONPath
/// query that parses; `None` when the rule has none).
pub fn rule(
    with: &[(String, Expression)],
    lets: &[(String, Expression)],
    assert: &Expression,
    each: Option<&str>,
) -> Compiled {
    let mut names = vec!["doc".to_owned(), "params".to_owned()];
    names.extend(with.iter().map(|(n, _)| n.clone()));
    let subject = names.len();
    names.extend(SUBJECT_VARS.iter().map(|s| (*s).to_owned()));
    let let_base = names.len();
    names.extend(lets.iter().map(|(n, _)| n.clone()));
    let fixed = names.len();
    // Each expression gets its own comprehension slots: a `let` evaluated on first read,
    // inside another expression's loop, must not overwrite that loop's variables.
    let mut end = fixed;
    let mut compile = |visible: Vec<(String, usize)>, expr: &Expression| {
        let mut scope = Scope {
            visible,
            next: end,
            max: end,
        };
        let node = scope.node(expr.ast());
        end = scope.max;
        node
    };
    let base =
        |n: usize| -> Vec<(String, usize)> { (0..n).map(|i| (names[i].clone(), i)).collect() };
    let with_nodes = (0..with.len())
        .map(|i| compile(base(2 + i), &with[i].1))
        .collect();
    // A `with` that reads neither `params` nor an earlier `with` has one value per document,
    // whichever rule spells it.
    let memo = with
        .iter()
        .enumerate()
        .map(|(i, (_, e))| {
            let own = !e.reads("params") && with[..i].iter().all(|(name, _)| !e.reads(name));
            own.then(|| e.source.trim().into())
        })
        .collect();
    let let_nodes = (0..lets.len())
        .map(|i| compile(base(let_base + i), &lets[i].1))
        .collect();
    let assert = compile(base(fixed), assert);
    let end = end;
    Compiled {
        layout: Layout {
            names,
            subject,
            lets: let_base,
            size: end,
        },
        with: with_nodes,
        memo,
        lets: let_nodes,
        walk: super::walk::Walk::new(each),
        assert,
    }
}

/// Names in scope while compiling one expression.
struct Scope {
    /// Name → slot, innermost last.
    visible: Vec<(String, usize)>,
    /// Next free comprehension slot.
    next: usize,
    /// Frame size needed so far.
    max: usize,
}

impl Scope {
    fn node(&mut self, e: &IdedExpr) -> Node {
        match &e.expr {
            Expr::Literal(literal) => match literal {
                LiteralValue::Boolean(b) => Node::Bool(*b.inner()),
                LiteralValue::Double(d) => Node::Double(*d.inner()),
                LiteralValue::Int(i) => Node::Int(*i.inner()),
                LiteralValue::UInt(u) => Node::UInt(*u.inner()),
                LiteralValue::Null => Node::Null,
                LiteralValue::String(s) => Node::Str(s.inner().into()),
                LiteralValue::Bytes(_) => Node::Bail,
            },
            Expr::Ident(name) => self.var(name),
            Expr::Select(select) => Node::Select(
                Box::new(self.node(&select.operand)),
                Field {
                    name: select.field.as_str().into(),
                    hint: Default::default(),
                },
                select.test,
            ),
            Expr::Call(call) => {
                let name = call.func_name.as_str();
                let args = &call.args;
                match (&call.target, name, args.len()) {
                    (None, "_?_:_", 3) => field_or([
                        self.node(&args[0]),
                        self.node(&args[1]),
                        self.node(&args[2]),
                    ]),
                    (None, "_&&_", 2) => Node::And(Box::new(self.pair(args))),
                    (None, "_||_", 2) => Node::Or(Box::new(self.pair(args))),
                    (None, "!_", 1) => Node::Not(Box::new(self.node(&args[0]))),
                    (None, "-_", 1) => Node::Neg(Box::new(self.node(&args[0]))),
                    (None, "@not_strictly_false", 1) => {
                        Node::NotStrictlyFalse(Box::new(self.node(&args[0])))
                    }
                    (None, _, 2) if op(name).is_some() => {
                        Node::Binary(op(name).unwrap_or(Op::Eq), Box::new(self.pair(args)))
                    }
                    (None, _, _) => match func(name) {
                        Some(f) => sum(f, args.iter().map(|a| self.node(a)).collect()),
                        None => Node::Bail,
                    },
                    (Some(target), _, _) => {
                        // `lists.range(3)`, `math.abs(x)`: a qualified name, not a method.
                        if let Expr::Ident(q) = &target.expr
                            && !self.visible.iter().any(|(n, _)| n == q)
                            && q != "tables"
                        {
                            return Node::Bail;
                        }
                        match method(name) {
                            Some(m) => Node::Method(
                                m,
                                Box::new(self.node(target)),
                                args.iter().map(|a| self.node(a)).collect(),
                            ),
                            None => Node::Bail,
                        }
                    }
                }
            }
            Expr::List(list) if list.optional_indices.is_empty() => {
                Node::List(list.elements.iter().map(|e| self.node(e)).collect())
            }
            Expr::Map(map) => {
                let mut entries = Vec::with_capacity(map.entries.len());
                for entry in &map.entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(e) if !e.optional => {
                            entries.push((self.node(&e.key), self.node(&e.value)));
                        }
                        _ => return Node::Bail,
                    }
                }
                Node::Map(entries)
            }
            Expr::Comprehension(c) if c.iter_var2.is_none() => self.comprehension(c),
            _ => Node::Bail,
        }
    }

    fn pair(&mut self, args: &[IdedExpr]) -> [Node; 2] {
        [self.node(&args[0]), self.node(&args[1])]
    }

    fn var(&self, name: &str) -> Node {
        match self.visible.iter().rev().find(|(n, _)| n == name) {
            Some((_, slot)) => Node::Var(*slot),
            None if name == "tables" => Node::Tables,
            None => match TYPES.iter().find(|t| **t == name) {
                Some(t) => Node::Type(t),
                None => Node::Bail,
            },
        }
    }

    fn comprehension(&mut self, c: &ComprehensionExpr) -> Node {
        let range = self.node(&c.iter_range);
        let init = self.node(&c.accu_init);
        let (slot, accu) = (self.next, self.next + 1);
        self.next += 2;
        self.max = self.max.max(self.next);
        let before = self.visible.len();
        self.visible.push((c.accu_var.clone(), accu));
        self.visible.push((c.iter_var.clone(), slot));
        let node = match append_step(c) {
            Some((guard, items)) if matches!(&init, Node::List(l) if l.is_empty()) => {
                Node::Collect(Box::new(fuse(Collect {
                    range,
                    slot,
                    cond: self.node(&c.loop_cond),
                    guard: guard.map(|g| self.node(g)),
                    items: items.iter().map(|e| self.node(e)).collect(),
                    pre: None,
                })))
            }
            _ => quantifier(Fold {
                range,
                slot,
                accu,
                init,
                cond: self.node(&c.loop_cond),
                step: self.node(&c.loop_step),
                result: self.node(&c.result),
            }),
        };
        self.visible.truncate(before);
        self.next -= 2;
        node
    }
}

/// A `map`/`filter` over the result of a plain `filter` takes that filter in as its
/// [`Pre`]. Both loops must run to the end (a constant `true` condition, as the macros give).
fn fuse(mut c: Collect) -> Collect {
    let fusable = |c: &Collect| matches!(c.cond, Node::Bool(true)) && c.pre.is_none();
    let inner = match &c.range {
        Node::Collect(inner)
            if fusable(&c)
                && fusable(inner)
                && inner.guard.is_some()
                && matches!(inner.items.as_slice(), [Node::Var(s)] if *s == inner.slot) =>
        {
            std::mem::take(&mut c.range)
        }
        _ => return c,
    };
    let Node::Collect(inner) = inner else {
        return c;
    };
    let Collect {
        range, slot, guard, ..
    } = *inner;
    c.range = range;
    c.pre = guard.map(|guard| Pre { slot, guard });
    c
}

/// `sum` of a `map` (one value per element) becomes [`Node::Sum`]; any other call stays one.
fn sum(func: Func, mut args: Vec<Node>) -> Node {
    if matches!(func, Func::Sum)
        && let [Node::Collect(c)] = args.as_mut_slice()
        && c.items.len() == 1
    {
        let Some(Node::Collect(c)) = args.pop() else {
            return Node::Bail;
        };
        return Node::Sum(c);
    }
    Node::Call(func, args)
}

/// `has(v.f) ? v.f : d`, the commonest conditional of rules, becomes [`Node::FieldOr`].
fn field_or(parts: [Node; 3]) -> Node {
    let [test, then, otherwise] = parts;
    match (test, then) {
        (Node::Select(a, tested, true), Node::Select(b, read, false))
            if matches!((&*a, &*b), (Node::Var(x), Node::Var(y)) if x == y)
                && tested.name == read.name =>
        {
            let Node::Var(slot) = *a else {
                return Node::Bail;
            };
            Node::FieldOr(slot, read, Box::new(otherwise))
        }
        (test, then) => Node::Cond(Box::new([test, then, otherwise])),
    }
}

/// `all` and `exists` as the macros expand them (`@result && p` while not false, `@result ||
/// p` while not true) become a [`Quantifier`]; any other fold stays one.
fn quantifier(fold: Fold) -> Node {
    let accu = fold.accu;
    let is_accu = |n: &Node| matches!(n, Node::Var(s) if *s == accu);
    let all = match (&fold.init, &fold.cond, &fold.step) {
        (Node::Bool(true), Node::NotStrictlyFalse(c), Node::And(parts))
            if is_accu(c) && is_accu(&parts[0]) =>
        {
            true
        }
        (Node::Bool(false), Node::NotStrictlyFalse(c), Node::Or(parts))
            if matches!(&**c, Node::Not(n) if is_accu(n)) && is_accu(&parts[0]) =>
        {
            false
        }
        _ => return Node::Fold(Box::new(fold)),
    };
    if !is_accu(&fold.result) {
        return Node::Fold(Box::new(fold));
    }
    let (Node::And(parts) | Node::Or(parts)) = fold.step else {
        return Node::Bail;
    };
    let [_, pred] = *parts;
    Node::Quantifier(Box::new(Quantifier {
        range: fold.range,
        slot: fold.slot,
        pred,
        all,
    }))
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
