//! Benchmark (not a test): a full sync through harvest-proxy, as sync connectors run one —
//! every v1 list endpoint walked with `per_page=100` by following `Link`, then an
//! `updated_after` re-sync of every endpoint that takes it — against the sandbox under a v3
//! rate limit. Reports v3 calls (total and per collection) beside the floor computed from the
//! sandbox's own record counts (every record fetched once, 500 a page), legacy requests, 429s,
//! the proxy's peak RSS and wall time beside the floor's. Prints Markdown for
//! docs/benchmarks.md.
//!
//! ```text
//! cargo bench -p harvest-proxy --bench sync                  # scale 1, 75 calls / 30 s
//! SYNC_SCALE=10 cargo bench -p harvest-proxy --bench sync    # 10× the data
//! SYNC_RATE=off cargo bench -p harvest-proxy --bench sync    # no rate limit (calls only)
//! ```
mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// v3's largest page: the floor fetches every record once at this size.
const FLOOR_PAGE: u64 = 500;

use common::{HttpClient, KEY, rss_kib};

struct Answer {
    status: u16,
    next: Option<String>,
    retry_after: Option<u64>,
}

async fn get(client: &HttpClient, url: &str, auth: &str) -> Answer {
    match common::get_answer(client, url, auth).await {
        Some((status, h)) => Answer {
            status,
            next: common::header(&h, "link").and_then(|l| next_link(&l)),
            retry_after: common::header(&h, "retry-after").and_then(|v| v.parse().ok()),
        },
        None => Answer {
            status: 0,
            next: None,
            retry_after: Some(1),
        },
    }
}

fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, rest) = part.split_once(';')?;
        rest.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

#[derive(Default)]
struct Walked {
    requests: u64,
    answered_429: u64,
    failed: u64,
}

/// Walks one list from `first` by `Link: rel="next"`, waiting out 429s as connectors do.
async fn walk(client: &HttpClient, first: String, auth: &str, out: &mut Walked) {
    let mut url = Some(first);
    while let Some(u) = url {
        let a = get(client, &u, auth).await;
        out.requests += 1;
        match a.status {
            200 => url = a.next,
            429 | 503 => {
                out.answered_429 += 1;
                tokio::time::sleep(Duration::from_secs(a.retry_after.unwrap_or(1).max(1))).await;
                url = Some(u);
            }
            _ => {
                out.failed += 1;
                url = None;
            }
        }
    }
}

/// Every served GET list endpoint without path parameters, and which take `updated_after`.
fn list_endpoints() -> Vec<(String, bool)> {
    let catalog = harvest_mappings::Catalog::embedded().expect("embedded mappings");
    let mut out: Vec<(String, bool)> = catalog
        .endpoints()
        .iter()
        .filter(|e| e.is_read() && e.status != harvest_mappings::Status::Unsupported)
        .filter(|e| !e.path.contains('{'))
        .filter(|e| {
            e.response
                .as_ref()
                .is_none_or(|r| r.shape == harvest_mappings::Shape::List)
        })
        .map(|e| {
            let path = e
                .legacy_paths()
                .into_iter()
                .next()
                .unwrap_or(e.path.clone());
            (path, e.param("updated_after").is_some())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn parse_rate(s: &str) -> Option<(u32, Duration)> {
    let (n, secs) = s.split_once('/')?;
    Some((n.parse().ok()?, Duration::from_secs(secs.parse().ok()?)))
}

fn main() {
    let scale: f64 = std::env::var("SYNC_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let rate_text = std::env::var("SYNC_RATE").unwrap_or_else(|_| "75/30".into());
    let rate = parse_rate(&rate_text);
    let extra = std::env::var("SYNC_PROXY_CONFIG").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(scale, rate, rate_text, extra));
}

async fn run(scale: f64, rate: Option<(u32, Duration)>, rate_text: String, extra: String) {
    let sb = harvest_sandbox::spawn(harvest_sandbox::SandboxConfig {
        rate_limit: rate,
        scale,
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = common::scratch("sync");
    let addr: SocketAddr = common::free_addr();
    let mut child = spawn_proxy(&sb, addr, &extra, &dir);
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let base = format!("http://{addr}");
    let ready = Instant::now();
    while get(&client, &format!("{base}/healthz"), "").await.status != 200 {
        assert!(
            ready.elapsed() < Duration::from_secs(30),
            "proxy did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sb.reset_stats();
    let auth = common::basic(KEY);
    let endpoints = list_endpoints();
    let started = Instant::now();
    let (full, resync, full_secs, full_stats, peak) =
        sync(&client, &base, &auth, &endpoints, &sb, child.id()).await;
    let total_secs = started.elapsed().as_secs_f64();
    let stats = sb.stats();
    let (rss_now, hwm) = rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);

    let per = per_collection(&sb, &full_stats);
    let calls: u64 = per.values().map(|v| v.0).sum();
    let floor: u64 = per.values().map(|v| v.1).sum();
    let all_calls = stats.v3_calls();
    let v3_429 = stats.by_status.get(&429).copied().unwrap_or(0);
    let floor_secs = match rate {
        Some((n, w)) => floor as f64 / f64::from(n) * w.as_secs_f64(),
        None => f64::NAN,
    };
    println!("## Full sync through harvest-proxy (scale {scale}, v3 rate limit {rate_text})\n");
    println!(
        "{} list endpoints walked with per_page=100 by `Link`, then {} re-synced with updated_after.\n",
        endpoints.len(),
        endpoints.iter().filter(|(_, u)| *u).count()
    );
    println!("| | sync | floor | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| v3 calls, full walk | {calls} | {floor} | {:.2} |",
        calls as f64 / floor as f64
    );
    println!(
        "| wall time, full walk (s) | {full_secs:.1} | {floor_secs:.1} | {:.2} |",
        full_secs / floor_secs
    );
    println!(
        "| v3 calls, walk + re-sync | {all_calls} | {floor} | {:.2} |",
        all_calls as f64 / floor as f64
    );
    println!("| wall time, walk + re-sync (s) | {total_secs:.1} | | |");
    println!(
        "\nLegacy requests: {} in the walk ({} answered 429/503 and retried, {} failed), {} in the re-sync ({} failed). v3 answers 429: {v3_429}. Token requests: {}.",
        full.requests,
        full.answered_429,
        full.failed,
        resync.requests,
        resync.failed,
        stats.token_calls
    );
    println!(
        "Proxy RSS: peak {} MiB (VmHWM; {} MiB at the end of the walks, {} MiB sampled peak between endpoints).\n",
        hwm / 1024,
        rss_now / 1024,
        peak / 1024
    );
    println!("| v3 collection | records | calls | floor | ratio |");
    println!("|---|---:|---:|---:|---:|");
    for (path, (n, f, records)) in &per {
        println!(
            "| `/v3/{path}` | {records} | {n} | {f} | {:.1} |",
            *n as f64 / *f as f64
        );
    }
    sb.shutdown().await;
}

/// The proxy under test, as a child process, with a config for the sandbox.
fn spawn_proxy(
    sb: &harvest_sandbox::Sandbox,
    addr: SocketAddr,
    extra: &str,
    dir: &std::path::Path,
) -> std::process::Child {
    let limits = "request_timeout_ms = 600000\nretry_budget_ms = 600000";
    let cfg = common::proxy_config(addr, &sb.token_url(), &sb.base_url(), extra, limits);
    common::spawn_proxy(dir, "proxy.toml", &cfg, "error")
}

/// Per v3 collection read: calls, floor (its records at 500 a call) and records.
fn per_collection(
    sb: &harvest_sandbox::Sandbox,
    stats: &harvest_sandbox::StatsSnapshot,
) -> BTreeMap<String, (u64, u64, u64)> {
    let mut per = BTreeMap::new();
    for (route, n) in &stats.by_route {
        let Some(path) = route.strip_prefix("GET /v3/") else {
            continue;
        };
        let records = sb.records(path).len() as u64;
        let floor = records.div_ceil(FLOOR_PAGE).max(1);
        per.insert(path.to_string(), (*n, floor, records));
    }
    per
}

/// The walks, then the re-syncs: what each cost, the walk's time and v3 counters, and the
/// proxy's peak RSS sampled between endpoints.
async fn sync(
    client: &HttpClient,
    base: &str,
    auth: &str,
    endpoints: &[(String, bool)],
    sb: &harvest_sandbox::Sandbox,
    pid: u32,
) -> (Walked, Walked, f64, harvest_sandbox::StatsSnapshot, u64) {
    let started = Instant::now();
    let mut full = Walked::default();
    let mut peak = 0;
    for (path, _) in endpoints {
        walk(
            client,
            format!("{base}{path}?per_page=100"),
            auth,
            &mut full,
        )
        .await;
        peak = peak.max(rss_kib(pid).1);
    }
    let full_secs = started.elapsed().as_secs_f64();
    let full_stats = sb.stats();
    // The re-sync: what changed since a moment after the sync started (nothing here, but
    // connectors ask, and each ask costs).
    let resync_since = harvest_sandbox::time::rfc3339_s(harvest_sandbox::time::now_ms());
    let mut resync = Walked::default();
    for (path, _) in endpoints.iter().filter(|(_, u)| *u) {
        let url = format!("{base}{path}?per_page=100&updated_after={resync_since}");
        walk(client, url, auth, &mut resync).await;
    }
    (full, resync, full_secs, full_stats, peak)
}
