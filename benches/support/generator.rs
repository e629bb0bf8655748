//! The deterministic benchmark corpus: N training plans grown from the example JSON plan, in
//! JSON or YAML, with the example standard and registry and a `vetlint.toml`. Shared by
//! `benches/corpus.rs` and the equivalence test (`tests/equivalence.rs`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::{Map, Value, json};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A small deterministic generator (xorshift), so every run writes the same corpus.
pub struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn generate(dir: &Path, n: usize, format: &str) {
    let examples = root().join("fixtures/examples");
    for sub in ["standards", "registries", "plans"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::copy(
        examples.join("standards/vets.yaml"),
        dir.join("standards/vets.yaml"),
    )
    .unwrap();
    std::fs::copy(
        examples.join("registries/batch-4.yaml"),
        dir.join("registries/batch-4.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("vetlint.toml"),
        "# Generated benchmark workspace.\ninclude = [\"plans/**\"]\nstandards = [\"standards\"]\nregistries = [\"registries\"]\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(examples.join("plans/szpt-530701-2021.json")).unwrap();
    let template: Value = serde_json::from_str(&text).unwrap();
    let started = Instant::now();
    let bytes: usize = (0..n)
        .into_par_iter()
        .map(|i| {
            let plan = plan(&template, i);
            let (name, text) = match format {
                "yaml" => (format!("plan-{i:05}.yaml"), yaml(&plan)),
                _ => (
                    format!("plan-{i:05}.json"),
                    serde_json::to_string_pretty(&plan).unwrap() + "\n",
                ),
            };
            let folder = dir.join("plans").join(format!("{:03}", i / 1000));
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join(name), &text).unwrap();
            text.len()
        })
        .sum();
    eprintln!(
        "wrote {n} {format} plans, {:.1} MB, in {:.1} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
}

/// Plan `i`: the template with its own id, 25 to about 110 courses, and maybe one mistake.
pub fn plan(template: &Value, i: usize) -> Value {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut plan = template.clone();
    plan["id"] = json!(format!("bench-{i:05}"));
    let base: Vec<Value> = template["courses"].as_array().unwrap().clone();
    let mut courses = base.clone();
    let extra = rng.below(85) as usize;
    for k in 0..extra {
        let mut course = base[k % base.len()].clone();
        course["code"] = json!(format!("XC{i:05}{k:03}"));
        course["name"] = json!(format!("拓展课程 {k}"));
        course["elective"] = json!(true);
        courses.push(course);
    }
    let credits: f64 = courses.iter().map(|c| c["credits"].as_f64().unwrap()).sum();
    let hours: f64 = courses.iter().map(|c| c["hours"].as_f64().unwrap()).sum();
    plan["courses"] = json!(courses);
    plan["total_credits"] = json!(credits);
    plan["total_hours"] = json!(hours);
    // About one plan in twenty has one planted mistake.
    if rng.below(20) == 0 {
        match rng.below(4) {
            0 => plan["certificates"][0]["level"] = json!("特级"),
            1 => plan["certificates"][0]["matrix"][0]["credits"] = json!(12),
            2 => {
                if let Some(course) = plan["courses"][3].as_object_mut() {
                    course.remove("hours");
                }
            }
            _ => plan["courses"][5]["practical_hour"] = json!(8),
        }
    }
    plan
}

/// A block-style YAML rendering of a JSON value (strings double-quoted where needed).
pub fn yaml(value: &Value) -> String {
    let mut out = String::new();
    block(value, 0, &mut out);
    out
}

pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let plain = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || "-_. ".contains(c) || c > '\u{7f}')
                && !s.starts_with([' ', '-'])
                && !s.ends_with(' ')
                && s.parse::<f64>().is_err()
                && !matches!(s.as_str(), "true" | "false" | "null" | "yes" | "no");
            if plain {
                s.clone()
            } else {
                serde_json::to_string(s).unwrap()
            }
        }
        other => other.to_string(),
    }
}

pub fn block(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => entries(map, indent, out),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(map) if !map.is_empty() => {
                        out.push_str(&format!("{pad}- "));
                        let mut inner = String::new();
                        entries(map, indent + 2, &mut inner);
                        out.push_str(inner.trim_start());
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}-\n"));
                        block(item, indent + 2, out);
                    }
                    other => out.push_str(&format!("{pad}- {}\n", inline(other))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", inline(other))),
    }
}

pub fn inline(value: &Value) -> String {
    match value {
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Array(a) => format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", ")),
        other => scalar(other),
    }
}

pub fn entries(map: &Map<String, Value>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (key, value) in map {
        let key = scalar(&json!(key));
        match value {
            Value::Object(m) if !m.is_empty() => {
                out.push_str(&format!("{pad}{key}:\n"));
                entries(m, indent + 2, out);
            }
            Value::Array(a) if a.iter().any(|v| v.is_object() || v.is_array()) => {
                out.push_str(&format!("{pad}{key}:\n"));
                block(value, indent + 2, out);
            }
            other => out.push_str(&format!("{pad}{key}: {}\n", inline(other))),
        }
    }
}

/// Every plan file under `dir`, sorted.
pub fn plans(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("plans")];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
