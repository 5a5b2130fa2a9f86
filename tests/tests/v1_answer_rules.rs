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

/// The ids of a v1 list answer.
fn ids(v: &Value) -> Vec<i64> {
    let mut out: Vec<i64> = v
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["id"].as_i64()).collect())
        .unwrap_or_default();
    out.sort_unstable();
    out
}

/// The values v1 documented for a list's optional last segment (a new `optional_last`
/// endpoint must say its values here).
fn segment_values(param: &str) -> &'static [&'static str] {
    match param {
        // v1's custom field types (shapes.md; v3 adds standard, compensation_frequency, form
        // and agency_question, which v1 never listed).
        "field_type" => &[
            "job",
            "candidate",
            "application",
            "offer",
            "opening",
            "rejection_question",
            "referral_question",
            "user_attribute",
        ],
        other => panic!("no v1 values known for the optional segment {{{other}}}"),
    }
}

/// A trailing slash never changes an answer, and a list whose last segment v1 let clients
/// leave off answers without it with every record the segment's values select.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailing_slashes_never_matter_and_optional_last_segments_may_be_left_off() {
    let s = Stack::start(small()).await;
    for path in lists() {
        let (a, b) = (
            s.get(&format!("{path}?per_page=3")).await,
            s.get(&format!("{path}/?per_page=3")).await,
        );
        assert_eq!(
            (a.status, a.json()),
            (b.status, b.json()),
            "{path} vs {path}/"
        );
    }
    let c = Catalog::embedded().unwrap();
    let optional: Vec<_> = c.endpoints().iter().filter(|e| e.optional_last).collect();
    assert!(!optional.is_empty());
    for e in optional {
        let (bare, param) = e.path.rsplit_once('/').unwrap();
        let param = param.trim_matches(['{', '}']);
        let all = s.get(&format!("{bare}?per_page=500")).await;
        assert_eq!(all.status, 200, "{bare}: {}", all.text);
        let slash = s.get(&format!("{bare}/?per_page=500")).await;
        assert_eq!(slash.json(), all.json(), "{bare}/");
        let mut union = Vec::new();
        for v in segment_values(param) {
            let one = s.get(&format!("{bare}/{v}?per_page=500")).await;
            assert_eq!(one.status, 200, "{bare}/{v}: {}", one.text);
            union.extend(ids(&one.json()));
        }
        union.sort_unstable();
        assert!(!union.is_empty(), "{bare}: the sandbox has records");
        assert_eq!(ids(&all.json()), union, "{bare} lists every v1 {param}");
    }
    s.stop().await;
}

/// v1's built-in scorecard rows (Key Take-Aways, Private Notes) always carried a text
/// answer: `""` when empty, on every endpoint that answers scorecards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_in_scorecard_rows_answer_empty_text_not_null() {
    let s = Stack::start(small()).await;
    let (scorecard, application) = s.sandbox.with_data_mut(|d| {
        let ids: Vec<i64> = d
            .table("scorecards")
            .expect("scorecards")
            .rows()
            .keys()
            .copied()
            .collect();
        for id in &ids {
            d.modify("scorecards", *id, |r| {
                r.insert("notes".into(), Value::Null);
                r.insert("private_notes".into(), Value::Null);
            })
            .expect("a scorecard");
        }
        let first = d.get("scorecards", ids[0]).expect("a scorecard");
        (
            ids[0],
            first["application_id"].as_i64().expect("its application"),
        )
    });
    let c = Catalog::embedded().unwrap();
    let routes: Vec<String> = c
        .endpoints()
        .iter()
        .filter(|e| {
            e.is_read()
                && e.response
                    .as_ref()
                    .is_some_and(|r| r.view == "scorecards.scorecard")
        })
        .map(|e| e.path.clone())
        .collect();
    assert!(routes.len() >= 3, "{routes:?}");
    for route in routes {
        let id = if route.starts_with("/v1/applications") {
            application
        } else {
            scorecard
        };
        let path = route.replace("{id}", &id.to_string());
        let r = s.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        let v = r.json();
        let cards = v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]);
        assert!(!cards.is_empty(), "{path}");
        for card in cards {
            let built_in: Vec<&Value> = card["questions"]
                .as_array()
                .expect("questions")
                .iter()
                .filter(|q| q["id"].is_null())
                .collect();
            assert_eq!(built_in.len(), 2, "{path}: {card}");
            for q in built_in {
                assert_eq!(q["answer"], json!(""), "{path}: {q}");
            }
        }
    }
    s.stop().await;
}

/// Applications embedded in a candidate carry what `/v1/applications/{id}` answers, custom
/// fields included, on every endpoint that embeds them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_applications_are_the_applications_v1_lists() {
    let s = Stack::start(small()).await;
    let list = s.get("/v1/candidates?per_page=10").await.json();
    let first = list[0]["id"].as_i64().unwrap();
    let one = s.get(&format!("/v1/candidates/{first}")).await.json();
    let mut seen = 0;
    for candidate in list.as_array().unwrap().iter().chain([&one]) {
        for app in candidate["applications"].as_array().expect("applications") {
            let alone = s.get(&format!("/v1/applications/{}", app["id"])).await;
            assert_eq!(alone.status, 200, "{}", alone.text);
            assert_eq!(app, &alone.json(), "candidate {}", candidate["id"]);
            assert!(app["custom_fields"].is_object() && app["keyed_custom_fields"].is_object());
            seen += 1;
        }
    }
    assert!(seen > 5, "{seen} applications checked");
    s.stop().await;
}
