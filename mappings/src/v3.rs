//! What the legacy pipeline needs from Harvest v3: pages of a collection, every row of one
//! (joins, fetches by ids), and a place to keep cursors and memoised answers.
//!
//! The proxy implements [`V3`] over HTTP (tokens, retries, caches, metrics); tests implement it
//! over in-memory fixtures. Both run the same pipeline ([`crate::serve`]).

use std::sync::{Arc, OnceLock};

use futures::future::BoxFuture;
use serde_json::Value;

use crate::paging::Rows;

pub use crate::engine::{Fetch, FetchError, FetchFuture};

/// One page of a v3 collection.
#[derive(Debug, Clone, Default)]
pub struct V3Page {
    /// The rows (empty when the page was fetched without parsing).
    pub rows: Vec<Value>,
    /// The body as v3 sent it.
    pub body: bytes::Bytes,
    /// Path and query of the next page (`/v3/x?cursor=…`), from `Link: rel="next"`.
    pub next: Option<String>,
    /// The scan of `body` as a list, shared by the pages of one v3 answer.
    pub scan: Scan,
}

/// What a scan of a v3 body as a list found (where its rows lie; None: not a list), made once
/// for one v3 answer: the clones of a [`Scan`] share it, so the requests one coalesced v3 GET
/// answers scan its body once.
#[derive(Debug, Clone, Default)]
pub struct Scan(Arc<OnceLock<Option<Arc<Rows>>>>);

impl Scan {
    /// The rows of `body` (scanned by the first caller of this answer).
    pub fn of(&self, body: &[u8]) -> Option<Arc<Rows>> {
        self.0.get_or_init(|| Rows::of(body).map(Arc::new)).clone()
    }
}

/// Harvest v3, as the pipeline sees it. [`Fetch::fetch`] returns every row of a collection
/// (implementations usually walk [`crate::paging::all`], and may cache reference data).
pub trait V3: Fetch {
    /// One page: `target` is a v3 path with its query (`/v3/jobs?per_page=100`) or the path
    /// and query of a `next` link. With `parse = false` the rows may be left empty: the caller
    /// needs only `next` (a walk) or the bytes (a memoised answer).
    fn page<'a>(
        &'a self,
        target: &'a str,
        parse: bool,
    ) -> BoxFuture<'a, Result<V3Page, FetchError>>;

    /// The cached cursor nearest below or at legacy page `page` (and above `floor`) of a walk,
    /// as (page number, target).
    fn nearest_cursor(&self, _walk: &str, _page: u64, _floor: u64) -> Option<(u64, String)> {
        None
    }

    /// Remembers where legacy page `page` of a walk starts.
    fn keep_cursor(&self, _walk: &str, _page: u64, _target: &str) {}

    /// Forgets a cursor v3 refused (expired).
    fn forget_cursor(&self, _walk: &str, _page: u64) {}

    /// How many rows a legacy list may read ahead in one v3 page (a block; see
    /// [`crate::paging::legacy_page`]). 1 reads exactly the legacy page.
    fn read_ahead(&self) -> u64 {
        crate::paging::WHOLE_PAGE_SIZE
    }

    /// Told before a legacy page of a list is translated: whether it is part of a walk over a
    /// whole collection (no filter, no path parameter) — page 2 or later, or page 1 of a
    /// collection bigger than one block — as a sync following `Link` reads. Its joins may
    /// then be listed whole once instead of fetched by ids on every page.
    fn note_walk(&self, _walking: bool) {}

    /// A block kept by [`V3::keep_block`].
    fn block(&self, _key: &str) -> Option<crate::paging::Block> {
        None
    }

    /// Keeps a block for the legacy pages after the first that it holds.
    fn keep_block(&self, _key: &str, _block: &crate::paging::Block) {}

    /// True when translated answers may be memoised (and looked up with [`V3::memo`]).
    fn memoises(&self) -> bool {
        false
    }

    /// A memoised answer body.
    fn memo(&self, _key: &str) -> Option<bytes::Bytes> {
        None
    }

    /// Keeps an answer body for [`V3::memo`].
    fn keep_memo(&self, _key: String, _body: bytes::Bytes) {}
}

/// One v3 write: the method, the v3 path and query, the JSON body, and the user it acts as
/// (the token's `sub`; v1's `On-Behalf-Of`).
#[derive(Debug, Clone, PartialEq)]
pub struct WriteCall {
    pub method: String,
    pub target: String,
    pub body: Option<Value>,
    pub acting_user: u64,
}

/// What became of a write. A write is never retried after an unknown outcome: the caller
/// reads back to decide.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    /// v3 answered 2xx: the write was applied. `body` is v3's answer (None for a 204).
    Applied { status: u16, body: Option<Value> },
    /// v3 answered 4xx (or the call never left the proxy): the write was not applied.
    Refused(FetchError),
    /// No answer, or one that does not say (timeout, reset, 408, 5xx): it may have happened.
    Unknown { reason: String },
}

/// Writes, for implementations of [`V3`] that can make them.
pub trait V3Write: V3 {
    /// Makes one write, once (a 401 — refused before it ran — may be retried with a fresh
    /// token; nothing else is).
    fn write<'a>(&'a self, call: &'a WriteCall) -> BoxFuture<'a, WriteOutcome>;

    /// Waits before the second read-back of a write that read back as not applied: v3's reads
    /// may lag its writes, so "not applied" needs the old state on two reads, the second a
    /// few seconds after the first (`reference/v3-writes.md`). The default does not wait.
    fn settle(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_is_made_once_for_the_clones_of_an_answer() {
        let scan = Scan::default();
        let shared = scan.clone();
        let rows = scan.of(br#"[{"id":1},{"id":2},3]"#).unwrap();
        assert_eq!(rows.len(), 3);
        // A clone answers from the first scan without looking at the body again.
        assert!(Arc::ptr_eq(&shared.of(b"not looked at").unwrap(), &rows));
        assert_eq!(Scan::default().of(br#"{"id":1}"#), None, "not a list");
        assert_eq!(Scan::default().of(b"[1,"), None, "truncated");
    }
}
