//! Functions for the fast evaluator: the standard ones rules use (`size`, `int`, `double`,
//! `string`, `contains`, `startsWith`, `endsWith`, `matches`, `flatten`) and vetlint's
//! library, computed the same way as the reference registrations in `cel/functions.rs` (both
//! call the same [`Library`] methods). Wrong argument types and counts bail.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::cell::RefCell;
use std::rc::Rc;

use super::compile::{Func, Method};
use super::interp::Globals;
use super::value::{Bail, Fv, display, equal};
use crate::policy::cel::budget;
use crate::policy::cel::functions::{decimals, round_to};

/// A global function call `name(args…)`.
pub fn global<'a>(func: Func, args: &[Fv<'a>], globals: &Globals<'a>) -> Result<Fv<'a>, Bail> {
    let lib = globals.library;
    match (func, args) {
        (Func::Size, [x]) => size(x),
        (Func::Type, [x]) => x.type_name().map(Fv::Type).ok_or(Bail),
        (Func::Int, [x]) => int(x),
        (Func::Double, [x]) => match x {
            Fv::Double(d) => Ok(Fv::Double(*d)),
            Fv::Int(i) => Ok(Fv::Double(*i as f64)),
            Fv::UInt(u) => Ok(Fv::Double(*u as f64)),
            _ => Err(Bail),
        },
        (Func::String, [x]) => match x {
            Fv::Str(_) | Fv::Text(_) => Ok(x.clone()),
            Fv::Int(i) => Ok(Fv::text(&i.to_string())),
            Fv::UInt(u) => Ok(Fv::text(&u.to_string())),
            Fv::Bool(b) => Ok(Fv::text(&b.to_string())),
            _ => Err(Bail),
        },
        (Func::Matches, [s, re]) => matches(s, re),
        (Func::Lookup, [kind, id]) => Ok(lib
            .document(string(kind)?, string(id)?)
            .map_or(Fv::Null, Fv::from_json)),
        (Func::HasDoc, [kind, id]) => {
            Ok(Fv::Bool(lib.document(string(kind)?, string(id)?).is_some()))
        }
        (Func::Docs, [kind]) => Ok(Fv::list(
            lib.documents(string(kind)?).map(Fv::from_json).collect(),
        )),
        (Func::Sum, [list]) => {
            let mut total = 0.0;
            for item in walk(list)? {
                total += item.as_number().ok_or(Bail)?;
            }
            Ok(Fv::Double(total))
        }
        (Func::Percent, [part, whole]) => {
            let (part, whole) = (number(part)?, number(whole)?);
            if whole == 0.0 {
                return Err(Bail);
            }
            Ok(Fv::Double(round_to(part / whole * 100.0, 2)))
        }
        (Func::Round, [x, digits]) => Ok(Fv::Double(round_to(number(x)?, number(digits)? as i32))),
        (Func::Decimals, [x]) => Ok(Fv::Double(decimals(number(x)?) as f64)),
        (Func::Ceil, [x]) => Ok(Fv::Double(((number(x)? * 1e6).round() / 1e6).ceil())),
        (Func::Floor, [x]) => Ok(Fv::Double(((number(x)? * 1e6).round() / 1e6).floor())),
        (Func::IndexOf, [list, needle]) => {
            for (i, item) in walk(list)?.enumerate() {
                if equal(&item, needle)? {
                    return Ok(Fv::Int(i as i64));
                }
            }
            Ok(Fv::Int(-1))
        }
        (Func::Duplicates, [list]) => duplicates(list),
        (Func::Join, [list, separator]) => {
            let separator = string(separator)?;
            let parts: Result<Vec<String>, Bail> =
                walk(list)?.map(|i| display(&i, separator)).collect();
            Ok(Fv::text(&parts?.join(separator)))
        }
        (Func::LevelsOf, [s]) => Ok(strings(lib.levels_of(string(s)?))),
        (Func::WorkAreasOf, [s, l]) => Ok(strings(lib.work_areas_of(string(s)?, string(l)?))),
        (Func::TasksOf, [s, l]) => Ok(strings(lib.tasks_of(string(s)?, string(l)?))),
        (Func::TasksOfArea, [s, l, x]) => {
            let (s, l, x) = three(s, l, x)?;
            Ok(strings(lib.tasks_of_area(s, l, x)))
        }
        (Func::TaskName, [s, l, x]) => {
            let (s, l, x) = three(s, l, x)?;
            Ok(Fv::Str(lib.task_name(s, l, x)))
        }
        (Func::WorkAreaName, [s, l, x]) => {
            let (s, l, x) = three(s, l, x)?;
            Ok(Fv::Str(lib.work_area_name(s, l, x)))
        }
        (Func::LevelPointer, [s, l]) => Ok(pointer(lib.level_pointer(string(s)?, string(l)?))),
        (Func::WorkAreaPointer, [s, l, x]) => {
            let (s, l, x) = three(s, l, x)?;
            Ok(pointer(lib.work_area_pointer(s, l, x)))
        }
        (Func::TaskPointer, [s, l, x]) => {
            let (s, l, x) = three(s, l, x)?;
            Ok(pointer(lib.task_pointer(s, l, x)))
        }
        _ => Err(Bail),
    }
}

/// A method call `this.name(args…)`.
pub fn member<'a>(method: Method, this: &Fv<'a>, args: &[Fv<'a>]) -> Result<Fv<'a>, Bail> {
    match (method, args) {
        (Method::Size, []) => size(this),
        (Method::Contains, [x]) => Ok(Fv::Bool(string(this)?.contains(string(x)?))),
        (Method::StartsWith, [x]) => Ok(Fv::Bool(string(this)?.starts_with(string(x)?))),
        (Method::EndsWith, [x]) => Ok(Fv::Bool(string(this)?.ends_with(string(x)?))),
        (Method::Matches, [re]) => matches(this, re),
        (Method::Flatten, []) => flatten(this, 1),
        (Method::Flatten, [Fv::Int(depth)]) => {
            flatten(this, u64::try_from(*depth).map_err(|_| Bail)?)
        }
        (Method::Slice, [Fv::Int(start), Fv::Int(end)]) => {
            let len = this.list_len().ok_or(Bail)?;
            let (start, end) = (usize::try_from(*start), usize::try_from(*end));
            let (Ok(start), Ok(end)) = (start, end) else {
                return Err(Bail);
            };
            if start > end || end > len {
                return Err(Bail);
            }
            let items = this.list_items().ok_or(Bail)?;
            Ok(Fv::list(items.skip(start).take(end - start).collect()))
        }
        _ => Err(Bail),
    }
}

/// `list.flatten(depth)`: nested lists spliced in, `depth` levels deep (maps are kept whole).
fn flatten<'a>(list: &Fv<'a>, depth: u64) -> Result<Fv<'a>, Bail> {
    fn into<'a>(list: &Fv<'a>, depth: u64, out: &mut Vec<Fv<'a>>) -> Result<(), Bail> {
        for item in list.list_items().ok_or(Bail)? {
            if depth > 0 && item.is_list() {
                into(&item, depth - 1, out)?;
            } else {
                out.push(item);
            }
        }
        Ok(())
    }
    let mut flat = Vec::new();
    into(list, depth, &mut flat)?;
    Ok(Fv::list(flat))
}

fn size<'a>(x: &Fv<'a>) -> Result<Fv<'a>, Bail> {
    let n = if let Some(s) = x.as_str() {
        s.chars().count()
    } else if let Some(n) = x.list_len() {
        n
    } else {
        x.map_len().ok_or(Bail)?
    };
    Ok(Fv::Int(n as i64))
}

/// `int(x)`: doubles truncate toward zero within (i64::MIN, i64::MAX), as the `cel` crate's.
fn int<'a>(x: &Fv<'a>) -> Result<Fv<'a>, Bail> {
    match x {
        Fv::Int(i) => Ok(Fv::Int(*i)),
        Fv::UInt(u) => i64::try_from(*u).map(Fv::Int).map_err(|_| Bail),
        Fv::Double(d) if *d > i64::MIN as f64 && *d < i64::MAX as f64 => Ok(Fv::Int(*d as i64)),
        _ => match x.as_str() {
            Some(s) => s.parse::<i64>().map(Fv::Int).map_err(|_| Bail),
            None => Err(Bail),
        },
    }
}

thread_local! {
    /// Compiled patterns of `matches`, by pattern (rules use a handful).
    static PATTERNS: RefCell<HashMap<String, Rc<regex::Regex>>> = RefCell::new(HashMap::new());
}

fn matches<'a>(s: &Fv<'a>, re: &Fv<'a>) -> Result<Fv<'a>, Bail> {
    let (s, re) = (string(s)?, string(re)?);
    let compiled = PATTERNS.with(|cache| {
        if let Some(r) = cache.borrow().get(re) {
            return Ok(r.clone());
        }
        let r = Rc::new(regex::Regex::new(re).map_err(|_| Bail)?);
        cache.borrow_mut().insert(re.to_owned(), r.clone());
        Ok(r)
    })?;
    Ok(Fv::Bool(compiled.is_match(s)))
}

/// The elements of a list argument, one budget step each (as the reference functions walk
/// them).
fn walk<'a, 'b>(list: &'b Fv<'a>) -> Result<super::value::Items<'a, 'b>, Bail> {
    let len = list.list_len().ok_or(Bail)?;
    if !budget::spend(len as u64) {
        return Err(Bail);
    }
    list.list_items().ok_or(Bail)
}

/// `duplicates(list)`: each value that occurs more than once, once, in order of first
/// occurrence.
fn duplicates<'a>(list: &Fv<'a>) -> Result<Fv<'a>, Bail> {
    let items: Vec<Fv<'a>> = walk(list)?.collect();
    // Lists and maps compare pairwise in the reference; leave them to it.
    let keys: Vec<Key<'_>> = items
        .iter()
        .map(scalar_key)
        .collect::<Option<_>>()
        .ok_or(Bail)?;
    // Most lists repeat nothing: one pass of a set finds that, without counting.
    let mut seen: HashSet<&Key<'_>> = HashSet::with_capacity(keys.len());
    if keys.iter().all(|key| seen.insert(key)) {
        return Ok(Fv::list(Vec::new()));
    }
    let mut counts: HashMap<&Key<'_>, usize> = HashMap::with_capacity(keys.len());
    for key in &keys {
        *counts.entry(key).or_default() += 1;
    }
    let mut out = Vec::new();
    for (item, key) in items.iter().zip(&keys) {
        if counts.remove(key).is_some_and(|n| n > 1) {
            out.push(item.clone());
        }
    }
    Ok(Fv::list(out))
}

/// A scalar's identity for [`duplicates`].
#[derive(PartialEq, Eq, Hash)]
enum Key<'s> {
    Str(&'s str),
    /// The bits of the number as a double.
    Number(u64),
    Bool(bool),
    Null,
}

/// The same identity as the reference's: strings, numbers (ints as doubles, `-0.0` as `0.0`),
/// bools and null.
fn scalar_key<'s>(value: &'s Fv<'_>) -> Option<Key<'s>> {
    if let Some(s) = value.as_str() {
        return Some(Key::Str(s));
    }
    if let Some(n) = value.as_number() {
        let n = if n == 0.0 { 0.0 } else { n };
        return Some(Key::Number(n.to_bits()));
    }
    match value {
        Fv::Bool(b) => Some(Key::Bool(*b)),
        Fv::Null => Some(Key::Null),
        _ => None,
    }
}

fn string<'b>(value: &'b Fv<'_>) -> Result<&'b str, Bail> {
    value.as_str().ok_or(Bail)
}

fn number(value: &Fv<'_>) -> Result<f64, Bail> {
    value.as_number().ok_or(Bail)
}

fn three<'b>(
    s: &'b Fv<'_>,
    l: &'b Fv<'_>,
    x: &'b Fv<'_>,
) -> Result<(&'b str, &'b str, &'b str), Bail> {
    Ok((string(s)?, string(l)?, string(x)?))
}

fn strings<'a>(items: Vec<&'a str>) -> Fv<'a> {
    Fv::list(items.into_iter().map(Fv::Str).collect())
}

fn pointer<'a>(p: Option<&'a str>) -> Fv<'a> {
    p.map_or(Fv::Null, Fv::Str)
}
