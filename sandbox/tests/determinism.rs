//! Same seed → same data; different seed → different data; explicit records are served exactly.

mod common;

use std::collections::BTreeMap;

use harvest_sandbox::{Credentials, SandboxConfig, build_dataset};
use serde_json::Value;

fn snapshot(cfg: &SandboxConfig) -> BTreeMap<String, Vec<Value>> {
    let ds = build_dataset(cfg).expect("dataset");
    ds.names()
        .map(|n| (n.to_string(), ds.records_desc(n)))
        .collect()
}

#[test]
fn same_seed_same_data_different_seed_different_data() {
    let a = SandboxConfig {
        seed: 11,
        scale: 0.1,
        ..SandboxConfig::default()
    };
    let b = SandboxConfig {
        seed: 11,
        scale: 0.1,
        ..SandboxConfig::default()
    };
    let c = SandboxConfig {
        seed: 12,
        scale: 0.1,
        ..SandboxConfig::default()
    };
    let (sa, sb, sc) = (snapshot(&a), snapshot(&b), snapshot(&c));
    assert_eq!(sa, sb);
    assert_ne!(sa["candidates"], sc["candidates"]);
    assert_ne!(sa["applications"], sc["applications"]);
}

#[test]
fn scale_grows_linearly_and_default_scale_is_about_1000_candidates() {
    let one = build_dataset(&SandboxConfig::default()).expect("dataset");
    let candidates = one.table("candidates").map(|t| t.len()).unwrap_or(0);
    let applications = one.table("applications").map(|t| t.len()).unwrap_or(0);
    assert_eq!(candidates, 1000);
    assert!((2200..=2800).contains(&applications), "{applications}");
    let half = build_dataset(&SandboxConfig {
        scale: 0.5,
        ..SandboxConfig::default()
    })
    .expect("dataset");
    assert_eq!(half.table("candidates").map(|t| t.len()), Some(500));
}

#[test]
fn relations_are_consistent() {
    let ds = build_dataset(&SandboxConfig {
        scale: 0.2,
        ..SandboxConfig::default()
    })
    .expect("dataset");
    let exists = |t: &str, id: &Value| id.as_i64().is_some_and(|i| ds.get(t, i).is_some());
    let checks: &[(&str, &str, &str)] = &[
        ("applications", "candidate_id", "candidates"),
        ("applications", "job_id", "jobs"),
        ("applications", "stage_id", "job_interview_stages"),
        ("applications", "source_id", "sources"),
        ("applications", "recruiter_id", "users"),
        ("application_stages", "application_id", "applications"),
        (
            "application_stages",
            "job_interview_stage_id",
            "job_interview_stages",
        ),
        ("offers", "application_id", "applications"),
        ("offers", "opening_id", "openings"),
        ("scorecards", "application_id", "applications"),
        ("scorecards", "interview_kit_id", "interview_kits"),
        ("scorecards", "interviewer_id", "users"),
        (
            "scorecard_question_answers",
            "scorecard_question_id",
            "scorecard_questions",
        ),
        ("interviewers", "scorecard_id", "scorecards"),
        ("interviews", "job_interview_id", "job_interviews"),
        ("notes", "candidate_id", "candidates"),
        ("attachments", "application_id", "applications"),
        (
            "rejection_details",
            "rejection_reason_id",
            "rejection_reasons",
        ),
        ("departments", "parent_id", "departments"),
        (
            "candidate_educations",
            "degree_custom_field_option_id",
            "custom_field_options",
        ),
        ("prospect_details", "pool_stage_id", "prospect_pool_stages"),
    ];
    for (table, field, target) in checks {
        let rows = ds.records_desc(table);
        assert!(!rows.is_empty(), "{table}");
        for r in rows {
            if !r[*field].is_null() {
                assert!(
                    exists(target, &r[*field]),
                    "{table}.{field}={} missing in {target}",
                    r[*field]
                );
            }
        }
    }
    // application stage names match the stage record; statuses use the v3 vocabularies
    for a in ds.records_desc("applications") {
        if let Some(s) = a["stage_id"].as_i64() {
            assert_eq!(
                ds.get("job_interview_stages", s).expect("stage")["name"],
                a["stage_name"]
            );
        }
    }
    let statuses: std::collections::BTreeSet<String> = ds
        .records_desc("applications")
        .iter()
        .map(|a| a["status"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        statuses.contains("in_process")
            && statuses.contains("rejected")
            && statuses.contains("hired")
    );
    let offer_statuses: std::collections::BTreeSet<String> = ds
        .records_desc("offers")
        .iter()
        .map(|a| a["status"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        offer_statuses
            .iter()
            .all(|s| ["Created", "Accepted", "Rejected", "Deprecated"].contains(&s.as_str()))
    );
    // some nullable fields are null, some are not
    let cands = ds.records_desc("candidates");
    assert!(
        cands.iter().any(|c| c["company"].is_null())
            && cands.iter().any(|c| c["company"].is_string())
    );
    // timestamps spread over years
    let years: std::collections::BTreeSet<String> = cands
        .iter()
        .map(|c| c["created_at"].as_str().unwrap_or("")[..4].to_string())
        .collect();
    assert!(years.len() >= 5, "{years:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixtures_replace_the_generated_data() {
    let dir = common::reference_dir().join("../fixtures");
    let mut cfg = SandboxConfig {
        replace_data: true,
        ..SandboxConfig::default()
    };
    let mut expected: BTreeMap<String, BTreeMap<i64, Value>> = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        if !path.to_string_lossy().ends_with(".v3.json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        cfg.add_fixture_json(&text).expect("fixture");
        let v: BTreeMap<String, Vec<Value>> = serde_json::from_str(&text).expect("json");
        for (k, recs) in v {
            let name = k.trim_start_matches("/v3/").to_string();
            for r in recs {
                expected
                    .entry(name.clone())
                    .or_default()
                    .insert(r["id"].as_i64().expect("id"), r);
            }
        }
    }
    let sb = common::start(cfg).await;
    let t = common::admin_token(&sb).await;
    for name in harvest_sandbox::schema::schema_resources() {
        let (got, _) = common::walk(&sb, &t, &format!("/v3/{name}?per_page=500")).await;
        let want: Vec<Value> = expected
            .get(*name)
            .map(|m| m.values().rev().cloned().collect())
            .unwrap_or_default();
        assert_eq!(got, want, "{name}");
    }
    assert!(expected["candidates"].contains_key(&48213377));
}

#[test]
fn extra_records_merge_over_generated_data_and_bad_input_is_an_error() {
    let mut cfg = SandboxConfig {
        scale: 0.05,
        ..SandboxConfig::default()
    };
    let plain = build_dataset(&cfg).expect("dataset");
    let first = plain.records_desc("candidates")[0].clone();
    let mut changed = first.clone();
    changed["first_name"] = Value::from("Replaced");
    cfg.extra_records.insert(
        "/v3/candidates".into(),
        vec![
            changed.clone(),
            serde_json::json!({"id": 1, "first_name": "Extra"}),
        ],
    );
    let ds = build_dataset(&cfg).expect("dataset");
    assert_eq!(
        ds.get("candidates", first["id"].as_i64().expect("id")),
        Some(&changed)
    );
    assert_eq!(
        ds.table("candidates").map(|t| t.len()),
        Some(plain.table("candidates").map(|t| t.len()).unwrap_or(0) + 1)
    );
    cfg.extra_records.insert("nonsense".into(), vec![]);
    assert!(build_dataset(&cfg).is_err());
    cfg.extra_records.remove("nonsense");
    cfg.extra_records
        .insert("jobs".into(), vec![serde_json::json!({"name": "no id"})]);
    assert!(build_dataset(&cfg).is_err());
    let _ = Credentials::default();
}
