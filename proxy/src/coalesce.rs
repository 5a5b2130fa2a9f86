//! Identical calls in flight at the same time are made once: the first caller makes the call,
//! the others wait for it and share its answer (single flight). It serves v3 GETs and shared
//! legacy reads, each keyed by what its answer is made of (tenant, acting user, data
//! generation, URL), so an answer is only shared by requests that would have got the same. An
//! entry lives only while its call is in flight or awaited (bounded by the requests in
//! progress); a caller that gives up (its client went away) leaves the call to the next
//! waiter, and the last caller out removes the entry, answered or not.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

pub struct Coalescer<T> {
    flights: Mutex<HashMap<String, Arc<OnceCell<T>>>>,
}

impl<T> Default for Coalescer<T> {
    fn default() -> Self {
        Coalescer {
            flights: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> Coalescer<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<T>>>> {
        self.flights.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<T: Clone> Coalescer<T> {
    /// The answer of `call` for `key`, made once for every caller in flight at the same time.
    /// The flag says whether this caller made the call.
    pub async fn run<F, Fut>(&self, key: &str, call: F) -> (T, bool)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        match self
            .run_or_wait(key, || Ok::<(), std::convert::Infallible>(()), call)
            .await
        {
            Ok(out) => out,
            Err(never) => match never {},
        }
    }

    /// As [`Coalescer::run`], but a caller that finds the call in flight asks `wait` first,
    /// at the moment it joins (atomically: two callers cannot both find it absent and then
    /// both lead, nor both pass a bound `wait` checks): `wait`'s error is returned without
    /// waiting, its value is held while the caller waits.
    pub async fn run_or_wait<F, Fut, W, G, E>(
        &self,
        key: &str,
        wait: W,
        call: F,
    ) -> Result<(T, bool), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
        W: FnOnce() -> Result<G, E>,
    {
        let (cell, _waiting) = {
            let mut m = self.lock();
            match m.get(key) {
                Some(cell) => (cell.clone(), Some(wait()?)),
                None => {
                    let cell = Arc::new(OnceCell::new());
                    m.insert(key.to_string(), cell.clone());
                    (cell, None)
                }
            }
        };
        let _leave = Leave {
            flights: self,
            key,
            cell: &cell,
        };
        let mut made = false;
        let out = cell
            .get_or_init(|| {
                made = true;
                call()
            })
            .await
            .clone();
        Ok((out, made))
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> usize {
        self.lock().len()
    }
}

/// A caller leaving (answered, or dropped mid-wait): the entry goes once it is answered (a
/// later call is made again) or once nobody else waits on it, so an abandoned call never
/// stays in the map.
struct Leave<'a, T> {
    flights: &'a Coalescer<T>,
    key: &'a str,
    cell: &'a Arc<OnceCell<T>>,
}

impl<T> Drop for Leave<'_, T> {
    fn drop(&mut self) {
        let mut m = self.flights.lock();
        // Under the lock no caller can join: the map and this caller are the only holders
        // when the count is 2.
        if m.get(self.key).is_some_and(|c| Arc::ptr_eq(c, self.cell))
            && (self.cell.initialized() || Arc::strong_count(self.cell) <= 2)
        {
            m.remove(self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn concurrent_identical_calls_are_made_once_and_later_ones_again() {
        let c = Arc::new(Coalescer::<u32>::default());
        let made = Arc::new(AtomicUsize::new(0));
        let call = |made: Arc<AtomicUsize>| async move {
            made.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            7
        };
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (c, made) = (c.clone(), made.clone());
                tokio::spawn(async move { c.run("k", || call(made)).await })
            })
            .collect();
        let mut leaders = 0;
        for t in tasks {
            let (v, led) = t.await.unwrap();
            assert_eq!(v, 7);
            leaders += usize::from(led);
        }
        assert_eq!((made.load(Ordering::SeqCst), leaders), (1, 1));
        assert_eq!(c.in_flight(), 0, "nothing is kept once answered");
        c.run("k", || call(made.clone())).await;
        assert_eq!(made.load(Ordering::SeqCst), 2, "a later call is made again");
    }

    #[tokio::test(start_paused = true)]
    async fn different_keys_are_not_shared_and_a_cancelled_leader_hands_over() {
        let c = Arc::new(Coalescer::<&'static str>::default());
        let (a, b) = tokio::join!(c.run("a", || async { "a" }), c.run("b", || async { "b" }));
        assert_eq!((a.0, b.0), ("a", "b"));
        let c2 = c.clone();
        let leader = tokio::spawn(async move {
            c2.run("k", || async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "never"
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        leader.abort();
        let _ = leader.await;
        let (v, led) = c.run("k", || async { "next" }).await;
        assert_eq!((v, led), ("next", true));
    }

    #[tokio::test(start_paused = true)]
    async fn a_bounded_wait_lets_in_as_many_waiters_as_it_allows() {
        let c = Arc::new(Coalescer::<u8>::default());
        let waiters = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (c, waiters) = (c.clone(), waiters.clone());
                tokio::spawn(async move {
                    let wait = || {
                        let before = waiters.fetch_add(1, Ordering::SeqCst);
                        if before < 3 { Ok(()) } else { Err("full") }
                    };
                    c.run_or_wait("k", wait, || async {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        5
                    })
                    .await
                })
            })
            .collect();
        let (mut led, mut waited, mut refused) = (0, 0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok((5, true)) => led += 1,
                Ok((5, false)) => waited += 1,
                Ok(other) => panic!("{other:?}"),
                Err("full") => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!((led, waited, refused), (1, 3, 6));
        assert_eq!(c.in_flight(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_call_leaves_nothing_behind() {
        let c = Arc::new(Coalescer::<u8>::default());
        for i in 0..100 {
            let c2 = c.clone();
            let t =
                tokio::spawn(
                    async move { c2.run(&format!("k{i}"), std::future::pending::<u8>).await },
                );
            tokio::time::sleep(Duration::from_millis(1)).await;
            t.abort();
            let _ = t.await;
        }
        assert_eq!(c.in_flight(), 0, "every abandoned entry is gone");
        // A waiter keeps the entry of a call its leader abandoned, and takes it over.
        let c2 = c.clone();
        let leader = tokio::spawn(async move { c2.run("k", std::future::pending::<u8>).await });
        tokio::time::sleep(Duration::from_millis(1)).await;
        let c3 = c.clone();
        let waiter = tokio::spawn(async move {
            c3.run("k", || async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                9
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
        leader.abort();
        let _ = leader.await;
        assert_eq!(c.in_flight(), 1, "the waiter still holds the call");
        assert_eq!(waiter.await.unwrap(), (9, true));
        assert_eq!(c.in_flight(), 0);
    }
}
