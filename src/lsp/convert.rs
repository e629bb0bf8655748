//! The CLI's findings in the Language Server Protocol's terms: ranges in the negotiated
//! encoding, severities, `code` with a link to the rule's docs, cross-document labels as
//! `relatedInformation`, and file paths as `file://` URIs.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, FileReport, Severity, SourceFile};
use crate::position::{Encoding, Utf16Pos};
use crate::rules::names;

/// Where the docs of a rule are published.
pub fn docs_url(rule: &str) -> String {
    format!(
        "{}/rules/{rule}",
        env!("CARGO_PKG_HOMEPAGE").trim_end_matches('/')
    )
}

/// An LSP range for a byte span of `source`.
pub fn range(source: &SourceFile, span: &std::ops::Range<usize>, encoding: Encoding) -> Value {
    let span = source.clamp(span);
    let start = source.lines().position(&source.text, span.start, encoding);
    let end = source.lines().position(&source.text, span.end, encoding);
    json!({
        "start": { "line": start.line, "character": start.character },
        "end": { "line": end.line, "character": end.character },
    })
}

/// The byte offset of an LSP position in `source`, if it exists.
pub fn offset(source: &SourceFile, position: &Value, encoding: Encoding) -> Option<usize> {
    let pos = Utf16Pos {
        line: u32::try_from(position.get("line")?.as_u64()?).ok()?,
        character: u32::try_from(position.get("character")?.as_u64()?).ok()?,
    };
    source
        .lines()
        .offset_of_position(&source.text, pos, encoding)
}

/// The LSP diagnostics of one file's report. `root` resolves the paths of other files.
pub fn diagnostics(report: &FileReport, root: &Path, encoding: Encoding) -> Vec<Value> {
    report
        .diagnostics
        .iter()
        .map(|d| diagnostic(&report.source, d, root, encoding))
        .collect()
}

fn diagnostic(source: &SourceFile, d: &Diagnostic, root: &Path, encoding: Encoding) -> Value {
    let severity = match d.severity {
        Severity::Error => 1,
        Severity::Warning => 2,
        Severity::Info => 3,
    };
    let mut related: Vec<Value> = d
        .related
        .iter()
        .map(|r| {
            let file = r.source.as_deref().unwrap_or(source);
            json!({
                "location": {
                    "uri": uri(&root.join(&file.path)),
                    "range": range(file, &r.span, encoding),
                },
                "message": r.message,
            })
        })
        .collect();
    // The help goes with the finding, at its own place, as editors show related information.
    if let Some(help) = &d.help {
        related.push(json!({
            "location": {
                "uri": uri(&root.join(&source.path)),
                "range": range(source, &d.span, encoding),
            },
            "message": format!("help: {help}"),
        }));
    }
    let mut out = json!({
        "range": range(source, &d.span, encoding),
        "severity": severity,
        "code": d.rule,
        "codeDescription": { "href": docs_url(&d.rule) },
        "source": "vetlint",
        "message": d.message,
        "data": { "fingerprint": d.fingerprint, "pointer": d.pointer },
    });
    if !related.is_empty() {
        out["relatedInformation"] = json!(related);
    }
    // Editors fade unnecessary code: a suppression that hides nothing is that.
    if d.rule == names::UNUSED_IGNORE {
        out["tags"] = json!([1]);
    }
    out
}

/// A `file://` URI for an absolute path (bytes outside the unreserved set percent-encoded).
pub fn uri(path: &Path) -> String {
    let path = crate::discover::normalize(path);
    let text = path.to_string_lossy();
    format!("file://{}", crate::render::sarif::uri(&text))
}

/// The path of a `file://` URI, `None` for other schemes.
pub fn path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file://host/path`: only the local host is a path here.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = rest
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(out)))
    }
    #[cfg(not(unix))]
    {
        Some(PathBuf::from(String::from_utf8_lossy(&out).into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_paths_round_trip() {
        let p = Path::new("/work/计划/a b.yaml");
        let u = uri(p);
        assert_eq!(u, "file:///work/%E8%AE%A1%E5%88%92/a%20b.yaml");
        assert_eq!(path(&u).unwrap(), p);
        assert_eq!(path("untitled:1"), None);
    }
}
