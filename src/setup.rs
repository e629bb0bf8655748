//! Builds an [`Engine`] from the filesystem: finds and reads `vetlint.toml`, loads the rule
//! folders it names, applies its rule settings.

use std::path::{Path, PathBuf};

use crate::check::Engine;
use crate::config::Config;
use crate::discover;
use crate::error::Error;
use crate::lang::Lang;
use crate::rules::RuleSet;
use crate::schema::Schemas;

/// Where the configuration comes from.
#[derive(Debug, Clone)]
pub enum ConfigSource {
    /// The nearest `vetlint.toml` upwards from the working directory.
    Discover,
    /// This file.
    File(PathBuf),
    /// None.
    Off,
}

/// The engine for a run in `cwd`.
pub fn engine(cwd: &Path, source: &ConfigSource, lang: Lang) -> Result<Engine, Error> {
    let schemas = Schemas::bundled()?;
    // The reference tables are parsed on the other core while the rule files are read.
    let (rules, ()) = rayon::join(|| RuleSet::bundled(&schemas, lang), crate::tables::warm);
    let mut rules = rules.map_err(Error::Config)?;
    let file = match source {
        ConfigSource::Off => None,
        ConfigSource::File(path) => Some(cwd.join(path)),
        ConfigSource::Discover => Config::find(cwd),
    };
    let Some(file) = file else {
        return Engine::new(schemas, rules, Config::default_at(cwd.to_path_buf()), lang);
    };
    let display = discover::display_path(&file, cwd);
    let text = std::fs::read_to_string(&file).map_err(|source| Error::Io {
        path: display.clone(),
        source,
    })?;
    let (mut config, settings) =
        Config::parse(&file, display, text, lang).map_err(|r| Error::Config(vec![r]))?;
    for dir in config.rule_dirs.clone() {
        let extra = rule_folder(&dir.path, cwd, &schemas, lang).map_err(|e| match e {
            FolderError::Unreadable(why) => {
                let message = match lang {
                    Lang::En => format!("cannot read the rule folder `{}`: {why}", dir.text),
                    Lang::Zh => format!("无法读取规则目录 `{}`：{why}", dir.text),
                };
                Error::Config(vec![config.error_at(dir.span.clone(), message)])
            }
            FolderError::Rules(reports) => Error::Config(reports),
        })?;
        rules.extend(extra, lang).map_err(Error::Config)?;
    }
    config
        .apply(settings, &rules, lang)
        .map_err(|r| Error::Config(vec![r]))?;
    Engine::new(schemas, rules, config, lang)
}

enum FolderError {
    Unreadable(String),
    Rules(Vec<crate::diagnostic::FileReport>),
}

/// The rule files (`*.yaml`, `*.yml`, `*.json`) directly inside `dir`.
fn rule_folder(
    dir: &Path,
    cwd: &Path,
    schemas: &Schemas,
    lang: Lang,
) -> Result<RuleSet, FolderError> {
    let entries = std::fs::read_dir(dir).map_err(|e| FolderError::Unreadable(e.to_string()))?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_file() && crate::load::Format::from_path(&path).is_some() {
            let bytes = std::fs::read(&path).map_err(|e| FolderError::Unreadable(e.to_string()))?;
            files.push((discover::display_path(&path, cwd), bytes));
        }
    }
    files.sort();
    RuleSet::from_files(
        files.iter().map(|(p, b)| (p.clone(), b.as_slice())),
        schemas,
        lang,
        crate::rules::Trust::User,
    )
    .map_err(FolderError::Rules)
}
