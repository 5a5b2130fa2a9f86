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

impl Registry {
    /// The connection idle the longest, among those `of` selects.
    fn oldest_idle(&self, of: impl Fn(&Entry) -> bool) -> Option<u64> {
        self.conns
            .iter()
            .filter(|(_, e)| of(e))
            .filter_map(|(id, e)| e.activity.idle_since().map(|t| (t, *id)))
            .min()
            .map(|(_, id)| id)
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
        }
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
            if let Some(t) = self.try_admit(ip) {
                return Some(t);
            }
            if tokio::time::timeout_at(deadline, freed).await.is_err() {
                return None;
            }
        }
    }

    fn try_admit(self: &Arc<Self>, ip: IpAddr) -> Option<Ticket> {
        let mut r = self.lock();
        let mut victims = Vec::new();
        if r.per_ip.get(&ip).copied().unwrap_or(0) >= self.max_per_ip {
            victims.push(r.oldest_idle(|e| e.ip == ip)?);
        }
        // The per-IP victim also frees a global slot.
        if r.conns.len() - victims.len() >= self.max_total {
            let first = victims.first().copied();
            victims.push(r.oldest_idle(|_| true).filter(|v| Some(*v) != first)?);
        }
        for v in victims {
            if let Some(e) = r.remove(v) {
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
        Some(Ticket {
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

    #[tokio::test]
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
        let got = tokio::time::timeout(Duration::from_secs(5), waiting).await;
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
