//! vetlint: a linter for the documents of China's 1+X vocational certificate system.
//!
//! Data flows one way: discover → load (text, value, span index) → classify kind → schema
//! validation → sort → render. The check of one document ([`check::Engine::check`]) is a
//! pure function that never fails; only [`discover`], [`cli`] and [`render`] touch the
//! filesystem or the terminal.

pub mod baseline;
pub mod check;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod error;
pub mod identity;
pub mod lang;
pub mod limits;
pub mod load;
pub mod lsp;
pub mod pointer;
pub mod policy;
pub mod position;
pub mod render;
pub mod rules;
pub mod run;
pub mod schema;
pub mod setup;
pub mod stats;
pub mod suppress;
pub mod tables;
pub mod workspace;
