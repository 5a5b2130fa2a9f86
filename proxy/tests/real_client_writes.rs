//! open-greenhouse-mcp 0.3.3 (installed from PyPI by tests/clients/setup.sh) writes, unchanged,
//! through `harvest-proxy --sandbox`: every Harvest write tool the package has, with its
//! On-Behalf-Of, each then checked with a v1 read through the proxy. Where the tool sends what
//! v1 itself refused (a route v1 never had, a field v1 required), the proxy's answer is v1's
//! (404/422 in v1's shape) and the read shows nothing was written.
use std::process::Command;

use serde_json::Value;

mod clients;
use clients::{Proxy, clients_dir, root, run, setup};

const KEY: &str = "real-client-write-key";
/// The sandbox's site admin (DEFAULT_ADMIN_USER_ID): the acting user the client sends.
const ACTING: &str = "100001";

fn start_proxy() -> Proxy {
    clients::start_sandbox_proxy(KEY, 0.05)
}

/// What the proxy answers a case (a tool, or `tool:variant` when a tool is driven a second way).
#[derive(Clone, Copy, Debug)]
enum Outcome {
    /// v1 served it: 2xx, and a v1 read shows the write as the tool meant it.
    Applied,
    /// v1 answered success but had no such field, so nothing changed: 2xx, and a v1 read
    /// shows the record unchanged.
    Ignored,
    /// v1 refused it: every request the tool sent got this status, in v1's shape (422
    /// `{"message", "errors": [{"message", "field"}]}` naming the field, else `{"message"}`),
    /// and a v1 read shows nothing written.
    Refused(u16, Option<&'static str>),
}
use Outcome::{Applied, Ignored, Refused};

/// A route v1 never had (wrong path): v1's 404.
const NO_ROUTE: Outcome = Refused(404, None);
/// A known v1 path with a method v1 did not serve on it: v1's 404, as for any unknown route
/// (docs/proxy.md, "Routing"); the package reports it as the error it is.
const WRONG_METHOD: Outcome = Refused(404, None);

/// Every case tests/clients/mcp_client.py drives, with the outcome v1 gave it.
const EXPECTED: &[(&str, Outcome)] = &[
    // Candidates. create_candidate and add_prospect send no applications (v1 required one).
    ("create_candidate", Refused(422, Some("applications"))),
    ("add_prospect", Refused(422, Some("applications"))),
    ("update_candidate", Applied),
    ("delete_candidate", Applied),
    ("merge_candidates", Applied),
    // fields go in the JSON body as a list; v1 read them from the query (?fields=a,b).
    ("anonymize_candidate", Refused(422, Some("fields"))),
    ("add_education", Applied),
    ("remove_education", Applied),
    ("add_employment", Applied),
    ("remove_employment", Applied),
    ("add_attachment", Applied),
    // The note tools send no user_id, the author v1 required.
    ("add_note_to_candidate", Refused(422, Some("user_id"))),
    ("add_email_note_to_candidate", Refused(422, Some("user_id"))),
    // Tags. bulk_tag PUTs /v1/candidates/{id}/tags {"tag"}: v1 applied tags by id only.
    ("create_tag", Applied),
    ("delete_tag", Applied),
    ("add_tag_to_candidate", Applied),
    ("remove_tag_from_candidate", Applied),
    ("bulk_tag", WRONG_METHOD),
    // Applications. convert_prospect PATCHes /convert_to_candidate (v1: /convert_prospect).
    ("create_application", Applied),
    ("update_application", Applied),
    ("delete_application", Applied),
    ("advance_application", Applied),
    ("move_application", Applied),
    ("move_application_same_job", Applied),
    ("reject_application", Applied),
    ("unreject_application", Applied),
    ("update_rejection_reason", Applied),
    ("hire_application", Applied),
    ("convert_prospect", NO_ROUTE),
    ("add_attachment_to_application", Applied),
    ("bulk_reject", Applied),
    ("bulk_advance", Applied),
    // Jobs: status is not a field of v1's PATCH /v1/jobs/{id}.
    ("create_job", Applied),
    ("update_job", Applied),
    ("update_job:status", Ignored),
    // Job posts: the deprecated v1 form of the post update took status live/offline.
    ("update_job_post", Applied),
    ("update_job_post_status", Applied),
    // Openings: v1 created a batch ({"openings": [...]}, required) and deleted with
    // DELETE /v1/jobs/{id}/openings {"ids"}; the tool sends one flat opening and DELETEs
    // /v1/jobs/{id}/openings/{opening} (a path v1 served GET and PATCH on).
    ("create_job_opening", Refused(422, Some("openings"))),
    ("update_job_opening", Applied),
    ("delete_job_opening", WRONG_METHOD),
    // Offers: the tool sends starts_at; v1's field was start_date.
    ("update_current_offer", Ignored),
    // Interviews: v1 (and v2) scheduled with POST /v2/scheduled_interviews; the tool POSTs
    // /v1/applications/{id}/scheduled_interviews (v1 served GET there). Its interviewer_ids
    // become [{"id"}], where v1 took {user_id | email}.
    ("create_interview", WRONG_METHOD),
    ("update_interview", Applied),
    (
        "update_interview:interviewers",
        Refused(422, Some("interviewers")),
    ),
    ("delete_interview", Applied),
    // Users. v1 changed the level at PATCH /v1/users/permission_level; create_user's
    // send_email is not v1's field (send_email_invite) and is left out, as v1 ignored it.
    ("create_user", Applied),
    ("update_user", Applied),
    ("disable_user", Applied),
    ("enable_user", Applied),
    ("change_user_permission_level", NO_ROUTE),
    ("add_email_to_user", Applied),
    // Permissions: v1 granted with PUT and revoked with DELETE on the collection path, the
    // permission id in the body; the tool POSTs, and DELETEs with the id in the path.
    ("add_job_permission", WRONG_METHOD),
    ("remove_job_permission", NO_ROUTE),
    ("add_future_job_permission", WRONG_METHOD),
    ("remove_future_job_permission", NO_ROUTE),
    // Departments and offices.
    ("create_department", Applied),
    ("update_department", Applied),
    ("create_office", Applied),
    ("update_office", Applied),
    // Custom fields: v1's option writes were at /v1/custom_field/{id}/custom_field_options
    // (singular); the tool uses /v1/custom_fields/{id}/custom_field_options.
    ("create_custom_field", Applied),
    ("update_custom_field", Applied),
    ("delete_custom_field", Applied),
    ("create_custom_field_options", NO_ROUTE),
    ("update_custom_field_options", NO_ROUTE),
    ("delete_custom_field_options", NO_ROUTE),
    // Approvals: v1 requested at POST /v1/approval_flows/{id}/request_approvals and replaced
    // an approver at PUT /v1/approver_groups/{id}/replace_approvers; the tool's job-scoped
    // paths were never v1's. Its flow replace sends no `sequential`, which v1 required.
    ("request_approvals", NO_ROUTE),
    ("replace_approver", NO_ROUTE),
    (
        "create_or_replace_approval_flow",
        Refused(422, Some("sequential")),
    ),
    // Hiring team: v1 removed members with DELETE /v1/jobs/{id}/hiring_team (ids in the
    // body); /hiring_team/members/{user_id} was never a v1 route.
    ("replace_hiring_team", Applied),
    ("add_hiring_team_members", Applied),
    ("remove_hiring_team_member", NO_ROUTE),
];

/// What is wrong with one case's result, if anything.
fn judge(tool: &str, outcome: Outcome, w: &Value) -> Option<String> {
    let sent = w["sent"].as_array().map(Vec::as_slice).unwrap_or_default();
    let statuses: Vec<u64> = sent.iter().filter_map(|s| s[2].as_u64()).collect();
    if sent.is_empty() || statuses.len() != sent.len() {
        return Some(format!("{tool}: sent no write request: {w}"));
    }
    if w["checked"] != true {
        return Some(format!(
            "{tool}: the v1 read afterwards does not show {outcome:?}: {w}"
        ));
    }
    match outcome {
        Applied | Ignored => (w["ok"] != true || statuses.iter().any(|s| !(200..300).contains(s)))
            .then(|| format!("{tool}: expected a 2xx answer: {w}")),
        Refused(status, field) => {
            let answer = &sent[sent.len() - 1][3];
            let shaped = match field {
                Some(f) => answer["errors"][0]["field"] == f && answer["message"].is_string(),
                None => answer["message"].is_string(),
            };
            // The package flags v1's refusals (404, 422) as errors; a batch tool counts them
            // among its failures.
            let detail = w["detail"].as_str().unwrap_or_default();
            let batch_failed = detail.contains("\"failed\": ") && !detail.contains("\"failed\": 0");
            let flagged = w["ok"] == false || batch_failed;
            let all = statuses.iter().all(|s| *s == u64::from(status));
            (!(shaped && flagged && all))
                .then(|| format!("{tool}: expected v1's {status} on {field:?}: {w}"))
        }
    }
}

/// The names of `a` that are not in `b`.
fn missing_from<'a>(a: &[&'a str], b: &[&str]) -> Vec<&'a str> {
    a.iter().copied().filter(|x| !b.contains(x)).collect()
}

#[test]
fn open_greenhouse_mcp_write_tools_are_applied_and_read_back() {
    setup();
    let p = start_proxy();
    let python = clients_dir().join("venv/bin/python");
    let out = run(Command::new(python)
        .arg(root().join("tests/clients/mcp_client.py"))
        .args(["write", &format!("http://{}", p.addr), KEY, ACTING]));
    let writes = out["writes"].as_object().expect("writes");
    // The package's write tools (found as its server finds them) are exactly the table's.
    let package: Vec<&str> = out["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let cases: Vec<&str> = EXPECTED.iter().map(|(c, _)| *c).collect();
    let tools: Vec<&str> = cases
        .iter()
        .map(|c| c.split(':').next().unwrap_or(c))
        .collect();
    let driven: Vec<&str> = writes.keys().map(String::as_str).collect();
    assert_eq!(
        package.len(),
        69,
        "open-greenhouse-mcp 0.3.3 has 69 write tools: {package:?}"
    );
    let gained = missing_from(&package, &tools);
    let lost = missing_from(&tools, &package);
    assert!(
        gained.is_empty() && lost.is_empty(),
        "write tools the package has but the table lacks: {gained:?}; in the table but not the package: {lost:?}"
    );
    let undriven = missing_from(&cases, &driven);
    let unexpected = missing_from(&driven, &cases);
    assert!(
        undriven.is_empty() && unexpected.is_empty(),
        "cases not driven by mcp_client.py: {undriven:?}; driven but not in the table: {unexpected:?}"
    );
    let wrong: Vec<String> = EXPECTED
        .iter()
        .filter_map(|(tool, outcome)| judge(tool, *outcome, &writes[*tool]))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn pipedream_create_and_attach_actions_are_applied_and_read_back() {
    setup();
    let p = start_proxy();
    let modules = clients_dir().join("node/node_modules");
    let out = run(Command::new("node")
        .arg(root().join("tests/clients/pipedream_client.mjs"))
        .arg(&modules)
        .args([&format!("http://{}", p.addr), KEY, "write", ACTING]));
    let writes = out["writes"].as_object().expect("writes");
    for action in [
        "create-candidate",
        "create-prospect",
        "add-attachment-to-candidate",
    ] {
        let w = &writes[action];
        assert!(w["ok"] == true && w["visible"] == true, "{action}: {w}");
    }
}
