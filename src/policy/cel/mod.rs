//! Everything that touches the `cel` crate (pinned to an exact version, whose API changes with
//! every minor release) lives here: compiling expressions, checking the names they use,
//! evaluating them, and turning results back into text.

pub mod budget;
pub mod functions;
pub mod value;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use cel::common::ast::{EntryExpr, Expr};
use cel::{Context, Env, ExecutionError, Program, extensions};

pub use ::cel::common::value::Val;
pub use functions::Library;
pub use value::Shared;

/// A compiled CEL expression and the text it came from.
pub struct Expression {
    /// The expression as written.
    pub source: String,
    program: Arc<Program>,
    /// The variables it reads (the `cel` crate walks the tree again on every `references()`).
    variables: Arc<[String]>,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Expression").field(&self.source).finish()
    }
}

/// Where a problem is inside an expression's text: 0-based character offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// What is wrong.
    pub message: String,
    /// Character range in the expression.
    pub chars: std::ops::Range<usize>,
}

/// CEL's standard library with the lists and math extensions (`list.flatten()`, `.sort()`,
/// `.distinct()`, `.reverse()`, `math.abs`, …), shared by every expression. (The strings
/// extension is left out: its `indexOf` would shadow vetlint's `indexOf(list, value)`.)
static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| {
    let mut env = Env::stdlib();
    for extension in [extensions::lists, extensions::math] {
        if let Err(e) = env.add_extension(extension) {
            debug_assert!(false, "CEL extension: {e}");
        }
    }
    Arc::new(env)
});

/// A compiled program and the variables it reads.
type Compiled = (Arc<Program>, Arc<[String]>);

/// Programs already compiled in this process, by source text: rule files repeat many
/// expressions (every `{{ self.code }}` of the Chinese and English messages), and CEL's parser
/// is the larger part of start-up.
static COMPILED: LazyLock<Mutex<HashMap<String, Compiled>>> = LazyLock::new(Default::default);

/// Compiles `source` (once per process for each text); a syntax error carries its position.
pub fn compile(source: &str) -> Result<Expression, ExprError> {
    let key = source.trim();
    let cached = COMPILED
        .lock()
        .ok()
        .and_then(|cache| cache.get(key).cloned());
    if let Some((program, variables)) = cached {
        return Ok(Expression {
            source: source.to_owned(),
            program,
            variables,
        });
    }
    match ENV.compile(source) {
        Ok(program) => {
            let variables: Arc<[String]> = program
                .references()
                .variables()
                .into_iter()
                .map(str::to_owned)
                .collect();
            let program = Arc::new(program);
            if let Ok(mut cache) = COMPILED.lock() {
                cache.insert(key.to_owned(), (program.clone(), variables.clone()));
            }
            Ok(Expression {
                source: source.to_owned(),
                program,
                variables,
            })
        }
        Err(errors) => {
            let first = errors.errors.first();
            let (line, col) = first.map_or((1, 0), |e| (e.pos.0.max(1), e.pos.1.max(0)));
            let at = char_offset(source, line as usize, col as usize);
            let message = first.map_or_else(|| errors.to_string(), |e| e.msg.clone());
            Err(ExprError {
                message,
                chars: at..(at + 1).min(source.chars().count()).max(at),
            })
        }
    }
}

/// Character offset of a 1-based line and 0-based column.
fn char_offset(source: &str, line: usize, col: usize) -> usize {
    let mut offset = 0;
    for (i, text) in source.split('\n').enumerate() {
        if i + 1 == line {
            return offset + col.min(text.chars().count());
        }
        offset += text.chars().count() + 1;
    }
    source.chars().count()
}

impl Expression {
    /// Every identifier the expression reads that is not bound inside it (by a macro) and is
    /// not in `known`, with its position; also every function that neither CEL nor vetlint
    /// defines.
    pub fn unknown_names(&self, known: &BTreeSet<&str>) -> Vec<ExprError> {
        let mut out = Vec::new();
        let mut bound = Vec::new();
        self.walk(self.program.expression(), &mut bound, known, &mut out);
        out.sort_by_key(|e| e.chars.start);
        out.dedup();
        out
    }

    fn position(&self, id: u64) -> std::ops::Range<usize> {
        match self.program.source_info().offset_for(id) {
            Some((start, stop)) => start as usize..(stop as usize + 1).max(start as usize + 1),
            None => 0..0,
        }
    }

    /// The syntax tree (for the fast evaluator).
    pub fn ast(&self) -> &cel::IdedExpr {
        self.program.expression()
    }

    /// Whether the expression reads the variable `name` (macro variables aside).
    pub fn reads(&self, name: &str) -> bool {
        self.variables.iter().any(|v| v == name)
    }

    /// A call is recorded at its `(`; its name is written just before.
    fn name_before(&self, id: u64, name: &str) -> std::ops::Range<usize> {
        let at = self.position(id);
        let before: String = self.source.chars().take(at.start).collect();
        let len = name.chars().count();
        if before.trim_end().ends_with(name) {
            let end = before.trim_end().chars().count();
            end - len..end
        } else {
            at
        }
    }

    fn walk(
        &self,
        node: &cel::IdedExpr,
        bound: &mut Vec<String>,
        known: &BTreeSet<&str>,
        out: &mut Vec<ExprError>,
    ) {
        match &node.expr {
            Expr::Ident(name) => {
                if !bound.iter().any(|b| b == name)
                    && !known.contains(name.as_str())
                    && !TYPE_NAMES.contains(&name.as_str())
                {
                    out.push(ExprError {
                        message: format!("unknown variable `{name}`"),
                        chars: self.position(node.id),
                    });
                }
            }
            Expr::Call(call) => {
                // `lists.range(3)` is a call of `range` on the "variable" `lists`: a qualified
                // function name, not a member call.
                let qualified = call
                    .target
                    .as_deref()
                    .and_then(|t| qualified_name(&t.expr))
                    .map(|q| format!("{q}.{}", call.func_name))
                    .filter(|q| functions::knows_global(q));
                let known_call = match (&qualified, &call.target) {
                    (Some(_), _) => true,
                    (None, Some(_)) => functions::knows_member(&call.func_name),
                    (None, None) => functions::knows_global(&call.func_name),
                };
                if !known_call {
                    let how = if call.target.is_some() {
                        "method"
                    } else {
                        "function"
                    };
                    out.push(ExprError {
                        message: format!("unknown {how} `{}`", call.func_name),
                        chars: self.name_before(node.id, &call.func_name),
                    });
                }
                if let (None, Some(target)) = (&qualified, &call.target) {
                    self.walk(target, bound, known, out);
                }
                for arg in &call.args {
                    self.walk(arg, bound, known, out);
                }
            }
            Expr::Comprehension(c) => {
                self.walk(&c.iter_range, bound, known, out);
                self.walk(&c.accu_init, bound, known, out);
                let before = bound.len();
                bound.push(c.iter_var.clone());
                if let Some(second) = &c.iter_var2 {
                    bound.push(second.clone());
                }
                bound.push(c.accu_var.clone());
                self.walk(&c.loop_cond, bound, known, out);
                self.walk(&c.loop_step, bound, known, out);
                self.walk(&c.result, bound, known, out);
                bound.truncate(before);
            }
            Expr::List(list) => {
                for e in &list.elements {
                    self.walk(e, bound, known, out);
                }
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(e) = &entry.expr {
                        self.walk(&e.key, bound, known, out);
                        self.walk(&e.value, bound, known, out);
                    }
                }
            }
            Expr::Struct(s) => {
                for entry in &s.entries {
                    if let EntryExpr::StructField(f) = &entry.expr {
                        self.walk(&f.value, bound, known, out);
                    }
                }
            }
            Expr::Select(select) => self.walk(&select.operand, bound, known, out),
            Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
}

/// CEL's type identifiers, usable as values (`type(x) == string`).
const TYPE_NAMES: &[&str] = &[
    "bool",
    "bytes",
    "double",
    "int",
    "uint",
    "string",
    "list",
    "map",
    "null_type",
    "type",
    "dyn",
];

/// `a.b.c` as a dotted name, when the expression is only identifiers and selections.
fn qualified_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Ident(name) => Some(name.clone()),
        Expr::Select(select) if !select.test => Some(format!(
            "{}.{}",
            qualified_name(&select.operand.expr)?,
            select.field
        )),
        _ => None,
    }
}

/// The variables of one evaluation scope: name → value.
#[derive(Default)]
pub struct Bindings {
    vars: Vec<(String, Box<dyn Val>)>,
}

impl Bindings {
    /// Binds `name`.
    pub fn set(&mut self, name: &str, value: Box<dyn Val>) {
        self.vars.retain(|(n, _)| n != name);
        self.vars.push((name.to_owned(), value));
    }

    /// Copies every binding of `other` (cheap: values are shared).
    pub fn extend(&mut self, other: &Bindings) {
        for (name, value) in &other.vars {
            self.set(name, value.clone_as_boxed());
        }
    }

    /// The value bound to `name`.
    pub fn get(&self, name: &str) -> Option<&dyn Val> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }
}

/// Why an evaluation failed.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError(pub String);

impl From<ExecutionError> for EvalError {
    fn from(e: ExecutionError) -> Self {
        EvalError(e.to_string())
    }
}

/// The root evaluation context: CEL's standard library, vetlint's functions and the global
/// variables (`tables`). Built once per run and shared by every thread.
pub struct Runtime {
    root: Context<'static, 'static>,
}

impl Runtime {
    /// A runtime over `library` with the global variables.
    pub fn new(library: &Arc<Library>) -> Self {
        let mut root = Context::with_env(ENV.clone());
        library.register(&mut root);
        Self { root }
    }

    /// Evaluates `expr` with `bindings` on top of the globals.
    pub fn eval(&self, expr: &Expression, bindings: &Bindings) -> Result<Box<dyn Val>, EvalError> {
        let mut scope = self.root.new_inner_scope();
        for (name, value) in &bindings.vars {
            scope.add_variable_as_val(name.clone(), value.clone_as_boxed());
        }
        // Resolve to a value without converting through `cel::Value`, which would deep-copy
        // every list and map (a `let` that names a subtree would copy the subtree).
        let result = cel::Value::resolve_val(expr.program.expression(), &scope)?;
        Ok(result.into_owned())
    }
}

/// Renders a value for a message: strings as they are, whole numbers without `.0`, lists
/// joined with the language's separator.
pub fn display(value: &dyn Val, separator: &str) -> String {
    if let Some(s) = value::as_str(value) {
        return s.to_owned();
    }
    if let Some(n) = value::as_f64(value) {
        return number(n);
    }
    if let Some(items) = value::as_list(value) {
        return items
            .iter()
            .map(|i| display(i.as_ref(), separator))
            .collect::<Vec<_>>()
            .join(separator);
    }
    match value::to_json(value) {
        Ok(serde_json::Value::Null) => "null".to_owned(),
        Ok(json) => json.to_string(),
        Err(_) => format!("{value:?}"),
    }
}

/// A number as people write it: `8`, `72.1`, `0.3`.
pub fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Which standard-library function names exist, probed once each by calling them (the crate
/// does not list them); keyed by (name, member call).
static STD_NAMES: LazyLock<Mutex<HashMap<(String, bool), bool>>> = LazyLock::new(Default::default);

/// Whether CEL's standard library (or an operator or macro helper) defines `name`, called as a
/// method on a value when `member`, as a global function otherwise.
pub fn std_knows(name: &str, member: bool) -> bool {
    if name.starts_with('_') || name.contains('@') || name.starts_with('!') {
        return true;
    }
    let mut cache = STD_NAMES.lock().unwrap_or_else(|e| e.into_inner());
    *cache.entry((name.to_owned(), member)).or_insert_with(|| {
        let shapes: &[&str] = if member {
            &["''.{name}()", "[].{name}()", "1.0.{name}()", "{}.{name}()"]
        } else {
            &["{name}()"]
        };
        shapes.iter().any(|shape| {
            let probe = shape.replace("{name}", name);
            ENV.compile(&probe).is_ok_and(|p| {
                !matches!(
                    p.execute(&Context::with_env(ENV.clone())),
                    Err(ExecutionError::UndeclaredReference(_))
                )
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_functions_are_known_and_typos_are_not() {
        for name in [
            "size",
            "string",
            "int",
            "double",
            "sum",
            "tasksOf",
            "lists.range",
            "math.abs",
        ] {
            assert!(functions::knows_global(name), "{name}");
        }
        for name in [
            "size",
            "startsWith",
            "matches",
            "contains",
            "flatten",
            "sort",
            "distinct",
        ] {
            assert!(functions::knows_member(name), "{name}");
        }
        for name in ["szie", "lookupp", "frobnicate", "flatten", "sort"] {
            assert!(!functions::knows_global(name), "{name}");
        }
        assert!(!functions::knows_member("tasksOf"));
    }

    #[test]
    fn every_library_function_is_registered() {
        let library = Arc::new(Library::new(&crate::workspace::Workspace::default()));
        let runtime = Runtime::new(&library);
        for name in functions::FUNCTIONS {
            let expr = compile(&format!("{name}()")).unwrap();
            if let Err(EvalError(message)) = runtime.eval(&expr, &Bindings::default()) {
                assert!(!message.contains("Undeclared"), "{name}: {message}");
            }
        }
        let expr =
            compile("join(['a', 'b'], '、') + string(ceil(2.000000001)) + string(floor(1.9)) + string([[1.0], [2.0]].flatten().size())")
                .unwrap();
        let value = runtime.eval(&expr, &Bindings::default()).unwrap();
        assert_eq!(display(value.as_ref(), ""), "a、b212");
    }

    #[test]
    fn unknown_names_skip_macro_variables() {
        let known: BTreeSet<&str> = ["self", "params"].into_iter().collect();
        let e = compile(
            "self.matrix.map(m, m.credits).all(c, c <= params.max) && totl > 1.0 && szie(self) > 0",
        )
        .unwrap();
        let unknown = e.unknown_names(&known);
        let messages: Vec<&str> = unknown.iter().map(|u| u.message.as_str()).collect();
        assert_eq!(
            messages,
            ["unknown variable `totl`", "unknown function `szie`"]
        );
        assert_eq!(&e.source[unknown[0].chars.clone()], "totl");
        let fine = compile("lists.range(3).size() == 3 && math.greatest(1.0, 2.0) == 2.0 && type(self) == string && [[1]].flatten().sort() == [1]").unwrap();
        assert_eq!(fine.unknown_names(&known), Vec::new());
        let global_flatten = compile("flatten([[1]])").unwrap();
        assert_eq!(
            global_flatten.unknown_names(&known)[0].message,
            "unknown function `flatten`"
        );
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = compile("a +").unwrap_err();
        assert!(err.chars.start <= 3, "{err:?}");
        let err = compile("a\n  && (b").unwrap_err();
        assert!(err.chars.start >= 2, "{err:?}");
    }
}
