//! Legacy department, office, job opening and scheduled interview writes through harvest-proxy
//! against the sandbox: each write's effect is read back through the v1 API (the department,
//! office, opening or interview reads); bad input answers v1's 422 or 404 and writes nothing.

use harvest_sandbox::DEFAULT_ADMIN_USER_ID;
use harvest_tests::{Resp, Stack, small};
use serde_json::{Value, json};

use harvest_tests::WRITE_OUTCOME as OUTCOME;

async fn write(s: &Stack, method: &str, path: &str, body: &Value) -> Resp {
    let acting = DEFAULT_ADMIN_USER_ID.to_string();
    s.write(method, path, Some(&acting), body).await
}

/// The rows of a sandbox table, as stored.
fn rows(s: &Stack, table: &str) -> Vec<Value> {
    s.sandbox.records(table)
}

/// A write refused before anything reached v3: v1's status, the field it names (if any).
async fn refused(s: &Stack, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let writes = s.sandbox.stats().writes();
    let r = write(s, method, path, body).await;
    assert_eq!(
        r.header(OUTCOME).as_deref(),
        Some("not_applied"),
        "{}",
        r.text
    );
    assert_eq!(s.sandbox.stats().writes(), writes, "nothing reached v3");
    (r.status, r.json()["errors"][0]["field"].clone())
}

/// A record with a non-null external id: (id, external id).
fn with_external_id(s: &Stack, table: &str) -> (i64, String) {
    rows(s, table)
        .iter()
        .find_map(|r| Some((r["id"].as_i64()?, r["external_id"].as_str()?.to_string())))
        .expect("a record with an external id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_department_answers_it_read_back_and_its_parent_lists_it() {
    let s = Stack::start(small()).await;
    let (parent, parent_ext) = with_external_id(&s, "departments");
    // Read first: the parent's children are cached as reference data...
    let before = s.get(&format!("/v1/departments/{parent}")).await.json();
    let body =
        json!({"name": "A New Department", "parent_id": parent, "external_id": "NEW-DEPT-1"});
    let r = write(&s, "POST", "/v1/departments", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"));
    let got = r.json();
    let id = got["id"].as_i64().unwrap();
    assert_eq!(got["name"], "A New Department");
    assert_eq!(got["parent_id"], json!(parent));
    assert_eq!(got["parent_department_external_id"], json!(parent_ext));
    assert_eq!(got["child_ids"], json!([]));
    assert_eq!(got["external_id"], "NEW-DEPT-1");
    assert_eq!(s.get(&format!("/v1/departments/{id}")).await.json(), got);
    // ... and the write is seen by the next read of the parent, as in v1.
    let after = s.get(&format!("/v1/departments/{parent}")).await.json();
    let mut children = before["child_ids"].as_array().unwrap().clone();
    children.push(json!(id));
    assert_eq!(after["child_ids"], json!(children));
    // A parent named by its external id.
    let body = json!({"name": "Grandchild", "external_parent_id": "NEW-DEPT-1"});
    let r = write(&s, "POST", "/v1/departments", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["parent_id"], json!(id));
    assert_eq!(r.json()["parent_department_external_id"], "NEW-DEPT-1");
    // An unknown external parent, a missing name: refused before anything is written.
    let unknown = json!({"name": "Orphan", "external_parent_id": "NO-SUCH-DEPT"});
    assert_eq!(
        refused(&s, "POST", "/v1/departments", &unknown).await.0,
        404
    );
    let nameless = json!({"parent_id": parent});
    assert_eq!(
        refused(&s, "POST", "/v1/departments", &nameless).await,
        (422, json!("name"))
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_department_answers_it_read_back() {
    let s = Stack::start(small()).await;
    let (id, _) = with_external_id(&s, "departments");
    let before = s.get(&format!("/v1/departments/{id}")).await.json();
    let path = format!("/v1/departments/{id}");
    let body = json!({"name": "Engineering & Science", "external_id": "EXTERNAL_ID_1234"});
    let r = write(&s, "PATCH", &path, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = r.json();
    assert_eq!(got["name"], "Engineering & Science");
    assert_eq!(got["external_id"], "EXTERNAL_ID_1234");
    assert_eq!(got["parent_id"], before["parent_id"]);
    assert_eq!(got["child_ids"], before["child_ids"]);
    assert_eq!(s.get(&path).await.json(), got);
    // Only the name: the external id stays.
    let r = write(&s, "PATCH", &path, &json!({"name": "Renamed"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (&r.json()["name"], &r.json()["external_id"]),
        (&json!("Renamed"), &json!("EXTERNAL_ID_1234"))
    );
    let nameless = json!({"external_id": "X"});
    assert_eq!(
        refused(&s, "PATCH", &path, &nameless).await,
        (422, json!("name"))
    );
    let r = write(
        &s,
        "PATCH",
        "/v1/departments/999999999",
        &json!({"name": "x"}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_an_office_answers_it_read_back() {
    let s = Stack::start(small()).await;
    let (parent, parent_ext) = with_external_id(&s, "offices");
    let contact = DEFAULT_ADMIN_USER_ID;
    let body = json!({"name": "Brooklyn", "external_parent_id": parent_ext, "primary_contact_user_id": contact,
        "location": "Brooklyn, NY", "external_id": "BK-1"});
    let r = write(&s, "POST", "/v1/offices", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let got = r.json();
    let id = got["id"].as_i64().unwrap();
    assert_eq!(got["name"], "Brooklyn");
    assert_eq!(got["location"], json!({"name": "Brooklyn, NY"}));
    assert_eq!(got["primary_contact_user_id"], json!(contact));
    assert_eq!(got["parent_id"], json!(parent));
    assert_eq!(got["parent_office_external_id"], json!(parent_ext));
    assert_eq!(got["external_id"], "BK-1");
    assert_eq!(s.get(&format!("/v1/offices/{id}")).await.json(), got);
    let parent_read = s.get(&format!("/v1/offices/{parent}")).await.json();
    assert!(
        parent_read["child_ids"]
            .as_array()
            .unwrap()
            .contains(&json!(id)),
        "{parent_read}"
    );
    let nameless = json!({"location": "Queens"});
    assert_eq!(
        refused(&s, "POST", "/v1/offices", &nameless).await,
        (422, json!("name"))
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_an_office_answers_it_read_back() {
    let s = Stack::start(small()).await;
    let (id, ext) = with_external_id(&s, "offices");
    let path = format!("/v1/offices/{id}");
    let body = json!({"name": "Research and Development", "location": "New York, NY"});
    let r = write(&s, "PATCH", &path, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = r.json();
    assert_eq!(got["name"], "Research and Development");
    assert_eq!(got["location"], json!({"name": "New York, NY"}));
    assert_eq!(got["external_id"], json!(ext), "not given: kept");
    assert_eq!(s.get(&path).await.json(), got);
    let nameless = json!({"location": "Queens"});
    assert_eq!(
        refused(&s, "PATCH", &path, &nameless).await,
        (422, json!("name"))
    );
    s.stop().await;
}

/// A job and an opening custom field (its name_key).
fn job_and_opening_field(s: &Stack) -> (i64, String) {
    let job = rows(s, "jobs")[0]["id"].as_i64().unwrap();
    let field = rows(s, "custom_fields")
        .into_iter()
        .find(|f| f["field_type"] == "opening" && f["value_type"] == "short_text")
        .or_else(|| {
            rows(s, "custom_fields")
                .into_iter()
                .find(|f| f["field_type"] == "opening")
        })
        .expect("an opening custom field");
    (job, field["name_key"].as_str().unwrap().to_string())
}

/// Creates openings on a job through v1; their ids.
async fn new_openings(s: &Stack, job: i64, ids: &[&str]) -> Vec<i64> {
    let items: Vec<Value> = ids.iter().map(|o| json!({"opening_id": o})).collect();
    let path = format!("/v1/jobs/{job}/openings");
    let r = write(s, "POST", &path, &json!({"openings": items})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["openings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_openings_answers_them_and_the_job_lists_them() {
    let s = Stack::start(small()).await;
    let (job, key) = job_and_opening_field(&s);
    let body = json!({"openings": [
        {"opening_id": "abc-123", "custom_fields": [{"name_key": key, "value": "Full-Time"}]},
        {"opening_id": null},
    ]});
    let r = write(&s, "POST", &format!("/v1/jobs/{job}/openings"), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let got = r.json();
    let made = got["openings"].as_array().unwrap();
    assert_eq!(made.len(), 2, "{got}");
    assert_eq!(made[0]["opening_id"], "abc-123");
    assert_eq!(made[1]["opening_id"], Value::Null);
    assert!(made[0]["open_date"].is_string(), "{got}");
    for o in made {
        let keys: Vec<&String> = o.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "opening_id", "open_date"]);
    }
    let read = s
        .get(&format!("/v1/jobs/{job}/openings/{}", made[0]["id"]))
        .await
        .json();
    assert_eq!(read["status"], "open");
    assert_eq!(read["opening_id"], "abc-123");
    assert_eq!(
        read["keyed_custom_fields"][&key]["value"], "Full-Time",
        "{read}"
    );
    let listed = s.get(&format!("/v1/jobs/{job}/openings")).await.json();
    let ids: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["id"])
        .collect();
    assert!(ids.contains(&&made[1]["id"]), "{listed}");
    // An unknown job: v1's 404; no openings: v1's 422.
    let one = json!({"openings": [{"opening_id": "x"}]});
    assert_eq!(
        refused(&s, "POST", "/v1/jobs/999999999/openings", &one)
            .await
            .0,
        404
    );
    assert_eq!(
        refused(&s, "POST", &format!("/v1/jobs/{job}/openings"), &json!({})).await,
        (422, json!("openings"))
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_and_reopening_an_opening_shows_in_the_read() {
    let s = Stack::start(small()).await;
    let (job, _) = job_and_opening_field(&s);
    let id = new_openings(&s, job, &["to-close"]).await[0];
    let reason = &rows(&s, "close_reasons")[0];
    let path = format!("/v1/jobs/{job}/openings/{id}");
    let body =
        json!({"status": "closed", "close_reason_id": reason["id"], "opening_id": "closed-1"});
    let r = write(&s, "PATCH", &path, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"success": "true"}));
    let read = s.get(&path).await.json();
    assert_eq!(read["status"], "closed");
    assert_eq!(read["opening_id"], "closed-1");
    assert_eq!(read["close_reason"]["id"], reason["id"]);
    assert_eq!(read["close_reason"]["name"], reason["name"]);
    assert!(read["closed_at"].is_string(), "{read}");
    let r = write(&s, "PATCH", &path, &json!({"status": "open"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let read = s.get(&path).await.json();
    assert_eq!(
        (&read["status"], &read["closed_at"], &read["close_reason"]),
        (&json!("open"), &Value::Null, &Value::Null)
    );
    // Not a status v1 knew; the opening of another job (v1's path names the job).
    assert_eq!(
        refused(&s, "PATCH", &path, &json!({"status": "filled"})).await,
        (422, json!("status"))
    );
    let other_job = rows(&s, "jobs")
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .find(|j| *j != job)
        .unwrap();
    let wrong = format!("/v1/jobs/{other_job}/openings/{id}");
    assert_eq!(
        refused(&s, "PATCH", &wrong, &json!({"status": "closed"}))
            .await
            .0,
        404
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroying_openings_deletes_only_the_jobs_own() {
    let s = Stack::start(small()).await;
    let jobs: Vec<i64> = rows(&s, "jobs")
        .iter()
        .take(2)
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    let mine = new_openings(&s, jobs[0], &["d-1", "d-2", "d-3"]).await;
    let theirs = new_openings(&s, jobs[1], &["other"]).await[0];
    let body = json!({"ids": [mine[0], theirs, 999_999_999, mine[2]]});
    let r = write(
        &s,
        "DELETE",
        &format!("/v2/jobs/{}/openings", jobs[0]),
        &body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"success": true, "deleted_ids": [mine[0], mine[2]], "failed_ids": [theirs, 999_999_999]})
    );
    let listed = s
        .get(&format!("/v1/jobs/{}/openings", jobs[0]))
        .await
        .json();
    let ids: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&mine[1]), "{listed}");
    assert!(
        !ids.contains(&mine[0]) && !ids.contains(&mine[2]),
        "{listed}"
    );
    let other = s
        .get(&format!("/v1/jobs/{}/openings/{theirs}", jobs[1]))
        .await;
    assert_eq!(other.status, 200, "another job's opening is not deleted");
    // The deprecated v1 form is the same endpoint.
    let body = json!({"ids": [mine[1]]});
    let r = write(
        &s,
        "DELETE",
        &format!("/v1/jobs/{}/openings", jobs[0]),
        &body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["deleted_ids"], json!([mine[1]]));
    let path = format!("/v1/jobs/{}/openings/{}", jobs[0], mine[1]);
    assert_eq!(s.get(&path).await.status, 404);
    assert_eq!(
        refused(
            &s,
            "DELETE",
            &format!("/v2/jobs/{}/openings", jobs[0]),
            &json!({})
        )
        .await,
        (422, json!("ids"))
    );
    s.stop().await;
}

/// An application whose job has an interview slot, and two users with e-mail addresses:
/// (application id, slot id, users).
fn interview_parts(s: &Stack) -> (i64, i64, Vec<Value>) {
    let slots = rows(s, "job_interviews");
    let (app, slot) = rows(s, "applications")
        .into_iter()
        .find_map(|a| {
            let slot = slots.iter().find(|x| x["job_id"] == a["job_id"])?;
            Some((a["id"].as_i64()?, slot["id"].as_i64()?))
        })
        .expect("an application whose job has an interview slot");
    let users: Vec<Value> = rows(s, "users")
        .into_iter()
        .filter(|u| u["primary_email"].as_str().is_some_and(|e| !e.is_empty()))
        .filter(|u| u["id"] != json!(DEFAULT_ADMIN_USER_ID))
        .take(2)
        .collect();
    assert_eq!(users.len(), 2);
    (app, slot, users)
}

/// Schedules an interview through v2: the answer.
async fn schedule(s: &Stack, prefix: &str) -> Value {
    let (app, slot, users) = interview_parts(s);
    let body = json!({
        "application_id": app, "interview_id": slot,
        "interviewers": [
            {"user_id": users[0]["id"], "response_status": "accepted"},
            {"email": users[1]["primary_email"], "response_status": "declined"},
        ],
        "start": "2026-05-12T13:15:00Z", "end": "2026-05-12T14:15:00Z",
        "external_event_id": "external_event_id_1", "location": "Big Conference Room",
        "video_conferencing_url": "http://example.com",
    });
    let r = write(s, "POST", &format!("/{prefix}/scheduled_interviews"), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduling_an_interview_answers_it_read_back() {
    let s = Stack::start(small()).await;
    let (app, slot, users) = interview_parts(&s);
    let got = schedule(&s, "v2").await;
    let id = got["id"].as_i64().unwrap();
    assert_eq!(got["application_id"], json!(app));
    assert_eq!(got["interview"]["id"], json!(slot));
    assert_eq!(
        got["start"],
        json!({"date_time": "2026-05-12T13:15:00.000Z"})
    );
    assert_eq!(got["end"], json!({"date_time": "2026-05-12T14:15:00.000Z"}));
    assert_eq!(got["status"], "scheduled");
    assert_eq!(got["external_event_id"], "external_event_id_1");
    assert_eq!(got["location"], "Big Conference Room");
    assert_eq!(got["organizer"]["id"], json!(DEFAULT_ADMIN_USER_ID));
    let panel: Vec<(Value, Value)> = got["interviewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].clone(), i["response_status"].clone()))
        .collect();
    assert_eq!(
        panel,
        [
            (users[0]["id"].clone(), json!("accepted")),
            (users[1]["id"].clone(), json!("declined"))
        ],
        "the e-mail names the user"
    );
    assert_eq!(got["interviewers"][1]["name"], users[1]["name"]);
    assert_eq!(
        s.get(&format!("/v1/scheduled_interviews/{id}"))
            .await
            .json(),
        got
    );
    // The deprecated v1 form; v1's required fields.
    let v1 = schedule(&s, "v1").await;
    assert_ne!(v1["id"], got["id"]);
    let body = json!({"application_id": app, "interview_id": slot, "start": "2026-05-12T13:15:00Z",
        "end": "2026-05-12T14:15:00Z", "external_event_id": "e"});
    assert_eq!(
        refused(&s, "POST", "/v2/scheduled_interviews", &body).await,
        (422, json!("interviewers"))
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updating_an_interview_answers_it_read_back() {
    let s = Stack::start(small()).await;
    let (_, _, users) = interview_parts(&s);
    let id = schedule(&s, "v2").await["id"].as_i64().unwrap();
    let path = format!("/v2/scheduled_interviews/{id}");
    let body = json!({
        "interviewers": [{"user_id": users[1]["id"], "response_status": "needs_action"}, {"email": "outside@example.org"}],
        "start": "2026-05-13T09:00:00Z", "end": "2026-05-13T10:00:00Z",
        "external_event_id": "external_event_id_0", "location": "Dunder Mifflin, Scranton",
    });
    let r = write(&s, "PATCH", &path, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = r.json();
    assert_eq!(
        got["start"],
        json!({"date_time": "2026-05-13T09:00:00.000Z"})
    );
    assert_eq!(got["location"], "Dunder Mifflin, Scranton");
    assert_eq!(got["external_event_id"], "external_event_id_0");
    let panel: Vec<(Value, Value)> = got["interviewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].clone(), i["email"].clone()))
        .collect();
    assert_eq!(
        panel,
        [
            (users[1]["id"].clone(), users[1]["primary_email"].clone()),
            (Value::Null, json!("outside@example.org"))
        ]
    );
    assert_eq!(
        s.get(&format!("/v1/scheduled_interviews/{id}"))
            .await
            .json(),
        got
    );
    // The v1 form, one field: the rest stays.
    let r = write(
        &s,
        "PATCH",
        &format!("/v1/scheduled_interviews/{id}"),
        &json!({"location": "Room 2"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["location"], "Room 2");
    assert_eq!(r.json()["interviewers"], got["interviewers"]);
    let r = write(
        &s,
        "PATCH",
        "/v2/scheduled_interviews/999999999",
        &json!({"location": "x"}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_an_interview_answers_v1s_message() {
    let s = Stack::start(small()).await;
    let id = schedule(&s, "v2").await["id"].as_i64().unwrap();
    let path = format!("/v1/scheduled_interviews/{id}");
    assert_eq!(s.get(&path).await.status, 200);
    let r = write(&s, "DELETE", &path, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"message": format!("Interview {id} has been deleted.")})
    );
    assert_eq!(s.get(&path).await.status, 404);
    let r = write(&s, "DELETE", &path, &json!({})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    s.stop().await;
}
