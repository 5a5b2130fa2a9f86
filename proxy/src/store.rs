//! The embedded store (SQLite through rusqlite, bundled): what must survive a restart of one
//! proxy: the answers of writes made with an `Idempotency-Key`, for 24 hours, and the usage
//! counts of legacy keys ([`crate::usage`], its tables).
//!
//! Keys are stored as SHA-256 of (tenant, key), bodies as SHA-256: the store holds no request
//! content but the answer v1 clients were given.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

/// How long a stored answer is replayed.
pub const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);

/// An answer kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub status: u16,
    pub body: Vec<u8>,
    pub outcome: String,
}

/// What a key says about a write about to be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use: the caller makes the write, then [`Store::finish`]es the claim.
    New,
    /// The same key and body were answered before: replay this.
    Replay(Stored),
    /// The same key with another body.
    Mismatch,
    /// The same key is being served right now.
    InFlight,
}

/// A stored key: body hash, then (once answered) status, body and outcome.
type Row = (String, Option<u16>, Option<Vec<u8>>, Option<String>);

pub struct Store {
    db: Mutex<Connection>,
}

#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(#[from] rusqlite::Error);

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn hash(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Opens (creating on first start) the store file, or an in-memory store.
    pub fn open(path: Option<&Path>) -> Result<Store, StoreError> {
        let db = match path {
            Some(p) => Connection::open(p)?,
            None => Connection::open_in_memory()?,
        };
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS idempotency (
                 key TEXT PRIMARY KEY,
                 body_hash TEXT NOT NULL,
                 created_at INTEGER NOT NULL,
                 status INTEGER,
                 answer BLOB,
                 outcome TEXT
             );",
        )?;
        db.execute_batch(crate::usage::SCHEMA)?;
        Ok(Store { db: Mutex::new(db) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the connection (the usage tables).
    pub fn with_conn<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, rusqlite::Error>,
    ) -> Result<R, StoreError> {
        Ok(f(&mut self.db())?)
    }

    /// Claims `key` for a write with this body (or says what was answered for it).
    pub fn claim(&self, tenant: &str, key: &str, body: &[u8]) -> Result<Claim, StoreError> {
        let k = hash(&[tenant.as_bytes(), key.as_bytes()]);
        let b = hash(&[body]);
        let db = self.db();
        let oldest = now() - IDEMPOTENCY_TTL.as_secs() as i64;
        db.execute(
            "DELETE FROM idempotency WHERE created_at < ?1",
            params![oldest],
        )?;
        let row: Option<Row> = db
            .query_row(
                "SELECT body_hash, status, answer, outcome FROM idempotency WHERE key = ?1",
                params![k],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        Ok(match row {
            None => {
                db.execute(
                    "INSERT INTO idempotency (key, body_hash, created_at) VALUES (?1, ?2, ?3)",
                    params![k, b, now()],
                )?;
                Claim::New
            }
            Some((bh, _, _, _)) if bh != b => Claim::Mismatch,
            Some((_, Some(status), Some(body), outcome)) => Claim::Replay(Stored {
                status,
                body,
                outcome: outcome.unwrap_or_default(),
            }),
            Some(_) => Claim::InFlight,
        })
    }

    /// Keeps the answer of a claimed key.
    pub fn finish(&self, tenant: &str, key: &str, answer: &Stored) -> Result<(), StoreError> {
        let k = hash(&[tenant.as_bytes(), key.as_bytes()]);
        self.db().execute(
            "UPDATE idempotency SET status = ?2, answer = ?3, outcome = ?4 WHERE key = ?1",
            params![k, answer.status, answer.body, answer.outcome],
        )?;
        Ok(())
    }

    /// Gives a claim up (the write was not made: a later request may make it).
    pub fn release(&self, tenant: &str, key: &str) -> Result<(), StoreError> {
        let k = hash(&[tenant.as_bytes(), key.as_bytes()]);
        self.db().execute(
            "DELETE FROM idempotency WHERE key = ?1 AND status IS NULL",
            params![k],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_replays_its_answer_and_refuses_another_body() {
        let s = Store::open(None).unwrap();
        assert_eq!(s.claim("t", "k1", b"{}").unwrap(), Claim::New);
        assert_eq!(s.claim("t", "k1", b"{}").unwrap(), Claim::InFlight);
        let answer = Stored {
            status: 201,
            body: b"{\"id\":1}".to_vec(),
            outcome: "applied".into(),
        };
        s.finish("t", "k1", &answer).unwrap();
        assert_eq!(s.claim("t", "k1", b"{}").unwrap(), Claim::Replay(answer));
        assert_eq!(s.claim("t", "k1", b"{\"x\":1}").unwrap(), Claim::Mismatch);
        // Keys are per tenant.
        assert_eq!(s.claim("u", "k1", b"{\"x\":1}").unwrap(), Claim::New);
        // A released claim is free again.
        s.release("u", "k1").unwrap();
        assert_eq!(s.claim("u", "k1", b"{}").unwrap(), Claim::New);
    }

    #[test]
    fn answers_survive_reopening_the_file() {
        let dir = std::env::temp_dir().join(format!("harvest-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.sqlite3");
        let answer = Stored {
            status: 200,
            body: b"{}".to_vec(),
            outcome: "applied".into(),
        };
        {
            let s = Store::open(Some(&path)).unwrap();
            assert_eq!(s.claim("t", "k", b"b").unwrap(), Claim::New);
            s.finish("t", "k", &answer).unwrap();
        }
        let s = Store::open(Some(&path)).unwrap();
        assert_eq!(s.claim("t", "k", b"b").unwrap(), Claim::Replay(answer));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
