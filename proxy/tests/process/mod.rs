//! The harness of the process-level tests: the built harvest-proxy binary run against a
//! sandbox in the test's process, its JSON logs, signals, keep-alive connections.
#![allow(dead_code)]
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use serde_json::Value;

pub const KEY_A: &str = "legacy-key-a";
pub const KEY_B: &str = "legacy-key-b";
pub const SECRET_VAR: &str = "HB_SIGNALS_SECRET";

pub struct Proxy {
    pub child: Child,
    pub addr: SocketAddr,
    pub logs: Arc<Mutex<Vec<String>>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    pub fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args([sig, pid.as_str()])
            .status()
            .unwrap();
        assert!(ok.success(), "kill {sig}");
    }

    /// The JSON log lines so far.
    pub fn json_logs(&self) -> Vec<Value> {
        let logs = self.logs.lock().unwrap();
        logs.iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Waits (at most 10 s) for a log line containing `needle`.
    pub async fn log_line(&self, needle: &str) -> String {
        for _ in 0..200 {
            if let Some(l) = self
                .logs
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.contains(needle))
            {
                return l.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no log line with {needle:?}: {:?}",
            self.logs.lock().unwrap()
        );
    }

    /// Waits (at most 20 s) for the process to end.
    pub async fn exit_code(&mut self) -> Option<i32> {
        for _ in 0..400 {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the proxy did not exit");
    }
}

pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hb-signals-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A proxy.toml for the sandbox with the given keys (and extra top-level lines).
pub fn config_text(sb: &harvest_sandbox::Sandbox, keys: &[&str], top: &str) -> String {
    let keys: String = keys
        .iter()
        .map(|k| {
            format!(
                "[[keys]]\nsha256 = \"{}\"\ntenant = \"sb\"\n",
                harvest_proxy::auth::key_hash_hex(k)
            )
        })
        .collect();
    format!(
        "listen = \"127.0.0.1:0\"\n{top}\n[[tenants]]\nname = \"sb\"\nclient_id = \"{}\"\nclient_secret_env = \"{SECRET_VAR}\"\ntoken_url = \"{}\"\nbase_url = \"{}\"\nread_as = {}\n{keys}",
        harvest_sandbox::DEFAULT_CLIENT_ID,
        sb.token_url(),
        sb.base_url(),
        harvest_sandbox::DEFAULT_ADMIN_USER_ID,
    )
}

pub fn command(config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_harvest-proxy"));
    c.args(["--config", config.to_str().unwrap(), "--log-format", "json"])
        .env("RUST_LOG", "info")
        .env(SECRET_VAR, harvest_sandbox::DEFAULT_CLIENT_SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Starts the binary and waits for its "listening" line.
pub async fn start(config: &Path) -> Proxy {
    let mut child = command(config).spawn().expect("run harvest-proxy");
    let logs = Arc::new(Mutex::new(Vec::new()));
    let (l2, stderr) = (logs.clone(), child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            l2.lock().unwrap().push(line);
        }
    });
    let mut proxy = Proxy {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        logs,
    };
    let line = proxy.log_line("harvest-proxy listening").await;
    let v: Value = serde_json::from_str(&line).unwrap();
    proxy.addr = v["fields"]["addr"].as_str().unwrap().parse().unwrap();
    proxy
}

pub fn basic(key: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
    format!("Basic {b64}")
}

/// A keep-alive HTTP/1.1 connection.
pub async fn connect(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let io = hyper_util::rt::TokioIo::new(tcp);
    let (send, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(conn);
    send
}

/// An answer: status, headers, body.
pub struct Answer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The path and query of the `Link` rel="next" target.
    pub fn next(&self) -> Option<String> {
        let link = self.header("link")?;
        link.split(',').find_map(|part| {
            let (url, params) = part.split_once(';')?;
            let url = url.trim().trim_start_matches('<').trim_end_matches('>');
            let pq = match url.split_once("://") {
                Some((_, r)) => &r[r.find('/')?..],
                None => url,
            };
            params.contains("rel=\"next\"").then(|| pq.to_string())
        })
    }
}

/// GET on a connection with extra headers, answered within 30 s.
pub async fn get_with(
    conn: &mut SendRequest<Full<Bytes>>,
    path: &str,
    key: &str,
    headers: &[(&str, &str)],
) -> Result<Answer, hyper::Error> {
    let mut req = hyper::Request::get(path)
        .header("Host", "proxy")
        .header("Authorization", basic(key));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(Bytes::new())).unwrap();
    conn.ready().await?;
    let resp = tokio::time::timeout(Duration::from_secs(30), conn.send_request(req))
        .await
        .expect("answered in time")?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok(Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// GET on a connection: status, X-Request-Id, body.
pub async fn get(
    conn: &mut SendRequest<Full<Bytes>>,
    path: &str,
    key: &str,
) -> (u16, String, String) {
    let a = get_with(conn, path, key, &[])
        .await
        .expect("the connection still works");
    (
        a.status,
        a.header("x-request-id").unwrap_or_default(),
        a.body,
    )
}

/// GET on a new connection.
pub async fn get_new(addr: SocketAddr, path: &str, key: &str) -> u16 {
    get(&mut connect(addr).await, path, key).await.0
}
