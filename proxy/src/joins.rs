//! How a join by keys is fetched: from a snapshot of the joined collection, by listing it
//! whole into one, or by ids (the engine's default). The choice is the one that costs fewer v3
//! calls on what the proxy knows:
//!
//! - a fresh snapshot costs nothing;
//! - a walk (page 2 and later of a whole collection) will want most of every joined
//!   collection: list it whole once (at 500 rows a call) rather than 50 keys a call per page;
//! - a collection known to fit in as many calls as the by-ids fetch needs is listed whole;
//! - a collection of unknown size is probed when the by-ids fetch needs two calls or more:
//!   its first page of 500 either is the whole collection (a snapshot, in one call) or tells
//!   that it is bigger (by ids this time, and the next times for an hour).
//!
//! A single key (`GET /v1/candidates/{id}`) is always fetched by ids: a targeted read costs
//! what it did.

use std::sync::Arc;

use harvest_mappings::engine::{FetchError, KeyedJoin, MAX_IDS};
use harvest_mappings::paging::{self, MAX_PAGES, WHOLE_PAGE_SIZE};
use serde_json::Value;

use crate::reader::Reader;
use crate::snapshots::{Size, Snap};

type Rows = Arc<Vec<Value>>;

/// The rows of a join, or None for the engine to fetch them by ids.
pub async fn joined(r: &Reader, join: KeyedJoin<'_>) -> Result<Option<Rows>, FetchError> {
    let snaps = &r.state.snapshots;
    let collection = paging::target(join.path, join.query);
    // One snapshot per collection (path and query), keyed by every join field asked of it.
    let key = r.data_key(&collection);
    let size_key = format!("{}|{collection}", r.tenant);
    if !r.fresh
        && let Some(s) = snaps.fresh(&key)
    {
        r.state.metrics.cache_hit("snapshot", true);
        return lookup(r, s, join).await.map(Some);
    }
    let by_ids = join.keys.len().div_ceil(MAX_IDS) as u64;
    let walking = r.is_walking();
    let list = match snaps.size(&size_key) {
        Some(Size::Exact(n)) => walking || n.div_ceil(WHOLE_PAGE_SIZE).max(1) <= by_ids,
        Some(Size::MoreThan(_)) => walking,
        None => walking || by_ids >= 2,
    };
    if !list {
        return Ok(None);
    }
    let flight = snaps.flight(&key);
    let _one_builder = flight.lock().await;
    if !r.fresh
        && let Some(s) = snaps.fresh(&key)
    {
        r.state.metrics.cache_hit("snapshot", true);
        return lookup(r, s, join).await.map(Some);
    }
    r.state.metrics.cache_hit("snapshot", false);
    let probe = !walking && snaps.size(&size_key).is_none();
    match build(r, join, &key, probe).await? {
        Some(s) => {
            snaps.note_size(&size_key, Size::Exact(s.rows));
            lookup(r, s, join).await.map(Some)
        }
        None => {
            snaps.note_size(&size_key, Size::MoreThan(WHOLE_PAGE_SIZE));
            Ok(None)
        }
    }
}

/// Lists the collection whole into a new snapshot. With `probe`, gives up (None) when the
/// first page is not the whole collection.
async fn build(
    r: &Reader,
    join: KeyedJoin<'_>,
    key: &str,
    probe: bool,
) -> Result<Option<Snap>, FetchError> {
    let snaps = &r.state.snapshots;
    let mut q = join.query.to_vec();
    q.push(("per_page".into(), WHOLE_PAGE_SIZE.to_string()));
    let id = snaps.begin();
    let mut next = Some(paging::target(join.path, &q));
    let (mut rows, mut pages) = (0u64, 0usize);
    while let Some(t) = next {
        let page = match r.page(&t).await {
            Ok(p) => p,
            Err(e) => {
                snaps.discard(id).await;
                return Err(e);
            }
        };
        pages += 1;
        // Building keeps the walk's other snapshots live.
        snaps.touch(key);
        if (probe && page.next.is_some()) || pages > MAX_PAGES {
            snaps.discard(id).await;
            return Ok(None);
        }
        if let Err(e) = snaps.insert(id, rows, &page.rows, join.on).await {
            tracing::warn!("{e}; joining by ids instead");
            snaps.discard(id).await;
            return Ok(None);
        }
        rows += page.rows.len() as u64;
        next = page.next;
    }
    snaps.commit(key, id, rows).await;
    Ok(snaps.fresh(key))
}

async fn lookup(r: &Reader, s: Snap, join: KeyedJoin<'_>) -> Result<Rows, FetchError> {
    r.state
        .snapshots
        .lookup(s, join.on, join.keys)
        .await
        .map(Arc::new)
        .map_err(|e| FetchError {
            status: 502,
            message: e.to_string(),
            body: None,
            retry_after: None,
            timeout: false,
        })
}
