//! Validation of write-body fields against the resource schema (settable fields, extra keys,
//! types, enums, foreign keys, custom fields) and their copy onto the record being written.

use serde_json::{Map, Value, json};

use crate::errors::{ApiError, field_entry};
use crate::schema::{self, Kind, ResourceDef};
use crate::store::Dataset;
use crate::time;
use crate::write_op::WriteKind;

/// Body keys accepted besides the resource's own fields. `None` = lenient (unknown keys ignored).
fn extra_keys(name: &str, kind: &WriteKind) -> Option<&'static [&'static str]> {
    match (name, kind) {
        // The prospect fields of v3's create body (job_ids, prospect_pool_stage_id, owner,
        // department, office); prospect_stage_id is the update body's name, accepted too.
        ("applications", WriteKind::Create) => Some(&[
            "initial_stage_id",
            "job_ids",
            "prospect_pool_id",
            "prospect_pool_stage_id",
            "prospect_stage_id",
            "prospect_owner_id",
            "prospective_department_id",
            "prospective_office_id",
        ]),
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
pub(crate) fn apply_fields(
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
