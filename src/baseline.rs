//! Baselines: the findings a project has accepted for now, recorded by identity (rule, file,
//! pointer, offending value; see [`crate::identity`]), so adopting vetlint on an old repository
//! reports only what is new. Pure: the caller reads and writes the file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::identity::SCHEME;
use crate::render::RunReport;

/// Version of the baseline file format.
pub const VERSION: u32 = 1;

/// A baseline file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// File format version.
    pub version: u32,
    /// Identity scheme the fingerprints were made with.
    pub scheme: String,
    /// Accepted findings, sorted by path, rule and fingerprint.
    pub findings: Vec<Entry>,
}

/// One accepted finding. Only `fingerprint` is matched; the rest is for people reading the
/// file (and reviewing its diff).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// File as printed.
    pub path: String,
    /// Rule.
    pub rule: String,
    /// Identity.
    pub fingerprint: String,
    /// JSON Pointer, when the finding has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Message when recorded.
    pub message: String,
}

/// What applying a baseline did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Findings left out because the baseline has them.
    pub baselined: usize,
    /// Baseline entries that matched no finding (fixed since, or changed).
    pub gone: usize,
}

impl Baseline {
    /// The baseline of every finding in `report`.
    pub fn of(report: &RunReport) -> Self {
        let mut findings: Vec<Entry> = report
            .files
            .iter()
            .flat_map(|f| {
                f.diagnostics.iter().map(|d| Entry {
                    path: f.source.path.clone(),
                    rule: d.rule.clone(),
                    fingerprint: d.fingerprint.clone(),
                    pointer: d.pointer.clone(),
                    message: d.message.clone(),
                })
            })
            .collect();
        findings.sort();
        Self {
            version: VERSION,
            scheme: SCHEME.to_owned(),
            findings,
        }
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a baseline file's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let baseline: Baseline = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if baseline.version != VERSION {
            return Err(format!(
                "baseline version {} is not supported (this vetlint writes {VERSION})",
                baseline.version
            ));
        }
        if baseline.scheme != SCHEME {
            return Err(format!(
                "baseline was written with identity scheme `{}`, this vetlint uses `{SCHEME}`; write it again with --write-baseline",
                baseline.scheme
            ));
        }
        Ok(baseline)
    }

    /// Drops the findings of `report` that the baseline has (each entry covers one finding).
    pub fn apply(&self, report: &mut RunReport) -> Applied {
        let mut left: BTreeMap<&str, usize> = BTreeMap::new();
        for entry in &self.findings {
            *left.entry(entry.fingerprint.as_str()).or_default() += 1;
        }
        let mut applied = Applied::default();
        for file in &mut report.files {
            file.diagnostics
                .retain(|d| match left.get_mut(d.fingerprint.as_str()) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        applied.baselined += 1;
                        false
                    }
                    _ => true,
                });
        }
        applied.gone = left.values().sum();
        applied
    }
}
