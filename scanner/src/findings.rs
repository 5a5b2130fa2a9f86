//! What a scan reports: findings, the summary, and the fingerprints that baselines use.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use crate::advice::{V3CallOut, V3Info};
use crate::model::Kind;
use crate::routes;

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub kind: Kind,
    pub legacy_route: Option<String>,
    /// When the code does not decide the route (no HTTP method at the call site, or only a
    /// prefix of the path matched): every catalogue route it may be, `legacy_route` among them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidate_routes: Vec<String>,
    pub rule: &'static str,
    pub message: String,
    pub v3: V3Info,
    pub scopes: Vec<String>,
    /// How sure the finding is: `high` (a Harvest v1/v2 URL or base name by itself), `medium`
    /// (a versioned path in a file about Greenhouse, a dynamic client method), `low` (relative
    /// path, Basic auth or On-Behalf-Of proven by the file's or project's legacy context).
    pub confidence: &'static str,
    /// `code`, or `docs` for documentation (Markdown, plain text): to migrate too, at a lower
    /// severity.
    pub severity: &'static str,
    /// The source line (trimmed, clipped).
    pub text: String,
    pub fingerprint: String,
    /// A safe rewrite: (byte offset, old text, new text) in the file.
    #[serde(skip)]
    pub rewrite: Option<(usize, String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe_rewrite: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointUse {
    pub legacy_route: String,
    pub count: usize,
    pub status: String,
    pub v3: Vec<String>,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub files_scanned: usize,
    pub files_parsed: usize,
    pub findings: usize,
    pub by_kind: BTreeMap<String, usize>,
    pub by_file: BTreeMap<String, usize>,
    pub endpoints: Vec<EndpointUse>,
    /// Minimal v3 scope set for the whole codebase.
    pub scopes: Vec<String>,
    pub suppressed: usize,
    pub baselined: usize,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

/// Recomputes the summary from the findings (after baseline filtering too).
pub fn summarize(report: &mut Report) {
    let s = &mut report.summary;
    s.findings = report.findings.len();
    s.by_kind = Kind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), 0))
        .collect();
    s.by_file.clear();
    let mut eps: BTreeMap<String, EndpointUse> = BTreeMap::new();
    let mut used: Vec<&'static harvest_mappings::Endpoint> = Vec::new();
    for f in &report.findings {
        *s.by_kind.entry(f.kind.as_str().to_string()).or_default() += 1;
        *s.by_file.entry(f.path.clone()).or_default() += 1;
        if let Some(r) = &f.legacy_route {
            let e = eps.entry(r.clone()).or_insert_with(|| EndpointUse {
                legacy_route: r.clone(),
                count: 0,
                status: f.v3.status().unwrap_or_default().to_string(),
                v3: f
                    .v3
                    .calls()
                    .iter()
                    .map(|c| format!("{} {}", c.method, c.path))
                    .collect(),
                scopes: f.scopes.clone(),
            });
            e.count += 1;
        }
    }
    if let Some(cat) = routes::catalog() {
        for f in &report.findings {
            if let Some(r) = &f.legacy_route
                && let Some((m, p)) = r.split_once(' ')
                && let Some(rm) = cat.match_route(m, &p.replace("{", "").replace("}", "x"))
            {
                used.push(rm.endpoint);
            }
        }
    }
    let mut scopes: BTreeSet<String> = harvest_mappings::Catalog::scopes_for(used.iter().copied());
    for f in &report.findings {
        scopes.extend(f.scopes.iter().cloned());
    }
    s.scopes = scopes.into_iter().collect();
    s.endpoints = eps.into_values().collect();
}

/// FNV-1a 64 of path, kind, route and the whitespace-normalised line text.
pub fn fingerprint(path: &str, kind: Kind, route: Option<&str>, line: &str) -> String {
    let norm: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [path, kind.as_str(), route.unwrap_or("-"), &norm] {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
