//! # harvest-mappings
//!
//! The single truth of harvest-bridge: one declarative TOML file per Harvest resource says, for
//! every legacy v1/v2 endpoint, which v3 calls replace it, how its query parameters, pagination
//! and responses translate, which v3 scopes it needs and what a human should know.
//!
//! - [`Catalog`] loads and checks the files (errors at file:line:column with a hint);
//! - [`engine`] executes a view: batched joins over a whole page, then ordered operations;
//! - [`query`] turns legacy query parameters into v3 ones.
//!
//! The scanner reads suggestions and scopes from here, the proxy its whole behaviour, and
//! docs/coverage.md is generated from it (`harvest-proxy mappings coverage`).

pub mod catalog;
pub mod diag;
pub mod engine;
pub mod load;
pub mod model;
pub mod ops;
pub mod query;
pub mod report;
pub mod selector;

pub use catalog::{Catalog, Endpoint, RouteMatch, Shape, Status, V3Call};
pub use diag::{Diagnostic, Diagnostics, Location};
pub use engine::{Fetch, FetchError, TranslateError, Translator};
