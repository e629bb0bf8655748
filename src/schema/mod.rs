//! The published JSON Schemas: embedded in the binary, compiled once against a local registry
//! (no network), and the document kinds they define.

mod lookup;
mod report;

use std::borrow::Cow;
use std::collections::BTreeMap;

use include_dir::{Dir, include_dir};
use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

pub use lookup::Subschema;
pub use report::{SchemaFailure, Target, bilingual, suggest as report_suggest};

use crate::lang::Lang;

static SCHEMA_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

/// A bundled schema that failed to load: a defect of the build, reported as an internal error.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The file is not JSON.
    #[error("bundled schema {file} is not valid JSON: {message}")]
    Json {
        /// File name.
        file: String,
        /// Parser message.
        message: String,
    },
    /// The file has no `$id`.
    #[error("bundled schema {file} has no `$id`")]
    NoId {
        /// File name.
        file: String,
    },
    /// The schemas do not compile (bad keyword, unresolvable `$ref`).
    #[error("bundled schema {file} does not compile: {message}")]
    Compile {
        /// File name.
        file: String,
        /// Validator message.
        message: String,
    },
}

/// One bundled schema file.
#[derive(Debug)]
pub struct SchemaFile {
    /// File name, e.g. `plan.schema.json`.
    pub file: String,
    /// The text as published.
    pub text: Cow<'static, str>,
    /// Parsed.
    pub value: Value,
}

/// A validator compiled on first use.
type LazyValidator = std::sync::OnceLock<Result<Validator, String>>;

/// Every bundled schema, and a validator per document kind (compiled when first needed, so a
/// run pays only for the kinds it checks).
pub struct Schemas {
    files: BTreeMap<String, SchemaFile>,
    by_id: BTreeMap<String, String>,
    registry: Registry<'static>,
    kinds: BTreeMap<String, (String, LazyValidator)>,
    rule: LazyValidator,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas")
            .field("kinds", &self.kinds.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// File name of the rule-file meta-schema.
pub const RULE_SCHEMA: &str = "rule.schema.json";

impl Schemas {
    /// Loads and compiles the bundled schemas. A kind is every schema whose root
    /// `properties.kind.const` names it.
    pub fn bundled() -> Result<Self, SchemaError> {
        let files = SCHEMA_DIR.files().filter_map(|entry| {
            let file = entry.path().to_string_lossy().into_owned();
            let text = entry.contents_utf8().unwrap_or("");
            file.ends_with(".schema.json")
                .then_some((file, Cow::Borrowed(text)))
        });
        Self::load(files)
    }

    /// Loads and compiles schema files given as (file name, text); one of them must be the
    /// rule meta-schema. Compilation is offline: a `$ref` to anything but these files (an
    /// `https://` address included) is a [`SchemaError::Compile`], never a download.
    pub fn from_texts(
        texts: impl IntoIterator<Item = (String, Cow<'static, str>)>,
    ) -> Result<Self, SchemaError> {
        let schemas = Self::load(texts)?;
        let rule = RULE_SCHEMA.to_owned();
        let all = schemas
            .kinds
            .values()
            .map(|(file, cell)| (file, cell))
            .chain([(&rule, &schemas.rule)]);
        for (file, cell) in all {
            if let Err(message) = schemas.validator(file, cell) {
                return Err(SchemaError::Compile {
                    file: file.clone(),
                    message: message.clone(),
                });
            }
        }
        Ok(schemas)
    }

    /// Parses and indexes schema files; validators compile on first use.
    fn load(
        texts: impl IntoIterator<Item = (String, Cow<'static, str>)>,
    ) -> Result<Self, SchemaError> {
        let mut files = BTreeMap::new();
        let mut by_id = BTreeMap::new();
        for (file, text) in texts {
            let value: Value = serde_json::from_str(&text).map_err(|e| SchemaError::Json {
                file: file.clone(),
                message: e.to_string(),
            })?;
            let id = value
                .get("$id")
                .and_then(Value::as_str)
                .ok_or_else(|| SchemaError::NoId { file: file.clone() })?
                .to_owned();
            by_id.insert(id, file.clone());
            files.insert(file.clone(), SchemaFile { file, text, value });
        }
        let compile_error = |file: &str, message: String| SchemaError::Compile {
            file: file.to_owned(),
            message,
        };
        let registry = Registry::new()
            .extend(
                files
                    .values()
                    .map(|f| (f.value["$id"].as_str().unwrap_or_default(), f.value.clone())),
            )
            .and_then(|builder| builder.prepare())
            .map_err(|e| compile_error("(registry)", e.to_string()))?;
        let mut kinds = BTreeMap::new();
        for file in files.values() {
            if let Some(kind) = file
                .value
                .pointer("/properties/kind/const")
                .and_then(Value::as_str)
            {
                kinds.insert(kind.to_owned(), (file.file.clone(), LazyValidator::new()));
            }
        }
        if !files.contains_key(RULE_SCHEMA) {
            return Err(SchemaError::NoId {
                file: RULE_SCHEMA.to_owned(),
            });
        }
        Ok(Self {
            files,
            by_id,
            registry,
            kinds,
            rule: LazyValidator::new(),
        })
    }

    /// The validator of a schema file, compiled offline against the registry on first use.
    fn validator<'a>(&self, file: &str, cell: &'a LazyValidator) -> &'a Result<Validator, String> {
        cell.get_or_init(|| {
            let schema = self.files.get(file).ok_or("no such schema file")?;
            jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_registry(&self.registry)
                .offline()
                .should_validate_formats(true)
                .build(&schema.value)
                .map_err(|e| e.to_string())
        })
    }

    /// The document kinds, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    /// Whether `kind` is a document kind.
    pub fn has_kind(&self, kind: &str) -> bool {
        self.kinds.contains_key(kind)
    }

    /// The published schema file of a kind.
    pub fn file_of_kind(&self, kind: &str) -> Option<&SchemaFile> {
        let (file, _) = self.kinds.get(kind)?;
        self.files.get(file)
    }

    /// A bundled schema file by name.
    pub fn file(&self, name: &str) -> Option<&SchemaFile> {
        self.files.get(name)
    }

    /// Every bundled schema file, sorted by name.
    pub fn files(&self) -> impl Iterator<Item = &SchemaFile> {
        self.files.values()
    }

    /// Validates a document of `kind`; `None` when the kind is unknown.
    pub fn validate(&self, kind: &str, value: &Value, lang: Lang) -> Option<Vec<SchemaFailure>> {
        let (file, cell) = self.kinds.get(kind)?;
        let validator = self.validator(file, cell).as_ref().ok()?;
        let root = &self.files.get(file)?.value;
        Some(report::failures(self, root, validator, value, lang))
    }

    /// Validates a rule file against the rule meta-schema.
    pub fn validate_rule(&self, value: &Value, lang: Lang) -> Vec<SchemaFailure> {
        let Ok(validator) = self.validator(RULE_SCHEMA, &self.rule) else {
            return Vec::new();
        };
        let root = &self.files[RULE_SCHEMA].value;
        report::failures(self, root, validator, value, lang)
    }

    /// The subschema that describes the value at `pointer` of a document of `kind`.
    pub fn subschema(&self, kind: &str, pointer: &str) -> Option<Subschema<'_>> {
        let file = self.file_of_kind(kind)?;
        lookup::at_pointer(self, &file.value, pointer)
    }

    /// Resolves a `$ref` found in `base` (a schema document) to its target.
    fn resolve<'s>(&'s self, base: &'s Value, reference: &str) -> Option<&'s Value> {
        let (doc, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let document = if doc.is_empty() {
            base
        } else {
            let file = doc.rsplit('/').next().unwrap_or(doc);
            let by_id = self
                .by_id
                .iter()
                .find(|(id, _)| id.as_str() == doc || id.ends_with(&format!("/{file}")))
                .map(|(_, f)| f.as_str());
            &self.files.get(by_id.unwrap_or(file))?.value
        };
        if fragment.is_empty() {
            Some(document)
        } else {
            document.pointer(fragment)
        }
    }
}
