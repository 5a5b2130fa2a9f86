//! One pacer per tenant: v3 meters every call per credential in fixed windows, and a tenant's
//! requests share its budget. The pacer keeps what v3 said last (`X-RateLimit-Limit`,
//! `-Remaining`, `-Reset` as UTC epoch seconds) and what 429s said (`Retry-After`):
//!
//! - when the window is spent (remaining, less the calls started since, is 0), or after a 429,
//!   every v3 call of the tenant waits for the window to reset instead of calling v3 again;
//! - a wait that would end past the request's deadline is not waited: the caller answers the
//!   client 429 with `Retry-After` (the time until the window resets) at once;
//! - within one window (the same `-Reset`) what is left only goes down: the answer to a call
//!   made before others were started does not give their slots back.
//!
//! So a sync that needs more calls than a window allows slows down and completes, and a storm
//! of clients costs v3 at most one 429 per window per call already in flight.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// The longest a window is believed to last: a reset further away than this (a clock gone
/// wrong, a hostile answer) is clamped.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Default, Clone, Copy)]
struct Window {
    limit: Option<u64>,
    remaining: Option<u64>,
    /// Calls started since `remaining` was read.
    spent: u64,
    reset_at: Option<Instant>,
    /// `X-RateLimit-Reset` as v3 said it: the same value is the same window.
    reset_epoch: Option<u64>,
    blocked_until: Option<Instant>,
}

#[derive(Default)]
pub struct Pacer {
    tenants: Mutex<HashMap<usize, Window>>,
}

/// The wait that was not waited (it would pass the deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong(pub Duration);

fn epoch_to_instant(epoch_s: u64) -> Instant {
    let now_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let ahead = (epoch_s as f64 - now_s).clamp(0.0, MAX_WAIT.as_secs_f64());
    Instant::now() + Duration::from_secs_f64(ahead)
}

impl Pacer {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<usize, Window>> {
        self.tenants.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long a call of `tenant` must wait now; zero takes the slot.
    fn wait(&self, tenant: usize) -> Duration {
        let now = Instant::now();
        let mut m = self.lock();
        let w = m.entry(tenant).or_default();
        if let Some(b) = w.blocked_until {
            if b > now {
                return b - now;
            }
            w.blocked_until = None;
        }
        match (w.remaining, w.reset_at) {
            (Some(r), Some(at)) if w.spent >= r && at > now => at - now,
            (_, Some(at)) if at <= now => {
                // A new window: what is left of it is unknown until v3 answers.
                w.remaining = None;
                w.reset_at = None;
                w.reset_epoch = None;
                w.spent = 0;
                Duration::ZERO
            }
            _ => {
                w.spent += 1;
                Duration::ZERO
            }
        }
    }

    /// Waits for a slot in the tenant's window, or says how long it would take when that ends
    /// past `deadline`.
    pub async fn admit(&self, tenant: usize, deadline: Instant) -> Result<(), TooLong> {
        loop {
            let wait = self.wait(tenant);
            if wait.is_zero() {
                return Ok(());
            }
            if Instant::now() + wait > deadline {
                return Err(TooLong(wait));
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// The tenant's window as last seen: limit and what is left of it (less the calls
    /// started since).
    pub fn rate(&self, tenant: usize) -> (Option<u64>, Option<u64>) {
        let m = self.lock();
        m.get(&tenant).map_or((None, None), |w| {
            (w.limit, w.remaining.map(|r| r.saturating_sub(w.spent)))
        })
    }

    /// The window's size, as v3 said it.
    pub fn observe_limit(&self, tenant: usize, limit: u64) {
        self.lock().entry(tenant).or_default().limit = Some(limit);
    }

    /// What a v3 answer said of the window.
    pub fn observe(
        &self,
        tenant: usize,
        remaining: Option<u64>,
        reset_epoch_s: Option<u64>,
        retry_after_s: Option<u64>,
    ) {
        let mut m = self.lock();
        let w = m.entry(tenant).or_default();
        if let Some(r) = remaining {
            // Within one window what is left only goes down: an answer to a call made before
            // others were started does not give their slots back.
            let same_window = reset_epoch_s.is_some() && reset_epoch_s == w.reset_epoch;
            let left = w.remaining.map(|old| old.saturating_sub(w.spent));
            w.remaining = Some(match left {
                Some(left) if same_window => r.min(left),
                _ => r,
            });
            w.spent = 0;
        }
        if let Some(e) = reset_epoch_s {
            w.reset_at = Some(epoch_to_instant(e));
            w.reset_epoch = Some(e);
        }
        if let Some(after) = retry_after_s {
            let until = Instant::now() + Duration::from_secs(after).min(MAX_WAIT);
            // Until the later of Retry-After and the window's reset.
            let until = w.reset_at.filter(|r| *r > until).unwrap_or(until);
            w.blocked_until = Some(until);
            w.remaining = Some(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now_s() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_window_makes_every_call_wait_for_the_reset() {
        let p = Pacer::default();
        let far = Instant::now() + Duration::from_secs(120);
        p.observe(1, Some(2), Some(now_s() + 10), None);
        p.admit(1, far).await.unwrap();
        p.admit(1, far).await.unwrap();
        // The third call of the window waits for it to reset.
        let started = Instant::now();
        p.admit(1, far).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_secs(8),
            "{:?}",
            started.elapsed()
        );
        // Another tenant never waited.
        assert_eq!(p.wait(2), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_429_calls_wait_or_are_told_how_long() {
        let p = Pacer::default();
        p.observe(1, Some(0), None, Some(5));
        let soon = Instant::now() + Duration::from_secs(2);
        let TooLong(w) = p.admit(1, soon).await.unwrap_err();
        assert!(
            w > Duration::from_secs(4) && w <= Duration::from_secs(5),
            "{w:?}"
        );
        let later = Instant::now() + Duration::from_secs(30);
        let started = Instant::now();
        p.admit(1, later).await.unwrap();
        assert!(started.elapsed() >= Duration::from_secs(4));
    }

    #[test]
    fn a_late_answer_gives_no_slots_back() {
        let p = Pacer::default();
        let reset = now_s() + 30;
        p.observe(1, Some(3), Some(reset), None);
        for _ in 0..3 {
            assert_eq!(p.wait(1), Duration::ZERO);
        }
        // The answer to the first of the three (v3 counted only it) says 2 are left.
        p.observe(1, Some(2), Some(reset), None);
        assert!(p.wait(1) > Duration::ZERO, "the window is spent");
        // The next window: what v3 says.
        p.observe(1, Some(5), Some(reset + 30), None);
        assert_eq!(p.wait(1), Duration::ZERO);
    }

    #[test]
    fn an_absurd_reset_is_clamped() {
        let p = Pacer::default();
        p.observe(1, Some(0), Some(u64::MAX), Some(u64::MAX));
        assert!(p.wait(1) <= MAX_WAIT);
    }
}
