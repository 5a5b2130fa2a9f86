//! `--since REF`: keep only the findings on lines changed since a git revision (the working
//! tree against REF, untracked files counting as changed throughout).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use crate::findings::{Report, summarize};

/// Changed lines per path (relative to `dir`); None for a whole new file.
type Changed = HashMap<String, Option<Vec<(u32, u32)>>>;

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| anyhow::anyhow!("--since: cannot run git: {e}"))?;
    if !out.status.success() {
        anyhow::bail!(
            "--since: git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The lines changed in `dir` since `rev`.
pub fn changed(dir: &Path, rev: &str) -> anyhow::Result<Changed> {
    let mut out: Changed = HashMap::new();
    let diff = git(
        dir,
        &["diff", "-U0", "--no-color", "--relative", rev, "--", "."],
    )?;
    let mut cur: Option<String> = None;
    for l in diff.lines() {
        if let Some(p) = l.strip_prefix("+++ ") {
            cur = p.strip_prefix("b/").map(str::to_string);
            if let Some(c) = &cur {
                out.entry(c.clone()).or_insert_with(|| Some(Vec::new()));
            }
        } else if let Some(h) = l.strip_prefix("@@ ")
            && let Some(c) = &cur
            && let Some(plus) = h.split_whitespace().find(|w| w.starts_with('+'))
        {
            let mut it = plus[1..].split(',');
            let start: u32 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let count: u32 = it.next().and_then(|s| s.parse().ok()).unwrap_or(1);
            if count > 0
                && let Some(Some(v)) = out.get_mut(c)
            {
                v.push((start, start + count - 1));
            }
        }
    }
    for p in git(dir, &["ls-files", "--others", "--exclude-standard"])?.lines() {
        out.insert(p.to_string(), None);
    }
    Ok(out)
}

/// Drops findings outside the changed lines; returns how many were dropped.
pub fn apply(report: &mut Report, changed: &Changed) -> usize {
    let before = report.findings.len();
    report.findings.retain(|f| match changed.get(&f.path) {
        Some(None) => true,
        Some(Some(ranges)) => ranges.iter().any(|&(a, b)| f.line >= a && f.line <= b),
        None => false,
    });
    let dropped = before - report.findings.len();
    summarize(report);
    dropped
}
