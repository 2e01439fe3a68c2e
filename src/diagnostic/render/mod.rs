//! Renderers: one per output format, each a pure function of diagnostics and sources.
//!
//! - [`human`]: source lines with carets, like cargo and rustc;
//! - [`json`]: one object per diagnostic, for tools;
//! - [`github`]: GitHub Actions `::error file=…,line=…,col=…::` workflow commands.

pub mod github;
pub mod human;
pub mod json;
