//! Conformance of the loaders with two public suites, copied under `tests/conformance/` (MIT;
//! their LICENSE files are beside them): nst/JSONTestSuite's `test_parsing` and the YAML test
//! suite (in.yaml, in.json, error marker per case). Every case loads without a panic, and every
//! finding's span lies inside the file on character boundaries.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use serde_json::Value;
use vetlint::lang::Lang;
use vetlint::load::{self, Document, Format};

fn suite(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(name)
}

/// Loads a case, turning a panic into a test failure that names the case.
fn load_case(name: &str, bytes: &[u8], format: Format) -> Document {
    catch_unwind(AssertUnwindSafe(|| {
        load::load(name.to_owned(), bytes, Some(format), Lang::En)
    }))
    .unwrap_or_else(|_| panic!("{name}: the loader panicked"))
}

fn spans_inside(doc: &Document) -> Result<(), String> {
    let text = &doc.source.text;
    for d in &doc.diagnostics {
        let ok = d.span.start <= d.span.end
            && d.span.end <= text.len()
            && text.is_char_boundary(d.span.start)
            && text.is_char_boundary(d.span.end);
        if !ok {
            return Err(format!("{} span {:?} outside the text", d.rule, d.span));
        }
    }
    Ok(())
}

fn rules(doc: &Document) -> Vec<&str> {
    doc.diagnostics.iter().map(|d| d.rule.as_str()).collect()
}

/// JSON `n_` cases that vetlint reports under a more precise rule than `parse-error`.
const JSON_OTHER_RULE: &[(&str, &str, &str)] = &[
    (
        "n_structure_100000_opening_arrays.json",
        "too-deep",
        "the nesting limit is reached before the missing brackets",
    ),
    (
        "n_structure_open_array_object.json",
        "too-deep",
        "the nesting limit is reached before the missing brackets",
    ),
];

#[test]
fn json_test_suite() {
    let dir = suite("json-test-suite/test_parsing");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/conformance/json-test-suite")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() > 300, "the suite is complete: {}", names.len());
    let mut failures = Vec::new();
    let mut counts = [0usize; 3];
    for name in &names {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let doc = load_case(name, &bytes, Format::Json);
        if let Err(e) = spans_inside(&doc) {
            failures.push(format!("{name}: {e}"));
        }
        let found = rules(&doc);
        // The fast path (serde_json) agrees with the full parser: the same value, and it only
        // accepts what the full parser accepts without a finding.
        if let Ok(text) = std::str::from_utf8(&bytes)
            && let Some(fast) = vetlint::load::json::fast(text.trim_start_matches('\u{feff}'), 512)
        {
            let full = vetlint::load::json::load(
                text.trim_start_matches('\u{feff}'),
                vetlint::lang::Lang::En,
                512,
            );
            if full.value.as_ref() != Some(&fast) || !full.diagnostics.is_empty() {
                failures.push(format!(
                    "{name}: fast path gave {fast}, full parser {:?}",
                    full.value
                ));
            }
        }
        match &name[..2] {
            "y_" => {
                counts[0] += 1;
                if doc.value.is_none() {
                    failures.push(format!("{name}: valid JSON did not load: {found:?}"));
                }
            }
            "n_" => {
                counts[1] += 1;
                let expected = JSON_OTHER_RULE
                    .iter()
                    .find(|(n, ..)| n == name)
                    .map_or_else(
                        || {
                            // Bytes that are not UTF-8 are `invalid-utf8`, before any parsing.
                            if std::str::from_utf8(&bytes).is_err() {
                                "invalid-utf8"
                            } else {
                                "parse-error"
                            }
                        },
                        |(_, rule, _)| rule,
                    );
                if doc.value.is_some() || !found.contains(&expected) {
                    failures.push(format!(
                        "{name}: invalid JSON should give {expected}, gave {found:?} (value: {})",
                        doc.value.is_some()
                    ));
                }
            }
            _ => {
                // Implementation-defined: either a value or a finding, never silence.
                counts[2] += 1;
                if doc.value.is_none() && found.is_empty() {
                    failures.push(format!("{name}: neither a value nor a finding"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "JSON suite: {} y_, {} n_, {} i_ cases",
        counts[0], counts[1], counts[2]
    );
}

/// YAML cases whose expected value vetlint deliberately does not produce, as (case, reason).
/// Empty since the loader fixes of 2026-11 (the non-specific tag `!`). Not needed here:
/// multi-document cases, recognised from in.json and checked against vetlint's one-document
/// rule (`multiple-documents`, or the first document alone when the later ones are empty).
const YAML_EXCLUDED: &[(&str, &str)] = &[];

/// Every YAML case folder (those with an `in.yaml`), sorted.
fn yaml_cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![suite("yaml-test-suite")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.join("in.yaml").is_file() {
                    out.push(path.clone());
                }
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

fn case_id(dir: &Path) -> String {
    let root = suite("yaml-test-suite");
    dir.strip_prefix(&root)
        .unwrap_or(dir)
        .to_string_lossy()
        .into_owned()
}

/// Every JSON value in a stream (in.json may hold several, or none).
fn json_stream(text: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .map(|v| v.expect("in.json is JSON"))
        .collect()
}

/// Equality where numbers compare by value (YAML `1.0` and JSON `1.0` may land as int/float).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn yaml_test_suite() {
    let cases = yaml_cases();
    assert!(cases.len() > 300, "the suite is complete: {}", cases.len());
    let mut failures = Vec::new();
    let (mut equal, mut errors, mut multi, mut other) = (0, 0, 0, 0);
    for dir in &cases {
        let id = case_id(dir);
        let bytes = std::fs::read(dir.join("in.yaml")).unwrap();
        let doc = load_case(&id, &bytes, Format::Yaml);
        if let Err(e) = spans_inside(&doc) {
            failures.push(format!("{id}: {e}"));
        }
        let found = rules(&doc);
        if YAML_EXCLUDED.iter().any(|(x, _)| *x == id) {
            continue;
        }
        if dir.join("error").exists() {
            errors += 1;
            if !found.contains(&"parse-error") {
                failures.push(format!(
                    "{id}: invalid YAML should give parse-error, gave {found:?}"
                ));
            }
            continue;
        }
        let Ok(expected) = std::fs::read_to_string(dir.join("in.json")) else {
            // No expected value (complex keys, tags the suite cannot express in JSON): any
            // outcome but a panic or a bad span is acceptable.
            other += 1;
            continue;
        };
        let values = json_stream(&expected);
        match values.len() {
            0 => {
                equal += 1;
                if doc.value.is_some() || !doc.diagnostics.is_empty() {
                    failures.push(format!("{id}: an empty stream gave {found:?}"));
                }
            }
            1 => {
                equal += 1;
                match &doc.value {
                    Some(value) if same(value, &values[0]) => {}
                    Some(value) => {
                        failures.push(format!("{id}: loaded {value} instead of {}", values[0]))
                    }
                    None => failures.push(format!("{id}: did not load: {found:?}")),
                }
            }
            _ if values[1..].iter().all(Value::is_null) => {
                // Later documents are empty (`---` with nothing after it): vetlint allows a
                // trailing empty document, so the file loads as its first document.
                multi += 1;
                match &doc.value {
                    Some(value) if same(value, &values[0]) && found.is_empty() => {}
                    _ => failures.push(format!(
                        "{id}: should load as {} alone, gave {:?} {found:?}",
                        values[0], doc.value
                    )),
                }
            }
            _ => {
                // One document per file: the first loads, the second is reported.
                multi += 1;
                if !found.contains(&"multiple-documents") {
                    failures.push(format!(
                        "{id}: {} documents should give multiple-documents, gave {found:?}",
                        values.len()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!(
        "YAML suite: {equal} values equal, {errors} errors, {multi} multi-document, {other} without an expected value, {} excluded",
        YAML_EXCLUDED.len()
    );
}
