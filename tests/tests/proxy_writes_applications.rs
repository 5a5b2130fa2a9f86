//! The application and offer writes through harvest-proxy against the sandbox: each write is
//! made as the acting user (v1's On-Behalf-Of), answered as v1 documented it, and its effect is
//! read back through the v1 API.

use harvest_sandbox::DEFAULT_ADMIN_USER_ID;
use harvest_tests::{Resp, Stack, small};
use serde_json::{Value, json};

use harvest_tests::WRITE_OUTCOME as OUTCOME;

async fn write(s: &Stack, method: &str, path: &str, body: &Value) -> Resp {
    let acting = DEFAULT_ADMIN_USER_ID.to_string();
    s.write(method, path, Some(&acting), body).await
}

fn rows(s: &Stack, table: &str) -> Vec<Value> {
    s.sandbox.records(table)
}

/// The first application matching `f`.
fn application(s: &Stack, f: impl Fn(&Value) -> bool) -> Value {
    rows(s, "applications")
        .into_iter()
        .find(|a| f(a))
        .expect("a matching application in the sandbox data")
}

fn active(a: &Value) -> bool {
    a["status"] == "in_process" && a["prospect"] == false && a["stage_id"].is_i64()
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// Stage ids of a job, in sandbox order.
fn stages_of(s: &Stack, job: i64) -> Vec<i64> {
    let mut st: Vec<(i64, i64)> = rows(s, "job_interview_stages")
        .iter()
        .filter(|r| r["job_id"].as_i64() == Some(job) && r["active"] != false)
        .map(|r| (r["sort_order"].as_i64().unwrap_or(0), id(r)))
        .collect();
    st.sort();
    st.into_iter().map(|(_, i)| i).collect()
}

/// A write answered 200 (or `status`) with outcome `applied`: its body.
fn applied(r: &Resp, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"), "{}", r.text);
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_application_answers_v1_message_and_the_read_is_gone() {
    let s = Stack::start(small()).await;
    let app = id(&application(&s, active));
    let r = write(&s, "DELETE", &format!("/v1/applications/{app}"), &json!({})).await;
    let got = applied(&r, 200);
    assert_eq!(
        got,
        json!({"message": format!("Application {app} has been deleted.")})
    );
    assert_eq!(s.get(&format!("/v1/applications/{app}")).await.status, 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updating_an_application_writes_fields_referrer_and_custom_fields() {
    let s = Stack::start(small()).await;
    let app = id(&application(&s, active));
    // A user with a v3 referrer record: v1 credits users, v3 referrer records.
    let referrer = rows(&s, "referrers")
        .into_iter()
        .find(|r| r["user_id"].is_i64())
        .unwrap();
    let user = referrer["user_id"].as_i64().unwrap();
    let source = id(&rows(&s, "sources")[0]);
    let body = json!({
        "source_id": source,
        "recruiter_id": DEFAULT_ADMIN_USER_ID,
        "referrer": {"type": "id", "value": user},
        "custom_fields": [{"name_key": "notice_period", "value": "3 months"}],
    });
    let r = write(&s, "PATCH", &format!("/v1/applications/{app}"), &body).await;
    let got = applied(&r, 200);
    assert_eq!(got["id"], json!(app));
    assert_eq!(got["source"]["id"], json!(source), "{got}");
    assert_eq!(got["recruiter"]["id"], json!(DEFAULT_ADMIN_USER_ID));
    assert_eq!(got["credited_to"]["id"], json!(user), "{got}");
    assert_eq!(got["custom_fields"]["notice_period"], "3 months", "{got}");
    assert_eq!(
        rows(&s, "applications")
            .iter()
            .find(|a| id(a) == app)
            .unwrap()["referrer_id"],
        referrer["id"],
        "v3 holds the referrer record, not the user id"
    );
    // The answer is exactly what a v1 read returns now.
    assert_eq!(s.get(&format!("/v1/applications/{app}")).await.json(), got);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referrers_v3_cannot_credit_are_refused_before_anything_is_written() {
    let s = Stack::start(small()).await;
    let app = id(&application(&s, active));
    let path = format!("/v1/applications/{app}");
    let before = s.sandbox.stats().writes();
    let r = write(
        &s,
        "PATCH",
        &path,
        &json!({"referrer": {"type": "outside", "value": "Jane Doe"}}),
    )
    .await;
    assert!(r.status == 400 || r.status == 422, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("not_applied"));
    // A user who never referred anyone has no referrer record to point at.
    let never = rows(&s, "users")
        .into_iter()
        .map(|u| id(&u))
        .find(|u| {
            !rows(&s, "referrers")
                .iter()
                .any(|r| r["user_id"] == json!(u))
        })
        .unwrap();
    let r = write(
        &s,
        "PATCH",
        &path,
        &json!({"referrer": {"type": "id", "value": never}}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), before, "nothing reached v3");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejection_custom_fields_go_to_the_rejection_row() {
    let s = Stack::start(small()).await;
    let app = id(&application(&s, |a| a["status"] == "rejected"));
    let body = json!({"rejection_details": {"custom_fields": [
        {"name_key": "rejection_feedback", "value": "Strong, but no visa sponsorship"}
    ]}});
    let r = write(&s, "PATCH", &format!("/v1/applications/{app}"), &body).await;
    let got = applied(&r, 200);
    assert_eq!(
        got["rejection_details"]["custom_fields"]["rejection_feedback"],
        "Strong, but no visa sponsorship",
        "{got}"
    );
    // An application that is not rejected has no rejection row: 404, nothing written.
    let other = id(&application(&s, active));
    let before = s.sandbox.stats().writes();
    let r = write(&s, "PATCH", &format!("/v1/applications/{other}"), &body).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), before);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_to_job_moves_the_application_to_the_new_job() {
    let s = Stack::start(small()).await;
    let a = application(&s, active);
    let (app, job) = (id(&a), a["job_id"].as_i64().unwrap());
    let (new_job, stages) = rows(&s, "jobs")
        .iter()
        .map(id)
        .filter(|j| *j != job)
        .map(|j| (j, stages_of(&s, j)))
        .find(|(_, st)| st.len() > 1)
        .unwrap();
    let path = format!("/v1/applications/{app}/transfer_to_job");
    let r = write(
        &s,
        "POST",
        &path,
        &json!({"new_job_id": new_job, "new_stage_id": stages[1]}),
    )
    .await;
    let got = applied(&r, 200);
    assert_eq!(got["jobs"][0]["id"], json!(new_job), "{got}");
    assert_eq!(got["current_stage"]["id"], json!(stages[1]), "{got}");
    // Without a stage: the new job's first stage (transferred back to the original job).
    let r = write(&s, "POST", &path, &json!({"new_job_id": job})).await;
    let got = applied(&r, 200);
    assert_eq!(got["jobs"][0]["id"], json!(job));
    assert_eq!(got["current_stage"]["id"], json!(stages_of(&s, job)[0]));
    assert_eq!(s.get(&format!("/v1/applications/{app}")).await.json(), got);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hiring_answers_the_hired_application() {
    let s = Stack::start(small()).await;
    let app = id(&application(&s, active));
    let r = write(
        &s,
        "POST",
        &format!("/v1/applications/{app}/hire"),
        &json!({"start_date": "2026-09-01"}),
    )
    .await;
    let got = applied(&r, 200);
    assert_eq!(got["status"], "hired", "{got}");
    assert_eq!(got["current_stage"], Value::Null);
    assert_eq!(s.get(&format!("/v1/applications/{app}")).await.json(), got);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_change_the_reason_and_unreject() {
    let s = Stack::start(small()).await;
    let app = id(&application(&s, active));
    let reasons: Vec<Value> = rows(&s, "rejection_reasons");
    let (first, second) = (id(&reasons[0]), &reasons[1]);
    let base = format!("/v1/applications/{app}");
    // v3 requires a reason: a rejection without one is refused before it reaches v3.
    let r = write(
        &s,
        "POST",
        &format!("{base}/reject"),
        &json!({"notes": "x"}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "rejection_reason_id");
    let body = json!({"rejection_reason_id": first, "notes": "Not enough Spark experience."});
    let got = applied(
        &write(&s, "POST", &format!("{base}/reject"), &body).await,
        200,
    );
    assert_eq!(got["status"], "rejected", "{got}");
    assert_eq!(got["rejection_reason"]["id"], json!(first));
    // Update Rejection Reason: v1's message.
    let r = write(
        &s,
        "PATCH",
        &format!("{base}/reject"),
        &json!({"rejection_reason_id": id(second)}),
    )
    .await;
    let msg = format!(
        "Rejection reason updated to {} ({})",
        id(second),
        second["name"].as_str().unwrap()
    );
    assert_eq!(
        applied(&r, 200),
        json!({"id": app, "message": msg, "success": true})
    );
    let read = s.get(&base).await.json();
    assert_eq!(read["rejection_reason"]["id"], second["id"], "{read}");
    // Unreject: active again, no rejection.
    let got = applied(
        &write(&s, "POST", &format!("{base}/unreject"), &json!({})).await,
        200,
    );
    assert_eq!(got["status"], "active", "{got}");
    assert_eq!(got["rejection_reason"], Value::Null);
    assert!(got["current_stage"]["id"].is_i64(), "{got}");
    // The application is no longer rejected: changing its reason finds no rejection (404).
    let r = write(
        &s,
        "PATCH",
        &format!("{base}/reject"),
        &json!({"rejection_reason_id": first}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_is_added_to_the_application() {
    let s = Stack::start(small()).await;
    let app = id(&application(&s, active));
    let path = format!("/v1/applications/{app}/attachments");
    let body = json!({"filename": "take_home.pdf", "type": "take_home_test",
        "content": "R0lGODlhAQABAIAAAAUEBAAAACwAAAAAAQABAAACAkQBADs=", "content_type": "application/pdf"});
    let got = applied(&write(&s, "POST", &path, &body).await, 201);
    let keys: Vec<&str> = got
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["filename", "url", "type", "content_type"]);
    assert_eq!(
        (got["filename"].as_str(), got["type"].as_str()),
        (Some("take_home.pdf"), Some("take_home_test"))
    );
    let read = s.get(&format!("/v1/applications/{app}")).await.json();
    assert!(
        read["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["filename"] == "take_home.pdf" && a["url"] == got["url"]),
        "{read}"
    );
    // v3 attachments have no visibility: refused, not dropped.
    let r = write(
        &s,
        "POST",
        &path,
        &json!({"filename": "a.pdf", "type": "other", "visibility": "admin_only"}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "visibility");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_current_offer_is_updated() {
    let s = Stack::start(small()).await;
    // An application whose current offer v1 can read.
    let mut app = None;
    for o in rows(&s, "offers") {
        let a = o["application_id"].as_i64().unwrap();
        if s.get(&format!("/v1/applications/{a}/offers/current_offer"))
            .await
            .status
            == 200
        {
            app = Some(a);
            break;
        }
    }
    let app = app.expect("an application with a current offer");
    let path = format!("/v1/applications/{app}/offers/current_offer");
    let body = json!({"start_date": "2026-10-05", "sent_at": "2026-09-01",
        "custom_fields": [{"name_key": "base_salary", "value": "155000"}]});
    assert_eq!(
        applied(&write(&s, "PATCH", &path, &body).await, 200),
        json!({"success": true})
    );
    let read = s.get(&path).await.json();
    assert_eq!(read["starts_at"], "2026-10-05", "{read}");
    assert_eq!(read["sent_at"], "2026-09-01", "{read}");
    assert_eq!(read["custom_fields"]["base_salary"], "155000", "{read}");
    // An application without offers: 404, as v1.
    let none = rows(&s, "applications")
        .into_iter()
        .map(|a| id(&a))
        .find(|a| {
            !rows(&s, "offers")
                .iter()
                .any(|o| o["application_id"] == json!(a))
        })
        .unwrap();
    let r = write(
        &s,
        "PATCH",
        &format!("/v1/applications/{none}/offers/current_offer"),
        &body,
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    s.stop().await;
}

fn a_candidate(s: &Stack) -> i64 {
    id(&rows(s, "candidates")[0])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_is_added_with_its_referrer_and_attachments() {
    let s = Stack::start(small()).await;
    let cand = a_candidate(&s);
    let job = id(&rows(&s, "jobs")[0]);
    let stage = stages_of(&s, job)[1];
    let referrer = rows(&s, "referrers")
        .into_iter()
        .find(|r| r["user_id"].is_i64())
        .unwrap();
    let body = json!({"job_id": job, "initial_stage_id": stage,
        "referrer": {"type": "id", "value": referrer["user_id"]},
        "attachments": [{"filename": "cv.pdf", "type": "resume",
            "content": "R0lGODlhAQABAIAAAAUEBAAAACwAAAAAAQABAAACAkQBADs=", "content_type": "application/pdf"}]});
    let r = write(
        &s,
        "POST",
        &format!("/v1/candidates/{cand}/applications"),
        &body,
    )
    .await;
    let got = applied(&r, 201);
    assert_eq!(got["candidate_id"], json!(cand));
    assert_eq!(got["prospect"], false);
    assert_eq!(got["jobs"][0]["id"], json!(job), "{got}");
    assert_eq!(got["current_stage"]["id"], json!(stage), "{got}");
    assert_eq!(got["credited_to"]["id"], referrer["user_id"], "{got}");
    assert_eq!(got["attachments"][0]["filename"], "cv.pdf", "{got}");
    let app = got["id"].as_i64().unwrap();
    assert_eq!(s.get(&format!("/v1/applications/{app}")).await.json(), got);
    let read = s.get(&format!("/v1/candidates/{cand}")).await.json();
    assert!(
        read["application_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(app)),
        "{read}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prospect_application_is_added_in_its_pool() {
    let s = Stack::start(small()).await;
    let cand = a_candidate(&s);
    let stage = rows(&s, "prospect_pool_stages")[0].clone();
    let pool = stage["prospect_pool_id"].as_i64().unwrap();
    let job = id(&rows(&s, "jobs")[0]);
    let office = id(&rows(&s, "offices")[0]);
    let body = json!({"prospect": "true", "job_ids": [job], "prospect_pool_id": pool,
        "prospect_pool_stage_id": stage["id"], "prospect_owner_id": DEFAULT_ADMIN_USER_ID,
        "prospective_office_id": office});
    let r = write(
        &s,
        "POST",
        &format!("/v1/candidates/{cand}/applications"),
        &body,
    )
    .await;
    let got = applied(&r, 201);
    assert_eq!(got["prospect"], true, "{got}");
    assert_eq!(got["jobs"][0]["id"], json!(job), "{got}");
    assert_eq!(got["current_stage"], Value::Null);
    assert_eq!(
        got["prospect_detail"]["prospect_pool"]["id"],
        json!(pool),
        "{got}"
    );
    assert_eq!(got["prospect_detail"]["prospect_stage"]["id"], stage["id"]);
    assert_eq!(
        got["prospect_detail"]["prospect_owner"]["id"],
        json!(DEFAULT_ADMIN_USER_ID)
    );
    assert_eq!(got["prospective_office"]["id"], json!(office), "{got}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_refused_after_the_application_was_created_undoes_the_application() {
    let s = Stack::start(small()).await;
    let cand = a_candidate(&s);
    let job = id(&rows(&s, "jobs")[0]);
    let before = rows(&s, "applications").len();
    let body = json!({"job_id": job, "attachments": [{"filename": "x.bin", "type": "not_a_type"}]});
    let r = write(
        &s,
        "POST",
        &format!("/v1/candidates/{cand}/applications"),
        &body,
    )
    .await;
    // v1 took the application with its attachments in one request: the proxy deletes the
    // application it created and answers v1's 422 for the attachment.
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("not_applied"));
    let got = r.json();
    assert_eq!(got["errors"][0]["field"], "type", "{got}");
    let calls = got["v3_calls"].clone();
    assert_eq!(calls[0]["path"], "/v3/applications", "{calls}");
    assert_eq!(calls[0]["applied"], true);
    assert_eq!(calls[0]["undone"], true);
    assert_eq!(calls[1]["applied"], false);
    let app = calls[0]["id"].as_i64().unwrap();
    assert_eq!(calls[2]["method"], "DELETE");
    assert_eq!(calls[2]["path"], format!("/v3/applications/{app}"));
    assert_eq!(calls[2]["undoes"], 0);
    assert_eq!(got["remains"], json!([]));
    assert_eq!(
        rows(&s, "applications").len(),
        before,
        "created once, then undone"
    );
    assert_eq!(s.get(&format!("/v1/applications/{app}")).await.status, 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prospect_is_converted_into_a_candidate_on_a_job() {
    let s = Stack::start(small()).await;
    let prospect = application(&s, |a| a["prospect"] == true && a["status"] == "in_process");
    let old = id(&prospect);
    let job = application(&s, active)["job_id"].as_i64().unwrap();
    let stage = stages_of(&s, job)[1];
    // v1 required job_id: refused before anything is sent.
    let path = format!("/v1/applications/{old}/convert_prospect");
    let writes = s.sandbox.stats().writes();
    let r = write(&s, "PATCH", &path, &json!({"initial_stage_id": stage})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "job_id");
    assert_eq!(s.sandbox.stats().writes(), writes);
    let r = write(
        &s,
        "PATCH",
        &path,
        &json!({"job_id": job, "initial_stage_id": stage}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"));
    let got = r.json();
    assert_eq!(got["success"], true, "{got}");
    assert_eq!(got["old_application_id"], json!(old));
    assert_eq!(got["new_job_id"], json!(job));
    assert_eq!(got["new_stage_id"], json!(stage));
    let new = got["new_application_id"].as_i64().unwrap();
    assert_ne!(new, old);
    // Read back through v1: the new application is the prospect's candidate's, on the job.
    let app = s.get(&format!("/v1/applications/{new}")).await.json();
    assert_eq!(app["candidate_id"], prospect["candidate_id"], "{app}");
    assert_eq!(app["prospect"], false);
    assert_eq!(app["jobs"][0]["id"], json!(job));
    assert_eq!(app["current_stage"]["id"], json!(stage));
    // The prospect application is converted: converting it again is refused by v3.
    let r = write(&s, "PATCH", &path, &json!({"job_id": job})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("not_applied"));
    s.stop().await;
}
