//! Runs the real binary on every case under `fixtures/rules/<rule>/` and snapshots what a
//! user sees: the human report in English and Chinese and the JSON report.
//!
//! A case is a file `pass*.{yaml,json}` / `fail*.{yaml,json}` (checked as an explicit file
//! from the rule's folder) or a directory `pass*/` / `fail*/` (checked with no arguments, or
//! with the lines of its `args` file, from inside it). `fail` cases must raise the rule, `pass`
//! cases must not.

mod common;

use std::path::{Path, PathBuf};

use common::{root, rules_in, run, vetlint};

/// Every case: (rule, case name, working directory, arguments).
pub fn cases() -> Vec<(String, String, PathBuf, Vec<String>)> {
    let mut out = Vec::new();
    let mut rules: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/rules"))
        .expect("fixtures/rules")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    rules.sort();
    for rule_dir in rules {
        let rule = rule_dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&rule_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for entry in entries {
            let name = entry.file_name().unwrap().to_string_lossy().into_owned();
            if !(name.starts_with("pass") || name.starts_with("fail")) {
                continue;
            }
            if entry.is_dir() {
                let args = std::fs::read_to_string(entry.join("args"))
                    .map(|a| a.lines().map(str::to_owned).collect())
                    .unwrap_or_default();
                out.push((rule.clone(), name, entry, args));
            } else {
                out.push((rule.clone(), name.clone(), rule_dir.clone(), vec![name]));
            }
        }
    }
    out
}

fn check(cwd: &Path, args: &[String], extra: &[&str]) -> (i32, String, String) {
    run(vetlint(cwd).arg("check").args(args).args(extra))
}

/// What one case printed: exit code, JSON, stderr, and the English and Chinese human output.
struct Outcome {
    code: i32,
    json: String,
    stderr: String,
    en: String,
    zh: String,
}

/// Two processes per case: English with the JSON report written to a file beside the human
/// one on the terminal (`--format json --output`), then Chinese.
fn run_case(cwd: &Path, args: &[String]) -> Outcome {
    let out = tempfile::tempdir().expect("tempdir");
    let file = out.path().join("report.json");
    let file_arg = file.to_str().expect("UTF-8 temp path");
    let (code, en, stderr) = check(
        cwd,
        args,
        &["--format", "json", "--output", file_arg, "--lang", "en"],
    );
    let json = std::fs::read_to_string(&file).unwrap_or_default();
    let (_, zh, zh_err) = check(cwd, args, &["--lang", "zh"]);
    Outcome {
        code,
        json,
        en: en + &stderr,
        stderr,
        zh: zh + &zh_err,
    }
}

#[test]
fn every_fixture_raises_its_rule_exactly_when_it_should() {
    let cases = cases();
    assert!(!cases.is_empty());
    // Run the binary for all cases in parallel, then assert and snapshot in order.
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2);
    let chunk = cases.len().div_ceil(workers);
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(_, _, cwd, args)| run_case(cwd, args))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    for ((rule, case, _, _), outcome) in cases.iter().zip(outcomes) {
        let Outcome {
            code,
            json,
            stderr,
            en,
            zh,
        } = outcome;
        let failing = case.starts_with("fail");
        if code == 2 {
            assert!(
                failing && rule == "config-error" && stderr.contains("config-error"),
                "{rule}/{case}: exit 2\n{stderr}"
            );
        } else {
            let found = rules_in(&json);
            assert_eq!(
                found.contains(rule),
                failing,
                "{rule}/{case} raised {found:?}\n{json}"
            );
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            let errors = v["summary"]["errors"].as_u64().unwrap();
            assert_eq!(code, i32::from(errors > 0), "{rule}/{case}: exit code");
        }
        let snapshot = format!(
            "exit: {code}\n\n--- human (en) ---\n{en}\n--- human (zh) ---\n{zh}\n--- json ---\n{json}"
        );
        insta::assert_snapshot!(format!("{rule}__{case}"), snapshot);
    }
}
