//! The resource limits that keep hostile files from crashing or stalling a run: file size,
//! nesting depth, YAML alias expansion and rule evaluation steps. Defaults live here; the
//! `[limits]` table of `vetlint.toml` overrides them (parsed in [`crate::config`]).

use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::lang::Lang;

/// The deepest nesting any parser here accepts, whatever the configuration says: the JSON
/// parser's own ceiling, and far beyond any real standard or plan (which nest about 6 deep).
pub const DEPTH_CEILING: usize = 512;

/// Limits applied to every document of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read, in bytes (`file-too-large` above it; the file is not read).
    pub file_size: u64,
    /// Deepest nesting of lists and mappings (`too-deep` beyond it).
    pub depth: usize,
    /// Most values that YAML aliases may copy in one file (`too-many-aliases` beyond it).
    pub alias_values: usize,
    /// Most evaluation steps one rule may take on one document (`rule-error` beyond it). A
    /// step is one element visited by a comprehension, one element searched by `in`, one
    /// element a vetlint function walks, or one subject of `each`.
    pub rule_steps: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            file_size: 16 * 1024 * 1024,
            depth: DEPTH_CEILING,
            alias_values: 100_000,
            rule_steps: 1_000_000,
        }
    }
}

/// The `[limits]` table as written, before its values are checked.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawLimits {
    file_size: Option<Spanned<toml::Value>>,
    depth: Option<Spanned<toml::Value>>,
    yaml_alias_values: Option<Spanned<toml::Value>>,
    rule_steps: Option<Spanned<toml::Value>>,
}

/// A problem in the `[limits]` table: where, and what.
pub type LimitError = (Range<usize>, String);

impl RawLimits {
    /// The limits these settings give (defaults for what is not set), or every problem.
    pub fn resolve(self, lang: Lang) -> Result<Limits, Vec<LimitError>> {
        let mut limits = Limits::default();
        let mut errors = Vec::new();
        if let Some(value) = self.file_size {
            let size = match value.get_ref() {
                toml::Value::Integer(n) => u64::try_from(*n).ok().filter(|n| *n > 0),
                toml::Value::String(s) => parse_size(s).filter(|n| *n > 0),
                _ => None,
            };
            match size {
                Some(size) => limits.file_size = size,
                None => errors.push((
                    value.span(),
                    lang.pick(
                        "`file-size` 应为正整数字节数，或带单位的字符串，如 \"16 MiB\"、\"512 KiB\"",
                        "`file-size` must be a positive number of bytes or a size such as \"16 MiB\" or \"512 KiB\"",
                    )
                    .to_owned(),
                )),
            }
        }
        let mut count = |value: Option<Spanned<toml::Value>>, name: &str, max: u64| {
            let value = value?;
            let n = match value.get_ref() {
                toml::Value::Integer(n) => u64::try_from(*n).ok().filter(|n| (1..=max).contains(n)),
                _ => None,
            };
            if n.is_none() {
                let message = match lang {
                    Lang::En => format!("`{name}` must be a whole number from 1 to {max}"),
                    Lang::Zh => format!("`{name}` 应为 1 到 {max} 之间的整数"),
                };
                errors.push((value.span(), message));
            }
            n
        };
        if let Some(depth) = count(self.depth, "depth", DEPTH_CEILING as u64) {
            limits.depth = depth as usize;
        }
        if let Some(n) = count(self.yaml_alias_values, "yaml-alias-values", u32::MAX as u64) {
            limits.alias_values = n as usize;
        }
        if let Some(n) = count(self.rule_steps, "rule-steps", u64::MAX >> 1) {
            limits.rule_steps = n;
        }
        if errors.is_empty() {
            Ok(limits)
        } else {
            Err(errors)
        }
    }
}

/// A byte count written for people: `16 MiB`, `200 KiB`, `512 B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
        for (unit, size) in UNITS {
            if self.0 >= size && self.0.is_multiple_of(size) {
                return write!(f, "{} {unit}", self.0 / size);
            }
        }
        for (unit, size) in UNITS {
            if self.0 >= size {
                return write!(f, "{:.1} {unit}", self.0 as f64 / size as f64);
            }
        }
        write!(f, "{} B", self.0)
    }
}

/// Parses a size as written in `vetlint.toml`: a whole number of bytes followed by an
/// optional unit `B`, `KiB`, `MiB`, `GiB` (or `KB`, `MB`, `GB`, taken as the binary units),
/// with optional space in between. `None` when it is not one.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_and_without_units() {
        assert_eq!(parse_size("16 MiB"), Some(16 << 20));
        assert_eq!(parse_size("16MiB"), Some(16 << 20));
        assert_eq!(parse_size("200kb"), Some(200 << 10));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("1 GB"), Some(1 << 30));
        assert_eq!(parse_size("1.5 MiB"), None);
        assert_eq!(parse_size("MiB"), None);
        assert_eq!(parse_size("3 parsecs"), None);
        assert_eq!(parse_size("99999999999999999999 GiB"), None);
    }

    #[test]
    fn sizes_display_for_people() {
        assert_eq!(Bytes(16 << 20).to_string(), "16 MiB");
        assert_eq!(Bytes(1536).to_string(), "1.5 KiB");
        assert_eq!(Bytes(100).to_string(), "100 B");
    }
}
