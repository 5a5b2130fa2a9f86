//! A v3 fetcher over in-memory collections that behaves like v3 (its list filters, newest id
//! first), for golden tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;

use harvest_mappings::engine::{Fetch, FetchError};
use harvest_mappings::{Catalog, Translator, query};
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

impl Fetch for FixtureFetch {
    fn fetch<'a>(
        &'a self,
        path: &'a str,
        query: &'a [(String, String)],
    ) -> Pin<Box<dyn Future<Output = Result<std::sync::Arc<Vec<Value>>, FetchError>> + Send + 'a>>
    {
        Box::pin(async move {
            let q = query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&");
            self.calls.lock().unwrap().push(format!("{path}?{q}"));
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
                .filter(|r| query.iter().all(|(k, v)| k == "per_page" || keep(r, k, v)))
                .collect();
            // Like v3: newest id first.
            rows.sort_by_key(|r| {
                std::cmp::Reverse(r.get("id").and_then(Value::as_i64).unwrap_or(i64::MIN))
            });
            Ok(std::sync::Arc::new(rows))
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

/// Serves a legacy GET from in-memory v3 data: route match, query translation, primary call,
/// translation. Returns the v1 JSON and the v3 calls made.
pub async fn serve(
    method: &str,
    path_and_query: &str,
    v3: &Value,
) -> (Result<Value, String>, Vec<String>) {
    let c = catalog();
    let (path, qs) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let m = c
        .match_route(method, path)
        .unwrap_or_else(|| panic!("no route for {method} {path}"));
    let legacy: Vec<(String, String)> = qs
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    let fetch = FixtureFetch::new(v3);
    let q = match query::translate(m.endpoint, &m.params, &legacy) {
        Ok(q) => q,
        Err(e) => return (Err(e.to_string()), vec![]),
    };
    if let Some(ex) = &m.endpoint.exists {
        let eq: Vec<(String, String)> = ex
            .query
            .iter()
            .map(|(k, v)| (k.clone(), query::fill(v, &m.params)))
            .collect();
        if fetch.fetch(&ex.path, &eq).await.unwrap().is_empty() {
            return (
                Err("not found (the parent record does not exist)".into()),
                fetch.calls(),
            );
        }
    }
    let primary = &m.endpoint.v3[0];
    if let Some(via) = &q.via {
        let (records, _) = via.rows(&q, &primary.path, &fetch).await.unwrap();
        let out = Translator::new(c)
            .respond(m.endpoint, records, &fetch)
            .await
            .map_err(|e| e.to_string());
        return (out, fetch.calls());
    }
    let records = fetch.fetch(&primary.path, &q.params).await.unwrap();
    let records: Vec<Value> = records
        .iter()
        .filter(|r| q.local.iter().all(|f| f.keeps(r)))
        .cloned()
        .collect();
    let t = Translator::new(c);
    if let Some(view) = &q.view {
        let out = t
            .respond_as(view, records, &fetch)
            .await
            .map_err(|e| e.to_string());
        return (out, fetch.calls());
    }
    let out = t
        .respond(m.endpoint, records, &fetch)
        .await
        .map_err(|e| e.to_string());
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
