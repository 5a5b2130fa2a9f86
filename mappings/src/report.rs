//! Outputs derived from the catalog: the `mappings list` JSON, docs/coverage.md and
//! `mappings show` (one endpoint with its views resolved).

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::catalog::{
    Catalog, Conversion, Endpoint, Join, Keep, Method, Op, Other, Param, ParamRule, Status, V3Call,
    View,
};
use crate::engine::MAX_IDS;
use crate::load::UNSUPPORTED_WRITE_REASON;
use crate::model::edit_distance;
use crate::selector::Selector;

/// One JSON object per legacy endpoint (the `mappings list --format json` contract).
pub fn endpoint_json(e: &Endpoint) -> Value {
    let mut v = json!({
        "legacy_method": e.method,
        "legacy_path": e.path,
        "versions": e.versions,
        "status": e.status.as_str(),
        "v3": e.v3.iter().map(|c| json!({"method": c.method, "path": c.path})).collect::<Vec<_>>(),
        "scopes": e.scopes,
        "notes": e.notes,
    });
    if let Value::Object(m) = &mut v {
        m.insert("name".into(), json!(e.name));
        if let Some(l) = &e.lost {
            m.insert("lost".into(), json!(l));
        }
        if let Some(r) = &e.reason {
            m.insert("reason".into(), json!(r));
        }
        if let Some(i) = &e.instead {
            m.insert("instead".into(), json!(i));
        }
    }
    v
}

/// Every endpoint, sorted by path then method.
pub fn sorted(c: &Catalog) -> Vec<&Endpoint> {
    let mut eps: Vec<&Endpoint> = c.endpoints().iter().collect();
    eps.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    eps
}

/// docs/coverage.md, generated: one row per legacy endpoint.
pub fn coverage_markdown(c: &Catalog) -> String {
    let eps = sorted(c);
    let count = |s: Status| eps.iter().filter(|e| e.status == s).count();
    let mut out = String::new();
    out.push_str("# Coverage of the legacy Harvest v1/v2 API\n\n");
    out.push_str("Generated from the mapping files by `harvest-proxy mappings coverage > docs/coverage.md`;\n");
    out.push_str("a test fails when this file is stale. Do not edit by hand.\n\n");
    let _ = writeln!(
        out,
        "{} legacy endpoints: {} translated, {} partial, {} unsupported.\n",
        eps.len(),
        count(Status::Translated),
        count(Status::Partial),
        count(Status::Unsupported)
    );
    let (reads, writes): (Vec<&&Endpoint>, Vec<&&Endpoint>) = eps.iter().partition(|e| e.is_read());
    let served = |v: &[&&Endpoint]| v.iter().filter(|e| e.status != Status::Unsupported).count();
    let _ = writeln!(
        out,
        "Reads: {} of {} served. Writes: {} of {} served (as the acting user, exactly once; docs/proxy.md, \"Writes\").\n",
        served(&reads),
        reads.len(),
        served(&writes),
        writes.len()
    );
    out.push_str(
        "| legacy endpoint | versions | status | v3 calls | scopes | what is lost / why not |\n",
    );
    out.push_str("|---|---|---|---|---|---|\n");
    for e in eps {
        let calls =
            e.v3.iter()
                .map(|c| format!("`{} {}`", c.method, cell(&c.path)))
                .collect::<Vec<_>>()
                .join("<br>");
        let scopes = e
            .scopes
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join("<br>");
        let why = match e.status {
            Status::Translated => String::new(),
            Status::Partial => e.lost.clone().unwrap_or_default(),
            Status::Unsupported => format!(
                "{} Instead: {}",
                e.reason.clone().unwrap_or_default(),
                e.instead.clone().unwrap_or_default()
            ),
        };
        let _ = writeln!(
            out,
            "| `{} {}` | {} | {} | {} | {} | {} |",
            e.method,
            e.path,
            e.versions.join(", "),
            e.status,
            calls,
            scopes,
            cell(&why)
        );
    }
    out
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Why `mappings show` has nothing to print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShowError {
    #[error(
        "`{0}` is not a legacy route; write it as `METHOD /v1/path`, e.g. `GET /v1/candidates/{{id}}` or `GET /v1/candidates/123`"
    )]
    BadRoute(String),
    #[error("no legacy endpoint `{route}`{}", closest_text(.closest))]
    UnknownRoute { route: String, closest: Vec<String> },
}

fn closest_text(closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        format!("; the closest are:\n  {}", closest.join("\n  "))
    }
}

/// The endpoints a route names, as written on the command line: `GET /v1/candidates`,
/// `GET /v1/candidates/{id}`, a concrete path (`GET /v1/candidates/123`), under either version
/// prefix. Without a method, every endpoint at the path.
pub fn find_endpoints<'c>(c: &'c Catalog, route: &str) -> Result<Vec<&'c Endpoint>, ShowError> {
    let words: Vec<&str> = route.split_whitespace().collect();
    let (method, path) = match words.as_slice() {
        [path] => (None, *path),
        [m, path] => match m.to_ascii_uppercase().parse::<Method>() {
            Ok(m) => (Some(m), *path),
            Err(_) => return Err(ShowError::BadRoute(route.to_string())),
        },
        _ => return Err(ShowError::BadRoute(route.to_string())),
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let found: Vec<&Endpoint> = match method {
        Some(m) => c
            .find_route(Some(m), &path)
            .map(|r| r.endpoint)
            .into_iter()
            .collect(),
        None => Method::ALL
            .iter()
            .filter_map(|m| c.find_route(Some(*m), &path))
            .map(|r| r.endpoint)
            .collect(),
    };
    if !found.is_empty() {
        return Ok(found);
    }
    // The nearest routes by edit distance, path parameters written alike.
    let norm = |p: &str| {
        p.split('/')
            .map(|s| if s.starts_with('{') { "{}" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    let wanted = match method {
        Some(m) => format!("{m} {}", norm(&path)),
        None => norm(&path),
    };
    let (wanted, norm) = (&wanted, &norm);
    let mut near: Vec<(usize, String)> = sorted(c)
        .into_iter()
        .flat_map(|e| {
            e.legacy_paths().into_iter().map(move |p| {
                let text = match method {
                    Some(_) => format!("{} {}", e.method, norm(&p)),
                    None => norm(&p),
                };
                (edit_distance(wanted, &text), format!("{} {p}", e.method))
            })
        })
        .collect();
    near.sort();
    near.dedup_by(|a, b| a.1 == b.1);
    Err(ShowError::UnknownRoute {
        route: route.trim().to_string(),
        closest: near.into_iter().take(5).map(|(_, r)| r).collect(),
    })
}

/// The views an endpoint uses, each once, in reading order: the response view, the views its
/// joins and `each` operations use (recursively), the views a parameter may pick, and the body
/// views of its v3 calls.
pub fn endpoint_views<'c>(c: &'c Catalog, e: &Endpoint) -> Vec<&'c View> {
    let mut out: Vec<&'c View> = Vec::new();
    let picked = e.params.iter().flat_map(|p| match &p.rule {
        ParamRule::View { views } => views.values().filter(|v| !v.is_empty()).cloned().collect(),
        _ => Vec::new(),
    });
    let bodies = e.v3.iter().filter_map(|c| c.body_view.clone());
    let answer = e.write.iter().filter_map(|w| match &w.answer {
        crate::write::WriteAnswer::View { view, .. } => Some(view.clone()),
        _ => None,
    });
    for name in e
        .response
        .iter()
        .map(|r| r.view.clone())
        .chain(picked)
        .chain(bodies)
        .chain(answer)
    {
        for v in c.walk(&name).views {
            if !out.iter().any(|o| o.name == v.name) {
                out.push(v);
            }
        }
    }
    out
}

/// The write plan of a served write, as `mappings show` prints it.
fn write_text(w: &crate::write::WritePlan, o: &mut String) {
    use crate::write::WriteAnswer;
    o.push_str(
        "
write (as the On-Behalf-Of user; each call made once, never repeated after an unknown outcome)
",
    );
    if !w.required.is_empty() {
        let _ = writeln!(o, "  required body fields  {}", w.required.join(", "));
    }
    for (f, why) in &w.refuse {
        let _ = writeln!(o, "  refused body field    {f}: {why}");
    }
    for (f, values) in &w.one_of {
        let _ = writeln!(
            o,
            "  body field values     {f}: one of {}",
            values.join(", ")
        );
    }
    for (name, q) in &w.query {
        let mut rule = Vec::new();
        if q.required {
            rule.push("required".to_string());
        }
        if let Some(sep) = &q.split {
            rule.push(format!("a list split at `{sep}`"));
        }
        if !q.map.is_empty() {
            let m: Vec<String> = q
                .map
                .iter()
                .map(|(k, v)| format!("{k} → {}", v.join(", ")))
                .collect();
            rule.push(format!("mapped ({}; any other value: 422)", m.join("; ")));
        }
        let _ = writeln!(o, "  query parameter       {name}: {}", rule.join(", "));
    }
    for (i, s) in w.steps.iter().enumerate() {
        step_text(i, s, o);
    }
    let answer = match &w.answer {
        WriteAnswer::Read { path, status } => format!("{status}, the v1 read of GET {path}"),
        WriteAnswer::View { step, view, status } => {
            format!("{status}, call {}'s answer through view {view}", step + 1)
        }
        WriteAnswer::Message { text, key, status } => {
            format!("{status}, {{\"{key}\": \"{text}\"}}")
        }
    };
    let _ = writeln!(o, "  v1 answer  {answer}");
}

/// One v3 call of a served write, on one line.
fn step_text(i: usize, s: &crate::write::WriteStep, o: &mut String) {
    let q: Vec<String> = s.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let q = if q.is_empty() {
        String::new()
    } else {
        format!("?{}", q.join("&"))
    };
    let _ = write!(o, "  {}. {} {}{q}", i + 1, s.method, s.path);
    if s.method == "GET" {
        o.push_str(match (s.all, s.each.is_some()) {
            (true, _) => "  (lookup: every row, all pages, is steps.N)",
            (false, true) => "  (lookup per item: the rows found are steps.N; none → 404)",
            (false, false) => "  (lookup: its first row is steps.N)",
        });
    }
    if let Some(list) = &s.each {
        let _ = write!(o, "  once per item of {list}");
    }
    if let Some(among) = &s.among {
        let _ = write!(o, " found among {}", among.text());
    }
    if let Some(b) = &s.body {
        let _ = write!(o, "  body through view {b}");
    }
    if let Some(f) = &s.when {
        let _ = write!(o, "  only when the body has {f}");
    }
    if let Some(f) = &s.unless {
        let _ = write!(o, "  only when there is no {f}");
    }
    if let Some(u) = &s.undo {
        let _ = write!(
            o,
            "  undone by {} {} after a later failure",
            u.method, u.path
        );
    }
    o.push('\n');
}

fn write_json(w: &crate::write::WritePlan) -> Value {
    use crate::write::WriteAnswer;
    let steps: Vec<Value> = w
        .steps
        .iter()
        .map(|s| {
            json!({"method": s.method, "path": s.path, "query": s.query, "body_view": s.body,
                "when": s.when, "unless": s.unless, "each": s.each,
                "among": s.among.as_ref().map(|q| q.text()), "all": s.all,
                "undo": s.undo.as_ref().map(|u| json!({"method": u.method, "path": u.path}))})
        })
        .collect();
    let answer = match &w.answer {
        WriteAnswer::Read { path, status } => json!({"read": path, "status": status}),
        WriteAnswer::View { step, view, status } => {
            json!({"view": view, "step": step, "status": status})
        }
        WriteAnswer::Message { text, key, status } => {
            json!({"message": text, "key": key, "status": status})
        }
    };
    json!({"steps": steps, "answer": answer, "required": w.required, "refuse": w.refuse, "one_of": w.one_of})
}

/// A selector as a reader writes it: `a.b` for a simple path, the JSONPath otherwise.
fn sel(s: &Selector) -> String {
    let t = s.text();
    match t.strip_prefix("$.") {
        Some(rest) if s.is_singular() && !rest.contains(['[', ' ']) => rest.to_string(),
        _ => t.to_string(),
    }
}

/// One operation on one line: `op key=value …`.
pub fn op_text(op: &Op, view: &View) -> String {
    let mut parts = Parts::default();
    let name = match op {
        Op::Move { .. }
        | Op::Copy { .. }
        | Op::Remove { .. }
        | Op::Wrap { .. }
        | Op::First { .. }
        | Op::Merge { .. }
        | Op::CustomFields { .. }
        | Op::Group { .. }
        | Op::Sort { .. }
        | Op::Filter { .. } => field_op_text(op, &mut parts),
        Op::Set { .. }
        | Op::Default { .. }
        | Op::Map { .. }
        | Op::Convert { .. }
        | Op::Push { .. } => value_op_text(op, &mut parts),
        Op::Tree { .. } | Op::Select { .. } => field_list_op_text(op, &mut parts),
        Op::Attach(_) | Op::Each { .. } => reference_op_text(op, view, &mut parts),
        Op::When { .. } => when_op_text(op, view, &mut parts),
    };
    if parts.0.is_empty() {
        name.to_string()
    } else {
        format!("{name} {}", parts.0.join(" "))
    }
}

/// The `key=value` parts of an operation's line, in order.
#[derive(Default)]
struct Parts(Vec<String>);

impl Parts {
    fn kv(&mut self, k: &str, v: String) {
        self.0.push(format!("{k}={v}"));
    }
}

/// Operations that move, reshape or filter fields by their selectors; gives the name.
fn field_op_text(op: &Op, parts: &mut Parts) -> &'static str {
    let mut kv = |k: &str, v: String| parts.kv(k, v);
    match op {
        Op::Move { from, to } | Op::Copy { from, to } => {
            kv("from", sel(from));
            kv("to", sel(to));
            if matches!(op, Op::Move { .. }) {
                "move"
            } else {
                "copy"
            }
        }
        Op::Remove { fields } => {
            kv(
                "fields",
                fields.iter().map(sel).collect::<Vec<_>>().join(","),
            );
            "remove"
        }
        Op::Wrap { at, key } => {
            kv("at", sel(at));
            kv("key", key.clone());
            "wrap"
        }
        Op::First { at } => {
            kv("at", sel(at));
            "first"
        }
        Op::Merge { from } => {
            kv("from", sel(from));
            "merge"
        }
        Op::CustomFields { from, flat, keyed } => {
            kv("from", sel(from));
            kv("flat", sel(flat));
            kv("keyed", sel(keyed));
            "custom_fields"
        }
        Op::Group {
            from,
            to,
            by,
            value,
            keys,
        } => {
            kv("from", sel(from));
            kv("to", sel(to));
            kv("by", sel(by));
            kv("value", sel(value));
            kv("keys", keys.join(","));
            "group"
        }
        Op::Sort { at, by, desc } => {
            kv("at", sel(at));
            kv("by", sel(by));
            if *desc {
                kv("desc", "true".into());
            }
            "sort"
        }
        Op::Filter { at, keep } => {
            kv("at", sel(at));
            match keep {
                Keep::Matching(f) => kv("where", sel(f)),
                Keep::Among(q) => kv("in", sel(q)),
                Keep::NotAmong(q) => kv("not_in", sel(q)),
            }
            "filter"
        }
        _ => unreachable!("`op_text` passes only field operations here"),
    }
}

/// Operations that write constants or convert values; gives the name.
fn value_op_text(op: &Op, parts: &mut Parts) -> &'static str {
    let mut kv = |k: &str, v: String| parts.kv(k, v);
    match op {
        Op::Set { to, value } => {
            kv("to", sel(to));
            kv("value", value.to_string());
            "set"
        }
        Op::Default { at, value } => {
            kv("at", sel(at));
            kv("value", value.to_string());
            "default"
        }
        Op::Map { at, values, other } => {
            kv("at", sel(at));
            let mut pairs: Vec<String> = values.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            pairs.sort();
            kv("values", format!("{{{}}}", pairs.join(", ")));
            if *other != Other::Keep {
                kv("other", other.to_string());
            }
            "map"
        }
        Op::Convert { at, to } => {
            kv("at", sel(at));
            kv("to", conversion_text(to));
            "convert"
        }
        Op::Push {
            at,
            template,
            set,
            when_present,
            front,
        } => {
            kv("at", sel(at));
            kv("json", template.to_string());
            for (k, s) in set {
                kv(&format!("set.{k}"), sel(s));
            }
            if let Some(w) = when_present {
                kv("when_present", sel(w));
            }
            if *front {
                kv("front", "true".into());
            }
            "push"
        }
        _ => unreachable!("`op_text` passes only value operations here"),
    }
}

/// A conversion as the mapping files name it.
fn conversion_text(c: &Conversion) -> String {
    match c {
        Conversion::DateToDatetime => "date_to_datetime".to_string(),
        Conversion::String => "string".into(),
        Conversion::Integer => "integer".into(),
        Conversion::Not => "not".into(),
        Conversion::Lowercase => "lowercase".into(),
        Conversion::Join(sep) => format!("join separator={sep:?}"),
        Conversion::EmptyToNull => "empty_to_null".into(),
    }
}

/// `tree` and `select`: operations that list output fields; gives the name.
fn field_list_op_text(op: &Op, parts: &mut Parts) -> &'static str {
    match op {
        Op::Tree {
            at,
            id,
            parent,
            children,
            fields,
        } => {
            parts.kv("at", sel(at));
            parts.kv("id", id.clone());
            parts.kv("parent", parent.clone());
            parts.kv("children", children.clone());
            parts.kv("fields", fields.join(","));
            "tree"
        }
        Op::Select { fields } => {
            parts.kv("fields", fields.join(","));
            "select"
        }
        _ => unreachable!("`op_text` passes only `tree` and `select` here"),
    }
}

/// `attach` and `each`: operations that name a join of `view` or another view; gives the name.
fn reference_op_text(op: &Op, view: &View, parts: &mut Parts) -> &'static str {
    let mut kv = |k: &str, v: String| parts.kv(k, v);
    match op {
        Op::Attach(a) => {
            let join = view.joins.get(a.join).map(|j| j.name.clone());
            kv("join", join.unwrap_or_else(|| format!("#{}", a.join)));
            kv("to", sel(&a.to));
            let opt = [
                ("where", &a.filter),
                ("order_by", &a.order_by),
                ("prefer", &a.prefer),
                ("select", &a.select),
                ("match", &a.matching),
            ];
            for (k, v) in opt {
                if let Some(s) = v {
                    kv(k, sel(s));
                }
            }
            if a.desc {
                kv("desc", "true".into());
            }
            if a.first {
                kv("first", "true".into());
            }
            "attach"
        }
        Op::Each { at, view } => {
            kv("at", sel(at));
            kv("view", view.clone());
            "each"
        }
        _ => unreachable!("`op_text` passes only `attach` and `each` here"),
    }
}

/// `when`: its condition and both branches, each operation as `op_text` writes it.
fn when_op_text(op: &Op, view: &View, parts: &mut Parts) -> &'static str {
    let Op::When {
        field,
        is,
        present,
        then,
        otherwise,
    } = op
    else {
        unreachable!("`op_text` passes only `when` here");
    };
    parts.kv("field", sel(field));
    match present {
        Some(p) => parts.kv("present", p.to_string()),
        None => parts.kv("is", Value::from(is.clone()).to_string()),
    }
    let branch = |ops: &[Op]| {
        let inner: Vec<String> = ops.iter().map(|o| op_text(o, view)).collect();
        format!("[{}]", inner.join("; "))
    };
    parts.kv("then", branch(then));
    if !otherwise.is_empty() {
        parts.kv("otherwise", branch(otherwise));
    }
    "when"
}

/// What becomes of a legacy parameter, in a few words.
pub fn param_text(p: &Param) -> String {
    let rule = match &p.rule {
        ParamRule::Page => "page number, served from v3 cursors".to_string(),
        ParamRule::PerPage { default, min, max } => {
            format!("page size: default {default}, {min}..{max}")
        }
        ParamRule::Rename { to, map, list } => {
            let mut s = format!("sent as {to}");
            if *list {
                s.push_str(" (comma list, at most 50)");
            }
            if !map.is_empty() {
                let pairs: Vec<String> = map.iter().map(|(k, v)| format!("{k} → {v:?}")).collect();
                s.push_str(&format!(", values mapped: {}", pairs.join(", ")));
            }
            s
        }
        ParamRule::Filter { to, op } => format!("sent as {to}={op}|<value>"),
        ParamRule::Ignore { reason } => format!("ignored: {reason}"),
        ParamRule::Unsupported { reason } => format!("answered with 422: {reason}"),
        ParamRule::View { views } => {
            let pairs: Vec<String> = views
                .iter()
                .map(|(k, v)| {
                    let v = if v.is_empty() { "the default view" } else { v };
                    format!("{k} → {v}")
                })
                .collect();
            format!("picks the response view: {}", pairs.join(", "))
        }
        ParamRule::Via(v) => format!(
            "via {}?{}=<value>: collects {} of every row, then asks for {}=<those ids>",
            v.path, v.by, v.select, v.to
        ),
    };
    if p.kind == "string" {
        rule
    } else {
        format!("{rule} ({})", p.kind)
    }
}

fn call_text(c: &V3Call) -> String {
    let query: Vec<String> = c.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if query.is_empty() {
        format!("{} {}", c.method, c.path)
    } else {
        format!("{} {}?{}", c.method, c.path, query.join("&"))
    }
}

/// How a join fetches its rows.
pub fn join_batching(j: &Join) -> String {
    let how = match &j.by {
        Some(by) => format!(
            "one call per {MAX_IDS} keys of the whole batch ({by}=<keys>), following cursors"
        ),
        None => "the whole collection (every page), once per translation".to_string(),
    };
    if j.cache {
        format!("{how}; reference data the proxy may cache")
    } else {
        how
    }
}

fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
                let _ = writeln!(out, "{indent}{line}");
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

/// `mappings show`: one endpoint with everything a reader needs, its views resolved.
pub fn show_text(c: &Catalog, e: &Endpoint) -> String {
    let mut o = String::new();
    heading_text(e, &mut o);
    if !e.notes.is_empty() {
        let _ = write!(o, "\nnotes\n{}", wrap(&e.notes, "  ", 96));
    }
    if !e.params.is_empty() {
        o.push_str("\nparameters (a parameter not listed is ignored, as in v1)\n");
        let w = e.params.iter().map(|p| p.name.len()).max().unwrap_or(0);
        for p in &e.params {
            let _ = writeln!(o, "  {:<w$}  {}", p.name, param_text(p));
        }
    }
    v3_calls_text(e, &mut o);
    if !e.omitted.is_empty() {
        o.push_str("\nv1 fields not produced\n");
        for (k, v) in &e.omitted {
            let _ = writeln!(o, "  {k}: {v}");
        }
    }
    if let Some(w) = &e.write {
        write_text(w, &mut o);
    }
    if let Some(r) = &e.response {
        let _ = write!(o, "\nresponse\n  view {}, shape {}", r.view, r.shape);
        if let Some(f) = &r.filter {
            let _ = write!(o, ", where {}", f.text());
        }
        o.push('\n');
    }
    let views = endpoint_views(c, e);
    if !views.is_empty() {
        o.push_str("\nviews (each: its joins, made once per batch of records, then its operations in order)\n");
    }
    for v in views {
        view_text(v, &mut o);
    }
    o
}

/// The route, where it is declared, its status and the facts that explain the status.
fn heading_text(e: &Endpoint, o: &mut String) {
    let _ = writeln!(o, "{} {}  ({})", e.method, e.path, e.name);
    let _ = writeln!(o, "  declared at   {}", e.location);
    let _ = writeln!(o, "  legacy paths  {}", e.legacy_paths().join(", "));
    let _ = writeln!(o, "  status        {}", e.status);
    let reason = e.reason.as_ref().map(|r| match r.as_str() {
        UNSUPPORTED_WRITE_REASON => format!("{r} (the default reason of unsupported writes)"),
        _ => r.clone(),
    });
    let facts = [
        ("basis", &e.basis),
        ("legacy status", &e.legacy_status),
        ("lost", &e.lost),
        ("reason", &reason),
        ("instead", &e.instead),
    ];
    for (k, v) in facts {
        if let Some(v) = v {
            let _ = write!(
                o,
                "  {k:<13} {}",
                wrap(v, "", 80).replace('\n', "\n                ")
            );
            o.truncate(o.trim_end().len());
            o.push('\n');
        }
    }
}

/// The v3 calls with why each is made, the parent check and the scopes they need.
fn v3_calls_text(e: &Endpoint, o: &mut String) {
    o.push_str("\nv3 calls\n");
    for call in &e.v3 {
        let _ = writeln!(o, "  {}", call_text(call));
        let mut why = format!("scope {}", call.scope);
        if let Some(p) = &call.purpose {
            why = format!("{p}; {why}");
        }
        if let Some(b) = &call.body_view {
            why = format!("{why}; body through view {b}");
        }
        let _ = writeln!(o, "      {why}");
    }
    if let Some(x) = &e.exists {
        let _ = writeln!(o, "  parent check: {} (none → 404)", call_text(x));
    }
    o.push_str("\nscopes\n");
    for s in &e.scopes {
        let _ = writeln!(o, "  {s}");
    }
}

/// One resolved view: where it is declared, its base, its joins and its operations.
fn view_text(v: &View, o: &mut String) {
    let _ = write!(o, "  {}  ({})", v.name, v.location);
    if let Some(s) = &v.source {
        let _ = write!(o, "  records of {s}");
    }
    o.push('\n');
    if let Some(b) = &v.extends {
        let _ = writeln!(o, "    extends {b} (its joins and operations come first)");
    }
    for j in &v.joins {
        let _ = writeln!(
            o,
            "    join {}: GET {} — key {} = on {}{}",
            j.name,
            j.from,
            sel(&j.key),
            sel(&j.on),
            j.view
                .as_ref()
                .map(|v| format!(", rows through view {v}"))
                .unwrap_or_default()
        );
        let _ = writeln!(o, "      {}", join_batching(j));
    }
    for (i, op) in v.ops.iter().enumerate() {
        let _ = writeln!(o, "    {:>2}. {}", i + 1, op_text(op, v));
    }
}

/// `mappings show --format json`: the `mappings list` object plus parameters, calls, response
/// and the resolved views.
pub fn show_json(c: &Catalog, e: &Endpoint) -> Value {
    let mut v = endpoint_json(e);
    let Value::Object(m) = &mut v else {
        return v;
    };
    let opt = |s: &Option<String>| s.as_ref().map_or(Value::Null, |s| json!(s));
    m.insert("location".into(), json!(e.location.to_string()));
    m.insert("legacy_paths".into(), json!(e.legacy_paths()));
    m.insert("basis".into(), opt(&e.basis));
    m.insert("legacy_status".into(), opt(&e.legacy_status));
    let call = |c: &V3Call| {
        json!({
            "method": c.method, "path": c.path, "query": c.query, "purpose": c.purpose,
            "scope": c.scope, "from_join": c.from_join, "body_view": c.body_view,
        })
    };
    m.insert("v3".into(), e.v3.iter().map(call).collect());
    m.insert("exists".into(), e.exists.as_ref().map_or(Value::Null, call));
    let params = e.params.iter().map(|p| {
        json!({"name": p.name, "type": p.kind, "rule": param_text(p), "detail": rule_json(&p.rule)})
    });
    m.insert("params".into(), params.collect());
    m.insert("omitted".into(), json!(e.omitted));
    let response = e.response.as_ref().map_or(Value::Null, |r| {
        json!({"view": r.view, "shape": r.shape.as_str(), "where": r.filter.as_ref().map(|f| f.text())})
    });
    m.insert("response".into(), response);
    m.insert(
        "write".into(),
        e.write.as_ref().map_or(Value::Null, write_json),
    );
    let views = endpoint_views(c, e).into_iter().map(|v| {
        let joins = v.joins.iter().map(|j| {
            json!({
                "name": j.name, "from": j.from, "by": j.by, "all": j.by.is_none(),
                "key": j.key.text(), "on": j.on.text(), "query": j.query, "view": j.view,
                "cache": j.cache, "batching": join_batching(j),
            })
        });
        json!({
            "name": v.name, "location": v.location.to_string(), "source": v.source,
            "extends": v.extends, "joins": joins.collect::<Vec<_>>(),
            "ops": v.ops.iter().map(|o| op_text(o, v)).collect::<Vec<_>>(),
        })
    });
    m.insert("views".into(), views.collect());
    v
}

fn rule_json(r: &ParamRule) -> Value {
    match r {
        ParamRule::Page => json!({"role": "page"}),
        ParamRule::PerPage { default, min, max } => {
            json!({"role": "per_page", "default": default, "min": min, "max": max})
        }
        ParamRule::Rename { to, map, list } => json!({"to": to, "map": map, "list": list}),
        ParamRule::Filter { to, op } => json!({"to": to, "filter": op}),
        ParamRule::Ignore { reason } => json!({"ignore": reason}),
        ParamRule::Unsupported { reason } => json!({"unsupported": reason}),
        ParamRule::View { views } => json!({"view": views}),
        ParamRule::Via(v) => {
            json!({"via": {"path": v.path, "by": v.by, "select": v.select, "to": v.to}})
        }
    }
}
