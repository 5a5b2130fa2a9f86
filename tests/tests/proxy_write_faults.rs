//! 1,000 legacy writes of nine kinds through harvest-proxy while the sandbox, at random
//! (seeded), applies writes and then loses their answers, resets connections before or after
//! applying, answers past the proxy's upstream timeout and answers 5xx. Afterwards v3's state
//! is read from the sandbox's store and every write is checked: it exists exactly once or not
//! at all, and the client's answer said which (`applied` ⇒ once, `not_applied` ⇒ absent,
//! `partial` ⇒ exactly the calls it lists as applied, `unknown` ⇒ either, counted). Then every
//! write is sent again with its `Idempotency-Key`, without faults: a stored answer is replayed
//! without a v3 call, a write that was not applied is made now, once.
//!
//! The seed is printed; `HARVEST_FAULT_SEED=N` reruns with another one.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use harvest_sandbox::{DEFAULT_ADMIN_USER_ID, FaultAction, FaultPlan, MethodMatch, SandboxConfig};
use harvest_tests::{KEY, Resp, Stack, WRITE_OUTCOME, basic};
use serde_json::{Value, json};

const WRITES: usize = 1000;
const CONCURRENCY: usize = 16;
const DEFAULT_SEED: u64 = 20_261_202;
/// The proxy gives one v3 call this long; the sandbox's slow answers take `SLOW_MS`.
const UPSTREAM_TIMEOUT_MS: u64 = 250;
const SLOW_MS: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    CreateCandidate,
    CreateProspect,
    AddNote,
    AddAttachment,
    AddTag,
    RemoveTag,
    UpdateCandidate,
    MoveApplication,
    RejectApplication,
}

const KINDS: [Kind; 9] = [
    Kind::CreateCandidate,
    Kind::CreateProspect,
    Kind::AddNote,
    Kind::AddAttachment,
    Kind::AddTag,
    Kind::RemoveTag,
    Kind::UpdateCandidate,
    Kind::MoveApplication,
    Kind::RejectApplication,
];

/// What a write is about, so that its effect can be found in v3 afterwards.
#[derive(Debug, Clone)]
enum Target {
    /// A created record carrying this unique marker (a candidate's last name, a note's body,
    /// an attachment's file name), on this job when it has one.
    Marker { marker: String, job: Option<i64> },
    /// A candidate and a tag (applied or removed).
    Tag { candidate: i64, tag: i64 },
    /// A candidate whose title becomes the marker.
    Title { candidate: i64, marker: String },
    /// An application moved from one stage to another.
    Stage {
        application: i64,
        from: i64,
        to: i64,
    },
    /// An application rejected.
    Rejected { application: i64 },
}

#[derive(Debug, Clone)]
struct Write {
    index: usize,
    kind: Kind,
    method: &'static str,
    path: String,
    body: Value,
    target: Target,
}

/// What the client was told.
#[derive(Debug, Clone)]
struct Told {
    status: u16,
    outcome: String,
    body: Value,
    text: String,
}

impl Told {
    fn of(r: &Resp) -> Told {
        Told {
            status: r.status,
            outcome: r.header(WRITE_OUTCOME).unwrap_or_default(),
            body: serde_json::from_str(&r.text).unwrap_or(Value::Null),
            text: r.text.clone(),
        }
    }
}

fn rows(s: &Stack, table: &str) -> Vec<Value> {
    s.sandbox.records(table)
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_default()
}

/// The records the targeted kinds work on, each used by one write only.
struct Pools {
    jobs: Vec<i64>,
    candidates: Vec<i64>,
    tag_adds: Vec<(i64, i64)>,
    tag_removes: Vec<(i64, i64)>,
    moves: Vec<(i64, i64, i64)>,
    rejects: Vec<i64>,
    reason: i64,
}

fn pools(s: &Stack) -> Pools {
    let stages = rows(s, "job_interview_stages");
    let stages_of = |job: i64| -> Vec<i64> {
        stages
            .iter()
            .filter(|st| st["job_id"].as_i64() == Some(job))
            .map(id)
            .collect()
    };
    let mut jobs: Vec<i64> = rows(s, "jobs")
        .iter()
        .filter(|j| j["status"] == "open")
        .map(id)
        .filter(|j| !stages_of(*j).is_empty())
        .collect();
    jobs.truncate(8);
    let candidates: Vec<i64> = rows(s, "candidates").iter().map(id).collect();
    let tags: Vec<i64> = rows(s, "candidate_tags").iter().map(id).collect();
    let applied: BTreeSet<(i64, i64)> = rows(s, "applied_candidate_tags")
        .iter()
        .filter_map(|r| Some((r["candidate_id"].as_i64()?, r["candidate_tag_id"].as_i64()?)))
        .collect();
    // Tags go on the candidates the title updates do not use (the second half).
    let half = &candidates[candidates.len() / 2..];
    let tag_adds = half
        .iter()
        .flat_map(|c| tags.iter().map(move |t| (*c, *t)))
        .filter(|p| !applied.contains(p))
        .step_by(7)
        .collect();
    let tag_removes = applied.into_iter().collect();
    let (mut moves, mut rejects) = (Vec::new(), Vec::new());
    for app in rows(s, "applications") {
        if app["status"] != "in_process" || app["prospect"] == true {
            continue;
        }
        let (Some(stage), Some(job)) = (app["stage_id"].as_i64(), app["job_id"].as_i64()) else {
            continue;
        };
        match stages_of(job).into_iter().find(|x| *x != stage) {
            Some(to) if moves.len() <= rejects.len() => moves.push((id(&app), stage, to)),
            _ => rejects.push(id(&app)),
        }
    }
    let reason = id(&rows(s, "rejection_reasons")[0]);
    Pools {
        jobs,
        candidates,
        tag_adds,
        tag_removes,
        moves,
        rejects,
        reason,
    }
}

/// How many writes of each kind: an even share, less where there are not enough distinct
/// records; the creates take up the rest.
fn quotas(p: &Pools) -> BTreeMap<Kind, usize> {
    let share = WRITES / KINDS.len();
    let mut q: BTreeMap<Kind, usize> = BTreeMap::new();
    q.insert(Kind::AddTag, share.min(p.tag_adds.len()));
    q.insert(Kind::RemoveTag, share.min(p.tag_removes.len()));
    q.insert(Kind::UpdateCandidate, share.min(p.candidates.len() / 2));
    q.insert(Kind::MoveApplication, share.min(p.moves.len()));
    q.insert(Kind::RejectApplication, share.min(p.rejects.len()));
    let open = [
        Kind::CreateCandidate,
        Kind::CreateProspect,
        Kind::AddNote,
        Kind::AddAttachment,
    ];
    let left = WRITES - q.values().sum::<usize>();
    for (i, k) in open.iter().enumerate() {
        q.insert(*k, left / open.len() + usize::from(i < left % open.len()));
    }
    q
}

fn plan(s: &Stack, seed: u64) -> Vec<Write> {
    let p = pools(s);
    let q = quotas(&p);
    for k in KINDS {
        assert!(q[&k] >= 20, "too few targets for {k:?}: {q:?}");
    }
    let mut left = q.clone();
    let mut writes = Vec::with_capacity(WRITES);
    let mut next = BTreeMap::<Kind, usize>::new();
    // Interleaved: every kind runs throughout the test, next to the others.
    while writes.len() < WRITES {
        for k in KINDS {
            let n = left.get_mut(&k).expect("quota");
            if *n == 0 {
                continue;
            }
            *n -= 1;
            let nth = next.entry(k).or_default();
            writes.push(write_of(k, *nth, writes.len(), seed, &p));
            *nth += 1;
        }
    }
    writes
}

fn write_of(kind: Kind, nth: usize, index: usize, seed: u64, p: &Pools) -> Write {
    let marker = format!("wf{seed}-{index}");
    let cand = p.candidates[nth % p.candidates.len()];
    let job = p.jobs[nth % p.jobs.len()];
    let created = |job| Target::Marker {
        marker: marker.clone(),
        job,
    };
    let (method, path, body, target) = match kind {
        Kind::CreateCandidate => (
            "POST",
            "/v1/candidates".to_string(),
            json!({"first_name": "Fault", "last_name": marker, "applications": [{"job_id": job}]}),
            created(Some(job)),
        ),
        Kind::CreateProspect => (
            "POST",
            "/v1/prospects".to_string(),
            json!({"first_name": "Fault", "last_name": marker}),
            created(None),
        ),
        Kind::AddNote => (
            "POST",
            format!("/v1/candidates/{cand}/activity_feed/notes"),
            json!({"user_id": DEFAULT_ADMIN_USER_ID, "body": marker, "visibility": "public"}),
            created(None),
        ),
        Kind::AddAttachment => (
            "POST",
            format!("/v1/candidates/{cand}/attachments"),
            json!({"filename": marker, "type": "resume", "content_type": "application/pdf",
                "url": format!("https://example.com/{marker}.pdf")}),
            created(None),
        ),
        Kind::AddTag | Kind::RemoveTag => {
            let (candidate, tag) = if kind == Kind::AddTag {
                p.tag_adds[nth]
            } else {
                p.tag_removes[nth]
            };
            let method = if kind == Kind::AddTag {
                "PUT"
            } else {
                "DELETE"
            };
            let path = format!("/v1/candidates/{candidate}/tags/{tag}");
            (method, path, json!({}), Target::Tag { candidate, tag })
        }
        Kind::UpdateCandidate => {
            let candidate = p.candidates[nth];
            let path = format!("/v1/candidates/{candidate}");
            let body = json!({"title": marker});
            ("PATCH", path, body, Target::Title { candidate, marker })
        }
        Kind::MoveApplication => {
            let (application, from, to) = p.moves[nth];
            let path = format!("/v1/applications/{application}/move");
            let body = json!({"from_stage_id": from, "to_stage_id": to});
            (
                "POST",
                path,
                body,
                Target::Stage {
                    application,
                    from,
                    to,
                },
            )
        }
        Kind::RejectApplication => {
            let application = p.rejects[nth];
            let path = format!("/v1/applications/{application}/reject");
            let body = json!({"rejection_reason_id": p.reason, "notes": marker});
            ("POST", path, body, Target::Rejected { application })
        }
    };
    Write {
        index,
        kind,
        method,
        path,
        body,
        target,
    }
}

fn fault_plan() -> FaultPlan {
    let slow = Duration::from_millis(SLOW_MS);
    FaultPlan::none().mix(
        MethodMatch::Writes,
        "/v3/*",
        [
            // Applied, then the answer is lost: connection dropped, replaced by a 5xx, late.
            (0.015, FaultAction::Lost),
            (0.01, FaultAction::Applied(500)),
            (0.01, FaultAction::AppliedDelay(slow)),
            // Not applied: connection reset, too slow, 5xx.
            (0.01, FaultAction::Reset),
            (0.01, FaultAction::Delay(slow)),
            (0.01, FaultAction::Status(503)),
            (0.005, FaultAction::Status(500)),
        ],
    )
}

async fn send(s: &Stack, w: &Write, seed: u64) -> Resp {
    let auth = basic(KEY);
    let acting = DEFAULT_ADMIN_USER_ID.to_string();
    let key = format!("wf-{seed}-{}", w.index);
    let headers = [
        ("Content-Type", "application/json"),
        ("On-Behalf-Of", acting.as_str()),
        ("Idempotency-Key", key.as_str()),
    ];
    let body = Bytes::from(serde_json::to_vec(&w.body).unwrap_or_default());
    s.request(w.method, &w.path, Some(&auth), &headers, body)
        .await
}

/// Sends every write, `CONCURRENCY` at a time; the answers by index.
async fn send_all(s: &Arc<Stack>, writes: &[Write], seed: u64) -> Vec<Resp> {
    let queue = Arc::new(std::sync::Mutex::new(
        writes
            .iter()
            .cloned()
            .collect::<std::collections::VecDeque<_>>(),
    ));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (s, queue) = (s.clone(), queue.clone());
        workers.spawn(async move {
            let mut got = Vec::new();
            loop {
                let next = queue.lock().unwrap().pop_front();
                let Some(w) = next else { break };
                got.push((w.index, send(&s, &w, seed).await));
            }
            got
        });
    }
    let mut answers: Vec<Option<Resp>> = (0..writes.len()).map(|_| None).collect();
    while let Some(done) = workers.join_next().await {
        for (i, r) in done.expect("worker") {
            answers[i] = Some(r);
        }
    }
    answers.into_iter().map(|a| a.expect("answered")).collect()
}

/// v3's state, read from the sandbox's store.
struct V3State {
    candidates_by_marker: HashMap<String, Vec<Value>>,
    applications: Vec<Value>,
    notes_by_marker: HashMap<String, usize>,
    attachments_by_marker: HashMap<String, usize>,
    tag_rows: HashMap<(i64, i64), usize>,
    candidates: HashMap<i64, Value>,
    applications_by_id: HashMap<i64, Value>,
    rejections: HashMap<i64, usize>,
}

fn count_by<K: std::hash::Hash + Eq>(
    rows: Vec<Value>,
    key: impl Fn(&Value) -> Option<K>,
) -> HashMap<K, usize> {
    let mut m = HashMap::new();
    for r in &rows {
        if let Some(k) = key(r) {
            *m.entry(k).or_default() += 1;
        }
    }
    m
}

fn v3_state(s: &Stack) -> V3State {
    let text = |v: &Value, f: &str| v[f].as_str().map(str::to_string);
    let mut candidates_by_marker: HashMap<String, Vec<Value>> = HashMap::new();
    let mut candidates = HashMap::new();
    for c in rows(s, "candidates") {
        if let Some(m) = text(&c, "last_name") {
            candidates_by_marker.entry(m).or_default().push(c.clone());
        }
        candidates.insert(id(&c), c);
    }
    let applications = rows(s, "applications");
    V3State {
        candidates_by_marker,
        applications_by_id: applications.iter().map(|a| (id(a), a.clone())).collect(),
        applications,
        notes_by_marker: count_by(rows(s, "notes"), |n| text(n, "body")),
        attachments_by_marker: count_by(rows(s, "attachments"), |a| text(a, "filename")),
        tag_rows: count_by(rows(s, "applied_candidate_tags"), |r| {
            Some((r["candidate_id"].as_i64()?, r["candidate_tag_id"].as_i64()?))
        }),
        candidates,
        rejections: count_by(rows(s, "rejection_details"), |r| {
            r["application_id"].as_i64()
        }),
    }
}

/// The effects of a write in v3, one per v3 call that makes one: (the v3 path that makes it,
/// how many times it is there). 1 = done once, 0 = not done, more = done more than once.
fn effects(w: &Write, st: &V3State) -> Result<Vec<(&'static str, usize)>, String> {
    let one = |done: bool| usize::from(done);
    Ok(match (&w.target, w.kind) {
        (Target::Marker { marker, job }, Kind::CreateCandidate | Kind::CreateProspect) => {
            let found = st
                .candidates_by_marker
                .get(marker)
                .cloned()
                .unwrap_or_default();
            let ids: Vec<i64> = found.iter().map(id).collect();
            let apps = st
                .applications
                .iter()
                .filter(|a| ids.contains(&a["candidate_id"].as_i64().unwrap_or_default()))
                .filter(|a| job.is_none_or(|j| a["job_id"].as_i64() == Some(j)))
                .filter(|a| job.is_some() || a["prospect"] == true)
                .count();
            vec![("/v3/candidates", found.len()), ("/v3/applications", apps)]
        }
        (Target::Marker { marker, .. }, Kind::AddNote) => {
            vec![("/v3/notes", *st.notes_by_marker.get(marker).unwrap_or(&0))]
        }
        (Target::Marker { marker, .. }, _) => {
            vec![(
                "/v3/attachments",
                *st.attachments_by_marker.get(marker).unwrap_or(&0),
            )]
        }
        (Target::Tag { candidate, tag }, kind) => {
            let n = *st.tag_rows.get(&(*candidate, *tag)).unwrap_or(&0);
            if n > 1 {
                return Err(format!(
                    "tag {tag} applied {n} times to candidate {candidate}"
                ));
            }
            let done = if kind == Kind::AddTag { n == 1 } else { n == 0 };
            vec![("/v3/applied_candidate_tags", one(done))]
        }
        (Target::Title { candidate, marker }, _) => {
            let title = &st.candidates[candidate]["title"];
            vec![("/v3/candidates", one(title == marker.as_str()))]
        }
        (
            Target::Stage {
                application,
                from,
                to,
            },
            _,
        ) => {
            let stage = st.applications_by_id[application]["stage_id"].as_i64();
            if stage != Some(*from) && stage != Some(*to) {
                return Err(format!("application {application} is in stage {stage:?}"));
            }
            vec![("/v3/applications", one(stage == Some(*to)))]
        }
        (Target::Rejected { application }, _) => {
            let n = *st.rejections.get(application).unwrap_or(&0);
            if n > 1 {
                return Err(format!("application {application} has {n} rejection rows"));
            }
            let status = &st.applications_by_id[application]["status"];
            vec![("/v3/applications", one(status == "rejected"))]
        }
    })
}

/// The v3 write calls a partial answer lists, each with the effect it says v3 holds of it:
/// `Some(1)` applied (and not undone), `Some(0)` not applied or undone, `None` unknown. An undo
/// call (`undoes`) stands for the call it undoes: its own outcome decides that call's effect.
fn listed_calls(told: &Told) -> Vec<(String, Option<usize>)> {
    let Some(calls) = told.body["v3_calls"].as_array() else {
        return Vec::new();
    };
    let undo_of = |index: usize| {
        calls
            .iter()
            .find(|c| c["undoes"].as_u64() == Some(index as u64))
    };
    calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c["method"] != "GET" && c["undoes"].is_null())
        .map(|(i, c)| {
            let path = c["path"].as_str().unwrap_or_default();
            let path = path.split('?').next().unwrap_or_default().to_string();
            let effect = match c["applied"].as_bool() {
                Some(false) => Some(0),
                None => None,
                Some(true) => match undo_of(i).map(|u| u["applied"].as_bool()) {
                    None | Some(Some(false)) => Some(1),
                    Some(Some(true)) => Some(0),
                    Some(None) => None,
                },
            };
            (path, effect)
        })
        .collect()
}

/// Whether the answer told the truth about the write; `Err` says how it did not.
fn judge(w: &Write, told: &Told, fx: &[(&'static str, usize)]) -> Result<(), String> {
    if let Some((path, n)) = fx.iter().find(|(_, n)| *n > 1) {
        return Err(format!("{path} made {n} times"));
    }
    let all = fx.iter().all(|(_, n)| *n == 1);
    let none = fx.iter().all(|(_, n)| *n == 0);
    let ok = (200..300).contains(&told.status);
    match told.outcome.as_str() {
        "applied" if ok && all => Ok(()),
        "applied" => Err(format!("answered {} applied, v3 has {fx:?}", told.status)),
        _ if ok => Err(format!("a {} answer says {}", told.status, told.outcome)),
        "not_applied" if none => Ok(()),
        "not_applied" => Err(format!("answered not_applied, v3 has {fx:?}")),
        // Either way, but the calls it lists as applied (or not) must be so.
        "unknown" if told.status == 502 && told.body["outcome"] == "unknown" => {
            judge_partial(w, told, fx)
        }
        "partial" if told.status == 502 && told.body["outcome"] == "partial" => {
            judge_partial(w, told, fx)
        }
        other => Err(format!("outcome {other:?} with status {}", told.status)),
    }
}

fn judge_partial(w: &Write, told: &Told, fx: &[(&'static str, usize)]) -> Result<(), String> {
    let calls = listed_calls(told);
    if calls.is_empty() {
        return Err(format!("a {} answer lists no v3 calls", told.outcome));
    }
    for (path, said) in &calls {
        // A v3 path stands for its effect; a single-effect write's calls all stand for it.
        let effect = fx
            .iter()
            .find(|(p, _)| p == path)
            .or(if fx.len() == 1 { fx.first() } else { None })
            .ok_or_else(|| format!("{:?}: partial lists {path}, not one of {fx:?}", w.kind))?;
        if let Some(n) = said.filter(|n| *n != effect.1) {
            return Err(format!(
                "partial says {path} holds {n}, v3 has {}",
                effect.1
            ));
        }
    }
    Ok(())
}

const OUTCOMES: [&str; 4] = ["applied", "not_applied", "partial", "unknown"];

fn seed() -> u64 {
    std::env::var("HARVEST_FAULT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

/// Kinds × outcomes, and how many `unknown` writes v3 turned out to hold.
fn table(writes: &[Write], told: &[Told], unknown_held: &BTreeMap<Kind, usize>) -> String {
    let mut out = format!("{:<20}", "kind");
    for o in OUTCOMES {
        out.push_str(&format!("{o:>12}"));
    }
    out.push_str(&format!("{:>16}\n", "unknown: held"));
    let mut totals = [0usize; 4];
    for k in KINDS {
        out.push_str(&format!("{:<20}", format!("{k:?}")));
        for (i, o) in OUTCOMES.iter().enumerate() {
            let n = writes
                .iter()
                .zip(told)
                .filter(|(w, t)| w.kind == k && t.outcome == *o)
                .count();
            totals[i] += n;
            out.push_str(&format!("{n:>12}"));
        }
        out.push_str(&format!("{:>16}\n", unknown_held.get(&k).unwrap_or(&0)));
    }
    out.push_str(&format!("{:<20}", "all"));
    for n in totals {
        out.push_str(&format!("{n:>12}"));
    }
    out.push_str(&format!("{:>16}\n", unknown_held.values().sum::<usize>()));
    out
}

async fn start() -> Arc<Stack> {
    let sandbox = SandboxConfig {
        scale: 0.5,
        rate_limit: None,
        ..Default::default()
    };
    let stack = Stack::start_with(sandbox, |c| {
        c.limits.upstream_timeout = Duration::from_millis(UPSTREAM_TIMEOUT_MS);
    })
    .await;
    Arc::new(stack)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_writes_under_faults_are_each_made_once_and_answered_truly() {
    let seed = seed();
    println!("fault seed: {seed} (HARVEST_FAULT_SEED={seed} reruns it)");
    let s = start().await;
    let writes = plan(&s, seed);
    s.sandbox.faults().reseed(seed);
    s.sandbox.faults().set(fault_plan());
    let started = std::time::Instant::now();
    let answers = send_all(&s, &writes, seed).await;
    let elapsed = started.elapsed();
    let injected = s.sandbox.faults().injected();
    s.sandbox.faults().clear();
    let told: Vec<Told> = answers.iter().map(Told::of).collect();
    let st = v3_state(&s);
    let mut wrong = Vec::new();
    let mut unknown_held = BTreeMap::new();
    for (w, t) in writes.iter().zip(&told) {
        let verdict = effects(w, &st).and_then(|fx| {
            if t.outcome == "unknown" && fx.iter().all(|(_, n)| *n == 1) {
                *unknown_held.entry(w.kind).or_insert(0) += 1;
            }
            judge(w, t, &fx)
        });
        if let Err(e) = verdict {
            wrong.push(format!(
                "#{} {:?} {} {}: {e}; answer: {}",
                w.index, w.kind, w.method, w.path, t.text
            ));
        }
    }
    println!(
        "{WRITES} writes, {CONCURRENCY} at a time, in {:.1} s; faults injected: {injected}\n{}",
        elapsed.as_secs_f64(),
        table(&writes, &told, &unknown_held)
    );
    for k in KINDS {
        let first = writes
            .iter()
            .zip(&told)
            .find(|(w, t)| w.kind == k && t.outcome != "applied");
        if let Some((w, t)) = first {
            let text: String = t.text.chars().take(300).collect();
            println!(
                "e.g. {k:?} #{} {} {}: {} {text}",
                w.index, t.outcome, w.path, t.status
            );
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(
        injected >= WRITES / 25,
        "too few faults to test anything: {injected}"
    );
    // An unknown outcome comes only from a fault, and only from some: rare.
    let unknown = told.iter().filter(|t| t.outcome == "unknown").count();
    assert!(
        unknown <= injected,
        "{unknown} unknown outcomes from {injected} faults"
    );
    // Reading back decides creates, actions, updates and deletes (mappings/resources/
    // _verify.toml): seed 20261202 has 0 of 1,000 unknown; at most 1 % with any seed.
    assert!(
        unknown * 100 <= WRITES,
        "unknown must stay rare: {unknown} of {WRITES}"
    );
    replay(&s, &writes, &told, seed).await;
    match Arc::try_unwrap(s) {
        Ok(s) => s.stop().await,
        Err(_) => panic!("stack still shared"),
    }
}

/// Every write again with its Idempotency-Key, without faults: an answer stored (applied,
/// partial, unknown) is replayed without a v3 call; a write that was not applied is made
/// now, and then exists once.
async fn replay(s: &Stack, writes: &[Write], told: &[Told], seed: u64) {
    let writes_before = s.sandbox.stats().writes();
    let mut retried = Vec::new();
    for (w, t) in writes.iter().zip(told) {
        if t.outcome == "not_applied" {
            retried.push(w);
            continue;
        }
        let again = send(s, w, seed).await;
        assert_eq!(
            (
                again.status,
                again.text.as_str(),
                again.header("idempotent-replayed").as_deref()
            ),
            (t.status, t.text.as_str(), Some("true")),
            "#{} replay",
            w.index
        );
    }
    assert_eq!(
        s.sandbox.stats().writes(),
        writes_before,
        "replays called v3"
    );
    for w in &retried {
        let r = send(s, w, seed).await;
        assert_eq!(
            (r.status / 100, r.header(WRITE_OUTCOME).as_deref()),
            (2, Some("applied")),
            "#{} {:?} retried after not_applied: {}",
            w.index,
            w.kind,
            r.text
        );
    }
    let st = v3_state(s);
    for w in &retried {
        let fx = effects(w, &st).unwrap_or_else(|e| panic!("#{}: {e}", w.index));
        assert!(
            fx.iter().all(|(_, n)| *n == 1),
            "#{} {:?} retried: v3 has {fx:?}",
            w.index,
            w.kind
        );
    }
    println!(
        "replayed {} stored answers without a v3 call; {} not_applied writes retried, each made once",
        writes.len() - retried.len(),
        retried.len()
    );
}

/// An undo whose own outcome was read back stands for the call it undoes (CI once saw a
/// failed undo of `POST /v3/candidates` listed as its own path and judged it wrong).
#[test]
fn an_undo_call_stands_for_the_call_it_undoes() {
    let told = |undo_applied: Value| Told {
        status: 502,
        outcome: "partial".into(),
        text: String::new(),
        body: json!({"outcome": "partial", "v3_calls": [
            {"method": "POST", "path": "/v3/candidates", "status": 201, "applied": true},
            {"method": "POST", "path": "/v3/applications", "status": null, "applied": false},
            {"method": "DELETE", "path": "/v3/candidates/7", "status": null,
             "applied": undo_applied, "undoes": 0},
        ]}),
    };
    let effects = |t: &Told| {
        listed_calls(t)
            .into_iter()
            .map(|(_, e)| e)
            .collect::<Vec<_>>()
    };
    assert_eq!(effects(&told(json!(false))), [Some(1), Some(0)]);
    assert_eq!(effects(&told(json!(true))), [Some(0), Some(0)]);
    assert_eq!(effects(&told(Value::Null)), [None, Some(0)]);
}
