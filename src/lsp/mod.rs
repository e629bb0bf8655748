//! `vetlint lsp`: a Language Server Protocol server on stdin/stdout. It runs the CLI's engine
//! and configuration on the workspace folder, with open buffers in place of the files on disk,
//! and publishes each open document's findings on open, on change (debounced) and on save. A
//! bad `vetlint.toml` or rule file is a diagnostic on that file; the server keeps running.

mod convert;
mod features;
mod io;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{Value, json};

use crate::check::{Engine, Origin};
use crate::diagnostic::FileReport;
use crate::discover;
use crate::error::Error;
use crate::lang::Lang;
use crate::load::{self, Format};
use crate::position::Encoding;
use crate::run::{self, Entry};
use crate::setup::{self, ConfigSource};
use io::Incoming;

/// How long typing must pause before a re-check.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// Runs the server until the client says `exit`; the result is the process's exit code
/// (0 after `shutdown`, 1 otherwise, as the protocol asks).
pub fn serve(lang: Lang) -> u8 {
    let incoming = io::reader(std::io::BufReader::new(std::io::stdin()));
    let mut out = std::io::stdout();
    Server::start(incoming, &mut out, lang)
}

/// An open buffer.
#[derive(Debug)]
struct Open {
    uri: String,
    text: String,
}

struct Server<'o, W: Write> {
    out: &'o mut W,
    lang: Lang,
    encoding: Encoding,
    root: PathBuf,
    engine: Option<Engine>,
    open: BTreeMap<PathBuf, Open>,
    /// URIs that have diagnostics on the client, to clear when they are gone.
    published: BTreeSet<String>,
    /// When to re-check, if something changed.
    due: Option<Instant>,
    shutdown: bool,
}

impl<'o, W: Write> Server<'o, W> {
    fn start(incoming: Receiver<Incoming>, out: &'o mut W, lang: Lang) -> u8 {
        // Everything before `initialize` but `exit` is an error, per the protocol.
        let (id, params) = loop {
            match incoming.recv() {
                Err(_) => return 1,
                Ok(Incoming::Message(Message::Request(r))) if r.method == "initialize" => {
                    break (r.id, r.params);
                }
                Ok(Incoming::Message(Message::Notification(n))) if n.method == "exit" => {
                    return 1;
                }
                Ok(Incoming::Message(Message::Request(r))) => {
                    io::write(out, &error(&r.id, -32002, "the server is not initialized"));
                }
                Ok(Incoming::Malformed(why)) => io::write(out, &parse_error(&why)),
                Ok(_) => {}
            }
        };
        let encoding = negotiate(&params);
        let root = root_of(&params);
        let mut server = Server {
            out,
            lang,
            encoding,
            root,
            engine: None,
            open: BTreeMap::new(),
            published: BTreeSet::new(),
            due: None,
            shutdown: false,
        };
        let result = json!({
            "capabilities": {
                "positionEncoding": match encoding {
                    Encoding::Utf8 => "utf-8",
                    Encoding::Utf16 => "utf-16",
                    Encoding::Utf32 => "utf-32",
                },
                "textDocumentSync": { "openClose": true, "change": 1, "save": { "includeText": false } },
                "hoverProvider": true,
                "codeActionProvider": { "codeActionKinds": ["quickfix"] },
            },
            "serverInfo": { "name": "vetlint", "version": env!("CARGO_PKG_VERSION") },
        });
        server.send(&json!({ "jsonrpc": "2.0", "id": id, "result": result }));
        server.load_engine();
        server.run(&incoming)
    }

    fn run(&mut self, incoming: &Receiver<Incoming>) -> u8 {
        loop {
            let next = match self.due {
                Some(due) => incoming.recv_timeout(due.saturating_duration_since(Instant::now())),
                None => incoming.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match next {
                Ok(Incoming::Message(Message::Request(request))) => self.request(request),
                Ok(Incoming::Message(Message::Notification(n))) => {
                    if n.method == "exit" {
                        return if self.shutdown { 0 } else { 1 };
                    }
                    self.notification(n);
                }
                Ok(Incoming::Message(Message::Response(_))) => {}
                Ok(Incoming::Malformed(why)) => {
                    let message = parse_error(&why);
                    self.send(&message);
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.due = None;
                    self.publish();
                }
                Err(RecvTimeoutError::Disconnected) => return 1,
            }
        }
    }

    fn send(&mut self, message: &Value) {
        io::write(self.out, message);
    }

    fn request(&mut self, request: Request) {
        let Request { id, method, params } = request;
        if self.shutdown && method != "shutdown" {
            self.send(&error(&id, -32600, "the server is shutting down"));
            return;
        }
        let result = match method.as_str() {
            "shutdown" => {
                self.shutdown = true;
                Ok(Value::Null)
            }
            "textDocument/hover" => Ok(features::hover(self, &params)),
            "textDocument/codeAction" => Ok(features::code_actions(self, &params)),
            other => Err(format!("unknown method `{other}`")),
        };
        let message = match result {
            Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
            Err(why) => error(&id, -32601, &why),
        };
        self.send(&message);
    }

    fn notification(&mut self, n: Notification) {
        let params = &n.params;
        let uri = params
            .pointer("/textDocument/uri")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(path) = convert::path(&uri) else {
            return;
        };
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let text = params
                    .pointer("/textDocument/text")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                self.open.insert(
                    path,
                    Open {
                        uri,
                        text: text.to_owned(),
                    },
                );
                self.due = Some(Instant::now());
            }
            "textDocument/didChange" => {
                // Full synchronisation: the last change holds the whole text.
                let text = params
                    .get("contentChanges")
                    .and_then(Value::as_array)
                    .and_then(|c| c.last())
                    .and_then(|c| c.get("text"))
                    .and_then(Value::as_str);
                if let (Some(open), Some(text)) = (self.open.get_mut(&path), text) {
                    open.text = text.to_owned();
                    self.due = Some(Instant::now() + DEBOUNCE);
                }
            }
            "textDocument/didSave" => {
                if is_configuration(&path) || self.engine.is_none() {
                    self.load_engine();
                }
                self.due = Some(Instant::now());
            }
            "textDocument/didClose" => {
                self.open.remove(&path);
                self.due = Some(Instant::now());
            }
            _ => {}
        }
    }

    /// (Re)builds the engine from the workspace's `vetlint.toml`; a configuration error is
    /// published on the file that has it.
    fn load_engine(&mut self) {
        match setup::engine(&self.root, &ConfigSource::Discover, self.lang) {
            Ok(engine) => self.engine = Some(engine),
            Err(Error::Config(reports)) => {
                self.engine = None;
                self.publish_reports(&reports, true);
            }
            Err(other) => {
                self.engine = None;
                let message = json!({
                    "jsonrpc": "2.0",
                    "method": "window/showMessage",
                    "params": { "type": 1, "message": format!("vetlint: {other}") },
                });
                self.send(&message);
            }
        }
    }

    /// Checks the workspace with the open buffers and publishes every open document's
    /// findings (and clears what is gone).
    fn publish(&mut self) {
        let Some(reports) = self.check() else {
            return;
        };
        self.publish_reports(&reports, false);
    }

    fn publish_reports(&mut self, reports: &[FileReport], configuration: bool) {
        let mut now = BTreeMap::new();
        for report in reports {
            let uri = convert::uri(&self.root.join(&report.source.path));
            now.insert(uri, convert::diagnostics(report, &self.root, self.encoding));
        }
        if !configuration {
            for open in self.open.values() {
                now.entry(open.uri.clone()).or_default();
            }
        }
        for uri in std::mem::take(&mut self.published) {
            now.entry(uri).or_default();
        }
        for (uri, diagnostics) in now {
            if !diagnostics.is_empty() {
                self.published.insert(uri.clone());
            }
            let message = json!({
                "jsonrpc": "2.0",
                "method": "textDocument/publishDiagnostics",
                "params": { "uri": uri, "diagnostics": diagnostics },
            });
            self.send(&message);
        }
    }

    /// The reports of the open documents (and of `vetlint.toml`), checked against the whole
    /// workspace: every document under the root, open buffers winning over files.
    fn check(&self) -> Option<Vec<FileReport>> {
        let engine = self.engine.as_ref()?;
        let lang = self.lang;
        let limits = &engine.config.limits;
        let discovery = discover::discover(&[], &self.root, &engine.config);
        let mut seen = BTreeSet::new();
        let mut entries = Vec::new();
        for input in &discovery.inputs {
            let path = discover::normalize(&self.root.join(&input.path));
            let open = self.open.get(&path);
            let doc = match open {
                Some(open) => self.load(input.display.clone(), &path, &open.text, engine),
                None => run::read(input, limits, lang),
            };
            seen.insert(path.clone());
            entries.push(Entry {
                doc: run::Held::Whole(doc),
                origin: input.origin,
                reported: open.is_some(),
                path: Some(path),
            });
        }
        // Open documents the walk does not reach (outside the root, hidden or excluded):
        // checked like walked files, so that an editor's other YAML and JSON files (a CI
        // workflow, say) get no `unknown-kind`.
        for (path, open) in &self.open {
            if seen.contains(path) || Format::from_path(path).is_none() {
                continue;
            }
            let display = discover::display_path(path, &self.root);
            entries.push(Entry {
                doc: run::Held::Whole(self.load(display, path, &open.text, engine)),
                origin: Origin::Walked,
                reported: true,
                path: Some(path.clone()),
            });
        }
        let (report, _) = run::finish(engine, entries, &self.root, Vec::new());
        Some(report.files)
    }

    fn load(&self, display: String, path: &Path, text: &str, engine: &Engine) -> load::Document {
        load::load_with(
            display,
            text.as_bytes(),
            Format::from_path(path),
            self.lang,
            &engine.config.limits,
        )
    }
}

/// Whether a saved file can change the engine (`vetlint.toml`, a rule file).
fn is_configuration(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == crate::config::FILE_NAME)
        || path.components().any(|c| c.as_os_str() == "rules")
}

/// The position encoding: the client's first choice among those vetlint speaks, UTF-16 when
/// it offers none.
fn negotiate(params: &Value) -> Encoding {
    let offered = params
        .pointer("/capabilities/general/positionEncodings")
        .and_then(Value::as_array);
    for kind in offered.into_iter().flatten().filter_map(Value::as_str) {
        match kind {
            "utf-8" => return Encoding::Utf8,
            "utf-16" => return Encoding::Utf16,
            "utf-32" => return Encoding::Utf32,
            _ => {}
        }
    }
    Encoding::Utf16
}

/// The workspace folder: the first of `workspaceFolders`, else `rootUri`, else the working
/// directory.
fn root_of(params: &Value) -> PathBuf {
    let uri = params
        .pointer("/workspaceFolders/0/uri")
        .or_else(|| params.get("rootUri"))
        .and_then(Value::as_str);
    uri.and_then(convert::path)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default()
}

fn error(id: &RequestId, code: i32, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

fn parse_error(why: &str) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": -32700, "message": format!("not a JSON-RPC message: {why}") },
    })
}
