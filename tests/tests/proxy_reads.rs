//! Process-level: every translated read, served by harvest-proxy from the sandbox loaded with
//! exactly the v3 records of a golden case or reference fixture, equals the expected v1 JSON.
use std::collections::BTreeMap;
use std::path::PathBuf;

use harvest_tests::{SandboxConfig, Stack, reference};
use serde_json::Value;

fn sandbox_with(v3: &Value) -> SandboxConfig {
    let mut extra = BTreeMap::new();
    if let Value::Object(m) = v3 {
        for (k, v) in m {
            extra.insert(k.clone(), v.as_array().cloned().unwrap_or_default());
        }
    }
    SandboxConfig {
        extra_records: extra,
        replace_data: true,
        ..Default::default()
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

async fn check(name: &str, request: &str, v3: &Value, want: &Value) -> Result<(), String> {
    let stack = Stack::start(sandbox_with(v3)).await;
    let r = stack.get(request).await;
    let mut got = r.json();
    if let Some(apps) = got.get_mut("applications").and_then(Value::as_array_mut)
        && want["applications"]
            .as_array()
            .is_some_and(|w| w.iter().all(|a| a.get("custom_fields").is_none()))
    {
        // The documented candidate predates custom fields on embedded applications (v1's
        // recorded answers carry them, as /v1/applications does: mappings/tests/fixtures.rs
        // checks they are the same); compared without them.
        for a in apps.iter_mut().filter_map(Value::as_object_mut) {
            let has =
                a.remove("custom_fields").is_some() & a.remove("keyed_custom_fields").is_some();
            assert!(has, "{name}: an embedded application without custom fields");
        }
    }
    let out = if r.status != 200 {
        Err(format!(
            "{name}: {request} answered {}: {}",
            r.status, r.text
        ))
    } else if r.header("content-type").as_deref() != Some("application/json; charset=utf-8") {
        Err(format!(
            "{name}: content-type {:?}",
            r.header("content-type")
        ))
    } else if !["x-ratelimit-limit", "x-ratelimit-remaining"]
        .iter()
        .all(|h| r.header(h).is_some_and(|v| v.parse::<u64>().is_ok()))
    {
        Err(format!(
            "{name}: v1 rate-limit headers missing: {:?}",
            r.headers
        ))
    } else if r.link("next").is_some() || r.link("last").is_some_and(|l| !l.contains("page=1&")) {
        // Every case's data fits in one page: no next page, and a paged list says (as v1
        // did, even on a single page) that page 1 is the last.
        Err(format!("{name}: unexpected Link {:?}", r.header("link")))
    } else if pretty(&got) != pretty(want) {
        Err(format!(
            "{name}: {request}\n--- got\n{}\n--- want\n{}",
            pretty(&got),
            pretty(want)
        ))
    } else {
        Ok(())
    };
    stack.stop().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_cases_through_the_proxy() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../mappings/tests/golden");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    let mut failures = Vec::new();
    let mut ran = 0;
    for p in names {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let (Some(req), Some(want)) = (case["request"].as_str(), case.get("expected")) else {
            continue;
        };
        let Some(("GET", target)) = req.split_once(' ') else {
            continue;
        };
        ran += 1;
        if let Err(e) = check(
            &p.file_name().unwrap().to_string_lossy(),
            target,
            &case["v3"],
            want,
        )
        .await
        {
            failures.push(e);
        }
    }
    assert!(ran > 0);
    assert!(
        failures.is_empty(),
        "{} of {ran} cases differ:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_fixtures_through_the_proxy() {
    let mut failures = Vec::new();
    for (name, route) in [
        ("users", "/v1/users/{id}"),
        ("offers", "/v1/offers/{id}"),
        ("jobs", "/v1/jobs/{id}"),
        ("applications", "/v1/applications/{id}"),
        ("candidates", "/v1/candidates/{id}"),
        ("scorecards", "/v1/scorecards/{id}"),
    ] {
        let read = |f: String| -> Value {
            serde_json::from_str(
                &std::fs::read_to_string(reference().join("fixtures").join(f)).unwrap(),
            )
            .unwrap()
        };
        let want = read(format!("{name}.v1.json"));
        let mut v3 = read(format!("{name}.v3.json"));
        if name == "scorecards" {
            // The category of each attribute lives in /v3/candidate_attribute_types, which the
            // fixture lacks (see mappings/tests/fixtures.rs).
            v3["/v3/candidate_attribute_types"] = serde_json::json!([
                {"id": 9200401, "created_at": "2025-09-15T13:03:00.000Z", "updated_at": "2025-09-15T13:03:00.000Z", "job_id": 4330018, "name": "Skills", "sort_order": 0, "active": true, "is_draft": false},
                {"id": 9200402, "created_at": "2025-09-15T13:03:00.000Z", "updated_at": "2025-09-15T13:03:00.000Z", "job_id": 4330018, "name": "Personality Traits", "sort_order": 1, "active": true, "is_draft": false},
                {"id": 9200403, "created_at": "2025-09-15T13:03:00.000Z", "updated_at": "2025-09-15T13:03:00.000Z", "job_id": 4330018, "name": "Qualifications", "sort_order": 2, "active": true, "is_draft": false}
            ]);
        }
        let path = route.replace("{id}", &want["id"].to_string());
        if let Err(e) = check(name, &path, &v3, &want).await {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
