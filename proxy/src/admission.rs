//! Admission control: a bound on the legacy requests in flight, all tenants together and per
//! tenant, with a short, bounded queue in front. What does not get in within the queue wait
//! is answered at once in v1's shape with `Retry-After`: 503 when the proxy is full, 429 when
//! one tenant holds its whole share. Overload is answered, never absorbed: memory is bounded
//! by the requests in flight, whatever the number of clients. The `Retry-After` of a refusal
//! comes from the scope's calendar of returns ([`crate::returns`]): refused clients are sent
//! back no faster than the proxy (or the tenant) serves, instead of all at once.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::returns::{Returns, ServiceRate};

/// The settings (`[limits]` in proxy.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionLimits {
    /// Requests served at once, all tenants together.
    pub in_flight: usize,
    /// Requests served at once for one tenant.
    pub in_flight_per_tenant: usize,
    /// Requests that may wait for a slot at once (beyond: refused without waiting).
    pub queue: usize,
    /// How long a request may wait for a slot (and the shortest `Retry-After` of a refusal).
    pub queue_wait: Duration,
    /// Requests that may wait at once for the answer of an identical read in flight (shared
    /// reads: no slot of their own), all tenants together; beyond, refused like a full queue.
    pub sharing: usize,
    /// ... and for one tenant.
    pub sharing_per_tenant: usize,
    /// The longest `Retry-After` of a refusal: half the idle keep-alive timeout (from the
    /// config), so a client that waits it out finds its connection still open instead of
    /// racing the proxy closing it. 60 s at most.
    pub longest_retry_after: Duration,
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
            // A waiter costs little, but every client let in is one more connection with its
            // buffers live in the caches: on the users soak page, 1,000 clients all let in as
            // waiters cost 0.024–0.029 ms of proxy CPU per page against 0.020 at 64.
            sharing: 256,
            sharing_per_tenant: 192,
            longest_retry_after: Duration::from_secs(10),
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
    /// The proxy has as many requests waiting for an identical read in flight as it may (503).
    Sharing,
    /// The tenant has as many requests waiting for an identical read as it may (429).
    TenantSharing,
}

/// A request not let in, and when it should come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub why: Refused,
    /// Seconds (1 to [`crate::returns::MAX_RETRY_AFTER`]), for `Retry-After`.
    pub retry_after: u64,
}

/// The proxy's slots, or one tenant's: who holds them, how fast they are served, and when the
/// requests refused for want of them were told to come back.
struct Scope {
    slots: Arc<Semaphore>,
    permits: usize,
    /// Requests waiting for an identical read's answer.
    sharing: Arc<AtomicUsize>,
    rate: ServiceRate,
    returns: Mutex<Returns>,
}

impl Scope {
    fn new(slots: usize) -> Scope {
        let permits = permits_for(slots);
        Scope {
            slots: Arc::new(Semaphore::new(permits)),
            permits,
            sharing: Arc::default(),
            rate: ServiceRate::default(),
            returns: Mutex::new(Returns::default()),
        }
    }

    /// The `Retry-After` of a request refused `second` seconds after the origin: from
    /// `soonest` to `latest` seconds.
    fn book_return(&self, second: u64, soonest: u64, latest: u64) -> u64 {
        let per_second = self.rate.per_second(self.permits, LIGHT_PER_SLOT);
        let mut returns = self.returns.lock().unwrap_or_else(|p| p.into_inner());
        returns.book(second, per_second, soonest, latest)
    }
}

/// Held while a request is served; dropping it frees the slots and counts how long it held
/// them toward both scopes' service rate.
pub struct Admitted {
    _tenant_permit: OwnedSemaphorePermit,
    _global_permit: OwnedSemaphorePermit,
    _counted: Counted<Arc<AtomicUsize>>,
    tenant: Arc<Scope>,
    global: Arc<Scope>,
    permits: u32,
    since: Instant,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let micros = u64::try_from(self.since.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.tenant.rate.record(self.permits, micros);
        self.global.rate.record(self.permits, micros);
    }
}

/// Held while a request waits for the answer of an identical read in flight: it counts
/// toward the tenant's and the proxy's bound on such waiters, and holds no slot.
pub struct Sharing {
    _tenant: Counted<Arc<AtomicUsize>>,
    _global: Counted<Arc<AtomicUsize>>,
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
    global: Arc<Scope>,
    tenants: PerTenant<Scope>,
    queued: AtomicUsize,
    requests: Arc<AtomicUsize>,
    /// Where the calendars' seconds count from.
    origin: Instant,
}

/// One `T` per tenant, made on first use (bounded by the config's tenants).
struct PerTenant<T>(Mutex<HashMap<usize, Arc<T>>>);

impl<T> PerTenant<T> {
    fn new() -> PerTenant<T> {
        PerTenant(Mutex::new(HashMap::new()))
    }

    fn of(&self, tenant: usize, make: impl FnOnce() -> T) -> Arc<T> {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(tenant).or_insert_with(|| Arc::new(make())).clone()
    }
}

/// A number of permits per tenant (one semaphore per tenant; bounded by the config's
/// tenants). Also bounds each tenant's v3 connections in use (one permit each).
pub struct TenantSlots {
    per_tenant: usize,
    map: PerTenant<Semaphore>,
}

impl TenantSlots {
    pub fn new(per_tenant: usize) -> TenantSlots {
        TenantSlots {
            per_tenant: per_tenant.max(1),
            map: PerTenant::new(),
        }
    }

    pub fn of(&self, tenant: usize) -> Arc<Semaphore> {
        self.map.of(tenant, || Semaphore::new(self.per_tenant))
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
            global: Arc::new(Scope::new(limits.in_flight)),
            tenants: PerTenant::new(),
            queued: AtomicUsize::new(0),
            requests: Arc::new(AtomicUsize::new(0)),
            origin: Instant::now(),
        }
    }

    fn tenant(&self, tenant: usize) -> Arc<Scope> {
        self.tenants
            .of(tenant, || Scope::new(self.limits.in_flight_per_tenant))
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
    pub async fn admit(&self, tenant: usize, weight: Weight) -> Result<Admitted, Refusal> {
        let t = self.tenant(tenant);
        let n = weight.permits();
        if let (Ok(tp), Ok(gp)) = (
            t.slots.clone().try_acquire_many_owned(n),
            self.global.slots.clone().try_acquire_many_owned(n),
        ) {
            return Ok(self.admitted(t, tp, gp, n));
        }
        let (_waiting, before) = Counted::add(&self.queued);
        if before >= self.limits.queue {
            return Err(if t.slots.available_permits() < n as usize {
                self.refuse(Refused::TenantFull, &t)
            } else {
                self.refuse(Refused::Full, &self.global)
            });
        }
        let deadline = Instant::now() + self.limits.queue_wait;
        let Ok(Ok(tp)) =
            tokio::time::timeout_at(deadline, t.slots.clone().acquire_many_owned(n)).await
        else {
            return Err(self.refuse(Refused::TenantFull, &t));
        };
        let Ok(Ok(gp)) =
            tokio::time::timeout_at(deadline, self.global.slots.clone().acquire_many_owned(n))
                .await
        else {
            return Err(self.refuse(Refused::Full, &self.global));
        };
        Ok(self.admitted(t, tp, gp, n))
    }

    /// Leave to wait for the answer of an identical read in flight, or a refusal when the
    /// tenant (429) or the proxy (503) has as many such waiters as it may.
    pub fn share(&self, tenant: usize) -> Result<Sharing, Refusal> {
        let t = self.tenant(tenant);
        let (tenant_count, before) = Counted::add(t.sharing.clone());
        if before >= self.limits.sharing_per_tenant {
            return Err(self.refuse(Refused::TenantSharing, &t));
        }
        let (global_count, before) = Counted::add(self.global.sharing.clone());
        if before >= self.limits.sharing {
            return Err(self.refuse(Refused::Sharing, &self.global));
        }
        Ok(Sharing {
            _tenant: tenant_count,
            _global: global_count,
        })
    }

    /// Requests waiting for an identical read's answer now.
    pub fn sharing(&self) -> usize {
        self.global.sharing.load(Ordering::Acquire)
    }

    fn admitted(
        &self,
        tenant: Arc<Scope>,
        tenant_permit: OwnedSemaphorePermit,
        global_permit: OwnedSemaphorePermit,
        permits: u32,
    ) -> Admitted {
        Admitted {
            _tenant_permit: tenant_permit,
            _global_permit: global_permit,
            _counted: Counted::add(self.requests.clone()).0,
            tenant,
            global: self.global.clone(),
            permits,
            since: Instant::now(),
        }
    }

    /// A refusal, told to come back when its scope's calendar has room: never sooner than
    /// the queue's wait (what a full queue would have made it wait), never later than the
    /// longest `Retry-After`.
    fn refuse(&self, why: Refused, scope: &Scope) -> Refusal {
        let second = self.origin.elapsed().as_secs();
        let l = &self.limits;
        Refusal {
            why,
            retry_after: scope.book_return(
                second,
                l.queue_wait.as_secs(),
                l.longest_retry_after.as_secs(),
            ),
        }
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
            sharing: 3,
            sharing_per_tenant: 2,
            longest_retry_after: Duration::from_secs(60),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_on_a_shared_read_are_bounded_per_tenant_and_for_the_proxy() {
        let a = small(1, 1, 0);
        let _slot = a.admit(0, Weight::Whole).await.unwrap();
        // Waiters hold no slot: two of tenant 0 wait although its one slot is taken.
        let w1 = a.share(0).unwrap();
        let _w2 = a.share(0).unwrap();
        assert_eq!(a.sharing(), 2);
        assert_eq!(a.in_flight(), 1);
        assert_eq!(
            a.share(0).err().map(|r| r.why),
            Some(Refused::TenantSharing)
        );
        // The proxy's bound (3) holds across tenants.
        let _w3 = a.share(1).unwrap();
        let refused = a
            .share(2)
            .err()
            .expect("the proxy holds as many waiters as it may");
        assert_eq!(refused.why, Refused::Sharing);
        assert!(refused.retry_after >= 1);
        assert_eq!(a.sharing(), 3, "a refused waiter is not counted");
        drop(w1);
        assert!(a.share(2).is_ok(), "a waiter gone makes room");
    }

    #[tokio::test(start_paused = true)]
    async fn the_proxy_bound_refuses_with_full_once_the_wait_is_over() {
        let a = small(2, 2, 8);
        let one = a.admit(0, Weight::Whole).await.unwrap();
        let _two = a.admit(1, Weight::Whole).await.unwrap();
        assert_eq!(a.in_flight(), 2);
        assert_eq!(
            a.admit(2, Weight::Whole).await.err().map(|r| r.why),
            Some(Refused::Full)
        );
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
            a.admit(0, Weight::Whole).await.err().map(|r| r.why),
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
            a.admit(0, Weight::Light).await.err().map(|r| r.why),
            Some(Refused::TenantFull)
        );
        light.pop();
        assert_eq!(a.in_flight(), LIGHT_PER_SLOT);
        // Three quarters of a slot free: still no room for a whole one.
        assert_eq!(
            a.admit(1, Weight::Whole).await.err().map(|r| r.why),
            Some(Refused::Full)
        );
        drop(whole);
        assert!(a.admit(1, Weight::Whole).await.is_ok());
        // Huge limits do not overflow the permit count.
        let big = small(usize::MAX, usize::MAX, 0);
        assert!(big.admit(0, Weight::Whole).await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn refusals_are_sent_back_no_faster_than_requests_are_served() {
        let a = small(1, 1, 0);
        // Nothing served yet: one whole slot is taken to serve one request a second.
        let held = a.admit(0, Weight::Whole).await.unwrap();
        assert_eq!(
            told(&a, 3).await,
            [1, 2, 3],
            "spread over the seconds ahead, not all at once"
        );
        // The slot was held 250 ms: it serves four a second, so each second takes four.
        tokio::time::advance(Duration::from_millis(250)).await;
        drop(held);
        let _held = a.admit(0, Weight::Whole).await.unwrap();
        assert_eq!(told(&a, 6).await, [1, 1, 1, 2, 2, 2]);
        // A second later: second 2 is still full (four promised), 3 has one of four.
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(told(&a, 4).await, [2, 2, 2, 3]);
        // The proxy's own scope has its calendar: a refusal for want of a global slot.
        let b = small(1, 4, 0);
        let _h = b.admit(0, Weight::Whole).await.unwrap();
        let r = b.admit(1, Weight::Whole).await.err().unwrap();
        assert_eq!((r.why, r.retry_after), (Refused::Full, 1));
    }

    /// The `Retry-After`s of `n` requests of tenant 0 refused one after another.
    async fn told(a: &Admission, n: usize) -> Vec<u64> {
        let mut told = Vec::new();
        for _ in 0..n {
            told.push(a.admit(0, Weight::Whole).await.err().unwrap().retry_after);
        }
        told
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_refuses_without_waiting() {
        let a = Arc::new(small(1, 1, 1));
        let _held = a.admit(0, Weight::Whole).await.unwrap();
        let b = a.clone();
        let queued =
            tokio::spawn(async move { b.admit(1, Weight::Whole).await.err().map(|r| r.why) });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let started = tokio::time::Instant::now();
        assert_eq!(
            a.admit(2, Weight::Whole).await.err().map(|r| r.why),
            Some(Refused::Full)
        );
        assert_eq!(started.elapsed(), Duration::ZERO, "refused at once");
        assert_eq!(queued.await.unwrap(), Some(Refused::Full));
    }
}
