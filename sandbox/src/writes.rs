//! Writes: generic create/update/delete over the in-memory tables with per-resource required
//! fields and side effects, plus the v3 action routes (move, reject, hire, …).
//!
//! Status codes follow v3: 201 + object on create, 200 + object on PATCH/PUT,
//! 200 `{"message":"<Resource> <id> deleted successfully"}` on DELETE, 204 on actions
//! (`convert_to_candidate` answers 200 with the new application, as the v3 OpenAPI document says).

use hyper::Method;
use serde_json::{Map, Value, json};

use crate::data::base_id;
use crate::errors::{ApiError, field_entry};
use crate::records::{children, get_i64, now, require};
use crate::schema::{self, Kind, ResourceDef};
use crate::store::Dataset;
use crate::time;

/// What a write request does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteKind {
    Create,
    Update,
    Delete,
    /// A verb route such as `move`; the scope is `harvest:<resource>:<verb>`.
    Action(&'static str),
}

/// A routed write request.
#[derive(Debug, Clone)]
pub struct WriteOp {
    pub def: &'static ResourceDef,
    pub kind: WriteKind,
    pub id: Option<i64>,
}

impl WriteOp {
    /// OAuth scope the request needs.
    pub fn scope(&self) -> String {
        let verb = match &self.kind {
            WriteKind::Create => "create",
            WriteKind::Update => "update",
            WriteKind::Delete => "destroy",
            WriteKind::Action(a) => a,
        };
        format!("harvest:{}:{verb}", self.def.name)
    }
}

/// A successful write.
#[derive(Debug)]
pub enum Outcome {
    Object(u16, Value),
    NoContent,
}

const CREATABLE: &[&str] = &[
    "applications",
    "applied_candidate_tags",
    "approval_flows",
    "attachments",
    "candidate_educations",
    "candidate_employments",
    "candidate_tags",
    "candidates",
    "custom_field_departments",
    "custom_field_offices",
    "custom_field_options",
    "custom_fields",
    "departments",
    "future_job_permissions",
    "interviews",
    "job_hiring_managers",
    "job_notes",
    "job_owners",
    "job_post_locations",
    "jobs",
    "notes",
    "offices",
    "openings",
    "user_emails",
    "user_job_permissions",
    "users",
    "webhooks",
];
const UPDATABLE: &[&str] = &[
    "applications",
    "approval_flows",
    "candidate_educations",
    "candidate_employments",
    "candidates",
    "custom_field_options",
    "custom_fields",
    "departments",
    "interviews",
    "job_notes",
    "job_posts",
    "jobs",
    "offers",
    "offices",
    "openings",
    "rejection_details",
    "users",
    "webhooks",
];
const DELETABLE: &[&str] = &[
    "applications",
    "applied_candidate_tags",
    "attachments",
    "candidate_educations",
    "candidate_employments",
    "candidate_tags",
    "candidates",
    "custom_field_departments",
    "custom_field_offices",
    "custom_field_options",
    "custom_fields",
    "future_job_permissions",
    "interviews",
    "job_hiring_managers",
    "job_notes",
    "job_owners",
    "job_post_locations",
    "openings",
    "user_job_permissions",
    "webhooks",
];
/// (resource, method, verb)
const ACTIONS: &[(&str, &str, &str)] = &[
    ("applications", "POST", "move"),
    ("applications", "POST", "reject"),
    ("applications", "POST", "unreject"),
    ("applications", "POST", "hire"),
    ("applications", "POST", "convert_to_candidate"),
    ("users", "POST", "activate"),
    ("users", "POST", "deactivate"),
    ("users", "POST", "revoke_permissions"),
    ("candidates", "PATCH", "anonymize"),
    ("candidates", "POST", "merge"),
    ("approval_flows", "POST", "request_approvals"),
    ("approval_flows", "PUT", "replace_approver_groups"),
    ("approver_groups", "PUT", "replace_approver"),
];

/// Resolves a write route, or `None` (→ 404).
pub fn route(method: &Method, segs: &[&str]) -> Option<WriteOp> {
    let def = schema::resource(segs.first()?)?;
    let name = def.name;
    let id = |s: &str| s.parse::<i64>().ok();
    match segs.len() {
        1 if method == Method::POST && CREATABLE.contains(&name) => Some(WriteOp {
            def,
            kind: WriteKind::Create,
            id: None,
        }),
        2 if method == Method::PATCH && UPDATABLE.contains(&name) => Some(WriteOp {
            def,
            kind: WriteKind::Update,
            id: Some(id(segs[1])?),
        }),
        2 if method == Method::DELETE && DELETABLE.contains(&name) => Some(WriteOp {
            def,
            kind: WriteKind::Delete,
            id: Some(id(segs[1])?),
        }),
        3 => {
            let verb = ACTIONS
                .iter()
                .find(|(r, m, v)| *r == name && *m == method.as_str() && *v == segs[2])?
                .2;
            Some(WriteOp {
                def,
                kind: WriteKind::Action(verb),
                id: Some(id(segs[1])?),
            })
        }
        _ => None,
    }
}

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

/// Body keys accepted besides the resource's own fields. `None` = lenient (unknown keys ignored).
fn extra_keys(name: &str, kind: &WriteKind) -> Option<&'static [&'static str]> {
    match (name, kind) {
        ("applications", WriteKind::Create) => {
            Some(&["initial_stage_id", "prospect_pool_id", "prospect_stage_id"])
        }
        ("applications", WriteKind::Update) => Some(&["prospect_pool_id", "prospect_stage_id"]),
        ("users", WriteKind::Create) | ("users", WriteKind::Update) => Some(&[
            "send_email_invite",
            "external_office_ids",
            "external_department_ids",
            "interviewer_tag_ids",
        ]),
        _ => None,
    }
}

/// Fields clients may set, per resource (everything else in the schema is derived).
fn settable(def: &ResourceDef, kind: &WriteKind) -> Vec<&'static str> {
    let fixed: &[&str] = match def.name {
        "applications" => &[
            "candidate_id",
            "job_id",
            "source_id",
            "recruiter_id",
            "coordinator_id",
            "referrer_id",
            "prospect",
            "prospective_job_ids",
            "custom_fields",
            "created_at",
            "rejected_at",
            "job_post_id",
            "location_address",
        ],
        "users" => &[
            "first_name",
            "last_name",
            "primary_email",
            "job_title",
            "employee_id",
            "office_ids",
            "department_ids",
            "custom_fields",
        ],
        _ => &[],
    };
    if !fixed.is_empty() {
        let mut v: Vec<&str> = fixed.to_vec();
        if matches!(kind, WriteKind::Update) {
            v.retain(|f| !matches!(*f, "candidate_id" | "job_id" | "prospect" | "job_post_id"));
        }
        return v;
    }
    def.field_names()
        .filter(|f| !matches!(*f, "id" | "created_at" | "updated_at"))
        .collect()
}

/// Table a foreign-key field points to.
fn fk_target(resource: &str, field: &str) -> Option<&'static str> {
    let t = match field {
        "recruiter_id"
        | "coordinator_id"
        | "organizer_id"
        | "interviewer_id"
        | "submitter_id"
        | "rejected_by_id"
        | "prospect_owner_id"
        | "requested_by_id"
        | "resolved_by_id"
        | "reminder_sent_by_id"
        | "updated_by_id"
        | "primary_in_house_contact_user_id"
        | "requested_by_user_id"
        | "user_id" => "users",
        "role_id" => "user_roles",
        "stage_id" => "job_interview_stages",
        "pool_id" => "prospect_pools",
        "pool_stage_id" => "prospect_pool_stages",
        "parent_id" => return schema::resource(resource).map(|d| d.name),
        "copied_from_id" => "jobs",
        "rejection_note_id" | "agency_note_id" => "notes",
        "custom_location_id" => "job_board_custom_locations",
        "linked_custom_field_id" | "added_by_custom_field_id" => "custom_fields",
        "school_name_custom_field_option_id"
        | "degree_custom_field_option_id"
        | "discipline_custom_field_option_id" => "custom_field_options",
        "greenhouse_job_board_id" | "job_board_id" | "related_post_id" => return None,
        other => {
            let stem = other.strip_suffix("_id")?;
            return schema::resources()
                .iter()
                .find(|d| d.name.strip_suffix('s') == Some(stem) || d.name == stem)
                .map(|d| d.name);
        }
    };
    Some(t)
}

fn check_type(f: &schema::Field, v: &Value) -> Result<(), ApiError> {
    if v.is_null() {
        return if f.nullable {
            Ok(())
        } else {
            Err(ApiError::field(f.name, "can't be blank"))
        };
    }
    let ok = match f.kind {
        Kind::Int => v.as_i64().is_some(),
        Kind::Num => v.is_number(),
        Kind::Bool => v.is_boolean(),
        Kind::Str => v.is_string(),
        Kind::DateTime => v.as_str().and_then(time::parse_iso).is_some(),
        Kind::Date => v
            .as_str()
            .and_then(|s| s.get(..10))
            .is_some_and(|d| time::parse_iso(d).is_some()),
        Kind::IntArray => v
            .as_array()
            .is_some_and(|a| a.iter().all(|x| x.as_i64().is_some())),
        Kind::StrArray => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        Kind::Array => v.is_array(),
        Kind::Object => v.is_object(),
        Kind::CustomFields => v.is_object() || v.is_array(),
        Kind::Any => true,
    };
    if !ok {
        let what = match f.kind {
            Kind::Int => "an integer",
            Kind::Num => "a number",
            Kind::Bool => "a boolean",
            Kind::DateTime => "an ISO 8601 date-time",
            Kind::Date => "a date (YYYY-MM-DD)",
            Kind::IntArray => "an array of integers",
            Kind::StrArray => "an array of strings",
            Kind::Array => "an array",
            Kind::Object | Kind::CustomFields => "an object",
            _ => "a string",
        };
        return Err(ApiError::field(f.name, format!("must be {what}")));
    }
    if let (false, Some(s)) = (f.enumeration.is_empty(), v.as_str())
        && !f.enumeration.contains(&s)
    {
        return Err(ApiError::field(
            f.name,
            format!("`{s}` is not one of: {}", f.enumeration.join(", ")),
        ));
    }
    Ok(())
}

/// Converts the write form of custom fields (`[{name_key|custom_field_id, value}]`) or a map into
/// the stored `{name_key: {name, type, value}}` map, merged over `existing`.
fn custom_fields_input(
    ds: &Dataset,
    field: &str,
    v: &Value,
    existing: Option<&Value>,
) -> Result<Value, ApiError> {
    let mut map = existing
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let Some(cf) = ds.table("custom_fields") else {
        return Ok(Value::Object(map));
    };
    let lookup = |key: Option<&str>, id: Option<i64>| -> Option<&Value> {
        match (key, id) {
            (_, Some(id)) => cf.get(id),
            (Some(k), None) => cf
                .rows()
                .values()
                .find(|r| r.get("name_key").and_then(Value::as_str) == Some(k)),
            _ => None,
        }
    };
    let mut put = |key: Option<&str>, id: Option<i64>, value: Value| -> Result<(), ApiError> {
        let def = lookup(key, id).ok_or_else(|| {
            ApiError::field(
                field,
                format!(
                    "unknown custom field `{}`",
                    key.map(str::to_string)
                        .or(id.map(|i| i.to_string()))
                        .unwrap_or_default()
                ),
            )
        })?;
        let name_key = def
            .get("name_key")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        map.insert(
            name_key,
            json!({"name": def.get("name"), "type": def.get("value_type"), "value": value}),
        );
        Ok(())
    };
    match v {
        Value::Array(items) => {
            for it in items {
                let key = it.get("name_key").and_then(Value::as_str);
                let id = it.get("custom_field_id").and_then(Value::as_i64);
                if key.is_none() && id.is_none() {
                    return Err(ApiError::field(
                        field,
                        "each entry needs name_key or custom_field_id",
                    ));
                }
                put(key, id, it.get("value").cloned().unwrap_or(Value::Null))?;
            }
        }
        Value::Object(m) => {
            for (k, val) in m {
                let value = val.get("value").cloned().unwrap_or_else(|| val.clone());
                put(Some(k), None, value)?;
            }
        }
        Value::Null => return Ok(Value::Object(map)),
        _ => {
            return Err(ApiError::field(
                field,
                "must be an array of {name_key, value} objects",
            ));
        }
    }
    Ok(Value::Object(map))
}

/// Validates body fields against the resource and applies them onto `rec`.
fn apply_fields(
    ds: &Dataset,
    def: &'static ResourceDef,
    kind: &WriteKind,
    body: &Map<String, Value>,
    rec: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let allowed = settable(def, kind);
    let extras = extra_keys(def.name, kind);
    let mut errors = Vec::new();
    for (k, v) in body {
        if k == "id" {
            continue;
        }
        if !allowed.contains(&k.as_str()) {
            if let Some(x) = extras
                && !x.contains(&k.as_str())
            {
                errors.push(field_entry(k, "is not a permitted attribute"));
            }
            continue;
        }
        let Some(f) = def.field(k) else { continue };
        if f.kind == Kind::CustomFields {
            match custom_fields_input(ds, k, v, rec.get(k.as_str())) {
                Ok(m) => {
                    rec.insert(k.clone(), m);
                }
                Err(e) => errors.extend(e.entries()),
            }
            continue;
        }
        if let Err(e) = check_type(f, v) {
            errors.extend(e.entries());
            continue;
        }
        if f.kind == Kind::Int
            && let Some(target) = fk_target(def.name, f.name)
            && let Some(id) = v.as_i64()
            && ds.get(target, id).is_none()
        {
            errors.push(field_entry(
                k,
                format!("{} {id} does not exist", schema::singular_label(target)),
            ));
            continue;
        }
        let v = match (f.kind, v.as_str()) {
            (Kind::DateTime, Some(s)) => time::parse_iso(s)
                .map(|t| json!(time::iso_ms(t)))
                .unwrap_or(v.clone()),
            _ => v.clone(),
        };
        rec.insert(k.clone(), v);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::unprocessable(errors))
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

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.trim_ascii().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::message("Request body must be a JSON object.")),
        Err(_) => Err(ApiError::bad_request("Request body is not valid JSON.")),
    }
}

/// Executes a routed write.
pub fn execute(ds: &mut Dataset, op: &WriteOp, body: &[u8]) -> Result<Outcome, ApiError> {
    let body = parse_body(body)?;
    let name = op.def.name;
    match (&op.kind, op.id) {
        (WriteKind::Create, _) => create(ds, op.def, &body).map(|v| Outcome::Object(201, v)),
        (WriteKind::Update, Some(id)) => {
            if ds.get(name, id).is_none() {
                return Err(ApiError::not_found());
            }
            update(ds, op.def, id, &body).map(|v| Outcome::Object(200, v))
        }
        (WriteKind::Delete, Some(id)) => {
            if ds.get(name, id).is_none() {
                return Err(ApiError::not_found());
            }
            delete(ds, name, id);
            Ok(Outcome::Object(
                200,
                json!({"message": format!("{} {id} deleted successfully", schema::singular_label(name))}),
            ))
        }
        (WriteKind::Action(verb), Some(id)) => {
            if ds.get(name, id).is_none() {
                return Err(ApiError::not_found());
            }
            crate::actions::run(ds, name, verb, id, &body)
        }
        _ => Err(ApiError::not_found()),
    }
}

/// Creates a record from a write body (also used by side effects, e.g. candidate + application).
pub(crate) fn create(
    ds: &mut Dataset,
    def: &'static ResourceDef,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let name = def.name;
    let mut body = body.clone();
    crate::effects::normalize(name, &mut body);
    let body = &body;
    match name {
        "applications"
            if !body
                .get("prospect")
                .and_then(Value::as_bool)
                .unwrap_or(false) =>
        {
            require(body, &["candidate_id", "job_id"])?
        }
        "jobs" if body.get("template_job_id").is_none() && body.get("name").is_none() => {
            require(body, &["template_job_id"])?
        }
        _ => require(body, required(name))?,
    }
    let id = ds.next_id(name, base_id(name));
    let mut rec = blank(def, id);
    defaults(name, &mut rec);
    apply_fields(ds, def, &WriteKind::Create, body, &mut rec)?;
    crate::effects::before_create(ds, name, body, &mut rec)?;
    let rec = Value::Object(rec);
    ds.upsert(name, rec.clone()).map_err(ApiError::message)?;
    crate::effects::after_create(ds, name, id, body)?;
    Ok(ds.get(name, id).cloned().unwrap_or(rec))
}

fn update(
    ds: &mut Dataset,
    def: &'static ResourceDef,
    id: i64,
    body: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let name = def.name;
    let mut body = body.clone();
    crate::effects::normalize(name, &mut body);
    let body = &body;
    let mut rec = ds
        .get(name, id)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    apply_fields(ds, def, &WriteKind::Update, body, &mut rec)?;
    crate::effects::before_update(ds, name, id, body, &mut rec)?;
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
fn delete(ds: &mut Dataset, name: &str, id: i64) {
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
                crate::effects::sync_candidate_tags(
                    ds,
                    get_i64(r.as_object().unwrap_or(&Map::new()), "candidate_id"),
                );
            }
        }
        "candidate_tags" => {
            let rows = children(ds, "applied_candidate_tags", "candidate_tag_id", id);
            for r in rows {
                if let Some(row) = ds.remove("applied_candidate_tags", r) {
                    crate::effects::sync_candidate_tags(
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

/// Applies validated fields of `body` onto `rec` (used by actions that embed resource fields).
pub(crate) fn apply_for_actions(
    ds: &Dataset,
    def: &'static ResourceDef,
    body: &Map<String, Value>,
    rec: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    apply_fields(ds, def, &WriteKind::Update, body, rec)
}
