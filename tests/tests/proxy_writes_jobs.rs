//! Legacy job, job post, custom field and approval writes through harvest-proxy against the
//! sandbox: each write's effect is read back through the v1 API (GET /v1/jobs/{id}, its
//! hiring team, /v1/job_posts/{id}, /v1/custom_field/{id}, /v1/approval_flows/{id}); refused
//! bodies answer v1's errors and change nothing.

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

/// The first row of a table that `keep` accepts.
fn find(s: &Stack, table: &str, keep: impl Fn(&Value) -> bool) -> Value {
    rows(s, table)
        .into_iter()
        .find(|r| keep(r))
        .unwrap_or_else(|| panic!("no {table} row as wanted"))
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("an id")
}

/// An office with an external id: (id, external id).
fn an_external_office(s: &Stack) -> (i64, String) {
    let o = find(s, "offices", |o| o["external_id"].is_string());
    (id(&o), o["external_id"].as_str().unwrap().to_string())
}

/// A department with an external id: (id, external id).
fn an_external_department(s: &Stack) -> (i64, String) {
    let d = find(s, "departments", |d| d["external_id"].is_string());
    (id(&d), d["external_id"].as_str().unwrap().to_string())
}

/// The ids of a list of v1 objects.
fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updating_a_job_answers_the_job_read_back() {
    let s = Stack::start(small()).await;
    let job = id(&find(&s, "jobs", |j| j["is_template"] == false));
    let (office, external_office) = an_external_office(&s);
    let (dept, external_dept) = an_external_department(&s);
    let body = json!({
        "name": "Renamed Job", "requisition_id": "REQ-9001", "notes": "<p>New notes</p>",
        "external_office_ids": [external_office], "external_department_id": external_dept,
    });
    let r = write(&s, "PATCH", &format!("/v1/jobs/{job}"), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"));
    let got = r.json();
    assert_eq!(got["name"], "Renamed Job");
    assert_eq!(got["requisition_id"], "REQ-9001");
    assert_eq!(got["notes"], "<p>New notes</p>");
    assert_eq!(ids(&got["offices"]), [office]);
    assert_eq!(ids(&got["departments"]), [dept]);
    // The answer is exactly what a v1 read returns now.
    assert_eq!(s.get(&format!("/v1/jobs/{job}")).await.json(), got);
    // v3 jobs have no such field: refused before anything reaches v3.
    let writes = s.sandbox.stats().writes();
    let body = json!({"name": "Not Written", "how_to_sell_this_job": "the snacks"});
    let r = write(&s, "PATCH", &format!("/v1/jobs/{job}"), &body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "how_to_sell_this_job");
    // An unknown external office id: 404, nothing written.
    let body = json!({"name": "Not Written", "external_office_ids": ["no-such-office"]});
    let r = write(&s, "PATCH", &format!("/v1/jobs/{job}"), &body).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), writes);
    assert_eq!(
        s.get(&format!("/v1/jobs/{job}")).await.json()["name"],
        "Renamed Job"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_job_from_a_template_answers_the_new_job() {
    let s = Stack::start(small()).await;
    let template = id(&find(&s, "jobs", |j| j["is_template"] == true));
    let (office, external_office) = an_external_office(&s);
    let body = json!({
        "template_job_id": template, "number_of_openings": 2, "job_name": "Made From Template",
        "job_post_name": "Join Us", "external_office_ids": [external_office],
        "requisition_id": "REQ-NEW-1", "opening_ids": ["NEW-1", "NEW-2"],
    });
    let r = write(&s, "POST", "/v1/jobs", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let got = r.json();
    assert_eq!(got["name"], "Made From Template");
    assert_eq!(got["requisition_id"], "REQ-NEW-1");
    assert_eq!(got["copied_from_id"], json!(template));
    assert_eq!(got["is_template"], false);
    assert_eq!(ids(&got["offices"]), [office]);
    let mut openings: Vec<&str> = got["openings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["opening_id"].as_str())
        .collect();
    openings.sort_unstable();
    assert_eq!(openings, ["NEW-1", "NEW-2"], "{got}");
    let new = id(&got);
    assert_eq!(s.get(&format!("/v1/jobs/{new}")).await.json(), got);
    // v1 required the number of openings: refused before anything reaches v3.
    let writes = s.sandbox.stats().writes();
    let r = write(
        &s,
        "POST",
        "/v1/jobs",
        &json!({"template_job_id": template}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "number_of_openings");
    assert_eq!(s.sandbox.stats().writes(), writes);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_post_is_taken_offline_and_put_live() {
    let s = Stack::start(small()).await;
    let post = id(&find(&s, "job_posts", |p| {
        p["live"] == true && p["active"] == true
    }));
    let path = format!("/v2/job_posts/{post}/status");
    let r = write(&s, "PATCH", &path, &json!({"status": "offline"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"success": true}));
    let read = s.get(&format!("/v1/job_posts/{post}")).await.json();
    assert_eq!(read["live"], false, "{read}");
    let r = write(&s, "PATCH", &path, &json!({"status": "live"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let read = s.get(&format!("/v1/job_posts/{post}")).await.json();
    assert_eq!(read["live"], true, "{read}");
    // A status v1 did not have, or none: refused, nothing written.
    let writes = s.sandbox.stats().writes();
    let r = write(&s, "PATCH", &path, &json!({"status": "paused"})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = write(&s, "PATCH", &path, &json!({})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "status");
    assert_eq!(s.sandbox.stats().writes(), writes);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_custom_field_answers_v1_s_message() {
    let s = Stack::start(small()).await;
    let field = id(&find(&s, "custom_fields", |f| f["field_type"] == "job"));
    assert_eq!(
        s.get(&format!("/v1/custom_field/{field}")).await.status,
        200
    );
    let r = write(
        &s,
        "DELETE",
        &format!("/v1/custom_fields/{field}"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"success": format!("Custom Field ID {field} has been deleted.")})
    );
    assert_eq!(
        s.get(&format!("/v1/custom_field/{field}")).await.status,
        404
    );
    // Again: v3's 404, as v1 answered for an unknown field.
    let r = write(
        &s,
        "DELETE",
        &format!("/v1/custom_fields/{field}"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("not_applied"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requesting_approvals_answers_the_flow_read_back() {
    let s = Stack::start(small()).await;
    let flow = id(&find(&s, "approval_flows", |f| {
        f["approval_status"].is_null()
    }));
    let r = write(
        &s,
        "POST",
        &format!("/v1/approval_flows/{flow}/request_approvals"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = r.json();
    assert_eq!(got["id"], json!(flow));
    assert_eq!(got["approval_status"], "pending", "{got}");
    assert_eq!(
        s.get(&format!("/v1/approval_flows/{flow}")).await.json(),
        got
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_of_a_group_is_replaced() {
    let s = Stack::start(small()).await;
    let approver = find(&s, "approvers", |a| a["approver_group_id"].is_i64());
    let group = approver["approver_group_id"].as_i64().unwrap();
    let removed = approver["user_id"].as_i64().unwrap();
    let flow = find(&s, "approver_groups", |g| g["id"] == json!(group))["approval_flow_id"]
        .as_i64()
        .unwrap();
    let members: Vec<i64> = rows(&s, "approvers")
        .iter()
        .filter(|a| a["approver_group_id"] == json!(group))
        .filter_map(|a| a["user_id"].as_i64())
        .collect();
    let added = id(&find(&s, "users", |u| {
        u["deactivated"] == false && !members.contains(&id(u))
    }));
    let path = format!("/v1/approver_groups/{group}/replace_approvers");
    let body = json!({"remove_user_id": removed, "add_user_id": added});
    let r = write(&s, "PUT", &path, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"success": "true", "message": "Approver group updated.", "approval_flow_id": flow,
            "approver_group_id": group, "removed_user_id": removed, "added_user_id": added})
    );
    let read = s.get(&format!("/v1/approval_flows/{flow}")).await.json();
    let groups = read["approver_groups"].as_array().unwrap();
    let g = groups.iter().find(|g| g["id"] == json!(group)).unwrap();
    let now = ids(&g["approvers"]);
    assert!(now.contains(&added) && !now.contains(&removed), "{g}");
    // An unknown group: 404 before anything is written.
    let writes = s.sandbox.stats().writes();
    let r = write(
        &s,
        "PUT",
        "/v1/approver_groups/999999999/replace_approvers",
        &body,
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), writes);
    s.stop().await;
}

/// The user ids of one role of a job's v1 hiring team.
async fn team(s: &Stack, job: i64, role: &str) -> Vec<i64> {
    let t = s.get(&format!("/v1/jobs/{job}/hiring_team")).await.json();
    let mut v = ids(&t[role]);
    v.sort_unstable();
    v
}

/// Active users other than the acting one, at least `n`.
fn some_users(s: &Stack, n: usize) -> Vec<i64> {
    let v: Vec<i64> = rows(s, "users")
        .iter()
        .filter(|u| u["deactivated"] == false && u["id"] != json!(DEFAULT_ADMIN_USER_ID))
        .map(id)
        .take(n)
        .collect();
    assert_eq!(v.len(), n, "enough users");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hiring_team_members_are_added_replaced_and_removed() {
    let s = Stack::start(small()).await;
    let job = id(&find(&s, "jobs", |j| j["is_template"] == false));
    let users = some_users(&s, 3);
    let (a, b, c) = (users[0], users[1], users[2]);
    let path = format!("/v1/jobs/{job}/hiring_team");
    let coordinators = team(&s, job, "coordinators").await;
    // Add: a hiring manager and a responsible recruiter.
    let body = json!({
        "hiring_managers": [{"user_id": a}],
        "recruiters": [{"user_id": b, "responsible_for_future_candidates": true,
            "responsible_for_active_candidates": false, "responsible_for_inactive_candidates": false}],
    });
    let r = write(&s, "POST", &path, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"success": true}));
    assert!(team(&s, job, "hiring_managers").await.contains(&a));
    let t = s.get(&path).await.json();
    let rec = t["recruiters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == json!(b))
        .cloned()
        .unwrap_or_else(|| panic!("recruiter {b} in {t}"));
    assert_eq!(rec["responsible"], true, "{rec}");
    // v3 cannot reassign the job's active candidates: refused, nothing written.
    let writes = s.sandbox.stats().writes();
    let body = json!({"hiring_managers": [{"user_id": c}], "recruiters": [{"user_id": c,
        "responsible_for_future_candidates": true, "responsible_for_active_candidates": true,
        "responsible_for_inactive_candidates": false}]});
    let r = write(&s, "POST", &path, &body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.json()["errors"][0]["field"],
        "recruiters[].responsible_for_active_candidates"
    );
    assert_eq!(s.sandbox.stats().writes(), writes);
    // Replace the hiring managers with exactly c; the other roles stay as they are.
    let r = write(
        &s,
        "PUT",
        &path,
        &json!({"hiring_managers": [{"user_id": c}]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(team(&s, job, "hiring_managers").await, [c]);
    assert!(team(&s, job, "recruiters").await.contains(&b));
    assert_eq!(team(&s, job, "coordinators").await, coordinators);
    // Remove: a user who is not a recruiter of the job answers 404, nothing deleted.
    let writes = s.sandbox.stats().writes();
    let r = write(
        &s,
        "DELETE",
        &path,
        &json!({"hiring_managers": [c], "recruiters": [c]}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), writes);
    assert_eq!(team(&s, job, "hiring_managers").await, [c]);
    let r = write(
        &s,
        "DELETE",
        &path,
        &json!({"hiring_managers": [c], "recruiters": [b]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"success": true}));
    assert!(team(&s, job, "hiring_managers").await.is_empty());
    assert!(!team(&s, job, "recruiters").await.contains(&b));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updating_a_job_post_replaces_its_location() {
    let s = Stack::start(small()).await;
    let post = id(&find(&s, "job_posts", |p| p["active"] == true));
    let path = format!("/v2/job_posts/{post}");
    let body = json!({"title": "Renamed Post", "location": "Remote, EU", "content": "<p>New</p>"});
    let r = write(&s, "PATCH", &path, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"success": true}));
    let read = s.get(&format!("/v1/job_posts/{post}")).await.json();
    assert_eq!(read["title"], "Renamed Post");
    assert_eq!(read["content"], "<p>New</p>");
    assert_eq!(read["location"]["name"], "Remote, EU", "{read}");
    assert_eq!(
        read["location"]["job_post_location_type"]["name"],
        "Free Text"
    );
    let left: Vec<Value> = rows(&s, "job_post_locations")
        .into_iter()
        .filter(|l| l["job_post_id"] == json!(post))
        .collect();
    assert_eq!(left.len(), 1, "exactly the new location: {left:?}");
    // The deprecated v1 form, with an office as the location.
    let (office, _) = an_external_office(&s);
    let body = json!({"location": {"office_id": office}});
    let r = write(&s, "PATCH", &format!("/v1/job_posts/{post}"), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let read = s.get(&format!("/v1/job_posts/{post}")).await.json();
    assert_eq!(read["location"]["office_id"], json!(office), "{read}");
    assert_eq!(read["title"], "Renamed Post");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_field_is_created_with_options_and_scoping_then_rescoped() {
    let s = Stack::start(small()).await;
    let (office, _) = an_external_office(&s);
    let depts: Vec<i64> = rows(&s, "departments").iter().map(id).take(2).collect();
    let body = json!({
        "name": "Bridge Test Field", "field_type": "application", "value_type": "single_select",
        "private": false, "required": false, "expose_in_job_board_api": false,
        "office_ids": [office], "department_ids": [depts[0]],
        "custom_field_options": [{"name": "Citizen", "priority": 1, "external_id": "cit"},
            {"name": "Visa holder", "priority": 2}],
    });
    let r = write(&s, "POST", "/v1/custom_fields", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let got = r.json();
    let field = &got[0];
    assert_eq!(field["name"], "Bridge Test Field");
    assert_eq!(field["value_type"], "single_select");
    let options: Vec<(&str, i64)> = field["custom_field_options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["priority"].as_i64().unwrap()))
        .collect();
    assert_eq!(options, [("Citizen", 1), ("Visa holder", 2)]);
    assert_eq!(ids(&field["offices"]), [office]);
    assert_eq!(ids(&field["departments"]), [depts[0]]);
    let fid = id(field);
    assert_eq!(
        s.get(&format!("/v1/custom_field/{fid}")).await.json(),
        *field
    );
    // Rescope: the departments given replace the old ones; an empty office list clears them.
    let body =
        json!({"name": "Bridge Test Field 2", "department_ids": [depts[1]], "office_ids": []});
    let r = write(&s, "PATCH", &format!("/v1/custom_fields/{fid}"), &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let read = s.get(&format!("/v1/custom_field/{fid}")).await.json();
    assert_eq!(r.json(), json!([read.clone()]));
    assert_eq!(read["name"], "Bridge Test Field 2");
    assert_eq!(ids(&read["departments"]), [depts[1]]);
    assert!(ids(&read["offices"]).is_empty(), "{read}");
    // v1 required each option's priority: refused before anything reaches v3.
    let writes = s.sandbox.stats().writes();
    let body = json!({"name": "Other", "field_type": "job", "value_type": "single_select",
        "custom_field_options": [{"name": "A"}]});
    let r = write(&s, "POST", "/v1/custom_fields", &body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.json()["errors"][0]["field"],
        "custom_field_options[].priority"
    );
    assert_eq!(s.sandbox.stats().writes(), writes);
    s.stop().await;
}

/// A field's active options as v1 lists them: (id, name, priority).
async fn options(s: &Stack, field: i64) -> Vec<(i64, String, i64)> {
    let list = s
        .get(&format!("/v1/custom_field/{field}/custom_field_options"))
        .await
        .json();
    list.as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                id(o),
                o["name"].as_str().unwrap().to_string(),
                o["priority"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_field_options_are_created_updated_and_removed() {
    let s = Stack::start(small()).await;
    let field = id(&find(&s, "custom_fields", |f| {
        f["value_type"] == "single_select" && f["active"] == true
    }));
    let path = format!("/v1/custom_field/{field}/custom_field_options");
    let before = options(&s, field).await;
    let body = json!({"options": [{"name": "Option A", "priority": 50, "external_id": "a"},
        {"name": "Option B", "priority": 51}]});
    let r = write(&s, "POST", &path, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json(), json!({"success": true}));
    let now = options(&s, field).await;
    assert_eq!(now.len(), before.len() + 2);
    let a = now.iter().find(|o| o.1 == "Option A").unwrap().0;
    let b = now.iter().find(|o| o.1 == "Option B").unwrap().0;
    // Update: renamed and moved.
    let body = json!({"options": [{"id": a, "name": "Option A+", "priority": 52}]});
    let r = write(&s, "PATCH", &path, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        options(&s, field)
            .await
            .contains(&(a, "Option A+".into(), 52))
    );
    // An option of another field is not this field's: 404, nothing written.
    let other = find(&s, "custom_field_options", |o| {
        o["custom_field_id"] != json!(field)
    });
    let writes = s.sandbox.stats().writes();
    let body =
        json!({"options": [{"id": a, "name": "Not Written"}, {"id": id(&other), "name": "X"}]});
    let r = write(&s, "PATCH", &path, &body).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = write(&s, "DELETE", &path, &json!({"option_ids": [a, id(&other)]})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), writes);
    // Remove both new options.
    let r = write(&s, "DELETE", &path, &json!({"option_ids": [a, b]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"message": "2 option(s) deleted. 0 option(s) not found."})
    );
    assert_eq!(options(&s, field).await, before);
    s.stop().await;
}

/// A job's v1 approval flows of one type.
async fn flows_of(s: &Stack, job: i64, kind: &str) -> Vec<Value> {
    let list = s
        .get(&format!("/v1/jobs/{job}/approval_flows"))
        .await
        .json();
    list.as_array()
        .unwrap()
        .iter()
        .filter(|f| f["approval_type"] == kind)
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_flow_is_created_then_replaced() {
    let s = Stack::start(small()).await;
    let flows = rows(&s, "approval_flows");
    let job = id(&find(&s, "jobs", |j| {
        j["is_template"] == false
            && !flows
                .iter()
                .any(|f| f["job_id"] == j["id"] && f["approval_type"] == "offer_job")
    }));
    assert!(flows_of(&s, job, "offer_job").await.is_empty());
    let users = some_users(&s, 3);
    let path = format!("/v1/jobs/{job}/approval_flows");
    let body = json!({"approval_type": "offer_job", "sequential": true, "approver_groups": [
        {"approvals_required": 1, "approvers": [{"user_id": users[0]}, {"user_id": users[1]}]},
        {"approvals_required": 1, "approvers": [{"user_id": users[2]}]}]});
    let r = write(&s, "PUT", &path, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let flow = r.json()["approval_flow_id"].as_i64().expect("the flow id");
    assert_eq!(r.json(), json!({"success": true, "approval_flow_id": flow}));
    let read = flows_of(&s, job, "offer_job").await;
    assert_eq!(read.len(), 1, "{read:?}");
    assert_eq!(read[0]["id"], json!(flow));
    assert_eq!(read[0]["sequential"], true);
    let groups: Vec<Vec<i64>> = read[0]["approver_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| ids(&g["approvers"]))
        .collect();
    assert_eq!(groups, [vec![users[0], users[1]], vec![users[2]]]);
    // Again: the same flow is updated and its groups replaced.
    let body = json!({"approval_type": "offer_job", "sequential": false, "approver_groups": [
        {"approvals_required": 1, "approvers": [{"user_id": users[2]}]}]});
    let r = write(&s, "PUT", &path, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"success": true, "approval_flow_id": flow}));
    let read = flows_of(&s, job, "offer_job").await;
    assert_eq!(read.len(), 1, "{read:?}");
    assert_eq!(read[0]["sequential"], false);
    assert_eq!(read[0]["approver_groups"].as_array().unwrap().len(), 1);
    assert_eq!(ids(&read[0]["approver_groups"][0]["approvers"]), [users[2]]);
    // Approvers by e-mail need a user lookup v3 does not make: refused, nothing written.
    let writes = s.sandbox.stats().writes();
    let body = json!({"approval_type": "offer_job", "sequential": false, "approver_groups": [
        {"approvals_required": 1, "approvers": [{"email": "someone@example.com"}]}]});
    let r = write(&s, "PUT", &path, &body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), writes);
    s.stop().await;
}
