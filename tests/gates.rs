//! vetlint as a CI gate and a pre-commit hook, through the real binary: SARIF that validates
//! against the official 2.1.0 schema, GitHub annotations, JUnit, several reports in one run,
//! stable finding identity, every suppression form, baselines, the pre-commit hook and
//! `--changed-since`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{VALID_REPORT, root, run, tree, vetlint};

const BAD_LEVEL: &str = "kind: pilot-report\nid: wxit-vets-2021\nstandard: VETS\nlevel: 特级\ntrained: 104\nexamined: 43\npassed: 31\npass_rate: 72.1\n";

fn examples() -> std::path::PathBuf {
    root().join("fixtures/examples")
}

/// The official SARIF 2.1.0 schema (copied from ../shared/conformance/sarif/), compiled with
/// format checks on. The copy is unpatched: the `jsonschema` crate's regex engine accepts every
/// `pattern` in it (the one some engines reject needs no change here).
fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("tests/data/sarif-schema-2.1.0.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(text: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(text).expect("SARIF is JSON");
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    value
}

#[test]
fn sarif_of_the_example_workspace_validates_against_the_official_schema() {
    let (code, out, err) = run(vetlint(&examples()).args(["check", "--format", "sarif"]));
    assert_eq!(code, 1, "{err}");
    let sarif = assert_valid_sarif(&out);
    let sarif_run = &sarif["runs"][0];
    assert_eq!(sarif_run["columnKind"], "unicodeCodePoints");
    let rules = sarif_run["tool"]["driver"]["rules"].as_array().unwrap();
    let (_, listed, _) = run(vetlint(&examples()).args(["rules"]));
    assert_eq!(
        rules.len(),
        listed.lines().count() - 1,
        "every rule is listed"
    );
    for rule in rules {
        assert!(
            rule["shortDescription"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
        assert!(rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()));
    }
    let results = sarif_run["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(result["partialFingerprints"]["vetlintFindingId/v1"].is_string());
    }
    // The cross-file label of task-coverage is a related location in the standard.
    let coverage = results
        .iter()
        .find(|r| r["ruleId"] == "task-coverage")
        .unwrap();
    assert_eq!(
        coverage["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "standards/vets.yaml"
    );
}

#[test]
fn sarif_percent_encodes_chinese_paths_and_still_validates() {
    let dir = tree(&[("计划/无锡 职业.yaml", BAD_LEVEL)]);
    let (_, out, _) = run(vetlint(dir.path()).args(["check", "--format", "sarif"]));
    let sarif = assert_valid_sarif(&out);
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    assert_eq!(
        uri,
        "%E8%AE%A1%E5%88%92/%E6%97%A0%E9%94%A1%20%E8%81%8C%E4%B8%9A.yaml"
    );
}

#[test]
fn github_annotations_escape_the_workflow_command_format() {
    let dir = tree(&[(
        "a,b:c.yaml",
        "kind: pilot-report\nid: x\nstandard: VETS\nlevel: \"特级\\n100%\"\ntrained: 104\nexamined: 43\npassed: 31\npass_rate: 72.1\n",
    )]);
    let (code, out, _) =
        run(vetlint(dir.path()).args(["check", "a,b:c.yaml", "--format", "github", "--no-config"]));
    assert_eq!(code, 1);
    insta::assert_snapshot!(out, @r"::error file=a%2Cb%3Ac.yaml,line=4,col=8,endLine=4,endColumn=17,title=schema-enum::`level` has the value `特级\n100%25`, which is not one of: 初级, 中级, 高级");
    // Every line is one command: newlines in messages and help are escaped.
    assert!(out.lines().all(|l| l.starts_with("::")));
}

#[test]
fn junit_has_a_test_case_per_file_and_a_failure_per_finding() {
    let (_, out, _) = run(vetlint(&examples()).args(["check", "--format", "junit"]));
    assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    assert_eq!(out.matches("<testcase ").count(), 5);
    assert_eq!(out.matches("<failure ").count(), 6);
    insta::assert_snapshot!(out);
}

#[test]
fn several_reports_in_one_run_and_the_terminal_keeps_the_human_format() {
    let out_dir = tempfile::tempdir().unwrap();
    let sarif = out_dir.path().join("reports/vetlint.sarif");
    let junit = out_dir.path().join("junit.xml");
    let (code, out, err) = run(vetlint(&examples()).args([
        "check",
        "--format",
        "sarif",
        "--output",
        sarif.to_str().unwrap(),
        "--format",
        "junit",
        "--output",
        junit.to_str().unwrap(),
    ]));
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("schema-enum") && out.contains("Checked 5 files"),
        "{out}"
    );
    assert_valid_sarif(&std::fs::read_to_string(&sarif).unwrap());
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<testsuites")
    );
    // A format without a file goes to the terminal instead of the human report.
    let json = out_dir.path().join("a.json");
    let (_, out, _) = run(vetlint(&examples()).args([
        "check",
        "--format",
        "json",
        "--output",
        json.to_str().unwrap(),
        "--format",
        "short",
    ]));
    assert_eq!(out.lines().count(), 6, "{out}");
    // Mistakes in pairing are usage errors.
    let (code, _, err) = run(vetlint(&examples()).args(["check", "--output", "x.json"]));
    assert_eq!(code, 2);
    assert!(err.contains("needs a `--format` before it"), "{err}");
    let (code, _, err) =
        run(vetlint(&examples()).args(["check", "--format", "json", "--format", "short"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("only one `--format` can go to the terminal"),
        "{err}"
    );
}

/// Fingerprints by rule, from a JSON report.
fn fingerprints(out: &str) -> Vec<(String, String)> {
    let value: serde_json::Value = serde_json::from_str(out).unwrap();
    value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_owned(),
                d["fingerprint"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn identity_survives_lines_inserted_above_and_another_language() {
    let plan = std::fs::read_to_string(examples().join("plans/wxit-570201-2021.yaml")).unwrap();
    let dir = tree(&[("plan.yaml", &plan)]);
    let check = |lang: &str| {
        let (_, out, _) = run(vetlint(dir.path()).args([
            "check",
            "plan.yaml",
            "--no-config",
            "--format",
            "json",
            "--lang",
            lang,
        ]));
        fingerprints(&out)
    };
    let before = check("en");
    assert!(before.len() >= 4);
    assert_eq!(before, check("zh"), "the language does not change identity");
    // Lines inserted above every finding, and an unrelated value changed.
    let edited = plan
        .replacen(
            "courses:\n",
            "# 2026 年修订说明。\n#\n# 第三行注释。\ncourses:\n",
            1,
        )
        .replacen("kind: plan\n", "kind: plan\n\n# 学院教务处审核\n", 1)
        .replacen("name: 思想道德与法治", "name: 思想道德与法治（2026 版）", 1);
    assert_ne!(edited, plan);
    std::fs::write(dir.path().join("plan.yaml"), edited).unwrap();
    assert_eq!(before, check("en"), "no identity changed");
}

#[test]
fn line_suppressions_need_a_reason_and_a_known_rule() {
    let report = "kind: pilot-report\nid: wxit-vets-2021\nstandard: VETS\n# vetlint: ignore[schema-enum] 试点阶段沿用旧等级名称，2027 年修订\nlevel: 特级\ntrained: 104 # vetlint: ignore[schema-type]\nexamined: 43 # vetlint: ignore[schema-tpye] typo in the rule name\npassed: 31 # vetlint: ignore[schema-range] nothing to hide here\npass_rate: 72.1\n";
    let dir = tree(&[("r.yaml", report)]);
    let (code, out, _) =
        run(vetlint(dir.path()).args(["check", "r.yaml", "--no-config", "--format", "short"]));
    assert_eq!(code, 1);
    insta::assert_snapshot!(out, @r"
    r.yaml:6:14: error[invalid-ignore]: a suppression needs a reason: `# vetlint: ignore[rule] reason`
    r.yaml:7:32: error[invalid-ignore]: unknown rule `schema-tpye` in a suppression; did you mean `schema-type`?
    r.yaml:8:30: warning[unused-ignore]: the suppression of `schema-range` matches no finding
    ");
}

#[test]
fn a_file_level_suppression_covers_the_whole_file_only_from_the_top() {
    let top =
        format!("# vetlint: ignore-file[schema-enum, duplicate-id] 旧版报告，仅存档\n{BAD_LEVEL}");
    let late = format!("{BAD_LEVEL}# vetlint: ignore-file[schema-enum] 放在末尾无效\n");
    let dir = tree(&[("top.yaml", &top), ("late.yaml", &late)]);
    let (_, out, _) = run(vetlint(dir.path()).args([
        "check",
        "top.yaml",
        "late.yaml",
        "--no-config",
        "--format",
        "short",
    ]));
    insta::assert_snapshot!(out, @r"
    late.yaml:4:8: error[schema-enum]: `level` has the value `特级`, which is not one of: 初级, 中级, 高级
    late.yaml:9:1: error[invalid-ignore]: `ignore-file` must be at the top of the file, before any content
    ");
}

#[test]
fn config_ignores_with_pointer_reason_and_expiry() {
    let config = r#"
[[ignore]]
path = "reports/old-*.yaml"
rule = "schema-enum"
pointer = "/level"
reason = "pre-2021 reports use the old level names"

[[ignore]]
path = "reports/*.json"
rule = "schema-enum"
reason = "an expired waiver"
until = 2000-01-01

[[ignore]]
path = "reports/old-*.yaml"
rule = "schema-type"
reason = "nothing to hide"
until = 2999-12-31

[[ignore]]
path = "elsewhere/*.yaml"
rule = "schema-type"
reason = "not in this run, so not unused"
"#;
    let json_report = r#"{"kind": "pilot-report", "id": "j", "standard": "VETS", "level": "特级", "trained": 1, "examined": 1, "passed": 1, "pass_rate": 100}"#;
    let dir = tree(&[
        ("vetlint.toml", config),
        ("reports/old-2019.yaml", BAD_LEVEL),
        ("reports/new.json", json_report),
    ]);
    let (code, out, _) = run(vetlint(dir.path()).args(["check", "--format", "short"]));
    assert_eq!(code, 1);
    insta::assert_snapshot!(out, @r"
    reports/new.json:1:66: error[schema-enum]: `level` has the value `特级`, which is not one of: 初级, 中级, 高级
    vetlint.toml:8:1: warning[expired-ignore]: the [[ignore]] of `schema-enum` for `reports/*.json` expired on 2000-01-01; what it hid is reported again
    vetlint.toml:14:1: warning[unused-ignore]: the [[ignore]] of `schema-type` for `reports/old-*.yaml` matches no finding
    ");
    // A reason is required, and the rule must exist.
    let dir = tree(&[
        (
            "vetlint.toml",
            "[[ignore]]\npath = \"*.yaml\"\nrule = \"schema-enmu\"\n",
        ),
        ("a.yaml", VALID_REPORT),
    ]);
    let (code, _, err) = run(vetlint(dir.path()).args(["check"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("an [[ignore]] entry needs a `reason`"),
        "{err}"
    );
    let dir = tree(&[
        (
            "vetlint.toml",
            "[[ignore]]\npath = \"*.yaml\"\nrule = \"schema-enmu\"\nreason = \"x\"\n",
        ),
        ("a.yaml", VALID_REPORT),
    ]);
    let (code, _, err) = run(vetlint(dir.path()).args(["check"]));
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `schema-enum`?"), "{err}");
}

#[test]
fn a_baseline_round_trip_reports_only_new_findings() {
    let dir = tree(&[("a.yaml", BAD_LEVEL)]);
    let (code, _, err) = run(vetlint(dir.path()).args([
        "check",
        "--no-config",
        "--write-baseline",
        "baseline.json",
    ]));
    assert_eq!(code, 0, "writing a baseline accepts the findings: {err}");
    assert!(
        err.contains("wrote 1 findings to the baseline baseline.json"),
        "{err}"
    );
    let baseline = std::fs::read_to_string(dir.path().join("baseline.json")).unwrap();
    assert!(
        baseline.contains("\"scheme\": \"vetlint/v1\""),
        "{baseline}"
    );
    // Same findings: nothing new, exit 0.
    let (code, out, err) = run(vetlint(dir.path()).args([
        "check",
        "--no-config",
        "--baseline",
        "baseline.json",
        "--format",
        "short",
    ]));
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(
        err.contains(
            "1 findings are in the baseline and not shown; 0 baseline entries no longer occur"
        ),
        "{err}"
    );
    // Lines inserted above, a new mistake, and the old one fixed elsewhere.
    let edited = format!(
        "# 新增注释\n# 又一行\n{}",
        BAD_LEVEL.replace("trained: 104", "trained: many")
    );
    std::fs::write(dir.path().join("a.yaml"), edited).unwrap();
    std::fs::write(
        dir.path().join("b.yaml"),
        VALID_REPORT.replace("wxit-vets-2021", "b"),
    )
    .unwrap();
    let (code, out, err) = run(vetlint(dir.path()).args([
        "check",
        "--no-config",
        "--baseline",
        "baseline.json",
        "--format",
        "short",
    ]));
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "a.yaml:7:10: error[schema-type]: `trained` must be a whole number, found a string `many`\n"
    );
    assert!(err.contains("1 findings are in the baseline"), "{err}");
    // The old finding fixed: its entry no longer occurs.
    std::fs::write(dir.path().join("a.yaml"), VALID_REPORT).unwrap();
    let (_, _, err) =
        run(vetlint(dir.path()).args(["check", "--no-config", "--baseline", "baseline.json"]));
    assert!(
        err.contains(
            "0 findings are in the baseline and not shown; 1 baseline entries no longer occur"
        ),
        "{err}"
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

fn has_git() -> bool {
    Command::new("git").arg("--version").output().is_ok()
}

/// A repository with the example workspace: standards and registries listed in vetlint.toml.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["standards", "registries", "plans", "reports"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    for file in [
        "standards/vets.yaml",
        "registries/batch-4.yaml",
        "plans/szpt-530701-2021.json",
        "reports/wxit-vets-2021.yaml",
    ] {
        std::fs::copy(examples().join(file), d.join(file)).unwrap();
    }
    std::fs::write(
        d.join("vetlint.toml"),
        "standards = [\"standards\"]\nregistries = [\"registries\"]\n",
    )
    .unwrap();
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "initial"]);
    dir
}

/// The hook entry of `.pre-commit-hooks.yaml`, split into words.
fn hook_entry() -> Vec<String> {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: serde_json::Value = {
        let doc = vetlint::load::load(
            "hooks".into(),
            text.as_bytes(),
            None,
            vetlint::lang::Lang::En,
        );
        doc.value.expect("the hooks file loads")
    };
    let hook = &hooks[0];
    assert_eq!(hook["id"], "vetlint");
    assert_eq!(hook["language"], "rust");
    assert_eq!(hook["types_or"], serde_json::json!(["json", "yaml"]));
    hook["entry"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_pre_commit_hook_checks_the_staged_files_against_the_whole_workspace() {
    if !has_git() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let repo = repository();
    let d = repo.path();
    // Stage a plan with a planted mistake (credit-cap needs the standard, which is not staged).
    let plan = std::fs::read_to_string(examples().join("plans/wxit-570201-2021.yaml")).unwrap();
    std::fs::write(d.join("plans/wxit.yaml"), plan).unwrap();
    std::fs::write(d.join("notes.md"), "not a document").unwrap();
    git(d, &["add", "plans/wxit.yaml", "notes.md"]);
    // pre-commit passes the staged files of the hook's types as arguments after the entry.
    let output = Command::new("git")
        .args(["diff", "--cached", "--name-only", "--diff-filter=ACMR"])
        .current_dir(d)
        .output()
        .unwrap();
    let staged: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml") || f.ends_with(".json"))
        .map(str::to_owned)
        .collect();
    assert_eq!(staged, ["plans/wxit.yaml"]);
    let entry = hook_entry();
    assert_eq!(entry[0], "vetlint");
    let (code, out, err) = run(vetlint(d)
        .args(&entry[1..])
        .args(&staged)
        .args(["--format", "short"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        out.lines().all(|l| l.starts_with("plans/wxit.yaml:")),
        "only the staged file: {out}"
    );
    assert!(
        out.contains("[credit-cap]") && out.contains("[task-coverage]"),
        "the standard resolved: {out}"
    );
}

#[test]
fn changed_since_checks_only_changed_files_with_the_whole_workspace() {
    if !has_git() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let repo = repository();
    let d = repo.path();
    // Unchanged since `main`: nothing to report.
    let (code, out, err) =
        run(vetlint(d).args(["check", "--changed-since", "main", "--format", "short"]));
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    // A new plan (untracked) and an edited report (unstaged).
    let plan = std::fs::read_to_string(examples().join("plans/wxit-570201-2021.yaml")).unwrap();
    std::fs::write(d.join("plans/new.yaml"), plan).unwrap();
    let report = std::fs::read_to_string(d.join("reports/wxit-vets-2021.yaml")).unwrap();
    std::fs::write(
        d.join("reports/wxit-vets-2021.yaml"),
        report.replace("中级", "特级"),
    )
    .unwrap();
    let (code, out, _) =
        run(vetlint(d).args(["check", "--changed-since", "main", "--format", "short"]));
    assert_eq!(code, 1);
    let files: std::collections::BTreeSet<&str> =
        out.lines().filter_map(|l| l.split(':').next()).collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        ["plans/new.yaml", "reports/wxit-vets-2021.yaml"]
    );
    assert!(
        out.contains("[task-coverage]"),
        "the standard still resolves: {out}"
    );
    // A bad revision is a usage error.
    let (code, _, err) = run(vetlint(d).args(["check", "--changed-since", "no-such-rev"]));
    assert_eq!(code, 2);
    assert!(err.contains("--changed-since"), "{err}");
}
