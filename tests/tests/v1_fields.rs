//! Every field of the v1 object (reference/v1/objects.json) is present in what the
//! proxy serves for each translated read, unless the endpoint's mapping documents why not
//! (`omitted = { field = "reason" }`). Checked on the golden outputs, which
//! tests/proxy_reads.rs proves the proxy serves exactly.
use std::path::PathBuf;

use harvest_mappings::Catalog;
use harvest_tests::reference;
use serde_json::Value;

/// The v1 object each legacy read returns (by route), from the objects.json headings.
fn object_of(route: &str) -> Option<&'static str> {
    let p = route.split_once(' ').map(|x| x.1).unwrap_or(route);
    Some(match p {
        "/v1/candidates" | "/v1/candidates/{id}" => "candidate",
        "/v1/applications" | "/v1/applications/{id}" => "application",
        "/v1/jobs" | "/v1/jobs/{id}" => "job",
        "/v1/jobs/{job_id}/openings" | "/v1/jobs/{job_id}/openings/{id}" => "job opening",
        "/v1/job_stages" | "/v1/jobs/{id}/stages" | "/v1/job_stages/{id}" => "job stage",
        "/v1/users" | "/v1/users/{id}" => "user",
        "/v1/offers"
        | "/v1/offers/{id}"
        | "/v1/applications/{application_id}/offers"
        | "/v1/applications/{application_id}/offers/current_offer" => "offer",
        "/v1/scorecards" | "/v1/scorecards/{id}" | "/v1/applications/{id}/scorecards" => {
            "scorecard"
        }
        "/v1/scheduled_interviews"
        | "/v1/scheduled_interviews/{id}"
        | "/v1/applications/{id}/scheduled_interviews" => "scheduled interview",
        "/v1/departments" | "/v1/departments/{id}" => "department",
        "/v1/offices" | "/v1/offices/{id}" => "office",
        "/v1/job_posts"
        | "/v1/job_posts/{id}"
        | "/v1/jobs/{id}/job_posts"
        | "/v1/jobs/{id}/job_post" => "job post",
        "/v1/sources" => "source",
        "/v1/rejection_reasons" => "rejection reason",
        "/v1/close_reasons" => "close reason",
        "/v1/custom_fields/{field_type}" | "/v1/custom_field/{id}" => "custom field",
        "/v1/custom_field/{id}/custom_field_options" => "custom field options",
        "/v1/eeoc" | "/v1/applications/{id}/eeoc" => "eeoc",
        "/v1/demographics/question_sets" | "/v1/demographics/question_sets/{id}" => {
            "demographic question set"
        }
        "/v1/demographics/questions"
        | "/v1/demographics/questions/{id}"
        | "/v1/demographics/question_sets/{id}/questions" => "demographic question",
        "/v1/demographics/answer_options"
        | "/v1/demographics/answer_options/{id}"
        | "/v1/demographics/questions/{id}/answer_options" => "demographic answer option",
        "/v1/demographics/answers"
        | "/v1/demographics/answers/{id}"
        | "/v1/applications/{id}/demographics/answers" => "demographic answer",
        "/v1/candidates/{id}/activity_feed" => "activity feed",
        "/v1/prospect_pools" | "/v1/prospect_pools/{id}" => "prospect pools",
        "/v1/tags/candidate" | "/v1/candidates/{id}/tags" => "candidate tag",
        "/v1/tracking_links/{token}" => "tracking link",
        "/v1/users/{id}/permissions/jobs" => "job permission",
        "/v1/users/{id}/permissions/future_jobs" => "future job permission",
        "/v1/user_roles" => "user role",
        "/v1/jobs/{id}/approval_flows" | "/v1/approval_flows/{id}" => "approval flow",
        "/v1/email_templates" | "/v1/email_templates/{id}" => "email template",
        _ => return None,
    })
}

/// The top-level fields of a v1 object: the keys of its example, plus the fields of its table
/// that the example does not show nested somewhere (tables also list sub-object fields).
fn required_fields(object: &Value) -> Vec<String> {
    fn nested(v: &Value, depth: usize, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if depth > 0 {
                        out.insert(k.clone());
                    }
                    nested(x, depth + 1, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| nested(x, depth, out)),
            _ => {}
        }
    }
    let example = match &object["example"] {
        Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
        v => v.clone(),
    };
    let mut inner = std::collections::BTreeSet::new();
    nested(&example, 0, &mut inner);
    let mut out: Vec<String> = example
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for f in object["fields"].as_array().into_iter().flatten() {
        let name = f["name"].as_str().unwrap_or_default().to_string();
        // `a > b` rows describe sub-object fields.
        if f["in_table"] == true
            && !inner.contains(&name)
            && !out.contains(&name)
            && !name.contains('.')
            && !name.contains('>')
        {
            out.push(name);
        }
    }
    out
}

#[test]
fn served_reads_carry_every_v1_field() {
    let catalog = Catalog::embedded().unwrap_or_else(|d| panic!("{d}"));
    let objects: Value = serde_json::from_str(
        &std::fs::read_to_string(reference().join("v1/objects.json")).unwrap(),
    )
    .unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../mappings/tests/golden");
    let mut checked = 0;
    let mut problems = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in names {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let (Some(req), Some(expected)) = (case["request"].as_str(), case.get("expected")) else {
            continue;
        };
        let (method, target) = req.split_once(' ').unwrap();
        if target.contains("render_as=tree") {
            // The tree rendering has its own node shape (checked by its golden case).
            continue;
        }
        let path = target.split('?').next().unwrap();
        let Some(m) = catalog.match_route(method, path) else {
            continue;
        };
        let route = m.endpoint.route();
        let Some(object) = object_of(route) else {
            continue;
        };
        let required = required_fields(&objects[object]);
        let records: Vec<&Value> = match expected {
            Value::Array(a) => a.iter().collect(),
            v => vec![v],
        };
        for rec in records.iter().filter(|r| r.is_object()) {
            checked += 1;
            for name in &required {
                let name = name.as_str();
                if rec.get(name).is_some() || m.endpoint.omitted.contains_key(name) {
                    continue;
                }
                problems.push(format!("{route} ({}): v1 field `{name}` of `{object}` is missing and not documented in `omitted`", p.file_name().unwrap().to_string_lossy()));
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(checked > 60, "only {checked} records checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
