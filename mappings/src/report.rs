//! Outputs derived from the catalog: the `mappings list` JSON and docs/coverage.md.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::catalog::{Catalog, Endpoint, Status};

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
    out.push_str(
        "| legacy endpoint | versions | status | v3 calls | scopes | what is lost / why not |\n",
    );
    out.push_str("|---|---|---|---|---|---|\n");
    for e in eps {
        let calls =
            e.v3.iter()
                .map(|c| format!("`{} {}`", c.method, c.path))
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
