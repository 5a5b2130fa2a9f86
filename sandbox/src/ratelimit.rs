//! Fixed-window rate limiting per credential, with `X-RateLimit-*` headers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::time;

/// Outcome of counting one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Window end, UTC epoch seconds.
    pub reset_epoch_s: i64,
    /// Seconds until the window ends (at least 1).
    pub retry_after_s: i64,
}

impl RateDecision {
    /// `X-RateLimit-*` (and `Retry-After` when refused) headers.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", self.reset_epoch_s.to_string()),
        ];
        if !self.allowed {
            h.push(("retry-after", self.retry_after_s.to_string()));
        }
        h
    }
}

/// A window starts with the first request of a bucket and lasts `window`.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    buckets: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request of `bucket`.
    pub fn check(&self, bucket: &str) -> RateDecision {
        let now = time::now_ms();
        let window_ms = (self.window.as_millis() as i64).max(1);
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let entry = b.entry(bucket.to_string()).or_insert((now, 0));
        if now >= entry.0 + window_ms {
            *entry = (now, 0);
        }
        let allowed = entry.1 < self.limit;
        if allowed {
            entry.1 += 1;
        }
        let end = entry.0 + window_ms;
        RateDecision {
            allowed,
            limit: self.limit,
            remaining: self.limit.saturating_sub(entry.1),
            reset_epoch_s: (end + 999) / 1000,
            retry_after_s: ((end - now + 999) / 1000).max(1),
        }
    }

    /// Forgets all counts.
    pub fn reset(&self) {
        self.buckets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_then_refuses() {
        let r = RateLimiter::new(2, Duration::from_secs(3600));
        let a = r.check("x");
        assert!(a.allowed);
        assert_eq!(a.remaining, 1);
        assert!(r.check("x").allowed);
        let c = r.check("x");
        assert!(!c.allowed);
        assert_eq!(c.remaining, 0);
        assert!(c.retry_after_s >= 1);
        assert!(c.headers().iter().any(|(k, _)| *k == "retry-after"));
        assert!(r.check("other").allowed, "buckets are separate");
        r.reset();
        assert!(r.check("x").allowed);
    }
}
