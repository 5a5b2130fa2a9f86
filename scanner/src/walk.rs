//! The walk: which files of a tree are looked at (ignore files, dependency folders, patch
//! files), which folders are projects (a manifest), and reading a file for the prefilter
//! (binary, huge and unreadable files give warnings).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use walkdir::WalkDir;

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
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkOptions {
    /// Scan vendored folders and ignored files too.
    pub all: bool,
    /// Do not read .gitignore/.ignore.
    pub no_ignore: bool,
    /// Follow symbolic links (loops detected; each real file is still scanned once).
    pub follow: bool,
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

/// Reads a file for the prefilter. None (after a warning where due) for unreadable, huge and
/// binary files. Binary = a NUL byte in the first 8 KB (the rest is not read, as ripgrep does);
/// a warning is given when that block names Greenhouse.
pub fn read_file(f: &FileEntry, strong: &AhoCorasick, warn: &dyn Fn(String)) -> Option<Vec<u8>> {
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
pub fn decode_text(f: &FileEntry, bytes: &[u8], warn: &dyn Fn(String)) -> Option<String> {
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

/// Walks `root`, sending each file to `tx` as it is found (with its index); returns every file
/// and the folders holding a project manifest.
pub fn walk(
    root: &Path,
    opts: WalkOptions,
    warnings: &mut Vec<String>,
    tx: &std::sync::mpsc::Sender<(usize, FileEntry)>,
) -> (Vec<FileEntry>, HashSet<PathBuf>) {
    let mut files = Vec::new();
    let mut projects = HashSet::new();
    // (depth, matcher, built on a canonical ancestor of the root)
    let mut ignores: Vec<(usize, Gitignore, bool)> = Vec::new();
    let use_ignore = !opts.all && !opts.no_ignore;
    let canon_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    // As ripgrep: .gitignore only inside a git work tree (the root's or a nested one), read from
    // the work tree's top down to the root; .ignore files everywhere.
    let root_git = git_top(root);
    let mut git_depths: Vec<usize> = Vec::new();
    if use_ignore {
        if let Some(top) = &root_git {
            let mut ancestors: Vec<&Path> = canon_root.ancestors().skip(1).collect();
            ancestors.retain(|a| a.starts_with(top));
            for a in ancestors.into_iter().rev() {
                if let Some(g) = load_ignores(a, true) {
                    ignores.push((0, g, true));
                }
            }
        }
        if let Some(g) = load_ignores(root, root_git.is_some()) {
            ignores.push((0, g, false));
        }
    }
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut it = WalkDir::new(root).follow_links(opts.follow).into_iter();
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
        if entry.path_is_symlink() && !opts.follow {
            // Not followed (as ripgrep without -L); a dangling one is worth a warning.
            if std::fs::metadata(entry.path()).is_err() {
                warnings.push(format!(
                    "{}: unreadable: dangling symlink",
                    rel_of(root, entry.path())
                ));
            }
            continue;
        }
        let depth = entry.depth();
        if depth == 0 {
            continue;
        }
        while ignores.last().is_some_and(|(d, _, _)| *d >= depth) {
            ignores.pop();
        }
        while git_depths.last().is_some_and(|d| *d >= depth) {
            git_depths.pop();
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
        if use_ignore && is_ignored(&ignores, root, &canon_root, entry.path(), is_dir) {
            if is_dir {
                it.skip_current_dir();
            }
            continue;
        }
        if is_dir {
            if entry.path().join(".git").exists() {
                git_depths.push(depth);
            }
            let in_git = root_git.is_some() || !git_depths.is_empty();
            if use_ignore && let Some(g) = load_ignores(entry.path(), in_git) {
                ignores.push((depth, g, false));
            }
            continue;
        }
        // Each real file once (hard links, and symlinked folders when following).
        if opts.follow
            && let Some(id) = file_id(&entry)
            && !seen.insert(id)
        {
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

/// `p` relative to `root`, `/`-separated.
pub fn rel_of(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    let s: Vec<String> = r
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    s.join("/")
}

/// The top of the git work tree holding `dir` (canonical), if any.
fn git_top(dir: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(dir).ok()?;
    abs.ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
}

#[cfg(unix)]
fn file_id(e: &walkdir::DirEntry) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = e.metadata().ok()?;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &walkdir::DirEntry) -> Option<(u64, u64)> {
    None
}

fn load_ignores(dir: &Path, in_git: bool) -> Option<Gitignore> {
    let mut b = GitignoreBuilder::new(dir);
    let mut any = false;
    let names: &[&str] = if in_git {
        &[".gitignore", ".ignore"]
    } else {
        &[".ignore"]
    };
    for name in names {
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

fn is_ignored(
    stack: &[(usize, Gitignore, bool)],
    root: &Path,
    canon_root: &Path,
    path: &Path,
    is_dir: bool,
) -> bool {
    for (_, g, canonical) in stack.iter().rev() {
        let m = if *canonical {
            let rel = path.strip_prefix(root).unwrap_or(path);
            g.matched(canon_root.join(rel), is_dir)
        } else {
            g.matched(path, is_dir)
        };
        if m.is_ignore() {
            return true;
        }
        if m.is_whitelist() {
            return false;
        }
    }
    false
}
