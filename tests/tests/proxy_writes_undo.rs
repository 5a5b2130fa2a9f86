//! Undo on partial failure, through harvest-proxy against the sandbox with faults on a later
//! call: what a multi-call write created is deleted again (in reverse order, each undo once)
//! when a later call fails definitely (refused, or a 5xx that reads back as not applied); an
//! undo that fails is not retried and what remains is said. Effects are checked in the sandbox and through v1.

use harvest_sandbox::DEFAULT_ADMIN_USER_ID;
use harvest_sandbox::{FaultAction, FaultPlan};
use harvest_tests::{Resp, Stack, small};
use serde_json::{Value, json};

use harvest_tests::WRITE_OUTCOME as OUTCOME;

async fn write(s: &Stack, method: &str, path: &str, body: &Value) -> Resp {
    let acting = DEFAULT_ADMIN_USER_ID.to_string();
    s.write(method, path, Some(&acting), body).await
}

fn count(s: &Stack, table: &str) -> usize {
    s.sandbox.records(table).len()
}

/// An open job with interview stages.
fn a_job(s: &Stack) -> i64 {
    let stages = s.sandbox.records("job_interview_stages");
    s.sandbox
        .records("jobs")
        .into_iter()
        .filter(|j| j["status"] == "open" && j["is_template"] != true)
        .filter_map(|j| j["id"].as_i64())
        .find(|j| stages.iter().any(|st| st["job_id"].as_i64() == Some(*j)))
        .expect("an open job with stages")
}

/// (method, path, applied) of each v3 call the answer lists.
fn calls(got: &Value) -> Vec<(String, String, Value)> {
    got["v3_calls"]
        .as_array()
        .unwrap_or_else(|| panic!("no v3_calls in {got}"))
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (s("method"), s("path"), c["applied"].clone())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prospect_whose_application_v3_refuses_is_deleted_again() {
    let s = Stack::start(small()).await;
    let before = count(&s, "candidates");
    // The application create is refused (a definite failure: nothing applied).
    s.sandbox
        .faults()
        .set(FaultPlan::none().script("/v3/applications", [FaultAction::Status(422)]));
    let body = json!({"first_name": "Pro", "last_name": "Spect",
        "application": {"job_ids": [a_job(&s)]}});
    let r = write(&s, "POST", "/v1/prospects", &body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("not_applied"));
    let got = r.json();
    let cand = got["undone"][0]["id"]
        .as_i64()
        .expect("the undone candidate's id");
    assert_eq!(
        calls(&got),
        [
            ("POST".into(), "/v3/candidates".into(), json!(true)),
            ("POST".into(), "/v3/applications".into(), json!(false)),
            (
                "DELETE".into(),
                format!("/v3/candidates/{cand}"),
                json!(true)
            ),
        ],
        "{got}"
    );
    assert_eq!(got["remains"], json!([]));
    assert_eq!(count(&s, "candidates"), before);
    assert_eq!(s.get(&format!("/v1/candidates/{cand}")).await.status, 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_that_reads_back_as_not_applied_is_undone() {
    let s = Stack::start(small()).await;
    let before = count(&s, "candidates");
    let apps = count(&s, "applications");
    // The education create answers 500 without applying: the proxy reads it back (not there),
    // so the failure is definite and the candidate and its application are deleted again.
    s.sandbox
        .faults()
        .set(FaultPlan::none().script("/v3/candidate_educations", [FaultAction::Status(500)]));
    let body = json!({"first_name": "Five", "last_name": "Hundred",
        "applications": [{"job_id": a_job(&s)}], "educations": [{"school_id": 1}]});
    let r = write(&s, "POST", "/v1/candidates", &body).await;
    assert_eq!(
        r.header(OUTCOME).as_deref(),
        Some("not_applied"),
        "{}",
        r.text
    );
    let got = r.json();
    let undone: Vec<&str> = got["undone"]
        .as_array()
        .unwrap_or_else(|| panic!("{got}"))
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert_eq!(undone, ["/v3/candidates", "/v3/applications"], "{got}");
    assert_eq!(got["remains"], json!([]));
    assert_eq!(count(&s, "candidates"), before);
    assert_eq!(count(&s, "applications"), apps);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_that_fails_is_not_retried_and_what_remains_is_said() {
    let s = Stack::start(small()).await;
    let before = count(&s, "candidates");
    // The second application is refused; the candidate's undo (DELETE /v3/candidates/{id})
    // then answers 500 once: the proxy reads it back (still there) and never repeats it.
    s.sandbox.faults().set(
        FaultPlan::none()
            .script(
                "/v3/applications",
                [FaultAction::Ok, FaultAction::Status(422)],
            )
            .script("/v3/candidates/*", [FaultAction::Status(500)]),
    );
    let job = a_job(&s);
    let body = json!({"first_name": "Re", "last_name": "Mains",
        "applications": [{"job_id": job}, {"job_id": job}]});
    let r = write(&s, "POST", "/v1/candidates", &body).await;
    assert_eq!(r.status, 502, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("partial"));
    let got = r.json();
    assert_eq!(got["outcome"], "partial");
    let undone: Vec<&str> = got["undone"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert_eq!(undone, ["/v3/applications"], "{got}");
    let remains = got["remains"].as_array().unwrap();
    assert_eq!(remains.len(), 1, "{got}");
    assert_eq!(remains[0]["path"], "/v3/candidates");
    let cand = remains[0]["id"].as_i64().unwrap();
    let deletes = calls(&got)
        .into_iter()
        .filter(|(m, p, _)| m == "DELETE" && p == &format!("/v3/candidates/{cand}"))
        .count();
    assert_eq!(
        deletes, 1,
        "one undo of the candidate, never repeated: {got}"
    );
    assert!(
        got["message"].as_str().unwrap().contains("remains"),
        "{got}"
    );
    // The candidate is still there, without applications.
    assert_eq!(count(&s, "candidates"), before + 1);
    let read = s.get(&format!("/v1/candidates/{cand}")).await.json();
    assert_eq!(read["application_ids"], json!([]), "{read}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hiring_team_members_added_before_a_refusal_are_removed_the_job_stays() {
    let s = Stack::start(small()).await;
    let job = a_job(&s);
    let users: Vec<i64> = s
        .sandbox
        .records("users")
        .into_iter()
        .filter(|u| u["deactivated"] == false)
        .filter_map(|u| u["id"].as_i64())
        .take(2)
        .collect();
    let managers = count(&s, "job_hiring_managers");
    let owners = count(&s, "job_owners");
    // The coordinator's row is refused after the hiring manager and the recruiter were added.
    s.sandbox.faults().set(FaultPlan::none().script(
        "/v3/job_owners",
        [FaultAction::Ok, FaultAction::Status(422)],
    ));
    let body = json!({
        "hiring_managers": [{"user_id": users[0]}],
        "recruiters": [{"user_id": users[1], "responsible_for_future_candidates": false}],
        "coordinators": [{"user_id": users[0], "responsible_for_future_candidates": false}],
    });
    let r = write(&s, "POST", &format!("/v1/jobs/{job}/hiring_team"), &body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("not_applied"));
    let got = r.json();
    let undone: Vec<&str> = got["undone"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert_eq!(
        undone,
        ["/v3/job_hiring_managers", "/v3/job_owners"],
        "{got}"
    );
    // Reverse order: the recruiter's row first, then the hiring manager's.
    let deletes: Vec<String> = calls(&got)
        .into_iter()
        .filter(|(m, _, _)| m == "DELETE")
        .map(|(_, p, _)| p)
        .collect();
    assert!(
        deletes.len() == 2
            && deletes[0].starts_with("/v3/job_owners/")
            && deletes[1].starts_with("/v3/job_hiring_managers/"),
        "{got}"
    );
    assert_eq!(count(&s, "job_hiring_managers"), managers);
    assert_eq!(count(&s, "job_owners"), owners);
    assert_eq!(s.get(&format!("/v1/jobs/{job}")).await.status, 200);
    s.stop().await;
}
