//! Project context: the nearest folder with a manifest is a project; what its files bind
//! (base-URL names, bare-host constants, wrappers, calls passing a base to a function, the types
//! legacy files declare and use) decides which other files of the project are Harvest v1/v2 too,
//! and what their analysis is told (`Hints`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;

use crate::decls::{self, Decls};
use crate::imports::{ImportIndex, imports_of};
use crate::lang::Lang;
use crate::model::{BaseArg, FileFacts, Hints, Wrapper};
use crate::walk::FileEntry;

/// What a project's files tell about it.
#[derive(Default)]
pub struct Project {
    /// Some file of the project has a Harvest v1/v2 URL or uses a known legacy base name.
    pub legacy: bool,
    /// Version of the first legacy base URL seen.
    pub version: Option<String>,
    /// Names bound to the legacy base URL.
    pub names: HashSet<String>,
    /// The project's legacy files.
    pub legacy_files: HashSet<PathBuf>,
    /// Files the legacy files import (resolved).
    pub imported_by_legacy: HashSet<PathBuf>,
    /// Identifiers used by each legacy file of a language that uses classes by name.
    legacy_idents: HashMap<PathBuf, HashSet<String>>,
    /// Types declared by legacy files: name → the files declaring it.
    legacy_types: HashMap<String, Vec<PathBuf>>,
    /// The declarations of every file learnt (class-named languages).
    decls: HashMap<PathBuf, Decls>,
    /// Wrapper functions of the project's files, by (defining file, name).
    pub wrappers: BTreeMap<(PathBuf, String), Wrapper>,
    /// Settings keys bound to the legacy base (normalised), and their last segments as written.
    pub settings: HashSet<String>,
    pub setting_words: HashSet<String>,
    /// Bare-host constants, by (defining file, name) → value.
    hosts: BTreeMap<(PathBuf, String), String>,
    /// Names bound to another API's base, by (defining file, name).
    others: std::collections::BTreeSet<(PathBuf, String)>,
    /// Calls passing a legacy base to a function, by calling file.
    base_args: BTreeMap<PathBuf, Vec<BaseArg>>,
    /// The files each calling file of `base_args` imports (resolved).
    caller_imports: HashMap<PathBuf, HashSet<PathBuf>>,
    /// Bumped whenever something new is learnt.
    generation: u64,
    /// The searches for the names and setting words, built once per round.
    matchers: std::sync::OnceLock<Matchers>,
}

/// Whole-word searches for a project's base names and setting words.
struct Matchers {
    names: Option<(AhoCorasick, Vec<String>)>,
    settings: Option<AhoCorasick>,
}

impl Matchers {
    fn new(names: &HashSet<String>, settings: &HashSet<String>) -> Matchers {
        let mut list: Vec<String> = names.iter().cloned().collect();
        list.sort();
        let names = (!list.is_empty())
            .then(|| AhoCorasick::new(&list).ok().map(|ac| (ac, list)))
            .flatten();
        let settings = (!settings.is_empty())
            .then(|| AhoCorasick::new(settings.iter()).ok())
            .flatten();
        Matchers { names, settings }
    }

    /// The names `bytes` uses as whole words, but those in `own`.
    fn used_names(&self, bytes: &[u8], own: &HashSet<&String>) -> HashSet<String> {
        let mut out = HashSet::new();
        if let Some((ac, list)) = &self.names {
            for m in ac.find_overlapping_iter(bytes) {
                let n = &list[m.pattern().as_usize()];
                if word_at(bytes, m.start(), m.end()) && !own.contains(n) {
                    out.insert(n.clone());
                }
            }
        }
        out
    }

    /// Does `bytes` use a setting word?
    fn uses_setting(&self, bytes: &[u8]) -> bool {
        self.settings.as_ref().is_some_and(|ac| {
            ac.find_overlapping_iter(bytes)
                .any(|m| word_at(bytes, m.start(), m.end()))
        })
    }
}

/// Does the file at `a` share a folder with the one at `b`?
fn same_dir(a: &Path, b: &Path) -> bool {
    a.parent() == b.parent()
}

/// Does a name say it is Harvest's or Greenhouse's (`HARVEST_HOST`, `greenhouseHost`, `GH_HOST`)?
fn distinctive(name: &str) -> bool {
    crate::words::words(name)
        .iter()
        .any(|w| matches!(w.as_str(), "harvest" | "greenhouse" | "gh" | "grnhse"))
}

impl Project {
    /// Is a project worth a second look: it has a legacy base, or a bare-host constant that a
    /// version may be joined to elsewhere?
    pub fn active(&self) -> bool {
        self.legacy || !self.hosts.is_empty()
    }

    /// Can the file at `path` get anything from the project that only its bytes would tell
    /// (a name, host, wrapper or callee it uses; a type it declares or uses)? When not, only a
    /// file a legacy file imports is worth reading again.
    pub fn worth_reading(&self, path: &Path) -> bool {
        !self.names.is_empty()
            || !self.setting_words.is_empty()
            || !self.hosts.is_empty()
            || !self.others.is_empty()
            || !self.wrappers.is_empty()
            || !self.base_args.is_empty()
            || (decls::class_named(Lang::for_path(path))
                && (!self.legacy_types.is_empty() || !self.legacy_idents.is_empty()))
            || self.imported_by_legacy.contains(path)
    }

    /// A number that changes whenever the project learns something new.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Is the file at `path` (with `facts`) linked to a legacy file of the project: a legacy
    /// file imports it, it imports a legacy file (`index` resolves its imports), or — where
    /// classes are used by name — one uses a type the other declares?
    pub fn linked(&self, path: &Path, facts: &FileFacts, index: &ImportIndex) -> bool {
        if self.used_by_legacy(path, &facts.decls) {
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
        let uses = |t: &str| facts.idents.contains(t);
        self.uses_legacy_type(path, &facts.decls, &uses)
    }

    /// [`Project::linked`] for a file not analysed, from its bytes: the cheap checks first.
    pub fn linked_bytes(&self, path: &Path, bytes: &[u8], index: &ImportIndex) -> bool {
        if self.imported_by_legacy.contains(path) {
            return true;
        }
        let lang = Lang::for_path(path);
        let text = String::from_utf8_lossy(bytes);
        if imports_of(lang, &text).iter().any(|spec| {
            index
                .resolve(path, spec)
                .iter()
                .any(|f| self.legacy_files.contains(f))
        }) {
            return true;
        }
        if !decls::class_named(lang)
            || (self.legacy_types.is_empty() && self.legacy_idents.is_empty())
        {
            return false;
        }
        let mine = decls::decls_of(lang, &text);
        let uses = |t: &str| uses_word(bytes, t);
        self.used_by_legacy(path, &mine) || self.uses_legacy_type(path, &mine, &uses)
    }

    /// Does the file at `path` (declarations `mine`) use a type a legacy file declares, as its
    /// language resolves the name (`uses` says whether it uses an identifier)?
    fn uses_legacy_type(&self, path: &Path, mine: &Decls, uses: &dyn Fn(&str) -> bool) -> bool {
        let lang = Lang::for_path(path);
        if !decls::class_named(lang) || self.legacy_types.is_empty() {
            return false;
        }
        self.legacy_types.iter().any(|(t, defs)| {
            uses(t)
                && defs.iter().any(|d| {
                    d != path
                        && self.decls.get(d).is_some_and(|dd| {
                            let q = dd
                                .namespace
                                .as_deref()
                                .is_some_and(|ns| uses(decls::last_segment(ns)));
                            Lang::for_path(d) == lang
                                && decls::visible(lang, mine, dd, same_dir(path, d), q)
                        })
                })
        })
    }

    /// Does a legacy file of the project import the file at `path` (or, where classes are used
    /// by name, use a type it declares — `mine` — as its language resolves the name)?
    pub fn used_by_legacy(&self, path: &Path, mine: &Decls) -> bool {
        if self.imported_by_legacy.contains(path) {
            return true;
        }
        let lang = Lang::for_path(path);
        if !decls::class_named(lang) || mine.types.is_empty() {
            return false;
        }
        self.legacy_idents.iter().any(|(l, idents)| {
            l != path
                && Lang::for_path(l) == lang
                && mine.types.iter().any(|t| idents.contains(t))
                && self.decls.get(l).is_some_and(|ld| {
                    let q = mine
                        .namespace
                        .as_deref()
                        .is_some_and(|ns| idents.contains(decls::last_segment(ns)));
                    decls::visible(lang, ld, mine, same_dir(path, l), q)
                })
        })
    }

    /// Is the file at `path` (bytes `bytes`, declarations `mine`) linked to the file `def`
    /// so that a generic name `def` defines resolves to it: it imports `def` (`imported`),
    /// shares its Go package or Kotlin package, or uses a type `def` declares?
    fn sees(
        &self,
        path: &Path,
        mine: &Decls,
        def: &Path,
        imported: &HashSet<PathBuf>,
        bytes: &[u8],
    ) -> bool {
        let lang = Lang::for_path(path);
        if imported.contains(def) || (lang == Lang::Go && same_dir(def, path)) {
            return true;
        }
        if !decls::class_named(lang) || Lang::for_path(def) != lang {
            return false;
        }
        let Some(dd) = self.decls.get(def) else {
            return false;
        };
        if lang == Lang::Kotlin && dd.namespace.is_some() && dd.namespace == mine.namespace {
            return true;
        }
        let q = dd
            .namespace
            .as_deref()
            .is_some_and(|ns| uses_word(bytes, decls::last_segment(ns)));
        dd.types.iter().any(|t| uses_word(bytes, t))
            && decls::visible(lang, mine, dd, same_dir(path, def), q)
    }

    /// What the project tells the analysis of the file at `path` (with contents `bytes`): the
    /// legacy base names it uses (not those it binds itself, `own`), the bare-host constants
    /// and wrappers of other files that it uses and is linked to — a distinctive name when the
    /// file uses it, a generic one (`get`, `request`, `HOST`) only when the file imports the
    /// defining file (or uses its class; in Go, is in its package) — and the calls of other
    /// files that pass a legacy base to a function this file may define.
    pub fn hints_for(
        &self,
        path: &Path,
        bytes: &[u8],
        own: &HashSet<&String>,
        index: &ImportIndex,
    ) -> Hints {
        let mut h = Hints::default();
        let m = self
            .matchers
            .get_or_init(|| Matchers::new(&self.names, &self.setting_words));
        // Settings keys matter where a key's last segment is read.
        if m.uses_setting(bytes) {
            h.settings = self.settings.clone();
        }
        h.names = m.used_names(bytes, own);
        let lang = Lang::for_path(path);
        let mine = decls::decls_of(lang, &String::from_utf8_lossy(bytes));
        let mut imported: Option<HashSet<PathBuf>> = None;
        let mut imports = || -> HashSet<PathBuf> {
            imported
                .get_or_insert_with(|| {
                    let text = String::from_utf8_lossy(bytes);
                    imports_of(lang, &text)
                        .iter()
                        .flat_map(|spec| index.resolve(path, spec))
                        .collect()
                })
                .clone()
        };
        for ((def, name), w) in &self.wrappers {
            if def == path || h.wrappers.contains_key(name) || !uses_word(bytes, name) {
                continue;
            }
            let linked = w.trusted
                || !crate::rules::generic_name(name)
                || self.sees(path, &mine, def, &imports(), bytes);
            if linked {
                h.wrappers.insert(name.clone(), w.clone());
            }
        }
        for ((def, name), value) in &self.hosts {
            if def == path || h.hosts.contains_key(name) || !uses_word(bytes, name) {
                continue;
            }
            if distinctive(name) || self.sees(path, &mine, def, &imports(), bytes) {
                h.hosts.insert(name.clone(), value.clone());
            }
        }
        for (def, name) in &self.others {
            if def == path
                || self.names.contains(name)
                || h.other_names.contains(name)
                || !uses_word(bytes, name)
            {
                continue;
            }
            if self.sees(path, &mine, def, &imports(), bytes) {
                h.other_names.insert(name.clone());
            }
        }
        for (caller, args) in &self.base_args {
            if caller == path {
                continue;
            }
            let Some(targets) = self.caller_imports.get(caller) else {
                continue;
            };
            for a in args {
                if h.base_args.contains(a) || !uses_word(bytes, &a.callee) {
                    continue;
                }
                // The caller imports this file, or names a distinctive function, or shares
                // its Go package, or constructs a class this file declares.
                let linked = targets.contains(path)
                    || (!crate::rules::generic_name(&a.callee) && a.callee.len() >= 4)
                    || (lang == Lang::Go && same_dir(caller, path))
                    || (a.ctor && mine.types.contains(&a.callee));
                if linked {
                    h.base_args.push(a.clone());
                }
            }
        }
        h
    }

    /// Records what a file of `path` with `facts` tells (`index` resolves its imports). `first`:
    /// the facts are the first pass's (the settings alone were known).
    fn learn(&mut self, path: &Path, facts: &FileFacts, index: &ImportIndex, first: bool) {
        let before = self.size();
        for w in &facts.wrappers {
            if w.base || w.host || w.verb.is_some() {
                let key = (path.to_path_buf(), w.name.clone());
                if self.wrappers.get(&key) != Some(w) {
                    self.wrappers.insert(key, w.clone());
                    self.generation += 1;
                }
            }
        }
        for n in &facts.other_names {
            self.others.insert((path.to_path_buf(), n.clone()));
        }
        for (n, v) in &facts.hosts {
            self.hosts
                .insert((path.to_path_buf(), n.clone()), v.clone());
        }
        if decls::class_named(Lang::for_path(path)) {
            self.decls.insert(path.to_path_buf(), facts.decls.clone());
        }
        if !facts.base_args.is_empty() {
            let entry = self.base_args.entry(path.to_path_buf()).or_default();
            for a in &facts.base_args {
                if !entry.contains(a) {
                    entry.push(a.clone());
                }
            }
            let targets: HashSet<PathBuf> = facts
                .imports
                .iter()
                .flat_map(|spec| index.resolve(path, spec))
                .collect();
            self.caller_imports.insert(path.to_path_buf(), targets);
        }
        // A file of a later round that is legacy only through a project name it happens to use
        // (`self.base_url` in a vendored HTTP client) links nothing further: only one bound to
        // a legacy file (it imports one, or uses its type) or with a base of its own does.
        if facts.legacy
            && (first || facts.legacy_version.is_some() || self.linked(path, facts, index))
        {
            self.learn_legacy(path, facts, index, first);
        }
        if self.size() != before {
            self.generation += 1;
            self.matchers = std::sync::OnceLock::new();
        }
    }

    /// What a legacy file adds: its names, settings, imports and types. Names a later round
    /// bound only through what the project told it (another name, a settings key) are this
    /// file's: another file's `baseUrl` injected from another key is another thing.
    fn learn_legacy(&mut self, path: &Path, facts: &FileFacts, index: &ImportIndex, first: bool) {
        self.legacy = true;
        if self.version.is_none() {
            self.version = facts.legacy_version.clone();
        }
        let alias: HashSet<&String> = facts.alias_names.iter().collect();
        self.names.extend(
            facts
                .base_names
                .iter()
                .filter(|n| n.len() >= 3 && (first || !alias.contains(n)))
                .cloned(),
        );
        self.legacy_files.insert(path.to_path_buf());
        self.settings.extend(facts.settings.iter().cloned());
        self.setting_words
            .extend(facts.setting_words.iter().filter(|w| w.len() >= 3).cloned());
        for spec in &facts.imports {
            self.imported_by_legacy.extend(index.resolve(path, spec));
        }
        if decls::class_named(Lang::for_path(path)) {
            self.legacy_idents
                .insert(path.to_path_buf(), facts.idents.clone());
            for t in &facts.decls.types {
                let defs = self.legacy_types.entry(t.clone()).or_default();
                if !defs.iter().any(|d| d == path) {
                    defs.push(path.to_path_buf());
                }
            }
        }
    }

    /// How much the project knows (to tell whether learning added anything).
    fn size(&self) -> (usize, usize, usize, usize, usize, usize, usize, usize) {
        (
            self.names.len(),
            self.legacy_files.len(),
            self.imported_by_legacy.len(),
            self.settings.len() + self.setting_words.len(),
            self.hosts.len() + self.others.len(),
            self.base_args.values().map(Vec::len).sum(),
            self.legacy_types.len(),
            usize::from(self.legacy) + usize::from(self.version.is_some()),
        )
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
        own: &HashSet<&String>,
        index: &ImportIndex,
    ) -> Hints {
        let mut h = proj.hints_for(path, bytes, own, index);
        h.names.extend(self.config.names.iter().cloned());
        h.settings.extend(self.config.settings.iter().cloned());
        for (k, w) in &self.config.wrappers {
            h.wrappers.entry(k.clone()).or_insert_with(|| w.clone());
        }
        h
    }

    /// What the settings alone tell a file (the hints of the first pass).
    pub fn config_hints(&self) -> &Hints {
        &self.config
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

    /// Records what an analysed file tells about its project (`index` resolves the imports of
    /// its legacy files; `first`: facts of the first pass).
    pub fn learn(&mut self, path: &Path, facts: &FileFacts, index: &ImportIndex, first: bool) {
        let key = self.project_of(path);
        self.map
            .entry(key)
            .or_default()
            .learn(path, facts, index, first);
    }

    /// The sum of the projects' generations: changes whenever any project learns something.
    pub fn generation(&self) -> u64 {
        self.map.values().map(Project::generation).sum()
    }

    /// The project of a file, when any of its files was analysed.
    pub fn of(&self, path: &Path) -> Option<&Project> {
        self.map.get(&self.project_of(path))
    }

    /// Files of active projects (a legacy base, or a bare-host constant) to look at again with
    /// what the project knows. Returns (file index, its project).
    pub fn to_revisit<'a>(&'a self, files: &[FileEntry]) -> Vec<(usize, &'a Project)> {
        if !self.map.values().any(Project::active) {
            return Vec::new();
        }
        files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let proj = self.map.get(&self.project_of(&f.path))?;
                (proj.active() && proj.worth_reading(&f.path)).then_some((i, proj))
            })
            .collect()
    }
}

/// Does `bytes` use `name` as a whole word?
pub fn uses_word(bytes: &[u8], name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    memchr::memmem::find_iter(bytes, name.as_bytes()).any(|s| word_at(bytes, s, s + name.len()))
}

fn word_at(b: &[u8], s: usize, e: usize) -> bool {
    let is_w = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    (s == 0 || !is_w(b[s - 1])) && (e >= b.len() || !is_w(b[e]))
}
