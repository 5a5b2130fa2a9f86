//! HTTP/2 stream cap (issue 9): one connection may not have more than
//! `max_streams_per_connection` requests in the proxy at once. The proxy says so in its SETTINGS
//! frame, and a client that opens many streams on one connection gets every answer while the
//! proxy never holds more than the cap of them.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use harvest_tests::{KEY, Stack, basic, small};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CAP: u32 = 4;

async fn start() -> Stack {
    Stack::start_with(small(), |c| {
        c.limits.max_streams_per_connection = CAP;
        // Admission far above the cap, so the cap is what holds requests back.
        c.limits.admission.in_flight = 256;
        c.limits.admission.in_flight_per_tenant = 256;
    })
    .await
}

/// The server's first SETTINGS frame, as (identifier, value) pairs, read off the wire.
async fn server_settings(addr: std::net::SocketAddr) -> Vec<(u16, u32)> {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    // Client preface and an empty SETTINGS frame (length 0, type 4, flags 0, stream 0).
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    tcp.write_all(&hello).await.unwrap();
    let mut head = [0u8; 9];
    tokio::time::timeout(Duration::from_secs(10), tcp.read_exact(&mut head))
        .await
        .expect("the proxy sends its SETTINGS")
        .unwrap();
    let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    assert_eq!(head[3], 4, "the first frame is SETTINGS");
    assert!(
        len.is_multiple_of(6) && len <= 16_384,
        "SETTINGS length {len}"
    );
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload).await.unwrap();
    payload
        .chunks(6)
        .map(|c| {
            (
                u16::from_be_bytes([c[0], c[1]]),
                u32::from_be_bytes([c[2], c[3], c[4], c[5]]),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_advertises_its_stream_cap() {
    let s = start().await;
    let settings = server_settings(s.proxy.addr).await;
    // SETTINGS_MAX_CONCURRENT_STREAMS is identifier 3.
    let cap = settings.iter().find(|(id, _)| *id == 3).map(|(_, v)| *v);
    assert_eq!(cap, Some(CAP), "settings {settings:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_streams_on_one_connection_are_all_answered_never_more_than_the_cap_at_once() {
    let s = start().await;
    // Every v3 call is slow, so that the streams overlap in the proxy.
    s.sandbox
        .faults()
        .set_spec("/v3/*=always:delay:150")
        .unwrap();
    let tcp = tokio::net::TcpStream::connect(s.proxy.addr).await.unwrap();
    let (send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        TokioIo::new(tcp),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    // One round trip first: by its answer the client has the proxy's SETTINGS and holds
    // streams beyond the cap back itself. (Streams opened beyond the cap before the SETTINGS
    // arrive are reset with REFUSED_STREAM, unprocessed and safe to retry: RFC 9113 §8.7.)
    let first = hyper::Request::get("/v1/users?per_page=1")
        .header("Authorization", basic(KEY))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = send.clone().send_request(first).await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.into_body().collect().await.unwrap();
    // Watch the proxy's requests in flight while the streams run.
    let peak = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (state, peak, done) = (s.state.clone(), peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(state.admission.in_flight(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    let streams = 60;
    let mut tasks = Vec::new();
    for i in 0..streams {
        let mut send = send.clone();
        tasks.push(tokio::spawn(async move {
            // Distinct first pages, so no two requests share one read, and each asks v3.
            let req = hyper::Request::get(format!("/v1/users?per_page={}", i + 1))
                .header("Authorization", basic(KEY))
                .body(Full::new(Bytes::new()))
                .unwrap();
            let resp = send.send_request(req).await.expect("answered");
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            (status, body)
        }));
    }
    let mut statuses = std::collections::BTreeMap::new();
    for t in tasks {
        let (status, body) = tokio::time::timeout(Duration::from_secs(120), t)
            .await
            .expect("every stream is answered")
            .unwrap();
        assert!(
            serde_json::from_slice::<serde_json::Value>(&body).is_ok(),
            "a JSON answer: {status} {body:?}"
        );
        *statuses.entry(status).or_insert(0) += 1;
    }
    done.store(true, Ordering::Relaxed);
    watcher.await.unwrap();
    assert_eq!(statuses.get(&200), Some(&streams), "{statuses:?}");
    let peak = peak.load(Ordering::Relaxed);
    assert!(
        peak <= CAP as usize,
        "{peak} requests of one connection in flight at once, cap {CAP}"
    );
    assert!(peak >= 2, "the streams never overlapped (peak {peak})");
    s.stop().await;
}
