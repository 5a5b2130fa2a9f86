//! The token endpoint misbehaving (issue 9): down, hanging, answering garbage or an absurd
//! expiry. Each asserts what the legacy client gets (v1 shape, status) and how often the
//! token endpoint was asked; timeouts only keep a test from hanging.
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harvest_tests::{Resp, Stack, fake_token_endpoint, small};

/// `n` concurrent GETs of `path`.
async fn concurrently(s: &Arc<Stack>, n: usize, path: &'static str) -> Vec<Resp> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.get(path).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        let r = tokio::time::timeout(Duration::from_secs(30), t)
            .await
            .expect("answered")
            .unwrap();
        out.push(r);
    }
    out
}

fn v1_message(r: &Resp) -> String {
    r.json()["message"]
        .as_str()
        .unwrap_or_else(|| panic!("v1 shape: {}", r.text))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_down_is_asked_once_for_every_waiting_request() {
    let s = Arc::new(
        Stack::start_with(small(), |c| {
            c.limits.token_backoff = Duration::from_secs(60)
        })
        .await,
    );
    s.sandbox.faults().set_spec("/token=always:down").unwrap();
    for r in concurrently(&s, 20, "/v1/sources").await {
        assert_eq!(r.status, 502, "{}", r.text);
        let m = v1_message(&r);
        assert!(m.contains("token") && m.contains("HTTP 503"), "{m}");
        assert!(
            !r.text.contains("Service Unavailable"),
            "no byte of the answer: {m}"
        );
    }
    // And again, within the back-off: answered from the remembered failure.
    assert_eq!(s.get("/v1/users").await.status, 502);
    assert_eq!(
        s.sandbox.stats().token_calls,
        1,
        "single flight for failures, remembered for the back-off"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_token_endpoint_fails_at_the_token_timeout_once_for_all() {
    let s = Arc::new(
        Stack::start_with(small(), |c| {
            c.limits.token_timeout = Duration::from_millis(300);
            c.limits.token_backoff = Duration::from_secs(60);
        })
        .await,
    );
    s.sandbox
        .faults()
        .set_spec("/token=always:delay:60000")
        .unwrap();
    let answers =
        tokio::time::timeout(Duration::from_secs(20), concurrently(&s, 10, "/v1/sources"))
            .await
            .expect("bounded by the token timeout, not by the 60 s hang");
    for r in answers {
        assert_eq!(r.status, 502, "{}", r.text);
        assert!(
            v1_message(&r).contains("did not answer within 300 ms"),
            "{}",
            r.text
        );
    }
    assert_eq!(
        s.sandbox.stats().token_calls,
        1,
        "one fetch, not ten in a row"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_byte_of_a_garbage_token_answer_reaches_the_client() {
    // The sandbox's garbage: an HTML error page glued to broken JSON.
    let s = Stack::start(small()).await;
    s.sandbox
        .faults()
        .set_spec("/token=always:malformed")
        .unwrap();
    let r = s.get("/v1/sources").await;
    assert_eq!(r.status, 502, "{}", r.text);
    let m = v1_message(&r);
    assert!(m.contains("not a token response"), "{m}");
    for leak in ["html", "Bad Gateway", "{\"id\""] {
        assert!(!r.text.contains(leak), "{leak} leaked: {}", r.text);
    }
    s.stop().await;

    // Answers that carry a token or the client id but do not parse.
    let answer = Arc::new(Mutex::new((200, String::new())));
    let (url, _hits) = fake_token_endpoint(answer.clone()).await;
    let cases = [
        (
            200,
            r#"{"access_token":"leaked-v3-token-1","token_type":42,"expires_in":3600}"#,
        ),
        (200, r#"{"access_token":"leaked-v3-token-2""#),
        (
            400,
            r#"{"message":"client_id=ghc_leaked_client does not contain a valid client ID suffix","errorId":"err-1"}"#,
        ),
        (
            401,
            r#"{"error":"invalid_client","error_description":"ghc_leaked_client unknown"}"#,
        ),
    ];
    for (status, body) in cases {
        *answer.lock().unwrap() = (status, body.to_string());
        let url = url.clone();
        let s = Stack::start_with(small(), move |c| c.tenants[0].token_url = url).await;
        let r = s.get("/v1/sources").await;
        assert_eq!(r.status, 502, "{body}: {}", r.text);
        let m = v1_message(&r);
        assert!(m.contains(&format!("HTTP {status}")), "{m}");
        assert!(!r.text.contains("leaked"), "{body} leaked: {}", r.text);
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_expiry_values_neither_panic_nor_fail_the_request() {
    let answer = Arc::new(Mutex::new((200, String::new())));
    let (url, hits) = fake_token_endpoint(answer.clone()).await;
    let expiries = [
        r#""expires_in":18446744073709551615"#,
        r#""expires_in":1e300"#,
        r#""expires_in":-5"#,
        r#""expires_in":"soon""#,
        r#""expires_at":"9999-12-31T23:59:59Z""#,
        r#""expires":99999999999999999999"#,
        r#""expires":18446744073709551615"#,
    ];
    for expiry in expiries {
        let url = url.clone();
        let s = Stack::start_with(small(), move |c| c.tenants[0].token_url = url).await;
        // A real sandbox token, with the absurd expiry.
        let token = s.sandbox.issue_token(
            harvest_sandbox::DEFAULT_CLIENT_ID,
            harvest_sandbox::DEFAULT_ADMIN_USER_ID,
        );
        *answer.lock().unwrap() = (
            200,
            format!(r#"{{"access_token":"{token}","token_type":"Bearer",{expiry}}}"#),
        );
        hits.store(0, Ordering::SeqCst);
        for _ in 0..2 {
            let r = s.get("/v1/sources").await;
            assert_eq!(r.status, 200, "{expiry}: {}", r.text);
        }
        assert!(hits.load(Ordering::SeqCst) >= 1, "{expiry}");
        s.stop().await;
    }
}
