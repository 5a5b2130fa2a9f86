//! The walk: which files of a tree are looked at (ignore files, dependency folders, patch
//! files), which folders are projects (a manifest), and reading a file for the prefilter
//! (binary, huge and unreadable files give warnings).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use std::sync::Mutex;

use ignore::{DirEntry, WalkBuilder, WalkState};

use crate::prefilter::Markers;

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

const SKIP_ALWAYS: [&str; 8] = [
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".mypy_cache",
    // Coverage reports: copies of the source, not code or documentation of their own.
    "htmlcov",
    "lcov-report",
    ".nyc_output",
];

/// Coverage report files (lcov, Istanbul, Cobertura, Clover, JaCoCo), never scanned.
const COVERAGE_FILES: [&str; 7] = [
    "lcov.info",
    "coverage-final.json",
    "coverage-summary.json",
    "coverage.xml",
    "clover.xml",
    "cobertura.xml",
    "jacoco.xml",
];

/// Files that make their folder a project.
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

/// What the walk honours.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Scan vendored folders and ignored files too.
    pub all: bool,
    /// Do not read .gitignore/.ignore.
    pub no_ignore: bool,
    /// Follow symbolic links (loops detected; each real file is still scanned once).
    pub follow: bool,
    /// Globs of the paths to scan, relative to the root (`harvest-scan.toml` `include`; all
    /// when empty), and of the paths not to scan (`exclude`).
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// A file to scan: its path and its path relative to the scan root (`/`-separated).
#[derive(Clone)]
pub struct FileEntry {
    pub path: PathBuf,
    pub rel: String,
}

/// Extensions of files that are never text: skipped without being opened.
const BINARY_EXT: [&str; 40] = [
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "webp", "tiff", "psd", "pdf", "zip", "gz", "tgz",
    "bz2", "xz", "zst", "7z", "rar", "jar", "war", "class", "so", "dylib", "dll", "exe", "a", "o",
    "rlib", "rmeta", "pyc", "pyo", "whl", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4",
    "wasm",
];

thread_local! {
    /// Each walker thread reads every file into the same buffer: only the files that pass the
    /// prefilter are copied out.
    static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(1 << 16));
}

/// Reads a file for the first pass and returns its bytes when it names a marker. None (after a
/// warning where due) for unreadable, huge, binary and unmarked files. Binary = a NUL byte in
/// the first 8 KB (the rest is not read, as ripgrep does); a warning is given when that block
/// names Greenhouse.
pub fn read_candidate(f: &FileEntry, markers: &Markers, warn: &dyn Fn(String)) -> Option<Vec<u8>> {
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
    BUF.with_borrow_mut(|buf| {
        buf.clear();
        if buf.capacity() > 1 << 22 {
            *buf = Vec::with_capacity(1 << 16);
        }
        if let Err(e) = (&mut file).take(8192).read_to_end(buf) {
            warn(format!("{}: unreadable: {e}", f.rel));
            return None;
        }
        // Fewer than 8 KB: the head read already met the end of the file; else its size is
        // looked at before anything else is read.
        let more = buf.len() == 8192;
        if more {
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if len > MAX_FILE {
                warn(format!(
                    "{}: larger than 10 MB ({len} bytes), skipped",
                    f.rel
                ));
                return None;
            }
        }
        if memchr::memchr(0, buf).is_some() {
            if markers.is_match(buf) {
                warn(format!(
                    "{}: binary file mentions Greenhouse, not scanned",
                    f.rel
                ));
            }
            return None;
        }
        let room = (MAX_FILE + 1).saturating_sub(buf.len() as u64);
        if more && let Err(e) = (&mut file).take(room).read_to_end(buf) {
            warn(format!("{}: unreadable: {e}", f.rel));
            return None;
        }
        if buf.len() as u64 > MAX_FILE {
            // Grew while being read.
            warn(format!("{}: larger than 10 MB, skipped", f.rel));
            return None;
        }
        markers.is_match(buf).then(|| buf.clone())
    })
}

/// Text of a file that passed the prefilter; bad UTF-8 gives a warning.
pub fn decode_text(f: &FileEntry, bytes: Vec<u8>, warn: &dyn Fn(String)) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            warn(format!(
                "{}: invalid UTF-8, scanned with replacement characters",
                f.rel
            ));
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    }
}

/// What a walk found: every file (sorted by relative path, so indices and output order are
/// deterministic), the visitor's results by file index, the folders holding a project manifest,
/// and the warnings (sorted).
pub struct Walked<T> {
    pub files: Vec<FileEntry>,
    pub results: Vec<(usize, T)>,
    pub projects: HashSet<PathBuf>,
    pub warnings: Vec<String>,
}

/// One file seen by a walker thread: the entry, its (device, inode) when following links, and
/// what the visitor made of it.
type Seen<T> = (FileEntry, Option<(u64, u64)>, Option<Box<T>>);

/// Walks `root` (a folder or a file) in parallel, like ripgrep: `visit` runs on the walker's
/// threads for each file as it is found (reading, prefiltering and analysing overlap the walk).
/// Symbolic links are not followed unless `opts.follow`; when they are, loops give a warning and
/// each real file is kept once (under its first path in sorted order).
pub fn walk<T: Send>(
    root: &Path,
    opts: &WalkOptions,
    visit: &(dyn Fn(&FileEntry) -> Option<T> + Sync),
) -> anyhow::Result<Walked<T>> {
    if root.is_file() {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entry = FileEntry {
            path: root.to_path_buf(),
            rel: name,
        };
        let results = visit(&entry).map(|r| (0, r)).into_iter().collect();
        return Ok(Walked {
            files: vec![entry],
            results,
            projects: HashSet::new(),
            warnings: Vec::new(),
        });
    }
    let seen: Mutex<Vec<Seen<T>>> = Mutex::new(Vec::new());
    let projects = Mutex::new(HashSet::new());
    let warnings = Mutex::new(Vec::new());
    let warn = |m: String| {
        if let Ok(mut w) = warnings.lock() {
            w.push(m);
        }
    };
    builder(root, opts)?.build_parallel().run(|| {
        Box::new(|res| {
            match res {
                Ok(entry) => {
                    if let Some(fe) = file_of(root, opts.follow, &entry, &projects, &warn) {
                        let id = if opts.follow { file_id(&entry) } else { None };
                        let r = visit(&fe).map(Box::new);
                        if let Ok(mut s) = seen.lock() {
                            s.push((fe, id, r));
                        }
                    }
                }
                Err(e) => warn(walk_error(root, &e)),
            }
            WalkState::Continue
        })
    });
    let mut seen = seen.into_inner().unwrap_or_default();
    seen.sort_by(|a, b| a.0.rel.cmp(&b.0.rel));
    let mut ids: HashSet<(u64, u64)> = HashSet::new();
    let mut files = Vec::with_capacity(seen.len());
    let mut results = Vec::new();
    for (fe, id, r) in seen {
        // Each real file once (hard links, and symlinked folders when following).
        if let Some(id) = id
            && !ids.insert(id)
        {
            continue;
        }
        if let Some(r) = r {
            results.push((files.len(), *r));
        }
        files.push(fe);
    }
    let mut warnings = warnings.into_inner().unwrap_or_default();
    warnings.sort();
    warnings.dedup();
    Ok(Walked {
        files,
        results,
        projects: projects.into_inner().unwrap_or_default(),
        warnings,
    })
}

/// The walker: hidden files scanned; `.gitignore` (and `.git/info/exclude`) only inside a git
/// work tree, read from the parents of the root too, `.ignore` everywhere (as ripgrep); VCS,
/// cache and (unless `--all`) dependency folders skipped.
fn builder(root: &Path, opts: &WalkOptions) -> anyhow::Result<WalkBuilder> {
    let use_ignore = !opts.all && !opts.no_ignore;
    let mut b = WalkBuilder::new(root);
    b.standard_filters(false)
        .hidden(false)
        .parents(use_ignore)
        .ignore(use_ignore)
        .git_ignore(use_ignore)
        .git_exclude(use_ignore)
        .git_global(false)
        .require_git(true)
        .follow_links(opts.follow)
        .threads(
            std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2),
        );
    if !opts.include.is_empty() || !opts.exclude.is_empty() {
        // As ripgrep's -g: include globs whitelist files (folders are still walked), `!`
        // globs ignore.
        let mut o = ignore::overrides::OverrideBuilder::new(root);
        for g in &opts.include {
            o.add(g)
                .map_err(|e| anyhow::anyhow!("include glob {g:?}: {e}"))?;
        }
        for g in &opts.exclude {
            o.add(&format!("!{g}"))
                .map_err(|e| anyhow::anyhow!("exclude glob {g:?}: {e}"))?;
        }
        b.overrides(o.build().map_err(|e| anyhow::anyhow!("globs: {e}"))?);
    }
    let all = opts.all;
    b.filter_entry(move |e| {
        if e.depth() == 0 || !e.file_type().is_some_and(|t| t.is_dir()) {
            return true;
        }
        let name = e.file_name().to_string_lossy();
        !(SKIP_ALWAYS.contains(&name.as_ref()) || (!all && VENDORED.contains(&name.as_ref())))
    });
    Ok(b)
}

/// The file an entry of the walk stands for (None for folders, skipped files and symlinks not
/// followed); records project manifests.
fn file_of(
    root: &Path,
    follow: bool,
    entry: &DirEntry,
    projects: &Mutex<HashSet<PathBuf>>,
    warn: &dyn Fn(String),
) -> Option<FileEntry> {
    if entry.depth() == 0 {
        return None;
    }
    let ft = entry.file_type()?;
    if ft.is_symlink() && !follow {
        // Not followed (as ripgrep without -L); a dangling one is worth a warning.
        if std::fs::metadata(entry.path()).is_err() {
            warn(format!(
                "{}: unreadable: dangling symlink",
                rel_of(root, entry.path())
            ));
        }
        return None;
    }
    if !ft.is_file() {
        // Folders, and FIFOs, sockets and devices (opening a FIFO would block).
        if !ft.is_dir() && !ft.is_symlink() {
            return None;
        }
        if ft.is_dir() || std::fs::metadata(entry.path()).map_or(true, |m| !m.is_file()) {
            return None;
        }
    }
    let name = entry.file_name().to_string_lossy();
    if [".patch", ".diff", ".orig", ".rej"]
        .iter()
        .any(|x| name.ends_with(x))
        || COVERAGE_FILES.contains(&name.as_ref())
        || coverage_page(entry.path())
    {
        return None;
    }
    if (MANIFESTS.contains(&name.as_ref())
        || name.ends_with(".csproj")
        || name.ends_with(".gemspec"))
        && !module_type_marker(entry.path(), &name)
        && let Some(parent) = entry.path().parent()
        && let Ok(mut p) = projects.lock()
    {
        p.insert(parent.to_path_buf());
    }
    Some(FileEntry {
        path: entry.path().to_path_buf(),
        rel: rel_of(root, entry.path()),
    })
}

/// A `package.json` that only sets the module type of its folder (`{"type": "commonjs"}` in
/// a package's `cjs/` build): no name, so not a project of its own.
fn module_type_marker(p: &Path, name: &str) -> bool {
    name == "package.json"
        && std::fs::read(p)
            .is_ok_and(|b| b.len() < 4096 && memchr::memmem::find(&b, b"\"name\"").is_none())
}

/// An HTML page of a coverage report (`coverage/index.html`, `coverage/src/app.js.html`).
fn coverage_page(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "html" || e == "htm")
        && p.components().any(|c| c.as_os_str() == "coverage")
}

/// The warning for an error of the walk: a symlink loop, or an unreadable entry.
fn walk_error(root: &Path, e: &ignore::Error) -> String {
    let mut path: Option<&Path> = None;
    let mut cur = e;
    loop {
        match cur {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert(p);
                cur = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                cur = err;
            }
            ignore::Error::Loop { child, .. } => {
                return format!("{}: symlink loop, not followed", rel_of(root, child));
            }
            _ => break,
        }
    }
    let p = path.map(|p| rel_of(root, p)).unwrap_or_default();
    let msg = e
        .io_error()
        .map(|x| x.to_string())
        .unwrap_or_else(|| cur.to_string());
    format!("{p}: unreadable: {msg}")
}

/// `p` relative to `root`, `/`-separated.
pub fn rel_of(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    let s = r.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        return s.into_owned();
    }
    s.replace(std::path::MAIN_SEPARATOR, "/")
}

#[cfg(unix)]
fn file_id(e: &DirEntry) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = e.metadata().ok()?;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &DirEntry) -> Option<(u64, u64)> {
    None
}
