//! Resolution: which candidates of a file become findings (what their surroundings must prove,
//! inline suppression), and each finding's route, v3 advice, safe rewrite and fingerprint.

use std::collections::{HashMap, HashSet};

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
    let suppress = suppressions(&lines);
    let docs = is_docs(rel);
    let mut findings = Vec::new();
    let mut suppressed = 0;
    let mut seen: HashSet<(u32, Kind, Option<String>)> = HashSet::new();
    for c in &facts.cands {
        if !ok(c.need) {
            continue;
        }
        let hit = |l: u32| {
            suppress
                .get(&l)
                .is_some_and(|rules| rules.is_empty() || rules.contains(&c.kind))
        };
        if hit(c.line) || (c.line > 1 && hit(c.line - 1)) {
            suppressed += 1;
            continue;
        }
        let mut fi = build_finding(rel, c, &version, &lines);
        fi.confidence = match c.need {
            Need::Nothing => "high",
            Need::Versioned => "medium",
            Need::Legacy => "low",
        };
        if docs {
            fi.severity = "docs";
        }
        if seen.insert((fi.line, fi.kind, fi.legacy_route.clone())) {
            findings.push(fi);
        }
    }
    (findings, suppressed)
}

/// Inline suppressions: line → the kinds it suppresses (empty = all). A comment
/// `harvest-scan: ignore` suppresses everything on its line and the next;
/// `harvest-scan: ignore HB001,HB003 reason` (or kind names) only those rules.
pub fn suppressions(lines: &[&str]) -> HashMap<u32, Vec<Kind>> {
    let mut out = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(p) = l
            .find("harvest-scan: ignore")
            .map(|p| p + 20)
            .or_else(|| l.find("harvest-scan:ignore").map(|p| p + 19))
        else {
            continue;
        };
        let mut kinds = Vec::new();
        for w in l[p..].split(|c: char| c.is_whitespace() || c == ',') {
            if w.is_empty() {
                continue;
            }
            match Kind::parse(w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_')) {
                Some(k) => kinds.push(k),
                None => break,
            }
        }
        out.insert(i as u32 + 1, kinds);
    }
    out
}

/// Documentation files: Markdown and plain text.
fn is_docs(rel: &str) -> bool {
    let low = rel.to_ascii_lowercase();
    [".md", ".markdown", ".mdx", ".rst", ".txt", ".adoc"]
        .iter()
        .any(|e| low.ends_with(e))
        || low.ends_with("/metadata")
        || low == "metadata"
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
        confidence: "high",
        severity: "code",
        text,
        fingerprint,
        safe_rewrite: rewrite
            .as_ref()
            .map(|_| "replace the /v1/ (or /v2/) version segment with /v3/".to_string()),
        rewrite,
    }
}
