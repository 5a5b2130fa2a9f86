//! Client connections: a global and a per-IP limit that always keep room for a new client.
//!
//! At a limit, the connection idle the longest (no request in flight: never sent one, between
//! keep-alive requests, or stalled in a request head) is closed to make room; when every
//! connection is busy, a new one waits [`Limits::connection_wait`] for a slot and is then
//! answered 503. Each connection's [`Activity`] drives the header-read timeout (counted from
//! accept, so a socket that sends nothing is closed) and the keep-alive idle timeout.
//!
//! [`Limits::connection_wait`]: crate::config::Limits::connection_wait

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// What a connection is doing, for the idle timeouts and for choosing whom to close.
pub struct Activity {
    epoch: Instant,
    busy: AtomicUsize,
    /// Milliseconds after `epoch` of the accept or of the end of the last request.
    last: AtomicU64,
    served: AtomicBool,
    freed: Arc<Notify>,
}

/// A request in flight on a connection; dropped when its answer has been handed to hyper.
pub struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let a = &self.0;
        a.last.store(a.now_ms(), Ordering::Relaxed);
        a.busy.fetch_sub(1, Ordering::AcqRel);
        // An idle connection can be closed to make room for a waiting one.
        a.freed.notify_waiters();
    }
}

impl Activity {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// A request started.
    pub fn begin(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::AcqRel);
        self.served.store(true, Ordering::Relaxed);
        Busy(self.clone())
    }

    /// Whether a request has begun on the connection.
    pub fn has_served(&self) -> bool {
        self.served.load(Ordering::Relaxed)
    }

    fn idle_since(&self) -> Option<Instant> {
        (self.busy.load(Ordering::Acquire) == 0)
            .then(|| self.epoch + Duration::from_millis(self.last.load(Ordering::Relaxed)))
    }

    /// When the connection is to be closed if nothing happens meanwhile: `header` after accept
    /// until a first request, `idle` after each request; while busy, look again after `idle`.
    pub fn deadline(&self, header: Duration, idle: Duration) -> Instant {
        match self.idle_since() {
            None => Instant::now() + idle,
            Some(since) if self.served.load(Ordering::Relaxed) => since + idle,
            Some(since) => since + header,
        }
    }

    /// Whether the connection has been idle past its deadline.
    pub fn expired(&self, header: Duration, idle: Duration) -> bool {
        self.idle_since().is_some() && Instant::now() >= self.deadline(header, idle)
    }
}

struct Entry {
    ip: IpAddr,
    activity: Arc<Activity>,
    close: Arc<Notify>,
}

#[derive(Default)]
struct Registry {
    conns: HashMap<u64, Entry>,
    per_ip: HashMap<IpAddr, usize>,
}

/// The default of [`Limits::served_grace`]: a connection that has served a request is not
/// closed to make room until it has been idle this long: its client may be sending the next
/// request at this very moment, and closing the socket then cuts that request off unanswered
/// (the keep-alive race; a client waiting out a `Retry-After` of a few seconds is the longest
/// idle and the likeliest to be sending). A new connection then waits for a slot and is
/// answered 503 with `Retry-After`, as overload is.
///
/// [`Limits::served_grace`]: crate::config::Limits::served_grace
pub const KEEP_AFTER_REQUEST: Duration = Duration::from_secs(5);

/// How long an idle connection is kept before it may be closed to make room.
#[derive(Clone, Copy, Debug)]
pub struct Graces {
    /// After accept, for one that never sent a request (its first may be on its way).
    pub new: Duration,
    /// After its last request, for one that served a request.
    pub served: Duration,
}

impl Registry {
    /// When `e` may be closed to make room (None: busy): a connection that served a request
    /// `g.served` after it, one that never sent a request `g.new` after accept.
    fn closable_at(e: &Entry, g: Graces) -> Option<Instant> {
        let since = e.activity.idle_since()?;
        Some(if e.activity.served.load(Ordering::Relaxed) {
            since + g.served
        } else {
            since + g.new
        })
    }

    /// The connection to close to make room, among those `of` selects and closable now: the
    /// longest idle of those that never sent a request (or are stalled in their first), else
    /// the longest idle of the others.
    fn oldest_idle(&self, g: Graces, of: impl Fn(u64, &Entry) -> bool) -> Option<u64> {
        let now = Instant::now();
        self.conns
            .iter()
            .filter(|(id, e)| of(**id, e))
            .filter(|(_, e)| Self::closable_at(e, g).is_some_and(|at| at <= now))
            .filter_map(|(id, e)| {
                let since = e.activity.idle_since()?;
                Some((e.activity.served.load(Ordering::Relaxed), since, *id))
            })
            .min()
            .map(|(_, _, id)| id)
    }

    /// When the next connection `of` selects that is kept for now may be closed.
    fn next_closable(&self, g: Graces, of: impl Fn(u64, &Entry) -> bool) -> Option<Instant> {
        self.conns
            .iter()
            .filter(|(id, e)| of(**id, e))
            .filter_map(|(_, e)| Self::closable_at(e, g))
            .min()
    }

    fn remove(&mut self, id: u64) -> Option<Entry> {
        let e = self.conns.remove(&id)?;
        if let Some(n) = self.per_ip.get_mut(&e.ip) {
            *n -= 1;
            if *n == 0 {
                self.per_ip.remove(&e.ip);
            }
        }
        Some(e)
    }
}

/// The open client connections.
pub struct Connections {
    registry: Mutex<Registry>,
    freed: Arc<Notify>,
    epoch: Instant,
    next_id: AtomicU64,
    max_total: usize,
    max_per_ip: usize,
    /// Connections closed to make room (for logs and tests).
    pub evicted: AtomicU64,
    /// How long an idle connection is kept before it may be closed to make room.
    graces: Graces,
}

/// An admitted connection: its slot is given back when the ticket is dropped.
pub struct Ticket {
    id: u64,
    conns: Arc<Connections>,
    pub activity: Arc<Activity>,
    close: Arc<Notify>,
}

impl Ticket {
    /// Completes when the connection was chosen to be closed to make room for a new one.
    pub async fn evicted(&self) {
        self.close.notified().await;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.conns.lock().remove(self.id);
        self.conns.freed.notify_waiters();
    }
}

impl Connections {
    pub fn new(max_total: usize, max_per_ip: usize) -> Connections {
        Connections {
            registry: Mutex::new(Registry::default()),
            freed: Arc::new(Notify::new()),
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            max_total: max_total.max(1),
            max_per_ip: max_per_ip.max(1),
            evicted: AtomicU64::new(0),
            graces: Graces {
                new: Duration::ZERO,
                served: KEEP_AFTER_REQUEST,
            },
        }
    }

    /// Idle connections are kept for these graces before they may be closed to make room. A
    /// client's first request arrives just after its connection, and a socket closed with it
    /// unread is reset: keep `new` below the wait of a connection for a slot, so a burst of
    /// idle sockets still makes room within that wait.
    pub fn with_graces(mut self, graces: Graces) -> Self {
        self.graces = graces;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        match self.registry.lock() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        }
    }

    /// Open connections (all addresses).
    pub fn open(&self) -> usize {
        self.lock().conns.len()
    }

    /// A slot for a connection from `ip`, closing the longest-idle connection when at a limit;
    /// when every connection in the way is busy, waits up to `wait` for one to end or go idle.
    pub async fn admit(self: &Arc<Self>, ip: IpAddr, wait: Duration) -> Option<Ticket> {
        let deadline = Instant::now() + wait;
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before trying, so a slot freed in between is not missed.
            freed.as_mut().enable();
            let wake = match self.try_admit(ip) {
                Ok(t) => return Some(t),
                // A kept connection may be closed then, if nothing frees a slot before.
                Err(Some(at)) => at.min(deadline),
                Err(None) => deadline,
            };
            if tokio::time::timeout_at(wake, freed).await.is_err() && wake >= deadline {
                return self.try_admit(ip).ok();
            }
        }
    }

    /// A slot now, or (Err) when a kept connection in the way may be closed.
    fn try_admit(self: &Arc<Self>, ip: IpAddr) -> Result<Ticket, Option<Instant>> {
        let mut r = self.lock();
        let mut victims = Vec::new();
        if r.per_ip.get(&ip).copied().unwrap_or(0) >= self.max_per_ip {
            let of = |_: u64, e: &Entry| e.ip == ip;
            let g = self.graces;
            victims.push(r.oldest_idle(g, of).ok_or_else(|| r.next_closable(g, of))?);
        }
        // The per-IP victim also frees a global slot.
        if r.conns.len() - victims.len() >= self.max_total {
            let first = victims.first().copied();
            let of = |id: u64, _: &Entry| Some(id) != first;
            let g = self.graces;
            victims.push(r.oldest_idle(g, of).ok_or_else(|| r.next_closable(g, of))?);
        }
        for v in victims {
            if let Some(e) = r.remove(v) {
                let idle_ms = e.activity.idle_since().map(|t| t.elapsed().as_millis());
                let served = e.activity.served.load(Ordering::Relaxed);
                tracing::debug!(ip = %e.ip, served, ?idle_ms, "closing a connection to make room");
                e.close.notify_one();
                self.evicted.fetch_add(1, Ordering::Relaxed);
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let activity = Arc::new(Activity {
            epoch: self.epoch,
            busy: AtomicUsize::new(0),
            last: AtomicU64::new(self.epoch.elapsed().as_millis() as u64),
            served: AtomicBool::new(false),
            freed: self.freed.clone(),
        });
        let close = Arc::new(Notify::new());
        r.conns.insert(
            id,
            Entry {
                ip,
                activity: activity.clone(),
                close: close.clone(),
            },
        );
        *r.per_ip.entry(ip).or_default() += 1;
        Ok(Ticket {
            id,
            conns: self.clone(),
            activity,
            close,
        })
    }
}

/// Logs an event at most once a second, with how many were not logged in between.
#[derive(Default)]
pub struct Throttle {
    last_ms: AtomicU64,
    quiet: AtomicU64,
}

impl Throttle {
    /// `Some(n)` when this occurrence is to be logged (`n` occurrences were not); else `None`.
    pub fn tick(&self, epoch: Instant) -> Option<u64> {
        let now = epoch.elapsed().as_millis() as u64 + 1000;
        let last = self.last_ms.load(Ordering::Relaxed);
        if now >= last + 1000
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            return Some(self.quiet.swap(0, Ordering::Relaxed));
        }
        self.quiet.fetch_add(1, Ordering::Relaxed);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    #[tokio::test]
    async fn at_a_limit_the_longest_idle_connection_makes_room() {
        let c = Arc::new(Connections::new(3, 2));
        let a1 = c.admit(ip(1), Duration::ZERO).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let a2 = c.admit(ip(1), Duration::ZERO).await.unwrap();
        // Per IP: the third from 10.0.0.1 closes the oldest idle one of that address.
        let a3 = c.admit(ip(1), Duration::ZERO).await.unwrap();
        assert_eq!(c.evicted.load(Ordering::Relaxed), 1);
        tokio::time::timeout(Duration::from_secs(1), a1.evicted())
            .await
            .expect("the oldest idle connection is told to close");
        drop(a1);
        assert_eq!(c.open(), 2);
        // Busy connections are never closed: with both of 10.0.0.1 busy, a third waits, then fails.
        let (_b2, _b3) = (a2.activity.begin(), a3.activity.begin());
        assert!(c.admit(ip(1), Duration::from_millis(20)).await.is_none());
        // Another address still gets in (global room: 3).
        let _b = c.admit(ip(2), Duration::ZERO).await.unwrap();
        assert_eq!(c.open(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_just_served_is_kept_and_never_served_ones_go_first() {
        let c = Arc::new(Connections::new(3, 3));
        let served = c.admit(ip(1), Duration::ZERO).await.unwrap();
        drop(served.activity.begin());
        tokio::time::sleep(Duration::from_secs(1)).await;
        let _silent = c.admit(ip(1), Duration::ZERO).await.unwrap();
        let _third = c.admit(ip(1), Duration::ZERO).await.unwrap();
        // Full: the newest never-served connection goes before one idle longer that served.
        let _fourth = c.admit(ip(1), Duration::ZERO).await.unwrap();
        assert_eq!(c.evicted.load(Ordering::Relaxed), 1);
        tokio::time::timeout(Duration::from_millis(10), _silent.evicted())
            .await
            .expect("a never-served connection is closed first");
        drop(_silent);
        drop(_third);
        drop(_fourth);
        // Only the one that served is left idle, 1 s after its request: a new connection
        // waits for it to pass KEEP_AFTER_REQUEST instead of cutting its next request off.
        let c = Arc::new(Connections::new(1, 1));
        let a = c.admit(ip(1), Duration::ZERO).await.unwrap();
        drop(a.activity.begin());
        let started = Instant::now();
        assert!(
            c.admit(ip(1), Duration::from_secs(2)).await.is_none(),
            "kept"
        );
        let _b = c.admit(ip(1), Duration::from_secs(10)).await.unwrap();
        assert!(started.elapsed() >= KEEP_AFTER_REQUEST);
        assert_eq!(c.evicted.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_connection_is_kept_for_its_grace() {
        let grace = Duration::from_millis(100);
        let c = Arc::new(Connections::new(1, 1).with_graces(Graces {
            new: grace,
            served: KEEP_AFTER_REQUEST,
        }));
        let _new = c.admit(ip(1), Duration::ZERO).await.unwrap();
        assert!(c.admit(ip(1), Duration::from_millis(50)).await.is_none());
        let started = Instant::now();
        assert!(c.admit(ip(1), Duration::from_millis(200)).await.is_some());
        assert!(
            started.elapsed() <= grace,
            "made room once the grace was over"
        );
        assert_eq!(c.evicted.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_served_grace_is_configurable() {
        let c = Arc::new(Connections::new(1, 1).with_graces(Graces {
            new: Duration::ZERO,
            served: Duration::from_millis(300),
        }));
        let a = c.admit(ip(1), Duration::ZERO).await.unwrap();
        drop(a.activity.begin());
        assert!(c.admit(ip(1), Duration::from_millis(100)).await.is_none());
        let started = Instant::now();
        assert!(c.admit(ip(1), Duration::from_secs(1)).await.is_some());
        assert!(started.elapsed() <= Duration::from_millis(200));
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_connection_gets_the_slot_a_request_frees() {
        let c = Arc::new(Connections::new(1, 1));
        let a = c.admit(ip(1), Duration::ZERO).await.unwrap();
        let busy = a.activity.begin();
        let c2 = c.clone();
        let waiting =
            tokio::spawn(
                async move { c2.admit(ip(1), Duration::from_secs(10)).await.map(|t| t.id) },
            );
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(busy);
        // Its connection, idle now, is closed once KEEP_AFTER_REQUEST has passed.
        let got = tokio::time::timeout(Duration::from_secs(9), waiting).await;
        assert!(matches!(got, Ok(Ok(Some(_)))), "{got:?}");
    }

    #[test]
    fn idle_deadlines() {
        let freed = Arc::new(Notify::new());
        let a = Arc::new(Activity {
            epoch: Instant::now(),
            busy: AtomicUsize::new(0),
            last: AtomicU64::new(0),
            served: AtomicBool::new(false),
            freed,
        });
        let (h, i) = (Duration::from_millis(10), Duration::from_secs(100));
        assert!(
            a.deadline(h, i) <= a.epoch + h,
            "header timeout counts from accept"
        );
        let busy = a.begin();
        assert!(!a.expired(Duration::ZERO, Duration::ZERO), "busy: never");
        drop(busy);
        assert!(a.deadline(h, i) > Instant::now() + Duration::from_secs(50));
    }
}
