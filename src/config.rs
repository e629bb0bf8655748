//! `vetlint.toml`: which files to check and how severe each rule is. Every mistake in it is
//! a `config-error` with a span in the file.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Diagnostic, FileReport, Severity, SourceFile};
use crate::lang::Lang;
use crate::rules::{RuleSet, names};
use crate::schema::report_suggest;

/// The name vetlint looks for, walking up from the working directory.
pub const FILE_NAME: &str = "vetlint.toml";

/// A rule's configured level, `off` included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Never report the rule.
    Off,
    /// Report as info.
    Info,
    /// Report as warning.
    Warning,
    /// Report as error.
    Error,
}

impl Level {
    fn severity(self) -> Option<Severity> {
        match self {
            Level::Off => None,
            Level::Info => Some(Severity::Info),
            Level::Warning => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    severity: Option<Level>,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, if any.
    pub file: Option<PathBuf>,
    /// Directory that `include` and `exclude` globs are relative to.
    pub root: PathBuf,
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    levels: HashMap<String, Level>,
}

impl Config {
    /// No file: every default applies.
    pub fn default_at(root: PathBuf) -> Self {
        Self {
            file: None,
            root,
            include: None,
            exclude: None,
            levels: HashMap::new(),
        }
    }

    /// The nearest `vetlint.toml` in `dir` or its ancestors.
    pub fn find(dir: &Path) -> Option<PathBuf> {
        dir.ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|candidate| candidate.is_file())
    }

    /// Parses a configuration file's text; `display` is the path shown in diagnostics.
    pub fn parse(
        file: &Path,
        display: String,
        text: String,
        rules: &RuleSet,
        lang: Lang,
    ) -> Result<Self, FileReport> {
        let source = SourceFile::new(display, text);
        let error = |span: std::ops::Range<usize>, message: String| {
            let mut d = Diagnostic::new(names::CONFIG_ERROR, span, message);
            d.severity = Severity::Error;
            d
        };
        let raw: RawConfig = match toml::from_str(&source.text) {
            Ok(raw) => raw,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let message = e.message().trim().to_owned();
                let d = error(
                    span,
                    match lang {
                        Lang::En => format!("invalid {FILE_NAME}: {message}"),
                        Lang::Zh => format!("{FILE_NAME} 有误：{message}"),
                    },
                );
                return Err(report(&source, vec![d]));
            }
        };
        let mut diagnostics = Vec::new();
        let mut levels = HashMap::new();
        for (name, rule) in &raw.rules {
            if rules.get(name.get_ref()).is_none() {
                let guess = report_suggest(name.get_ref(), rules.iter().map(|r| r.name.as_str()));
                let message = match (lang, guess) {
                    (Lang::En, Some(g)) => {
                        format!("unknown rule `{}`; did you mean `{g}`?", name.get_ref())
                    }
                    (Lang::En, None) => format!("unknown rule `{}`", name.get_ref()),
                    (Lang::Zh, Some(g)) => {
                        format!("未知规则 `{}`；是否想写 `{g}`？", name.get_ref())
                    }
                    (Lang::Zh, None) => format!("未知规则 `{}`", name.get_ref()),
                };
                diagnostics.push(error(name.span(), message).with_help(lang.pick(
                    "`vetlint rules` 列出全部规则",
                    "`vetlint rules` lists every rule",
                )));
                continue;
            }
            if let Some(level) = rule.severity {
                levels.insert(name.get_ref().clone(), level);
            }
        }
        let include = globs(&raw.include, &mut diagnostics, &error, lang);
        let exclude = globs(&raw.exclude, &mut diagnostics, &error, lang);
        if !diagnostics.is_empty() {
            return Err(report(&source, diagnostics));
        }
        let root = file.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Self {
            file: Some(file.to_path_buf()),
            root,
            include: (!raw.include.is_empty()).then_some(include),
            exclude: (!raw.exclude.is_empty()).then_some(exclude),
            levels,
        })
    }

    /// The severity a rule is reported at, or `None` when it is off.
    pub fn severity(&self, rule: &str, default: Severity) -> Option<Severity> {
        match self.levels.get(rule) {
            Some(level) => level.severity(),
            None => Some(default),
        }
    }

    /// Whether a file found by walking is selected by `include`/`exclude`. `relative` is the
    /// path relative to `root`.
    pub fn selects(&self, relative: &Path) -> bool {
        if self
            .exclude
            .as_ref()
            .is_some_and(|set| set.is_match(relative))
        {
            return false;
        }
        self.include
            .as_ref()
            .is_none_or(|set| set.is_match(relative))
    }

    /// Whether a path is excluded (for directories during the walk).
    pub fn excludes(&self, relative: &Path) -> bool {
        self.exclude
            .as_ref()
            .is_some_and(|set| set.is_match(relative))
    }
}

fn report(source: &Arc<SourceFile>, diagnostics: Vec<Diagnostic>) -> FileReport {
    let mut report = FileReport {
        source: source.clone(),
        diagnostics,
    };
    report.sort();
    report
}

fn globs(
    patterns: &[Spanned<String>],
    diagnostics: &mut Vec<Diagnostic>,
    error: &dyn Fn(std::ops::Range<usize>, String) -> Diagnostic,
    lang: Lang,
) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        match Glob::new(pattern.get_ref()) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(e) => diagnostics.push(error(
                pattern.span(),
                match lang {
                    Lang::En => format!("invalid glob: {}", e.kind()),
                    Lang::Zh => format!("无效的通配模式：{}", e.kind()),
                },
            )),
        }
    }
    builder.build().unwrap_or_else(|_| GlobSet::empty())
}
