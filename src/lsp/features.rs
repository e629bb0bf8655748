//! Requests about one place of an open document: hover (a rule's docs on its name in a
//! suppression comment, the schema's Chinese and English description on a key) and code
//! actions (a suppression comment with a reason to fill in, and a finding's fix).

use std::io::Write;
use std::sync::Arc;

use serde_json::{Value, json};

use super::{Server, convert};
use crate::diagnostic::{FileReport, SourceFile};
use crate::lang::Lang;
use crate::load::{Document, Format};

/// The open (or saved) document a request is about, loaded.
fn document<W: Write>(server: &Server<'_, W>, params: &Value) -> Option<(String, Document)> {
    let uri = params.pointer("/textDocument/uri")?.as_str()?.to_owned();
    let path = convert::path(&uri)?;
    let engine = server.engine.as_ref()?;
    let text = match server.open.get(&path) {
        Some(open) => open.text.clone(),
        None => std::fs::read_to_string(&path).ok()?,
    };
    let display = crate::discover::display_path(&path, &server.root);
    Some((uri, server.load(display, &path, &text, engine)))
}

/// `textDocument/hover`.
pub(super) fn hover<W: Write>(server: &Server<'_, W>, params: &Value) -> Value {
    let Some((_, doc)) = document(server, params) else {
        return Value::Null;
    };
    let Some(engine) = server.engine.as_ref() else {
        return Value::Null;
    };
    let source = &doc.source;
    let Some(offset) = params
        .get("position")
        .and_then(|p| convert::offset(source, p, server.encoding))
    else {
        return Value::Null;
    };
    // A rule name inside `# vetlint: ignore[…]`.
    if doc.format == Format::Yaml {
        for comment in crate::suppress::comments(&source.text) {
            for (name, span) in &comment.rules {
                if span.start <= offset && offset <= span.end {
                    let Some(meta) = engine.rules.get(name) else {
                        continue;
                    };
                    let text = crate::cli::info::explain(meta, server.lang);
                    return markdown(&text, source, span, server);
                }
            }
        }
    }
    // A key: the schema's title and description of its value.
    let (Some(kind), Some(_)) = (doc.kind(), doc.value.as_ref()) else {
        return Value::Null;
    };
    let key = doc
        .spans
        .iter()
        .filter_map(|(pointer, node)| {
            let key = node.key.as_ref()?;
            (key.start <= offset && offset <= key.end).then_some((pointer, key.clone()))
        })
        .min_by_key(|(_, key)| key.len());
    let Some((pointer, span)) = key else {
        return Value::Null;
    };
    let Some(sub) = engine.schemas.subschema(kind, pointer) else {
        return Value::Null;
    };
    let mut text = String::new();
    if let Some(title) = sub.title() {
        text.push_str(&format!("**{title}**\n\n"));
    }
    if let Some(description) = sub.description() {
        text.push_str(description);
        text.push_str("\n\n");
    }
    if text.is_empty() {
        return Value::Null;
    }
    text.push_str(&format!("`{pointer}`"));
    markdown(&text, source, &span, server)
}

fn markdown<W: Write>(
    text: &str,
    source: &SourceFile,
    span: &std::ops::Range<usize>,
    server: &Server<'_, W>,
) -> Value {
    json!({
        "contents": { "kind": "markdown", "value": text },
        "range": convert::range(source, span, server.encoding),
    })
}

/// `textDocument/codeAction`: for each vetlint diagnostic in the request's context, a
/// suppression comment (YAML) and the finding's fix, when it has one.
pub(super) fn code_actions<W: Write>(server: &Server<'_, W>, params: &Value) -> Value {
    let Some((uri, doc)) = document(server, params) else {
        return json!([]);
    };
    let source = doc.source.clone();
    let wanted: Vec<&Value> = params
        .pointer("/context/diagnostics")
        .and_then(Value::as_array)
        .map(|d| d.iter().filter(|d| d["source"] == "vetlint").collect())
        .unwrap_or_default();
    let report = server.check().unwrap_or_default();
    let findings: Vec<&crate::diagnostic::Diagnostic> = report
        .iter()
        .filter(|r| r.source.path == source.path)
        .flat_map(|r: &FileReport| &r.diagnostics)
        .collect();
    let mut actions = Vec::new();
    for requested in wanted {
        let Some(rule) = requested["code"].as_str() else {
            continue;
        };
        let start = convert::offset(&source, &requested["range"]["start"], server.encoding);
        let Some(finding) = findings.iter().find(|d| {
            d.rule == rule && Some(d.span.start) == start.map(|s| source.clamp(&(s..s)).start)
        }) else {
            continue;
        };
        if let Some(fix) = &finding.fix {
            let title = match server.lang {
                Lang::En => format!("Replace with `{}`", fix.replacement),
                Lang::Zh => format!("改为 `{}`", fix.replacement),
            };
            actions.push(json!({
                "title": title,
                "kind": "quickfix",
                "diagnostics": [requested],
                "isPreferred": true,
                "edit": { "changes": { &uri: [{
                    "range": convert::range(&source, &fix.span, server.encoding),
                    "newText": fix.replacement,
                }]}},
            }));
        }
        if doc.format == Format::Yaml {
            actions.push(suppression(
                &uri,
                &source,
                finding.span.start,
                rule,
                requested,
                server,
            ));
        }
    }
    json!(actions)
}

/// Inserts `# vetlint: ignore[rule] …` above the finding's line, indented like it.
fn suppression<W: Write>(
    uri: &str,
    source: &Arc<SourceFile>,
    offset: usize,
    rule: &str,
    requested: &Value,
    server: &Server<'_, W>,
) -> Value {
    let line = source.lines().line_of(offset);
    let start = source.lines().line_start(line).unwrap_or(0);
    let indent: String = source.text[start..]
        .chars()
        .take_while(|c| *c == ' ')
        .collect();
    let reason = server.lang.pick("在此写明理由", "write the reason here");
    let (title, text) = match server.lang {
        Lang::En => (
            format!("Suppress `{rule}` on this line (with a reason)"),
            format!("{indent}# vetlint: ignore[{rule}] {reason}\n"),
        ),
        Lang::Zh => (
            format!("在此行忽略 `{rule}`（须写明理由）"),
            format!("{indent}# vetlint: ignore[{rule}] {reason}\n"),
        ),
    };
    json!({
        "title": title,
        "kind": "quickfix",
        "diagnostics": [requested],
        "edit": { "changes": { uri: [{
            "range": convert::range(source, &(start..start), server.encoding),
            "newText": text,
        }]}},
    })
}
