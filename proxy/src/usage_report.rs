//! The usage report read back from the store: [`build`] (one month), [`render`] (text, JSON,
//! CSV).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{
    Credential, Day, KeyMeta, Month, Report, RouteUse, Row, STATUS_COLUMNS, SUCCESS_RULE, Totals,
    Unserved, empty_by_status, is_write, rfc3339,
};
use crate::store::Store;

/// Output formats of `harvest-proxy usage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Csv,
}

/// The report of `month` from the state's store (flush first to include the latest counts).
pub fn report_from_store(
    store: &Store,
    month: Month,
    now: DateTime<Utc>,
) -> Result<Report, crate::store::StoreError> {
    store.with_conn(|db| build(db, month, now))
}

type CountRow = (String, bool, String, String, u16, u64, u64);

fn count_rows(db: &Connection, month: Month) -> Result<Vec<CountRow>, rusqlite::Error> {
    let mut q = db.prepare(
        "SELECT day, known, key, route, status, requests, v3_calls FROM usage_counts
         WHERE day >= ?1 AND day < ?2 ORDER BY day, known, key, route, status",
    )?;
    let rows = q.query_map(
        params![month.first_day().to_string(), month.end().to_string()],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get::<_, i64>(5)? as u64,
                r.get::<_, i64>(6)? as u64,
            ))
        },
    )?;
    rows.collect()
}

fn key_metas(db: &Connection) -> Result<HashMap<String, KeyMeta>, rusqlite::Error> {
    let mut q = db.prepare("SELECT key, key_id, tenant, client_id FROM usage_keys")?;
    let rows = q.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            KeyMeta {
                key_id: r.get(1)?,
                tenant: r.get(2)?,
                client_id: r.get(3)?,
            },
        ))
    })?;
    rows.collect()
}

/// Distinct acting users of a month.
struct ActorCounts {
    per_key: HashMap<String, u64>,
    all: u64,
    /// Keys whose set reached its cap on some day.
    capped: HashSet<String>,
}

/// Distinct acting users per key in the month, over all keys, and the keys whose set was
/// capped on some day.
fn actors(db: &Connection, month: Month) -> Result<ActorCounts, rusqlite::Error> {
    let (from, to) = (month.first_day().to_string(), month.end().to_string());
    let mut q = db.prepare(
        "SELECT key, COUNT(DISTINCT actor) FROM usage_actors WHERE day >= ?1 AND day < ?2
         GROUP BY key",
    )?;
    let per_key = q
        .query_map(params![from, to], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?
        .collect::<Result<HashMap<_, _>, _>>()?;
    let all: i64 = db.query_row(
        "SELECT COUNT(DISTINCT actor) FROM usage_actors WHERE day >= ?1 AND day < ?2",
        params![from, to],
        |r| r.get(0),
    )?;
    let mut q =
        db.prepare("SELECT DISTINCT key FROM usage_actor_overflow WHERE day >= ?1 AND day < ?2")?;
    let capped = q
        .query_map(params![from, to], |r| r.get::<_, String>(0))?
        .collect::<Result<HashSet<_>, _>>()?;
    Ok(ActorCounts {
        per_key,
        all: all as u64,
        capped,
    })
}

/// (key, route) → (first seen, last seen).
type SeenMap = HashMap<(String, String), (i64, i64)>;

fn seen(db: &Connection) -> Result<SeenMap, rusqlite::Error> {
    let mut q = db.prepare("SELECT key, route, first_seen, last_seen FROM usage_routes")?;
    let rows = q.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))?;
    rows.collect()
}

/// Every day of the month, without requests.
fn empty_days(month: Month) -> BTreeMap<String, Day> {
    month
        .days()
        .into_iter()
        .map(|d| {
            let day = d.to_string();
            let row = Day {
                day: day.clone(),
                requests: 0,
                by_status: empty_by_status(),
            };
            (day, row)
        })
        .collect()
}

/// The routes of the month with their first and last request, each also listed under its
/// credential, and the credentials' unserved writes.
fn attach(
    creds: &mut BTreeMap<String, Credential>,
    routes: BTreeMap<(String, String), u64>,
    unserved: BTreeMap<(String, String), u64>,
    seen: &SeenMap,
) -> Vec<RouteUse> {
    let route_uses: Vec<RouteUse> = routes
        .into_iter()
        .map(|((key, route), requests)| {
            let s = seen.get(&(key.clone(), route.clone()));
            RouteUse {
                first_seen: s.and_then(|s| rfc3339(s.0)),
                last_seen: s.and_then(|s| rfc3339(s.1)),
                key,
                route,
                requests,
            }
        })
        .collect();
    for r in &route_uses {
        if let Some(c) = creds.get_mut(&r.key) {
            c.routes.push(r.clone());
        }
    }
    for ((key, route), requests) in unserved {
        if let Some(c) = creds.get_mut(&key) {
            c.unserved.push(Unserved { route, requests });
        }
    }
    route_uses
}

/// The report of `month` as the store has it.
pub fn build(db: &Connection, month: Month, now: DateTime<Utc>) -> Result<Report, rusqlite::Error> {
    let rows = count_rows(db, month)?;
    let metas = key_metas(db)?;
    let actors = actors(db, month)?;
    let last_updated: Option<i64> = db
        .query_row(
            "SELECT value FROM usage_meta WHERE name = 'last_updated'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let mut totals = Totals::new();
    let mut unauthenticated = Totals::new();
    let mut days = empty_days(month);
    let mut creds: BTreeMap<String, Credential> = BTreeMap::new();
    let mut routes: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut unserved: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut out_rows = Vec::with_capacity(rows.len());
    for (day, known, key, route, status, requests, v3) in rows {
        totals.add(&route, status, requests, v3);
        if let Some(d) = days.get_mut(&day) {
            d.requests += requests;
            *d.by_status.entry(super::status_column(status)).or_default() += requests;
        }
        let meta = metas.get(&key).filter(|_| known);
        out_rows.push(Row {
            day,
            credential: if known { key.clone() } else { String::new() },
            key_id: meta.map(|m| m.key_id.clone()).unwrap_or_default(),
            route: route.clone(),
            status,
            requests,
            v3_calls: v3,
        });
        if !known {
            unauthenticated.add(&route, status, requests, v3);
            continue;
        }
        let c = creds
            .entry(key.clone())
            .or_insert_with(|| credential(&key, meta, &actors));
        c.totals.add(&route, status, requests, v3);
        *routes.entry((key.clone(), route.clone())).or_default() += requests;
        if status == 501 && is_write(&route) {
            *unserved.entry((key, route)).or_default() += requests;
        }
    }
    let route_uses = attach(&mut creds, routes, unserved, &seen(db)?);
    Ok(Report {
        month: month.to_string(),
        generated_at: rfc3339(now.timestamp()).unwrap_or_default(),
        last_updated: last_updated.and_then(rfc3339),
        success_rule: SUCCESS_RULE,
        status_columns: STATUS_COLUMNS
            .iter()
            .map(|s| s.to_string())
            .chain(std::iter::once("other".into()))
            .collect(),
        totals,
        acting_users: actors.all,
        acting_users_capped: !actors.capped.is_empty(),
        unauthenticated,
        days: days.into_values().collect(),
        credentials: creds.into_values().collect(),
        routes: route_uses,
        rows: out_rows,
    })
}

fn credential(key: &str, meta: Option<&KeyMeta>, actors: &ActorCounts) -> Credential {
    let unknown = "unknown".to_string();
    Credential {
        label: key.to_string(),
        key_id: meta.map_or(unknown.clone(), |m| m.key_id.clone()),
        tenant: meta.map_or(unknown.clone(), |m| m.tenant.clone()),
        client_id: meta.map_or(unknown, |m| m.client_id.clone()),
        totals: Totals::new(),
        acting_users: actors.per_key.get(key).copied().unwrap_or(0),
        acting_users_capped: actors.capped.contains(key),
        routes: Vec::new(),
        unserved: Vec::new(),
    }
}

/// The report in a format.
pub fn render(r: &Report, format: Format) -> Result<String, String> {
    match format {
        Format::Json => serde_json::to_string_pretty(r)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string()),
        Format::Csv => csv(r),
        Format::Text => Ok(text(r)),
    }
}

/// One line per day × credential × route × status.
fn csv(r: &Report) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in &r.rows {
        w.serialize(row).map_err(|e| e.to_string())?;
    }
    if r.rows.is_empty() {
        w.write_record([
            "day",
            "credential",
            "key_id",
            "route",
            "status",
            "requests",
            "v3_calls",
        ])
        .map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// A percentage with one decimal, or `-` without requests.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0))
}

/// The status columns with at least one request (the text and HTML tables show those).
pub fn used_columns(r: &Report) -> Vec<String> {
    r.status_columns
        .iter()
        .filter(|c| r.totals.by_status.get(*c).copied().unwrap_or(0) > 0)
        .cloned()
        .collect()
}

fn status_list(t: &Totals) -> String {
    let parts: Vec<String> = t
        .by_status
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

fn text(r: &Report) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Harvest v1/v2 usage through harvest-proxy, {} (UTC)",
        r.month
    );
    let _ = writeln!(
        o,
        "Data last updated: {}",
        r.last_updated.as_deref().unwrap_or("never")
    );
    let t = &r.totals;
    let _ = writeln!(
        o,
        "Requests: {}   Success rate: {}   ({})",
        t.requests,
        percent(t.success_rate),
        SUCCESS_RULE
    );
    let _ = writeln!(
        o,
        "Rate limited (429): {}   v3 calls spent: {}   Writes not served (501): {}   Distinct acting users: {}{}",
        t.rate_limited,
        t.v3_calls,
        t.unserved_writes,
        r.acting_users,
        if r.acting_users_capped { "+" } else { "" }
    );
    let _ = writeln!(
        o,
        "Unknown keys (authentication failed): {} requests ({})",
        r.unauthenticated.requests,
        status_list(&r.unauthenticated)
    );
    text_days(r, &mut o);
    text_credentials(r, &mut o);
    o
}

fn text_days(r: &Report, o: &mut String) {
    use std::fmt::Write;
    let cols = used_columns(r);
    let _ = writeln!(o, "\nRequests by status code per day");
    let mut head = format!("{:<10} {:>8}", "day", "total");
    for c in &cols {
        let _ = write!(head, " {c:>7}");
    }
    let _ = writeln!(o, "{head}");
    for d in r.days.iter().filter(|d| d.requests > 0) {
        let mut line = format!("{:<10} {:>8}", d.day, d.requests);
        for c in &cols {
            let _ = write!(line, " {:>7}", d.by_status.get(c).copied().unwrap_or(0));
        }
        let _ = writeln!(o, "{line}");
    }
}

fn text_credentials(r: &Report, o: &mut String) {
    use std::fmt::Write;
    let _ = writeln!(o, "\nActive credentials");
    if r.credentials.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for c in &r.credentials {
        let t = &c.totals;
        let _ = writeln!(
            o,
            "  {}  key {}  tenant {} (v3 client {})\n    requests {}  success {}  v3 calls {}  writes not served {}  acting users {}{}\n    status codes: {}",
            c.label,
            c.key_id,
            c.tenant,
            c.client_id,
            t.requests,
            percent(t.success_rate),
            t.v3_calls,
            t.unserved_writes,
            c.acting_users,
            if c.acting_users_capped { "+" } else { "" },
            status_list(t)
        );
        for u in &c.unserved {
            let _ = writeln!(o, "    not served: {} ({} requests)", u.route, u.requests);
        }
    }
    let _ = writeln!(o, "\nLegacy routes still called");
    let _ = writeln!(
        o,
        "  {:<20} {:<56} {:>8}  {:<20}  {:<20}",
        "key", "route", "requests", "first seen", "last seen"
    );
    for u in &r.routes {
        let _ = writeln!(
            o,
            "  {:<20} {:<56} {:>8}  {:<20}  {:<20}",
            u.key,
            u.route,
            u.requests,
            u.first_seen.as_deref().unwrap_or("-"),
            u.last_seen.as_deref().unwrap_or("-")
        );
    }
}
