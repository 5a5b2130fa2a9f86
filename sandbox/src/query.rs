//! List queries: parameter validation, filters, cursor pagination and sparse fieldsets.

use std::collections::BTreeSet;
use std::ops::Bound;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::errors::{ApiError, field_entry};
use crate::schema::{Kind, ResourceDef};
use crate::store::{Dataset, Table};
use crate::time;

/// Maximum `per_page`.
pub const MAX_PER_PAGE: usize = 500;
/// Default `per_page`.
pub const DEFAULT_PER_PAGE: usize = 100;
/// Maximum number of ids in `ids` / `*_ids` filters (and of names in `fields`).
pub const MAX_LIST: usize = 50;

const CURSOR_ALONE: &str = "When passing a cursor, do not include other query params.";

#[derive(Debug, Clone)]
enum Filter {
    /// Scalar integer field (or `id`) in a set.
    IdIn(&'static str, BTreeSet<i64>),
    /// Integer-array field intersects the set.
    ArrayAny(&'static str, BTreeSet<i64>),
    /// Array of objects whose `id` is in the set (users.interviewer_tags).
    NestedIdAny(&'static str, BTreeSet<i64>),
    /// String field equals one of the values.
    StrIn(&'static str, Vec<String>, bool),
    BoolEq(&'static str, bool),
    Range(&'static str, Range),
    /// Candidates whose email_addresses contain the value (case-insensitive).
    Email(String),
    /// Candidates tagged with the name.
    Tag(String),
    /// Records whose custom_fields hold this option name.
    CustomFieldValue(String),
    /// Hide service accounts (users) unless shown.
    HideServiceAccounts,
    /// Only each application's current (highest-version) offer.
    CurrentOffer,
    /// Nothing matches (e.g. an unknown custom_field_key).
    Nothing,
    /// Everything matches (e.g. `show_service_accounts=true`).
    All,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Range {
    gt: Option<i64>,
    gte: Option<i64>,
    lt: Option<i64>,
    lte: Option<i64>,
}

impl Range {
    fn contains(&self, t: i64) -> bool {
        self.gt.is_none_or(|b| t > b)
            && self.gte.is_none_or(|b| t >= b)
            && self.lt.is_none_or(|b| t < b)
            && self.lte.is_none_or(|b| t <= b)
    }
}

/// Cursor payload (opaque to clients: URL-safe base64 JSON).
#[derive(Debug, Serialize, Deserialize)]
struct CursorState {
    r: String,
    q: Vec<(String, String)>,
    n: usize,
    a: i64,
}

/// A validated list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub resource: &'static ResourceDef,
    pub per_page: usize,
    /// Filter parameters as given (without `cursor`/`per_page`), carried in cursors.
    params: Vec<(String, String)>,
    after: Option<i64>,
    filters: Vec<Filter>,
    fields: Option<Vec<&'static str>>,
}

/// One page of results.
#[derive(Debug)]
pub struct Page {
    pub records: Vec<Value>,
    /// Cursor for the next page, if there is one.
    pub next_cursor: Option<String>,
}

fn parse_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    match raw {
        Some(q) if !q.is_empty() => form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        _ => Vec::new(),
    }
}

fn int_list(param: &str, v: &str) -> Result<BTreeSet<i64>, ApiError> {
    let items: Vec<&str> = v.split(',').map(str::trim).collect();
    if items.len() > MAX_LIST {
        return Err(ApiError::field(
            param,
            format!("must contain at most {MAX_LIST} items, got {}", items.len()),
        ));
    }
    items
        .iter()
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| ApiError::field(param, format!("`{s}` is not a valid integer")))
        })
        .collect()
}

fn str_list(param: &str, v: &str) -> Result<Vec<String>, ApiError> {
    let items: Vec<String> = v.split(',').map(|s| s.trim().to_string()).collect();
    if items.len() > MAX_LIST {
        return Err(ApiError::field(
            param,
            format!("must contain at most {MAX_LIST} items, got {}", items.len()),
        ));
    }
    Ok(items)
}

fn parse_bool(param: &str, v: &str) -> Result<bool, ApiError> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::field(
            param,
            format!("`{v}` is not a valid boolean"),
        )),
    }
}

fn parse_ts(v: &str) -> Option<i64> {
    time::parse_iso(v).or_else(|| time::parse_iso(&v.replace(' ', "+")))
}

fn parse_range(param: &str, v: &str) -> Result<Range, ApiError> {
    let bad = || {
        ApiError::field(
            param,
            format!(
                "`{v}` is invalid: use pipe-delimited operator|value pairs, e.g. gte|2024-01-01T00:00:00Z (operators gte, lte, gt, lt)"
            ),
        )
    };
    let parts: Vec<&str> = v.split('|').collect();
    if parts.len() < 2 || !parts.len().is_multiple_of(2) || parts.len() > 8 {
        return Err(bad());
    }
    let mut r = Range::default();
    for pair in parts.chunks(2) {
        let t = parse_ts(pair[1]).ok_or_else(bad)?;
        let slot = match pair[0] {
            "gt" => &mut r.gt,
            "gte" => &mut r.gte,
            "lt" => &mut r.lt,
            "lte" => &mut r.lte,
            _ => return Err(bad()),
        };
        if slot.is_some() {
            return Err(bad());
        }
        *slot = Some(t);
    }
    Ok(r)
}

fn check_enum(param: &str, allowed: &[&str], values: &[String]) -> Result<(), ApiError> {
    if allowed.is_empty() {
        return Ok(());
    }
    for v in values {
        if !allowed.contains(&v.as_str()) {
            return Err(ApiError::field(
                param,
                format!("`{v}` is not one of: {}", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

/// Builds the filter for one parameter.
fn filter_for(
    def: &'static ResourceDef,
    ds: &Dataset,
    param: &str,
    v: &str,
) -> Result<Filter, ApiError> {
    if v.is_empty() {
        return Err(ApiError::field(param, "must not be empty"));
    }
    // resource-specific parameters first
    if let Some(f) = resource_filter(def, ds, param, v)? {
        return Ok(f);
    }
    field_filter(def, param, v)
}

/// The filter of a parameter particular to a resource (`None` when `param` is not one).
fn resource_filter(
    def: &'static ResourceDef,
    ds: &Dataset,
    param: &str,
    v: &str,
) -> Result<Option<Filter>, ApiError> {
    let f = match (def.name, param) {
        ("applications", "status") => {
            let vals = vec![v.to_string()];
            check_enum(param, &["rejected", "hired", "converted", "active"], &vals)?;
            let stored = if v == "active" { "in_process" } else { v };
            Filter::StrIn("status", vec![stored.to_string()], false)
        }
        ("candidates", "email") => Filter::Email(v.to_lowercase()),
        ("candidates", "tag") => Filter::Tag(v.to_string()),
        ("users", "show_service_accounts") => {
            if parse_bool(param, v)? {
                Filter::All
            } else {
                Filter::HideServiceAccounts
            }
        }
        ("users", "primary_email") => Filter::StrIn("primary_email", vec![v.to_lowercase()], true),
        ("users", "interviewer_tag_ids") => {
            Filter::NestedIdAny("interviewer_tags", int_list(param, v)?)
        }
        ("users", "external_office_id") | ("users", "external_department_id") => {
            let (table, field) = if param == "external_office_id" {
                ("offices", "office_ids")
            } else {
                ("departments", "department_ids")
            };
            let ids = ids_with_str(ds, table, "external_id", v);
            if ids.is_empty() {
                Filter::Nothing
            } else {
                Filter::ArrayAny(field, ids)
            }
        }
        ("offers", "current_only") => {
            if parse_bool(param, v)? {
                Filter::CurrentOffer
            } else {
                Filter::All
            }
        }
        ("jobs", "office_id") => {
            let id = parse_int(param, v)?;
            Filter::ArrayAny("office_ids", [id].into_iter().collect())
        }
        ("rejection_reasons", "include_defaults") => {
            // The sandbox's reasons are all organisation reasons; the flag only has to parse.
            parse_bool(param, v)?;
            Filter::All
        }
        ("custom_field_options", "custom_field_key") => {
            let ids = ids_with_str(ds, "custom_fields", "name_key", v);
            if ids.is_empty() {
                Filter::Nothing
            } else {
                Filter::IdIn("custom_field_id", ids)
            }
        }
        (_, "custom_field_option_id") if def.field("custom_fields").is_some() => {
            let id = parse_int(param, v)?;
            match ds
                .get("custom_field_options", id)
                .and_then(|o| o.get("name"))
                .and_then(Value::as_str)
            {
                Some(n) => Filter::CustomFieldValue(n.to_string()),
                None => Filter::Nothing,
            }
        }
        ("scorecard_question_answer_options", "scorecard_ids")
        | ("scorecard_question_answer_options", "application_ids") => {
            answer_options_filter(ds, param, v)?
        }
        _ => return Ok(None),
    };
    Ok(Some(f))
}

/// Answer options of the answers of the given scorecards (or of the applications' scorecards).
fn answer_options_filter(ds: &Dataset, param: &str, v: &str) -> Result<Filter, ApiError> {
    let parents = int_list(param, v)?;
    let mut scorecards = parents.clone();
    if param == "application_ids" {
        scorecards = ids_where(ds, "scorecards", "application_id", &parents);
    }
    let answers = ids_where(
        ds,
        "scorecard_question_answers",
        "scorecard_id",
        &scorecards,
    );
    Ok(Filter::IdIn("scorecard_question_answer_id", answers))
}

/// The filter of a parameter named after a field: `ids`, `<x>_ids` lists, or the field itself.
fn field_filter(def: &'static ResourceDef, param: &str, v: &str) -> Result<Filter, ApiError> {
    if param == "ids" {
        return Ok(Filter::IdIn("id", int_list(param, v)?));
    }
    if let Some(stem) = param.strip_suffix("_ids") {
        let scalar = format!("{stem}_id");
        if let Some(f) = def.field(&scalar) {
            return match f.kind {
                Kind::Int => Ok(Filter::IdIn(f.name, int_list(param, v)?)),
                Kind::Str => Ok(Filter::StrIn(f.name, str_list(param, v)?, false)),
                _ => Err(unknown(param)),
            };
        }
        if let Some(f) = def.field(param)
            && f.kind == Kind::IntArray
        {
            return Ok(Filter::ArrayAny(f.name, int_list(param, v)?));
        }
        return Err(unknown(param));
    }
    if let Some(f) = def.field(param) {
        return match f.kind {
            Kind::DateTime => Ok(Filter::Range(f.name, parse_range(param, v)?)),
            Kind::Int => Ok(Filter::IdIn(f.name, int_list(param, v)?)),
            Kind::Bool => Ok(Filter::BoolEq(f.name, parse_bool(param, v)?)),
            Kind::Str | Kind::Date => {
                let vals = str_list(param, v)?;
                check_enum(param, f.enumeration, &vals)?;
                Ok(Filter::StrIn(f.name, vals, false))
            }
            _ => Err(unknown(param)),
        };
    }
    if param == "email" && def.field("email").is_some() {
        return Ok(Filter::StrIn("email", str_list(param, v)?, false));
    }
    Err(unknown(param))
}

/// One integer value.
fn parse_int(param: &str, v: &str) -> Result<i64, ApiError> {
    v.parse()
        .map_err(|_| ApiError::field(param, format!("`{v}` is not a valid integer")))
}

/// Ids of the rows of `table` whose string `field` is `v`.
fn ids_with_str(ds: &Dataset, table: &str, field: &str, v: &str) -> BTreeSet<i64> {
    ds.table(table)
        .map(|t| {
            t.rows()
                .iter()
                .filter(|(_, r)| r.get(field).and_then(Value::as_str) == Some(v))
                .map(|(id, _)| *id)
                .collect()
        })
        .unwrap_or_default()
}

fn ids_where(ds: &Dataset, table: &str, field: &str, parents: &BTreeSet<i64>) -> BTreeSet<i64> {
    let Some(t) = ds.table(table) else {
        return BTreeSet::new();
    };
    parents.iter().flat_map(|p| t.find_ids(field, *p)).collect()
}

fn unknown(param: &str) -> ApiError {
    ApiError::field(param, "is not a permitted query parameter")
}

fn parse_per_page(v: &str) -> Result<usize, ApiError> {
    let n: i64 = v
        .trim()
        .parse()
        .map_err(|_| ApiError::field("per_page", format!("`{v}` is not a valid integer")))?;
    if n > MAX_PER_PAGE as i64 {
        return Err(ApiError::field(
            "per_page",
            format!("`{n}` number is greater than: {MAX_PER_PAGE}"),
        ));
    }
    if n < 1 {
        return Err(ApiError::field(
            "per_page",
            format!("`{n}` number is less than: 1"),
        ));
    }
    Ok(n as usize)
}

impl ListQuery {
    /// Validates a raw query string for `GET /v3/<def.name>`.
    pub fn parse(
        def: &'static ResourceDef,
        ds: &Dataset,
        raw: Option<&str>,
    ) -> Result<Self, ApiError> {
        let pairs = parse_pairs(raw);
        if pairs.iter().any(|(k, _)| k == "cursor") {
            if pairs.len() != 1 {
                return Err(ApiError::message(CURSOR_ALONE));
            }
            let state = decode_cursor(&pairs[0].1)
                .filter(|s| s.r == def.name && (1..=MAX_PER_PAGE).contains(&s.n));
            let Some(state) = state else {
                return Err(ApiError::message("Invalid cursor."));
            };
            let mut q = Self::build(def, ds, state.q)?;
            q.per_page = state.n;
            q.after = Some(state.a);
            return Ok(q);
        }
        let mut per_page = DEFAULT_PER_PAGE;
        let mut params = Vec::new();
        for (k, v) in pairs {
            if k == "per_page" {
                per_page = parse_per_page(&v)?;
            } else {
                params.push((k, v));
            }
        }
        let mut q = Self::build(def, ds, params)?;
        q.per_page = per_page;
        Ok(q)
    }

    fn build(
        def: &'static ResourceDef,
        ds: &Dataset,
        params: Vec<(String, String)>,
    ) -> Result<Self, ApiError> {
        let mut seen = BTreeSet::new();
        let mut filters = Vec::new();
        let mut fields = None;
        let mut errors = Vec::new();
        for (k, v) in &params {
            if !seen.insert(k.as_str()) {
                errors.push(field_entry(k, "must be given once"));
                continue;
            }
            if k == "fields" {
                match parse_fields(def, v) {
                    Ok(f) => fields = Some(f),
                    Err(e) => errors.extend(e.entries()),
                }
                continue;
            }
            match filter_for(def, ds, k, v) {
                Ok(f) => filters.push(f),
                Err(e) => errors.extend(e.entries()),
            }
        }
        if seen.contains("created_at") && seen.contains("updated_at") {
            errors.push(Value::String(
                "Filter by either created_at or updated_at, not both.".into(),
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::unprocessable(errors));
        }
        if def.name == "users" && !seen.contains("show_service_accounts") {
            filters.push(Filter::HideServiceAccounts);
        }
        filters.retain(|f| !matches!(f, Filter::All));
        Ok(ListQuery {
            resource: def,
            per_page: DEFAULT_PER_PAGE,
            params,
            after: None,
            filters,
            fields,
        })
    }

    /// Runs the query.
    pub fn run(&self, ds: &Dataset) -> Page {
        let Some(table) = ds.table(self.resource.name) else {
            return Page {
                records: Vec::new(),
                next_cursor: None,
            };
        };
        let upper = match self.after {
            Some(a) => Bound::Excluded(a),
            None => Bound::Unbounded,
        };
        let mut matched: Vec<&Value> = Vec::with_capacity(self.per_page + 1);
        let want = self.per_page + 1;
        if let Some(candidates) = self.candidate_ids(table) {
            for id in candidates.range((Bound::Unbounded, upper)).rev() {
                if let Some(rec) = table.get(*id)
                    && self.matches(ds, rec)
                {
                    matched.push(rec);
                    if matched.len() == want {
                        break;
                    }
                }
            }
        } else {
            for rec in table
                .rows()
                .range((Bound::Unbounded, upper))
                .rev()
                .map(|(_, r)| r)
            {
                if self.matches(ds, rec) {
                    matched.push(rec);
                    if matched.len() == want {
                        break;
                    }
                }
            }
        }
        let more = matched.len() > self.per_page;
        matched.truncate(self.per_page);
        let next_cursor = if more {
            matched
                .last()
                .and_then(|r| r.get("id"))
                .and_then(Value::as_i64)
                .map(|last| {
                    encode_cursor(&CursorState {
                        r: self.resource.name.to_string(),
                        q: self.params.clone(),
                        n: self.per_page,
                        a: last,
                    })
                })
        } else {
            None
        };
        let records = matched.into_iter().map(|r| self.project(r)).collect();
        Page {
            records,
            next_cursor,
        }
    }

    /// The smallest id set implied by an indexed id filter, if any.
    fn candidate_ids(&self, table: &Table) -> Option<BTreeSet<i64>> {
        let mut best: Option<BTreeSet<i64>> = None;
        for f in &self.filters {
            let set = match f {
                Filter::IdIn("id", ids) => ids.clone(),
                Filter::IdIn(field, vals) if table.is_indexed(field) => vals
                    .iter()
                    .filter_map(|v| table.ids_by(field, *v))
                    .flat_map(|s| s.iter().copied())
                    .collect(),
                _ => continue,
            };
            if best.as_ref().is_none_or(|b| set.len() < b.len()) {
                best = Some(set);
            }
        }
        best
    }

    fn matches(&self, ds: &Dataset, rec: &Value) -> bool {
        self.filters.iter().all(|f| filter_matches(f, ds, rec))
    }

    fn project(&self, rec: &Value) -> Value {
        match (&self.fields, rec.as_object()) {
            (Some(fields), Some(obj)) => {
                let mut out = Map::new();
                for (k, v) in obj {
                    if fields.iter().any(|f| f == k) {
                        out.insert(k.clone(), v.clone());
                    }
                }
                Value::Object(out)
            }
            _ => rec.clone(),
        }
    }
}

fn parse_fields(def: &'static ResourceDef, v: &str) -> Result<Vec<&'static str>, ApiError> {
    let names: Vec<&str> = v.split(',').map(str::trim).collect();
    if names.len() > MAX_LIST {
        return Err(ApiError::field(
            "fields",
            format!("must contain at most {MAX_LIST} items"),
        ));
    }
    names
        .iter()
        .map(|n| {
            def.field(n).map(|f| f.name).ok_or_else(|| {
                ApiError::field(
                    "fields",
                    format!("`{n}` is not an attribute of {}", def.name),
                )
            })
        })
        .collect()
}

fn filter_matches(f: &Filter, ds: &Dataset, rec: &Value) -> bool {
    match f {
        Filter::IdIn(field, set) => rec
            .get(*field)
            .and_then(Value::as_i64)
            .is_some_and(|v| set.contains(&v)),
        Filter::ArrayAny(field, set) => rec
            .get(*field)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().filter_map(Value::as_i64).any(|v| set.contains(&v))),
        Filter::NestedIdAny(field, set) => {
            rec.get(*field).and_then(Value::as_array).is_some_and(|a| {
                a.iter()
                    .filter_map(|o| o.get("id").and_then(Value::as_i64))
                    .any(|v| set.contains(&v))
            })
        }
        Filter::StrIn(field, vals, ci) => match rec.get(*field).and_then(Value::as_str) {
            Some(s) if *ci => vals.iter().any(|v| v.eq_ignore_ascii_case(s)),
            Some(s) => vals.iter().any(|v| v == s),
            None => false,
        },
        Filter::BoolEq(field, b) => rec.get(*field).and_then(Value::as_bool) == Some(*b),
        Filter::Range(field, r) => rec
            .get(*field)
            .and_then(Value::as_str)
            .and_then(time::parse_iso)
            .is_some_and(|t| r.contains(t)),
        Filter::Email(e) => rec
            .get("email_addresses")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter()
                    .filter_map(|x| x.get("value").and_then(Value::as_str))
                    .any(|v| v.eq_ignore_ascii_case(e))
            }),
        Filter::Tag(t) => rec
            .get("tags")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(t))),
        Filter::CustomFieldValue(name) => rec
            .get("custom_fields")
            .and_then(Value::as_object)
            .is_some_and(|m| {
                m.values().filter_map(|e| e.get("value")).any(|v| match v {
                    Value::String(s) => s == name,
                    Value::Array(a) => a.iter().any(|x| x.as_str() == Some(name)),
                    _ => false,
                })
            }),
        Filter::HideServiceAccounts => rec
            .get("id")
            .and_then(Value::as_i64)
            .is_none_or(|id| !ds.service_user_ids.contains(&id)),
        Filter::CurrentOffer => {
            let (Some(app), Some(version)) = (
                rec.get("application_id").and_then(Value::as_i64),
                rec.get("version").and_then(Value::as_i64),
            ) else {
                return false;
            };
            let Some(t) = ds.table("offers") else {
                return true;
            };
            t.find_ids("application_id", app)
                .iter()
                .filter_map(|id| t.get(*id))
                .filter_map(|o| o.get("version").and_then(Value::as_i64))
                .all(|v| v <= version)
        }
        Filter::Nothing => false,
        Filter::All => true,
    }
}

fn encode_cursor(s: &CursorState) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(s).unwrap_or_default())
}

fn decode_cursor(c: &str) -> Option<CursorState> {
    let bytes = URL_SAFE_NO_PAD.decode(c.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}
