//! `vetlint::load::load` as strict JSON: never panics, and every span it reports (diagnostics,
//! their same-file related locations, the pointer → span index) is inside the decoded text and
//! on character boundaries.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use vetlint::lang::Lang;
use vetlint::load::{self, Format};

fuzz_target!(|data: &[u8]| {
    let doc = load::load("fuzz.json".to_owned(), data, Some(Format::Json), Lang::En);
    common::assert_document(&doc);
});
