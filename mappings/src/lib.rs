//! # harvest-mappings
//!
//! The single truth of harvest-bridge: one declarative TOML file per Harvest resource says, for
//! every legacy v1/v2 endpoint, which v3 calls replace it, how its query parameters, pagination
//! and responses translate, which v3 scopes it needs and what a human should know.
//!
//! - [`Catalog`] loads and checks the files (errors at file:line:column with a hint);
//! - [`engine`] executes a view: batched joins over a whole page, then ordered operations;
//! - [`query`] turns legacy query parameters into v3 ones;
//! - [`serve`] is the legacy read pipeline (route → refuse → query → parent → page → translate)
//!   over any [`v3::V3`]: the proxy's HTTP client or the tests' fixtures;
//! - [`paging`] holds every paging plan (whole collection, page N by cursor, `via`);
//! - [`verify`] decides an unknown write outcome by reading back (`resources/_verify.toml`).
//!
//! The scanner reads suggestions and scopes from here, the proxy its whole behaviour, and
//! docs/coverage.md is generated from it (`harvest-proxy mappings coverage`).

pub mod catalog;
pub mod diag;
pub mod engine;
pub mod load;
pub mod model;
pub mod paging;
pub mod query;
pub mod report;
mod routes;
pub mod selector;
pub mod serve;
pub mod v3;
pub mod verify;
pub mod write;

pub use catalog::{Catalog, Endpoint, RouteMatch, Shape, Status, V3Call};
pub use diag::{Diagnostic, Diagnostics, Location};
pub use engine::{Fetch, FetchError, TranslateError, Translator};
pub use serve::{LegacyAnswer, LegacyRequest, Paging, ReadError};
pub use v3::{V3, V3Page};
