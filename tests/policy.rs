//! Policy rules end to end: a school's own rule folder, parameter overrides, broken rule files
//! (one per kind of load error, each with a span), cross-document labels, and evaluation
//! errors that stay quiet where the schema already explains them.

mod common;

use common::{root, rules_in, run, tree, vetlint};

const PLAN: &str = r#"kind: plan
id: wxit-570201-2021
school: 无锡职业技术学院
major: {code: "570201", name: 商务英语, tier: 高职}
years: 3
total_hours: 128
total_credits: 8
courses:
  - {code: BE201, name: 商务英语写作, group: 专业共享课程, credits: 4, hours: 64, practical_hours: 32, elective: false}
  - {code: BE202, name: 商务英语听说, group: 专业共享课程, credits: 4, hours: 64, practical_hours: 40, elective: false}
certificates:
  - standard: VETS
    level: 中级
    relation: 强化
    matrix:
      - {course: BE201, tasks: ["1.1"], credits: 4}
      - {course: BE202, tasks: ["2.1"], credits: 3}
"#;

/// A directory with the example standard and the plan above, plus `extra` files.
fn workspace(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let standard =
        std::fs::read_to_string(root().join("fixtures/examples/standards/vets.yaml")).unwrap();
    let mut files = vec![
        ("standards/vets.yaml", standard.as_str()),
        ("plan.yaml", PLAN),
    ];
    files.extend_from_slice(extra);
    let owned: Vec<(String, String)> = files
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    let refs: Vec<(&str, &str)> = owned
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    tree(&refs)
}

fn check_json(dir: &std::path::Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let (code, out, err) = run(vetlint(dir)
        .args(["check", "--format", "json", "--lang", "en"])
        .args(args));
    let value = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
    (code, value, err)
}

#[test]
fn a_school_overrides_a_parameter_and_adds_its_own_rule_folder() {
    let own_rule = r#"name: school-course-prefix
group: school
severity: warning
summary: {zh: 课程代码以 BE 开头, en: course codes start with BE}
docs:
  zh: 本校商务英语专业的课程代码统一以 BE 开头，便于教务系统导入。
  en: Our business English courses all have codes starting with BE, for the registrar's import.
kind: plan
params: {prefix: BE}
each: $.courses[*]
assert: self.code.startsWith(params.prefix)
at: code
message:
  zh: 课程代码 {{ self.code }} 不以 {{ params.prefix }} 开头
  en: course code {{ self.code }} does not start with {{ params.prefix }}
"#;
    let plan_with_other_code = PLAN
        .replace("code: BE202", "code: XX202")
        .replace("course: BE202", "course: XX202");
    let dir = workspace(&[
        ("school-rules/school-course-prefix.yaml", own_rule),
        ("other.yaml", &plan_with_other_code),
    ]);
    let (_, before, _) = check_json(dir.path(), &["plan.yaml", "standards"]);
    assert!(
        !rules_in(&before.to_string()).contains(&"credit-cap".to_owned()),
        "{before:#}"
    );

    std::fs::write(
        dir.path().join("vetlint.toml"),
        "rule-dirs = [\"school-rules\"]\n\n[rules.credit-cap]\nparams = { max = 6 }\n",
    )
    .unwrap();
    let (code, after, err) = check_json(dir.path(), &["plan.yaml", "other.yaml", "standards"]);
    assert_eq!(code, 1, "{err}");
    let findings: Vec<(String, String, String)> = after["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().into(),
                d["rule"].as_str().unwrap().into(),
                d["message"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        findings.contains(&(
            "plan.yaml".into(),
            "credit-cap".into(),
            "certificate VETS converts 7 credits, above the cap of 6".into()
        )),
        "{findings:#?}"
    );
    assert!(
        findings.contains(&(
            "other.yaml".into(),
            "school-course-prefix".into(),
            "course code XX202 does not start with BE".into()
        )),
        "{findings:#?}"
    );
    let (_, listing, _) = run(vetlint(dir.path()).args(["rules"]));
    assert!(
        listing.contains("school-course-prefix") && listing.contains("credit-cap"),
        "{listing}"
    );
}

#[test]
fn configuration_mistakes_about_rules_are_errors_with_spans() {
    let cases = [
        (
            "[rules.credit-cap]\nparams = { maximum = 6 }\n",
            "rule `credit-cap` has no parameter `maximum`",
            "[vetlint.toml:2:12]",
        ),
        (
            "[rules.credit-cap]\nparams = { max = \"six\" }\n",
            "parameter `max` of `credit-cap` must be like its default `8`",
            "[vetlint.toml:2:18]",
        ),
        (
            "[rules.credit-cpa]\nseverity = \"off\"\n",
            "unknown rule `credit-cpa`; did you mean `credit-cap`?",
            "[vetlint.toml:1:8]",
        ),
        (
            "rules = [\"my-rules/\"]\n",
            "list rule folders in `rule-dirs`",
            "[vetlint.toml:1:9]",
        ),
        (
            "rule-dirs = [\"nowhere\"]\n",
            "cannot read the rule folder `nowhere`",
            "[vetlint.toml:1:14]",
        ),
    ];
    for (config, message, at) in cases {
        let dir = workspace(&[("vetlint.toml", config)]);
        let (code, _, err) = run(vetlint(dir.path()).args(["check", "plan.yaml", "--lang", "en"]));
        assert_eq!(code, 2, "{config}: {err}");
        assert!(err.contains(message), "{config}: {err}");
        assert!(err.contains(at), "{config}: {err}");
    }
}

#[test]
fn each_kind_of_broken_rule_file_stops_the_run_with_a_span_in_the_rule_file() {
    let base = "name: broken\ngroup: school\nseverity: error\nsummary: {zh: 坏规则, en: a broken rule}\ndocs: {zh: 用于测试的坏规则。, en: A broken rule for the tests.}\nkind: plan\nmessage: {zh: 坏, en: bad}\n";
    let cases = [
        (
            "yaml syntax",
            "each: [unclosed\nassert: doc.id != ''\n",
            "invalid YAML",
            "broken.yaml:9:7",
        ),
        (
            "structure",
            "assert: doc.id != ''\nseverity2: high\n",
            "unknown field `severity2`",
            "broken.yaml:9:1",
        ),
        (
            "jsonpath",
            "each: $.courses[*\nassert: doc.id != ''\n",
            "invalid JSONPath",
            "broken.yaml:8:",
        ),
        (
            "cel syntax",
            "assert: self.code ==\n",
            "invalid CEL expression",
            "broken.yaml:8:",
        ),
        (
            "unknown variable",
            "let:\n  total: sum(doc.courses.map(c, c.credits))\nassert: totl > 0.0\n",
            "unknown variable `totl`",
            "broken.yaml:10:9",
        ),
        (
            "unknown function",
            "assert: szie(doc.courses) > 0\n",
            "unknown function `szie`",
            "broken.yaml:8:9",
        ),
        (
            "template",
            "assert: doc.id != ''\nhelp: {zh: \"{{ self.code \", en: ok}\n",
            "without a closing",
            "broken.yaml:9:",
        ),
        (
            "template variable",
            "assert: doc.id != ''\nhelp: {zh: \"{{ nope }}\", en: ok}\n",
            "unknown variable `nope`",
            "broken.yaml:9:",
        ),
        (
            "kind",
            "assert: doc.id != ''\n",
            "unknown document kind `plann`",
            "broken.yaml:6:7",
        ),
    ];
    for (what, tail, message, at) in cases {
        let mut text = format!("{base}{tail}");
        if what == "kind" {
            text = text.replace("kind: plan", "kind: plann");
        }
        let dir = workspace(&[
            ("vetlint.toml", "rule-dirs = [\"mine\"]\n"),
            ("mine/broken.yaml", &text),
        ]);
        let (code, out, err) =
            run(vetlint(dir.path()).args(["check", "plan.yaml", "--lang", "en"]));
        assert_eq!(code, 2, "{what}: {out}{err}");
        assert!(err.contains("config-error"), "{what}: {err}");
        assert!(err.contains(message), "{what}: {err}");
        assert!(err.contains(&format!("[mine/{at}")), "{what}: {err}");
    }
}

#[test]
fn coverage_names_the_uncovered_tasks_and_points_into_the_standard() {
    let dir = workspace(&[]);
    let (_, report, _) = check_json(dir.path(), &["plan.yaml", "standards"]);
    let find = |rule: &str| {
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} finding: {report:#}"))
            .clone()
    };
    // The plan covers tasks 1.1 and 2.1 of VETS 中级 only.
    for (rule, named) in [
        (
            "work-area-coverage",
            ["3 客户服务", "4 业务推广", "5 商品交易"],
        ),
        (
            "task-coverage",
            ["1.2 差旅安排", "1.3 商务接待", "2.2 技术资料"],
        ),
    ] {
        let finding = find(rule);
        assert_eq!(finding["path"], "plan.yaml");
        assert_eq!(
            finding["pointer"], "/certificates/0",
            "{rule} points at the certificate entry"
        );
        assert_eq!(finding["span"]["start"]["line"], 12, "{rule}");
        let message = finding["message"].as_str().unwrap();
        for name in named {
            assert!(message.contains(name), "{rule}: {message}");
        }
        let related = &finding["related"][0];
        assert_eq!(related["path"], "standards/vets.yaml", "{rule}");
        assert!(
            related["message"].as_str().unwrap().contains("中级"),
            "{rule}"
        );
    }
}

#[test]
fn evaluation_errors_stay_quiet_where_the_schema_already_explains() {
    let broken = PLAN.replace(
        "credits: 4}\n      - {course: BE202",
        "credits: \"四\"}\n      - {course: BE202",
    );
    let dir = workspace(&[("broken.yaml", &broken)]);
    let (_, report, _) = check_json(dir.path(), &["broken.yaml", "standards"]);
    let rules = rules_in(&report.to_string());
    assert!(rules.contains(&"schema-type".to_owned()), "{rules:?}");
    assert!(!rules.contains(&"rule-error".to_owned()), "{report:#}");
}

#[test]
fn messages_follow_the_language() {
    let dir = workspace(&[("vetlint.toml", "[rules.credit-cap]\nparams = { max = 6 }\n")]);
    let (_, zh, _) = run(vetlint(dir.path()).args([
        "check",
        "plan.yaml",
        "standards",
        "--format",
        "short",
        "--lang",
        "zh",
    ]));
    assert!(
        zh.contains("error[credit-cap]: 证书 VETS 转换 7 学分，超过上限 6 学分"),
        "{zh}"
    );
    let (_, en, _) = run(vetlint(dir.path())
        .args(["check", "plan.yaml", "standards", "--format", "short"])
        .env("LANG", "en_US.UTF-8"));
    assert!(
        en.contains("error[credit-cap]: certificate VETS converts 7 credits, above the cap of 6"),
        "{en}"
    );
    let (_, zh_env, _) = run(vetlint(dir.path())
        .args(["check", "plan.yaml", "standards", "--format", "short"])
        .env("LANG", "zh_CN.UTF-8"));
    assert_eq!(zh, zh_env);
}

#[test]
fn explain_prints_docs_and_examples() {
    let dir = tree(&[]);
    let (code, out, _) = run(vetlint(dir.path()).args(["explain", "credit-cap", "--lang", "en"]));
    assert_eq!(code, 0);
    assert!(out.contains("# credit-cap"), "{out}");
    assert!(out.contains("params = { max = 6 }"), "{out}");
    assert!(
        out.contains("## Failing examples") && out.contains("## Passing examples"),
        "{out}"
    );
    assert!(out.contains("```yaml\nkind: plan"), "{out}");
}

/// Rules that spell the same document-only `with` share its value on a document (the fast path
/// computes it once), and each still pays its budget steps: under every step limit, the two
/// rules together report exactly what each reports alone.
#[test]
fn a_with_shared_by_two_rules_costs_each_its_steps() {
    let rule = |name: &str| {
        format!(
            r#"name: {name}
group: school
severity: warning
summary: {{zh: 长课程, en: long courses}}
docs: {{zh: 测试规则。, en: A test rule.}}
kind: plan
with:
  long: "doc.courses.filter(c, c.hours > 60.0)"
  n: size(long)
assert: n < 1
message: {{zh: "{{{{ n }}}} 门长课程", en: "{{{{ n }}}} long courses"}}
"#
        )
    };
    let (a, b) = (rule("shared-a"), rule("shared-b"));
    let dir = workspace(&[("own/shared-a.yaml", &a), ("own/shared-b.yaml", &b)]);
    let findings = |steps: u64, off: &[&str]| -> std::collections::BTreeSet<String> {
        let mut toml = format!("rule-dirs = [\"own\"]\n\n[limits]\nrule-steps = {steps}\n");
        for rule in off {
            toml.push_str(&format!("\n[rules.{rule}]\nseverity = \"off\"\n"));
        }
        std::fs::write(dir.path().join("vetlint.toml"), toml).unwrap();
        let (_, report, err) = check_json(dir.path(), &["plan.yaml", "standards"]);
        report["diagnostics"]
            .as_array()
            .unwrap_or_else(|| panic!("{err}"))
            .iter()
            .map(|d| format!("{} {}", d["rule"], d["message"]))
            .collect()
    };
    let mut stopped = 0;
    for steps in 1..=12 {
        let both = findings(steps, &[]);
        let alone: std::collections::BTreeSet<String> = findings(steps, &["shared-b"])
            .union(&findings(steps, &["shared-a"]))
            .cloned()
            .collect();
        assert_eq!(both, alone, "within {steps} steps");
        stopped += usize::from(both.iter().any(|f| f.contains("stopped after")));
        if steps == 12 {
            assert!(
                both.iter()
                    .any(|f| f.contains("shared-b") && f.contains("2 long courses")),
                "{both:#?}"
            );
        }
    }
    assert!(stopped > 0, "some limit must stop the rules");
}
