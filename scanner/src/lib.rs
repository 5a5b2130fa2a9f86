//! # harvest-scan
//!
//! Finds uses of the retired Greenhouse Harvest v1/v2 API (endpoints, base URLs, Basic auth with
//! the API key, the `On-Behalf-Of` header) in a codebase and says, from the mapping catalog of
//! `harvest-mappings`, what replaces each of them in Harvest v3.
//!
//! Modules, in the order a scan uses them (dependencies point down this list only):
//!
//! - [`scan`]: the scan end to end, [`scan::scan`] returns a [`findings::Report`]; [`config`]:
//!   the `harvest-scan.toml` settings;
//! - [`walk`]: which files are scanned, projects (manifests), reading files; [`prefilter`]:
//!   the Greenhouse markers searched in every file;
//! - [`context`]: project context (base-URL names, wrappers, files linked by [`imports`] and by
//!   the types of [`decls`]);
//! - [`resolve`]: candidates → findings (need, suppression, route, advice, rewrite);
//! - [`languages`]: which analysis a file gets — [`markdown`], [`plain`], [`yaml`], or the token
//!   [`rules`] over [`lex`] (tree-sitter) / [`rustlex`] (syn) tokens of [`tokens`];
//! - [`urls`], [`words`], [`routes`] (catalog matching), [`lang`], [`model`], [`settings`]
//!   (settings keys): shared pieces;
//! - [`findings`]: output types, summary, fingerprints; [`advice`]: the v3 side;
//! - [`report`], [`diff`], [`baseline`], [`since`], [`permissions`]: what is done with a
//!   report.

pub mod advice;
pub mod baseline;
pub mod config;
pub mod context;
pub mod decls;
pub mod diff;
pub mod findings;
pub mod imports;
pub mod lang;
pub mod languages;
pub mod lex;
pub mod markdown;
pub mod model;
pub mod permissions;
pub mod plain;
pub mod prefilter;
pub mod report;
pub mod resolve;
pub mod routes;
pub mod rules;
pub mod rustlex;
pub mod scan;
pub mod settings;
pub mod since;
pub mod tokens;
pub mod urls;
pub mod walk;
pub mod words;
pub mod yaml;

pub use findings::{Finding, Report};
pub use model::Kind;
pub use scan::{Options, scan};

/// Debug aid: the tokens of a file.
pub fn debug_tokens(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lang = lang::Lang::for_path(path);
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
