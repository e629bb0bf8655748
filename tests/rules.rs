//! Conventions every rule must follow, and the examples inside rule files run as tests.

mod common;

use std::collections::BTreeSet;

use vetlint::check::{Engine, Origin};
use vetlint::config::Config;
use vetlint::lang::Lang;
use vetlint::load;
use vetlint::rules::{RuleSet, Trust, names};
use vetlint::workspace::Workspace;

/// Rules whose trigger is not a document (a missing file, a bad configuration, bytes that a
/// YAML rule file cannot hold, an `[[ignore]]` entry of `vetlint.toml`), so their rule files
/// show no document examples.
const NO_DOCUMENT_EXAMPLES: &[&str] = &[
    names::IO_ERROR,
    names::CONFIG_ERROR,
    names::INVALID_UTF8,
    names::RULE_ERROR,
    names::EXPIRED_IGNORE,
];

fn engine(lang: Lang) -> Engine {
    Engine::bundled(Config::default_at(common::root()), lang).expect("bundled rules load")
}

/// Bundled rules skip validation and compile lazily, in the run's language, at run time:
/// here every one of them is validated and compiled in both languages, as a user's would be.
#[test]
fn every_bundled_rule_file_validates_and_compiles_in_both_languages() {
    let schemas = vetlint::schema::Schemas::bundled().unwrap();
    // Every schema compiles (bundled validators compile on first use at run time).
    let texts = schemas.files().map(|f| (f.file.clone(), f.text.clone()));
    vetlint::schema::Schemas::from_texts(texts).expect("every bundled schema compiles");
    for lang in [Lang::En, Lang::Zh] {
        let set = RuleSet::from_files(RuleSet::bundled_files(), &schemas, lang, Trust::User)
            .unwrap_or_else(|e| panic!("{e:#?}"));
        assert!(set.policies().all(|p| p.get().is_some()));
        let lazy = RuleSet::bundled(&schemas, lang).unwrap();
        assert_eq!(lazy.len(), set.len());
        assert!(
            lazy.policies().all(|p| p.get().is_some()),
            "lazy compilation works"
        );
    }
}

#[test]
fn every_built_in_rule_has_a_rule_file_and_every_rule_file_is_known() {
    let engine = engine(Lang::En);
    let files: BTreeSet<&str> = engine
        .rules
        .iter()
        .filter(|r| !r.is_policy())
        .map(|r| r.name.as_str())
        .collect();
    let built_in: BTreeSet<&str> = names::ALL.iter().copied().collect();
    assert_eq!(
        files, built_in,
        "rule files without `assert` are exactly the built-in rules"
    );
    for rule in engine.rules.iter() {
        assert_eq!(rule.file, format!("rules/{}.yaml", rule.name));
    }
}

#[test]
fn every_rule_has_passing_and_failing_fixtures_with_snapshots() {
    let engine = engine(Lang::En);
    let fixtures = common::root().join("fixtures/rules");
    let snapshots = common::root().join("tests/snapshots");
    let mut problems = Vec::new();
    for rule in engine.rules.iter() {
        let dir = fixtures.join(&rule.name);
        let cases: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        for prefix in ["pass", "fail"] {
            if !cases.iter().any(|c| c.starts_with(prefix)) {
                problems.push(format!(
                    "{}: no `{prefix}` fixture in {}",
                    rule.name,
                    dir.display()
                ));
            }
        }
        for case in cases
            .iter()
            .filter(|c| c.starts_with("pass") || c.starts_with("fail"))
        {
            let snap = snapshots.join(format!("fixtures__{}__{case}.snap", rule.name));
            if !snap.is_file() {
                problems.push(format!("{}: no snapshot {}", rule.name, snap.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_has_docs_and_examples_in_both_languages() {
    let engine = engine(Lang::En);
    for rule in engine.rules.iter() {
        assert!(
            rule.docs.zh.trim().len() > 40,
            "{}: zh docs too short",
            rule.name
        );
        assert!(
            rule.docs.en.trim().len() > 40,
            "{}: en docs too short",
            rule.name
        );
        if NO_DOCUMENT_EXAMPLES.contains(&rule.name.as_str()) {
            continue;
        }
        assert!(
            !rule.examples.fail.is_empty(),
            "{}: no failing example",
            rule.name
        );
        assert!(
            !rule.examples.pass.is_empty(),
            "{}: no passing example",
            rule.name
        );
    }
}

#[test]
fn rule_examples_raise_their_rule_exactly_when_they_should() {
    for lang in [Lang::En, Lang::Zh] {
        let engine = engine(lang);
        for rule in engine.rules.iter() {
            let limits = rule.examples.limits.limits();
            let mut workspace = Workspace::default();
            for (i, example) in rule.examples.workspace.iter().enumerate() {
                let (text, format) = example.text();
                // Context documents sort before the examples, as a standard does before a plan.
                let doc = load::load(format!("context-{i}"), text.as_bytes(), Some(format), lang);
                assert!(
                    doc.value.is_some(),
                    "{}: workspace example {i} does not load",
                    rule.name
                );
                workspace.add(&doc);
            }
            let all = [(true, &rule.examples.fail), (false, &rule.examples.pass)];
            for (failing, examples) in all {
                for (i, example) in examples.iter().enumerate() {
                    let (text, format) = example.text();
                    let name = format!("example-{i}");
                    let doc = load::load_with(name, text.as_bytes(), Some(format), lang, &limits);
                    // The example is part of the run's workspace, as every checked file is.
                    let mut with_example = workspace.clone();
                    with_example.add(&doc);
                    let run = engine.prepare(with_example);
                    let report = engine
                        .check(doc, Origin::Explicit, &run)
                        .expect("explicit files are checked");
                    let raised = report.diagnostics.iter().any(|d| d.rule == rule.name);
                    assert_eq!(
                        raised,
                        failing,
                        "{} {} example {i}: {:#?}",
                        rule.name,
                        if failing { "fail" } else { "pass" },
                        report.diagnostics
                    );
                }
            }
        }
    }
}

#[test]
fn every_schema_property_is_documented_in_both_languages() {
    let engine = engine(Lang::En);
    let mut missing = Vec::new();
    for file in engine.schemas.files() {
        walk(&file.value, &file.file, &mut missing);
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

fn walk(node: &serde_json::Value, at: &str, missing: &mut Vec<String>) {
    let Some(object) = node.as_object() else {
        return;
    };
    for key in ["properties", "$defs"] {
        if let Some(children) = object.get(key).and_then(|p| p.as_object()) {
            for (name, child) in children {
                let here = format!("{at}/{key}/{name}");
                let description = child
                    .get("description")
                    .and_then(|d| d.as_str())
                    .unwrap_or("");
                let bilingual = description.split_once(" / ").is_some_and(|(zh, en)| {
                    zh.chars().any(|c| c > '\u{2e80}')
                        && en.chars().any(|c| c.is_ascii_alphabetic())
                });
                if !bilingual {
                    missing.push(format!("{here}: description must be `中文 / English`"));
                }
                walk(child, &here, missing);
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = object.get(key) {
            walk(child, &format!("{at}/{key}"), missing);
        }
    }
}

/// The README's rule table, generated from `rules/`.
fn rules_table(engine: &Engine) -> String {
    let mut out = String::from(
        "| rule | group | severity | summary | 说明 |\n| --- | --- | --- | --- | --- |\n",
    );
    for rule in engine.rules.iter() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            rule.name,
            rule.group,
            rule.severity.as_str(),
            rule.summary.en,
            rule.summary.zh
        ));
    }
    out
}

#[test]
fn readme_rule_table_is_generated_from_the_rule_files() {
    let engine = engine(Lang::En);
    let path = common::root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = ("<!-- rules:start -->\n", "<!-- rules:end -->");
    let from = readme.find(start).expect("rules:start marker") + start.len();
    let to = readme.find(end).expect("rules:end marker");
    let expected = rules_table(&engine);
    if readme[from..to] != expected {
        if std::env::var_os("VETLINT_BLESS").is_some() {
            let updated = format!("{}{}{}", &readme[..from], expected, &readme[to..]);
            std::fs::write(&path, updated).unwrap();
        } else {
            panic!("README rule table is stale; run `VETLINT_BLESS=1 cargo test --test rules`");
        }
    }
}
