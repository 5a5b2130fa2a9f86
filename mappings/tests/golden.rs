//! Golden tests: for every translated read, v3 records in → the expected v1 JSON out.
//!
//! Each file in tests/golden/*.json is one case:
//! `{"request": "GET /v1/path?query", "v3": {"/v3/x": [...]}, "expected": <v1 JSON>}`
//! or, for a request that must fail, `"error": "<text the error contains>"` instead of
//! `expected`. Optional `"calls"`: the exact list of v3 calls (`/v3/x?k=v`) made.
mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::{assert_same, catalog, serve};
use harvest_mappings::Status;
use serde_json::Value;

fn cases() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|x| x.to_str()) == Some("json") {
            let text = std::fs::read_to_string(&p).unwrap();
            let v: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push((p.file_name().unwrap().to_string_lossy().into_owned(), v));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test]
async fn golden_cases() {
    let mut failures = Vec::new();
    for (name, case) in cases() {
        let req = case["request"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no request"));
        let (method, target) = req.split_once(' ').unwrap();
        let (got, calls) = serve(method, target, &case["v3"]).await;
        // UPDATE_GOLDEN_ORDER=1 rewrites `expected` when only the order of arrays differs.
        if let (Ok(g), Some(w), Some(_)) = (
            &got,
            case.get("expected"),
            std::env::var_os("UPDATE_GOLDEN_ORDER"),
        ) && g != w
            && canonical(g) == canonical(w)
        {
            let mut case = case.clone();
            case["expected"] = g.clone();
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/golden")
                .join(&name);
            std::fs::write(&path, serde_json::to_string_pretty(&case).unwrap() + "\n").unwrap();
            continue;
        }
        let result =
            std::panic::catch_unwind(|| match (&got, case.get("expected"), case.get("error")) {
                (Ok(v), Some(want), None) => assert_same(&name, v, want),
                (Err(e), None, Some(want)) => {
                    let want = want.as_str().unwrap();
                    assert!(
                        e.contains(want),
                        "{name}: error `{e}` does not contain `{want}`"
                    );
                }
                (got, _, _) => panic!("{name}: unexpected outcome {got:?}"),
            });
        if let Err(e) = result {
            failures.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| format!("{name} failed")),
            );
            continue;
        }
        if let Some(Value::Array(want)) = case.get("calls") {
            let want: Vec<String> = want
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            if calls != want {
                failures.push(format!(
                    "{name}: v3 calls differ\n got {calls:?}\nwant {want:?}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A value with every array sorted, to tell order-only differences.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Array(a) => {
            let mut items: Vec<Value> = a.iter().map(canonical).collect();
            items.sort_by_key(|x| x.to_string());
            Value::Array(items)
        }
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), canonical(x))).collect())
        }
        other => other.clone(),
    }
}

/// Every read served from v3 (translated or partial) has at least one golden case.
#[test]
fn every_served_read_has_a_golden_case() {
    let c = catalog();
    let mut covered = BTreeSet::new();
    for (_, case) in cases() {
        let req = case["request"].as_str().unwrap();
        let (method, target) = req.split_once(' ').unwrap();
        let path = target.split('?').next().unwrap();
        if case.get("expected").is_some()
            && let Some(m) = c.match_route(method, path)
        {
            covered.insert(m.endpoint.route().to_string());
        }
    }
    // The six reference fixtures (tests/fixtures.rs) cover these.
    for r in [
        "GET /v1/users/{id}",
        "GET /v1/offers/{id}",
        "GET /v1/jobs/{id}",
        "GET /v1/applications/{id}",
        "GET /v1/candidates/{id}",
        "GET /v1/scorecards/{id}",
    ] {
        covered.insert(r.to_string());
    }
    let missing: Vec<String> = c
        .endpoints()
        .iter()
        .filter(|e| e.is_read() && e.status != Status::Unsupported)
        .map(|e| e.route().to_string())
        .filter(|r| !covered.contains(r))
        .collect();
    assert!(
        missing.is_empty(),
        "served reads without a golden case:\n{}",
        missing.join("\n")
    );
}
