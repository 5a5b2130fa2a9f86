//! What the requests of one walk share, so a sync costs close to what a native v3 client pays:
//!
//! - [`Blocks`]: blocks of primary rows (one v3 page of up to 500 rows serves several legacy
//!   pages), bounded in bytes, each kept for the walk TTL;
//! - [`Generations`]: one number per tenant, part of every cache key of v3 data; a write through
//!   the proxy bumps it, so nothing cached before the write is served after it
//!   (read-your-writes).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use harvest_mappings::paging::Block;
use lru::LruCache;
use tokio::time::Instant;

struct Kept {
    at: Instant,
    block: Block,
}

struct Lru {
    map: LruCache<String, Kept>,
    bytes: usize,
}

/// Blocks by key, least recently used evicted first once `max_bytes` is reached.
pub struct Blocks {
    inner: Mutex<Lru>,
    max_bytes: usize,
    ttl: Duration,
}

impl Blocks {
    pub fn new(max_bytes: usize, ttl: Duration) -> Blocks {
        Blocks {
            inner: Mutex::new(Lru {
                map: LruCache::unbounded(),
                bytes: 0,
            }),
            max_bytes,
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A block kept less than the TTL ago.
    pub fn get(&self, key: &str) -> Option<Block> {
        let mut l = self.lock();
        let fresh = match l.map.get(key) {
            Some(k) if k.at.elapsed() < self.ttl => return Some(k.block.clone()),
            Some(_) => false,
            None => return None,
        };
        if !fresh && let Some(k) = l.map.pop(key) {
            l.bytes -= k.block.weight();
        }
        None
    }

    /// Keeps a block; one larger than a quarter of the bound is not kept (it would evict the
    /// blocks of every other walk).
    pub fn put(&self, key: String, block: &Block) {
        let len = block.weight();
        if self.max_bytes == 0 || len > self.max_bytes / 4 {
            return;
        }
        let mut l = self.lock();
        let kept = Kept {
            at: Instant::now(),
            block: block.clone(),
        };
        l.bytes += len;
        if let Some(old) = l.map.put(key, kept) {
            l.bytes -= old.block.weight();
        }
        while l.bytes > self.max_bytes {
            match l.map.pop_lru() {
                Some((_, k)) => l.bytes -= k.block.weight(),
                None => break,
            }
        }
    }

    /// Bytes held (tests, metrics).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

/// Per tenant slot, the generation of its cached v3 data.
#[derive(Default)]
pub struct Generations(Mutex<HashMap<usize, u64>>);

impl Generations {
    pub fn get(&self, tenant: usize) -> u64 {
        let m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.get(&tenant).copied().unwrap_or(0)
    }

    /// After a write: every cache key of the tenant's v3 data changes.
    pub fn bump(&self, tenant: usize) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry(tenant).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn block(body: Bytes, next: Option<&str>) -> Block {
        Block {
            body,
            next: next.map(str::to_string),
            ..Block::default()
        }
    }

    #[test]
    fn blocks_are_bounded_in_bytes_and_expire() {
        let b = Blocks::new(1000, Duration::from_secs(60));
        for i in 0..20 {
            b.put(format!("k{i}"), &block(Bytes::from(vec![b'x'; 200]), None));
        }
        assert!(b.bytes() <= 1000, "{}", b.bytes());
        assert!(b.get("k0").is_none(), "the oldest were evicted");
        // Where a block's rows lie counts too: 20 rows of 2 bytes weigh more than 42 bytes.
        let rows = Blocks::new(10_000, Duration::from_secs(60));
        let listed =
            Block::from_body(Bytes::from(format!("[{}1]", "1,".repeat(19))), None).unwrap();
        rows.put("r".into(), &listed);
        assert_eq!(
            rows.bytes(),
            listed.body.len() + 20 * std::mem::size_of::<std::ops::Range<usize>>()
        );
        assert_eq!(b.get("k19").unwrap().body.len(), 200);
        b.put("big".into(), &block(Bytes::from(vec![b'x'; 300]), None));
        assert!(
            b.get("big").is_none(),
            "over a quarter of the bound: not kept"
        );
        let short = Blocks::new(1000, Duration::ZERO);
        short.put(
            "k".into(),
            &block(Bytes::from_static(b"[]"), Some("/v3/x?cursor=1")),
        );
        assert!(short.get("k").is_none());
        assert_eq!(
            short.bytes(),
            0,
            "an expired block is dropped when asked for"
        );
    }

    #[test]
    fn a_bump_changes_one_tenant_only() {
        let g = Generations::default();
        g.bump(2);
        assert_eq!((g.get(1), g.get(2)), (0, 1));
    }
}
