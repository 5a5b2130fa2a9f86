//! Credentials as Greenhouse had them (issue 11): per-key endpoint permissions, IP allow-lists,
//! `trusted_proxies` for forwarding headers, reloads, the audit line and the `key` label.
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use harvest_proxy::Config;
use harvest_proxy::access::{Permissions, Rule, parse_net};
use harvest_proxy::auth::key_hash;
use harvest_proxy::config::KeyEntry;
use harvest_tests::{KEY, Resp, Stack, basic, small};

fn rules(list: &[&str]) -> Permissions {
    Permissions::from_rules(
        list.iter()
            .map(|t| Rule {
                text: t.to_string(),
                line: 0,
            })
            .collect(),
    )
}

fn only(c: &mut Config, list: &[&str]) {
    c.keys[0].endpoints = rules(list);
}

async fn get_with(s: &Stack, path: &str, key: &str, headers: &[(&str, &str)]) -> Resp {
    s.request("GET", path, Some(&basic(key)), headers, Bytes::new())
        .await
}

/// The request is refused with v1's 403 and Harvest v3 is not asked at all.
async fn refused_without_v3(s: &Stack, path: &str, key: &str, headers: &[(&str, &str)]) -> Resp {
    s.sandbox.reset_stats();
    let r = get_with(s, path, key, headers).await;
    assert_eq!(r.status, 403, "{path}: {}", r.text);
    assert!(r.json()["message"].is_string(), "v1's shape: {}", r.text);
    assert_eq!(s.sandbox.stats().total, 0, "{path}: no v3 call (nor token)");
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_outside_the_keys_set_is_refused_before_any_v3_call() {
    let s = Stack::start_with(small(), |c| only(c, &["GET /v1/candidates"])).await;
    assert_eq!(s.get("/v1/candidates?per_page=1").await.status, 200);
    let r = refused_without_v3(&s, "/v1/users", KEY, &[]).await;
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("GET /v1/users")
    );
    refused_without_v3(&s, "/v1/candidates/1", KEY, &[]).await;
    // v2 prefix of a permitted route: allowed only where the catalogue has it under v2.
    let v2 = s.get("/v2/candidates?per_page=1").await;
    assert!(matches!(v2.status, 200 | 404), "{}", v2.text);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_and_star() {
    let s = Stack::start_with(small(), |c| {
        only(c, &["users:read", "GET /v1/candidates/{candidate_id}"]);
        let mut other = c.keys[0].clone();
        other.sha256 = key_hash("star-key");
        other.label = "star".into();
        other.endpoints = rules(&["*"]);
        c.keys.push(other);
    })
    .await;
    assert_eq!(s.get("/v1/users?per_page=1").await.status, 200);
    refused_without_v3(&s, "/v1/sources", KEY, &[]).await;
    let star = get_with(&s, "/v1/sources", "star-key", &[]).await;
    assert_eq!(star.status, 200, "{}", star.text);
    // A placeholder's name does not matter: `{candidate_id}` names `{id}`.
    let one = s.get("/v1/candidates/999999999").await;
    assert_ne!(one.status, 403, "{}", one.text);
    let metrics = s.get("/metrics").await.text;
    assert!(
        metrics.contains("key=\"star\"") && metrics.contains("key=\"sandbox-demo\""),
        "the request counter carries the key label"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_allow_lists_and_forwarded_headers_from_trusted_proxies_only() {
    let nets = |v: &[&str]| v.iter().map(|n| parse_net(n).unwrap()).collect::<Vec<_>>();
    let s = Stack::start_with(small(), |c| {
        c.keys[0].allowed_ips = Some(nets(&["203.0.113.0/24", "2001:db8::/32"]));
        let mut local = c.keys[0].clone();
        local.sha256 = key_hash("local-key");
        local.label = "local".into();
        local.allowed_ips = Some(nets(&["127.0.0.1"]));
        c.keys.push(local);
    })
    .await;
    let xff = [("X-Forwarded-For", "203.0.113.9")];
    // No trusted proxies: the peer (127.0.0.1) counts, the header is ignored.
    let r = refused_without_v3(&s, "/v1/sources", KEY, &xff).await;
    assert!(r.json()["message"].as_str().unwrap().contains("127.0.0.1"));
    assert_eq!(
        get_with(&s, "/v1/sources", "local-key", &[]).await.status,
        200
    );
    // Now 127.0.0.1 is a trusted proxy (reloaded): its headers name the client.
    let mut next = harvest_proxy::sandbox::config_for(&s.sandbox, s.proxy.addr, KEY);
    next.keys = s.state.tenancy().keys().to_vec();
    next.trusted_proxies = nets(&["127.0.0.0/8"]);
    s.state.reload(next).expect("reloads");
    assert_eq!(get_with(&s, "/v1/sources", KEY, &xff).await.status, 200);
    let fwd = [("Forwarded", "for=\"[2001:db8::7]:443\"")];
    assert_eq!(get_with(&s, "/v1/sources", KEY, &fwd).await.status, 200);
    // The right-most untrusted hop counts, not a spoofed left-most one.
    let spoof = [("X-Forwarded-For", "203.0.113.9, 198.51.100.1")];
    refused_without_v3(&s, "/v1/sources", KEY, &spoof).await;
    // The local key, behind the trusted proxy, is the address the proxy names.
    refused_without_v3(&s, "/v1/sources", "local-key", &xff).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissions_reload_with_the_keys() {
    let s = Stack::start_with(small(), |c| only(c, &["sources:read"])).await;
    assert_eq!(s.get("/v1/sources").await.status, 200);
    let mut next = harvest_proxy::sandbox::config_for(&s.sandbox, s.proxy.addr, KEY);
    next.keys[0].endpoints = rules(&["users:*"]);
    s.state.reload(next).expect("reloads");
    refused_without_v3(&s, "/v1/sources", KEY, &[]).await;
    assert_eq!(s.get("/v1/users?per_page=1").await.status, 200);
    // A bad entry refuses the reload and keeps the running permissions.
    let mut bad = harvest_proxy::sandbox::config_for(&s.sandbox, s.proxy.addr, KEY);
    bad.keys[0].endpoints = rules(&["GET /v1/userz"]);
    let e = s.state.reload(bad).unwrap_err();
    assert!(
        e.contains("sandbox-demo") && e.contains("GET /v1/users"),
        "{e}"
    );
    assert_eq!(s.get("/v1/users?per_page=1").await.status, 200);
    s.stop().await;
}

fn toml_for(sb: &harvest_sandbox::Sandbox, key_lines: &str) -> String {
    format!(
        "allow_insecure_upstream = true\n[[tenants]]\nname = \"t\"\nclient_id = \"{}\"\nclient_secret_env = \"SECRET\"\ntoken_url = \"{}\"\nbase_url = \"{}\"\nread_as = 1\n[[keys]]\nsha256 = \"{}\"\ntenant = \"t\"\nlabel = \"crm\"\n{key_lines}",
        harvest_sandbox::DEFAULT_CLIENT_ID,
        sb.token_url(),
        sb.base_url(),
        harvest_proxy::auth::key_hash_hex(KEY),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_permission_entries_and_cidrs_stop_the_start_naming_key_and_line() {
    let sb = harvest_sandbox::spawn(small()).await.unwrap();
    let env = |n: &str| (n == "SECRET").then(|| "x".to_string());
    // Line 15 holds the bad entry.
    let text = toml_for(
        &sb,
        "endpoints = [\n  \"GET /v1/candidates\",\n  \"GET /v1/candidatez/{id}\",\n]\n",
    );
    assert_eq!(
        text.lines().nth(14).unwrap().trim(),
        "\"GET /v1/candidatez/{id}\","
    );
    let c = Config::parse("proxy.toml", &text, &env).unwrap();
    let e = harvest_proxy::start(c).await.err().expect("refused");
    assert!(
        e.contains("key `crm`") && e.contains("line 15") && e.contains("GET /v1/candidates/{id}"),
        "{e}"
    );
    let text = toml_for(&sb, "endpoints = [\"offerz:read\"]\n");
    let c = Config::parse("proxy.toml", &text, &env).unwrap();
    let e = harvest_proxy::start(c).await.err().expect("refused");
    assert!(e.contains("did you mean `offers`"), "{e}");
    let text = toml_for(&sb, "allowed_ips = [\"10.0.0.0/8\", \"203.0.113.7/24\"]\n");
    let e = Config::parse("proxy.toml", &text, &env)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("key `crm`") && e.contains("line 13") && e.contains("203.0.113.0/24"),
        "{e}"
    );
    let text = toml_for(&sb, "").replace(
        "allow_insecure_upstream = true\n",
        "allow_insecure_upstream = true\ntrusted_proxies = [\"lb.internal\"]\n",
    );
    let e = Config::parse("proxy.toml", &text, &env)
        .unwrap_err()
        .to_string();
    assert!(e.contains("trusted_proxies") && e.contains("line 2"), "{e}");
    // No `endpoints`: every endpoint, said as a start-up warning.
    let c = Config::parse("proxy.toml", &toml_for(&sb, ""), &env).unwrap();
    let w = c.validate().unwrap();
    assert!(
        w.iter()
            .any(|w| w.contains("crm") && w.contains("every mapped endpoint")),
        "{w:?}"
    );
    sb.shutdown().await;
}

/// Log lines of this test binary (the audit target only).
fn captured() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter("audit=info")
            .with_writer(move || Sink(sink.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buf
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn audit_line(logs: &Mutex<Vec<u8>>, id: &str) -> serde_json::Value {
    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(&format!("\"request_id\":\"{id}\"")))
        .unwrap_or_else(|| panic!("no audit line for {id} in:\n{text}"));
    assert!(
        !line.contains(KEY) && !line.contains("Basic "),
        "no secret: {line}"
    );
    serde_json::from_str(line).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_audit_line_per_request_without_secrets() {
    let logs = captured();
    let s = Stack::start_with(small(), |c| only(c, &["GET /v1/sources"])).await;
    let ok = get_with(&s, "/v1/sources", KEY, &[("X-Request-Id", "audit-ok")]).await;
    assert_eq!(ok.status, 200);
    let no = get_with(&s, "/v1/users", KEY, &[("X-Request-Id", "audit-403")]).await;
    assert_eq!(no.status, 403);
    let unknown = get_with(&s, "/v1/users", "nope", &[("X-Request-Id", "audit-401")]).await;
    assert_eq!(unknown.status, 401);
    let f = audit_line(&logs, "audit-ok")["fields"].clone();
    assert_eq!(f["key"], "sandbox-demo");
    assert_eq!(f["client"], "127.0.0.1");
    assert_eq!(f["method"], "GET");
    assert_eq!(f["route"], "GET /v1/sources");
    assert_eq!(f["status"], 200);
    assert!(f["v3_calls"].as_u64().unwrap() >= 1, "{f}");
    assert_eq!(f["acting_user"], "-");
    assert!(f["ms"].is_u64());
    let f = audit_line(&logs, "audit-403")["fields"].clone();
    assert_eq!(
        (f["status"].as_u64(), f["v3_calls"].as_u64()),
        (Some(403), Some(0))
    );
    let f = audit_line(&logs, "audit-401")["fields"].clone();
    assert_eq!(
        (f["key"].as_str(), f["status"].as_u64()),
        (Some("-"), Some(401))
    );
    s.stop().await;
}

#[test]
fn key_entries_are_cloneable_tables() {
    // The reload test above copies the running keys: KeyEntry is a plain value.
    let k = KeyEntry {
        sha256: key_hash("x"),
        tenant: 0,
        label: "x".into(),
        endpoints: rules(&["*"]),
        allowed_ips: None,
    };
    assert_eq!(&*k.clone().label, "x");
}
