//! End-to-end tests of `vetlint lsp`: the real binary, spoken to over stdio by a small
//! JSON-RPC client, on a copy of the example workspace.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vetlint::position::{Encoding, LineIndex};

const WAIT: Duration = Duration::from_secs(60);

/// A language client: writes framed requests, collects what the server sends.
struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    /// Notifications received while waiting for something else.
    backlog: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start(root: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vetlint"))
            .args(["lsp", "--lang", "en"])
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vetlint lsp");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, incoming) = channel();
        std::thread::spawn(move || {
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                if stdout.read_exact(&mut body).is_err() {
                    return;
                }
                let value: Value = serde_json::from_slice(&body).expect("server sends JSON");
                if sender.send(value).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            stdin,
            incoming,
            backlog: Vec::new(),
            next_id: 1,
        }
    }

    fn send_raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, message: &Value) {
        self.send_raw(&message.to_string());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.response(&json!(id))
    }

    /// The response with `id`; notifications meanwhile go to the backlog.
    fn response(&mut self, id: &Value) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let message = self.next(deadline).expect("a response before the deadline");
            if message.get("id") == Some(id) && message.get("method").is_none() {
                return message;
            }
            self.backlog.push(message);
        }
    }

    fn next(&mut self, deadline: Instant) -> Option<Value> {
        self.incoming
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .ok()
    }

    /// The next diagnostics published for `uri` that satisfy `ok`.
    fn diagnostics(&mut self, uri: &str, ok: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + WAIT;
        let mut last = None;
        loop {
            let message = if self.backlog.is_empty() {
                self.next(deadline)
            } else {
                Some(self.backlog.remove(0))
            };
            let Some(message) = message else {
                panic!("no matching diagnostics for {uri}; last: {last:#?}");
            };
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                let list = message["params"]["diagnostics"].as_array().unwrap().clone();
                if ok(&list) {
                    return list;
                }
                last = Some(list);
            }
        }
    }

    fn initialize(&mut self, root: &Path, encodings: &[&str]) -> Value {
        let response = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "workspaceFolders": [{ "uri": uri(root), "name": "w" }],
                "capabilities": { "general": { "positionEncodings": encodings } },
            }),
        );
        self.notify("initialized", json!({}));
        response
    }

    fn open(&mut self, path: &Path) -> String {
        let text = std::fs::read_to_string(path).unwrap();
        let uri = uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": {
                "uri": uri, "languageId": "yaml", "version": 1, "text": text,
            }}),
        );
        uri
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "text": text }],
            }),
        );
    }

    /// `shutdown` then `exit`; the exit code.
    fn stop(mut self) -> i32 {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null, "{response}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn uri(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::from("file://");
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A copy of the example workspace (standards, registry, plans, report) in a folder.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("工作区");
    for sub in ["standards", "registries", "plans", "reports"] {
        let from = common::root().join("fixtures/examples").join(sub);
        std::fs::create_dir_all(root.join(sub)).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), root.join(sub).join(entry.file_name())).unwrap();
        }
    }
    (dir, root)
}

const PLAN: &str = "plans/wxit-570201-2021.yaml";

/// (rule, severity, message, range) of the CLI's JSON findings for `file`, with ranges in
/// `encoding`, sorted.
fn cli_findings(root: &Path, file: &str, encoding: Encoding) -> Vec<(String, u64, String, Value)> {
    let (_, out, _) = common::run(common::vetlint(root).args(["check", "--format", "json"]));
    let json: Value = serde_json::from_str(&out).unwrap();
    let text = std::fs::read_to_string(root.join(file)).unwrap();
    let index = LineIndex::new(&text);
    let pos = |offset: u64| {
        let p = index.position(&text, offset as usize, encoding);
        json!({ "line": p.line, "character": p.character })
    };
    let mut out: Vec<_> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["path"] == file)
        .map(|d| {
            let severity = match d["severity"].as_str().unwrap() {
                "error" => 1,
                "warning" => 2,
                _ => 3,
            };
            (
                d["rule"].as_str().unwrap().to_owned(),
                severity,
                d["message"].as_str().unwrap().to_owned(),
                json!({
                    "start": pos(d["span"]["start"]["offset"].as_u64().unwrap()),
                    "end": pos(d["span"]["end"]["offset"].as_u64().unwrap()),
                }),
            )
        })
        .collect();
    out.sort_by(|a, b| a.2.cmp(&b.2));
    out
}

fn lsp_findings(list: &[Value]) -> Vec<(String, u64, String, Value)> {
    let mut out: Vec<_> = list
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["severity"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
                d["range"].clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.2.cmp(&b.2));
    out
}

#[test]
fn diagnostics_equal_the_cli_in_utf16_and_utf8() {
    let (_dir, root) = workspace();
    for (offered, encoding, name) in [
        (vec![], Encoding::Utf16, "utf-16"),
        (vec!["utf-8", "utf-16"], Encoding::Utf8, "utf-8"),
        (vec!["utf-32"], Encoding::Utf32, "utf-32"),
    ] {
        let mut client = Client::start(&root);
        let init = client.initialize(&root, &offered);
        assert_eq!(init["result"]["capabilities"]["positionEncoding"], name);
        let plan = client.open(&root.join(PLAN));
        let list = client.diagnostics(&plan, |d| !d.is_empty());
        assert_eq!(
            lsp_findings(&list),
            cli_findings(&root, PLAN, encoding),
            "{name}"
        );
        // The level 特级 on line 229: after Chinese text, columns differ by encoding.
        let level = list
            .iter()
            .find(|d| d["message"].as_str().unwrap().contains("特级"))
            .unwrap();
        let expected = match encoding {
            Encoding::Utf8 => (15, 21),
            Encoding::Utf16 | Encoding::Utf32 => (15, 17),
        };
        assert_eq!(
            (
                level["range"]["start"]["character"].as_u64().unwrap(),
                level["range"]["end"]["character"].as_u64().unwrap()
            ),
            expected,
            "{name}"
        );
        // After Chinese text and a 4-byte character on the same line.
        let report_path = root.join("reports/emoji.yaml");
        std::fs::write(
            &report_path,
            "{kind: pilot-report, id: 锚😀, standard: VETS, level: 特级, trained: 104, examined: 43, passed: 31, pass_rate: 72.1}\n",
        )
        .unwrap();
        let report = client.open(&report_path);
        let list = client.diagnostics(&report, |d| !d.is_empty());
        let level = list.iter().find(|d| d["code"] == "schema-enum").unwrap();
        let start = &level["range"]["start"];
        let column = match encoding {
            Encoding::Utf8 => 57,
            Encoding::Utf16 => 53,
            Encoding::Utf32 => 52,
        };
        assert_eq!(start, &json!({ "line": 0, "character": column }), "{name}");
        std::fs::remove_file(&report_path).unwrap();
        assert_eq!(client.stop(), 0, "a clean shutdown exits with 0");
    }
}

#[test]
fn edits_update_diagnostics_and_a_standard_edit_rechecks_the_plan() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root);
    client.initialize(&root, &[]);
    let plan_path = root.join(PLAN);
    let plan = client.open(&plan_path);
    let first = client.diagnostics(&plan, |d| !d.is_empty());
    let codes: Vec<&str> = first.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(
        codes.contains(&"task-coverage") && codes.contains(&"credit-cap"),
        "{codes:?}"
    );
    let coverage = first.iter().find(|d| d["code"] == "task-coverage").unwrap();
    assert!(
        coverage["message"]
            .as_str()
            .unwrap()
            .contains("2.2 技术资料")
    );
    // The cross-document label points into the standard.
    let related = coverage["relatedInformation"].as_array().unwrap();
    assert!(related.iter().any(|r| {
        r["location"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("standards/vets.yaml")
    }));
    assert!(
        coverage["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/rules/task-coverage")
    );

    // Fix the level 特级 in the buffer (unsaved): that finding goes.
    let text = std::fs::read_to_string(&plan_path).unwrap();
    client.change(&plan, 2, &text.replace("level: 特级", "level: 高级"));
    let second = client.diagnostics(&plan, |d| {
        !d.iter()
            .any(|d| d["message"].as_str().unwrap().contains("特级"))
    });
    let codes2: Vec<&str> = second.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(
        second.len(),
        first.len() - 1,
        "{codes:?} then {codes2:?} {second:#?}"
    );

    // Rename the uncovered task in the standard's buffer: the plan's coverage finding follows.
    let standard_path = root.join("standards/vets.yaml");
    let standard = client.open(&standard_path);
    let standard_text = std::fs::read_to_string(&standard_path).unwrap();
    assert!(standard_text.contains("技术资料"));
    client.change(&standard, 2, &standard_text.replace("技术资料", "技术文档"));
    let third = client.diagnostics(&plan, |d| {
        d.iter().any(|d| {
            d["code"] == "task-coverage" && d["message"].as_str().unwrap().contains("2.2 技术文档")
        })
    });
    assert_eq!(third.len(), second.len());
    assert_eq!(client.stop(), 0);
}

#[test]
fn hover_shows_schema_descriptions_and_rule_docs() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root);
    client.initialize(&root, &[]);
    let report_path = root.join("reports/wxit-vets-2021.yaml");
    let text = std::fs::read_to_string(&report_path).unwrap();
    let with_comment = text.replacen(
        "passed:",
        "# vetlint: ignore[schema-range] 历史数据\npassed:",
        1,
    );
    std::fs::write(&report_path, &with_comment).unwrap();
    let report = client.open(&report_path);
    client.diagnostics(&report, |_| true);
    let index = LineIndex::new(&with_comment);
    let at = |needle: &str| {
        let offset = with_comment.find(needle).unwrap() + 2;
        let p = index.position(&with_comment, offset, Encoding::Utf16);
        json!({ "line": p.line, "character": p.character })
    };
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": report }, "position": at("examined") }),
    );
    let value = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("考") && value.contains("xamin"),
        "Chinese and English: {value}"
    );
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": report }, "position": at("schema-range") }),
    );
    let value = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.starts_with("# schema-range"), "{value}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn code_actions_offer_the_fix_and_a_suppression() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root);
    client.initialize(&root, &[]);
    let plan = client.open(&root.join(PLAN));
    let list = client.diagnostics(&plan, |d| !d.is_empty());
    let unknown = list
        .iter()
        .find(|d| d["code"] == "schema-additional-properties")
        .unwrap()
        .clone();
    let response = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": plan },
            "range": unknown["range"],
            "context": { "diagnostics": [unknown] },
        }),
    );
    let actions = response["result"].as_array().unwrap();
    let fix = actions.iter().find(|a| a["isPreferred"] == true).unwrap();
    let edit = &fix["edit"]["changes"][&plan][0];
    assert_eq!(edit["newText"], "practical_hours");
    assert_eq!(edit["range"], unknown["range"]);
    let suppress = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Suppress"))
        .unwrap();
    let text = suppress["edit"]["changes"][&plan][0]["newText"]
        .as_str()
        .unwrap();
    assert!(
        text.starts_with("    # vetlint: ignore[schema-additional-properties] "),
        "{text:?}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn garbage_unknown_methods_and_a_bad_configuration_do_not_stop_the_server() {
    let (_dir, root) = workspace();
    std::fs::write(root.join("vetlint.toml"), "includ = [\"*.yaml\"]\n").unwrap();
    let mut client = Client::start(&root);
    client.initialize(&root, &[]);
    // The configuration error is a diagnostic on vetlint.toml.
    let config = uri(&root.join("vetlint.toml"));
    let list = client.diagnostics(&config, |d| !d.is_empty());
    assert_eq!(list[0]["code"], "config-error");
    assert_eq!(
        list[0]["range"]["start"],
        json!({ "line": 0, "character": 0 })
    );
    // Not JSON, and a method nobody knows: errors, not a crash.
    client.send_raw("{this is not json");
    let deadline = Instant::now() + WAIT;
    let parse = loop {
        let m = client.next(deadline).expect("a parse error response");
        if m.get("error").is_some() {
            break m;
        }
    };
    assert_eq!(parse["error"]["code"], -32700);
    let unknown = client.request("vetlint/noSuchMethod", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    // Fix the configuration and save: the plan is checked again.
    std::fs::remove_file(root.join("vetlint.toml")).unwrap();
    let plan = client.open(&root.join(PLAN));
    client.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": config } }),
    );
    let list = client.diagnostics(&plan, |d| !d.is_empty());
    assert!(list.iter().any(|d| d["code"] == "credit-cap"));
    client.diagnostics(&config, <[Value]>::is_empty);
    assert_eq!(client.stop(), 0);
}

#[test]
fn other_yaml_files_get_no_findings() {
    let (_dir, root) = workspace();
    let workflow = root.join(".github/workflows/ci.yml");
    std::fs::create_dir_all(workflow.parent().unwrap()).unwrap();
    std::fs::write(&workflow, "on: push\njobs: {}\n").unwrap();
    let mut client = Client::start(&root);
    client.initialize(&root, &[]);
    let uri = client.open(&workflow);
    let list = client.diagnostics(&uri, |_| true);
    assert!(list.is_empty(), "{list:#?}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_bad_rule_file_is_a_diagnostic_on_that_file() {
    let (_dir, root) = workspace();
    std::fs::create_dir_all(root.join("school-rules")).unwrap();
    std::fs::write(
        root.join("vetlint.toml"),
        "rule-dirs = [\"school-rules\"]\n",
    )
    .unwrap();
    let rule = root.join("school-rules/pass-rate.yaml");
    std::fs::write(
        &rule,
        "name: pass-rate\ngroup: school\nseverity: warning\nsummary: {zh: 通过率, en: pass rate}\ndocs: {zh: 说明, en: docs}\nkind: pilot-report\nassert: self.passed <=\nmessage: {zh: 错, en: wrong}\n",
    )
    .unwrap();
    let mut client = Client::start(&root);
    client.initialize(&root, &[]);
    let list = client.diagnostics(&uri(&rule), |d| !d.is_empty());
    assert_eq!(list[0]["code"], "config-error");
    assert_eq!(list[0]["range"]["start"]["line"], 6, "{list:#?}");
    // The server still answers.
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri(&rule) }, "position": { "line": 0, "character": 0 } }),
    );
    assert!(hover.get("result").is_some(), "{hover}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn exit_without_shutdown_is_exit_code_1() {
    let (_dir, root) = workspace();
    let mut client = Client::start(&root);
    client.initialize(&root, &[]);
    client.notify("exit", Value::Null);
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = client.child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(1));
            break;
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
}
