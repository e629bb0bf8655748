//! One check run: read the inputs, load them in parallel, index the workspace (with the
//! configuration's standards and registries), check every document in parallel, sort.

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use crate::check::{Engine, Origin};
use crate::diagnostic::{Diagnostic, FileReport, SourceFile};
use crate::discover::{self, Input};
use crate::lang::Lang;
use crate::load::{self, Document, Format};
use crate::render::RunReport;
use crate::rules::names;
use crate::workspace::Workspace;

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Files, directories and globs (an empty list: the working directory).
    pub paths: Vec<String>,
    /// Read one document from stdin, under this name.
    pub stdin: Option<String>,
}

/// Warnings about the run itself (printed on stderr, never fail it).
pub type Warnings = Vec<String>;

/// Runs a check in `cwd`; the thread pool is the caller's.
pub fn check(engine: &Engine, request: &Request, cwd: &Path) -> (RunReport, Warnings) {
    let lang = engine.lang;
    let mut warnings = Warnings::new();
    let discovery = if request.paths.is_empty() && request.stdin.is_some() {
        discover::Discovery::default()
    } else {
        discover::discover(&request.paths, cwd, &engine.config)
    };
    for missing in discovery.missing.iter().filter(|m| m.glob) {
        warnings.push(match lang {
            Lang::En => format!("`{}` matched no file", missing.arg),
            Lang::Zh => format!("`{}` 没有匹配到任何文件", missing.arg),
        });
    }
    let mut docs: Vec<(Document, Origin)> = discovery
        .inputs
        .par_iter()
        .map(|input| (read(input, lang), input.origin))
        .collect();
    if let Some(name) = &request.stdin {
        let format = Format::from_path(Path::new(name));
        let mut bytes = Vec::new();
        let doc = match std::io::stdin().lock().read_to_end(&mut bytes) {
            Ok(_) => load::load(name.clone(), &bytes, format, lang),
            Err(e) => io_error_document(name.clone(), &e, lang),
        };
        docs.push((doc, Origin::Explicit));
    }
    let mut workspace = Workspace::default();
    for (doc, _) in &docs {
        workspace.add(doc);
    }
    for doc in context_documents(engine, cwd, &mut warnings) {
        workspace.add(&doc);
    }
    let run = engine.prepare(workspace);
    let mut files: Vec<FileReport> = docs
        .into_par_iter()
        .filter_map(|(doc, origin)| engine.check(doc, origin, &run))
        .collect();
    files.sort_by(|a, b| a.source.path.cmp(&b.source.path));
    (RunReport { files }, warnings)
}

/// The standards and registries that `vetlint.toml` adds to the workspace. They are context:
/// their own findings are not reported, but a file that cannot be loaded is a warning.
fn context_documents(engine: &Engine, cwd: &Path, warnings: &mut Warnings) -> Vec<Document> {
    let config = &engine.config;
    let lang = engine.lang;
    let mut out = Vec::new();
    for entry in config.standards.iter().chain(&config.registries) {
        let arg = discover::display_path(&entry.path, cwd);
        let found = discover::discover(std::slice::from_ref(&arg), cwd, config);
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
            let doc = read(&input, lang);
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

/// Reads and loads one input; an unreadable file becomes an `io-error` document.
pub fn read(input: &Input, lang: Lang) -> Document {
    let format = Format::from_path(&input.path);
    match std::fs::read(&input.path) {
        Ok(bytes) => load::load(input.display.clone(), &bytes, format, lang),
        Err(e) => io_error_document(input.display.clone(), &e, lang),
    }
}

fn io_error_document(path: String, error: &std::io::Error, lang: Lang) -> Document {
    use std::io::ErrorKind as K;
    let reason = match (error.kind(), lang) {
        (K::NotFound, Lang::En) => "no such file or directory".to_owned(),
        (K::NotFound, Lang::Zh) => "文件不存在".to_owned(),
        (K::PermissionDenied, Lang::En) => "permission denied".to_owned(),
        (K::PermissionDenied, Lang::Zh) => "没有读取权限".to_owned(),
        (K::IsADirectory, Lang::En) => "is a directory".to_owned(),
        (K::IsADirectory, Lang::Zh) => "这是一个目录".to_owned(),
        (_, _) => error.to_string(),
    };
    let message = match lang {
        Lang::En => format!("cannot read the file: {reason}"),
        Lang::Zh => format!("无法读取文件：{reason}"),
    };
    Document {
        source: SourceFile::new(path, String::new()),
        format: Format::Yaml,
        value: None,
        spans: Default::default(),
        diagnostics: vec![Diagnostic::new(names::IO_ERROR, 0..0, message)],
    }
}
