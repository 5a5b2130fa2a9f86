//! Paging plans over v3 cursors — the only place the pipeline walks pages:
//! every row of a collection ([`all`]), legacy page N of a list ([`legacy_page`]: a slice of a
//! block of up to 500 rows, each block one v3 page reached by [`page_n`], page number →
//! cursor, with a walk budget), and a page of a filter answered through a related collection
//! ([`via`]).

use std::ops::Range;
use std::sync::{Arc, OnceLock};

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
    /// The block the page is read from and the page's slot in it (for memo keys).
    pub block: Block,
    pub slot: u64,
    /// Whether another legacy page follows.
    pub more: bool,
    /// The last legacy page, when the block is the last of the walk.
    pub last: Option<u64>,
}

/// One v3 page of a list, kept for the legacy pages it holds: its body, `next` target, and
/// where each row lies in the body (one pass over it, so a legacy page read from it parses
/// only its own rows).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub body: Bytes,
    pub next: Option<String>,
    pub rows: Arc<Rows>,
}

/// Where each row of a v3 body that is a JSON list lies in it, found in one pass; and the
/// body's content hash, computed when first asked for (only memo keys need it).
#[derive(Debug, Default, PartialEq)]
pub struct Rows {
    spans: Vec<Range<usize>>,
    hash: OnceLock<u64>,
}

impl Rows {
    /// The rows of `body`; None when it is not a JSON list.
    pub fn of(body: &[u8]) -> Option<Rows> {
        let rows: Vec<&RawValue> = serde_json::from_slice(body).ok()?;
        let base = body.as_ptr() as usize;
        let spans = rows
            .iter()
            .map(|r| {
                let start = r.get().as_ptr() as usize - base;
                start..start + r.get().len()
            })
            .collect();
        Some(Rows {
            spans,
            hash: OnceLock::new(),
        })
    }

    /// Rows in the list.
    pub fn len(&self) -> u64 {
        self.spans.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

impl Block {
    /// The block of a v3 page; None when its body is not a JSON list.
    pub fn of(page: V3Page) -> Option<Block> {
        let rows = page.scan.of(&page.body)?;
        Some(Block {
            body: page.body,
            next: page.next,
            rows,
        })
    }

    /// A block of `body` (None when it is not a JSON list).
    pub fn from_body(body: Bytes, next: Option<String>) -> Option<Block> {
        let rows = Arc::new(Rows::of(&body)?);
        Some(Block { body, next, rows })
    }

    /// Bytes the block holds: its body and where each row lies in it (for caches bounded in
    /// bytes).
    pub fn weight(&self) -> usize {
        self.body.len() + self.rows.spans.len() * std::mem::size_of::<Range<usize>>()
    }

    /// A block of parsed rows: serialized as a JSON list, each row's place noted on the way.
    pub fn from_rows(rows: &[Value], next: Option<String>) -> Block {
        let mut body = Vec::with_capacity(rows.len() * 64 + 2);
        let mut spans = Vec::with_capacity(rows.len());
        body.push(b'[');
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            let start = body.len();
            // Writing a `Value` into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut body, row);
            spans.push(start..body.len());
        }
        body.push(b']');
        Block {
            body: Bytes::from(body),
            next,
            rows: Arc::new(Rows {
                spans,
                hash: OnceLock::new(),
            }),
        }
    }

    /// A 64-bit hash of the body (part of memo keys, with its length), computed once.
    pub fn hash(&self) -> u64 {
        *self.rows.hash.get_or_init(|| content_hash(&self.body))
    }

    /// The rows of slot `slot` (of `per_page` rows), parsed into values (only those).
    pub fn rows_of(&self, slot: u64, per_page: u64) -> Option<Vec<Value>> {
        let (start, end) = bounds(self.rows.len(), slot, per_page);
        self.rows.spans[start..end]
            .iter()
            .map(|s| serde_json::from_slice(self.body.get(s.clone())?).ok())
            .collect()
    }
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
            b.rows_of(slot, per_page)?
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
            let block = Block::from_rows(&p.rows, p.next);
            v3.keep_block(&key, &block);
            let (start, end) = bounds(block.rows.len(), slot, per_page);
            let mut rows = p.rows;
            rows.truncate(end);
            (block, rows.split_off(start))
        }
    };
    let n = block.rows.len();
    let (_, end) = bounds(n, slot, per_page);
    Ok(LegacyPage {
        rows,
        slot,
        more: (end as u64) < n || block.next.is_some(),
        last: block
            .next
            .is_none()
            .then(|| (block_no - 1) * per_block + n.div_ceil(per_page).max(1)),
        block,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_block_parses_only_the_rows_of_its_slot() {
        let body = br#" [ {"id":1,"n":"a]\"},"} , {"id":2} ,3, [4,{"x":[]}], null ] "#;
        let b = Block::from_body(Bytes::from_static(body), None).unwrap();
        assert_eq!(b.rows.len(), 5);
        assert_eq!(
            b.rows_of(0, 2).unwrap(),
            vec![json!({"id":1,"n":"a]\"},"}), json!({"id":2})]
        );
        assert_eq!(
            b.rows_of(1, 2).unwrap(),
            vec![json!(3), json!([4, {"x": []}])]
        );
        assert_eq!(b.rows_of(2, 2).unwrap(), vec![Value::Null]);
        assert_eq!(
            b.rows_of(3, 2).unwrap(),
            Vec::<Value>::new(),
            "past the end"
        );
        assert_eq!(b.rows_of(u64::MAX, u64::MAX).unwrap(), Vec::<Value>::new());
    }

    #[test]
    fn a_block_of_parsed_rows_is_the_block_of_their_json() {
        let rows = vec![
            json!({"id":1,"n":"a]\"},"}),
            json!(3),
            json!([4, {"x": []}]),
            Value::Null,
        ];
        let b = Block::from_rows(&rows, Some("/v3/x?cursor=a".into()));
        let parsed = Block::from_body(b.body.clone(), b.next.clone()).unwrap();
        assert_eq!(b, parsed);
        assert_eq!(b.rows_of(0, 3).unwrap(), rows[..3].to_vec());
        assert_eq!(Block::from_rows(&[], None).body.as_ref(), b"[]");
    }

    #[test]
    fn a_block_hashes_its_body_once_asked() {
        let body = Bytes::from_static(br#"[{"id":1}]"#);
        let b = Block::from_body(body.clone(), Some("/v3/x?cursor=a".into())).unwrap();
        assert_eq!(b.rows.hash.get(), None, "not hashed until a memo key asks");
        assert_eq!(b.hash(), content_hash(&body));
        assert_eq!(b.clone().rows.hash.get(), Some(&content_hash(&body)));
        let other = Block::from_body(Bytes::from_static(br#"[{"id":2}]"#), None).unwrap();
        assert_ne!(other.hash(), b.hash());
    }

    #[test]
    fn a_body_that_is_not_a_list_is_no_block() {
        for body in [&br#"{"id":1}"#[..], b"[1,", b"", b"[1] x", b"nul"] {
            assert!(
                Rows::of(body).is_none(),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(Rows::of(b"[]").unwrap().is_empty());
    }
}
