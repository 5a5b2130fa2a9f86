//! The read-back rules of v3 write calls (resources/_verify.toml, src/verify.rs): the file
//! covers every v3 write call the mappings make, bad files are refused at file:line, and each
//! kind of rule decides applied / not applied / unknown against v3 collections.
mod common;

use std::time::{Duration, SystemTime};

use harvest_mappings::Catalog;
use harvest_mappings::v3::WriteCall;
use harvest_mappings::verify::{self, Check, Verdict};
use serde_json::{Value, json};

use common::FixtureFetch;

fn catalog() -> &'static Catalog {
    Catalog::embedded().expect("the embedded mappings load")
}

fn call(method: &str, target: &str, body: Value) -> WriteCall {
    WriteCall {
        method: method.into(),
        target: target.into(),
        body: Some(body),
        acting_user: 5,
    }
}

/// A time shortly before `started`, as v3 would stamp a record made by the call.
fn stamp(started: SystemTime, later_ms: u64) -> String {
    verify::since(started + Duration::from_millis(later_ms), Duration::ZERO)
}

fn decide(data: &Value, c: &WriteCall, started: SystemTime) -> Verdict {
    let v3 = FixtureFetch::new(data);
    let rules = catalog().verify();
    futures::executor::block_on(verify::read_back(rules, &v3, c, started))
}

#[test]
fn every_v3_write_call_of_the_mappings_has_a_rule() {
    let rules = catalog().verify();
    assert!(rules.rules().len() > 60, "{}", rules.rules().len());
    let mut missing = Vec::new();
    for ep in catalog().endpoints() {
        let steps = ep.write.iter().flat_map(|p| p.steps.iter());
        let calls = steps
            .map(|s| (s.method.clone(), s.path.clone()))
            .chain(ep.v3.iter().map(|c| (c.method.clone(), c.path.clone())));
        for (method, path) in calls.filter(|(m, _)| m != "GET") {
            if rules.find(&method, &path).is_none() {
                missing.push(format!("{method} {path} ({})", ep.route()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no read-back rule for:\n{}",
        missing.join("\n")
    );
}

#[test]
fn calls_find_their_rule_and_bind_its_placeholders() {
    let rules = catalog().verify();
    let (rule, bound) = rules.find("POST", "/v3/applications/12/move").unwrap();
    assert_eq!(rule.template, "/v3/applications/{id}/move");
    assert_eq!(bound["id"], "12");
    assert!(matches!(rule.check, Check::Record { .. }));
    let (rule, _) = rules.find("POST", "/v3/notes?x=1").unwrap();
    assert!(matches!(rule.check, Check::Create { .. }));
    // A mapping's own template matches too.
    assert!(
        rules
            .find("DELETE", "/v3/applied_candidate_tags/{steps.0.id}")
            .is_some()
    );
    assert!(rules.find("GET", "/v3/notes").is_none());
    assert!(rules.find("POST", "/v3/nothing/12/move").is_none());
}

#[test]
fn a_create_is_found_once_among_the_rows_made_since_the_call() {
    let started = SystemTime::now();
    let body = json!({"candidate_id": 7, "note_type": "NOTE", "user_id": 5, "body": "hello", "visibility": "public"});
    let c = call("POST", "/v3/notes", body);
    let note = |id: i64, cand: i64, text: &str, at: &str| {
        json!({"id": id, "candidate_id": cand, "application_id": null, "body": text, "subject": null,
            "type": "NOTE", "user_id": 5, "visibility": "Public", "created_at": at})
    };
    let now = stamp(started, 5);
    let old = "2020-01-01T00:00:00.000Z";
    // The same text on another candidate, and long ago on this one, are not it.
    let data = json!({"/v3/notes": [note(1, 8, "hello", &now), note(2, 7, "hello", old), note(3, 7, "other", &now)]});
    assert_eq!(decide(&data, &c, started), Verdict::NotApplied);
    let data = json!({"/v3/notes": [note(1, 8, "hello", &now), note(4, 7, "hello", &now)]});
    match decide(&data, &c, started) {
        Verdict::Applied(Some(row)) => assert_eq!(row["id"], 4),
        other => panic!("{other:?}"),
    }
    // Two matches: cannot tell which one this call made.
    let data = json!({"/v3/notes": [note(4, 7, "hello", &now), note(5, 7, "hello", &now)]});
    assert!(matches!(decide(&data, &c, started), Verdict::Unknown(_)));
}

#[test]
fn create_queries_carry_the_parents_and_the_window() {
    let parents = [
        ("candidate_id".to_string(), "candidate_ids".to_string()),
        ("application_id".to_string(), "application_ids".to_string()),
    ]
    .into();
    let q = verify::create_query(
        &parents,
        &json!({"candidate_id": 7, "application_id": null}),
        "T",
    );
    assert_eq!(
        q,
        vec![
            ("candidate_ids".into(), "7".into()),
            ("created_at".into(), "gte|T".into())
        ]
    );
    let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
    assert_eq!(
        verify::since(t, Duration::from_secs(60)),
        "2023-11-14T22:12:20.123Z"
    );
}

#[test]
fn identifying_fields_compare_as_text_and_absent_ones_are_skipped() {
    let rows = vec![json!({"id": 1, "filename": "a.pdf", "type": "resume", "candidate_id": 7})];
    let body =
        json!({"filename": "a.pdf", "type": "resume", "candidate_id": "7", "url": "https://x"});
    assert_eq!(verify::matching(&rows, &body, None).len(), 1);
    let ids = ["filename".to_string()];
    assert_eq!(
        verify::matching(&rows, &json!({"filename": "b.pdf"}), Some(&ids)).len(),
        0
    );
    // No identifying field in common: no match.
    assert_eq!(verify::matching(&rows, &json!({"url": "x"}), None).len(), 0);
}

#[test]
fn a_create_without_identifying_fields_is_unknown() {
    let c = call(
        "POST",
        "/v3/jobs",
        json!({"template_job_id": 3, "number_of_openings": 1}),
    );
    let data = json!({"/v3/jobs": []});
    assert!(matches!(
        decide(&data, &c, SystemTime::now()),
        Verdict::Unknown(_)
    ));
}

#[test]
fn a_move_is_judged_by_the_stage() {
    let c = call(
        "POST",
        "/v3/applications/9/move",
        json!({"from_stage_id": 1, "to_stage_id": 2}),
    );
    let app = |stage: i64| json!({"/v3/applications": [{"id": 9, "stage_id": stage, "job_id": 4}]});
    assert_eq!(
        decide(&app(2), &c, SystemTime::now()),
        Verdict::Applied(None)
    );
    assert_eq!(decide(&app(1), &c, SystemTime::now()), Verdict::NotApplied);
    // Moved somewhere else: not what this call asked, and not as it was.
    assert!(matches!(
        decide(&app(3), &c, SystemTime::now()),
        Verdict::Unknown(_)
    ));
    // An advance names no target stage: any other stage is the move.
    let adv = call(
        "POST",
        "/v3/applications/9/move",
        json!({"from_stage_id": 1}),
    );
    assert_eq!(
        decide(&app(3), &adv, SystemTime::now()),
        Verdict::Applied(None)
    );
    assert!(matches!(
        decide(&json!({"/v3/applications": []}), &c, SystemTime::now()),
        Verdict::Unknown(_)
    ));
}

#[test]
fn a_reject_is_applied_when_rejected_since_the_call() {
    let started = SystemTime::now();
    let c = call(
        "POST",
        "/v3/applications/9/reject",
        json!({"rejection_reason_id": 3}),
    );
    let app = |status: &str, at: Value| json!({"/v3/applications": [{"id": 9, "status": status, "rejected_at": at}]});
    let now = json!(stamp(started, 5));
    assert_eq!(
        decide(&app("rejected", now), &c, started),
        Verdict::Applied(None)
    );
    assert_eq!(
        decide(&app("in_process", Value::Null), &c, started),
        Verdict::NotApplied
    );
    // Rejected long before this call: not this call's doing.
    let old = json!("2020-01-01T00:00:00Z");
    assert!(matches!(
        decide(&app("rejected", old), &c, started),
        Verdict::Unknown(_)
    ));
}

#[test]
fn deletes_and_merges_are_applied_when_the_record_is_gone() {
    let c = call("DELETE", "/v3/applied_candidate_tags/5", Value::Null);
    let tags = json!({"/v3/applied_candidate_tags": [{"id": 5}]});
    assert_eq!(decide(&tags, &c, SystemTime::now()), Verdict::NotApplied);
    let none = json!({"/v3/applied_candidate_tags": []});
    assert_eq!(decide(&none, &c, SystemTime::now()), Verdict::Applied(None));
    let m = call(
        "POST",
        "/v3/candidates/1/merge",
        json!({"duplicate_candidate_id": 2}),
    );
    let cands = |ids: &[i64]| json!({"/v3/candidates": ids.iter().map(|i| json!({"id": i})).collect::<Vec<_>>()});
    assert_eq!(
        decide(&cands(&[1]), &m, SystemTime::now()),
        Verdict::Applied(None)
    );
    assert_eq!(
        decide(&cands(&[1, 2]), &m, SystemTime::now()),
        Verdict::NotApplied
    );
}

#[test]
fn patches_hold_their_scalars_and_unruled_calls_fall_back() {
    let c = call(
        "PATCH",
        "/v3/candidates/3",
        json!({"title": "CTO", "tags": ["x"]}),
    );
    let cand = |t: &str| json!({"/v3/candidates": [{"id": 3, "title": t, "tags": []}]});
    assert_eq!(
        decide(&cand("CTO"), &c, SystemTime::now()),
        Verdict::Applied(None)
    );
    assert_eq!(
        decide(&cand("CEO"), &c, SystemTime::now()),
        Verdict::NotApplied
    );
    // No rule names /v3/widgets: the default for PATCH /v3/x/{id} and DELETE /v3/x/{id}.
    let w = call("DELETE", "/v3/widgets/4", Value::Null);
    assert_eq!(
        decide(&json!({"/v3/widgets": []}), &w, SystemTime::now()),
        Verdict::Applied(None)
    );
    let odd = call("POST", "/v3/widgets/4/spin", json!({}));
    assert!(matches!(
        decide(&json!({}), &odd, SystemTime::now()),
        Verdict::Unknown(_)
    ));
    let u = call(
        "PUT",
        "/v3/approval_flows/4/replace_approver_groups",
        json!({}),
    );
    assert!(matches!(
        decide(&json!({}), &u, SystemTime::now()),
        Verdict::Unknown(_)
    ));
}

const RESOURCE: &str = "[meta]\nresource = \"x\"\n";

fn load_errors(verify_file: &str) -> String {
    let sources = [("_verify.toml", verify_file)];
    match Catalog::from_sources(sources) {
        Ok(_) => String::new(),
        Err(d) => d.to_string(),
    }
}

#[test]
fn a_bad_verify_file_is_refused_at_file_and_line() {
    let _ = RESOURCE;
    assert_eq!(load_errors("[[create]]\ncall = \"POST /v3/notes\"\n"), "");
    let e = load_errors(
        "[[create]]\ncall = \"POST /v3/notes\"\n\n[[create]]\ncall = \"POST /v3/notes\"\n",
    );
    assert!(
        e.contains("_verify.toml:5") && e.contains("verified twice"),
        "{e}"
    );
    let e = load_errors("[[create]]\ncall = \"POST /v3/notes/{id}\"\n");
    assert!(
        e.contains("_verify.toml:2") && e.contains("not a create"),
        "{e}"
    );
    let e = load_errors(
        "[[record]]\ncall = \"GET /v3/notes/{id}\"\nread = \"/v3/notes?ids={id}\"\napplied = [{ field = \"a\", is = \"b\" }]\n",
    );
    assert!(e.contains("not a v3 write call"), "{e}");
    let e = load_errors(
        "[[record]]\ncall = \"POST /v3/x/{id}/go\"\nread = \"/v3/x/{id}\"\napplied = [{ field = \"a\", is = \"b\", set = true }]\n",
    );
    assert!(
        e.contains("not a v3 list read") && e.contains("not one test"),
        "{e}"
    );
    let e = load_errors(
        "[[record]]\ncall = \"POST /v3/x/{id}/go\"\nread = \"/v3/x?ids={id}\"\napplied = []\n",
    );
    assert!(
        e.contains("_verify.toml:4") && e.contains("no condition"),
        "{e}"
    );
    let e = load_errors(
        "[[gone]]\ncall = \"DELETE /v3/x/{id}\"\nread = \"/v3/x?ids={id}\"\nextra = 1\n",
    );
    assert!(e.contains("_verify.toml:") && e.contains("extra"), "{e}");
}
