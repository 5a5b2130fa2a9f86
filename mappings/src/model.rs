//! The mapping file format as written on disk (TOML). See docs/mappings.md.
//!
//! These types are only the raw, span-carrying form; `load` turns them into the checked
//! `catalog` types the rest of the project uses.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// One mapping file: the views (record translations) and the legacy endpoints of one resource.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDef {
    #[serde(default)]
    pub views: BTreeMap<String, Spanned<ViewDef>>,
    #[serde(default, rename = "endpoint")]
    pub endpoints: Vec<Spanned<EndpointDef>>,
}

/// How one v3 record becomes one v1 object: joins first, then an ordered list of operations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewDef {
    /// The v3 collection the records come from (documentation and validation).
    pub source: Option<String>,
    /// Start from another view's joins and operations, then apply this view's operations.
    /// A view that extends another declares no joins of its own.
    pub extends: Option<Spanned<String>>,
    #[serde(default)]
    pub joins: Vec<Spanned<JoinDef>>,
    /// Operations, each a table with an `op` key. Kept as raw TOML so that each one can be
    /// reported at its own line when it does not parse.
    #[serde(default)]
    pub ops: Vec<Spanned<toml::Value>>,
}

/// Fetch a related v3 collection for a whole batch of records and index it by a key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinDef {
    pub name: Spanned<String>,
    /// v3 collection path, e.g. `/v3/applications`.
    pub from: Spanned<String>,
    /// The plural filter that takes the keys, e.g. `candidate_ids` or `ids` (at most 50 a call).
    pub by: Option<Spanned<String>>,
    /// Fetch the whole collection instead of filtering (small reference lists).
    #[serde(default)]
    pub all: bool,
    /// Selector on the parent record giving the key (a scalar or an array of keys); a query
    /// such as `$['recruiter_id','coordinator_id']` collects several keys for one call.
    pub key: Spanned<String>,
    /// Selector on each joined row giving the value compared with the key.
    pub on: Spanned<String>,
    /// Extra fixed query parameters for the join call.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Translate the joined rows with this view (`name` in this file or `file.name`).
    pub view: Option<Spanned<String>>,
    /// Reference data that a proxy may cache with a TTL.
    #[serde(default)]
    pub cache: bool,
}

/// A legacy v1/v2 endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointDef {
    pub name: String,
    pub method: Spanned<String>,
    pub path: Spanned<String>,
    pub versions: Spanned<Vec<String>>,
    pub basis: Option<String>,
    pub legacy_status: Option<String>,
    pub status: Spanned<String>,
    /// For `partial`: what the translation loses.
    pub lost: Option<String>,
    /// For `unsupported`: why.
    pub reason: Option<String>,
    /// For `unsupported`: what to do in v3 instead.
    pub instead: Option<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub v3: Vec<Spanned<V3CallDef>>,
    #[serde(default)]
    pub params: Vec<Spanned<ParamDef>>,
    pub response: Option<Spanned<ResponseDef>>,
    /// A v3 call that must find the parent record of a nested route (e.g. the candidate of
    /// `/v1/candidates/{id}/tags`); when it finds nothing the legacy answer is 404, as in v1.
    pub exists: Option<Spanned<ExistsDef>>,
    /// v1 fields of the object that the translation does not produce, each with the reason.
    #[serde(default)]
    pub omitted: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V3CallDef {
    pub method: Spanned<String>,
    pub path: Spanned<String>,
    /// Query template: values may name legacy path parameters (`{id}`).
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    pub purpose: Option<String>,
    /// Scope override where the `harvest:<resource>:<action>` rule does not apply.
    pub scope: Option<String>,
    /// For writes: the view that turns the legacy request body into this call's body.
    pub body: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViaDef {
    pub path: String,
    pub by: String,
    pub select: String,
    pub to: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExistsDef {
    pub path: Spanned<String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
}

/// One legacy query parameter and what becomes of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamDef {
    pub name: Spanned<String>,
    /// `page`, `per_page` or `skip_count`: pagination roles served by the proxy.
    pub role: Option<Spanned<String>>,
    /// v3 parameter it becomes.
    pub to: Option<String>,
    /// Operator filter (`gte`, `lte`, `gt`, `lt`): `created_after=X` → `created_at=gte|X`.
    pub filter: Option<Spanned<String>>,
    /// Value map applied before sending (`{ active = "active" }`); unknown values are sent as is.
    pub map: Option<BTreeMap<String, String>>,
    /// Comma list (at most 50 items upstream).
    #[serde(default)]
    pub list: bool,
    /// Value type check: `integer`, `datetime`, `boolean` or `string` (default).
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    /// Dropped without effect on the answer (e.g. `skip_count`), with the reason.
    pub ignore: Option<String>,
    /// v3 cannot honour it: the proxy answers 422 naming this reason.
    pub unsupported: Option<String>,
    /// The value picks another response view: `{ tree = "department_tree", list = "" }`.
    pub view: Option<BTreeMap<String, String>>,
    /// A filter v3 has only on a related collection: fetch `path?by=value`, collect `select`
    /// from every row, and ask the primary collection for those ids (`to`), paging over them.
    pub via: Option<ViaDef>,
    pub default: Option<i64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseDef {
    /// View applied to each v3 record (`name` in this file or `file.name`).
    pub view: Spanned<String>,
    /// `list` (a page of objects), `single` (the one record of an `?ids=` call, 404 if none),
    /// or `object` (all records folded into one object: `{ "records": [...] }` through the view).
    #[serde(default = "default_shape")]
    pub shape: Spanned<String>,
    /// JSONPath filter on the v3 records, e.g. `$[?@.status == 'complete']`.
    #[serde(rename = "where")]
    pub filter: Option<Spanned<String>>,
}

fn default_shape() -> Spanned<String> {
    Spanned::new(0..0, "list".to_string())
}
