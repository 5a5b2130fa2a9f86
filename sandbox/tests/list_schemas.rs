//! Every list endpoint's responses — several pages, with and without filters — validate against
//! the matching schema in reference/v3/schemas (66 files) or, for the three resources the
//! sandbox serves beyond them, against the partial OpenAPI components.

mod common;

use harvest_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

/// Asserts that every record validates against the resource's schema.
fn validate(name: &str, validator: &jsonschema::Validator, records: &[Value], ctx: &str) {
    for rec in records {
        let errs: Vec<String> = validator
            .iter_errors(rec)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(
            errs.is_empty(),
            "{name} ({ctx}) record {}: {errs:?}",
            rec["id"]
        );
    }
}

/// Validates the first three pages of 50; returns the first page and the number of records seen.
async fn check_pages(
    sb: &Sandbox,
    token: &str,
    name: &str,
    validator: &jsonschema::Validator,
) -> (Vec<Value>, usize) {
    let mut url = format!("/v3/{name}?per_page=50");
    let mut first_page = Vec::new();
    let mut checked = 0;
    for page in 0..3 {
        let r = if page == 0 {
            common::get(sb, token, &url).await
        } else {
            common::send(
                "GET",
                &url,
                &[("authorization", format!("Bearer {token}"))],
                None,
            )
            .await
            .expect("page")
        };
        assert_eq!(
            r.status,
            200,
            "{name}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let recs = r.json().as_array().cloned().expect("array");
        validate(name, validator, &recs, &format!("page {page}"));
        checked += recs.len();
        if page == 0 {
            first_page = recs;
        }
        match r.next_link() {
            Some(n) => url = n,
            None => break,
        }
    }
    (first_page, checked)
}

/// Validates responses filtered by ids, by an updated_at range and with a sparse fieldset;
/// returns the number of records of the updated_at response.
async fn check_filtered(
    sb: &Sandbox,
    token: &str,
    name: &str,
    validator: &jsonschema::Validator,
    first_page: &[Value],
) -> usize {
    let ids: Vec<String> = first_page
        .iter()
        .take(3)
        .map(|r| r["id"].to_string())
        .collect();
    let r = common::get(sb, token, &format!("/v3/{name}?ids={}", ids.join(","))).await;
    assert_eq!(r.status, 200);
    let recs = r.json().as_array().cloned().expect("array");
    assert_eq!(recs.len(), ids.len(), "{name} ids filter");
    validate(name, validator, &recs, "ids");
    // filtered by updated_at range around the first record
    let ts = first_page[0]["updated_at"].as_str().expect("updated_at");
    let r = common::get(
        sb,
        token,
        &format!("/v3/{name}?updated_at=lte|{ts}&per_page=20"),
    )
    .await;
    assert_eq!(
        r.status,
        200,
        "{name}: {}",
        String::from_utf8_lossy(&r.body)
    );
    let recs = r.json().as_array().cloned().expect("array");
    assert!(
        !recs.is_empty(),
        "{name} updated_at filter finds the record itself"
    );
    validate(name, validator, &recs, "updated_at");
    // sparse fieldset still validates (no required properties in the schemas)
    let r = common::get(
        sb,
        token,
        &format!("/v3/{name}?fields=id,created_at&per_page=5"),
    )
    .await;
    assert_eq!(r.status, 200);
    validate(
        name,
        validator,
        r.json().as_array().expect("array"),
        "fields",
    );
    recs.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_endpoint_matches_its_schema() {
    let validators = common::validators();
    let sb = common::start(SandboxConfig {
        scale: 0.2,
        ..SandboxConfig::default()
    })
    .await;
    let token = common::admin_token(&sb).await;
    let mut checked = 0usize;
    let mut resources = 0usize;
    for (name, validator) in &validators {
        let (first_page, seen) = check_pages(&sb, &token, name, validator).await;
        checked += seen;
        if name != "webhooks" {
            assert!(!first_page.is_empty(), "{name} serves records");
            resources += 1;
        }
        if first_page.is_empty() {
            continue;
        }
        checked += check_filtered(&sb, &token, name, validator, &first_page).await;
    }
    assert_eq!(
        resources, 68,
        "66 schema resources + email_templates + pay_inputs"
    );
    assert!(checked > 5000, "validated {checked} records");
}

/// (resource, parent-id list parameter, parent field) of each join the proxy makes.
const JOINS: &[(&str, &str, &str)] = &[
    ("applications", "candidate_ids", "candidate_id"),
    ("applications", "job_ids", "job_id"),
    ("application_stages", "application_ids", "application_id"),
    ("attachments", "application_ids", "application_id"),
    ("attachments", "candidate_ids", "candidate_id"),
    ("candidate_educations", "candidate_ids", "candidate_id"),
    ("candidate_employments", "candidate_ids", "candidate_id"),
    ("rejection_details", "application_ids", "application_id"),
    ("prospect_details", "application_ids", "application_id"),
    ("offers", "application_ids", "application_id"),
    ("openings", "job_ids", "job_id"),
    ("job_owners", "job_ids", "job_id"),
    ("job_hiring_managers", "job_ids", "job_id"),
    ("job_posts", "job_ids", "job_id"),
    ("job_interview_stages", "job_ids", "job_id"),
    (
        "job_interviews",
        "job_interview_stage_ids",
        "job_interview_stage_id",
    ),
    ("interview_kits", "job_interview_ids", "job_interview_id"),
    (
        "scorecard_questions",
        "interview_kit_ids",
        "interview_kit_id",
    ),
    (
        "default_interviewers",
        "interview_kit_ids",
        "interview_kit_id",
    ),
    ("scorecards", "application_ids", "application_id"),
    (
        "scorecard_question_answers",
        "scorecard_ids",
        "scorecard_id",
    ),
    (
        "scorecard_candidate_attributes",
        "scorecard_ids",
        "scorecard_id",
    ),
    (
        "scorecard_question_answer_options",
        "scorecard_question_answer_ids",
        "scorecard_question_answer_id",
    ),
    ("interviews", "application_ids", "application_id"),
    ("interviewers", "interview_ids", "interview_id"),
    ("notes", "candidate_ids", "candidate_id"),
    ("eeoc", "application_ids", "application_id"),
    ("demographic_answers", "application_ids", "application_id"),
    (
        "custom_field_options",
        "custom_field_ids",
        "custom_field_id",
    ),
    ("user_emails", "user_ids", "user_id"),
    ("user_job_permissions", "user_ids", "user_id"),
    ("future_job_permissions", "user_ids", "user_id"),
    ("job_post_locations", "job_post_ids", "job_post_id"),
    (
        "prospect_pool_stages",
        "prospect_pool_ids",
        "prospect_pool_id",
    ),
    ("approver_groups", "approval_flow_ids", "approval_flow_id"),
    ("approvers", "approver_group_ids", "approver_group_id"),
    ("applied_candidate_tags", "candidate_ids", "candidate_id"),
    (
        "demographic_questions",
        "demographic_question_set_ids",
        "demographic_question_set_id",
    ),
    (
        "demographic_answer_options",
        "demographic_question_ids",
        "demographic_question_id",
    ),
    (
        "job_board_custom_locations",
        "greenhouse_job_board_ids",
        "greenhouse_job_board_id",
    ),
];

/// The parent-id filter `param` of `res` returns exactly the rows of five parents.
async fn check_join(sb: &Sandbox, token: &str, res: &str, param: &str, field: &str) {
    let all = sb.records(res);
    assert!(!all.is_empty(), "{res} has data");
    let parents: Vec<i64> = {
        let mut p: Vec<i64> = all.iter().filter_map(|r| r[field].as_i64()).collect();
        p.sort_unstable();
        p.dedup();
        p.into_iter().take(5).collect()
    };
    let list: Vec<String> = parents.iter().map(i64::to_string).collect();
    let expected: Vec<Value> = all
        .iter()
        .filter(|r| r[field].as_i64().is_some_and(|v| parents.contains(&v)))
        .cloned()
        .collect();
    let (got, _) = common::walk(
        sb,
        token,
        &format!("/v3/{res}?{param}={}&per_page=500", list.join(",")),
    )
    .await;
    assert_eq!(got, expected, "{res}?{param}");
}

/// A parent-id filter on each endpoint the proxy joins through returns only matching children.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_filters_return_children_of_the_parent() {
    let sb = common::start(SandboxConfig {
        scale: 0.1,
        ..SandboxConfig::default()
    })
    .await;
    let token = common::admin_token(&sb).await;
    for (res, param, field) in JOINS {
        check_join(&sb, &token, res, param, field).await;
    }
}
