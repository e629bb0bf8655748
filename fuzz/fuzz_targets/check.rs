//! A whole check through the real engine (bundled schemas, policy rules compiled once, CEL,
//! reference tables): `Engine::check` never panics, always reports an explicitly named file,
//! and every span of its report is inside the text on character boundaries. The report is then
//! rendered in the three output formats (human via miette, short, json), which must not panic.
//!
//! Input: first byte chooses the format (even → JSON, odd → YAML), the rest is the file.
#![no_main]

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vetlint::check::{Engine, Origin};
use vetlint::config::Config;
use vetlint::lang::Lang;
use vetlint::load::{self, Format};
use vetlint::render::{self, RunReport, human};
use vetlint::workspace::Workspace;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        // `Config` has no `Default`; `default_at` is "no file: every default applies".
        Engine::bundled(Config::default_at(PathBuf::from(".")), Lang::En)
            .expect("the bundled schemas and rules build")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((format, bytes)) = common::split_format(data) else {
        return;
    };
    let path = match format {
        Format::Json => "fuzz.json",
        Format::Yaml => "fuzz.yaml",
    };
    let engine = engine();
    let doc = load::load(path.to_owned(), bytes, Some(format), Lang::En);
    common::assert_document(&doc);

    // As `run::check` does: the workspace holds the run's documents, here just this one.
    let mut workspace = Workspace::default();
    workspace.add(&doc);
    let run = engine.prepare(workspace);
    let report = engine
        .check(doc, Origin::Explicit, &run)
        .expect("an explicitly named file is always reported");
    common::assert_diagnostics(&report.source.text, &report.diagnostics);

    let report = RunReport { files: vec![report] };
    let style = human::Style { color: false, width: 80, lang: Lang::En };
    let _ = human::render(&report, style);
    let _ = render::short::render(&report);
    let _ = render::json::render(&report);
});
