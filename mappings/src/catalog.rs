//! The checked mapping catalog: every legacy endpoint with its v3 calls, parameters, views,
//! scopes and notes. Built by `load`; read by the scanner, the proxy and the docs generator.

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
}

/// A legacy endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: String,
    pub method: String,
    /// As documented, e.g. `/v1/candidates/{id}` or `/v2/users`.
    pub path: String,
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
    pub omitted: BTreeMap<String, String>,
    pub location: Location,
    /// The resource file the endpoint is declared in (without `.toml`).
    pub file: String,
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
    pub fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Exactly one v3 call does the job (a 1:1 rewrite is possible).
    pub fn is_one_to_one(&self) -> bool {
        self.v3.len() == 1
    }

    /// The parameter rule for a legacy query parameter.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
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
        filter: Selector,
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

/// The mapping truth.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) views: HashMap<String, View>,
    pub(crate) files: Vec<String>,
}

/// A legacy route matched by `Catalog::match_route`, with the path parameters it bound.
#[derive(Debug, Clone)]
pub struct RouteMatch<'a> {
    pub endpoint: &'a Endpoint,
    pub version: String,
    pub params: BTreeMap<String, String>,
}

impl Catalog {
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    pub fn files(&self) -> &[String] {
        &self.files
    }

    pub fn view(&self, qualified: &str) -> Option<&View> {
        self.views.get(qualified)
    }

    pub fn views(&self) -> impl Iterator<Item = &View> {
        self.views.values()
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
        let path = path.split(['?', '#']).next().unwrap_or("");
        let segs: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        let (version, _) = split_version(path)?;
        let mut best: Option<(usize, usize, RouteMatch<'_>)> = None;
        for ep in &self.endpoints {
            if method.is_some_and(|m| ep.method != m.as_str()) {
                continue;
            }
            if !ep.versions.iter().any(|v| v == version) {
                continue;
            }
            let tmpl: Vec<&str> = strip_version(&ep.path).split('/').skip(1).collect();
            if tmpl.len() + 1 != segs.len() {
                continue;
            }
            let mut params = BTreeMap::new();
            let mut literals = 0;
            let ok = tmpl.iter().zip(&segs[1..]).all(|(t, s)| {
                if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                    if s.is_empty() {
                        return false;
                    }
                    params.insert(name.to_string(), (*s).to_string());
                    true
                } else {
                    literals += 1;
                    t == s
                }
            });
            if !ok {
                continue;
            }
            let method_rank = if ep.method == "GET" { 1 } else { 0 };
            let better = match &best {
                None => true,
                Some((l, m, _)) => (literals, method_rank) > (*l, *m),
            };
            if better {
                best = Some((
                    literals,
                    method_rank,
                    RouteMatch {
                        endpoint: ep,
                        version: version.to_string(),
                        params,
                    },
                ));
            }
        }
        best.map(|(_, _, m)| m)
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

fn split_version(path: &str) -> Option<(&str, &str)> {
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
