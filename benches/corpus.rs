//! Benchmark corpus and parse-only floor (`harness = false`):
//!
//! - `cargo bench --bench corpus -- gen DIR N json|yaml` writes a deterministic workspace: the
//!   example standard and registry, a `vetlint.toml` naming them, and N training plans of
//!   about 10–30 KB grown from the example JSON plan (more courses, matrix rows that refer to
//!   the standard), about 5 % of them with one planted mistake.
//! - `cargo bench --bench corpus -- floor DIR` parses every plan under DIR with the fastest
//!   parser of its syntax (serde_json, saphyr) on all cores and does nothing else: the floor
//!   a linter cannot beat.

use std::path::Path;
use std::time::Instant;

#[path = "support/generator.rs"]
mod generator;

use generator::{generate, plans};
use rayon::prelude::*;
use serde_json::Value;

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
        [] => eprintln!("usage: corpus gen DIR N json|yaml | corpus floor DIR"),
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
