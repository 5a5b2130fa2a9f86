//! # harvest-scan
//!
//! Finds uses of the retired Greenhouse Harvest v1/v2 API (endpoints, base URLs, Basic auth with
//! the API key, the `On-Behalf-Of` header) in a codebase and says, from the mapping catalog of
//! `harvest-mappings`, what replaces each of them in Harvest v3.
//!
//! - [`scan::scan`] walks a tree and returns a [`scan::Report`];
//! - [`report`] renders it as text, JSON, SARIF 2.1.0, Markdown or GitHub annotations;
//! - [`diff::patch`] writes the safe rewrites as a unified patch;
//! - [`baseline`] filters accepted findings by fingerprint.

pub mod advice;
pub mod analyze;
pub mod baseline;
pub mod diff;
pub mod lex;
pub mod model;
pub mod report;
pub mod routes;
pub mod rustlex;
pub mod scan;
pub mod yamlscan;

pub use model::Kind;
pub use scan::{Finding, Options, Report, scan};

/// Debug aid: the tokens of a file.
pub fn debug_tokens(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lang = lex::Lang::for_path(path);
    lex::lex(lang, &text, 0, 0)
        .map(|l| {
            l.toks
                .iter()
                .map(|t| {
                    format!(
                        "{}:{} {:?} {:?} {:?}",
                        t.line, t.col, t.kind, t.text, t.parts
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
