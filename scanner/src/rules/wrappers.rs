//! Summaries of wrapper functions: a function that prepends the legacy base URL to one of its
//! parameters (`def _get(path): return requests.get(BASE + path)`), sends it through the file's
//! legacy client, or issues a fixed HTTP verb on it (`create(path, body)` that POSTs) makes its
//! call sites inherit the route and the method. Summaries are computed per file (to a fixpoint:
//! wrappers of wrappers), exported to the project, and applied at call sites in this file and in
//! the files linked to it.

use std::collections::HashMap;

use super::analyzer::{Analyzer, NONE};
use crate::model::Wrapper;
use crate::tokens::{Part, Tk};
use crate::urls::harvest_urls;
use crate::words::{last_ident, words};

/// Words that make a wrapper's name generic (`get`, `request`, `postJson`): such a wrapper is
/// applied only on its own receiver (`self.get`, `client.get`), not on library clients.
const GENERIC_WORDS: [&str; 48] = [
    "get", "post", "put", "patch", "delete", "del", "head", "options", "request", "req", "fetch",
    "call", "send", "execute", "exec", "do", "perform", "make", "http", "api", "json", "async",
    "raw", "run", "invoke", "query", "create", "update", "list", "remove", "with", "to", "url",
    "path", "build", "load", "read", "write", "new", "open", "save", "set", "add", "all", "one",
    "data", "resource", "endpoint",
];

/// Parameter names that are never the path of a request.
fn not_path_param(p: &str) -> bool {
    words(p).iter().any(|w| {
        matches!(
            w.as_str(),
            "method"
                | "verb"
                | "body"
                | "data"
                | "json"
                | "payload"
                | "params"
                | "query"
                | "headers"
                | "header"
                | "options"
                | "opts"
                | "kwargs"
                | "args"
                | "timeout"
                | "callback"
                | "cb"
                | "ctx"
                | "context"
                | "content"
                | "auth"
                | "token"
                | "config"
                | "form"
                | "files"
        )
    })
}

/// Parameter names that say they are a path or URL.
fn path_like_param(p: &str) -> bool {
    words(p).iter().any(|w| {
        matches!(
            w.as_str(),
            "path" | "url" | "uri" | "endpoint" | "route" | "resource" | "href" | "link"
        )
    })
}

/// Is a wrapper's name generic: made only of words like `get`, `request`, `json`?
pub fn generic_name(name: &str) -> bool {
    words(name)
        .iter()
        .all(|w| GENERIC_WORDS.contains(&w.as_str()))
}

/// Last receiver words of library HTTP clients: `requests.get(...)` is not a wrapper `get`.
const LIBRARY_CLIENTS: [&str; 30] = [
    "requests",
    "axios",
    "http",
    "https",
    "httpx",
    "session",
    "got",
    "ky",
    "superagent",
    "faraday",
    "httparty",
    "urllib",
    "urllib2",
    "urllib3",
    "net",
    "restclient",
    "guzzle",
    "curl",
    "resty",
    "reqwest",
    "okhttp",
    "httpclient",
    "webclient",
    "resttemplate",
    "unirest",
    "needle",
    "fetch",
    "aiohttp",
    "ureq",
    "hyper",
];

/// Is this (lower-case) receiver a library HTTP client (`requests`, `axios`, `http`)?
pub(super) fn library_client(recv: &str) -> bool {
    LIBRARY_CLIENTS.contains(&recv)
}

/// Callees that compose a URL from their arguments (the result carries the base on).
fn composes(chain: &[String]) -> bool {
    chain.last().is_some_and(|w| {
        let lw = w.to_ascii_lowercase();
        matches!(
            lw.as_str(),
            "format"
                | "sprintf"
                | "printf"
                | "urljoin"
                | "join"
                | "join_url"
                | "joinpath"
                | "uri"
                | "url"
                | "create"
                | "parse"
                | "combine"
                | "resolve"
                | "concat"
                | "build"
                | "encodeuri"
                | "str"
                | "string"
                | "to_string"
                | "tostring"
        ) || (chain.len() >= 2
            && matches!(
                chain[chain.len() - 2].to_ascii_lowercase().as_str(),
                "uri" | "url"
            ))
    })
}

/// Callees that send a request whatever their name says (`http.NewRequest`, `session.request`,
/// `fetch`, `urlopen`, `client.send`).
fn sends(chain: &[String]) -> bool {
    chain.iter().any(|w| {
        words(w).iter().any(|x| {
            matches!(
                x.as_str(),
                "request" | "fetch" | "urlopen" | "send" | "exchange" | "execute" | "do" | "ajax"
            )
        })
    })
}

impl Analyzer<'_> {
    /// Summarises this file's functions; run once the base names are bound.
    pub(super) fn wrapper_rule(&mut self) {
        if self.ctx.plain || self.params.len() <= 1 {
            return;
        }
        self.collect_var_types();
        let mut by_func: Vec<Vec<usize>> = vec![Vec::new(); self.funcs.len()];
        for (i, t) in self.toks.iter().enumerate() {
            if let Some(v) = by_func.get_mut(t.func as usize) {
                v.push(i);
            }
        }
        self.mark_expr_bodies(&by_func);
        // The file's HTTP client is the legacy one: it has a legacy base and no other API's.
        let client_legacy =
            self.facts.legacy && self.facts.legacy_version.is_some() && self.other_names.is_empty();
        let mut defs: HashMap<&str, usize> = HashMap::new();
        for f in self.funcs.iter().skip(1) {
            *defs.entry(f.as_str()).or_default() += 1;
        }
        let mut own: HashMap<String, Wrapper> = HashMap::new();
        for _round in 0..3 {
            let mut changed = false;
            for (f, toks_f) in by_func.iter().enumerate().skip(1) {
                let name = &self.funcs[f];
                // Two functions of one name (methods of two classes): which one a call means is
                // not known here.
                if name.is_empty() || defs.get(name.as_str()).is_some_and(|&n| n > 1) {
                    continue;
                }
                let Some(w) = self.summarize_function(f, toks_f, client_legacy) else {
                    continue;
                };
                if own.get(name) != Some(&w) {
                    own.insert(name.clone(), w.clone());
                    self.wrappers.insert(name.clone(), w);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut list: Vec<Wrapper> = own.into_values().collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        self.facts.wrappers = list;
    }

    /// The summary of function `f` (tokens `toks_f`): its first path parameter that reaches a
    /// request (path-like names first; never a method, body, options or context parameter).
    fn summarize_function(
        &self,
        f: usize,
        toks_f: &[usize],
        client_legacy: bool,
    ) -> Option<Wrapper> {
        let params = self.params.get(f)?;
        let mut order: Vec<(usize, &String)> = params
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.is_empty() && !not_path_param(p))
            .collect();
        order.sort_by_key(|(k, p)| (!path_like_param(p), *k));
        let body = self.body_of(f, toks_f);
        for (k, p) in order {
            let summary = self.summarize_param(body, p, client_legacy);
            // Prepends another API's base (v3, the Job Board): its call sites are not Harvest
            // v1/v2.
            let based = summary.is_some_and(|(b, _)| b);
            let others = !self.other_names.is_empty() || !self.scoped_other.is_empty();
            let other = !based
                && others
                && self.prefixed(body, p, &|e, j| self.other_name(last_ident(e), j));
            // Prepends the bare host (`settings.ROOT + path`): a versioned path passed to it is
            // a legacy request.
            let host = !based
                && !other
                && !self.no_hosts()
                && self.prefixed(body, p, &|e, j| self.is_host(e, j));
            let Some((base, verb)) = summary.or((other || host).then_some((false, None))) else {
                continue;
            };
            return Some(Wrapper {
                name: self.funcs[f].clone(),
                class: self.classes.get(f).cloned().unwrap_or_default(),
                param: k,
                param_name: p.trim_start_matches('$').to_string(),
                base,
                other,
                host,
                verb,
                version: if base {
                    self.facts.legacy_version.clone()
                } else {
                    None
                },
                trusted: false,
            });
        }
        None
    }

    /// What function body `body` (token indices) does with parameter `p`: Some((reaches a
    /// legacy base, fixed verb)) when the parameter is the path of a request (directly or through
    /// local variables), None otherwise.
    fn summarize_param(
        &self,
        body: &[usize],
        p: &str,
        client_legacy: bool,
    ) -> Option<(bool, Option<&'static str>)> {
        // Variables holding the path (the parameter, then what is built from it), with whether
        // the legacy base was prepended on the way.
        let mut aliases: Vec<(String, bool)> = vec![(p.to_string(), false)];
        let mut result: Option<(bool, Option<&'static str>)> = None;
        for _pass in 0..2 {
            for &j in body {
                let Some(occ_base) = self.path_occurrence(j, &aliases) else {
                    continue;
                };
                let (start, end) = self.expr_bounds(j);
                let Some(sink) = self.sink_of(start, end, occ_base, client_legacy, 0) else {
                    continue;
                };
                match sink {
                    Sink::Alias(x, b) => {
                        if !aliases.iter().any(|(a, _)| *a == x) && aliases.len() < 8 {
                            aliases.push((x, b));
                        }
                    }
                    Sink::Request(b, v) => {
                        let prev = result.unwrap_or((false, None));
                        result = Some((prev.0 || b, prev.1.or(v)));
                    }
                }
            }
            if result.is_some() {
                break;
            }
        }
        result.filter(|(b, v)| *b || v.is_some())
    }

    /// Is parameter `p` put after an expression `what` says yes to (at its token) in `body`:
    /// another API's base (`V3 + path`, `f"{BOARDS}{path}"`), the bare host (`ROOT + path`)?
    fn prefixed(&self, body: &[usize], p: &str, what: &dyn Fn(&str, usize) -> bool) -> bool {
        body.iter().any(|&j| {
            let other = |e: &str| what(e, j);
            let t = &self.toks[j];
            match t.kind {
                Tk::Word if t.text == p => {
                    j >= 2 && self.is_concat(j - 1) && {
                        let s = self.operand_left(j - 2);
                        s <= j - 2 && other(&self.text_range(s, j - 1))
                    }
                }
                Tk::Str => {
                    let parts = expand_braces(&t.parts);
                    let at = parts
                        .iter()
                        .position(|pt| matches!(pt, Part::Expr(e) if last_ident(e) == p));
                    at.is_some_and(|a| {
                        parts[..a]
                            .iter()
                            .any(|pt| matches!(pt, Part::Expr(e) if other(e)))
                    })
                }
                _ => false,
            }
        })
    }

    /// Is token `j` a use of one of `aliases` at the start of a path (alone, after the base, or
    /// first in a template)? Some(whether a legacy base is prepended there or on the alias).
    fn path_occurrence(&self, j: usize, aliases: &[(String, bool)]) -> Option<bool> {
        let t = &self.toks[j];
        match t.kind {
            Tk::Word => {
                let (_, ab) = aliases.iter().find(|(a, _)| *a == t.text)?;
                // `obj.path` is another thing than the parameter `path` (but `self.path` is not).
                if j >= 2
                    && matches!(self.toks[j - 1].text.as_str(), "." | "->")
                    && !matches!(
                        self.toks[j - 2].text.as_str(),
                        "self" | "this" | "$this" | "@"
                    )
                {
                    return None;
                }
                let left = self.left_chain_base(j)?;
                Some(left || *ab)
            }
            Tk::Str => {
                let parts = expand_braces(&t.parts);
                let idx = parts.iter().position(|pt| {
                    matches!(pt, Part::Expr(e) if aliases.iter().any(|(a, _)| a == e.trim() || a == last_ident(e)))
                })?;
                let Part::Expr(e) = &parts[idx] else {
                    return None;
                };
                let ab = aliases
                    .iter()
                    .find(|(a, _)| a == e.trim() || a == last_ident(e))
                    .is_some_and(|(_, b)| *b);
                let mut base = false;
                for pt in &parts[..idx] {
                    match pt {
                        Part::Expr(x) if self.is_base_name(x, j) => base = true,
                        Part::Lit(l) if l == "/" => {}
                        Part::Lit(l) if legacy_base_text(l) => base = true,
                        _ => return None,
                    }
                }
                Some(base || ab)
            }
            _ => None,
        }
    }

    /// The tokens of function `f`'s body: its tokens after its parameter list (the list is the
    /// first group after the function's name; Rust bodies hold no parameter list).
    fn body_of<'b>(&self, f: usize, toks_f: &'b [usize]) -> &'b [usize] {
        let Some(&first) = toks_f.first() else {
            return toks_f;
        };
        if self.toks[first].text == "{" {
            return toks_f;
        }
        let name = &self.funcs[f];
        let head = &toks_f[..toks_f.len().min(12)];
        let from = head
            .iter()
            .position(|&j| self.toks[j].kind == Tk::Word && self.toks[j].text == *name)
            .unwrap_or(0);
        let open = head[from..]
            .iter()
            .take(6)
            .find(|&&j| self.toks[j].kind == Tk::Open && self.toks[j].text == "(");
        match open {
            Some(&g) if self.mate[g] != NONE => {
                let close = self.mate[g];
                let at = toks_f.partition_point(|&j| j <= close);
                &toks_f[at..]
            }
            _ => toks_f,
        }
    }

    /// For a word at `j`: what is concatenated before it. Some(true) when the legacy base is
    /// (`BASE + path`, `base + "/" + path`), Some(false) when nothing is, None when something
    /// else is (`"/candidates/" + id`: not the start of a path).
    fn left_chain_base(&self, j: usize) -> Option<bool> {
        let mut base = false;
        let mut k = j;
        while k >= 2 && self.is_concat(k - 1) && self.toks[k - 1].text != "+=" {
            let start = self.operand_left(k - 2);
            if start > k - 2 {
                break;
            }
            let t = &self.toks[start];
            let text = self.text_range(start, k - 1);
            if self.is_base_name(&text, start) {
                base = true;
            } else if t.kind == Tk::Str && (t.lit() == "/" || legacy_base_text(&t.lit())) {
                base |= t.lit() != "/";
            } else {
                return None;
            }
            k = start;
        }
        Some(base)
    }

    /// The expression (a concatenation chain) around token `j`: [start, end).
    fn expr_bounds(&self, j: usize) -> (usize, usize) {
        let mut start = self.operand_left(j).min(j);
        while start >= 2 && self.is_concat(start - 1) {
            let s = self.operand_left(start - 2);
            if s > start - 2 {
                break;
            }
            start = s;
        }
        let mut end = self.operand_right(j).max(j + 1);
        let mut count = 0;
        while self.is_concat(end) && count < 12 {
            let e = self.operand_right(end + 1);
            if e <= end + 1 {
                break;
            }
            end = e;
            count += 1;
        }
        (start, end)
    }

    /// Where the path expression [start, end) goes: into a variable, or into a request.
    fn sink_of(
        &self,
        start: usize,
        end: usize,
        base: bool,
        client_legacy: bool,
        depth: u32,
    ) -> Option<Sink> {
        if depth > 3 || start == 0 {
            return None;
        }
        let g = self.parent[start];
        let before = &self.toks[start - 1];
        // Inside a call's argument list (also as a keyword argument or an options-object value).
        let call = if g != NONE && self.toks[g].text == "(" && !self.callee(g).is_empty() {
            Some(g)
        } else if g != NONE
            && matches!(self.toks[g].text.as_str(), "{" | "[")
            && self.is_assign(start - 1)
        {
            let key = self
                .key_before(start)
                .unwrap_or_default()
                .to_ascii_lowercase();
            let outer = self.parent[g];
            (crate::routes::is_path_key(&key)
                && outer != NONE
                && self.toks[outer].text == "("
                && !self.callee(outer).is_empty())
            .then_some(outer)
        } else {
            None
        };
        if let Some(g) = call {
            return self.call_sink(g, start, base, client_legacy, depth);
        }
        // Returned: an arrow or expression body (`(path) => BASE + path`, Kotlin
        // `fun url(path: String) = root + path`), a tail expression (`{ format!(...) }`).
        let tail = before.text == "{" && self.mate[start - 1] == end;
        if before.punct("=>") || self.expr_bodies.contains(&(start - 1)) || tail {
            return base.then_some(Sink::Request(true, None));
        }
        if before.kind == Tk::Punct && matches!(before.text.as_str(), "=" | ":=") {
            let x = self.key_before(start)?;
            let x = last_ident(&x).to_string();
            return (!x.is_empty()).then_some(Sink::Alias(x, base));
        }
        if before.kind == Tk::Word && before.text == "return" {
            // Returns the URL built on the base: `def url_for(path): return BASE + path`.
            return base.then_some(Sink::Request(true, None));
        }
        None
    }

    /// The path is an argument of the call opening at `g`.
    fn call_sink(
        &self,
        g: usize,
        at: usize,
        base: bool,
        client_legacy: bool,
        depth: u32,
    ) -> Option<Sink> {
        let chain = self.callee(g);
        if let Some(w) = self.wrapper_of_call(g) {
            let verb = self
                .members_verb(g, at)
                .or(w.verb)
                .or_else(|| self.verb_after(self.mate[g]));
            return Some(Sink::Request(base || w.base, verb));
        }
        if self.http_verb_call(g) {
            return Some(Sink::Request(
                base || client_legacy,
                Self::chain_verb(&chain),
            ));
        }
        if composes(&chain) {
            // A builder's verb later in the statement (`.url(BASE + path).post(body)`).
            if let Some(v) = self.verb_after(self.mate[g]) {
                return Some(Sink::Request(base || client_legacy, Some(v)));
            }
            // The call builds the URL: follow the call expression itself.
            let base = base
                || self.members(g, at).iter().any(|&m| {
                    let t = &self.toks[m];
                    (t.kind == Tk::Word && self.has_name(&t.text, m))
                        || (t.kind == Tk::Str && legacy_base_text(&t.lit()))
                });
            let cs = self.operand_left(g.saturating_sub(1));
            let ce = self.mate[g].saturating_add(1);
            if self.mate[g] == NONE || cs == 0 {
                return None;
            }
            let (s, e) = self.expr_bounds(cs);
            return self.sink_of(s.min(cs), e.max(ce), base, client_legacy, depth + 1);
        }
        let verb = self.members_verb(g, at).or_else(|| self.chained_verb(at));
        if verb.is_some() || sends(&chain) {
            return Some(Sink::Request(base || client_legacy, verb));
        }
        None
    }

    /// A verb called on the result of the call closing at `close`: `build(path).put(body)`,
    /// `.url(u).header(..).post(body)`.
    fn verb_after(&self, close: usize) -> Option<&'static str> {
        if close == NONE {
            return None;
        }
        let mut j = close + 1;
        for _ in 0..8 {
            let dot = self.tok(j)?;
            let w = self.tok(j + 1)?;
            let open = self.tok(j + 2)?;
            if !matches!(dot.text.as_str(), "." | "?.") || w.kind != Tk::Word || open.text != "(" {
                return None;
            }
            if let Some(v) = crate::routes::verb(&w.text) {
                return Some(v);
            }
            if w.text == "method"
                && let Some(a) = self.tok(j + 3)
                && a.kind == Tk::Str
            {
                return crate::routes::verb(a.lit().trim());
            }
            j = self.mate[j + 2].checked_add(1)?;
        }
        None
    }

    /// `=` tokens that start a function's expression body (`fun f(p: String) = ...`).
    fn mark_expr_bodies(&mut self, by_func: &[Vec<usize>]) {
        for (f, toks_f) in by_func.iter().enumerate().skip(1) {
            let body = self.body_of(f, toks_f);
            let Some(&first) = body.first() else { continue };
            if first == toks_f.first().copied().unwrap_or(first) {
                continue;
            }
            for &j in body.iter().take(8) {
                let t = &self.toks[j];
                if t.text == "{" {
                    break;
                }
                if t.punct("=") {
                    self.expr_bodies.insert(j);
                    break;
                }
            }
        }
    }

    /// The wrapper a call opening at `g` calls, if any: its callee's last word names a known
    /// wrapper, on a receiver that can be it (not a library client: `requests.get` is not the
    /// file's `get`; a generic name only on its own or a client-like receiver).
    pub(super) fn wrapper_of_call(&self, g: usize) -> Option<&Wrapper> {
        let chain = self.callee(g);
        let name = chain.last()?;
        let w = self.wrappers.get(name)?;
        // A receiver is joined to the name by `.`/`::`/`->` (`return get(…)` has none).
        let has_recv = g >= 2
            && self.toks[g - 1].kind == Tk::Word
            && matches!(self.toks[g - 2].text.as_str(), "." | "::" | "->" | "?.");
        if chain.len() == 1 || w.trusted || (!has_recv && self.toks[g - 1].text == *name) {
            return Some(w);
        }
        let recv = chain[chain.len() - 2].to_ascii_lowercase();
        let recv = recv.trim_start_matches(['$', '@', '_']);
        if LIBRARY_CLIENTS.contains(&recv) {
            return None;
        }
        let rw = words(recv);
        if rw
            .iter()
            .any(|x| x.starts_with("board") || x == "lever" || x == "v3")
        {
            return None;
        }
        // A distinctive name is the wrapper on any receiver; a generic one (`get`, `create`)
        // only on its own object, a client-like receiver, or a variable made by a client class
        // (`h = Harvest(key)`, `api: GreenhouseApi`): `ids.get("jobs")` on a Map is not it.
        let own = matches!(
            recv,
            "self" | "this" | "" | "cls" | "static" | "class" | "parent"
        );
        // A receiver declared as the wrapper's own class (`Gateway _gateway`), or as a client.
        let typed = self
            .var_types
            .get(chain[chain.len() - 2].as_str())
            .is_some_and(|t| {
                super::paths::is_http_client_word(t)
                    || (!w.class.is_empty() && t.rsplit('_').next() == Some(w.class.as_str()))
            });
        (!generic_name(name) || own || typed || super::paths::is_http_client_word(recv))
            .then_some(w)
    }

    /// A type written at `k`: words joined by `.`/`::`, the last capitalised
    /// (`harvest.Client`, `GreenhouseApi`).
    fn type_chain(&self, k: usize) -> Option<String> {
        let mut chain = Vec::new();
        let mut j = k;
        while let Some(w) = self.tok(j) {
            if w.kind == Tk::Word {
                chain.push(w.text.as_str());
                if !self
                    .tok(j + 1)
                    .is_some_and(|d| matches!(d.text.as_str(), "." | "::"))
                {
                    break;
                }
                j += 2;
            } else {
                break;
            }
            if chain.len() > 4 {
                return None;
            }
        }
        let last = chain.last()?;
        last.chars()
            .next()
            .is_some_and(char::is_uppercase)
            .then(|| chain.join("_"))
    }

    /// Variables and the class they are made from or declared as: `h = new Harvest(key)`,
    /// `hc = HarvestClient(key)`, `c := greenhouse.NewClient(k)`, `api: GreenhouseApi`,
    /// `GreenhouseApi api`, `h = Harvest::Client.new(key)`.
    pub(super) fn collect_var_types(&mut self) {
        let n = self.toks.len();
        for i in 0..n.saturating_sub(2) {
            let t = &self.toks[i];
            if t.kind != Tk::Word {
                continue;
            }
            let next = &self.toks[i + 1];
            let upper = |w: &str| {
                w.trim_start_matches(['$', '@'])
                    .chars()
                    .next()
                    .is_some_and(char::is_uppercase)
            };
            if next.kind == Tk::Punct && matches!(next.text.as_str(), "=" | ":=") {
                let mut k = i + 2;
                while self
                    .tok(k)
                    .is_some_and(|w| matches!(w.text.as_str(), "new" | "await" | "&"))
                {
                    k += 1;
                }
                let mut chain = Vec::new();
                while let Some(w) = self.tok(k) {
                    if w.kind == Tk::Word {
                        chain.push(w.text.clone());
                    } else if !matches!(w.text.as_str(), "." | "::" | "\\") {
                        break;
                    }
                    k += 1;
                }
                let opens = self
                    .tok(k)
                    .is_some_and(|w| w.kind == Tk::Open && w.text != "[");
                if opens && chain.iter().any(|c| upper(c)) {
                    self.var_types.insert(t.text.clone(), chain.join("_"));
                }
            } else if (next.punct(":") || next.punct("*") || next.kind == Tk::Word)
                && let Some(ty) = self.type_chain(if next.kind == Tk::Word { i + 1 } else { i + 2 })
            {
                // `api: GreenhouseApi`, Go `c *harvest.Client`, `c harvest.Client`.
                self.var_types.insert(t.text.clone(), ty);
            } else if upper(&t.text)
                && next.kind == Tk::Word
                && !upper(&next.text)
                && self
                    .tok(i + 2)
                    .is_some_and(|w| matches!(w.text.as_str(), "=" | "," | ")" | ";"))
            {
                self.var_types.insert(next.text.clone(), t.text.clone());
            }
        }
    }

    /// The method of a request whose URL or path is the string at `i`: a wrapper's (unless a
    /// verb is passed to it explicitly), else the call site's.
    pub(super) fn call_method(&self, i: usize) -> Option<&'static str> {
        match self.wrapper_arg(i) {
            Some(w) => {
                let g = self.parent[self.operand_left(i).min(i)];
                self.members_verb(g, i)
                    .or(w.verb)
                    .or_else(|| self.method_at(i, true))
            }
            None => self.method_at(i, true),
        }
    }

    /// The wrapper and its path argument for a string at `i`: `i` starts argument `param` of a
    /// call of a known wrapper (or is its keyword argument).
    pub(super) fn wrapper_arg(&self, i: usize) -> Option<&Wrapper> {
        if self.wrappers.is_empty() {
            return None;
        }
        let mut start = self.operand_left(i).min(i);
        let mut g = self.parent[start];
        // A path formatted in place: `c.Fetch(fmt.Sprintf("/scorecards/%d", id))`.
        for _ in 0..2 {
            if g == NONE || self.toks[g].text != "(" || g == 0 || !composes(&self.callee(g)) {
                break;
            }
            let first = self.members(g, start).first().copied();
            if first != Some(start) {
                break;
            }
            start = self.operand_left(g - 1).min(g - 1);
            g = self.parent[start];
        }
        if g == NONE || self.toks[g].text != "(" {
            return None;
        }
        let w = self.wrapper_of_call(g)?;
        if start >= 2 && self.is_assign(start - 1) && self.toks[start - 2].kind == Tk::Word {
            let key = self.toks[start - 2].text.trim_start_matches('$');
            return (key == w.param_name).then_some(w);
        }
        let mut idx = 0;
        for m in self.members(g, start) {
            if m >= start {
                break;
            }
            if self.toks[m].punct(",") {
                idx += 1;
            }
        }
        (idx == w.param).then_some(w)
    }
}

/// Where a path goes inside a function body.
enum Sink {
    /// Into a local variable (with whether the base is on it now).
    Alias(String, bool),
    /// Into a request (or returned as a URL): (base reached, fixed verb).
    Request(bool, Option<&'static str>),
}

/// Is this literal text a Harvest v1/v2 base URL (`https://harvest.greenhouse.io/v1/`)?
fn legacy_base_text(l: &str) -> bool {
    harvest_urls(l)
        .iter()
        .any(|u| u.version.is_some() && u.rest.is_empty())
}

/// String parts with `{name}` placeholders inside literal text made into expressions (Rust
/// `format!("{base}{path}")`, Python `"{base}{path}".format(...)`).
pub(super) fn expand_braces(parts: &[Part]) -> Vec<Part> {
    let mut out = Vec::new();
    for p in parts {
        let Part::Lit(l) = p else {
            out.push(p.clone());
            continue;
        };
        let mut rest = l.as_str();
        while let Some(o) = rest.find('{') {
            let Some(c) = rest[o..].find('}') else { break };
            let name = &rest[o + 1..o + c];
            if name.is_empty()
                || !name
                    .chars()
                    .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '.')
            {
                out.push(Part::Lit(rest[..o + c + 1].to_string()));
                rest = &rest[o + c + 1..];
                continue;
            }
            if o > 0 {
                out.push(Part::Lit(rest[..o].to_string()));
            }
            out.push(Part::Expr(name.to_string()));
            rest = &rest[o + c + 1..];
        }
        if !rest.is_empty() {
            out.push(Part::Lit(rest.to_string()));
        }
    }
    crate::tokens::merge(out)
}
