//! Prometheus metrics: requests by legacy route and status, upstream calls, token fetches,
//! cache hits, latency histograms. Served at `/metrics`.

use std::sync::{Arc, Mutex};

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The catalogue's route (or `-`, `unmatched`): bounded by the catalogue.
    pub route: &'static str,
    pub status: u16,
    /// The key's label from proxy.toml (`-` before authentication): bounded by the config.
    pub key: KeyLabel,
}

/// A key's label as a metric label: shared with the key table, not copied per request.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct KeyLabel(pub Arc<str>);

impl EncodeLabelValue for KeyLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&&*self.0, encoder)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UpstreamLabels {
    pub path: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    pub cache: String,
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteOnly {
    pub route: &'static str,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    pub requests: Family<RouteLabels, Counter>,
    pub upstream_calls: Family<UpstreamLabels, Counter>,
    pub token_fetches: Counter,
    pub cache: Family<CacheLabels, Counter>,
    pub latency: Family<RouteOnly, Histogram>,
    pub upstream_latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("harvest_proxy");
        let requests = Family::<RouteLabels, Counter>::default();
        let upstream_calls = Family::<UpstreamLabels, Counter>::default();
        let token_fetches = Counter::default();
        let cache = Family::<CacheLabels, Counter>::default();
        let latency = Family::<RouteOnly, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 16))
        });
        let upstream_latency = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register(
            "requests",
            "Legacy requests by route and status",
            requests.clone(),
        );
        registry.register(
            "upstream_calls",
            "Harvest v3 calls by path and status",
            upstream_calls.clone(),
        );
        registry.register(
            "token_fetches",
            "OAuth token requests made",
            token_fetches.clone(),
        );
        registry.register("cache", "Cache lookups by cache and result", cache.clone());
        registry.register(
            "request_duration_seconds",
            "Legacy request latency",
            latency.clone(),
        );
        registry.register(
            "upstream_duration_seconds",
            "Harvest v3 call latency",
            upstream_latency.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            requests,
            upstream_calls,
            token_fetches,
            cache,
            latency,
            upstream_latency,
        }
    }

    pub fn cache_hit(&self, cache: &str, hit: bool) {
        self.cache
            .get_or_create(&CacheLabels {
                cache: cache.to_string(),
                result: if hit { "hit" } else { "miss" }.to_string(),
            })
            .inc();
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let reg = match self.registry.lock() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        if encode(&mut out, &reg).is_err() {
            out.clear();
        }
        out
    }
}
