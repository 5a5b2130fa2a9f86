//! The scan, end to end: walk the tree (`walk`), prefilter and analyse candidate files in
//! parallel (`languages`), learn the project context (`context`), analyse the files that context
//! makes relevant and learn from them in turn (rounds, to a fixpoint), then resolve the findings
//! (`resolve`) and summarise them (`findings`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::prefilter::Markers;
use rayon::prelude::*;

use crate::config::Config;
use crate::context::Projects;
use crate::findings::{Report, Summary, summarize};
use crate::imports::ImportIndex;
use crate::lang::Lang;
use crate::languages::analyze_text;
use crate::model::{FileFacts, Hints, Kind, Need};
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
    /// The settings file to read instead of `harvest-scan.toml` in the scanned folder.
    pub config: Option<std::path::PathBuf>,
}

/// One analysed file.
struct Parsed {
    idx: usize,
    facts: FileFacts,
}

/// Scans `root` (a directory or a file).
pub fn scan(root: &Path, opts: &Options) -> anyhow::Result<Report> {
    // `a/b/../c` → `a/c`: every path of the scan is then one spelling of its file (imports and
    // fragments are resolved lexically).
    let normal = crate::imports::normalize(root);
    let root = if normal.as_os_str().is_empty() {
        Path::new(".")
    } else {
        normal.as_path()
    };
    // The catalog loads while the walk starts (the first parsed file waits for it).
    let catalog =
        std::thread::spawn(|| routes::catalog().is_some() && !routes::resource_names().is_empty());
    let meta = std::fs::metadata(root)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", root.display()))?;
    let base_dir = if meta.is_file() {
        root.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        root.to_path_buf()
    };
    let cfg = Config::load(&base_dir, opts.config.as_deref())?;
    let parsed_count = AtomicUsize::new(0);
    let (walked, mut warnings) = first_pass(root, opts, &cfg, &parsed_count)?;
    if !catalog.join().unwrap_or(false) {
        anyhow::bail!("the embedded mapping catalog does not load (run the mappings checks)");
    }
    let files = walked.files;
    let mut projects = Projects::new(walked.projects, base_dir, config_hints(&cfg));
    // Built when the first import is resolved.
    let index = ImportIndex::new(|| files.iter().map(|f| f.path.clone()).collect());
    let latest = learn_rounds(&files, walked.results, &mut projects, &index, &parsed_count);
    let mut parsed: Vec<Parsed> = latest
        .into_iter()
        .map(|(idx, facts)| Parsed { idx, facts })
        .collect();
    let (fragments, mounted) = fragment_pass(&files, parsed.iter(), &parsed_count);
    // A mounting key whose fragment was found: the fragment's operations are the findings.
    for p in parsed.iter_mut() {
        p.facts
            .cands
            .retain(|c| !(c.kind == Kind::Endpoint && mounted.contains(&(p.idx, c.line))));
    }
    let redone: HashSet<usize> = fragments.iter().map(|p| p.idx).collect();
    parsed.retain(|p| !redone.contains(&p.idx));
    parsed.extend(fragments);
    let (findings, suppressed) = resolve_all(&files, parsed.iter(), &projects, &index);
    warnings.extend(walked.warnings);
    warnings.sort();
    warnings.dedup();
    let mut report = Report {
        findings,
        summary: Summary {
            files_scanned: files.len(),
            files_parsed: parsed_count.load(Ordering::Relaxed),
            suppressed,
            warnings,
            ..Default::default()
        },
    };
    summarize(&mut report);
    Ok(report)
}

/// What the settings tell every file: the configured base-URL names and trusted wrappers.
fn config_hints(cfg: &Config) -> Hints {
    Hints {
        names: cfg.base_urls.iter().cloned().collect(),
        wrappers: cfg
            .wrappers
            .iter()
            .map(|w| (w.name.clone(), w.clone()))
            .collect(),
        ..Default::default()
    }
}

/// A spinner on stderr, when asked for.
fn progress_bar(on: bool) -> Option<indicatif::ProgressBar> {
    on.then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} scanned {pos} files ({per_sec})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b
    })
}

/// Pass 1, on the walker's threads as files are found: read, prefilter on the Greenhouse
/// markers, analyse. Returns the walk and the warnings of reading.
fn first_pass(
    root: &Path,
    opts: &Options,
    cfg: &Config,
    parsed_count: &AtomicUsize,
) -> anyhow::Result<(walk::Walked<FileFacts>, Vec<String>)> {
    let bar = progress_bar(opts.progress);
    let hints = config_hints(cfg);
    let words: Vec<String> = hints
        .names
        .iter()
        .chain(hints.wrappers.keys())
        .cloned()
        .collect();
    let markers = Markers::with_words(&words)?;
    let warn_list = std::sync::Mutex::new(Vec::<String>::new());
    let warn = |m: String| {
        if let Ok(mut w) = warn_list.lock() {
            w.push(m);
        }
    };
    let wopts = WalkOptions {
        all: opts.all,
        no_ignore: opts.no_ignore,
        follow: opts.follow,
        include: cfg.include.clone(),
        exclude: cfg.exclude.clone(),
    };
    let visit = |f: &FileEntry| -> Option<FileFacts> {
        if let Some(b) = &bar {
            b.inc(1);
        }
        let bytes = walk::read_candidate(f, &markers, &warn)?;
        let text = walk::decode_text(f, bytes, &warn);
        parsed_count.fetch_add(1, Ordering::Relaxed);
        let mut facts = analyze_text(Lang::for_path(&f.path), &text, &hints)?;
        if facts.cands.iter().any(|c| c.need == Need::Nothing) {
            facts.legacy = true;
        }
        // A file with nothing to report and nothing to tell the project contributes nothing.
        let tells = facts.legacy
            || !facts.wrappers.is_empty()
            || !facts.hosts.is_empty()
            || !facts.base_args.is_empty()
            || !facts.other_names.is_empty();
        (!facts.cands.is_empty() || tells).then_some(facts)
    };
    let walked = walk::walk(root, &wopts, &visit)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    Ok((walked, warn_list.into_inner().unwrap_or_default()))
}

/// How many times at most the project context is learnt again and the files it makes relevant
/// analysed again: a wrapper found in a file of one round reaches its callers in the next, a
/// call passing a base reaches the function's file, and so on.
const MAX_ROUNDS: usize = 6;

/// The first pass's facts learnt, then rounds of [`revisit`] to a fixpoint (nothing new
/// learnt, or [`MAX_ROUNDS`]). Returns the latest facts of every analysed file.
fn learn_rounds(
    files: &[FileEntry],
    first: Vec<(usize, FileFacts)>,
    projects: &mut Projects,
    index: &ImportIndex,
    parsed_count: &AtomicUsize,
) -> BTreeMap<usize, FileFacts> {
    let config_sig = projects.config_hints().signature();
    let mut latest: BTreeMap<usize, FileFacts> = first.into_iter().collect();
    let mut sigs: HashMap<usize, u64> = latest.keys().map(|&i| (i, config_sig)).collect();
    for (idx, facts) in &latest {
        projects.learn(&files[*idx].path, facts, index, true);
    }
    for _ in 0..MAX_ROUNDS {
        let round = revisit(files, &latest, &sigs, projects, index, parsed_count);
        if round.is_empty() {
            break;
        }
        let before = projects.generation();
        for (idx, facts, sig) in round {
            projects.learn(&files[idx].path, &facts, index, false);
            latest.insert(idx, facts);
            sigs.insert(idx, sig);
        }
        if projects.generation() == before {
            break;
        }
    }
    latest
}

/// One round: the files of active projects whose hints changed since they were last analysed
/// (the project's base-URL names, hosts, wrappers and base-passing calls they use), and files
/// never analysed that are linked to a legacy file. Returns (file, facts, hints signature).
fn revisit(
    files: &[FileEntry],
    latest: &BTreeMap<usize, FileFacts>,
    sigs: &HashMap<usize, u64>,
    projects: &Projects,
    index: &ImportIndex,
    parsed_count: &AtomicUsize,
) -> Vec<(usize, FileFacts, u64)> {
    let config_sig = projects.config_hints().signature();
    projects
        .to_revisit(files)
        .par_iter()
        .filter_map(|&(idx, proj)| {
            let f = &files[idx];
            let bytes = std::fs::read(&f.path).ok()?;
            if bytes.len() as u64 > MAX_FILE
                || memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
            {
                return None;
            }
            let prev = latest.get(&idx);
            let own: HashSet<&String> = prev.iter().flat_map(|p| p.base_names.iter()).collect();
            let hints = projects.hints_for(proj, &f.path, &bytes, &own, index);
            let sig = hints.signature();
            if sigs.get(&idx) == Some(&sig)
                || (sig == config_sig && (prev.is_some() || !linked(proj, f, &bytes, index)))
            {
                return None;
            }
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if prev.is_none() {
                parsed_count.fetch_add(1, Ordering::Relaxed);
            }
            let mut facts = analyze_text(Lang::for_path(&f.path), &text, &hints)?;
            if facts.cands.iter().any(|c| c.need == Need::Nothing) {
                facts.legacy = true;
            }
            Some((idx, facts, sig))
        })
        .collect()
}

/// Is a file never analysed linked to a legacy file of its project: imported by one, importing
/// one, or (classes used by name) using a type one declares or declaring one it uses?
fn linked(
    proj: &crate::context::Project,
    f: &FileEntry,
    bytes: &[u8],
    index: &ImportIndex,
) -> bool {
    proj.legacy && proj.linked_bytes(&f.path, bytes, index)
}

/// API description fragments mounted by legacy documents (RAML `!include`, OpenAPI `$ref`,
/// nested up to four levels): analysed under the mount path and the includer's base.
/// Returns the fragments' analyses and the (file index, line) of each mounting key resolved.
fn fragment_pass<'a>(
    files: &[FileEntry],
    parsed: impl Iterator<Item = &'a Parsed>,
    parsed_count: &AtomicUsize,
) -> (Vec<Parsed>, HashSet<(usize, u32)>) {
    let mut work: Vec<(usize, crate::model::Include, Option<String>, u32)> = parsed
        .filter(|p| p.facts.legacy && !p.facts.includes.is_empty())
        .flat_map(|p| {
            let v = p.facts.legacy_version.clone();
            p.facts
                .includes
                .iter()
                .map(move |inc| (p.idx, inc.clone(), v.clone(), 0))
        })
        .collect();
    let mut mounted = HashSet::new();
    if work.is_empty() {
        return (Vec::new(), mounted);
    }
    let by_path: HashMap<&Path, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.as_path(), i))
        .collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    while let Some((from_idx, inc, version, depth)) = work.pop() {
        let from = &files[from_idx].path;
        let dir = from.parent().unwrap_or(Path::new(""));
        let target = crate::imports::normalize(&dir.join(&inc.file));
        let Some(&idx) = by_path.get(target.as_path()) else {
            continue;
        };
        if !seen.insert((idx, inc.mount.clone(), inc.pointer.clone())) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&target) else {
            continue;
        };
        let raml = Lang::for_path(&target) == Lang::Yaml
            && (target.extension().is_some_and(|e| e == "raml")
                || text.trim_start().starts_with("#%RAML"));
        let Some(facts) = crate::yaml::analyze_fragment(
            &text,
            &inc.mount,
            inc.pointer.as_deref(),
            version.as_deref(),
            raml,
        ) else {
            continue;
        };
        parsed_count.fetch_add(1, Ordering::Relaxed);
        mounted.insert((from_idx, inc.line));
        if depth < 4 {
            for nested in &facts.includes {
                work.push((idx, nested.clone(), version.clone(), depth + 1));
            }
        }
        out.push(Parsed { idx, facts });
    }
    // A fragment that mounts another: its mounting keys give way too.
    for p in &mut out {
        p.facts
            .cands
            .retain(|c| !(c.kind == Kind::Endpoint && mounted.contains(&(p.idx, c.line))));
    }
    out.sort_by_key(|p| p.idx);
    (out, mounted)
}

/// Candidates → findings, sorted (path, line, column, kind, route); and the suppressed count.
fn resolve_all<'a>(
    files: &[FileEntry],
    parsed: impl Iterator<Item = &'a Parsed>,
    projects: &Projects,
    index: &ImportIndex,
) -> (Vec<crate::Finding>, usize) {
    let mut findings = Vec::new();
    let mut suppressed = 0;
    for p in parsed {
        let f = &files[p.idx];
        let proj = projects.of(&f.path);
        let linked = proj.is_some_and(|pr| pr.linked(&f.path, &p.facts, index));
        let text = match std::fs::read(&f.path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(_) => continue,
        };
        let (mut found, n) = resolve_file(&f.rel, &text, &p.facts, proj, linked);
        findings.append(&mut found);
        suppressed += n;
    }
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.kind, &a.legacy_route).cmp(&(
            &b.path,
            b.line,
            b.column,
            b.kind,
            &b.legacy_route,
        ))
    });
    (findings, suppressed)
}
