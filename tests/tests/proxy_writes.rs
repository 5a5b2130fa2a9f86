//! Legacy writes through harvest-proxy against the sandbox: each write's effect is read back
//! through the v1 API; the acting user is v1's On-Behalf-Of; a write is made once, and an
//! answer lost after the write was applied is decided by reading back, never by repeating it.
use bytes::Bytes;
use harvest_sandbox::DEFAULT_ADMIN_USER_ID;
use harvest_sandbox::{FaultAction, FaultPlan};
use harvest_tests::{KEY, Resp, Stack, basic, small};
use serde_json::{Value, json};

use harvest_tests::WRITE_OUTCOME as OUTCOME;

async fn write(s: &Stack, method: &str, path: &str, acting: Option<&str>, body: &Value) -> Resp {
    s.write(method, path, acting, body).await
}

fn admin() -> String {
    DEFAULT_ADMIN_USER_ID.to_string()
}

fn a_candidate(s: &Stack) -> i64 {
    s.sandbox.records("candidates")[0]["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_is_added_as_the_acting_user_and_shows_in_the_feed() {
    let s = Stack::start(small()).await;
    let id = a_candidate(&s);
    let body = json!({"user_id": DEFAULT_ADMIN_USER_ID, "body": "Phone screen went well", "visibility": "private"});
    let r = write(
        &s,
        "POST",
        &format!("/v1/candidates/{id}/activity_feed/notes"),
        Some(&admin()),
        &body,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"));
    let note = r.json();
    assert_eq!(note["body"], "Phone screen went well");
    assert_eq!(note["visibility"], "private");
    assert_eq!(note["private"], true);
    assert_eq!(note["user"]["id"], json!(DEFAULT_ADMIN_USER_ID));
    let keys: Vec<&str> = note
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "created_at",
            "body",
            "user",
            "private",
            "visiblity",
            "visibility"
        ]
    );
    // Visible through the v1 read of the feed.
    let feed = s
        .get(&format!("/v1/candidates/{id}/activity_feed"))
        .await
        .json();
    assert!(
        feed["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == note["id"]),
        "{feed}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_behalf_of_is_required_and_must_be_a_user_id() {
    let s = Stack::start(small()).await;
    let id = a_candidate(&s);
    let path = format!("/v1/candidates/{id}/activity_feed/notes");
    let body = json!({"user_id": DEFAULT_ADMIN_USER_ID, "body": "x", "visibility": "public"});
    for acting in [None, Some(""), Some("not-a-user"), Some("-1")] {
        let r = write(&s, "POST", &path, acting, &body).await;
        assert_eq!(r.status, 422, "{acting:?}: {}", r.text);
        assert_eq!(r.json()["errors"][0]["field"], "On-Behalf-Of", "{}", r.text);
        assert_eq!(r.header(OUTCOME).as_deref(), Some("not_applied"));
    }
    assert_eq!(s.sandbox.stats().writes(), 0, "nothing reached v3");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_id_that_is_not_an_id_answers_v1_404_before_any_v3_call() {
    let s = Stack::start(small()).await;
    let body = json!({"school_id": 1, "start_month": 9, "start_year": 2001});
    for path in [
        "/v1/candidates/None/educations",
        "/v1/candidates/-4/educations",
    ] {
        let r = write(&s, "POST", path, Some(&admin()), &body).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        assert_eq!(r.json(), json!({"message": "Resource not found"}), "{path}");
    }
    assert_eq!(s.sandbox.stats().writes(), 0, "nothing reached v3");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_get_v1_errors_and_reach_nothing() {
    let s = Stack::start(small()).await;
    let id = a_candidate(&s);
    let path = format!("/v1/candidates/{id}/activity_feed/notes");
    let r = write(
        &s,
        "POST",
        &path,
        Some(&admin()),
        &json!({"body": "no author"}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "user_id");
    let auth = basic(KEY);
    let raw = s
        .request(
            "POST",
            &path,
            Some(&auth),
            &[("On-Behalf-Of", &admin())],
            Bytes::from_static(b"{not json"),
        )
        .await;
    assert_eq!(raw.status, 400, "{}", raw.text);
    assert!(
        raw.json()["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    let r = write(
        &s,
        "PATCH",
        &format!("/v1/candidates/{id}"),
        Some(&admin()),
        &json!({"recruiter": {"id": 1}}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "recruiter");
    assert_eq!(s.sandbox.stats().writes(), 0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_candidate_answers_the_candidate_read_back() {
    let s = Stack::start(small()).await;
    let id = a_candidate(&s);
    let body = json!({"first_name": "Renamed", "title": "Staff Engineer", "is_private": true});
    let r = write(
        &s,
        "PATCH",
        &format!("/v1/candidates/{id}"),
        Some(&admin()),
        &body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = r.json();
    assert_eq!(
        (got["first_name"].as_str(), got["title"].as_str()),
        (Some("Renamed"), Some("Staff Engineer"))
    );
    assert_eq!(got["is_private"], true);
    // The answer is exactly what a v1 read returns now.
    let read = s.get(&format!("/v1/candidates/{id}")).await.json();
    assert_eq!(read, got);
    s.stop().await;
}

/// An active application, its current stage and another stage of its job.
fn movable(s: &Stack) -> (i64, i64, i64) {
    s.sandbox.with_data(|d| {
        let rows = |t: &str| -> Vec<Value> {
            d.table(t)
                .map(|t| t.rows().values().cloned().collect())
                .unwrap_or_default()
        };
        let stages = rows("job_interview_stages");
        for app in rows("applications") {
            if app["status"] != "in_process" || app["prospect"] == true {
                continue;
            }
            let (Some(stage), Some(job)) = (app["stage_id"].as_i64(), app["job_id"].as_i64())
            else {
                continue;
            };
            let other = stages
                .iter()
                .filter(|st| st["job_id"].as_i64() == Some(job))
                .filter_map(|st| st["id"].as_i64())
                .find(|&x| x != stage);
            if let Some(to) = other {
                return (app["id"].as_i64().unwrap(), stage, to);
            }
        }
        panic!("no movable application")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_is_applied_once_and_a_stale_move_is_refused() {
    let s = Stack::start(small()).await;
    let (app, from, to) = movable(&s);
    let path = format!("/v1/applications/{app}/move");
    let body = json!({"from_stage_id": from, "to_stage_id": to});
    let r = write(&s, "POST", &path, Some(&admin()), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["current_stage"]["id"], json!(to), "{}", r.text);
    assert_eq!(r.json()["id"], json!(app));
    // The same move again: from_stage_id no longer holds, v3 refuses, nothing changes.
    let again = write(&s, "POST", &path, Some(&admin()), &body).await;
    assert_eq!(again.status, 422, "{}", again.text);
    assert_eq!(again.header(OUTCOME).as_deref(), Some("not_applied"));
    let read = s.get(&format!("/v1/applications/{app}")).await.json();
    assert_eq!(read["current_stage"]["id"], json!(to));
    s.stop().await;
}

/// The job's stages in v1's order (`GET /v1/jobs/{id}/stages`), and of an active application
/// not in its job's last stage: (application, job, stage).
async fn advanceable(s: &Stack) -> (i64, Vec<i64>, i64) {
    let apps = s.sandbox.records("applications");
    for app in apps
        .iter()
        .filter(|a| a["status"] == "in_process" && a["prospect"] != true)
    {
        let (Some(stage), Some(job)) = (app["stage_id"].as_i64(), app["job_id"].as_i64()) else {
            continue;
        };
        let stages: Vec<i64> = s
            .get(&format!("/v1/jobs/{job}/stages"))
            .await
            .json()
            .as_array()
            .map(|a| a.iter().filter_map(|st| st["id"].as_i64()).collect())
            .unwrap_or_default();
        if stages
            .iter()
            .position(|x| *x == stage)
            .is_some_and(|p| p + 1 < stages.len())
        {
            return (app["id"].as_i64().unwrap(), stages, stage);
        }
    }
    panic!("no application to advance")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advance_moves_to_the_next_stage_of_the_job_once() {
    let s = Stack::start(small()).await;
    let (app, stages, from) = advanceable(&s).await;
    let next = stages[stages.iter().position(|x| *x == from).unwrap() + 1];
    let path = format!("/v1/applications/{app}/advance");
    let body = json!({"from_stage_id": from});
    let r = write(&s, "POST", &path, Some(&admin()), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"));
    assert_eq!(r.json()["current_stage"]["id"], json!(next), "{}", r.text);
    // v1 reads see the application in the next stage; the same advance again is refused (the
    // application left `from_stage_id`) and moves nothing.
    let read = s.get(&format!("/v1/applications/{app}")).await.json();
    assert_eq!(read["current_stage"]["id"], json!(next));
    assert_eq!(read, r.json(), "the answer is what a v1 read returns");
    let again = write(&s, "POST", &path, Some(&admin()), &body).await;
    assert_eq!(again.status, 422, "{}", again.text);
    assert_eq!(again.header(OUTCOME).as_deref(), Some("not_applied"));
    let read = s.get(&format!("/v1/applications/{app}")).await.json();
    assert_eq!(read["current_stage"]["id"], json!(next));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_candidate_answers_v1_message_and_the_read_is_gone() {
    let s = Stack::start(small()).await;
    let id = a_candidate(&s);
    let r = write(
        &s,
        "DELETE",
        &format!("/v1/candidates/{id}"),
        Some(&admin()),
        &json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"message": format!("Person {id} has been deleted.")})
    );
    assert_eq!(s.get(&format!("/v1/candidates/{id}")).await.status, 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_lost_after_the_write_is_decided_by_reading_back() {
    let s = Stack::start(small()).await;
    let id = a_candidate(&s);
    let path = format!("/v1/candidates/{id}");
    // The PATCH is applied, then the connection drops: the read-back finds it applied.
    s.sandbox
        .faults()
        .set(FaultPlan::none().script(&format!("/v3/candidates/{id}"), [FaultAction::Lost]));
    let writes_before = s.sandbox.stats().writes();
    let r = write(
        &s,
        "PATCH",
        &path,
        Some(&admin()),
        &json!({"last_name": "Once"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["last_name"], "Once");
    assert_eq!(
        s.sandbox.stats().writes() - writes_before,
        1,
        "written once, never repeated"
    );
    // A note whose answer is lost is found among the notes made since the call (its
    // candidate, its text): applied, answered as if v3 had answered, posted once.
    let notes = format!("{path}/activity_feed/notes");
    s.sandbox
        .faults()
        .set(FaultPlan::none().script("/v3/notes", [FaultAction::Lost]));
    let before = s.sandbox.records("notes").len();
    let body =
        json!({"user_id": DEFAULT_ADMIN_USER_ID, "body": "lost answer", "visibility": "public"});
    let r = write(&s, "POST", &notes, Some(&admin()), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"));
    assert_eq!(r.json()["body"], "lost answer", "{}", r.text);
    let after = s.sandbox.records("notes").len();
    assert_eq!(after, before + 1, "posted exactly once");
    // The same note again, its answer lost: two notes match, the proxy cannot tell which is
    // this call's, and says so (unknown), without posting it a third time.
    s.sandbox
        .faults()
        .set(FaultPlan::none().script("/v3/notes", [FaultAction::Lost]));
    let r = write(&s, "POST", &notes, Some(&admin()), &body).await;
    assert_eq!(r.status, 502, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("unknown"));
    assert_eq!(r.json()["outcome"], "unknown");
    assert_eq!(s.sandbox.records("notes").len(), after + 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let s = Stack::start(small()).await;
    let id = a_candidate(&s);
    let path = format!("/v1/candidates/{id}/activity_feed/notes");
    let auth = basic(KEY);
    let acting = admin();
    let send = |body: Value, key: &'static str| {
        let (auth, acting, path) = (auth.clone(), acting.clone(), path.clone());
        let s = &s;
        async move {
            let headers = [
                ("Content-Type", "application/json"),
                ("On-Behalf-Of", acting.as_str()),
                ("Idempotency-Key", key),
            ];
            let body = Bytes::from(serde_json::to_vec(&body).unwrap());
            s.request("POST", &path, Some(&auth), &headers, body).await
        }
    };
    let body =
        json!({"user_id": DEFAULT_ADMIN_USER_ID, "body": "once only", "visibility": "public"});
    let first = send(body.clone(), "sync-42").await;
    assert_eq!(first.status, 201, "{}", first.text);
    let writes = s.sandbox.stats().writes();
    let again = send(body.clone(), "sync-42").await;
    assert_eq!(
        (again.status, again.text.as_str()),
        (201, first.text.as_str())
    );
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(
        s.sandbox.stats().writes(),
        writes,
        "the replay made no v3 call"
    );
    let notes = s.sandbox.records("notes");
    assert_eq!(notes.iter().filter(|n| n["body"] == "once only").count(), 1);
    // The same key with another body is refused; another key is a new write.
    let other = send(
        json!({"user_id": DEFAULT_ADMIN_USER_ID, "body": "changed", "visibility": "public"}),
        "sync-42",
    )
    .await;
    assert_eq!(other.status, 422, "{}", other.text);
    assert_eq!(other.json()["errors"][0]["field"], "Idempotency-Key");
    let fresh = send(body, "sync-43").await;
    assert_eq!(fresh.status, 201);
    assert_ne!(fresh.json()["id"], first.json()["id"]);
    // A write that was not applied gives its key back.
    let bad = send(json!({"body": "no author"}), "sync-44").await;
    assert_eq!(bad.status, 422);
    let good = send(
        json!({"user_id": DEFAULT_ADMIN_USER_ID, "body": "no author", "visibility": "public"}),
        "sync-44",
    )
    .await;
    assert_eq!(good.status, 201, "{}", good.text);
    s.stop().await;
}
