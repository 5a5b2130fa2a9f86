//! Bad input and upstream failures are answered in v1's error shape, with the right status.
use std::time::Duration;

use bytes::Bytes;
use harvest_tests::{KEY, SandboxConfig, Stack, basic, small};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn message(v: &Value) -> &str {
    v["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no v1 message in {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_failures_are_v1_401s() {
    let s = Stack::start(small()).await;
    for (auth, what) in [
        (None, "no auth"),
        (Some("Basic !!!notbase64".to_string()), "malformed base64"),
        (Some("Bearer abc".to_string()), "wrong scheme"),
        (Some("Basic".to_string()), "no credentials"),
        (Some(basic("not-a-known-key")), "unknown key"),
        (Some(basic("")), "empty key"),
    ] {
        let r = s
            .request("GET", "/v1/candidates", auth.as_deref(), &[], Bytes::new())
            .await;
        assert_eq!(r.status, 401, "{what}: {}", r.text);
        assert!(!message(&r.json()).is_empty(), "{what}");
        assert!(r.header("www-authenticate").is_some(), "{what}");
    }
    // v1 authenticates before routing: an unknown path without auth is 401, not 404.
    let r = s
        .request("GET", "/v1/nothing_here", None, &[], Bytes::new())
        .await;
    assert_eq!(r.status, 401);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_errors() {
    let s = Stack::start(small()).await;
    let r = s.get("/v1/nothing_here").await;
    assert_eq!((r.status, message(&r.json())), (404, "Resource not found"));
    let r = s.get("/v3/candidates").await;
    assert_eq!(r.status, 404);
    let r = s.get("/v1/candidates/abc").await;
    assert_eq!(r.status, 404, "a non-numeric id is not found: {}", r.text);
    let r = s.get("/v1/candidates/999999999").await;
    assert_eq!((r.status, message(&r.json())), (404, "Resource not found"));
    // A v2-only route is not served under /v1, and /v2 routes are served.
    let r = s
        .request(
            "PATCH",
            "/v2/users/disable",
            Some(&basic(KEY)),
            &[],
            Bytes::new(),
        )
        .await;
    // Served: a write without On-Behalf-Of is v1's 422, before anything is sent.
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "On-Behalf-Of", "{}", r.text);
    let r = s
        .request(
            "DELETE",
            "/v1/candidates",
            Some(&basic(KEY)),
            &[],
            Bytes::new(),
        )
        .await;
    // v1 knew no 405: a method it did not serve on a path was an unknown route.
    assert_eq!(r.status, 404, "{}", r.text);
    assert!(r.text.contains("v1 served GET, POST there"), "{}", r.text);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_v1_422s() {
    let s = Stack::start(small()).await;
    for q in [
        "page=0",
        "page=-1",
        "page=abc",
        "page=99999999999999999999999",
        "per_page=0",
        "per_page=501",
        "per_page=ten",
        "created_after=yesterday",
        "updated_before=2024-13-45",
        "created_after=2024-01-01T25:00:00Z",
        "candidate_ids=1,two",
        "job_id=five",
    ] {
        let r = s.get(&format!("/v1/candidates?{q}")).await;
        assert_eq!(r.status, 422, "{q}: {}", r.text);
        let v = r.json();
        assert_eq!(v["message"], "Validation error", "{q}");
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{q}: {v}"
        );
        assert!(v["errors"][0]["field"].is_string(), "{q}: {v}");
    }
    let ids: Vec<String> = (1..=51).map(|i| i.to_string()).collect();
    let r = s
        .get(&format!("/v1/candidates?candidate_ids={}", ids.join(",")))
        .await;
    assert_eq!(r.status, 422, "more than 50 ids");
    // Unknown parameters are ignored, as v1 did.
    let r = s.get("/v1/candidates?per_page=2&colour=blue").await;
    assert_eq!(r.status, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_and_bodies_and_slow_clients() {
    let s = Stack::start_with(small(), |c| {
        c.limits.max_body_bytes = 1024;
        c.limits.header_read_timeout = Duration::from_millis(500);
    })
    .await;
    let big = "x".repeat(20_000);
    let r = s
        .request(
            "GET",
            "/v1/users",
            Some(&basic(KEY)),
            &[("X-Big", big.as_str())],
            Bytes::new(),
        )
        .await;
    assert!(
        r.status == 431 || r.status == 400,
        "oversized header block: {}",
        r.status
    );
    let r = s
        .request(
            "POST",
            "/v1/candidates",
            Some(&basic(KEY)),
            &[],
            Bytes::from(vec![b'a'; 4096]),
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(message(&r.json()).contains("larger than 1024"));
    // A client that sends half a request line and stalls is cut off.
    let mut tcp = tokio::net::TcpStream::connect(s.proxy.addr).await.unwrap();
    tcp.write_all(b"GET /v1/users HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the proxy must close a stalled connection");
    // A body announced but never sent.
    let mut tcp = tokio::net::TcpStream::connect(s.proxy.addr).await.unwrap();
    let head = format!(
        "POST /v1/candidates HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: 500\r\n\r\nabc",
        basic(KEY)
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut buf))
        .await
        .expect("answered or closed in time");
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    // The proxy still serves after all this.
    assert_eq!(s.get("/v1/users?per_page=1").await.status, 200);
    s.stop().await;
}

/// v3's refusals and a failed join (the transport faults, 5xx, malformed bodies and 429s are
/// rows of tests/tests/fault_matrix.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_refusals_and_failed_joins_map_to_v1_errors() {
    let s = Stack::start(small()).await;
    // v3 403 (scope) stays 403.
    s.sandbox
        .faults()
        .set_spec("/v3/sources=always:403")
        .unwrap();
    assert_eq!(s.get("/v1/sources").await.status, 403);
    s.sandbox.faults().clear();
    // A join failing fails the whole answer (never a 200 with a partial body).
    s.sandbox
        .faults()
        .set_spec("/v3/job_owners=always:500")
        .unwrap();
    let r = s.get("/v1/jobs?per_page=5").await;
    assert_eq!(r.status, 502, "{}", r.text);
    s.sandbox.faults().clear();
    assert_eq!(s.get("/v1/jobs?per_page=5").await.status, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untranslatable_record_is_a_502_naming_route_and_id() {
    let mut cfg = SandboxConfig {
        replace_data: true,
        ..Default::default()
    };
    cfg.extra_records.insert(
        "/v3/offers".into(),
        vec![serde_json::json!({
            "id": 777, "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z",
            "version": 1, "application_id": 1, "job_id": 2, "candidate_id": 3, "opening_id": null,
            "status": "Withdrawn", "starts_on": null, "sent_on": null, "resolved_at": null, "custom_fields": {}
        })],
    );
    let s = Stack::start(cfg).await;
    let r = s.get("/v1/offers/777").await;
    assert_eq!(r.status, 502, "{}", r.text);
    let m = message(&r.json()).to_string();
    assert!(
        m.contains("GET /v1/offers/{id}") && m.contains("777"),
        "{m}"
    );
    s.stop().await;
}

/// A mapping directory whose one write is unsupported (every write of the embedded files is
/// served).
fn unsupported_write_mappings() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("harvest-unsupported-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("candidates.toml"),
        r#"
[[endpoint]]
name = "Anonymize Candidate"
method = "PUT"
path = "/v1/candidates/{id}/anonymize"
versions = ["v1"]
status = "unsupported"
reason = "kept unsupported by this test"
instead = "Call PATCH /v3/candidates/{id}/anonymize with a JSON body."

[[endpoint.v3]]
method = "PATCH"
path = "/v3/candidates/{id}/anonymize"
"#,
    )
    .unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsupported_write_names_the_v3_route_to_use_instead() {
    let dir = unsupported_write_mappings();
    let s = Stack::start_with(small(), |c| c.mappings = Some(dir.clone())).await;
    let r = s
        .request(
            "PUT",
            "/v1/candidates/1/anonymize",
            Some(&basic(KEY)),
            &[("On-Behalf-Of", "1")],
            Bytes::from_static(b"{}"),
        )
        .await;
    assert_eq!(r.status, 501, "{}", r.text);
    assert!(
        message(&r.json()).contains("/v3/candidates/{id}/anonymize"),
        "{}",
        r.text
    );
    assert_eq!(s.sandbox.stats().writes(), 0);
    s.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
