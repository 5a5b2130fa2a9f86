//! Loads mapping files, checks them, and builds the `Catalog`. Every problem is collected with
//! its file:line:column and a hint; nothing here panics on bad input.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;
use toml::Spanned;

use crate::catalog::{
    Attach, Catalog, Conversion, Endpoint, Join, Op, Other, Param, ParamRule, Response, Shape,
    Status, V3Call, View, derive_scope,
};
use crate::diag::{Diagnostic, Diagnostics, Location, Sink};
use crate::model::{EndpointDef, FileDef, JoinDef, ParamDef, ViewDef};
use crate::ops::{CONVERSIONS, OP_NAMES, OpDef};
use crate::selector::Selector;

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

impl Catalog {
    /// The mapping files compiled into this binary (loaded once).
    pub fn embedded() -> Result<&'static Catalog, &'static Diagnostics> {
        static CELL: OnceLock<Result<Catalog, Diagnostics>> = OnceLock::new();
        CELL.get_or_init(|| Catalog::from_sources(EMBEDDED.iter().map(|(n, s)| (*n, *s))))
            .as_ref()
    }

    /// The embedded files, as (file name, contents).
    pub fn embedded_sources() -> &'static [(&'static str, &'static str)] {
        EMBEDDED
    }

    /// Loads every `*.toml` file of a directory.
    pub fn load_dir(dir: &Path) -> Result<Catalog, Diagnostics> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            one(
                &dir.display().to_string(),
                format!("cannot read mapping directory: {e}"),
                "pass the directory that holds the *.toml mapping files",
            )
        })?;
        let mut files = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                continue;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match std::fs::read_to_string(&path) {
                Ok(text) => files.push((name, text)),
                Err(e) => {
                    return Err(one(
                        &path.display().to_string(),
                        format!("cannot read mapping file: {e}"),
                        "mapping files must be readable UTF-8 TOML",
                    ));
                }
            }
        }
        if files.is_empty() {
            return Err(one(
                &dir.display().to_string(),
                "no *.toml mapping files in this directory".into(),
                "point at mappings/resources or a copy of it",
            ));
        }
        files.sort();
        Catalog::from_sources(files.iter().map(|(n, s)| (n.as_str(), s.as_str())))
    }

    /// Loads mapping files given as (file name, contents).
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Catalog, Diagnostics> {
        let mut diags = Vec::new();
        let mut parsed: Vec<(String, &'a str, FileDef)> = Vec::new();
        for (name, source) in sources {
            match toml::from_str::<FileDef>(source) {
                Ok(f) => parsed.push((name.to_string(), source, f)),
                Err(e) => {
                    let span = e.span().unwrap_or(0..0);
                    let msg = e.message().trim().to_string();
                    let hint = syntax_hint(&msg);
                    diags.push(Diagnostic {
                        location: Location::at(name, source, span.start),
                        message: msg,
                        hint,
                    });
                }
            }
        }
        let mut b = Builder::default();
        // Views first (all files), so endpoints and views can refer to views anywhere.
        for (file, source, def) in &parsed {
            let mut sink = Sink {
                file,
                source,
                out: &mut diags,
            };
            let stem = stem(file);
            for (vname, vdef) in &def.views {
                b.view(&mut sink, &stem, vname, vdef);
            }
        }
        b.resolve_views(&mut diags);
        for (file, source, def) in &parsed {
            let mut sink = Sink {
                file,
                source,
                out: &mut diags,
            };
            for ep in &def.endpoints {
                b.endpoint(&mut sink, file, ep);
            }
        }
        if diags.is_empty() {
            let mut files: Vec<String> = parsed.iter().map(|(f, _, _)| f.clone()).collect();
            files.sort();
            Ok(Catalog {
                endpoints: b.endpoints,
                views: b.views.into_iter().map(|(k, (v, _))| (k, v)).collect(),
                files,
                analysis: Default::default(),
            }
            .analysed())
        } else {
            diags.sort_by(|a, b| {
                (&a.location.file, a.location.line, a.location.column).cmp(&(
                    &b.location.file,
                    b.location.line,
                    b.location.column,
                ))
            });
            Err(Diagnostics(diags))
        }
    }
}

fn one(file: &str, message: String, hint: &str) -> Diagnostics {
    Diagnostics(vec![Diagnostic {
        location: Location {
            file: file.to_string(),
            line: 0,
            column: 0,
        },
        message,
        hint: Some(hint.to_string()),
    }])
}

fn stem(file: &str) -> String {
    file.trim_end_matches(".toml").to_string()
}

fn syntax_hint(msg: &str) -> Option<String> {
    if msg.contains("unknown field") {
        Some("see docs/mappings.md for the keys each table accepts".into())
    } else if msg.contains("missing field") {
        Some("add the required key; docs/mappings.md lists what each table needs".into())
    } else if msg.contains("duplicate key") {
        Some("each key may appear once per table".into())
    } else if msg.contains("invalid type") {
        Some("check the value's type (string, array, table) against docs/mappings.md".into())
    } else {
        Some("this is TOML syntax: check quoting, brackets and commas near this place".into())
    }
}

/// Where a view reference was written, to report unresolved names.
struct PendingRef {
    from_view: String,
    target: String,
    location: Location,
}

#[derive(Default)]
struct Builder {
    views: HashMap<String, (View, Location)>,
    /// (view, base, where `extends` is written)
    extends: Vec<(String, String, Location)>,
    refs: Vec<PendingRef>,
    endpoints: Vec<Endpoint>,
    routes: HashMap<(String, String), Location>,
}

fn qualify(stem: &str, name: &str) -> String {
    if name.contains('.') {
        name.to_string()
    } else {
        format!("{stem}.{name}")
    }
}

impl Builder {
    fn selector(
        &self,
        sink: &mut Sink<'_>,
        span: &Range<usize>,
        text: &str,
        what: &str,
    ) -> Option<Selector> {
        match Selector::parse(text) {
            Ok(s) => Some(s),
            Err(e) => {
                sink.error(
                    span,
                    format!("{what}: {e}"),
                    Some("selectors are RFC 9535 JSONPath (`$.a.b`, `$[?@.type == 'x']`) or a dotted field name (`a.b`)".into()),
                );
                None
            }
        }
    }

    fn singular(
        &self,
        sink: &mut Sink<'_>,
        span: &Range<usize>,
        text: &str,
        what: &str,
    ) -> Option<Selector> {
        let s = self.selector(sink, span, text, what)?;
        if !s.is_singular() {
            sink.error(
                span,
                format!("{what}: `{text}` must name one place (a singular path), not a query"),
                Some("write a field path such as `a.b` or `$.a[0]`".into()),
            );
            return None;
        }
        Some(s)
    }

    fn view(&mut self, sink: &mut Sink<'_>, stem: &str, name: &str, def: &Spanned<ViewDef>) {
        let span = def.span();
        let qualified = qualify(stem, name);
        let vdef = def.get_ref();
        let mut joins = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        for j in &vdef.joins {
            if let Some(join) = self.join(sink, stem, &qualified, j) {
                if names.insert(join.name.clone(), joins.len()).is_some() {
                    sink.error(
                        &j.get_ref().name.span(),
                        format!(
                            "join `{}` is declared twice in view `{qualified}`",
                            join.name
                        ),
                        Some("give each join of a view its own name".into()),
                    );
                }
                joins.push(join);
            }
        }
        let mut used = vec![false; joins.len()];
        let mut writes: HashMap<String, Location> = HashMap::new();
        let mut ops = Vec::new();
        for raw in &vdef.ops {
            if let Some(op) = self.op(
                sink,
                stem,
                &qualified,
                raw.get_ref(),
                &raw.span(),
                &names,
                &mut used,
            ) {
                for target in op_writes(&op) {
                    let here = sink.loc(&raw.span());
                    if let Some(first) = writes.get(&target) {
                        sink.error(
                            &raw.span(),
                            format!("v1 field `{target}` is written twice in view `{qualified}` (first at line {})", first.line),
                            Some("each output field must have one source; remove one of the operations or use `default`".into()),
                        );
                    } else {
                        writes.insert(target, here);
                    }
                }
                ops.push(op);
            }
        }
        for (i, j) in vdef.joins.iter().enumerate() {
            if used.get(i) == Some(&false) && i < joins.len() {
                sink.error(
                    &j.span(),
                    format!("join `{}` of view `{qualified}` is never attached", joins[i].name),
                    Some("add `{ op = \"attach\", join = \"...\", to = \"...\" }` or remove the join; it would cost a v3 call for nothing".into()),
                );
            }
        }
        if let Some(base) = &vdef.extends {
            if !vdef.joins.is_empty() {
                sink.error(&base.span(), format!("view `{qualified}` extends `{}` and so cannot declare joins of its own", base.get_ref()), Some("add the joins to the base view, or copy the base view instead of extending it".into()));
            }
            self.extends.push((
                qualified.clone(),
                qualify(stem, base.get_ref()),
                sink.loc(&base.span()),
            ));
        }
        let location = sink.loc(&span);
        if let Some((_, prev)) = self.views.get(&qualified) {
            sink.error(
                &span,
                format!("view `{qualified}` is defined twice (first at {prev})"),
                None,
            );
            return;
        }
        self.views.insert(
            qualified.clone(),
            (
                View {
                    name: qualified,
                    source: vdef.source.clone(),
                    joins,
                    ops,
                    location: location.clone(),
                },
                location,
            ),
        );
    }

    fn join(
        &mut self,
        sink: &mut Sink<'_>,
        stem: &str,
        view: &str,
        j: &Spanned<JoinDef>,
    ) -> Option<Join> {
        let d = j.get_ref();
        let from = d.from.get_ref();
        let mut ok = true;
        if !from.starts_with("/v3/") || from.contains('{') {
            sink.error(
                &d.from.span(),
                format!("join `{}`: `from` must be a v3 collection path such as `/v3/users`, not `{from}`", d.name.get_ref()),
                Some("v3 has no single-record or nested routes; filter the collection with `by`".into()),
            );
            ok = false;
        }
        match (&d.by, d.all) {
            (Some(by), true) => {
                sink.error(
                    &by.span(),
                    "a join takes either `by` (a filter) or `all = true`, not both",
                    None,
                );
                ok = false;
            }
            (None, false) => {
                sink.error(
                    &j.span(),
                    format!("join `{}` needs `by = \"<plural filter>\"` or `all = true`", d.name.get_ref()),
                    Some("e.g. `by = \"candidate_ids\"` fetches the rows for up to 50 parents a call".into()),
                );
                ok = false;
            }
            (Some(by), false) if !(by.get_ref() == "ids" || by.get_ref().ends_with("_ids")) => {
                sink.error(
                    &by.span(),
                    format!("join filter `{}` is not a plural id filter", by.get_ref()),
                    Some(
                        "v3 batch filters are `ids` or `<parent>_ids` (comma lists of at most 50)"
                            .into(),
                    ),
                );
                ok = false;
            }
            _ => {}
        }
        let key = self.selector(sink, &d.key.span(), d.key.get_ref(), "join key");
        let on = self.singular(sink, &d.on.span(), d.on.get_ref(), "join `on`");
        if let Some(v) = &d.view {
            self.refs.push(PendingRef {
                from_view: view.to_string(),
                target: qualify(stem, v.get_ref()),
                location: sink.loc(&v.span()),
            });
        }
        if !ok {
            return None;
        }
        Some(Join {
            name: d.name.get_ref().clone(),
            from: from.clone(),
            by: d.by.as_ref().map(|b| b.get_ref().clone()),
            key: key?,
            on: on?,
            query: d.query.clone(),
            view: d.view.as_ref().map(|v| qualify(stem, v.get_ref())),
            cache: d.cache,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn op(
        &mut self,
        sink: &mut Sink<'_>,
        stem: &str,
        view: &str,
        raw: &toml::Value,
        span: &Range<usize>,
        joins: &HashMap<String, usize>,
        used: &mut [bool],
    ) -> Option<Op> {
        let def: OpDef = match raw.clone().try_into() {
            Ok(d) => d,
            Err(e) => {
                let name = raw.get("op").and_then(|v| v.as_str()).unwrap_or("");
                let msg = e.message().trim().to_string();
                let hint = if name.is_empty() {
                    format!(
                        "every operation is a table with `op = \"...\"`; accepted: {}",
                        OP_NAMES.join(", ")
                    )
                } else if !OP_NAMES.contains(&name) {
                    format!(
                        "unknown operation `{name}`; accepted: {}",
                        OP_NAMES.join(", ")
                    )
                } else {
                    format!("see the `{name}` operation in docs/mappings.md")
                };
                sink.error(span, format!("invalid operation: {msg}"), Some(hint));
                return None;
            }
        };
        let sel =
            |b: &Builder, sink: &mut Sink<'_>, t: &str, what: &str| b.singular(sink, span, t, what);
        let value =
            |sink: &mut Sink<'_>, v: &Option<toml::Value>, j: &Option<String>| -> Option<Value> {
                match (v, j) {
                    (Some(v), None) => serde_json::to_value(v).ok(),
                    (None, Some(j)) => match serde_json::from_str(j) {
                        Ok(v) => Some(v),
                        Err(e) => {
                            sink.error(
                                span,
                                format!("`json` is not valid JSON: {e}"),
                                Some("e.g. json = \"null\" or json = '{\"a\": 1}'".into()),
                            );
                            None
                        }
                    },
                    _ => {
                        sink.error(
                            span,
                            "give exactly one of `value` (TOML) or `json` (a JSON literal)",
                            Some("TOML has no null: write json = \"null\"".into()),
                        );
                        None
                    }
                }
            };
        Some(match def {
            OpDef::Rename { from, to } | OpDef::Move { from, to } => Op::Move {
                from: sel(self, sink, &from, "from")?,
                to: sel(self, sink, &to, "to")?,
            },
            OpDef::Copy { from, to } => Op::Copy {
                from: self.selector(sink, span, &from, "from")?,
                to: sel(self, sink, &to, "to")?,
            },
            OpDef::Set { to, value: v, json } => Op::Set {
                to: sel(self, sink, &to, "to")?,
                value: value(sink, &v, &json)?,
            },
            OpDef::Default { at, value: v, json } => Op::Default {
                at: sel(self, sink, &at, "at")?,
                value: value(sink, &v, &json)?,
            },
            OpDef::Remove { fields } => Op::Remove {
                fields: fields
                    .iter()
                    .map(|f| sel(self, sink, f, "fields"))
                    .collect::<Option<Vec<_>>>()?,
            },
            OpDef::Map { at, values, other } => {
                let other = match other.as_deref() {
                    None | Some("keep") => Other::Keep,
                    Some("null") => Other::Null,
                    Some("error") => Other::Error,
                    Some(o) => {
                        sink.error(
                            span,
                            format!("`other = \"{o}\"` is not one of keep, null, error"),
                            None,
                        );
                        return None;
                    }
                };
                let mut map = HashMap::new();
                for (k, v) in values {
                    map.insert(k, serde_json::to_value(v).ok()?);
                }
                Op::Map {
                    at: sel(self, sink, &at, "at")?,
                    values: map,
                    other,
                }
            }
            OpDef::Convert { at, to, separator } => {
                let conv = match to.as_str() {
                    "date_to_datetime" => Conversion::DateToDatetime,
                    "string" => Conversion::String,
                    "integer" => Conversion::Integer,
                    "not" => Conversion::Not,
                    "lowercase" => Conversion::Lowercase,
                    "join" => Conversion::Join(separator.unwrap_or_else(|| ", ".into())),
                    "empty_to_null" => Conversion::EmptyToNull,
                    other => {
                        sink.error(
                            span,
                            format!("unknown conversion `{other}`"),
                            Some(format!("accepted: {}", CONVERSIONS.join(", "))),
                        );
                        return None;
                    }
                };
                Op::Convert {
                    at: sel(self, sink, &at, "at")?,
                    to: conv,
                }
            }
            OpDef::Wrap { at, key } => Op::Wrap {
                at: sel(self, sink, &at, "at")?,
                key,
            },
            OpDef::First { at } => Op::First {
                at: sel(self, sink, &at, "at")?,
            },
            OpDef::Merge { from } => Op::Merge {
                from: sel(self, sink, &from, "from")?,
            },
            OpDef::Attach {
                join,
                to,
                filter,
                order_by,
                desc,
                prefer,
                first,
                select,
                matching,
            } => {
                let Some(&idx) = joins.get(&join) else {
                    let known: Vec<&str> = joins.keys().map(|s| s.as_str()).collect();
                    sink.error(
                        span,
                        format!(
                            "`attach` names join `{join}`, which view `{view}` does not declare"
                        ),
                        Some(if known.is_empty() {
                            "declare it under [[views.<name>.joins]] first".into()
                        } else {
                            format!("joins of this view: {}", known.join(", "))
                        }),
                    );
                    return None;
                };
                if let Some(u) = used.get_mut(idx) {
                    *u = true;
                }
                let filter = match filter {
                    Some(f) => Some(self.selector(sink, span, &f, "where")?),
                    None => None,
                };
                Op::Attach(Box::new(Attach {
                    join: idx,
                    to: sel(self, sink, &to, "to")?,
                    filter,
                    order_by: match order_by {
                        Some(o) => Some(sel(self, sink, &o, "order_by")?),
                        None => None,
                    },
                    desc,
                    prefer: match prefer {
                        Some(p) => Some(sel(self, sink, &p, "prefer")?),
                        None => None,
                    },
                    first,
                    select: match select {
                        Some(s) => Some(self.selector(sink, span, &s, "select")?),
                        None => None,
                    },
                    matching: match matching {
                        Some(m) => Some(sel(self, sink, &m, "match")?),
                        None => None,
                    },
                }))
            }
            OpDef::Each { at, view: v } => {
                let target = qualify(stem, &v);
                self.refs.push(PendingRef {
                    from_view: view.to_string(),
                    target: target.clone(),
                    location: sink.loc(span),
                });
                Op::Each {
                    at: sel(self, sink, &at, "at")?,
                    view: target,
                }
            }
            OpDef::CustomFields { from, flat, keyed } => Op::CustomFields {
                from: sel(self, sink, &from, "from")?,
                flat: sel(
                    self,
                    sink,
                    flat.as_deref().unwrap_or("custom_fields"),
                    "flat",
                )?,
                keyed: sel(
                    self,
                    sink,
                    keyed.as_deref().unwrap_or("keyed_custom_fields"),
                    "keyed",
                )?,
            },
            OpDef::Group {
                from,
                to,
                by,
                value: v,
                keys,
            } => Op::Group {
                from: sel(self, sink, &from, "from")?,
                to: sel(self, sink, &to, "to")?,
                by: sel(self, sink, &by, "by")?,
                value: sel(self, sink, &v, "value")?,
                keys,
            },
            OpDef::Push {
                at,
                json,
                set,
                when_present,
                front,
            } => {
                let template: Value = match serde_json::from_str(&json) {
                    Ok(v) => v,
                    Err(e) => {
                        sink.error(span, format!("`json` is not valid JSON: {e}"), None);
                        return None;
                    }
                };
                let mut fields = Vec::new();
                for (k, s) in set {
                    fields.push((k, self.selector(sink, span, &s, "set")?));
                }
                Op::Push {
                    at: sel(self, sink, &at, "at")?,
                    template,
                    set: fields,
                    when_present: match when_present {
                        Some(w) => Some(sel(self, sink, &w, "when_present")?),
                        None => None,
                    },
                    front,
                }
            }
            OpDef::Sort { at, by, desc } => Op::Sort {
                at: sel(self, sink, &at, "at")?,
                by: sel(self, sink, &by, "by")?,
                desc,
            },
            OpDef::Filter { at, filter } => Op::Filter {
                at: sel(self, sink, &at, "at")?,
                filter: self.selector(sink, span, &filter, "where")?,
            },
            OpDef::When {
                field,
                is,
                present,
                then,
                otherwise,
            } => {
                if is.is_empty() == present.is_none() {
                    sink.error(
                        span,
                        "`when` takes exactly one condition: `is = [...]` or `present = true|false`",
                        Some("TOML has no null: test for null with `present = false`".into()),
                    );
                    return None;
                }
                let mut t = Vec::new();
                for o in &then {
                    t.push(self.op(sink, stem, view, o, span, joins, used)?);
                }
                let mut e = Vec::new();
                for o in &otherwise {
                    e.push(self.op(sink, stem, view, o, span, joins, used)?);
                }
                Op::When {
                    field: sel(self, sink, &field, "field")?,
                    is: is
                        .iter()
                        .filter_map(|v| serde_json::to_value(v).ok())
                        .collect(),
                    present,
                    then: t,
                    otherwise: e,
                }
            }
            OpDef::Tree {
                at,
                id,
                parent,
                children,
                fields,
            } => {
                if !fields.contains(&children) {
                    sink.error(
                        span,
                        format!("`tree` fields must name the children field `{children}`"),
                        Some(
                            "e.g. fields = [\"id\", \"name\", \"children\", \"external_id\"]"
                                .into(),
                        ),
                    );
                    return None;
                }
                Op::Tree {
                    at: sel(self, sink, &at, "at")?,
                    id,
                    parent,
                    children,
                    fields,
                }
            }
            OpDef::Select { fields } => {
                let mut seen = BTreeSet::new();
                for f in &fields {
                    if !seen.insert(f) {
                        sink.error(span, format!("`select` lists `{f}` twice"), None);
                        return None;
                    }
                }
                Op::Select { fields }
            }
        })
    }

    fn resolve_views(&mut self, diags: &mut Vec<Diagnostic>) {
        // `extends`: resolve in dependency order; a cycle or a missing base is an error.
        let mut pending = std::mem::take(&mut self.extends);
        let mut done: BTreeSet<String> = self
            .views
            .keys()
            .filter(|k| !pending.iter().any(|(v, _, _)| v == *k))
            .cloned()
            .collect();
        while !pending.is_empty() {
            let before = pending.len();
            pending.retain(|(view, base, loc)| {
                if !self.views.contains_key(base) {
                    diags.push(Diagnostic {
                        location: loc.clone(),
                        message: format!("view `{view}` extends `{base}`, which is not defined"),
                        hint: Some("name a view as `name` (same file) or `file.name`".into()),
                    });
                    return false;
                }
                if !done.contains(base) {
                    return true;
                }
                let (b_joins, b_ops) = match self.views.get(base) {
                    Some((b, _)) => (b.joins.clone(), b.ops.clone()),
                    None => return false,
                };
                if let Some((v, _)) = self.views.get_mut(view) {
                    v.joins = b_joins;
                    let own = std::mem::take(&mut v.ops);
                    v.ops = b_ops.into_iter().chain(own).collect();
                }
                done.insert(view.clone());
                false
            });
            if pending.len() == before {
                for (view, base, loc) in pending.drain(..) {
                    diags.push(Diagnostic {
                        location: loc,
                        message: format!("view `{view}` extends `{base}` in a cycle"),
                        hint: Some("break the cycle of `extends`".into()),
                    });
                }
            }
        }
        for r in &self.refs {
            if !self.views.contains_key(&r.target) {
                let mut known: Vec<&String> = self.views.keys().collect();
                known.sort();
                let near: Vec<&String> = known
                    .iter()
                    .filter(|k| {
                        let (a, b) = (k.rsplit('.').next(), r.target.rsplit('.').next());
                        a == b || k.starts_with(r.target.split('.').next().unwrap_or(""))
                    })
                    .copied()
                    .take(5)
                    .collect();
                diags.push(Diagnostic {
                    location: r.location.clone(),
                    message: format!(
                        "view `{}` (used by `{}`) is not defined",
                        r.target, r.from_view
                    ),
                    hint: Some(if near.is_empty() {
                        "define it under [views.<name>] in the file named before the dot".into()
                    } else {
                        format!(
                            "views with a similar name: {}",
                            near.iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }),
                });
            }
        }
    }

    fn endpoint(&mut self, sink: &mut Sink<'_>, file: &str, def: &Spanned<EndpointDef>) {
        let d = def.get_ref();
        let span = def.span();
        let stem = stem(file);
        let method = d.method.get_ref().to_ascii_uppercase();
        let mut ok = true;
        if !METHODS.contains(&method.as_str()) {
            sink.error(
                &d.method.span(),
                format!("unknown HTTP method `{}`", d.method.get_ref()),
                Some(format!("one of {}", METHODS.join(", "))),
            );
            ok = false;
        }
        let path = d.path.get_ref().clone();
        if !(path.starts_with("/v1/") || path.starts_with("/v2/")) {
            sink.error(
                &d.path.span(),
                format!("legacy path `{path}` must start with /v1/ or /v2/"),
                None,
            );
            ok = false;
        }
        let versions = d.versions.get_ref().clone();
        if versions.is_empty() || versions.iter().any(|v| v != "v1" && v != "v2") {
            sink.error(
                &d.versions.span(),
                "`versions` must list \"v1\" and/or \"v2\"",
                None,
            );
            ok = false;
        }
        let status = match d.status.get_ref().as_str() {
            "translated" => Status::Translated,
            "partial" => Status::Partial,
            "unsupported" => Status::Unsupported,
            s => {
                sink.error(
                    &d.status.span(),
                    format!("unknown status `{s}`"),
                    Some("one of translated, partial, unsupported".into()),
                );
                return;
            }
        };
        match status {
            Status::Partial if d.lost.as_deref().is_none_or(str::is_empty) => {
                sink.error(
                    &d.status.span(),
                    "a `partial` endpoint must say what is lost",
                    Some("add `lost = \"...\"`".into()),
                );
                ok = false;
            }
            Status::Unsupported
                if d.reason.as_deref().is_none_or(str::is_empty)
                    || d.instead.as_deref().is_none_or(str::is_empty) =>
            {
                sink.error(
                    &d.status.span(),
                    "an `unsupported` endpoint must say why and what to do in v3 instead",
                    Some("add `reason = \"...\"` and `instead = \"...\"`".into()),
                );
                ok = false;
            }
            _ => {}
        }
        if status != Status::Unsupported && method == "GET" && d.response.is_none() {
            sink.error(&span, format!("`{}` reads are served from v3, so the endpoint needs a [endpoint.response] view", status), Some("add `response = { view = \"...\" }` or mark the endpoint unsupported".into()));
            ok = false;
        }
        let mut v3 = Vec::new();
        for c in &d.v3 {
            let cd = c.get_ref();
            let m = cd.method.get_ref().to_ascii_uppercase();
            if !METHODS.contains(&m.as_str()) {
                sink.error(
                    &cd.method.span(),
                    format!("unknown HTTP method `{}`", cd.method.get_ref()),
                    None,
                );
                ok = false;
            }
            if !cd.path.get_ref().starts_with("/v3/") {
                sink.error(
                    &cd.path.span(),
                    format!("v3 call path `{}` must start with /v3/", cd.path.get_ref()),
                    None,
                );
                ok = false;
            }
            let scope = cd
                .scope
                .clone()
                .unwrap_or_else(|| derive_scope(&m, cd.path.get_ref()));
            v3.push(V3Call {
                method: m,
                path: cd.path.get_ref().clone(),
                query: cd.query.clone(),
                purpose: cd.purpose.clone(),
                scope,
                from_join: false,
                body_view: cd.body.as_ref().map(|b| qualify(&stem, b)),
            });
            if let Some(b) = &cd.body {
                let target = qualify(&stem, b);
                if !self.views.contains_key(&target) {
                    sink.error(
                        &cd.path.span(),
                        format!("body view `{target}` is not defined"),
                        Some("define it under [views.<name>]; it turns the legacy request body into this call's body".into()),
                    );
                    ok = false;
                }
            }
        }
        if v3.is_empty() {
            sink.error(
                &span,
                "an endpoint must name at least one v3 call",
                Some("add [[endpoint.v3]] with method and path".into()),
            );
            ok = false;
        }
        let mut params = Vec::new();
        for p in &d.params {
            if let Some(mut p) = param(sink, p) {
                if let ParamRule::View { views } = &mut p.rule {
                    for v in views.values_mut().filter(|v| !v.is_empty()) {
                        *v = qualify(&stem, v);
                        if !self.views.contains_key(v.as_str()) {
                            sink.error(&span, format!("parameter `{}` names view `{v}`, which is not defined", p.name), Some("define it under [views.<name>]; it receives {\"records\": [...]}".into()));
                            ok = false;
                        }
                    }
                }
                if params.iter().any(|q: &Param| q.name == p.name) {
                    sink.error(
                        &span,
                        format!("query parameter `{}` is declared twice", p.name),
                        None,
                    );
                    ok = false;
                }
                params.push(p);
            } else {
                ok = false;
            }
        }
        let response = match &d.response {
            None => None,
            Some(r) => {
                let rd = r.get_ref();
                let view = qualify(&stem, rd.view.get_ref());
                if !self.views.contains_key(&view) {
                    sink.error(&rd.view.span(), format!("response view `{view}` is not defined"), Some("define it under [views.<name>] (in this file, or `file.name` for another file)".into()));
                    ok = false;
                }
                let shape = match rd.shape.get_ref().as_str() {
                    "list" => Shape::List,
                    "single" => Shape::Single,
                    "object" => Shape::Object,
                    s => {
                        sink.error(
                            &rd.shape.span(),
                            format!("unknown response shape `{s}`"),
                            Some("one of list, single, object".into()),
                        );
                        return;
                    }
                };
                let filter = match &rd.filter {
                    Some(f) => match self.selector(sink, &f.span(), f.get_ref(), "where") {
                        Some(s) => Some(s),
                        None => {
                            ok = false;
                            None
                        }
                    },
                    None => None,
                };
                Some(Response {
                    view,
                    shape,
                    filter,
                })
            }
        };
        if let Some(r) = &response {
            if v3.first().map(|c| c.method.as_str()) != Some("GET") {
                sink.error(
                    &span,
                    "a read with a response view must list its primary GET call first",
                    None,
                );
                ok = false;
            }
            let mut seen = BTreeSet::new();
            let mut derived = Vec::new();
            self.collect_join_calls(&r.view, &mut seen, &mut derived);
            for c in derived {
                if !v3.iter().any(|e| e.method == c.method && e.path == c.path) {
                    v3.push(c);
                }
            }
        }
        let exists = match &d.exists {
            None => None,
            Some(e) => {
                let ed = e.get_ref();
                let path = ed.path.get_ref();
                if !path.starts_with("/v3/") || path.contains('{') {
                    sink.error(
                        &ed.path.span(),
                        format!("`exists` must call a v3 collection such as /v3/candidates, not `{path}`"),
                        Some("filter it with the parent id: query = { ids = \"{id}\" }".into()),
                    );
                    ok = false;
                }
                let call = V3Call {
                    method: "GET".into(),
                    path: path.clone(),
                    query: ed.query.clone(),
                    purpose: Some("the parent record must exist (404 otherwise)".into()),
                    scope: derive_scope("GET", path),
                    from_join: false,
                    body_view: None,
                };
                if !v3.iter().any(|c| c.method == "GET" && c.path == call.path) {
                    v3.push(call.clone());
                }
                Some(call)
            }
        };
        let mut scopes: Vec<String> = v3
            .iter()
            .map(|c| c.scope.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        scopes.sort();
        // Duplicate routes, under every version prefix.
        let rest = crate::catalog::strip_version(&path).to_string();
        for v in &versions {
            let norm = normalize_template(&format!("/{v}{rest}"));
            let key = (method.clone(), norm.clone());
            let here = sink.loc(&span);
            if let Some(prev) = self.routes.get(&key) {
                sink.error(
                    &span,
                    format!("legacy route {method} {norm} is declared twice (first at {prev})"),
                    Some("each legacy endpoint has exactly one entry; merge the two".into()),
                );
                ok = false;
            } else {
                self.routes.insert(key, here);
            }
        }
        if !ok {
            return;
        }
        self.endpoints.push(Endpoint {
            name: d.name.clone(),
            method,
            path,
            versions,
            basis: d.basis.clone(),
            legacy_status: d.legacy_status.clone(),
            status,
            lost: d.lost.clone(),
            reason: d.reason.clone(),
            instead: d.instead.clone(),
            notes: d.notes.trim().to_string(),
            v3,
            scopes,
            params,
            response,
            exists,
            write: None,
            omitted: d.omitted.clone(),
            location: sink.loc(&span),
            file: stem,
        });
    }

    fn collect_join_calls(&self, view: &str, seen: &mut BTreeSet<String>, out: &mut Vec<V3Call>) {
        if !seen.insert(view.to_string()) {
            return;
        }
        let Some((v, _)) = self.views.get(view) else {
            return;
        };
        for j in &v.joins {
            let mut query = j.query.clone();
            if let Some(by) = &j.by {
                query.insert(
                    by.clone(),
                    format!("{{{}}}", j.key.text().trim_start_matches("$.")),
                );
            }
            let call = V3Call {
                method: "GET".into(),
                path: j.from.clone(),
                query,
                purpose: Some(format!("join `{}` of view `{}`", j.name, v.name)),
                scope: derive_scope("GET", &j.from),
                from_join: true,
                body_view: None,
            };
            if !out.iter().any(|c| c.path == call.path) {
                out.push(call);
            }
            if let Some(jv) = &j.view {
                self.collect_join_calls(jv, seen, out);
            }
        }
        for op in &v.ops {
            each_views(op, &mut |name| self.collect_join_calls(name, seen, out));
        }
    }
}

fn each_views(op: &Op, f: &mut dyn FnMut(&str)) {
    match op {
        Op::Each { view, .. } => f(view),
        Op::When {
            then, otherwise, ..
        } => {
            for o in then.iter().chain(otherwise) {
                each_views(o, f);
            }
        }
        _ => {}
    }
}

/// Output fields an operation produces (for the written-twice check).
fn op_writes(op: &Op) -> Vec<String> {
    let name = |s: &Selector| s.text().trim_start_matches("$.").to_string();
    match op {
        Op::Move { to, .. } | Op::Copy { to, .. } | Op::Set { to, .. } | Op::Group { to, .. } => {
            vec![name(to)]
        }
        Op::Attach(a) => vec![name(&a.to)],
        Op::CustomFields { flat, keyed, .. } => vec![name(flat), name(keyed)],
        _ => vec![],
    }
}

fn normalize_template(p: &str) -> String {
    p.split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

fn param(sink: &mut Sink<'_>, p: &Spanned<ParamDef>) -> Option<Param> {
    let d = p.get_ref();
    let span = p.span();
    let name = d.name.get_ref().clone();
    let kind = d
        .kind
        .as_ref()
        .map(|k| k.get_ref().clone())
        .unwrap_or_else(|| "string".into());
    if !["string", "integer", "datetime", "boolean"].contains(&kind.as_str()) {
        let s = d.kind.as_ref().map(|k| k.span()).unwrap_or(span.clone());
        sink.error(
            &s,
            format!("unknown parameter type `{kind}`"),
            Some("one of string, integer, datetime, boolean".into()),
        );
        return None;
    }
    let chosen = [
        d.role.is_some(),
        d.to.is_some(),
        d.ignore.is_some(),
        d.unsupported.is_some(),
        d.view.is_some(),
        d.via.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if chosen != 1 {
        sink.error(
            &span,
            format!(
                "parameter `{name}` must have exactly one of `role`, `to`, `ignore`, `unsupported`, `view`, `via`"
            ),
            Some("e.g. { name = \"created_after\", to = \"created_at\", filter = \"gte\" }".into()),
        );
        return None;
    }
    let rule = if let Some(role) = &d.role {
        match role.get_ref().as_str() {
            "page" => ParamRule::Page,
            "per_page" => ParamRule::PerPage {
                default: d.default.unwrap_or(100),
                min: d.min.unwrap_or(1),
                max: d.max.unwrap_or(500),
            },
            r => {
                sink.error(
                    &role.span(),
                    format!("unknown parameter role `{r}`"),
                    Some("one of page, per_page".into()),
                );
                return None;
            }
        }
    } else if let Some(to) = &d.to {
        if let Some(f) = &d.filter {
            if !["gte", "lte", "gt", "lt"].contains(&f.get_ref().as_str()) {
                sink.error(
                    &f.span(),
                    format!("unknown filter operator `{}`", f.get_ref()),
                    Some("one of gte, lte, gt, lt".into()),
                );
                return None;
            }
            ParamRule::Filter {
                to: to.clone(),
                op: f.get_ref().clone(),
            }
        } else {
            ParamRule::Rename {
                to: to.clone(),
                map: d.map.clone().unwrap_or_default(),
                list: d.list,
            }
        }
    } else if let Some(via) = &d.via {
        if !via.path.starts_with("/v3/")
            || !(via.by == "ids" || via.by.ends_with("_ids"))
            || !(via.to == "ids" || via.to.ends_with("_ids"))
        {
            sink.error(&span, format!("parameter `{name}`: `via` needs a v3 collection path and plural id filters for `by` and `to`"), Some("e.g. via = { path = \"/v3/applications\", by = \"job_ids\", select = \"candidate_id\", to = \"ids\" }".into()));
            return None;
        }
        ParamRule::Via(via.clone())
    } else if let Some(views) = &d.view {
        ParamRule::View {
            views: views.clone(),
        }
    } else if let Some(r) = &d.ignore {
        ParamRule::Ignore { reason: r.clone() }
    } else {
        ParamRule::Unsupported {
            reason: d.unsupported.clone().unwrap_or_default(),
        }
    };
    Some(Param { name, rule, kind })
}
