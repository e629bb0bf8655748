//! Output formats. Every renderer takes the sorted reports and writes text; none decides
//! what was found.

pub mod elide;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod short;

use crate::diagnostic::{FileReport, Severity};

/// The outcome of a run, sorted by path.
#[derive(Debug, Default)]
pub struct RunReport {
    /// Reports of the checked files, sorted by path (files without findings included).
    pub files: Vec<FileReport>,
}

/// Counts for the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Files checked.
    pub files: usize,
    /// Findings at error severity.
    pub errors: usize,
    /// Findings at warning severity.
    pub warnings: usize,
    /// Findings at info severity.
    pub infos: usize,
}

impl RunReport {
    /// Counts files and findings by severity.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            files: self.files.len(),
            ..Summary::default()
        };
        for d in self.files.iter().flat_map(|f| &f.diagnostics) {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }

    /// Whether any finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.files
            .iter()
            .flat_map(|f| &f.diagnostics)
            .any(|d| d.severity >= threshold)
    }
}
