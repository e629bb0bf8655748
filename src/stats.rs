//! `--stats`: where a run's time went (setup, discover, load, schema, rules, render, and the
//! rules that took longest). Stages add their durations to process-wide counters (summed over
//! worker threads for the per-document stages), and the CLI prints them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A stage of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading `vetlint.toml` and the rule files, building the engine.
    Setup,
    /// Walking folders and expanding globs.
    Discover,
    /// Reading, decoding and parsing files (and the span index).
    Load,
    /// JSON Schema validation.
    Schema,
    /// Policy rules (compiling the ones a run needs, and evaluating them).
    Rules,
    /// Writing reports.
    Render,
}

const STAGES: [(Stage, &str); 6] = [
    (Stage::Setup, "setup"),
    (Stage::Discover, "discover"),
    (Stage::Load, "load"),
    (Stage::Schema, "schema"),
    (Stage::Rules, "rules"),
    (Stage::Render, "render"),
];

static NANOS: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];

fn slot(stage: Stage) -> &'static AtomicU64 {
    let index = STAGES.iter().position(|(s, _)| *s == stage).unwrap_or(0);
    &NANOS[index]
}

/// Runs `f`, adding its duration to `stage`.
pub fn time<T>(stage: Stage, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    add(stage, start.elapsed());
    out
}

/// Adds a duration to a stage.
pub fn add(stage: Stage, elapsed: Duration) {
    let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    slot(stage).fetch_add(nanos, Ordering::Relaxed);
}

/// Time each policy rule took, summed over documents and threads (fast path only).
static RULES: Mutex<Option<HashMap<String, u64>>> = Mutex::new(None);

/// Whether rules are timed one by one: only for `--stats`, since every rule on every document
/// would otherwise read the clock and take a lock the worker threads share.
static RULE_TIMES: AtomicBool = AtomicBool::new(false);

/// Times each rule from now on (`--stats`).
pub fn time_rules() {
    RULE_TIMES.store(true, Ordering::Relaxed);
}

/// Whether each rule is timed (see [`time_rules`]).
pub fn rules_timed() -> bool {
    RULE_TIMES.load(Ordering::Relaxed)
}

/// Adds the time a rule took on one document.
pub fn rule(name: &str, elapsed: Duration) {
    let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    let Ok(mut rules) = RULES.lock() else { return };
    let rules = rules.get_or_insert_with(HashMap::new);
    match rules.get_mut(name) {
        Some(total) => *total = total.saturating_add(nanos),
        None => {
            rules.insert(name.to_owned(), nanos);
        }
    }
}

/// How many rules `--stats` lists by time.
const SLOWEST: usize = 8;

/// The report printed by `--stats`: one line per stage, then the counts and the wall time.
pub fn report(documents: usize, findings: usize, wall: Duration) -> String {
    let mut out = String::from("vetlint: stats (per-document stages are summed over threads)\n");
    for (index, (_, name)) in STAGES.iter().enumerate() {
        let ms = NANOS[index].load(Ordering::Relaxed) as f64 / 1e6;
        out.push_str(&format!("  {name:<9} {ms:>10.1} ms\n"));
    }
    out.push_str(&format!(
        "  {:<9} {:>10.1} ms wall\n  {documents} documents, {findings} findings\n",
        "total",
        wall.as_secs_f64() * 1e3
    ));
    let mut rules: Vec<(String, u64)> = RULES
        .lock()
        .ok()
        .and_then(|r| r.clone())
        .unwrap_or_default()
        .into_iter()
        .collect();
    rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if !rules.is_empty() {
        out.push_str("  slowest rules (summed over threads):\n");
    }
    for (name, nanos) in rules.into_iter().take(SLOWEST) {
        out.push_str(&format!("    {:>8.1} ms  {name}\n", nanos as f64 / 1e6));
    }
    out
}
