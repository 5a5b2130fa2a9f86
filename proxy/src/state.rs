//! Shared state of a running proxy: config, mappings, upstream client, caches, metrics.

use std::num::NonZeroUsize;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lru::LruCache;
use serde_json::Value;
use tokio::time::Instant;

use harvest_mappings::Catalog;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::tokens::TokenCache;
use crate::upstream::Upstream;

/// A bounded, expiring map (LRU + TTL), used for page→cursor and reference data.
pub struct TtlCache<V> {
    inner: Mutex<LruCache<String, (Instant, V)>>,
    ttl: Duration,
}

impl<V: Clone> TtlCache<V> {
    pub fn new(entries: usize, ttl: Duration) -> Self {
        let n = NonZeroUsize::new(entries.max(1)).unwrap_or(NonZeroUsize::MIN);
        TtlCache {
            inner: Mutex::new(LruCache::new(n)),
            ttl,
        }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        let mut m = match self.inner.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        match m.get(key) {
            Some((at, v)) if at.elapsed() < self.ttl => Some(v.clone()),
            Some(_) => {
                m.pop(key);
                None
            }
            None => None,
        }
    }

    pub fn put(&self, key: String, v: V) {
        let mut m = match self.inner.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        m.put(key, (Instant::now(), v));
    }

    pub fn remove(&self, key: &str) {
        let mut m = match self.inner.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        m.pop(key);
    }
}

pub struct State {
    pub config: Config,
    pub catalog: &'static Catalog,
    pub upstream: Arc<Upstream>,
    pub tokens: Arc<TokenCache>,
    pub metrics: Arc<Metrics>,
    /// page → v3 cursor URL (path and query) for legacy page numbers.
    pub cursors: TtlCache<String>,
    /// Reference collections (joins marked `cache = true`).
    pub reference: TtlCache<Arc<Vec<Value>>>,
    /// Translated v1 pages by (tenant, route, content hash of the v3 page); same TTL as the
    /// reference data they were built with.
    pub translated: TtlCache<bytes::Bytes>,
    pub ready: AtomicBool,
    /// The embedded store (idempotency keys of writes).
    pub store: crate::store::Store,
}

impl State {
    pub fn new(config: Config, catalog: &'static Catalog) -> Result<State, String> {
        let upstream = Arc::new(Upstream::new(config.limits.upstream_timeout)?);
        let store = crate::store::Store::open(config.store.as_deref()).map_err(|e| {
            let at = config
                .store
                .as_ref()
                .map_or("memory".to_string(), |p| p.display().to_string());
            format!("cannot open the store ({at}): {e}")
        })?;
        Ok(State {
            translated: TtlCache::new(config.cache.translated_entries, config.cache.reference_ttl),
            tokens: Arc::new(TokenCache::new(config.cache.token_refresh_margin)),
            metrics: Arc::new(Metrics::new()),
            cursors: TtlCache::new(config.cache.cursor_entries, config.cache.cursor_ttl),
            reference: TtlCache::new(1024, config.cache.reference_ttl),
            upstream,
            catalog,
            config,
            ready: AtomicBool::new(false),
            store,
        })
    }
}
