//! Walking /v1/candidates by following Link returns every candidate exactly once; page N by
//! number works on a cold cache.
use std::collections::BTreeSet;

use harvest_tests::{SandboxConfig, Stack};

async fn walk(stack: &Stack, per_page: usize) -> (Vec<i64>, usize) {
    let mut ids = Vec::new();
    let mut next = Some(stack.url(&format!("/v1/candidates?per_page={per_page}")));
    let mut pages = 0;
    let mut last_said = None;
    while let Some(url) = next {
        let r = stack.get_url(&url).await;
        assert_eq!(r.status, 200, "{url}: {}", r.text);
        let page = r.json();
        let page = page.as_array().unwrap();
        assert!(page.len() <= per_page);
        ids.extend(page.iter().map(|c| c["id"].as_i64().unwrap()));
        // rel="last" once the proxy knows it (the walk's last block), and every link carries
        // page and per_page.
        if let Some(last) = r.link("last") {
            last_said = Some(last);
        }
        for rel in ["next", "prev", "last"] {
            if let Some(l) = r.link(rel) {
                assert!(
                    l.contains("page=") && l.contains(&format!("per_page={per_page}")),
                    "{l}"
                );
            }
        }
        if let Some(prev) = r.link("prev") {
            assert!(
                prev.starts_with("http://") && prev.contains(&format!("page={pages}")),
                "{prev}"
            );
        }
        next = r.link("next");
        pages += 1;
        assert!(pages < 5000);
    }
    let last = last_said.expect("the last pages of a walk say which is last");
    assert!(
        last.contains(&format!("page={pages}&")) || last.ends_with(&format!("page={pages}")),
        "{last} after {pages} pages"
    );
    (ids, pages)
}

fn expected(stack: &Stack) -> BTreeSet<i64> {
    stack
        .sandbox
        .records("candidates")
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_page_1_returns_every_candidate_once() {
    let stack = Stack::start(SandboxConfig {
        scale: 0.04,
        ..Default::default()
    })
    .await;
    let want = expected(&stack);
    assert!(want.len() > 10);
    let (ids, pages) = walk(&stack, 1).await;
    assert_eq!(pages, want.len());
    assert_eq!(ids.iter().copied().collect::<BTreeSet<_>>(), want);
    assert_eq!(ids.len(), want.len(), "a candidate came back twice");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_page_7_100_500_return_every_candidate_once() {
    let stack = Stack::start(SandboxConfig {
        scale: 0.6,
        ..Default::default()
    })
    .await;
    let want = expected(&stack);
    assert!(want.len() > 500, "need more than one page of 500");
    for per_page in [7, 100, 500] {
        let (ids, pages) = walk(&stack, per_page).await;
        assert_eq!(pages, want.len().div_ceil(per_page), "per_page={per_page}");
        assert_eq!(
            ids.len(),
            want.len(),
            "per_page={per_page}: duplicates or gaps"
        );
        assert_eq!(
            ids.iter().copied().collect::<BTreeSet<_>>(),
            want,
            "per_page={per_page}"
        );
        // v3 order (newest id first) is kept.
        assert!(
            ids.windows(2).all(|w| w[0] > w[1]),
            "per_page={per_page}: not newest first"
        );
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_n_by_number_works_cold_and_warm() {
    let config = || SandboxConfig {
        scale: 0.1,
        ..Default::default()
    };
    // Reference: page 5 reached by following links.
    let warm = Stack::start(config()).await;
    let (ids, _) = walk(&warm, 7).await;
    let want: Vec<i64> = ids[28..35].to_vec();
    let r = warm.get("/v1/candidates?per_page=7&page=5").await;
    let got: Vec<i64> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, want, "warm cache");
    warm.stop().await;

    // A fresh proxy has no cursor: it walks forward and still answers page 5 correctly.
    let cold = Stack::start(config()).await;
    let before = cold.sandbox.stats().count("GET", "/v3/candidates");
    let r = cold.get("/v1/candidates?per_page=7&page=5").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got: Vec<i64> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, want, "cold cache");
    let walked = cold.sandbox.stats().count("GET", "/v3/candidates") - before;
    assert_eq!(
        walked, 1,
        "page 5 cold is one v3 call: its block of 497 rows holds pages 1 to 71"
    );
    assert!(r.link("next").unwrap().contains("page=6"));
    assert!(r.link("prev").unwrap().contains("page=4"));
    // Now warm: page 6 starts from the cached cursor.
    let before = cold.sandbox.stats().count("GET", "/v3/candidates");
    let r6 = cold.get("/v1/candidates?per_page=7&page=6").await;
    assert_eq!(r6.status, 200);
    assert_eq!(
        cold.sandbox.stats().count("GET", "/v3/candidates") - before,
        0,
        "page 6 after page 5 comes from the same block"
    );
    // Past the end: an empty page, no next.
    let r = cold.get("/v1/candidates?per_page=500&page=9").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!([]));
    assert!(r.link("next").is_none());
    cold.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candidates_of_a_job_page_through_their_applications() {
    let stack = Stack::start(SandboxConfig {
        scale: 0.2,
        ..Default::default()
    })
    .await;
    let apps = stack.sandbox.records("applications");
    // The job with the most applicants.
    let mut counts = std::collections::BTreeMap::<i64, usize>::new();
    for a in &apps {
        if let Some(j) = a["job_id"].as_i64() {
            *counts.entry(j).or_default() += 1;
        }
    }
    let (&job, _) = counts.iter().max_by_key(|(_, n)| **n).unwrap();
    let want: BTreeSet<i64> = apps
        .iter()
        .filter(|a| a["job_id"].as_i64() == Some(job))
        .filter_map(|a| a["candidate_id"].as_i64())
        .collect();
    assert!(want.len() > 6, "need several pages");
    let mut got = Vec::new();
    let mut next = Some(stack.url(&format!("/v1/candidates?job_id={job}&per_page=3")));
    while let Some(url) = next {
        let r = stack.get_url(&url).await;
        assert_eq!(r.status, 200, "{}", r.text);
        for c in r.json().as_array().unwrap() {
            got.push(c["id"].as_i64().unwrap());
            assert!(c["application_ids"].as_array().unwrap().iter().any(|a| {
                apps.iter()
                    .any(|x| x["id"] == *a && x["job_id"].as_i64() == Some(job))
            }));
        }
        next = r.link("next");
    }
    assert_eq!(got.len(), want.len(), "each candidate once");
    assert_eq!(got.iter().copied().collect::<BTreeSet<_>>(), want);
    assert!(got.windows(2).all(|w| w[0] > w[1]), "newest first");
    stack.stop().await;
}

/// A page number far past anything walked (more than 100 blocks of 500 rows) is answered at
/// once with v1's 422 (never a walk proportional to the number), and the proxy keeps
/// answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_page_number_is_refused_not_walked() {
    let stack = Stack::start(SandboxConfig {
        scale: 0.04,
        ..Default::default()
    })
    .await;
    for (q, page) in [
        ("page=18446744073709551615", "18446744073709551615"),
        ("per_page=1&page=60000", "60000"),
    ] {
        let r = stack.get(&format!("/v1/users?{q}")).await;
        assert_eq!(r.status, 422, "{q}: {}", r.text);
        let body = r.json();
        assert_eq!(body["errors"][0]["field"], "page", "{}", r.text);
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("follow the `Link` header"), "{}", r.text);
        // The client's own page number, not the proxy's v3 block number.
        assert!(message.contains(&format!("page {page} is")), "{}", r.text);
        assert_eq!(r.header("x-harvest-proxy-v3-calls"), None);
    }
    let r = stack.get("/v1/users?per_page=2&page=2").await;
    assert_eq!(r.status, 200, "{}", r.text);
    stack.stop().await;
}
