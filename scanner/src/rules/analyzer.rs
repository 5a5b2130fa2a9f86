//! The analyzer of one file's token stream: its brackets (mates and parents), the names bound to
//! the legacy base URL, and the candidates the rules push.

use std::collections::{HashMap, HashSet};

use crate::model::{Cand, FileFacts, Hints, Kind, Need, RouteReq, Wrapper};
use crate::tokens::{Tk, Tok};

pub(super) const NONE: usize = usize::MAX;
/// How far (in tokens) a group's members are looked at around a position.
pub(super) const WINDOW: usize = 400;

/// Options of one analysis.
pub struct Ctx<'a> {
    /// What other files of the project (and the configuration) bind: base-URL names, wrappers.
    pub hints: &'a Hints,
    /// PHP: `.` concatenates.
    pub dot_concat: bool,
    /// Plain text: only full URLs, `-u key:` and On-Behalf-Of.
    pub plain: bool,
}

pub struct Analyzer<'a> {
    pub(super) toks: &'a [Tok],
    pub(super) funcs: &'a [String],
    /// Parameter names of each function of `funcs` (empty when unknown).
    pub(super) params: &'a [Vec<String>],
    /// Index of the matching bracket of each bracket token (NONE otherwise).
    pub(super) mate: Vec<usize>,
    /// Index of the innermost open bracket around each token (NONE at top level).
    pub(super) parent: Vec<usize>,
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) facts: FileFacts,
    /// Names bound to the legacy base URL (this file's and the project's).
    pub(super) names: HashSet<String>,
    /// Names bound to the base URL of another API (Harvest v3, the Job Board, other vendors):
    /// paths built on them are not Harvest v1/v2.
    pub(super) other_names: HashSet<String>,
    /// Function index of each basic_auth candidate (for `auth: this._auth()` uses).
    pub(super) auth_funcs: HashSet<u32>,
    /// Wrapper functions known here: this file's and the project's, by name.
    pub(super) wrappers: HashMap<String, Wrapper>,
    /// Variables and the class they are made from (`h = Harvest(key)` → `Harvest`).
    pub(super) var_types: HashMap<String, String>,
    /// `=` tokens starting a function's expression body.
    pub(super) expr_bodies: HashSet<usize>,
    /// String constants of the file (`HOST = "https://harvest.greenhouse.io"`).
    pub(super) consts: HashMap<String, String>,
    /// The constants holding the bare Harvest host.
    pub(super) host_consts: HashSet<String>,
    /// The class of each function of `funcs` ("" when none), and the function it is nested in.
    pub(super) classes: &'a [String],
    pub(super) parents: &'a [u32],
    /// Parameters that hold the legacy base inside their function (a call passes it), and
    /// those that hold the bare Harvest host, by function index.
    pub(super) scoped: HashMap<u32, HashSet<String>>,
    pub(super) scoped_hosts: HashMap<u32, HashSet<String>>,
    /// Parameters that hold another API's base inside their function.
    pub(super) scoped_other: HashMap<u32, HashSet<String>>,
}

impl<'a> Analyzer<'a> {
    pub fn new(toks: &'a [Tok], funcs: &'a [String], ctx: &'a Ctx<'a>) -> Self {
        let n = toks.len();
        let mut mate = vec![NONE; n];
        let mut parent = vec![NONE; n];
        let mut stack: Vec<usize> = Vec::new();
        for i in 0..n {
            parent[i] = stack.last().copied().unwrap_or(NONE);
            match toks[i].kind {
                Tk::Open => stack.push(i),
                Tk::Close => {
                    let want = match toks[i].text.as_str() {
                        ")" => "(",
                        "]" => "[",
                        _ => "{",
                    };
                    if let Some(pos) = stack.iter().rposition(|&o| toks[o].text == want) {
                        let o = stack[pos];
                        stack.truncate(pos);
                        mate[o] = i;
                        mate[i] = o;
                        parent[i] = stack.last().copied().unwrap_or(NONE);
                    }
                }
                _ => {}
            }
        }
        let mut names: HashSet<String> = ctx.hints.names.clone();
        names.retain(|n| !n.is_empty());
        let other_names = ctx.hints.other_names.clone();
        Analyzer {
            toks,
            funcs,
            mate,
            parent,
            ctx,
            facts: FileFacts::default(),
            names,
            other_names,
            auth_funcs: HashSet::new(),
            params: &[],
            wrappers: ctx.hints.wrappers.clone(),
            var_types: HashMap::new(),
            expr_bodies: HashSet::new(),
            consts: HashMap::new(),
            host_consts: HashSet::new(),
            classes: &[],
            parents: &[],
            scoped: HashMap::new(),
            scoped_hosts: HashMap::new(),
            scoped_other: HashMap::new(),
        }
    }

    /// The class of each function and the function each is nested in (from the lexer).
    pub fn scopes(mut self, classes: &'a [String], parents: &'a [u32]) -> Self {
        self.classes = classes;
        self.parents = parents;
        self
    }

    /// Is `id` a legacy base name at token `at`: a name of the file or the project, or a
    /// parameter bound to the base in the function around `at`?
    pub(super) fn has_name(&self, id: &str, at: usize) -> bool {
        self.names.contains(id) || self.in_scope(&self.scoped, id, at)
    }

    /// Is `id` another API's base name at token `at` (and not a legacy one there)?
    pub(super) fn other_name(&self, id: &str, at: usize) -> bool {
        (self.other_names.contains(id) || self.in_scope(&self.scoped_other, id, at))
            && !self.has_name(id, at)
    }

    /// Is `id` in `map`'s set for the function around token `at` or one it is nested in?
    pub(super) fn in_scope(
        &self,
        map: &HashMap<u32, HashSet<String>>,
        id: &str,
        at: usize,
    ) -> bool {
        if map.is_empty() {
            return false;
        }
        let Some(t) = self.toks.get(at) else {
            return false;
        };
        let mut f = t.func;
        for _ in 0..8 {
            if f == 0 {
                return false;
            }
            if map.get(&f).is_some_and(|s| s.contains(id)) {
                return true;
            }
            f = self.parents.get(f as usize).copied().unwrap_or(0);
        }
        false
    }

    /// The parameter names of the functions (from the lexer).
    pub fn params(mut self, params: &'a [Vec<String>]) -> Self {
        self.params = params;
        self
    }

    pub(super) fn cand(
        &mut self,
        i: usize,
        kind: Kind,
        need: Need,
        route: Option<RouteReq>,
        why: &str,
    ) {
        // Credentials and the acting-user header sent to another API's base (the Ingestion
        // partner API, the Job Board, a vendor) are that API's.
        if matches!(kind, Kind::BasicAuth | Kind::OnBehalfOf) && self.sent_to_other_api(i) {
            return;
        }
        // Passed to a call that is itself a Harvest v1/v2 request (a dynamic client's
        // `->postActivityFeedNotesForCandidate($body, ['On-Behalf-Of' => $id])`): as sure as it.
        let need = if matches!(kind, Kind::BasicAuth | Kind::OnBehalfOf) {
            self.enclosing_request_need(i).map_or(need, |n| n.min(need))
        } else {
            need
        };
        let t = &self.toks[i];
        let (line, col) = (t.line, t.col);
        self.push(line, col, kind, need, route, None, why);
        if kind == Kind::BasicAuth && t.func != 0 {
            self.auth_funcs.insert(t.func);
        }
    }

    /// The need of the endpoint candidate at the callee of a call around token `i`, if any.
    fn enclosing_request_need(&self, i: usize) -> Option<Need> {
        let mut g = self.parent[i];
        for _ in 0..3 {
            if g == NONE {
                return None;
            }
            if self.toks[g].text == "(" && g > 0 && self.toks[g - 1].kind == Tk::Word {
                let callee = &self.toks[g - 1];
                if let Some(c) = self.facts.cands.iter().rev().find(|c| {
                    c.kind == Kind::Endpoint && c.line == callee.line && c.col == callee.col
                }) {
                    return Some(c.need);
                }
            }
            g = self.parent[g];
        }
        None
    }

    /// Is token `i` part of a request whose URL is built on another API's base (and not on a
    /// legacy one): `requests.get(INGESTION + "/candidates", auth=(key, ""))`?
    fn sent_to_other_api(&self, i: usize) -> bool {
        if self.other_names.is_empty() {
            return false;
        }
        let mut g = self.parent[i];
        for _ in 0..4 {
            if g == NONE {
                return false;
            }
            if self.toks[g].text == "(" && g > 0 && self.toks[g - 1].kind == Tk::Word {
                let end = self.mate[g];
                if end == NONE {
                    return false;
                }
                let mut other = false;
                for (k, t) in self.toks[g + 1..end.min(g + 400)].iter().enumerate() {
                    let id = match t.kind {
                        Tk::Word => t.text.as_str(),
                        Tk::Str => match t.parts.first() {
                            Some(crate::tokens::Part::Expr(e)) => crate::words::last_ident(e),
                            _ => continue,
                        },
                        _ => continue,
                    };
                    if self.has_name(id, g + 1 + k) {
                        return false;
                    }
                    other |= self.other_names.contains(id);
                }
                if other {
                    return true;
                }
            }
            g = self.parent[g];
        }
        false
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn push(
        &mut self,
        line: u32,
        col: u32,
        kind: Kind,
        need: Need,
        route: Option<RouteReq>,
        version_at: Option<usize>,
        why: &str,
    ) {
        self.facts.cands.push(Cand {
            kind,
            line,
            col,
            need,
            route,
            version_at,
            why: why.to_string(),
        });
    }
}
