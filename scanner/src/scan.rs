//! The scan: walk the tree, prefilter, parse candidate files in parallel, resolve findings with
//! the project context, look up the v3 equivalents.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use aho_corasick::AhoCorasick;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use rayon::prelude::*;
use serde::Serialize;
use walkdir::WalkDir;

use crate::analyze::{Analyzer, Ctx};
use crate::lex::{self, Lang, Tk};
use crate::model::{Cand, FileFacts, Kind, Need};
use crate::routes::{self, Resolved};
use crate::yamlscan;

/// Files above this size are skipped with a warning.
pub const MAX_FILE: u64 = 10 * 1024 * 1024;

/// Dependency folders skipped unless `--all`.
pub const VENDORED: [&str; 16] = [
    "node_modules",
    "bower_components",
    "jspm_packages",
    "vendor",
    "site-packages",
    "dist-packages",
    ".venv",
    "venv",
    "__pypackages__",
    "target",
    "Pods",
    ".bundle",
    ".yarn",
    ".pnpm-store",
    ".tox",
    ".gradle",
];

const SKIP_ALWAYS: [&str; 5] = [".git", ".hg", ".svn", "__pycache__", ".mypy_cache"];

const MANIFESTS: [&str; 14] = [
    "package.json",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "Cargo.toml",
    "go.mod",
    "Gemfile",
    "composer.json",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "mix.exs",
    "Package.swift",
    "requirements.txt",
];

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Scan vendored folders and ignored files too.
    pub all: bool,
    /// Do not read .gitignore/.ignore.
    pub no_ignore: bool,
    /// Show a progress bar (stderr).
    pub progress: bool,
}

pub use crate::advice::{V3CallOut, V3Info};

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub kind: Kind,
    pub legacy_route: Option<String>,
    pub rule: &'static str,
    pub message: String,
    pub v3: V3Info,
    pub scopes: Vec<String>,
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

#[derive(Clone)]
struct FileEntry {
    path: PathBuf,
    rel: String,
}

struct Parsed {
    idx: usize,
    lang: Lang,
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

    // Pass 1 (overlapping the walk): read, prefilter on Greenhouse markers, parse.
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
        let opts = opts.clone();
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
            let (files, projects) = walk(&root, &opts, &mut warnings, &tx);
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
            let bytes = read_file(&f, &strong, &warn)?;
            if !strong.is_match(&bytes) {
                return None;
            }
            let text = decode_text(&f, &bytes, &warn)?;
            parsed_count.fetch_add(1, Ordering::Relaxed);
            let lang = Lang::for_path(&f.path);
            let facts = analyze_text(lang, &text, &empty)?;
            // A file with nothing to report and no legacy base contributes nothing.
            if facts.cands.is_empty() && !facts.legacy {
                return None;
            }
            Some(Parsed { idx, lang, facts })
        })
        .collect();
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let (files, project_dirs, warnings) = walker
        .join()
        .map_err(|_| anyhow::anyhow!("the directory walk failed"))?;

    // Projects: nearest folder with a manifest (else the scan root).
    let project_of = |p: &Path| -> PathBuf {
        let mut d = p.parent();
        while let Some(dir) = d {
            if project_dirs.contains(dir) {
                return dir.to_path_buf();
            }
            if dir == base_dir {
                break;
            }
            d = dir.parent();
        }
        base_dir.clone()
    };
    #[derive(Default)]
    struct Proj {
        legacy: bool,
        version: Option<String>,
        names: HashSet<String>,
        /// Identifiers used by the project's legacy files.
        idents: HashSet<String>,
        /// File stems of the project's legacy files.
        stems: HashSet<String>,
    }
    let mut projects: HashMap<PathBuf, Proj> = HashMap::new();
    for p in &first {
        let proj = projects.entry(project_of(&files[p.idx].path)).or_default();
        if p.facts.legacy {
            proj.legacy = true;
            if proj.version.is_none() {
                proj.version = p.facts.legacy_version.clone();
            }
            proj.names
                .extend(p.facts.base_names.iter().filter(|n| n.len() >= 3).cloned());
            proj.idents.extend(p.facts.idents.iter().cloned());
            if let Some(st) = stem(&files[p.idx].path) {
                proj.stems.insert(st);
            }
        }
    }

    // Pass 2: files of legacy projects that use one of the project's base-URL names (other
    // files, and files of pass 1 that use a name bound in another file).
    let own: HashMap<usize, HashSet<&String>> = first
        .iter()
        .map(|p| (p.idx, p.facts.base_names.iter().collect()))
        .collect();
    let legacy_projects: Vec<(&PathBuf, &Proj)> =
        projects.iter().filter(|(_, p)| p.legacy).collect();
    let mut second: Vec<Parsed> = Vec::new();
    if !legacy_projects.is_empty() {
        let todo: Vec<(usize, &Proj, bool)> = files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let pr = project_of(&f.path);
                let (_, proj) = legacy_projects.iter().find(|(d, _)| **d == pr)?;
                let linked = stem(&f.path).is_some_and(|s| proj.idents.contains(&s));
                match own.get(&i) {
                    Some(mine) if proj.names.iter().all(|n| mine.contains(n)) => None,
                    _ if proj.names.is_empty() && !linked => None,
                    _ => Some((i, *proj, linked)),
                }
            })
            .collect();
        second = todo
            .par_iter()
            .filter_map(|&(idx, proj, linked)| {
                let f = &files[idx];
                let bytes = std::fs::read(&f.path).ok()?;
                if bytes.len() as u64 > MAX_FILE
                    || memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
                {
                    return None;
                }
                let names: Vec<&String> = proj.names.iter().collect();
                let ac = AhoCorasick::new(names.iter().map(|s| s.as_str())).ok()?;
                if !linked
                    && !ac
                        .find_iter(&bytes)
                        .any(|m| word_at(&bytes, m.start(), m.end()))
                {
                    return None;
                }
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if !own.contains_key(&idx) {
                    parsed_count.fetch_add(1, Ordering::Relaxed);
                }
                let lang = Lang::for_path(&f.path);
                let mut facts = analyze_text(lang, &text, &proj.names)?;
                if facts.cands.iter().any(|c| c.need == Need::Nothing) {
                    facts.legacy = true;
                }
                Some(Parsed { idx, lang, facts })
            })
            .collect();
    }
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
        let proj = projects.get(&project_of(&f.path));
        let proj_legacy = proj.is_some_and(|p| p.legacy);
        // Linked: a legacy file of the project uses this file's class/module, or this file uses
        // a legacy file's.
        let linked = proj.is_some_and(|pr| {
            stem(&f.path).is_some_and(|s| pr.idents.contains(&s))
                || pr.stems.iter().any(|s| p.facts.idents.contains(s))
        });
        let mention = p.facts.mention || linked;
        let uses_base = p
            .facts
            .cands
            .iter()
            .any(|c| c.need == Need::Nothing && c.kind == Kind::Endpoint);
        let file_legacy = p.facts.legacy || uses_base;
        let version = p
            .facts
            .legacy_version
            .clone()
            .or_else(|| proj.and_then(|p| p.version.clone()))
            .unwrap_or_else(|| "v1".to_string());
        let ok = |need: Need| match need {
            Need::Nothing => true,
            Need::Versioned => file_legacy || mention || p.facts.harvest_host || proj_legacy,
            Need::Legacy => file_legacy || (mention && proj_legacy),
        };
        let text = match std::fs::read(&f.path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(_) => continue,
        };
        let lines: Vec<&str> = text.split('\n').collect();
        let suppress: HashSet<u32> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                l.contains("harvest-scan: ignore") || l.contains("harvest-scan:ignore")
            })
            .map(|(i, _)| i as u32 + 1)
            .collect();
        let mut seen: HashSet<(u32, Kind, Option<String>)> = HashSet::new();
        for c in &p.facts.cands {
            if !ok(c.need) {
                continue;
            }
            if suppress.contains(&c.line) || (c.line > 1 && suppress.contains(&(c.line - 1))) {
                suppressed += 1;
                continue;
            }
            let fi = build_finding(&f.rel, c, &version, &lines, p.lang);
            if seen.insert((fi.line, fi.kind, fi.legacy_route.clone())) {
                findings.push(fi);
            }
        }
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

/// A file's stem when it can name a class or module (`HarvestApi.java` → `HarvestApi`).
fn stem(p: &Path) -> Option<String> {
    let s = p.file_stem()?.to_str()?;
    let s = s.split('.').next().unwrap_or(s);
    (s.len() >= 4
        && !matches!(
            s,
            "index"
                | "main"
                | "utils"
                | "util"
                | "types"
                | "__init__"
                | "common"
                | "constants"
                | "config"
                | "test"
        ))
    .then(|| s.to_string())
}

fn word_at(b: &[u8], s: usize, e: usize) -> bool {
    let is_w = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    (s == 0 || !is_w(b[s - 1])) && (e >= b.len() || !is_w(b[e]))
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

/// Extensions of files that are never text: skipped without being opened.
const BINARY_EXT: [&str; 40] = [
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "webp", "tiff", "psd", "pdf", "zip", "gz", "tgz",
    "bz2", "xz", "zst", "7z", "rar", "jar", "war", "class", "so", "dylib", "dll", "exe", "a", "o",
    "rlib", "rmeta", "pyc", "pyo", "whl", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4",
    "wasm",
];

/// Reads a file for the prefilter. None (after a warning where due) for unreadable, huge and
/// binary files. Binary = a NUL byte in the first 8 KB (the rest is not read, as ripgrep does);
/// a warning is given when that block names Greenhouse.
fn read_file(f: &FileEntry, strong: &AhoCorasick, warn: &dyn Fn(String)) -> Option<Vec<u8>> {
    use std::io::Read;
    let ext = f.path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !ext.is_empty() && BINARY_EXT.iter().any(|b| b.eq_ignore_ascii_case(ext)) {
        return None;
    }
    let mut file = match std::fs::File::open(&f.path) {
        Ok(h) => h,
        Err(e) => {
            warn(format!("{}: unreadable: {e}", f.rel));
            return None;
        }
    };
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => {
            warn(format!("{}: unreadable: {e}", f.rel));
            return None;
        }
    };
    if !meta.is_file() {
        return None;
    }
    if meta.len() > MAX_FILE {
        warn(format!(
            "{}: larger than 10 MB ({} bytes), skipped",
            f.rel,
            meta.len()
        ));
        return None;
    }
    let mut buf = Vec::with_capacity(meta.len() as usize + 1);
    let head = (&mut file).take(8192).read_to_end(&mut buf);
    if let Err(e) = head {
        warn(format!("{}: unreadable: {e}", f.rel));
        return None;
    }
    if memchr::memchr(0, &buf).is_some() {
        if strong.is_match(&buf) {
            warn(format!(
                "{}: binary file mentions Greenhouse, not scanned",
                f.rel
            ));
        }
        return None;
    }
    if let Err(e) = file.read_to_end(&mut buf) {
        warn(format!("{}: unreadable: {e}", f.rel));
        return None;
    }
    Some(buf)
}

/// Text of a file that passed the prefilter; bad UTF-8 gives a warning.
fn decode_text(f: &FileEntry, bytes: &[u8], warn: &dyn Fn(String)) -> Option<String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s.to_string()),
        Err(_) => {
            warn(format!(
                "{}: invalid UTF-8, scanned with replacement characters",
                f.rel
            ));
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
    }
}

/// Analyses one file's text.
pub fn analyze_text(lang: Lang, text: &str, hints: &HashSet<String>) -> Option<FileFacts> {
    match lang {
        Lang::Yaml | Lang::Json => {
            yamlscan::analyze_yaml(text, 0).or_else(|| analyze_plain(text, hints))
        }
        Lang::Markdown => Some(analyze_markdown(text, hints)),
        Lang::Text => analyze_plain(text, hints),
        _ => {
            let lexed = lex::lex(lang, text, 0, 0)?;
            let ctx = Ctx {
                hints,
                dot_concat: lang == Lang::Php,
                plain: false,
            };
            Some(Analyzer::new(&lexed.toks, &lexed.funcs, &ctx).run())
        }
    }
}

fn analyze_plain(text: &str, hints: &HashSet<String>) -> Option<FileFacts> {
    let mut toks = Vec::new();
    let mut offset = 0usize;
    for (ln, line) in text.split('\n').enumerate() {
        let mut col = 0usize;
        for w in line.split(|c: char| c.is_whitespace()) {
            if !w.is_empty() {
                let inner = w.trim_matches(|c| c == '"' || c == '\'' || c == '`');
                toks.push(lex::Tok {
                    kind: Tk::Str,
                    text: w.to_string(),
                    parts: vec![lex::Part::Lit(inner.to_string())],
                    line: ln as u32 + 1,
                    col: col as u32 + 1,
                    start: offset + col,
                    end: offset + col + w.len(),
                    func: 0,
                });
            }
            col += w.len() + 1;
        }
        offset += line.len() + 1;
    }
    let funcs = vec![String::new()];
    let ctx = Ctx {
        hints,
        dot_concat: false,
        plain: true,
    };
    let mut facts = Analyzer::new(&toks, &funcs, &ctx).run();
    facts.mention = text.to_ascii_lowercase().contains("greenhouse");
    Some(facts)
}

/// Markdown: fenced code blocks are scanned in their language; prose is not.
fn analyze_markdown(text: &str, hints: &HashSet<String>) -> FileFacts {
    let mut all = FileFacts::default();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut offsets = Vec::with_capacity(lines.len());
    let mut o = 0;
    for l in &lines {
        offsets.push(o);
        o += l.len() + 1;
    }
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        let fence = if t.starts_with("```") {
            "```"
        } else if t.starts_with("~~~") {
            "~~~"
        } else {
            ""
        };
        if fence.is_empty() {
            i += 1;
            continue;
        }
        let info = t.trim_start_matches(fence);
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !lines[end].trim_start().starts_with(fence) {
            end += 1;
        }
        let body = lines[start..end].join("\n");
        let lang = Lang::for_fence(info);
        let facts = match lang {
            Lang::Yaml | Lang::Json => yamlscan::analyze_yaml(&body, start as u32),
            Lang::Text | Lang::Markdown => analyze_plain(&body, hints).map(|mut f| {
                shift(&mut f, start as u32);
                f
            }),
            _ => lex::lex(
                lang,
                &body,
                start as u32,
                offsets.get(start).copied().unwrap_or(0),
            )
            .map(|lexed| {
                let ctx = Ctx {
                    hints,
                    dot_concat: lang == Lang::Php,
                    plain: false,
                };
                Analyzer::new(&lexed.toks, &lexed.funcs, &ctx).run()
            }),
        };
        if let Some(f) = facts {
            all.legacy |= f.legacy;
            all.mention |= f.mention;
            all.harvest_host |= f.harvest_host;
            if all.legacy_version.is_none() {
                all.legacy_version = f.legacy_version;
            }
            all.base_names.extend(f.base_names);
            all.cands.extend(f.cands);
        }
        i = end + 1;
    }
    if text.to_ascii_lowercase().contains("greenhouse") {
        all.mention = true;
    }
    all
}

fn shift(f: &mut FileFacts, by: u32) {
    for c in &mut f.cands {
        c.line += by;
        c.version_at = None;
    }
}

fn walk(
    root: &Path,
    opts: &Options,
    warnings: &mut Vec<String>,
    tx: &std::sync::mpsc::Sender<(usize, FileEntry)>,
) -> (Vec<FileEntry>, HashSet<PathBuf>) {
    let mut files = Vec::new();
    let mut projects = HashSet::new();
    let mut ignores: Vec<(usize, Gitignore)> = Vec::new();
    let use_ignore = !opts.all && !opts.no_ignore;
    let mut it = WalkDir::new(root).follow_links(true).into_iter();
    if use_ignore && let Some(g) = load_ignores(root) {
        ignores.push((0, g));
    }
    loop {
        let entry = match it.next() {
            None => break,
            Some(Ok(e)) => e,
            Some(Err(e)) => {
                let p = e.path().map(|p| rel_of(root, p)).unwrap_or_default();
                if e.loop_ancestor().is_some() {
                    warnings.push(format!("{p}: symlink loop, not followed"));
                } else {
                    warnings.push(format!(
                        "{p}: unreadable: {}",
                        e.io_error()
                            .map(|x| x.to_string())
                            .unwrap_or_else(|| e.to_string())
                    ));
                }
                continue;
            }
        };
        let depth = entry.depth();
        if depth == 0 {
            continue;
        }
        while ignores.last().is_some_and(|(d, _)| *d >= depth) {
            ignores.pop();
        }
        let name = entry.file_name().to_string_lossy();
        let is_dir = entry.file_type().is_dir();
        if is_dir
            && (SKIP_ALWAYS.contains(&name.as_ref())
                || (!opts.all && VENDORED.contains(&name.as_ref())))
        {
            it.skip_current_dir();
            continue;
        }
        if use_ignore && is_ignored(&ignores, entry.path(), is_dir) {
            if is_dir {
                it.skip_current_dir();
            }
            continue;
        }
        if is_dir {
            if use_ignore && let Some(g) = load_ignores(entry.path()) {
                ignores.push((depth, g));
            }
            continue;
        }
        if [".patch", ".diff", ".orig", ".rej"]
            .iter()
            .any(|x| name.ends_with(x))
        {
            continue;
        }
        if (MANIFESTS.contains(&name.as_ref())
            || name.ends_with(".csproj")
            || name.ends_with(".gemspec"))
            && let Some(parent) = entry.path().parent()
        {
            projects.insert(parent.to_path_buf());
        }
        let fe = FileEntry {
            path: entry.path().to_path_buf(),
            rel: rel_of(root, entry.path()),
        };
        let _ = tx.send((files.len(), fe.clone()));
        files.push(fe);
    }
    (files, projects)
}

fn rel_of(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    let s: Vec<String> = r
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    s.join("/")
}

fn load_ignores(dir: &Path) -> Option<Gitignore> {
    let mut b = GitignoreBuilder::new(dir);
    let mut any = false;
    for name in [".gitignore", ".ignore"] {
        let p = dir.join(name);
        if p.is_file() {
            any = true;
            let _ = b.add(p);
        }
    }
    if !any {
        return None;
    }
    b.build().ok()
}

fn is_ignored(stack: &[(usize, Gitignore)], path: &Path, is_dir: bool) -> bool {
    for (_, g) in stack.iter().rev() {
        let m = g.matched(path, is_dir);
        if m.is_ignore() {
            return true;
        }
        if m.is_whitelist() {
            return false;
        }
    }
    false
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

fn build_finding(rel: &str, c: &Cand, version: &str, lines: &[&str], _lang: Lang) -> Finding {
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
    let fingerprint = crate::baseline::fingerprint(rel, c.kind, legacy_route.as_deref(), line_text);
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
