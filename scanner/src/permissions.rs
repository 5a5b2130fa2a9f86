//! `harvest-scan --permissions`: from a scan's endpoint findings, the `endpoints = [...]` line
//! a proxy key needs (the catalogue's routes, exactly as `harvest-proxy` accepts them) and the
//! v3 scopes its tenant's credential needs (every v3 call those endpoints make, reads and
//! writes, from the mapping files).
//!
//! A finding whose route the code does not decide (no HTTP method at the call site) lists
//! every route it may be; a v1/v2 call whose path is built at run time, or a route the
//! catalogue lacks, cannot be listed and is reported as a warning with its file and line.

use std::collections::{BTreeMap, BTreeSet};

use harvest_mappings::{Catalog, Endpoint};
use serde::Serialize;

use crate::findings::Report;
use crate::model::Kind;

/// What a key and its tenant's credential need.
#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq)]
pub struct Needs {
    /// Catalogue routes (`METHOD /vN/path/{id}`), sorted, each once.
    pub endpoints: Vec<String>,
    /// v3 scopes, sorted, each once.
    pub scopes: Vec<String>,
    /// Per route: the v3 calls it makes (`METHOD /v3/path → scope`).
    pub calls: BTreeMap<String, Vec<Call>>,
    /// Call sites that may be any of several routes (all of them are in `endpoints`).
    pub ambiguous: Vec<Ambiguous>,
    /// Calls that could not be turned into a route.
    pub unresolved: Vec<Unresolved>,
    /// Endpoint findings in documentation (not counted).
    pub docs_skipped: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub scope: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Ambiguous {
    pub routes: Vec<String>,
    /// `file:line` of each call site.
    pub at: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Unresolved {
    /// `file:line`.
    pub at: String,
    pub reason: String,
}

/// The endpoint a route names (`METHOD /vN/path`, under any version prefix it is served at).
pub fn endpoint_of<'c>(catalog: &'c Catalog, route: &str) -> Option<&'c Endpoint> {
    let found = catalog.endpoints_named(route);
    found.first().map(|i| &catalog.endpoints()[*i])
}

/// The routes, scopes, ambiguities and warnings of a scan report.
pub fn compute(report: &Report, catalog: &Catalog) -> Needs {
    let mut needs = Needs::default();
    let mut routes: BTreeSet<String> = BTreeSet::new();
    let mut ambiguous: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.kind == Kind::Endpoint) {
        let at = format!("{}:{}", f.path, f.line);
        if f.severity == "docs" {
            needs.docs_skipped += 1;
            continue;
        }
        let Some(route) = &f.legacy_route else {
            needs.unresolved.push(Unresolved {
                at,
                reason:
                    "a Harvest v1/v2 call whose path is built at run time; add its endpoint by hand"
                        .into(),
            });
            continue;
        };
        let wanted: Vec<&String> = if f.candidate_routes.is_empty() {
            vec![route]
        } else {
            f.candidate_routes.iter().collect()
        };
        let mut found = Vec::new();
        for r in wanted {
            match endpoint_of(catalog, r) {
                Some(e) => found.push(e.route().to_string()),
                None => needs.unresolved.push(Unresolved {
                    at: at.clone(),
                    reason: format!(
                        "`{r}` is not a route of the catalogue (harvest-proxy cannot serve it)"
                    ),
                }),
            }
        }
        if found.len() > 1 {
            found.sort();
            found.dedup();
            ambiguous.entry(found.clone()).or_default().push(at);
        }
        routes.extend(found);
    }
    let mut scopes = BTreeSet::new();
    for r in &routes {
        let Some(e) = endpoint_of(catalog, r) else {
            continue;
        };
        let mut calls: Vec<Call> = catalog
            .calls_made(e)
            .into_iter()
            .map(|c| Call {
                method: c.method.clone(),
                path: c.path.clone(),
                scope: c.scope.clone(),
            })
            .collect();
        calls.sort();
        calls.dedup();
        scopes.extend(calls.iter().map(|c| c.scope.clone()));
        needs.calls.insert(r.clone(), calls);
    }
    needs.endpoints = routes.into_iter().collect();
    needs.scopes = scopes.into_iter().collect();
    needs.ambiguous = ambiguous
        .into_iter()
        .map(|(routes, at)| Ambiguous { routes, at })
        .collect();
    needs
}

/// The text output: comment lines, the `endpoints = [...]` line (pasteable into a proxy.toml
/// `[[keys]]` table) and the scopes as comments.
pub fn text(needs: &Needs) -> String {
    let mut out = String::new();
    if needs.endpoints.is_empty() {
        out.push_str(
            "# no Harvest v1/v2 endpoint found: this integration's key needs no endpoint\n",
        );
    } else {
        out.push_str("# The endpoints this integration calls (harvest-scan --permissions):\n");
    }
    for a in &needs.ambiguous {
        out.push_str(&format!(
            "# ambiguous: {} names no HTTP method; it may be any of {}: all are listed\n",
            a.at.join(", "),
            a.routes.join(", ")
        ));
    }
    if !needs.endpoints.is_empty() {
        let quoted: Vec<String> = needs.endpoints.iter().map(|r| format!("\"{r}\"")).collect();
        out.push_str(&format!("endpoints = [{}]\n", quoted.join(", ")));
        out.push_str(
            "# v3 scopes the tenant's credential needs (every v3 call of these endpoints):\n",
        );
        out.push_str(&format!("# scopes = {}\n", needs.scopes.join(" ")));
    }
    out
}

/// The warnings for stderr: one line per call that could not be listed.
pub fn warnings(needs: &Needs) -> Vec<String> {
    let mut w: Vec<String> = needs
        .unresolved
        .iter()
        .map(|u| format!("{}: {}", u.at, u.reason))
        .collect();
    if needs.docs_skipped > 0 {
        w.push(format!(
            "{} endpoint mention{} in documentation not counted",
            needs.docs_skipped,
            if needs.docs_skipped == 1 { "" } else { "s" }
        ));
    }
    w
}
