//! Harvest v3 over in-memory collections that behaves like v3 (its list filters, newest id
//! first, `per_page` and cursors), and the golden tests' entry into the legacy pipeline.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use harvest_mappings::engine::{Fetch, FetchError, FetchFuture};
use harvest_mappings::v3::{V3, V3Page};
use harvest_mappings::{Catalog, LegacyRequest, paging, serve};
use serde_json::Value;

pub struct FixtureFetch {
    pub data: BTreeMap<String, Vec<Value>>,
    pub calls: Mutex<Vec<String>>,
}

impl FixtureFetch {
    pub fn new(data: &Value) -> Self {
        let mut m = BTreeMap::new();
        if let Value::Object(o) = data {
            for (k, v) in o {
                if let Value::Array(a) = v {
                    m.insert(k.clone(), a.clone());
                }
            }
        }
        FixtureFetch {
            data: m,
            calls: Mutex::new(Vec::new()),
        }
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn keep(row: &Value, k: &str, v: &str) -> bool {
    let list: Vec<&str> = v.split(',').collect();
    if k == "ids" {
        return row
            .get("id")
            .is_some_and(|id| list.contains(&text(id).as_str()));
    }
    if let Some(stem) = k.strip_suffix("_ids") {
        if let Some(f) = row.get(format!("{stem}_id")) {
            return list.contains(&text(f).as_str());
        }
        if let Some(Value::Array(a)) = row.get(k) {
            return a.iter().any(|x| list.contains(&text(x).as_str()));
        }
        return false;
    }
    if k == "created_at" || k == "updated_at" {
        let parts: Vec<&str> = v.split('|').collect();
        let Some(val) = row.get(k).and_then(Value::as_str) else {
            return false;
        };
        return parts.chunks(2).all(|c| match c {
            [op, x] => match *op {
                "gte" => val >= *x,
                "gt" => val > *x,
                "lte" => val <= *x,
                "lt" => val < *x,
                _ => true,
            },
            _ => true,
        });
    }
    match row.get(k) {
        Some(f) => text(f) == v,
        None => true,
    }
}

impl FixtureFetch {
    /// The rows of a collection that pass the query's filters, newest id first (like v3).
    fn select(&self, path: &str, query: &[(String, String)]) -> Vec<Value> {
        let rows = self.data.get(path).cloned().unwrap_or_default();
        // v3 resolves custom_field_key through the custom fields' name_key.
        let field_ids: Option<Vec<String>> = query
            .iter()
            .find(|(k, _)| k == "custom_field_key")
            .map(|(_, key)| {
                self.data
                    .get("/v3/custom_fields")
                    .into_iter()
                    .flatten()
                    .filter(|f| f.get("name_key").and_then(Value::as_str) == Some(key.as_str()))
                    .map(|f| text(&f["id"]))
                    .collect()
            });
        let rows: Vec<Value> = match &field_ids {
            Some(ids) => rows
                .into_iter()
                .filter(|r| {
                    r.get("custom_field_id")
                        .is_some_and(|c| ids.contains(&text(c)))
                })
                .collect(),
            None => rows,
        };
        let mut rows: Vec<Value> = rows
            .into_iter()
            .filter(|r| {
                query
                    .iter()
                    .all(|(k, v)| PAGING.contains(&k.as_str()) || keep(r, k, v))
            })
            .collect();
        rows.sort_by_key(|r| {
            std::cmp::Reverse(r.get("id").and_then(Value::as_i64).unwrap_or(i64::MIN))
        });
        rows
    }
}

/// Query parameters that page rather than filter (calls are recorded without them).
const PAGING: [&str; 2] = ["per_page", "cursor"];

impl Fetch for FixtureFetch {
    fn fetch<'a>(&'a self, path: &'a str, query: &'a [(String, String)]) -> FetchFuture<'a> {
        Box::pin(async move { Ok(Arc::new(paging::all(self, path, query).await?)) })
    }
}

/// v3 over the fixture collections: `per_page` and an offset `cursor`, like v3's `Link`.
impl V3 for FixtureFetch {
    fn page<'a>(
        &'a self,
        target: &'a str,
        _parse: bool,
    ) -> BoxFuture<'a, Result<V3Page, FetchError>> {
        Box::pin(async move {
            let (path, qs) = target.split_once('?').unwrap_or((target, ""));
            let query: Vec<(String, String)> =
                form_urlencoded::parse(qs.as_bytes()).into_owned().collect();
            let num = |k: &str| {
                query
                    .iter()
                    .find(|(q, _)| q == k)
                    .and_then(|(_, v)| v.parse::<usize>().ok())
            };
            let (offset, per_page) = (num("cursor").unwrap_or(0), num("per_page").unwrap_or(100));
            if offset == 0 {
                // The call as the mapping made it (paging parameters aside).
                let q = query
                    .iter()
                    .filter(|(k, _)| !PAGING.contains(&k.as_str()))
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("&");
                self.calls.lock().unwrap().push(format!("{path}?{q}"));
            }
            let rows = self.select(path, &query);
            let end = offset.saturating_add(per_page).min(rows.len());
            let next = (end < rows.len()).then(|| {
                let mut rest: Vec<(String, String)> =
                    query.into_iter().filter(|(k, _)| k != "cursor").collect();
                rest.push(("cursor".into(), end.to_string()));
                paging::target(path, &rest)
            });
            let page: Vec<Value> = rows.get(offset..end).unwrap_or_default().to_vec();
            let body = bytes::Bytes::from(serde_json::to_vec(&page).unwrap());
            Ok(V3Page {
                rows: page,
                body,
                next,
                scan: Default::default(),
            })
        })
    }
}

pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../reference")
}

pub fn catalog() -> &'static Catalog {
    match Catalog::embedded() {
        Ok(c) => c,
        Err(d) => panic!("embedded mappings do not load:\n{d}"),
    }
}

/// Serves a legacy GET from in-memory v3 data through the pipeline the proxy runs
/// (`harvest_mappings::serve::read`). Returns the v1 JSON and the v3 calls made.
pub async fn serve(
    method: &str,
    path_and_query: &str,
    v3: &Value,
) -> (Result<Value, String>, Vec<String>) {
    let (path, qs) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let legacy: Vec<(String, String)> = qs
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    let fetch = FixtureFetch::new(v3);
    let req = LegacyRequest {
        method,
        path,
        query: &legacy,
    };
    let out = match serve::read(catalog(), &req, &fetch).await {
        Ok(a) => Ok(a.json().expect("the pipeline answers JSON")),
        Err(e) => Err(e.to_string()),
    };
    (out, fetch.calls())
}

/// Compares values and key order, with a readable diff on failure.
pub fn assert_same(name: &str, got: &Value, want: &Value) {
    let g = serde_json::to_string_pretty(got).unwrap();
    let w = serde_json::to_string_pretty(want).unwrap();
    if g != w {
        let diff: Vec<String> = g
            .lines()
            .zip(w.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(8)
            .map(|(i, (a, b))| format!("line {}: got {a}\n          want {b}", i + 1))
            .collect();
        panic!(
            "{name}: translation differs from the expected v1 JSON\n{}\n--- got:\n{g}",
            diff.join("\n")
        );
    }
}
