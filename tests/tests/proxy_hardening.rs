//! Hostile and careless clients at the HTTP layer (issue 9): idle sockets, connection limits,
//! unauthenticated bodies, crafted `Host` headers, requests the HTTP layer refuses, ids out
//! of range, request ids. Outcomes are asserted; timeouts only keep a test from hanging.
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use harvest_tests::{KEY, Stack, basic, raw, small};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Waits (at most 10 s) for the proxy to close `tcp`; true if it did.
async fn closed_by_proxy(tcp: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    read.await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifteen_hundred_idle_sockets_do_not_keep_a_client_out() {
    let s = Stack::start(small()).await;
    let mut idle = Vec::new();
    for _ in 0..1500 {
        idle.push(TcpStream::connect(s.proxy.addr).await.expect("connect"));
    }
    // A legitimate client, from the same address as the 1,500, is served at once.
    let r = s.get("/v1/users?per_page=1").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let limits = &s.state.config.limits;
    assert!(
        s.proxy.open_connections() <= limits.max_connections_per_ip,
        "the per-IP limit holds: {} open",
        s.proxy.open_connections()
    );
    assert!(
        s.proxy.evicted_connections() >= (1500 - limits.max_connections_per_ip) as u64,
        "idle sockets were closed to make room: {}",
        s.proxy.evicted_connections()
    );
    assert!(
        closed_by_proxy(&mut idle[0]).await,
        "the longest-idle socket is the one closed"
    );
    drop(idle);
    s.stop().await;
}

/// The idle timeout, not the header timeout, bounds the wait between requests on a keep-alive
/// connection (hyper's header timer also runs while a connection waits for its next request:
/// alone, it closed every keep-alive connection idle for the header timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keep_alive_connection_lives_out_its_idle_timeout() {
    let s = Stack::start_with(small(), |c| {
        c.limits.header_read_timeout = Duration::from_millis(300);
        c.limits.idle_timeout = Duration::from_millis(3000);
    })
    .await;
    let mut ka = TcpStream::connect(s.proxy.addr).await.unwrap();
    let mut buf = vec![0u8; 4096];
    for round in 0..2 {
        ka.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let n = tokio::time::timeout(Duration::from_secs(10), ka.read(&mut buf))
            .await
            .expect("answered")
            .unwrap();
        let head = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "request {round}: {head:?}"
        );
        // Three header timeouts of quiet, well within the idle timeout.
        tokio::time::sleep(Duration::from_millis(900)).await;
    }
    // Quiet past the idle timeout: closed.
    let started = std::time::Instant::now();
    assert!(closed_by_proxy(&mut ka).await, "closed once idle");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "not before the idle timeout"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_silent_from_accept_and_idle_keep_alives_are_closed() {
    let s = Stack::start_with(small(), |c| {
        c.limits.header_read_timeout = Duration::from_millis(300);
        c.limits.idle_timeout = Duration::from_millis(300);
    })
    .await;
    // Sends nothing at all: closed by the header timeout, counted from accept.
    let mut silent = TcpStream::connect(s.proxy.addr).await.unwrap();
    assert!(
        closed_by_proxy(&mut silent).await,
        "a silent socket is closed"
    );
    // Half a request head, then nothing.
    let mut half = TcpStream::connect(s.proxy.addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();
    assert!(
        closed_by_proxy(&mut half).await,
        "a stalled head is cut off"
    );
    // A keep-alive connection that goes quiet after an answer.
    let mut ka = TcpStream::connect(s.proxy.addr).await.unwrap();
    ka.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), ka.read(&mut buf))
        .await
        .expect("answered")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        closed_by_proxy(&mut ka).await,
        "an idle keep-alive connection is closed"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_connection_limit_a_busy_proxy_answers_503_with_retry_after() {
    let s = Arc::new(
        Stack::start_with(small(), |c| {
            c.limits.max_connections_per_ip = 2;
            c.limits.connection_wait = Duration::from_millis(100);
            c.limits.served_grace = Duration::from_secs(2);
        })
        .await,
    );
    s.sandbox
        .faults()
        .set_spec("/v3/sources=always:delay:1500")
        .unwrap();
    // Two different v3 pages (blocks of 498 and 497 rows; identical v3 GETs would be one call).
    let slow: Vec<_> = [3, 7]
        .into_iter()
        .map(|n| {
            let s = s.clone();
            tokio::spawn(async move { s.get(&format!("/v1/sources?per_page={n}")).await.status })
        })
        .collect();
    // Both slots busy: their requests are at v3.
    for _ in 0..200 {
        let at_v3 = s.sandbox.stats().by_route.get("GET /v3/sources").copied();
        if at_v3 == Some(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let r = raw(s.proxy.addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("an answer, not a silent close");
    assert_eq!(r.status, 503, "{r:?}");
    assert!(r.head.contains("\r\nretry-after: 1"), "{}", r.head);
    assert!(r.v1_message().contains("Retry-After"), "{}", r.body);
    for t in slow {
        assert_eq!(t.await.unwrap(), 200, "busy connections are never cut");
    }
    s.sandbox.faults().clear();
    // Their connections are now idle in the client's pool, within the grace after a request
    // (their client may be sending the next one): a new connection is still refused ...
    let r = raw(s.proxy.addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(r.status, 503, "{r:?}");
    // ... and once the grace is over, one makes room and is served.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let r = raw(
        s.proxy.addr,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_bodies_are_answered_401_without_being_read() {
    let s = Stack::start(small()).await;
    let wrong = format!("Authorization: {}\r\n", basic("not-a-key"));
    let cases = [
        ("no key", String::new(), "Content-Length: 1048576\r\n"),
        ("wrong key", wrong.clone(), "Content-Length: 1048576\r\n"),
        (
            "expect 100-continue",
            String::new(),
            "Content-Length: 1048576\r\nExpect: 100-continue\r\n",
        ),
        ("chunked", wrong, "Transfer-Encoding: chunked\r\n"),
    ];
    for (name, auth, framing) in cases {
        // Only the head is sent: the answer cannot depend on the body.
        let head = format!("POST /v1/candidates HTTP/1.1\r\nHost: x\r\n{auth}{framing}\r\n");
        let r = raw(s.proxy.addr, head.as_bytes())
            .await
            .unwrap_or_else(|| panic!("{name}: no answer"));
        assert_eq!(r.status, 401, "{name}: {r:?}");
        assert!(!r.head.contains("100 continue"), "{name}: {}", r.head);
        assert!(r.head.contains("connection: close"), "{name}: {}", r.head);
        assert!(r.v1_message().contains("Basic"), "{name}: {}", r.body);
    }
    // With the key, the same head is read on (the body never comes: 408 or a close).
    let head = format!(
        "POST /v1/candidates HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: 10\r\n\r\nabc",
        basic(KEY)
    );
    let r = raw(s.proxy.addr, head.as_bytes()).await;
    assert!(r.as_ref().is_none_or(|r| r.status == 408), "{r:?}");
    s.stop().await;
}

/// The rels and targets of a Link header.
fn rels(link: &str) -> Vec<(String, String)> {
    link.split(", ")
        .map(|part| {
            let (url, rel) = part.split_once("; ").unwrap_or((part, ""));
            (url.to_string(), rel.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_never_come_from_a_host_the_client_chose() {
    let s = Stack::start_with(small(), |c| {
        c.allowed_hosts = vec!["proxy.example.com".into()]
    })
    .await;
    let auth = basic(KEY);
    let get = |host: &'static str| {
        let s = &s;
        let auth = auth.clone();
        async move {
            s.request(
                "GET",
                "/v1/users?per_page=2&page=2",
                Some(&auth),
                &[("Host", host)],
                Bytes::new(),
            )
            .await
        }
    };
    let own = format!("<http://{}/v1/users?", s.proxy.addr);
    let r = get("proxy.example.com").await;
    let link = r.header("link").expect("a Link");
    assert!(
        link.starts_with("<http://proxy.example.com/v1/users?"),
        "allow-listed Host: {link}"
    );
    for host in [
        "evil.example.com",
        "x>; rel=\"last\", <http://evil.example.com",
    ] {
        let r = get(host).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let link = r.header("link").expect("a Link");
        let parts = rels(&link);
        // next, prev and the proxy's own last (7 pages of 2 users): nothing the Host added.
        assert_eq!(parts.len(), 3, "{link}");
        for (url, rel) in &parts {
            assert!(url.starts_with(&own), "{host}: {link}");
            assert!(
                rel == "rel=\"next\"" || rel == "rel=\"prev\"" || rel == "rel=\"last\"",
                "{link}"
            );
        }
        assert_eq!(link.matches("rel=\"last\"").count(), 1, "{link}");
        assert!(!link.contains("evil"), "{link}");
    }
    // No Host at all (HTTP/1.0): still a Link, so a client can follow the pages.
    let head = format!(
        "GET /v1/users?per_page=2 HTTP/1.0\r\nAuthorization: {}\r\n\r\n",
        basic(KEY)
    );
    let r = raw(s.proxy.addr, head.as_bytes()).await.unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let link = r
        .head
        .lines()
        .find_map(|l| l.strip_prefix("link: "))
        .expect("a Link without Host")
        .to_string();
    assert!(
        link.starts_with(&own) && link.contains("rel=\"next\""),
        "{link}"
    );
    s.stop().await;

    let s = Stack::start_with(small(), |c| {
        c.public_url = Some("https://legacy.example.com/harvest".into())
    })
    .await;
    let r = s
        .request(
            "GET",
            "/v1/users?per_page=2",
            Some(&basic(KEY)),
            &[("Host", "evil.example.com")],
            Bytes::new(),
        )
        .await;
    let next = r.link("next").expect("next");
    assert!(
        next.starts_with("https://legacy.example.com/harvest/v1/users?"),
        "{next}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_the_http_layer_refuses_get_v1_json_answers() {
    let s = Stack::start(small()).await;
    let many: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let big = format!(
        "GET /v1/users HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "x".repeat(40_000)
    );
    let chunked = format!(
        "POST /v1/candidates HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        basic(KEY)
    );
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("bad request line", b"NOT HTTP AT ALL\r\n\r\n".to_vec(), 400),
        (
            "bad header line",
            b"GET /v1/users HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n".to_vec(),
            400,
        ),
        ("oversized header block", big.into_bytes(), 431),
        (
            "too many headers",
            format!("GET /v1/users HTTP/1.1\r\nHost: x\r\n{many}\r\n").into_bytes(),
            431,
        ),
        ("malformed chunked body", chunked.into_bytes(), 400),
    ];
    for (name, request, status) in cases {
        let r = raw(s.proxy.addr, &request)
            .await
            .unwrap_or_else(|| panic!("{name}: no answer"));
        assert_eq!(r.status, status, "{name}: {r:?}");
        let m = r.v1_message();
        assert!(!m.is_empty(), "{name}");
    }
    assert_eq!(s.get("/v1/users?per_page=1").await.status, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_beyond_i64_are_404_as_in_v1() {
    let s = Stack::start(small()).await;
    for path in [
        "/v1/candidates/9223372036854775808",
        "/v1/candidates/99999999999999999999",
        "/v1/users/18446744073709551616",
        "/v1/candidates/9223372036854775807",
    ] {
        let r = s.get(path).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        assert_eq!(r.json()["message"], "Resource not found", "{path}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id() {
    let s = Stack::start(small()).await;
    let mut seen = std::collections::BTreeSet::new();
    for (path, auth) in [
        ("/v1/users?per_page=1", Some(basic(KEY))),
        ("/v1/users", None),
        ("/v1/nothing", Some(basic(KEY))),
        ("/healthz", None),
    ] {
        let r = s
            .request("GET", path, auth.as_deref(), &[], Bytes::new())
            .await;
        let id = r.header("x-request-id").expect("X-Request-Id");
        assert!(
            id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        seen.insert(id);
    }
    assert_eq!(seen.len(), 4, "ids are distinct");
    let echo = |id: &'static str| {
        let s = &s;
        async move {
            s.request(
                "GET",
                "/healthz",
                None,
                &[("X-Request-Id", id)],
                Bytes::new(),
            )
            .await
            .header("x-request-id")
        }
    };
    assert_eq!(echo("lb-7f3a.1").await.as_deref(), Some("lb-7f3a.1"));
    let replaced = echo("bad id <script>").await.unwrap();
    assert_eq!(replaced.len(), 16, "an unusable id is replaced: {replaced}");
    s.stop().await;
}

/// Admission control: beyond the requests in flight allowed (and a full queue), requests are
/// answered at once — 503 for the proxy, 429 for a tenant over its share — with `Retry-After`
/// in v1's shape; the requests let in are served, and no other error is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_in_flight_bound_are_answered_503_or_429_with_retry_after() {
    for (global, per_tenant, want) in [(2, 8, 503), (8, 2, 429)] {
        let s = Arc::new(
            Stack::start_with(small(), |c| {
                c.limits.admission.in_flight = global;
                c.limits.admission.in_flight_per_tenant = per_tenant;
                c.limits.admission.queue = 1;
                c.limits.admission.queue_wait = Duration::from_millis(200);
            })
            .await,
        );
        s.sandbox
            .faults()
            .set_spec("/v3/sources=always:delay:1000")
            .unwrap();
        // Twelve different reads (identical reads in flight would share one slot).
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    let r = s.get(&format!("/v1/sources?per_page={}", i + 1)).await;
                    let after = r.header("retry-after");
                    let message = (r.status != 200)
                        .then(|| r.json()["message"].as_str().unwrap_or_default().to_string());
                    (r.status, after, message)
                })
            })
            .collect();
        let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
        for t in tasks {
            let (status, after, message) = t.await.unwrap();
            *by_status.entry(status).or_default() += 1;
            if status != 200 {
                assert_eq!(status, want, "only {want} beyond the bound");
                assert!(after.is_some_and(|a| a.parse::<u64>().is_ok_and(|n| n >= 1)));
                assert!(message.unwrap().contains("Retry-After"));
            }
        }
        // At most the bound plus the one queued request got in; the rest were refused. A
        // page of sources (one v3 list, memoised) is a light read: a quarter of a slot.
        let bound = global.min(per_tenant) * harvest_proxy::admission::LIGHT_PER_SLOT;
        let served = by_status.get(&200).copied().unwrap_or(0);
        assert!(served >= 1 && served <= bound + 1, "{by_status:?}");
        assert!(by_status.get(&want).copied().unwrap_or(0) >= 12 - bound - 1);
        assert!(
            s.sandbox
                .stats()
                .by_route
                .get("GET /v3/sources")
                .copied()
                .unwrap_or(0)
                <= served as u64,
            "a refused request makes no v3 call"
        );
        s.sandbox.faults().clear();
        assert_eq!(
            s.get("/v1/sources").await.status,
            200,
            "slots are given back"
        );
        Arc::try_unwrap(s).ok().expect("one owner").stop().await;
    }
}

/// Identical v3 GETs in flight at the same time are made once: 20 clients asking for the same
/// page at once cost one v3 call, and each gets the whole answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_concurrent_reads_are_coalesced_into_one_v3_call() {
    let s = Arc::new(Stack::start(small()).await);
    let alone = s.get("/v1/sources?per_page=5").await;
    assert_eq!(alone.status, 200);
    let before = s
        .sandbox
        .stats()
        .by_route
        .get("GET /v3/sources")
        .copied()
        .unwrap_or(0);
    s.sandbox
        .faults()
        .set_spec("/v3/sources=always:delay:500")
        .unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                let r = s.get("/v1/sources?per_page=5").await;
                (r.status, r.json())
            })
        })
        .collect();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!((status, &body), (200, &alone.json()));
    }
    let made = s
        .sandbox
        .stats()
        .by_route
        .get("GET /v3/sources")
        .copied()
        .unwrap_or(0)
        - before;
    // One call, or very few if a request arrived after the first call was answered.
    assert!(
        (1..=3).contains(&made),
        "{made} v3 calls for 20 identical requests"
    );
    s.sandbox.faults().clear();
    Arc::try_unwrap(s).ok().expect("one owner").stop().await;
}

/// 20 clients asking at once for the same joined page, with 2 admission slots for the tenant
/// and no queue: sharing off, most are refused (429 with `Retry-After`); sharing on, every
/// one gets the page, translated once, one v3 list call among them all; with room for only
/// 5 waiters, the rest are refused.
async fn burst_of_identical_reads(share: bool, waiters: usize) -> (usize, Vec<String>, u64) {
    let s = Arc::new(
        Stack::start_with(small(), |c| {
            c.limits.admission.in_flight_per_tenant = 2;
            c.limits.admission.queue = 0;
            c.limits.admission.sharing_per_tenant = waiters;
            c.cache.share_reads = share;
        })
        .await,
    );
    let page = "/v1/candidates?per_page=5";
    let alone = s.get(page).await;
    assert_eq!(alone.status, 200, "{}", alone.text);
    let calls = |s: &Stack| {
        s.sandbox
            .stats()
            .by_route
            .get("GET /v3/candidates")
            .copied()
            .unwrap_or(0)
    };
    let before = calls(&s);
    // Each v3 list call is answered 500 ms late: the 20 reads overlap.
    s.sandbox
        .faults()
        .set_spec("GET /v3/candidates=always:delay:500")
        .unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                let r = s.get(page).await;
                (r.status, r.json(), r.header("Retry-After"))
            })
        })
        .collect();
    let (mut served, mut refused) = (0, Vec::new());
    for t in tasks {
        let (status, body, retry_after) = t.await.unwrap();
        match status {
            200 => {
                assert_eq!(body, alone.json(), "a shared answer is the whole page");
                served += 1;
            }
            429 => {
                assert!(retry_after.is_some(), "a refusal says when to come back");
                refused.push(body["message"].as_str().unwrap_or_default().to_string());
            }
            other => panic!("{other}: {body}"),
        }
    }
    let made = calls(&s) - before;
    s.sandbox.faults().clear();
    Arc::try_unwrap(s).ok().expect("one owner").stop().await;
    (served, refused, made)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_reads_in_flight_share_one_slot_and_one_answer() {
    let (served, refused, made) = burst_of_identical_reads(true, 192).await;
    assert_eq!((served, refused.len()), (20, 0), "every read is served");
    assert!(
        (1..=3).contains(&made),
        "{made} v3 list calls for 20 identical reads"
    );
    let (served, refused, _) = burst_of_identical_reads(false, 192).await;
    assert!(
        refused.len() >= 10 && served + refused.len() == 20,
        "sharing off: {served} served, {refused:?}"
    );
    assert!(
        refused.iter().all(|m| m.contains("in flight")),
        "{refused:?}"
    );
    // The first (one slot) and 5 waiters, and perhaps one more that found no read in flight
    // and took the second slot.
    let (served, refused, _) = burst_of_identical_reads(true, 5).await;
    assert!(
        (6..=7).contains(&served) && served + refused.len() == 20,
        "5 waiters: {served} served, {refused:?}"
    );
    assert!(
        refused
            .iter()
            .all(|m| m.contains("waiting for an identical read") && m.contains("(5)")),
        "{refused:?}"
    );
}

/// A read asked after a write through the proxy never gets the answer of a read begun before
/// it, even while that one is still in flight: the write starts a new generation, and neither
/// the legacy read nor its v3 calls are shared across generations (the v3 GET used to be).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_after_a_write_is_not_shared_with_one_begun_before_it() {
    let s = Arc::new(Stack::start(small()).await);
    let page = "/v1/candidates?per_page=5";
    let first = s.get(page).await.json();
    let id = first[0]["id"].as_i64().unwrap();
    // The next list call is read at once and answered 800 ms later.
    s.sandbox
        .faults()
        .set_spec("GET /v3/candidates=applied-delay:800")
        .unwrap();
    let s2 = s.clone();
    let before = tokio::spawn(async move { s2.get(page).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let w = s
        .write(
            "PATCH",
            &format!("/v1/candidates/{id}"),
            Some(&harvest_sandbox::DEFAULT_ADMIN_USER_ID.to_string()),
            &serde_json::json!({"first_name": "Renamed-While-Read"}),
        )
        .await;
    assert_eq!(w.status, 200, "{}", w.text);
    assert!(
        !before.is_finished(),
        "the earlier read is still in flight when the later one is asked"
    );
    let after = s.get(page).await;
    assert_eq!(after.status, 200, "{}", after.text);
    assert_eq!(after.json()[0]["first_name"], "Renamed-While-Read");
    let earlier = before.await.unwrap();
    assert_eq!(earlier.status, 200);
    assert_ne!(
        earlier.json()[0]["first_name"],
        "Renamed-While-Read",
        "the earlier read had read the list before the write"
    );
    s.sandbox.faults().clear();
    Arc::try_unwrap(s).ok().expect("one owner").stop().await;
}

/// A burst of new connections, each writing its request at once, larger than the number of
/// connections allowed to wait for a slot (256): every one gets an answer (200, or 503/429
/// with `Retry-After`), none is closed after sending its request (it used to be, unanswered).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_connections_is_answered_never_cut_off() {
    let s = Stack::start(small()).await;
    let addr = s.proxy.addr;
    let req = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
        basic(KEY)
    );
    let tasks: Vec<_> = (0..700)
        .map(|_| {
            let req = req.clone();
            tokio::spawn(async move {
                let mut tcp = TcpStream::connect(addr).await.ok()?;
                tcp.write_all(req.as_bytes()).await.ok()?;
                let mut out = Vec::new();
                let _ =
                    tokio::time::timeout(Duration::from_secs(30), tcp.read_to_end(&mut out)).await;
                Some(String::from_utf8_lossy(&out).to_string())
            })
        })
        .collect();
    let mut unanswered = 0;
    for t in tasks {
        let answer = t.await.unwrap().unwrap_or_default();
        let ok = answer.starts_with("HTTP/1.1 200")
            || ((answer.starts_with("HTTP/1.1 503") || answer.starts_with("HTTP/1.1 429"))
                && answer.to_ascii_lowercase().contains("\r\nretry-after:"));
        if !ok {
            unanswered += 1;
        }
    }
    assert_eq!(unanswered, 0, "connections cut off or badly answered");
    s.stop().await;
}
