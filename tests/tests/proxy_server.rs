//! The server layer: TLS with HTTP/2 (ALPN), h2c, /healthz /readyz /metrics, graceful shutdown.
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use harvest_tests::{KEY, Stack, basic, small};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_http2_over_alpn() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!("hb-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let (c2, k2) = (cert_path.clone(), key_path.clone());
    let s = Stack::start_with(small(), move |c| {
        c.tls = Some(harvest_proxy::config::TlsConfig { cert: c2, key: k2 })
    })
    .await;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let mut cfg = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tcp = tokio::net::TcpStream::connect(s.proxy.addr).await.unwrap();
    let tls = connector
        .connect(
            rustls_pki_types::ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .await
        .unwrap();
    assert_eq!(
        tls.get_ref().1.alpn_protocol(),
        Some(&b"h2"[..]),
        "HTTP/2 negotiated by ALPN"
    );
    let (mut send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        TokioIo::new(tls),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::get(format!(
        "https://localhost:{}/v1/users?per_page=2",
        s.proxy.addr.port()
    ))
    .header("Authorization", basic(KEY))
    .body(Full::new(Bytes::new()))
    .unwrap();
    let resp = send.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), hyper::Version::HTTP_2);
    let link = resp
        .headers()
        .get("link")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    // Without public_url or an allow-listed Host, links name the address connected to.
    assert!(
        link.starts_with(&format!("<https://{}/", s.proxy.addr)),
        "links keep the https scheme: {link}"
    );
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleartext_http2_prior_knowledge() {
    let s = Stack::start(small()).await;
    let tcp = tokio::net::TcpStream::connect(s.proxy.addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        TokioIo::new(tcp),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::get("/v1/sources")
        .header("Authorization", basic(KEY))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    assert_eq!(
        (resp.status().as_u16(), resp.version()),
        (200, hyper::Version::HTTP_2)
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics() {
    let s = Stack::start(small()).await;
    let r = s.request("GET", "/healthz", None, &[], Bytes::new()).await;
    assert_eq!(r.status, 200);
    let r = s.request("GET", "/readyz", None, &[], Bytes::new()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.get("/v1/users?per_page=3").await.status, 200);
    // Another page size: a new translation, so the reference data comes from its cache.
    assert_eq!(s.get("/v1/users?per_page=4").await.status, 200);
    assert_eq!(s.get("/v1/nothing").await.status, 404);
    let m = s.request("GET", "/metrics", None, &[], Bytes::new()).await;
    assert_eq!(m.status, 200);
    let text = m.text;
    assert!(
        text.contains("harvest_proxy_requests_total{route=\"GET /v1/users\",status=\"200\",key=\"sandbox-demo\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("harvest_proxy_token_fetches_total 1"),
        "{text}"
    );
    assert!(
        text.contains("harvest_proxy_upstream_calls_total{path=\"/v3/users\",status=\"200\"}"),
        "{text}"
    );
    assert!(
        text.contains("harvest_proxy_cache_total{cache=\"reference\",result=\"hit\"}"),
        "reference data is cached: {text}"
    );
    assert!(
        text.contains("harvest_proxy_request_duration_seconds_bucket"),
        "{text}"
    );
    for secret in [KEY, harvest_sandbox::DEFAULT_CLIENT_SECRET] {
        assert!(!text.contains(secret), "metrics must not leak secrets");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_open_requests() {
    let s = Arc::new(Stack::start(small()).await);
    s.sandbox
        .faults()
        .set_spec("/v3/sources=delay:700")
        .unwrap();
    let s2 = s.clone();
    let slow = tokio::spawn(async move { s2.get("/v1/sources").await.status });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = s.proxy.stopper().send(true);
    assert_eq!(slow.await.unwrap(), 200, "the request in flight completes");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = tokio::net::TcpStream::connect(s.proxy.addr).await;
    if let Ok(mut tcp) = refused {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let _ = tcp
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(2), tcp.read_to_end(&mut buf)).await;
        assert!(buf.is_empty(), "no new requests are served after shutdown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn translations_built_only_from_reference_data_are_memoised_by_content() {
    let s = Stack::start(small()).await;
    let first = s.get("/v1/users?per_page=5").await;
    let second = s.get("/v1/users?per_page=5").await;
    assert_eq!((first.status, second.status), (200, 200));
    assert_eq!(first.text, second.text, "same v3 page, same v1 page");
    assert_eq!(
        second.header("x-harvest-proxy-v3-calls").as_deref(),
        Some("1")
    );
    assert_eq!(second.header("link"), first.header("link"));
    let m = s
        .request("GET", "/metrics", None, &[], Bytes::new())
        .await
        .text;
    assert!(
        m.contains("harvest_proxy_cache_total{cache=\"translation\",result=\"hit\"} 1"),
        "{m}"
    );
    // When v3 answers something else, the page is translated again.
    let id = first.json()[0]["id"].as_i64().unwrap();
    s.sandbox.with_data_mut(|d| {
        d.modify("users", id, |u| {
            u.insert("first_name".into(), serde_json::json!("Renamed"));
        })
    });
    let third = s.get("/v1/users?per_page=5").await;
    assert_eq!(third.json()[0]["first_name"], "Renamed", "{}", third.text);
    // Joined routes that depend on live data are never memoised.
    let memoisable = |path: &str| {
        let c = s.state.catalog;
        c.is_memoisable(c.match_route("GET", path).unwrap().endpoint)
    };
    assert!(!memoisable("/v1/candidates"));
    assert!(memoisable("/v1/users"));
    s.stop().await;
}
