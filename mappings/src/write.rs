//! The legacy write pipeline — the write half of [`crate::serve`], on the same catalogue, views
//! and v3 abstraction as reads:
//!
//! route → the acting user (v1's `On-Behalf-Of`) → the legacy body → each declared v3 call in
//! order (its body built by a view, its path filled from the path, the body and earlier calls'
//! answers), exactly once → the v1 answer (a v1 read through the read pipeline, a view over
//! v3's answer, or a message).
//!
//! A call that fails after earlier calls succeeded answers with what was done; an unknown
//! outcome (timeout, reset, 5xx) is never retried: the record is read back to decide whether
//! the write was applied. When a later call fails definitely, the undos the mapping declares
//! for the applied calls (deleting what they created) are made in reverse order, each once,
//! and the answer says what was undone and what remains.

use serde_json::{Map, Value, json};

use crate::catalog::{Catalog, Endpoint, RouteMatch};
use crate::engine::{FetchError, Translator};
use crate::paging;
use crate::selector::Selector;
use crate::serve::{self, ReadError};
use crate::v3::{V3, V3Write, WriteCall, WriteOutcome};
use crate::verify::{self, Verdict};

/// A write declared by a mapping: its v3 calls in order and how v1's answer is built.
#[derive(Debug, Clone, PartialEq)]
pub struct WritePlan {
    pub steps: Vec<WriteStep>,
    pub answer: WriteAnswer,
    /// The top-level body fields the write takes (v1's documented fields with those of
    /// `required`, `refuse` and `one_of`); any other is dropped first, as v1 ignored it. Empty:
    /// every field is kept.
    pub fields: std::collections::BTreeSet<String>,
    /// Legacy body fields v1 required.
    pub required: Vec<String>,
    /// Legacy body fields v3 cannot take, with the reason.
    pub refuse: std::collections::BTreeMap<String, String>,
    /// Legacy body fields that take one of these values (compared as text).
    pub one_of: std::collections::BTreeMap<String, Vec<String>>,
    /// Legacy query parameters of the write, translated into the write context's `query`
    /// (every other legacy query parameter is there as sent, as text).
    pub query: std::collections::BTreeMap<String, QueryRule>,
}

/// How one legacy query parameter of a write becomes `query.<name>` of the write context.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryRule {
    /// Absent or empty → v1's 422 naming the parameter.
    pub required: bool,
    /// The value is a list separated by this text (`fields=a,b`): the context holds an array
    /// of the trimmed, non-empty items, each once.
    pub split: Option<String>,
    /// v1 values → the values v3 takes (one may become several, `full_name` → `first_name`,
    /// `last_name`); when not empty, a value it does not list is v1's 422 naming the parameter.
    pub map: std::collections::BTreeMap<String, Vec<String>>,
    /// Why an unlisted value cannot be translated (said in that 422).
    pub other: Option<String>,
}

/// The call that undoes a step's applied write (deleting what it created), made when a later
/// call of the same write fails definitely. Placeholders as in [`WriteStep::path`], plus
/// `{answer.x}`: v3's answer to the call it undoes.
#[derive(Debug, Clone, PartialEq)]
pub struct Undo {
    pub method: String,
    pub path: String,
}

/// One v3 call of a write.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteStep {
    pub method: String,
    /// The v3 path; `{name}` placeholders are filled from the path parameters, the legacy
    /// body (`{body.job_id}`), the acting user (`{on_behalf_of}`) and earlier answers
    /// (`{steps.0.id}`).
    pub path: String,
    /// Query template (placeholders as in `path`; a parameter whose only placeholder is
    /// optional, `{body.offer_id?}`, and has no value is left out); a `GET` step is a lookup:
    /// its first row becomes `steps.N` for later calls (none → 404, as v1 answered for a
    /// missing record).
    pub query: std::collections::BTreeMap<String, String>,
    /// The view that turns the legacy body (with `_request`: path, acting user, earlier
    /// answers) into the v3 body; None sends no body.
    pub body: Option<String>,
    /// Run only when this legacy body field is present and not null (a dotted name is a place
    /// in the write context: `steps.0.0`, `body.user.email`).
    pub when: Option<String>,
    /// Run only when this place (as in `when`) has no value or null.
    pub unless: Option<String>,
    /// Run once per item of this legacy body list, or of the list at a dotted place of the
    /// context (`steps.1`: an earlier call's answers). The item is the body view's record
    /// (beside `_request`; a non-object item is `_request.item`) and `{item.x}` in
    /// placeholders; a lookup looks each item up. The step's answers are a list.
    pub each: Option<String>,
    /// For `each`: only the items among the values this query finds in the write's context
    /// (`$.steps[1][*].id`: the ids a lookup found), each once; the others are skipped.
    pub among: Option<Selector>,
    /// A lookup that keeps every row of every page (a list, maybe empty: no 404).
    pub all: bool,
    /// How to undo this call once applied, if a later call of the write fails definitely.
    pub undo: Option<Undo>,
}

/// How v1's answer to a write is built.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteAnswer {
    /// The v1 read at this path (placeholders as in [`WriteStep::path`]) through the read
    /// pipeline, as the read user: the v1 object exactly as a read returns it.
    Read { path: String, status: u16 },
    /// v3's answer to step `step` (for an `each` step, `{"records": [...]}`), with
    /// `_request` beside it as body views have it, through a view.
    View {
        step: usize,
        view: String,
        status: u16,
    },
    /// `{key: …}` (placeholders as in [`WriteStep::path`]); the key is `message` unless the
    /// mapping names another (v1 answered some deletes with `success`).
    Message {
        text: String,
        key: String,
        status: u16,
    },
}

/// A legacy write request.
#[derive(Debug, Clone, Copy)]
pub struct LegacyWrite<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    /// The request body as sent (empty when none).
    pub body: &'a [u8],
    /// The `On-Behalf-Of` header, as sent.
    pub on_behalf_of: Option<&'a str>,
}

/// A served write.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteDone {
    pub status: u16,
    pub body: Value,
    /// Every v3 call made, in order, with what became of it.
    pub calls: Vec<CallRecord>,
}

/// One v3 call of a write, as made.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    pub method: String,
    pub target: String,
    pub body: Option<Value>,
    /// v3's status, when it answered.
    pub status: Option<u16>,
    /// Applied (true), not applied (false), or unknown (None).
    pub applied: Option<bool>,
    /// The id of the record v3 answered (what a create created).
    pub id: Option<Value>,
    /// For an applied call with a declared undo, after a later failure: undone (true), or the
    /// undo failed or its outcome is unknown (false). None: no undo was run.
    pub undone: Option<bool>,
    /// For an undo call: the index of the call it undoes.
    pub undoes: Option<usize>,
}

/// Whether a failed write changed anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing was changed in v3.
    NotApplied,
    /// Some calls were applied before one failed (listed in `done`).
    Partial,
    /// v3 may or may not have applied the write; reading it back could not tell.
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NotApplied => "not_applied",
            Outcome::Partial => "partial",
            Outcome::Unknown => "unknown",
        }
    }
}

/// Why a legacy write has no (successful) answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WriteError {
    /// Routing, refusal, or the v1 read that builds the answer.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// v1 required `On-Behalf-Of` on every write.
    #[error("{0}")]
    ActingUser(String),
    /// The body is not the JSON object v1 took.
    #[error("{0}")]
    BadBody(String),
    /// A body field v1 required is missing, or a value is not what v1 took (v1's 422).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A v3 call was refused (4xx), or failed with an outcome reading back could not decide.
    #[error("{message}")]
    Failed {
        outcome: Outcome,
        message: String,
        /// v3's refusal, when v3 answered one.
        upstream: Option<Box<FetchError>>,
        calls: Vec<CallRecord>,
    },
}

/// Serves a legacy write.
pub async fn write(
    catalog: &Catalog,
    req: &LegacyWrite<'_>,
    v3: &dyn V3Write,
) -> Result<WriteDone, WriteError> {
    let m = serve::route(catalog, req.method, req.path)?;
    let ep = m.endpoint;
    let Some(plan) = &ep.write else {
        // Not declared as a write the proxy serves: the read pipeline's refusal (501).
        return Err(serve::read_matched(catalog, &m, req.query, v3)
            .await
            .err()
            .unwrap_or(ReadError::Mapping {
                route: ep.route().to_string(),
                message: "no write plan".into(),
            })
            .into());
    };
    // A path id that is not an id names no record: v1's 404, before any v3 call.
    crate::query::path_ids(&m.params).map_err(|e| WriteError::Read(e.into()))?;
    let acting = acting_user(req.on_behalf_of)?;
    let body = known_fields(plan, legacy_body(req.body)?);
    check_body(plan, &body)?;
    let query = legacy_query(plan, req.query)?;
    let mut ctx = context(&m, &body, acting);
    if let Value::Object(c) = &mut ctx {
        c.insert("query".into(), query);
    }
    let mut run = Run {
        catalog,
        ep,
        v3,
        ctx,
        calls: Vec::new(),
        answers: Vec::new(),
        undos: Vec::new(),
    };
    for step in &plan.steps {
        if let Err(e) = run.step(step, &body).await {
            return Err(run.undo(e).await);
        }
    }
    run.answer(&plan.answer, &m).await
}

/// The body without the top-level fields the write does not take (v1 ignored them; v3 would
/// refuse them with a 422 that v1 never gave).
fn known_fields(plan: &WritePlan, mut body: Value) -> Value {
    if let (Value::Object(m), false) = (&mut body, plan.fields.is_empty()) {
        m.retain(|k, _| plan.fields.contains(k));
    }
    body
}

/// The write context's `query`: every legacy query parameter as text (the last of a repeated
/// one), those the plan declares translated by their rule (split, mapped, required).
fn legacy_query(plan: &WritePlan, pairs: &[(String, String)]) -> Result<Value, WriteError> {
    let mut out = Map::new();
    for (k, v) in pairs {
        out.insert(k.clone(), Value::String(v.clone()));
    }
    for (name, rule) in &plan.query {
        let raw = out
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        if raw.is_empty() {
            if rule.required {
                return Err(WriteError::Invalid {
                    field: name.clone(),
                    message: "is required".into(),
                });
            }
            out.shift_remove(name);
            continue;
        }
        let items: Vec<&str> = match &rule.split {
            Some(sep) => raw
                .split(sep.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect(),
            None => vec![raw.as_str()],
        };
        let mut values: Vec<String> = Vec::new();
        for item in items {
            let mapped = if rule.map.is_empty() {
                vec![item.to_string()]
            } else {
                rule.map
                    .get(item)
                    .cloned()
                    .ok_or_else(|| unmapped(name, item, rule))?
            };
            for v in mapped {
                if !values.contains(&v) {
                    values.push(v);
                }
            }
        }
        if values.is_empty() && rule.required {
            // `fields=,`: a list of nothing is not what v1 required.
            return Err(WriteError::Invalid {
                field: name.clone(),
                message: "is required".into(),
            });
        }
        let value = match &rule.split {
            Some(_) => Value::Array(values.into_iter().map(Value::String).collect()),
            None => values.into_iter().next().map_or(Value::Null, Value::String),
        };
        out.insert(name.clone(), value);
    }
    Ok(Value::Object(out))
}

/// v1's 422 for a query value the rule's map does not list.
fn unmapped(name: &str, item: &str, rule: &QueryRule) -> WriteError {
    let known: Vec<&str> = rule.map.keys().map(String::as_str).collect();
    let why = rule
        .other
        .as_deref()
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    WriteError::Invalid {
        field: name.to_string(),
        message: format!(
            "`{item}` cannot be translated to Harvest v3{why}; accepted: {}",
            known.join(", ")
        ),
    }
}

/// v1's checks of the legacy body, before anything is sent: a required field that is
/// missing (absent or null), a field v3 cannot take that was sent (not null, not false), a
/// value outside its closed set (not null). `a[].b` is field `b` of every item of list `a`.
fn check_body(plan: &WritePlan, body: &Value) -> Result<(), WriteError> {
    let values = |f: &str| {
        let mut out = Vec::new();
        body_values(body, f, &mut out);
        out
    };
    let missing = |f: &str| values(f).iter().any(|v| v.is_none_or(Value::is_null));
    for entry in &plan.required {
        // `a|b|c`: at least one of them (v1's user named by id, e-mail or employee id).
        let alternatives: Vec<&str> = entry.split('|').collect();
        if !alternatives.iter().all(|f| missing(f)) {
            continue;
        }
        if alternatives.len() == 1 {
            return Err(WriteError::Invalid {
                field: entry.clone(),
                message: "is required".into(),
            });
        }
        let top = |f: &str| f.split(['.', '[']).next().unwrap_or(f).to_string();
        let first = top(alternatives[0]);
        let shared = alternatives.iter().all(|f| top(f) == first);
        return Err(WriteError::Invalid {
            field: if shared {
                first
            } else {
                alternatives[0].to_string()
            },
            message: format!("requires one of: {}", alternatives.join(", ")),
        });
    }
    let sent = |v: &Option<&Value>| v.is_some_and(|v| !v.is_null() && v != &Value::Bool(false));
    if let Some((field, why)) = plan.refuse.iter().find(|(f, _)| values(f).iter().any(sent)) {
        return Err(WriteError::Invalid {
            field: field.clone(),
            message: format!("cannot be written through Harvest v3: {why}"),
        });
    }
    let outside = |allowed: &[String], v: &Option<&Value>| {
        v.is_some_and(|v| !v.is_null() && !allowed.contains(&text(v)))
    };
    if let Some((field, allowed)) = plan
        .one_of
        .iter()
        .find(|(f, allowed)| values(f).iter().any(|v| outside(allowed, v)))
    {
        return Err(WriteError::Invalid {
            field: field.clone(),
            message: format!("must be one of: {}", allowed.join(", ")),
        });
    }
    Ok(())
}

/// The values of body field `path` (`a`, `a.b` in an object, or `a[].b`: `b` of every item of
/// list `a`, at any depth); None where absent. A list that is absent or not a list has no
/// items.
fn body_values<'a>(v: &'a Value, path: &str, out: &mut Vec<Option<&'a Value>>) {
    let get = |v: &'a Value, dotted: &str| {
        dotted
            .split('.')
            .try_fold(v, |v, key| v.get(key).filter(|_| v.is_object()))
    };
    match path.split_once("[].") {
        None => out.push(get(v, path)),
        Some((list, rest)) => {
            if let Some(Value::Array(items)) = get(v, list) {
                for item in items {
                    body_values(item, rest, out);
                }
            }
        }
    }
}

/// A value as text: a string as it is, anything else as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The acting user of a write: v1's `On-Behalf-Of`, a user id.
fn acting_user(header: Option<&str>) -> Result<u64, WriteError> {
    let Some(v) = header.map(str::trim).filter(|v| !v.is_empty()) else {
        return Err(WriteError::ActingUser(
            "Missing On-Behalf-Of header: writes must name the Greenhouse user they act as".into(),
        ));
    };
    match v.parse::<u64>() {
        Ok(id) if id > 0 && id <= i64::MAX as u64 => Ok(id),
        _ => Err(WriteError::ActingUser(format!(
            "On-Behalf-Of must be a Greenhouse user id, not `{v}`"
        ))),
    }
}

/// The legacy body: a JSON object (an empty body is an empty object).
fn legacy_body(bytes: &[u8]) -> Result<Value, WriteError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(WriteError::BadBody(
            "The request body must be a JSON object".into(),
        )),
        Err(e) => Err(WriteError::BadBody(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

/// What placeholders and body views may read: path parameters (also at the top level),
/// the legacy body, the acting user and, as they come, the v3 answers.
fn context(m: &RouteMatch<'_>, body: &Value, acting: u64) -> Value {
    let mut ctx = Map::new();
    let path: Map<String, Value> = m
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    for (k, v) in &path {
        ctx.insert(k.clone(), v.clone());
    }
    ctx.insert("path".into(), Value::Object(path));
    ctx.insert("body".into(), body.clone());
    ctx.insert("on_behalf_of".into(), json!(acting));
    ctx.insert("steps".into(), Value::Array(Vec::new()));
    Value::Object(ctx)
}

/// Fills `{a.b.0}` placeholders from the context (strings as they are, other values as JSON).
/// `{a.length}` is the number of items of list `a`; `{a|b}` is the first of `a` and `b` that
/// has a value; `{a?}` is empty when `a` has no value (any other placeholder without a value
/// is an error).
pub fn fill(tmpl: &str, ctx: &Value) -> Result<String, String> {
    let mut out = String::with_capacity(tmpl.len());
    let mut rest = tmpl;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            return Err(format!("unclosed placeholder in `{tmpl}`"));
        };
        let name = &rest[start + 1..start + len];
        let (name, optional) = match name.strip_suffix('?') {
            Some(n) => (n, true),
            None => (name, false),
        };
        // `{a|b}`: the first of the places that has a value.
        let value = name.split('|').find_map(|name| {
            let length = name
                .strip_suffix(".length")
                .and_then(|list| place(ctx, list))
                .and_then(|v| v.as_array().map(|a| Value::from(a.len())));
            length.or_else(|| place(ctx, name).cloned())
        });
        match value {
            Some(v) => out.push_str(&text(&v)),
            None if optional => {}
            None => return Err(format!("`{name}` has no value")),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The value at a dotted place of the context (`steps.0.id`; list items by index), if not
/// null.
fn place<'a>(ctx: &'a Value, name: &str) -> Option<&'a Value> {
    name.split('.')
        .try_fold(ctx, |v, key| match v {
            Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => v.get(key),
        })
        .filter(|v| !v.is_null())
}

/// One write in progress.
struct Run<'a> {
    catalog: &'a Catalog,
    ep: &'a Endpoint,
    v3: &'a dyn V3Write,
    ctx: Value,
    calls: Vec<CallRecord>,
    /// v3's answer to each step (Null for a 204 or a skipped step).
    answers: Vec<Value>,
    /// The undo of each applied call that declares one (the index of the call in `calls`),
    /// filled when the call was applied; Err says why it cannot be made.
    undos: Vec<(usize, Result<WriteCall, String>)>,
}

impl Run<'_> {
    /// The value a step's `when`, `unless` or `each` names: a top-level legacy body field, or
    /// (a dotted name) a place of the write context; None when absent or null.
    fn named<'b>(&'b self, name: &str, body: &'b Value) -> Option<&'b Value> {
        if name.contains('.') {
            place(&self.ctx, name)
        } else {
            body.get(name).filter(|v| !v.is_null())
        }
    }

    async fn step(&mut self, step: &WriteStep, body: &Value) -> Result<(), WriteError> {
        let skip = match (&step.when, &step.unless) {
            (Some(f), _) => self.named(f, body).is_none(),
            (None, Some(f)) => self.named(f, body).is_some(),
            (None, None) => false,
        };
        if skip {
            self.push_answer(Value::Null);
            return Ok(());
        }
        let Some(list) = &step.each else {
            let answer = self.call_or_lookup(step, body).await?;
            self.push_answer(answer);
            return Ok(());
        };
        // Once per item of a list (`{item.x}` in the path, the item as the view's record).
        let items = self.items(step, list, body)?;
        let mut answers = Vec::with_capacity(items.len());
        for item in items {
            if let Value::Object(ctx) = &mut self.ctx {
                ctx.insert("item".into(), item.clone());
            }
            answers.push(unwrap_answer(self.call_or_lookup(step, &item).await?));
        }
        if let Value::Object(ctx) = &mut self.ctx {
            ctx.shift_remove("item");
        }
        self.push_answer(Value::Array(answers));
        Ok(())
    }

    /// The items of an `each` step: the list `each` names (a body field, or a dotted place
    /// of the context), kept to those `among` finds (each once).
    fn items(&self, step: &WriteStep, list: &str, body: &Value) -> Result<Vec<Value>, WriteError> {
        let mut items = match self.named(list, body) {
            Some(Value::Array(items)) => items.clone(),
            None => Vec::new(),
            Some(_) => {
                return Err(WriteError::Invalid {
                    field: list.to_string(),
                    message: "must be a list".into(),
                });
            }
        };
        if let Some(among) = &step.among {
            let found: Vec<String> = among.query(&self.ctx).into_iter().map(text).collect();
            let mut seen = Vec::new();
            items.retain(|item| {
                let t = text(item);
                let keep = found.contains(&t) && !seen.contains(&t);
                if keep {
                    seen.push(t);
                }
                keep
            });
        }
        Ok(items)
    }

    /// One call of a step: a lookup for a `GET`, else a write.
    async fn call_or_lookup(
        &mut self,
        step: &WriteStep,
        record: &Value,
    ) -> Result<Value, WriteError> {
        if step.method == "GET" {
            self.lookup(step).await
        } else {
            self.call_once(step, record).await
        }
    }

    /// One v3 write, once; its answer (Null for a 204). After an unknown outcome the record
    /// is read back; a write that cannot be shown applied is a failure that says so.
    async fn call_once(&mut self, step: &WriteStep, record: &Value) -> Result<Value, WriteError> {
        let target = fill(&step.path, &self.ctx).map_err(|e| self.bad_mapping(&e))?;
        let v3_body = match &step.body {
            Some(view) => Some(self.body(view, record).await.map_err(|e| self.later(e))?),
            None => None,
        };
        let call = WriteCall {
            method: step.method.clone(),
            target: target.clone(),
            body: v3_body.clone(),
            acting_user: self.ctx["on_behalf_of"].as_u64().unwrap_or(0),
        };
        let started = std::time::SystemTime::now();
        let outcome = self.v3.write(&call).await;
        let mut rec = CallRecord {
            method: call.method.clone(),
            target,
            body: v3_body,
            status: None,
            applied: None,
            id: None,
            undone: None,
            undoes: None,
        };
        let result = match outcome {
            WriteOutcome::Applied { status, body } => {
                rec.status = Some(status);
                rec.applied = Some(true);
                let body = body.unwrap_or(Value::Null);
                rec.id = unwrap_answer(body.clone())
                    .get("id")
                    .filter(|id| !id.is_null())
                    .cloned();
                Ok(body)
            }
            WriteOutcome::Refused(e) => {
                rec.status = Some(e.status).filter(|s| *s > 0);
                rec.applied = Some(false);
                Err((Outcome::NotApplied, e.to_string(), Some(e)))
            }
            WriteOutcome::Unknown { reason } => match self.read_back(&call, started).await {
                Verdict::Applied(found) => {
                    rec.applied = Some(true);
                    rec.id = found
                        .as_ref()
                        .and_then(|f| f.get("id"))
                        .filter(|id| !id.is_null())
                        .cloned();
                    Ok(found.unwrap_or(Value::Null))
                }
                Verdict::NotApplied => {
                    rec.applied = Some(false);
                    let message = format!("{reason}; read back: not applied");
                    Err((Outcome::NotApplied, message, None))
                }
                Verdict::Unknown(why) => Err((
                    Outcome::Unknown,
                    format!("{reason}; read back: {why}"),
                    None,
                )),
            },
        };
        let applied = rec.applied == Some(true);
        self.calls.push(rec);
        if let (Some(undo), true) = (&step.undo, applied) {
            let answer = result.as_ref().map(|a| unwrap_answer(a.clone())).ok();
            let planned = self.undo_call(undo, answer.unwrap_or(Value::Null));
            self.undos.push((self.calls.len() - 1, planned));
        }
        result.map_err(|(outcome, message, upstream)| self.failed(outcome, message, upstream))
    }

    /// The undo of an applied call, filled now (the context as the call saw it, and
    /// `answer`: v3's answer to it).
    fn undo_call(&self, undo: &Undo, answer: Value) -> Result<WriteCall, String> {
        let mut ctx = self.ctx.clone();
        if let Value::Object(c) = &mut ctx {
            c.insert("answer".into(), answer);
        }
        Ok(WriteCall {
            method: undo.method.clone(),
            target: fill(&undo.path, &ctx)?,
            body: None,
            acting_user: self.ctx["on_behalf_of"].as_u64().unwrap_or(0),
        })
    }

    /// A `GET` step: the first row of a v3 list (read as the read user; none → 404, as v1
    /// answered for a missing record), or with `all` every row of every page.
    async fn lookup(&mut self, step: &WriteStep) -> Result<Value, WriteError> {
        let path = fill(&step.path, &self.ctx).map_err(|e| self.bad_mapping(&e))?;
        let mut q = Vec::with_capacity(step.query.len());
        for (k, v) in &step.query {
            let value = fill(v, &self.ctx).map_err(|e| self.bad_mapping(&e))?;
            // An optional placeholder without a value leaves its parameter out.
            if !(value.is_empty() && v.contains("?}")) {
                q.push((k.clone(), value));
            }
        }
        let fetch: &dyn V3 = self.v3;
        let upstream = |run: &Self, e: FetchError| {
            run.later(run.failed(Outcome::NotApplied, e.to_string(), Some(e)))
        };
        if step.all {
            let rows = paging::all(fetch, &path, &q)
                .await
                .map_err(|e| upstream(self, e))?;
            return Ok(Value::Array(rows));
        }
        let page = fetch
            .page(&paging::target(&path, &q), true)
            .await
            .map_err(|e| upstream(self, e))?;
        match page.rows.into_iter().next() {
            Some(row) => Ok(row),
            None => Err(self.later(WriteError::Read(ReadError::NotFound))),
        }
    }

    fn push_answer(&mut self, v: Value) {
        let answer = unwrap_answer(v);
        self.answers.push(answer.clone());
        if let Some(Value::Array(steps)) = self.ctx.get_mut("steps") {
            steps.push(answer);
        }
    }

    /// The v3 body from the legacy body through a view (with `_request` to read from).
    async fn body(&self, view: &str, body: &Value) -> Result<Value, WriteError> {
        // A non-object item (an id of a list) is `_request.item`.
        let mut record = if body.is_object() {
            body.clone()
        } else {
            json!({})
        };
        if let Value::Object(m) = &mut record {
            m.insert("_request".into(), self.ctx.clone());
        }
        let fetch: &dyn V3 = self.v3;
        let out = Translator::new(self.catalog)
            .translate(view, vec![record], fetch)
            .await
            .map_err(|e| WriteError::BadBody(e.to_string()))?;
        let mut v = out.into_iter().next().unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.shift_remove("_request");
        }
        Ok(v)
    }

    /// After an unknown outcome: does v3 now hold what the call asked for? Decided by the
    /// call's rule in `resources/_verify.toml` ([`crate::verify`]); an applied create gives
    /// the record it made, so the write goes on as if v3 had answered.
    /// Applied on the first read, or not applied on two: v3's reads may lag its writes, so a
    /// first "not applied" is read again after [`V3Write::settle`] (whatever the second read
    /// says is the verdict).
    async fn read_back(&self, call: &WriteCall, started: std::time::SystemTime) -> Verdict {
        let fetch: &dyn V3 = self.v3;
        let rules = self.catalog.verify();
        let first = verify::read_back(rules, fetch, call, started).await;
        if first != Verdict::NotApplied {
            return first;
        }
        self.v3.settle().await;
        verify::read_back(rules, fetch, call, started).await
    }

    async fn answer(
        self,
        answer: &WriteAnswer,
        m: &RouteMatch<'_>,
    ) -> Result<WriteDone, WriteError> {
        let (status, body) = match answer {
            WriteAnswer::Message { text, key, status } => {
                let text = fill(text, &self.ctx).map_err(|e| self.bad_mapping(&e))?;
                let mut obj = Map::new();
                obj.insert(key.clone(), Value::String(text));
                (*status, Value::Object(obj))
            }
            WriteAnswer::View { step, view, status } => {
                let v3 = self.answers.get(*step).cloned().unwrap_or(Value::Null);
                let fetch: &dyn V3 = self.v3;
                let out = Translator::new(self.catalog)
                    .translate(view, vec![self.answer_record(v3)], fetch)
                    .await
                    .map_err(|e| self.after_applied(e.to_string()))?;
                let mut v = out.into_iter().next().unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.shift_remove("_request");
                }
                (*status, v)
            }
            WriteAnswer::Read { path, status } => {
                let path = fill(path, &self.ctx).map_err(|e| self.bad_mapping(&e))?;
                let read = serve::route(self.catalog, "GET", &path)?;
                let fetch: &dyn V3 = self.v3;
                let a = serve::read_matched(self.catalog, &read, &[], fetch)
                    .await
                    .map_err(|e| self.after_applied(format!("reading {path} back: {e}")))?;
                let body = a.json().map_err(|e| self.after_applied(e.to_string()))?;
                (*status, body)
            }
        };
        let _ = m;
        Ok(WriteDone {
            status,
            body,
            calls: self.calls,
        })
    }

    /// What an answer view receives: v3's answer (a list, an `each` step's or an `all`
    /// lookup's, as `{"records": [...]}`; none, a 204 or a skipped step, as `{}`) with
    /// `_request` beside it, as body views have it.
    fn answer_record(&self, v3: Value) -> Value {
        let mut record = match v3 {
            Value::Array(records) => json!({ "records": records }),
            Value::Null => json!({}),
            other => other,
        };
        if let Value::Object(m) = &mut record {
            m.insert("_request".into(), self.ctx.clone());
        }
        record
    }

    /// A problem found before a call is made: after an earlier call was applied, the write is
    /// partial (the client must know what was done), else nothing changed. A lookup that found
    /// nothing keeps its 404 (v1's answer once the earlier calls are undone).
    fn later(&self, e: WriteError) -> WriteError {
        if !self.calls.iter().any(|c| c.applied == Some(true)) {
            return e;
        }
        let upstream = match &e {
            WriteError::Read(ReadError::NotFound) => Some(Box::new(FetchError {
                status: 404,
                message: "Resource not found".into(),
                body: None,
                retry_after: None,
                timeout: false,
            })),
            WriteError::Read(ReadError::Upstream(f)) => Some(Box::new(f.clone())),
            _ => None,
        };
        WriteError::Failed {
            outcome: Outcome::Partial,
            message: format!(
                "{}: a later v3 call could not be made: {e}",
                self.ep.route()
            ),
            upstream,
            calls: self.calls.clone(),
        }
    }

    /// After a definite failure of a later call (`partial`: the failing call was not applied,
    /// earlier ones were): the declared undos of the applied calls, in reverse order, each
    /// once (an unknown outcome is read back, never retried). Everything applied undone →
    /// `not_applied`, with v1's error for the cause; else `partial`. The message and the call
    /// records say what was undone and what remains.
    async fn undo(mut self, e: WriteError) -> WriteError {
        let WriteError::Failed {
            outcome: Outcome::Partial,
            message,
            upstream,
            ..
        } = e
        else {
            return e;
        };
        let undos = std::mem::take(&mut self.undos);
        if undos.is_empty() {
            return WriteError::Failed {
                outcome: Outcome::Partial,
                message,
                upstream,
                calls: self.calls,
            };
        }
        let mut problems = Vec::new();
        for (index, planned) in undos.into_iter().rev() {
            let call = match planned {
                Ok(call) => call,
                Err(why) => {
                    self.calls[index].undone = Some(false);
                    problems.push(format!("{}: {why}", describe(&self.calls[index])));
                    continue;
                }
            };
            let started = std::time::SystemTime::now();
            let (status, applied) = match self.v3.write(&call).await {
                WriteOutcome::Applied { status, .. } => (Some(status), Some(true)),
                WriteOutcome::Refused(e) => (Some(e.status).filter(|s| *s > 0), Some(false)),
                // Read back, never repeated: a DELETE whose record is gone was applied.
                WriteOutcome::Unknown { .. } => match self.read_back(&call, started).await {
                    Verdict::Applied(_) => (None, Some(true)),
                    Verdict::NotApplied => (None, Some(false)),
                    Verdict::Unknown(_) => (None, None),
                },
            };
            self.calls[index].undone = Some(applied == Some(true));
            self.calls.push(CallRecord {
                method: call.method,
                target: call.target,
                body: None,
                status,
                applied,
                id: None,
                undone: None,
                undoes: Some(index),
            });
        }
        let listed = |keep: &dyn Fn(&CallRecord) -> bool| {
            let l: Vec<String> = self
                .calls
                .iter()
                .filter(|c| keep(c))
                .map(describe)
                .collect();
            if l.is_empty() {
                "nothing".to_string()
            } else {
                l.join(", ")
            }
        };
        let undone = listed(&|c| c.undone == Some(true));
        let remains = |c: &CallRecord| {
            c.applied == Some(true) && c.undoes.is_none() && c.undone != Some(true)
        };
        let complete = !self.calls.iter().any(remains);
        let mut message = format!("{message}; undone: {undone}");
        if !complete {
            message.push_str(&format!("; remains: {}", listed(&remains)));
        }
        if !problems.is_empty() {
            message.push_str(&format!(" (could not be undone: {})", problems.join("; ")));
        }
        WriteError::Failed {
            outcome: if complete {
                Outcome::NotApplied
            } else {
                Outcome::Partial
            },
            message,
            upstream,
            calls: self.calls,
        }
    }

    /// The write was applied but its v1 answer could not be built.
    fn after_applied(&self, message: String) -> WriteError {
        WriteError::Failed {
            outcome: Outcome::Partial,
            message: format!(
                "{}: the write was applied, but its v1 answer could not be built: {message}",
                self.ep.route()
            ),
            upstream: None,
            calls: self.calls.clone(),
        }
    }

    fn bad_mapping(&self, message: &str) -> WriteError {
        if self.calls.iter().any(|c| c.applied != Some(false)) {
            return self.after_applied(message.to_string());
        }
        WriteError::Read(ReadError::Mapping {
            route: self.ep.route().to_string(),
            message: message.to_string(),
        })
    }

    /// A failed call: nothing changed if it was the first (or every earlier one was skipped).
    fn failed(
        &self,
        outcome: Outcome,
        message: String,
        upstream: Option<FetchError>,
    ) -> WriteError {
        let earlier_applied = self.calls[..self.calls.len().saturating_sub(1)]
            .iter()
            .any(|c| c.applied == Some(true));
        let outcome = match outcome {
            Outcome::NotApplied if earlier_applied => Outcome::Partial,
            o => o,
        };
        WriteError::Failed {
            outcome,
            message: format!("{}: {message}", self.ep.route()),
            upstream: upstream.map(Box::new),
            calls: self.calls.clone(),
        }
    }
}

/// A call as the client is told of it: `POST /v3/applications (id 12)`.
pub fn describe(c: &CallRecord) -> String {
    let path = c.target.split('?').next().unwrap_or_default();
    match &c.id {
        Some(id) => format!("{} {path} (id {})", c.method, text(id)),
        None => format!("{} {path}", c.method),
    }
}

/// `POST /v3/candidates` may answer `{candidate, application}`: the record is the first.
fn unwrap_answer(v: Value) -> Value {
    match v {
        Value::Object(m)
            if m.len() <= 2 && m.contains_key("candidate") && !m.contains_key("id") =>
        {
            m.get("candidate").cloned().unwrap_or(Value::Null)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan of no steps answering v1's message; tests set the rules they check.
    fn message_plan() -> WritePlan {
        WritePlan {
            steps: Vec::new(),
            answer: WriteAnswer::Message {
                text: "done".into(),
                key: "message".into(),
                status: 200,
            },
            fields: Default::default(),
            required: Vec::new(),
            refuse: Default::default(),
            one_of: Default::default(),
            query: Default::default(),
        }
    }

    #[test]
    fn placeholders_fill_from_the_context() {
        let ctx =
            json!({"id": "12", "body": {"job_id": 7}, "steps": [{"id": 99}], "on_behalf_of": 5});
        assert_eq!(
            fill("/v3/applications/{id}/move", &ctx).unwrap(),
            "/v3/applications/12/move"
        );
        assert_eq!(
            fill("{steps.0.id}-{body.job_id}-{on_behalf_of}", &ctx).unwrap(),
            "99-7-5"
        );
        assert!(fill("{body.nothing}", &ctx).is_err());
        assert!(fill("{id", &ctx).is_err());
    }

    #[test]
    fn placeholders_count_lists_and_may_be_optional() {
        let ctx = json!({"body": {"ids": [4, 5, 6], "none": null}, "steps": [[{"id": 1}]]});
        assert_eq!(fill("{body.ids.length} ids", &ctx).unwrap(), "3 ids");
        assert_eq!(fill("{steps.0.length}", &ctx).unwrap(), "1");
        assert_eq!(fill("{steps.0.0.id}", &ctx).unwrap(), "1");
        assert_eq!(fill("[{body.offer_id?}]", &ctx).unwrap(), "[]");
        assert_eq!(fill("{body.none?}", &ctx).unwrap(), "");
        assert!(fill("{body.offer_id}", &ctx).is_err());
        assert!(fill("{body.none.length}", &ctx).is_err());
    }

    #[test]
    fn required_and_refused_fields_reach_into_lists() {
        let plan = |required: &[&str], refuse: &[&str]| WritePlan {
            required: required.iter().map(|s| s.to_string()).collect(),
            refuse: refuse
                .iter()
                .map(|s| (s.to_string(), "why".into()))
                .collect(),
            ..message_plan()
        };
        let body = json!({"options": [{"name": "A", "flag": false}, {"name": null, "flag": true}]});
        let field = |r: Result<(), WriteError>| match r {
            Err(WriteError::Invalid { field, .. }) => Some(field),
            _ => None,
        };
        assert_eq!(field(check_body(&plan(&["options"], &[]), &body)), None);
        assert_eq!(
            field(check_body(&plan(&["options[].name"], &[]), &body)).as_deref(),
            Some("options[].name")
        );
        // An absent list has no items to check; the list itself is required on its own.
        assert_eq!(
            field(check_body(&plan(&["other[].name"], &[]), &body)),
            None
        );
        assert_eq!(
            field(check_body(&plan(&["other"], &[]), &body)).as_deref(),
            Some("other")
        );
        // Refused when sent: not null and not false.
        assert_eq!(
            field(check_body(&plan(&[], &["options[].flag"]), &body)).as_deref(),
            Some("options[].flag")
        );
        let off = json!({"flag": false, "options": [{"flag": null}]});
        assert_eq!(
            field(check_body(&plan(&[], &["flag", "options[].flag"]), &off)),
            None
        );
    }

    #[test]
    fn acting_user_is_a_user_id() {
        assert_eq!(acting_user(Some(" 42 ")).unwrap(), 42);
        for bad in [
            None,
            Some(""),
            Some("abc"),
            Some("0"),
            Some("-3"),
            Some("99999999999999999999"),
        ] {
            assert!(
                matches!(acting_user(bad), Err(WriteError::ActingUser(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bodies_are_json_objects() {
        assert_eq!(legacy_body(b"").unwrap(), json!({}));
        assert_eq!(legacy_body(b" {\"a\":1} ").unwrap(), json!({"a": 1}));
        assert!(legacy_body(b"[1]").is_err());
        assert!(legacy_body(b"{nope").is_err());
    }

    #[test]
    fn bodies_are_checked_before_anything_is_sent() {
        let plan = WritePlan {
            required: vec!["name".into()],
            refuse: [("location".to_string(), "no".to_string())].into(),
            one_of: [
                ("status".to_string(), vec!["open".into(), "closed".into()]),
                ("items[].kind".to_string(), vec!["a".into()]),
            ]
            .into(),
            ..message_plan()
        };
        let field = |b: Value| match check_body(&plan, &b) {
            Err(WriteError::Invalid { field, message }) => Some(format!("{field} {message}")),
            _ => None,
        };
        assert_eq!(field(json!({"name": "x"})), None);
        assert_eq!(field(json!({"name": "x", "status": "closed"})), None);
        assert_eq!(field(json!({"name": "x", "status": null})), None);
        assert_eq!(
            field(json!({"status": "open"})).unwrap(),
            "name is required"
        );
        assert_eq!(
            field(json!({"name": "x", "location": "y"})).unwrap(),
            "location cannot be written through Harvest v3: no"
        );
        assert_eq!(
            field(json!({"name": "x", "status": "shut"})).unwrap(),
            "status must be one of: open, closed"
        );
        assert_eq!(
            field(json!({"name": "x", "status": true})).unwrap(),
            "status must be one of: open, closed"
        );
        // Closed sets reach into lists as `required` and `refuse` do.
        assert_eq!(
            field(json!({"name": "x", "items": [{"kind": "a"}, {"kind": null}, {}]})),
            None
        );
        assert_eq!(
            field(json!({"name": "x", "items": [{"kind": "a"}, {"kind": "b"}]})).unwrap(),
            "items[].kind must be one of: a"
        );
    }

    #[test]
    fn placeholder_alternatives_take_the_first_with_a_value() {
        let ctx = json!({"steps": [null, {"id": 7}, {"user_id": 9}]});
        assert_eq!(fill("{steps.0.id|steps.1.id}", &ctx).unwrap(), "7");
        assert_eq!(fill("{steps.0.id|steps.2.user_id}", &ctx).unwrap(), "9");
        assert_eq!(fill("{steps.0.id|steps.9.id?}", &ctx).unwrap(), "");
        assert!(fill("{steps.0.id|steps.9.id}", &ctx).is_err());
    }

    #[test]
    fn required_alternatives_and_nested_fields() {
        let plan = WritePlan {
            required: vec!["user".into(), "user.user_id|user.email".into()],
            one_of: [("user.level".to_string(), vec!["basic".into()])].into(),
            ..message_plan()
        };
        let field = |b: Value| match check_body(&plan, &b) {
            Err(WriteError::Invalid { field, message }) => Some(format!("{field} {message}")),
            _ => None,
        };
        assert_eq!(field(json!({"user": {"email": "a@b.c"}})), None);
        assert_eq!(field(json!({"user": {"user_id": 4}})), None);
        assert_eq!(field(json!({})).unwrap(), "user is required");
        assert_eq!(
            field(json!({"user": {"email": null}})).unwrap(),
            "user requires one of: user.user_id, user.email"
        );
        // A nested field of something that is not an object is absent.
        assert!(field(json!({"user": "x"})).is_some());
        assert_eq!(
            field(json!({"user": {"user_id": 4, "level": "admin"}})).unwrap(),
            "user.level must be one of: basic"
        );
    }

    #[test]
    fn legacy_query_parameters_are_split_mapped_and_checked() {
        let rule = QueryRule {
            required: true,
            split: Some(",".into()),
            map: [
                (
                    "full_name".to_string(),
                    vec!["first_name".into(), "last_name".into()],
                ),
                ("current_title".to_string(), vec!["title".into()]),
                ("first".to_string(), vec!["first_name".into()]),
            ]
            .into(),
            other: Some("why".into()),
        };
        let plan = WritePlan {
            query: [("fields".to_string(), rule)].into(),
            ..message_plan()
        };
        let q = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            legacy_query(&plan, &pairs)
        };
        assert_eq!(
            q(&[("fields", " full_name, ,current_title,first"), ("x", "1")]).unwrap(),
            json!({"fields": ["first_name", "last_name", "title"], "x": "1"})
        );
        let err = |r: Result<Value, WriteError>| match r {
            Err(WriteError::Invalid { field, message }) => format!("{field} {message}"),
            other => panic!("{other:?}"),
        };
        assert_eq!(err(q(&[])), "fields is required");
        assert_eq!(
            err(q(&[("fields", " , ")])).split(' ').next(),
            Some("fields")
        );
        let e = err(q(&[("fields", "full_name,offers")]));
        assert!(
            e.contains("`offers`") && e.contains("(why)") && e.contains("current_title"),
            "{e}"
        );
    }
}
