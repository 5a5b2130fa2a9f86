//! Benchmark (not a test): client → harvest-proxy → sandbox against client → sandbox directly,
//! same data, same load generator, in one run. Prints a Markdown table for docs/benchmarks.md.
//!
//! cargo bench -p harvest-proxy --bench proxy_vs_direct            (BENCH_SECONDS=5 by default)
mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use common::{HttpClient, KEY, rss_kib};

struct Stats {
    requests: usize,
    errors: usize,
    secs: f64,
    p50_ms: f64,
    p99_ms: f64,
    v3_calls: Option<String>,
}

async fn one(client: &HttpClient, url: &str, auth: &str) -> (u16, Option<String>) {
    match common::get_answer(client, url, auth).await {
        Some((status, h)) => (status, common::header(&h, "x-harvest-proxy-v3-calls")),
        None => (0, None),
    }
}

/// `concurrency` workers, each on its own keep-alive connection, for `secs` seconds.
async fn load(url: &str, auth: &str, concurrency: usize, secs: f64) -> Stats {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    let started = Instant::now();
    for _ in 0..concurrency {
        let (url, auth) = (url.to_string(), auth.to_string());
        tasks.push(tokio::spawn(async move {
            let client: HttpClient = Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(1)
                .build_http();
            let mut lat = Vec::new();
            let mut errors = 0;
            let mut calls = None;
            while Instant::now() < deadline {
                let t = Instant::now();
                let (status, c) = one(&client, &url, &auth).await;
                if status == 200 {
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    if c.is_some() {
                        calls = c;
                    }
                } else {
                    errors += 1;
                }
            }
            (lat, errors, calls)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut v3_calls = None;
    for t in tasks {
        let (lat, e, c) = t.await.unwrap();
        all.extend(lat);
        errors += e;
        v3_calls = v3_calls.or(c);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| {
        if all.is_empty() {
            f64::NAN
        } else {
            all[((all.len() as f64 - 1.0) * p) as usize]
        }
    };
    Stats {
        requests: all.len(),
        errors,
        secs: elapsed,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        v3_calls,
    }
}

/// CPU time (user + system) a process has used, in milliseconds.
fn cpu_ms(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) * 10.0
}

fn self_cpu_ms() -> f64 {
    cpu_ms(std::process::id())
}

/// harvest-proxy as its own process (so its memory is its own), configured for the sandbox;
/// and the same proxy with the translation memo off, to show the translation cost itself.
fn start_proxies(
    sb: &harvest_sandbox::Sandbox,
    dir: &std::path::Path,
    proxy_addr: SocketAddr,
    nomemo_addr: SocketAddr,
) -> (std::process::Child, std::process::Child) {
    let limits = "max_connections = 4096\nmax_connections_per_ip = 4096";
    let (token, base) = (sb.token_url(), sb.base_url());
    let cfg = common::proxy_config(proxy_addr, &token, &base, "", limits);
    let nomemo = "[cache]\ntranslated_entries = 0";
    let cfg2 = common::proxy_config(nomemo_addr, &token, &base, nomemo, limits);
    let child2 = common::spawn_proxy(dir, "proxy-nomemo.toml", &cfg2, "off");
    (common::spawn_proxy(dir, "proxy.toml", &cfg, "off"), child2)
}

/// The runs, named, in the table's order.
fn runs(s: [Stats; 7]) -> [(&'static str, &'static str, Stats); 7] {
    let [d_users, p_users, n_users, d_cands, p_cands, d_500, p_256] = s;
    [
        (
            "users, 100/page (1:1)",
            "client → sandbox `/v3/users`",
            d_users,
        ),
        ("", "client → proxy → sandbox `/v1/users`", p_users),
        ("", "same, translation memo off", n_users),
        (
            "candidates, 100/page (joined)",
            "client → sandbox `/v3/candidates`",
            d_cands,
        ),
        ("", "client → proxy → sandbox `/v1/candidates`", p_cands),
        (
            "candidates, 500/page",
            "client → sandbox `/v3/candidates?per_page=500`",
            d_500,
        ),
        (
            "users, 256 connections",
            "client → proxy → sandbox `/v1/users`",
            p_256,
        ),
    ]
}

fn main() {
    let secs: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        // The sandbox, in this process, default scale, no rate limit.
        let t = Instant::now();
        let sb = harvest_sandbox::spawn(harvest_sandbox::SandboxConfig {
            rate_limit: None,
            ..Default::default()
        })
        .await
        .unwrap();
        let sandbox_start = t.elapsed();
        let n_candidates = sb.records("candidates").len();
        let n_apps = sb.records("applications").len();

        let dir = common::scratch("bench");
        let (proxy_addr, nomemo_addr) = (common::free_addr(), common::free_addr());
        let (mut child, mut child2) = start_proxies(&sb, &dir, proxy_addr, nomemo_addr);
        let pid = child.id();
        let pid2 = child2.id();
        let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
        let basic = common::basic(KEY);
        let bearer = format!(
            "Bearer {}",
            sb.issue_token(
                harvest_sandbox::DEFAULT_CLIENT_ID,
                harvest_sandbox::DEFAULT_ADMIN_USER_ID
            )
        );
        let proxy = |p: &str| format!("http://{proxy_addr}{p}");
        let nomemo = |p: &str| format!("http://{nomemo_addr}{p}");
        let direct = |p: &str| format!("{}{p}", sb.base_url());
        common::wait_healthy(&client, &proxy("/healthz")).await;
        common::wait_healthy(&client, &nomemo("/healthz")).await;
        // Warm caches (token, reference data) on both paths.
        for p in ["/v1/users?per_page=100", "/v1/candidates?per_page=100"] {
            one(&client, &proxy(p), &basic).await;
            one(&client, &nomemo(p), &basic).await;
        }
        let rss_idle = rss_kib(pid);

        let conc = 32;
        let (c0, b0) = (cpu_ms(pid), self_cpu_ms());
        let d_users = load(&direct("/v3/users?per_page=100"), &bearer, conc, secs).await;
        let (c1, b1) = (cpu_ms(pid), self_cpu_ms());
        let p_users = load(&proxy("/v1/users?per_page=100"), &basic, conc, secs).await;
        let (c1b, b1b, n0) = (cpu_ms(pid), self_cpu_ms(), cpu_ms(pid2));
        let n_users = load(&nomemo("/v1/users?per_page=100"), &basic, conc, secs).await;
        let (c2, b2, n1) = (cpu_ms(pid), self_cpu_ms(), cpu_ms(pid2));
        let d_cands = load(&direct("/v3/candidates?per_page=100"), &bearer, conc, secs).await;
        let (c3, b3) = (cpu_ms(pid), self_cpu_ms());
        let p_cands = load(&proxy("/v1/candidates?per_page=100"), &basic, conc, secs).await;
        let (c4, b4) = (cpu_ms(pid), self_cpu_ms());
        let per = |proxy_ms: f64, bench_ms: f64, s: &Stats| {
            (
                proxy_ms / s.requests.max(1) as f64,
                bench_ms / s.requests.max(1) as f64,
            )
        };
        let cpu_rows = [
            ("users direct", per(c1 - c0, b1 - b0, &d_users)),
            ("users via proxy", per(c1b - c1, b1b - b1, &p_users)),
            (
                "users via proxy, translation memo off",
                per(n1 - n0, b2 - b1b, &n_users),
            ),
            ("candidates direct", per(c3 - c2, b3 - b2, &d_cands)),
            ("candidates via proxy", per(c4 - c3, b4 - b3, &p_cands)),
        ];
        let d_500 = load(
            &direct("/v3/candidates?per_page=500"),
            &bearer,
            4,
            secs / 2.0,
        )
        .await;
        let before_256 = rss_kib(pid);
        let p_256 = load(&proxy("/v1/users?per_page=100"), &basic, 256, secs).await;
        let rss_256 = rss_kib(pid);
        let _ = child.kill();
        let _ = child.wait();
        let _ = child2.kill();
        let _ = child2.wait();
        let _ = std::fs::remove_dir_all(&dir);

        let report = Report {
            secs,
            conc,
            n_candidates,
            n_apps,
            sandbox_start,
            runs: runs([d_users, p_users, n_users, d_cands, p_cands, d_500, p_256]),
            cpu_rows,
            rss: (rss_idle, before_256, rss_256),
        };
        report.print();
        sb.shutdown().await;
    });
}

/// Everything one run measured, printed as the Markdown of docs/benchmarks.md.
struct Report {
    secs: f64,
    conc: usize,
    n_candidates: usize,
    n_apps: usize,
    sandbox_start: Duration,
    runs: [(&'static str, &'static str, Stats); 7],
    cpu_rows: [(&'static str, (f64, f64)); 5],
    rss: ((u64, u64), (u64, u64), (u64, u64)),
}

impl Report {
    fn print(&self) {
        let [
            (_, _, d_users),
            (_, _, p_users),
            (_, _, n_users),
            (_, _, d_cands),
            (_, _, p_cands),
            _,
            _,
        ] = &self.runs;
        let rps = |s: &Stats| s.requests as f64 / s.secs;
        println!(
            "## Proxy vs direct (one run, {} s per scenario, {} concurrent keep-alive connections)\n",
            self.secs, self.conc
        );
        println!(
            "Data: sandbox default scale ({} candidates, {} applications); sandbox start-up {:.0} ms.\n",
            self.n_candidates,
            self.n_apps,
            self.sandbox_start.as_secs_f64() * 1000.0
        );
        println!("| scenario | path | req/s | p50 ms | p99 ms | errors | v3 calls / request |");
        println!("|---|---|---:|---:|---:|---:|---:|");
        for (name, path, s) in &self.runs {
            println!(
                "| {name} | {path} | {:.0} | {:.2} | {:.2} | {} | {} |",
                rps(s),
                s.p50_ms,
                s.p99_ms,
                s.errors,
                s.v3_calls.clone().unwrap_or_else(|| "1".into())
            );
        }
        println!("\n| ratio (proxy / direct) | throughput | p50 latency | p99 latency |");
        println!("|---|---:|---:|---:|");
        println!(
            "| users (1:1) | {:.2} | {:.2} | {:.2} |",
            rps(p_users) / rps(d_users),
            p_users.p50_ms / d_users.p50_ms,
            p_users.p99_ms / d_users.p99_ms
        );
        println!(
            "| users (1:1), translation memo off | {:.2} | {:.2} | {:.2} |",
            rps(n_users) / rps(d_users),
            n_users.p50_ms / d_users.p50_ms,
            n_users.p99_ms / d_users.p99_ms
        );
        println!(
            "| candidates (joined) | {:.2} | {:.2} | {:.2} |",
            rps(p_cands) / rps(d_cands),
            p_cands.p50_ms / d_cands.p50_ms,
            p_cands.p99_ms / d_cands.p99_ms
        );
        println!("\nCPU per request (ms): proxy process | sandbox + load generator process");
        for (name, (p, b)) in &self.cpu_rows {
            println!("- {name}: {p:.3} | {b:.3}");
        }
        println!(
            "\nProxy memory: idle after warm-up {} MiB RSS; before the 256-connection run {} MiB; during/after it {} MiB RSS, peak (VmHWM) {} MiB.",
            self.rss.0.0 / 1024,
            self.rss.1.0 / 1024,
            self.rss.2.0 / 1024,
            self.rss.2.1 / 1024
        );
    }
}
