//! Generic create / update / delete of one record: required fields, defaults, validated body
//! fields, per-resource side effects (`effects`) and delete cascades.

use serde_json::{Map, Value, json};

use crate::body_fields::apply_fields;
use crate::data::base_id;
use crate::effects;
use crate::errors::ApiError;
use crate::records::{children, get_i64, now, require};
use crate::schema::{self, Kind, ResourceDef};
use crate::store::Dataset;
use crate::write_op::WriteKind;

/// Required body fields for creates.
fn required(name: &str) -> &'static [&'static str] {
    match name {
        "applications" => &["candidate_id"],
        "applied_candidate_tags" => &["candidate_id", "candidate_tag_id"],
        "approval_flows" => &["job_id", "approval_type"],
        "attachments" => &["filename", "type"],
        "candidate_educations" => &["candidate_id"],
        "candidate_employments" => &["candidate_id", "company_name", "title", "start_date"],
        "candidate_tags" | "departments" | "offices" => &["name"],
        "candidates" => &["first_name", "last_name"],
        "custom_field_departments" => &["custom_field_id", "department_id"],
        "custom_field_offices" => &["custom_field_id", "office_id"],
        "custom_field_options" => &["custom_field_id", "name"],
        "custom_fields" => &["name", "field_type", "value_type"],
        "future_job_permissions" => &["user_id", "role_id"],
        "interviews" => &["application_id", "job_interview_id"],
        "job_hiring_managers" => &["job_id", "user_id"],
        "job_notes" => &["job_id", "body"],
        "job_owners" => &["job_id", "user_id", "type"],
        "job_post_locations" => &["job_post_id", "type"],
        "notes" => &["candidate_id", "body"],
        "openings" => &["job_id"],
        "user_emails" => &["user_id", "email"],
        "user_job_permissions" => &["user_id", "job_id", "role_id"],
        "users" => &["first_name", "last_name", "primary_email"],
        "webhooks" => &[
            "endpoint_url",
            "name",
            "event_action_type",
            "secret_key",
            "max_attempts",
        ],
        _ => &[],
    }
}

/// 422 when a create body lacks a required field (a non-prospect application also needs a job;
/// a job needs a template unless it is named).
fn require_create_fields(name: &str, body: &Map<String, Value>) -> Result<(), ApiError> {
    match name {
        "applications"
            if !body
                .get("prospect")
                .and_then(Value::as_bool)
                .unwrap_or(false) =>
        {
            require(body, &["candidate_id", "job_id"])
        }
        "jobs" if body.get("template_job_id").is_none() && body.get("name").is_none() => {
            require(body, &["template_job_id"])
        }
        _ => require(body, required(name)),
    }
}

/// A record with every schema field at its empty default.
fn blank(def: &ResourceDef, id: i64) -> Map<String, Value> {
    let ts = now();
    let mut m = Map::new();
    for f in def.fields {
        let v = match (f.name, f.kind) {
            ("id", _) => json!(id),
            ("created_at", _) | ("updated_at", _) => json!(ts),
            (_, _) if f.nullable => Value::Null,
            (_, Kind::Int) | (_, Kind::Num) => json!(0),
            (_, Kind::Bool) => json!(false),
            (_, Kind::IntArray) | (_, Kind::StrArray) | (_, Kind::Array) => json!([]),
            (_, Kind::CustomFields) | (_, Kind::Object) => json!({}),
            (_, Kind::DateTime) => json!(ts),
            (_, Kind::Date) => json!(&ts[..10]),
            (_, Kind::Str) => json!(f.enumeration.first().copied().unwrap_or("")),
            _ => Value::Null,
        };
        m.insert(f.name.to_string(), v);
    }
    m
}

/// Creates a record from a write body (also used by actions, e.g. `convert_to_candidate`).
pub(crate) fn create(
    ds: &mut Dataset,
    def: &'static ResourceDef,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let name = def.name;
    let mut body = body.clone();
    effects::normalize(name, &mut body);
    let body = &body;
    require_create_fields(name, body)?;
    let id = ds.next_id(name, base_id(name));
    let mut rec = blank(def, id);
    defaults(name, &mut rec);
    apply_fields(ds, def, &WriteKind::Create, body, &mut rec)?;
    effects::before_create(ds, name, body, &mut rec)?;
    let rec = Value::Object(rec);
    ds.upsert(name, rec.clone()).map_err(ApiError::message)?;
    effects::after_create(ds, name, id, body)?;
    if name == "candidates" {
        create_embedded_applications(ds, id, body)?;
    }
    Ok(ds.get(name, id).cloned().unwrap_or(rec))
}

/// Creates the applications a candidate create embeds (`applications: [...]`, `application: {...}`);
/// the first that fails removes the candidate and is the create's error.
fn create_embedded_applications(
    ds: &mut Dataset,
    candidate_id: i64,
    body: &Map<String, Value>,
) -> Result<(), ApiError> {
    let mut apps: Vec<Value> = body
        .get("applications")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(a) = body.get("application") {
        apps.push(a.clone());
    }
    for a in apps {
        let mut m = a
            .as_object()
            .cloned()
            .ok_or_else(|| ApiError::field("application", "must be an object"))?;
        m.insert("candidate_id".into(), json!(candidate_id));
        if let Some(def) = schema::resource("applications")
            && let Err(e) = create(ds, def, &m)
        {
            ds.remove("candidates", candidate_id);
            return Err(e);
        }
    }
    Ok(())
}

pub(crate) fn update(
    ds: &mut Dataset,
    def: &'static ResourceDef,
    id: i64,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let name = def.name;
    let mut body = body.clone();
    effects::normalize(name, &mut body);
    let body = &body;
    let mut rec = ds
        .get(name, id)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    apply_fields(ds, def, &WriteKind::Update, body, &mut rec)?;
    effects::before_update(ds, name, id, body, &mut rec)?;
    rec.insert("updated_at".into(), json!(now()));
    ds.upsert(name, Value::Object(rec))
        .map_err(ApiError::message)?;
    Ok(ds.get(name, id).cloned().unwrap_or(Value::Null))
}

fn defaults(name: &str, rec: &mut Map<String, Value>) {
    let set = |rec: &mut Map<String, Value>, k: &str, v: Value| {
        rec.insert(k.to_string(), v);
    };
    match name {
        "applications" => {
            set(rec, "status", json!("in_process"));
            set(rec, "answers", json!([]));
            set(rec, "last_activity_at", json!(now()));
        }
        "candidates" => set(rec, "can_email", json!(true)),
        "notes" => {
            set(rec, "type", json!("NOTE"));
            set(rec, "visibility", json!("publicly_visible"));
        }
        "interviews" => set(rec, "status", json!("to_be_scheduled")),
        "jobs" => set(rec, "status", json!("draft")),
        "openings" => {
            set(rec, "open", json!(true));
            set(rec, "opened_at", json!(now()));
        }
        "offers" => {
            set(rec, "version", json!(1));
            set(rec, "status", json!("Created"));
        }
        "custom_field_options"
        | "custom_fields"
        | "job_interview_stages"
        | "prospect_pools"
        | "job_board_custom_locations" => set(rec, "active", json!(true)),
        "approval_flows" => set(rec, "version", json!(1)),
        "webhooks" => set(rec, "max_attempts", json!(3)),
        _ => {}
    }
}

/// Removes the rows of `tables` whose `field` points at `id` (a delete's cascade).
fn remove_children(ds: &mut Dataset, tables: &[&str], field: &str, id: i64) {
    for t in tables {
        for c in children(ds, t, field, id) {
            ds.remove(t, c);
        }
    }
}

/// Deletes a record and what depends on it.
pub(crate) fn delete(ds: &mut Dataset, name: &str, id: i64) {
    let removed = ds.remove(name, id);
    match name {
        "candidates" => {
            for app in children(ds, "applications", "candidate_id", id) {
                delete(ds, "applications", app);
            }
            remove_children(
                ds,
                &[
                    "applied_candidate_tags",
                    "candidate_educations",
                    "candidate_employments",
                ],
                "candidate_id",
                id,
            );
        }
        "applications" => {
            remove_children(
                ds,
                &[
                    "application_stages",
                    "prospect_details",
                    "rejection_details",
                ],
                "application_id",
                id,
            );
        }
        "applied_candidate_tags" => {
            if let Some(r) = removed {
                effects::sync_candidate_tags(
                    ds,
                    get_i64(r.as_object().unwrap_or(&Map::new()), "candidate_id"),
                );
            }
        }
        "candidate_tags" => {
            let rows = children(ds, "applied_candidate_tags", "candidate_tag_id", id);
            for r in rows {
                if let Some(row) = ds.remove("applied_candidate_tags", r) {
                    effects::sync_candidate_tags(
                        ds,
                        row.get("candidate_id").and_then(Value::as_i64),
                    );
                }
            }
        }
        "custom_fields" => {
            remove_children(
                ds,
                &[
                    "custom_field_options",
                    "custom_field_departments",
                    "custom_field_offices",
                ],
                "custom_field_id",
                id,
            );
        }
        "interviews" => {
            remove_children(ds, &["interviewers"], "interview_id", id);
        }
        _ => {}
    }
}
