//! v3 action routes: application move/reject/unreject/hire/convert_to_candidate, user
//! activate/deactivate/revoke_permissions, candidate anonymize/merge, approval actions.

use serde_json::{Map, Value, json};

use crate::body_fields::apply_fields;
use crate::crud;
use crate::data::base_id;
use crate::effects::{stages_of, sync_candidate_tags};
use crate::errors::{ApiError, field_entry};
use crate::records::{children, get_i64, int_field, now, require};
use crate::schema;
use crate::store::Dataset;
use crate::write_op::{Outcome, WriteKind};

/// Fails on body keys outside `allowed` (the v3 action bodies are `additionalProperties: false`).
fn only(body: &Map<String, Value>, allowed: &[&str]) -> Result<(), ApiError> {
    let bad: Vec<Value> = body
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| field_entry(k, "is not a permitted attribute"))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(ApiError::unprocessable(bad))
    }
}

/// Runs the action `verb` on record `id` of resource `name` (404 for an unknown pair).
pub fn run(
    ds: &mut Dataset,
    name: &str,
    verb: &str,
    id: i64,
    body: &Map<String, Value>,
) -> Result<Outcome, ApiError> {
    match (name, verb) {
        ("applications", "move") => move_app(ds, id, body),
        ("applications", "reject") => reject(ds, id, body),
        ("applications", "unreject") => unreject(ds, id, body),
        ("applications", "hire") => hire(ds, id, body),
        ("applications", "convert_to_candidate") => convert(ds, id, body),
        ("users", "activate") => set_deactivated(ds, id, body, false),
        ("users", "deactivate") => set_deactivated(ds, id, body, true),
        ("users", "revoke_permissions") => revoke_permissions(ds, id),
        ("candidates", "anonymize") => anonymize(ds, id, body),
        ("candidates", "merge") => merge(ds, id, body),
        ("approval_flows", "request_approvals") => request_approvals(ds, id),
        ("approval_flows", "replace_approver_groups") => replace_groups(ds, id, body),
        ("approver_groups", "replace_approver") => replace_approver(ds, id, body),
        _ => Err(ApiError::not_found()),
    }
}

/// `users/{id}/activate` and `users/{id}/deactivate`.
fn set_deactivated(
    ds: &mut Dataset,
    id: i64,
    body: &Map<String, Value>,
    deactivated: bool,
) -> Result<Outcome, ApiError> {
    only(body, &[])?;
    ds.modify("users", id, |u| {
        u.insert("deactivated".into(), json!(deactivated));
        u.insert("updated_at".into(), json!(now()));
    });
    Ok(Outcome::NoContent)
}

/// Removes the user's job permissions and its site-admin flag.
fn revoke_permissions(ds: &mut Dataset, id: i64) -> Result<Outcome, ApiError> {
    for t in ["user_job_permissions", "future_job_permissions"] {
        for r in children(ds, t, "user_id", id) {
            ds.remove(t, r);
        }
    }
    ds.modify("users", id, |u| {
        u.insert("site_admin".into(), json!(false));
        u.insert("updated_at".into(), json!(now()));
    });
    Ok(Outcome::NoContent)
}

/// Marks the flow pending: approvers of the first group are due, the others wait.
fn request_approvals(ds: &mut Dataset, id: i64) -> Result<Outcome, ApiError> {
    ds.modify("approval_flows", id, |f| {
        f.insert("approval_status".into(), json!("pending"));
        f.insert("updated_at".into(), json!(now()));
    });
    let groups = children(ds, "approver_groups", "approval_flow_id", id);
    let ts = now();
    for (i, g) in groups.iter().enumerate() {
        for a in children(ds, "approvers", "approver_group_id", *g) {
            ds.modify("approvers", a, |r| {
                r.insert(
                    "status".into(),
                    json!(if i == 0 { "due" } else { "waiting" }),
                );
                r.insert("request_sent_at".into(), json!(ts));
            });
        }
    }
    Ok(Outcome::NoContent)
}

/// Swaps one approver of a group for another user.
fn replace_approver(
    ds: &mut Dataset,
    id: i64,
    body: &Map<String, Value>,
) -> Result<Outcome, ApiError> {
    require(body, &["remove_user_id", "add_user_id"])?;
    let remove = int_field(body, "remove_user_id")?.unwrap_or(0);
    let add = int_field(body, "add_user_id")?.unwrap_or(0);
    if ds.get("users", add).is_none() {
        return Err(ApiError::field(
            "add_user_id",
            format!("User {add} does not exist"),
        ));
    }
    let rows = children(ds, "approvers", "approver_group_id", id);
    let row = rows.into_iter().find(|r| {
        ds.get("approvers", *r)
            .and_then(|a| a.get("user_id"))
            .and_then(Value::as_i64)
            == Some(remove)
    });
    let Some(row) = row else {
        return Err(ApiError::field(
            "remove_user_id",
            format!("User {remove} is not an approver of this group"),
        ));
    };
    ds.modify("approvers", row, |a| {
        a.insert("user_id".into(), json!(add));
        a.insert("updated_at".into(), json!(now()));
    });
    Ok(Outcome::Object(
        200,
        ds.get("approver_groups", id)
            .cloned()
            .unwrap_or(Value::Null),
    ))
}

/// The application record `id` (empty when absent).
fn app(ds: &Dataset, id: i64) -> Map<String, Value> {
    ds.get("applications", id)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Closes the current stage row and opens one for `stage`.
fn enter_stage(ds: &mut Dataset, app_id: i64, stage: Option<i64>) {
    let ts = now();
    for r in children(ds, "application_stages", "application_id", app_id) {
        ds.modify("application_stages", r, |s| {
            if s.get("current").and_then(Value::as_bool) == Some(true) {
                s.insert("current".into(), json!(false));
                s.insert("exited_at".into(), json!(ts));
                s.insert("updated_at".into(), json!(ts));
            }
        });
    }
    if let Some(stage) = stage {
        let sid = ds.next_id("application_stages", base_id("application_stages"));
        let _ = ds.upsert("application_stages", json!({"id": sid, "created_at": ts, "updated_at": ts, "application_id": app_id,
            "job_interview_stage_id": stage, "entered_at": ts, "exited_at": Value::Null, "days_in_stage": 0, "current": true}));
    }
}

fn touch_app(ds: &mut Dataset, id: i64, f: impl FnOnce(&mut Map<String, Value>)) {
    let ts = now();
    ds.modify("applications", id, |a| {
        f(a);
        a.insert("updated_at".into(), json!(ts));
        a.insert("last_activity_at".into(), json!(ts));
    });
}

fn active_candidate_app(a: &Map<String, Value>) -> Result<(), ApiError> {
    if a.get("prospect").and_then(Value::as_bool) == Some(true) {
        return Err(ApiError::message(
            "This action is not available for prospect applications.",
        ));
    }
    if a.get("status").and_then(Value::as_str) != Some("in_process") {
        return Err(ApiError::message(format!(
            "Application is {}; only active applications can do this.",
            a.get("status").and_then(Value::as_str).unwrap_or("unknown")
        )));
    }
    Ok(())
}

fn move_app(ds: &mut Dataset, id: i64, body: &Map<String, Value>) -> Result<Outcome, ApiError> {
    only(
        body,
        &[
            "from_stage_id",
            "to_stage_id",
            "to_job_id",
            "email_from_user_id",
        ],
    )?;
    require(body, &["from_stage_id"])?;
    let a = app(ds, id);
    active_candidate_app(&a)?;
    let from = int_field(body, "from_stage_id")?;
    let current = get_i64(&a, "stage_id");
    if from != current {
        return Err(ApiError::field(
            "from_stage_id",
            format!(
                "does not match the application's current stage ({})",
                current
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "none".into())
            ),
        ));
    }
    let job = get_i64(&a, "job_id").unwrap_or(0);
    let to_job = int_field(body, "to_job_id")?;
    let to_stage = int_field(body, "to_stage_id")?;
    let target_job = to_job.unwrap_or(job);
    if to_job.is_some() && ds.get("jobs", target_job).is_none() {
        return Err(ApiError::field(
            "to_job_id",
            format!("Job {target_job} does not exist"),
        ));
    }
    let stages = stages_of(ds, target_job);
    let target = match to_stage {
        Some(s) => stages
            .iter()
            .find(|(sid, _)| *sid == s)
            .cloned()
            .ok_or_else(|| {
                ApiError::field(
                    "to_stage_id",
                    format!("stage {s} does not belong to job {target_job}"),
                )
            })?,
        None if to_job.is_some() => stages
            .first()
            .cloned()
            .ok_or_else(|| ApiError::field("to_job_id", "job has no stages"))?,
        None => {
            let pos = stages.iter().position(|(sid, _)| Some(*sid) == current);
            match pos.and_then(|p| stages.get(p + 1)) {
                Some(s) => s.clone(),
                None => {
                    return Err(ApiError::message(
                        "Application is already in the last stage of its job.",
                    ));
                }
            }
        }
    };
    touch_app(ds, id, |r| {
        r.insert("job_id".into(), json!(target_job));
        r.insert("stage_id".into(), json!(target.0));
        r.insert("stage_name".into(), json!(target.1));
    });
    enter_stage(ds, id, Some(target.0));
    Ok(Outcome::NoContent)
}

fn reject(ds: &mut Dataset, id: i64, body: &Map<String, Value>) -> Result<Outcome, ApiError> {
    only(
        body,
        &[
            "rejection_reason_id",
            "notes",
            "rejection_email",
            "custom_fields",
        ],
    )?;
    require(body, &["rejection_reason_id"])?;
    let reason = int_field(body, "rejection_reason_id")?.unwrap_or(0);
    if ds.get("rejection_reasons", reason).is_none() {
        return Err(ApiError::field(
            "rejection_reason_id",
            format!("Rejection reason {reason} does not exist"),
        ));
    }
    let a = app(ds, id);
    match a.get("status").and_then(Value::as_str) {
        Some("in_process") => {}
        other => {
            return Err(ApiError::message(format!(
                "Application is {}; only active applications can be rejected.",
                other.unwrap_or("unknown")
            )));
        }
    }
    if let Some(t) = body
        .get("rejection_email")
        .and_then(|e| e.get("email_template_id"))
        .and_then(Value::as_i64)
        && ds.get("email_templates", t).is_none()
    {
        return Err(ApiError::field(
            "rejection_email",
            format!("Email template {t} does not exist"),
        ));
    }
    let qcf = match body.get("custom_fields") {
        Some(v) => {
            let def = schema::resource("rejection_details").ok_or_else(ApiError::not_found)?;
            let mut tmp = Map::new();
            let mut b = Map::new();
            b.insert("question_custom_fields".into(), v.clone());
            apply_fields(ds, def, &WriteKind::Update, &b, &mut tmp)?;
            tmp.remove("question_custom_fields").unwrap_or(json!({}))
        }
        None => json!({}),
    };
    let ts = now();
    let cid = get_i64(&a, "candidate_id");
    let note_id = match body.get("notes").and_then(Value::as_str) {
        Some(text) if !text.is_empty() => {
            let nid = ds.next_id("notes", base_id("notes"));
            let _ = ds.upsert("notes", json!({"id": nid, "created_at": ts, "updated_at": ts, "candidate_id": cid, "application_id": id,
                "body": text, "subject": Value::Null, "type": "NOTE", "user_id": Value::Null, "email_from": Value::Null, "email_to": Value::Null,
                "email_cc": Value::Null, "import_hash": Value::Null, "body_with_tags": text, "visibility": "publicly_visible", "email_attachment_file_names": Value::Null}));
            json!(nid)
        }
        _ => Value::Null,
    };
    let rd = ds.next_id("rejection_details", base_id("rejection_details"));
    let _ = ds.upsert("rejection_details", json!({"id": rd, "created_at": ts, "updated_at": ts, "application_id": id, "rejected_by_id": Value::Null,
        "rejection_note_id": note_id, "rejection_reason_id": reason, "rejected_at": ts, "question_custom_fields": qcf}));
    touch_app(ds, id, |r| {
        r.insert("status".into(), json!("rejected"));
        r.insert("rejected_at".into(), json!(ts));
        r.insert("stage_id".into(), Value::Null);
        r.insert("stage_name".into(), Value::Null);
        r.insert("needs_decision".into(), json!(false));
    });
    enter_stage(ds, id, None);
    Ok(Outcome::NoContent)
}

fn unreject(ds: &mut Dataset, id: i64, body: &Map<String, Value>) -> Result<Outcome, ApiError> {
    only(body, &[])?;
    let a = app(ds, id);
    if a.get("status").and_then(Value::as_str) != Some("rejected") {
        return Err(ApiError::message("Application is not rejected."));
    }
    // back to the stage it was in (latest stage row), else the job's first stage
    let last_stage = ds.table("application_stages").and_then(|t| {
        t.find_ids("application_id", id)
            .last()
            .and_then(|r| t.get(*r))
            .and_then(|r| r.get("job_interview_stage_id"))
            .and_then(Value::as_i64)
    });
    let job = get_i64(&a, "job_id").unwrap_or(0);
    let stages = stages_of(ds, job);
    let stage = last_stage
        .and_then(|s| stages.iter().find(|(sid, _)| *sid == s).cloned())
        .or_else(|| stages.first().cloned());
    for r in children(ds, "rejection_details", "application_id", id) {
        ds.remove("rejection_details", r);
    }
    touch_app(ds, id, |r| {
        r.insert("status".into(), json!("in_process"));
        r.insert("rejected_at".into(), Value::Null);
        r.insert(
            "stage_id".into(),
            stage.as_ref().map(|s| json!(s.0)).unwrap_or(Value::Null),
        );
        r.insert(
            "stage_name".into(),
            stage.as_ref().map(|s| json!(s.1)).unwrap_or(Value::Null),
        );
    });
    enter_stage(ds, id, stage.map(|s| s.0));
    Ok(Outcome::NoContent)
}

fn hire(ds: &mut Dataset, id: i64, body: &Map<String, Value>) -> Result<Outcome, ApiError> {
    only(body, &["start_date", "opening_id", "close_reason_id"])?;
    let a = app(ds, id);
    active_candidate_app(&a)?;
    let job = get_i64(&a, "job_id").unwrap_or(0);
    if let Some(sd) = body.get("start_date")
        && !sd.is_null()
        && sd.as_str().and_then(crate::time::parse_iso).is_none()
    {
        return Err(ApiError::field(
            "start_date",
            "must be an ISO 8601 date-time",
        ));
    }
    let close_reason = int_field(body, "close_reason_id")?;
    if let Some(c) = close_reason
        && ds.get("close_reasons", c).is_none()
    {
        return Err(ApiError::field(
            "close_reason_id",
            format!("Close reason {c} does not exist"),
        ));
    }
    let opening = match int_field(body, "opening_id")? {
        Some(o) => {
            let rec = ds.get("openings", o).ok_or_else(|| {
                ApiError::field("opening_id", format!("Opening {o} does not exist"))
            })?;
            if rec.get("job_id").and_then(Value::as_i64) != Some(job)
                || rec.get("open").and_then(Value::as_bool) != Some(true)
            {
                return Err(ApiError::field(
                    "opening_id",
                    format!("Opening {o} is not an open opening of job {job}"),
                ));
            }
            Some(o)
        }
        None => ds.table("openings").and_then(|t| {
            t.find_ids("job_id", job).into_iter().find(|o| {
                t.get(*o)
                    .and_then(|r| r.get("open"))
                    .and_then(Value::as_bool)
                    == Some(true)
            })
        }),
    };
    let ts = now();
    if let Some(o) = opening {
        ds.modify("openings", o, |r| {
            r.insert("open".into(), json!(false));
            r.insert("application_id".into(), json!(id));
            r.insert("closed_at".into(), json!(ts));
            r.insert("close_reason_id".into(), json!(close_reason));
            r.insert("updated_at".into(), json!(ts));
        });
    }
    for o in children(ds, "offers", "application_id", id) {
        ds.modify("offers", o, |r| {
            if r.get("status").and_then(Value::as_str) == Some("Created") {
                r.insert("status".into(), json!("Accepted"));
                r.insert("resolved_at".into(), json!(ts));
                r.insert("updated_at".into(), json!(ts));
            }
        });
    }
    touch_app(ds, id, |r| {
        r.insert("status".into(), json!("hired"));
        r.insert("stage_id".into(), Value::Null);
        r.insert("stage_name".into(), Value::Null);
        r.insert("needs_decision".into(), json!(false));
    });
    enter_stage(ds, id, None);
    Ok(Outcome::NoContent)
}

fn convert(ds: &mut Dataset, id: i64, body: &Map<String, Value>) -> Result<Outcome, ApiError> {
    only(body, &["job_id", "to_job_interview_stage_id"])?;
    require(body, &["job_id"])?;
    let a = app(ds, id);
    if a.get("prospect").and_then(Value::as_bool) != Some(true)
        || a.get("status").and_then(Value::as_str) != Some("in_process")
    {
        return Err(ApiError::message(
            "Only active prospect applications can be converted.",
        ));
    }
    let job = int_field(body, "job_id")?.unwrap_or(0);
    if ds.get("jobs", job).is_none() {
        return Err(ApiError::field(
            "job_id",
            format!("Job {job} does not exist"),
        ));
    }
    let mut new_body = Map::new();
    new_body.insert(
        "candidate_id".into(),
        a.get("candidate_id").cloned().unwrap_or(Value::Null),
    );
    new_body.insert("job_id".into(), json!(job));
    if let Some(s) = int_field(body, "to_job_interview_stage_id")? {
        new_body.insert("initial_stage_id".into(), json!(s));
    }
    for k in ["source_id", "recruiter_id", "coordinator_id", "referrer_id"] {
        if let Some(v) = a.get(k).filter(|v| !v.is_null()) {
            new_body.insert(k.into(), v.clone());
        }
    }
    let def = schema::resource("applications").ok_or_else(ApiError::not_found)?;
    let created = crud::create(ds, def, &new_body)?;
    touch_app(ds, id, |r| {
        r.insert("status".into(), json!("converted"));
    });
    Ok(Outcome::Object(200, created))
}

const ANONYMIZABLE: &[&str] = &[
    "first_name",
    "last_name",
    "preferred_name",
    "company",
    "title",
    "phone_numbers",
    "addresses",
    "email_addresses",
    "website_addresses",
    "social_media_addresses",
    "tags",
    "custom_fields",
    "time_zone",
];

fn anonymize(ds: &mut Dataset, id: i64, body: &Map<String, Value>) -> Result<Outcome, ApiError> {
    only(body, &["fields"])?;
    require(body, &["fields"])?;
    let fields: Vec<String> = match body.get("fields") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => s.split(',').map(|x| x.trim().to_string()).collect(),
        _ => {
            return Err(ApiError::field(
                "fields",
                "must be an array of attribute names",
            ));
        }
    };
    if let Some(bad) = fields.iter().find(|f| !ANONYMIZABLE.contains(&f.as_str())) {
        return Err(ApiError::field(
            "fields",
            format!(
                "`{bad}` cannot be anonymized; allowed: {}",
                ANONYMIZABLE.join(", ")
            ),
        ));
    }
    let ts = now();
    let out = ds.modify("candidates", id, |c| {
        for f in &fields {
            let v = match f.as_str() {
                "phone_numbers"
                | "addresses"
                | "email_addresses"
                | "website_addresses"
                | "social_media_addresses"
                | "tags" => json!([]),
                "custom_fields" => json!({}),
                _ => Value::Null,
            };
            c.insert(f.clone(), v);
        }
        c.insert("updated_at".into(), json!(ts));
    });
    if fields.iter().any(|f| f == "tags") {
        for r in children(ds, "applied_candidate_tags", "candidate_id", id) {
            ds.remove("applied_candidate_tags", r);
        }
    }
    Ok(Outcome::Object(200, out.unwrap_or(Value::Null)))
}

fn merge(ds: &mut Dataset, id: i64, body: &Map<String, Value>) -> Result<Outcome, ApiError> {
    only(body, &["duplicate_candidate_id"])?;
    require(body, &["duplicate_candidate_id"])?;
    let dup = int_field(body, "duplicate_candidate_id")?.unwrap_or(0);
    if dup == id || ds.get("candidates", dup).is_none() {
        return Err(ApiError::field(
            "duplicate_candidate_id",
            format!("Candidate {dup} does not exist or is the primary candidate"),
        ));
    }
    for t in [
        "applications",
        "notes",
        "attachments",
        "candidate_educations",
        "candidate_employments",
        "applied_candidate_tags",
        "eeoc",
        "offers",
    ] {
        for r in children(ds, t, "candidate_id", dup) {
            ds.modify(t, r, |row| {
                row.insert("candidate_id".into(), json!(id));
            });
        }
    }
    // drop duplicate tag rows
    let mut seen = Vec::new();
    for r in children(ds, "applied_candidate_tags", "candidate_id", id) {
        let tag = ds
            .get("applied_candidate_tags", r)
            .and_then(|x| x.get("candidate_tag_id"))
            .and_then(Value::as_i64);
        if seen.contains(&tag) {
            ds.remove("applied_candidate_tags", r);
        } else {
            seen.push(tag);
        }
    }
    ds.remove("candidates", dup);
    sync_candidate_tags(ds, Some(id));
    let out = ds.modify("candidates", id, |c| {
        c.insert("updated_at".into(), json!(now()));
    });
    Ok(Outcome::Object(200, out.unwrap_or(Value::Null)))
}

fn replace_groups(
    ds: &mut Dataset,
    id: i64,
    body: &Map<String, Value>,
) -> Result<Outcome, ApiError> {
    only(body, &["approver_groups"])?;
    let groups = body
        .get("approver_groups")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::field("approver_groups", "is required and must be an array"))?;
    // validate first
    for g in groups {
        let approvers = g
            .get("approvers")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                ApiError::field("approver_groups", "each group needs an approvers array")
            })?;
        for a in approvers {
            let uid = a.get("user_id").and_then(Value::as_i64).ok_or_else(|| {
                ApiError::field("approver_groups", "each approver needs a user_id")
            })?;
            if ds.get("users", uid).is_none() {
                return Err(ApiError::field(
                    "approver_groups",
                    format!("User {uid} does not exist"),
                ));
            }
        }
    }
    for g in children(ds, "approver_groups", "approval_flow_id", id) {
        for a in children(ds, "approvers", "approver_group_id", g) {
            ds.remove("approvers", a);
        }
        ds.remove("approver_groups", g);
    }
    let ts = now();
    for (i, g) in groups.iter().enumerate() {
        let gid = ds.next_id("approver_groups", base_id("approver_groups"));
        let _ = ds.upsert("approver_groups", json!({"id": gid, "created_at": ts, "updated_at": ts, "approval_flow_id": id,
            "approvals_required": g.get("approvals_required").and_then(Value::as_i64).unwrap_or(1), "sort_order": g.get("sort_order").and_then(Value::as_i64).unwrap_or(i as i64),
            "required_for_exception": false, "resolved_at": Value::Null}));
        for (j, a) in g
            .get("approvers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let aid = ds.next_id("approvers", base_id("approvers"));
            let _ = ds.upsert("approvers", json!({"id": aid, "created_at": ts, "updated_at": ts, "sort_order": j, "user_id": a.get("user_id"),
                "status": "waiting", "resolved_by_id": Value::Null, "resolved_at": Value::Null, "request_sent_at": Value::Null, "version_sent": Value::Null,
                "reminder_sent_at": Value::Null, "reminder_sent_by_id": Value::Null, "reminders_sent": Value::Null, "approver_group_id": gid,
                "added_by_custom_field_id": Value::Null, "send_auto_reminder_at": Value::Null, "auto_reminders_sent": Value::Null}));
        }
    }
    let out = ds.modify("approval_flows", id, |f| {
        f.insert("updated_at".into(), json!(ts));
    });
    Ok(Outcome::Object(200, out.unwrap_or(Value::Null)))
}
