//! Finds the files of a run: explicit paths, directories walked honouring `.gitignore`, and
//! globs; returns them sorted and de-duplicated with the paths to print.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobMatcher};
use ignore::WalkBuilder;

use crate::check::Origin;
use crate::config::Config;
use crate::load::Format;

/// One file to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where to read it.
    pub path: PathBuf,
    /// How to print it.
    pub display: String,
    /// Whether it was named explicitly.
    pub origin: Origin,
}

/// An argument that names nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The argument as given.
    pub arg: String,
    /// Whether it was a glob (that matched nothing) rather than a path.
    pub glob: bool,
}

/// A folder (or file) the walk could not read: it may hold documents, so it is reported as an
/// `io-error`, never skipped.
#[derive(Debug)]
pub struct Unreadable {
    /// How to print it.
    pub display: String,
    /// Why.
    pub error: std::io::Error,
}

/// Files found for the arguments, sorted by display path.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Files to check.
    pub inputs: Vec<Input>,
    /// Arguments that matched nothing.
    pub missing: Vec<Missing>,
    /// What the walk could not read, sorted by display path.
    pub unreadable: Vec<Unreadable>,
    /// Other problems of the walk (an ignore file that cannot be parsed, say).
    pub warnings: Vec<String>,
}

/// What one walk found.
#[derive(Default)]
struct Walked {
    files: Vec<PathBuf>,
    unreadable: Vec<(PathBuf, std::io::Error)>,
    warnings: Vec<String>,
}

/// Expands the command-line paths (an empty list means the working directory). A path that
/// is not UTF-8 is taken literally, never as a glob.
pub fn discover(args: &[OsString], cwd: &Path, config: &Config) -> Discovery {
    let mut found: BTreeMap<String, Input> = BTreeMap::new();
    let mut missing = Vec::new();
    let mut problems = Walked::default();
    let default = [OsString::from(".")];
    let args = if args.is_empty() { &default[..] } else { args };
    for os_arg in args {
        let path = cwd.join(os_arg);
        let arg = os_arg.to_string_lossy().into_owned();
        let glob = os_arg.to_str().is_some_and(is_glob);
        if path.is_dir() {
            let walked = walk(&path, None, config);
            add_walked(&mut found, walked.files, cwd);
            problems.unreadable.extend(walked.unreadable);
            problems.warnings.extend(walked.warnings);
        } else if path.exists() || !glob {
            if !path.exists() {
                missing.push(Missing {
                    arg: arg.clone(),
                    glob: false,
                });
            }
            add(&mut found, path, cwd, Origin::Explicit);
        } else {
            let (base, matcher) = glob_base(&arg, cwd);
            let mut matched = false;
            if let Some(matcher) = matcher.filter(|_| base.is_dir()) {
                let walked = walk(&base, Some((&matcher, cwd)), config);
                matched = !walked.files.is_empty();
                add_walked(&mut found, walked.files, cwd);
                problems.unreadable.extend(walked.unreadable);
                problems.warnings.extend(walked.warnings);
            }
            if !matched {
                missing.push(Missing {
                    arg: arg.clone(),
                    glob: true,
                });
            }
        }
    }
    let mut unreadable: BTreeMap<String, std::io::Error> = BTreeMap::new();
    for (path, error) in problems.unreadable {
        unreadable.entry(display_path(&path, cwd)).or_insert(error);
    }
    problems.warnings.sort();
    problems.warnings.dedup();
    Discovery {
        inputs: found.into_values().collect(),
        missing,
        unreadable: unreadable
            .into_iter()
            .map(|(display, error)| Unreadable { display, error })
            .collect(),
        warnings: problems.warnings,
    }
}

/// Records a file once; an explicit mention wins over a walked one.
fn add(found: &mut BTreeMap<String, Input>, path: PathBuf, cwd: &Path, origin: Origin) {
    let display = display_path(&path, cwd);
    add_shown(found, path, display, origin);
}

/// Records the files of a walk, their display paths worked out on every thread.
fn add_walked(found: &mut BTreeMap<String, Input>, files: Vec<PathBuf>, cwd: &Path) {
    use rayon::prelude::*;
    let shown: Vec<(PathBuf, String)> = files
        .into_par_iter()
        .map(|path| {
            let display = display_path(&path, cwd);
            (path, display)
        })
        .collect();
    for (path, display) in shown {
        add_shown(found, path, display, Origin::Walked);
    }
}

/// [`add`] with the display path already known.
fn add_shown(found: &mut BTreeMap<String, Input>, path: PathBuf, display: String, origin: Origin) {
    let entry = found.entry(display.clone()).or_insert(Input {
        path,
        display,
        origin,
    });
    if origin == Origin::Explicit {
        entry.origin = Origin::Explicit;
    }
}

/// Files under `root` with a document extension, honouring ignore files and the config's
/// include/exclude, optionally filtered by a glob matched against the path relative to `cwd`.
/// The walk runs on as many threads as the run has (reading folders is most of it); the order
/// the threads find files in does not show, since [`discover`] keys everything by display path.
fn walk(root: &Path, glob: Option<(&GlobMatcher, &Path)>, config: &Config) -> Walked {
    let pruning = config.clone();
    let mut builder = WalkBuilder::new(root);
    builder
        .require_git(false)
        .hidden(true)
        .follow_links(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let rel = entry
                .path()
                .strip_prefix(&pruning.root)
                .unwrap_or(entry.path());
            !(is_dir && !rel.as_os_str().is_empty() && pruning.excludes(rel))
        });
    let threads = rayon::current_num_threads();
    if threads > 1 {
        use std::sync::{Mutex, PoisonError};
        let shared = Mutex::new(Walked::default());
        builder.threads(threads).build_parallel().run(|| {
            let shared = &shared;
            Box::new(move |entry| {
                let mut out = shared.lock().unwrap_or_else(PoisonError::into_inner);
                take(entry, glob, config, &mut out);
                ignore::WalkState::Continue
            })
        });
        shared.into_inner().unwrap_or_else(PoisonError::into_inner)
    } else {
        let mut out = Walked::default();
        for entry in builder.build() {
            take(entry, glob, config, &mut out);
        }
        out
    }
}

/// Records one entry of a walk: a document file it selects, or what could not be read.
fn take(
    entry: Result<ignore::DirEntry, ignore::Error>,
    glob: Option<(&GlobMatcher, &Path)>,
    config: &Config,
    out: &mut Walked,
) {
    let entry = match entry {
        Ok(entry) => entry,
        Err(error) => {
            match unreadable(error) {
                Ok((path, error)) => out.unreadable.push((path, error)),
                Err(warning) => out.warnings.push(warning),
            }
            return;
        }
    };
    if !entry.file_type().is_some_and(|t| t.is_file()) {
        return;
    }
    let path = entry.into_path();
    if Format::from_path(&path).is_none() {
        return;
    }
    let rel_to_config = path.strip_prefix(&config.root).unwrap_or(&path);
    if !config.selects(rel_to_config) {
        return;
    }
    if let Some((matcher, cwd)) = glob {
        let rel = path.strip_prefix(cwd).unwrap_or(&path);
        if !matcher.is_match(rel) {
            return;
        }
    }
    out.files.push(path);
}

/// The path and I/O error inside a walk error, or the error as a warning when it is not
/// about reading a path (a bad glob in an ignore file, say).
fn unreadable(error: ignore::Error) -> Result<(PathBuf, std::io::Error), String> {
    let mut path = None;
    let mut current = &error;
    loop {
        match current {
            ignore::Error::WithPath { path: p, err } => {
                path = Some(p.clone());
                current = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                current = err;
            }
            ignore::Error::Io(io) => {
                if let Some(path) = path {
                    return Ok((path, std::io::Error::new(io.kind(), io.to_string())));
                }
                break;
            }
            _ => break,
        }
    }
    Err(error.to_string())
}

fn is_glob(arg: &str) -> bool {
    arg.contains(['*', '?', '[', '{'])
}

/// The directory a glob can be walked from (its literal prefix) and its matcher.
fn glob_base(arg: &str, cwd: &Path) -> (PathBuf, Option<GlobMatcher>) {
    let normalized = arg.strip_prefix("./").unwrap_or(arg);
    let literal: Vec<&str> = normalized
        .split('/')
        .take_while(|part| !is_glob(part))
        .collect();
    let literal = literal[..literal
        .len()
        .min(normalized.split('/').count().saturating_sub(1))]
        .join("/");
    let base = if literal.is_empty() {
        cwd.to_path_buf()
    } else {
        cwd.join(literal)
    };
    let matcher = Glob::new(normalized).ok().map(|g| g.compile_matcher());
    (base, matcher)
}

/// `path` with `.` and `name/..` removed, without touching the filesystem (symbolic links are
/// not resolved, so `a/link/..` becomes `a`).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !matches!(out.components().next_back(), Some(Component::RootDir)) {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A path relative to `cwd` even when it lies outside it (`../examples/x.yaml`), so that reports
/// about documents the configuration names are the same on every machine. Falls back to
/// [`display_path`] when the two share nothing but the root.
pub fn relative_display(path: &Path, cwd: &Path) -> String {
    let path = normalize(path);
    let cwd = normalize(cwd);
    let a: Vec<Component> = path.components().collect();
    let b: Vec<Component> = cwd.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common < 2 || path.starts_with(&cwd) {
        return display_path(&path, &cwd);
    }
    let mut parts: Vec<String> = vec!["..".to_owned(); b.len() - common];
    parts.extend(
        a[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// The path to print: relative to `cwd` when under it, `/`-separated, without `./`.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let normalized = normalize(path);
    let shown = normalized.strip_prefix(cwd).unwrap_or(&normalized);
    let mut parts: Vec<String> = Vec::new();
    for component in shown.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => parts.push("..".into()),
            Component::RootDir => parts.push(String::new()),
            Component::Prefix(p) => parts.push(p.as_os_str().to_string_lossy().into_owned()),
            Component::Normal(name) => parts.push(name.to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    if joined.is_empty() {
        ".".into()
    } else if parts.first().is_some_and(String::is_empty) && parts.len() == 1 {
        "/".into()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_relative_and_slashed() {
        let cwd = Path::new("/w");
        assert_eq!(display_path(Path::new("/w/./a/b.yaml"), cwd), "a/b.yaml");
        assert_eq!(display_path(Path::new("/x/b.yaml"), cwd), "/x/b.yaml");
        assert_eq!(
            display_path(Path::new("/w/rules/../examples/s.yaml"), cwd),
            "examples/s.yaml"
        );
        assert_eq!(display_path(Path::new("/w/../x/s.yaml"), cwd), "/x/s.yaml");
        let deep = Path::new("/w/fixtures/rules/r");
        assert_eq!(
            relative_display(Path::new("/w/fixtures/examples/s.yaml"), deep),
            "../../examples/s.yaml"
        );
        assert_eq!(
            relative_display(Path::new("/w/fixtures/rules/r/a.yaml"), deep),
            "a.yaml"
        );
        assert_eq!(relative_display(Path::new("/x/s.yaml"), cwd), "/x/s.yaml");
    }

    #[test]
    fn glob_bases_stop_at_the_first_pattern() {
        let (base, m) = glob_base("plans/**/*.yaml", Path::new("/w"));
        assert_eq!(base, Path::new("/w/plans"));
        assert!(m.unwrap().is_match("plans/a/b.yaml"));
        let (base, _) = glob_base("*.json", Path::new("/w"));
        assert_eq!(base, Path::new("/w"));
    }
}
