//! The checked mapping catalog: every legacy endpoint with its v3 calls, parameters, views,
//! scopes and notes. Built by `load`; read by the scanner, the proxy and the docs generator.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::Value;

use crate::diag::Location;
pub use crate::model::{Method, Other, Shape, Status};
use crate::selector::Selector;

/// One v3 call an endpoint needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct V3Call {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub purpose: Option<String>,
    pub scope: String,
    /// True when the call comes from a join of the response view (not listed by hand).
    pub from_join: bool,
    pub body_view: Option<String>,
}

/// What becomes of one legacy query parameter.
#[derive(Debug, Clone)]
pub enum ParamRule {
    Page,
    PerPage {
        default: i64,
        min: i64,
        max: i64,
    },
    /// Sent upstream as `to`, optionally value-mapped; a comma list when `list`.
    Rename {
        to: String,
        map: BTreeMap<String, String>,
        list: bool,
    },
    /// `to=op|value` (merged with other operators on the same field).
    Filter {
        to: String,
        op: String,
    },
    Ignore {
        reason: String,
    },
    Unsupported {
        reason: String,
    },
    /// The value chooses another response view (e.g. `render_as=tree`); "" keeps the default.
    /// The chosen view receives every record at once, as `{"records": [...]}`.
    View {
        views: BTreeMap<String, String>,
    },
    /// Filter through a related collection (see `model::ViaDef`).
    Via(crate::model::ViaDef),
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub rule: ParamRule,
    /// `integer`, `datetime`, `boolean` or `string`.
    pub kind: String,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub view: String,
    pub shape: Shape,
    pub filter: Option<Selector>,
    /// Sort the v3 records by this raw field (`desc`: descending) before translating.
    pub order_by: Option<Selector>,
    pub desc: bool,
}

/// A legacy endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: String,
    pub method: String,
    /// As documented, e.g. `/v1/candidates/{id}` or `/v2/users`.
    pub path: String,
    /// The last path segment (a parameter) may be left off (`/v1/custom_fields`).
    pub optional_last: bool,
    pub versions: Vec<String>,
    pub basis: Option<String>,
    pub legacy_status: Option<String>,
    pub status: Status,
    pub lost: Option<String>,
    pub reason: Option<String>,
    pub instead: Option<String>,
    pub notes: String,
    /// Explicit calls first, then calls the response view's joins make.
    pub v3: Vec<V3Call>,
    pub scopes: Vec<String>,
    pub params: Vec<Param>,
    pub response: Option<Response>,
    /// The parent-existence check of a nested route (also listed in `v3`).
    pub exists: Option<V3Call>,
    /// For a write the proxy serves: its v3 calls in order and how v1's answer is built.
    pub write: Option<crate::write::WritePlan>,
    pub omitted: BTreeMap<String, String>,
    pub location: Location,
    /// The resource file the endpoint is declared in (without `.toml`).
    pub file: String,
    /// Worked out at load ([`Catalog::is_memoisable`]): the answer is a function of the primary
    /// v3 page alone, given reference data cached for a TTL (a paged list whose views join only
    /// `cache = true` collections).
    pub(crate) memoisable: bool,
    /// `METHOD /v1/path`, formatted once at load ([`Endpoint::route`]).
    pub(crate) route: String,
}

impl Endpoint {
    pub fn is_read(&self) -> bool {
        self.method == "GET"
    }

    /// The path under each version prefix the legacy API served it at.
    pub fn legacy_paths(&self) -> Vec<String> {
        let rest = strip_version(&self.path);
        self.versions
            .iter()
            .map(|v| format!("/{v}{rest}"))
            .collect()
    }

    /// `METHOD /v1/path` as printed in reports.
    pub fn route(&self) -> &str {
        &self.route
    }

    /// Exactly one v3 call does the job (a 1:1 rewrite is possible).
    pub fn is_one_to_one(&self) -> bool {
        self.v3.len() == 1
    }

    /// The parameter rule for a legacy query parameter.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// A list v1 answered page by page (`page`/`per_page`, or `per_page` alone).
    pub fn is_paginated(&self) -> bool {
        is_paged(&self.params)
    }
}

/// Parameters that page a list (`page`, `per_page`).
pub(crate) fn is_paged(params: &[Param]) -> bool {
    params
        .iter()
        .any(|p| matches!(p.rule, ParamRule::Page | ParamRule::PerPage { .. }))
}

/// A compiled join.
#[derive(Debug, Clone)]
pub struct Join {
    pub name: String,
    pub from: String,
    pub by: Option<String>,
    pub key: Selector,
    pub on: Selector,
    pub query: BTreeMap<String, String>,
    pub view: Option<String>,
    pub cache: bool,
}

/// Which elements `filter` keeps.
#[derive(Debug, Clone)]
pub enum Keep {
    /// Those matching a JSONPath filter (`where`).
    Matching(Selector),
    /// Those among the values a query finds in the record, compared as text (`in`).
    Among(Selector),
    /// Those not among them (`not_in`).
    NotAmong(Selector),
}

/// A compiled operation.
#[derive(Debug, Clone)]
pub enum Op {
    Move {
        from: Selector,
        to: Selector,
    },
    Copy {
        from: Selector,
        to: Selector,
    },
    Set {
        to: Selector,
        value: Value,
    },
    Default {
        at: Selector,
        value: Value,
    },
    Remove {
        fields: Vec<Selector>,
    },
    Map {
        at: Selector,
        values: HashMap<String, Value>,
        other: Other,
    },
    Convert {
        at: Selector,
        to: Conversion,
    },
    Wrap {
        at: Selector,
        key: String,
    },
    First {
        at: Selector,
    },
    Merge {
        from: Selector,
    },
    Attach(Box<Attach>),
    Each {
        at: Selector,
        view: String,
    },
    CustomFields {
        from: Selector,
        flat: Selector,
        keyed: Selector,
    },
    Group {
        from: Selector,
        to: Selector,
        by: Selector,
        value: Selector,
        keys: Vec<String>,
    },
    Push {
        at: Selector,
        template: Value,
        set: Vec<(String, Selector)>,
        when_present: Option<Selector>,
        front: bool,
    },
    Sort {
        at: Selector,
        by: Selector,
        desc: bool,
    },
    Filter {
        at: Selector,
        keep: Keep,
    },
    When {
        field: Selector,
        is: Vec<Value>,
        /// Some(true): the field is present and not null; Some(false): absent or null.
        present: Option<bool>,
        then: Vec<Op>,
        otherwise: Vec<Op>,
    },
    Tree {
        at: Selector,
        id: String,
        parent: String,
        children: String,
        fields: Vec<String>,
    },
    Select {
        fields: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conversion {
    DateToDatetime,
    String,
    Integer,
    Not,
    Lowercase,
    Join(String),
    EmptyToNull,
}

#[derive(Debug, Clone)]
pub struct Attach {
    pub join: usize,
    pub to: Selector,
    pub filter: Option<Selector>,
    pub order_by: Option<Selector>,
    pub desc: bool,
    pub prefer: Option<Selector>,
    pub first: bool,
    pub select: Option<Selector>,
    pub matching: Option<Selector>,
}

/// A compiled view.
#[derive(Debug, Clone)]
pub struct View {
    /// Qualified name, `file.view`.
    pub name: String,
    pub source: Option<String>,
    /// The view this one extends (qualified); its joins and operations come first in
    /// `joins` and `ops`.
    pub extends: Option<String>,
    pub joins: Vec<Join>,
    pub ops: Vec<Op>,
    pub location: Location,
}

impl View {
    /// The views this one hands records to: its joins' views and its `each` views (also
    /// inside `when` branches).
    pub fn uses(&self) -> Vec<&str> {
        fn in_ops<'v>(ops: &'v [Op], out: &mut Vec<&'v str>) {
            for op in ops {
                match op {
                    Op::Each { view, .. } => out.push(view),
                    Op::When {
                        then, otherwise, ..
                    } => {
                        in_ops(then, out);
                        in_ops(otherwise, out);
                    }
                    _ => {}
                }
            }
        }
        let mut out: Vec<&str> = self
            .joins
            .iter()
            .filter_map(|j| j.view.as_deref())
            .collect();
        in_ops(&self.ops, &mut out);
        out
    }
}

/// The views reachable from one view (itself first), each once: the one walk of the view
/// graph, used for the v3 calls an endpoint makes and for what may be memoised.
#[derive(Debug, Default)]
pub struct ViewWalk<'v> {
    pub views: Vec<&'v View>,
    /// Names used but not defined (the loader reports them; a walk just skips them).
    pub missing: Vec<String>,
}

/// Walks the view graph from `start`, depth-first in declaration order; `lookup` resolves a
/// qualified view name. Cycles are cut (each view is visited once).
pub fn walk_views<'v>(start: &str, lookup: impl Fn(&str) -> Option<&'v View>) -> ViewWalk<'v> {
    let mut walk = ViewWalk::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut stack = vec![start.to_string()];
    while let Some(name) = stack.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        match lookup(&name) {
            Some(v) => {
                walk.views.push(v);
                stack.extend(v.uses().into_iter().rev().map(str::to_string));
            }
            None => walk.missing.push(name),
        }
    }
    walk
}

/// What the loader works out once from the view graph, for every endpoint.
#[derive(Debug, Clone, Default)]
pub(crate) struct Analysis {
    /// v3 paths some view joins with `cache = true` (whole reference lists).
    cacheable: HashSet<String>,
    /// Where each endpoint's path is matched from.
    pub(crate) routes: crate::routes::RouteIndex,
}

/// The mapping truth.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) views: HashMap<String, View>,
    pub(crate) files: Vec<String>,
    pub(crate) analysis: Analysis,
    /// How unknown write outcomes are read back (`resources/_verify.toml`).
    pub(crate) verify: crate::verify::Rules,
}

/// A legacy route matched by `Catalog::match_route`, with the path parameters it bound.
#[derive(Debug, Clone)]
pub struct RouteMatch<'a> {
    pub endpoint: &'a Endpoint,
    pub version: String,
    pub params: BTreeMap<String, String>,
}

/// A route (`METHOD /vN/path/{param}`) as routes compare: method upper-cased, placeholder names
/// dropped (`{id}` and `{candidate_id}` read alike), no trailing slash.
fn route_key(method: &str, path: &str) -> String {
    let mut out = format!("{} ", method.to_ascii_uppercase());
    let mut skip = false;
    for c in path.trim().chars() {
        match c {
            '{' => {
                skip = true;
                out.push('{');
            }
            '}' => {
                skip = false;
                out.push('}');
            }
            _ if skip => {}
            _ => out.push(c),
        }
    }
    out.trim_end_matches('/').to_string()
}

impl Catalog {
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The indices of the endpoints a route names (`METHOD /vN/path`, under any version prefix
    /// the endpoint is served at; placeholder names and a trailing slash do not matter). The
    /// one spelling of routes that proxy key permissions and the scanner's `--permissions` share.
    pub fn endpoints_named(&self, route: &str) -> Vec<usize> {
        let Some((method, path)) = route.trim().split_once(' ') else {
            return Vec::new();
        };
        let want = route_key(method, path);
        (0..self.endpoints.len())
            .filter(|i| {
                let e = &self.endpoints[*i];
                e.legacy_paths()
                    .iter()
                    .any(|p| route_key(&e.method, p) == want)
            })
            .collect()
    }

    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The read-back rules of v3 write calls.
    pub fn verify(&self) -> &crate::verify::Rules {
        &self.verify
    }

    pub fn view(&self, qualified: &str) -> Option<&View> {
        self.views.get(qualified)
    }

    pub fn views(&self) -> impl Iterator<Item = &View> {
        self.views.values()
    }

    /// Every view reachable from `start`, itself first (see [`walk_views`]).
    pub fn walk(&self, start: &str) -> ViewWalk<'_> {
        walk_views(start, |n| self.views.get(n))
    }

    /// True when the endpoint's answer may be memoised by the content of its v3 page (decided
    /// when the mappings load).
    pub fn is_memoisable(&self, ep: &Endpoint) -> bool {
        ep.memoisable
    }

    /// True when some view joins this v3 path whole with `cache = true` (reference data).
    pub fn is_cacheable(&self, v3_path: &str) -> bool {
        self.analysis.cacheable.contains(v3_path)
    }

    /// Fills in the [`Analysis`]: one walk of the view graph per endpoint.
    pub(crate) fn analysed(mut self) -> Self {
        let cacheable: HashSet<String> = self
            .views
            .values()
            .flat_map(|v| v.joins.iter().filter(|j| j.cache).map(|j| j.from.clone()))
            .collect();
        let memoisable: Vec<bool> = self
            .endpoints
            .iter()
            .map(|e| {
                let Some(r) = &e.response else { return false };
                if r.shape != Shape::List || !e.is_paginated() {
                    return false;
                }
                let walk = self.walk(&r.view);
                walk.missing.is_empty()
                    && walk.views.iter().all(|v| v.joins.iter().all(|j| j.cache))
            })
            .collect();
        for (e, m) in self.endpoints.iter_mut().zip(memoisable) {
            e.memoisable = m;
        }
        self.analysis = Analysis {
            cacheable,
            routes: crate::routes::RouteIndex::new(&self.endpoints),
        };
        self
    }

    /// Finds the endpoint for a concrete request path (`/v1/candidates/12`, trailing slash and
    /// query ignored). Literal segments beat parameters (`/v1/users/permission_level` is not
    /// `/v1/users/{id}`). `method` is an HTTP method (any case); a method no endpoint has finds
    /// nothing. `"ANY"` is still read as [`Catalog::find_route`] with `None`, for older callers.
    pub fn match_route(&self, method: &str, path: &str) -> Option<RouteMatch<'_>> {
        if method.eq_ignore_ascii_case("ANY") {
            return self.find_route(None, path);
        }
        self.find_route(Some(method.parse().ok()?), path)
    }

    /// Like [`Catalog::match_route`]; `None` takes the best match of any method (GET first).
    pub fn find_route(&self, method: Option<Method>, path: &str) -> Option<RouteMatch<'_>> {
        let found = self.analysis.routes.find(method, path)?;
        Some(RouteMatch {
            endpoint: self.endpoints.get(found.index)?,
            version: found.version.to_string(),
            params: found.params,
        })
    }

    /// Every endpoint served at a path, whatever the method.
    pub fn endpoints_at(&self, path: &str) -> Vec<&Endpoint> {
        let mut out = Vec::new();
        for m in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if let Some(r) = self.match_route(m, path) {
                out.push(r.endpoint);
            }
        }
        out
    }

    /// Every v3 call serving the endpoint makes: its own (explicit, joins, parent check) and,
    /// for a write answered by a read back (`answer = { read = … }`), the calls of that read.
    pub fn calls_made<'a>(&'a self, ep: &'a Endpoint) -> Vec<&'a V3Call> {
        let mut out: Vec<&V3Call> = ep.v3.iter().collect();
        if let Some(crate::write::WriteAnswer::Read { path, .. }) =
            ep.write.as_ref().map(|w| &w.answer)
        {
            // `{steps.0.id}` → a concrete segment: only the route matters here.
            let concrete: String = path
                .split('/')
                .map(|s| if s.starts_with('{') { "0" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            if let Some(m) = self.match_route("GET", &concrete) {
                out.extend(m.endpoint.v3.iter());
            }
        }
        out
    }

    /// The smallest scope set that covers the given endpoints.
    pub fn scopes_for<'a>(endpoints: impl IntoIterator<Item = &'a Endpoint>) -> BTreeSet<String> {
        endpoints
            .into_iter()
            .flat_map(|e| e.scopes.iter().cloned())
            .collect()
    }
}

/// `/v1/x` → `/x`.
pub fn strip_version(path: &str) -> &str {
    split_version(path).map(|(_, r)| r).unwrap_or(path)
}

pub(crate) fn split_version(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix('/')?;
    let end = rest.find('/').unwrap_or(rest.len());
    let v = &rest[..end];
    if v.len() >= 2 && v.starts_with('v') && v[1..].chars().all(|c| c.is_ascii_digit()) {
        Some((v, &rest[end..]))
    } else {
        None
    }
}

/// The v3 scope a call needs: `harvest:<resource>:<action>`.
pub fn derive_scope(method: &str, path: &str) -> String {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let resource = segs.get(1).copied().unwrap_or("");
    let is_param = |s: &str| s.starts_with('{');
    let action = match (method, segs.len()) {
        ("GET", _) => "list".to_string(),
        ("POST", 2) => "create".to_string(),
        ("DELETE", _) => "destroy".to_string(),
        (_, n) if n >= 4 && is_param(segs[2]) => segs[3].to_string(),
        ("POST", _) => "create".to_string(),
        _ => "update".to_string(),
    };
    format!("harvest:{resource}:{action}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_the_v3_rule() {
        assert_eq!(
            derive_scope("GET", "/v3/candidates"),
            "harvest:candidates:list"
        );
        assert_eq!(
            derive_scope("POST", "/v3/applications"),
            "harvest:applications:create"
        );
        assert_eq!(
            derive_scope("POST", "/v3/applications/{id}/move"),
            "harvest:applications:move"
        );
        assert_eq!(
            derive_scope("PATCH", "/v3/users/{id}"),
            "harvest:users:update"
        );
        assert_eq!(
            derive_scope("DELETE", "/v3/jobs/{id}"),
            "harvest:jobs:destroy"
        );
        assert_eq!(
            derive_scope("PATCH", "/v3/candidates/{id}/anonymize"),
            "harvest:candidates:anonymize"
        );
    }

    #[test]
    fn version_split() {
        assert_eq!(strip_version("/v1/candidates/{id}"), "/candidates/{id}");
        assert_eq!(strip_version("/v2/users"), "/users");
        assert_eq!(strip_version("/candidates"), "/candidates");
    }
}
