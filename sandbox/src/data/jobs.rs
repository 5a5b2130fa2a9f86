//! Jobs and everything hanging off them: openings, stages, interviews and kits, scorecard
//! questions, candidate attributes, hiring team, posts, permissions and approval flows.

use serde_json::{Value, json};

use super::{DAY, Gen, InterviewCtx, JobCtx, iso, names};
use crate::time;

const STAGES: &[&str] = &[
    "Application Review",
    "Preliminary Phone Screen",
    "Phone Interview",
    "Face to Face",
    "Reference Check",
    "Offer",
];

pub(super) fn generate(g: &mut Gen) {
    let n = g.scaled(60.0).max(if g.scale > 0.0 { 2 } else { 0 });
    let mut template: Option<i64> = None;
    for i in 0..n {
        let job = job(g, i, template);
        if i == 0 {
            template = Some(job.id);
        }
        g.jobs.push(job);
    }
    let pool_ids: Vec<i64> = g.pools.iter().map(|p| p.0).collect();
    let open_jobs: Vec<i64> = g
        .jobs
        .iter()
        .filter(|j| j.status == "open")
        .map(|j| j.id)
        .collect();
    for pid in pool_ids {
        let k = g.int(0, 3) as usize;
        let jobs = g.sample(&open_jobs, k);
        g.ds.modify("prospect_pools", pid, |o| {
            o.insert("job_ids".into(), json!(jobs));
        });
    }
}

/// The facts of a job record that its children (openings, posts) need.
struct JobFacts {
    id: i64,
    index: usize,
    name: &'static str,
    status: &'static str,
    created: i64,
    opened: Option<i64>,
    closed: Option<i64>,
    updated: i64,
    office_ids: Vec<i64>,
}

/// One job and everything hanging off it, in a fixed order of generation.
fn job(g: &mut Gen, i: usize, template: Option<i64>) -> JobCtx {
    let job = job_record(g, i, template);
    let c = iso(job.created);
    let users = g.active_user_ids.clone();
    let job_attribute_ids = candidate_attributes(g, job.id, &c);
    let (stages, interviews) = stages_and_interviews(g, job.id, &c, &job_attribute_ids, &users);
    let (recruiter, coordinator) = hiring_team(g, job.id, &c, &users);
    job_notes(g, job.id, job.created, &users);
    let openings = openings(g, &job, &c);
    let posts = if job.status != "draft" {
        job_posts(g, &job, &c)
    } else {
        Vec::new()
    };
    if g.chance(0.5) {
        approval_flow(g, job.id, None, "open_job", job.created);
    }
    JobCtx {
        id: job.id,
        status: job.status,
        created: job.created,
        opened: job.opened,
        office_ids: job.office_ids,
        stages,
        interviews,
        openings,
        posts,
        recruiter,
        coordinator,
    }
}

/// The `jobs` record itself.
fn job_record(g: &mut Gen, i: usize, template: Option<i64>) -> JobFacts {
    let id = g.id("jobs");
    let created = g.between(time::ms_of_date(2019, 1, 1), g.now - 20 * DAY);
    let roll = g.int(0, 99);
    let status = if i == 0 {
        "closed"
    } else if roll < 60 {
        "open"
    } else if roll < 88 {
        "closed"
    } else {
        "draft"
    };
    let opened = if status == "draft" {
        None
    } else {
        Some(g.after(created, 20))
    };
    let closed = if status == "closed" {
        opened.map(|o| g.after(o, 300))
    } else {
        None
    };
    let updated = g.after(closed.or(opened).unwrap_or(created), 200);
    let depts = g.department_ids.clone();
    let department_id = if g.chance(0.92) {
        g.pick_opt(&depts)
    } else {
        None
    };
    let offices_all = g.office_ids.clone();
    let k = g.int(1, 2) as usize;
    let office_ids = g.sample(&offices_all, k);
    let name = g.pick(names::JOB_NAMES);
    let custom = g.custom_fields_for("job", 0.8);
    let notes = if g.chance(0.3) {
        json!("<p>Backfill plus one new headcount.</p>")
    } else {
        Value::Null
    };
    let req = if g.chance(0.85) {
        json!(format!("REQ-{}", 2000 + i))
    } else {
        Value::Null
    };
    let copied = if i > 0 && g.chance(0.4) {
        template
    } else {
        None
    };
    push!(
        g,
        "jobs",
        json!({
            "id": id, "created_at": iso(created), "updated_at": iso(updated), "name": name, "requisition_id": req,
            "notes": notes, "confidential": g.chance(0.1), "status": status, "opened_at": Gen::ts(opened),
            "closed_at": Gen::ts(closed), "is_template": i == 0, "copied_from_id": copied,
            "department_id": department_id, "office_ids": if g.chance(0.03) { Value::Null } else { json!(office_ids) },
            "custom_fields": custom,
        })
    );
    JobFacts {
        id,
        index: i,
        name,
        status,
        created,
        opened,
        closed,
        updated,
        office_ids,
    }
}

/// Attribute types and the job's candidate attributes; returns the attribute ids.
fn candidate_attributes(g: &mut Gen, id: i64, c: &str) -> Vec<i64> {
    let mut type_ids: Vec<(&str, i64)> = Vec::new();
    for (sort, tname) in ["Skills", "Personality Traits", "Qualifications", "Details"]
        .iter()
        .enumerate()
    {
        let tid = g.id("candidate_attribute_types");
        push!(
            g,
            "candidate_attribute_types",
            json!({"id": tid, "created_at": c, "updated_at": c, "name": tname, "job_id": id,
            "sort_order": sort, "active": true, "is_draft": if g.chance(0.5) { json!(false) } else { Value::Null }})
        );
        type_ids.push((tname, tid));
    }
    let mut job_attribute_ids = Vec::new();
    let k = g.int(3, names::ATTRIBUTES.len() as i64) as usize;
    for (sort, (tname, aname)) in g.sample(names::ATTRIBUTES, k).into_iter().enumerate() {
        let aid = g.id("job_candidate_attributes");
        let tid = type_ids
            .iter()
            .find(|t| t.0 == tname)
            .map(|t| t.1)
            .unwrap_or(0);
        push!(
            g,
            "job_candidate_attributes",
            json!({"id": aid, "created_at": c, "updated_at": c, "job_id": id,
            "candidate_attribute_type_id": tid, "active": g.chance(0.95), "sort_order": if g.chance(0.9) { json!(sort) } else { Value::Null }, "name": aname})
        );
        job_attribute_ids.push(aid);
    }
    job_attribute_ids
}

/// The interview plan: stages (first and last fixed), each with its interviews.
fn stages_and_interviews(
    g: &mut Gen,
    id: i64,
    c: &str,
    job_attribute_ids: &[i64],
    users: &[i64],
) -> (Vec<(i64, String)>, Vec<Vec<InterviewCtx>>) {
    let n_stages = g.int(4, STAGES.len() as i64) as usize;
    let mut stage_names: Vec<&str> = vec![STAGES[0]];
    stage_names.extend(g.sample(&STAGES[1..STAGES.len() - 1], n_stages - 2));
    stage_names.push(STAGES[STAGES.len() - 1]);
    let mut stages = Vec::new();
    let mut interviews = Vec::new();
    for (sort, sname) in stage_names.iter().enumerate() {
        let sid = g.id("job_interview_stages");
        push!(
            g,
            "job_interview_stages",
            json!({"id": sid, "created_at": c, "updated_at": c, "job_id": id, "sort_order": sort, "name": sname, "active": true})
        );
        stages.push((sid, sname.to_string()));
        let n_iv = match *sname {
            "Application Review" => 1,
            "Offer" => 1,
            "Face to Face" => g.int(2, 3),
            _ => 1,
        };
        let ivs = (0..n_iv)
            .map(|k| job_interview(g, id, c, (sid, *sname), k, job_attribute_ids, users))
            .collect();
        interviews.push(ivs);
    }
    (stages, interviews)
}

/// Name, scheduling type and duration of the `k`-th interview of a stage.
fn interview_kind(stage_name: &str, k: i64) -> (String, &'static str, Option<i64>) {
    match stage_name {
        "Application Review" => ("Application Review".to_string(), "none", None),
        "Offer" => ("Offer".to_string(), "offer", None),
        "Face to Face" => (
            [
                "Technical Interview",
                "System Design",
                "Hiring Manager Interview",
            ][k as usize % 3]
                .to_string(),
            "needs_scheduling",
            Some(60),
        ),
        other => (
            other.to_string(),
            if other == "Reference Check" {
                "none"
            } else {
                "needs_scheduling"
            },
            Some(30),
        ),
    }
}

/// One job interview with its kit, focus attributes, questions and default interviewers.
fn job_interview(
    g: &mut Gen,
    id: i64,
    c: &str,
    (sid, sname): (i64, &str),
    k: i64,
    job_attribute_ids: &[i64],
    users: &[i64],
) -> InterviewCtx {
    let jiid = g.id("job_interviews");
    let (iname, sched, dur) = interview_kind(sname, k);
    push!(
        g,
        "job_interviews",
        json!({"id": jiid, "created_at": c, "updated_at": c, "job_interview_stage_id": sid, "job_id": id,
        "sort_order": k, "scheduling_type": sched, "duration": dur, "summary": if g.chance(0.4) { json!(format!("{iname} with the team")) } else { Value::Null },
        "instructions": Value::Null, "name": iname, "active": true, "require_scorecard": if sched == "needs_scheduling" { json!(true) } else { json!(false) }})
    );
    let kit = g.id("interview_kits");
    push!(
        g,
        "interview_kits",
        json!({"id": kit, "created_at": c, "updated_at": c, "job_id": id, "job_interview_id": jiid,
        "exercises": if g.chance(0.3) { json!("Whiteboard a storage service.") } else { Value::Null },
        "anonymize_candidate": if g.chance(0.5) { json!(false) } else { Value::Null }, "anonymize_resumes": json!(false)})
    );
    let focus = focus_attributes(g, c, kit, job_attribute_ids);
    let questions = scorecard_questions(g, c, kit, &focus);
    let default_interviewers = default_interviewers(g, c, kit, users);
    InterviewCtx {
        job_interview_id: jiid,
        kit_id: kit,
        questions,
        focus,
        default_interviewers,
    }
}

/// The kit's focus attributes; returns the job candidate attribute ids.
fn focus_attributes(g: &mut Gen, c: &str, kit: i64, job_attribute_ids: &[i64]) -> Vec<i64> {
    let k_focus = g.int(1, 3) as usize;
    let focus_attrs = g.sample(job_attribute_ids, k_focus);
    let mut focus = Vec::new();
    for ja in &focus_attrs {
        let fid = g.id("focus_candidate_attributes");
        push!(
            g,
            "focus_candidate_attributes",
            json!({"id": fid, "created_at": c, "updated_at": c, "interview_kit_id": kit, "job_candidate_attribute_id": ja})
        );
        focus.push(*ja);
    }
    focus
}

/// The kit's scorecard questions with their options: (question id, answer type, option ids).
fn scorecard_questions(
    g: &mut Gen,
    c: &str,
    kit: i64,
    focus: &[i64],
) -> Vec<(i64, &'static str, Vec<i64>)> {
    let nq = g.int(2, 4) as usize;
    let mut questions = Vec::new();
    for (qs, (qtext, atype)) in g.sample(names::QUESTIONS, nq).into_iter().enumerate() {
        let qid = g.id("scorecard_questions");
        push!(
            g,
            "scorecard_questions",
            json!({"id": qid, "created_at": c, "updated_at": c, "interview_kit_id": kit,
            "question": qtext, "sort_order": qs, "active": true, "answer_type": atype, "required": atype != "instruction" && g.chance(0.5)})
        );
        let opts = question_options(g, c, qid, atype);
        if atype != "instruction" && !focus.is_empty() && g.chance(0.3) {
            question_candidate_attribute(g, c, qid, kit);
        }
        questions.push((qid, atype, opts));
    }
    questions
}

/// Options of a select question (none for other answer types).
fn question_options(g: &mut Gen, c: &str, qid: i64, atype: &str) -> Vec<i64> {
    let mut opts = Vec::new();
    if atype == "single_select" || atype == "multi_select" {
        let labels: &[&str] = if atype == "single_select" {
            &["Junior", "Mid-level", "Senior", "Staff"]
        } else {
            &["Architecture", "Testing", "Operations", "Communication"]
        };
        for (os, label) in labels.iter().enumerate() {
            let oid = g.id("scorecard_question_options");
            push!(
                g,
                "scorecard_question_options",
                json!({"id": oid, "created_at": c, "updated_at": c, "scorecard_question_id": qid, "name": label, "sort_order": os, "active": true})
            );
            opts.push(oid);
        }
    }
    opts
}

/// Links a question to the kit's first focus attribute.
fn question_candidate_attribute(g: &mut Gen, c: &str, qid: i64, kit: i64) {
    let qca = g.id("scorecard_question_candidate_attributes");
    let fca_rows: Vec<i64> =
        g.ds.table("focus_candidate_attributes")
            .map(|t| t.find_ids("interview_kit_id", kit))
            .unwrap_or_default();
    if let Some(f) = fca_rows.first() {
        push!(
            g,
            "scorecard_question_candidate_attributes",
            json!({"id": qca, "created_at": c, "updated_at": c, "scorecard_question_id": qid, "focus_candidate_attribute_id": f})
        );
    }
}

/// Zero to two default interviewers of a kit; returns their user ids.
fn default_interviewers(g: &mut Gen, c: &str, kit: i64, users: &[i64]) -> Vec<i64> {
    let k_def = g.int(0, 2) as usize;
    let defaults = g.sample(users, k_def);
    for u in &defaults {
        let did = g.id("default_interviewers");
        push!(
            g,
            "default_interviewers",
            json!({"id": did, "created_at": c, "updated_at": c, "user_id": u, "interview_kit_id": kit})
        );
    }
    defaults
}

/// Hiring managers, owners and their job permissions; returns (recruiter, coordinator).
fn hiring_team(g: &mut Gen, id: i64, c: &str, users: &[i64]) -> (i64, i64) {
    let recruiter = g.pick(users);
    let coordinator = g.pick(users);
    let k_hm = g.int(1, 2) as usize;
    let hiring_managers = g.sample(users, k_hm);
    for hm in &hiring_managers {
        let hid = g.id("job_hiring_managers");
        push!(
            g,
            "job_hiring_managers",
            json!({"id": hid, "created_at": c, "updated_at": c, "user_id": hm, "job_id": id})
        );
    }
    let mut owners = vec![
        ("recruiter", recruiter, true),
        ("coordinator", coordinator, true),
    ];
    if g.chance(0.4) {
        let s = g.pick(users);
        owners.push(("sourcer", s, false));
    }
    if g.chance(0.3) {
        let r = g.pick(users);
        owners.push(("recruiter", r, false));
    }
    for (ty, uid, responsible) in &owners {
        let oid = g.id("job_owners");
        push!(
            g,
            "job_owners",
            json!({"id": oid, "created_at": c, "updated_at": c, "job_id": id, "user_id": uid, "type": ty, "responsible": responsible})
        );
    }
    let mut team: Vec<i64> = hiring_managers;
    team.extend(owners.iter().map(|o| o.1));
    team.sort_unstable();
    team.dedup();
    team_permissions(g, id, c, team);
    (recruiter, coordinator)
}

/// A job permission (with a random role) for each member of the hiring team.
fn team_permissions(g: &mut Gen, id: i64, c: &str, team: Vec<i64>) {
    let roles = g.role_ids.clone();
    for uid in team {
        let pid = g.id("user_job_permissions");
        let role = g.pick(&roles).0;
        push!(
            g,
            "user_job_permissions",
            json!({"id": pid, "created_at": c, "updated_at": c, "job_id": id, "user_id": uid, "role_id": role,
            "automated": if g.chance(0.5) { json!(g.chance(0.3)) } else { Value::Null }})
        );
    }
}

/// Zero to two notes on the job.
fn job_notes(g: &mut Gen, id: i64, created: i64, users: &[i64]) {
    for _ in 0..g.int(0, 2) {
        let nid = g.id("job_notes");
        let when = g.after(created, 200);
        let author = g.pick(users);
        let vis = if g.chance(0.2) {
            Value::Null
        } else if g.chance(0.5) {
            json!("admin_only_visible")
        } else {
            json!("privately_visible")
        };
        push!(
            g,
            "job_notes",
            json!({"id": nid, "created_at": iso(when), "updated_at": iso(when), "job_id": id, "user_id": author,
            "body": if g.chance(0.9) { json!(g.pick(names::SENTENCES)) } else { Value::Null }, "visibility": vis})
        );
    }
}

/// One to three openings; returns their ids.
fn openings(g: &mut Gen, job: &JobFacts, c: &str) -> Vec<i64> {
    let (id, i) = (job.id, job.index);
    let mut openings = Vec::new();
    for k in 0..g.int(1, 3) {
        let oid = g.id("openings");
        let open = job.status != "closed" || g.chance(0.2);
        let closed_at = if open { None } else { job.closed };
        let close_reason = if open {
            Value::Null
        } else {
            json!(g.pick(&g.close_reason_ids.clone()))
        };
        let custom = g.custom_fields_for("opening", 0.6);
        push!(
            g,
            "openings",
            json!({"id": oid, "created_at": c, "updated_at": iso(job.updated), "job_id": id, "opened_at": Gen::ts(job.opened),
            "closed_at": Gen::ts(closed_at), "sort_order": k, "opening_id": if g.chance(0.8) { json!(format!("OPN-{}-{}", i, k + 1)) } else { Value::Null },
            "application_id": Value::Null, "close_reason_id": close_reason,
            "target_start_on": if g.chance(0.6) { json!(time::date(g.after(job.created, 200))) } else { Value::Null }, "open": open,
            "custom_fields": custom})
        );
        openings.push(oid);
    }
    openings
}

/// One or two job posts (the second internal), each with a location and maybe a pay range and
/// a tracking link; returns the post ids.
fn job_posts(g: &mut Gen, job: &JobFacts, c: &str) -> Vec<i64> {
    let n_posts = if g.chance(0.3) { 2 } else { 1 };
    let mut posts = Vec::new();
    for p in 0..n_posts {
        let (pid, board) = job_post(g, job, c, p);
        posts.push(pid);
        post_location(g, c, pid, &job.office_ids);
        if g.chance(0.5) {
            pay_range(g, c, pid);
        }
        if g.chance(0.6) {
            tracking_link(g, c, job.id, pid, board);
        }
    }
    posts
}

/// The `p`-th post of a job; returns (post id, job board id).
fn job_post(g: &mut Gen, job: &JobFacts, c: &str, p: usize) -> (i64, i64) {
    let (id, status, name) = (job.id, job.status, job.name);
    let pid = g.id("job_posts");
    let internal = p == 1;
    let live = status == "open" && g.chance(0.85);
    let published = job.opened.map(|o| g.after(o, 5));
    let board = g.job_board_ids[p % g.job_board_ids.len().max(1)];
    let lang = if g.chance(0.9) {
        json!("en")
    } else {
        json!(g.pick(&["de", "fr", "es", "ja"]))
    };
    let dq = if g.chance(0.5) {
        g.ds.table("demographic_question_sets")
            .and_then(|t| t.max_id())
    } else {
        None
    };
    let questions = json!([
        {"id": Value::Null, "description": Value::Null, "answer_type": "short_text", "required": true, "private": false, "label": "First Name", "name": "first_name", "options": []},
        {"id": Value::Null, "description": Value::Null, "answer_type": "attachment", "required": true, "private": false, "label": "Resume/CV", "name": "resume", "options": []},
        {"id": 5_400_000 + pid % 100_000, "description": "Select one", "answer_type": "single_select", "required": false, "private": false,
         "label": "Are you legally authorized to work in the United States?", "name": format!("question_{}", 5_400_000 + pid % 100_000),
         "options": [{"id": 1, "label": "Yes"}, {"id": 0, "label": "No"}]},
    ]);
    push!(
        g,
        "job_posts",
        json!({"id": pid, "created_at": c, "updated_at": iso(job.updated), "title": name, "internal": internal, "active": status != "closed",
        "live": live, "featured": g.chance(0.1), "first_published_at": Gen::ts(published),
        "content": "<p>We are hiring! Join a team that builds reliable systems.</p>",
        "internal_content": if internal { json!("<p>Internal applicants: talk to your manager first.</p>") } else { Value::Null },
        "language": lang, "public_url": if internal || !live { Value::Null } else { json!(format!("https://boards.greenhouse.io/acme/jobs/{pid}")) },
        "demographic_question_set_id": dq, "job_id": id, "job_board_id": board, "questions": questions})
    );
    (pid, board)
}

/// The post's location: one of the job's offices, a custom location or free text.
fn post_location(g: &mut Gen, c: &str, pid: i64, office_ids: &[i64]) {
    let lid = g.id("job_post_locations");
    let roll = g.int(0, 2);
    let (ty, office, custom, text) = match roll {
        0 => ("office", g.pick_opt(office_ids), None, None),
        1 => (
            "custom_list",
            None,
            g.pick_opt(&g.custom_location_ids.clone()),
            None,
        ),
        _ => ("free_text", None, None, Some(g.pick(names::CITIES))),
    };
    push!(
        g,
        "job_post_locations",
        json!({"id": lid, "created_at": c, "updated_at": c,
        "plain_text_location": text.map(json_str).unwrap_or_else(|| office.and_then(|o| g.office_locations.get(&o).cloned()).map(Value::from).unwrap_or(Value::Null)),
        "office_id": office, "type": ty, "job_post_id": pid, "custom_location_id": custom})
    );
}

/// A USD pay range of a post.
fn pay_range(g: &mut Gen, c: &str, pid: i64) {
    let rid = g.id("pay_input_ranges");
    let pin = g.pick(&g.pay_input_ids.clone());
    let lo = g.int(80, 200) * 100_000;
    push!(
        g,
        "pay_input_ranges",
        json!({"id": rid, "created_at": c, "updated_at": c, "pay_input_id": pin, "currency_type": "USD",
        "min_cents": lo, "max_cents": lo + g.int(10, 60) * 100_000, "job_post_id": pid})
    );
}

/// A tracking link to a post.
fn tracking_link(g: &mut Gen, c: &str, id: i64, pid: i64, board: i64) {
    let tid = g.id("tracking_links");
    let src = g.pick_opt(&g.source_ids.clone());
    let token = g.hex(10);
    push!(
        g,
        "tracking_links",
        json!({"id": tid, "created_at": c, "updated_at": c, "job_id": id, "token": token,
        "source_id": src, "related_post_id": pid, "related_post_type": "JobPost",
        "referrer_id": if g.chance(0.2) { json!(g.pick(&g.referrer_ids.clone())) } else { Value::Null },
        "job_board_id": board, "job_post_id": pid})
    );
}

fn json_str(s: &str) -> Value {
    Value::from(s)
}

/// Creates an approval flow with one or two groups of approvers.
pub(super) fn approval_flow(
    g: &mut Gen,
    job_id: i64,
    offer_id: Option<i64>,
    approval_type: &str,
    after: i64,
) {
    let fid = g.id("approval_flows");
    let created = g.after(after, 10);
    let users = g.active_user_ids.clone();
    let requested = g.chance(0.8);
    let status = if !requested {
        Value::Null
    } else {
        json!(g.pick(&["pending", "approved", "approved", "rejected"]))
    };
    push!(
        g,
        "approval_flows",
        json!({"id": fid, "created_at": iso(created), "updated_at": iso(created), "job_id": job_id, "offer_id": offer_id,
        "approval_type": approval_type, "sequential": g.chance(0.6), "version": g.int(1, 2),
        "requested_by_id": if requested { json!(g.pick(&users)) } else { Value::Null }, "approval_status": status})
    );
    for s in 0..g.int(1, 2) {
        let gid = g.id("approver_groups");
        let done = status == json!("approved");
        let resolved = if done {
            Some(g.after(created, 10))
        } else {
            None
        };
        push!(
            g,
            "approver_groups",
            json!({"id": gid, "created_at": iso(created), "updated_at": iso(created), "approval_flow_id": fid,
            "approvals_required": 1, "sort_order": s, "required_for_exception": false, "resolved_at": Gen::ts(resolved)})
        );
        let k = g.int(1, 2) as usize;
        for (i, uid) in g.sample(&users, k).into_iter().enumerate() {
            let aid = g.id("approvers");
            let astatus = if done {
                "approved"
            } else if requested && s == 0 {
                "due"
            } else {
                "waiting"
            };
            let sent = if requested {
                Some(g.after(created, 2))
            } else {
                None
            };
            push!(
                g,
                "approvers",
                json!({"id": aid, "created_at": iso(created), "updated_at": iso(created), "sort_order": if g.chance(0.9) { json!(i) } else { Value::Null },
                "user_id": uid, "status": astatus, "resolved_by_id": if done { json!(uid) } else { Value::Null }, "resolved_at": Gen::ts(resolved),
                "request_sent_at": Gen::ts(sent), "version_sent": if requested { json!(1) } else { Value::Null }, "reminder_sent_at": Value::Null,
                "reminder_sent_by_id": Value::Null, "reminders_sent": if requested { json!(0) } else { Value::Null }, "approver_group_id": gid,
                "added_by_custom_field_id": Value::Null, "send_auto_reminder_at": Value::Null, "auto_reminders_sent": if requested { json!(0) } else { Value::Null }})
            );
        }
    }
}
