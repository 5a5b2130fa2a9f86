//! Baseline files: fingerprints of accepted findings, stable across line shifts.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::findings::Report;

#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    pub path: String,
    pub kind: String,
    #[serde(default)]
    pub legacy_route: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

pub fn write(report: &Report, out: &Path) -> anyhow::Result<()> {
    let b = Baseline {
        version: 1,
        findings: report
            .findings
            .iter()
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                path: f.path.clone(),
                kind: f.kind.as_str().to_string(),
                legacy_route: f.legacy_route.clone(),
            })
            .collect(),
    };
    std::fs::write(out, serde_json::to_string_pretty(&b)? + "\n")
        .map_err(|e| anyhow::anyhow!("cannot write baseline {}: {e}", out.display()))
}

/// Drops the findings listed in the baseline; returns how many were dropped.
pub fn apply(report: &mut Report, file: &Path) -> anyhow::Result<usize> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read baseline {}: {e}", file.display()))?;
    let b: Baseline = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("bad baseline {}: {e}", file.display()))?;
    let set: HashSet<&str> = b.findings.iter().map(|e| e.fingerprint.as_str()).collect();
    let before = report.findings.len();
    report
        .findings
        .retain(|f| !set.contains(f.fingerprint.as_str()));
    Ok(before - report.findings.len())
}
