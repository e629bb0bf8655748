//! The span index of a loaded document: for every JSON Pointer, the byte span of its value and,
//! for object members, of its key.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use crate::diagnostic::SourceFile;

/// Where one value sits in the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpan {
    /// Byte span of the value.
    pub value: Range<usize>,
    /// Byte span of the key, for object members.
    pub key: Option<Range<usize>>,
}

/// Maps JSON Pointers to source spans. Cloning is cheap (the map is shared). The index of a
/// JSON file that parsed cleanly on the fast path is built from its text on first lookup: a
/// file without findings never needs it.
#[derive(Debug, Clone, Default)]
pub struct SpanIndex {
    built: Arc<HashMap<String, NodeSpan>>,
    deferred: Option<Arc<Deferred>>,
}

/// A span index to be built from a text when first needed.
#[derive(Debug)]
struct Deferred {
    source: Arc<SourceFile>,
    format: super::Format,
    limits: crate::limits::Limits,
    nodes: OnceLock<HashMap<String, NodeSpan>>,
}

impl SpanIndex {
    /// The index of `source`, a text known to load without a finding, built on first lookup.
    pub fn deferred(
        source: Arc<SourceFile>,
        format: super::Format,
        limits: &crate::limits::Limits,
    ) -> Self {
        Self {
            built: Arc::default(),
            deferred: Some(Arc::new(Deferred {
                source,
                format,
                limits: *limits,
                nodes: OnceLock::new(),
            })),
        }
    }

    fn nodes(&self) -> &HashMap<String, NodeSpan> {
        match &self.deferred {
            Some(d) => d.nodes.get_or_init(|| {
                let text = &d.source.text;
                let lang = crate::lang::Lang::En;
                let loaded = match d.format {
                    super::Format::Json => {
                        if let Some(nodes) = super::json_spans::index(text) {
                            return nodes;
                        }
                        let depth = d.limits.depth.min(crate::limits::DEPTH_CEILING);
                        super::json::load(text, lang, depth)
                    }
                    super::Format::Yaml => super::yaml::load(text, lang, &d.limits),
                };
                Arc::try_unwrap(loaded.spans.built).unwrap_or_else(|shared| (*shared).clone())
            }),
            None => &self.built,
        }
    }

    /// Records the spans of the value at `pointer`.
    pub fn insert(&mut self, pointer: String, value: Range<usize>, key: Option<Range<usize>>) {
        Arc::make_mut(&mut self.built).insert(pointer, NodeSpan { value, key });
    }

    /// The spans of the value at `pointer`, if it exists.
    pub fn get(&self, pointer: &str) -> Option<&NodeSpan> {
        self.nodes().get(pointer)
    }

    /// Span of the value at `pointer`, or of its nearest existing ancestor.
    pub fn value_or_ancestor(&self, pointer: &str) -> Range<usize> {
        let mut p = pointer;
        loop {
            if let Some(node) = self.nodes().get(p) {
                return node.value.clone();
            }
            match crate::pointer::parent(p) {
                Some(parent) => p = parent,
                None => return 0..0,
            }
        }
    }

    /// Span of the key at `pointer` if it is an object member, else of its value.
    pub fn key_or_value(&self, pointer: &str) -> Range<usize> {
        match self.nodes().get(pointer) {
            Some(NodeSpan { key: Some(key), .. }) => key.clone(),
            _ => self.value_or_ancestor(pointer),
        }
    }

    /// Drops the spans of pointers that `value` does not have: the children of a value that a
    /// repeated key replaced.
    pub fn retain_existing(&mut self, value: &serde_json::Value) {
        Arc::make_mut(&mut self.built).retain(|pointer, _| value.pointer(pointer).is_some());
    }

    /// Number of indexed values.
    pub fn len(&self) -> usize {
        self.nodes().len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.nodes().is_empty()
    }

    /// Every pointer with its spans, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &NodeSpan)> {
        self.nodes().iter().map(|(p, n)| (p.as_str(), n))
    }
}
