//! Identical v3 GETs in flight at the same time are made once: the first caller makes the
//! call, the others wait for it and share its answer (single flight). Keyed by tenant, acting
//! user and URL, so an answer is only shared by requests that would have got the same one. An
//! entry lives only while its call is in flight (bounded by the requests admitted); a caller
//! that gives up (its client went away) leaves the call to the next waiter.

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

impl<T: Clone> Coalescer<T> {
    /// The answer of `call` for `key`, made once for every caller in flight at the same time.
    /// The flag says whether this caller made the call.
    pub async fn run<F, Fut>(&self, key: &str, call: F) -> (T, bool)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let cell = self
            .lock()
            .entry(key.to_string())
            .or_insert_with(|| Arc::new(OnceCell::new()))
            .clone();
        let mut made = false;
        let out = cell
            .get_or_init(|| {
                made = true;
                call()
            })
            .await
            .clone();
        if made {
            let mut m = self.lock();
            if m.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                m.remove(key);
            }
        }
        (out, made)
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<T>>>> {
        self.flights.lock().unwrap_or_else(|p| p.into_inner())
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
}
