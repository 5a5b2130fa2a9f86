//! `--diff`: a unified patch of the safe rewrites only.

use std::collections::BTreeMap;
use std::path::Path;

use similar::TextDiff;

use crate::findings::Report;

/// Builds a `git apply`-able patch (paths relative to `root`).
pub fn patch(report: &Report, root: &Path) -> String {
    let mut by_file: BTreeMap<&str, Vec<(usize, &str, &str)>> = BTreeMap::new();
    for f in &report.findings {
        if let Some((at, old, new)) = &f.rewrite {
            by_file
                .entry(f.path.as_str())
                .or_default()
                .push((*at, old.as_str(), new.as_str()));
        }
    }
    let is_file = root.is_file();
    let mut out = String::new();
    for (rel, mut edits) in by_file {
        let full = if is_file {
            root.to_path_buf()
        } else {
            root.join(rel)
        };
        let Ok(old) = std::fs::read_to_string(&full) else {
            continue;
        };
        edits.sort_by_key(|e| std::cmp::Reverse(e.0));
        edits.dedup_by_key(|e| e.0);
        let mut new = old.clone();
        for (at, from, to) in edits {
            if new.get(at..at + from.len()) == Some(from) {
                new.replace_range(at..at + from.len(), to);
            }
        }
        if new == old {
            continue;
        }
        let diff = TextDiff::from_lines(&old, &new);
        let a = format!("a/{rel}");
        let b = format!("b/{rel}");
        out.push_str(&format!("diff --git {a} {b}\n"));
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&a, &b)
                .to_string(),
        );
    }
    out
}
