//! Legacy user and user-permission writes through harvest-proxy against the sandbox: each
//! write's effect is read back through the v1 API (GET /v1/users/{id}, its job and future job
//! permissions); unknown users and other users' permissions answer 404 and change nothing.

use harvest_sandbox::DEFAULT_ADMIN_USER_ID;
use harvest_sandbox::{FaultAction, FaultPlan};
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

/// An active user who is not a site admin (and not the acting user).
fn a_user(s: &Stack) -> i64 {
    rows(s, "users")
        .iter()
        .find(|u| {
            u["deactivated"] == false
                && u["site_admin"] == false
                && u["id"] != json!(DEFAULT_ADMIN_USER_ID)
                && u["primary_email"].as_str().is_some_and(|e| !e.is_empty())
        })
        .and_then(|u| u["id"].as_i64())
        .expect("an active basic user")
}

/// A Job Admin role id (the roles v1's user_role_id named).
fn a_job_admin_role(s: &Stack) -> i64 {
    rows(s, "user_roles")
        .iter()
        .find(|r| r["role_type"] == "job_admin")
        .and_then(|r| r["id"].as_i64())
        .expect("a job admin role")
}

/// An office with an external id: (id, external id).
fn an_external_office(s: &Stack) -> (i64, String) {
    rows(s, "offices")
        .iter()
        .find_map(|o| Some((o["id"].as_i64()?, o["external_id"].as_str()?.to_string())))
        .expect("an office with an external id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_user_answers_the_user_read_back() {
    let s = Stack::start(small()).await;
    let (office, _) = an_external_office(&s);
    let field = rows(&s, "custom_fields")
        .into_iter()
        .find(|f| f["field_type"] == "user_attribute")
        .expect("a user attribute custom field");
    let body = json!({
        "first_name": "Bob", "last_name": "Smith", "email": "bob.smith@example.org",
        "send_email_invite": false, "employee_id": "ABC12345", "office_ids": [office],
        "custom_fields": [{"id": field["id"], "value": "West"}],
    });
    let r = write(&s, "POST", "/v1/users", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"));
    let got = r.json();
    assert_eq!(got["primary_email_address"], "bob.smith@example.org");
    assert_eq!(got["name"], "Bob Smith");
    assert_eq!(got["employee_id"], "ABC12345");
    assert_eq!(got["disabled"], false);
    assert_eq!(got["offices"][0]["id"], json!(office));
    let key = field["name_key"].as_str().unwrap();
    assert_eq!(got["keyed_custom_fields"][key]["value"], "West", "{got}");
    // The answer is exactly what a v1 read returns now.
    let id = got["id"].as_i64().unwrap();
    assert_eq!(s.get(&format!("/v1/users/{id}")).await.json(), got);
    // v1 required the e-mail address: refused before anything reaches v3.
    let writes = s.sandbox.stats().writes();
    let r = write(
        &s,
        "POST",
        "/v1/users",
        &json!({"first_name": "A", "last_name": "B"}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "email");
    assert_eq!(s.sandbox.stats().writes(), writes);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_user_answers_success_and_the_read_shows_it() {
    let s = Stack::start(small()).await;
    let id = a_user(&s);
    let (office, _) = an_external_office(&s);
    let body = json!({"first_name": "Renamed", "employee_id": "E-777", "office_ids": [office]});
    let r = write(&s, "PATCH", &format!("/v1/users/{id}"), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"success": "true"}));
    let read = s.get(&format!("/v1/users/{id}")).await.json();
    assert_eq!(read["first_name"], "Renamed");
    assert_eq!(read["employee_id"], "E-777");
    let offices: Vec<&Value> = read["offices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["id"])
        .collect();
    assert_eq!(offices, [&json!(office)]);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_and_enabling_a_user_answers_the_user_read_back() {
    let s = Stack::start(small()).await;
    let id = a_user(&s);
    let r = write(&s, "PATCH", &format!("/v1/users/{id}/disable"), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["disabled"], true);
    assert_eq!(r.json()["id"], json!(id));
    let read = s.get(&format!("/v1/users/{id}")).await.json();
    assert_eq!(read, r.json());
    let r = write(&s, "PATCH", &format!("/v1/users/{id}/enable"), &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["disabled"], false);
    let read = s.get(&format!("/v1/users/{id}")).await.json();
    assert_eq!(read["disabled"], false);
    // An unknown user: v3's 404, as v1 answered.
    let r = write(&s, "PATCH", "/v1/users/999999999/disable", &json!({})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("not_applied"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_address_is_added_to_the_user() {
    let s = Stack::start(small()).await;
    let id = a_user(&s);
    let path = format!("/v1/users/{id}/email_addresses");
    let body = json!({"email": "second.address@example.org", "send_verification": true});
    let r = write(&s, "POST", &path, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let got = r.json();
    let keys: Vec<&str> = got
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "user_id", "email", "verified"]);
    assert_eq!(got["user_id"], json!(id));
    assert_eq!(got["email"], "second.address@example.org");
    assert!(got["verified"].is_string(), "v1 documented text: {got}");
    let read = s.get(&format!("/v1/users/{id}")).await.json();
    assert!(
        read["emails"]
            .as_array()
            .unwrap()
            .contains(&json!("second.address@example.org")),
        "{read}"
    );
    // An unknown user answers 404 and nothing is written.
    let writes = s.sandbox.stats().writes();
    let r = write(&s, "POST", "/v1/users/999999999/email_addresses", &body).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), writes);
    s.stop().await;
}

/// The ids of the user's job permissions, as v1 lists them.
async fn job_permission_ids(s: &Stack, user: i64) -> Vec<Value> {
    let list = s
        .get(&format!("/v1/users/{user}/permissions/jobs"))
        .await
        .json();
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_permissions_are_added_and_removed() {
    let s = Stack::start(small()).await;
    let user = a_user(&s);
    let role = a_job_admin_role(&s);
    let job = rows(&s, "jobs")[0]["id"].as_i64().unwrap();
    let path = format!("/v1/users/{user}/permissions/jobs");
    // v1's example sends the ids as text.
    let body = json!({"job_id": job.to_string(), "user_role_id": role.to_string()});
    let r = write(&s, "PUT", &path, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let perm = r.json();
    assert_eq!(
        (perm["job_id"].clone(), perm["user_role_id"].clone()),
        (json!(job), json!(role))
    );
    let id = perm["id"].clone();
    assert!(job_permission_ids(&s, user).await.contains(&id));
    // Another user's permission is not this user's to remove: 404, nothing deleted.
    let other = format!("/v1/users/{DEFAULT_ADMIN_USER_ID}/permissions/jobs");
    let r = write(&s, "DELETE", &other, &json!({"job_permission_id": id})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert!(job_permission_ids(&s, user).await.contains(&id));
    let r = write(&s, "DELETE", &path, &json!({"job_permission_id": id})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"message": format!("Job Permission {id} has been deleted.")})
    );
    assert!(!job_permission_ids(&s, user).await.contains(&id));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_a_permission_delete_is_decided_by_reading_back() {
    let s = Stack::start(small()).await;
    let user = a_user(&s);
    let role = a_job_admin_role(&s);
    let job = rows(&s, "jobs")[0]["id"].as_i64().unwrap();
    let path = format!("/v1/users/{user}/permissions/jobs");
    let r = write(
        &s,
        "PUT",
        &path,
        &json!({"job_id": job, "user_role_id": role}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_i64().unwrap();
    s.sandbox.faults().set(FaultPlan::none().script(
        &format!("/v3/user_job_permissions/{id}"),
        [FaultAction::Lost],
    ));
    let writes = s.sandbox.stats().writes();
    let r = write(&s, "DELETE", &path, &json!({"job_permission_id": id})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"));
    assert_eq!(s.sandbox.stats().writes() - writes, 1, "deleted once");
    assert!(!job_permission_ids(&s, user).await.contains(&json!(id)));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn future_job_permissions_are_added_by_external_office_id_and_removed() {
    let s = Stack::start(small()).await;
    let user = a_user(&s);
    let role = a_job_admin_role(&s);
    let (office, external) = an_external_office(&s);
    let path = format!("/v1/users/{user}/permissions/future_jobs");
    let body = json!({"external_office_id": external, "user_role_id": role});
    let r = write(&s, "PUT", &path, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let perm = r.json();
    assert_eq!(perm["office_id"], json!(office));
    assert_eq!(perm["external_office_id"], json!(external));
    assert_eq!(perm["department_id"], Value::Null);
    assert_eq!(perm["user_role_id"], json!(role));
    let list = s.get(&path).await.json();
    assert!(list.as_array().unwrap().contains(&perm), "{list}");
    // An external office id v3 does not know: 404, nothing written.
    let writes = s.sandbox.stats().writes();
    let bad = json!({"external_office_id": "no-such-office", "user_role_id": role});
    let r = write(&s, "PUT", &path, &bad).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), writes);
    let id = perm["id"].clone();
    let r = write(
        &s,
        "DELETE",
        &path,
        &json!({"future_job_permission_id": id}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"message": format!("Future Job Permission {id} has been deleted.")})
    );
    let list = s.get(&path).await.json();
    assert!(!list.as_array().unwrap().iter().any(|p| p["id"] == id));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_writes_naming_an_unknown_user_in_the_body_answer_404_and_reach_nothing() {
    let s = Stack::start(small()).await;
    let user = json!({"user": {"email": "someone@example.org"}});
    for (method, path, body) in [
        (
            "PATCH",
            "/v2/users",
            json!({"user": user["user"], "payload": {"first_name": "X"}}),
        ),
        ("PATCH", "/v2/users/disable", user.clone()),
        ("PATCH", "/v2/users/enable", user.clone()),
        (
            "PATCH",
            "/v1/users/permission_level",
            json!({"user": user["user"], "level": "basic"}),
        ),
    ] {
        let r = write(&s, method, path, &body).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        assert_eq!(r.header(OUTCOME).as_deref(), Some("not_applied"), "{path}");
    }
    assert_eq!(s.sandbox.stats().writes(), 0);
    s.stop().await;
}

/// A user's `user_emails` address that is not its primary one, if it has one.
fn a_secondary_address(s: &Stack, user: i64) -> Option<String> {
    let primary = rows(s, "users")
        .into_iter()
        .find(|u| u["id"] == json!(user))
        .and_then(|u| u["primary_email"].as_str().map(str::to_string));
    rows(s, "user_emails")
        .into_iter()
        .filter(|e| e["user_id"] == json!(user))
        .filter_map(|e| e["email"].as_str().map(str::to_string))
        .find(|e| Some(e) != primary.as_ref())
}

/// An active basic user with an employee id, and an address other than its primary one when
/// such a user exists.
fn a_user_with_employee_id(s: &Stack) -> (i64, String, String) {
    let users = rows(s, "users");
    let candidates: Vec<(i64, String, String)> = users
        .iter()
        .filter(|u| {
            u["deactivated"] == false
                && u["site_admin"] == false
                && u["id"] != json!(DEFAULT_ADMIN_USER_ID)
        })
        .filter_map(|u| {
            let id = u["id"].as_i64()?;
            let emp = u["employee_id"].as_str().filter(|e| !e.is_empty())?;
            let primary = u["primary_email"].as_str().filter(|e| !e.is_empty())?;
            Some((id, emp.to_string(), primary.to_string()))
        })
        .collect();
    let with_second = candidates
        .iter()
        .find_map(|(id, emp, _)| Some((*id, emp.clone(), a_secondary_address(s, *id)?)));
    with_second
        .or_else(|| candidates.first().cloned())
        .expect("an active basic user with an employee id")
}

async fn disabled(s: &Stack, user: i64) -> Value {
    let r = s.get(&format!("/v1/users/{user}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["disabled"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_users_are_disabled_and_enabled_by_email_employee_id_or_user_id() {
    let s = Stack::start(small()).await;
    let (user, employee_id, address) = a_user_with_employee_id(&s);
    // By any of the user's addresses (v3 user_emails), not only the primary one.
    let r = write(
        &s,
        "PATCH",
        "/v2/users/disable",
        &json!({"user": {"email": address}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"));
    assert_eq!(r.json()["id"], json!(user));
    assert_eq!(r.json()["disabled"], true);
    assert_eq!(disabled(&s, user).await, true);
    assert_eq!(s.get(&format!("/v1/users/{user}")).await.json(), r.json());
    // By employee id.
    let body = json!({"user": {"employee_id": employee_id}});
    let r = write(&s, "PATCH", "/v2/users/enable", &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["disabled"], false);
    assert_eq!(disabled(&s, user).await, false);
    // By user id (v1 documented it as a number; a text id works too).
    let r = write(
        &s,
        "PATCH",
        "/v2/users/disable",
        &json!({"user": {"user_id": user.to_string()}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(disabled(&s, user).await, true);
    // An unknown user: v1's 404, nothing written.
    let writes = s.sandbox.stats().writes();
    let r = write(
        &s,
        "PATCH",
        "/v2/users/enable",
        &json!({"user": {"email": "nobody@nowhere.example"}}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("not_applied"));
    // A body that names no user: v1's 422 on `user`.
    let r = write(&s, "PATCH", "/v2/users/enable", &json!({"user": {}})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "user", "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), writes, "nothing written");
    assert_eq!(disabled(&s, user).await, true);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_edit_user_applies_the_payload_to_the_user_named_in_the_body() {
    let s = Stack::start(small()).await;
    let (user, employee_id, _) = a_user_with_employee_id(&s);
    let body = json!({
        "user": {"employee_id": employee_id},
        "payload": {"first_name": "Roberta", "last_name": "Smythe", "employee_id": "NEW-42"},
    });
    let r = write(&s, "PATCH", "/v2/users", &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"success": "true"}));
    let got = s.get(&format!("/v1/users/{user}")).await.json();
    assert_eq!(got["first_name"], "Roberta", "{got}");
    assert_eq!(got["last_name"], "Smythe");
    assert_eq!(got["employee_id"], "NEW-42");
    // The old employee id names nobody now: 404, nothing written.
    let writes = s.sandbox.stats().writes();
    let r = write(&s, "PATCH", "/v2/users", &body).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), writes);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_level_makes_a_site_admin_basic_and_takes_only_basic() {
    let s = Stack::start(small()).await;
    let admin = rows(&s, "users")
        .into_iter()
        .find(|u| {
            u["site_admin"] == true
                && u["id"] != json!(DEFAULT_ADMIN_USER_ID)
                && u["primary_email"].as_str().is_some_and(|e| !e.is_empty())
        })
        .expect("a second site admin");
    let (user, email) = (
        admin["id"].as_i64().unwrap(),
        admin["primary_email"].clone(),
    );
    // Another level than basic is refused by value, before anything is sent.
    let writes = s.sandbox.stats().writes();
    let body = json!({"user": {"email": email}, "level": "admin"});
    let r = write(&s, "PATCH", "/v1/users/permission_level", &body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "level");
    assert_eq!(s.sandbox.stats().writes(), writes);
    assert_eq!(
        s.get(&format!("/v1/users/{user}")).await.json()["site_admin"],
        true
    );
    let body = json!({"user": {"email": email}, "level": "basic"});
    let r = write(&s, "PATCH", "/v1/users/permission_level", &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"success": true}));
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"));
    assert_eq!(
        s.get(&format!("/v1/users/{user}")).await.json()["site_admin"],
        false
    );
    // An unknown user id: v1's 404.
    let body = json!({"user": {"user_id": 987_654_321}, "level": "basic"});
    let r = write(&s, "PATCH", "/v1/users/permission_level", &body).await;
    assert_eq!(r.status, 404, "{}", r.text);
    s.stop().await;
}
