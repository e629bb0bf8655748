//! The span index of a loaded document: for every JSON Pointer, the byte span of its value and,
//! for object members, of its key.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
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
/// file that parsed cleanly on the fast path is built from its text on first lookup: a file
/// without findings never needs it. A JSON file's first lookups each scan for their one span
/// instead (a finding needs a few); past [`FOUND_ALONE`] of them the whole index is built.
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
    /// Lookups answered by a scan for their one span.
    alone: AtomicUsize,
}

/// Lookups of a deferred JSON index answered one span at a time before the whole index is
/// built: a lookup passes over at most the whole text, building the index costs a few dozen
/// such passes.
pub const FOUND_ALONE: usize = 32;

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
                alone: AtomicUsize::new(0),
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
    pub fn get(&self, pointer: &str) -> Option<NodeSpan> {
        if let Some(d) = &self.deferred
            && d.format == super::Format::Json
            && d.nodes.get().is_none()
            && d.alone.fetch_add(1, Ordering::Relaxed) < FOUND_ALONE
            && let Some(found) = super::json_spans::find(&d.source.text, pointer)
        {
            return found;
        }
        self.nodes().get(pointer).cloned()
    }

    /// Span of the value at `pointer`, or of its nearest existing ancestor.
    pub fn value_or_ancestor(&self, pointer: &str) -> Range<usize> {
        let mut p = pointer;
        loop {
            if let Some(node) = self.get(p) {
                return node.value;
            }
            match crate::pointer::parent(p) {
                Some(parent) => p = parent,
                None => return 0..0,
            }
        }
    }

    /// Span of the key at `pointer` if it is an object member, else of its value.
    pub fn key_or_value(&self, pointer: &str) -> Range<usize> {
        match self.get(pointer) {
            Some(NodeSpan { key: Some(key), .. }) => key,
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

#[cfg(test)]
mod tests {
    use super::{FOUND_ALONE, SpanIndex};
    use crate::diagnostic::SourceFile;
    use crate::load::{Format, json_spans};

    /// A deferred JSON index answers each lookup by a scan for its span, then from the whole
    /// index: the same answers either way, missing pointers included.
    #[test]
    fn lookups_alone_and_from_the_whole_index_agree() {
        let text = r#"{"courses": [{"code": "A1", "hours": 64}, {"code": "B2"}], "id": "x"}"#;
        let whole = json_spans::index(text).expect("clean JSON");
        let spans = SpanIndex::deferred(
            SourceFile::new("plan.json", text),
            Format::Json,
            &crate::limits::Limits::default(),
        );
        let mut pointers: Vec<String> = whole.keys().cloned().collect();
        pointers.sort();
        pointers.extend(["/courses/1/hours", "/courses/2", "/id/x"].map(String::from));
        let mut asked = 0;
        while asked <= 2 * FOUND_ALONE {
            for pointer in &pointers {
                assert_eq!(spans.get(pointer).as_ref(), whole.get(pointer), "{pointer}");
                asked += 1;
            }
        }
        assert_eq!(
            spans.value_or_ancestor("/courses/1/hours"),
            whole["/courses/1"].value
        );
        assert_eq!(spans.key_or_value("/id"), whole["/id"].key.clone().unwrap());
        assert_eq!(spans.len(), whole.len());
    }
}
