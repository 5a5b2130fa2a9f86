//! Shared pieces of the fuzz targets: the embedded catalog, a Harvest v3 answering from the
//! fuzzer's JSON, and a minimal executor for the async pipeline.

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use harvest_mappings::engine::{Fetch, FetchError, FetchFuture};
use harvest_mappings::v3::{V3, V3Page};
use harvest_mappings::{Catalog, Endpoint};
use serde_json::Value;

/// The mapping catalog compiled into the crates (it must load: the mappings tests check it).
pub fn catalog() -> &'static Catalog {
    match Catalog::embedded() {
        Ok(c) => c,
        Err(d) => panic!("the embedded catalog does not load: {d:?}"),
    }
}

/// The endpoint at `index` modulo the catalogue size.
pub fn endpoint_at(index: usize) -> &'static Endpoint {
    let eps = catalog().endpoints();
    &eps[index % eps.len()]
}

/// Runs a future to completion on this thread (the pipeline only awaits the fake v3 below,
/// which never waits).
pub fn run<F: Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// Harvest v3 answering from one JSON value chosen by the fuzzer: an object keyed by v3 path
/// (`{"/v3/candidates": [...]}`, the golden fixtures' shape) gives each collection its rows;
/// an array is every collection's rows; anything else is a collection of that one value.
/// Pages follow `per_page` and an offset `cursor`, with `next` links while rows remain, so the
/// paging code walks a finite collection.
pub struct JsonV3 {
    data: Value,
}

impl JsonV3 {
    pub fn new(data: Value) -> Self {
        JsonV3 { data }
    }

    /// The rows of the collection at `path` (no query).
    pub fn rows_at(&self, path: &str) -> Vec<Value> {
        match &self.data {
            Value::Object(o) if o.keys().any(|k| k.starts_with("/v3/")) => match o.get(path) {
                Some(Value::Array(a)) => a.clone(),
                Some(v) => vec![v.clone()],
                None => Vec::new(),
            },
            Value::Array(a) => a.clone(),
            Value::Null => Vec::new(),
            v => vec![v.clone()],
        }
    }

    fn page_of(&self, target: &str, parse: bool) -> V3Page {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut per_page = 100usize;
        let mut cursor = 0usize;
        let mut rest = Vec::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "per_page" => per_page = v.parse().unwrap_or(100).clamp(1, 500),
                "cursor" => cursor = v.parse().unwrap_or(0),
                _ => rest.push((k.into_owned(), v.into_owned())),
            }
        }
        let all = self.rows_at(path);
        let start = cursor.min(all.len());
        let end = start.saturating_add(per_page).min(all.len());
        let rows: Vec<Value> = all[start..end].to_vec();
        let next = (end < all.len()).then(|| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.extend_pairs(rest.iter());
            s.append_pair("per_page", &per_page.to_string());
            s.append_pair("cursor", &end.to_string());
            format!("{path}?{}", s.finish())
        });
        let body = bytes::Bytes::from(serde_json::to_vec(&rows).unwrap_or_default());
        V3Page {
            rows: if parse { rows } else { Vec::new() },
            body,
            next,
            scan: Default::default(),
        }
    }
}

impl Fetch for JsonV3 {
    fn fetch<'a>(&'a self, path: &'a str, _query: &'a [(String, String)]) -> FetchFuture<'a> {
        let rows = Arc::new(self.rows_at(path));
        Box::pin(async move { Ok(rows) })
    }
}

impl V3 for JsonV3 {
    fn page<'a>(
        &'a self,
        target: &'a str,
        parse: bool,
    ) -> BoxFuture<'a, Result<V3Page, FetchError>> {
        let page = self.page_of(target, parse);
        Box::pin(async move { Ok(page) })
    }
}
