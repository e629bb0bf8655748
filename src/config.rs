//! `vetlint.toml`: which files to check, which documents complete the workspace, extra rule
//! folders, resource limits, and each rule's severity and parameters. Every mistake in it is
//! a `config-error` with a span in the file.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use crate::diagnostic::{Diagnostic, FileReport, Severity, SourceFile};
use crate::lang::Lang;
use crate::limits::{Limits, RawLimits};
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
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    standards: Vec<Spanned<String>>,
    #[serde(default)]
    registries: Vec<Spanned<String>>,
    #[serde(default)]
    rule_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, RawRule>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    ignore: Vec<Spanned<RawIgnore>>,
}

/// An `[[ignore]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    path: Spanned<String>,
    rule: Spanned<String>,
    pointer: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
    until: Option<Spanned<toml::value::Datetime>>,
}

/// A `[rules.NAME]` table, checked once every rule is known.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    severity: Option<Level>,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// The `[rules.NAME]` tables of a configuration, before the rule set is complete.
#[derive(Debug, Default)]
pub struct RuleSettings {
    source: Option<Arc<SourceFile>>,
    rules: BTreeMap<Spanned<String>, RawRule>,
}

/// A path list entry of the configuration, resolved against its directory.
#[derive(Debug, Clone)]
pub struct ConfigPath {
    /// As written.
    pub text: String,
    /// Resolved.
    pub path: PathBuf,
    /// Where it is written.
    pub span: Range<usize>,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, if any.
    pub file: Option<PathBuf>,
    /// The file's text, for diagnostics.
    pub source: Option<Arc<SourceFile>>,
    /// Directory that globs and paths are relative to.
    pub root: PathBuf,
    /// Documents that complete the workspace: standards.
    pub standards: Vec<ConfigPath>,
    /// Documents that complete the workspace: registries.
    pub registries: Vec<ConfigPath>,
    /// Extra rule folders.
    pub rule_dirs: Vec<ConfigPath>,
    /// Resource limits for hostile input.
    pub limits: Limits,
    /// `[[ignore]]` entries, in file order.
    pub ignores: Vec<Ignore>,
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    levels: HashMap<String, Level>,
    params: HashMap<String, serde_json::Map<String, Value>>,
}

impl Config {
    /// No file: every default applies.
    pub fn default_at(root: PathBuf) -> Self {
        Self {
            file: None,
            source: None,
            root,
            standards: Vec::new(),
            registries: Vec::new(),
            rule_dirs: Vec::new(),
            limits: Limits::default(),
            ignores: Vec::new(),
            include: None,
            exclude: None,
            levels: HashMap::new(),
            params: HashMap::new(),
        }
    }

    /// The nearest `vetlint.toml` in `dir` or its ancestors.
    pub fn find(dir: &Path) -> Option<PathBuf> {
        dir.ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|candidate| candidate.is_file())
    }

    /// Parses a configuration file's text; `display` is the path shown in diagnostics. The
    /// `[rules.NAME]` tables come back separately, to be applied with [`Config::apply`] once
    /// the rule folders are loaded.
    pub fn parse(
        file: &Path,
        display: String,
        text: String,
        lang: Lang,
    ) -> Result<(Self, RuleSettings), FileReport> {
        let source = SourceFile::new(display, text);
        let raw: RawConfig = match toml::from_str(&source.text) {
            Ok(raw) => raw,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let mut message = e.message().trim().to_owned();
                if message.contains("expected a map")
                    && source.text[span.clone()].trim_start().starts_with('[')
                {
                    message.push_str(lang.pick(
                        "；`rules` 是各规则设置的表，规则目录请写在 `rule-dirs` 中",
                        "; `rules` is the table of per-rule settings: list rule folders in `rule-dirs`",
                    ));
                }
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
        let include = globs(&raw.include, &mut diagnostics, lang);
        let exclude = globs(&raw.exclude, &mut diagnostics, lang);
        let limits = raw.limits.resolve(lang).unwrap_or_else(|errors| {
            diagnostics.extend(errors.into_iter().map(|(span, m)| error(span, m)));
            Limits::default()
        });
        let ignores = raw
            .ignore
            .into_iter()
            .enumerate()
            .filter_map(|(index, entry)| Ignore::check(index, entry, &mut diagnostics, lang))
            .collect();
        if !diagnostics.is_empty() {
            return Err(report(&source, diagnostics));
        }
        let root = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let paths = |list: &[Spanned<String>]| {
            list.iter()
                .map(|p| ConfigPath {
                    text: p.get_ref().clone(),
                    path: root.join(p.get_ref()),
                    span: p.span(),
                })
                .collect()
        };
        let config = Self {
            file: Some(file.to_path_buf()),
            source: Some(source.clone()),
            standards: paths(&raw.standards),
            registries: paths(&raw.registries),
            rule_dirs: paths(&raw.rule_dirs),
            limits,
            ignores,
            root: root.clone(),
            include: (!raw.include.is_empty()).then_some(include),
            exclude: (!raw.exclude.is_empty()).then_some(exclude),
            levels: HashMap::new(),
            params: HashMap::new(),
        };
        let settings = RuleSettings {
            source: Some(source),
            rules: raw.rules,
        };
        Ok((config, settings))
    }

    /// Applies `[rules.NAME]` tables: unknown rules and parameters, and parameters of the
    /// wrong type, are errors.
    pub fn apply(
        &mut self,
        settings: RuleSettings,
        rules: &RuleSet,
        lang: Lang,
    ) -> Result<(), FileReport> {
        let Some(source) = settings.source else {
            return Ok(());
        };
        let mut diagnostics = Vec::new();
        for ignore in &self.ignores {
            if rules.get(&ignore.rule).is_none() {
                let guess = report_suggest(&ignore.rule, rules.iter().map(|r| r.name.as_str()));
                diagnostics.push(error(
                    ignore.rule_span.clone(),
                    match (lang, guess) {
                        (Lang::En, Some(g)) => format!(
                            "unknown rule `{}` in [[ignore]]; did you mean `{g}`?",
                            ignore.rule
                        ),
                        (Lang::En, None) => format!("unknown rule `{}` in [[ignore]]", ignore.rule),
                        (Lang::Zh, Some(g)) => format!(
                            "[[ignore]] 中的规则 `{}` 不存在；是否想写 `{g}`？",
                            ignore.rule
                        ),
                        (Lang::Zh, None) => {
                            format!("[[ignore]] 中的规则 `{}` 不存在", ignore.rule)
                        }
                    },
                ));
            }
        }
        for (name, rule) in settings.rules {
            let Some(meta) = rules.get(name.get_ref()) else {
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
            };
            if let Some(level) = rule.severity {
                self.levels.insert(name.get_ref().clone(), level);
            }
            let mut params = meta.params.clone();
            for (param, value) in rule.params {
                let Some(default) = meta.params.get(param.get_ref()) else {
                    let known: Vec<String> = meta.params.keys().map(|k| format!("`{k}`")).collect();
                    let message = match lang {
                        Lang::En => format!(
                            "rule `{}` has no parameter `{}`",
                            meta.name,
                            param.get_ref()
                        ),
                        Lang::Zh => format!("规则 `{}` 没有参数 `{}`", meta.name, param.get_ref()),
                    };
                    let help = match (lang, known.is_empty()) {
                        (Lang::En, true) => "this rule takes no parameters".to_owned(),
                        (Lang::Zh, true) => "该规则没有参数".to_owned(),
                        (Lang::En, false) => format!("its parameters: {}", known.join(", ")),
                        (Lang::Zh, false) => format!("它的参数：{}", known.join("、")),
                    };
                    diagnostics.push(error(param.span(), message).with_help(help));
                    continue;
                };
                let span = value.span();
                let value = toml_to_json(value.into_inner());
                if !same_type(default, &value) {
                    let message = match lang {
                        Lang::En => format!(
                            "parameter `{}` of `{}` must be like its default `{default}`",
                            param.get_ref(),
                            meta.name
                        ),
                        Lang::Zh => format!(
                            "`{}` 的参数 `{}` 应与默认值 `{default}` 类型相同",
                            meta.name,
                            param.get_ref()
                        ),
                    };
                    diagnostics.push(error(span, message));
                    continue;
                }
                // A table parameter (e.g. a minimum per tier) merges with its default, so
                // `min = { "高职" = 2600 }` keeps the other tiers' defaults.
                let value = match (default, value) {
                    (Value::Object(base), Value::Object(over)) => {
                        let mut merged = base.clone();
                        merged.extend(over);
                        Value::Object(merged)
                    }
                    (_, value) => value,
                };
                params.insert(param.into_inner(), value);
            }
            self.params.insert(meta.name.clone(), params);
        }
        if diagnostics.is_empty() {
            Ok(())
        } else {
            Err(report(&source, diagnostics))
        }
    }

    /// The severity a rule is reported at, or `None` when it is off.
    pub fn severity(&self, rule: &str, default: Severity) -> Option<Severity> {
        match self.levels.get(rule) {
            Some(level) => level.severity(),
            None => Some(default),
        }
    }

    /// A rule's parameters: its defaults with the configured values on top.
    pub fn params(&self, rule: &crate::rules::RuleMeta) -> serde_json::Map<String, Value> {
        self.params
            .get(&rule.name)
            .cloned()
            .unwrap_or_else(|| rule.params.clone())
    }

    /// A `config-error` at `span` of this configuration file.
    pub fn error_at(&self, span: Range<usize>, message: String) -> FileReport {
        let source = self
            .source
            .clone()
            .unwrap_or_else(|| SourceFile::new(FILE_NAME, String::new()));
        report(&source, vec![error(span, message)])
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

    /// The same configuration without `include` and `exclude` (for the workspace paths,
    /// which are named on purpose).
    pub fn without_filters(&self) -> Self {
        Self {
            include: None,
            exclude: None,
            ..self.clone()
        }
    }

    /// Whether a path is excluded (for directories during the walk).
    pub fn excludes(&self, relative: &Path) -> bool {
        self.exclude
            .as_ref()
            .is_some_and(|set| set.is_match(relative))
    }
}

/// A calendar date (for `until`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
}

impl Date {
    /// Today in UTC, from the system clock.
    pub fn today() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self::from_days((secs / 86_400) as i64)
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's civil-from-days).
    pub fn from_days(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Self { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// An `[[ignore]]` entry: findings of `rule` in files matching `path` (and under `pointer`)
/// are not reported, for `reason`, until `until`.
#[derive(Debug, Clone)]
pub struct Ignore {
    /// Position among the entries (0-based).
    pub index: usize,
    /// The glob as written, relative to the configuration's folder.
    pub path: String,
    matcher: globset::GlobMatcher,
    /// The rule.
    pub rule: String,
    /// Only findings at or under this JSON Pointer.
    pub pointer: Option<String>,
    /// Why.
    pub reason: String,
    /// The last day it applies.
    pub until: Option<Date>,
    /// Where the entry is written.
    pub span: Range<usize>,
    rule_span: Range<usize>,
}

impl Ignore {
    fn check(
        index: usize,
        entry: Spanned<RawIgnore>,
        diagnostics: &mut Vec<Diagnostic>,
        lang: Lang,
    ) -> Option<Self> {
        let span = entry.span();
        let raw = entry.into_inner();
        let before = diagnostics.len();
        let matcher = match Glob::new(raw.path.get_ref()) {
            Ok(glob) => Some(glob.compile_matcher()),
            Err(e) => {
                diagnostics.push(glob_error(raw.path.span(), &e, lang));
                None
            }
        };
        let reason = raw
            .reason
            .as_ref()
            .map(|r| r.get_ref().trim().to_owned())
            .unwrap_or_default();
        if reason.is_empty() {
            let at = raw.reason.as_ref().map_or(span.clone(), |r| r.span());
            diagnostics.push(
                error(
                    at,
                    lang.pick(
                        "[[ignore]] 必须写明理由（reason）",
                        "an [[ignore]] entry needs a `reason`",
                    )
                    .to_owned(),
                )
                .with_help(lang.pick(
                    "例如 reason = \"省厅批准的过渡方案，2027 级起修正\"",
                    "for example reason = \"approved by the province for the 2026 intake only\"",
                )),
            );
        }
        if let Some(pointer) = &raw.pointer
            && !(pointer.get_ref().is_empty() || pointer.get_ref().starts_with('/'))
        {
            diagnostics.push(error(
                pointer.span(),
                lang.pick(
                    "`pointer` 是 JSON Pointer，以 `/` 开头，如 \"/courses/3\"",
                    "`pointer` is a JSON Pointer starting with `/`, e.g. \"/courses/3\"",
                )
                .to_owned(),
            ));
        }
        let until = match &raw.until {
            None => None,
            Some(until) => match until
                .get_ref()
                .date
                .filter(|_| until.get_ref().time.is_none())
            {
                Some(d) => Some(Date {
                    year: d.year,
                    month: d.month,
                    day: d.day,
                }),
                None => {
                    diagnostics.push(error(
                        until.span(),
                        lang.pick(
                            "`until` 应为日期，如 2027-06-30",
                            "`until` must be a date such as 2027-06-30",
                        )
                        .to_owned(),
                    ));
                    None
                }
            },
        };
        if diagnostics.len() != before {
            return None;
        }
        Some(Self {
            index,
            path: raw.path.get_ref().clone(),
            matcher: matcher?,
            rule: raw.rule.get_ref().clone(),
            rule_span: raw.rule.span(),
            pointer: raw.pointer.map(Spanned::into_inner),
            reason,
            until,
            span,
        })
    }

    /// Whether the entry is in force on `today`.
    pub fn active(&self, today: Date) -> bool {
        self.until.is_none_or(|until| today <= until)
    }

    /// Whether a file (its path relative to the configuration's folder) is in scope.
    pub fn matches_path(&self, relative: &Path) -> bool {
        self.matcher.is_match(relative)
    }

    /// Whether the entry covers a finding (rule and pointer; the path is checked apart).
    pub fn covers(&self, d: &Diagnostic) -> bool {
        if d.rule != self.rule {
            return false;
        }
        match (&self.pointer, &d.pointer) {
            (None, _) => true,
            (Some(p), Some(at)) => {
                p.is_empty()
                    || at == p
                    || at
                        .strip_prefix(p.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            }
            (Some(_), None) => false,
        }
    }
}

fn error(span: Range<usize>, message: String) -> Diagnostic {
    let mut d = Diagnostic::new(names::CONFIG_ERROR, span, message);
    d.severity = Severity::Error;
    d
}

fn report(source: &Arc<SourceFile>, diagnostics: Vec<Diagnostic>) -> FileReport {
    let mut report = FileReport {
        source: source.clone(),
        diagnostics,
    };
    report.sort();
    report
}

fn globs(patterns: &[Spanned<String>], diagnostics: &mut Vec<Diagnostic>, lang: Lang) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        match Glob::new(pattern.get_ref()) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(e) => diagnostics.push(glob_error(pattern.span(), &e, lang)),
        }
    }
    builder.build().unwrap_or_else(|_| GlobSet::empty())
}

/// The `config-error` of a glob that does not parse.
fn glob_error(span: Range<usize>, e: &globset::Error, lang: Lang) -> Diagnostic {
    error(
        span,
        match lang {
            Lang::En => format!("invalid glob: {}", e.kind()),
            Lang::Zh => format!("无效的通配模式：{}", e.kind()),
        },
    )
}

fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Whether a configured parameter has the JSON type of its default (any number for a number).
fn same_type(default: &Value, value: &Value) -> bool {
    std::mem::discriminant(default) == std::mem::discriminant(value)
}
