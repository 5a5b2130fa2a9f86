//! v1's answer rules, checked as general rules over every served list endpoint (not one
//! route), the freshness contract of walks, and what a walk costs in v3 calls against the
//! floor (every record it needs fetched once, 500 a call).
use std::collections::BTreeMap;
use std::time::Duration;

use harvest_mappings::{Catalog, Shape, Status};
use harvest_sandbox::{DEFAULT_ADMIN_USER_ID, SandboxConfig};
use harvest_tests::{KEY, Stack, basic, small};
use serde_json::{Value, json};

/// Every served GET list endpoint without path parameters.
fn lists() -> Vec<String> {
    let c = Catalog::embedded().unwrap();
    let mut out: Vec<String> = c
        .endpoints()
        .iter()
        .filter(|e| e.is_read() && e.status != Status::Unsupported && !e.path.contains('{'))
        .filter(|e| e.response.as_ref().is_none_or(|r| r.shape == Shape::List))
        .map(|e| e.path.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Paths (`a.b[2].c`) of references in `v` (objects held by a field) whose `id` is null.
fn dangling(v: &Value, at: &str, top: bool, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if !top && m.get("id").is_some_and(Value::is_null) {
                out.push(at.to_string());
            }
            for (k, x) in m {
                dangling(x, &format!("{at}.{k}"), false, out);
            }
        }
        // The elements of a list are records (v1's built-in scorecard rows have id null),
        // not references: only their fields are checked.
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                dangling(x, &format!("{at}[{i}]"), true, out);
            }
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_answers_with_v1_rate_headers_full_links_and_no_dangling_reference() {
    let s = Stack::start(small()).await;
    let mut failures = Vec::new();
    let paths = lists();
    assert!(paths.len() > 15, "{paths:?}");
    for path in &paths {
        let r = s.get(&format!("{path}?per_page=2")).await;
        if r.status != 200 {
            failures.push(format!("{path}: {} {}", r.status, r.text));
            continue;
        }
        for h in ["x-ratelimit-limit", "x-ratelimit-remaining"] {
            if r.header(h).is_none_or(|v| v.parse::<u64>().is_err()) {
                failures.push(format!("{path}: no {h}"));
            }
        }
        let mut refs = Vec::new();
        dangling(&r.json(), "", true, &mut refs);
        if !refs.is_empty() {
            failures.push(format!("{path}: objects with a null id at {refs:?}"));
        }
        if let Some(link) = r.header("link") {
            for part in link.split(',') {
                if !(part.contains("page=") && part.contains("per_page=2")) {
                    failures.push(format!("{path}: a Link without page and per_page: {part}"));
                }
            }
            // A list of one page says it is the last (v1 did, even on a single page).
            if r.link("next").is_none() && r.link("last").is_none() {
                failures.push(format!("{path}: last page without rel=\"last\": {link}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_the_rate_headers_too() {
    let s = Stack::start(small()).await;
    let unauthenticated = s
        .request("GET", "/v1/users", None, &[], bytes::Bytes::new())
        .await;
    let wrong_key = s
        .request(
            "GET",
            "/v1/users",
            Some(&basic("nope")),
            &[],
            bytes::Bytes::new(),
        )
        .await;
    let unknown = s.get("/v1/no_such_thing").await;
    let bad_param = s.get("/v1/users?per_page=abc").await;
    for (what, r) in [
        ("no key", unauthenticated),
        ("wrong key", wrong_key),
        ("unknown route", unknown),
        ("bad parameter", bad_param),
    ] {
        assert!(r.status >= 400, "{what}: {}", r.status);
        for h in ["x-ratelimit-limit", "x-ratelimit-remaining"] {
            assert!(
                r.header(h).is_some_and(|v| v.parse::<u64>().is_ok()),
                "{what}: no {h}: {:?}",
                r.headers
            );
        }
    }
    s.stop().await;
}

fn first_names(v: &Value) -> Vec<(i64, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_i64().unwrap(),
                c["first_name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The freshness contract (docs/proxy.md): page 1 of a list is always read from v3; the
/// pages its block holds are served from the block for at most the walk TTL; a client's
/// `Cache-Control: no-cache` reads v3 at once; a write through the proxy is seen at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_show_within_the_walk_ttl_at_once_with_no_cache_and_after_a_write() {
    let ttl = Duration::from_millis(1500);
    let s = Stack::start_with(small(), |c| c.cache.walk_ttl = ttl).await;
    let page2 = "/v1/candidates?per_page=5&page=2";
    s.get("/v1/candidates?per_page=5").await;
    let before = first_names(&s.get(page2).await.json());
    let (id, _) = before[0].clone();
    // A change made in v3 behind the proxy's back.
    s.sandbox.with_data_mut(|d| {
        d.modify("candidates", id, |c| {
            c.insert("first_name".into(), json!("Changed-In-V3"));
        })
        .expect("the candidate");
    });
    assert_eq!(
        first_names(&s.get(page2).await.json()),
        before,
        "within the TTL page 2 comes from its block (a consistent walk)"
    );
    let fresh = s
        .request(
            "GET",
            page2,
            Some(&basic(KEY)),
            &[("Cache-Control", "no-cache")],
            bytes::Bytes::new(),
        )
        .await;
    assert_eq!(
        first_names(&fresh.json())[0].1,
        "Changed-In-V3",
        "no-cache reads v3"
    );
    // A new walk (page 1) always reads v3.
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert_eq!(
        first_names(&s.get(page2).await.json())[0].1,
        "Changed-In-V3",
        "after the TTL the change shows"
    );
    // A write through the proxy is seen at once by a page cached a moment ago.
    s.get("/v1/candidates?per_page=5").await;
    s.get(page2).await;
    let w = s
        .write(
            "PATCH",
            &format!("/v1/candidates/{id}"),
            Some(&DEFAULT_ADMIN_USER_ID.to_string()),
            &json!({"first_name": "Written-Through-Proxy"}),
        )
        .await;
    assert_eq!(w.status, 200, "{}", w.text);
    assert_eq!(
        first_names(&s.get(page2).await.json())[0].1,
        "Written-Through-Proxy",
        "read-your-writes"
    );
    s.stop().await;
}

/// A walk of a joined list (every candidate, 100 a page, by `Link`) costs at most 1.5× the
/// floor: each v3 collection it reads, fetched once at 500 a call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_of_candidates_costs_at_most_one_and_a_half_times_the_floor() {
    let s = Stack::start(SandboxConfig {
        scale: 1.0,
        rate_limit: None,
        ..Default::default()
    })
    .await;
    s.sandbox.reset_stats();
    let mut next = Some(s.url("/v1/candidates?per_page=100"));
    let mut seen = 0;
    while let Some(u) = next {
        let r = s.get_url(&u).await;
        assert_eq!(r.status, 200, "{}", r.text);
        seen += r.json().as_array().unwrap().len();
        next = r.link("next");
    }
    assert_eq!(seen, s.sandbox.records("candidates").len());
    let stats = s.sandbox.stats();
    let mut per: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (route, n) in &stats.by_route {
        if let Some(p) = route.strip_prefix("GET /v3/") {
            let floor = (s.sandbox.records(p).len() as u64).div_ceil(500).max(1);
            per.insert(p.to_string(), (*n, floor));
        }
    }
    let calls: u64 = per.values().map(|v| v.0).sum();
    let floor: u64 = per.values().map(|v| v.1).sum();
    assert!(
        calls * 2 <= floor * 3,
        "{calls} v3 calls for a floor of {floor}: {per:?}"
    );
    s.stop().await;
}
