//! Legacy query parameters → the v3 query of an endpoint's primary call.

use std::collections::BTreeMap;

use crate::catalog::{Endpoint, ParamRule};
use crate::engine::MAX_IDS;

/// A date filter v3 could not take in the same request (v3 allows one of `created_at` and
/// `updated_at` per request); the caller applies it to the v3 rows itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFilter {
    pub field: String,
    pub op: String,
    pub value: String,
}

impl LocalFilter {
    /// True when the row passes (ISO-8601 UTC strings of one format compare as text).
    pub fn keeps(&self, row: &serde_json::Value) -> bool {
        let Some(v) = row.get(&self.field).and_then(|v| v.as_str()) else {
            return false;
        };
        let (a, b) = (normalize_ts(v), normalize_ts(&self.value));
        match self.op.as_str() {
            "gte" => a >= b,
            "gt" => a > b,
            "lte" => a <= b,
            "lt" => a < b,
            _ => true,
        }
    }
}

fn normalize_ts(s: &str) -> String {
    // 2024-01-01 → 2024-01-01T00:00:00.000Z; 2024-01-01T10:00:00Z → …:00.000Z
    let s = s.trim();
    if s.len() == 10 {
        return format!("{s}T00:00:00.000Z");
    }
    let s = s
        .trim_end_matches('Z')
        .trim_end_matches("+00:00")
        .trim_end_matches("+0000");
    let (main, frac) = s.split_once('.').unwrap_or((s, ""));
    let main = if main.len() == 16 {
        format!("{main}:00")
    } else {
        main.to_string()
    };
    format!("{main}.{:0<3}Z", &frac[..frac.len().min(3)])
}

/// The v3 side of a legacy request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct V3Query {
    /// Query parameters for the primary call (no `cursor`, no `per_page`).
    pub params: Vec<(String, String)>,
    /// How many of `params` (the first ones) are the mapping's fixed query, not the client's.
    pub fixed: usize,
    /// Legacy page number (1-based).
    pub page: u64,
    /// Legacy page size, also sent upstream as `per_page`.
    pub per_page: u64,
    pub local: Vec<LocalFilter>,
    /// Another response view chosen by a parameter (e.g. `render_as=tree`).
    pub view: Option<String>,
    /// A filter answered through a related collection (e.g. candidates of a job).
    pub via: Option<Via>,
}

/// `GET path?by=value`, collect `select` of every row: the ids to ask the primary call for,
/// in calls of at most 50 ids (`to`), paged over by the legacy page number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    pub path: String,
    pub query: Vec<(String, String)>,
    pub select: String,
    pub to: String,
}

impl Via {
    /// The ids of legacy page `page` (1-based) of size `per_page`, and whether more follow.
    pub fn page_of(ids: &[i64], page: u64, per_page: u64) -> (Vec<i64>, bool) {
        let start = (page.saturating_sub(1)).saturating_mul(per_page) as usize;
        let end = start.saturating_add(per_page as usize).min(ids.len());
        if start >= ids.len() {
            return (Vec::new(), false);
        }
        (ids[start..end].to_vec(), end < ids.len())
    }

    /// The distinct ids, newest (largest) first like v3, from the related rows; when the
    /// request also filters `to` itself (e.g. `candidate_ids` with `job_id`), only those.
    pub fn ids(&self, rows: &[serde_json::Value], params: &[(String, String)]) -> Vec<i64> {
        let allowed: Option<Vec<i64>> = params
            .iter()
            .find(|(k, _)| k == &self.to)
            .map(|(_, v)| v.split(',').filter_map(|x| x.trim().parse().ok()).collect());
        let mut ids: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.get(&self.select).and_then(serde_json::Value::as_i64))
            .filter(|id| allowed.as_ref().is_none_or(|a| a.contains(id)))
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.dedup();
        ids
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("invalid value for `{param}`: {message}")]
    Invalid { param: String, message: String },
    #[error("`{param}` cannot be served from Harvest v3: {reason}")]
    Unsupported { param: String, reason: String },
    #[error("path parameter `{param}` must be an integer id, not `{value}`")]
    BadPathParam { param: String, value: String },
}

/// Path parameters that name records (`id`, `*_id`) are v1 ids, positive i64: anything else
/// names no record (404, as v1 answered), and is never sent to v3 (which would refuse it as a
/// bad `ids`). Reads and writes check this first.
pub fn path_ids(path_params: &BTreeMap<String, String>) -> Result<(), QueryError> {
    for (k, v) in path_params {
        let numeric = k == "id" || k.ends_with("_id");
        let id = v.bytes().all(|b| b.is_ascii_digit()) && v.parse::<i64>().is_ok();
        if numeric && !id {
            return Err(QueryError::BadPathParam {
                param: k.clone(),
                value: v.clone(),
            });
        }
    }
    Ok(())
}

/// Translates a legacy request's path and query parameters.
pub fn translate(
    ep: &Endpoint,
    path_params: &BTreeMap<String, String>,
    legacy: &[(String, String)],
) -> Result<V3Query, QueryError> {
    path_ids(path_params)?;
    let mut out = V3Query {
        page: 1,
        per_page: 100,
        ..Default::default()
    };
    for p in &ep.params {
        if let ParamRule::PerPage { default, .. } = p.rule {
            out.per_page = default.max(1) as u64;
        }
    }
    out.params = fixed_query(ep, path_params);
    out.fixed = out.params.len();
    let mut filters: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (name, value) in legacy {
        let Some(p) = ep.param(name) else {
            // A list that documented only per_page still follows the proxy's page links.
            if name == "page" && ep.is_paginated() {
                out.page = positive(name, value, u64::MAX)?;
            }
            // v1 ignored parameters it did not know; so does the proxy.
            continue;
        };
        check_type(name, value, &p.kind)?;
        match &p.rule {
            ParamRule::Page => {
                out.page = positive(name, value, u64::MAX)?;
            }
            ParamRule::PerPage { min, max, .. } => {
                let n = positive(name, value, *max as u64)?;
                if (n as i64) < *min {
                    return Err(QueryError::Invalid {
                        param: name.clone(),
                        message: format!("must be between {min} and {max}"),
                    });
                }
                out.per_page = n;
            }
            ParamRule::Rename { to, map, list } => {
                let mapped = if *list {
                    id_list(name, value)?
                } else {
                    map.get(value).cloned().unwrap_or_else(|| value.clone())
                };
                out.params.retain(|(k, _)| k != to);
                // A value mapped to "" removes the v3 parameter (e.g. a default filter).
                if !mapped.is_empty() {
                    out.params.push((to.clone(), mapped));
                }
            }
            ParamRule::Filter { to, op } => {
                filters
                    .entry(to.clone())
                    .or_default()
                    .push((op.clone(), value.clone()));
            }
            ParamRule::View { views } => match views.get(value.as_str()) {
                Some(v) if v.is_empty() => out.view = None,
                Some(v) => out.view = Some(v.clone()),
                None => {
                    return Err(QueryError::Invalid {
                        param: name.clone(),
                        message: format!(
                            "must be one of {}",
                            views.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
            },
            ParamRule::Via(via) => {
                out.via = Some(Via {
                    path: via.path.clone(),
                    query: vec![(via.by.clone(), value.clone())],
                    select: via.select.clone(),
                    to: via.to.clone(),
                });
            }
            ParamRule::Ignore { .. } => {}
            ParamRule::Unsupported { reason } => {
                return Err(QueryError::Unsupported {
                    param: name.clone(),
                    reason: reason.clone(),
                });
            }
        }
    }
    send_filters(filters, &mut out);
    Ok(out)
}

/// A comma list of at most 50 integer ids (`candidate_ids=1,2,3`).
fn id_list(name: &str, value: &str) -> Result<String, QueryError> {
    let items: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.len() > MAX_IDS {
        return Err(QueryError::Invalid {
            param: name.to_string(),
            message: format!("at most {MAX_IDS} values"),
        });
    }
    if items.iter().any(|i| !i.bytes().all(|b| b.is_ascii_digit())) {
        return Err(QueryError::Invalid {
            param: name.to_string(),
            message: "must be a comma-separated list of integer ids".into(),
        });
    }
    Ok(items.join(","))
}

/// Operator filters go upstream as `field=op|value|op|value`. v3 takes one of created_at /
/// updated_at per request: the first goes upstream, the rest are applied to the rows locally.
fn send_filters(filters: BTreeMap<String, Vec<(String, String)>>, out: &mut V3Query) {
    let mut upstream_date_field: Option<String> = None;
    for (field, ops) in filters {
        let exclusive = field == "created_at" || field == "updated_at";
        if exclusive {
            if upstream_date_field.is_some() {
                for (op, value) in ops {
                    out.local.push(LocalFilter {
                        field: field.clone(),
                        op,
                        value,
                    });
                }
                continue;
            }
            upstream_date_field = Some(field.clone());
        }
        let v = ops
            .iter()
            .map(|(o, v)| format!("{o}|{v}"))
            .collect::<Vec<_>>()
            .join("|");
        out.params.push((field, v));
    }
}

/// Fills `{name}` placeholders from path parameters.
/// The primary call's query as the mapping fixes it, path parameters filled in. A path
/// parameter left off (an optional last segment) sends none of the entries that name it.
fn fixed_query(ep: &Endpoint, path_params: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let Some(primary) = ep.v3.first() else {
        return Vec::new();
    };
    primary
        .query
        .iter()
        .filter(|(_, tmpl)| !ep.optional_last || filled(tmpl, path_params))
        .map(|(k, tmpl)| (k.clone(), fill(tmpl, path_params)))
        .collect()
}

/// Whether every `{name}` of a template has a value.
fn filled(tmpl: &str, params: &BTreeMap<String, String>) -> bool {
    tmpl.split('{').skip(1).all(|rest| {
        rest.split_once('}')
            .is_none_or(|(name, _)| params.contains_key(name))
    })
}

pub fn fill(tmpl: &str, params: &BTreeMap<String, String>) -> String {
    let mut s = tmpl.to_string();
    for (k, v) in params {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

fn positive(name: &str, value: &str, max: u64) -> Result<u64, QueryError> {
    match value.trim().parse::<u64>() {
        Ok(n) if n >= 1 && n <= max => Ok(n),
        Ok(_) => Err(QueryError::Invalid {
            param: name.to_string(),
            message: if max == u64::MAX {
                "must be a positive integer".into()
            } else {
                format!("must be between 1 and {max}")
            },
        }),
        Err(_) => Err(QueryError::Invalid {
            param: name.to_string(),
            message: format!("`{value}` is not a positive integer"),
        }),
    }
}

fn check_type(name: &str, value: &str, kind: &str) -> Result<(), QueryError> {
    let ok = match kind {
        "integer" => !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
        "boolean" => value == "true" || value == "false",
        "datetime" => is_timestamp(value),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(QueryError::Invalid {
            param: name.to_string(),
            message: match kind {
                "datetime" => {
                    format!("`{value}` is not an ISO-8601 timestamp (e.g. 2024-01-31T00:00:00Z)")
                }
                _ => format!("`{value}` is not a valid {kind}"),
            },
        })
    }
}

/// ISO-8601 date or date-time: `YYYY-MM-DD`, optionally `THH:MM[:SS[.fff]]` and `Z` or `±HH[:]MM`.
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|x| x.iter().all(u8::is_ascii_digit))
    };
    if b.len() < 10
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return false;
    }
    let month = (b[5] - b'0') * 10 + (b[6] - b'0');
    let day = (b[8] - b'0') * 10 + (b[9] - b'0');
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    if b.len() == 10 {
        return true;
    }
    if b[10] != b'T' && b[10] != b' ' {
        return false;
    }
    let mut i = 11;
    if !digits(i..i + 2) || b.get(i + 2) != Some(&b':') || !digits(i + 3..i + 5) {
        return false;
    }
    let hour = (b[i] - b'0') * 10 + (b[i + 1] - b'0');
    let min = (b[i + 3] - b'0') * 10 + (b[i + 4] - b'0');
    if hour > 23 || min > 59 {
        return false;
    }
    i += 5;
    if b.get(i) == Some(&b':') {
        if !digits(i + 1..i + 3) {
            return false;
        }
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return false;
            }
        }
    }
    match b.get(i) {
        None => true,
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+') | Some(b'-') => {
            let rest = &s[i + 1..];
            let r = rest.as_bytes();
            (r.len() == 4 && r.iter().all(u8::is_ascii_digit))
                || (r.len() == 5
                    && r[2] == b':'
                    && r[..2].iter().chain(&r[3..]).all(u8::is_ascii_digit))
                || (r.len() == 2 && r.iter().all(u8::is_ascii_digit))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        for ok in [
            "2024-01-31",
            "2024-01-31T10:00:00Z",
            "2024-01-31T10:00:00.123Z",
            "2024-01-31T10:00Z",
            "2024-01-31T10:00:00+02:00",
            "2024-01-31T10:00:00+0000",
        ] {
            assert!(is_timestamp(ok), "{ok}");
        }
        for bad in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-01-31T25:00:00Z",
            "2024-01-31T10:00:00Zjunk",
            "2024/01/31",
        ] {
            assert!(!is_timestamp(bad), "{bad}");
        }
    }

    #[test]
    fn local_filter_compares_timestamps() {
        let f = LocalFilter {
            field: "updated_at".into(),
            op: "gte".into(),
            value: "2024-01-01T00:00:00Z".into(),
        };
        assert!(f.keeps(&serde_json::json!({"updated_at": "2024-01-01T00:00:00.000Z"})));
        assert!(!f.keeps(&serde_json::json!({"updated_at": "2023-12-31T23:59:59.999Z"})));
    }
}
