//! What the proxy benches share: the proxy as its own process (config written for a
//! sandbox), the sandbox as its own process (this bench binary re-run in the sandbox role),
//! the legacy key, readiness, and the RSS of a process from /proc.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

pub const KEY: &str = "bench-legacy-key";

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// `Authorization` for the bench's legacy key.
pub fn basic(key: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

/// A free loopback address.
pub fn free_addr() -> SocketAddr {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}").parse().unwrap()
}

/// A scratch directory for configs, removed by the caller.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("harvest-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// (VmRSS, VmHWM) of a process in KiB.
pub fn rss_kib(pid: u32) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU time (user + system) a process has used, in milliseconds (clock ticks of 10 ms).
pub fn cpu_ms(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of stat(5); `rest` starts at field 3.
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) * 10
}

/// A proxy config for one tenant on a sandbox (`token_url`, `base_url`), listening on
/// `addr`; `top` goes before the first table, `limits` into `[limits]`.
pub fn proxy_config(
    addr: SocketAddr,
    token_url: &str,
    base_url: &str,
    top: &str,
    limits: &str,
) -> String {
    format!(
        "allow_insecure_upstream = true\nlisten = \"{addr}\"\n{top}\n[limits]\n{limits}\n[[tenants]]\nname = \"bench\"\nclient_id = \"{}\"\nclient_secret_env = \"BENCH_SECRET\"\ntoken_url = \"{token_url}\"\nbase_url = \"{base_url}\"\nread_as = {}\n[[keys]]\nsha256 = \"{}\"\ntenant = \"bench\"\n",
        harvest_sandbox::DEFAULT_CLIENT_ID,
        harvest_sandbox::DEFAULT_ADMIN_USER_ID,
        harvest_proxy::auth::key_hash_hex(KEY)
    )
}

/// Writes `config` to `dir/name` and starts harvest-proxy on it as its own process (so its
/// memory is its own); stderr is kept when `log` is set.
pub fn spawn_proxy(dir: &Path, name: &str, config: &str, log: &str) -> Child {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(config.as_bytes())
        .unwrap();
    // PROXY_WRAP runs the proxy under a tool, e.g. `heaptrack -o /tmp/proxy` (its RSS figures
    // are then the tool's).
    let wrap = std::env::var("PROXY_WRAP").unwrap_or_default();
    let mut words = wrap.split_whitespace();
    let mut cmd = match words.next() {
        Some(tool) => {
            let mut c = Command::new(tool);
            c.args(words).arg(env!("CARGO_BIN_EXE_harvest-proxy"));
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_harvest-proxy")),
    };
    cmd.arg("--config")
        .arg(&path)
        .env("BENCH_SECRET", harvest_sandbox::DEFAULT_CLIENT_SECRET)
        .env("RUST_LOG", log)
        .stdout(Stdio::null())
        .stderr(if log == "off" {
            Stdio::null()
        } else {
            Stdio::inherit()
        })
        .spawn()
        .unwrap()
}

/// Stops a proxy from [`spawn_proxy`]: killed, or under `PROXY_WRAP` sent SIGTERM (the
/// proxy drains and exits, and the tool writes its report).
pub fn stop_proxy(mut proxy: Child) {
    if std::env::var("PROXY_WRAP").is_ok_and(|w| !w.trim().is_empty()) {
        // The proxy is the wrapper's child (perf), or the wrapper itself when it execs
        // (taskset).
        let pid = proxy.id().to_string();
        let children = Command::new("pkill").args(["-TERM", "-P", &pid]).status();
        if !children.is_ok_and(|s| s.success()) {
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
        }
    } else {
        let _ = proxy.kill();
    }
    let _ = proxy.wait();
}

/// One GET, its body read to the end: status and headers (None: a connection error).
pub async fn get_answer(
    client: &HttpClient,
    url: &str,
    auth: &str,
) -> Option<(u16, hyper::HeaderMap)> {
    let req = hyper::Request::get(url)
        .header("Authorization", auth)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let r = client.request(req).await.ok()?;
    let (parts, body) = r.into_parts();
    let _ = body.collect().await;
    Some((parts.status.as_u16(), parts.headers))
}

/// A header's value as text.
pub fn header(headers: &hyper::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// One GET's status (connection errors: 0).
pub async fn get(client: &HttpClient, url: &str, auth: &str) -> u16 {
    get_answer(client, url, auth).await.map_or(0, |(s, _)| s)
}

/// Waits for `url` (a `/healthz`) to answer 200.
pub async fn wait_healthy(client: &HttpClient, url: &str) {
    let ready = Instant::now();
    while get(client, url, "").await != 200 {
        assert!(
            ready.elapsed() < Duration::from_secs(30),
            "{url}: did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const SANDBOX_ROLE: &str = "HARVEST_BENCH_SANDBOX";

/// The sandbox in its own process: this bench binary run again in the sandbox role (see
/// [`sandbox_role`]), so the sandbox is a release build and its CPU and memory are not the
/// load generator's or the proxy's. Its counters are read over its stdin/stdout.
pub struct SandboxProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pub base_url: String,
    pub token_url: String,
}

impl SandboxProcess {
    /// `rate`: v3 rate limit as `N/SECONDS` or `off`; `scale`: data volume.
    pub fn start(rate: &str, scale: f64) -> SandboxProcess {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(SANDBOX_ROLE, format!("{rate};{scale}"))
            .env("RUST_LOG", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let mut parts = line.split_whitespace();
        let base_url = parts.next().expect("sandbox base url").to_string();
        let token_url = parts.next().expect("sandbox token url").to_string();
        SandboxProcess {
            child,
            stdin,
            stdout,
            base_url,
            token_url,
        }
    }

    fn ask(&mut self, what: &str) -> String {
        writeln!(self.stdin, "{what}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim().to_string()
    }

    /// (v3 calls, v3 answers 429, token requests) since the last reset.
    pub fn counts(&mut self) -> (u64, u64, u64) {
        let line = self.ask("stats");
        let n: Vec<u64> = line
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        (n[0], n[1], n[2])
    }

    pub fn reset(&mut self) {
        self.ask("reset");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// When this binary was started as a sandbox ([`SandboxProcess::start`]), serves as one until
/// its stdin closes and returns true; otherwise returns false at once.
pub fn sandbox_role() -> bool {
    let Ok(spec) = std::env::var(SANDBOX_ROLE) else {
        return false;
    };
    let (rate, scale) = spec.split_once(';').unwrap_or((spec.as_str(), "1"));
    let rate_limit = rate.split_once('/').and_then(|(n, s)| {
        Some((
            n.parse().ok()?,
            Duration::from_secs_f64(s.parse::<f64>().ok()?),
        ))
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sb = rt
        .block_on(harvest_sandbox::spawn(harvest_sandbox::SandboxConfig {
            rate_limit,
            scale: scale.parse().unwrap_or(1.0),
            ..Default::default()
        }))
        .unwrap();
    println!("{} {}", sb.base_url(), sb.token_url());
    // The runtime's workers serve; this thread answers the bench's questions.
    for l in std::io::stdin().lock().lines() {
        let Ok(l) = l else { break };
        if l == "reset" {
            sb.reset_stats();
            println!("ok");
        } else {
            let s = sb.stats();
            println!(
                "{} {} {}",
                s.v3_calls(),
                s.by_status.get(&429).copied().unwrap_or(0),
                s.token_calls
            );
        }
    }
    rt.block_on(sb.shutdown());
    true
}
