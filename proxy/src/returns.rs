//! When refused requests are told to come back (`Retry-After`).
//!
//! A fixed `Retry-After` sends every client refused in one second back in one later second,
//! where most of them are refused again: at 1,000 clients on the joined soak page, about 370
//! requests a second were refused over and over in waves two seconds apart, each one read,
//! authenticated and answered for nothing. Instead, a [`Returns`] calendar gives each refusal
//! the first second ahead that still has room, and a second has room for as many returns as
//! the scope (the proxy, or one tenant) serves in a second: its slots over the mean time a
//! request holds them ([`ServiceRate`], measured on the requests served, so it does not fall
//! when fewer clients come back). Returns then arrive no faster than they can be served,
//! spread over the seconds ahead, and the wait a client is told is the wait it faces.

use std::sync::atomic::{AtomicU64, Ordering};

/// The longest `Retry-After` handed out (seconds): beyond, a client would rather hear an
/// error than wait; when every second up to it is taken, refusals are told this.
pub const MAX_RETRY_AFTER: u64 = 60;

/// Seconds the calendar holds (more than [`MAX_RETRY_AFTER`], so a slot is never the same
/// second twice within the horizon).
const RING: usize = 64;

/// Promised returns per second ahead.
#[derive(Debug)]
pub struct Returns {
    /// Returns promised in each second, by absolute second modulo [`RING`].
    ring: [u32; RING],
    /// The second the calendar was last moved to.
    now: u64,
}

impl Default for Returns {
    fn default() -> Self {
        Returns {
            ring: [0; RING],
            now: 0,
        }
    }
}

impl Returns {
    /// A return time for a request refused in second `now` (seconds since any fixed origin):
    /// the first second from `soonest` to `latest` seconds ahead with fewer than
    /// `per_second` returns promised, as a `Retry-After` (`latest` when all are taken).
    /// `latest` is [`MAX_RETRY_AFTER`] at most, `soonest` 1 at least and `latest` at most.
    pub fn book(&mut self, now: u64, per_second: u32, soonest: u64, latest: u64) -> u64 {
        self.advance(now);
        let per_second = per_second.max(1);
        let latest = latest.clamp(1, MAX_RETRY_AFTER);
        for after in soonest.clamp(1, latest)..=latest {
            let slot = &mut self.ring[((now + after) % RING as u64) as usize];
            if *slot < per_second {
                *slot += 1;
                return after;
            }
        }
        latest
    }

    /// Forgets the seconds that have passed (at most [`RING`] slots cleared).
    fn advance(&mut self, now: u64) {
        if now <= self.now {
            return;
        }
        let passed = (now - self.now).min(RING as u64);
        for s in (now + 1 - passed)..=now {
            self.ring[(s % RING as u64) as usize] = 0;
        }
        self.now = now;
    }
}

/// How many requests a scope serves a second: its permits over the mean permit-time a
/// request holds (an exponentially weighted mean of the last ~16 requests).
#[derive(Debug, Default)]
pub struct ServiceRate {
    /// Mean permits × microseconds held per request; 0 until a request has finished.
    mean: AtomicU64,
}

impl ServiceRate {
    /// A request held `permits` for `micros`.
    pub fn record(&self, permits: u32, micros: u64) {
        let sample = micros.max(1).saturating_mul(u64::from(permits));
        let _ = self
            .mean
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |m| {
                Some(if m == 0 {
                    sample
                } else {
                    // m + (sample - m) / 16, in integers.
                    (m.saturating_mul(15).saturating_add(sample)) / 16
                })
            });
    }

    /// Requests a second `permits` serve; before any has finished, one per whole slot
    /// (`permits / per_slot`) a second.
    pub fn per_second(&self, permits: usize, per_slot: usize) -> u32 {
        let permits = permits as u64;
        let rate = match self.mean.load(Ordering::Relaxed) {
            0 => permits / per_slot.max(1) as u64,
            mean => permits.saturating_mul(1_000_000) / mean,
        };
        rate.clamp(1, u64::from(u32::MAX)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_fill_each_second_up_to_its_room_then_the_next() {
        let mut r = Returns::default();
        let told: Vec<u64> = (0..7).map(|_| r.book(100, 3, 1, MAX_RETRY_AFTER)).collect();
        assert_eq!(told, [1, 1, 1, 2, 2, 2, 3]);
        // A second later, the second that came is free again, the others still count.
        // A second later: second 102 is full, 103 has one place taken of three.
        assert_eq!(r.book(101, 3, 1, MAX_RETRY_AFTER), 2);
        assert_eq!(r.book(101, 3, 1, MAX_RETRY_AFTER), 2);
        assert_eq!(r.book(101, 3, 1, MAX_RETRY_AFTER), 3, "103 is full now");
        // Never sooner than asked, never later than the longest wait.
        assert_eq!(r.book(101, 3, 4, MAX_RETRY_AFTER), 4);
        assert_eq!(r.book(101, 3, 1_000, MAX_RETRY_AFTER), MAX_RETRY_AFTER);
        // A nearer horizon: all of it taken, the refusal is told its end.
        let mut r = Returns::default();
        assert_eq!([0; 4].map(|_| r.book(0, 1, 1, 3)), [1, 2, 3, 3]);
        assert_eq!(r.book(0, 1, 9, 3), 3, "soonest is never past latest");
        assert_eq!(r.book(0, 1, 1, 0), 1, "latest is 1 at least");
        assert_eq!(r.book(0, 1, 1, 1_000), 4, "and MAX_RETRY_AFTER at most");
    }

    #[test]
    fn a_full_calendar_says_the_longest_wait_and_forgets_what_passed() {
        let mut r = Returns::default();
        for _ in 0..MAX_RETRY_AFTER {
            r.book(5, 1, 1, MAX_RETRY_AFTER);
        }
        assert_eq!(r.book(5, 1, 1, MAX_RETRY_AFTER), MAX_RETRY_AFTER);
        assert_eq!(r.book(5, 1, 1, MAX_RETRY_AFTER), MAX_RETRY_AFTER);
        // Long after, nothing is left of it (even though slots were reused modulo the ring).
        assert_eq!(r.book(5 + 1_000, 1, 1, MAX_RETRY_AFTER), 1);
        // The clock going backwards (not expected) does not panic or clear anything.
        assert!((1..=MAX_RETRY_AFTER).contains(&r.book(3, 1, 1, MAX_RETRY_AFTER)));
        // Zero room counts as one.
        assert_eq!(Returns::default().book(0, 0, 0, MAX_RETRY_AFTER), 1);
    }

    #[test]
    fn the_rate_is_slots_over_the_time_they_are_held() {
        let s = ServiceRate::default();
        assert_eq!(
            s.per_second(48, 4),
            12,
            "before a sample: a whole slot a second"
        );
        // Whole requests (4 permits) held 100 ms: 48 permits serve 120 a second.
        s.record(4, 100_000);
        assert_eq!(s.per_second(48, 4), 120);
        // Light ones (1 permit) held 1 ms pull the mean down slowly (1/16 a sample).
        for _ in 0..200 {
            s.record(1, 1_000);
        }
        assert!(s.per_second(48, 4) > 40_000, "{}", s.per_second(48, 4));
        // Huge figures saturate, never overflow or divide by zero.
        s.record(u32::MAX, u64::MAX);
        assert!(s.per_second(usize::MAX, 0) >= 1);
        assert_eq!(ServiceRate::default().per_second(0, 4), 1);
    }
}
