//! Writes: routes a write request (create, update, delete or a v3 action route such as move,
//! reject, hire, …) and executes it through `crud` or `actions`.
//!
//! Status codes follow v3: 201 + object on create, 200 + object on PATCH/PUT,
//! 200 `{"message":"<Resource> <id> deleted successfully"}` on DELETE, 204 on actions
//! (`convert_to_candidate` answers 200 with the new application, as the v3 OpenAPI document says).

use hyper::Method;
use serde_json::{Map, Value, json};

use crate::errors::ApiError;
use crate::schema;
use crate::store::Dataset;
use crate::{actions, crud};

pub use crate::write_op::{Outcome, WriteKind, WriteOp};

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

/// Every scope the sandbox checks: `list` of each resource, then each write it routes.
pub fn all_scopes() -> Vec<String> {
    let mut out: Vec<String> = schema::resources()
        .iter()
        .map(|d| format!("harvest:{}:list", d.name))
        .collect();
    for (names, verb) in [
        (CREATABLE, "create"),
        (UPDATABLE, "update"),
        (DELETABLE, "destroy"),
    ] {
        out.extend(names.iter().map(|r| format!("harvest:{r}:{verb}")));
    }
    out.extend(ACTIONS.iter().map(|(r, _, v)| format!("harvest:{r}:{v}")));
    out.sort();
    out.dedup();
    out
}

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
        (WriteKind::Create, _) => crud::create(ds, op.def, &body).map(|v| Outcome::Object(201, v)),
        (WriteKind::Update, Some(id)) => {
            if ds.get(name, id).is_none() {
                return Err(ApiError::not_found());
            }
            crud::update(ds, op.def, id, &body).map(|v| Outcome::Object(200, v))
        }
        (WriteKind::Delete, Some(id)) => {
            if ds.get(name, id).is_none() {
                return Err(ApiError::not_found());
            }
            crud::delete(ds, name, id);
            Ok(Outcome::Object(
                200,
                json!({"message": format!("{} {id} deleted successfully", schema::singular_label(name))}),
            ))
        }
        (WriteKind::Action(verb), Some(id)) => {
            if ds.get(name, id).is_none() {
                return Err(ApiError::not_found());
            }
            actions::run(ds, name, verb, id, &body)
        }
        _ => Err(ApiError::not_found()),
    }
}
