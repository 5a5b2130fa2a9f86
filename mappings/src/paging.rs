//! Paging plans over v3 cursors — the only place the pipeline walks pages:
//! every row of a collection ([`all`]), legacy page N of a list ([`legacy_page`]: a slice of a
//! block of up to 500 rows, each block one v3 page reached by [`page_n`], page number →
//! cursor, with a walk budget), and a page of a filter answered through a related collection
//! ([`via`]).

use bytes::Bytes;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::engine::{FetchError, MAX_IDS};
use crate::query::{V3Query, Via};
use crate::v3::{V3, V3Page};

/// Page size asked of v3 when every row of a collection is wanted (v3's maximum).
pub const WHOLE_PAGE_SIZE: u64 = 500;

/// A collection that has not ended after this many pages is refused (a v3 that never stops).
pub const MAX_PAGES: usize = 10_000;

/// At most this many v3 pages are walked to reach a legacy page without a cached cursor.
/// Past it, the client is told to follow `Link` (which keeps every cursor cached).
pub const WALK_BUDGET: u64 = 100;

/// Why a legacy page could not be reached.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PagingError {
    #[error(transparent)]
    Upstream(#[from] FetchError),
    #[error(
        "page {page} is more than {budget} pages past the nearest page this proxy has seen; \
         follow the `Link` header from page 1 (rel=\"next\") to get there"
    )]
    TooFar { page: u64, budget: u64 },
}

/// `path?k=v&…` with form encoding.
pub fn target(path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        s.append_pair(k, v);
    }
    format!("{path}?{}", s.finish())
}

/// Every row of a collection, following `next` cursors (500 rows a page unless the query
/// says otherwise).
pub async fn all(
    v3: &dyn V3,
    path: &str,
    query: &[(String, String)],
) -> Result<Vec<Value>, FetchError> {
    let mut q = query.to_vec();
    if !q.iter().any(|(k, _)| k == "per_page") {
        q.push(("per_page".into(), WHOLE_PAGE_SIZE.to_string()));
    }
    let mut rows = Vec::new();
    let mut next = Some(target(path, &q));
    let mut pages = 0;
    while let Some(t) = next {
        let p = v3.page(&t, true).await?;
        rows.extend(p.rows);
        next = p.next;
        pages += 1;
        if pages > MAX_PAGES {
            return Err(FetchError {
                status: 502,
                message: format!("v3 {path} did not stop paginating"),
                body: None,
                retry_after: None,
                timeout: false,
            });
        }
    }
    Ok(rows)
}

/// Legacy page `page` of a list, read from a block: one v3 page of up to
/// [`WHOLE_PAGE_SIZE`] rows (the largest multiple of `per_page` that fits, or what
/// [`V3::read_ahead`] allows), so a walk costs one v3 call per block rather than per legacy
/// page. Blocks are kept by the [`V3`] ([`V3::block`]) for the pages after the first.
#[derive(Debug, Clone, Default)]
pub struct LegacyPage {
    /// The page's rows (empty when not parsed).
    pub rows: Vec<Value>,
    /// The block's body as v3 sent it, its content hash and the page's slot in it (for memo
    /// keys).
    pub block: Bytes,
    pub hash: u64,
    pub slot: u64,
    /// Whether another legacy page follows.
    pub more: bool,
    /// The last legacy page, when the block is the last of the walk.
    pub last: Option<u64>,
}

/// One v3 page of a list, kept for the legacy pages it holds: its body, `next` target, and
/// what one scan of the body found (so a legacy page read from it scans only its own rows).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub body: Bytes,
    pub next: Option<String>,
    /// Rows in the list.
    pub rows: u64,
    /// A 64-bit hash of the body (part of memo keys, with its length).
    pub hash: u64,
}

impl Block {
    /// The block of a v3 page; None when its body is not a JSON list.
    pub fn of(page: V3Page) -> Option<Block> {
        let (rows, hash) = page.scan.of(&page.body)?;
        Some(Block {
            body: page.body,
            next: page.next,
            rows,
            hash,
        })
    }
}

/// Rows and content hash of a body that is a JSON list; None otherwise.
pub fn scan(body: &[u8]) -> Option<(u64, u64)> {
    let rows = serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(body).ok()?;
    Some((rows.len() as u64, content_hash(body)))
}

/// A 64-bit content hash of a v3 body.
pub fn content_hash(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// Legacy page `page` (of `per_page` rows) of the list `path?params`. With `parse = false`
/// only the block's bytes are returned (the caller memoises by content); a block that is not
/// a JSON list is fetched again parsed (with the V3's retries).
pub async fn legacy_page(
    v3: &dyn V3,
    walk: &str,
    path: &str,
    params: &[(String, String)],
    page: u64,
    per_page: u64,
    parse: bool,
) -> Result<LegacyPage, PagingError> {
    let per_page = per_page.max(1);
    let per_block = (v3.read_ahead().min(WHOLE_PAGE_SIZE) / per_page).max(1);
    let block_no = (page.max(1) - 1) / per_block + 1;
    let slot = (page.max(1) - 1) % per_block;
    let mut q = params.to_vec();
    q.push(("per_page".into(), (per_block * per_page).to_string()));
    let first = target(path, &q);
    let walk = format!("{walk}|{first}");
    let key = format!("{walk}#{block_no}");
    // Page 1 starts a walk: always read from v3. The pages after it that its block holds
    // come from the kept block (a consistent walk, one call per block).
    let kept = if page > 1 { v3.block(&key) } else { None };
    let fetched = match kept {
        Some(b) => Some(b),
        None => match page_n(v3, &walk, &first, block_no, false)
            .await
            .map_err(|e| in_legacy_pages(e, page, per_block))?
        {
            (Some(p), _) => {
                let b = Block::of(p);
                if let Some(b) = &b {
                    v3.keep_block(&key, b);
                }
                b
            }
            (None, _) => return Ok(LegacyPage::default()),
        },
    };
    // The page's rows, parsed when asked for.
    let found = fetched.and_then(|b| {
        let rows = if parse {
            rows_of(&b.body, slot, per_page)?
        } else {
            Vec::new()
        };
        Some((b, rows))
    });
    let (block, rows) = match found {
        Some(f) => f,
        None => {
            // Not a list after all: fetch the block again the careful way (parsed, retried).
            let (p, _) = page_n(v3, &walk, &first, block_no, true)
                .await
                .map_err(|e| in_legacy_pages(e, page, per_block))?;
            let p = p.unwrap_or_default();
            let body = Bytes::from(serde_json::to_vec(&p.rows).unwrap_or_default());
            let n = p.rows.len() as u64;
            let block = Block {
                hash: content_hash(&body),
                body,
                next: p.next,
                rows: n,
            };
            v3.keep_block(&key, &block);
            let (start, end) = bounds(n, slot, per_page);
            let mut rows = p.rows;
            rows.truncate(end);
            (block, rows.split_off(start))
        }
    };
    let n = block.rows;
    let (_, end) = bounds(n, slot, per_page);
    Ok(LegacyPage {
        rows,
        slot,
        hash: block.hash,
        more: (end as u64) < n || block.next.is_some(),
        last: block
            .next
            .is_none()
            .then(|| (block_no - 1) * per_block + n.div_ceil(per_page).max(1)),
        block: block.body,
    })
}

/// A walk refused in v3 pages (blocks of `per_block` legacy pages), told in the client's own
/// page numbers.
fn in_legacy_pages(e: PagingError, page: u64, per_block: u64) -> PagingError {
    match e {
        PagingError::TooFar { budget, .. } => PagingError::TooFar {
            page,
            budget: budget.saturating_mul(per_block),
        },
        other => other,
    }
}

/// The row range of slot `slot` in a block of `n` rows.
fn bounds(n: u64, slot: u64, per_page: u64) -> (usize, usize) {
    let start = slot.saturating_mul(per_page).min(n) as usize;
    let end = slot.saturating_add(1).saturating_mul(per_page).min(n) as usize;
    (start, end)
}

/// The rows of slot `slot` of a block (only those are parsed into values). None when the
/// block is not a JSON list.
pub fn rows_of(block: &[u8], slot: u64, per_page: u64) -> Option<Vec<Value>> {
    let rows: Vec<&RawValue> = serde_json::from_slice(block).ok()?;
    let (start, end) = bounds(rows.len() as u64, slot, per_page);
    rows[start..end]
        .iter()
        .map(|r| serde_json::from_str(r.get()))
        .collect::<Result<Vec<Value>, _>>()
        .ok()
}

/// Legacy page `page` of the walk that starts at `first`: from the nearest cached cursor,
/// else from page 1, walking at most [`WALK_BUDGET`] pages. Pages walked through are not
/// parsed; the requested one is parsed when `parse`. Every `next` cursor seen is kept.
/// Returns the page (None past the end) and whether another follows.
pub async fn page_n(
    v3: &dyn V3,
    walk: &str,
    first: &str,
    page: u64,
    parse: bool,
) -> Result<(Option<V3Page>, bool), PagingError> {
    let floor = page.saturating_sub(WALK_BUDGET).max(2);
    let mut retried = false;
    'walk: loop {
        let cached = if retried || page < 2 {
            None
        } else {
            v3.nearest_cursor(walk, page, floor)
        };
        let (mut cur, mut t) = cached.unwrap_or_else(|| (1, first.to_string()));
        if page - cur > WALK_BUDGET {
            return Err(PagingError::TooFar {
                page,
                budget: WALK_BUDGET,
            });
        }
        loop {
            let p = match v3.page(&t, parse && cur == page).await {
                Ok(p) => p,
                // An expired or refused cursor: forget it and walk from the start once.
                Err(e) if e.status == 422 && cur > 1 && !retried => {
                    v3.forget_cursor(walk, cur);
                    retried = true;
                    continue 'walk;
                }
                Err(e) => return Err(e.into()),
            };
            if let Some(n) = &p.next {
                v3.keep_cursor(walk, cur + 1, n);
            }
            if cur == page {
                let more = p.next.is_some();
                return Ok((Some(p), more));
            }
            match p.next {
                Some(n) => {
                    t = n;
                    cur += 1;
                }
                None => return Ok((None, false)),
            }
        }
    }
}

/// The primary rows of legacy page `q.page` of a `via` filter, and whether more follow: the
/// related rows (every page), their ids, that page of ids, the primary rows for them (at most
/// 50 ids a call), newest id first.
pub async fn via(
    v3: &dyn V3,
    via: &Via,
    q: &V3Query,
    primary: &str,
) -> Result<(Vec<Value>, bool), FetchError> {
    let related = v3.fetch(&via.path, &via.query).await?;
    let (ids, more) = Via::page_of(&via.ids(&related, &q.params), q.page, q.per_page);
    let mut rows = Vec::new();
    for chunk in ids.chunks(MAX_IDS) {
        let mut params: Vec<(String, String)> = q
            .params
            .iter()
            .filter(|(k, _)| k != &via.to)
            .cloned()
            .collect();
        params.push((
            via.to.clone(),
            chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(","),
        ));
        rows.extend(v3.fetch(primary, &params).await?.iter().cloned());
    }
    rows.sort_by_key(|r| {
        std::cmp::Reverse(
            r.get("id")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(i64::MIN),
        )
    });
    Ok((rows, more))
}
