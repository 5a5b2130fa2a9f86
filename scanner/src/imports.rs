//! Imports: which files of the scan a file imports, resolved the way each language resolves
//! them (relative JS/TS specifiers with their extensions and `index` files, Python packages and
//! relative imports, Ruby `require_relative`/`require`, PHP includes and `use` of PSR-4 classes,
//! Go packages under the `go.mod` module path, Java/Kotlin imports, Rust `mod`/`use crate::`).
//! Files are linked by these resolved imports, not by shared file names.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use crate::lang::Lang;

/// The module specifiers a file imports, as written (`./harvest`, `.client`, `app.endpoints`,
/// `github.com/acme/x/internal/harvest`, `com.acme.HarvestHttp`, `mod:harvest`).
pub fn imports_of(lang: Lang, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut go_block = false;
    for line in text.lines().take(5000) {
        let l = line.trim();
        match lang {
            Lang::Python => python_imports(l, &mut out),
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx => js_imports(l, &mut out),
            Lang::Ruby => {
                for (kw, rel) in [
                    ("require_relative", true),
                    ("require", false),
                    ("load", false),
                ] {
                    if let Some(rest) = l.strip_prefix(kw)
                        && rest.starts_with([' ', '('])
                        && let Some(s) = quoted(rest)
                    {
                        out.push(if rel { format!("./{s}") } else { s });
                        break;
                    }
                }
            }
            Lang::Php => php_imports(l, &mut out),
            Lang::Go => {
                if l.starts_with("import (") {
                    go_block = true;
                } else if go_block && l.starts_with(')') {
                    go_block = false;
                } else if (go_block || l.starts_with("import "))
                    && let Some(s) = quoted(l)
                {
                    out.push(s);
                }
            }
            Lang::Java | Lang::Kotlin => {
                if let Some(rest) = l.strip_prefix("import ") {
                    let rest = rest.trim_start_matches("static ").trim();
                    let fqn: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '*'))
                        .collect();
                    if !fqn.is_empty() {
                        out.push(fqn);
                    }
                }
            }
            Lang::Rust => rust_imports(l, &mut out),
            _ => return out,
        }
        if out.len() > 500 {
            break;
        }
    }
    out
}

fn python_imports(l: &str, out: &mut Vec<String>) {
    if let Some(rest) = l.strip_prefix("from ") {
        let Some((module, names)) = rest.split_once(" import ") else {
            return;
        };
        let module = module.trim();
        out.push(module.to_string());
        // `from . import client`, `from app import endpoints`: the names may be modules too.
        for n in names.trim_matches(|c| c == '(' || c == ')').split(',') {
            let n = n.split_whitespace().next().unwrap_or("");
            if !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_') {
                let sep = if module.ends_with('.') { "" } else { "." };
                out.push(format!("{module}{sep}{n}"));
            }
        }
    } else if let Some(rest) = l.strip_prefix("import ") {
        for m in rest.split(',') {
            let m = m.split_whitespace().next().unwrap_or("");
            if !m.is_empty() {
                out.push(m.to_string());
            }
        }
    }
}

fn js_imports(l: &str, out: &mut Vec<String>) {
    for key in [" from ", "require(", "import(", "import "] {
        let mut rest = l;
        while let Some(p) = rest.find(key) {
            let after = &rest[p + key.len()..];
            let a = after.trim_start();
            if a.starts_with(['"', '\'', '`'])
                && let Some(s) = quoted(a)
            {
                out.push(s);
            }
            rest = after;
        }
    }
}

fn php_imports(l: &str, out: &mut Vec<String>) {
    for kw in ["require_once", "include_once", "require", "include"] {
        if let Some(rest) = l.strip_prefix(kw)
            && let Some(s) = quoted(rest)
        {
            let rel = rest.contains("__DIR__") || rest.contains("dirname(");
            out.push(if rel && !s.starts_with('/') {
                format!("./{s}")
            } else if rel {
                format!(".{s}")
            } else {
                s
            });
            return;
        }
    }
    if let Some(rest) = l.strip_prefix("use ") {
        let fqn: String = rest
            .trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '\\' | '_'))
            .collect();
        if fqn.contains('\\') {
            out.push(format!("php:{fqn}"));
        }
    }
}

fn rust_imports(l: &str, out: &mut Vec<String>) {
    let l = l
        .trim_start_matches("pub ")
        .trim_start_matches("pub(crate) ");
    if let Some(rest) = l.strip_prefix("mod ")
        && let Some(name) = rest.strip_suffix(';')
    {
        out.push(format!("mod:{}", name.trim()));
    } else if let Some(rest) = l.strip_prefix("use ") {
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, ':' | '_'))
            .collect();
        if path.starts_with("crate::") || path.starts_with("super::") {
            out.push(format!("use:{path}"));
        }
    }
}

/// The first quoted string in a text.
fn quoted(s: &str) -> Option<String> {
    let start = s.find(['"', '\'', '`'])?;
    let q = s[start..].chars().next()?;
    let rest = &s[start + 1..];
    let end = rest.find(q)?;
    Some(rest[..end].to_string())
}

/// The files of a scan, indexed to resolve imports — built on the first import resolved (a
/// scan that never resolves one never builds it).
pub struct ImportIndex<'a> {
    source: Box<dyn Fn() -> Vec<PathBuf> + Sync + 'a>,
    cell: std::sync::OnceLock<Index>,
}

impl<'a> ImportIndex<'a> {
    /// An index of the files `files` gives (called once, when first needed).
    pub fn new(files: impl Fn() -> Vec<PathBuf> + Sync + 'a) -> ImportIndex<'a> {
        ImportIndex {
            source: Box::new(files),
            cell: std::sync::OnceLock::new(),
        }
    }

    /// The files of the scan that `spec`, imported by the file at `from`, stands for.
    pub fn resolve(&self, from: &Path, spec: &str) -> Vec<PathBuf> {
        self.cell
            .get_or_init(|| Index::new((self.source)().into_iter()))
            .resolve(from, spec)
    }
}

#[derive(Default)]
struct Index {
    files: HashSet<PathBuf>,
    by_stem: HashMap<String, Vec<PathBuf>>,
    /// (module path, folder) of each `go.mod`.
    go_modules: Vec<(String, PathBuf)>,
}

impl Index {
    fn new(files: impl Iterator<Item = PathBuf>) -> Index {
        let mut ix = Index::default();
        for p in files {
            if let Some(stem) = p.file_stem().and_then(|s| s.to_str()) {
                ix.by_stem
                    .entry(stem.to_string())
                    .or_default()
                    .push(p.clone());
            }
            if p.file_name().is_some_and(|n| n == "go.mod")
                && let Ok(text) = std::fs::read_to_string(&p)
                && let Some(m) = text.lines().find_map(|l| l.trim().strip_prefix("module "))
                && let Some(dir) = p.parent()
            {
                ix.go_modules
                    .push((m.trim().trim_matches('"').to_string(), dir.to_path_buf()));
            }
            ix.files.insert(p);
        }
        ix
    }

    fn resolve(&self, from: &Path, spec: &str) -> Vec<PathBuf> {
        let lang = Lang::for_path(from);
        let dir = from.parent().unwrap_or(Path::new(""));
        match lang {
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx => self.resolve_js(dir, spec),
            Lang::Python => self.resolve_python(dir, spec),
            Lang::Ruby => {
                let base = if spec.starts_with('.') {
                    normalize(&dir.join(spec))
                } else {
                    PathBuf::from(spec)
                };
                self.with_exts(&base, &[".rb"], !spec.starts_with('.'))
            }
            Lang::Php => match spec.strip_prefix("php:") {
                Some(fqn) => self.by_suffix(&fqn.replace('\\', "/"), &["php"]),
                None => self.with_exts(&normalize(&dir.join(spec)), &[""], false),
            },
            Lang::Go => self.resolve_go(spec),
            Lang::Java | Lang::Kotlin => self.by_suffix(&spec.replace('.', "/"), &["java", "kt"]),
            Lang::Rust => self.resolve_rust(from, spec),
            _ => Vec::new(),
        }
    }

    fn resolve_js(&self, dir: &Path, spec: &str) -> Vec<PathBuf> {
        const EXTS: [&str; 12] = [
            "",
            ".js",
            ".ts",
            ".tsx",
            ".jsx",
            ".mjs",
            ".cjs",
            ".mts",
            "/index.js",
            "/index.ts",
            "/index.tsx",
            "/index.mjs",
        ];
        if spec.starts_with('.') {
            return self.with_exts(&normalize(&dir.join(spec)), &EXTS, false);
        }
        // Path aliases (`@/lib/harvest`, `~/lib/harvest`, `src/lib/harvest`).
        let rest = spec
            .strip_prefix("@/")
            .or_else(|| spec.strip_prefix("~/"))
            .or_else(|| spec.starts_with("src/").then_some(spec));
        match rest {
            Some(r) => self.with_exts(Path::new(r), &EXTS, true),
            None => Vec::new(),
        }
    }

    fn resolve_python(&self, dir: &Path, spec: &str) -> Vec<PathBuf> {
        let dots = spec.chars().take_while(|&c| c == '.').count();
        let module = spec[dots..].replace('.', "/");
        if dots > 0 {
            let mut base = dir.to_path_buf();
            for _ in 1..dots {
                base.pop();
            }
            if module.is_empty() {
                return self.with_exts(&base, &["/__init__.py"], false);
            }
            return self.with_exts(&base.join(&module), &[".py", "/__init__.py"], false);
        }
        self.with_exts(Path::new(&module), &[".py", "/__init__.py"], true)
    }

    fn resolve_go(&self, spec: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for (module, root) in &self.go_modules {
            let Some(rest) = spec.strip_prefix(module.as_str()) else {
                continue;
            };
            let pkg = normalize(&root.join(rest.trim_start_matches('/')));
            out.extend(
                self.files
                    .iter()
                    .filter(|f| {
                        f.parent() == Some(pkg.as_path())
                            && f.extension().is_some_and(|e| e == "go")
                    })
                    .cloned(),
            );
        }
        out.sort();
        out
    }

    fn resolve_rust(&self, from: &Path, spec: &str) -> Vec<PathBuf> {
        let dir = from.parent().unwrap_or(Path::new(""));
        if let Some(name) = spec.strip_prefix("mod:") {
            let stem = from.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            let base = if matches!(stem, "main" | "lib" | "mod") {
                dir.to_path_buf()
            } else {
                dir.join(stem)
            };
            return self.with_exts(&base.join(name), &[".rs", "/mod.rs"], false);
        }
        let Some(path) = spec.strip_prefix("use:") else {
            return Vec::new();
        };
        let segs: Vec<&str> = path.split("::").collect();
        let root = if segs.first() == Some(&"super") {
            dir.parent().unwrap_or(dir).to_path_buf()
        } else {
            // The crate's src folder: the nearest ancestor named src.
            from.ancestors()
                .find(|a| a.file_name().is_some_and(|n| n == "src"))
                .unwrap_or(dir)
                .to_path_buf()
        };
        for n in (2..=segs.len()).rev() {
            let p = root.join(segs[1..n].join("/"));
            let found = self.with_exts(&p, &[".rs", "/mod.rs"], false);
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// `base` + each extension that is a file of the scan. `suffix`: `base` is a path suffix
    /// (a package path), matched against the files ending with it.
    fn with_exts(&self, base: &Path, exts: &[&str], suffix: bool) -> Vec<PathBuf> {
        let b = base.to_string_lossy();
        for e in exts {
            let want = format!("{b}{e}");
            if suffix {
                let found = self.by_suffix_exact(&want);
                if !found.is_empty() {
                    return found;
                }
            } else {
                let p = PathBuf::from(&want);
                if self.files.contains(&p) {
                    return vec![p];
                }
            }
        }
        Vec::new()
    }

    /// Files whose path ends with `rel` (whole components).
    fn by_suffix_exact(&self, rel: &str) -> Vec<PathBuf> {
        let rel = Path::new(rel);
        let Some(stem) = rel.file_stem().and_then(|s| s.to_str()) else {
            return Vec::new();
        };
        let mut out: Vec<PathBuf> = self
            .by_stem
            .get(stem)
            .into_iter()
            .flatten()
            .filter(|f| f.ends_with(rel))
            .cloned()
            .collect();
        out.sort();
        out
    }

    /// Files named after the last segment of `path` (a class), with one of `exts`, preferring
    /// those whose path ends with the whole `path` (the package folders).
    fn by_suffix(&self, path: &str, exts: &[&str]) -> Vec<PathBuf> {
        let last = path.rsplit('/').next().unwrap_or(path);
        if last == "*" {
            let pkg = path.trim_end_matches("/*");
            let mut out: Vec<PathBuf> = self
                .files
                .iter()
                .filter(|f| {
                    f.parent().is_some_and(|d| d.ends_with(pkg))
                        && f.extension()
                            .and_then(|e| e.to_str())
                            .is_some_and(|e| exts.contains(&e))
                })
                .cloned()
                .collect();
            out.sort();
            return out;
        }
        let cands: Vec<&PathBuf> = self
            .by_stem
            .get(last)
            .into_iter()
            .flatten()
            .filter(|f| {
                f.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| exts.contains(&e))
            })
            .collect();
        let exact: Vec<PathBuf> = cands
            .iter()
            .filter(|f| f.with_extension("").ends_with(path))
            .map(|f| (*f).clone())
            .collect();
        let mut out = if exact.is_empty() {
            cands.into_iter().cloned().collect()
        } else {
            exact
        };
        out.sort();
        out
    }
}

/// `a/b/../c/./d` → `a/c/d` (without touching the file system).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifiers_per_language() {
        assert_eq!(
            imports_of(
                Lang::Python,
                "from .client import Harvest, ROUTES\nimport app.x as y\n"
            ),
            vec![".client", ".client.Harvest", ".client.ROUTES", "app.x"]
        );
        assert_eq!(
            imports_of(
                Lang::TypeScript,
                "import { A } from \"./greenhouse\";\nconst r = require('../routes');\n"
            ),
            vec!["./greenhouse", "../routes"]
        );
        assert_eq!(
            imports_of(
                Lang::Ruby,
                "require_relative \"harvest_api\"\nrequire 'json'\n"
            ),
            vec!["./harvest_api", "json"]
        );
        assert_eq!(
            imports_of(
                Lang::Go,
                "import (\n\t\"fmt\"\n\t\"x.io/m/internal/gh\"\n)\n"
            ),
            vec!["fmt", "x.io/m/internal/gh"]
        );
        assert_eq!(
            imports_of(
                Lang::Php,
                "use Acme\\Gh\\Client;\nrequire_once __DIR__ . '/x.php';\n"
            ),
            vec!["php:Acme\\Gh\\Client", "./x.php"]
        );
        assert_eq!(
            imports_of(Lang::Rust, "mod harvest;\nuse crate::api::Client;\n"),
            vec!["mod:harvest", "use:crate::api::Client"]
        );
    }

    #[test]
    fn resolution() {
        let files = [
            "r/web/src/lib/harvest.ts",
            "r/web/src/lib/index.ts",
            "r/py/app/client.py",
            "r/py/app/endpoints.py",
            "r/py/app/__init__.py",
            "r/rb/lib/ats/harvest_api.rb",
            "r/rs/src/main.rs",
            "r/rs/src/harvest.rs",
            "r/jv/src/main/java/com/acme/HarvestHttp.java",
        ];
        let ix = ImportIndex::new(|| files.iter().map(PathBuf::from).collect());
        let one = |from: &str, spec: &str| ix.resolve(Path::new(from), spec);
        assert_eq!(
            one("r/web/src/app.ts", "./lib/harvest"),
            vec![PathBuf::from("r/web/src/lib/harvest.ts")]
        );
        assert_eq!(
            one("r/web/src/app.ts", "./lib"),
            vec![PathBuf::from("r/web/src/lib/index.ts")]
        );
        assert_eq!(
            one("r/py/app/client.py", ".endpoints"),
            vec![PathBuf::from("r/py/app/endpoints.py")]
        );
        assert_eq!(
            one("r/py/main.py", "app.endpoints"),
            vec![PathBuf::from("r/py/app/endpoints.py")]
        );
        assert_eq!(
            one("r/rb/lib/ats/importer.rb", "./harvest_api"),
            vec![PathBuf::from("r/rb/lib/ats/harvest_api.rb")]
        );
        assert_eq!(
            one("r/rs/src/main.rs", "mod:harvest"),
            vec![PathBuf::from("r/rs/src/harvest.rs")]
        );
        assert_eq!(
            one("r/jv/src/main/java/com/acme/X.java", "com.acme.HarvestHttp"),
            vec![PathBuf::from(
                "r/jv/src/main/java/com/acme/HarvestHttp.java"
            )]
        );
        assert!(one("r/web/src/app.ts", "axios").is_empty());
    }
}
