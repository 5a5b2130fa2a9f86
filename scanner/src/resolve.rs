//! Resolution: which candidates of a file become findings (what their surroundings must prove,
//! inline suppression), and each finding's route, v3 advice, safe rewrite and fingerprint.

use std::collections::HashSet;

use crate::context::Project;
use crate::findings::{Finding, fingerprint};
use crate::model::{Cand, FileFacts, Kind, Need};
use crate::routes::{self, Resolved};

/// The findings of one file (and how many were suppressed inline). `text` is the file's text;
/// `linked` says a legacy file of the project and this one use each other.
pub fn resolve_file(
    rel: &str,
    text: &str,
    facts: &FileFacts,
    proj: Option<&Project>,
    linked: bool,
) -> (Vec<Finding>, usize) {
    let proj_legacy = proj.is_some_and(|p| p.legacy);
    let mention = facts.mention || linked;
    let uses_base = facts
        .cands
        .iter()
        .any(|c| c.need == Need::Nothing && c.kind == Kind::Endpoint);
    let file_legacy = facts.legacy || uses_base;
    let version = facts
        .legacy_version
        .clone()
        .or_else(|| proj.and_then(|p| p.version.clone()))
        .unwrap_or_else(|| "v1".to_string());
    let ok = |need: Need| match need {
        Need::Nothing => true,
        Need::Versioned => file_legacy || mention || facts.harvest_host || proj_legacy,
        Need::Legacy => file_legacy || (mention && proj_legacy),
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let suppress: HashSet<u32> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("harvest-scan: ignore") || l.contains("harvest-scan:ignore"))
        .map(|(i, _)| i as u32 + 1)
        .collect();
    let mut findings = Vec::new();
    let mut suppressed = 0;
    let mut seen: HashSet<(u32, Kind, Option<String>)> = HashSet::new();
    for c in &facts.cands {
        if !ok(c.need) {
            continue;
        }
        if suppress.contains(&c.line) || (c.line > 1 && suppress.contains(&(c.line - 1))) {
            suppressed += 1;
            continue;
        }
        let fi = build_finding(rel, c, &version, &lines);
        if seen.insert((fi.line, fi.kind, fi.legacy_route.clone())) {
            findings.push(fi);
        }
    }
    (findings, suppressed)
}

fn clip_line(line: &str, col: u32) -> String {
    let line = line.trim_end_matches('\r');
    if line.len() <= 240 {
        return line.trim().to_string();
    }
    let c = (col as usize).saturating_sub(1).min(line.len());
    let mut s = c.saturating_sub(100);
    while !line.is_char_boundary(s) {
        s -= 1;
    }
    let mut e = (c + 140).min(line.len());
    while !line.is_char_boundary(e) {
        e += 1;
    }
    line[s..e].trim().to_string()
}

fn build_finding(rel: &str, c: &Cand, version: &str, lines: &[&str]) -> Finding {
    let line_text = lines
        .get((c.line as usize).saturating_sub(1))
        .copied()
        .unwrap_or("");
    let text = clip_line(line_text, c.col);
    let resolved: Option<Resolved> = c.route.as_ref().and_then(|r| {
        let v = r.version.as_deref().unwrap_or(version);
        routes::resolve(r.method.as_deref(), v, &r.segs, r.allow_prefix)
    });
    let legacy_route = resolved.as_ref().map(|r| r.route.clone());
    let (v3, scopes, message) = crate::advice::advise(c, resolved.as_ref());
    let rewrite = match (&resolved, c.version_at) {
        (Some(r), Some(at)) if r.exact && crate::advice::is_safe(r.endpoint) => {
            let old = r.route.split('/').nth(1).unwrap_or("v1").to_string();
            Some((at, old, "v3".to_string()))
        }
        _ => None,
    };
    let fingerprint = fingerprint(rel, c.kind, legacy_route.as_deref(), line_text);
    Finding {
        path: rel.to_string(),
        line: c.line,
        column: c.col,
        kind: c.kind,
        legacy_route,
        rule: c.kind.rule(),
        message,
        v3,
        scopes,
        text,
        fingerprint,
        safe_rewrite: rewrite
            .as_ref()
            .map(|_| "replace the /v1/ (or /v2/) version segment with /v3/".to_string()),
        rewrite,
    }
}
