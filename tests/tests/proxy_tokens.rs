//! OAuth tokens: single flight on a cold cache, refresh before expiry for all three expiry
//! fields, a 401 from v3 refreshes once, a token endpoint refusing the client is a clear v1
//! error.
use std::time::Duration;

use harvest_sandbox::ExpiryStyle;
use harvest_tests::{SandboxConfig, Stack, small};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_cold_requests_make_one_token_call() {
    // Room for all 100 at once: this is about tokens, not admission (whose short queue
    // would answer some of a burst of 100 with 429 and Retry-After).
    let s =
        std::sync::Arc::new(Stack::start_with(small(), |c| c.limits.admission.queue = 128).await);
    assert_eq!(s.sandbox.stats().token_calls, 0);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let s = s.clone();
        tasks.push(tokio::spawn(
            async move { s.get("/v1/sources").await.status },
        ));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(s.sandbox.stats().token_calls, 1, "single flight");
    // And no token call on the hot path while the token is valid.
    for _ in 0..10 {
        assert_eq!(s.get("/v1/users?per_page=1").await.status, 200);
    }
    assert_eq!(s.sandbox.stats().token_calls, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_refreshed_before_expiry_whatever_the_expiry_field() {
    for style in [
        ExpiryStyle::ExpiresAt,
        ExpiryStyle::ExpiresIn,
        ExpiryStyle::Expires,
    ] {
        let cfg = SandboxConfig {
            token_lifetime: Duration::from_secs(4),
            expiry_style: style,
            ..small()
        };
        let s = Stack::start_with(cfg, |c| {
            c.cache.token_refresh_margin = Duration::from_secs(2)
        })
        .await;
        assert_eq!(s.get("/v1/sources").await.status, 200);
        assert_eq!(s.get("/v1/sources").await.status, 200);
        assert_eq!(
            s.sandbox.stats().token_calls,
            1,
            "{style:?}: a valid token is reused"
        );
        // Inside the refresh margin: served at once with the current token, refreshed behind.
        tokio::time::sleep(Duration::from_millis(2600)).await;
        assert_eq!(s.get("/v1/sources").await.status, 200, "{style:?}");
        let mut calls = 0;
        for _ in 0..50 {
            calls = s.sandbox.stats().token_calls;
            if calls == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            calls, 2,
            "{style:?}: the expiry must be read from the token response"
        );
        // After the old token's end, requests still work on the refreshed one.
        tokio::time::sleep(Duration::from_millis(1600)).await;
        assert_eq!(s.get("/v1/sources").await.status, 200, "{style:?}");
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_from_v3_refreshes_the_token_once() {
    let s = Stack::start(small()).await;
    assert_eq!(s.get("/v1/sources").await.status, 200);
    assert_eq!(s.sandbox.stats().token_calls, 1);
    s.sandbox.faults().set_spec("/v3/sources=401").unwrap();
    let r = s.get("/v1/sources").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        s.sandbox.stats().token_calls,
        2,
        "one fresh token after the 401"
    );
    // v3 refusing every token: a clear 502 (the proxy's credentials are wrong), after one retry.
    s.sandbox
        .faults()
        .set_spec("/v3/sources=always:401")
        .unwrap();
    let r = s.get("/v1/sources").await;
    assert_eq!(r.status, 502, "{}", r.text);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("OAuth credentials")
    );
    assert_eq!(s.sandbox.stats().token_calls, 3);
    s.stop().await;
}

/// The token endpoint refusing the proxy's client: a clear 502 naming no secret (the
/// endpoint down, hanging or answering garbage are rows of tests/tests/fault_matrix.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_refusing_the_client() {
    let s = Stack::start_with(small(), |c| c.tenants[0].client_id = "wrong-client".into()).await;
    let r = s.get("/v1/sources").await;
    assert_eq!(r.status, 502, "{}", r.text);
    let m = r.json()["message"].as_str().unwrap().to_string();
    assert!(m.contains("token") && !m.contains("sandbox-secret"), "{m}");
    s.stop().await;
}
