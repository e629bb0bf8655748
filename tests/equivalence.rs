//! The optimised path gives exactly the output of the unoptimised one (`check --reference`:
//! every file parsed whole by the full parser with its span index and held to the end, every
//! rule expression through the `cel` crate, every `let` of every subject) on the generated
//! benchmark corpus, in JSON and YAML, Chinese and English, and on the example workspace.

#[path = "../benches/support/generator.rs"]
mod generator;

use std::path::Path;
use std::process::Command;

fn vetlint(dir: &Path, extra: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_vetlint"))
        .current_dir(dir)
        .args(["check", "--format", "json", "--color", "never"])
        .args(extra)
        .output()
        .expect("vetlint runs");
    assert!(
        output.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Runs both paths in `dir` (the fast one holding every document, and holding none so that
/// each plan is read a second time) and returns the findings' rule names.
fn same_output(dir: &Path, extra: &[&str]) -> Vec<String> {
    let fast = vetlint(dir, extra);
    let twice = vetlint(dir, &[extra, &["--hold", "0"]].concat());
    let reference = vetlint(dir, &[extra, &["--reference"]].concat());
    assert!(
        fast == reference,
        "fast and reference paths differ in {}",
        dir.display()
    );
    assert!(
        twice == reference,
        "reading plans twice changes the output in {}",
        dir.display()
    );
    let report: serde_json::Value = serde_json::from_str(&fast).expect("JSON report");
    let mut rules: Vec<String> = report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["rule"].as_str().map(str::to_owned))
        .collect();
    rules.sort();
    rules.dedup();
    rules
}

#[test]
fn the_fast_path_matches_the_reference_on_the_corpus() {
    for format in ["json", "yaml"] {
        let dir = tempfile::tempdir().expect("temporary folder");
        generator::generate(dir.path(), 150, format);
        let rules = same_output(dir.path(), &[]);
        // The planted mistakes reach the policy rules, not only the schema.
        for rule in [
            "credit-cap",
            "matrix-credits-exceed-course",
            "schema-required",
        ] {
            assert!(rules.iter().any(|r| r == rule), "{format}: {rules:?}");
        }
        let english = same_output(dir.path(), &["--lang", "en"]);
        assert_eq!(rules, english);
    }
}

/// Every bundled rule runs on the fast evaluator for the example workspace and the corpus:
/// none of their expressions is handed to the `cel` crate (which would be correct, but slow).
#[test]
fn bundled_rules_never_fall_back_on_valid_documents() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/examples");
    let corpus = tempfile::tempdir().expect("temporary folder");
    generator::generate(corpus.path(), 40, "json");
    for dir in [examples.as_path(), corpus.path()] {
        let output = Command::new(env!("CARGO_BIN_EXE_vetlint"))
            .current_dir(dir)
            .args(["check", "--format", "short"])
            .env("VETLINT_TRACE_BAIL", "1")
            .output()
            .expect("vetlint runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let bails: Vec<&str> = stderr.lines().filter(|l| l.starts_with("bail:")).collect();
        assert!(bails.is_empty(), "{}: {bails:#?}", dir.display());
    }
}

#[test]
fn the_fast_path_matches_the_reference_on_the_examples() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/examples");
    let rules = same_output(&examples, &[]);
    assert!(rules.len() >= 5, "{rules:?}");
}

/// Past the hold budget a plan's identity comes from its head; a file whose head names an id
/// that another plan has, but that does not load, must not turn that plan into a duplicate,
/// and a real duplicate must still be found.
#[test]
fn identities_read_from_heads_are_confirmed() {
    for format in ["json", "yaml"] {
        let dir = tempfile::tempdir().expect("temporary folder");
        generator::generate(dir.path(), 4, format);
        let plans = generator::plans(dir.path());
        let text = std::fs::read_to_string(&plans[0]).expect("a plan");
        let folder = plans[0].parent().expect("plans folder");
        let write = |name: &str, text: &str| {
            std::fs::write(folder.join(format!("{name}.{format}")), text).expect("written")
        };
        // The head of the plan, then a syntax error.
        let cut = text.len() / 2;
        let cut = (0..=cut)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        write("zz-broken", &format!("{}\n  ]]] }}}}\n", &text[..cut]));
        // The whole plan again: a real duplicate.
        write("zz-copy", &text);
        // A plan whose `kind` is repeated at the end of its top level.
        let repeated = match format {
            "json" => format!(
                "{}, \"kind\": \"standard\"}}\n",
                text.trim_end().trim_end_matches('}')
            ),
            _ => format!("{text}kind: standard\n"),
        };
        write("zz-kind", &repeated);
        let rules = same_output(dir.path(), &[]);
        for rule in ["duplicate-id", "duplicate-key", "parse-error"] {
            assert!(rules.iter().any(|r| r == rule), "{format}: {rules:?}");
        }
    }
}
