//! Executes views: batched joins over a whole page of v3 records, then the ordered operations.
//!
//! A page of N records costs one call per join (per 50 keys), never one per record. Identical
//! calls made by different (nested) views in one translation are made once.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{BoxFuture, join_all, try_join_all};
use serde_json::{Map, Value};

use crate::catalog::{Attach, Catalog, Conversion, Endpoint, Join, Keep, Op, Other, Shape};
use crate::selector::Selector;

/// At most this many ids go into one `ids=` / `*_ids=` filter (a v3 limit).
pub const MAX_IDS: usize = 50;

/// A failed v3 call, as the proxy saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchError {
    /// HTTP status from v3, or 0 when no answer came (connection, timeout).
    pub status: u16,
    pub message: String,
    /// The v3 error body, when there was one.
    pub body: Option<Value>,
    /// Seconds, from a 429's `Retry-After`.
    pub retry_after: Option<u64>,
    /// True when the call timed out.
    pub timeout: bool,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v3 answered {}: {}", self.status, self.message)
    }
}

impl std::error::Error for FetchError {}

/// What a [`Fetch`] call returns: every row of the collection, shared.
pub type FetchFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Arc<Vec<Value>>, FetchError>> + Send + 'a>>;

/// A join by keys: the rows of `path?query` whose `on` value is one of `keys` (v3's `by`
/// filter takes them, at most [`MAX_IDS`] a call).
#[derive(Debug, Clone, Copy)]
pub struct KeyedJoin<'a> {
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub by: &'a str,
    pub on: &'a Selector,
    pub keys: &'a [String],
}

/// What [`Fetch::joined`] returns: the rows for the keys, or None to fetch them by ids.
pub type JoinedFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Arc<Vec<Value>>>, FetchError>> + Send + 'a>>;

/// Reads v3 collections. Implementations follow `Link: rel="next"` cursors and return every row.
pub trait Fetch: Send + Sync {
    fn fetch<'a>(&'a self, path: &'a str, query: &'a [(String, String)]) -> FetchFuture<'a>;

    /// The rows of a join by keys from what the implementation holds or decides to list
    /// whole (a snapshot of the collection), in the collection's order. None (the default):
    /// the engine fetches them by ids, [`MAX_IDS`] a call.
    fn joined<'a>(&'a self, _join: KeyedJoin<'a>) -> JoinedFuture<'a> {
        Box::pin(async { Ok(None) })
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TranslateError {
    #[error("{0}")]
    Upstream(FetchError),
    #[error("cannot translate record {id} with view `{view}`: {message}")]
    Record {
        view: String,
        id: String,
        message: String,
    },
    #[error("view `{0}` is not defined")]
    UnknownView(String),
    #[error("not found")]
    NotFound,
}

type Rows = Arc<Vec<Value>>;
type MemoCell = Arc<futures::lock::Mutex<Option<Result<Rows, FetchError>>>>;

/// Executes views of a catalog.
pub struct Translator<'c> {
    catalog: &'c Catalog,
}

/// Join results for one batch: per join, the (raw, translated) rows and per record the indices.
struct JoinResult {
    raw: Arc<Vec<Value>>,
    /// Per `match` selector (by text): the rows of each record.
    matched: Vec<(String, Vec<Vec<usize>>)>,
    /// With a view: the translated rows (only those some record uses); without: None.
    translated: Option<Vec<Option<Value>>>,
    /// Per row: whole-row attaches still to come (see `count_uses`).
    uses: Vec<usize>,
    per_record: Vec<Vec<usize>>,
}

struct Ctx<'f> {
    fetch: &'f dyn Fetch,
    memo: Mutex<HashMap<String, MemoCell>>,
}

impl<'c> Translator<'c> {
    pub fn new(catalog: &'c Catalog) -> Self {
        Translator { catalog }
    }

    /// Translates v3 records with a view.
    pub async fn translate(
        &self,
        view: &str,
        records: Vec<Value>,
        fetch: &dyn Fetch,
    ) -> Result<Vec<Value>, TranslateError> {
        let ctx = Ctx {
            fetch,
            memo: Mutex::new(HashMap::new()),
        };
        self.run(&ctx, view, records).await
    }

    /// The full legacy answer for an endpoint from its primary v3 records: filtered, translated
    /// and shaped (`list` → array, `single` → the object or `NotFound`, `object` → one object).
    pub async fn respond(
        &self,
        endpoint: &Endpoint,
        records: Vec<Value>,
        fetch: &dyn Fetch,
    ) -> Result<Value, TranslateError> {
        let Some(resp) = &endpoint.response else {
            return Err(TranslateError::UnknownView(format!(
                "{} has no response view",
                endpoint.route()
            )));
        };
        let mut records: Vec<Value> = match &resp.filter {
            Some(f) => records.into_iter().filter(|r| matches(f, r)).collect(),
            None => records,
        };
        if let Some(o) = &resp.order_by {
            records.sort_by(|x, y| by_field(o, resp.desc, x, y));
        }
        let mut out = self.shaped(resp.shape, &resp.view, records, fetch).await?;
        null_references(&mut out);
        Ok(out)
    }

    async fn shaped(
        &self,
        shape: Shape,
        view: &str,
        records: Vec<Value>,
        fetch: &dyn Fetch,
    ) -> Result<Value, TranslateError> {
        let resp = (shape, view);
        match resp.0 {
            Shape::List => Ok(Value::Array(self.translate(resp.1, records, fetch).await?)),
            Shape::Single => {
                let first = records.into_iter().next().ok_or(TranslateError::NotFound)?;
                let mut out = self.translate(resp.1, vec![first], fetch).await?;
                out.pop().ok_or(TranslateError::NotFound)
            }
            Shape::Object => {
                let mut m = Map::new();
                m.insert("records".into(), Value::Array(records));
                let mut out = self
                    .translate(resp.1, vec![Value::Object(m)], fetch)
                    .await?;
                out.pop().ok_or(TranslateError::NotFound)
            }
        }
    }

    /// The answer of an endpoint through another view (a `view` parameter such as
    /// `render_as=tree`): the view receives every record at once as `{"records": [...]}`.
    pub async fn respond_as(
        &self,
        view: &str,
        records: Vec<Value>,
        fetch: &dyn Fetch,
    ) -> Result<Value, TranslateError> {
        let mut m = Map::new();
        m.insert("records".into(), Value::Array(records));
        let mut out = self.translate(view, vec![Value::Object(m)], fetch).await?;
        let mut out = out.pop().ok_or(TranslateError::NotFound)?;
        null_references(&mut out);
        Ok(out)
    }

    fn run<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        view: &'a str,
        mut records: Vec<Value>,
    ) -> BoxFuture<'a, Result<Vec<Value>, TranslateError>>
    where
        'c: 'a,
    {
        async move {
            let v = self
                .catalog
                .view(view)
                .ok_or_else(|| TranslateError::UnknownView(view.to_string()))?;
            if records.is_empty() {
                return Ok(records);
            }
            let mut joins = try_join_all(v.joins.iter().enumerate().map(|(ji, j)| {
                let mut matchers = Vec::new();
                for op in &v.ops {
                    collect_matchers(op, ji, &mut matchers);
                }
                self.join(ctx, j, matchers, &records)
            }))
            .await?;
            // How often each translated row may still be attached whole: the last use moves
            // the row instead of copying it.
            for op in &v.ops {
                count_uses(op, records.len(), &mut joins);
            }
            for op in &v.ops {
                if let Op::Each { at, view: sub } = op {
                    self.each(ctx, at, sub, &mut records).await?;
                    continue;
                }
                for (i, rec) in records.iter_mut().enumerate() {
                    apply(op, rec, i, &mut joins).map_err(|message| TranslateError::Record {
                        view: v.name.clone(),
                        id: record_id(rec),
                        message,
                    })?;
                }
            }
            Ok(records)
        }
        .boxed()
    }

    async fn each(
        &self,
        ctx: &Ctx<'_>,
        at: &Selector,
        view: &str,
        records: &mut [Value],
    ) -> Result<(), TranslateError> {
        // Per record: Some(Some(n)) an array of n items, Some(None) a single object, None absent.
        let mut lens: Vec<Option<Option<usize>>> = Vec::with_capacity(records.len());
        let mut all = Vec::new();
        for rec in records.iter_mut() {
            match at.take(rec) {
                Some(Value::Array(items)) => {
                    lens.push(Some(Some(items.len())));
                    all.extend(items);
                }
                Some(Value::Null) => {
                    // Null stays null (nothing to translate).
                    at.put(rec, Value::Null);
                    lens.push(None);
                }
                Some(other) => {
                    // Not an array: translate the single object in place.
                    lens.push(Some(None));
                    all.push(other);
                }
                None => lens.push(None),
            }
        }
        let out = self.run(ctx, view, all).await?;
        let mut it = out.into_iter();
        for (rec, len) in records.iter_mut().zip(lens) {
            let value = match len {
                Some(Some(n)) => Value::Array(it.by_ref().take(n).collect()),
                Some(None) => it.next().unwrap_or(Value::Null),
                None => continue,
            };
            at.put(rec, value);
        }
        Ok(())
    }

    /// The joined collection's rows for a batch: whole (no `by`), or by key, 50 keys a call.
    async fn fetch_joined(
        &self,
        ctx: &Ctx<'_>,
        j: &Join,
        distinct: &[String],
    ) -> Result<Rows, TranslateError> {
        let base: Vec<(String, String)> = j
            .query
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let Some(by) = &j.by else {
            return ctx
                .get(&j.from, base)
                .await
                .map_err(TranslateError::Upstream);
        };
        if distinct.is_empty() {
            return Ok(Arc::new(Vec::new()));
        }
        let keyed = KeyedJoin {
            path: &j.from,
            query: &base,
            by,
            on: &j.on,
            keys: distinct,
        };
        if let Some(rows) = ctx
            .fetch
            .joined(keyed)
            .await
            .map_err(TranslateError::Upstream)?
        {
            return Ok(rows);
        }
        let calls = distinct.chunks(MAX_IDS).map(|chunk| {
            let mut q = base.clone();
            q.push((by.clone(), chunk.join(",")));
            ctx.get(&j.from, q)
        });
        let mut parts = Vec::new();
        for p in join_all(calls).await {
            parts.push(p.map_err(TranslateError::Upstream)?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or_default()
        } else {
            Arc::new(parts.iter().flat_map(|p| p.iter().cloned()).collect())
        })
    }

    async fn join(
        &self,
        ctx: &Ctx<'_>,
        j: &Join,
        matchers: Vec<Selector>,
        records: &[Value],
    ) -> Result<JoinResult, TranslateError> {
        let (per_record_keys, distinct) = record_keys(&j.key, records);
        let raw = self.fetch_joined(ctx, j, &distinct).await?;
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, row) in raw.iter().enumerate() {
            let mut keys = Vec::new();
            if let Some(v) = j.on.get(row).as_deref() {
                collect_keys(v, &mut keys);
            }
            for k in keys {
                index.entry(k).or_default().push(i);
            }
        }
        let per_record: Vec<Vec<usize>> = per_record_keys
            .iter()
            .map(|keys| {
                let mut out = Vec::new();
                for k in keys {
                    if let Some(ix) = index.get(k) {
                        out.extend(ix.iter().copied());
                    }
                }
                out
            })
            .collect();
        // `attach … match = "field"`: the rows each record's field points at, on the record as
        // fetched from v3.
        let matched: Vec<(String, Vec<Vec<usize>>)> = matchers
            .iter()
            .map(|m| {
                let rows = records
                    .iter()
                    .map(|rec| {
                        let mut keys = Vec::new();
                        if let Some(v) = m.get(rec).as_deref() {
                            collect_keys(v, &mut keys);
                        }
                        keys.iter()
                            .flat_map(|k| index.get(k).cloned().unwrap_or_default())
                            .collect()
                    })
                    .collect();
                (m.text().to_string(), rows)
            })
            .collect();
        // Translate only the rows some record of the batch points at (a whole reference list
        // may be fetched, but only the few rows used are translated).
        let translated = match &j.view {
            None => None,
            Some(v) => {
                let mut needed: Vec<usize> = per_record
                    .iter()
                    .chain(matched.iter().flat_map(|(_, rows)| rows.iter()))
                    .flatten()
                    .copied()
                    .collect();
                needed.sort_unstable();
                needed.dedup();
                let rows: Vec<Value> = needed.iter().map(|&k| raw[k].clone()).collect();
                let out = self.run(ctx, v, rows).await?;
                let mut slots: Vec<Option<Value>> = vec![None; raw.len()];
                for (k, t) in needed.into_iter().zip(out) {
                    slots[k] = Some(t);
                }
                Some(slots)
            }
        };
        let uses = vec![0; raw.len()];
        Ok(JoinResult {
            raw,
            uses,
            matched,
            translated,
            per_record,
        })
    }
}

impl Ctx<'_> {
    /// One v3 call, made once per translation however many views ask for it; concurrent
    /// askers wait for the first.
    async fn get(&self, path: &str, query: Vec<(String, String)>) -> Result<Rows, FetchError> {
        let key = format!(
            "{path}?{}",
            query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        );
        let cell = {
            let mut memo = match self.memo.lock() {
                Ok(m) => m,
                Err(p) => p.into_inner(),
            };
            memo.entry(key).or_default().clone()
        };
        let mut slot = cell.lock().await;
        if let Some(done) = slot.as_ref() {
            return done.clone();
        }
        let result = self.fetch.fetch(path, &query).await;
        *slot = Some(result.clone());
        result
    }
}

/// Nests objects into a forest by their parent field, siblings in input order.
fn forest(
    items: Vec<Value>,
    id: &str,
    parent: &str,
    children: &str,
    fields: &[String],
) -> Vec<Value> {
    let ids: std::collections::HashSet<String> = items
        .iter()
        .filter_map(|i| i.get(id).and_then(key_of))
        .collect();
    let mut by_parent: HashMap<String, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (k, item) in items.iter().enumerate() {
        match item.get(parent).and_then(key_of) {
            Some(p) if ids.contains(&p) => by_parent.entry(p).or_default().push(k),
            _ => roots.push(k),
        }
    }
    let mut slots: Vec<Option<Value>> = items.into_iter().map(Some).collect();
    fn build(
        k: usize,
        slots: &mut [Option<Value>],
        by_parent: &HashMap<String, Vec<usize>>,
        id: &str,
        children: &str,
        fields: &[String],
        depth: usize,
    ) -> Value {
        let Some(Value::Object(mut m)) = slots.get_mut(k).and_then(Option::take) else {
            return Value::Null;
        };
        let kids: Vec<Value> = match m
            .get(id)
            .and_then(key_of)
            .and_then(|key| by_parent.get(&key))
        {
            Some(ix) if depth < 64 => ix
                .iter()
                .map(|&c| build(c, slots, by_parent, id, children, fields, depth + 1))
                .filter(|v| !v.is_null())
                .collect(),
            _ => Vec::new(),
        };
        let mut kids = Some(kids);
        let mut out = Map::with_capacity(fields.len());
        for f in fields {
            if f == children {
                out.insert(f.clone(), Value::Array(kids.take().unwrap_or_default()));
            } else {
                out.insert(f.clone(), m.swap_remove(f).unwrap_or(Value::Null));
            }
        }
        Value::Object(out)
    }
    roots
        .into_iter()
        .map(|k| build(k, &mut slots, &by_parent, id, children, fields, 0))
        .filter(|v| !v.is_null())
        .collect()
}

/// The `match` selectors of the attach operations (also inside `when`) that use join `ji`.
fn collect_matchers(op: &Op, ji: usize, out: &mut Vec<Selector>) {
    match op {
        Op::Attach(a) if a.join == ji => {
            if let Some(m) = &a.matching
                && !out.iter().any(|x| x.text() == m.text())
            {
                out.push(m.clone());
            }
        }
        Op::When {
            then, otherwise, ..
        } => {
            for o in then.iter().chain(otherwise) {
                collect_matchers(o, ji, out);
            }
        }
        _ => {}
    }
}

/// v1's rule for every answer: a reference to another record is `null` when there is none,
/// never an object whose `id` is null (a referral credited to someone who is not a user:
/// `credited_to` is null). Applies to every field of every record, at any depth; the records
/// of a list themselves are left alone.
pub fn null_references(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (_, x) in m.iter_mut() {
                let dangling = x
                    .as_object()
                    .is_some_and(|o| o.get("id").is_some_and(Value::is_null));
                if dangling {
                    *x = Value::Null;
                } else {
                    null_references(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(null_references),
        _ => {}
    }
}

/// Join keys of a value: scalars, and the scalars inside (nested) arrays.
pub fn collect_keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(a) => {
            for x in a {
                collect_keys(x, out);
            }
        }
        other => out.extend(key_of(other)),
    }
}

fn key_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

fn record_id(rec: &Value) -> String {
    rec.get("id")
        .map(|v| v.to_string())
        .unwrap_or_else(|| "(no id)".into())
}

/// The order of two rows by the field `o` selects (`desc`: descending).
fn by_field(o: &Selector, desc: bool, x: &Value, y: &Value) -> std::cmp::Ordering {
    let c = compare(&o.get_or_null(x), &o.get_or_null(y));
    if desc { c.reverse() } else { c }
}

fn matches(filter: &Selector, row: &Value) -> bool {
    let wrapped = Value::Array(vec![row.clone()]);
    !filter.query(&wrapped).is_empty()
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// The v1 flat custom-field key: the display name lower-cased, runs of other characters → `_`.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// Per record, the join keys it holds; and every distinct key of the batch, in first-seen order.
fn record_keys(key: &Selector, records: &[Value]) -> (Vec<Vec<String>>, Vec<String>) {
    let mut per_record: Vec<Vec<String>> = Vec::with_capacity(records.len());
    let mut distinct: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for rec in records {
        let mut keys = Vec::new();
        if let Some(v) = key.get(rec).as_deref() {
            collect_keys(v, &mut keys);
        }
        for k in &keys {
            if seen.insert(k.clone()) {
                distinct.push(k.clone());
            }
        }
        per_record.push(keys);
    }
    (per_record, distinct)
}

fn apply(op: &Op, rec: &mut Value, i: usize, joins: &mut [JoinResult]) -> Result<(), String> {
    match op {
        Op::Move { from, to } => {
            let v = from.take(rec).unwrap_or(Value::Null);
            put(rec, to, v)
        }
        Op::Copy { from, to } => put(rec, to, from.get_or_null(rec)),
        Op::Set { to, value } => put(rec, to, value.clone()),
        Op::Default { at, value } => {
            if at.get(rec).is_none_or(|v| v.is_null()) {
                put(rec, at, value.clone())?;
            }
            Ok(())
        }
        Op::Remove { fields } => {
            for f in fields {
                f.take(rec);
            }
            Ok(())
        }
        Op::Map { at, values, other } => map_value(rec, at, values, *other),
        Op::Convert { at, to } => {
            let Some(cur) = at.get(rec).map(|c| c.into_owned()) else {
                return Ok(());
            };
            let v = convert(&cur, to).map_err(|e| format!("`{}`: {e}", at.text()))?;
            put(rec, at, v)
        }
        Op::Wrap { at, key } => {
            let cur = at.get_or_null(rec);
            let v = if cur.is_null() {
                Value::Null
            } else {
                let mut m = Map::new();
                m.insert(key.clone(), cur);
                Value::Object(m)
            };
            put(rec, at, v)
        }
        Op::First { at } => {
            let v = match at.get_or_null(rec) {
                Value::Array(a) => a.into_iter().next().unwrap_or(Value::Null),
                other => other,
            };
            put(rec, at, v)
        }
        Op::Merge { from } => merge(rec, from),
        Op::Attach(a) => attach(a, rec, i, joins),
        Op::Each { .. } => Err("`each` inside `when` is not supported".into()),
        Op::CustomFields { from, flat, keyed } => custom_fields(rec, from, flat, keyed),
        Op::Group {
            from,
            to,
            by,
            value,
            keys,
        } => group(rec, from, to, by, value, keys),
        Op::Push {
            at,
            template,
            set,
            when_present,
            front,
        } => push(rec, at, template, set, when_present.as_ref(), *front),
        Op::Sort { at, by, desc } => sort(rec, at, by, *desc),
        Op::Filter { at, keep } => keep_elements(rec, at, keep),
        Op::When {
            field,
            is,
            present,
            then,
            otherwise,
        } => {
            let cur = field.get_or_null(rec);
            let hit = match present {
                Some(p) => cur.is_null() != *p,
                None => is.contains(&cur),
            };
            let branch = if hit { then } else { otherwise };
            branch.iter().try_for_each(|o| apply(o, rec, i, joins))
        }
        Op::Tree {
            at,
            id,
            parent,
            children,
            fields,
        } => {
            let Some(Value::Array(items)) = at.take(rec) else {
                return Err(format!("`{}` is not an array", at.text()));
            };
            put(
                rec,
                at,
                Value::Array(forest(items, id, parent, children, fields)),
            )
        }
        Op::Select { fields } => select(rec, fields),
    }
}

/// `map`: a value of v3's set → v1's (absent stays absent; `other` says what else happens).
fn map_value(
    rec: &mut Value,
    at: &Selector,
    values: &HashMap<String, Value>,
    other: Other,
) -> Result<(), String> {
    let Some(cur) = at.get(rec).map(|c| c.into_owned()) else {
        return Ok(());
    };
    let mapped = match values.get(&text_of(&cur)) {
        Some(v) => v.clone(),
        None => match other {
            Other::Keep => cur,
            Other::Null => Value::Null,
            Other::Error => {
                return Err(format!(
                    "value {cur} of `{}` has no v1 equivalent",
                    at.text()
                ));
            }
        },
    };
    put(rec, at, mapped)
}

/// `merge`: the fields of an object move up into the record.
fn merge(rec: &mut Value, from: &Selector) -> Result<(), String> {
    match from.take(rec) {
        Some(Value::Object(m)) => {
            if let Value::Object(r) = rec {
                for (k, v) in m {
                    r.insert(k, v);
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(other) => return Err(format!("`{}` is not an object: {other}", from.text())),
    }
    Ok(())
}

/// `custom_fields`: v3's keyed custom fields → v1's flat `{slug: value}` and keyed objects.
fn custom_fields(
    rec: &mut Value,
    from: &Selector,
    flat: &Selector,
    keyed: &Selector,
) -> Result<(), String> {
    let src = from.take(rec).unwrap_or(Value::Null);
    let mut f = Map::new();
    let k = match src {
        Value::Object(m) => {
            for (_, entry) in &m {
                if let Some(name) = entry.get("name").and_then(Value::as_str) {
                    f.insert(
                        slug(name),
                        entry.get("value").cloned().unwrap_or(Value::Null),
                    );
                }
            }
            m
        }
        Value::Null => Map::new(),
        other => return Err(format!("custom_fields is not an object: {other}")),
    };
    put(rec, flat, Value::Object(f))?;
    put(rec, keyed, Value::Object(k))
}

/// `group`: items of a list into `{key: [value, …]}` for the declared keys.
fn group(
    rec: &mut Value,
    from: &Selector,
    to: &Selector,
    by: &Selector,
    value: &Selector,
    keys: &[String],
) -> Result<(), String> {
    let mut out = Map::new();
    for k in keys {
        out.insert(k.clone(), Value::Array(Vec::new()));
    }
    if let Value::Array(items) = from.get_or_null(rec) {
        for item in items {
            let k = text_of(&by.get_or_null(&item));
            if let Some(Value::Array(list)) = out.get_mut(&k) {
                list.push(value.get_or_null(&item));
            }
        }
    }
    put(rec, to, Value::Object(out))
}

/// `push`: a templated item onto a list (at the front or the end), when a field is present.
fn push(
    rec: &mut Value,
    at: &Selector,
    template: &Value,
    set: &[(String, Selector)],
    when_present: Option<&Selector>,
    front: bool,
) -> Result<(), String> {
    if let Some(w) = when_present
        && w.get(rec).is_none_or(|v| v.is_null())
    {
        return Ok(());
    }
    let mut item = template.clone();
    for (k, s) in set {
        if let Value::Object(m) = &mut item {
            m.insert(k.clone(), s.get_or_null(rec));
        }
    }
    let mut arr = match at.take(rec) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    if front {
        arr.insert(0, item);
    } else {
        arr.push(item);
    }
    put(rec, at, Value::Array(arr))
}

/// `sort`: a list by a field of its items.
fn sort(rec: &mut Value, at: &Selector, by: &Selector, desc: bool) -> Result<(), String> {
    if let Some(Value::Array(a)) = at.get(rec).as_deref() {
        let mut a = a.clone();
        a.sort_by(|x, y| {
            let c = compare(&by.get_or_null(x), &by.get_or_null(y));
            if desc { c.reverse() } else { c }
        });
        put(rec, at, Value::Array(a))?;
    }
    Ok(())
}

/// `filter`: only the items of a list that match.
fn keep_elements(rec: &mut Value, at: &Selector, keep: &Keep) -> Result<(), String> {
    // `in` / `not_in`: the values the query finds in the record, as text.
    let among =
        |q: &Selector| -> HashSet<String> { q.query(rec).into_iter().map(text_of).collect() };
    let test: Box<dyn Fn(&Value) -> bool> = match keep {
        Keep::Matching(filter) => Box::new(|x| matches(filter, x)),
        Keep::Among(q) => {
            let values = among(q);
            Box::new(move |x| values.contains(&text_of(x)))
        }
        Keep::NotAmong(q) => {
            let values = among(q);
            Box::new(move |x| !values.contains(&text_of(x)))
        }
    };
    if let Some(Value::Array(a)) = at.get(rec).as_deref() {
        let kept: Vec<Value> = a.iter().filter(|x| test(x)).cloned().collect();
        put(rec, at, Value::Array(kept))?;
    }
    Ok(())
}

/// `select`: exactly v1's fields, in v1's order (a missing one is an error).
fn select(rec: &mut Value, fields: &[String]) -> Result<(), String> {
    let Value::Object(m) = rec else {
        return Err("record is not an object".into());
    };
    let mut out = Map::with_capacity(fields.len());
    for f in fields {
        // The record's own key string moves over: no new allocation per field.
        match m.swap_remove_entry(f) {
            Some((k, v)) => {
                out.insert(k, v);
            }
            None => return Err(format!("v1 field `{f}` was not produced")),
        }
    }
    *rec = Value::Object(out);
    Ok(())
}

fn put(rec: &mut Value, to: &Selector, v: Value) -> Result<(), String> {
    if to.put(rec, v) {
        Ok(())
    } else {
        Err(format!(
            "cannot write `{}`: a parent is not an object",
            to.text()
        ))
    }
}

fn convert(v: &Value, to: &Conversion) -> Result<Value, String> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    Ok(match to {
        Conversion::DateToDatetime => match v {
            Value::String(s) if s.len() == 10 => Value::String(format!("{s}T00:00:00.000Z")),
            Value::String(s) => Value::String(s.clone()),
            other => return Err(format!("expected a date string, found {other}")),
        },
        Conversion::String => Value::String(text_of(v)),
        Conversion::Integer => match v {
            Value::Number(_) => v.clone(),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("`{s}` is not an integer"))?,
            other => return Err(format!("expected an integer, found {other}")),
        },
        Conversion::Not => match v {
            Value::Bool(b) => Value::Bool(!b),
            other => return Err(format!("expected a boolean, found {other}")),
        },
        Conversion::Lowercase => match v {
            Value::String(s) => Value::String(s.to_lowercase()),
            other => other.clone(),
        },
        Conversion::Join(sep) => match v {
            Value::Array(a) => Value::String(a.iter().map(text_of).collect::<Vec<_>>().join(sep)),
            other => other.clone(),
        },
        Conversion::EmptyToNull => match v {
            Value::String(s) if s.is_empty() => Value::Null,
            Value::Array(a) if a.is_empty() => Value::Null,
            other => other.clone(),
        },
    })
}

/// The rows an attach may pick for record `i`, before filtering and ordering.
fn candidates(a: &Attach, j: &JoinResult, i: usize) -> Vec<usize> {
    match &a.matching {
        Some(m) => j
            .matched
            .iter()
            .find(|(text, _)| text == m.text())
            .and_then(|(_, rows)| rows.get(i).cloned())
            .unwrap_or_default(),
        None => j.per_record.get(i).cloned().unwrap_or_default(),
    }
}

/// Counts the whole-row attaches each translated row may receive (an upper bound).
fn count_uses(op: &Op, records: usize, joins: &mut [JoinResult]) {
    match op {
        Op::Attach(a) if a.select.is_none() => {
            if let Some(j) = joins.get_mut(a.join)
                && j.translated.is_some()
            {
                for i in 0..records {
                    for k in candidates(a, j, i) {
                        if let Some(u) = j.uses.get_mut(k) {
                            *u += 1;
                        }
                    }
                }
            }
        }
        Op::When {
            then, otherwise, ..
        } => {
            for o in then.iter().chain(otherwise) {
                count_uses(o, records, joins);
            }
        }
        _ => {}
    }
}

fn attach(a: &Attach, rec: &mut Value, i: usize, joins: &mut [JoinResult]) -> Result<(), String> {
    let Some(j) = joins.get_mut(a.join) else {
        return Err("join result missing".into());
    };
    let mut idx = candidates(a, j, i);
    if let Some(f) = &a.filter {
        idx.retain(|&k| matches(f, &j.raw[k]));
    }
    if let Some(o) = &a.order_by {
        idx.sort_by(|&x, &y| by_field(o, a.desc, &j.raw[x], &j.raw[y]));
    }
    if let Some(p) = &a.prefer {
        // Stable: preferred rows first, order otherwise kept.
        idx.sort_by_key(|&k| p.get_or_null(&j.raw[k]) != Value::Bool(true));
    }
    let mut pick = |k: usize| -> Value {
        if let Some(s) = &a.select {
            let t = match &j.translated {
                Some(slots) => slots
                    .get(k)
                    .and_then(Option::as_ref)
                    .unwrap_or(&Value::Null),
                None => &j.raw[k],
            };
            return s.get_or_null(t);
        }
        match &mut j.translated {
            Some(slots) => {
                let last = match j.uses.get_mut(k) {
                    Some(u) => {
                        *u = u.saturating_sub(1);
                        *u == 0
                    }
                    None => false,
                };
                match slots.get_mut(k) {
                    Some(slot) if last => slot.take().unwrap_or(Value::Null),
                    Some(Some(t)) => t.clone(),
                    _ => Value::Null,
                }
            }
            None => j.raw[k].clone(),
        }
    };
    let v = if a.first {
        idx.first().map(|&k| pick(k)).unwrap_or(Value::Null)
    } else {
        Value::Array(idx.into_iter().map(pick).collect())
    };
    put(rec, &a.to, v)
}
