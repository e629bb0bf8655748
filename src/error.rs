//! Errors that stop a run (exit code 2): configuration and rule files, bundled schemas, and
//! the terminal. Problems in checked documents are diagnostics, never errors.

use crate::diagnostic::FileReport;
use crate::schema::SchemaError;

/// Why a run cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `vetlint.toml` or a rule file is wrong; the reports say where.
    #[error("invalid configuration")]
    Config(Vec<FileReport>),
    /// A bundled schema is broken (a defect of this build).
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A bundled reference table is broken (a defect of this build).
    #[error(transparent)]
    Table(#[from] crate::tables::TableError),
    /// A file vetlint itself needs could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A command-line argument names something that does not exist.
    #[error("{0}")]
    Usage(String),
}
