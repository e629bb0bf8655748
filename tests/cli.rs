//! The command-line contract, tested on the real binary: exit codes, formats, stdin,
//! directory walks, globs, configuration, and the informational subcommands.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{VALID_REPORT, rules_in, run, tree, vetlint};

const BAD_REPORT: &str = "kind: pilot-report\nid: r\nstandard: VETS\nlevel: 特级\ntrained: 104\nexamined: 43\npassed: 31\npass_rate: 72.1\n";

#[test]
fn exit_codes_are_0_for_clean_1_for_findings_2_for_usage() {
    let dir = tree(&[("ok.yaml", VALID_REPORT), ("bad.yaml", BAD_REPORT)]);
    let (code, out, _) = run(vetlint(dir.path()).args(["check", "ok.yaml"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no problems found"), "{out}");
    let (code, _, _) = run(vetlint(dir.path()).args(["check", "bad.yaml"]));
    assert_eq!(code, 1);
    let (code, _, err) = run(vetlint(dir.path()).args(["check", "--format", "nope"]));
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(vetlint(dir.path()).args(["explain", "no-such-rule"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule"), "{err}");
    let (code, _, _) = run(vetlint(dir.path()).args(["schema", "nope"]));
    assert_eq!(code, 2);
}

#[test]
fn fail_on_moves_the_threshold() {
    let dir = tree(&[
        ("bad.yaml", BAD_REPORT),
        (
            "vetlint.toml",
            "[rules.schema-enum]\nseverity = \"warning\"\n",
        ),
    ]);
    let (code, out, _) = run(vetlint(dir.path()).args(["check", "bad.yaml", "--format", "json"]));
    assert_eq!(code, 0, "a warning does not fail by default: {out}");
    assert!(out.contains("\"severity\": \"warning\""));
    let (code, _, _) = run(vetlint(dir.path()).args(["check", "bad.yaml", "--fail-on", "warning"]));
    assert_eq!(code, 1);
    let (code, _, _) = run(vetlint(dir.path()).args(["check", "bad.yaml", "--fail-on", "info"]));
    assert_eq!(code, 1);
}

#[test]
fn short_format_counts_columns_in_characters() {
    let dir = tree(&[(
        "bad.yaml",
        "kind: pilot-report\nid: r\nstandard: VETS\nlevel: {中: 1}\n",
    )]);
    let (_, out, _) = run(vetlint(dir.path()).args(["check", "bad.yaml", "--format", "short"]));
    assert!(
        out.contains("bad.yaml:4:8: error[schema-type]: `level` must be a string, found a mapping `{\"中\":1}`"),
        "{out}"
    );
}

#[test]
fn json_format_has_version_spans_and_summary() {
    let dir = tree(&[("bad.yaml", BAD_REPORT)]);
    let (_, out, _) = run(vetlint(dir.path()).args(["check", "bad.yaml", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["path"], "bad.yaml");
    assert_eq!(d["rule"], "schema-enum");
    assert_eq!(d["pointer"], "/level");
    assert_eq!(d["span"]["start"]["line"], 4);
    assert_eq!(d["span"]["start"]["column"], 8);
    assert_eq!(d["span"]["start"]["offset"], 47);
    assert_eq!(d["span"]["end"]["column"], 10);
    assert_eq!(d["span"]["end"]["offset"], 53);
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(v["summary"]["errors"], 1);
}

#[test]
fn human_format_aligns_under_chinese_and_counts_characters_in_the_header() {
    let dir = tree(&[(
        "bad.yaml",
        "kind: pilot-report\nid: 中文编号\nstandard: VETS\nlevel: 中级\ntrained: 104\nexamined: 43\npassed: 31\npass_rate: 七十二\n",
    )]);
    let (_, out, _) = run(vetlint(dir.path()).args(["check", "bad.yaml", "--lang", "en"]));
    assert!(out.contains("[bad.yaml:8:12]"), "{out}");
    assert!(
        !out.contains('\u{1b}'),
        "no escapes when not a terminal: {out:?}"
    );
    // the underline sits under the three CJK characters, which are six columns wide
    let line = out
        .lines()
        .find(|l| l.contains("pass_rate: 七十二"))
        .unwrap();
    let under = out
        .lines()
        .skip_while(|l| !l.contains("pass_rate: 七十二"))
        .nth(1)
        .unwrap();
    let width = |s: &str| {
        s.chars()
            .map(|c| if c > '\u{2e80}' { 2 } else { 1 })
            .sum::<usize>()
    };
    let value_col = width(&line[..line.find('七').unwrap()]);
    let mark_col = width(&under[..under.find('─').unwrap()]);
    assert_eq!(value_col, mark_col, "{line}\n{under}");
    assert_eq!(
        under.matches('─').count() + under.matches('┬').count(),
        6,
        "{under}"
    );
}

#[test]
fn stdin_is_read_with_its_given_name() {
    let dir = tree(&[]);
    let mut child = vetlint(dir.path())
        .args([
            "check",
            "-",
            "--stdin-filename",
            "plans/x.json",
            "--format",
            "short",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"kind": "pilot-report", "id": "r", "standard": "VETS", "level": "x"}"#)
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1));
    assert!(out.contains("plans/x.json:1:"), "{out}");
    assert!(out.contains("[schema-enum]"), "{out}");
    assert!(out.contains("[schema-required]"), "{out}");
}

#[test]
fn stdin_without_a_name_is_sniffed() {
    let dir = tree(&[]);
    let mut child = vetlint(dir.path())
        .args(["check", "-", "--format", "short"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"kind\": \"plan\",}")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.starts_with("<stdin>:1:16: error[parse-error]"), "{out}");
}

#[test]
fn walks_skip_non_documents_and_honour_gitignore() {
    let dir = tree(&[
        (
            "package.json",
            "{\"name\": \"site\", \"version\": \"1.0.0\"}",
        ),
        ("tsconfig.json", "{\n  // comments are fine for tsconfig\n}"),
        ("k8s.yaml", "kind: Deployment\napiVersion: apps/v1\n"),
        ("notes.txt", "kind: plan\n"),
        (".gitignore", "ignored/\n"),
        ("ignored/bad.yaml", BAD_REPORT),
        ("reports/bad.yaml", BAD_REPORT),
        ("reports/ok.yaml", VALID_REPORT),
        ("reports/typo.yaml", "kind: pilot-reprot\n"),
        ("reports/broken.yaml", "kind: pilot-report\nid: [\n"),
    ]);
    let (code, out, _) = run(vetlint(dir.path()).args(["check", "--format", "short"]));
    assert_eq!(code, 1);
    let files: Vec<&str> = out.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(
        files,
        [
            "reports/bad.yaml",
            "reports/broken.yaml",
            "reports/typo.yaml"
        ],
        "{out}"
    );
    assert!(out.contains("did you mean `pilot-report`?"), "{out}");
    // One thread walks with the serial walker, more with the parallel one: the same files.
    for threads in ["1", "3"] {
        let args = ["check", "--format", "short", "--threads", threads];
        let (_, again, _) = run(vetlint(dir.path()).args(args));
        assert_eq!(again, out, "--threads {threads}");
    }
    let (_, json, _) = run(vetlint(dir.path()).args(["check", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["files"], 4, "ok + bad + typo + broken: {json}");
    // a file named explicitly is always checked
    let (_, out, _) = run(vetlint(dir.path()).args(["check", "package.json", "--format", "short"]));
    assert!(
        out.contains("package.json:1:1: error[unknown-kind]"),
        "{out}"
    );
}

#[test]
fn globs_select_files() {
    let dir = tree(&[
        ("a/bad.yaml", BAD_REPORT),
        ("b/bad.yaml", BAD_REPORT),
        ("b/bad.json", "{\"kind\": \"pilot-report\"}"),
    ]);
    let (_, out, _) = run(vetlint(dir.path()).args(["check", "b/*.yaml", "--format", "short"]));
    assert!(out.contains("b/bad.yaml"), "{out}");
    assert!(
        !out.contains("a/bad.yaml") && !out.contains("bad.json"),
        "{out}"
    );
    let (code, _, err) = run(vetlint(dir.path()).args(["check", "c/**/*.yaml"]));
    assert_eq!(code, 0);
    assert!(err.contains("matched no file"), "{err}");
}

#[test]
fn a_missing_explicit_file_is_an_io_error_and_the_run_goes_on() {
    let dir = tree(&[("bad.yaml", BAD_REPORT)]);
    let (code, out, _) =
        run(vetlint(dir.path()).args(["check", "gone.yaml", "bad.yaml", "--format", "short"]));
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "gone.yaml:1:1: error[io-error]: cannot read the file: no such file or directory"
        ),
        "{out}"
    );
    assert!(out.contains("bad.yaml:4:8: error[schema-enum]"), "{out}");
}

#[test]
fn config_turns_rules_off_and_selects_files() {
    let dir = tree(&[
        (
            "vetlint.toml",
            "exclude = [\"drafts/**\"]\n\n[rules.schema-enum]\nseverity = \"off\"\n",
        ),
        ("bad.yaml", BAD_REPORT),
        ("drafts/worse.yaml", "kind: pilot-report\n"),
        ("sub/dir/.keep", ""),
    ]);
    let (code, out, _) = run(vetlint(dir.path()).args(["check", "--format", "json"]));
    assert_eq!(code, 0, "{out}");
    assert!(rules_in(&out).is_empty(), "{out}");
    // found by walking up from a subdirectory
    let (code, _, _) = run(vetlint(&dir.path().join("sub/dir")).args(["check", "../../bad.yaml"]));
    assert_eq!(code, 0);
    let (code, _, _) = run(vetlint(dir.path()).args(["check", "--no-config", "bad.yaml"]));
    assert_eq!(code, 1);
}

#[test]
fn config_errors_stop_the_run_with_a_span() {
    let dir = tree(&[
        ("vetlint.toml", "[rules.schema-enm]\nseverity = \"off\"\n"),
        ("bad.yaml", BAD_REPORT),
    ]);
    let (code, out, err) = run(vetlint(dir.path()).args(["check"]));
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("unknown rule `schema-enm`; did you mean `schema-enum`?"),
        "{err}"
    );
    assert!(err.contains("[vetlint.toml:1:8]"), "{err}");
    let dir = tree(&[("vetlint.toml", "includ = [\"*.yaml\"]\n")]);
    let (code, _, err) = run(vetlint(dir.path()).args(["check"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("config-error") && err.contains("includ"),
        "{err}"
    );
    assert!(err.contains("[vetlint.toml:1:1]"), "{err}");
    let dir = tree(&[(
        "vetlint.toml",
        "[rules.schema-enum]\nseverity = \"fatal\"\n",
    )]);
    let (code, _, err) = run(vetlint(dir.path()).args(["check"]));
    assert_eq!(code, 2);
    assert!(err.contains("[vetlint.toml:2:12]"), "{err}");
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let examples = common::root().join("fixtures");
    let one = run(vetlint(&examples).args([
        "check",
        "examples",
        "rules",
        "--format",
        "json",
        "--threads",
        "1",
    ]));
    for threads in ["2", "8"] {
        let many = run(vetlint(&examples).args([
            "check",
            "examples",
            "rules",
            "--format",
            "json",
            "--threads",
            threads,
        ]));
        assert_eq!(one, many);
    }
}

#[test]
fn informational_subcommands() {
    let dir = tree(&[]);
    let (code, out, _) = run(vetlint(dir.path()).args(["rules"]));
    assert_eq!(code, 0);
    for name in vetlint::rules::names::ALL {
        assert!(out.contains(name), "{name} missing from:\n{out}");
    }
    let (code, out, _) = run(vetlint(dir.path()).args(["explain", "schema-required"]));
    assert_eq!(code, 0);
    assert!(out.starts_with("# schema-required"), "{out}");
    let (code, out, _) = run(vetlint(dir.path()).args(["schema", "plan"]));
    assert_eq!(code, 0);
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema["properties"]["kind"]["const"], "plan");
    let published =
        std::fs::read_to_string(common::root().join("schemas/plan.schema.json")).unwrap();
    assert_eq!(out, published);
}

#[test]
fn stats_say_where_the_time_went() {
    let examples = common::root().join("fixtures/examples");
    let (code, out, err) = run(vetlint(&examples).args(["check", "--stats", "--format", "short"]));
    assert_eq!(code, 1);
    assert_eq!(out.lines().count(), 6, "the report is unchanged: {out}");
    for stage in [
        "setup", "discover", "load", "schema", "rules", "render", "total",
    ] {
        assert!(
            err.lines()
                .any(|l| l.trim_start().starts_with(stage) && l.contains(" ms")),
            "{stage} missing:\n{err}"
        );
    }
    assert!(err.contains("5 documents, 6 findings"), "{err}");
    // The slowest rules, slowest first, each a bundled rule.
    let (_, slowest) = err
        .split_once("slowest rules (summed over threads):\n")
        .unwrap_or_else(|| panic!("no slowest rules:\n{err}"));
    let times: Vec<f64> = slowest
        .lines()
        .map(|l| {
            let (ms, name) = l.trim().split_once(" ms  ").expect("time and name");
            assert!(
                common::root().join(format!("rules/{name}.yaml")).is_file(),
                "{name}"
            );
            ms.trim().parse().expect("milliseconds")
        })
        .collect();
    assert_eq!(times.len(), 8, "{slowest}");
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{slowest}");
}

#[test]
fn workspace_paths_are_read_even_when_include_leaves_them_out() {
    // A benchmark corpus found this: `include = ["plans/**"]` hid the standards listed in
    // `standards`, so every plan reported `unknown-standard`.
    let examples = common::root().join("fixtures/examples");
    let dir = tree(&[(
        "vetlint.toml",
        "include = [\"plans/**\"]\nstandards = [\"standards\"]\nregistries = [\"registries\"]\n",
    )]);
    for sub in ["standards", "registries", "plans"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(examples.join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.path().join(sub).join(entry.file_name())).unwrap();
        }
    }
    let (_, out, err) = run(vetlint(dir.path()).args(["check", "--format", "short"]));
    assert!(!out.contains("unknown-standard"), "{out}\n{err}");
    assert!(out.contains("[credit-cap]"), "{out}");
    assert!(
        !out.contains("standards/"),
        "the standards are context, not checked: {out}"
    );
}
