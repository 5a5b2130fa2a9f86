//! Write routes: status codes, 422 bodies, read-after-write, and the application actions.

mod common;

use harvest_sandbox::Sandbox;
use serde_json::{Value, json};

async fn read_one(sb: &Sandbox, t: &str, res: &str, id: &Value) -> Option<Value> {
    let r = common::get(sb, t, &format!("/v3/{res}?ids={id}")).await;
    assert_eq!(r.status, 200);
    r.json().as_array().expect("array").first().cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_delete_candidate() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let r = common::call(&sb, &t, "POST", "/v3/candidates", Some(json!({
        "first_name": "Grace", "last_name": "Hopper", "company": "Navy",
        "email_addresses": [{"value": "grace@example.com", "type": "personal"}], "tags": ["Python", "Brand New Tag"],
        "custom_fields": [{"name_key": "desired_salary", "value": "200000"}]
    }))).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let created = r.json();
    let id = created["id"].clone();
    assert_eq!(
        created["custom_fields"]["desired_salary"],
        json!({"name": "Desired Salary", "type": "short_text", "value": "200000"})
    );
    assert_eq!(created["tags"], json!(["Python", "Brand New Tag"]));
    let read = read_one(&sb, &t, "candidates", &id)
        .await
        .expect("read after create");
    assert_eq!(read, created);
    // it is the newest record, so it leads the default listing
    let r = common::get(&sb, &t, "/v3/candidates?per_page=1").await;
    assert_eq!(r.json()[0]["id"], id);
    // applied tags follow
    let r = common::get(
        &sb,
        &t,
        &format!("/v3/applied_candidate_tags?candidate_ids={id}"),
    )
    .await;
    assert_eq!(r.json().as_array().expect("array").len(), 2);
    // PATCH
    let r = common::call(
        &sb,
        &t,
        "PATCH",
        &format!("/v3/candidates/{id}"),
        Some(json!({"title": "Rear Admiral"})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["title"], "Rear Admiral");
    assert_eq!(
        read_one(&sb, &t, "candidates", &id).await.expect("read")["title"],
        "Rear Admiral"
    );
    // DELETE
    let r = common::call(&sb, &t, "DELETE", &format!("/v3/candidates/{id}"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"message": format!("Candidate {id} deleted successfully")})
    );
    assert!(read_one(&sb, &t, "candidates", &id).await.is_none());
    // now gone
    assert_eq!(
        common::call(
            &sb,
            &t,
            "PATCH",
            &format!("/v3/candidates/{id}"),
            Some(json!({"title": "x"}))
        )
        .await
        .status,
        404
    );
    assert_eq!(
        common::call(&sb, &t, "DELETE", &format!("/v3/candidates/{id}"), None)
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_are_422() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let r = common::call(
        &sb,
        &t,
        "POST",
        "/v3/candidates",
        Some(json!({"first_name": "Only"})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json(),
        json!({"message": "Unprocessable Content", "errors": [{"last_name": "is required"}]})
    );
    let r = common::call(
        &sb,
        &t,
        "POST",
        "/v3/applications",
        Some(json!({"candidate_id": "x", "job_id": 1})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(common::errors_text(&r).contains("candidate_id"));
    let r = common::call(
        &sb,
        &t,
        "POST",
        "/v3/applications",
        Some(json!({"candidate_id": 1, "job_id": 1})),
    )
    .await;
    assert_eq!(r.status, 422, "unknown parents are refused");
    let r = common::call(
        &sb,
        &t,
        "POST",
        "/v3/applications",
        Some(json!({"candidate_id": 1, "job_id": 1, "bogus": true})),
    )
    .await;
    assert!(common::errors_text(&r).contains("bogus"));
    let r = common::call(&sb, &t, "POST", "/v3/notes", Some(json!({"candidate_id": sb.records("candidates")[0]["id"], "body": "x", "visibility": "secret"}))).await;
    assert_eq!(r.status, 422);
    let r = common::send(
        "POST",
        &format!("{}/v3/candidates", sb.base_url()),
        &[("authorization", format!("Bearer {t}"))],
        Some(b"{not json".to_vec()),
    )
    .await
    .expect("req");
    assert_eq!(r.status, 400);
    let email = sb.records("users")[0]["primary_email"].clone();
    let r = common::call(
        &sb,
        &t,
        "POST",
        "/v3/users",
        Some(json!({"first_name": "A", "last_name": "B", "primary_email": email})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(common::errors_text(&r).contains("taken"));
    // unknown write routes are 404 even unauthenticated
    let r = common::send(
        "POST",
        &format!("{}/v3/sources", sb.base_url()),
        &[],
        Some(b"{}".to_vec()),
    )
    .await
    .expect("req");
    assert_eq!(r.status, 404);
    let r = common::send(
        "POST",
        &format!("{}/v3/candidates", sb.base_url()),
        &[],
        Some(b"{}".to_vec()),
    )
    .await
    .expect("req");
    assert_eq!(r.status, 401);
}

fn active_app(sb: &Sandbox) -> Value {
    let stages = sb.records("job_interview_stages");
    sb.records("applications")
        .into_iter()
        .find(|a| {
            a["status"] == "in_process" && a["prospect"] == false && {
                // not in the job's last stage
                let job_stages: Vec<&Value> = stages
                    .iter()
                    .filter(|s| s["job_id"] == a["job_id"])
                    .collect();
                let max = job_stages
                    .iter()
                    .filter_map(|s| s["sort_order"].as_i64())
                    .max();
                job_stages
                    .iter()
                    .any(|s| s["id"] == a["stage_id"] && s["sort_order"].as_i64() < max)
            }
        })
        .expect("an active application")
}

/// POSTs an application action (`move`, `reject`, `unreject`, `hire`...).
async fn action(
    sb: &Sandbox,
    t: &str,
    id: &Value,
    name: &str,
    body: Option<Value>,
) -> common::Resp {
    common::call(
        sb,
        t,
        "POST",
        &format!("/v3/applications/{id}/{name}"),
        body,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn move_advances_to_the_next_stage_and_a_stale_from_stage_is_refused() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let app = active_app(&sb);
    let id = app["id"].clone();
    let from = app["stage_id"].clone();
    let r = action(&sb, &t, &id, "move", Some(json!({"from_stage_id": from}))).await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.body.is_empty());
    let after = read_one(&sb, &t, "applications", &id).await.expect("app");
    assert_ne!(after["stage_id"], from);
    let r = common::get(
        &sb,
        &t,
        &format!("/v3/application_stages?application_ids={id}&current=true"),
    )
    .await;
    assert_eq!(r.json()[0]["job_interview_stage_id"], after["stage_id"]);
    let r = action(&sb, &t, &id, "move", Some(json!({"from_stage_id": from}))).await;
    assert_eq!(r.status, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_needs_a_reason_and_unreject_restores_the_stage() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let app = active_app(&sb);
    let id = app["id"].clone();
    let reason = sb.records("rejection_reasons")[0]["id"].clone();
    assert_eq!(
        action(&sb, &t, &id, "reject", Some(json!({}))).await.status,
        422
    );
    let body = json!({"rejection_reason_id": reason, "notes": "Not now"});
    assert_eq!(action(&sb, &t, &id, "reject", Some(body)).await.status, 204);
    let rejected = read_one(&sb, &t, "applications", &id).await.expect("app");
    assert_eq!(rejected["status"], "rejected");
    assert!(rejected["rejected_at"].is_string());
    let r = common::get(
        &sb,
        &t,
        &format!("/v3/rejection_details?application_ids={id}"),
    )
    .await;
    assert_eq!(r.json()[0]["rejection_reason_id"], reason);
    let again = json!({"rejection_reason_id": reason});
    assert_eq!(
        action(&sb, &t, &id, "reject", Some(again)).await.status,
        422
    );
    // unreject → back in process at the same stage
    assert_eq!(
        action(&sb, &t, &id, "unreject", Some(json!({})))
            .await
            .status,
        204
    );
    let back = read_one(&sb, &t, "applications", &id).await.expect("app");
    assert_eq!(back["status"], "in_process");
    assert_eq!(back["stage_id"], app["stage_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hire_ends_the_application() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let id = active_app(&sb)["id"].clone();
    let start = json!({"start_date": "2026-07-01T00:00:00Z"});
    assert_eq!(action(&sb, &t, &id, "hire", Some(start)).await.status, 204);
    assert_eq!(
        read_one(&sb, &t, "applications", &id).await.expect("app")["status"],
        "hired"
    );
    let from_null = json!({"from_stage_id": null});
    assert_eq!(
        action(&sb, &t, &id, "move", Some(from_null)).await.status,
        422
    );
    // unknown application → 404
    assert_eq!(
        action(&sb, &t, &json!(1), "hire", Some(json!({})))
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_create_patch_convert_and_delete() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let cand = sb.records("candidates")[0]["id"].clone();
    let job = sb
        .records("jobs")
        .into_iter()
        .find(|j| j["status"] == "open")
        .expect("open job")["id"]
        .clone();
    let r = common::call(&sb, &t, "POST", "/v3/applications", Some(json!({"candidate_id": cand, "job_id": job, "source_id": sb.records("sources")[0]["id"]}))).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let app = r.json();
    assert_eq!(app["status"], "in_process");
    assert!(app["stage_id"].is_i64() && app["stage_name"].is_string());
    let r = common::get(&sb, &t, &format!("/v3/applications?candidate_ids={cand}")).await;
    assert!(
        r.json()
            .as_array()
            .expect("array")
            .iter()
            .any(|a| a["id"] == app["id"])
    );
    let r = common::call(
        &sb,
        &t,
        "PATCH",
        &format!("/v3/applications/{}", app["id"]),
        Some(json!({"custom_fields": [{"name_key": "notice_period", "value": "2 weeks"}]})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["custom_fields"]["notice_period"]["value"],
        "2 weeks"
    );
    // prospect → convert_to_candidate (200 + the new application)
    let r = common::call(
        &sb,
        &t,
        "POST",
        "/v3/applications",
        Some(json!({"candidate_id": cand, "prospect": true})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let prospect = r.json();
    assert_eq!(prospect["job_id"], Value::Null);
    let r = common::call(
        &sb,
        &t,
        "POST",
        &format!("/v3/applications/{}/convert_to_candidate", prospect["id"]),
        Some(json!({"job_id": job})),
    )
    .await;
    assert_eq!(r.status, 200);
    let converted = r.json();
    assert_eq!(converted["job_id"], job);
    assert_eq!(
        read_one(&sb, &t, "applications", &prospect["id"])
            .await
            .expect("prospect")["status"],
        "converted"
    );
    // delete
    let r = common::call(
        &sb,
        &t,
        "DELETE",
        &format!("/v3/applications/{}", app["id"]),
        None,
    )
    .await;
    assert_eq!(
        r.json(),
        json!({"message": format!("Application {} deleted successfully", app["id"])})
    );
    assert!(
        read_one(&sb, &t, "applications", &app["id"])
            .await
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn note_visibility_takes_the_write_form() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let cand = sb.records("candidates")[0]["id"].clone();
    let r = common::call(&sb, &t, "POST", "/v3/notes", Some(json!({"candidate_id": cand, "body": "Called", "visibility": "private", "user_id": harvest_sandbox::DEFAULT_ADMIN_USER_ID}))).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["visibility"], "privately_visible");
    let r = common::get(
        &sb,
        &t,
        &format!("/v3/notes?candidate_ids={cand}&per_page=1"),
    )
    .await;
    assert_eq!(r.json()[0]["body"], "Called");
}

/// Creates the user "New Person"; returns its id.
async fn new_user(sb: &Sandbox, t: &str) -> Value {
    let r = common::call(sb, t, "POST", "/v3/users", Some(json!({"first_name": "New", "last_name": "Person", "primary_email": "new.person@acme.example"}))).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["name"], "New Person");
    r.json()["id"].clone()
}

/// POSTs a user action (`deactivate`, `activate`); returns the status.
async fn user_action(sb: &Sandbox, t: &str, uid: &Value, name: &str, body: Option<Value>) -> u16 {
    common::call(sb, t, "POST", &format!("/v3/users/{uid}/{name}"), body)
        .await
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_create_deactivate_activate_and_patch() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let uid = new_user(&sb, &t).await;
    let r = common::get(&sb, &t, "/v3/users?primary_email=new.person@acme.example").await;
    assert_eq!(r.json()[0]["id"], uid);
    assert_eq!(
        user_action(&sb, &t, &uid, "deactivate", Some(json!({}))).await,
        204
    );
    assert_eq!(
        read_one(&sb, &t, "users", &uid).await.expect("user")["deactivated"],
        true
    );
    assert_eq!(user_action(&sb, &t, &uid, "activate", None).await, 204);
    assert_eq!(
        read_one(&sb, &t, "users", &uid).await.expect("user")["deactivated"],
        false
    );
    let r = common::call(
        &sb,
        &t,
        "PATCH",
        &format!("/v3/users/{uid}"),
        Some(json!({"last_name": "Name"})),
    )
    .await;
    assert_eq!(r.json()["name"], "New Name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hiring_team_rows_are_created_listed_and_deleted() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let uid = new_user(&sb, &t).await;
    let job = sb.records("jobs")[0]["id"].clone();
    let r = common::call(
        &sb,
        &t,
        "POST",
        "/v3/job_owners",
        Some(json!({"job_id": job, "user_id": uid, "type": "sourcer"})),
    )
    .await;
    assert_eq!(r.status, 201);
    let row = r.json()["id"].clone();
    let r = common::get(
        &sb,
        &t,
        &format!("/v3/job_owners?job_ids={job}&user_ids={uid}"),
    )
    .await;
    assert_eq!(r.json()[0]["id"], row);
    let r = common::call(&sb, &t, "DELETE", &format!("/v3/job_owners/{row}"), None).await;
    assert_eq!(
        r.json(),
        json!({"message": format!("Job owner {row} deleted successfully")})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_are_patched_by_id() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let offer = sb.records("offers")[0]["id"].clone();
    let r = common::call(
        &sb,
        &t,
        "PATCH",
        &format!("/v3/offers/{offer}"),
        Some(json!({"starts_on": "2026-09-01"})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        read_one(&sb, &t, "offers", &offer).await.expect("offer")["starts_on"],
        "2026-09-01"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_actions_need_the_write_scope() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let uid = new_user(&sb, &t).await;
    let limited = common::token_for(
        &sb,
        harvest_sandbox::LIMITED_CLIENT_ID,
        harvest_sandbox::LIMITED_CLIENT_SECRET,
        harvest_sandbox::DEFAULT_ADMIN_USER_ID,
    )
    .await;
    assert_eq!(
        common::call(
            &sb,
            &limited,
            "POST",
            &format!("/v3/users/{uid}/deactivate"),
            None
        )
        .await
        .status,
        403
    );
}

/// An application with a job, a slot of that job's interview plan, and two users: one named
/// by id, one by e-mail.
fn interview_parts(sb: &Sandbox) -> (Value, Value, Value, Value) {
    let slots = sb.records("job_interviews");
    let (app, slot) = sb
        .records("applications")
        .into_iter()
        .find_map(|a| {
            let s = slots.iter().find(|s| s["job_id"] == a["job_id"])?;
            Some((a.clone(), s.clone()))
        })
        .expect("an application whose job has an interview slot");
    let users: Vec<Value> = sb
        .records("users")
        .into_iter()
        .filter(|u| u["primary_email"].as_str().is_some_and(|e| !e.is_empty()))
        .take(2)
        .collect();
    (app, slot, users[0].clone(), users[1].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interview_panels_are_written_with_the_interview() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let (app, slot, u1, u2) = interview_parts(&sb);
    let body = json!({"application_id": app["id"], "job_interview_id": slot["id"],
        "starts_at": "2026-05-01T13:15:00Z", "ends_at": "2026-05-01T14:15:00Z",
        "interviewers": [{"user_id": u1["id"], "response_status": "accepted"},
                         {"email": u2["primary_email"].as_str().unwrap().to_uppercase(), "response_status": "declined"},
                         {"email": "outside@example.org"}]});
    let r = common::call(&sb, &t, "POST", "/v3/interviews", Some(body)).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].clone();
    assert_eq!(r.json()["status"], "scheduled");
    let panel = |sb: &Sandbox| -> Vec<(Value, Value, Value)> {
        let mut rows: Vec<(Value, Value, Value)> = sb
            .records("interviewers")
            .into_iter()
            .filter(|r| r["interview_id"] == id)
            .map(|r| {
                (
                    r["user_id"].clone(),
                    r["email"].clone(),
                    r["response_status"].clone(),
                )
            })
            .collect();
        rows.sort_by_key(|r| r.1.to_string());
        rows
    };
    let mut want = vec![
        (
            u1["id"].clone(),
            u1["primary_email"].clone(),
            json!("accepted"),
        ),
        (
            u2["id"].clone(),
            u2["primary_email"].clone(),
            json!("declined"),
        ),
        (
            Value::Null,
            json!("outside@example.org"),
            json!("needs_action"),
        ),
    ];
    want.sort_by_key(|r| r.1.to_string());
    assert_eq!(panel(&sb), want);
    // A PATCH with interviewers replaces the panel.
    let r = common::call(&sb, &t, "PATCH", &format!("/v3/interviews/{id}"),
        Some(json!({"interviewers": [{"user_id": u2["id"], "response_status": "tentative"}], "location": "Room 1"}))).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["location"], "Room 1");
    assert_eq!(
        panel(&sb),
        vec![(
            u2["id"].clone(),
            u2["primary_email"].clone(),
            json!("tentative")
        )]
    );
    // Unknown users and RSVPs are refused, and change nothing.
    for bad in [
        json!([{"user_id": 999_999_999}]),
        json!([{"response_status": "accepted"}]),
        json!([{"user_id": u1["id"], "response_status": "maybe"}]),
    ] {
        let r = common::call(
            &sb,
            &t,
            "PATCH",
            &format!("/v3/interviews/{id}"),
            Some(json!({"interviewers": bad})),
        )
        .await;
        assert_eq!(r.status, 422, "{bad}");
        assert!(
            common::errors_text(&r).contains("interviewers"),
            "{}",
            common::errors_text(&r)
        );
    }
    assert_eq!(panel(&sb).len(), 1);
    // Deleting the interview removes its panel.
    let r = common::call(&sb, &t, "DELETE", &format!("/v3/interviews/{id}"), None).await;
    assert_eq!(r.status, 200);
    assert!(panel(&sb).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_an_opening_stamps_closed_at_and_reopening_clears_it() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let id = sb.records("openings")[0]["id"].clone();
    let reason = sb.records("close_reasons")[0]["id"].clone();
    let patch = |body: Value| {
        let (sb, t, id) = (&sb, &t, &id);
        async move {
            let r = common::call(sb, t, "PATCH", &format!("/v3/openings/{id}"), Some(body)).await;
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            read_one(sb, t, "openings", id).await.expect("read")
        }
    };
    let open = patch(json!({"open": true})).await;
    assert_eq!(
        (&open["open"], &open["closed_at"], &open["close_reason_id"]),
        (&json!(true), &Value::Null, &Value::Null)
    );
    let closed = patch(json!({"open": false, "close_reason_id": reason})).await;
    assert_eq!(closed["open"], false);
    assert!(closed["closed_at"].is_string(), "{closed}");
    assert_eq!(closed["close_reason_id"], reason);
    // Closing it again keeps the first closing time.
    let again = patch(json!({"open": false})).await;
    assert_eq!(again["closed_at"], closed["closed_at"]);
}
