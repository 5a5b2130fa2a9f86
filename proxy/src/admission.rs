//! Admission control: a bound on the legacy requests in flight, all tenants together and per
//! tenant, with a short, bounded queue in front. What does not get in within the queue wait
//! is answered at once in v1's shape with `Retry-After`: 503 when the proxy is full, 429 when
//! one tenant holds its whole share. Overload is answered, never absorbed: memory is bounded
//! by the requests in flight, whatever the number of clients.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The settings (`[limits]` in proxy.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionLimits {
    /// Requests served at once, all tenants together.
    pub in_flight: usize,
    /// Requests served at once for one tenant.
    pub in_flight_per_tenant: usize,
    /// Requests that may wait for a slot at once (beyond: refused without waiting).
    pub queue: usize,
    /// How long a request may wait for a slot.
    pub queue_wait: Duration,
}

impl Default for AdmissionLimits {
    fn default() -> Self {
        // From the soak (docs/benchmarks.md §5): a joined page holds ~10 MB while in flight
        // and is CPU-bound, so more slots only add memory and latency: at 64 clients on
        // candidates, 12 per tenant served 28 pages/s at 310 MiB peak, 48 served 17/s at 563.
        // The queue only smooths bursts: a long one holds a backlog of requests (and their
        // connections) that all go cold while they wait. On the users page at 1,000 clients
        // a queue of 256 cost 0.050 ms of proxy CPU per page and 15 ms p50, against 0.041 and
        // 2.5 ms at 64 clients; a queue of 32 cost 0.043 ms and 3.3 ms (more clients are
        // told to come back after `Retry-After` instead).
        AdmissionLimits {
            in_flight: 16,
            in_flight_per_tenant: 12,
            queue: 32,
            queue_wait: Duration::from_secs(2),
        }
    }
}

/// What a request weighs against the bounds: a whole slot, or a quarter of one for a light
/// read (a page of one v3 list whose joins are cached reference lists: the v3 page is shared
/// by the reads a coalesced GET answers and its translation is memoised, so it holds little
/// memory or CPU of its own). More light reads in flight also let more of them share one v3
/// GET: in the soak at 1,000 clients, 0.028 v3 calls per users page at 12 slots, 0.006 at 64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Whole,
    Light,
}

/// Light reads in one slot.
pub const LIGHT_PER_SLOT: usize = 4;

impl Weight {
    fn permits(self) -> u32 {
        match self {
            Weight::Whole => LIGHT_PER_SLOT as u32,
            Weight::Light => 1,
        }
    }
}

fn permits_for(slots: usize) -> usize {
    slots
        .max(1)
        .saturating_mul(LIGHT_PER_SLOT)
        .min(Semaphore::MAX_PERMITS)
}

/// Why a request was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Every slot of the proxy is busy (503).
    Full,
    /// The tenant uses its whole share (429).
    TenantFull,
}

/// Held while a request is served; dropping it frees the slots.
pub struct Admitted {
    _tenant: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
    _counted: Counted<Arc<AtomicUsize>>,
}

/// One in a counter while it lives: a request in [`Admission::in_flight`] (owned, kept in
/// [`Admitted`]) or in [`Admission::waiting`] (borrowed, while it waits).
struct Counted<C: Deref<Target = AtomicUsize>>(C);

impl<C: Deref<Target = AtomicUsize>> Counted<C> {
    /// Adds one, and says what the count was before.
    fn add(counter: C) -> (Counted<C>, usize) {
        let before = counter.fetch_add(1, Ordering::AcqRel);
        (Counted(counter), before)
    }
}

impl<C: Deref<Target = AtomicUsize>> Drop for Counted<C> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

pub struct Admission {
    limits: AdmissionLimits,
    global: Arc<Semaphore>,
    tenants: TenantSlots,
    queued: AtomicUsize,
    requests: Arc<AtomicUsize>,
}

/// A number of permits per tenant (one semaphore per tenant; bounded by the config's
/// tenants). Also bounds each tenant's v3 connections in use (one permit each).
pub struct TenantSlots {
    per_tenant: usize,
    map: Mutex<HashMap<usize, Arc<Semaphore>>>,
}

impl TenantSlots {
    pub fn new(per_tenant: usize) -> TenantSlots {
        TenantSlots {
            per_tenant: per_tenant.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    pub fn of(&self, tenant: usize) -> Arc<Semaphore> {
        let mut m = self.map.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(tenant)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_tenant)))
            .clone()
    }

    /// Waits for one of the tenant's slots.
    pub async fn acquire(&self, tenant: usize) -> Option<OwnedSemaphorePermit> {
        self.of(tenant).acquire_owned().await.ok()
    }
}

impl Admission {
    pub fn new(limits: AdmissionLimits) -> Admission {
        Admission {
            limits,
            global: Arc::new(Semaphore::new(permits_for(limits.in_flight))),
            tenants: TenantSlots::new(permits_for(limits.in_flight_per_tenant)),
            queued: AtomicUsize::new(0),
            requests: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn limits(&self) -> AdmissionLimits {
        self.limits
    }

    /// Requests being served now (light or not).
    pub fn in_flight(&self) -> usize {
        self.requests.load(Ordering::Acquire)
    }

    /// Requests waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// A slot for a request of `tenant`: at once if free, else after waiting in the queue (if
    /// it has room) for at most the queue wait. The tenant's share is taken first, so a
    /// tenant over its share never holds a slot of the whole proxy while it waits.
    pub async fn admit(&self, tenant: usize, weight: Weight) -> Result<Admitted, Refused> {
        let t = self.tenants.of(tenant);
        let n = weight.permits();
        if let (Ok(tp), Ok(gp)) = (
            t.clone().try_acquire_many_owned(n),
            self.global.clone().try_acquire_many_owned(n),
        ) {
            return Ok(Admitted {
                _tenant: tp,
                _global: gp,
                _counted: Counted::add(self.requests.clone()).0,
            });
        }
        let (_waiting, before) = Counted::add(&self.queued);
        if before >= self.limits.queue {
            return Err(if t.available_permits() < n as usize {
                Refused::TenantFull
            } else {
                Refused::Full
            });
        }
        let deadline = tokio::time::Instant::now() + self.limits.queue_wait;
        let Ok(Ok(tp)) = tokio::time::timeout_at(deadline, t.acquire_many_owned(n)).await else {
            return Err(Refused::TenantFull);
        };
        let Ok(Ok(gp)) =
            tokio::time::timeout_at(deadline, self.global.clone().acquire_many_owned(n)).await
        else {
            return Err(Refused::Full);
        };
        Ok(Admitted {
            _tenant: tp,
            _global: gp,
            _counted: Counted::add(self.requests.clone()).0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(in_flight: usize, per_tenant: usize, queue: usize) -> Admission {
        Admission::new(AdmissionLimits {
            in_flight,
            in_flight_per_tenant: per_tenant,
            queue,
            queue_wait: Duration::from_millis(200),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn the_proxy_bound_refuses_with_full_once_the_wait_is_over() {
        let a = small(2, 2, 8);
        let one = a.admit(0, Weight::Whole).await.unwrap();
        let _two = a.admit(1, Weight::Whole).await.unwrap();
        assert_eq!(a.in_flight(), 2);
        assert_eq!(a.admit(2, Weight::Whole).await.err(), Some(Refused::Full));
        drop(one);
        assert!(
            a.admit(2, Weight::Whole).await.is_ok(),
            "a freed slot is taken"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn one_tenant_cannot_take_every_slot() {
        let a = small(4, 2, 8);
        let _x = a.admit(0, Weight::Whole).await.unwrap();
        let _y = a.admit(0, Weight::Whole).await.unwrap();
        assert_eq!(
            a.admit(0, Weight::Whole).await.err(),
            Some(Refused::TenantFull)
        );
        assert!(
            a.admit(1, Weight::Whole).await.is_ok(),
            "another tenant still gets in"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_gets_the_slot_freed_within_the_wait() {
        let a = Arc::new(small(1, 1, 8));
        let held = a.admit(0, Weight::Whole).await.unwrap();
        let b = a.clone();
        let waiter = tokio::spawn(async move { b.admit(0, Weight::Whole).await.is_ok() });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(a.waiting(), 1);
        drop(held);
        assert!(waiter.await.unwrap());
        assert_eq!(a.waiting(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn light_reads_take_a_quarter_of_a_slot() {
        let a = small(2, 2, 0);
        let whole = a.admit(0, Weight::Whole).await.unwrap();
        let mut light = Vec::new();
        for _ in 0..LIGHT_PER_SLOT {
            light.push(a.admit(0, Weight::Light).await.unwrap());
        }
        assert_eq!(a.in_flight(), 1 + LIGHT_PER_SLOT, "requests, not slots");
        assert_eq!(
            a.admit(0, Weight::Light).await.err(),
            Some(Refused::TenantFull)
        );
        light.pop();
        assert_eq!(a.in_flight(), LIGHT_PER_SLOT);
        // Three quarters of a slot free: still no room for a whole one.
        assert_eq!(a.admit(1, Weight::Whole).await.err(), Some(Refused::Full));
        drop(whole);
        assert!(a.admit(1, Weight::Whole).await.is_ok());
        // Huge limits do not overflow the permit count.
        let big = small(usize::MAX, usize::MAX, 0);
        assert!(big.admit(0, Weight::Whole).await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_refuses_without_waiting() {
        let a = Arc::new(small(1, 1, 1));
        let _held = a.admit(0, Weight::Whole).await.unwrap();
        let b = a.clone();
        let queued = tokio::spawn(async move { b.admit(1, Weight::Whole).await.err() });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let started = tokio::time::Instant::now();
        assert_eq!(a.admit(2, Weight::Whole).await.err(), Some(Refused::Full));
        assert_eq!(started.elapsed(), Duration::ZERO, "refused at once");
        assert_eq!(queued.await.unwrap(), Some(Refused::Full));
    }
}
