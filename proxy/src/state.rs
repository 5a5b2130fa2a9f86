//! Shared state of a running proxy: config, mappings, upstream client, caches, metrics.

use std::num::NonZeroUsize;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use lru::LruCache;
use serde_json::Value;
use tokio::time::Instant;

use harvest_mappings::Catalog;

use crate::config::{Config, KeyEntry, Tenant};
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

/// The reloadable part of the config (SIGHUP): tenants and the legacy keys bound to them.
///
/// Tenants sit in stable slots: a tenant keeps its slot across reloads while its definition is
/// unchanged, and a new or changed definition gets a slot never used before. Tokens, cursors and
/// cached v3 data are keyed by slot, so what one definition fetched never serves another, and a
/// request in flight keeps the tenant it started with.
#[derive(Debug, Default)]
pub struct Tenancy {
    tenants: Vec<Option<Arc<Tenant>>>,
    keys: Vec<KeyEntry>,
    /// Peers whose `Forwarded` / `X-Forwarded-For` are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Tenancy {
    /// The start-up table: slot i is `tenants[i]`.
    pub fn new(tenants: Vec<Tenant>, keys: Vec<KeyEntry>) -> Tenancy {
        Tenancy {
            tenants: tenants.into_iter().map(|t| Some(Arc::new(t))).collect(),
            keys,
            trusted_proxies: Vec::new(),
        }
    }

    /// The table after a reload: unchanged tenants keep their slots; keys point at slots.
    pub fn next(&self, tenants: Vec<Tenant>, keys: Vec<KeyEntry>) -> Tenancy {
        let mut slots: Vec<Option<Arc<Tenant>>> = vec![None; self.tenants.len()];
        let mut slot_of = Vec::with_capacity(tenants.len());
        for t in tenants {
            let kept = self
                .tenants
                .iter()
                .position(|old| old.as_deref() == Some(&t));
            match kept {
                Some(i) => {
                    slots[i] = self.tenants[i].clone();
                    slot_of.push(i);
                }
                None => {
                    slot_of.push(slots.len());
                    slots.push(Some(Arc::new(t)));
                }
            }
        }
        let keys = keys
            .into_iter()
            .map(|k| KeyEntry {
                tenant: slot_of[k.tenant],
                ..k
            })
            .collect();
        Tenancy {
            tenants: slots,
            keys,
            trusted_proxies: Vec::new(),
        }
    }

    pub fn tenant(&self, slot: usize) -> Option<Arc<Tenant>> {
        self.tenants.get(slot).cloned().flatten()
    }

    pub fn keys(&self) -> &[KeyEntry] {
        &self.keys
    }

    /// The slots in use.
    pub fn live_slots(&self) -> Vec<usize> {
        (0..self.tenants.len())
            .filter(|i| self.tenants[*i].is_some())
            .collect()
    }

    pub fn tenant_count(&self) -> usize {
        self.tenants.iter().flatten().count()
    }
}

/// Compiles every key's `endpoints` against the catalogue; an error names the key.
pub fn compile_keys(catalog: &Catalog, keys: &mut [KeyEntry]) -> Result<(), String> {
    for k in keys {
        k.endpoints
            .compile(catalog)
            .map_err(|e| format!("key `{}`: `endpoints`: {e}", k.label))?;
    }
    Ok(())
}

pub struct State {
    /// The start-up config. Its `tenants` and `keys` are moved into [`State::tenancy`] (they
    /// are empty here): look them up with [`State::tenant`] and [`State::tenancy`].
    pub config: Config,
    tenancy: ArcSwap<Tenancy>,
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
    /// Blocks of walks (legacy pages served from one v3 page of up to 500 rows).
    pub blocks: crate::walks::Blocks,
    /// Per tenant, the generation of cached v3 data (a write bumps it).
    pub generations: crate::walks::Generations,
    /// Snapshots of joined collections for walks (SQLite, on disk).
    pub snapshots: crate::snapshots::Snapshots,
    /// One v3 rate window per tenant.
    pub pacer: crate::pacer::Pacer,
    /// The bound on legacy requests in flight.
    pub admission: crate::admission::Admission,
    /// Identical v3 GETs in flight, made once.
    pub flights: crate::coalesce::Coalescer<crate::reader::Flight>,
    /// Identical legacy reads in flight, served once (`cache.share_reads`).
    pub reads: crate::coalesce::Coalescer<crate::handler::Read>,
    /// Each tenant's v3 calls in progress (its upstream connections in use).
    pub upstream_slots: crate::admission::TenantSlots,
    pub ready: AtomicBool,
    /// The embedded store (idempotency keys of writes, usage counts).
    pub store: crate::store::Store,
    /// Usage counts not yet written to the store.
    pub usage: crate::usage::Usage,
}

impl State {
    pub fn new(mut config: Config, catalog: &'static Catalog) -> Result<State, String> {
        let upstream = Arc::new(Upstream::new(config.limits.upstream_timeout)?);
        let store = crate::store::Store::open(config.store.as_deref()).map_err(|e| {
            let at = config
                .store
                .as_ref()
                .map_or("memory".to_string(), |p| p.display().to_string());
            format!("cannot open the store ({at}): {e}")
        })?;
        let snapshots = crate::snapshots::Snapshots::open(
            config.cache.snapshot_dir.as_deref(),
            config.cache.walk_ttl,
        )
        .map_err(|e| format!("cannot open the snapshot file: {e}"))?;
        let mut keys = std::mem::take(&mut config.keys);
        compile_keys(catalog, &mut keys)?;
        let mut tenancy = Tenancy::new(std::mem::take(&mut config.tenants), keys);
        tenancy.trusted_proxies = config.trusted_proxies.clone();
        let l = &config.limits;
        let tokens = TokenCache::new(config.cache.token_refresh_margin)
            .with_limits(l.token_timeout, l.token_backoff);
        Ok(State {
            tenancy: ArcSwap::from_pointee(tenancy),
            translated: TtlCache::new(config.cache.translated_entries, config.cache.reference_ttl),
            tokens: Arc::new(tokens),
            metrics: Arc::new(Metrics::new()),
            cursors: TtlCache::new(config.cache.cursor_entries, config.cache.cursor_ttl),
            reference: TtlCache::new(1024, config.cache.reference_ttl),
            blocks: crate::walks::Blocks::new(config.cache.block_bytes, config.cache.walk_ttl),
            generations: Default::default(),
            snapshots,
            pacer: Default::default(),
            admission: crate::admission::Admission::new(config.limits.admission),
            flights: Default::default(),
            reads: Default::default(),
            upstream_slots: crate::admission::TenantSlots::new(
                config.limits.max_upstream_per_tenant,
            ),
            upstream,
            catalog,
            config,
            ready: AtomicBool::new(false),
            store,
            usage: Default::default(),
        })
    }

    /// The tenant of a slot (as a key entry names it).
    pub fn tenant(&self, slot: usize) -> Option<Arc<Tenant>> {
        self.tenancy.load().tenant(slot)
    }

    /// The current tenants and keys.
    pub fn tenancy(&self) -> Arc<Tenancy> {
        self.tenancy.load_full()
    }

    /// Replaces keys and tenants with those of `new` (SIGHUP), without touching connections.
    /// What only a restart can change (listener, TLS, limits, caches, mappings, links) is
    /// kept and named in the summary. A `new` that does not validate changes nothing.
    pub fn reload(&self, mut new: Config) -> Result<String, String> {
        new.validate()?;
        let mut keys = std::mem::take(&mut new.keys);
        compile_keys(self.catalog, &mut keys)?;
        let old = self.tenancy.load();
        let mut next = old.next(std::mem::take(&mut new.tenants), keys);
        next.trusted_proxies = new.trusted_proxies.clone();
        let kept = next
            .live_slots()
            .iter()
            .filter(|s| old.tenant(**s).is_some())
            .count();
        let summary = format!(
            "{} tenants ({} unchanged), {} keys",
            next.tenant_count(),
            kept,
            next.keys().len()
        );
        self.tokens.retain_tenants(&next.live_slots());
        self.tenancy.store(Arc::new(next));
        let restart = restart_only(&self.config, &new);
        Ok(if restart.is_empty() {
            summary
        } else {
            format!(
                "{summary}; changed but kept until a restart: {}",
                restart.join(", ")
            )
        })
    }
}

fn admin_id(a: &Option<crate::config::AdminConfig>) -> String {
    a.as_ref().map_or(String::new(), |a| {
        format!(
            "{} {}",
            a.listen,
            crate::auth::key_hash_hex(a.token.expose())
        )
    })
}

/// The settings a reload cannot change that differ between two configs.
fn restart_only(old: &Config, new: &Config) -> Vec<&'static str> {
    let d = |v: &dyn std::fmt::Debug| format!("{v:?}");
    let pairs: [(&'static str, String, String); 8] = [
        (
            "allowed_hosts",
            d(&old.allowed_hosts),
            d(&new.allowed_hosts),
        ),
        ("listen", d(&old.listen), d(&new.listen)),
        ("tls", d(&old.tls), d(&new.tls)),
        ("limits", d(&old.limits), d(&new.limits)),
        ("cache", d(&old.cache), d(&new.cache)),
        ("mappings", d(&old.mappings), d(&new.mappings)),
        ("public_url", d(&old.public_url), d(&new.public_url)),
        // The listener and a digest of its token (a changed token needs a restart too).
        ("admin", admin_id(&old.admin), admin_id(&new.admin)),
    ];
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(name, _, _)| name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn tenant(name: &str, secret: &str) -> Tenant {
        Tenant {
            name: name.into(),
            client_id: "id".into(),
            client_secret: Secret::new(secret),
            token_url: "https://auth.example.com/token".into(),
            base_url: "https://harvest.example.com".into(),
            read_as: 1,
        }
    }

    fn key(n: u8, tenant: usize) -> KeyEntry {
        KeyEntry {
            sha256: [n; 32],
            tenant,
            label: format!("k{n}").into(),
            endpoints: Default::default(),
            allowed_ips: None,
        }
    }

    #[test]
    fn reloads_keep_the_slot_of_an_unchanged_tenant_only() {
        let t0 = Tenancy::new(vec![tenant("a", "s"), tenant("b", "s")], vec![key(1, 1)]);
        // b unchanged (now listed first), a's secret rotated, c new.
        let t1 = t0.next(
            vec![tenant("b", "s"), tenant("a", "rotated"), tenant("c", "s")],
            vec![key(1, 0), key(2, 1), key(3, 2)],
        );
        assert_eq!(t1.tenant(1).unwrap().name, "b", "b keeps its slot");
        assert!(t1.tenant(0).is_none(), "a's old definition is gone");
        let slots: Vec<usize> = t1.keys().iter().map(|k| k.tenant).collect();
        assert_eq!(slots, [1, 2, 3], "keys follow their tenants to their slots");
        assert_eq!(t1.tenant(2).unwrap().client_secret.expose(), "rotated");
        assert_eq!(t1.tenant(3).unwrap().name, "c");
        assert_eq!((t1.tenant_count(), t1.live_slots()), (3, vec![1, 2, 3]));
    }
}
