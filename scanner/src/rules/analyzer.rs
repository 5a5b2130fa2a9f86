//! The analyzer of one file's token stream: its brackets (mates and parents), the names bound to
//! the legacy base URL, and the candidates the rules push.

use std::collections::HashSet;

use crate::model::{Cand, FileFacts, Kind, Need, RouteReq};
use crate::tokens::{Tk, Tok};

pub(super) const NONE: usize = usize::MAX;
/// How far (in tokens) a group's members are looked at around a position.
pub(super) const WINDOW: usize = 400;

/// Options of one analysis.
pub struct Ctx<'a> {
    /// Base-URL names other files of the project bind to the Harvest v1/v2 base URL.
    pub hints: &'a HashSet<String>,
    /// PHP: `.` concatenates.
    pub dot_concat: bool,
    /// Plain text: only full URLs, `-u key:` and On-Behalf-Of.
    pub plain: bool,
}

pub struct Analyzer<'a> {
    pub(super) toks: &'a [Tok],
    pub(super) funcs: &'a [String],
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
        let mut names: HashSet<String> = ctx.hints.clone();
        names.retain(|n| !n.is_empty());
        Analyzer {
            toks,
            funcs,
            mate,
            parent,
            ctx,
            facts: FileFacts::default(),
            names,
            other_names: HashSet::new(),
            auth_funcs: HashSet::new(),
        }
    }

    pub(super) fn cand(
        &mut self,
        i: usize,
        kind: Kind,
        need: Need,
        route: Option<RouteReq>,
        why: &str,
    ) {
        let t = &self.toks[i];
        let (line, col) = (t.line, t.col);
        self.push(line, col, kind, need, route, None, why);
        if kind == Kind::BasicAuth && t.func != 0 {
            self.auth_funcs.insert(t.func);
        }
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
