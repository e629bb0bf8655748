//! JSON documents as CEL values, converted once and shared: every list and map sits behind an
//! `Arc`, so binding `self`, iterating in a macro or returning a document from `lookup` copies
//! a pointer, never the tree. Every JSON number becomes a CEL double.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use cel::ExecutionError;
use cel::common::traits::{
    Adder, Comparer, Container, Divider, Indexer, Iterable, Iterator as CelIterator, Modder,
    Multiplier, Negator, Sizer, Subtractor, Zeroer,
};
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, Type,
};
use cel::common::value::{Builtin, BuiltinRef, Val};
use serde_json::Value;

use super::budget;

/// A CEL value owned by an `Arc`: cloning it clones the pointer. It behaves exactly like the
/// value it wraps (every operator, downcast and conversion is delegated).
#[derive(Debug, Clone)]
pub struct Shared(pub Arc<dyn Val>);

impl Shared {
    /// Wraps a value.
    pub fn new(value: Box<dyn Val>) -> Self {
        Self(Arc::from(value))
    }

    /// The wrapped value.
    pub fn get(&self) -> &(dyn Val + 'static) {
        self.0.as_ref()
    }

    /// A boxed handle on the same value (cheap).
    pub fn boxed(&self) -> Box<dyn Val> {
        Box::new(self.clone())
    }
}

impl Val for Shared {
    fn get_type(&self) -> &Type {
        self.0.get_type()
    }

    fn cel_type() -> &'static Type
    where
        Self: Sized,
    {
        // A shared value has the type of what it wraps, which varies per value.
        &cel::common::types::DYN_TYPE
    }

    fn as_adder<'b, 'v>(&'b self) -> Option<&'b (dyn Adder + 'v)>
    where
        Self: 'v,
    {
        self.0.as_adder()
    }

    fn as_comparer(&self) -> Option<&dyn Comparer> {
        self.0.as_comparer()
    }

    fn as_container(&self) -> Option<&dyn Container> {
        self.0.as_container().map(|_| self as &dyn Container)
    }

    fn as_divider<'b, 'v>(&'b self) -> Option<&'b (dyn Divider + 'v)>
    where
        Self: 'v,
    {
        self.0.as_divider()
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        self.0.as_indexer()
    }

    fn into_indexer<'v>(self: Box<Self>) -> Option<Box<dyn Indexer + 'v>>
    where
        Self: 'v,
    {
        self.0.clone_as_boxed().into_indexer()
    }

    fn as_iterable<'b, 'v>(&'b self) -> Option<&'b (dyn Iterable + 'v)>
    where
        Self: 'v,
    {
        self.0.as_iterable().map(|_| self as &dyn Iterable)
    }

    fn as_modder<'b, 'v>(&'b self) -> Option<&'b (dyn Modder + 'v)>
    where
        Self: 'v,
    {
        self.0.as_modder()
    }

    fn as_multiplier<'b, 'v>(&'b self) -> Option<&'b (dyn Multiplier + 'v)>
    where
        Self: 'v,
    {
        self.0.as_multiplier()
    }

    fn as_negator<'b, 'v>(&'b self) -> Option<&'b (dyn Negator + 'v)>
    where
        Self: 'v,
    {
        self.0.as_negator()
    }

    fn as_sizer(&self) -> Option<&dyn Sizer> {
        self.0.as_sizer()
    }

    fn as_subtractor<'b, 'v>(&'b self) -> Option<&'b (dyn Subtractor + 'v)>
    where
        Self: 'v,
    {
        self.0.as_subtractor()
    }

    fn as_zeroer(&self) -> Option<&dyn Zeroer> {
        self.0.as_zeroer()
    }

    fn equals(&self, other: &dyn Val) -> bool {
        self.0.equals(other)
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(self.clone())
    }

    fn as_any(&self) -> Option<&dyn Any> {
        self.0.as_any()
    }

    fn as_builtin<'b, 'v>(&'b self) -> BuiltinRef<'b, 'v>
    where
        Self: 'v,
    {
        self.0.as_builtin()
    }

    fn into_builtin<'v>(self: Box<Self>) -> Option<Builtin<'v>>
    where
        Self: 'v,
    {
        self.0.clone_as_boxed().into_builtin()
    }
}

/// Iterating a shared list or map draws one step per element from the rule's budget.
impl Iterable for Shared {
    fn iter<'b, 'v>(&'b self) -> Box<dyn CelIterator<'b, 'v> + 'b>
    where
        Self: 'v,
    {
        let inner: &'b (dyn Val + 'static) = self.0.as_ref();
        Box::new(Counted(inner.as_iterable().map(|it| it.iter())))
    }
}

/// An iterator that stops when the step budget runs out.
struct Counted<'b>(Option<Box<dyn CelIterator<'b, 'static> + 'b>>);

impl<'b, 'v> CelIterator<'b, 'v> for Counted<'b> {
    fn next(&mut self) -> Option<&'b (dyn Val + 'v)> {
        if !budget::spend(1) {
            return None;
        }
        let item: &'b (dyn Val + 'static) = self.0.as_mut()?.next()?;
        Some(item)
    }
}

/// `x in list` searches the list: as many steps as it has elements (a map lookup is one).
impl Container for Shared {
    fn contains(&self, value: &dyn Val) -> Result<bool, ExecutionError> {
        let cost = self
            .0
            .downcast_ref::<CelList>()
            .map_or(1, |list| list.inner().len() as u64);
        if !budget::spend(cost) {
            return Ok(false);
        }
        match self.0.as_container() {
            Some(inner) => inner.contains(value),
            None => Ok(false),
        }
    }
}

/// Converts a JSON value once: containers become shared, numbers doubles.
pub fn from_json(value: &Value) -> Box<dyn Val> {
    match value {
        Value::Null => Box::new(CelNull),
        Value::Bool(b) => Box::new(CelBool::from(*b)),
        Value::Number(n) => Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => Box::new(CelString::from(Arc::new(s.clone()))),
        Value::Array(items) => {
            let items: Vec<Box<dyn Val>> = items.iter().map(from_json).collect();
            Shared::new(Box::new(CelList::from(items))).boxed()
        }
        Value::Object(map) => {
            let entries: HashMap<CelMapKey<'static>, Box<dyn Val>> = map
                .iter()
                .map(|(k, v)| (CelMapKey::from(k.clone()), from_json(v)))
                .collect();
            Shared::new(Box::new(CelMap::from(entries))).boxed()
        }
    }
}

/// A computed list or map made shared (a `with` or `let` result), so iterating and
/// searching it draw on the step budget like a document's own lists. Values that are already
/// shared are returned as they are: a `Shared` answers `as_any` with the value it wraps,
/// at another address than its own.
pub fn share(value: Box<dyn Val>) -> Box<dyn Val> {
    let own = value.as_ref() as *const dyn Val as *const ();
    let Some(any) = value.as_any() else {
        return value;
    };
    let wrapped = any as *const dyn Any as *const () != own;
    if !wrapped && (any.is::<CelList>() || any.is::<CelMap>()) {
        return Shared::new(value).boxed();
    }
    value
}

/// A shared list of values.
pub fn list(items: Vec<Box<dyn Val>>) -> Box<dyn Val> {
    Shared::new(Box::new(CelList::from(items))).boxed()
}

/// A shared map with string keys.
pub fn map(entries: Vec<(String, Box<dyn Val>)>) -> Box<dyn Val> {
    let entries: HashMap<CelMapKey<'static>, Box<dyn Val>> = entries
        .into_iter()
        .map(|(k, v)| (CelMapKey::from(k), v))
        .collect();
    Shared::new(Box::new(CelMap::from(entries))).boxed()
}

/// A CEL string.
pub fn string(s: &str) -> Box<dyn Val> {
    Box::new(CelString::from(s.to_owned()))
}

/// A CEL double.
pub fn double(d: f64) -> Box<dyn Val> {
    Box::new(CelDouble::from(d))
}

/// A CEL int.
pub fn int(i: i64) -> Box<dyn Val> {
    Box::new(CelInt::from(i))
}

/// A CEL bool.
pub fn boolean(b: bool) -> Box<dyn Val> {
    Box::new(CelBool::from(b))
}

/// CEL null.
pub fn null() -> Box<dyn Val> {
    Box::new(CelNull)
}

/// The element at a JSON Pointer token of a converted list or map.
pub fn child<'b>(value: &'b (dyn Val + 'static), token: &str) -> Option<&'b (dyn Val + 'static)> {
    if let Some(map) = value.downcast_ref::<CelMap>() {
        return map
            .inner()
            .get(&CelMapKey::from(token.to_owned()))
            .map(|v| v.as_ref());
    }
    if let Some(list) = value.downcast_ref::<CelList>() {
        let index: usize = token.parse().ok()?;
        return list.inner().get(index).map(|v| v.as_ref());
    }
    None
}

/// The string inside a CEL string value.
pub fn as_str(value: &dyn Val) -> Option<&str> {
    value.downcast_ref::<CelString>().map(|s| s.inner())
}

/// The number inside a CEL double or int value.
pub fn as_f64(value: &dyn Val) -> Option<f64> {
    if let Some(d) = value.downcast_ref::<CelDouble>() {
        return Some(*d.inner());
    }
    value.downcast_ref::<CelInt>().map(|i| *i.inner() as f64)
}

/// The bool inside a CEL bool value.
pub fn as_bool(value: &dyn Val) -> Option<bool> {
    value.downcast_ref::<CelBool>().map(|b| *b.inner())
}

/// The items of a CEL list value.
pub fn as_list<'b, 'v>(value: &'b (dyn Val + 'v)) -> Option<&'b [Box<dyn Val + 'v>]> {
    value.downcast_ref::<CelList>().map(|l| l.inner())
}

/// Whether the value is CEL null.
pub fn is_null(value: &dyn Val) -> bool {
    value.downcast_ref::<CelNull>().is_some()
}

/// Converts a CEL value back to JSON (for messages and tests).
pub fn to_json(value: &dyn Val) -> Result<Value, ExecutionError> {
    let value: cel::Value = value.try_into()?;
    Ok(value_to_json(&value))
}

fn value_to_json(value: &cel::Value) -> Value {
    match value {
        cel::Value::Null => Value::Null,
        cel::Value::Bool(b) => Value::Bool(*b),
        cel::Value::Int(i) => Value::from(*i),
        cel::Value::UInt(u) => Value::from(*u),
        cel::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        cel::Value::String(s) => Value::String(s.to_string()),
        cel::Value::List(items) => Value::Array(items.iter().map(value_to_json).collect()),
        cel::Value::Map(map) => {
            let mut entries: Vec<(String, Value)> = map
                .map
                .iter()
                .map(|(k, v)| (key_to_string(k), value_to_json(v)))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        other => Value::String(format!("{other:?}")),
    }
}

fn key_to_string(key: &cel::objects::Key) -> String {
    match key {
        cel::objects::Key::Int(i) => i.to_string(),
        cel::objects::Key::Uint(u) => u.to_string(),
        cel::objects::Key::Bool(b) => b.to_string(),
        cel::objects::Key::String(s) => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cel::{Context, Program};
    use serde_json::json;

    fn eval(expr: &str) -> Result<cel::Value, ExecutionError> {
        let doc = json!({
            "matrix": [{"course": "A", "credits": 2, "tasks": ["1.1"]}, {"course": "B", "credits": 1.5, "tasks": []}],
            "name": "商务英语", "n": 3, "flag": true, "none": null
        });
        let mut ctx = Context::default();
        ctx.add_variable_as_val("doc", from_json(&doc));
        Program::compile(expr).expect("compiles").execute(&ctx)
    }

    #[test]
    fn shared_values_behave_like_plain_ones() {
        let t = |e: &str| assert_eq!(eval(e), Ok(cel::Value::Bool(true)), "{e}");
        t("doc.matrix.map(m, m.credits) == [2.0, 1.5]");
        t("[2.0, 1.5] == doc.matrix.map(m, m.credits)");
        t("size(doc.matrix) == 2 && doc.matrix.size() == 2");
        t("doc.matrix.exists(m, m.course == 'B')");
        t("doc.matrix.all(m, has(m.tasks))");
        t("'1.1' in doc.matrix[0].tasks");
        t("doc.matrix[1].tasks == []");
        t("[] == doc.matrix[1].tasks");
        t("doc.name == '商务英语' && '商务英语' == doc.name");
        t("doc.n == 3.0 && doc.n * 0.5 == 1.5 && doc.n > 2.0");
        t("doc.flag && doc.none == null");
        t("doc.matrix.filter(m, m.credits > 1.6).size() == 1");
        t("doc.matrix[0] == {'course': 'A', 'credits': 2.0, 'tasks': ['1.1']}");
        t("!has(doc.missing) && 'name' in doc");
        t("doc.matrix.map(m, m.tasks).size() == 2");
        t("doc.name.startsWith('商务') && doc.name.size() == 4");
    }

    #[test]
    fn errors_stay_errors() {
        assert!(eval("doc.missing > 1.0").is_err());
        assert!(eval("doc.name + 1.0").is_err());
    }
}
