//! Request counters, for tests that assert how many upstream calls something costs.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// A snapshot of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Every request received (including faulted and refused ones).
    pub total: u64,
    /// Requests to `POST /token`.
    pub token_calls: u64,
    /// Requests to `POST /auth/token`.
    pub legacy_token_calls: u64,
    /// Per `"METHOD /path"` (path without query).
    pub by_route: BTreeMap<String, u64>,
    /// Per response status (faults that drop the connection count as 0).
    pub by_status: BTreeMap<u16, u64>,
}

impl StatsSnapshot {
    /// Count of `method path` requests (e.g. `("GET", "/v3/candidates")`).
    pub fn count(&self, method: &str, path: &str) -> u64 {
        self.by_route
            .get(&format!("{method} {path}"))
            .copied()
            .unwrap_or(0)
    }

    /// Count of v3 writes (POST, PUT, PATCH, DELETE on a `/v3/` path) received.
    pub fn writes(&self) -> u64 {
        self.by_route
            .iter()
            .filter(|(k, _)| {
                k.split_once(' ')
                    .is_some_and(|(m, p)| m != "GET" && m != "HEAD" && p.starts_with("/v3/"))
            })
            .map(|(_, v)| *v)
            .sum()
    }

    /// Count of v3 calls (any method) whose path starts with `/v3/`.
    pub fn v3_calls(&self) -> u64 {
        self.by_route
            .iter()
            .filter(|(k, _)| {
                k.split_once(' ')
                    .is_some_and(|(_, p)| p.starts_with("/v3/"))
            })
            .map(|(_, v)| *v)
            .sum()
    }
}

#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<StatsSnapshot>,
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, StatsSnapshot> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn record_request(&self, method: &str, path: &str) {
        let mut s = self.lock();
        s.total += 1;
        if method == "POST" && path == "/token" {
            s.token_calls += 1;
        }
        if method == "POST" && path == "/auth/token" {
            s.legacy_token_calls += 1;
        }
        *s.by_route.entry(format!("{method} {path}")).or_default() += 1;
    }

    pub fn record_status(&self, status: u16) {
        *self.lock().by_status.entry(status).or_default() += 1;
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        self.lock().clone()
    }

    pub fn reset(&self) {
        *self.lock() = StatsSnapshot::default();
    }
}
