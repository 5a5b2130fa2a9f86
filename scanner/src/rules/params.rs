//! Bases passed as arguments: a call that passes the legacy base URL (a base name, a legacy base
//! literal) or the bare Harvest host to a function makes the parameter it binds a base inside
//! that function — `def list_candidates(base): return requests.get(f"{base}/candidates")` called
//! as `list_candidates(HARVEST_BASE)` — in this file, and through the project in the file that
//! defines the function (`FileFacts::base_args`, `Hints::base_args`). Constructors too:
//! `HarvestObject(name, key, self._base_url)` binds `base_url` in `HarvestObject.__init__`,
//! `new Client(BASE)` the parameter of `Client`'s constructor.

use super::analyzer::{Analyzer, NONE};
use crate::model::BaseArg;
use crate::tokens::Tk;
use crate::urls::harvest_urls;

/// Is function `name` of class `class` its constructor (`__init__`, `constructor`,
/// `initialize`, `__construct`, Rust's `new`; Java/C# constructors are named after the class)?
fn ctor_name(name: &str, class: &str) -> bool {
    matches!(
        name,
        "__init__" | "constructor" | "initialize" | "__construct" | "new"
    ) || name == class
}

/// What an argument is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Arg {
    /// The legacy base URL.
    Base,
    /// The bare Harvest host.
    Host,
    /// Another API's base.
    Other,
}

/// Words before a parameter list that make it a definition, not a call.
const DEFINES: [&str; 8] = [
    "def", "function", "fn", "func", "fun", "sub", "async", "static",
];

impl Analyzer<'_> {
    /// Finds this file's calls passing a base and binds the parameters of the functions they
    /// call (those of this file, for calls here and in linked files), to a fixpoint with the
    /// names bound through them (`self.base = base`).
    pub(super) fn base_param_rule(&mut self) {
        for _ in 0..3 {
            let args = self.calls_passing_base();
            let hinted = self.ctx.hints.base_args.clone();
            let changed = self.bind_params(&args) | self.bind_params(&hinted);
            self.facts.base_args = args;
            if !changed {
                break;
            }
            self.alias_rule();
        }
    }

    /// Binds the parameters `args` reach in this file's functions; true when one was new.
    fn bind_params(&mut self, args: &[BaseArg]) -> bool {
        if args.is_empty() || self.params.len() <= 1 {
            return false;
        }
        let mut changed = false;
        for f in 1..self.funcs.len() {
            let name = &self.funcs[f];
            let class = self.classes.get(f).map(String::as_str).unwrap_or("");
            // Two functions of one name outside a constructor: which one a call means is not
            // known here.
            let unique = self.funcs.iter().filter(|n| *n == name).count() == 1;
            for a in args {
                let hit = if a.ctor {
                    !class.is_empty() && class == a.callee && ctor_name(name, class)
                } else {
                    unique && *name == a.callee
                };
                if !hit {
                    continue;
                }
                let params = &self.params[f];
                let p = match &a.keyword {
                    Some(k) => params
                        .iter()
                        .find(|p| p.trim_start_matches('$').trim_end_matches(':') == k),
                    None => params.get(a.index),
                };
                let Some(p) = p.filter(|p| !p.is_empty()) else {
                    continue;
                };
                let map = if a.host {
                    &mut self.scoped_hosts
                } else if a.other {
                    &mut self.scoped_other
                } else {
                    &mut self.scoped
                };
                let bare = p.trim_start_matches('$').trim_end_matches(':').to_string();
                // A constructor's parameter is also the class's property where the language
                // makes it one (Kotlin and C# primary constructors, TypeScript parameter
                // properties, PHP promoted properties): the class's methods see it.
                let scope: Vec<u32> = if a.ctor {
                    (1..self.funcs.len())
                        .filter(|&g| self.classes.get(g).is_some_and(|c| c == class))
                        .map(|g| g as u32)
                        .collect()
                } else {
                    vec![f as u32]
                };
                for g in scope {
                    let set = map.entry(g).or_default();
                    changed |= set.insert(p.clone());
                    set.insert(bare.clone());
                }
            }
        }
        changed
    }

    /// The calls of this file that pass a legacy base or the bare host as an argument.
    fn calls_passing_base(&self) -> Vec<BaseArg> {
        let mut out = Vec::new();
        if self.names.is_empty()
            && self.scoped.is_empty()
            && self.host_consts.is_empty()
            && self.scoped_hosts.is_empty()
            && self.other_names.is_empty()
            && !self.facts.legacy
            && !self.facts.harvest_host
        {
            return out;
        }
        for g in 1..self.toks.len() {
            let t = &self.toks[g];
            if t.kind != Tk::Open || t.text != "(" || self.mate[g] == NONE {
                continue;
            }
            let targets = self.call_targets(g);
            if targets.is_empty() {
                continue;
            }
            let end = self.mate[g];
            let mut idx = 0;
            let mut s = g + 1;
            let mut found = Vec::new();
            for m in self.members(g, g) {
                if self.toks[m].punct(",") {
                    found.extend(self.arg_base(s, m).map(|(k, w)| (idx, k, w)));
                    idx += 1;
                    s = m + 1;
                }
            }
            found.extend(self.arg_base(s, end).map(|(k, w)| (idx, k, w)));
            for (index, keyword, what) in found {
                for (callee, ctor) in &targets {
                    let a = BaseArg {
                        callee: callee.clone(),
                        ctor: *ctor,
                        index,
                        keyword: keyword.clone(),
                        host: what == Arg::Host,
                        other: what == Arg::Other,
                    };
                    if !out.contains(&a) && out.len() < 200 {
                        out.push(a);
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// What the call opening at `g` calls: (function or class, constructor?). `new X(…)`,
    /// `X.new(…)`, `X::new(…)` construct X; a capitalised name this file does not define may be
    /// a class (`Client(…)` in Python or Kotlin) or a function (`NewClient(…)` in Go): both.
    /// Definitions and library clients (`requests.get(BASE)`) are no targets.
    fn call_targets(&self, g: usize) -> Vec<(String, bool)> {
        let chain = self.callee(g);
        let Some(name) = chain.last() else {
            return Vec::new();
        };
        if chain.iter().any(|w| DEFINES.contains(&w.as_str())) {
            return Vec::new();
        }
        // A method of an expression (`super().__init__(…)`, `make().get(…)`): its class is not
        // known; a constructor called by name (`Base.__init__(self, …)`) takes a receiver.
        let member = g >= 2
            && matches!(self.toks[g - 2].text.as_str(), "." | "->" | "::" | "?.")
            && self.toks[g - 1].kind == Tk::Word;
        if (member && chain.len() == 1)
            || (name != "new" && ctor_name(name, "") && !name.is_empty())
        {
            return Vec::new();
        }
        let start = self.operand_left(g - 1);
        if start >= 1 && self.toks[start - 1].text == "new" {
            return vec![(name.trim_start_matches('\\').to_string(), true)];
        }
        if name == "new" && chain.len() >= 2 {
            return vec![(chain[chain.len() - 2].clone(), true)];
        }
        if chain.len() >= 2 {
            let recv = chain[chain.len() - 2].to_ascii_lowercase();
            if super::wrappers::library_client(recv.trim_start_matches(['$', '@', '_'])) {
                return Vec::new();
            }
        }
        let upper = name.chars().next().is_some_and(char::is_uppercase);
        if upper && !self.funcs.iter().any(|f| f == name) {
            return vec![(name.clone(), true), (name.clone(), false)];
        }
        vec![(name.clone(), false)]
    }

    /// Is the argument [s, e) the legacy base, the bare host or another API's base: (its
    /// keyword, which). A single operand only (`BASE`, `self._base_url`,
    /// `"https://harvest.greenhouse.io/v1"`), not a URL built on it (`BASE + "/jobs"`).
    fn arg_base(&self, s: usize, e: usize) -> Option<(Option<String>, Arg)> {
        if s >= e {
            return None;
        }
        let mut v = s;
        let mut keyword = None;
        if e > s + 2
            && self.toks[s].kind == Tk::Word
            && (self.toks[s + 1].punct("=") || self.toks[s + 1].punct(":"))
        {
            keyword = Some(self.toks[s].text.trim_start_matches('$').to_string());
            v = s + 2;
        }
        if self.operand_right(v) != e {
            return None;
        }
        let t = &self.toks[v];
        match t.kind {
            Tk::Str => {
                let (parts, lead) = self.compose_resolved(v)?;
                if lead.is_some() {
                    return None;
                }
                let f = crate::words::flat(&parts);
                let us = harvest_urls(&f);
                if us.is_empty() && super::is_other_api(&f.to_ascii_lowercase()) {
                    return Some((keyword, Arg::Other));
                }
                let u = us.first().filter(|_| us.len() == 1)?;
                if u.version.is_some() && u.rest.is_empty() {
                    Some((keyword, Arg::Base))
                } else if u.bare && u.version.is_none() {
                    Some((keyword, Arg::Host))
                } else {
                    super::is_other_api(&f.to_ascii_lowercase()).then_some((keyword, Arg::Other))
                }
            }
            Tk::Word => {
                let text = self.text_range(v, e);
                let id = crate::words::last_ident(&text);
                if self.is_base_name(&text, v) {
                    Some((keyword, Arg::Base))
                } else if self.is_host(&text, v) {
                    Some((keyword, Arg::Host))
                } else {
                    self.other_name(id, v).then_some((keyword, Arg::Other))
                }
            }
            _ => None,
        }
    }
}
