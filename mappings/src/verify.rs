//! Deciding an unknown write outcome by reading back (docs/mappings.md "Verifying writes").
//!
//! After a v3 write call ends without a known outcome (timeout, reset, 5xx, lost answer) the
//! proxy never retries it: it reads v3 back and decides applied / not applied. How is a
//! property of the v3 call, declared per `METHOD /v3/path/{template}` in
//! `resources/_verify.toml`:
//!
//! - `[[create]]` (POST to a collection): list the collection filtered by the parent ids the
//!   body carries and `created_at=gte|<just before the call, less the clock skew>`; rows whose
//!   identifying fields equal the body's. One → applied, and that row is the created record;
//!   none → not applied; several → unknown.
//! - `[[record]]` (a call on one record): read the record; `applied` conditions all hold →
//!   applied; else `unchanged` conditions (when declared) all hold → not applied, or without
//!   `unchanged` → not applied; the record not found → unknown.
//! - `[[gone]]` (a delete, a merge): the record no longer listed → applied, still there → not
//!   applied.
//! - `[[unverifiable]]`: why reading back cannot tell (always unknown).

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use crate::diag::{Diagnostic, Sink};
use crate::paging;
use crate::v3::{V3, WriteCall};

/// The file (under `resources/`) that holds the rules.
pub const VERIFY_FILE: &str = "_verify.toml";

/// What reading back decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// v3 holds what the call asked for; for a create, the record it made.
    Applied(Option<Value>),
    NotApplied,
    /// Reading back cannot tell (why).
    Unknown(String),
}

/// Every verification rule, by v3 call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    rules: Vec<Rule>,
    /// How far v3's clock may lag the proxy's (created_at windows start this much earlier).
    skew: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub method: String,
    /// `/v3/applications/{id}/move`: `{name}` matches one path segment and binds it.
    pub template: String,
    pub check: Check,
}

/// How one v3 call is verified.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    Create {
        /// v3 body field → v3 list filter (`candidate_id` → `candidate_ids`).
        parents: BTreeMap<String, String>,
        /// Body fields that identify the record (None: every scalar field of the body).
        identify: Option<Vec<String>>,
    },
    Record {
        /// `/v3/applications?ids={id}`: the first row is the record.
        read: String,
        applied: Vec<Cond>,
        unchanged: Vec<Cond>,
    },
    Gone {
        read: String,
    },
    Unverifiable {
        why: String,
    },
}

/// A condition on the record read back. Placeholders (`{id}`, `{body.to_stage_id}`) come from
/// the call's path and body; a condition whose placeholder has no value is not evaluated.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cond {
    /// The record's field (absent only for `scalars`).
    #[serde(default)]
    pub field: Option<String>,
    /// The field equals this (compared as text).
    #[serde(default)]
    pub is: Option<String>,
    /// The field differs from this.
    #[serde(default)]
    pub not: Option<String>,
    /// The field is set (true: not null) or empty (false).
    #[serde(default)]
    pub set: Option<bool>,
    /// The field is a time at or after the call (less the clock skew).
    #[serde(default)]
    pub since_call: bool,
    /// Every scalar field of the call's body holds on the record (a PATCH).
    #[serde(default)]
    pub scalars: bool,
}

// --- The file format.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    #[serde(default)]
    clock_skew_seconds: Option<u64>,
    #[serde(default)]
    create: Vec<CreateDef>,
    #[serde(default)]
    record: Vec<RecordDef>,
    #[serde(default)]
    gone: Vec<GoneDef>,
    #[serde(default)]
    unverifiable: Vec<UnverifiableDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateDef {
    call: Spanned<String>,
    #[serde(default)]
    parents: BTreeMap<String, String>,
    #[serde(default)]
    identify: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordDef {
    call: Spanned<String>,
    read: Spanned<String>,
    applied: Spanned<Vec<Cond>>,
    #[serde(default)]
    unchanged: Vec<Cond>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GoneDef {
    call: Spanned<String>,
    read: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnverifiableDef {
    call: Spanned<String>,
    why: String,
}

const CALL_HINT: &str =
    "write `METHOD /v3/path`, placeholders as `{name}`: `POST /v3/applications/{id}/move`";
const DEFAULT_SKEW_SECONDS: u64 = 60;

/// Parses and checks the verify file; problems go to `diags` with file:line:column.
pub(crate) fn parse(file: &str, source: &str, diags: &mut Vec<Diagnostic>) -> Rules {
    let mut sink = Sink::new(file, source, diags);
    let def = match toml::from_str::<FileDef>(source) {
        Ok(d) => d,
        Err(e) => {
            let offset = e.span().unwrap_or(0..0).start;
            let hint = "see docs/mappings.md \"Verifying writes\" for the keys of _verify.toml";
            sink.error(&(offset..offset), e.message().trim(), hint);
            return Rules::default();
        }
    };
    let mut rules = Vec::new();
    for c in def.create {
        let check = Check::Create {
            parents: c.parents,
            identify: c.identify,
        };
        push_rule(&mut sink, &mut rules, &c.call, check);
    }
    for r in def.record {
        check_conds(&mut sink, &r.applied.span(), r.applied.get_ref(), "applied");
        check_conds(&mut sink, &r.applied.span(), &r.unchanged, "unchanged");
        check_read(&mut sink, &r.read);
        let check = Check::Record {
            read: r.read.get_ref().clone(),
            applied: r.applied.into_inner(),
            unchanged: r.unchanged,
        };
        push_rule(&mut sink, &mut rules, &r.call, check);
    }
    for g in def.gone {
        check_read(&mut sink, &g.read);
        let check = Check::Gone {
            read: g.read.get_ref().clone(),
        };
        push_rule(&mut sink, &mut rules, &g.call, check);
    }
    for u in def.unverifiable {
        let check = Check::Unverifiable { why: u.why };
        push_rule(&mut sink, &mut rules, &u.call, check);
    }
    let skew = def.clock_skew_seconds.unwrap_or(DEFAULT_SKEW_SECONDS);
    Rules {
        rules,
        skew: Duration::from_secs(skew),
    }
}

fn push_rule(sink: &mut Sink<'_>, rules: &mut Vec<Rule>, call: &Spanned<String>, check: Check) {
    let span = call.span();
    let Some((method, template)) = call.get_ref().split_once(' ') else {
        return sink.error(
            &span,
            format!("`{}` is not a v3 call", call.get_ref()),
            CALL_HINT,
        );
    };
    let template = template.trim();
    if !matches!(method, "POST" | "PUT" | "PATCH" | "DELETE") || !template.starts_with("/v3/") {
        return sink.error(
            &span,
            format!("`{}` is not a v3 write call", call.get_ref()),
            CALL_HINT,
        );
    }
    if matches!(check, Check::Create { .. }) && (method != "POST" || template.contains('{')) {
        let hint =
            "`[[create]]` is for a POST to a collection; use `[[record]]` for a call on one record";
        return sink.error(&span, format!("`{}` is not a create", call.get_ref()), hint);
    }
    if rules
        .iter()
        .any(|r| r.method == method && same_shape(&r.template, template))
    {
        let hint = "each v3 call has one rule: remove one of them";
        return sink.error(
            &span,
            format!("`{}` is verified twice", call.get_ref()),
            hint,
        );
    }
    rules.push(Rule {
        method: method.to_string(),
        template: template.to_string(),
        check,
    });
}

fn check_read(sink: &mut Sink<'_>, read: &Spanned<String>) {
    let r = read.get_ref();
    if !r.starts_with("/v3/") || r.split('?').next().is_some_and(|p| p.contains('{')) {
        let hint = "read a v3 collection filtered to the record: `/v3/applications?ids={id}`";
        sink.error(&read.span(), format!("`{r}` is not a v3 list read"), hint);
    }
}

fn check_conds(sink: &mut Sink<'_>, span: &Range<usize>, conds: &[Cond], what: &str) {
    if what == "applied" && conds.is_empty() {
        let hint = "name at least one condition, e.g. `{ field = \"status\", is = \"rejected\" }`";
        sink.error(span, "`applied` has no condition", hint);
    }
    for c in conds {
        let tests = usize::from(c.is.is_some())
            + usize::from(c.not.is_some())
            + usize::from(c.set.is_some())
            + usize::from(c.since_call)
            + usize::from(c.scalars);
        if tests != 1 || (c.field.is_none() != c.scalars) {
            let hint = "each condition is `{ field, is }`, `{ field, not }`, `{ field, set }`, `{ field, since_call = true }` or `{ scalars = true }`";
            sink.error(
                span,
                format!("a condition of `{what}` is not one test of one field"),
                hint,
            );
        }
    }
}

/// Two templates are one call when their segments match, placeholders matching each other.
fn same_shape(a: &str, b: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split('/').collect(), b.split('/').collect());
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| x == y || (is_placeholder(x) && is_placeholder(y)))
}

fn is_placeholder(seg: &str) -> bool {
    seg.starts_with('{') && seg.ends_with('}')
}

impl Rules {
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn clock_skew(&self) -> Duration {
        self.skew
    }

    /// The rule of a call: `path` is a concrete target (`/v3/applications/12/move`) or a
    /// mapping's template (`/v3/applied_candidate_tags/{steps.0.id}`); with the values the
    /// rule's placeholders bound.
    pub fn find(&self, method: &str, path: &str) -> Option<(&Rule, BTreeMap<String, String>)> {
        let path = path.split('?').next().unwrap_or_default();
        let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.rules
            .iter()
            .filter(|r| r.method == method)
            .find_map(|r| {
                let tmpl: Vec<&str> = r.template.split('/').collect();
                if tmpl.len() != segs.len() {
                    return None;
                }
                let mut bound = BTreeMap::new();
                for (t, s) in tmpl.iter().zip(&segs) {
                    if is_placeholder(t) {
                        bound.insert(t[1..t.len() - 1].to_string(), (*s).to_string());
                    } else if t != s {
                        return None;
                    }
                }
                Some((r, bound))
            })
    }
}

/// What a read-back may fill placeholders from: the call's path values and body.
fn context(bound: &BTreeMap<String, String>, call: &WriteCall) -> Value {
    let mut ctx: serde_json::Map<String, Value> = bound
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    ctx.insert("body".into(), call.body.clone().unwrap_or(Value::Null));
    Value::Object(ctx)
}

/// A value as text (strings as they are), for comparing a body's value with a record's.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `/v3/x?ids={id}` with its placeholders filled: (path, query).
fn read_target(read: &str, ctx: &Value) -> Result<String, String> {
    let (path, query) = read.split_once('?').unwrap_or((read, ""));
    let mut q = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        q.push((k.to_string(), crate::write::fill(v, ctx)?));
    }
    Ok(paging::target(path, &q))
}

/// The created_at window of a create: from `started` less the skew, RFC 3339 in milliseconds.
pub fn since(started: SystemTime, skew: Duration) -> String {
    let t = started.checked_sub(skew).unwrap_or(SystemTime::UNIX_EPOCH);
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The list query that finds a create's record: the parents the body carries (scalar ids)
/// and the created_at window.
pub fn create_query(
    parents: &BTreeMap<String, String>,
    body: &Value,
    since: &str,
) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = parents
        .iter()
        .filter_map(|(field, filter)| {
            let v = body.get(field)?;
            (v.is_number() || v.is_string()).then(|| (filter.clone(), text(v)))
        })
        .collect();
    q.push(("created_at".into(), format!("gte|{since}")));
    q
}

/// The rows that are the created record: each identifying field of the body (scalars only,
/// None: every scalar field) equals the row's, compared as text; a field the row does not
/// have is not compared, and a row must agree on at least one field.
pub fn matching<'a>(
    rows: &'a [Value],
    body: &Value,
    identify: Option<&[String]>,
) -> Vec<&'a Value> {
    let fields = identifying(body, identify);
    rows.iter()
        .filter(|row| {
            let compared: Vec<bool> = fields
                .iter()
                .filter_map(|(k, v)| row.get(k.as_str()).map(|r| values_equal(r, v)))
                .collect();
            !compared.is_empty() && compared.iter().all(|ok| *ok)
        })
        .collect()
}

/// The body's identifying fields: scalars, named by `identify` (None: every one).
pub fn identifying<'a>(
    body: &'a Value,
    identify: Option<&[String]>,
) -> Vec<(&'a String, &'a Value)> {
    let Some(sent) = body.as_object() else {
        return Vec::new();
    };
    sent.iter()
        .filter(|(k, v)| {
            !v.is_array() && !v.is_object() && identify.is_none_or(|ids| ids.contains(k))
        })
        .collect()
}

fn values_equal(row: &Value, sent: &Value) -> bool {
    row == sent || (!row.is_null() && !sent.is_null() && text(row) == text(sent))
}

/// Whether every evaluated condition holds on `row`: Some(true/false), or None when no
/// condition could be evaluated (their placeholders have no value).
pub fn holds(conds: &[Cond], row: &Value, ctx: &Value, since: &str) -> Option<bool> {
    let mut evaluated = 0;
    for c in conds {
        match cond(c, row, ctx, since) {
            Some(false) => return Some(false),
            Some(true) => evaluated += 1,
            None => {}
        }
    }
    (evaluated > 0).then_some(true)
}

fn cond(c: &Cond, row: &Value, ctx: &Value, since: &str) -> Option<bool> {
    if c.scalars {
        let sent = ctx.get("body")?.as_object()?;
        let scalars: Vec<_> = sent
            .iter()
            .filter(|(_, v)| !v.is_array() && !v.is_object())
            .collect();
        if scalars.is_empty() {
            return None;
        }
        return Some(
            scalars
                .iter()
                .all(|(k, v)| row.get(k.as_str()).is_some_and(|r| values_equal(r, v))),
        );
    }
    let value = row.get(c.field.as_deref()?).unwrap_or(&Value::Null);
    let filled = |t: &str| crate::write::fill(t, ctx).ok();
    if let Some(is) = &c.is {
        return Some(!value.is_null() && text(value) == filled(is)?);
    }
    if let Some(not) = &c.not {
        return Some(value.is_null() || text(value) != filled(not)?);
    }
    if let Some(set) = c.set {
        return Some(value.is_null() != set);
    }
    // since_call: a time at or after the window's start.
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    Some(match (value.as_str().and_then(at), at(since)) {
        (Some(v), Some(s)) => v >= s,
        _ => false,
    })
}

/// Reads back after an unknown outcome of `call`, made at `started`.
pub async fn read_back(
    rules: &Rules,
    v3: &dyn V3,
    call: &WriteCall,
    started: SystemTime,
) -> Verdict {
    let found = rules
        .find(&call.method, &call.target)
        .map(|(r, b)| (r.clone(), b));
    let Some((rule, bound)) = found.or_else(|| default_rule(&call.method, &call.target)) else {
        return Verdict::Unknown(format!(
            "no read-back rule for {} {}",
            call.method, call.target
        ));
    };
    let ctx = context(&bound, call);
    let since = since(started, rules.skew);
    let failed = |e: String| Verdict::Unknown(format!("reading back failed: {e}"));
    match &rule.check {
        Check::Unverifiable { why } => Verdict::Unknown(why.clone()),
        Check::Create { parents, identify } => {
            let body = call.body.clone().unwrap_or(Value::Null);
            let q = create_query(parents, &body, &since);
            let rows = match paging::all(v3, &rule.template, &q).await {
                Ok(rows) => rows,
                Err(e) => return failed(e.to_string()),
            };
            if identifying(&body, identify.as_deref()).is_empty() {
                return Verdict::Unknown(
                    "the body has none of the fields that identify the record".into(),
                );
            }
            match matching(&rows, &body, identify.as_deref()).as_slice() {
                [] => Verdict::NotApplied,
                [one] => Verdict::Applied(Some((*one).clone())),
                many => Verdict::Unknown(format!(
                    "{} records created since the call match it",
                    many.len()
                )),
            }
        }
        Check::Record {
            read,
            applied,
            unchanged,
        } => {
            let row = match first_row(v3, read, &ctx).await {
                Ok(Some(row)) => row,
                Ok(None) => return Verdict::Unknown("the record is not found".into()),
                Err(e) => return failed(e),
            };
            match holds(applied, &row, &ctx, &since) {
                None => Verdict::Unknown("no condition applies to this call".into()),
                Some(true) => Verdict::Applied(None),
                Some(false) if unchanged.is_empty() => Verdict::NotApplied,
                Some(false) => match holds(unchanged, &row, &ctx, &since) {
                    Some(true) => Verdict::NotApplied,
                    _ => Verdict::Unknown("the record changed, but not as the call asked".into()),
                },
            }
        }
        Check::Gone { read } => match first_row(v3, read, &ctx).await {
            Ok(None) => Verdict::Applied(None),
            Ok(Some(_)) => Verdict::NotApplied,
            Err(e) => failed(e),
        },
    }
}

/// A call no rule names: `DELETE /v3/x/{id}` is applied when the record is gone, `PATCH
/// /v3/x/{id}` when every scalar field of its body holds.
pub fn default_rule(method: &str, target: &str) -> Option<(Rule, BTreeMap<String, String>)> {
    let path = target.split('?').next().unwrap_or_default();
    let ["", "v3", res, id] = path.trim_end_matches('/').split('/').collect::<Vec<_>>()[..] else {
        return None;
    };
    id.parse::<u64>().ok()?;
    let read = format!("/v3/{res}?ids={{id}}");
    let check = match method {
        "DELETE" => Check::Gone { read },
        "PATCH" => Check::Record {
            read,
            applied: vec![Cond {
                field: None,
                is: None,
                not: None,
                set: None,
                since_call: false,
                scalars: true,
            }],
            unchanged: Vec::new(),
        },
        _ => return None,
    };
    let rule = Rule {
        method: method.to_string(),
        template: format!("/v3/{res}/{{id}}"),
        check,
    };
    Some((rule, [("id".to_string(), id.to_string())].into()))
}

async fn first_row(v3: &dyn V3, read: &str, ctx: &Value) -> Result<Option<Value>, String> {
    let target = read_target(read, ctx)?;
    let page = v3.page(&target, true).await.map_err(|e| e.to_string())?;
    Ok(page.rows.into_iter().next())
}
