//! Project context: the nearest folder with a manifest is a project; what its legacy files bind
//! (base-URL names, the classes and modules they use) decides which other files of the project
//! are Harvest v1/v2 too.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;

use crate::imports::{ImportIndex, imports_of};
use crate::lang::Lang;
use crate::model::{FileFacts, Hints, Wrapper};
use crate::walk::FileEntry;

/// What a project's legacy files tell about it.
#[derive(Default)]
pub struct Project {
    /// Some file of the project has a Harvest v1/v2 URL or uses a known legacy base name.
    pub legacy: bool,
    /// Version of the first legacy base URL seen.
    pub version: Option<String>,
    /// Names bound to the legacy base URL.
    pub names: HashSet<String>,
    /// Identifiers used by the project's legacy files (class names: Java, Kotlin, C#, PHP,
    /// Ruby constants).
    pub idents: HashSet<String>,
    /// File stems of the project's legacy files.
    pub stems: HashSet<String>,
    /// The project's legacy files.
    pub legacy_files: HashSet<PathBuf>,
    /// Files the legacy files import (resolved).
    pub imported_by_legacy: HashSet<PathBuf>,
    /// Wrapper functions of the project's files, with the file defining each.
    pub wrappers: Vec<(Wrapper, PathBuf)>,
    /// Settings keys bound to the legacy base (normalised), and their last segments as written.
    pub settings: HashSet<String>,
    pub setting_words: HashSet<String>,
}

/// Languages where a class is used by its name without an import of its file (one class per
/// file named after it: same package/namespace, autoloading): there, a class name used in code
/// links to the file of that name.
fn class_named_files(p: &Path) -> bool {
    matches!(
        Lang::for_path(p),
        Lang::Java | Lang::Kotlin | Lang::CSharp | Lang::Php | Lang::Ruby
    )
}

/// The stem a class name stands for: itself, and in Ruby its snake_case file (`HarvestApi` →
/// `harvest_api`, Zeitwerk/Rails autoloading).
fn class_stems(ident: &str, ruby: bool) -> Vec<String> {
    let mut out = vec![ident.to_string()];
    if ruby && ident.chars().next().is_some_and(char::is_uppercase) {
        out.push(crate::words::words(ident).join("_"));
    }
    out
}

impl Project {
    /// Is the file at `path` (with `facts`) linked to a legacy file of the project: a legacy
    /// file imports it, it imports a legacy file (`index` resolves its imports), or — where
    /// classes are used by name — one uses the other's class?
    pub fn linked(&self, path: &Path, facts: &FileFacts, index: &ImportIndex) -> bool {
        if self.used_by_legacy(path) {
            return true;
        }
        if facts.imports.iter().any(|spec| {
            index
                .resolve(path, spec)
                .iter()
                .any(|f| self.legacy_files.contains(f))
        }) {
            return true;
        }
        class_named_files(path) && {
            let ruby = Lang::for_path(path) == Lang::Ruby;
            facts
                .idents
                .iter()
                .flat_map(|i| class_stems(i, ruby))
                .any(|s| self.stems.contains(&s))
        }
    }

    /// What the project tells the analysis of the file at `path` (with contents `bytes`): the
    /// legacy base names, and the wrappers of other files that this one may call — a wrapper
    /// with a distinctive name when the file uses it, one with a generic name (`get`,
    /// `request`) only when the file imports the wrapper's file (or, where classes are used
    /// by name, names its class; in Go, is in its package).
    pub fn hints_for(&self, path: &Path, bytes: &[u8], index: &ImportIndex) -> Hints {
        let mut h = Hints {
            names: self.names.clone(),
            settings: self.settings.clone(),
            ..Default::default()
        };
        let mut imported: Option<HashSet<PathBuf>> = None;
        for (w, def) in &self.wrappers {
            if def == path || h.wrappers.contains_key(&w.name) {
                continue;
            }
            let one = |s: &str| uses_name(bytes, &std::iter::once(s.to_string()).collect());
            if !one(&w.name) {
                continue;
            }
            let linked = w.trusted
                || !crate::rules::generic_name(&w.name)
                || imported
                    .get_or_insert_with(|| {
                        let text = String::from_utf8_lossy(bytes);
                        imports_of(Lang::for_path(path), &text)
                            .iter()
                            .flat_map(|spec| index.resolve(path, spec))
                            .collect()
                    })
                    .contains(def)
                || (Lang::for_path(path) == Lang::Go && def.parent() == path.parent())
                || (class_named_files(path) && stem(def).is_some_and(|s| one(&s)));
            if linked {
                h.wrappers.insert(w.name.clone(), w.clone());
            }
        }
        h
    }

    /// Does a legacy file of the project import the file at `path` (or, where classes are used
    /// by name, use its class)?
    pub fn used_by_legacy(&self, path: &Path) -> bool {
        self.imported_by_legacy.contains(path)
            || (class_named_files(path) && stem(path).is_some_and(|s| self.idents.contains(&s)))
    }
}

/// The projects of a scan.
pub struct Projects {
    /// Folders holding a manifest.
    dirs: HashSet<PathBuf>,
    /// The scan root's folder: the project of files outside any manifest folder.
    base_dir: PathBuf,
    map: HashMap<PathBuf, Project>,
    /// What the settings tell every file (configured base-URL names, trusted wrappers).
    config: Hints,
}

impl Projects {
    pub fn new(dirs: HashSet<PathBuf>, base_dir: PathBuf, config: Hints) -> Self {
        Projects {
            dirs,
            base_dir,
            map: HashMap::new(),
            config,
        }
    }

    /// The hints for a file of `proj` (see [`Project::hints_for`]) with the settings' added.
    pub fn hints_for(
        &self,
        proj: &Project,
        path: &Path,
        bytes: &[u8],
        index: &ImportIndex,
    ) -> Hints {
        let mut h = proj.hints_for(path, bytes, index);
        h.names.extend(self.config.names.iter().cloned());
        h.settings.extend(self.config.settings.iter().cloned());
        for (k, w) in &self.config.wrappers {
            h.wrappers.entry(k.clone()).or_insert_with(|| w.clone());
        }
        h
    }

    /// The project folder of a file: the nearest folder with a manifest, else the scan root.
    pub fn project_of(&self, p: &Path) -> PathBuf {
        let mut d = p.parent();
        while let Some(dir) = d {
            if self.dirs.contains(dir) {
                return dir.to_path_buf();
            }
            if dir == self.base_dir {
                break;
            }
            d = dir.parent();
        }
        self.base_dir.clone()
    }

    /// Records what a file of the first pass tells about its project (`index` resolves the
    /// imports of its legacy files).
    pub fn learn(&mut self, path: &Path, facts: &FileFacts, index: &ImportIndex) {
        let key = self.project_of(path);
        let proj = self.map.entry(key).or_default();
        for w in &facts.wrappers {
            if w.base || w.verb.is_some() {
                proj.wrappers.push((w.clone(), path.to_path_buf()));
            }
        }
        if facts.legacy {
            proj.legacy = true;
            if proj.version.is_none() {
                proj.version = facts.legacy_version.clone();
            }
            proj.names
                .extend(facts.base_names.iter().filter(|n| n.len() >= 3).cloned());
            proj.idents.extend(facts.idents.iter().cloned());
            if let Some(st) = stem(path) {
                proj.stems.insert(st);
            }
            proj.legacy_files.insert(path.to_path_buf());
            proj.settings.extend(facts.settings.iter().cloned());
            proj.setting_words
                .extend(facts.setting_words.iter().filter(|w| w.len() >= 3).cloned());
            for spec in &facts.imports {
                proj.imported_by_legacy.extend(index.resolve(path, spec));
            }
        }
    }

    /// The project of a file, when any of its files was analysed.
    pub fn of(&self, path: &Path) -> Option<&Project> {
        self.map.get(&self.project_of(path))
    }

    /// Files of legacy projects to analyse (again) with the project's base-URL names: files that
    /// may use a name bound in another file, and files a legacy file uses. `own` holds the base
    /// names each already analysed file binds itself. Returns (file index, its project, linked).
    pub fn to_revisit<'a>(
        &'a self,
        files: &[FileEntry],
        own: &HashMap<usize, HashSet<&String>>,
    ) -> Vec<(usize, &'a Project, bool)> {
        if !self.map.values().any(|p| p.legacy) {
            return Vec::new();
        }
        files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let proj = self.map.get(&self.project_of(&f.path))?;
                if !proj.legacy {
                    return None;
                }
                let linked = proj.used_by_legacy(&f.path);
                let foreign_wrappers = proj.wrappers.iter().any(|(_, d)| *d != f.path);
                match own.get(&i) {
                    Some(mine)
                        if proj.names.iter().all(|n| mine.contains(n)) && !foreign_wrappers =>
                    {
                        None
                    }
                    _ if proj.names.is_empty()
                        && proj.settings.is_empty()
                        && !linked
                        && !foreign_wrappers =>
                    {
                        None
                    }
                    _ => Some((i, proj, linked)),
                }
            })
            .collect()
    }
}

/// Does `bytes` use one of `names` as a whole word?
pub fn uses_name(bytes: &[u8], names: &HashSet<String>) -> bool {
    let Ok(ac) = AhoCorasick::new(names.iter().map(|s| s.as_str())) else {
        return false;
    };
    ac.find_iter(bytes)
        .any(|m| word_at(bytes, m.start(), m.end()))
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
