//! Interviews, interviewers, scorecards (answers, attribute ratings) and offers.

use serde_json::{Value, json};

use super::{DAY, Gen, InterviewCtx, JobCtx, iso, jobs, names};
use crate::time;

const RATINGS: &[&str] = &["strong_no", "no", "yes", "strong_yes", "no_decision"];
const ATTR_RATINGS: &[&str] = &[
    "definitely_not",
    "no",
    "mixed",
    "yes",
    "strong_yes",
    "no_decision",
];

/// One interview of an application for a job interview, with interviewers and scorecards.
#[allow(clippy::too_many_arguments)]
pub(super) fn interview(
    g: &mut Gen,
    app_id: i64,
    _cid: i64,
    job: &JobCtx,
    iv: &InterviewCtx,
    from: i64,
    to: i64,
    finished: bool,
) {
    let Some(sched) =
        g.ds.get("job_interviews", iv.job_interview_id)
            .and_then(|r| r.get("scheduling_type"))
            .and_then(Value::as_str)
            .map(str::to_string)
    else {
        return;
    };
    if sched != "needs_scheduling" {
        return;
    }
    let iid = g.id("interviews");
    let starts = g.between(from, to.max(from + 1));
    let ends = starts + 3_600_000;
    let status = if finished {
        if g.chance(0.95) {
            "complete"
        } else {
            "skipped"
        }
    } else if starts > g.now {
        "scheduled"
    } else if g.chance(0.5) {
        "awaiting_feedback"
    } else {
        "to_be_scheduled"
    };
    let scheduled = status != "to_be_scheduled";
    let all_day = scheduled && g.chance(0.03);
    let created = from.min(starts);
    let video = scheduled && g.chance(0.6);
    push!(
        g,
        "interviews",
        json!({"id": iid, "created_at": iso(created), "updated_at": iso(starts.min(g.now).max(created)),
        "job_id": job.id, "application_id": app_id, "job_interview_id": iv.job_interview_id,
        "starts_at": if scheduled && !all_day { json!(iso(starts)) } else { Value::Null },
        "ends_at": if scheduled && !all_day { json!(iso(ends)) } else { Value::Null },
        "location": if scheduled && !video { json!(g.pick(&["Room 4B", "Main office", "Phone"])) } else { Value::Null },
        "status": status, "organizer_id": if scheduled { json!(job.coordinator) } else { Value::Null },
        "scheduled_at": if scheduled { json!(iso(created)) } else { Value::Null },
        "all_day_start_on": if all_day { json!(time::date(starts)) } else { Value::Null },
        "all_day_end_on": if all_day { json!(time::date(starts)) } else { Value::Null },
        "external_event_id": if scheduled { json!(g.hex(20)) } else { Value::Null },
        "video_conferencing_url": if video { json!(format!("https://meet.example.com/{}", g.hex(10))) } else { Value::Null },
        "availability_received_at": if g.chance(0.3) { json!(iso(created)) } else { Value::Null }})
    );
    if !scheduled {
        return;
    }
    let mut panel = iv.default_interviewers.clone();
    if panel.is_empty() {
        let users = g.active_user_ids.clone();
        let k = g.int(1, 2) as usize;
        panel = g.sample(&users, k);
    }
    for uid in panel {
        let ivr = g.id("interviewers");
        let wants_card = status == "complete" || (status == "awaiting_feedback" && g.chance(0.4));
        let card = if wants_card {
            Some(scorecard(g, app_id, iv, uid, starts, status == "complete"))
        } else {
            None
        };
        push!(
            g,
            "interviewers",
            json!({"id": ivr, "created_at": iso(created), "updated_at": iso(created), "interview_id": iid,
            "user_id": uid, "scorecard_id": card, "email": g.user_emails.get(&uid),
            "response_status": if g.chance(0.8) { json!(g.pick(&["accepted", "accepted", "tentative", "needs_action", "declined"])) } else { Value::Null }})
        );
    }
}

fn scorecard(
    g: &mut Gen,
    app_id: i64,
    iv: &InterviewCtx,
    uid: i64,
    interviewed: i64,
    complete: bool,
) -> i64 {
    let sid = g.id("scorecards");
    let complete = complete && g.chance(0.92);
    let submitted = if complete {
        Some(g.after(interviewed, 3).max(interviewed))
    } else {
        None
    };
    let created = interviewed + 3_600_000;
    let note = if g.chance(0.7) {
        json!(g.pick(names::SENTENCES))
    } else {
        Value::Null
    };
    let private = if g.chance(0.3) {
        json!(g.pick(names::SENTENCES))
    } else {
        Value::Null
    };
    push!(
        g,
        "scorecards",
        json!({"id": sid, "created_at": iso(created), "updated_at": iso(submitted.unwrap_or(created)),
        "interview_kit_id": iv.kit_id, "interviewer_id": uid, "interviewed_at": iso(interviewed),
        "notes": note, "notes_with_tags": note, "submitter_id": uid,
        "candidate_rating": if complete { json!(g.pick(RATINGS)) } else { Value::Null },
        "private_notes": private, "private_notes_with_tags": private, "status": if complete { "complete" } else { "draft" },
        "public_notes": Value::Null, "public_notes_with_tags": Value::Null, "application_id": app_id, "submitted_at": Gen::ts(submitted)})
    );
    let when = iso(submitted.unwrap_or(created));
    for (qid, atype, opts) in &iv.questions {
        if *atype == "instruction" || (!complete && g.chance(0.5)) {
            continue;
        }
        let aid = g.id("scorecard_question_answers");
        let (answer, boolean) = match *atype {
            "yes_no" => {
                let b = g.chance(0.7);
                (json!(if b { "Yes" } else { "No" }), json!(b))
            }
            "text" => (json!(g.pick(names::SENTENCES)), Value::Null),
            _ => (Value::Null, Value::Null),
        };
        push!(
            g,
            "scorecard_question_answers",
            json!({"id": aid, "created_at": when, "updated_at": when, "scorecard_id": sid,
            "scorecard_question_id": qid, "answer": answer, "answer_with_tags": answer, "boolean_value": boolean})
        );
        if !opts.is_empty() {
            let k = if *atype == "multi_select" {
                g.int(1, 2) as usize
            } else {
                1
            };
            for oid in g.sample(opts, k) {
                let xid = g.id("scorecard_question_answer_options");
                push!(
                    g,
                    "scorecard_question_answer_options",
                    json!({"id": xid, "created_at": when, "updated_at": when,
                    "scorecard_question_option_id": oid, "scorecard_question_answer_id": aid})
                );
            }
        }
    }
    for ja in &iv.focus {
        let rid = g.id("scorecard_candidate_attributes");
        push!(
            g,
            "scorecard_candidate_attributes",
            json!({"id": rid, "created_at": when, "updated_at": when, "scorecard_id": sid,
            "candidate_attribute_rating": g.pick(ATTR_RATINGS), "job_candidate_attribute_id": ja,
            "note": if g.chance(0.2) { json!("Clear evidence in the exercise.") } else { Value::Null }})
        );
    }
    sid
}

/// Offers of an application that reached the Offer stage.
pub(super) fn offers(
    g: &mut Gen,
    app_id: i64,
    cid: i64,
    job: &JobCtx,
    at_offer: i64,
    status: &str,
    terminal: Option<i64>,
) {
    let versions = if g.chance(0.25) { 2 } else { 1 };
    let opening = if status == "hired" {
        // fill an opening that is still unfilled
        let free: Vec<i64> = job
            .openings
            .iter()
            .copied()
            .filter(|o| {
                g.ds.get("openings", *o)
                    .and_then(|r| r.get("application_id"))
                    .is_some_and(Value::is_null)
            })
            .collect();
        free.first().copied()
    } else if g.chance(0.6) {
        g.pick_opt(&job.openings)
    } else {
        None
    };
    let mut t = at_offer;
    for v in 1..=versions {
        let oid = g.id("offers");
        let last = v == versions;
        let st = if !last {
            "Deprecated"
        } else {
            match status {
                "hired" => "Accepted",
                "rejected" => "Rejected",
                _ => "Created",
            }
        };
        let created = t;
        let sent = if st == "Created" && g.chance(0.3) {
            None
        } else {
            Some(g.after(created, 3))
        };
        let resolved = match st {
            "Accepted" | "Rejected" => Some(terminal.unwrap_or(created).max(created)),
            "Deprecated" => Some(created + DAY),
            _ => None,
        };
        let starts = if g.chance(0.9) {
            json!(time::date(created + g.int(14, 60) * DAY))
        } else {
            Value::Null
        };
        let custom = g.custom_fields_for("offer", 0.8);
        push!(
            g,
            "offers",
            json!({"id": oid, "created_at": iso(created), "updated_at": iso(resolved.unwrap_or(created)),
            "version": v, "application_id": app_id, "job_id": job.id, "candidate_id": cid, "opening_id": opening,
            "status": st, "starts_on": starts, "sent_on": sent.map(|s| json!(time::date(s))).unwrap_or(Value::Null),
            "resolved_at": Gen::ts(resolved), "custom_fields": custom})
        );
        if last && g.chance(0.3) {
            jobs::approval_flow(g, job.id, Some(oid), "offer_candidate", created);
        }
        if last && sent.is_some() {
            let aid = g.id("attachments");
            let when = sent.unwrap_or(created);
            let ty = if st == "Accepted" {
                "signed_offer_letter"
            } else {
                "offer_letter"
            };
            push!(
                g,
                "attachments",
                json!({"id": aid, "created_at": iso(when), "updated_at": iso(when), "application_id": app_id,
                "candidate_id": cid, "type": ty, "filename": format!("{ty}_{cid}.pdf"),
                "url": format!("https://grnhse-prod.s3.amazonaws.com/person_attachments/data/{aid}/{ty}.pdf?X-Amz-Expires=604800")})
            );
        }
        t = created + DAY;
    }
    if let (Some(o), "hired") = (opening, status) {
        let when = terminal.unwrap_or(at_offer);
        let reason = g.pick_opt(&g.close_reason_ids.clone());
        g.ds.modify("openings", o, |r| {
            r.insert("application_id".into(), json!(app_id));
            r.insert("open".into(), json!(false));
            r.insert("closed_at".into(), json!(iso(when)));
            r.insert("close_reason_id".into(), json!(reason));
        });
    }
}
