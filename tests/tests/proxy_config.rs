//! Config refusals and warnings (issue 9): zero timeouts and limits, clear-text token and
//! upstream URLs unless `allow_insecure_upstream`, crafted `allowed_hosts` and `public_url`,
//! no keys; the same checks guard a config built in code (`harvest_proxy::start`) and a
//! reload (`State::reload`, which keeps the running tables when it refuses).
use std::time::Duration;

use harvest_proxy::Config;
use harvest_tests::{KEY, Stack, basic, small};

const KEY_HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn env(name: &str) -> Option<String> {
    (name == "SECRET").then(|| "s3cret".to_string())
}

/// A tenant with these URLs and one key, after `top` (top-level keys) and before `limits`.
fn config(top: &str, urls: &str, limits: &str) -> String {
    format!(
        "{top}\n[limits]\n{limits}\n[[tenants]]\nname = \"acme\"\nclient_id = \"id\"\nclient_secret_env = \"SECRET\"\nread_as = 1\n{urls}\n[[keys]]\nsha256 = \"{KEY_HASH}\"\ntenant = \"acme\"\n"
    )
}

fn refused(text: &str) -> String {
    Config::parse("proxy.toml", text, &env)
        .err()
        .unwrap_or_else(|| panic!("accepted:\n{text}"))
        .to_string()
}

#[test]
fn zero_timeouts_and_limits_are_refused() {
    for name in [
        "header_read_timeout_ms",
        "request_timeout_ms",
        "upstream_timeout_ms",
        "idle_timeout_ms",
        "token_timeout_ms",
        "drain_timeout_ms",
        "max_connections",
        "max_connections_per_ip",
        "max_streams_per_connection",
    ] {
        let e = refused(&config("", "", &format!("{name} = 0")));
        assert!(e.contains(name) && e.contains("proxy.toml"), "{name}: {e}");
    }
    // The defaults pass.
    assert!(Config::parse("p", &config("", "", ""), &env).is_ok());
}

#[test]
fn durations_beyond_a_day_are_refused() {
    // u64::MAX ms would overflow every deadline computed from it.
    for name in [
        "idle_timeout_ms",
        "served_grace_ms",
        "queue_wait_ms",
        "connection_wait_ms",
        "request_timeout_ms",
    ] {
        let e = refused(&config("", "", &format!("{name} = {}", u64::MAX)));
        assert!(
            e.contains(name) && e.contains("more than a day"),
            "{name}: {e}"
        );
    }
    // A grace of 0 is allowed: idle connections may then be closed at once.
    assert!(Config::parse("p", &config("", "", "served_grace_ms = 0"), &env).is_ok());
}

#[test]
fn clear_text_upstreams_need_an_explicit_allowance() {
    let http = "token_url = \"http://auth.example.com/token\"";
    let e = refused(&config("", http, ""));
    assert!(
        e.contains("token_url") && e.contains("allow_insecure_upstream"),
        "{e}"
    );
    let e = refused(&config("", "base_url = \"http://harvest.example.com\"", ""));
    assert!(e.contains("base_url") && e.contains("not TLS"), "{e}");
    let e = refused(&config("", "base_url = \"ftp://harvest.example.com\"", ""));
    assert!(e.contains("scheme"), "{e}");
    let c = Config::parse(
        "p",
        &config("allow_insecure_upstream = true", http, ""),
        &env,
    )
    .unwrap();
    let warnings = c.validate().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("allow_insecure_upstream")),
        "{warnings:?}"
    );
}

#[test]
fn link_settings_must_be_plain_origins() {
    for bad in [
        "allowed_hosts = [\"x>; rel=\\\"last\\\"\"]",
        "allowed_hosts = [\"user@host.example.com\"]",
        "allowed_hosts = [\"host.example.com/path\"]",
        "public_url = \"https://p.example.com/?a=1\"",
        "public_url = \"javascript:alert(1)\"",
    ] {
        let e = refused(&config(bad, "", ""));
        assert!(
            e.contains("allowed_hosts") || e.contains("public_url"),
            "{bad}: {e}"
        );
    }
    let c = Config::parse(
        "p",
        &config(
            "allowed_hosts = [\"Proxy.Example.com\", \"10.0.0.5:8443\", \"[::1]:8080\"]",
            "",
            "",
        ),
        &env,
    )
    .unwrap();
    assert_eq!(
        c.allowed_hosts,
        ["proxy.example.com", "10.0.0.5:8443", "[::1]:8080"]
    );
}

#[test]
fn no_keys_is_a_warning_said_at_start_up() {
    let text = "[[tenants]]\nname = \"a\"\nclient_id = \"id\"\nclient_secret_env = \"SECRET\"\nread_as = 1\n";
    let c = Config::parse("p", text, &env).unwrap();
    let w = c.validate().unwrap();
    assert!(w.iter().any(|w| w.contains("no [[keys]]")), "{w:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_built_in_code_is_checked_too() {
    let sb = harvest_sandbox::spawn(small()).await.unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let mut c = harvest_proxy::sandbox::config_for(&sb, addr, KEY);
    c.limits.request_timeout = Duration::ZERO;
    let e = harvest_proxy::start(c).await.err().expect("refused");
    assert!(e.contains("request_timeout_ms"), "{e}");
    let mut c = harvest_proxy::sandbox::config_for(&sb, addr, KEY);
    c.allow_insecure_upstream = false;
    let e = harvest_proxy::start(c).await.err().expect("refused");
    assert!(e.contains("not TLS"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_reload_keeps_the_running_keys() {
    let s = Stack::start(small()).await;
    assert_eq!(s.get("/v1/sources").await.status, 200);
    let mut bad = harvest_proxy::sandbox::config_for(&s.sandbox, s.proxy.addr, "other-key");
    bad.allow_insecure_upstream = false;
    let e = s.state.reload(bad).unwrap_err();
    assert!(e.contains("not TLS"), "{e}");
    assert_eq!(
        s.get("/v1/sources").await.status,
        200,
        "old key still works"
    );
    let other = s
        .request(
            "GET",
            "/v1/sources",
            Some(&basic("other-key")),
            &[],
            bytes::Bytes::new(),
        )
        .await;
    assert_eq!(other.status, 401);
    s.stop().await;
}
