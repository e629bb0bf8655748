//! Declarative policy rules: compiled from rule files, evaluated per document.

pub mod cel;
pub mod eval;
pub mod fast;
pub mod rule;
pub mod template;
