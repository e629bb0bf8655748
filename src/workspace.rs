//! The workspace: every document of a run (plus the `standards` and `registries` of the
//! configuration), indexed by (kind, id) for cross-document rules. Standards, registries and
//! pilot reports are kept whole; plans only by identity, so memory does not grow with them.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::lang::Lang;
use crate::load::{Document, SpanIndex};
use crate::rules::names;

/// Kinds kept whole in the workspace (the ones other documents refer to).
pub const REFERENCED_KINDS: &[&str] = &["standard", "registry", "pilot-report"];

/// Whether documents of `kind` are kept whole, for others to refer to.
pub fn is_referenced(kind: &str) -> bool {
    REFERENCED_KINDS.contains(&kind)
}

/// One document of the workspace.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its file.
    pub source: Arc<SourceFile>,
    /// Its spans (shared, and built only when needed): the span of its `id`, and for the
    /// referenced kinds the places other documents' findings point at.
    pub index: SpanIndex,
    /// Its value (for the referenced kinds).
    pub value: Option<Arc<Value>>,
}

/// Documents by kind, then id; several entries under one id are duplicates, sorted by path.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    docs: BTreeMap<String, BTreeMap<String, Vec<Entry>>>,
}

impl Workspace {
    /// Adds a loaded document if it has a string `kind` and `id`.
    pub fn add(&mut self, doc: &Document) {
        let Some(value) = &doc.value else { return };
        let (Some(kind), Some(id)) = (
            value.get("kind").and_then(Value::as_str),
            value.get("id").and_then(Value::as_str),
        ) else {
            return;
        };
        let keep = is_referenced(kind);
        let entry = Entry {
            source: doc.source.clone(),
            index: doc.spans.clone(),
            value: keep.then(|| Arc::new(value.clone())),
        };
        self.insert(kind, id, entry);
    }

    /// Files `entry` under (kind, id), unless its file is there already; sorted by path.
    fn insert(&mut self, kind: &str, id: &str, entry: Entry) {
        let entries = self
            .docs
            .entry(kind.to_owned())
            .or_default()
            .entry(id.to_owned())
            .or_default();
        if entries.iter().any(|e| e.source.path == entry.source.path) {
            return;
        }
        entries.push(entry);
        entries.sort_by(|a, b| a.source.path.cmp(&b.source.path));
    }

    /// Adds a document that is not kept, by its identity (see `run::Held`).
    pub fn add_identity(&mut self, identity: &crate::run::Identity) {
        let (Some(kind), Some(id)) = (&identity.kind, &identity.id) else {
            return;
        };
        let entry = Entry {
            source: SourceFile::new(identity.path.clone(), String::new()),
            index: SpanIndex::default(),
            value: None,
        };
        self.insert(kind, id, entry);
    }

    /// Paths of the documents added by identity only that share their id with another (a
    /// `duplicate-id` label shows the first one's text, and an identity read from a file's
    /// head must be confirmed by loading the file).
    pub fn thin_duplicates(&self) -> std::collections::HashSet<String> {
        self.docs
            .values()
            .flat_map(|ids| ids.values())
            .filter(|entries| entries.len() > 1)
            .flatten()
            .filter(|e| e.source.text.is_empty())
            .map(|e| e.source.path.clone())
            .collect()
    }

    /// Puts `doc` in place of the entry with its path (one added by identity only).
    pub fn replace(&mut self, doc: &Document) {
        for ids in self.docs.values_mut() {
            for entries in ids.values_mut() {
                entries.retain(|e| e.source.path != doc.source.path);
            }
        }
        self.add(doc);
    }

    /// The document of `kind` with `id` (the first by path when duplicated).
    pub fn get(&self, kind: &str, id: &str) -> Option<&Entry> {
        self.docs.get(kind)?.get(id)?.first()
    }

    /// Every document of `kind`, by id.
    pub fn of_kind(&self, kind: &str) -> impl Iterator<Item = (&str, &Entry)> {
        self.docs.get(kind).into_iter().flat_map(|ids| {
            ids.iter()
                .filter_map(|(id, e)| Some((id.as_str(), e.first()?)))
        })
    }

    /// Every kind with at least one document.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.docs.keys().map(String::as_str)
    }

    /// The `duplicate-id` diagnostic for a document whose id another document (earlier by
    /// path) already has.
    pub fn duplicate(&self, doc: &Document, lang: Lang) -> Option<Diagnostic> {
        let value = doc.value.as_ref()?;
        let kind = value.get("kind")?.as_str()?;
        let id = value.get("id")?.as_str()?;
        let entries = self.docs.get(kind)?.get(id)?;
        let first = entries.first()?;
        if entries.len() < 2 || first.source.path == doc.source.path {
            return None;
        }
        let message = match lang {
            Lang::En => format!(
                "another {kind} already has the id `{id}`: {}",
                first.source.path
            ),
            Lang::Zh => format!("另一份 {kind} 文档已使用标识 `{id}`：{}", first.source.path),
        };
        Some(
            Diagnostic::new(
                names::DUPLICATE_ID,
                doc.spans.value_or_ancestor("/id"),
                message,
            )
            .with_pointer("/id")
            .with_label(lang.pick("重复的标识", "duplicate id"))
            .with_related(
                Some(first.source.clone()),
                first.index.value_or_ancestor("/id"),
                lang.pick("第一次使用该标识", "first used here"),
            ),
        )
    }
}
