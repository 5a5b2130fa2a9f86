//! Benchmark (not a test): the soak and the 429 storm of issue 9, against a separate sandbox
//! process and harvest-proxy as its own process. Prints Markdown for docs/benchmarks.md.
//!
//! Soak: N concurrent clients, each on one keep-alive connection, walk a 1:1 list
//! (`/v1/users?per_page=100`, pages 1–3) or a joined list (`/v1/candidates?per_page=100`,
//! pages 1–10) over and over for SOAK_SECS each, as a sync does: page after page, the next
//! after a 200, the same again after a refusal; client i starts its first walk at page
//! i % pages + 1. A fresh proxy per run, so VmHWM is the run's peak. SOAK_PAGE=N: every
//! client asks for page N only; SOAK_SPREAD=1: client i asks for page i % pages + 1 only
//! (the bench before 3 December 2026: the mix of first pages, which read v3, and later ones,
//! served from kept blocks, then differs with the number of clients).
//! Answers are counted by status: 200, or 503/429 with `Retry-After` and a v1 body (the
//! client then waits `Retry-After`, as a connector does); anything else, or a connection
//! error, is an error, counted by kind.
//!
//! Storm: the sandbox's v3 rate limit low (STORM_RATE), STORM_CLIENTS clients hammering (no
//! waiting on 429) for SOAK_SECS; v3 calls answered 429 against legacy requests answered 429.
//!
//! ```text
//! cargo bench -p harvest-proxy --bench soak                                 # 64,256,1000 × 60 s
//! SOAK_SECS=5 SOAK_LEVELS=64,1000 cargo bench -p harvest-proxy --bench soak # a quick check
//! SOAK_MODE=storm cargo bench -p harvest-proxy --bench soak                 # the 429 storm only
//! SOAK_LIMITS='max_in_flight = 32;max_queued = 256' SOAK_PAGES=candidates cargo bench ...
//! ```
mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{HttpClient, SandboxProcess};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    ok: u64,
    refused: BTreeMap<u16, u64>,
    errors: BTreeMap<String, u64>,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        self.latencies_ms.extend(o.latencies_ms);
        self.ok += o.ok;
        for (k, v) in o.refused {
            *self.refused.entry(k).or_default() += v;
        }
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
    }
}

enum Outcome {
    Ok,
    Refused(u16, u64),
    Error(String),
}

/// The kind of a client error.
fn error_kind(h: &hyper::Error) -> String {
    if h.is_incomplete_message() {
        "IncompleteMessage".into()
    } else if h.is_closed() || h.is_canceled() {
        "closed".into()
    } else {
        // The I/O error under it, if any (e.g. reset by the peer).
        let io = std::error::Error::source(h)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .map(|e| format!(" ({:?})", e.kind()))
            .unwrap_or_default();
        format!("hyper: {h}{io}")
    }
}

/// One client: a single keep-alive HTTP/1.1 connection, opened again when the proxy closes
/// it, and nothing else (no pool), so the load generator spends as little CPU per answer as
/// it can on the cores it shares with the proxy.
struct Conn {
    addr: String,
    tx: Option<SendRequest<Empty<Bytes>>>,
}

impl Conn {
    fn new(addr: &str) -> Conn {
        Conn {
            addr: addr.to_string(),
            tx: None,
        }
    }

    /// The connection, ready for a request.
    async fn ready(&mut self) -> Result<&mut SendRequest<Empty<Bytes>>, String> {
        if let Some(tx) = &mut self.tx
            && tx.ready().await.is_err()
        {
            self.tx = None;
        }
        if self.tx.is_none() {
            let s = TcpStream::connect(&self.addr)
                .await
                .map_err(|e| format!("connect ({:?})", e.kind()))?;
            let _ = s.set_nodelay(true);
            let (tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(conn);
            self.tx = Some(tx);
        }
        Ok(self.tx.as_mut().expect("connected above"))
    }

    /// GET `path`: the answer's status, `Retry-After` and (unless 200) body. A request the
    /// connection closed before sending (the keep-alive race) is sent once more on a new one.
    async fn get(&mut self, path: &str, auth: &str) -> Result<(u16, Option<u64>, Bytes), String> {
        let mut again = true;
        let r = loop {
            let req = hyper::Request::get(path)
                .header(hyper::header::HOST, &self.addr)
                .header(hyper::header::AUTHORIZATION, auth)
                .body(Empty::new())
                .unwrap();
            match self.ready().await?.send_request(req).await {
                Ok(r) => break r,
                Err(e) if e.is_canceled() && std::mem::take(&mut again) => self.tx = None,
                Err(e) => {
                    self.tx = None;
                    return Err(error_kind(&e));
                }
            }
        };
        let status = r.status().as_u16();
        let retry_after = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let mut body = r.into_body();
        if status == 200 {
            // Read to the end, not gathered (what a client does with the rows is its own cost).
            while let Some(f) = body.frame().await {
                f.map_err(|e| format!("body: {e}"))?;
            }
            return Ok((status, retry_after, Bytes::new()));
        }
        let b = body.collect().await.map_err(|e| format!("body: {e}"))?;
        Ok((status, retry_after, b.to_bytes()))
    }
}

async fn one(conn: &mut Conn, path: &str, auth: &str) -> Outcome {
    let (status, retry_after, body) = match conn.get(path, auth).await {
        Ok(a) => a,
        Err(kind) => return Outcome::Error(kind),
    };
    match (status, retry_after) {
        (200, _) => Outcome::Ok,
        (429 | 503, Some(secs)) if v1_message(&body) => Outcome::Refused(status, secs),
        (429 | 503, None) => Outcome::Error(format!("{status} without Retry-After")),
        _ => Outcome::Error(format!("status {status}")),
    }
}

/// v1's error shape: a JSON object with a `message`.
fn v1_message(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .is_some_and(|v| v.get("message").is_some_and(|m| m.is_string()))
}

/// `clients` clients on `addr`, one keep-alive connection each, for `secs`; `path(i)` is
/// client i's path. `patient`: a refused client waits `Retry-After` before its next request.
async fn load(
    addr: std::net::SocketAddr,
    walk: impl Fn(usize) -> Vec<String>,
    auth: &str,
    clients: usize,
    secs: f64,
    patient: bool,
) -> (Tally, f64) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for i in 0..clients {
        let (walk, auth) = (walk(i), auth.to_string());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(&addr.to_string());
            let mut t = Tally::default();
            let mut at = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                match one(&mut conn, &walk[at % walk.len()], &auth).await {
                    Outcome::Ok => {
                        at += 1;
                        t.ok += 1;
                        t.latencies_ms.push(sent.elapsed().as_secs_f64() * 1000.0);
                    }
                    Outcome::Refused(status, wait) => {
                        *t.refused.entry(status).or_default() += 1;
                        if patient {
                            let left = deadline.saturating_duration_since(Instant::now());
                            tokio::time::sleep(Duration::from_secs(wait).min(left)).await;
                        }
                    }
                    Outcome::Error(kind) => *t.errors.entry(kind).or_default() += 1,
                }
            }
            t
        }));
    }
    let mut all = Tally::default();
    for t in tasks {
        all.merge(t.await.unwrap());
    }
    (all, started.elapsed().as_secs_f64())
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p) as usize]
}

fn fmt_map<K: std::fmt::Display>(m: &BTreeMap<K, u64>) -> String {
    if m.is_empty() {
        return "0".into();
    }
    m.iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn uptime() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The proxy's `[limits]` for a run: loopback clients all share 127.0.0.1, so the per-IP
/// limit is raised to the global one (docs/proxy.md); SOAK_LIMITS adds or overrides lines.
fn limits() -> String {
    let extra = std::env::var("SOAK_LIMITS").unwrap_or_default();
    let mut l = String::new();
    // Each client holds one connection, but one the proxy closed may linger while its
    // client opens the next: room above 1,000 keeps the connection limit out of the run.
    if !extra.contains("max_connections") {
        l.push_str("max_connections = 2048\nmax_connections_per_ip = 2048\n");
    }
    l.push_str(&extra.replace(';', "\n"));
    l
}

/// One soak run on a fresh proxy: the row of the table.
async fn soak_run(sb: &mut SandboxProcess, page: &str, clients: usize, secs: f64) -> String {
    let dir = common::scratch("soak");
    let addr = common::free_addr();
    let cfg = common::proxy_config(addr, &sb.token_url, &sb.base_url, "", &limits());
    let log = std::env::var("SOAK_LOG").unwrap_or_else(|_| "off".into());
    let proxy = common::spawn_proxy(&dir, "proxy.toml", &cfg, &log);
    let pid = proxy.id();
    let auth = common::basic(common::KEY);
    let warm: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    common::wait_healthy(&warm, &format!("http://{addr}/healthz")).await;
    // Token and reference data cached, as in steady state.
    let _ = common::get(&warm, &format!("http://{addr}{page}&page=1"), &auth).await;
    drop(warm);
    let pages = if page.contains("candidates") { 10 } else { 3 };
    let fixed: Option<usize> = std::env::var("SOAK_PAGE").ok().and_then(|v| v.parse().ok());
    let spread = std::env::var("SOAK_SPREAD").is_ok_and(|v| v == "1");
    let load_before = uptime();
    let me = std::process::id();
    let cpu_before = [pid, me, sb.pid()].map(common::cpu_ms);
    let (v3_before, _, _) = sb.counts();
    let (mut t, elapsed) = load(
        addr,
        |i| match (fixed, spread) {
            (Some(n), _) => vec![format!("{page}&page={n}")],
            (None, true) => vec![format!("{page}&page={}", i % pages + 1)],
            (None, false) => (0..pages)
                .map(|k| format!("{page}&page={}", (i + k) % pages + 1))
                .collect(),
        },
        &auth,
        clients,
        secs,
        true,
    )
    .await;
    let peak = common::rss_kib(pid).1;
    let cpu_after = [pid, me, sb.pid()].map(common::cpu_ms);
    let v3_per_200 = sb.counts().0.saturating_sub(v3_before) as f64 / t.ok.max(1) as f64;
    // Per 200: the proxy's, the load generator's (this process) and the sandbox's CPU time.
    let [proxy_cpu, gen_cpu, sb_cpu] =
        [0, 1, 2].map(|i| cpu_after[i].saturating_sub(cpu_before[i]) as f64 / t.ok.max(1) as f64);
    tokio::time::sleep(Duration::from_secs(env_or("SOAK_SETTLE", 5))).await;
    let settled = common::rss_kib(pid).0;
    common::stop_proxy(proxy);
    let _ = std::fs::remove_dir_all(&dir);
    t.latencies_ms.sort_by(|a, b| a.total_cmp(b));
    format!(
        "| `{page}` | {clients} | {:.0} | {proxy_cpu:.3} / {gen_cpu:.3} / {sb_cpu:.3} | {v3_per_200:.3} | {:.1} | {:.1} | {} | {} | {} | {} | {load_before} → {} |",
        t.ok as f64 / elapsed,
        pct(&t.latencies_ms, 0.5),
        pct(&t.latencies_ms, 0.99),
        fmt_map(&t.refused),
        fmt_map(&t.errors),
        peak / 1024,
        settled / 1024,
        uptime()
    )
}

async fn soak(secs: f64) {
    let levels: Vec<usize> = std::env::var("SOAK_LEVELS")
        .unwrap_or_else(|_| "64,256,1000".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let mut sb = SandboxProcess::start("off", env_or("SOAK_SCALE", 1.0));
    println!(
        "## Soak ({secs} s per run, limits: {})\n",
        limits().trim().replace('\n', "; ")
    );
    println!(
        "| page | clients | 200/s | CPU ms per 200: proxy / load / sandbox | v3 calls per 200 | p50 ms | p99 ms | refused (Retry-After) | errors | peak RSS MiB | settled RSS MiB | load avg before → after |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|");
    let which = std::env::var("SOAK_PAGES").unwrap_or_else(|_| "users,candidates".into());
    for page in ["/v1/users?per_page=100", "/v1/candidates?per_page=100"] {
        if !which.split(',').any(|w| page.contains(w.trim())) {
            continue;
        }
        for &n in &levels {
            println!("{}", soak_run(&mut sb, page, n, secs).await);
        }
    }
    println!();
}

async fn storm(secs: f64) {
    let rate = std::env::var("STORM_RATE").unwrap_or_else(|_| "100/10".into());
    let clients = env_or("STORM_CLIENTS", 256usize);
    let mut sb = SandboxProcess::start(&rate, 1.0);
    let dir = common::scratch("storm");
    let addr = common::free_addr();
    let cfg = common::proxy_config(addr, &sb.token_url, &sb.base_url, "", &limits());
    let proxy = common::spawn_proxy(&dir, "proxy.toml", &cfg, "off");
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    common::wait_healthy(&client, &format!("http://{addr}/healthz")).await;
    sb.reset();
    let auth = common::basic(common::KEY);
    let load_before = uptime();
    let (t, elapsed) = load(
        addr,
        |i| vec![format!("/v1/users?per_page=100&page={}", i % 3 + 1)],
        &auth,
        clients,
        secs,
        false,
    )
    .await;
    let (v3_calls, v3_429, tokens) = sb.counts();
    common::stop_proxy(proxy);
    let _ = std::fs::remove_dir_all(&dir);
    let legacy_429 = t.refused.get(&429).copied().unwrap_or(0);
    println!(
        "## 429 storm (v3 rate limit {rate}, {clients} clients not waiting, {elapsed:.0} s)\n"
    );
    println!("| | count |\n|---|---:|");
    println!("| legacy requests answered 200 | {} |", t.ok);
    println!("| legacy requests answered 429 (Retry-After) | {legacy_429} |");
    println!(
        "| legacy requests answered 503 (Retry-After) | {} |",
        t.refused.get(&503).copied().unwrap_or(0)
    );
    println!("| legacy errors | {} |", fmt_map(&t.errors));
    println!("| v3 calls | {v3_calls} |");
    println!("| v3 calls answered 429 | {v3_429} |");
    println!("| token requests | {tokens} |");
    println!(
        "\nv3 429s ≤ legacy 429s: {} ({v3_429} ≤ {legacy_429}). Load average {load_before} → {}.\n",
        v3_429 <= legacy_429,
        uptime()
    );
}

fn main() {
    if common::sandbox_role() {
        return;
    }
    let secs: f64 = env_or("SOAK_SECS", 60.0);
    let mode = std::env::var("SOAK_MODE").unwrap_or_else(|_| "both".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        if mode != "storm" {
            soak(secs).await;
        }
        if mode != "soak" {
            storm(secs.min(30.0)).await;
        }
    });
}
