//! Benchmark corpus and parse-only floor (`harness = false`):
//!
//! - `cargo bench --bench corpus -- gen DIR N json|yaml` writes a deterministic workspace: the
//!   example standard and registry, a `vetlint.toml` naming them, and N training plans of
//!   about 10–30 KB grown from the example JSON plan (more courses, matrix rows that refer to
//!   the standard), about 5 % of them with one planted mistake.
//! - `cargo bench --bench corpus -- floor DIR` parses every plan under DIR with the fastest
//!   parser of its syntax (serde_json, saphyr) on all cores and does nothing else: the floor
//!   a linter cannot beat.
//! - `cargo bench --bench corpus -- headroom DIR` times the check of the `credit-hours` rule
//!   written by hand in Rust over the same `serde_json` values, one thread, each plan checked
//!   right after a first pass over it (warm, as vetlint checks a plan after its schema): what a
//!   rule compiled to native code could cost, beside `vetlint check --threads 1 --stats` with
//!   only that rule on (see benches/README.md).

use std::path::Path;
use std::time::Instant;

#[path = "support/generator.rs"]
mod generator;

use generator::{generate, plans};
use rayon::prelude::*;
use serde_json::Value;
use vetlint::policy::cel::functions::round_to;

fn main() {
    // `cargo bench` adds `--bench`; ignore flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen", dir, n, format] => generate(Path::new(dir), n.parse().expect("N"), format),
        ["floor", dir] => floor(Path::new(dir)),
        ["headroom", dir] => headroom(Path::new(dir)),
        [] => {
            eprintln!("usage: corpus gen DIR N json|yaml | corpus floor DIR | corpus headroom DIR")
        }
        other => panic!("unknown arguments {other:?}"),
    }
}

fn floor(dir: &Path) {
    let files = plans(dir);
    let started = Instant::now();
    let parsed: usize = files
        .par_iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let ok = if path.extension().is_some_and(|e| e == "json") {
                serde_json::from_str::<Value>(&text).is_ok()
            } else {
                use saphyr::LoadableYamlNode;
                saphyr::Yaml::load_from_str(&text).is_ok()
            };
            usize::from(ok)
        })
        .sum();
    println!(
        "parsed {parsed} of {} files in {:.3} s",
        files.len(),
        started.elapsed().as_secs_f64()
    );
}

/// `credit-hours` by hand: a course with credits above 0 whose hours per credit (rounded to
/// two decimals by the rule's own `round`) fall outside 16–18. `field` reads a key.
fn credit_hours<'a>(
    plan: &'a Value,
    field: &mut impl FnMut(&'a Value, usize) -> Option<&'a Value>,
) -> usize {
    let Some(Value::Array(courses)) = plan.get("courses") else {
        return 0;
    };
    let mut found = 0;
    for course in courses {
        let credits = field(course, 0).and_then(Value::as_f64);
        let hours = field(course, 1).and_then(Value::as_f64);
        if let (Some(credits), Some(hours)) = (credits, hours)
            && credits > 0.0
        {
            let rate = round_to(hours / credits, 2);
            found += usize::from(!(16.0..=18.0).contains(&rate));
        }
    }
    found
}

fn headroom(dir: &Path) {
    let docs: Vec<Value> = plans(dir)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    let courses: usize = docs
        .iter()
        .map(|d| d["courses"].as_array().map_or(0, Vec::len))
        .sum();
    const KEYS: [&str; 2] = ["credits", "hours"];
    // By hash, as `Value::get` finds a key.
    let by_hash = |v: &'static Value, k: usize| v.get(KEYS[k]);
    // By position first, as vetlint's evaluator reads a field: where the key was last found.
    let mut hints = [0usize; 2];
    let by_position = move |v: &'static Value, k: usize| {
        let map = v.as_object()?;
        if let Some((key, value)) = map.iter().nth(hints[k])
            && key == KEYS[k]
        {
            return Some(value);
        }
        let (i, (_, value)) = map
            .iter()
            .enumerate()
            .find(|(_, (key, _))| *key == KEYS[k])?;
        hints[k] = i;
        Some(value)
    };
    let docs: &'static [Value] = docs.leak();
    time_rule("by hash", docs, courses, by_hash);
    time_rule("by position", docs, courses, by_position);
}

/// Times [`credit_hours`] on every plan, warm, with `field` reading keys.
fn time_rule(
    label: &str,
    docs: &'static [Value],
    courses: usize,
    mut field: impl FnMut(&'static Value, usize) -> Option<&'static Value>,
) {
    let (mut seconds, mut found) = (0.0, 0);
    for plan in docs {
        credit_hours(plan, &mut field);
        let started = Instant::now();
        for _ in 0..5 {
            found += credit_hours(std::hint::black_box(plan), &mut field);
        }
        seconds += started.elapsed().as_secs_f64() / 5.0;
    }
    println!(
        "credit-hours in Rust, fields {label}: {:.2} ms for {} plans ({courses} courses), \
         {:.0} ns a course, {} findings",
        seconds * 1e3,
        docs.len(),
        seconds * 1e9 / courses.max(1) as f64,
        found / 5
    );
}
