//! The usage report of legacy (v1/v2) keys: what Greenhouse's credential page does not show
//! ("Harvest v1 and v2 usage is not tracked"), counted where every legacy request passes.
//!
//! Counting never touches SQLite on the request path: [`Usage::record`] adds to bounded maps
//! in memory (keys and routes are bounded by the config and the catalogue, unknown keys share
//! one bucket, acting users are a capped set per key and day), and [`Usage::flush`] writes
//! them in one transaction about every second and when the server has drained after SIGTERM.
//! The counts are exact: a flush that fails puts its batch back.
//!
//! Tables (in the store's SQLite file, next to the idempotency keys), kept
//! [`RETENTION_MONTHS`] months besides the current one:
//! - `usage_counts`: per UTC day × key label × legacy route × status: requests, v3 calls;
//! - `usage_routes`: per key × route: first and last seen, requests;
//! - `usage_actors`: per day × key, the hashes of the distinct On-Behalf-Of users (at most
//!   [`ACTORS_PER_KEY_DAY`]; `usage_actor_overflow` marks a day that reached the cap);
//! - `usage_keys`: per key label, its masked key id, tenant and masked v3 client id;
//! - `usage_meta`: when the data was last updated.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::handler::{LegacyRequest, Served};
use crate::state::State;
use crate::store::{Store, StoreError};

/// The status codes the report shows one by one; every other one counts as `other`.
pub const STATUS_COLUMNS: [u16; 18] = [
    200, 201, 202, 203, 204, 400, 401, 403, 404, 409, 415, 422, 429, 500, 501, 502, 503, 504,
];

/// Months kept before the current one (older days are pruned).
pub const RETENTION_MONTHS: u32 = 13;

/// Distinct acting users kept per key and day; beyond, the day is marked as capped.
pub const ACTORS_PER_KEY_DAY: usize = 1000;

/// How often the counts in memory are written to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// How the report counts success: said in every output.
pub const SUCCESS_RULE: &str = "success rate = 2xx answers / all requests (unknown keys included); 429 (rate limited) is not a success";

/// The tables; created by [`Store::open`].
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS usage_counts (
    day TEXT NOT NULL, known INTEGER NOT NULL, key TEXT NOT NULL, route TEXT NOT NULL,
    status INTEGER NOT NULL, requests INTEGER NOT NULL, v3_calls INTEGER NOT NULL,
    PRIMARY KEY (day, known, key, route, status)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_routes (
    key TEXT NOT NULL, route TEXT NOT NULL, first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL, requests INTEGER NOT NULL, PRIMARY KEY (key, route)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_actors (
    day TEXT NOT NULL, key TEXT NOT NULL, actor TEXT NOT NULL, PRIMARY KEY (day, key, actor)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_actor_overflow (
    day TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (day, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_keys (
    key TEXT PRIMARY KEY, key_id TEXT NOT NULL, tenant TEXT NOT NULL, client_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS usage_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
";

/// One legacy request as the report counts it.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// The key's label (the key table's own, shared); None: authentication failed (the
    /// unknown-key bucket).
    pub key: Option<Arc<str>>,
    /// The catalogue's route (`-` before authentication, `unmatched` for no route).
    pub route: &'static str,
    pub status: u16,
    pub v3_calls: u64,
    /// On-Behalf-Of of a write.
    pub actor: Option<&'a str>,
}

impl<'a> Event<'a> {
    /// What [`crate::handler::record`] knows of a request.
    pub fn of(req: &'a LegacyRequest, s: &'a Served) -> Event<'a> {
        let write = req.method != "GET" && req.method != "HEAD";
        Event {
            key: s.key.clone(),
            route: s.route,
            status: s.answer.status,
            v3_calls: s.v3_calls,
            actor: req.on_behalf_of.as_deref().filter(|_| write),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CountKey {
    day: NaiveDate,
    key: Option<Arc<str>>,
    route: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Copy, Default)]
struct Count {
    requests: u64,
    v3_calls: u64,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    first: i64,
    last: i64,
    requests: u64,
}

#[derive(Debug, Default)]
struct Actors {
    hashes: HashSet<String>,
    capped: bool,
}

/// Counts not yet written. The maps are keyed by the key table's shared label and the
/// catalogue's own route strings, so counting a request copies neither.
#[derive(Debug, Default)]
struct Pending {
    counts: HashMap<CountKey, Count>,
    routes: HashMap<(Arc<str>, &'static str), Seen>,
    actors: HashMap<(NaiveDate, Arc<str>), Actors>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.routes.is_empty() && self.actors.is_empty()
    }

    /// Puts a batch that could not be written back (counts add up, nothing is lost).
    fn merge(&mut self, other: Pending) {
        for (k, c) in other.counts {
            let e = self.counts.entry(k).or_default();
            e.requests += c.requests;
            e.v3_calls += c.v3_calls;
        }
        for (k, s) in other.routes {
            self.routes
                .entry(k)
                .and_modify(|e| {
                    e.first = e.first.min(s.first);
                    e.last = e.last.max(s.last);
                    e.requests += s.requests;
                })
                .or_insert(s);
        }
        for (k, a) in other.actors {
            let e = self.actors.entry(k).or_default();
            e.capped |= a.capped;
            for h in a.hashes {
                if e.hashes.len() < ACTORS_PER_KEY_DAY {
                    e.hashes.insert(h);
                } else {
                    e.capped = true;
                }
            }
        }
    }
}

/// A key as the report shows it: never the key, only masked ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMeta {
    pub key_id: String,
    pub tenant: String,
    pub client_id: String,
}

/// The in-memory side of the usage report.
#[derive(Debug, Default)]
pub struct Usage {
    pending: Mutex<Pending>,
    /// Serialises flushes, so a flush that returns has written everything recorded before it.
    flushing: Mutex<Option<NaiveDate>>,
    failing: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The hash an acting user is kept as (16 hex digits of SHA-256).
fn actor_hash(actor: &str) -> String {
    Sha256::digest(actor.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Usage {
    /// Counts one request now.
    pub fn record(&self, e: &Event<'_>) {
        self.record_at(Utc::now(), e);
    }

    /// Counts one request at `at` (its UTC day).
    pub fn record_at(&self, at: DateTime<Utc>, e: &Event<'_>) {
        let day = at.date_naive();
        let actor = match (&e.key, e.actor) {
            (Some(_), Some(a)) => Some(actor_hash(a)),
            _ => None,
        };
        let mut p = lock(&self.pending);
        let key = e.key.clone();
        let c = p
            .counts
            .entry(CountKey {
                day,
                key: key.clone(),
                route: e.route,
                status: e.status,
            })
            .or_default();
        c.requests += 1;
        c.v3_calls += e.v3_calls;
        let Some(key) = key else { return };
        let ts = at.timestamp();
        p.routes
            .entry((key.clone(), e.route))
            .and_modify(|s| {
                s.first = s.first.min(ts);
                s.last = s.last.max(ts);
                s.requests += 1;
            })
            .or_insert(Seen {
                first: ts,
                last: ts,
                requests: 1,
            });
        if let Some(h) = actor {
            let a = p.actors.entry((day, key)).or_default();
            if a.hashes.len() < ACTORS_PER_KEY_DAY {
                a.hashes.insert(h);
            } else if !a.hashes.contains(&h) {
                a.capped = true;
            }
        }
    }

    /// Writes what was counted since the last flush (one transaction), prunes what is older
    /// than the retention once a day, and returns the number of count rows written. `meta`
    /// names the keys seen (masked ids). On failure the batch is kept for the next flush.
    pub fn flush(
        &self,
        store: &Store,
        meta: &dyn Fn(&str) -> Option<KeyMeta>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut pruned = lock(&self.flushing);
        let batch = std::mem::take(&mut *lock(&self.pending));
        let today = now.date_naive();
        let prune = *pruned != Some(today);
        if batch.is_empty() && !prune {
            return Ok(0);
        }
        let written = store.with_conn(|db| {
            let tx = db.transaction()?;
            let n = write_batch(&tx, &batch, meta, now.timestamp())?;
            if prune {
                prune_before(&tx, retention_start(today))?;
            }
            tx.commit()?;
            Ok(n)
        });
        match written {
            Ok(n) => {
                if prune {
                    *pruned = Some(today);
                }
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("usage counts are written to the store again");
                }
                Ok(n)
            }
            Err(e) => {
                lock(&self.pending).merge(batch);
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!("usage counts could not be written (kept in memory): {e}");
                }
                Err(e)
            }
        }
    }
}

fn write_batch(
    tx: &Transaction<'_>,
    b: &Pending,
    meta: &dyn Fn(&str) -> Option<KeyMeta>,
    now: i64,
) -> Result<usize, rusqlite::Error> {
    let mut counts = tx.prepare_cached(
        "INSERT INTO usage_counts (day, known, key, route, status, requests, v3_calls)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (day, known, key, route, status) DO UPDATE SET
             requests = requests + excluded.requests, v3_calls = v3_calls + excluded.v3_calls",
    )?;
    let mut keys: HashSet<&str> = HashSet::new();
    for (k, c) in &b.counts {
        let key = k.key.as_deref().unwrap_or("");
        counts.execute(params![
            k.day.to_string(),
            k.key.is_some(),
            key,
            k.route,
            k.status,
            c.requests as i64,
            c.v3_calls as i64
        ])?;
        if k.key.is_some() {
            keys.insert(key);
        }
    }
    let mut routes = tx.prepare_cached(
        "INSERT INTO usage_routes (key, route, first_seen, last_seen, requests)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (key, route) DO UPDATE SET first_seen = MIN(first_seen, excluded.first_seen),
             last_seen = MAX(last_seen, excluded.last_seen), requests = requests + excluded.requests",
    )?;
    for ((key, route), s) in &b.routes {
        routes.execute(params![&**key, route, s.first, s.last, s.requests as i64])?;
    }
    write_actors(tx, b)?;
    let mut known = tx.prepare_cached(
        "INSERT INTO usage_keys (key, key_id, tenant, client_id) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (key) DO UPDATE SET key_id = excluded.key_id, tenant = excluded.tenant,
             client_id = excluded.client_id",
    )?;
    for key in keys {
        if let Some(m) = meta(key) {
            known.execute(params![key, m.key_id, m.tenant, m.client_id])?;
        }
    }
    if !b.is_empty() {
        tx.execute(
            "INSERT INTO usage_meta (name, value) VALUES ('last_updated', ?1)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params![now],
        )?;
    }
    Ok(b.counts.len())
}

/// Adds the acting users of the batch, at most [`ACTORS_PER_KEY_DAY`] per key and day.
fn write_actors(tx: &Transaction<'_>, b: &Pending) -> Result<(), rusqlite::Error> {
    let mut have =
        tx.prepare_cached("SELECT COUNT(*) FROM usage_actors WHERE day = ?1 AND key = ?2")?;
    let mut add = tx.prepare_cached(
        "INSERT OR IGNORE INTO usage_actors (day, key, actor) VALUES (?1, ?2, ?3)",
    )?;
    let mut capped =
        tx.prepare_cached("INSERT OR IGNORE INTO usage_actor_overflow (day, key) VALUES (?1, ?2)")?;
    for ((day, key), a) in &b.actors {
        let day = day.to_string();
        let mut n: usize = have.query_row(params![day, key], |r| r.get::<_, i64>(0))? as usize;
        let mut over = a.capped;
        for h in &a.hashes {
            if n >= ACTORS_PER_KEY_DAY {
                over = true;
                break;
            }
            n += add.execute(params![day, key, h])?;
        }
        if over {
            capped.execute(params![day, key])?;
        }
    }
    Ok(())
}

/// The first day kept: the first of the month [`RETENTION_MONTHS`] before today's.
pub fn retention_start(today: NaiveDate) -> NaiveDate {
    let first = today.with_day(1).unwrap_or(today);
    first
        .checked_sub_months(Months::new(RETENTION_MONTHS))
        .unwrap_or(first)
}

/// Deletes the days before `start` (and routes last seen before it).
fn prune_before(tx: &Transaction<'_>, start: NaiveDate) -> Result<(), rusqlite::Error> {
    let day = start.to_string();
    for table in ["usage_counts", "usage_actors", "usage_actor_overflow"] {
        tx.execute(&format!("DELETE FROM {table} WHERE day < ?1"), params![day])?;
    }
    let ts = start
        .and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp());
    tx.execute("DELETE FROM usage_routes WHERE last_seen < ?1", params![ts])?;
    Ok(())
}

/// The masked id of a key: the first 8 hex digits of its SHA-256 (as in proxy.toml).
pub fn mask_key_id(sha256: &[u8; 32]) -> String {
    let hex: String = sha256[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}…")
}

/// A v3 client id shown masked: its first 4 and last 4 characters at most, never more than a
/// third of it.
pub fn mask_client_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let show = (chars.len() / 3).min(4);
    if show == 0 {
        return "…".to_string();
    }
    let head: String = chars[..show].iter().collect();
    let tail: String = chars[chars.len() - show..].iter().collect();
    format!("{head}…{tail}")
}

/// The masked ids of the key labelled `label` in the running config.
pub fn key_meta(state: &State, label: &str) -> Option<KeyMeta> {
    let tenancy = state.tenancy();
    let k = tenancy.keys().iter().find(|k| *k.label == *label)?;
    let t = tenancy.tenant(k.tenant)?;
    Some(KeyMeta {
        key_id: mask_key_id(&k.sha256),
        tenant: t.name.clone(),
        client_id: mask_client_id(&t.client_id),
    })
}

/// Flushes the state's counts into its store.
pub fn flush_state(state: &State) -> Result<usize, StoreError> {
    state
        .usage
        .flush(&state.store, &|label| key_meta(state, label), Utc::now())
}

/// Writes the counts about every [`FLUSH_EVERY`] until the state is gone.
pub fn spawn_flusher(state: Weak<State>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(s) = state.upgrade() else { break };
            let _ = tokio::task::spawn_blocking(move || flush_state(&s)).await;
        }
    });
}

/// A calendar month (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    first: NaiveDate,
}

impl Month {
    /// The month of `at`.
    pub fn of(at: DateTime<Utc>) -> Month {
        let d = at.date_naive();
        Month {
            first: d.with_day(1).unwrap_or(d),
        }
    }

    /// `YYYY-MM`.
    pub fn parse(s: &str) -> Result<Month, String> {
        let bad = || format!("month must be YYYY-MM (e.g. 2026-11), not `{s}`");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
        Ok(Month { first })
    }

    pub fn first_day(&self) -> NaiveDate {
        self.first
    }

    /// The first day of the next month.
    pub fn end(&self) -> NaiveDate {
        self.first
            .checked_add_months(Months::new(1))
            .unwrap_or(NaiveDate::MAX)
    }

    /// Every day of the month.
    pub fn days(&self) -> Vec<NaiveDate> {
        self.first
            .iter_days()
            .take_while(|d| *d < self.end())
            .collect()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.first.format("%Y-%m"))
    }
}

/// Requests by status column (`200` … `504`, `other`), in column order.
pub type ByStatus = BTreeMap<String, u64>;

/// The column a status counts in.
pub fn status_column(status: u16) -> String {
    if STATUS_COLUMNS.contains(&status) {
        status.to_string()
    } else {
        "other".to_string()
    }
}

fn empty_by_status() -> ByStatus {
    STATUS_COLUMNS
        .iter()
        .map(|s| s.to_string())
        .chain(std::iter::once("other".to_string()))
        .map(|c| (c, 0))
        .collect()
}

/// Totals of a set of requests.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Totals {
    pub requests: u64,
    /// 2xx answers.
    pub successful: u64,
    /// `successful / requests` (None without requests).
    pub success_rate: Option<f64>,
    /// 429 answers (not successes).
    pub rate_limited: u64,
    pub v3_calls: u64,
    /// Writes answered 501 (endpoints the proxy does not serve).
    pub unserved_writes: u64,
    pub by_status: ByStatus,
}

impl Totals {
    fn new() -> Totals {
        Totals {
            by_status: empty_by_status(),
            ..Default::default()
        }
    }

    fn add(&mut self, route: &str, status: u16, requests: u64, v3_calls: u64) {
        self.requests += requests;
        self.v3_calls += v3_calls;
        if (200..300).contains(&status) {
            self.successful += requests;
        }
        if status == 429 {
            self.rate_limited += requests;
        }
        if status == 501 && is_write(route) {
            self.unserved_writes += requests;
        }
        *self.by_status.entry(status_column(status)).or_default() += requests;
        self.success_rate =
            (self.requests > 0).then(|| self.successful as f64 / self.requests as f64);
    }
}

fn is_write(route: &str) -> bool {
    route
        .split_once(' ')
        .is_some_and(|(m, _)| m != "GET" && m != "HEAD")
}

/// One day of the chart.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Day {
    pub day: String,
    pub requests: u64,
    pub by_status: ByStatus,
}

/// A legacy route a key calls.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RouteUse {
    pub key: String,
    pub route: String,
    /// Requests in the month.
    pub requests: u64,
    /// First and last request ever seen (RFC 3339, UTC), while within the retention.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

/// A write route the proxy could not serve (501).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Unserved {
    pub route: String,
    pub requests: u64,
}

/// One active credential (a key with requests in the month).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Credential {
    pub label: String,
    /// First 8 hex digits of the key's SHA-256, masked; never the key.
    pub key_id: String,
    pub tenant: String,
    /// The tenant's v3 client id, masked.
    pub client_id: String,
    #[serde(flatten)]
    pub totals: Totals,
    /// Distinct On-Behalf-Of users of its writes in the month.
    pub acting_users: u64,
    /// The distinct set reached its cap on some day: `acting_users` is a lower bound.
    pub acting_users_capped: bool,
    pub routes: Vec<RouteUse>,
    pub unserved: Vec<Unserved>,
}

/// One count row (the CSV export).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub day: String,
    /// The key's label; empty for unknown keys.
    pub credential: String,
    pub key_id: String,
    pub route: String,
    pub status: u16,
    pub requests: u64,
    pub v3_calls: u64,
}

/// The usage report of one month, shaped like Greenhouse's usage tab.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub month: String,
    pub generated_at: String,
    /// When counts were last written to the store (RFC 3339, UTC); None: never.
    pub last_updated: Option<String>,
    pub success_rule: &'static str,
    pub status_columns: Vec<String>,
    /// Every legacy request, unknown keys included.
    #[serde(flatten)]
    pub totals: Totals,
    /// Distinct On-Behalf-Of users over every key.
    pub acting_users: u64,
    pub acting_users_capped: bool,
    /// Requests whose key was unknown or missing (authentication failed).
    pub unauthenticated: Totals,
    pub days: Vec<Day>,
    pub credentials: Vec<Credential>,
    pub routes: Vec<RouteUse>,
    #[serde(skip)]
    pub rows: Vec<Row>,
}

fn rfc3339(ts: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp(ts, 0).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

#[path = "usage_report.rs"]
mod report;
pub use report::{Format, build, percent, render, report_from_store, used_columns};

/// The store file named by a proxy.toml (`store = "…"`), read without loading secrets.
pub fn store_of(config: &Path) -> Result<PathBuf, String> {
    let text = std::fs::read_to_string(config)
        .map_err(|e| format!("cannot read {}: {e}", config.display()))?;
    let v: toml::Table = toml::from_str(&text).map_err(|e| format!("{}: {e}", config.display()))?;
    match v.get("store").and_then(|s| s.as_str()) {
        Some(s) => Ok(PathBuf::from(s)),
        None => Err(format!(
            "{}: no `store = \"…\"`: usage is then kept in memory only (see the admin listener's /usage); set `store` to keep it",
            config.display()
        )),
    }
}

/// Opens a store file to read the report (read-only; the running proxy keeps writing).
pub fn open_read_only(path: &Path) -> Result<Connection, String> {
    if !path.exists() {
        return Err(format!(
            "the store {} does not exist (yet): the proxy creates it when it starts",
            path.display()
        ));
    }
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("cannot open the store {}: {e}", path.display()))?;
    let _ = db.busy_timeout(Duration::from_secs(5));
    let has: Option<String> = db
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'usage_counts'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| format!("cannot read the store {}: {e}", path.display()))?;
    if has.is_none() {
        return Err(format!(
            "the store {} has no usage tables: start this version of the proxy with it first",
            path.display()
        ));
    }
    Ok(db)
}

/// `harvest-proxy usage`: the report of `month` (default: the current one) from the store
/// named by `config`.
pub fn cli(config: &Path, month: Option<&str>, format: Format) -> Result<String, String> {
    let month = match month {
        Some(m) => Month::parse(m)?,
        None => Month::of(Utc::now()),
    };
    let db = open_read_only(&store_of(config)?)?;
    let r = build(&db, month, Utc::now()).map_err(|e| format!("cannot read the usage: {e}"))?;
    render(&r, format)
}

#[cfg(test)]
#[path = "usage_tests.rs"]
mod tests;
