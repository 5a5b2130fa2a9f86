//! Criterion benchmarks of the mapping engine.
//!
//! - `selector/*`: a singular selector compiled to a direct lookup against the same path run
//!   through jsonpath-rust's general query engine (the baseline), on one v3 record;
//! - `translate/*`: translating one page of v3 users / candidates (joins served from memory), to
//!   see the engine's own cost apart from HTTP.
//!
//! cargo bench -p harvest-mappings --bench engine
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use harvest_mappings::engine::Fetch;
use harvest_mappings::selector::Selector;
use harvest_mappings::{Catalog, Translator};
use jsonpath_rust::JsonPath;
use serde_json::{Value, json};

/// In-memory v3: `ids` and `<x>_ids` filters, newest id first.
struct Memory(BTreeMap<String, Arc<Vec<Value>>>);

impl Fetch for Memory {
    fn fetch<'a>(
        &'a self,
        path: &'a str,
        query: &'a [(String, String)],
    ) -> harvest_mappings::engine::FetchFuture<'a> {
        Box::pin(async move {
            let rows = self.0.get(path).cloned().unwrap_or_default();
            let filters: Vec<(String, std::collections::HashSet<i64>)> = query
                .iter()
                .filter(|(k, _)| k == "ids" || k.ends_with("_ids"))
                .map(|(k, v)| {
                    let field = if k == "ids" {
                        "id".to_string()
                    } else {
                        format!("{}_id", k.trim_end_matches("_ids"))
                    };
                    (field, v.split(',').filter_map(|x| x.parse().ok()).collect())
                })
                .collect();
            if filters.is_empty() {
                return Ok(rows);
            }
            let keep = |r: &Value| {
                filters.iter().all(|(field, vals)| {
                    r.get(field)
                        .and_then(Value::as_i64)
                        .is_some_and(|v| vals.contains(&v))
                })
            };
            Ok(Arc::new(rows.iter().filter(|r| keep(r)).cloned().collect()))
        })
    }
}

fn dataset() -> Memory {
    let ds = harvest_sandbox::build_dataset(&harvest_sandbox::SandboxConfig {
        scale: 0.2,
        ..Default::default()
    })
    .unwrap();
    let mut m = BTreeMap::new();
    for name in ds.names().collect::<Vec<_>>() {
        m.insert(format!("/v3/{name}"), Arc::new(ds.records_desc(name)));
    }
    Memory(m)
}

fn selectors(c: &mut Criterion) {
    let rec = json!({"id": 1, "name": "x", "location": {"name": "New York", "address": {"city": "NYC"}}, "custom_fields": {"a": {"value": 3}}});
    let path = "$.location.address.city";
    let fast = Selector::parse(path).unwrap();
    assert!(fast.is_singular());
    let mut g = c.benchmark_group("selector");
    g.bench_function("singular_direct_lookup", |b| {
        b.iter(|| black_box(fast.get(black_box(&rec)).map(|v| v.into_owned())))
    });
    g.bench_function("jsonpath_rust_query_same_path", |b| {
        b.iter(|| {
            black_box(
                black_box(&rec)
                    .query(path)
                    .ok()
                    .and_then(|v| v.first().map(|x| (*x).clone())),
            )
        })
    });
    g.finish();
}

fn translate(c: &mut Criterion) {
    let catalog = Catalog::embedded().unwrap();
    let t = Translator::new(catalog);
    let data = dataset();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let users: Vec<Value> = data.0["/v3/users"].iter().take(100).cloned().collect();
    let cands: Vec<Value> = data.0["/v3/candidates"].iter().take(100).cloned().collect();
    let mut g = c.benchmark_group("translate");
    g.sample_size(20);
    g.bench_function("users_page_of_100", |b| {
        b.iter(|| {
            rt.block_on(t.translate("users.user", users.clone(), &data))
                .unwrap()
        })
    });
    g.bench_function("candidates_page_of_100", |b| {
        b.iter(|| {
            rt.block_on(t.translate("candidates.candidate", cands.clone(), &data))
                .unwrap()
        })
    });
    g.bench_function("json_parse_and_serialize_100_users_baseline", |b| {
        let text = serde_json::to_vec(&users).unwrap();
        b.iter(|| {
            let v: Value = serde_json::from_slice(&text).unwrap();
            black_box(serde_json::to_vec(&v).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, selectors, translate);
criterion_main!(benches);
