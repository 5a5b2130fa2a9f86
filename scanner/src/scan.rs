//! The scan, end to end: walk the tree (`walk`), prefilter and analyse candidate files in
//! parallel (`languages`), learn the project context (`context`), analyse the files that context
//! makes relevant, then resolve the findings (`resolve`) and summarise them (`findings`).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use aho_corasick::AhoCorasick;
use rayon::prelude::*;

use crate::context::{Projects, uses_name};
use crate::findings::{Report, Summary, summarize};
use crate::lang::Lang;
use crate::languages::analyze_text;
use crate::model::{FileFacts, Need};
use crate::resolve::resolve_file;
use crate::routes;
use crate::walk::{self, FileEntry, MAX_FILE, WalkOptions};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Scan vendored folders and ignored files too.
    pub all: bool,
    /// Do not read .gitignore/.ignore.
    pub no_ignore: bool,
    /// Show a progress bar (stderr).
    pub progress: bool,
    /// Follow symbolic links (default: not followed, as ripgrep).
    pub follow: bool,
}

/// One analysed file.
struct Parsed {
    idx: usize,
    facts: FileFacts,
}

/// Scans `root` (a directory or a file).
pub fn scan(root: &Path, opts: &Options) -> anyhow::Result<Report> {
    if routes::catalog().is_none() {
        anyhow::bail!("the embedded mapping catalog does not load (run the mappings checks)");
    }
    let meta = std::fs::metadata(root)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", root.display()))?;
    let base_dir = if meta.is_file() {
        root.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        root.to_path_buf()
    };

    let bar = if opts.progress {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} scanned {pos} files ({per_sec})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        Some(b)
    } else {
        None
    };

    // Pass 1 (overlapping the walk): read, prefilter on Greenhouse markers, analyse.
    let strong = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["greenhouse", "on-behalf-of"])
        .map_err(|e| anyhow::anyhow!("prefilter: {e}"))?;
    let warn_list = std::sync::Mutex::new(Vec::<String>::new());
    let warn = |m: String| {
        if let Ok(mut w) = warn_list.lock() {
            w.push(m);
        }
    };
    let parsed_count = AtomicUsize::new(0);
    let empty = HashSet::new();
    let (tx, rx) = std::sync::mpsc::channel::<(usize, FileEntry)>();
    let walker = {
        let root = root.to_path_buf();
        let wopts = WalkOptions {
            all: opts.all,
            no_ignore: opts.no_ignore,
            follow: opts.follow,
        };
        let is_file = meta.is_file();
        std::thread::spawn(move || {
            let mut warnings: Vec<String> = Vec::new();
            if is_file {
                let name = root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let entry = FileEntry {
                    path: root.clone(),
                    rel: name,
                };
                let _ = tx.send((0, entry.clone()));
                return (vec![entry], HashSet::new(), warnings);
            }
            let (files, projects) = walk::walk(&root, wopts, &mut warnings, &tx);
            (files, projects, warnings)
        })
    };
    let first: Vec<Parsed> = rx
        .into_iter()
        .par_bridge()
        .filter_map(|(idx, f)| {
            if let Some(b) = &bar {
                b.inc(1);
            }
            let bytes = walk::read_file(&f, &strong, &warn)?;
            if !strong.is_match(&bytes) {
                return None;
            }
            let text = walk::decode_text(&f, &bytes, &warn)?;
            parsed_count.fetch_add(1, Ordering::Relaxed);
            let facts = analyze_text(Lang::for_path(&f.path), &text, &empty)?;
            // A file with nothing to report and no legacy base contributes nothing.
            if facts.cands.is_empty() && !facts.legacy {
                return None;
            }
            Some(Parsed { idx, facts })
        })
        .collect();
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let (files, project_dirs, warnings) = walker
        .join()
        .map_err(|_| anyhow::anyhow!("the directory walk failed"))?;

    let mut projects = Projects::new(project_dirs, base_dir);
    for p in &first {
        projects.learn(&files[p.idx].path, &p.facts);
    }

    // Pass 2: files of legacy projects that use one of the project's base-URL names (other
    // files, and files of pass 1 that use a name bound in another file), or that a legacy file
    // uses.
    let own: HashMap<usize, HashSet<&String>> = first
        .iter()
        .map(|p| (p.idx, p.facts.base_names.iter().collect()))
        .collect();
    let second: Vec<Parsed> = projects
        .to_revisit(&files, &own)
        .par_iter()
        .filter_map(|&(idx, proj, linked)| {
            let f = &files[idx];
            let bytes = std::fs::read(&f.path).ok()?;
            if bytes.len() as u64 > MAX_FILE
                || memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
            {
                return None;
            }
            if !linked && !uses_name(&bytes, &proj.names) {
                return None;
            }
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if !own.contains_key(&idx) {
                parsed_count.fetch_add(1, Ordering::Relaxed);
            }
            let mut facts = analyze_text(Lang::for_path(&f.path), &text, &proj.names)?;
            if facts.cands.iter().any(|c| c.need == Need::Nothing) {
                facts.legacy = true;
            }
            Some(Parsed { idx, facts })
        })
        .collect();
    let redone: HashSet<usize> = second.iter().map(|p| p.idx).collect();
    let first: Vec<Parsed> = first
        .into_iter()
        .filter(|p| !redone.contains(&p.idx))
        .collect();

    // Resolve.
    let mut findings = Vec::new();
    let mut suppressed = 0;
    for p in first.iter().chain(second.iter()) {
        let f = &files[p.idx];
        let proj = projects.of(&f.path);
        let linked = proj.is_some_and(|pr| pr.linked(&f.path, &p.facts));
        let text = match std::fs::read(&f.path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(_) => continue,
        };
        let (mut found, n) = resolve_file(&f.rel, &text, &p.facts, proj, linked);
        findings.append(&mut found);
        suppressed += n;
    }
    let mut all_warnings = warnings;
    if let Ok(w) = warn_list.into_inner() {
        all_warnings.extend(w);
    }
    all_warnings.sort();
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.kind).cmp(&(&b.path, b.line, b.column, b.kind))
    });
    let mut report = Report {
        findings,
        summary: Summary {
            files_scanned: files.len(),
            files_parsed: parsed_count.load(Ordering::Relaxed),
            suppressed,
            warnings: all_warnings,
            ..Default::default()
        },
    };
    summarize(&mut report);
    Ok(report)
}
