//! Criterion benches of the hot paths of one check, on the example workspace
//! (`fixtures/examples`): loading (text → document, beside the bare serde_json and saphyr
//! parse), schema validation, the engine's check of one document (schemas and policy rules),
//! a whole run over the workspace, building the engine, and rendering the findings.
//!
//! Only the public library API is used, at the highest level that isolates each stage
//! (`setup::engine`, `run::gather`/`run::check`, `Engine::prepare`/`Engine::check`), so the
//! benches follow the crate's internals without naming them. Each bench is short (10 samples,
//! 3 s): `cargo bench --bench hot` takes about a minute and a half on two cores.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use vetlint::check::{Engine, Origin};
use vetlint::lang::Lang;
use vetlint::load::{self, Document, Format};
use vetlint::render::{self, RunReport};
use vetlint::run::{self, Request};
use vetlint::setup::{self, ConfigSource};
use vetlint::workspace::Workspace;

const LANG: Lang = Lang::En;
const JSON_PLAN: &str = "plans/szpt-530701-2021.json";
const YAML_PLAN: &str = "plans/wxit-570201-2021.yaml";

/// The example workspace.
fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/examples")
}

/// The bytes of an example file.
fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(examples().join(name)).expect("example file")
}

fn load_doc(name: &str, bytes: &[u8]) -> Document {
    load::load(
        name.to_owned(),
        bytes,
        Format::from_path(Path::new(name)),
        LANG,
    )
}

/// The engine a run in the example workspace uses (no `vetlint.toml` there).
fn engine() -> Engine {
    setup::engine(&examples(), &ConfigSource::Off, LANG).expect("engine")
}

/// Text → document: decoding, parsing, the span index and the load diagnostics, beside the
/// bare parse that the floor of `benches/corpus.rs` measures; with and without building the
/// span index where it is deferred.
fn loading(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    for name in [JSON_PLAN, YAML_PLAN] {
        let data = bytes(name);
        let label = if name.ends_with(".json") {
            "json"
        } else {
            "yaml"
        };
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_function(format!("{label}/vetlint"), |b| {
            b.iter(|| load_doc(black_box(name), black_box(&data)))
        });
        // A file loaded without a finding may get its span index only on first lookup (a
        // file without findings never needs it): load, then force the index.
        group.bench_function(format!("{label}/vetlint+spans"), |b| {
            b.iter(|| load_doc(black_box(name), black_box(&data)).spans.len())
        });
        let text = std::str::from_utf8(&data).expect("UTF-8");
        group.bench_function(format!("{label}/parse-only"), |b| {
            if label == "json" {
                b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(text)).is_ok())
            } else {
                use saphyr::LoadableYamlNode;
                b.iter(|| saphyr::Yaml::load_from_str(black_box(text)).is_ok())
            }
        });
    }
    group.finish();
}

/// JSON Schema validation of a loaded plan: the valid JSON plan, and the YAML plan with its
/// three schema mistakes (so the failures are turned into messages too).
fn schema(c: &mut Criterion) {
    let engine = engine();
    let mut group = c.benchmark_group("schema");
    for name in [JSON_PLAN, YAML_PLAN] {
        let doc = load_doc(name, &bytes(name));
        let value = doc.value.expect("a parsed plan");
        let label = if name.ends_with(".json") {
            "json-valid"
        } else {
            "yaml-3-errors"
        };
        group.bench_function(label, |b| {
            b.iter(|| engine.schemas.validate("plan", black_box(&value), LANG))
        });
    }
    group.finish();
}

/// The engine's check of one loaded plan against the whole example workspace: kind,
/// schema, duplicate ids, every policy rule of plans (compiled before timing), severities,
/// fingerprints, sorting. Loading is outside the timing.
fn check(c: &mut Criterion) {
    let engine = engine();
    let cwd = examples();
    let (entries, _) = run::gather(&engine, &Request::default(), &cwd);
    let mut workspace = Workspace::default();
    for entry in &entries {
        match &entry.doc {
            run::Held::Whole(doc) => workspace.add(doc),
            run::Held::Again { identity, .. } => workspace.add_identity(identity),
        }
    }
    engine.precompile(&["plan"]);
    let prepared = engine.prepare(workspace);
    let mut group = c.benchmark_group("check");
    for name in [JSON_PLAN, YAML_PLAN] {
        let data = bytes(name);
        let label = if name.ends_with(".json") {
            "json-0-findings"
        } else {
            "yaml-6-findings"
        };
        group.bench_function(label, |b| {
            b.iter_batched(
                || load_doc(name, &data),
                |doc| engine.check(doc, Origin::Explicit, &prepared),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// A whole run over the five example files: discover, read and load in parallel, index the
/// workspace, check every document, sort (the engine is built once, outside the timing).
/// Then what a one-file run pays before checking: building the engine (schemas compiled,
/// bundled rule files read) and compiling the policy rules of plans.
fn whole(c: &mut Criterion) {
    let built = engine();
    let cwd = examples();
    let mut group = c.benchmark_group("run");
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("examples-5-files", |b| {
        b.iter(|| run::check(&built, &Request::default(), black_box(&cwd)))
    });
    group.bench_function("setup-engine", |b| b.iter(engine));
    group.bench_function("setup-engine+plan-rules", |b| {
        b.iter(|| {
            let engine = engine();
            engine.precompile(&["plan"]);
            engine
        })
    });
    group.finish();
}

/// Rendering the findings of the example run (the YAML plan's six) as `human` (miette, no
/// colour, 100 columns), `json` and `short`.
fn rendering(c: &mut Criterion) {
    let engine = engine();
    let (report, _): (RunReport, _) = run::check(&engine, &Request::default(), &examples());
    let findings: usize = report.files.iter().map(|f| f.diagnostics.len()).sum();
    assert!(
        findings > 0,
        "the example run should have findings to render"
    );
    let style = render::human::Style {
        color: false,
        width: 100,
        lang: LANG,
    };
    let mut group = c.benchmark_group("render");
    group.bench_function(format!("human-{findings}-findings"), |b| {
        b.iter(|| render::human::render(black_box(&report), style))
    });
    group.bench_function(format!("json-{findings}-findings"), |b| {
        b.iter(|| render::json::render(black_box(&report)))
    });
    group.bench_function(format!("short-{findings}-findings"), |b| {
        b.iter(|| render::short::render(black_box(&report)))
    });
    group.finish();
}

fn quick() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = hot;
    config = quick();
    targets = loading, schema, check, whole, rendering
}
criterion_main!(hot);
