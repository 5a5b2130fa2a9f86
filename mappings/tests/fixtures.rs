//! The six reference fixtures: each v1 object is rebuilt exactly (values and key order) from
//! the v3 data it comes from.
mod common;

use common::{assert_same, serve, shared};
use serde_json::Value;

fn load(name: &str) -> (Value, Value) {
    let dir = shared().join("fixtures");
    let read = |f: String| -> Value {
        let text = std::fs::read_to_string(dir.join(&f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        serde_json::from_str(&text).unwrap()
    };
    (read(format!("{name}.v1.json")), read(format!("{name}.v3.json")))
}

async fn check(name: &str, route: &str) {
    let (want, v3) = load(name);
    let id = want["id"].as_i64().unwrap();
    let path = route.replace("{id}", &id.to_string());
    let (got, calls) = serve("GET", &path, &v3).await;
    let got = got.unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_same(name, &got, &want);
    // Batched joins: never one call per record; every call is a collection call.
    assert!(calls.iter().all(|c| c.starts_with("/v3/")), "{calls:?}");
}

#[tokio::test]
async fn users_fixture() {
    check("users", "/v1/users/{id}").await;
}

#[tokio::test]
async fn offers_fixture() {
    check("offers", "/v1/offers/{id}").await;
}

#[tokio::test]
async fn jobs_fixture() {
    check("jobs", "/v1/jobs/{id}").await;
}

#[tokio::test]
async fn applications_fixture() {
    check("applications", "/v1/applications/{id}").await;
}

#[tokio::test]
async fn candidates_fixture() {
    check("candidates", "/v1/candidates/{id}").await;
}

#[tokio::test]
async fn scorecards_fixture() {
    check("scorecards", "/v1/scorecards/{id}").await;
}
