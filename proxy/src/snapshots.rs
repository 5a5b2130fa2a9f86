//! Walk-scoped snapshots of joined collections, in an embedded SQLite file on disk (memory
//! stays bounded at any scale).
//!
//! A page of 100 candidates joins their applications, attachments, educations… Fetched by
//! ids that is one v3 call per 50 keys per join on every page; over a whole walk it is about
//! ten times what listing each joined collection once costs (500 rows a call). So when a walk
//! is under way (page 2 and later of a whole collection), or when the joined collection is
//! known to be small enough that listing it costs no more than the by-ids calls, the
//! collection is listed once into a snapshot, and every page of the walk takes its rows from
//! there by key. A snapshot serves for the walk TTL; a write through the proxy starts a new
//! generation (the key changes), so writes are read back at once.
//!
//! What is known of a collection's size (exact after a listing, or "more than one page" after
//! a probe) is kept for an hour per tenant and decides the next time.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lru::LruCache;
use rusqlite::{Connection, params};
use serde_json::Value;
use tokio::time::Instant;

use harvest_mappings::engine::collect_keys;
use harvest_mappings::selector::Selector;

/// The oldest a snapshot is ever served, however busy its walk.
pub const MAX_AGE: Duration = Duration::from_secs(900);

/// How long what is known of a collection's size is believed.
pub const SIZE_TTL: Duration = Duration::from_secs(3600);

/// A complete snapshot of one collection (path, query and join field).
#[derive(Debug, Clone, Copy)]
pub struct Snap {
    id: i64,
    at: Instant,
    /// Last served: a walk in progress keeps its snapshot (a paced walk at 10× the data takes
    /// longer than the TTL), up to [`MAX_AGE`].
    used: Instant,
    pub rows: u64,
}

/// What is known of a collection's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Exact(u64),
    /// It did not fit in one v3 page of this many rows.
    MoreThan(u64),
}

pub struct Snapshots {
    /// The one connection, owned by its own thread, which runs the jobs sent here one after
    /// another (a bounded queue). A burst of lookups neither starts a blocking thread per
    /// lookup, each waiting on one lock with a heap of its own, nor leaves the file idle
    /// between jobs while the next waiter is scheduled.
    db: tokio::sync::mpsc::Sender<Job>,
    /// The file, deleted when the proxy stops (None: in memory, for tests).
    _file: Option<tempfile::TempPath>,
    index: Mutex<HashMap<String, Snap>>,
    /// The join fields each snapshot is keyed by (a second join on the same collection by
    /// another field indexes the rows already held: no v3 call).
    fields: Mutex<std::collections::HashSet<(i64, String)>>,
    sizes: Mutex<LruCache<String, (Instant, Size)>>,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Per walk scope (tenant and cache generation: the key up to its second `|`), when one of
    /// its snapshots was last served or built. While a walk uses or builds any snapshot, all of
    /// its snapshots stay live: a paced walk may spend minutes building one joined collection
    /// before it serves the next page from the others.
    active: Mutex<HashMap<String, Instant>>,
    next: AtomicI64,
    ttl: Duration,
}

/// The walk scope of a snapshot key (`tenant|gN|collection` → `tenant|gN`).
fn scope(key: &str) -> &str {
    match key.match_indices('|').nth(1) {
        Some((i, _)) => &key[..i],
        None => key,
    }
}

#[derive(Debug, thiserror::Error)]
#[error("snapshot store: {0}")]
pub struct SnapshotError(String);

impl From<rusqlite::Error> for SnapshotError {
    fn from(e: rusqlite::Error) -> Self {
        SnapshotError(e.to_string())
    }
}

const SCHEMA: &str = "
    PRAGMA journal_mode = OFF;
    PRAGMA synchronous = OFF;
    PRAGMA cache_size = -8192;
    CREATE TABLE IF NOT EXISTS rows (snap INTEGER NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL);
    CREATE INDEX IF NOT EXISTS rows_at ON rows (snap, seq);
    CREATE TABLE IF NOT EXISTS keys (snap INTEGER NOT NULL, field TEXT NOT NULL, key TEXT NOT NULL,
        seq INTEGER NOT NULL, PRIMARY KEY (snap, field, key, seq)) WITHOUT ROWID;
";

impl Snapshots {
    /// A snapshot file in `dir` (the system's temporary directory when None), removed at exit.
    pub fn open(dir: Option<&Path>, ttl: Duration) -> Result<Snapshots, SnapshotError> {
        let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let file = tempfile::Builder::new()
            .prefix("harvest-proxy-snapshots-")
            .suffix(".sqlite")
            .tempfile_in(&dir)
            .map_err(|e| SnapshotError(format!("{}: {e}", dir.display())))?
            .into_temp_path();
        let conn = Connection::open(&file)?;
        Self::with(conn, Some(file), ttl)
    }

    /// In memory (tests).
    pub fn in_memory(ttl: Duration) -> Result<Snapshots, SnapshotError> {
        Self::with(Connection::open_in_memory()?, None, ttl)
    }

    fn with(
        conn: Connection,
        file: Option<tempfile::TempPath>,
        ttl: Duration,
    ) -> Result<Snapshots, SnapshotError> {
        conn.execute_batch(SCHEMA)?;
        Ok(Snapshots {
            db: spawn_db(conn)?,
            _file: file,
            index: Mutex::new(HashMap::new()),
            fields: Mutex::new(Default::default()),
            sizes: Mutex::new(LruCache::new(
                NonZeroUsize::new(4096).unwrap_or(NonZeroUsize::MIN),
            )),
            flights: Mutex::new(HashMap::new()),
            active: Mutex::new(HashMap::new()),
            next: AtomicI64::new(1),
            ttl,
        })
    }

    /// A snapshot is live while it, or another of its walk scope, was served or built less
    /// than the TTL ago, and it was built less than [`MAX_AGE`] ago.
    fn live(&self, key: &str, s: &Snap) -> bool {
        if s.at.elapsed() >= MAX_AGE {
            return false;
        }
        s.used.elapsed() < self.ttl
            || self
                .active_since(key)
                .is_some_and(|t| t.elapsed() < self.ttl)
    }

    fn active_since(&self, key: &str) -> Option<Instant> {
        let active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        active.get(scope(key)).copied()
    }

    /// Notes that the walk scope of `key` is busy (serving or building a snapshot).
    pub fn touch(&self, key: &str) {
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = active.get_mut(scope(key)) {
            *t = Instant::now();
            return;
        }
        // Bounded: scopes that are idle past the TTL are forgotten.
        let ttl = self.ttl;
        active.retain(|_, t| t.elapsed() < ttl);
        active.insert(scope(key).to_string(), Instant::now());
    }

    /// The complete snapshot under `key`, if live (and now used).
    pub fn fresh(&self, key: &str) -> Option<Snap> {
        let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        let s = *index.get(key)?;
        if !self.live(key, &s) {
            return None;
        }
        if let Some(s) = index.get_mut(key) {
            s.used = Instant::now();
        }
        drop(index);
        self.touch(key);
        Some(Snap {
            used: Instant::now(),
            ..s
        })
    }

    pub fn size(&self, collection: &str) -> Option<Size> {
        let mut sizes = self.sizes.lock().unwrap_or_else(|p| p.into_inner());
        sizes
            .get(collection)
            .filter(|(at, _)| at.elapsed() < SIZE_TTL)
            .map(|(_, s)| *s)
    }

    pub fn note_size(&self, collection: &str, size: Size) {
        let mut sizes = self.sizes.lock().unwrap_or_else(|p| p.into_inner());
        sizes.put(collection.to_string(), (Instant::now(), size));
    }

    /// One builder per key at a time: the others wait, then find its snapshot.
    pub fn flight(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut f = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        if f.len() > 1024 {
            f.retain(|_, m| Arc::strong_count(m) > 1);
        }
        f.entry(key.to_string()).or_default().clone()
    }

    /// A new snapshot id to [`Snapshots::insert`] rows under.
    pub fn begin(&self) -> i64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// Adds rows (in the collection's order, from `seq`), keyed by their `on` value(s).
    pub async fn insert(
        &self,
        id: i64,
        seq: u64,
        rows: &[Value],
        on: &Selector,
    ) -> Result<(), SnapshotError> {
        let field = on.text().to_string();
        self.fields
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((id, field.clone()));
        let prepared: Vec<(Vec<u8>, Vec<String>)> = rows
            .iter()
            .map(|r| (serde_json::to_vec(r).unwrap_or_default(), keys_of(r, on)))
            .collect();
        self.blocking(move |db| {
            let tx = db.transaction()?;
            {
                let mut row =
                    tx.prepare_cached("INSERT INTO rows (snap, seq, body) VALUES (?1, ?2, ?3)")?;
                let mut key = tx.prepare_cached(
                    "INSERT OR IGNORE INTO keys (snap, field, key, seq) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for (i, (body, keys)) in prepared.iter().enumerate() {
                    let s = seq as i64 + i as i64;
                    row.execute(params![id, s, body])?;
                    for k in keys {
                        key.execute(params![id, field, k, s])?;
                    }
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Makes sure a snapshot is keyed by `on` too (indexing the rows it holds; no v3 call).
    pub async fn key_by(&self, snap: Snap, on: &Selector) -> Result<(), SnapshotError> {
        let field = on.text().to_string();
        let new = self
            .fields
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((snap.id, field.clone()));
        if !new {
            return Ok(());
        }
        let on = on.clone();
        self.blocking(move |db| {
            let tx = db.transaction()?;
            {
                let mut rows = tx.prepare_cached("SELECT seq, body FROM rows WHERE snap = ?1")?;
                let mut key = tx.prepare_cached(
                    "INSERT OR IGNORE INTO keys (snap, field, key, seq) VALUES (?1, ?2, ?3, ?4)",
                )?;
                let all = rows.query_map(params![snap.id], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
                })?;
                for row in all {
                    let (seq, body) = row?;
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    for k in keys_of(&v, &on) {
                        key.execute(params![snap.id, field, k, seq])?;
                    }
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Makes snapshot `id` (of `rows` rows) the one under `key`; drops the one it replaces and
    /// every expired one.
    pub async fn commit(&self, key: &str, id: i64, rows: u64) {
        let mut dead = Vec::new();
        {
            let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
            let snap = Snap {
                id,
                at: Instant::now(),
                used: Instant::now(),
                rows,
            };
            if let Some(old) = index.insert(key.to_string(), snap) {
                dead.push(old.id);
            }
            index.retain(|k, s| {
                let live = self.live(k, s);
                if !live {
                    dead.push(s.id);
                }
                live
            });
        }
        for id in dead {
            self.discard(id).await;
        }
    }

    /// Deletes the rows of a snapshot (abandoned, replaced or expired).
    pub async fn discard(&self, id: i64) {
        self.fields
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(s, _)| *s != id);
        let r = self
            .blocking(move |db| {
                db.execute("DELETE FROM rows WHERE snap = ?1", params![id])?;
                db.execute("DELETE FROM keys WHERE snap = ?1", params![id])?;
                Ok(())
            })
            .await;
        if let Err(e) = r {
            tracing::warn!("dropping a snapshot failed: {e}");
        }
    }

    /// The rows whose `on` value is one of `keys`, once each, in the collection's order.
    pub async fn lookup(
        &self,
        snap: Snap,
        on: &Selector,
        keys: &[String],
    ) -> Result<Vec<Value>, SnapshotError> {
        self.key_by(snap, on).await?;
        let field = on.text().to_string();
        let list = serde_json::to_string(keys).unwrap_or_else(|_| "[]".into());
        let bodies: Vec<Vec<u8>> = self
            .blocking(move |db| {
                let mut q = db.prepare_cached(
                    "SELECT r.body FROM rows r WHERE r.snap = ?1 AND r.seq IN \
                     (SELECT k.seq FROM keys k WHERE k.snap = ?1 AND k.field = ?3 AND k.key IN \
                      (SELECT value FROM json_each(?2))) ORDER BY r.seq",
                )?;
                let rows =
                    q.query_map(params![snap.id, list, field], |r| r.get::<_, Vec<u8>>(0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        bodies
            .iter()
            .map(|b| serde_json::from_slice(b).map_err(|e| SnapshotError(e.to_string())))
            .collect()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, SnapshotError> + Send + 'static,
    ) -> Result<T, SnapshotError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |db| {
            let _ = tx.send(f(db));
        });
        let stopped = || SnapshotError("the snapshot store has stopped".into());
        self.db.send(job).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

/// A job for the snapshot thread.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Jobs waiting for the snapshot thread (senders wait beyond).
const QUEUE: usize = 256;

/// Starts the thread that owns `conn`; it ends when the last sender is dropped. A job that
/// panics is dropped (its caller gets an error) and the thread goes on.
fn spawn_db(mut conn: Connection) -> Result<tokio::sync::mpsc::Sender<Job>, SnapshotError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Job>(QUEUE);
    std::thread::Builder::new()
        .name("snapshots".into())
        .spawn(move || {
            while let Some(job) = rx.blocking_recv() {
                let run = std::panic::AssertUnwindSafe(|| job(&mut conn));
                if std::panic::catch_unwind(run).is_err() {
                    tracing::error!("a snapshot job panicked");
                }
            }
        })
        .map_err(|e| SnapshotError(format!("starting the snapshot thread: {e}")))?;
    Ok(tx)
}

/// The join keys of a row: its `on` value(s), each once.
fn keys_of(row: &Value, on: &Selector) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(v) = on.get(row).as_deref() {
        collect_keys(v, &mut keys);
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn rows_come_back_by_key_once_each_in_order() {
        let s = Snapshots::in_memory(Duration::from_secs(60)).unwrap();
        let on = Selector::parse("candidate_ids").unwrap();
        let id = s.begin();
        let rows = vec![
            json!({"id": 1, "candidate_ids": [10, 11]}),
            json!({"id": 2, "candidate_ids": [12]}),
            json!({"id": 3, "candidate_ids": [10]}),
        ];
        s.insert(id, 0, &rows, &on).await.unwrap();
        s.commit("k", id, 3).await;
        let snap = s.fresh("k").unwrap();
        let got = s
            .lookup(snap, &on, &["11".into(), "10".into(), "99".into()])
            .await
            .unwrap();
        let ids: Vec<i64> = got.iter().map(|r| r["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [1, 3], "row 1 matches two keys and comes once");
        // Another join field of the same snapshot: indexed from the rows held.
        let by_id = Selector::parse("id").unwrap();
        let got = s.lookup(snap, &by_id, &["2".into()]).await.unwrap();
        assert_eq!(got, vec![rows[1].clone()]);
        // A replacement drops the old rows.
        let id2 = s.begin();
        s.insert(id2, 0, &rows[1..2], &on).await.unwrap();
        s.commit("k", id2, 1).await;
        let snap = s.fresh("k").unwrap();
        assert_eq!(snap.rows, 1);
        assert!(
            s.lookup(snap, &on, &["10".into()])
                .await
                .unwrap()
                .is_empty()
        );
        let left: i64 = s
            .blocking(|db| Ok(db.query_row("SELECT COUNT(*) FROM rows", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(left, 1, "the replaced snapshot's rows are gone");
    }

    #[tokio::test]
    async fn snapshots_expire() {
        let s = Snapshots::in_memory(Duration::ZERO).unwrap();
        let id = s.begin();
        s.commit("k", id, 0).await;
        assert!(s.fresh("k").is_none());
        s.note_size("c", Size::MoreThan(500));
        assert_eq!(s.size("c"), Some(Size::MoreThan(500)));
    }

    /// A walk that spends longer than the TTL building one snapshot keeps its others: while
    /// any snapshot of the scope (tenant and generation) is used or built, all stay live; a
    /// scope left idle for the TTL loses them, and other scopes are not kept alive by it.
    #[tokio::test]
    async fn a_busy_walk_keeps_all_its_snapshots_and_only_its_own() {
        let ttl = Duration::from_millis(150);
        let s = Snapshots::in_memory(ttl).unwrap();
        for key in ["t0|g1|/v3/a", "t0|g1|/v3/b", "t1|g1|/v3/a"] {
            let id = s.begin();
            s.commit(key, id, 0).await;
        }
        // Building /v3/c for longer than the TTL, touching the scope as pages come.
        for _ in 0..4 {
            tokio::time::sleep(ttl / 2).await;
            s.touch("t0|g1|/v3/c");
        }
        assert!(s.fresh("t0|g1|/v3/a").is_some(), "kept by its busy walk");
        assert!(s.fresh("t0|g1|/v3/b").is_some());
        assert!(
            s.fresh("t1|g1|/v3/a").is_none(),
            "another tenant's idle walk is not kept"
        );
        tokio::time::sleep(ttl * 2).await;
        assert!(
            s.fresh("t0|g1|/v3/a").is_none(),
            "an idle walk loses its snapshots"
        );
        assert_eq!(scope("t0|g12|/v3/x?y=|z"), "t0|g12");
    }
}
