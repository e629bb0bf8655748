//! One check run: read the inputs, load them in parallel ([`gather`]), index the workspace
//! (with the configuration's standards and registries), check every document in parallel,
//! apply `[[ignore]]`, sort ([`finish`]). The language server gathers its own documents (open
//! buffers win over files) and shares [`finish`].
//!
//! Memory does not grow with the number of plans: past [`HOLD_BUDGET`] bytes of source,
//! [`gather`] keeps whole only the documents other documents refer to (standards, registries,
//! pilot reports) and those it could not load; of any other file it keeps the identity (kind,
//! id, path) and reads it again when its turn comes to be checked. A finished report keeps a
//! file's text only when it has findings.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::check::{Engine, Origin};
use crate::config::Date;
use crate::diagnostic::{Diagnostic, FileReport};
use crate::discover::{self, Input};
use crate::lang::Lang;
use crate::limits::Limits;
use crate::load::{self, Document, Format};
use crate::render::RunReport;
use crate::rules::names;
use crate::stats::{self, Stage};
use crate::suppress;
use crate::workspace::Workspace;

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Files, directories and globs (an empty list: the working directory). File names need
    /// not be UTF-8.
    pub paths: Vec<std::ffi::OsString>,
    /// Read one document from stdin, under this name.
    pub stdin: Option<String>,
    /// Report only these files (absolute, normalized); the others still complete the
    /// workspace. `None`: report every file.
    pub only: Option<std::collections::HashSet<std::path::PathBuf>>,
    /// Bytes of source to keep whole before reading plans twice (`None`: [`HOLD_BUDGET`]).
    pub hold: Option<u64>,
}

/// Warnings about the run itself (printed on stderr, never fail it).
pub type Warnings = Vec<String>;

/// A document of a run: loaded, or to be read again when it is checked.
#[derive(Debug)]
pub enum Held {
    /// Kept whole.
    Whole(Document),
    /// Read once for its identity; read again to be checked.
    Again {
        /// The file.
        input: Input,
        /// Its kind and id, and its path as printed.
        identity: Identity,
    },
}

/// What the workspace needs of a document it does not keep.
#[derive(Debug, Clone)]
pub struct Identity {
    /// `kind`.
    pub kind: Option<String>,
    /// `id`.
    pub id: Option<String>,
    /// The path as printed.
    pub path: String,
}

impl Held {
    /// The document's kind.
    pub fn kind(&self) -> Option<&str> {
        match self {
            Held::Whole(doc) => doc.kind(),
            Held::Again { identity, .. } => identity.kind.as_deref(),
        }
    }

    /// The document's path as printed.
    pub fn path(&self) -> &str {
        match self {
            Held::Whole(doc) => &doc.source.path,
            Held::Again { identity, .. } => &identity.path,
        }
    }

    /// The document, read again if need be.
    pub fn into_document(self, limits: &Limits, lang: Lang) -> Document {
        match self {
            Held::Whole(doc) => doc,
            Held::Again { input, .. } => stats::time(Stage::Load, || read(&input, limits, lang)),
        }
    }

    /// Keeps `doc` whole if other documents may refer to it (or it could not be loaded);
    /// otherwise only its identity.
    fn of(doc: Document, input: &Input) -> Self {
        let referenced = doc.kind().is_some_and(crate::workspace::is_referenced);
        if referenced || doc.value.is_none() {
            return Held::Whole(doc);
        }
        let text = |key: &str| {
            doc.value
                .as_ref()
                .and_then(|v| v.get(key))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        Held::Again {
            input: input.clone(),
            identity: Identity {
                kind: text("kind"),
                id: text("id"),
                path: doc.source.path.clone(),
            },
        }
    }
}

/// A document of a run, and how it came to be in it.
#[derive(Debug)]
pub struct Entry {
    /// The document.
    pub doc: Held,
    /// Named explicitly or found by walking.
    pub origin: Origin,
    /// Where it is (joined to the working directory); `None` for stdin.
    pub path: Option<PathBuf>,
    /// Whether its findings are reported (otherwise it only completes the workspace).
    pub reported: bool,
}

/// Runs a check in `cwd`; the thread pool is the caller's.
pub fn check(engine: &Engine, request: &Request, cwd: &Path) -> (RunReport, Warnings) {
    let (entries, warnings) = gather(engine, request, cwd);
    finish(engine, entries, cwd, warnings)
}

/// Bytes of source text a run keeps whole before it keeps plans as identities and reads them
/// again when they are checked: small runs pay for no second read, large ones hold no more
/// than this (and what the documents parsed from it take).
pub const HOLD_BUDGET: u64 = 8 << 20;

/// Discovers and reads the documents of a request, in parallel.
pub fn gather(engine: &Engine, request: &Request, cwd: &Path) -> (Vec<Entry>, Warnings) {
    let lang = engine.lang;
    let limits = &engine.config.limits;
    let mut warnings = Warnings::new();
    let discovery = if request.paths.is_empty() && request.stdin.is_some() {
        discover::Discovery::default()
    } else {
        stats::time(Stage::Discover, || {
            discover::discover(&request.paths, cwd, &engine.config)
        })
    };
    for missing in discovery.missing.iter().filter(|m| m.glob) {
        warnings.push(match lang {
            Lang::En => format!("`{}` matched no file", missing.arg),
            Lang::Zh => format!("`{}` 没有匹配到任何文件", missing.arg),
        });
    }
    warnings.extend(discovery.warnings.iter().cloned());
    // With `only`, the other files are read for the workspace but not reported.
    let held = AtomicU64::new(0);
    let budget = request.hold.unwrap_or(HOLD_BUDGET);
    let mut entries: Vec<Entry> = discovery
        .inputs
        .par_iter()
        .map(|input| {
            let path = discover::normalize(&cwd.join(&input.path));
            let doc = stats::time(Stage::Load, || {
                if engine.reference {
                    // The unoptimised path: every file parsed whole, with its spans, and kept.
                    let whole = |bytes: Vec<u8>| {
                        let format = Format::from_path(&input.path);
                        load::load_as(input.display.clone(), &bytes, format, lang, limits, false)
                    };
                    Held::Whole(read_bytes(input, limits, lang).map_or_else(|doc| *doc, whole))
                } else {
                    read_held(input, limits, lang, &held, budget)
                }
            });
            Entry {
                doc,
                origin: input.origin,
                reported: request
                    .only
                    .as_ref()
                    .is_none_or(|only| only.contains(&path)),
                path: Some(path),
            }
        })
        .collect();
    for folder in &discovery.unreadable {
        entries.push(Entry {
            doc: Held::Whole(io_error_document(
                folder.display.clone(),
                &folder.error,
                lang,
                true,
            )),
            origin: Origin::Explicit,
            path: None,
            reported: request.only.is_none(),
        });
    }
    if let Some(name) = &request.stdin {
        let format = Format::from_path(Path::new(name));
        let mut bytes = Vec::new();
        let stdin = std::io::stdin().lock();
        let doc = match stdin.take(limits.file_size + 1).read_to_end(&mut bytes) {
            Ok(_) => load::load_with(name.clone(), &bytes, format, lang, limits),
            Err(e) => io_error_document(name.clone(), &e, lang, false),
        };
        entries.push(Entry {
            doc: Held::Whole(doc),
            origin: Origin::Explicit,
            path: Some(discover::normalize(&cwd.join(name))),
            reported: true,
        });
    }
    (entries, warnings)
}

/// Indexes the workspace (the entries, then the configuration's standards and registries),
/// checks the reported entries in parallel, applies `[[ignore]]`, and sorts.
pub fn finish(
    engine: &Engine,
    entries: Vec<Entry>,
    cwd: &Path,
    mut warnings: Warnings,
) -> (RunReport, Warnings) {
    let lang = engine.lang;
    let limits = &engine.config.limits;
    let mut workspace = Workspace::default();
    for entry in &entries {
        match &entry.doc {
            Held::Whole(doc) => workspace.add(doc),
            Held::Again { identity, .. } => workspace.add_identity(identity),
        }
    }
    for doc in context_documents(engine, cwd, &mut warnings) {
        workspace.add(&doc);
    }
    // A `duplicate-id` label points at the first document with the id, so it is read again
    // if it was not kept; so are the others with the id, whose identity may have come from
    // the head of a file that does not load.
    let wanted = workspace.thin_duplicates();
    for entry in &entries {
        if let Held::Again { input, identity } = &entry.doc
            && wanted.contains(&identity.path)
        {
            workspace.replace(&read(input, limits, lang));
        }
    }
    let mut kinds: Vec<&str> = entries
        .iter()
        .filter(|e| e.reported)
        .filter_map(|e| e.doc.kind())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    engine.precompile(&kinds);
    let run = engine.prepare(workspace);
    let places: HashMap<String, PathBuf> = entries
        .iter()
        .filter_map(|e| Some((e.doc.path().to_owned(), e.path.clone()?)))
        .collect();
    let mut files: Vec<FileReport> = entries
        .into_par_iter()
        .filter(|entry| entry.reported)
        .filter_map(|entry| {
            let doc = entry.doc.into_document(limits, lang);
            let mut report = engine.check(doc, entry.origin, &run)?;
            if report.diagnostics.is_empty() {
                // Nothing to show from it: keep its name, not its text.
                report.source =
                    crate::diagnostic::SourceFile::new(report.source.path.clone(), String::new());
            }
            Some(report)
        })
        .collect();
    let root = discover::normalize(&engine.config.root);
    let relative = |file: &FileReport| {
        let path = places
            .get(file.source.path.as_str())
            .cloned()
            .unwrap_or_else(|| discover::normalize(&cwd.join(&file.source.path)));
        path.strip_prefix(&root).ok().map(Path::to_path_buf)
    };
    let today = Date::today();
    let about_config =
        suppress::apply_config(&mut files, &engine.config.ignores, relative, today, lang);
    if let (false, Some(source)) = (about_config.is_empty(), &engine.config.source) {
        let mut diagnostics = engine.apply_severities(about_config);
        for d in &mut diagnostics {
            d.fingerprint = crate::identity::fingerprint(&source.path, d, None);
        }
        let mut report = FileReport {
            source: source.clone(),
            diagnostics,
        };
        report.sort();
        files.push(report);
    }
    files.sort_by(|a, b| a.source.path.cmp(&b.source.path));
    (RunReport { files }, warnings)
}

/// The standards and registries that `vetlint.toml` adds to the workspace. They are context:
/// their own findings are not reported, but a file that cannot be loaded is a warning.
fn context_documents(engine: &Engine, cwd: &Path, warnings: &mut Warnings) -> Vec<Document> {
    let config = &engine.config;
    let lang = engine.lang;
    // `include`/`exclude` choose the files to check; the workspace paths are named on purpose.
    let unfiltered = config.without_filters();
    let mut out = Vec::new();
    for entry in config.standards.iter().chain(&config.registries) {
        let arg = discover::display_path(&entry.path, cwd);
        let found = discover::discover(&[arg.into()], cwd, &unfiltered);
        if found.inputs.is_empty() || !found.missing.is_empty() {
            warnings.push(match lang {
                Lang::En => format!(
                    "workspace path `{}` in vetlint.toml matches no document",
                    entry.text
                ),
                Lang::Zh => format!(
                    "vetlint.toml 中的工作区路径 `{}` 没有匹配到文档",
                    entry.text
                ),
            });
            continue;
        }
        for mut input in found.inputs {
            input.display = discover::relative_display(&input.path, cwd);
            let doc = read(&input, &config.limits, lang);
            if doc.value.is_none() {
                let why = doc
                    .diagnostics
                    .first()
                    .map(|d| d.message.clone())
                    .unwrap_or_default();
                warnings.push(match lang {
                    Lang::En => format!(
                        "workspace document {} could not be loaded: {why}",
                        input.display
                    ),
                    Lang::Zh => format!("工作区文档 {} 无法加载：{why}", input.display),
                });
                continue;
            }
            out.push(doc);
        }
    }
    out
}

/// Reads and loads one input within the configured limits. A file larger than the limit is
/// not read; anything that is not a regular file (a FIFO, a socket, a device) is not opened,
/// since reading it could block forever; an unreadable file becomes an `io-error` document.
pub fn read(input: &Input, limits: &Limits, lang: Lang) -> Document {
    match read_bytes(input, limits, lang) {
        Ok(bytes) => load::load_with(
            input.display.clone(),
            &bytes,
            Format::from_path(&input.path),
            lang,
            limits,
        ),
        Err(doc) => *doc,
    }
}

/// Reads one input for the workspace: past the budget, a file whose identity can be read
/// without building its value (and that others do not refer to) is kept as that identity.
fn read_held(input: &Input, limits: &Limits, lang: Lang, held: &AtomicU64, budget: u64) -> Held {
    let bytes = match read_bytes(input, limits, lang) {
        Ok(bytes) => bytes,
        Err(doc) => return Held::Whole(*doc),
    };
    let format = Format::from_path(&input.path);
    // Within the budget, a document is kept whole (it need not be read again).
    let size = bytes.len() as u64;
    if held.fetch_add(size, Ordering::Relaxed) + size <= budget {
        let doc = load::load_with(input.display.clone(), &bytes, format, lang, limits);
        return Held::Whole(doc);
    }
    // Most plans name their kind and id in their first lines; the rest of a JSON plan is
    // otherwise read without building its value.
    let identity = load::head_identity(&bytes, format, limits)
        .map(|(kind, id)| (Some(kind), Some(id)))
        .or_else(|| load::json_identity(&bytes, format, limits));
    if let Some((kind, id)) = identity
        && !kind.as_deref().is_some_and(crate::workspace::is_referenced)
    {
        return Held::Again {
            input: input.clone(),
            identity: Identity {
                kind,
                id,
                path: input.display.clone(),
            },
        };
    }
    let doc = load::load_with(input.display.clone(), &bytes, format, lang, limits);
    Held::of(doc, input)
}

/// The bytes of one input, or the document that says why there are none.
fn read_bytes(input: &Input, limits: &Limits, lang: Lang) -> Result<Vec<u8>, Box<Document>> {
    let display = input.display.clone();
    let metadata = match std::fs::metadata(&input.path) {
        Ok(metadata) => metadata,
        Err(e) => return Err(Box::new(io_error_document(display, &e, lang, false))),
    };
    if metadata.is_dir() {
        let e = std::io::Error::from(std::io::ErrorKind::IsADirectory);
        return Err(Box::new(io_error_document(display, &e, lang, false)));
    }
    if !metadata.is_file() {
        let e = std::io::Error::other(lang.pick(
            "不是普通文件（管道、套接字或设备）",
            "not a regular file (a pipe, socket or device)",
        ));
        return Err(Box::new(io_error_document(display, &e, lang, false)));
    }
    if metadata.len() > limits.file_size {
        return Err(Box::new(load::too_large(
            display,
            metadata.len(),
            limits.file_size,
            lang,
        )));
    }
    // The file may grow between the two calls: never read more than one byte past the limit.
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    let read = std::fs::File::open(&input.path)
        .and_then(|file| file.take(limits.file_size + 1).read_to_end(&mut bytes));
    match read {
        Ok(_) => Ok(bytes),
        Err(e) => Err(Box::new(io_error_document(display, &e, lang, false))),
    }
}

/// The document of a path that could not be read: an `io-error` finding and nothing else.
/// `folder` says whether the path is a folder the walk could not enter.
fn io_error_document(path: String, error: &std::io::Error, lang: Lang, folder: bool) -> Document {
    use std::io::ErrorKind as K;
    let reason = match (error.kind(), lang) {
        (K::NotFound, Lang::En) => "no such file or directory".to_owned(),
        (K::NotFound, Lang::Zh) => "文件不存在".to_owned(),
        (K::PermissionDenied, Lang::En) => "permission denied".to_owned(),
        (K::PermissionDenied, Lang::Zh) => "没有读取权限".to_owned(),
        (K::IsADirectory, Lang::En) => "is a directory".to_owned(),
        (K::IsADirectory, Lang::Zh) => "这是一个目录".to_owned(),
        // ELOOP: `ErrorKind::FilesystemLoop` is not stable yet.
        (_, Lang::En) if error.raw_os_error() == Some(40) => {
            "its symbolic links form a loop".to_owned()
        }
        (_, Lang::Zh) if error.raw_os_error() == Some(40) => "符号链接形成了循环".to_owned(),
        (_, _) => error.to_string(),
    };
    let message = match (lang, folder) {
        (Lang::En, false) => format!("cannot read the file: {reason}"),
        (Lang::Zh, false) => format!("无法读取文件：{reason}"),
        (Lang::En, true) => {
            format!("cannot read the folder, so its documents were not checked: {reason}")
        }
        (Lang::Zh, true) => format!("无法读取文件夹，其中的文档未被检查：{reason}"),
    };
    Document::unread(path, Diagnostic::new(names::IO_ERROR, 0..0, message))
}
