//! 200 unauthenticated 1 MB uploads must not cost the proxy their size in memory (issue 9:
//! they cost ~200 MB that was never given back). Alone in its file: the RSS it reads is this
//! process's (proxy and sandbox in-process), with no other test running beside it.
use std::time::Duration;

use harvest_tests::{Stack, basic, parse_raw, small};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_megabyte_uploads_do_not_grow_memory() {
    let s = Stack::start(small()).await;
    let body = bytes::Bytes::from(vec![b'a'; 1024 * 1024]);
    // Warm up (allocator arenas, the runtime) before measuring.
    assert_eq!(s.get("/v1/users?per_page=1").await.status, 200);
    let before = rss_bytes();
    // All at once, as in the issue (200 concurrent uploads), half with no key, half a wrong one.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (addr, body) = (s.proxy.addr, body.clone());
        let auth = if i % 2 == 0 {
            String::new()
        } else {
            format!("Authorization: {}\r\n", basic("wrong-key"))
        };
        tasks.push(tokio::spawn(async move {
            let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let head = format!(
                "POST /v1/candidates HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = tcp.write_all(head.as_bytes()).await;
            // The proxy answers and closes without reading: the write may fail midway.
            let _ = tokio::time::timeout(Duration::from_secs(10), tcp.write_all(&body)).await;
            let mut buf = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut buf)).await;
            parse_raw(&buf).map(|r| r.status)
        }));
    }
    let mut answered_401 = 0;
    for t in tasks {
        if t.await.unwrap() == Some(401) {
            answered_401 += 1;
        }
    }
    let grown = rss_bytes().saturating_sub(before);
    assert!(
        grown < 64 * 1024 * 1024,
        "200 unauthenticated 1 MB bodies grew RSS by {} MB",
        grown / (1024 * 1024)
    );
    assert!(answered_401 > 0, "the refusals are 401s");
    assert_eq!(s.get("/v1/users?per_page=1").await.status, 200);
    s.stop().await;
}
