//! Finds the subschema that describes a value, by walking a schema along a JSON Pointer and
//! following local `$ref`s; feeds "did you mean" suggestions and descriptions.

use serde_json::Value;

use super::Schemas;
use crate::pointer;

/// A schema node together with the schema document it lives in.
#[derive(Debug, Clone, Copy)]
pub struct Subschema<'s> {
    /// The node, with `$ref`s followed.
    pub node: &'s Value,
    /// The schema document that holds it (the base for its relative `$ref`s).
    pub base: &'s Value,
    /// The node as written at the property, before following `$ref`: its own title and
    /// description win over the shared definition's.
    pub site: &'s Value,
}

impl<'s> Subschema<'s> {
    fn annotation(&self, key: &str) -> Option<&'s str> {
        self.site
            .get(key)
            .or_else(|| self.node.get(key))
            .and_then(Value::as_str)
    }

    /// The `title` written at the property, else the definition's.
    pub fn title(&self) -> Option<&'s str> {
        self.annotation("title")
    }

    /// The `description` written at the property, else the definition's.
    pub fn description(&self) -> Option<&'s str> {
        self.annotation("description")
    }

    /// Names declared under `properties`.
    pub fn property_names(&self) -> Vec<&'s str> {
        self.node
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }
}

/// Follows `$ref`s from `node` until a node without one (at most 32 hops).
pub(super) fn deref<'s>(schemas: &'s Schemas, mut at: Subschema<'s>) -> Option<Subschema<'s>> {
    for _ in 0..32 {
        let Some(reference) = at.node.get("$ref").and_then(Value::as_str) else {
            return Some(at);
        };
        let (doc, _) = reference.split_once('#').unwrap_or((reference, ""));
        let base = if doc.is_empty() {
            at.base
        } else {
            schemas.resolve(at.base, doc)?
        };
        let node = schemas.resolve(at.base, reference)?;
        at = Subschema {
            node,
            base,
            site: at.site,
        };
    }
    None
}

/// The subschema for the value at `pointer` in a document validated by `root`.
pub(super) fn at_pointer<'s>(
    schemas: &'s Schemas,
    root: &'s Value,
    pointer: &str,
) -> Option<Subschema<'s>> {
    let mut at = deref(
        schemas,
        Subschema {
            node: root,
            base: root,
            site: root,
        },
    )?;
    for token in pointer::tokens(pointer) {
        let node = at.node;
        let child = node
            .get("properties")
            .and_then(|p| p.get(&token))
            .or_else(|| {
                token
                    .parse::<usize>()
                    .ok()
                    .and_then(|_| node.get("items").filter(|i| i.is_object()))
            })
            .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()))?;
        at = deref(
            schemas,
            Subschema {
                node: child,
                base: at.base,
                site: child,
            },
        )?;
    }
    Some(at)
}
