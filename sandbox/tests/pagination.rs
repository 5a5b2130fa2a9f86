//! Walking a collection by cursor returns every record exactly once, id descending, for
//! several page sizes; filters carried by the cursor stay applied.

mod common;

use serde_json::Value;

fn ids(v: &[Value]) -> Vec<i64> {
    v.iter().map(|r| r["id"].as_i64().expect("id")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_walks_are_complete_and_ordered() {
    let sb = common::start(common::small()).await;
    let token = common::admin_token(&sb).await;
    for (res, per_page) in [
        ("candidates", 1usize),
        ("candidates", 7),
        ("applications", 7),
        ("applications", 100),
        ("scorecard_question_answers", 100),
        ("scorecard_question_answers", 500),
        ("users", 1),
    ] {
        let expected = sb.records(res);
        assert!(
            expected.len() > per_page,
            "{res} needs more than one page of {per_page}"
        );
        let (got, pages) =
            common::walk(&sb, &token, &format!("/v3/{res}?per_page={per_page}")).await;
        let got_ids = ids(&got);
        let mut sorted = got_ids.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        sorted.dedup();
        assert_eq!(
            got_ids, sorted,
            "{res}/{per_page}: strictly id-descending, no duplicates"
        );
        // users hides the service account by default
        let expected: Vec<Value> = if res == "users" {
            expected
                .into_iter()
                .filter(|u| u["id"] != harvest_sandbox::SERVICE_ACCOUNT_USER_ID)
                .collect()
        } else {
            expected
        };
        assert_eq!(got, expected, "{res}/{per_page}: every record exactly once");
        assert_eq!(
            pages,
            expected.len().div_ceil(per_page),
            "{res}/{per_page}: page count"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_page_size_is_100_and_link_is_absolute_next_only() {
    let sb = common::start(common::small()).await;
    let token = common::admin_token(&sb).await;
    let r = common::get(&sb, &token, "/v3/scorecard_question_answers").await;
    assert_eq!(r.json().as_array().expect("array").len(), 100);
    let link = r.header("link").expect("link header");
    assert!(
        link.starts_with(&format!(
            "<{}/v3/scorecard_question_answers?cursor=",
            sb.base_url()
        )),
        "{link}"
    );
    assert!(link.ends_with("; rel=\"next\""), "{link}");
    assert!(!link.contains("prev") && !link.contains("last"));
    let cursor = link
        .split("cursor=")
        .nth(1)
        .and_then(|s| s.split('>').next())
        .expect("cursor");
    assert!(
        cursor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "URL-safe base64: {cursor}"
    );
    // last page has no Link
    let n = sb.records("candidates").len();
    let r = common::get(&sb, &token, &format!("/v3/candidates?per_page={n}")).await;
    assert_eq!(r.json().as_array().expect("array").len(), n);
    assert!(r.header("link").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_survive_pagination() {
    let sb = common::start(common::small()).await;
    let token = common::admin_token(&sb).await;
    let expected: Vec<Value> = sb
        .records("applications")
        .into_iter()
        .filter(|a| a["status"] == "rejected")
        .collect();
    assert!(expected.len() > 7);
    let (got, _) = common::walk(&sb, &token, "/v3/applications?status=rejected&per_page=7").await;
    assert_eq!(got, expected);
    // a cursor from one collection is refused by another
    let r = common::get(&sb, &token, "/v3/applications?per_page=1").await;
    let next = r.next_link().expect("next");
    let cursor = next.split("cursor=").nth(1).expect("cursor");
    let r = common::get(&sb, &token, &format!("/v3/candidates?cursor={cursor}")).await;
    assert_eq!(r.status, 422);
    let r = common::get(&sb, &token, "/v3/candidates?cursor=not-a-cursor").await;
    assert_eq!(r.status, 422);
}
