//! Per-resource side effects of writes: derived fields, uniqueness rules and dependent rows.

use serde_json::{Map, Value, json};

use crate::data::base_id;
use crate::errors::ApiError;
use crate::records::{children, get_i64, int_field, now};
use crate::schema;
use crate::store::Dataset;

/// Rewrites write-only spellings into stored ones (e.g. note visibility `public` → `publicly_visible`,
/// a note's `note_type` → its `type`).
pub fn normalize(name: &str, body: &mut Map<String, Value>) {
    if name == "notes"
        && let Some(t) = body.remove("note_type")
    {
        body.insert("type".into(), t);
    }
    if name == "notes"
        && let Some(v) = body.get("visibility").and_then(Value::as_str)
    {
        let mapped = match v {
            "public" => "publicly_visible",
            "private" => "privately_visible",
            "admin_only" => "admin_only_visible",
            other => other,
        };
        body.insert("visibility".into(), json!(mapped));
    }
}

/// Stages of a job ordered by sort_order: (id, name).
pub fn stages_of(ds: &Dataset, job_id: i64) -> Vec<(i64, String)> {
    let Some(t) = ds.table("job_interview_stages") else {
        return Vec::new();
    };
    let mut v: Vec<(i64, i64, String)> = t
        .find_ids("job_id", job_id)
        .into_iter()
        .filter_map(|id| t.get(id))
        .filter(|r| r.get("active").and_then(Value::as_bool) != Some(false))
        .filter_map(|r| {
            Some((
                r.get("sort_order").and_then(Value::as_i64).unwrap_or(0),
                r.get("id")?.as_i64()?,
                r.get("name")?.as_str()?.to_string(),
            ))
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, id, n)| (id, n)).collect()
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// Recomputes `candidates.tags` from the applied tag rows.
pub fn sync_candidate_tags(ds: &mut Dataset, cid: Option<i64>) {
    let Some(cid) = cid else { return };
    let names: Vec<Value> = ds
        .table("applied_candidate_tags")
        .map(|t| {
            t.find_ids("candidate_id", cid)
                .into_iter()
                .filter_map(|id| t.get(id))
                .filter_map(|r| get_i64(r.as_object()?, "candidate_tag_id"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .filter_map(|tid| {
            ds.get("candidate_tags", tid)
                .and_then(|t| t.get("name"))
                .cloned()
        })
        .collect();
    ds.modify("candidates", cid, |c| {
        c.insert("tags".into(), Value::Array(names));
    });
}

/// Makes the applied tag rows of a candidate match `names` (creating unknown tags).
fn set_candidate_tags(ds: &mut Dataset, cid: i64, names: &[String]) {
    let mut wanted = Vec::new();
    for n in names {
        let existing = ds.table("candidate_tags").and_then(|t| {
            t.rows()
                .values()
                .find(|r| r.get("name").and_then(Value::as_str) == Some(n))
                .and_then(|r| r.get("id")?.as_i64())
        });
        let tid = match existing {
            Some(t) => t,
            None => {
                let tid = ds.next_id("candidate_tags", base_id("candidate_tags"));
                let ts = now();
                let _ = ds.upsert(
                    "candidate_tags",
                    json!({"id": tid, "created_at": ts, "updated_at": ts, "name": n}),
                );
                tid
            }
        };
        wanted.push(tid);
    }
    let rows: Vec<(i64, i64)> = ds
        .table("applied_candidate_tags")
        .map(|t| {
            t.find_ids("candidate_id", cid)
                .into_iter()
                .filter_map(|id| Some((id, t.get(id)?.get("candidate_tag_id")?.as_i64()?)))
                .collect()
        })
        .unwrap_or_default();
    for (row, tid) in &rows {
        if !wanted.contains(tid) {
            ds.remove("applied_candidate_tags", *row);
        }
    }
    for tid in wanted {
        if !rows.iter().any(|(_, t)| *t == tid) {
            let id = ds.next_id("applied_candidate_tags", base_id("applied_candidate_tags"));
            let ts = now();
            let _ = ds.upsert("applied_candidate_tags", json!({"id": id, "created_at": ts, "updated_at": ts, "candidate_tag_id": tid, "candidate_id": cid}));
        }
    }
    sync_candidate_tags(ds, Some(cid));
}

fn user_email_taken(ds: &Dataset, email: &str, except: Option<i64>) -> bool {
    ds.table("users").is_some_and(|t| {
        t.rows().iter().any(|(id, r)| {
            Some(*id) != except
                && r.get("primary_email")
                    .and_then(Value::as_str)
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    })
}

fn user_derived(
    ds: &Dataset,
    body: &Map<String, Value>,
    rec: &mut Map<String, Value>,
    except: Option<i64>,
) -> Result<(), ApiError> {
    if let Some(email) = rec
        .get("primary_email")
        .and_then(Value::as_str)
        .map(str::to_string)
    {
        if !email.contains('@') {
            return Err(ApiError::field(
                "primary_email",
                "is not a valid email address",
            ));
        }
        if user_email_taken(ds, &email, except) {
            return Err(ApiError::field("primary_email", "has already been taken"));
        }
        let mut emails: Vec<Value> = rec
            .get("emails")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if !emails.iter().any(|e| e.as_str() == Some(&email)) {
            emails.insert(0, json!(email));
        }
        rec.insert("emails".into(), Value::Array(emails));
    }
    let first = rec
        .get("first_name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let last = rec
        .get("last_name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    rec.insert("name".into(), json!(format!("{first} {last}").trim()));
    for (key, table, field) in [
        ("office_ids", "offices", "office_ids"),
        ("department_ids", "departments", "department_ids"),
    ] {
        if let Some(ids) = rec.get(key).and_then(Value::as_array) {
            for id in ids.iter().filter_map(Value::as_i64) {
                if ds.get(table, id).is_none() {
                    return Err(ApiError::field(
                        field,
                        format!("{} {id} does not exist", schema::singular_label(table)),
                    ));
                }
            }
        }
    }
    for (key, table, field) in [
        ("external_office_ids", "offices", "office_ids"),
        ("external_department_ids", "departments", "department_ids"),
    ] {
        if let Some(exts) = body.get(key).and_then(Value::as_array) {
            let mut ids = Vec::new();
            for e in exts.iter().filter_map(Value::as_str) {
                let found = ds.table(table).and_then(|t| {
                    t.rows()
                        .iter()
                        .find(|(_, r)| r.get("external_id").and_then(Value::as_str) == Some(e))
                        .map(|(id, _)| *id)
                });
                ids.push(json!(found.ok_or_else(|| ApiError::field(
                    key,
                    format!("unknown external id `{e}`")
                ))?));
            }
            rec.insert(field.into(), Value::Array(ids));
        }
    }
    if let Some(tags) = body.get("interviewer_tag_ids").and_then(Value::as_array) {
        let mut out = Vec::new();
        for tid in tags {
            let t = tid
                .as_i64()
                .and_then(|i| ds.get("interviewer_tags", i))
                .ok_or_else(|| {
                    ApiError::field(
                        "interviewer_tag_ids",
                        format!("unknown interviewer tag {tid}"),
                    )
                })?;
            out.push(json!({"id": t.get("id"), "name": t.get("name")}));
        }
        rec.insert("interviewer_tags".into(), Value::Array(out));
    }
    Ok(())
}

/// Derived fields and checks before a create is stored.
pub fn before_create(
    ds: &Dataset,
    name: &str,
    body: &Map<String, Value>,
    rec: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    if rec.get("custom_fields").is_some_and(Value::is_null) {
        rec.insert("custom_fields".into(), json!({}));
    }
    match name {
        "applications" => new_application(ds, body, rec)?,
        "users" => user_derived(ds, body, rec, None)?,
        "notes" => {
            let b = rec.get("body").cloned().unwrap_or(Value::Null);
            rec.insert("body_with_tags".into(), b);
        }
        "interviews" => new_interview(ds, body, rec)?,
        "attachments" => new_attachment(ds, rec)?,
        "custom_fields" => new_custom_field(ds, rec)?,
        "openings" => {
            let job = get_i64(rec, "job_id").unwrap_or(0);
            let n = ds
                .table("openings")
                .map(|t| t.find_ids("job_id", job).len())
                .unwrap_or(0);
            rec.insert("sort_order".into(), json!(n));
        }
        "applied_candidate_tags" => tag_not_yet_applied(ds, rec)?,
        "jobs" => new_job(ds, body, rec)?,
        _ => {}
    }
    Ok(())
}

/// An application's candidate must exist; a job application starts in its initial stage (or
/// the job's first), a prospect has no stage.
fn new_application(
    ds: &Dataset,
    body: &Map<String, Value>,
    rec: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let prospect = rec
        .get("prospect")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let Some(cid) = get_i64(rec, "candidate_id")
        && ds.get("candidates", cid).is_none()
    {
        return Err(ApiError::field(
            "candidate_id",
            format!("Candidate {cid} does not exist"),
        ));
    }
    if prospect {
        rec.insert("stage_id".into(), Value::Null);
        rec.insert("stage_name".into(), Value::Null);
        rec.insert("answers".into(), Value::Null);
    } else {
        let job = get_i64(rec, "job_id").ok_or_else(|| ApiError::field("job_id", "is required"))?;
        let stage = initial_stage(ds, body, job)?;
        rec.insert("stage_id".into(), json!(stage.0));
        rec.insert("stage_name".into(), json!(stage.1));
        rec.insert("needs_decision".into(), json!(false));
    }
    for k in PROSPECT_REFS {
        if let Some(id) = int_field(body, k.0)?
            && ds.get(k.1, id).is_none()
        {
            return Err(ApiError::field(
                k.0,
                format!("{} {id} does not exist", schema::singular_label(k.1)),
            ));
        }
    }
    if let Some(jobs) = body.get("job_ids").filter(|v| !v.is_null()) {
        let ids: Option<Vec<i64>> = jobs
            .as_array()
            .and_then(|a| a.iter().map(Value::as_i64).collect());
        let ids = ids.ok_or_else(|| ApiError::field("job_ids", "must be an array of job ids"))?;
        if let Some(j) = ids.iter().find(|j| ds.get("jobs", **j).is_none()) {
            return Err(ApiError::field(
                "job_ids",
                format!("Job {j} does not exist"),
            ));
        }
        rec.insert("prospective_job_ids".into(), json!(ids));
    }
    Ok(())
}

/// Prospect fields of an application create and the table each points to (v3's names, and
/// `prospect_stage_id`, the update's name for the pool stage).
const PROSPECT_REFS: [(&str, &str); 6] = [
    ("prospect_pool_id", "prospect_pools"),
    ("prospect_stage_id", "prospect_pool_stages"),
    ("prospect_pool_stage_id", "prospect_pool_stages"),
    ("prospect_owner_id", "users"),
    ("prospective_department_id", "departments"),
    ("prospective_office_id", "offices"),
];

/// The stage a new application of `job` starts in: `initial_stage_id` or the first stage.
fn initial_stage(
    ds: &Dataset,
    body: &Map<String, Value>,
    job: i64,
) -> Result<(i64, String), ApiError> {
    let stages = stages_of(ds, job);
    match int_field(body, "initial_stage_id")? {
        Some(s) => stages
            .iter()
            .find(|(id, _)| *id == s)
            .cloned()
            .ok_or_else(|| {
                ApiError::field(
                    "initial_stage_id",
                    format!("stage {s} does not belong to job {job}"),
                )
            }),
        None => stages
            .first()
            .cloned()
            .ok_or_else(|| ApiError::field("job_id", format!("Job {job} has no interview stages"))),
    }
}

/// An interview belongs to its application's job; with a start time it is scheduled.
fn new_interview(
    ds: &Dataset,
    body: &Map<String, Value>,
    rec: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let app = get_i64(rec, "application_id")
        .and_then(|a| ds.get("applications", a))
        .cloned()
        .unwrap_or(Value::Null);
    let job = app
        .get("job_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::field("application_id", "application has no job"))?;
    let ji_job = get_i64(rec, "job_interview_id")
        .and_then(|j| ds.get("job_interviews", j))
        .and_then(|r| r.get("job_id"))
        .and_then(Value::as_i64);
    if ji_job != Some(job) {
        return Err(ApiError::field(
            "job_interview_id",
            "does not belong to the application's job",
        ));
    }
    check_panel(ds, body)?;
    rec.insert("job_id".into(), json!(job));
    if rec.get("starts_at").is_some_and(|v| !v.is_null()) {
        if body.get("status").is_none() {
            rec.insert("status".into(), json!("scheduled"));
        }
        rec.insert("scheduled_at".into(), json!(now()));
    }
    Ok(())
}

/// An attachment goes to its application (or the candidate's latest) and gets a URL.
fn new_attachment(ds: &Dataset, rec: &mut Map<String, Value>) -> Result<(), ApiError> {
    let app = match get_i64(rec, "application_id").filter(|a| *a != 0) {
        Some(a) => a,
        None => {
            let cid = get_i64(rec, "candidate_id")
                .ok_or_else(|| ApiError::field("application_id", "is required"))?;
            ds.table("applications")
                .and_then(|t| t.find_ids("candidate_id", cid).last().copied())
                .ok_or_else(|| ApiError::field("candidate_id", "candidate has no application"))?
        }
    };
    let cid = ds
        .get("applications", app)
        .and_then(|a| a.get("candidate_id"))
        .cloned()
        .unwrap_or(Value::Null);
    rec.insert("application_id".into(), json!(app));
    rec.insert("candidate_id".into(), cid);
    if rec
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .is_empty()
    {
        let id = get_i64(rec, "id").unwrap_or(0);
        let file = rec
            .get("filename")
            .and_then(Value::as_str)
            .unwrap_or("file")
            .to_string();
        rec.insert("url".into(), json!(format!("https://grnhse-prod.s3.amazonaws.com/person_attachments/data/{id}/{file}?X-Amz-Expires=604800")));
    }
    Ok(())
}

/// A custom field's `name_key` (given, or the slug of its name) must be unique.
fn new_custom_field(ds: &Dataset, rec: &mut Map<String, Value>) -> Result<(), ApiError> {
    let key = match rec
        .get("name_key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
    {
        Some(k) => k.to_string(),
        None => slug(rec.get("name").and_then(Value::as_str).unwrap_or_default()),
    };
    if ds.table("custom_fields").is_some_and(|t| {
        t.rows()
            .values()
            .any(|r| r.get("name_key").and_then(Value::as_str) == Some(&key))
    }) {
        return Err(ApiError::field("name_key", "has already been taken"));
    }
    rec.insert("name_key".into(), json!(key));
    Ok(())
}

/// A tag is applied to a candidate at most once.
fn tag_not_yet_applied(ds: &Dataset, rec: &Map<String, Value>) -> Result<(), ApiError> {
    let (c, t) = (
        get_i64(rec, "candidate_id"),
        get_i64(rec, "candidate_tag_id"),
    );
    let dup = ds.table("applied_candidate_tags").is_some_and(|tab| {
        c.is_some_and(|c| {
            tab.find_ids("candidate_id", c).iter().any(|id| {
                tab.get(*id)
                    .and_then(|r| r.get("candidate_tag_id"))
                    .and_then(Value::as_i64)
                    == t
            })
        })
    });
    if dup {
        return Err(ApiError::field(
            "candidate_tag_id",
            "is already applied to this candidate",
        ));
    }
    Ok(())
}

/// A new job is never a template; from `template_job_id` it copies the fields not given.
fn new_job(
    ds: &Dataset,
    body: &Map<String, Value>,
    rec: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    if let Some(t) = int_field(body, "template_job_id")? {
        let tpl = ds
            .get("jobs", t)
            .cloned()
            .ok_or_else(|| ApiError::field("template_job_id", format!("Job {t} does not exist")))?;
        for k in [
            "department_id",
            "office_ids",
            "custom_fields",
            "confidential",
            "notes",
        ] {
            if body.get(k).is_none()
                && let Some(v) = tpl.get(k)
            {
                rec.insert(k.into(), v.clone());
            }
        }
        if body.get("name").is_none() {
            let n = body
                .get("job_name")
                .cloned()
                .or_else(|| tpl.get("name").cloned())
                .unwrap_or(Value::Null);
            rec.insert("name".into(), n);
        }
        rec.insert("copied_from_id".into(), json!(t));
    }
    rec.insert("is_template".into(), json!(false));
    Ok(())
}

/// Dependent rows after a create (applications embedded in a candidate create are `crud`'s).
pub fn after_create(
    ds: &mut Dataset,
    name: &str,
    id: i64,
    body: &Map<String, Value>,
) -> Result<(), ApiError> {
    let ts = now();
    match name {
        "applications" => application_created(ds, id, body, &ts),
        "candidates" => {
            let tags: Vec<String> = body
                .get("tags")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if !tags.is_empty() {
                set_candidate_tags(ds, id, &tags);
            }
        }
        "users" => {
            let rec = ds.get(name, id).cloned().unwrap_or(Value::Null);
            if let Some(e) = rec.get("primary_email") {
                let eid = ds.next_id("user_emails", base_id("user_emails"));
                let _ = ds.upsert("user_emails", json!({"id": eid, "created_at": ts, "updated_at": ts, "user_id": id, "email": e, "verified": true, "verification_token_sent_at": Value::Null}));
            }
        }
        "applied_candidate_tags" => {
            let cid = ds
                .get(name, id)
                .and_then(|r| r.get("candidate_id"))
                .and_then(Value::as_i64);
            sync_candidate_tags(ds, cid);
        }
        "interviews" => interviewers_created(ds, id, body, &ts),
        "user_emails" => user_email_created(ds, id),
        "jobs" => job_created(ds, id, body, &ts),
        _ => {}
    }
    Ok(())
}

/// A new application's first stage row or prospect details, and the candidate's activity.
fn application_created(ds: &mut Dataset, id: i64, body: &Map<String, Value>, ts: &str) {
    let rec = ds.get("applications", id).cloned().unwrap_or(Value::Null);
    if let Some(stage) = rec.get("stage_id").and_then(Value::as_i64) {
        let sid = ds.next_id("application_stages", base_id("application_stages"));
        let _ = ds.upsert("application_stages", json!({"id": sid, "created_at": ts, "updated_at": ts, "application_id": id,
            "job_interview_stage_id": stage, "entered_at": ts, "exited_at": Value::Null, "days_in_stage": 0, "current": true}));
    }
    if rec.get("prospect").and_then(Value::as_bool) == Some(true) {
        let field = |k: &str| body.get(k).cloned().unwrap_or(Value::Null);
        let pid = ds.next_id("prospect_details", base_id("prospect_details"));
        let _ = ds.upsert("prospect_details", json!({"id": pid, "created_at": ts, "updated_at": ts, "application_id": id,
            "pool_id": field("prospect_pool_id"),
            "pool_stage_id": body.get("prospect_pool_stage_id").cloned().unwrap_or_else(|| field("prospect_stage_id")),
            "prospect_owner_id": field("prospect_owner_id"), "department_id": field("prospective_department_id"),
            "office_id": field("prospective_office_id")}));
    }
    if let Some(cid) = rec.get("candidate_id").and_then(Value::as_i64) {
        ds.modify("candidates", cid, |c| {
            c.insert("last_activity_at".into(), json!(ts));
            c.insert("updated_at".into(), json!(ts));
        });
    }
}

/// The `interviewers` rows of a new interview.
fn interviewers_created(ds: &mut Dataset, id: i64, body: &Map<String, Value>, ts: &str) {
    if let Some(list) = body.get("interviewers").and_then(Value::as_array) {
        for iv in list {
            add_panel_row(ds, id, iv, Value::Null, ts);
        }
    }
}

/// Calendar RSVPs a panel entry may carry.
const RESPONSE_STATUSES: [&str; 4] = ["needs_action", "accepted", "declined", "tentative"];

/// The user a panel entry `{user_id | email, response_status}` names: its `user_id`, else the
/// user whose e-mail it is (None for an external attendee).
fn panel_user(ds: &Dataset, entry: &Value) -> Option<i64> {
    if let Some(u) = entry.get("user_id").and_then(Value::as_i64) {
        return Some(u);
    }
    let email = entry.get("email").and_then(Value::as_str)?;
    ds.table("users")?
        .rows()
        .iter()
        .find(|(_, u)| {
            let own = u.get("primary_email").and_then(Value::as_str);
            let all = u.get("emails").and_then(Value::as_array);
            own.is_some_and(|e| e.eq_ignore_ascii_case(email))
                || all.is_some_and(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .any(|e| e.eq_ignore_ascii_case(email))
                })
        })
        .map(|(id, _)| *id)
}

/// 422 unless every entry of an interview's `interviewers` names an existing user or an
/// e-mail, with a known RSVP.
fn check_panel(ds: &Dataset, body: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(list) = body.get("interviewers").filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let bad = |m: String| Err(ApiError::field("interviewers", m));
    let Some(list) = list.as_array() else {
        return bad("must be an array of {user_id | email, response_status}".into());
    };
    for iv in list {
        match iv.get("user_id").filter(|v| !v.is_null()) {
            Some(u) if u.as_i64().and_then(|u| ds.get("users", u)).is_none() => {
                return bad(format!("User {u} does not exist"));
            }
            None if iv.get("email").and_then(Value::as_str).is_none() => {
                return bad("each entry needs user_id or email".into());
            }
            _ => {}
        }
        if let Some(r) = iv.get("response_status").filter(|v| !v.is_null())
            && !r.as_str().is_some_and(|r| RESPONSE_STATUSES.contains(&r))
        {
            return bad(format!(
                "response_status {r} is not one of: {}",
                RESPONSE_STATUSES.join(", ")
            ));
        }
    }
    Ok(())
}

/// Adds one panel row to an interview (the user's primary e-mail, or the entry's).
fn add_panel_row(ds: &mut Dataset, interview: i64, entry: &Value, scorecard: Value, ts: &str) {
    let uid = panel_user(ds, entry);
    let email = uid
        .and_then(|u| ds.get("users", u))
        .and_then(|u| u.get("primary_email").cloned())
        .or_else(|| entry.get("email").cloned())
        .unwrap_or(Value::Null);
    let rsvp = entry
        .get("response_status")
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or_else(|| json!("needs_action"));
    let rid = ds.next_id("interviewers", base_id("interviewers"));
    let _ = ds.upsert(
        "interviewers",
        json!({"id": rid, "created_at": ts, "updated_at": ts, "interview_id": interview,
        "user_id": uid, "scorecard_id": scorecard, "email": email, "response_status": rsvp}),
    );
}

/// An interview PATCH with `interviewers` replaces its panel; a user who stays keeps their
/// scorecard.
fn replace_panel(ds: &mut Dataset, id: i64, body: &Map<String, Value>) -> Result<(), ApiError> {
    check_panel(ds, body)?;
    let Some(list) = body.get("interviewers").and_then(Value::as_array) else {
        return Ok(());
    };
    let old: Vec<Value> = children(ds, "interviewers", "interview_id", id)
        .into_iter()
        .filter_map(|r| ds.remove("interviewers", r))
        .collect();
    let ts = now();
    for iv in list {
        let uid = panel_user(ds, iv);
        let scorecard = old
            .iter()
            .find(|o| uid.is_some() && o.get("user_id").and_then(Value::as_i64) == uid)
            .and_then(|o| o.get("scorecard_id").cloned())
            .unwrap_or(Value::Null);
        add_panel_row(ds, id, iv, scorecard, &ts);
    }
    Ok(())
}

/// An opening's `open` and `closed_at` agree: closing stamps `closed_at`, reopening clears it
/// and the close reason.
fn opening_state(body: &Map<String, Value>, rec: &mut Map<String, Value>) {
    match body.get("open").and_then(Value::as_bool) {
        Some(false) if rec.get("closed_at").is_none_or(Value::is_null) => {
            rec.insert("closed_at".into(), json!(now()));
        }
        Some(true) => {
            rec.insert("closed_at".into(), Value::Null);
            if body.get("close_reason_id").is_none() {
                rec.insert("close_reason_id".into(), Value::Null);
            }
        }
        _ => {}
    }
}

/// A new user email is appended to the user's `emails`.
fn user_email_created(ds: &mut Dataset, id: i64) {
    let rec = ds.get("user_emails", id).cloned().unwrap_or(Value::Null);
    if let (Some(uid), Some(e)) = (
        rec.get("user_id").and_then(Value::as_i64),
        rec.get("email").cloned(),
    ) {
        ds.modify("users", uid, |u| {
            let mut emails = u
                .get("emails")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            emails.push(e);
            u.insert("emails".into(), Value::Array(emails));
        });
    }
}

/// A new job's stages (the template's, or a default plan) and its openings (named by
/// `opening_ids`).
fn job_created(ds: &mut Dataset, id: i64, body: &Map<String, Value>, ts: &str) {
    let template = body.get("template_job_id").and_then(Value::as_i64);
    let names: Vec<String> = match template {
        Some(t) => stages_of(ds, t).into_iter().map(|(_, n)| n).collect(),
        None => Vec::new(),
    };
    let names = if names.is_empty() {
        [
            "Application Review",
            "Phone Interview",
            "Face to Face",
            "Offer",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    } else {
        names
    };
    for (i, n) in names.iter().enumerate() {
        let sid = ds.next_id("job_interview_stages", base_id("job_interview_stages"));
        let _ = ds.upsert("job_interview_stages", json!({"id": sid, "created_at": ts, "updated_at": ts, "job_id": id, "sort_order": i, "name": n, "active": true}));
    }
    let openings = body
        .get("number_of_openings")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .clamp(0, 100);
    // `opening_ids` names the new openings, in order (the ones past its end have none).
    let names = body
        .get("opening_ids")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for i in 0..openings {
        let oid = ds.next_id("openings", base_id("openings"));
        let name = names.get(i as usize).cloned().unwrap_or(Value::Null);
        let _ = ds.upsert("openings", json!({"id": oid, "created_at": ts, "updated_at": ts, "job_id": id, "opened_at": ts, "closed_at": Value::Null,
            "sort_order": i, "opening_id": name, "application_id": Value::Null, "close_reason_id": Value::Null,
            "target_start_on": Value::Null, "open": true, "custom_fields": {}}));
    }
}

/// Derived fields and dependent rows before an update is stored.
pub fn before_update(
    ds: &mut Dataset,
    name: &str,
    id: i64,
    body: &Map<String, Value>,
    rec: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    match name {
        "users" => user_derived(ds, body, rec, Some(id))?,
        "interviews" => replace_panel(ds, id, body)?,
        "openings" => opening_state(body, rec),
        "applications" => {
            let pool = int_field(body, "prospect_pool_id")?;
            let stage = int_field(body, "prospect_stage_id")?;
            if pool.is_some() || stage.is_some() {
                let rows = children(ds, "prospect_details", "application_id", id);
                for r in rows {
                    ds.modify("prospect_details", r, |p| {
                        if let Some(pl) = pool {
                            p.insert("pool_id".into(), json!(pl));
                        }
                        if let Some(st) = stage {
                            p.insert("pool_stage_id".into(), json!(st));
                        }
                        p.insert("updated_at".into(), json!(now()));
                    });
                }
            }
        }
        "candidates" => {
            if let Some(tags) = body.get("tags").and_then(Value::as_array) {
                let names: Vec<String> = tags
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect();
                ds.upsert("candidates", Value::Object(rec.clone()))
                    .map_err(ApiError::message)?;
                set_candidate_tags(ds, id, &names);
                if let Some(t) = ds
                    .get("candidates", id)
                    .and_then(|c| c.get("tags"))
                    .cloned()
                {
                    rec.insert("tags".into(), t);
                }
            }
        }
        "notes" => {
            let b = rec.get("body").cloned().unwrap_or(Value::Null);
            rec.insert("body_with_tags".into(), b);
        }
        _ => {}
    }
    Ok(())
}
