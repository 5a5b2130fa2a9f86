//! What to do instead: the v3 side of each finding, from the mapping catalog.

use harvest_mappings::Endpoint;
use harvest_mappings::catalog::{ParamRule, strip_version};

use crate::model::{Cand, Kind};
use crate::routes::Resolved;
use std::collections::BTreeMap;

use serde::Serialize;

pub const AUTH_CHANGE: &str = "auth: HTTP Basic with the API key is gone; get an OAuth2 client-credentials token \
(POST https://auth.greenhouse.io/token, grant_type=client_credentials) and send Authorization: Bearer <token>";
pub const OBO_CHANGE: &str = "acting user: there is no On-Behalf-Of header in v3; mint the token with sub=<user id> \
(the token's sub claim is the acting user)";
pub const UNKNOWN_CHANGE: &str = "unknown route: the v1/v2 route catalogue does not list this path; check the \
legacy API reference and map it to its v3 equivalent by hand";
pub const BASE_CHANGE: &str = "base URL: https://harvest.greenhouse.io/v3; v3 paths, filters and response shapes differ per \
endpoint, and lists use cursor pagination";

/// Placeholder-insensitive path: `/v1/jobs/{job_id}` → `/jobs/{}`.
fn shape(path: &str) -> String {
    strip_version(path)
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// A full-URL rewrite `/v1/…` → `/v3/…` is safe when the catalog says the endpoint is translated
/// by exactly one v3 call with the same method and the same path, without extra query
/// parameters, nothing lost and no "use instead" advice.
pub fn is_safe(ep: &Endpoint) -> bool {
    if ep.status != harvest_mappings::Status::Translated
        || !ep.is_one_to_one()
        || ep.lost.is_some()
        || ep.instead.is_some()
    {
        return false;
    }
    let call = &ep.v3[0];
    call.method == ep.method && call.query.is_empty() && shape(&call.path) == shape(&ep.path)
}

fn endpoint_changes(ep: &Endpoint) -> Vec<String> {
    let mut out = Vec::new();
    let mut renames = Vec::new();
    let mut unsupported = Vec::new();
    let mut paged = false;
    for p in &ep.params {
        match &p.rule {
            ParamRule::Page | ParamRule::PerPage { .. } => paged = true,
            ParamRule::Rename { to, .. } if to != &p.name => {
                renames.push(format!("{} → {}", p.name, to))
            }
            ParamRule::Filter { to, op } => renames.push(format!("{} → {}={}|…", p.name, to, op)),
            ParamRule::Unsupported { .. } => unsupported.push(p.name.clone()),
            _ => {}
        }
    }
    if paged {
        out.push("pagination: page/per_page become cursor pagination (follow the cursor in the Link header)".to_string());
    }
    if !renames.is_empty() {
        out.push(format!("filters: {}", renames.join(", ")));
    }
    if !unsupported.is_empty() {
        out.push(format!(
            "unsupported parameters: {}",
            unsupported.join(", ")
        ));
    }
    if ep.v3.len() > 1 {
        out.push(format!("one legacy call becomes {} v3 calls", ep.v3.len()));
    }
    if ep
        .v3
        .first()
        .is_some_and(|c| shape(&c.path) != shape(&ep.path))
    {
        out.push("path: the resource lives at a different v3 path".to_string());
    }
    if ep.response.is_some() {
        out.push(
            "response shape: see the notes (fields renamed, moved or joined from other resources)"
                .to_string(),
        );
    }
    if ep.method != "GET" {
        out.push(OBO_CHANGE.to_string());
    }
    out.push(AUTH_CHANGE.to_string());
    out
}

/// The v3 side of a finding, computed from the catalog when it is printed (findings stay small).
#[derive(Debug, Clone, Copy)]
pub struct V3Info {
    pub kind: Kind,
    pub endpoint: Option<&'static Endpoint>,
    /// A legacy route the catalogue lacks (reported as written).
    pub unknown: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct V3CallOut {
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    pub scope: String,
}

impl V3Info {
    /// `translated`, `partial` or `unsupported` (endpoints only).
    pub fn status(&self) -> Option<&'static str> {
        if self.unknown {
            return Some("unknown");
        }
        self.endpoint.map(|e| e.status.as_str())
    }

    pub fn calls(&self) -> Vec<V3CallOut> {
        self.endpoint
            .map(|ep| {
                ep.v3
                    .iter()
                    .map(|v| V3CallOut {
                        method: v.method.clone(),
                        path: v.path.clone(),
                        query: v.query.clone(),
                        purpose: v.purpose.clone(),
                        scope: v.scope.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What changes besides the path.
    pub fn changes(&self) -> Vec<String> {
        match (self.kind, self.endpoint) {
            (Kind::Endpoint, Some(ep)) => endpoint_changes(ep),
            (Kind::Endpoint, None) if self.unknown => vec![
                UNKNOWN_CHANGE.to_string(),
                BASE_CHANGE.to_string(),
                AUTH_CHANGE.to_string(),
            ],
            (Kind::Endpoint, None) | (Kind::BaseUrl, _) => {
                vec![BASE_CHANGE.to_string(), AUTH_CHANGE.to_string()]
            }
            (Kind::BasicAuth, _) => vec![AUTH_CHANGE.to_string()],
            (Kind::OnBehalfOf, _) => vec![OBO_CHANGE.to_string()],
        }
    }

    pub fn notes(&self) -> &'static str {
        self.endpoint.map(|e| e.notes.as_str()).unwrap_or("")
    }

    pub fn lost(&self) -> Option<&'static str> {
        self.endpoint.and_then(|e| e.lost.as_deref())
    }

    pub fn instead(&self) -> Option<&'static str> {
        self.endpoint.and_then(|e| e.instead.as_deref())
    }
}

impl Serialize for V3Info {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = ser.serialize_map(None)?;
        if let Some(s) = self.status() {
            m.serialize_entry("status", s)?;
        }
        m.serialize_entry("calls", &self.calls())?;
        m.serialize_entry("changes", &self.changes())?;
        if !self.notes().is_empty() {
            m.serialize_entry("notes", self.notes())?;
        }
        if let Some(l) = self.lost() {
            m.serialize_entry("lost", l)?;
        }
        if let Some(i) = self.instead() {
            m.serialize_entry("instead", i)?;
        }
        m.end()
    }
}

/// The v3 info, scopes and message of a candidate.
pub fn advise(
    c: &Cand,
    r: Option<&Resolved>,
    unknown: Option<&str>,
) -> (V3Info, Vec<String>, String) {
    let info = V3Info {
        kind: c.kind,
        endpoint: if c.kind == Kind::Endpoint {
            r.map(|r| r.endpoint)
        } else {
            None
        },
        unknown: unknown.is_some(),
    };
    if let Some(route) = unknown {
        let msg = format!(
            "Harvest {route} ({}) is retired on 31 Aug 2026; unknown route: the v1/v2 catalogue does not list it, map it to v3 by hand",
            c.why
        );
        return (info, Vec::new(), msg);
    }
    match c.kind {
        Kind::Endpoint => match r {
            Some(r) => {
                let ep = r.endpoint;
                let mut calls_txt: Vec<String> = ep.v3.iter().take(3).map(|c| format!("{} {}", c.method, c.path)).collect();
                if ep.v3.len() > 3 {
                    calls_txt.push(format!("{} more", ep.v3.len() - 3));
                }
                let mut msg = format!(
                    "Harvest {} ({}) is retired on 31 Aug 2026; v3: {} [{}]",
                    r.route,
                    c.why,
                    if calls_txt.is_empty() { "no equivalent".to_string() } else { calls_txt.join(" + ") },
                    ep.status.as_str()
                );
                if let Some(lost) = &ep.lost {
                    msg.push_str(&format!("; lost: {lost}"));
                }
                if let Some(instead) = &ep.instead {
                    msg.push_str(&format!("; instead: {instead}"));
                }
                (info, ep.scopes.clone(), msg)
            }
            None => (
                info,
                Vec::new(),
                format!("Harvest v1/v2 request ({}); the route is decided at run time: map each call to its v3 equivalent", c.why),
            ),
        },
        Kind::BaseUrl => (
            info,
            Vec::new(),
            "Harvest v1/v2 base URL: v1/v2 is retired on 31 Aug 2026; v3 lives at https://harvest.greenhouse.io/v3 with new paths".to_string(),
        ),
        Kind::BasicAuth => (
            info,
            Vec::new(),
            format!("Harvest v1/v2 Basic auth ({}): v3 takes an OAuth2 client-credentials Bearer token", c.why),
        ),
        Kind::OnBehalfOf => (
            info,
            Vec::new(),
            "On-Behalf-Of header: v3 has none; the acting user is the token's sub (set when the token is minted)".to_string(),
        ),
    }
}
