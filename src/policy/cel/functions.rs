//! vetlint's function library for rule expressions: workspace lookups (`lookup`, `hasDoc`,
//! `docs`), arithmetic that policy figures need (`sum`, `percent`, `round`, `decimals`), list
//! helpers (`duplicates`, `indexOf`, `join`), `ceil`/`floor` that forgive binary noise, and domain helpers over skill-level standards
//! (`tasksOf`, `workAreasOf`, `taskName`, …, and pointers for related labels).

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use cel::common::value::{CowVal, Val};
use cel::extractors::IntoResolveResult;
use cel::{Context, ExecutionError, FunctionContext};
use serde_json::Value;

use super::value::{self as v, Shared};
use crate::workspace::Workspace;

/// A function's result, whatever lifetimes the interpreter asks for.
struct Ret(Result<Box<dyn Val>, ExecutionError>);

impl<'c, 'k> IntoResolveResult<'c, 'k> for Ret {
    fn into_resolve_result(self) -> Result<CowVal<'c, 'k>, ExecutionError> {
        self.0.map(CowVal::Owned)
    }
}

/// A function body: arguments in, a value out.
type Native = Arc<dyn Fn(&Args) -> Result<Box<dyn Val>, ExecutionError> + Send + Sync>;

/// One work task of a standard level.
#[derive(Debug, Clone)]
struct Task {
    code: String,
    name: String,
    pointer: String,
}

/// One work area of a standard level, with its tasks.
#[derive(Debug, Clone)]
struct Area {
    code: String,
    name: String,
    pointer: String,
    tasks: Vec<Task>,
}

/// One level of a standard.
#[derive(Debug, Clone)]
struct Level {
    pointer: String,
    areas: Vec<Area>,
}

/// A standard's levels by name (the first occurrence when a level repeats).
type Levels = HashMap<String, Level>;

fn index_standard(value: &Value) -> Levels {
    let mut levels = Levels::new();
    let str_of = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    for (li, level) in value
        .get("levels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = str_of(level, "level");
        let pointer = format!("/levels/{li}");
        let mut areas = Vec::new();
        for (ai, area) in level
            .get("work_areas")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let area_pointer = format!("{pointer}/work_areas/{ai}");
            let tasks = area
                .get("tasks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(ti, t)| Task {
                    code: str_of(t, "code"),
                    name: str_of(t, "name"),
                    pointer: format!("{area_pointer}/tasks/{ti}"),
                })
                .collect();
            areas.push(Area {
                code: str_of(area, "code"),
                name: str_of(area, "name"),
                pointer: area_pointer,
                tasks,
            });
        }
        levels.entry(name).or_insert(Level { pointer, areas });
    }
    levels
}

/// The functions, and the workspace documents they look into (as JSON, and as CEL values
/// converted on first use by the reference interpreter).
pub struct Library {
    /// Documents by kind, then id (a lookup allocates no key).
    values: HashMap<String, HashMap<String, Arc<Value>>>,
    /// Documents of each kind, in the workspace's order.
    kinds: HashMap<String, Vec<Arc<Value>>>,
    standards: HashMap<String, Levels>,
    /// Each standard's level names in document order (`levelsOf` is asked once per subject).
    level_order: HashMap<String, Vec<String>>,
    converted: std::sync::OnceLock<Converted>,
}

/// The documents as CEL values.
struct Converted {
    docs: HashMap<(String, String), Shared>,
    by_kind: HashMap<String, Shared>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field(
                "docs",
                &self.values.values().map(HashMap::len).sum::<usize>(),
            )
            .finish()
    }
}

/// Names of vetlint's own functions.
pub const FUNCTIONS: &[&str] = &[
    "lookup",
    "hasDoc",
    "docs",
    "sum",
    "percent",
    "round",
    "decimals",
    "duplicates",
    "indexOf",
    "join",
    "ceil",
    "floor",
    "levelsOf",
    "workAreasOf",
    "tasksOf",
    "tasksOfArea",
    "taskName",
    "workAreaName",
    "levelPointer",
    "workAreaPointer",
    "taskPointer",
];

impl Library {
    /// Indexes the workspace's documents.
    pub fn new(workspace: &Workspace) -> Self {
        let mut values: HashMap<String, HashMap<String, Arc<Value>>> = HashMap::new();
        let mut kinds: HashMap<String, Vec<Arc<Value>>> = HashMap::new();
        let mut standards = HashMap::new();
        for kind in workspace.kinds().map(str::to_owned).collect::<Vec<_>>() {
            for (id, entry) in workspace.of_kind(&kind) {
                let Some(value) = &entry.value else { continue };
                kinds.entry(kind.clone()).or_default().push(value.clone());
                values
                    .entry(kind.clone())
                    .or_default()
                    .insert(id.to_owned(), value.clone());
                if kind == "standard" {
                    standards.insert(id.to_owned(), index_standard(value));
                }
            }
        }
        let level_order = standards
            .iter()
            .map(|(id, levels)| {
                let mut names: Vec<(&str, &str)> = levels
                    .iter()
                    .map(|(n, l): (&String, &Level)| (l.pointer.as_str(), n.as_str()))
                    .collect();
                names.sort_by_key(|x| natural(x.0));
                let names = names.into_iter().map(|(_, n)| n.to_owned()).collect();
                (id.clone(), names)
            })
            .collect();
        Self {
            values,
            kinds,
            standards,
            level_order,
            converted: std::sync::OnceLock::new(),
        }
    }

    fn converted(&self) -> &Converted {
        self.converted.get_or_init(|| {
            let mut docs = HashMap::new();
            let mut by_kind = HashMap::new();
            for (kind, values) in &self.kinds {
                let mut items = Vec::new();
                for value in values {
                    let converted = Shared::new(v::from_json(value));
                    items.push(converted.boxed());
                    if let Some(id) = value.get("id").and_then(Value::as_str) {
                        docs.entry((kind.clone(), id.to_owned()))
                            .or_insert(converted);
                    }
                }
                by_kind.insert(kind.clone(), Shared::new(v::list(items)));
            }
            Converted { docs, by_kind }
        })
    }

    /// The document of `kind` with `id` (`lookup`).
    pub fn document(&self, kind: &str, id: &str) -> Option<&Value> {
        self.values.get(kind)?.get(id).map(|v| v.as_ref())
    }

    /// Every document of `kind` (`docs`).
    pub fn documents(&self, kind: &str) -> impl Iterator<Item = &Value> {
        self.kinds
            .get(kind)
            .into_iter()
            .flatten()
            .map(|v| v.as_ref())
    }

    fn level(&self, standard: &str, level: &str) -> Option<&Level> {
        self.standards.get(standard)?.get(level)
    }

    /// The work area `code` of a level.
    fn area(&self, standard: &str, level: &str, code: &str) -> Option<&Area> {
        self.level(standard, level)
            .and_then(|l| l.areas.iter().find(|x| x.code == code))
    }

    /// The work task `code` of a level.
    fn task(&self, standard: &str, level: &str, code: &str) -> Option<&Task> {
        self.level(standard, level).and_then(|l| {
            l.areas
                .iter()
                .flat_map(|x| &x.tasks)
                .find(|t| t.code == code)
        })
    }

    /// The level names of a standard, in document order (`levelsOf`).
    pub fn levels_of(&self, standard: &str) -> Vec<&str> {
        self.level_order
            .get(standard)
            .map(|names| names.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The work area codes of a level (`workAreasOf`).
    pub fn work_areas_of(&self, standard: &str, level: &str) -> Vec<&str> {
        self.level(standard, level)
            .map(|l| l.areas.iter().map(|x| x.code.as_str()).collect())
            .unwrap_or_default()
    }

    /// The task codes of a level (`tasksOf`).
    pub fn tasks_of(&self, standard: &str, level: &str) -> Vec<&str> {
        self.level(standard, level)
            .map(|l| {
                l.areas
                    .iter()
                    .flat_map(|x| &x.tasks)
                    .map(|t| t.code.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The task codes of a work area (`tasksOfArea`).
    pub fn tasks_of_area(&self, standard: &str, level: &str, area: &str) -> Vec<&str> {
        self.area(standard, level, area)
            .map(|x| x.tasks.iter().map(|t| t.code.as_str()).collect())
            .unwrap_or_default()
    }

    /// A task's name, or "" (`taskName`).
    pub fn task_name(&self, standard: &str, level: &str, code: &str) -> &str {
        self.task(standard, level, code)
            .map_or("", |t| t.name.as_str())
    }

    /// A work area's name, or "" (`workAreaName`).
    pub fn work_area_name(&self, standard: &str, level: &str, code: &str) -> &str {
        self.area(standard, level, code)
            .map_or("", |x| x.name.as_str())
    }

    /// Where a level is in its standard (`levelPointer`).
    pub fn level_pointer(&self, standard: &str, level: &str) -> Option<&str> {
        self.level(standard, level).map(|l| l.pointer.as_str())
    }

    /// Where a work area is in its standard (`workAreaPointer`).
    pub fn work_area_pointer(&self, standard: &str, level: &str, code: &str) -> Option<&str> {
        self.area(standard, level, code).map(|x| x.pointer.as_str())
    }

    /// Where a task is in its standard (`taskPointer`).
    pub fn task_pointer(&self, standard: &str, level: &str, code: &str) -> Option<&str> {
        self.task(standard, level, code).map(|t| t.pointer.as_str())
    }

    /// Registers every function on the root context.
    pub fn register(self: &Arc<Self>, ctx: &mut Context<'static, 'static>) {
        let add = |ctx: &mut Context<'static, 'static>, name: &'static str, f: Native| {
            let result = ctx.add_function(name, move |ftx: &FunctionContext| {
                let args = Args { ftx, name };
                Ret(f(&args))
            });
            debug_assert!(
                result.is_ok(),
                "function {name} clashes with the standard library"
            );
        };
        let lib = Arc::clone(self);
        add(
            ctx,
            "lookup",
            Arc::new(move |a| {
                Ok(lib
                    .converted()
                    .docs
                    .get(&(a.string(0)?, a.string(1)?))
                    .map_or_else(v::null, Shared::boxed))
            }),
        );
        let lib = Arc::clone(self);
        add(
            ctx,
            "hasDoc",
            Arc::new(move |a| {
                Ok(v::boolean(
                    lib.document(&a.string(0)?, &a.string(1)?).is_some(),
                ))
            }),
        );
        let lib = Arc::clone(self);
        add(
            ctx,
            "docs",
            Arc::new(move |a| {
                Ok(lib
                    .converted()
                    .by_kind
                    .get(&a.string(0)?)
                    .map_or_else(|| v::list(Vec::new()), Shared::boxed))
            }),
        );
        add(
            ctx,
            "sum",
            Arc::new(|a| {
                let mut total = 0.0;
                for item in a.list(0)? {
                    total += v::as_f64(item.as_ref())
                        .ok_or_else(|| a.error("sum() needs a list of numbers"))?;
                }
                Ok(v::double(total))
            }),
        );
        add(
            ctx,
            "percent",
            Arc::new(|a| {
                let (part, whole) = (a.number(0)?, a.number(1)?);
                if whole == 0.0 {
                    return Err(a.error("percent() of a whole of 0"));
                }
                Ok(v::double(round_to(part / whole * 100.0, 2)))
            }),
        );
        add(
            ctx,
            "round",
            Arc::new(|a| Ok(v::double(round_to(a.number(0)?, a.number(1)? as i32)))),
        );
        add(
            ctx,
            "decimals",
            Arc::new(|a| Ok(v::double(decimals(a.number(0)?) as f64))),
        );
        add(
            ctx,
            "duplicates",
            Arc::new(|a| {
                // Linear for scalars (hashed); lists and maps compare pairwise, on the budget.
                let items = a.list(0)?;
                let keys: Vec<Option<String>> =
                    items.iter().map(|i| scalar_key(i.as_ref())).collect();
                let mut counts: HashMap<&str, usize> = HashMap::new();
                for key in keys.iter().flatten() {
                    *counts.entry(key.as_str()).or_default() += 1;
                }
                let mut out: Vec<Box<dyn Val>> = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let repeated = match &keys[i] {
                        Some(key) => counts.remove(key.as_str()).is_some_and(|n| n > 1),
                        None => {
                            a.spend(items.len() as u64)?;
                            let again = items[i + 1..].iter().any(|o| o.equals(item.as_ref()));
                            let seen = items[..i].iter().any(|o| o.equals(item.as_ref()));
                            again && !seen
                        }
                    };
                    if repeated {
                        out.push(own(item.as_ref())?);
                    }
                }
                Ok(v::list(out))
            }),
        );
        add(
            ctx,
            "join",
            Arc::new(|a| {
                let separator = a.string(1)?;
                let parts: Vec<String> = a
                    .list(0)?
                    .iter()
                    .map(|item| super::display(item.as_ref(), &separator))
                    .collect();
                Ok(v::string(&parts.join(&separator)))
            }),
        );
        add(
            ctx,
            "ceil",
            Arc::new(|a| Ok(v::double(((a.number(0)? * 1e6).round() / 1e6).ceil()))),
        );
        add(
            ctx,
            "floor",
            Arc::new(|a| Ok(v::double(((a.number(0)? * 1e6).round() / 1e6).floor()))),
        );
        add(
            ctx,
            "indexOf",
            Arc::new(|a| {
                let needle = a.arg(1)?;
                let index = a.list(0)?.iter().position(|i| i.equals(needle));
                Ok(v::int(index.map_or(-1, |i| i as i64)))
            }),
        );
        let strings = |items: Vec<&str>| v::list(items.into_iter().map(v::string).collect());
        let lib = Arc::clone(self);
        add(
            ctx,
            "levelsOf",
            Arc::new(move |a| Ok(strings(lib.levels_of(&a.string(0)?)))),
        );
        let lib = Arc::clone(self);
        add(
            ctx,
            "workAreasOf",
            Arc::new(move |a| Ok(strings(lib.work_areas_of(&a.string(0)?, &a.string(1)?)))),
        );
        let lib = Arc::clone(self);
        add(
            ctx,
            "tasksOf",
            Arc::new(move |a| Ok(strings(lib.tasks_of(&a.string(0)?, &a.string(1)?)))),
        );
        let lib = Arc::clone(self);
        add(
            ctx,
            "tasksOfArea",
            Arc::new(move |a| {
                let (s, l, x) = a.three()?;
                Ok(strings(lib.tasks_of_area(&s, &l, &x)))
            }),
        );
        let lib = Arc::clone(self);
        add(
            ctx,
            "taskName",
            Arc::new(move |a| {
                let (s, l, x) = a.three()?;
                Ok(v::string(lib.task_name(&s, &l, &x)))
            }),
        );
        let lib = Arc::clone(self);
        add(
            ctx,
            "workAreaName",
            Arc::new(move |a| {
                let (s, l, x) = a.three()?;
                Ok(v::string(lib.work_area_name(&s, &l, &x)))
            }),
        );
        let pointer = |p: Option<&str>| p.map_or_else(v::null, v::string);
        let lib = Arc::clone(self);
        add(
            ctx,
            "levelPointer",
            Arc::new(move |a| Ok(pointer(lib.level_pointer(&a.string(0)?, &a.string(1)?)))),
        );
        let lib = Arc::clone(self);
        add(
            ctx,
            "workAreaPointer",
            Arc::new(move |a| {
                let (s, l, x) = a.three()?;
                Ok(pointer(lib.work_area_pointer(&s, &l, &x)))
            }),
        );
        let lib = Arc::clone(self);
        add(
            ctx,
            "taskPointer",
            Arc::new(move |a| {
                let (s, l, x) = a.three()?;
                Ok(pointer(lib.task_pointer(&s, &l, &x)))
            }),
        );
    }
}

/// Whether CEL or vetlint defines a global function called `name`.
pub fn knows_global(name: &str) -> bool {
    FUNCTIONS.contains(&name) || super::std_knows(name, false)
}

/// Whether CEL defines a method called `name` (vetlint's functions are all global).
pub fn knows_member(name: &str) -> bool {
    super::std_knows(name, true)
}

/// A call's arguments.
pub struct Args<'a, 'c, 'k> {
    ftx: &'a FunctionContext<'c, 'k>,
    name: &'static str,
}

impl<'k> Args<'_, '_, 'k> {
    fn error(&self, message: &str) -> ExecutionError {
        ExecutionError::function_error(self.name, message)
    }

    fn arg(&self, i: usize) -> Result<&(dyn Val + 'k), ExecutionError> {
        self.ftx
            .args
            .get(i)
            .map(|a| a.as_ref())
            .ok_or_else(|| ExecutionError::invalid_argument_count(i + 1, self.ftx.args.len()))
    }

    fn string(&self, i: usize) -> Result<String, ExecutionError> {
        let value = self.arg(i)?;
        v::as_str(value)
            .map(str::to_owned)
            .ok_or_else(|| self.error(&format!("argument {} must be a string", i + 1)))
    }

    /// The three string arguments (standard, level, code) of the standard helpers. The
    /// code is read first, as before.
    fn three(&self) -> Result<(String, String, String), ExecutionError> {
        let code = self.string(2)?;
        Ok((self.string(0)?, self.string(1)?, code))
    }

    fn number(&self, i: usize) -> Result<f64, ExecutionError> {
        v::as_f64(self.arg(i)?)
            .ok_or_else(|| self.error(&format!("argument {} must be a number", i + 1)))
    }

    /// A list argument; walking it costs one budget step per element.
    fn list(&self, i: usize) -> Result<&[Box<dyn Val + 'k>], ExecutionError> {
        let value = self.arg(i)?;
        let list = v::as_list(value)
            .ok_or_else(|| self.error(&format!("argument {} must be a list", i + 1)))?;
        self.spend(list.len() as u64)?;
        Ok(list)
    }

    /// Draws `n` steps from the rule's budget; an error once it is exhausted (the caller
    /// reports the exhausted budget, not this error).
    fn spend(&self, n: u64) -> Result<(), ExecutionError> {
        if super::budget::spend(n) {
            Ok(())
        } else {
            Err(self.error("step budget exhausted"))
        }
    }
}

/// A hashable identity for scalars that CEL's `==` agrees with (numbers are doubles here,
/// and `0.0 == -0.0`); `None` for lists and maps.
fn scalar_key(value: &dyn Val) -> Option<String> {
    if let Some(s) = v::as_str(value) {
        return Some(format!("s{s}"));
    }
    if let Some(n) = v::as_f64(value) {
        let n = if n == 0.0 { 0.0 } else { n };
        return Some(format!("n{}", n.to_bits()));
    }
    if let Some(b) = v::as_bool(value) {
        return Some(format!("b{b}"));
    }
    v::is_null(value).then(|| "null".to_owned())
}

/// An owned copy of a value that an argument only borrows: scalars directly, anything else
/// through JSON.
fn own(value: &dyn Val) -> Result<Box<dyn Val>, ExecutionError> {
    if let Some(s) = v::as_str(value) {
        return Ok(v::string(s));
    }
    if let Some(n) = v::as_f64(value) {
        return Ok(v::double(n));
    }
    if let Some(b) = v::as_bool(value) {
        return Ok(v::boolean(b));
    }
    Ok(v::from_json(&v::to_json(value)?))
}

/// `x` rounded to `digits` decimals, half away from zero, after removing binary noise
/// (so 0.3 × 6 rounds to 1.8, and 30 % of a cap compares equal to 30).
pub fn round_to(x: f64, digits: i32) -> f64 {
    let factor = 10f64.powi(digits.clamp(0, 12));
    let scaled = (x * factor * 1e6).round() / 1e6;
    scaled.round() / factor
}

/// Decimals in the shortest text of `x` (`72.1` → 1, `8` → 0).
pub fn decimals(x: f64) -> usize {
    let text = format!("{x}");
    text.split_once('.').map_or(0, |(_, frac)| frac.len())
}

/// Sorts pointers like `/levels/10` after `/levels/9`.
pub fn natural(pointer: &str) -> Vec<(u64, String)> {
    pointer
        .split('/')
        .map(|t| (t.parse().unwrap_or(u64::MAX), t.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_forgives_binary_noise() {
        assert_eq!(round_to(0.3 * 6.0, 2), 1.8);
        assert_eq!(round_to(1.8 / 6.0 * 100.0, 2), 30.0);
        assert_eq!(round_to(31.0 / 43.0 * 100.0, 1), 72.1);
        assert_eq!(round_to(2.5, 0), 3.0);
        assert_eq!(decimals(72.1), 1);
        assert_eq!(decimals(8.0), 0);
    }
}
