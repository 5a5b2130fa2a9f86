//! Candidate, prospect and tag writes through harvest-proxy against the sandbox: each write's
//! effect is read back through the v1 API (the answer is what a v1 read returns); refused
//! bodies reach nothing; a multi-call write that fails half-way says what was done.

use harvest_sandbox::DEFAULT_ADMIN_USER_ID;
use harvest_tests::{Resp, Stack, small};
use serde_json::{Value, json};

use harvest_tests::WRITE_OUTCOME as OUTCOME;

async fn write(s: &Stack, method: &str, path: &str, body: &Value) -> Resp {
    let acting = DEFAULT_ADMIN_USER_ID.to_string();
    s.write(method, path, Some(&acting), body).await
}

fn rows(s: &Stack, table: &str) -> Vec<Value> {
    s.sandbox.with_data(|d| {
        d.table(table)
            .map(|t| t.rows().values().cloned().collect())
            .unwrap_or_default()
    })
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

fn a_candidate(s: &Stack) -> i64 {
    id(&s.sandbox.records("candidates")[0])
}

/// Two open jobs that have interview stages.
fn jobs_with_stages(s: &Stack) -> (i64, i64) {
    let stages = rows(s, "job_interview_stages");
    let mut jobs = rows(s, "jobs")
        .into_iter()
        .filter(|j| j["status"] == "open" && j["is_template"] != true)
        .map(|j| id(&j))
        .filter(|j| stages.iter().any(|st| st["job_id"].as_i64() == Some(*j)));
    (jobs.next().unwrap(), jobs.next().unwrap())
}

/// The id of an active option of the custom field with this name_key (school_name, degree, …).
fn option_of(s: &Stack, name_key: &str) -> (i64, String) {
    let field = rows(s, "custom_fields")
        .into_iter()
        .find(|f| f["name_key"] == name_key)
        .unwrap();
    let opt = rows(s, "custom_field_options")
        .into_iter()
        .find(|o| o["custom_field_id"] == field["id"] && o["active"] == true)
        .unwrap();
    (id(&opt), opt["name"].as_str().unwrap().to_string())
}

/// A user v3 lists (a recruiter of some application), not the acting admin.
fn a_user(s: &Stack) -> i64 {
    rows(s, "applications")
        .into_iter()
        .filter_map(|a| a["recruiter_id"].as_i64())
        .find(|u| *u != DEFAULT_ADMIN_USER_ID)
        .unwrap()
}

fn ids_of(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_is_created_with_applications_educations_employments_and_notes() {
    let s = Stack::start(small()).await;
    let (job_a, job_b) = jobs_with_stages(&s);
    let (school, school_name) = option_of(&s, "school_name");
    let (degree, degree_name) = option_of(&s, "degree");
    let recruiter = a_user(&s);
    let body = json!({
        "first_name": "John", "last_name": "Locke", "company": "The Tustin Box Company",
        "title": "Customer Success Representative", "is_private": false,
        "email_addresses": [{"value": "john.locke@example.com", "type": "personal"}],
        "phone_numbers": [{"value": "555-1212", "type": "mobile"}],
        "tags": ["Walkabout", "Orientation"],
        "recruiter": {"id": recruiter},
        "educations": [{"school_id": school, "degree_id": degree, "start_date": "2001-09-15T00:00:00.000Z", "end_date": "2004-05-15T00:00:00.000Z"}],
        "employments": [{"company_name": "Greenhouse", "title": "Engineer", "start_date": "2012-08-15T00:00:00.000Z", "end_date": "2016-05-15T00:00:00.000Z"}],
        "activity_feed_notes": [{"user_id": DEFAULT_ADMIN_USER_ID, "body": "Met at the job fair", "visibility": "public"}],
        "applications": [{"job_id": job_a}, {"job_id": job_b}]
    });
    let r = write(&s, "POST", "/v1/candidates", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"));
    let got = r.json();
    let cid = id(&got);
    // The answer is exactly what a v1 read returns now.
    assert_eq!(s.get(&format!("/v1/candidates/{cid}")).await.json(), got);
    assert_eq!(
        (got["first_name"].as_str(), got["is_private"].as_bool()),
        (Some("John"), Some(false))
    );
    let mut tags: Vec<&str> = got["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    tags.sort();
    assert_eq!(tags, ["Orientation", "Walkabout"]);
    let jobs: Vec<i64> = got["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| id(&a["jobs"][0]))
        .collect();
    assert_eq!(jobs.len(), 2, "{got}");
    assert!(jobs.contains(&job_a) && jobs.contains(&job_b), "{jobs:?}");
    for app in got["applications"].as_array().unwrap() {
        assert_eq!(app["recruiter"]["id"], json!(recruiter), "{app}");
    }
    assert_eq!(got["recruiter"]["id"], json!(recruiter));
    let edu = &got["educations"][0];
    assert_eq!(
        (edu["school_name"].as_str(), edu["degree"].as_str()),
        (Some(school_name.as_str()), Some(degree_name.as_str()))
    );
    assert_eq!(edu["discipline"], Value::Null);
    assert_eq!(got["employments"][0]["company_name"], "Greenhouse");
    let feed = s
        .get(&format!("/v1/candidates/{cid}/activity_feed"))
        .await
        .json();
    assert_eq!(feed["notes"][0]["body"], "Met at the job fair", "{feed}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_candidate_bodies_reach_nothing() {
    let s = Stack::start(small()).await;
    let (job, _) = jobs_with_stages(&s);
    for (body, status, needle) in [
        (
            json!({"first_name": "A", "last_name": "B"}),
            422,
            "applications",
        ),
        (
            json!({"first_name": "A", "last_name": "B", "recruiter": {"email": "x@example.com"}, "applications": [{"job_id": job}]}),
            400,
            "recruiter given by email",
        ),
        (
            json!({"first_name": "A", "last_name": "B", "applications": [{"job_id": job, "attachments": [{"filename": "cv.pdf", "type": "resume", "url": "https://example.com/cv.pdf"}]}]}),
            400,
            "attachments of an application",
        ),
        (
            json!({"first_name": "A", "last_name": "B", "applications": [{"job_id": job, "referrer": {"type": "id", "value": 1}}]}),
            400,
            "referrer",
        ),
    ] {
        let r = write(&s, "POST", "/v1/candidates", &body).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert!(r.text.contains(needle), "{body}: {}", r.text);
        assert_eq!(r.header(OUTCOME).as_deref(), Some("not_applied"));
    }
    let r = write(
        &s,
        "POST",
        "/v1/prospects",
        &json!({"first_name": "A", "last_name": "B", "application": {"attachments": [{"filename": "cv.pdf", "type": "resume", "url": "https://example.com/cv.pdf"}]}}),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), 0, "nothing reached v3");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_refused_half_way_is_undone_and_says_so() {
    let s = Stack::start(small()).await;
    let (job, _) = jobs_with_stages(&s);
    let before = s.sandbox.records("candidates").len();
    let apps_before = s.sandbox.records("applications").len();
    let body = json!({"first_name": "Half", "last_name": "Way",
        "applications": [{"job_id": job}, {"job_id": 999_999_999}]});
    let r = write(&s, "POST", "/v1/candidates", &body).await;
    // v1 created nothing for a bad job id: the proxy deletes what it created and answers
    // v1's error for the cause.
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("not_applied"));
    let got = r.json();
    assert_eq!(got["outcome"], "not_applied");
    let calls: Vec<(&str, &str, bool)> = got["v3_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let m = c["method"].as_str().unwrap();
            (m, c["path"].as_str().unwrap(), c["applied"] == true)
        })
        .collect();
    let (cand, app) = (
        got["undone"][0]["id"].clone(),
        got["undone"][1]["id"].clone(),
    );
    let cand_path = format!("/v3/candidates/{cand}");
    let app_path = format!("/v3/applications/{app}");
    assert_eq!(
        calls,
        [
            ("POST", "/v3/candidates", true),
            ("POST", "/v3/applications", true),
            ("POST", "/v3/applications", false),
            ("DELETE", app_path.as_str(), true),
            ("DELETE", cand_path.as_str(), true),
        ],
        "{got}"
    );
    assert_eq!(got["remains"], json!([]), "{got}");
    assert_eq!(s.sandbox.records("candidates").len(), before);
    assert_eq!(s.sandbox.records("applications").len(), apps_before);
    assert_eq!(s.get(&format!("/v1/candidates/{cand}")).await.status, 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prospect_is_created_in_a_pool_and_read_back() {
    let s = Stack::start(small()).await;
    let (job, _) = jobs_with_stages(&s);
    let pool = rows(&s, "prospect_pools")
        .into_iter()
        .find(|p| p["active"] == true)
        .unwrap();
    let stage = rows(&s, "prospect_pool_stages")
        .into_iter()
        .find(|st| st["prospect_pool_id"] == pool["id"])
        .unwrap();
    let office = id(&rows(&s, "offices")[0]);
    let department = id(&rows(&s, "departments")[0]);
    let owner = a_user(&s);
    let body = json!({"first_name": "Pat", "last_name": "Prospect", "company": "Acme",
        "application": {"job_ids": [job], "prospect_pool_id": id(&pool), "prospect_pool_stage_id": id(&stage),
            "prospect_owner_id": owner, "prospective_office_id": office, "prospective_department_id": department}});
    let r = write(&s, "POST", "/v1/prospects", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let got = r.json();
    assert_eq!(
        s.get(&format!("/v1/candidates/{}", id(&got))).await.json(),
        got
    );
    let app = &got["applications"][0];
    assert_eq!(app["prospect"], true, "{app}");
    assert_eq!(ids_of(&app["jobs"]), [job]);
    let detail = &app["prospect_detail"];
    assert_eq!(detail["prospect_pool"]["name"], pool["name"], "{app}");
    assert_eq!(detail["prospect_stage"]["id"], stage["id"]);
    assert_eq!(detail["prospect_owner"]["id"], json!(owner));
    assert_eq!(app["prospective_office"]["id"], json!(office));
    assert_eq!(app["prospective_department"]["id"], json!(department));
    // Without an application hash: a prospect on no jobs.
    let r = write(
        &s,
        "POST",
        "/v1/prospects",
        &json!({"first_name": "No", "last_name": "Jobs"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let app = &r.json()["applications"][0];
    assert_eq!(
        (app["prospect"].as_bool(), app["jobs"].clone()),
        (Some(true), json!([]))
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_is_added_with_its_referrer_and_attachment() {
    let s = Stack::start(small()).await;
    let cid = a_candidate(&s);
    let (job, _) = jobs_with_stages(&s);
    let referrer = rows(&s, "referrers")
        .into_iter()
        .find(|r| r["user_id"].is_i64())
        .unwrap();
    let user = referrer["user_id"].as_i64().unwrap();
    let body = json!({"job_id": job, "referrer": {"type": "id", "value": user},
        "attachments": [{"filename": "resume.pdf", "type": "resume", "content": "R0lGODlhAQABAIAAAAUEBAAAACwAAAAAAQABAAACAkQBADs=", "content_type": "application/pdf"}]});
    let path = format!("/v1/candidates/{cid}/applications");
    let r = write(&s, "POST", &path, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let app = r.json();
    assert_eq!(
        s.get(&format!("/v1/applications/{}", id(&app)))
            .await
            .json(),
        app
    );
    assert_eq!(app["candidate_id"], json!(cid));
    assert_eq!(ids_of(&app["jobs"]), [job]);
    assert_eq!(app["credited_to"]["id"], json!(user), "{app}");
    let v3 = rows(&s, "applications")
        .into_iter()
        .find(|a| a["id"] == app["id"])
        .unwrap();
    assert_eq!(
        v3["referrer_id"], referrer["id"],
        "v3's referrer record, not the user"
    );
    assert_eq!(app["attachments"][0]["filename"], "resume.pdf", "{app}");
    // A prospect application on no jobs.
    let r = write(&s, "POST", &path, &json!({"prospect": "true"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["prospect"], true);
    // A user who is no referrer in v3: 404, nothing written.
    let writes = s.sandbox.stats().writes();
    let body = json!({"job_id": job, "referrer": {"type": "id", "value": 999_999_999}});
    let r = write(&s, "POST", &path, &body).await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), writes);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn educations_and_employments_are_added_and_removed() {
    let s = Stack::start(small()).await;
    let cid = a_candidate(&s);
    let (school, school_name) = option_of(&s, "school_name");
    let r = write(
        &s,
        "POST",
        &format!("/v1/candidates/{cid}/educations"),
        &json!({"school_id": school, "start_date": "2001-09-15T00:00:00.000Z", "end_date": "2004-05-15T00:00:00.000Z"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let edu = r.json();
    assert_eq!(edu["school_name"], json!(school_name));
    assert_eq!(edu["start_date"], "2001-09-15T00:00:00.000Z");
    let r = write(
        &s,
        "POST",
        &format!("/v1/candidates/{cid}/employments"),
        &json!({"company_name": "Greenhouse", "title": "Engineer", "start_date": "2012-08-15T00:00:00.000Z"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let emp = r.json();
    assert_eq!(
        (emp["title"].as_str(), emp["end_date"].clone()),
        (Some("Engineer"), Value::Null)
    );
    let read = s.get(&format!("/v1/candidates/{cid}")).await.json();
    assert!(
        read["educations"].as_array().unwrap().contains(&edu),
        "{read}"
    );
    assert!(
        read["employments"].as_array().unwrap().contains(&emp),
        "{read}"
    );
    // Removing them through another candidate's path: 404, nothing deleted.
    let other = id(&s.sandbox.records("candidates")[1]);
    let r = write(
        &s,
        "DELETE",
        &format!("/v1/candidates/{other}/educations/{}", id(&edu)),
        &json!({}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    for (kind, label, item) in [
        ("educations", "Education", &edu),
        ("employments", "Employment", &emp),
    ] {
        let path = format!("/v1/candidates/{cid}/{kind}/{}", id(item));
        let r = write(&s, "DELETE", &path, &json!({})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let message = format!("{label} ID {} destroyed.", id(item));
        assert_eq!(r.json(), json!({"success": true, "message": message}));
    }
    let read = s.get(&format!("/v1/candidates/{cid}")).await.json();
    assert!(!read["educations"].as_array().unwrap().contains(&edu));
    assert!(!read["employments"].as_array().unwrap().contains(&emp));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_and_an_attachment_are_added_to_the_candidate() {
    let s = Stack::start(small()).await;
    let cid = a_candidate(&s);
    let body = json!({"user_id": DEFAULT_ADMIN_USER_ID, "to": "candidate@example.com", "from": "recruiter@example.com",
        "cc": ["manager@example.com"], "subject": "Interview Scheduled", "body": "An interview has been scheduled for tomorrow."});
    let r = write(
        &s,
        "POST",
        &format!("/v1/candidates/{cid}/activity_feed/emails"),
        &body,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let email = r.json();
    let keys: Vec<&str> = email
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
            "subject",
            "body",
            "to",
            "from",
            "cc",
            "user"
        ]
    );
    assert_eq!(email["cc"], json!(["manager@example.com"]));
    assert_eq!(email["user"]["id"], json!(DEFAULT_ADMIN_USER_ID));
    let feed = s
        .get(&format!("/v1/candidates/{cid}/activity_feed"))
        .await
        .json();
    let logged = feed["emails"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == email["id"])
        .unwrap_or_else(|| panic!("not among the feed's emails: {feed}"));
    assert_eq!(logged["to"], "candidate@example.com");
    assert_eq!(logged["cc"], "manager@example.com");
    let r = write(
        &s,
        "POST",
        &format!("/v1/candidates/{cid}/attachments"),
        &json!({"filename": "offer.pdf", "type": "offer_letter", "url": "https://example.com/offer.pdf", "content_type": "application/pdf"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let att = r.json();
    assert_eq!(
        (
            att["filename"].as_str(),
            att["type"].as_str(),
            att["content_type"].clone()
        ),
        (Some("offer.pdf"), Some("offer_letter"), Value::Null)
    );
    let read = s.get(&format!("/v1/candidates/{cid}")).await.json();
    assert!(
        read["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["filename"] == "offer.pdf"),
        "{read}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_are_created_applied_removed_and_destroyed() {
    let s = Stack::start(small()).await;
    let cid = a_candidate(&s);
    let r = write(&s, "POST", "/v1/tags/candidate", &json!({"name": "Ruby"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let tag = r.json();
    assert_eq!(tag["name"], "Ruby");
    let tid = id(&tag);
    let tags = s.get("/v1/tags/candidate?per_page=500").await.json();
    assert!(tags.as_array().unwrap().contains(&tag), "{tags}");
    let path = format!("/v1/candidates/{cid}/tags/{tid}");
    let r = write(&s, "PUT", &path, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let msg = format!("Tag {tid}, 'Ruby', has been applied to candidate {cid}");
    assert_eq!(r.json(), json!({"message": msg}));
    let applied = s.get(&format!("/v1/candidates/{cid}/tags")).await.json();
    assert!(applied.as_array().unwrap().contains(&tag), "{applied}");
    let r = write(&s, "DELETE", &path, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let msg = format!("Tag {tid} has been removed from candidate {cid}");
    assert_eq!(r.json(), json!({"message": msg}));
    let applied = s.get(&format!("/v1/candidates/{cid}/tags")).await.json();
    assert!(!applied.as_array().unwrap().contains(&tag), "{applied}");
    // Not applied any more: 404, nothing sent; an unknown tag cannot be applied.
    let writes = s.sandbox.stats().writes();
    assert_eq!(write(&s, "DELETE", &path, &json!({})).await.status, 404);
    let unknown = format!("/v1/candidates/{cid}/tags/999999999");
    assert_eq!(write(&s, "PUT", &unknown, &json!({})).await.status, 404);
    assert_eq!(s.sandbox.stats().writes(), writes);
    let r = write(
        &s,
        "DELETE",
        &format!("/v1/tags/candidate/{tid}"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"message": format!("Tag {tid} has been deleted.")})
    );
    let tags = s.get("/v1/tags/candidate?per_page=500").await.json();
    assert!(!tags.as_array().unwrap().contains(&tag), "{tags}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_candidates_are_merged_into_the_primary() {
    let s = Stack::start(small()).await;
    let with_apps: Vec<i64> = s
        .sandbox
        .records("candidates")
        .iter()
        .map(id)
        .filter(|c| {
            rows(&s, "applications")
                .iter()
                .any(|a| a["candidate_id"] == json!(c))
        })
        .take(2)
        .collect();
    let (primary, duplicate) = (with_apps[0], with_apps[1]);
    let before = s.get(&format!("/v1/candidates/{duplicate}")).await.json();
    let body = json!({"primary_candidate_id": primary, "duplicate_candidate_id": duplicate});
    let r = write(&s, "PUT", "/v1/candidates/merge", &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = r.json();
    assert_eq!(id(&got), primary);
    assert_eq!(
        s.get(&format!("/v1/candidates/{primary}")).await.json(),
        got
    );
    for app in before["application_ids"].as_array().unwrap() {
        assert!(
            got["application_ids"].as_array().unwrap().contains(app),
            "{got}"
        );
    }
    assert_eq!(
        s.get(&format!("/v1/candidates/{duplicate}")).await.status,
        404
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_is_anonymized_by_v1_field_names() {
    let s = Stack::start(small()).await;
    let cand = s
        .sandbox
        .records("candidates")
        .into_iter()
        .find(|c| {
            c["company"].is_string()
                && c["phone_numbers"].as_array().is_some_and(|p| !p.is_empty())
                && c["email_addresses"]
                    .as_array()
                    .is_some_and(|p| !p.is_empty())
        })
        .expect("a candidate with a company, phones and e-mail addresses");
    let cid = id(&cand);
    let before = s.get(&format!("/v1/candidates/{cid}")).await.json();
    // A v1 name v3 cannot anonymize: v1's 422 on `fields`, nothing anonymized.
    let writes = s.sandbox.stats().writes();
    let path = format!("/v1/candidates/{cid}/anonymize?fields=full_name,offers");
    let r = write(&s, "PUT", &path, &json!({})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["errors"][0]["field"], "fields", "{}", r.text);
    let r = write(
        &s,
        "PUT",
        &format!("/v1/candidates/{cid}/anonymize"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(s.sandbox.stats().writes(), writes);
    assert_eq!(s.get(&format!("/v1/candidates/{cid}")).await.json(), before);
    let path =
        format!("/v1/candidates/{cid}/anonymize?fields=current_company,phone_numbers,emails");
    let r = write(&s, "PUT", &path, &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header(OUTCOME).as_deref(), Some("applied"));
    let got = r.json();
    assert_eq!(got["company"], Value::Null, "{got}");
    assert_eq!(got["phone_numbers"], json!([]));
    assert_eq!(got["email_addresses"], json!([]));
    // What was not named is kept.
    assert_eq!(got["first_name"], before["first_name"]);
    assert_eq!(got["title"], before["title"]);
    assert_eq!(s.get(&format!("/v1/candidates/{cid}")).await.json(), got);
    s.stop().await;
}
