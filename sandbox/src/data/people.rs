//! Candidates and their applications, with stage history, prospects, rejections, notes,
//! attachments, educations, employments, tags, EEOC and demographic answers.

use serde_json::{Value, json};

use super::{DAY, Gen, JobCtx, hiring, iso, names};
use crate::time;

pub(super) fn generate(g: &mut Gen) {
    let n = g.scaled(1000.0);
    let jobs: Vec<JobCtx> = g
        .jobs
        .iter()
        .filter(|j| j.status != "draft")
        .cloned()
        .collect();
    for _ in 0..n {
        candidate(g, &jobs);
    }
}

fn candidate(g: &mut Gen, jobs: &[JobCtx]) {
    let id = g.id("candidates");
    let created = g.between(time::ms_of_date(2019, 1, 1), g.now - 5 * DAY);
    let (first, last) = g.person_name();
    let slug = format!("{}.{}", first.to_lowercase(), last.to_lowercase()).replace(['\'', ' '], "");

    // applications first, so last_activity_at can be derived
    let n_apps = if jobs.is_empty() { 0 } else { g.int(1, 4) };
    let mut last_activity = created;
    let mut app_ids = Vec::new();
    for _ in 0..n_apps {
        let (app_id, activity) = application(g, id, created, jobs);
        last_activity = last_activity.max(activity);
        app_ids.push(app_id);
    }

    let tag_names = applied_tags(g, id, created);
    let contacts = contact_details(g, id, &slug);
    let linked = linked_users(g, id);
    let updated = g.after(last_activity, 30).max(last_activity);
    let custom = if g.chance(0.1) {
        Value::Null
    } else {
        g.custom_fields_for("candidate", 0.6)
    };
    let Contacts {
        emails,
        phones,
        addresses,
        websites,
        social,
    } = contacts;
    push!(
        g,
        "candidates",
        json!({
            "id": id, "created_at": iso(created), "updated_at": iso(updated), "first_name": first, "last_name": last,
            "preferred_name": if g.chance(0.1) { json!(g.pick(names::FIRST_NAMES)) } else { Value::Null },
            "company": if g.chance(0.75) { json!(g.pick(names::COMPANIES)) } else { Value::Null },
            "title": if g.chance(0.75) { json!(g.pick(names::TITLES)) } else { Value::Null },
            "last_activity_at": if app_ids.is_empty() && g.chance(0.5) { Value::Null } else { json!(iso(last_activity)) },
            "private": if g.chance(0.05) { json!(true) } else if g.chance(0.1) { Value::Null } else { json!(false) },
            "can_email": g.chance(0.9),
            "time_zone": if g.chance(0.6) { json!(g.pick(names::TIME_ZONES)) } else { Value::Null },
            "tags": tag_names, "linked_user_ids": linked, "phone_numbers": phones, "addresses": addresses,
            "email_addresses": emails, "website_addresses": websites, "social_media_addresses": social, "custom_fields": custom,
        })
    );

    educations(g, id, created);
    employments(g, id, created);
    // candidate-level notes (not tied to an application)
    for _ in 0..g.int(0, 2) {
        let when = g.after(created, 500);
        note(g, id, None, when, None);
    }
}

/// Up to three tags applied to the candidate; returns their names.
fn applied_tags(g: &mut Gen, id: i64, created: i64) -> Vec<&'static str> {
    let k = if g.chance(0.6) {
        g.int(0, 3) as usize
    } else {
        0
    };
    let all_tags = g.tags.clone();
    let tags = g.sample(&all_tags, k);
    for (tid, _) in &tags {
        let aid = g.id("applied_candidate_tags");
        let when = g.after(created, 100);
        push!(
            g,
            "applied_candidate_tags",
            json!({"id": aid, "created_at": iso(when), "updated_at": iso(when), "candidate_tag_id": tid, "candidate_id": id})
        );
    }
    tags.iter().map(|t| t.1).collect()
}

/// A candidate's contact lists (each a list of `{value, type}` objects).
struct Contacts {
    emails: Vec<Value>,
    phones: Vec<Value>,
    addresses: Vec<Value>,
    websites: Vec<Value>,
    social: Vec<Value>,
}

fn contact_details(g: &mut Gen, id: i64, slug: &str) -> Contacts {
    let mut emails =
        vec![json!({"value": format!("{slug}{}@example.com", id % 1000), "type": "personal"})];
    if g.chance(0.3) {
        emails.push(json!({"value": format!("{slug}@work.example"), "type": "work"}));
    }
    if g.chance(0.03) {
        emails.clear();
    }
    let phones = if g.chance(0.7) {
        let ty = g.pick(&["mobile", "home", "work", "skype", "other"]);
        vec![
            json!({"value": format!("+1 {} 555 {:04}", g.int(200, 989), g.int(0, 9999)), "type": ty}),
        ]
    } else {
        vec![]
    };
    let addresses = if g.chance(0.4) {
        vec![json!({"value": g.pick(names::CITIES), "type": g.pick(&["home", "work", "other"])})]
    } else {
        vec![]
    };
    let websites = if g.chance(0.3) {
        vec![
            json!({"value": format!("{slug}.dev"), "type": g.pick(&["personal", "portfolio", "blog"])}),
        ]
    } else {
        vec![]
    };
    let social = if g.chance(0.3) {
        vec![json!({"value": format!("github.com/{}", slug.replace('.', ""))})]
    } else {
        vec![]
    };
    Contacts {
        emails,
        phones,
        addresses,
        websites,
        social,
    }
}

/// Rarely, a user linked to the candidate (the user record links back); returns the user ids.
fn linked_users(g: &mut Gen, id: i64) -> Vec<i64> {
    let linked: Vec<i64> = if g.chance(0.01) {
        g.pick_opt(&g.active_user_ids.clone()).into_iter().collect()
    } else {
        vec![]
    };
    for uid in &linked {
        g.ds.modify("users", *uid, |o| {
            if let Some(Value::Array(a)) = o.get_mut("linked_candidate_ids") {
                a.push(json!(id));
            }
        });
    }
    linked
}

fn educations(g: &mut Gen, cid: i64, created: i64) {
    let opts = |g: &Gen, key: &str| -> Vec<i64> {
        g.custom_fields
            .iter()
            .find(|d| d.name_key == key)
            .map(|d| d.options.iter().map(|o| o.0).collect())
            .unwrap_or_default()
    };
    let schools = opts(g, "school_name");
    let degrees = opts(g, "degree");
    let disciplines = opts(g, "discipline");
    let n = g.int(0, 2);
    for i in 0..n {
        let eid = g.id("candidate_educations");
        let start_year = g.int(2000, 2020);
        let end_year = start_year + g.int(2, 5);
        let exact = g.chance(0.5);
        let school = if g.chance(0.9) {
            g.pick_opt(&schools)
        } else {
            None
        };
        let degree = if g.chance(0.8) {
            g.pick_opt(&degrees)
        } else {
            None
        };
        let discipline = if g.chance(0.8) {
            g.pick_opt(&disciplines)
        } else {
            None
        };
        push!(
            g,
            "candidate_educations",
            json!({"id": eid, "created_at": iso(created), "updated_at": iso(created), "candidate_id": cid,
            "school_name_custom_field_option_id": school, "degree_custom_field_option_id": degree, "discipline_custom_field_option_id": discipline,
            "start_at": if exact { json!(iso(time::ms_of_date(start_year, 9, 1))) } else { Value::Null },
            "end_at": if exact { json!(iso(time::ms_of_date(end_year, 6, 1))) } else { Value::Null },
            "latest": i == n - 1,
            "start_date_month": if exact { json!(9) } else { Value::Null }, "start_date_year": json!(start_year),
            "end_date_month": if exact { json!(6) } else { Value::Null }, "end_date_year": if g.chance(0.9) { json!(end_year) } else { Value::Null }})
        );
    }
}

fn employments(g: &mut Gen, cid: i64, created: i64) {
    let n = g.int(0, 2);
    let mut start = time::ms_of_date(g.int(2008, 2016), g.int(1, 12), 1);
    for i in 0..n {
        let eid = g.id("candidate_employments");
        let current = i == n - 1 && g.chance(0.6);
        let end = start + g.int(300, 1500) * DAY;
        push!(
            g,
            "candidate_employments",
            json!({"id": eid, "created_at": iso(created), "updated_at": iso(created), "candidate_id": cid,
            "company_name": g.pick(names::COMPANIES), "title": g.pick(names::TITLES), "start_date": time::date(start),
            "end_date": if current { Value::Null } else { json!(time::date(end)) },
            "latest": if g.chance(0.9) { json!(i == n - 1) } else { Value::Null }})
        );
        start = end + g.int(10, 90) * DAY;
    }
}

/// Creates a note; returns its id.
pub(super) fn note(
    g: &mut Gen,
    cid: i64,
    app_id: Option<i64>,
    when: i64,
    forced_type: Option<&str>,
) -> i64 {
    let nid = g.id("notes");
    let ty = match forced_type {
        Some(t) => t.to_string(),
        None => {
            let roll = g.int(0, 99);
            (if roll < 45 {
                "NOTE"
            } else if roll < 70 {
                "EMAIL"
            } else if roll < 85 {
                "ACTIVITY"
            } else if roll < 90 {
                "FOLLOW_UP"
            } else if roll < 95 {
                "LINKEDIN_INMAIL"
            } else {
                "TOUCHPOINT"
            })
            .to_string()
        }
    };
    let user = if ty == "ACTIVITY" && g.chance(0.3) {
        Value::Null
    } else {
        json!(g.pick(&g.active_user_ids.clone()))
    };
    let email = ty == "EMAIL";
    let body = g.pick(names::SENTENCES);
    let visibility = if ty == "ACTIVITY" {
        Value::Null
    } else {
        json!(g.pick(&[
            "publicly_visible",
            "publicly_visible",
            "privately_visible",
            "admin_only_visible"
        ]))
    };
    push!(
        g,
        "notes",
        json!({"id": nid, "created_at": iso(when), "updated_at": iso(when), "candidate_id": cid, "application_id": app_id,
        "body": body, "subject": if email { json!("Following up on your application") } else { Value::Null }, "type": ty,
        "user_id": user, "email_from": if email { json!("recruiting@acme.example") } else { Value::Null },
        "email_to": if email { json!(format!("candidate{cid}@example.com")) } else { Value::Null },
        "email_cc": if email { if g.chance(0.3) { json!(["hiring-team@acme.example"]) } else { json!([]) } } else { Value::Null },
        "import_hash": Value::Null, "body_with_tags": body,
        "visibility": visibility, "email_attachment_file_names": if email && g.chance(0.2) { json!(["resume.pdf"]) } else { Value::Null }})
    );
    nid
}

fn attachment(g: &mut Gen, app_id: i64, cid: i64, ty: &str, when: i64) {
    let aid = g.id("attachments");
    let ext = if ty == "resume" && g.chance(0.3) {
        "docx"
    } else {
        "pdf"
    };
    let filename = format!("{ty}_{cid}.{ext}");
    let sig = g.hex(16);
    push!(
        g,
        "attachments",
        json!({"id": aid, "created_at": iso(when), "updated_at": iso(when), "application_id": app_id,
        "candidate_id": if g.chance(0.95) { json!(cid) } else { Value::Null }, "type": ty, "filename": filename,
        "url": format!("https://grnhse-prod.s3.amazonaws.com/person_attachments/data/{aid}/{filename}?X-Amz-Expires=604800&X-Amz-Signature={sig}")})
    );
}

/// An application being generated: its id, candidate and creation time.
struct App {
    id: i64,
    cid: i64,
    created: i64,
}

/// Channel and people of an application.
struct Attribution {
    source: Option<i64>,
    referrer: Option<i64>,
    recruiter: Option<i64>,
    coordinator: Option<i64>,
}

/// How far an application got: its status, the last stage reached, when each stage up to it
/// was entered, and when it ended (hired or rejected).
struct Progress {
    status: &'static str,
    reached: usize,
    entered: Vec<i64>,
    terminal_at: Option<i64>,
}

/// Creates one application with its history; returns (id, last activity ms).
fn application(g: &mut Gen, cid: i64, cand_created: i64, jobs: &[JobCtx]) -> (i64, i64) {
    let id = g.id("applications");
    let prospect = g.chance(0.08);
    let job = g.pick(jobs);
    let start = cand_created.max(job.opened.unwrap_or(job.created));
    let created = g.after(start, 120);
    let app = App { id, cid, created };
    let who = attribution(g, &job);
    if prospect {
        return prospect_application(g, &app, &who, jobs);
    }
    let progress = progress(g, &job, created);
    let (last_activity, updated) = application_record(g, &app, &job, &who, &progress);
    application_stages(g, id, &job, &progress);
    stage_interviews(g, &app, &job, &progress);
    let n_st = job.stages.len().max(1);
    if progress.reached == n_st - 1 && n_st > 1 {
        let reached_at = progress.entered[progress.reached];
        hiring::offers(
            g,
            id,
            cid,
            &job,
            reached_at,
            progress.status,
            progress.terminal_at,
        );
    }
    if progress.status == "rejected" {
        let when = progress.terminal_at.unwrap_or(updated);
        rejection(g, &app, when, who.recruiter);
    }
    application_extras(g, &app, last_activity);
    (id, updated)
}

fn attribution(g: &mut Gen, job: &JobCtx) -> Attribution {
    let sources = g.source_ids.clone();
    let source = if g.chance(0.9) {
        g.pick_opt(&sources)
    } else {
        None
    };
    let referrer = if g.chance(0.15) {
        g.pick_opt(&g.referrer_ids.clone())
    } else {
        None
    };
    let recruiter = if g.chance(0.85) {
        Some(job.recruiter)
    } else {
        None
    };
    let coordinator = if g.chance(0.7) {
        Some(job.coordinator)
    } else {
        None
    };
    Attribution {
        source,
        referrer,
        recruiter,
        coordinator,
    }
}

/// A prospect (no job) with its prospect details; returns (id, last activity ms).
fn prospect_application(g: &mut Gen, app: &App, who: &Attribution, jobs: &[JobCtx]) -> (i64, i64) {
    let App { id, cid, created } = *app;
    let open_jobs: Vec<i64> = jobs
        .iter()
        .filter(|j| j.status == "open")
        .map(|j| j.id)
        .collect();
    let k = g.int(0, 2) as usize;
    let prospective = g.sample(&open_jobs, k);
    let converted = g.chance(0.3);
    let updated = g.after(created, 60);
    let (recruiter, referrer, source) = (who.recruiter, who.referrer, who.source);
    push!(
        g,
        "applications",
        json!({"id": id, "created_at": iso(created), "updated_at": iso(updated), "agency_note_id": Value::Null,
        "candidate_id": cid, "coordinator_id": Value::Null, "job_id": Value::Null, "job_post_id": Value::Null,
        "recruiter_id": recruiter, "referrer_id": referrer, "source_id": source, "stage_id": Value::Null, "stage_name": Value::Null,
        "status": if converted { "converted" } else { "in_process" }, "needs_decision": Value::Null, "prospect": true,
        "rejected_at": Value::Null, "last_activity_at": iso(updated), "location_address": Value::Null, "answers": Value::Null,
        "prospective_job_ids": prospective, "custom_fields": g.custom_fields_for("application", 0.3)})
    );
    prospect_details(g, app, updated);
    if g.chance(0.5) {
        let when = g.after(created, 30);
        note(g, cid, Some(id), when, None);
    }
    (id, updated)
}

/// The prospect's pool, stage, owner, department and office.
fn prospect_details(g: &mut Gen, app: &App, updated: i64) {
    let pool = g.pick_opt(&g.pools.clone());
    let pd = g.id("prospect_details");
    let (pool_id, stage_id) = match pool {
        Some((p, stages)) => (
            json!(p),
            g.pick_opt(&stages).map(Value::from).unwrap_or(Value::Null),
        ),
        None => (Value::Null, Value::Null),
    };
    let owner = if g.chance(0.8) {
        g.pick_opt(&g.active_user_ids.clone())
    } else {
        None
    };
    let dept = if g.chance(0.5) {
        g.pick_opt(&g.department_ids.clone())
    } else {
        None
    };
    let office = if g.chance(0.5) {
        g.pick_opt(&g.office_ids.clone())
    } else {
        None
    };
    push!(
        g,
        "prospect_details",
        json!({"id": pd, "created_at": iso(app.created), "updated_at": iso(updated), "application_id": app.id,
        "pool_id": pool_id, "pool_stage_id": stage_id, "prospect_owner_id": owner, "department_id": dept, "office_id": office})
    );
}

/// The outcome, how far the application got and its stage timeline.
fn progress(g: &mut Gen, job: &JobCtx, created: i64) -> Progress {
    let n_st = job.stages.len().max(1);
    let roll = g.int(0, 99);
    let mut status = if roll < 8 {
        "hired"
    } else if roll < 45 {
        "rejected"
    } else {
        "in_process"
    };
    if job.status == "closed" && status == "in_process" && g.chance(0.7) {
        status = "rejected";
    }
    let reached = match status {
        "hired" => n_st - 1,
        _ => g.idx(n_st),
    };
    let mut t = created;
    let mut entered = Vec::new();
    for _ in 0..=reached {
        entered.push(t);
        t = g.after(t, 20).max(t + 3_600_000).min(g.now);
    }
    let terminal_at = if status == "in_process" {
        None
    } else {
        Some(t)
    };
    Progress {
        status,
        reached,
        entered,
        terminal_at,
    }
}

/// The `applications` record of a job application; returns (last activity, updated) ms.
fn application_record(
    g: &mut Gen,
    app: &App,
    job: &JobCtx,
    who: &Attribution,
    progress: &Progress,
) -> (i64, i64) {
    let App { id, cid, created } = *app;
    let (status, reached, terminal_at) = (progress.status, progress.reached, progress.terminal_at);
    let (coordinator, recruiter, referrer, source) =
        (who.coordinator, who.recruiter, who.referrer, who.source);
    let last_activity = terminal_at.unwrap_or(*progress.entered.last().unwrap_or(&created));
    let updated = g.after(last_activity, 5).max(last_activity);
    let (stage_id, stage_name) = if status == "in_process" {
        job.stages
            .get(reached)
            .map(|(s, n)| (json!(s), json!(n)))
            .unwrap_or((Value::Null, Value::Null))
    } else {
        (Value::Null, Value::Null)
    };
    let post = g.pick_opt(&job.posts);
    let answers = if post.is_some() && g.chance(0.7) {
        json!([{"question": "How did you hear about this job?", "answer": if g.chance(0.8) { json!("LinkedIn") } else { Value::Null }},
               {"question": "Are you legally authorized to work in the United States?", "answer": "Yes"}])
    } else if g.chance(0.5) {
        json!([])
    } else {
        Value::Null
    };
    let location = job
        .office_ids
        .first()
        .and_then(|o| g.office_locations.get(o).cloned());
    push!(
        g,
        "applications",
        json!({"id": id, "created_at": iso(created), "updated_at": iso(updated),
        "agency_note_id": Value::Null, "candidate_id": cid, "coordinator_id": coordinator, "job_id": job.id,
        "job_post_id": post, "recruiter_id": recruiter, "referrer_id": referrer, "source_id": source,
        "stage_id": stage_id, "stage_name": stage_name, "status": status,
        "needs_decision": if status == "in_process" { json!(g.chance(0.4)) } else if g.chance(0.5) { json!(false) } else { Value::Null },
        "prospect": false, "rejected_at": if status == "rejected" { Gen::ts(terminal_at) } else { Value::Null },
        "last_activity_at": iso(last_activity), "location_address": if g.chance(0.7) { json!(location) } else { Value::Null },
        "answers": answers, "prospective_job_ids": [], "custom_fields": g.custom_fields_for("application", 0.5)})
    );
    (last_activity, updated)
}

/// One `application_stages` row per stage entered.
fn application_stages(g: &mut Gen, id: i64, job: &JobCtx, progress: &Progress) {
    let Progress {
        status,
        reached,
        ref entered,
        terminal_at,
    } = *progress;
    for (k, enter) in entered.iter().enumerate() {
        let sid = g.id("application_stages");
        let exit = if k < reached {
            Some(entered[k + 1])
        } else {
            terminal_at
        };
        let days = (exit.unwrap_or(g.now) - enter) / DAY;
        let current = k == reached && status == "in_process";
        push!(
            g,
            "application_stages",
            json!({"id": sid, "created_at": iso(*enter), "updated_at": iso(exit.unwrap_or(*enter)),
            "application_id": id, "job_interview_stage_id": job.stages.get(k).map(|s| s.0).unwrap_or(0),
            "entered_at": iso(*enter), "exited_at": Gen::ts(exit), "days_in_stage": days, "current": current})
        );
    }
}

/// Interviews and scorecards of every stage reached.
fn stage_interviews(g: &mut Gen, app: &App, job: &JobCtx, progress: &Progress) {
    let Progress {
        status,
        reached,
        ref entered,
        terminal_at,
    } = *progress;
    for k in 0..=reached {
        let window_end = if k < reached {
            entered[k + 1]
        } else {
            terminal_at.unwrap_or(g.now + 14 * DAY)
        };
        let finished = k < reached || status != "in_process";
        if let Some(ivs) = job.interviews.get(k) {
            for iv in ivs {
                hiring::interview(
                    g, app.id, app.cid, job, iv, entered[k], window_end, finished,
                );
            }
        }
    }
}

/// The rejection details (maybe with a rejection note) of a rejected application.
fn rejection(g: &mut Gen, app: &App, when: i64, recruiter: Option<i64>) {
    let App { id, cid, .. } = *app;
    let rd = g.id("rejection_details");
    let note_id = if g.chance(0.5) {
        Some(note(g, cid, Some(id), when, Some("NOTE")))
    } else {
        None
    };
    let reason = g.pick_opt(&g.rejection_reason_ids.clone());
    let qcf = if g.chance(0.3) {
        g.custom_fields_for("rejection_question", 1.0)
    } else if g.chance(0.5) {
        json!({})
    } else {
        Value::Null
    };
    push!(
        g,
        "rejection_details",
        json!({"id": rd, "created_at": iso(when), "updated_at": iso(when), "application_id": id,
        "rejected_by_id": recruiter.or_else(|| g.active_user_ids.first().copied()), "rejection_note_id": note_id,
        "rejection_reason_id": reason, "rejected_at": iso(when), "question_custom_fields": qcf})
    );
}

/// Notes, attachments, EEOC and demographic answers of an application.
fn application_extras(g: &mut Gen, app: &App, last_activity: i64) {
    let App { id, cid, created } = *app;
    if g.chance(0.6) {
        let when = g.between(created, last_activity.max(created + 1));
        note(g, cid, Some(id), when, None);
    }
    if g.chance(0.85) {
        attachment(g, id, cid, "resume", created);
    }
    if g.chance(0.3) {
        attachment(g, id, cid, "cover_letter", created);
    }
    if g.chance(0.05) {
        let ty = g.pick(&["take_home_test", "other", "form_attachment"]);
        let when = g.after(created, 20);
        attachment(g, id, cid, ty, when);
    }
    if g.chance(0.4) {
        eeoc(g, app);
    }
    if g.chance(0.2) {
        demographic_answers(g, app);
    }
}

/// An EEOC record; each category is sometimes unanswered.
fn eeoc(g: &mut Gen, app: &App) {
    let App { id, cid, created } = *app;
    let eid = g.id("eeoc");
    let submitted = if g.chance(0.9) {
        Some(g.after(created, 2))
    } else {
        None
    };
    let pick_obj = |g: &mut Gen, opts: &[(i64, &str)]| -> Value {
        if g.chance(0.15) {
            Value::Null
        } else {
            let (i, d) = g.pick(opts);
            json!({"id": i, "description": d})
        }
    };
    let gender = pick_obj(
        g,
        &[(1, "Male"), (2, "Female"), (3, "Decline To Self Identify")],
    );
    let race = pick_obj(
        g,
        &[
            (1, "Hispanic or Latino"),
            (2, "White"),
            (3, "Black or African American"),
            (4, "Asian"),
            (5, "Two or More Races"),
            (6, "Decline To Self Identify"),
        ],
    );
    let veteran = pick_obj(
        g,
        &[
            (1, "I am not a protected veteran"),
            (
                2,
                "I identify as one or more of the classifications of protected veteran",
            ),
            (3, "I don't wish to answer"),
        ],
    );
    let disability = pick_obj(
        g,
        &[
            (
                1,
                "Yes, I have a disability (or previously had a disability)",
            ),
            (2, "No, I don't have a disability"),
            (3, "I don't wish to answer"),
        ],
    );
    push!(
        g,
        "eeoc",
        json!({"id": eid, "created_at": iso(created), "updated_at": iso(submitted.unwrap_or(created)), "application_id": id,
        "candidate_id": cid, "gender": gender, "race": race, "veteran_status": veteran, "disability_status": disability,
        "submitted_at": Gen::ts(submitted)})
    );
}

/// Answers to most of the demographic questions.
fn demographic_answers(g: &mut Gen, app: &App) {
    let App { id, created, .. } = *app;
    for (qid, opts) in g.demographic_questions.clone() {
        if g.chance(0.7) {
            let did = g.id("demographic_answers");
            let opt = g.pick_opt(&opts);
            let free = if opt.is_none() {
                json!("Prefer to self-describe")
            } else {
                Value::Null
            };
            push!(
                g,
                "demographic_answers",
                json!({"id": did, "created_at": iso(created), "updated_at": iso(created), "application_id": id,
                "demographic_question_id": qid, "demographic_answer_option_id": opt, "free_form_text": free})
            );
        }
    }
}
