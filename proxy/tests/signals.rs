//! The proxy as an operator runs it (issue 9): SIGHUP reloads keys and tenants without
//! dropping a connection (and keeps them when the new file is bad), SIGTERM stops accepting
//! at once and drains, start-up says what the config refuses or warns about, and the logs
//! carry the request id and every upstream failure. The built binary runs against a sandbox
//! in this process; outcomes are asserted, timeouts only keep a test from hanging.
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

const KEY_A: &str = "legacy-key-a";
const KEY_B: &str = "legacy-key-b";
const SECRET_VAR: &str = "HB_SIGNALS_SECRET";

struct Proxy {
    child: Child,
    addr: SocketAddr,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args([sig, pid.as_str()])
            .status()
            .unwrap();
        assert!(ok.success(), "kill {sig}");
    }

    /// The JSON log lines so far.
    fn json_logs(&self) -> Vec<Value> {
        let logs = self.logs.lock().unwrap();
        logs.iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Waits (at most 10 s) for a log line containing `needle`.
    async fn log_line(&self, needle: &str) -> String {
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
    async fn exit_code(&mut self) -> Option<i32> {
        for _ in 0..400 {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the proxy did not exit");
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hb-signals-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A proxy.toml for the sandbox with the given keys (and extra top-level lines).
fn config_text(sb: &harvest_sandbox::Sandbox, keys: &[&str], top: &str) -> String {
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

fn command(config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_harvest-proxy"));
    c.args(["--config", config.to_str().unwrap(), "--log-format", "json"])
        .env("RUST_LOG", "info")
        .env(SECRET_VAR, harvest_sandbox::DEFAULT_CLIENT_SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Starts the binary and waits for its "listening" line.
async fn start(config: &Path) -> Proxy {
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

fn basic(key: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
    format!("Basic {b64}")
}

/// A keep-alive HTTP/1.1 connection.
async fn connect(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let io = hyper_util::rt::TokioIo::new(tcp);
    let (send, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(conn);
    send
}

/// GET on a connection: status, X-Request-Id, body.
async fn get(conn: &mut SendRequest<Full<Bytes>>, path: &str, key: &str) -> (u16, String, String) {
    let req = hyper::Request::get(path)
        .header("Host", "proxy")
        .header("Authorization", basic(key))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(30), conn.send_request(req))
        .await
        .expect("answered in time")
        .expect("the connection still works");
    let status = resp.status().as_u16();
    let id = resp
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, id, String::from_utf8_lossy(&body).into_owned())
}

/// GET on a new connection.
async fn get_new(addr: SocketAddr, path: &str, key: &str) -> u16 {
    get(&mut connect(addr).await, path, key).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_keys_without_dropping_connections() {
    let sb = harvest_sandbox::spawn(harvest_sandbox::SandboxConfig {
        scale: 0.05,
        ..Default::default()
    })
    .await
    .unwrap();
    let d = temp_dir("hup");
    let cfg = d.join("proxy.toml");
    let top = "allow_insecure_upstream = true";
    std::fs::write(&cfg, config_text(&sb, &[KEY_A], top)).unwrap();
    let proxy = start(&cfg).await;
    let mut kept = connect(proxy.addr).await;
    assert_eq!(get(&mut kept, "/v1/sources", KEY_A).await.0, 200);

    std::fs::write(&cfg, config_text(&sb, &[KEY_B], top)).unwrap();
    proxy.signal("-HUP");
    let mut status = 0;
    for _ in 0..200 {
        status = get_new(proxy.addr, "/v1/sources", KEY_B).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 200, "the new key works after SIGHUP");
    assert_eq!(get_new(proxy.addr, "/v1/sources", KEY_A).await, 401);
    let (status, _, _) = get(&mut kept, "/v1/sources", KEY_B).await;
    assert_eq!(
        status, 200,
        "the connection opened before the reload still serves"
    );
    assert_eq!(
        sb.stats().token_calls,
        1,
        "an unchanged tenant keeps its token across the reload"
    );
    let line = proxy.log_line("SIGHUP: reloaded").await;
    assert!(line.contains("1 tenants (1 unchanged), 1 keys"), "{line}");

    // A bad file: logged, the running keys stay.
    std::fs::write(&cfg, "[[keys]]\nsha256 = \"not-hex\"\ntenant = \"sb\"\n").unwrap();
    proxy.signal("-HUP");
    let line = proxy.log_line("not reloaded").await;
    assert!(line.contains("no such tenant"), "{line}");
    assert_eq!(get(&mut kept, "/v1/sources", KEY_B).await.0, 200);
    let mut proxy = proxy;
    assert!(
        proxy.child.try_wait().unwrap().is_none(),
        "SIGHUP never ends the process"
    );
    proxy.signal("-TERM");
    assert_eq!(proxy.exit_code().await, Some(0));
    let _ = std::fs::remove_dir_all(&d);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_accepting_at_once_then_drains() {
    let sb = harvest_sandbox::spawn(harvest_sandbox::SandboxConfig {
        scale: 0.05,
        ..Default::default()
    })
    .await
    .unwrap();
    let d = temp_dir("term");
    let cfg = d.join("proxy.toml");
    std::fs::write(
        &cfg,
        config_text(&sb, &[KEY_A], "allow_insecure_upstream = true"),
    )
    .unwrap();
    let mut proxy = start(&cfg).await;
    let addr = proxy.addr;
    // Warm the token, then make the next v3 call slow.
    assert_eq!(get_new(addr, "/v1/users?per_page=1", KEY_A).await, 200);
    sb.faults()
        .set_spec("/v3/sources=always:delay:4000")
        .unwrap();
    let slow = tokio::spawn(async move { get_new(addr, "/v1/sources", KEY_A).await });
    for _ in 0..400 {
        if sb.stats().by_route.contains_key("GET /v3/sources") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    proxy.signal("-TERM");
    let mut refused = false;
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "new connections are refused after SIGTERM");
    assert!(
        !slow.is_finished(),
        "refused while the request in flight is still being served"
    );
    assert_eq!(slow.await.unwrap(), 200, "the request in flight is drained");
    assert_eq!(proxy.exit_code().await, Some(0));
    proxy.log_line("stopped accepting").await;
    let _ = std::fs::remove_dir_all(&d);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_carry_the_request_id_and_each_upstream_failure() {
    let sb = harvest_sandbox::spawn(harvest_sandbox::SandboxConfig {
        scale: 0.05,
        ..Default::default()
    })
    .await
    .unwrap();
    let d = temp_dir("logs");
    let cfg = d.join("proxy.toml");
    std::fs::write(
        &cfg,
        config_text(&sb, &[KEY_A], "allow_insecure_upstream = true"),
    )
    .unwrap();
    let proxy = start(&cfg).await;
    sb.faults().set_spec("/v3/sources=500,503,500").unwrap();
    let (status, id, body) = get(&mut connect(proxy.addr).await, "/v1/sources", KEY_A).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(id.len(), 16, "{id}");
    proxy.log_line("legacy request").await;
    let logs = proxy.json_logs();
    let failures: Vec<&Value> = logs
        .iter()
        .filter(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("v3 call failed"))
        })
        .collect();
    assert_eq!(failures.len(), 3, "each failed attempt once: {logs:?}");
    for (n, f) in failures.iter().enumerate() {
        let fields = &f["fields"];
        assert_eq!(fields["v3_path"], "/v3/sources", "{f}");
        assert_eq!(fields["attempt"], n as u64 + 1, "{f}");
        assert_eq!(fields["kind"], "status", "{f}");
        assert!(fields["status"].as_u64().unwrap() >= 500, "{f}");
        assert!(fields["ms"].is_u64(), "{f}");
        assert_eq!(f["span"]["id"], id.as_str(), "{f}");
        assert_eq!(f["span"]["route"], "GET /v1/sources", "{f}");
    }
    let request = logs
        .iter()
        .find(|l| l["fields"]["message"] == "legacy request")
        .unwrap();
    assert_eq!(request["span"]["id"], id.as_str(), "{request}");
    assert_eq!(request["target"], "audit", "{request}");
    let f = &request["fields"];
    assert_eq!(
        (f["request_id"].as_str(), f["status"].as_u64()),
        (Some(id.as_str()), Some(502)),
        "{request}"
    );
    assert_eq!(
        (f["client"].as_str(), f["v3_calls"].as_u64()),
        (Some("127.0.0.1"), Some(3)),
        "{request}"
    );
    let all = proxy.logs.lock().unwrap().join("\n");
    for secret in [
        KEY_A,
        harvest_sandbox::DEFAULT_CLIENT_SECRET,
        "Bearer ",
        "eyJ",
    ] {
        assert!(!all.contains(secret), "{secret} in the logs");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_says_what_the_config_refuses_or_warns_about() {
    let sb = harvest_sandbox::spawn(harvest_sandbox::SandboxConfig {
        scale: 0.0,
        ..Default::default()
    })
    .await
    .unwrap();
    let d = temp_dir("startup");
    let cfg = d.join("proxy.toml");
    let refusals = [
        (config_text(&sb, &[KEY_A], ""), "allow_insecure_upstream"),
        (
            config_text(
                &sb,
                &[KEY_A],
                "allow_insecure_upstream = true\n[limits]\nupstream_timeout_ms = 0",
            ),
            "upstream_timeout_ms must be greater than 0",
        ),
    ];
    for (text, says) in refusals {
        std::fs::write(&cfg, text).unwrap();
        let out = command(&cfg).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
    }
    std::fs::write(
        &cfg,
        config_text(&sb, &[], "allow_insecure_upstream = true"),
    )
    .unwrap();
    let mut proxy = start(&cfg).await;
    proxy.log_line("no [[keys]] are configured").await;
    assert_eq!(get_new(proxy.addr, "/v1/sources", KEY_A).await, 401);
    proxy.signal("-TERM");
    assert_eq!(proxy.exit_code().await, Some(0));
    let _ = std::fs::remove_dir_all(&d);
}
