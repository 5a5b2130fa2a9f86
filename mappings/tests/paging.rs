//! The paging plans of the legacy pipeline: page N by cursor (with the cursor cache hooks of
//! [`V3`]), the walk budget, an expired cursor, and routing errors.
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::{FixtureFetch, catalog};
use futures::future::BoxFuture;
use harvest_mappings::engine::{Fetch, FetchError, FetchFuture};
use harvest_mappings::paging::{self, Block, PagingError, WALK_BUDGET};
use harvest_mappings::v3::{V3, V3Page};
use harvest_mappings::{LegacyRequest, ReadError, serve};
use serde_json::{Value, json};

/// Fixture v3 plus a cursor cache, and a cursor that can be made to expire.
struct Cached {
    inner: FixtureFetch,
    cursors: Mutex<HashMap<(String, u64), String>>,
    expired: Mutex<Option<String>>,
    pages: Mutex<Vec<String>>,
    /// Rows a v3 page may read ahead (1: one legacy page per v3 page, to test cursors).
    read_ahead: u64,
    blocks: Mutex<HashMap<String, Block>>,
}

impl Cached {
    fn new(rows: usize) -> Self {
        let users: Vec<Value> = (1..=rows as i64)
            .map(|i| json!({"id": i, "name": format!("T{i}")}))
            .collect();
        Cached {
            inner: FixtureFetch::new(&json!({ "/v3/candidate_tags": users })),
            cursors: Mutex::new(HashMap::new()),
            expired: Mutex::new(None),
            pages: Mutex::new(Vec::new()),
            read_ahead: 1,
            blocks: Mutex::new(HashMap::new()),
        }
    }

    fn reading_ahead(rows: usize) -> Self {
        Cached {
            read_ahead: paging::WHOLE_PAGE_SIZE,
            ..Cached::new(rows)
        }
    }

    fn pages(&self) -> usize {
        self.pages.lock().unwrap().len()
    }
}

impl Fetch for Cached {
    fn fetch<'a>(&'a self, path: &'a str, query: &'a [(String, String)]) -> FetchFuture<'a> {
        Box::pin(async move { Ok(Arc::new(paging::all(self, path, query).await?)) })
    }
}

impl V3 for Cached {
    fn page<'a>(
        &'a self,
        target: &'a str,
        parse: bool,
    ) -> BoxFuture<'a, Result<V3Page, FetchError>> {
        Box::pin(async move {
            self.pages.lock().unwrap().push(target.to_string());
            if self.expired.lock().unwrap().as_deref() == Some(target) {
                return Err(FetchError {
                    status: 422,
                    message: "cursor expired".into(),
                    body: None,
                    retry_after: None,
                    timeout: false,
                });
            }
            self.inner.page(target, parse).await
        })
    }

    fn nearest_cursor(&self, walk: &str, page: u64, floor: u64) -> Option<(u64, String)> {
        let c = self.cursors.lock().unwrap();
        (floor..=page)
            .rev()
            .find_map(|n| c.get(&(walk.to_string(), n)).map(|t| (n, t.clone())))
    }

    fn keep_cursor(&self, walk: &str, page: u64, target: &str) {
        self.cursors
            .lock()
            .unwrap()
            .insert((walk.to_string(), page), target.to_string());
    }

    fn read_ahead(&self) -> u64 {
        self.read_ahead
    }

    fn block(&self, key: &str) -> Option<Block> {
        self.blocks.lock().unwrap().get(key).cloned()
    }

    fn keep_block(&self, key: &str, block: &Block) {
        self.blocks
            .lock()
            .unwrap()
            .insert(key.to_string(), block.clone());
    }

    fn forget_cursor(&self, walk: &str, page: u64) {
        self.cursors
            .lock()
            .unwrap()
            .remove(&(walk.to_string(), page));
    }
}

async fn tags(v3: &Cached, query: &str) -> Result<(Vec<i64>, bool), ReadError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let req = LegacyRequest {
        method: "GET",
        path: "/v1/tags/candidate",
        query: &pairs,
    };
    let a = serve::read(catalog(), &req, v3).await?;
    let ids = a
        .json()
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    Ok((ids, a.paging.unwrap().more))
}

#[tokio::test]
async fn a_walk_reads_blocks_of_500_and_serves_the_pages_they_hold() {
    let v3 = Cached::reading_ahead(1203);
    let mut seen = Vec::new();
    let mut page = 1;
    loop {
        let (ids, more) = tags(&v3, &format!("per_page=100&page={page}"))
            .await
            .unwrap();
        seen.extend(ids);
        if !more {
            break;
        }
        page += 1;
    }
    assert_eq!(page, 13, "1,203 rows are 13 pages of 100");
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 1203, "every row exactly once");
    let targets = v3.pages.lock().unwrap().clone();
    assert_eq!(
        targets.len(),
        3,
        "three v3 pages of 500, not 13: {targets:?}"
    );
    assert!(
        targets.iter().all(|t| t.contains("per_page=500")),
        "{targets:?}"
    );
}

#[tokio::test]
async fn blocks_are_a_multiple_of_the_legacy_page_and_know_the_last_page() {
    let v3 = Cached::reading_ahead(20);
    let pairs: Vec<(String, String)> =
        vec![("per_page".into(), "7".into()), ("page".into(), "2".into())];
    let req = LegacyRequest {
        method: "GET",
        path: "/v1/tags/candidate",
        query: &pairs,
    };
    let a = serve::read(catalog(), &req, &v3).await.unwrap();
    let ids: Vec<i64> = a
        .json()
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 7);
    let p = a.paging.unwrap();
    assert_eq!(
        (p.more, p.last),
        (true, Some(3)),
        "20 rows of 7 a page end on page 3"
    );
    assert!(
        v3.pages.lock().unwrap()[0].contains("per_page=497"),
        "71 pages of 7 fit in 500"
    );
    // Past the end: an empty page that knows it is past the last.
    let pairs: Vec<(String, String)> =
        vec![("per_page".into(), "7".into()), ("page".into(), "9".into())];
    let req = LegacyRequest {
        method: "GET",
        path: "/v1/tags/candidate",
        query: &pairs,
    };
    let a = serve::read(catalog(), &req, &v3).await.unwrap();
    assert_eq!(a.json().unwrap(), json!([]));
    assert!(!a.paging.unwrap().more);
    assert_eq!(
        v3.pages(),
        1,
        "the second request was served from the kept block"
    );
}

#[tokio::test]
async fn page_n_walks_once_then_uses_the_cursor_it_kept() {
    let v3 = Cached::new(10);
    let (ids, more) = tags(&v3, "per_page=3&page=3").await.unwrap();
    assert_eq!((ids, more), (vec![4, 3, 2], true));
    assert_eq!(v3.pages(), 3, "pages 1 and 2 walked through, page 3 read");
    // Page 4 starts where page 3's `next` pointed: one call.
    let (ids, more) = tags(&v3, "per_page=3&page=4").await.unwrap();
    assert_eq!((ids, more), (vec![1], false));
    assert_eq!(v3.pages(), 4);
    // Past the end: an empty page, no more.
    let (ids, more) = tags(&v3, "per_page=3&page=9").await.unwrap();
    assert_eq!((ids, more), (vec![], false));
}

#[tokio::test]
async fn a_page_beyond_the_walk_budget_is_refused_without_calling_v3() {
    let v3 = Cached::new(3);
    for page in [u64::MAX, WALK_BUDGET + 2] {
        let e = tags(&v3, &format!("per_page=1&page={page}"))
            .await
            .unwrap_err();
        match &e {
            ReadError::Validation { param, message } => {
                assert_eq!(param, "page");
                assert!(message.contains("follow the `Link` header"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(v3.pages(), 0, "no v3 call for a page out of reach");
    // Within the budget the walk happens (and ends early when the collection does).
    let (ids, _) = tags(&v3, &format!("per_page=1&page={}", WALK_BUDGET + 1))
        .await
        .unwrap();
    assert!(ids.is_empty());
    assert_eq!(v3.pages(), 3);
}

#[tokio::test]
async fn an_expired_cursor_is_forgotten_and_the_walk_restarts_once() {
    let v3 = Cached::new(6);
    tags(&v3, "per_page=2&page=2").await.unwrap();
    // The cursor of page 3 (kept while reading page 2) expires.
    let walk_cursor = v3
        .cursors
        .lock()
        .unwrap()
        .iter()
        .find(|((_, n), _)| *n == 3)
        .map(|(_, t)| t.clone())
        .unwrap();
    *v3.expired.lock().unwrap() = Some(walk_cursor.clone());
    let before = v3.pages();
    let e = tags(&v3, "per_page=2&page=3").await;
    // The restart walks page 1, 2 and then asks for the expired cursor again: v3 refuses it
    // a second time, and that answer is the client's.
    assert!(
        matches!(e, Err(ReadError::Upstream(ref f)) if f.status == 422),
        "{e:?}"
    );
    assert_eq!(
        v3.pages() - before,
        4,
        "expired cursor, then pages 1, 2 and 3 once"
    );
    *v3.expired.lock().unwrap() = None;
    let (ids, more) = tags(&v3, "per_page=2&page=3").await.unwrap();
    assert_eq!((ids, more), (vec![2, 1], false));
}

#[tokio::test]
async fn page_n_reports_too_far_from_the_nearest_cursor() {
    let v3 = Cached::new(3);
    let r = paging::page_n(
        &v3,
        "w",
        "/v3/candidate_tags?per_page=1",
        WALK_BUDGET + 5,
        true,
    )
    .await;
    assert_eq!(
        r.unwrap_err(),
        PagingError::TooFar {
            page: WALK_BUDGET + 5,
            budget: WALK_BUDGET
        }
    );
    // A cursor within reach makes the same page reachable.
    v3.keep_cursor("w", 10, "/v3/candidate_tags?per_page=1&cursor=2");
    let (page, more) = paging::page_n(
        &v3,
        "w",
        "/v3/candidate_tags?per_page=1",
        10 + WALK_BUDGET,
        true,
    )
    .await
    .unwrap();
    assert!(page.is_none() && !more);
}

#[test]
fn routing_errors_are_typed() {
    let c = catalog();
    assert_eq!(
        serve::route(c, "GET", "/v1/nothing").unwrap_err(),
        ReadError::NotFound
    );
    // A method v1 never had, or the catalogue's internal wildcard, is not a way in.
    for method in ["ANY", "BREW", "get"] {
        match serve::route(c, method, "/v1/candidates") {
            Err(ReadError::MethodNotAllowed { allowed, .. }) => {
                assert!(allowed.contains(&"GET".to_string()), "{allowed:?}")
            }
            other => panic!("{method}: {other:?}"),
        }
    }
    assert!(serve::route(c, "GET", "/v1/candidates/12").is_ok());
}

#[tokio::test]
async fn writes_are_refused_as_unsupported_with_the_v3_route_instead() {
    let v3 = Cached::new(1);
    let req = LegacyRequest {
        method: "POST",
        path: "/v1/candidates",
        query: &[],
    };
    match serve::read(catalog(), &req, &v3).await {
        Err(ReadError::Unsupported { route, instead, .. }) => {
            assert_eq!(route, "POST /v1/candidates");
            assert!(instead.contains("/v3/"), "{instead}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(v3.pages(), 0);
}
