//! Reference tables for rule expressions (`tables.majors['570201']`): CSV files in
//! `rules/data/`, named and keyed by `rules/data/tables.yaml`, compiled into the binary.

use std::collections::BTreeMap;

use include_dir::{Dir, include_dir};
use serde::Deserialize;

static DATA_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/rules/data");

/// A reference table that cannot be read: a defect of the build.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TableError {
    /// The manifest is malformed.
    #[error("rules/data/tables.yaml: {0}")]
    Manifest(String),
    /// A CSV file is missing or malformed.
    #[error("rules/data/{file}: {message}")]
    Csv {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableSpec {
    file: String,
    key: String,
    #[allow(dead_code)]
    source: String,
}

/// One table: rows by key, each row by column.
pub type Table = BTreeMap<String, BTreeMap<String, String>>;

/// Parses the bundled tables.
pub fn bundled() -> Result<BTreeMap<String, Table>, TableError> {
    let manifest = DATA_DIR
        .get_file("tables.yaml")
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| TableError::Manifest("missing".into()))?;
    let doc = crate::load::load(
        "rules/data/tables.yaml".into(),
        manifest.as_bytes(),
        None,
        crate::lang::Lang::En,
    );
    let value = doc.value.ok_or_else(|| {
        TableError::Manifest(
            doc.diagnostics
                .first()
                .map(|d| d.message.clone())
                .unwrap_or_default(),
        )
    })?;
    let specs: BTreeMap<String, TableSpec> =
        serde_json::from_value(value).map_err(|e| TableError::Manifest(e.to_string()))?;
    let mut tables = BTreeMap::new();
    for (name, spec) in specs {
        let err = |message: String| TableError::Csv {
            file: spec.file.clone(),
            message,
        };
        let bytes = DATA_DIR
            .get_file(&spec.file)
            .map(|f| f.contents())
            .ok_or_else(|| err("missing".into()))?;
        let mut reader = csv::Reader::from_reader(bytes);
        let headers = reader.headers().map_err(|e| err(e.to_string()))?.clone();
        let key_column = headers
            .iter()
            .position(|h| h == spec.key)
            .ok_or_else(|| err(format!("no column `{}`", spec.key)))?;
        let mut table = Table::new();
        for record in reader.records() {
            let record = record.map_err(|e| err(e.to_string()))?;
            let key = record.get(key_column).unwrap_or_default().to_owned();
            let row = headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect();
            if table.insert(key.clone(), row).is_some() {
                return Err(err(format!("key `{key}` appears twice")));
            }
        }
        tables.insert(name, table);
    }
    Ok(tables)
}

/// The bundled tables, parsed once per process (they are compiled in).
pub fn shared() -> Result<&'static BTreeMap<String, Table>, TableError> {
    static TABLES: std::sync::OnceLock<Result<BTreeMap<String, Table>, TableError>> =
        std::sync::OnceLock::new();
    TABLES.get_or_init(bundled).as_ref().map_err(Clone::clone)
}

/// The bundled tables as one JSON object, built once per process from what [`shared`] gave.
pub fn shared_json(tables: &'static BTreeMap<String, Table>) -> std::sync::Arc<serde_json::Value> {
    static JSON: std::sync::OnceLock<std::sync::Arc<serde_json::Value>> =
        std::sync::OnceLock::new();
    JSON.get_or_init(|| std::sync::Arc::new(to_json(tables)))
        .clone()
}

/// Parses the tables and builds their JSON while the caller does something else (start-up
/// reads the rule files meanwhile); a broken table is reported by whoever asks next.
pub fn warm() {
    if let Ok(tables) = shared() {
        shared_json(tables);
    }
}

/// The tables as one JSON object: table → key → column → text.
pub fn to_json(tables: &BTreeMap<String, Table>) -> serde_json::Value {
    serde_json::to_value(tables).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_major_catalog_is_keyed_by_code() {
        let tables = bundled().unwrap();
        let majors = &tables["majors"];
        assert_eq!(majors["570201"]["majorName"], "商务英语");
        assert_eq!(majors["570201"]["educationLevel"], "VOCATIONAL_ASSOCIATE");
        assert_eq!(
            majors
                .values()
                .filter(|r| r["itemLevel"] == "MAJOR")
                .count(),
            1349
        );
    }
}
