//! The fast evaluator's values: a document's lists, maps and strings are borrowed from its
//! `serde_json::Value` (nothing is converted or copied), computed ones are reference-counted,
//! and anything the fast evaluator does not model stays an opaque CEL value. Equality and
//! ordering follow CEL's (and the `cel` crate's) rules; where they would fail, they bail.

use std::cmp::Ordering;
use std::rc::Rc;

use serde_json::Value;

use crate::policy::cel::{Val, value as v};

/// "The fast evaluator cannot decide this": the caller evaluates the whole expression again
/// with the reference interpreter, which gives the result or the exact error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bail;

/// A value of the fast evaluator.
#[derive(Clone, Debug)]
pub enum Fv<'a> {
    /// `null`.
    Null,
    /// A bool.
    Bool(bool),
    /// A signed integer (CEL `int`).
    Int(i64),
    /// An unsigned integer (CEL `uint`).
    UInt(u64),
    /// A double (every JSON number is one).
    Double(f64),
    /// A string borrowed from a document or the rule.
    Str(&'a str),
    /// A computed string.
    Text(Rc<str>),
    /// A list or map of a document, borrowed.
    Json(&'a Value),
    /// A computed list.
    List(Rc<Vec<Fv<'a>>>),
    /// A computed map with string keys, in insertion order.
    Map(Rc<Vec<(Rc<str>, Fv<'a>)>>),
    /// A type, by its CEL name (`type(x)`, `string`, `list`, …).
    Type(&'static str),
    /// Anything else, as the reference interpreter gave it (every use of it bails).
    Cel(Rc<Box<dyn Val>>),
}

impl<'a> Fv<'a> {
    /// A JSON value as CEL sees it (numbers become doubles, as in the reference conversion).
    pub fn from_json(value: &'a Value) -> Self {
        match value {
            Value::Null => Fv::Null,
            Value::Bool(b) => Fv::Bool(*b),
            Value::Number(n) => Fv::Double(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Fv::Str(s),
            Value::Array(_) | Value::Object(_) => Fv::Json(value),
        }
    }

    /// Drops the value, calling the drop glue only for the variants that own something (most
    /// values of an evaluation are scalars or borrowed, and the glue is an out-of-line call).
    #[inline(always)]
    pub fn discard(self) {
        if matches!(self, Fv::Text(_) | Fv::List(_) | Fv::Map(_) | Fv::Cel(_)) {
            drop(self);
        } else {
            std::mem::forget(self);
        }
    }

    /// Puts `value` in `slot`, discarding what was there.
    #[inline(always)]
    pub fn set(slot: &mut Fv<'a>, value: Fv<'a>) {
        std::mem::replace(slot, value).discard();
    }

    /// A computed list.
    pub fn list(items: Vec<Fv<'a>>) -> Self {
        Fv::List(Rc::new(items))
    }

    /// A computed string.
    pub fn text(s: &str) -> Self {
        Fv::Text(Rc::from(s))
    }

    /// The string inside, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Fv::Str(s) => Some(s),
            Fv::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The number inside a double or int (what vetlint's functions accept as a number).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Fv::Double(d) => Some(*d),
            Fv::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The CEL name of this value's type (`None` for an opaque value).
    pub fn type_name(&self) -> Option<&'static str> {
        Some(match self {
            Fv::Null => "null_type",
            Fv::Bool(_) => "bool",
            Fv::Int(_) => "int",
            Fv::UInt(_) => "uint",
            Fv::Double(_) => "double",
            Fv::Str(_) | Fv::Text(_) => "string",
            Fv::Json(Value::Array(_)) | Fv::List(_) => "list",
            Fv::Json(_) | Fv::Map(_) => "map",
            Fv::Type(_) => "type",
            Fv::Cel(_) => return None,
        })
    }

    /// Whether this is a list.
    pub fn is_list(&self) -> bool {
        matches!(self, Fv::List(_) | Fv::Json(Value::Array(_)))
    }

    /// The number of elements of a list.
    pub fn list_len(&self) -> Option<usize> {
        match self {
            Fv::List(items) => Some(items.len()),
            Fv::Json(Value::Array(items)) => Some(items.len()),
            _ => None,
        }
    }

    /// The elements of a list.
    pub fn list_items(&self) -> Option<Items<'a, '_>> {
        match self {
            Fv::List(items) => Some(Items::Own(items.iter())),
            Fv::Json(Value::Array(items)) => Some(Items::Json(items.iter())),
            _ => None,
        }
    }

    /// Element `i` of a list.
    pub fn list_get(&self, i: usize) -> Option<Fv<'a>> {
        match self {
            Fv::List(items) => items.get(i).cloned(),
            Fv::Json(Value::Array(items)) => items.get(i).map(Fv::from_json),
            _ => None,
        }
    }

    /// Whether this is a map.
    pub fn is_map(&self) -> bool {
        matches!(self, Fv::Map(_) | Fv::Json(Value::Object(_)))
    }

    /// The value under string key `key` of a map: `Ok(None)` when the map lacks it,
    /// `Err` when this is not a map.
    pub fn map_get(&self, key: &str) -> Result<Option<Fv<'a>>, Bail> {
        match self {
            // Small objects (a course, a matrix row) are searched in order: cheaper than
            // hashing the key.
            Fv::Json(Value::Object(map)) if map.len() <= 16 => Ok(map
                .iter()
                .find(|(k, _)| same_key(k, key))
                .map(|(_, v)| Fv::from_json(v))),
            Fv::Json(Value::Object(map)) => Ok(map.get(key).map(Fv::from_json)),
            Fv::Map(entries) => Ok(entries
                .iter()
                .find(|(k, _)| &**k == key)
                .map(|(_, v)| v.clone())),
            _ => Err(Bail),
        }
    }

    /// [`Fv::map_get`] of a field read at one place of an expression: the key is looked for
    /// first where that place last found it. That guess is inlined where fields are read; the
    /// search when it misses is not.
    #[inline(always)]
    pub fn field(&self, field: &super::compile::Field) -> Result<Option<Fv<'a>>, Bail> {
        use std::sync::atomic::Ordering::Relaxed;
        if let Fv::Json(Value::Object(map)) = self {
            let hint = field.hint.load(Relaxed) as usize;
            if let Some((key, value)) = map.iter().nth(hint)
                && same_key(key, &field.name)
            {
                return Ok(Some(Fv::from_json(value)));
            }
        }
        self.search(field)
    }

    /// [`Fv::field`] when the guess missed: the key searched for, and the guess moved to where
    /// it was found.
    #[inline(never)]
    fn search(&self, field: &super::compile::Field) -> Result<Option<Fv<'a>>, Bail> {
        use std::sync::atomic::Ordering::Relaxed;
        let Fv::Json(Value::Object(map)) = self else {
            return self.map_get(&field.name);
        };
        if map.len() > 16 {
            return Ok(map.get(&*field.name).map(Fv::from_json));
        }
        let found = map
            .iter()
            .enumerate()
            .find(|(_, (key, _))| same_key(key, &field.name));
        Ok(found.map(|(i, (_, value))| {
            field.hint.store(i as u32, Relaxed);
            Fv::from_json(value)
        }))
    }

    /// The keys of a map, in its order.
    pub fn map_keys(&self) -> Option<Vec<Fv<'a>>> {
        match self {
            Fv::Json(Value::Object(map)) => Some(map.keys().map(|k| Fv::Str(k)).collect()),
            Fv::Map(entries) => Some(entries.iter().map(|(k, _)| Fv::Text(k.clone())).collect()),
            _ => None,
        }
    }

    /// The number of entries of a map.
    pub fn map_len(&self) -> Option<usize> {
        match self {
            Fv::Json(Value::Object(map)) => Some(map.len()),
            Fv::Map(entries) => Some(entries.len()),
            _ => None,
        }
    }

    /// The value as the reference interpreter's: scalars directly, a document's list or map
    /// converted (shared, as the reference conversion makes them), computed ones element by
    /// element.
    pub fn to_cel(&self) -> Box<dyn Val> {
        match self {
            Fv::Null => v::null(),
            Fv::Bool(b) => v::boolean(*b),
            Fv::Int(i) => v::int(*i),
            Fv::UInt(u) => Box::new(cel::common::types::CelUInt::from(*u)),
            Fv::Double(d) => v::double(*d),
            Fv::Str(s) => v::string(s),
            Fv::Text(s) => v::string(s),
            Fv::Json(value) => v::from_json(value),
            Fv::List(items) => v::list(items.iter().map(Fv::to_cel).collect()),
            Fv::Map(entries) => v::map(
                entries
                    .iter()
                    .map(|(k, value)| (k.to_string(), value.to_cel()))
                    .collect(),
            ),
            Fv::Type(_) | Fv::Cel(_) => match self {
                Fv::Cel(value) => value.clone_as_boxed(),
                // A type value only lives inside one expression; never bound.
                _ => v::null(),
            },
        }
    }

    /// A result of the reference interpreter: scalars become fast values, anything else stays
    /// opaque.
    pub fn from_cel(value: Box<dyn Val>) -> Fv<'a> {
        if v::is_null(value.as_ref()) {
            return Fv::Null;
        }
        if let Some(b) = v::as_bool(value.as_ref()) {
            return Fv::Bool(b);
        }
        if let Some(s) = v::as_str(value.as_ref()) {
            return Fv::text(s);
        }
        if let Some(d) = value.downcast_ref::<cel::common::types::CelDouble>() {
            return Fv::Double(*d.inner());
        }
        if let Some(i) = value.downcast_ref::<cel::common::types::CelInt>() {
            return Fv::Int(*i.inner());
        }
        if let Some(u) = value.downcast_ref::<cel::common::types::CelUInt>() {
            return Fv::UInt(*u.inner());
        }
        if let Some(items) = v::as_list(value.as_ref()) {
            return Fv::list(
                items
                    .iter()
                    .map(|item| Fv::from_cel(item.clone_as_boxed()))
                    .collect(),
            );
        }
        Fv::Cel(Rc::new(v::share(value)))
    }
}

/// Whether two keys are equal: short keys (field names are) are compared in two overlapping
/// words instead of a call to `memcmp`.
#[inline]
fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word =
        |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
    let half =
        |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or_default());
    match n {
        0 => true,
        1..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// The elements of a list, borrowed or computed.
pub enum Items<'a, 'b> {
    /// A document's array.
    Json(std::slice::Iter<'a, Value>),
    /// A computed list.
    Own(std::slice::Iter<'b, Fv<'a>>),
}

impl<'a> Iterator for Items<'a, '_> {
    type Item = Fv<'a>;

    fn next(&mut self) -> Option<Fv<'a>> {
        match self {
            Items::Json(items) => items.next().map(Fv::from_json),
            Items::Own(items) => items.next().cloned(),
        }
    }
}

/// CEL's `==`: numbers compare across int, uint and double; lists element by element; maps
/// key by key; values of different types are unequal. Bails on opaque values.
pub fn equal(a: &Fv<'_>, b: &Fv<'_>) -> Result<bool, Bail> {
    if matches!(a, Fv::Cel(_)) || matches!(b, Fv::Cel(_)) {
        return Err(Bail);
    }
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return Ok(compare_numbers(x, y) == Some(Ordering::Equal));
    }
    if let (Some(x), Some(y)) = (a.as_str(), b.as_str()) {
        return Ok(x == y);
    }
    match (a, b) {
        (Fv::Type(x), Fv::Type(y)) => Ok(x == y),
        (Fv::Type(_), _) | (_, Fv::Type(_)) => Err(Bail),
        (Fv::Null, Fv::Null) => Ok(true),
        (Fv::Bool(x), Fv::Bool(y)) => Ok(x == y),
        _ if a.is_list() && b.is_list() => {
            if a.list_len() != b.list_len() {
                return Ok(false);
            }
            let (Some(xs), Some(ys)) = (a.list_items(), b.list_items()) else {
                return Err(Bail);
            };
            for (x, y) in xs.zip(ys) {
                if !equal(&x, &y)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ if a.is_map() && b.is_map() => {
            if a.map_len() != b.map_len() {
                return Ok(false);
            }
            for key in a.map_keys().ok_or(Bail)? {
                let key = key.as_str().ok_or(Bail)?;
                let (Some(x), Some(y)) = (a.map_get(key)?, b.map_get(key)?) else {
                    return Ok(false);
                };
                if !equal(&x, &y)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// A number of any of CEL's three kinds.
#[derive(Clone, Copy)]
enum Number {
    Int(i64),
    UInt(u64),
    Double(f64),
}

fn number(value: &Fv<'_>) -> Option<Number> {
    match value {
        Fv::Int(i) => Some(Number::Int(*i)),
        Fv::UInt(u) => Some(Number::UInt(*u)),
        Fv::Double(d) => Some(Number::Double(*d)),
        _ => None,
    }
}

/// The order of two numbers as the `cel` crate compares them; `None` when they are not
/// comparable (NaN).
fn compare_numbers(a: Number, b: Number) -> Option<Ordering> {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => Some(x.cmp(&y)),
        (Number::UInt(x), Number::UInt(y)) => Some(x.cmp(&y)),
        (Number::Int(x), Number::UInt(y)) => {
            Some(u64::try_from(x).map_or(Ordering::Less, |x| x.cmp(&y)))
        }
        (Number::UInt(x), Number::Int(y)) => {
            Some(u64::try_from(y).map_or(Ordering::Greater, |y| x.cmp(&y)))
        }
        (Number::Double(x), Number::Double(y)) => x.partial_cmp(&y),
        (Number::Double(x), Number::Int(y)) => x.partial_cmp(&(y as f64)),
        (Number::Double(x), Number::UInt(y)) => x.partial_cmp(&(y as f64)),
        (Number::Int(x), Number::Double(y)) => (x as f64).partial_cmp(&y),
        (Number::UInt(x), Number::Double(y)) => (x as f64).partial_cmp(&y),
    }
}

/// CEL's ordering (`<`, `<=`, …) of numbers and of strings; bails on anything else.
pub fn compare(a: &Fv<'_>, b: &Fv<'_>) -> Result<Ordering, Bail> {
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return compare_numbers(x, y).ok_or(Bail);
    }
    if let (Some(x), Some(y)) = (a.as_str(), b.as_str()) {
        return Ok(x.cmp(y));
    }
    Err(Bail)
}

/// A value written into a message or `join()`: strings as they are, numbers as people write
/// them, lists joined with `separator`. Bails on the rest (the reference path renders them).
pub fn display(value: &Fv<'_>, separator: &str) -> Result<String, Bail> {
    if let Some(s) = value.as_str() {
        return Ok(s.to_owned());
    }
    if let Some(n) = value.as_number() {
        return Ok(crate::policy::cel::number(n));
    }
    if let Some(items) = value.list_items() {
        let parts: Result<Vec<String>, Bail> = items.map(|i| display(&i, separator)).collect();
        return Ok(parts?.join(separator));
    }
    Err(Bail)
}

#[cfg(test)]
mod tests {
    use super::same_key;

    #[test]
    fn keys_compare_equal_only_when_equal_at_every_length() {
        let keys = [
            "",
            "a",
            "ab",
            "abc",
            "code",
            "hours",
            "credits",
            "elective",
            "practical_hours",
            "a-key-longer-than-16",
            "课程",
            "学时学分",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(same_key(a, b), a == b, "{a:?} vs {b:?}");
            }
            // One byte changed, anywhere.
            for i in 0..a.len() {
                let mut bytes = a.as_bytes().to_vec();
                bytes[i] ^= 1;
                if let Ok(other) = std::str::from_utf8(&bytes) {
                    assert!(!same_key(a, other), "{a:?} vs {other:?}");
                }
            }
        }
    }
}
