//! Project context: the nearest folder with a manifest is a project; what its legacy files bind
//! (base-URL names, the classes and modules they use) decides which other files of the project
//! are Harvest v1/v2 too.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;

use crate::model::FileFacts;
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
    /// Identifiers used by the project's legacy files.
    pub idents: HashSet<String>,
    /// File stems of the project's legacy files.
    pub stems: HashSet<String>,
}

impl Project {
    /// Is the file at `path` (with `facts`) linked to a legacy file of the project: a legacy file
    /// uses its class/module, or it uses a legacy file's?
    pub fn linked(&self, path: &Path, facts: &FileFacts) -> bool {
        stem(path).is_some_and(|s| self.idents.contains(&s))
            || self.stems.iter().any(|s| facts.idents.contains(s))
    }

    /// Does a legacy file of the project use the class/module of the file at `path`?
    pub fn used_by_legacy(&self, path: &Path) -> bool {
        stem(path).is_some_and(|s| self.idents.contains(&s))
    }
}

/// The projects of a scan.
pub struct Projects {
    /// Folders holding a manifest.
    dirs: HashSet<PathBuf>,
    /// The scan root's folder: the project of files outside any manifest folder.
    base_dir: PathBuf,
    map: HashMap<PathBuf, Project>,
}

impl Projects {
    pub fn new(dirs: HashSet<PathBuf>, base_dir: PathBuf) -> Self {
        Projects {
            dirs,
            base_dir,
            map: HashMap::new(),
        }
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

    /// Records what a file of the first pass tells about its project.
    pub fn learn(&mut self, path: &Path, facts: &FileFacts) {
        let key = self.project_of(path);
        let proj = self.map.entry(key).or_default();
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
                match own.get(&i) {
                    Some(mine) if proj.names.iter().all(|n| mine.contains(n)) => None,
                    _ if proj.names.is_empty() && !linked => None,
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
