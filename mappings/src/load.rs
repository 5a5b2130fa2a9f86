//! Loads mapping files, checks them, and builds the `Catalog`. serde parses the format
//! (`model`), closed sets included; this module checks what serde cannot — selectors,
//! references between views, duplicates, statuses without their reason — and compiles.
//! Every problem is collected with its file:line:column and a hint (any problem fails the
//! whole load); nothing here panics on bad input.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;
use toml::Spanned;

use crate::catalog::{
    Attach, Catalog, Conversion, Endpoint, Join, Keep, Op, Param, ParamRule, Response, V3Call,
    View, derive_scope, strip_version,
};
use crate::diag::{Diagnostic, Diagnostics, Location, Sink};
use crate::model::{
    ClosedSet, ConversionName, EndpointDef, FileDef, JoinDef, Method, OneOf, OneOrMany, OpDef,
    OpEntry, OpName, Other, ParamDef, ParamType, Place, Role, Shape, Status, UndoDef, ViewDef,
    parse_closed,
};
use crate::selector::Selector;
use crate::write::{QueryRule, Undo, WriteAnswer, WritePlan, WriteStep};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The `reason` of an `unsupported` write endpoint that gives none (docs/mappings.md).
pub const UNSUPPORTED_WRITE_REASON: &str = "harvest-proxy does not translate this write yet; the v3 call sequence is documented here and in the scanner output";

const SELECTOR_HINT: &str =
    "selectors are RFC 9535 JSONPath (`$.a.b`, `$[?@.type == 'x']`) or a dotted field name (`a.b`)";

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
        let shown = dir.display().to_string();
        let entries = std::fs::read_dir(dir).map_err(|e| {
            let hint = "pass the directory that holds the *.toml mapping files";
            one(&shown, format!("cannot read mapping directory: {e}"), hint)
        })?;
        let mut files = Vec::new();
        for path in entries.flatten().map(|e| e.path()) {
            if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                continue;
            }
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let text = std::fs::read_to_string(&path).map_err(|e| {
                let hint = "mapping files must be readable UTF-8 TOML";
                one(
                    &path.display().to_string(),
                    format!("cannot read mapping file: {e}"),
                    hint,
                )
            })?;
            files.push((name.unwrap_or_default(), text));
        }
        if files.is_empty() {
            let msg = "no *.toml mapping files in this directory".to_string();
            return Err(one(
                &shown,
                msg,
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
        let mut verify = crate::verify::Rules::default();
        for (name, source) in sources {
            if name == crate::verify::VERIFY_FILE {
                verify = crate::verify::parse(name, source, &mut diags);
                continue;
            }
            match toml::from_str::<FileDef>(source) {
                Ok(f) => parsed.push((name.to_string(), source, f)),
                Err(e) => {
                    let msg = e.message().trim().to_string();
                    let offset = e.span().unwrap_or(0..0).start;
                    Sink::new(name, source, &mut diags).error(
                        &(offset..offset),
                        &msg,
                        syntax_hint(&msg),
                    );
                }
            }
        }
        let mut b = Builder::default();
        // Views first (all files), so endpoints and views can refer to views anywhere.
        for (file, source, def) in &parsed {
            let mut sink = Sink::new(file, source, &mut diags);
            for (vname, vdef) in &def.views {
                b.view(&mut sink, &stem(file), vname, vdef);
            }
        }
        b.resolve_views(&mut diags);
        for (file, source, def) in &parsed {
            let mut sink = Sink::new(file, source, &mut diags);
            for ep in &def.endpoints {
                b.endpoint(&mut sink, &stem(file), ep);
            }
        }
        if !diags.is_empty() {
            diags.sort_by_key(|d| (d.location.file.clone(), d.location.line, d.location.column));
            return Err(Diagnostics(diags));
        }
        let mut files: Vec<String> = parsed.into_iter().map(|(f, _, _)| f).collect();
        files.sort();
        Ok(Catalog {
            endpoints: b.endpoints,
            views: b.views,
            files,
            analysis: Default::default(),
            verify,
        }
        .analysed())
    }
}

fn one(file: &str, message: String, hint: &str) -> Diagnostics {
    let location = Location {
        file: file.to_string(),
        line: 0,
        column: 0,
    };
    let hint = Some(hint.to_string());
    Diagnostics(vec![Diagnostic {
        location,
        message,
        hint,
    }])
}

fn stem(file: &str) -> String {
    file.trim_end_matches(".toml").to_string()
}

fn syntax_hint(msg: &str) -> &'static str {
    if msg.contains("unknown field") {
        "see docs/mappings.md for the keys each table accepts"
    } else if msg.contains("missing field") {
        "add the required key; docs/mappings.md lists what each table needs"
    } else if msg.contains("duplicate key") {
        "each key may appear once per table"
    } else if msg.contains("invalid type") {
        "check the value's type (string, array, table) against docs/mappings.md"
    } else {
        "this is TOML syntax: check quoting, brackets and commas near this place"
    }
}

fn qualify(stem: &str, name: &str) -> String {
    if name.contains('.') {
        name.to_string()
    } else {
        format!("{stem}.{name}")
    }
}

fn is_id_filter(by: &str) -> bool {
    by == "ids" || by.ends_with("_ids")
}

fn is_collection(path: &str) -> bool {
    path.starts_with("/v3/") && !path.contains('{')
}

/// A selector written at `span`, reported there when it does not compile.
fn selector(sink: &mut Sink<'_>, span: &Range<usize>, text: &str, what: &str) -> Option<Selector> {
    Selector::parse(text)
        .map_err(|e| sink.error(span, format!("{what}: {e}"), SELECTOR_HINT))
        .ok()
}

/// Where a view reference was written, to report unresolved names.
struct PendingRef {
    from_view: String,
    target: String,
    location: Location,
}

/// The view whose operations are being compiled.
struct ViewCtx<'a> {
    stem: &'a str,
    name: &'a str,
    joins: &'a HashMap<String, usize>,
}

#[derive(Default)]
struct Builder {
    views: HashMap<String, View>,
    /// (view, base, where `extends` is written)
    extends: Vec<(String, String, Location)>,
    refs: Vec<PendingRef>,
    endpoints: Vec<Endpoint>,
    routes: HashMap<(Method, String), Location>,
}

impl Builder {
    fn view(&mut self, sink: &mut Sink<'_>, stem: &str, name: &str, def: &Spanned<ViewDef>) {
        let (vdef, span, qualified) = (def.get_ref(), def.span(), qualify(stem, name));
        let location = sink.loc(&span);
        if let Some(prev) = self.views.get(&qualified) {
            let msg = format!(
                "view `{qualified}` is defined twice (first at {})",
                prev.location
            );
            sink.error(&span, msg, "rename one of them (view names are per file)");
            return;
        }
        let mut joins: Vec<Join> = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        for j in &vdef.joins {
            let Some(join) = self.join(sink, stem, &qualified, j) else {
                continue;
            };
            if names.insert(join.name.clone(), joins.len()).is_some() {
                let msg = format!(
                    "join `{}` is declared twice in view `{qualified}`",
                    join.name
                );
                sink.error(
                    &j.get_ref().name.span(),
                    msg,
                    "give each join of a view its own name",
                );
            }
            joins.push(join);
        }
        let mut used = vec![false; joins.len()];
        let mut writes: HashMap<String, usize> = HashMap::new();
        let mut ops = Vec::new();
        let ctx = ViewCtx {
            stem,
            name: &qualified,
            joins: &names,
        };
        for entry in &vdef.ops {
            let (raw, op_span) = (entry.get_ref(), entry.span());
            let Some(op) = self.op(sink, &ctx, &raw.value(), &op_span, Some(raw), &mut used) else {
                continue;
            };
            let line = sink.loc(&op_span).line;
            for target in op_writes(&op) {
                match writes.get(&target) {
                    Some(first) => sink.error(
                        &op_span,
                        format!("v1 field `{target}` is written twice in view `{qualified}` (first at line {first})"),
                        "each output field must have one source; remove one of the operations or use `default`",
                    ),
                    None => drop(writes.insert(target, line)),
                }
            }
            ops.push(op);
        }
        for (j, join) in vdef
            .joins
            .iter()
            .zip(&joins)
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(j, _)| j)
        {
            sink.error(
                &j.span(),
                format!("join `{}` of view `{qualified}` is never attached", join.name),
                "add `{ op = \"attach\", join = \"...\", to = \"...\" }` or remove the join; it would cost a v3 call for nothing",
            );
        }
        let extends = vdef.extends.as_ref().map(|base| {
            if !vdef.joins.is_empty() {
                sink.error(
                    &base.span(),
                    format!(
                        "view `{qualified}` extends `{}` and so cannot declare joins of its own",
                        base.get_ref()
                    ),
                    "add the joins to the base view, or copy the base view instead of extending it",
                );
            }
            let target = qualify(stem, base.get_ref());
            self.extends
                .push((qualified.clone(), target.clone(), sink.loc(&base.span())));
            target
        });
        let source = vdef.source.clone();
        let view = View {
            name: qualified.clone(),
            source,
            extends,
            joins,
            ops,
            location,
        };
        self.views.insert(qualified, view);
    }

    fn join(
        &mut self,
        sink: &mut Sink<'_>,
        stem: &str,
        view: &str,
        j: &Spanned<JoinDef>,
    ) -> Option<Join> {
        let d = j.get_ref();
        let (name, from) = (d.name.get_ref(), d.from.get_ref());
        if !is_collection(from) {
            sink.error(
                &d.from.span(),
                format!("join `{name}`: `from` must be a v3 collection path such as `/v3/users`, not `{from}`"),
                "v3 has no single-record or nested routes; filter the collection with `by`",
            );
        }
        match (&d.by, d.all) {
            (Some(by), true) => sink.error(
                &by.span(),
                "a join takes either `by` (a filter) or `all = true`, not both",
                "`by` fetches the rows of the batch's keys; `all` the whole (small) collection",
            ),
            (None, false) => sink.error(
                &j.span(),
                format!("join `{name}` needs `by = \"<plural filter>\"` or `all = true`"),
                "e.g. `by = \"candidate_ids\"` fetches the rows for up to 50 parents a call",
            ),
            (Some(by), false) if !is_id_filter(by.get_ref()) => sink.error(
                &by.span(),
                format!("join filter `{}` is not a plural id filter", by.get_ref()),
                "v3 batch filters are `ids` or `<parent>_ids` (comma lists of at most 50)",
            ),
            _ => {}
        }
        let key = selector(sink, &d.key.span(), d.key.get_ref(), "join key");
        let on = selector(sink, &d.on.span(), d.on.get_ref(), "join `on`");
        if let Some(on) = on.as_ref().filter(|s| !s.is_singular()) {
            let msg = format!(
                "join `on`: `{}` must name one place (a singular path), not a query",
                on.text()
            );
            sink.error(
                &d.on.span(),
                msg,
                "write a field path such as `a.b` or `$.a[0]`",
            );
        }
        let view = d.view.as_ref().map(|v| {
            let target = qualify(stem, v.get_ref());
            let location = sink.loc(&v.span());
            let from_view = view.to_string();
            self.refs.push(PendingRef {
                from_view,
                target: target.clone(),
                location,
            });
            target
        });
        Some(Join {
            name: name.clone(),
            from: from.clone(),
            by: d.by.as_ref().map(|b| b.get_ref().clone()),
            key: key?,
            on: on?,
            query: d.query.clone(),
            view,
            cache: d.cache,
        })
    }

    /// Compiles one operation written at `span`. `keys` gives the place of each key when the
    /// operation is written directly in `ops` (not inside a `when`).
    fn op(
        &mut self,
        sink: &mut Sink<'_>,
        ctx: &ViewCtx<'_>,
        raw: &toml::Value,
        span: &Range<usize>,
        keys: Option<&OpEntry>,
        used: &mut [bool],
    ) -> Option<Op> {
        let def = op_def(sink, raw, span)?;
        let site = OpSite { span, keys };
        match def {
            OpDef::Rename { .. }
            | OpDef::Move { .. }
            | OpDef::Copy { .. }
            | OpDef::Remove { .. }
            | OpDef::Wrap { .. }
            | OpDef::First { .. }
            | OpDef::Merge { .. }
            | OpDef::CustomFields { .. }
            | OpDef::Group { .. }
            | OpDef::Sort { .. } => field_op(def),
            OpDef::Filter { .. } => filter_op(sink, &site, def),
            OpDef::Set { .. }
            | OpDef::Default { .. }
            | OpDef::Map { .. }
            | OpDef::Convert { .. }
            | OpDef::Push { .. } => value_op(sink, &site, def),
            OpDef::Tree { .. } | OpDef::Select { .. } => field_list_op(sink, &site, def),
            OpDef::Attach { .. } | OpDef::Each { .. } => {
                self.reference_op(sink, ctx, &site, def, used)
            }
            OpDef::When { .. } => self.when_op(sink, ctx, &site, def, used),
        }
    }

    /// `attach` and `each`: operations that name a join of the view or another view.
    fn reference_op(
        &mut self,
        sink: &mut Sink<'_>,
        ctx: &ViewCtx<'_>,
        site: &OpSite<'_>,
        def: OpDef,
        used: &mut [bool],
    ) -> Option<Op> {
        Some(match def {
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
                let Some(&idx) = ctx.joins.get(&join) else {
                    let mut known: Vec<&str> = ctx.joins.keys().map(String::as_str).collect();
                    known.sort();
                    let hint = match known.is_empty() {
                        true => "declare it under [[views.<name>.joins]] first".to_string(),
                        false => format!("joins of this view: {}", known.join(", ")),
                    };
                    let msg = format!(
                        "`attach` names join `{join}`, which view `{}` does not declare",
                        ctx.name
                    );
                    sink.error(&site.at("join"), msg, hint);
                    return None;
                };
                used[idx] = true;
                Op::Attach(Box::new(Attach {
                    join: idx,
                    to: to.0,
                    filter: filter.map(|s| s.0),
                    order_by: order_by.map(|s| s.0),
                    desc,
                    prefer: prefer.map(|s| s.0),
                    first,
                    select: select.map(|s| s.0),
                    matching: matching.map(|s| s.0),
                }))
            }
            OpDef::Each { at: place, view } => {
                let target = qualify(ctx.stem, &view);
                let (from_view, location) = (ctx.name.to_string(), sink.loc(&site.at("view")));
                self.refs.push(PendingRef {
                    from_view,
                    target: target.clone(),
                    location,
                });
                Op::Each {
                    at: place.0,
                    view: target,
                }
            }
            _ => unreachable!("`op` passes only `attach` and `each` here"),
        })
    }

    /// `when`: a condition and the operations of its two branches, compiled in place.
    fn when_op(
        &mut self,
        sink: &mut Sink<'_>,
        ctx: &ViewCtx<'_>,
        site: &OpSite<'_>,
        def: OpDef,
        used: &mut [bool],
    ) -> Option<Op> {
        let OpDef::When {
            field,
            is,
            present,
            then,
            otherwise,
        } = def
        else {
            unreachable!("`op` passes only `when` here");
        };
        if is.is_empty() == present.is_none() {
            let msg = "`when` takes exactly one condition: `is = [...]` or `present = true|false`";
            sink.error(
                site.span,
                msg,
                "TOML has no null: test for null with `present = false`",
            );
            return None;
        }
        let mut branch = |ops: &[toml::Value]| -> Option<Vec<Op>> {
            ops.iter()
                .map(|o| self.op(sink, ctx, o, site.span, None, used))
                .collect()
        };
        let (then, otherwise) = (branch(&then)?, branch(&otherwise)?);
        let is = is
            .iter()
            .filter_map(|v| serde_json::to_value(v).ok())
            .collect();
        Some(Op::When {
            field: field.0,
            is,
            present,
            then,
            otherwise,
        })
    }

    fn resolve_views(&mut self, diags: &mut Vec<Diagnostic>) {
        let error =
            |diags: &mut Vec<Diagnostic>, location: &Location, message: String, hint: &str| {
                let (location, hint) = (location.clone(), Some(hint.to_string()));
                diags.push(Diagnostic {
                    location,
                    message,
                    hint,
                });
            };
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
                let Some(b) = self.views.get(base) else {
                    let msg = format!("view `{view}` extends `{base}`, which is not defined");
                    error(
                        diags,
                        loc,
                        msg,
                        "name a view as `name` (same file) or `file.name`",
                    );
                    return false;
                };
                if !done.contains(base) {
                    return true;
                }
                let (joins, ops) = (b.joins.clone(), b.ops.clone());
                if let Some(v) = self.views.get_mut(view) {
                    v.joins = joins;
                    v.ops = ops.into_iter().chain(std::mem::take(&mut v.ops)).collect();
                }
                done.insert(view.clone());
                false
            });
            if pending.len() == before {
                for (view, base, loc) in pending.drain(..) {
                    let msg = format!("view `{view}` extends `{base}` in a cycle");
                    error(diags, &loc, msg, "break the cycle of `extends`");
                }
            }
        }
        let mut known: Vec<&String> = self.views.keys().collect();
        known.sort();
        for r in self
            .refs
            .iter()
            .filter(|r| !self.views.contains_key(&r.target))
        {
            let (file, last) = (
                r.target.split('.').next().unwrap_or(""),
                r.target.rsplit('.').next(),
            );
            let near: Vec<&str> = known
                .iter()
                .filter(|k| k.rsplit('.').next() == last || k.starts_with(file))
                .map(|k| k.as_str())
                .take(5)
                .collect();
            let hint = match near.is_empty() {
                true => {
                    "define it under [views.<name>] in the file named before the dot".to_string()
                }
                false => format!("views with a similar name: {}", near.join(", ")),
            };
            let msg = format!(
                "view `{}` (used by `{}`) is not defined",
                r.target, r.from_view
            );
            error(diags, &r.location, msg, &hint);
        }
    }

    /// The qualified name of a view an endpoint names, reported when it is not defined.
    fn view_ref(
        &self,
        sink: &mut Sink<'_>,
        stem: &str,
        at: &Spanned<String>,
        what: &str,
        hint: &str,
    ) -> String {
        let name = qualify(stem, at.get_ref());
        if !self.views.contains_key(&name) {
            sink.error(&at.span(), format!("{what} `{name}` is not defined"), hint);
        }
        name
    }

    fn endpoint(&mut self, sink: &mut Sink<'_>, stem: &str, def: &Spanned<EndpointDef>) {
        let (d, span) = (def.get_ref(), def.span());
        let (method, status) = (sink.closed(&d.method), sink.closed(&d.status));
        let versions = versions(sink, d);
        let basis = d
            .basis
            .as_ref()
            .and_then(|b| sink.closed(b))
            .map(|b| b.to_string());
        let legacy_status = d
            .legacy_status
            .as_ref()
            .and_then(|s| sink.closed(s))
            .map(|s| s.to_string());
        let path = legacy_path(sink, d);
        let is_write = method.is_some_and(|m| m != Method::Get);
        let reason = match (&d.reason, status) {
            (None, Some(Status::Unsupported)) if is_write => Some(UNSUPPORTED_WRITE_REASON.into()),
            (r, _) => r.clone(),
        };
        check_status(sink, d, &span, method, status, &reason);
        let mut v3 = self.v3_calls(sink, stem, d);
        let write = self.served_write(sink, stem, d, &span, is_write, status);
        if d.v3.is_empty() {
            sink.error(
                &span,
                "an endpoint must name at least one v3 call",
                "add [[endpoint.v3]] with method and path",
            );
        }
        let params = self.params(sink, stem, d);
        let response = self.response(sink, stem, d, &span, &mut v3);
        order_needs_whole_list(sink, d, &params);
        let exists = exists(sink, d, &mut v3);
        let mut scopes: BTreeSet<String> = v3.iter().map(|c| c.scope.clone()).collect();
        // An undo is a v3 call too: the credential needs its scope.
        let undos = write
            .iter()
            .flat_map(|w| &w.steps)
            .filter_map(|s| s.undo.as_ref());
        scopes.extend(undos.map(|u| derive_scope(&u.method, &u.path)));
        let (Some(method), Some(status)) = (method, status) else {
            return;
        };
        let here = self.route(sink, &span, method, &path, &versions);
        let optional_last = optional_last(sink, d, method, &path);
        self.endpoints.push(Endpoint {
            memoisable: false,
            route: format!("{method} {path}"),
            name: d.name.clone(),
            method: method.to_string(),
            path,
            optional_last,
            versions,
            basis,
            legacy_status,
            status,
            lost: d.lost.clone(),
            reason,
            instead: d.instead.clone(),
            notes: d.notes.trim().to_string(),
            v3,
            scopes: scopes.into_iter().collect(),
            params,
            response,
            exists,
            write,
            omitted: d.omitted.clone(),
            location: here,
            file: stem.to_string(),
        });
    }

    /// The declared v3 calls: each path must be a v3 path and each body view defined.
    fn v3_calls(&self, sink: &mut Sink<'_>, stem: &str, d: &EndpointDef) -> Vec<V3Call> {
        let mut v3 = Vec::new();
        for c in d.v3.iter().map(Spanned::get_ref) {
            let call_path = c.path.get_ref();
            if !call_path.starts_with("/v3/") {
                let msg = format!("v3 call path `{call_path}` must start with /v3/");
                sink.error(
                    &c.path.span(),
                    msg,
                    "v3 paths look like /v3/candidates or /v3/applications/{id}/move",
                );
            }
            let body_view = c.body.as_ref().map(|b| {
                let hint = "define it under [views.<name>]; it turns the legacy request body into this call's body";
                self.view_ref(sink, stem, b, "body view", hint)
            });
            let Some(m) = sink.closed(&c.method) else {
                continue;
            };
            v3.push(V3Call {
                method: m.to_string(),
                path: call_path.clone(),
                query: c.query.clone(),
                purpose: c.purpose.clone(),
                scope: c
                    .scope
                    .clone()
                    .unwrap_or_else(|| derive_scope(m.as_str(), call_path)),
                from_join: false,
                body_view,
            });
        }
        v3
    }

    /// The plan of a write the proxy serves; an `answer` on any other endpoint is reported.
    fn served_write(
        &self,
        sink: &mut Sink<'_>,
        stem: &str,
        d: &EndpointDef,
        span: &Range<usize>,
        is_write: bool,
        status: Option<Status>,
    ) -> Option<WritePlan> {
        match (is_write, status) {
            (true, Some(s)) if s != Status::Unsupported => self.write_plan(sink, stem, d, span),
            _ => {
                if let Some(a) = &d.answer {
                    sink.error(
                        &a.span(),
                        "`answer` is for writes the proxy serves (translated or partial)",
                        "remove it, or serve the write",
                    );
                }
                None
            }
        }
    }

    /// The legacy query parameters, their views qualified and checked, each declared once.
    fn params(&self, sink: &mut Sink<'_>, stem: &str, d: &EndpointDef) -> Vec<Param> {
        let mut params: Vec<Param> = Vec::new();
        for p in &d.params {
            let Some(mut param) = param(sink, p) else {
                continue;
            };
            if let (ParamRule::View { views }, Some(written)) = (&mut param.rule, &p.get_ref().view)
            {
                for v in views.values_mut().filter(|v| !v.is_empty()) {
                    *v = qualify(stem, v);
                    if !self.views.contains_key(v.as_str()) {
                        let msg = format!(
                            "parameter `{}` names view `{v}`, which is not defined",
                            param.name
                        );
                        sink.error(
                            &written.span(),
                            msg,
                            "define it under [views.<name>]; it receives {\"records\": [...]}",
                        );
                    }
                }
            }
            if params.iter().any(|q| q.name == param.name) {
                let msg = format!("query parameter `{}` is declared twice", param.name);
                sink.error(
                    &p.get_ref().name.span(),
                    msg,
                    "declare each legacy parameter once",
                );
            }
            params.push(param);
        }
        params
    }

    /// The response of a read. Its primary GET call must come first in `v3`, to which the calls
    /// of the joins its views make are added.
    fn response(
        &self,
        sink: &mut Sink<'_>,
        stem: &str,
        d: &EndpointDef,
        span: &Range<usize>,
        v3: &mut Vec<V3Call>,
    ) -> Option<Response> {
        let response = d.response.as_ref().map(Spanned::get_ref).and_then(|r| {
            let hint =
                "define it under [views.<name>] (in this file, or `file.name` for another file)";
            let view = self.view_ref(sink, stem, &r.view, "response view", hint);
            let shape = r
                .shape
                .as_ref()
                .map_or(Some(Shape::List), |s| sink.closed(s));
            let filter = match &r.filter {
                Some(f) => Some(selector(sink, &f.span(), f.get_ref(), "where")?),
                None => None,
            };
            let order_by = match &r.order_by {
                Some(o) => Some(selector(sink, &o.span(), o.get_ref(), "order_by")?),
                None => None,
            };
            Some(Response {
                view,
                shape: shape?,
                filter,
                order_by,
                desc: r.desc,
            })
        });
        if let Some(r) = &response {
            if v3.first().map(|c| c.method.as_str()) != Some("GET") {
                let msg = "a read with a response view must list its primary GET call first";
                sink.error(
                    span,
                    msg,
                    "put the [[endpoint.v3]] GET call that lists the records first",
                );
            }
            let mut derived = Vec::new();
            self.collect_join_calls(&r.view, &mut BTreeSet::new(), &mut derived);
            for c in derived {
                if !v3.iter().any(|e| e.method == c.method && e.path == c.path) {
                    v3.push(c);
                }
            }
        }
        response
    }

    /// Claims the legacy route under every version prefix, reporting one declared twice; gives
    /// where the endpoint is declared.
    fn route(
        &mut self,
        sink: &mut Sink<'_>,
        span: &Range<usize>,
        method: Method,
        path: &str,
        versions: &[String],
    ) -> Location {
        let here = sink.loc(span);
        for v in versions {
            let norm = normalize_template(&format!("/{v}{}", strip_version(path)));
            if let Some(prev) = self.routes.get(&(method, norm.clone())) {
                sink.error(
                    span,
                    format!("legacy route {method} {norm} is declared twice (first at {prev})"),
                    "each legacy endpoint has exactly one entry; merge the two",
                );
            } else {
                self.routes.insert((method, norm), here.clone());
            }
        }
        here
    }

    /// The plan of a served write: its declared v3 calls in order and its `answer`.
    fn write_plan(
        &self,
        sink: &mut Sink<'_>,
        stem: &str,
        d: &EndpointDef,
        span: &Range<usize>,
    ) -> Option<WritePlan> {
        let Some(a) = &d.answer else {
            sink.error(
                span,
                "a write the proxy serves needs an `answer`",
                "add `answer = { read = \"/v1/...\" }`, `{ view = \"...\", step = 0 }` or `{ message = \"...\" }`",
            );
            return None;
        };
        let ad = a.get_ref();
        let status = ad.status.unwrap_or(200);
        let answer = match (&ad.read, &ad.view, &ad.message) {
            (Some(read), None, None) => WriteAnswer::Read {
                path: read.clone(),
                status,
            },
            (None, Some(view), None) => {
                let hint = "define it under [views.<name>]; it turns v3's answer into v1's";
                let view = self.view_ref(sink, stem, view, "answer view", hint);
                let step = ad.step.unwrap_or(0);
                if step >= d.v3.len() {
                    let msg = format!("`step = {step}`: the endpoint has {} v3 calls", d.v3.len());
                    sink.error(&a.span(), msg, "steps count from 0");
                    return None;
                }
                WriteAnswer::View { step, view, status }
            }
            (None, None, Some(text)) => WriteAnswer::Message {
                text: text.clone(),
                key: ad.key.clone().unwrap_or_else(|| "message".into()),
                status,
            },
            _ => {
                sink.error(
                    &a.span(),
                    "`answer` takes exactly one of `read`, `view` or `message`",
                    "e.g. answer = { read = \"/v1/applications/{id}\" }",
                );
                return None;
            }
        };
        if ad.key.is_some() && ad.message.is_none() {
            sink.error(
                &a.span(),
                "`key` names the field of a `message` answer",
                "remove it, or answer with `message`",
            );
        }
        Some(WritePlan {
            steps: write_steps(sink, stem, d)?,
            answer,
            fields: taken_fields(d),
            required: d.required.clone(),
            refuse: d.refuse.clone(),
            one_of: d.one_of.clone(),
            query: query_rules(sink, d),
        })
    }

    fn collect_join_calls(&self, view: &str, seen: &mut BTreeSet<String>, out: &mut Vec<V3Call>) {
        if !seen.insert(view.to_string()) {
            return;
        }
        let Some(v) = self.views.get(view) else {
            return;
        };
        for j in &v.joins {
            let mut query = j.query.clone();
            if let Some(by) = &j.by {
                let key = j.key.text().trim_start_matches("$.");
                query.insert(by.clone(), format!("{{{key}}}"));
            }
            if !out.iter().any(|c| c.path == j.from) {
                out.push(V3Call {
                    method: "GET".into(),
                    path: j.from.clone(),
                    query,
                    purpose: Some(format!("join `{}` of view `{}`", j.name, v.name)),
                    scope: derive_scope("GET", &j.from),
                    from_join: true,
                    body_view: None,
                });
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

/// The v3 calls of a served write, in order; `among` needs `each`, `all` a `GET`, and a call
/// takes `when` or `unless`, not both.
fn write_steps(sink: &mut Sink<'_>, stem: &str, d: &EndpointDef) -> Option<Vec<WriteStep>> {
    let mut steps = Vec::with_capacity(d.v3.len());
    let mut ok = true;
    for call in &d.v3 {
        let c = call.get_ref();
        let method = match c.method.get_ref() {
            OneOf::Known(m) => m.as_str().to_string(),
            OneOf::Unknown(s) => s.clone(),
        };
        if c.among.is_some() && c.each.is_none() {
            let hint = "`among` picks items of an `each` list; add `each = \"<body list>\"`";
            sink.error(&call.span(), "`among` is only for `each` calls", hint);
            ok = false;
        }
        if c.all && method != "GET" {
            let hint = "`all = true` keeps every row a lookup finds; remove it from this call";
            sink.error(
                &call.span(),
                "`all` is only for `GET` calls (lookups)",
                hint,
            );
            ok = false;
        }
        if c.when.is_some() && c.unless.is_some() {
            let msg = "a call takes `when` or `unless`, not both";
            sink.error(&call.span(), msg, "split it into two calls");
            ok = false;
        }
        let undo = c.undo.as_ref().and_then(|u| undo_of(sink, u, &method));
        ok &= c.undo.is_none() || undo.is_some();
        steps.push(WriteStep {
            method,
            path: c.path.get_ref().clone(),
            query: c.query.clone(),
            body: c.body.as_ref().map(|b| qualify(stem, b.get_ref())),
            when: c.when.clone(),
            unless: c.unless.clone(),
            each: c.each.clone(),
            among: c.among.as_ref().map(|q| q.0.clone()),
            all: c.all,
            undo,
        });
    }
    ok.then_some(steps)
}

/// A step's undo: a write (not a `GET`) to a v3 path, on a step that writes.
fn undo_of(sink: &mut Sink<'_>, u: &Spanned<UndoDef>, step_method: &str) -> Option<Undo> {
    let def = u.get_ref();
    let method = sink.closed(&def.method)?;
    let path = def.path.get_ref();
    let mut ok = true;
    if step_method == "GET" {
        let hint = "a lookup changes nothing; put `undo` on the call that writes";
        sink.error(&u.span(), "`undo` is only for calls that write", hint);
        ok = false;
    }
    if method == Method::Get {
        let hint = "an undo deletes what the call created: method = \"DELETE\"";
        sink.error(&def.method.span(), "an `undo` must write, not `GET`", hint);
        ok = false;
    }
    if !path.starts_with("/v3/") {
        let msg = format!("undo path `{path}` must start with /v3/");
        let hint =
            "e.g. path = \"/v3/applications/{answer.id}\" ({answer.x}: v3's answer to the call)";
        sink.error(&def.path.span(), msg, hint);
        ok = false;
    }
    ok.then(|| Undo {
        method: method.to_string(),
        path: path.clone(),
    })
}

/// The legacy query parameters of a write: a `map` needs values, `split` a separator.
fn query_rules(sink: &mut Sink<'_>, d: &EndpointDef) -> BTreeMap<String, QueryRule> {
    let mut out = BTreeMap::new();
    for (name, r) in &d.legacy_query {
        let def = r.get_ref();
        if def.split.as_deref() == Some("") {
            let hint = "e.g. split = \",\" for a comma-separated list";
            sink.error(
                &r.span(),
                format!("`legacy_query.{name}`: `split` is empty"),
                hint,
            );
        }
        let map: BTreeMap<String, Vec<String>> = def
            .map
            .iter()
            .map(|(k, v)| match v {
                OneOrMany::One(s) => (k.clone(), vec![s.clone()]),
                OneOrMany::Many(l) => (k.clone(), l.clone()),
            })
            .collect();
        if def.other.is_some() && map.is_empty() {
            let hint = "`other` says why a value `map` does not list is refused; add `map`";
            sink.error(
                &r.span(),
                format!("`legacy_query.{name}`: `other` without `map`"),
                hint,
            );
        }
        out.insert(
            name.clone(),
            QueryRule {
                required: def.required,
                split: def.split.clone(),
                map,
                other: def.other.clone(),
            },
        );
    }
    out
}

/// Where an operation is written: the whole table, and the place of each of its keys when it
/// is written directly in `ops` (not inside a `when`).
struct OpSite<'a> {
    span: &'a Range<usize>,
    keys: Option<&'a OpEntry>,
}

impl OpSite<'_> {
    /// The place of `key`, or of the whole operation when the key's place is not known.
    fn at(&self, key: &str) -> Range<usize> {
        self.keys
            .and_then(|k| k.span(key))
            .unwrap_or(self.span.clone())
    }

    /// The JSON literal of the `json` key.
    fn json(&self, sink: &mut Sink<'_>, text: &str) -> Option<serde_json::Value> {
        serde_json::from_str(text)
            .map_err(|e| {
                sink.error(
                    &self.at("json"),
                    format!("`json` is not valid JSON: {e}"),
                    "e.g. json = \"null\" or json = '{\"a\": 1}'",
                )
            })
            .ok()
    }

    /// A constant given as exactly one of `value` (TOML) or `json`.
    fn value(
        &self,
        sink: &mut Sink<'_>,
        value: Option<toml::Value>,
        json: Option<String>,
    ) -> Option<serde_json::Value> {
        match (value, json) {
            (Some(v), None) => serde_json::to_value(v).ok(),
            (None, Some(j)) => self.json(sink, &j),
            _ => {
                let msg = "give exactly one of `value` (TOML) or `json` (a JSON literal)";
                sink.error(self.span, msg, "TOML has no null: write json = \"null\"");
                None
            }
        }
    }
}

/// The operation table `raw` parsed, reported at `span` when it names no known operation or
/// does not fit its operation.
fn op_def(sink: &mut Sink<'_>, raw: &toml::Value, span: &Range<usize>) -> Option<OpDef> {
    let Some(name) = raw.get("op").and_then(|v| v.as_str()) else {
        let hint = format!(
            "every operation is a table with `op = \"...\"`; expected one of {}",
            OpName::NAMES.join(", ")
        );
        sink.error(span, "invalid operation: it has no `op = \"...\"`", hint);
        return None;
    };
    if let Err(e) = parse_closed::<OpName>(name) {
        sink.error(
            span,
            format!("invalid operation: unknown operation `{name}`"),
            e.hint(),
        );
        return None;
    }
    match OpDef::deserialize(raw.clone()) {
        Ok(d) => Some(d),
        Err(e) => {
            let msg = e.message().trim().to_string();
            let hint = if ["JSONPath", "selector", "one place"]
                .iter()
                .any(|w| msg.contains(w))
            {
                SELECTOR_HINT.to_string()
            } else {
                format!("see the `{name}` operation in docs/mappings.md")
            };
            sink.error(span, format!("invalid operation: {msg}"), hint);
            None
        }
    }
}

/// Operations that move, reshape or filter fields by their selectors: nothing more to check.
fn field_op(def: OpDef) -> Option<Op> {
    Some(match def {
        OpDef::Rename { from, to } | OpDef::Move { from, to } => Op::Move {
            from: from.0,
            to: to.0,
        },
        OpDef::Copy { from, to } => Op::Copy {
            from: from.0,
            to: to.0,
        },
        OpDef::Remove { fields } => Op::Remove {
            fields: fields.into_iter().map(|f| f.0).collect(),
        },
        OpDef::Wrap { at, key } => Op::Wrap { at: at.0, key },
        OpDef::First { at } => Op::First { at: at.0 },
        OpDef::Merge { from } => Op::Merge { from: from.0 },
        OpDef::CustomFields { from, flat, keyed } => {
            let or = |p: Option<Place>, d: &str| p.map(|p| p.0).or_else(|| Selector::parse(d).ok());
            Op::CustomFields {
                from: from.0,
                flat: or(flat, "custom_fields")?,
                keyed: or(keyed, "keyed_custom_fields")?,
            }
        }
        OpDef::Group {
            from,
            to,
            by,
            value: v,
            keys,
        } => Op::Group {
            from: from.0,
            to: to.0,
            by: by.0,
            value: v.0,
            keys,
        },
        OpDef::Sort { at, by, desc } => Op::Sort {
            at: at.0,
            by: by.0,
            desc,
        },
        _ => unreachable!("`op` passes only field operations here"),
    })
}

/// `filter`: exactly one of `where`, `in` or `not_in`.
fn filter_op(sink: &mut Sink<'_>, site: &OpSite<'_>, def: OpDef) -> Option<Op> {
    let OpDef::Filter {
        at,
        filter,
        among,
        not_in,
    } = def
    else {
        unreachable!("`op` passes only `filter` here");
    };
    let keep = match (filter, among, not_in) {
        (Some(f), None, None) => Keep::Matching(f.0),
        (None, Some(q), None) => Keep::Among(q.0),
        (None, None, Some(q)) => Keep::NotAmong(q.0),
        _ => {
            sink.error(
                site.span,
                "`filter` takes exactly one of `where`, `in` or `not_in`",
                "e.g. where = \"$[?@.active == true]\", or in = \"$._request.steps[1][*].id\"",
            );
            return None;
        }
    };
    Some(Op::Filter { at: at.0, keep })
}

/// Operations that write constants or convert values: their literals and closed values are
/// checked.
fn value_op(sink: &mut Sink<'_>, site: &OpSite<'_>, def: OpDef) -> Option<Op> {
    Some(match def {
        OpDef::Set { to, value: v, json } => Op::Set {
            to: to.0,
            value: site.value(sink, v, json)?,
        },
        OpDef::Default { at, value: v, json } => Op::Default {
            at: at.0,
            value: site.value(sink, v, json)?,
        },
        OpDef::Map {
            at: place,
            values,
            other,
        } => Op::Map {
            at: place.0,
            values: values
                .into_iter()
                .filter_map(|(k, v)| Some((k, serde_json::to_value(v).ok()?)))
                .collect(),
            other: match other.map(|o| o.known()).transpose() {
                Ok(o) => o.unwrap_or(Other::Keep),
                Err(e) => return sink.unknown(&site.at("other"), &e),
            },
        },
        OpDef::Convert {
            at: place,
            to,
            separator,
        } => Op::Convert {
            at: place.0,
            to: match to.known() {
                Ok(c) => conversion(c, separator),
                Err(e) => return sink.unknown(&site.at("to"), &e),
            },
        },
        OpDef::Push {
            at: place,
            json: template,
            set,
            when_present,
            front,
        } => Op::Push {
            at: place.0,
            template: site.json(sink, &template)?,
            set: set.into_iter().map(|(k, s)| (k, s.0)).collect(),
            when_present: when_present.map(|s| s.0),
            front,
        },
        _ => unreachable!("`op` passes only value operations here"),
    })
}

/// `tree` and `select`: operations that list output fields, checked for what they must name.
fn field_list_op(sink: &mut Sink<'_>, site: &OpSite<'_>, def: OpDef) -> Option<Op> {
    match def {
        OpDef::Tree {
            at: place,
            id,
            parent,
            children,
            fields,
        } => {
            if !fields.contains(&children) {
                let msg = format!("`tree` fields must name the children field `{children}`");
                sink.error(
                    &site.at("fields"),
                    msg,
                    "e.g. fields = [\"id\", \"name\", \"children\", \"external_id\"]",
                );
                return None;
            }
            Some(Op::Tree {
                at: place.0,
                id,
                parent,
                children,
                fields,
            })
        }
        OpDef::Select { fields } => {
            let mut seen = BTreeSet::new();
            if let Some(f) = fields.iter().find(|f| !seen.insert(*f)) {
                let hint = "list each field once: `select` gives the v1 key order";
                sink.error(
                    &site.at("fields"),
                    format!("`select` lists `{f}` twice"),
                    hint,
                );
                return None;
            }
            Some(Op::Select { fields })
        }
        _ => unreachable!("`op` passes only `tree` and `select` here"),
    }
}

fn conversion(c: ConversionName, separator: Option<String>) -> Conversion {
    match c {
        ConversionName::DateToDatetime => Conversion::DateToDatetime,
        ConversionName::String => Conversion::String,
        ConversionName::Integer => Conversion::Integer,
        ConversionName::Not => Conversion::Not,
        ConversionName::Lowercase => Conversion::Lowercase,
        ConversionName::Join => Conversion::Join(separator.unwrap_or_else(|| ", ".into())),
        ConversionName::EmptyToNull => Conversion::EmptyToNull,
    }
}

fn each_views(op: &Op, f: &mut dyn FnMut(&str)) {
    match op {
        Op::Each { view, .. } => f(view),
        Op::When {
            then, otherwise, ..
        } => then.iter().chain(otherwise).for_each(|o| each_views(o, f)),
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

/// The legacy versions of an endpoint; it must list at least one.
fn versions(sink: &mut Sink<'_>, d: &EndpointDef) -> Vec<String> {
    let versions: Vec<String> = d
        .versions
        .get_ref()
        .iter()
        .filter_map(|v| sink.closed(v))
        .map(|v| v.to_string())
        .collect();
    if d.versions.get_ref().is_empty() {
        sink.error(
            &d.versions.span(),
            "`versions` must list \"v1\" and/or \"v2\"",
            "e.g. versions = [\"v1\"]",
        );
    }
    versions
}

/// The legacy path, which must start with a legacy version prefix.
fn legacy_path(sink: &mut Sink<'_>, d: &EndpointDef) -> String {
    let path = d.path.get_ref().clone();
    if !(path.starts_with("/v1/") || path.starts_with("/v2/")) {
        let msg = format!("legacy path `{path}` must start with /v1/ or /v2/");
        sink.error(
            &d.path.span(),
            msg,
            "write the path as documented, e.g. /v1/candidates/{id}",
        );
    }
    path
}

/// What a status requires: a `partial` endpoint says what is lost, an `unsupported` one why and
/// what to do instead (`reason` is the endpoint's, defaulted), a served read has a response view.
fn check_status(
    sink: &mut Sink<'_>,
    d: &EndpointDef,
    span: &Range<usize>,
    method: Option<Method>,
    status: Option<Status>,
    reason: &Option<String>,
) {
    let is_write = method.is_some_and(|m| m != Method::Get);
    let missing = |s: &Option<String>| s.as_deref().is_none_or(str::is_empty);
    match status {
        Some(Status::Partial) if missing(&d.lost) => {
            sink.error(&d.status.span(), "a `partial` endpoint must say what is lost", "add `lost = \"...\"`")
        }
        Some(Status::Unsupported) if missing(reason) || missing(&d.instead) => sink.error(
            &d.status.span(),
            "an `unsupported` endpoint must say why and what to do in v3 instead",
            match is_write {
                true => "add `instead = \"...\"` (a write's `reason` defaults to: the proxy does not translate this write yet)",
                false => "add `reason = \"...\"` and `instead = \"...\"`",
            },
        ),
        _ => {}
    }
    if let Some(s) = status.filter(|s| *s != Status::Unsupported)
        && method == Some(Method::Get)
        && d.response.is_none()
    {
        sink.error(
            span,
            format!(
                "`{s}` reads are served from v3, so the endpoint needs a [endpoint.response] view"
            ),
            "add `response = { view = \"...\" }` or mark the endpoint unsupported",
        );
    }
}

/// The call that checks the parent record of a nested route exists; added to `v3` unless it
/// is already there.
fn exists(sink: &mut Sink<'_>, d: &EndpointDef, v3: &mut Vec<V3Call>) -> Option<V3Call> {
    d.exists.as_ref().map(Spanned::get_ref).map(|e| {
        let path = e.path.get_ref();
        if !is_collection(path) {
            sink.error(
                &e.path.span(),
                format!("`exists` must call a v3 collection such as /v3/candidates, not `{path}`"),
                "filter it with the parent id: query = { ids = \"{id}\" }",
            );
        }
        let call = V3Call {
            method: "GET".into(),
            path: path.clone(),
            query: e.query.clone(),
            purpose: Some("the parent record must exist (404 otherwise)".into()),
            scope: derive_scope("GET", path),
            from_join: false,
            body_view: None,
        };
        if !v3.iter().any(|c| c.method == "GET" && c.path == call.path) {
            v3.push(call.clone());
        }
        call
    })
}

fn normalize_template(p: &str) -> String {
    let segs: Vec<&str> = p
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect();
    segs.join("/")
}

fn param(sink: &mut Sink<'_>, p: &Spanned<ParamDef>) -> Option<Param> {
    let (d, span) = (p.get_ref(), p.span());
    let name = d.name.get_ref().clone();
    // Closed sets first, so that each bad value is reported.
    let kind = d
        .kind
        .as_ref()
        .map_or(Some(ParamType::String), |k| sink.closed(k));
    let role = d.role.as_ref().map(|r| sink.closed(r));
    let filter = d.filter.as_ref().map(|f| sink.closed(f));
    let rules = [
        d.role.is_some(),
        d.to.is_some(),
        d.ignore.is_some(),
        d.unsupported.is_some(),
        d.view.is_some(),
        d.via.is_some(),
    ];
    if rules.iter().filter(|b| **b).count() != 1 {
        sink.error(
            &span,
            format!("parameter `{name}` must have exactly one of `role`, `to`, `ignore`, `unsupported`, `view`, `via`"),
            "e.g. { name = \"created_after\", to = \"created_at\", filter = \"gte\" }",
        );
        return None;
    }
    let rule = match (role, &d.to, filter) {
        (Some(role), _, _) => match role? {
            Role::Page => ParamRule::Page,
            Role::PerPage => ParamRule::PerPage {
                default: d.default.unwrap_or(100),
                min: d.min.unwrap_or(1),
                max: d.max.unwrap_or(500),
            },
        },
        (None, Some(to), Some(op)) => ParamRule::Filter {
            to: to.clone(),
            op: op?.to_string(),
        },
        (None, Some(to), None) => ParamRule::Rename {
            to: to.clone(),
            map: d.map.clone().unwrap_or_default(),
            list: d.list,
        },
        (None, None, _) => match (&d.via, &d.view, &d.ignore) {
            (Some(via), _, _) => {
                if !via.path.starts_with("/v3/") || !is_id_filter(&via.by) || !is_id_filter(&via.to)
                {
                    sink.error(
                        &span,
                        format!("parameter `{name}`: `via` needs a v3 collection path and plural id filters for `by` and `to`"),
                        "e.g. via = { path = \"/v3/applications\", by = \"job_ids\", select = \"candidate_id\", to = \"ids\" }",
                    );
                    return None;
                }
                ParamRule::Via(via.clone())
            }
            (None, Some(views), _) => ParamRule::View {
                views: views.get_ref().clone(),
            },
            (None, None, Some(reason)) => ParamRule::Ignore {
                reason: reason.clone(),
            },
            (None, None, None) => ParamRule::Unsupported {
                reason: d.unsupported.clone().unwrap_or_default(),
            },
        },
    };
    Some(Param {
        name,
        rule,
        kind: kind?.to_string(),
    })
}

/// `optional_last = true`: only on a list read whose path ends in a parameter.
fn optional_last(sink: &mut Sink<'_>, d: &EndpointDef, method: Method, path: &str) -> bool {
    let Some(flag) = &d.optional_last else {
        return false;
    };
    if !*flag.get_ref() {
        return false;
    }
    let last = path.rsplit('/').next().unwrap_or("");
    if method != Method::Get || !(last.starts_with('{') && last.ends_with('}')) {
        sink.error(
            &flag.span(),
            format!("`optional_last` needs a GET whose path ends in a parameter; `{method} {path}` does not"),
            "remove `optional_last`, or declare it on the list read whose last segment v1 let clients leave off",
        );
        return false;
    }
    true
}
/// The top-level body fields a write takes: v1's documented `fields` and the roots of its
/// `required` (each alternative), `refuse` and `one_of` fields. None declared: all are taken.
fn taken_fields(d: &EndpointDef) -> BTreeSet<String> {
    if d.fields.is_empty() {
        return BTreeSet::new();
    }
    let root = |f: &str| f.split(['.', '[']).next().unwrap_or_default().to_string();
    let mut out: BTreeSet<String> = d.fields.iter().cloned().collect();
    out.extend(d.required.iter().flat_map(|r| r.split('|')).map(root));
    out.extend(d.refuse.keys().map(|k| root(k)));
    out.extend(d.one_of.keys().map(|k| root(k)));
    out
}

/// `order_by` sorts one answer's records: a paged list would be sorted page by page, each page
/// in a different order from the walk's, so it is refused there.
fn order_needs_whole_list(sink: &mut Sink<'_>, d: &EndpointDef, params: &[Param]) {
    let Some(o) = d
        .response
        .as_ref()
        .and_then(|r| r.get_ref().order_by.as_ref())
    else {
        return;
    };
    if crate::catalog::is_paged(params) {
        sink.error(
            &o.span(),
            "`order_by` on a paged list would sort each page on its own",
            "use it on lists answered whole (no page/per_page parameters); v3 pages in its own order",
        );
    }
}
