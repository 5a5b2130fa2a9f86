//! Language-independent detection over a token stream (see `lex`).

use std::collections::HashSet;

use crate::lex::{Part, Tk, Tok};
use crate::model::{Cand, FileFacts, Kind, Need, RouteReq};
use crate::routes::{self, HARVEST_HOST};

const NONE: usize = usize::MAX;
const WINDOW: usize = 400;

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
    toks: &'a [Tok],
    funcs: &'a [String],
    mate: Vec<usize>,
    parent: Vec<usize>,
    ctx: &'a Ctx<'a>,
    pub facts: FileFacts,
    names: HashSet<String>,
    /// Function index of each basic_auth candidate (for `auth: this._auth()` uses).
    auth_funcs: HashSet<u32>,
}

/// Splits an identifier into lower-case words (`getCandidates` → get, candidates).
pub fn words(w: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = w.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let boundary = c.is_uppercase()
            && i > 0
            && (chars[i - 1].is_lowercase()
                || (chars[i - 1].is_uppercase()
                    && chars.get(i + 1).is_some_and(|n| n.is_lowercase())));
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn verb_of_word(w: &str) -> Option<&'static str> {
    let t = w.trim_start_matches(':');
    if let Some(v) = routes::verb(t) {
        return Some(v);
    }
    words(t).iter().find_map(|x| routes::verb(x))
}

/// The last identifier of an expression text: `this._baseUrl()` → `_baseUrl`.
pub fn last_ident(expr: &str) -> &str {
    let e = expr.trim().trim_end_matches("()").trim_end_matches('!');
    let start = e
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .map(|i| i + 1)
        .unwrap_or(0);
    e[start..].trim_start_matches('$')
}

/// A leading placeholder standing for the base URL: `$HARVEST/…`, `${base}/…`, `{BASE}/…`,
/// `#{base}/…`, `%s/…`, `{}/…`. Returns (the placeholder's name, the rest).
pub fn split_lead(f: &str) -> Option<(String, &str)> {
    let ident_end = |s: &str| {
        s.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(s.len())
    };
    let (name, rest) = if let Some(r) = f.strip_prefix('\u{0}') {
        (String::new(), r)
    } else if let Some(r) = f.strip_prefix("%s").or_else(|| f.strip_prefix("%v")) {
        (String::new(), r)
    } else if let Some(r) = f
        .strip_prefix("${")
        .or_else(|| f.strip_prefix("#{"))
        .or_else(|| f.strip_prefix('{'))
    {
        let e = r.find('}')?;
        (
            r[..e].trim_start_matches('{').trim().to_string(),
            r[e + 1..].trim_start_matches('}'),
        )
    } else if let Some(r) = f.strip_prefix('$') {
        let e = ident_end(r);
        if e == 0 {
            return None;
        }
        (r[..e].to_string(), &r[e..])
    } else {
        return None;
    };
    Some((name, rest))
}

fn flat(parts: &[Part]) -> String {
    let mut s = String::new();
    for p in parts {
        match p {
            Part::Lit(l) => s.push_str(l),
            Part::Expr(_) => s.push('\u{0}'),
        }
    }
    s
}

const BASE64_HINTS: [&str; 13] = [
    "auth",
    "userpwd",
    "credentials",
    "base64",
    "btoa",
    "b64encode",
    "buffer",
    "encode",
    "encodetostring",
    "tobase64string",
    "getencoder",
    "strict_encode",
    "basic",
];

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
            auth_funcs: HashSet::new(),
        }
    }

    fn tok(&self, i: usize) -> Option<&Tok> {
        self.toks.get(i)
    }

    fn is_assign(&self, i: usize) -> bool {
        self.tok(i).is_some_and(|t| {
            t.kind == Tk::Punct
                && matches!(
                    t.text.as_str(),
                    ":" | "=" | "=>" | ":=" | "||=" | "??=" | "?:" | "->"
                )
        })
    }

    /// The key/variable a token (or group opening at `i`) is the value of.
    fn key_before(&self, i: usize) -> Option<String> {
        if i < 2 || !self.is_assign(i - 1) {
            return None;
        }
        let k = &self.toks[i - 2];
        let mut key = match k.kind {
            Tk::Word => k.text.clone(),
            Tk::Str => k.lit(),
            _ => return None,
        };
        // `name: Type = value`
        if i >= 4
            && self.toks[i - 1].punct("=")
            && self.toks[i - 3].punct(":")
            && self.toks[i - 4].kind == Tk::Word
        {
            key = self.toks[i - 4].text.clone();
        }
        Some(key)
    }

    /// Words of the call chain before an opening parenthesis.
    fn callee(&self, open: usize) -> Vec<String> {
        let mut out = Vec::new();
        if open == 0 || open == NONE {
            return out;
        }
        let mut j = open - 1;
        loop {
            let t = &self.toks[j];
            match t.kind {
                Tk::Word => out.push(t.text.clone()),
                Tk::Punct if matches!(t.text.as_str(), "." | "::" | "->" | "?." | "\\" | "!") => {}
                Tk::Close if t.text == ">" => {}
                _ => break,
            }
            if j == 0 || out.len() > 6 {
                break;
            }
            j -= 1;
        }
        out.reverse();
        out
    }

    fn chain_verb(chain: &[String]) -> Option<&'static str> {
        for w in chain.iter().rev() {
            let lw = w.to_ascii_lowercase();
            if matches!(
                lw.as_str(),
                "getattr"
                    | "getenv"
                    | "get_env"
                    | "getproperty"
                    | "getitem"
                    | "params"
                    | "environ"
                    | "headers"
                    | "config"
            ) {
                return None;
            }
            if let Some(v) = verb_of_word(w) {
                return Some(v);
            }
        }
        None
    }

    /// Direct members of a group around position `near` (nested groups skipped).
    fn members(&self, g: usize, near: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let end = self.mate[g];
        if end == NONE {
            return out;
        }
        let lo = near.saturating_sub(WINDOW).max(g + 1);
        let hi = (near + WINDOW).min(end);
        let mut j = g + 1;
        while j < hi {
            if j >= lo {
                out.push(j);
            }
            if self.toks[j].kind == Tk::Open && self.mate[j] != NONE {
                j = self.mate[j] + 1;
            } else {
                j += 1;
            }
        }
        out
    }

    fn method_in_group(&self, g: usize, near: usize) -> Option<&'static str> {
        if self.toks[g].text == "(" {
            let chain = self.callee(g);
            if let Some(v) = Self::chain_verb(&chain) {
                return Some(v);
            }
        }
        let mut members = self.members(g, near);
        if self.toks[g].text == "(" {
            // Options objects passed to the call: fetch(url, {method: "POST"}).
            let objs: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&j| self.toks[j].text == "{" && self.toks[j].kind == Tk::Open)
                .collect();
            for o in objs {
                members.extend(self.members(o, o));
            }
        }
        for j in members {
            let t = &self.toks[j];
            let key = match t.kind {
                Tk::Word => t.text.to_ascii_lowercase(),
                Tk::Str => t.lit().to_ascii_lowercase(),
                _ => continue,
            };
            if matches!(
                key.as_str(),
                "method" | "http_method" | "httpmethod" | "verb" | "request_method" | ":method"
            ) && self.is_assign(j + 1)
                && let Some(v) = self.tok(j + 2)
            {
                match v.kind {
                    Tk::Str => {
                        if let Some(m) = routes::verb(v.lit().trim()) {
                            return Some(m);
                        }
                    }
                    Tk::Word => {
                        let mut k = j + 2;
                        while let Some(w) = self.tok(k) {
                            if w.kind == Tk::Word {
                                if let Some(m) = verb_of_word(&w.text) {
                                    return Some(m);
                                }
                            } else if !matches!(w.text.as_str(), "." | "::" | "->") {
                                break;
                            }
                            k += 1;
                        }
                    }
                    _ => {}
                }
            }
            if self.toks[g].text == "(" || self.toks[g].text == "[" {
                if t.kind == Tk::Str && !self.is_assign(j + 1) {
                    if let Some(m) = routes::verb(t.lit().trim()) {
                        return Some(m);
                    }
                } else if t.kind == Tk::Word {
                    let lw = t.text.to_ascii_lowercase();
                    let prev = if j >= 2 {
                        self.toks[j - 2].text.to_ascii_lowercase()
                    } else {
                        String::new()
                    };
                    if (lw.starts_with("method")
                        || prev.contains("method")
                        || prev.contains("http"))
                        && let Some(m) = verb_of_word(&t.text)
                    {
                        return Some(m);
                    }
                }
            }
        }
        None
    }

    fn method_at(&self, i: usize, flow: bool) -> Option<&'static str> {
        // Ruby/Crystal command call: `get "/candidates"`.
        if i >= 1 && self.toks[i - 1].kind == Tk::Word {
            let mut chain = vec![self.toks[i - 1].text.clone()];
            if i >= 3 && self.toks[i - 2].punct(".") {
                chain.insert(0, self.toks[i - 3].text.clone());
            }
            if let Some(v) = Self::chain_verb(&chain) {
                return Some(v);
            }
        }
        let mut g = self.parent[i];
        let mut level = 0;
        while g != NONE && level < 3 {
            if let Some(v) = self.method_in_group(g, i) {
                return Some(v);
            }
            g = self.parent[g];
            level += 1;
        }
        if let Some(v) = self.chained_verb(i) {
            return Some(v);
        }
        if flow && let Some((var, from)) = self.assigned_var(i) {
            for j in from..(from + 80).min(self.toks.len()) {
                let t = &self.toks[j];
                if t.kind == Tk::Word
                    && t.text == var
                    && !self.toks[j - 1].punct(".")
                    && self.parent[j] != NONE
                {
                    return self.method_at(j, false);
                }
            }
        }
        None
    }

    /// A builder call later in the same statement: `.url(u).post(body)`, `.DELETE()`,
    /// `.method("PATCH", ...)`.
    fn chained_verb(&self, i: usize) -> Option<&'static str> {
        // Leave the enclosing call groups first.
        let mut k = i;
        let mut depth_groups = 0;
        while depth_groups < 3 {
            let g = self.parent[k];
            if g == NONE || self.toks[g].text != "(" || self.mate[g] == NONE {
                break;
            }
            k = self.mate[g];
            depth_groups += 1;
        }
        let mut j = k + 1;
        let end = (k + 60).min(self.toks.len());
        while j + 2 < end {
            let t = &self.toks[j];
            if (t.kind == Tk::Punct && matches!(t.text.as_str(), ";" | "=" | ":=" | ","))
                || t.kind == Tk::Close
            {
                return None;
            }
            if t.punct(".") && self.toks[j + 1].kind == Tk::Word && self.toks[j + 2].text == "(" {
                let w = &self.toks[j + 1].text;
                if let Some(v) = routes::verb(w) {
                    return Some(v);
                }
                if w == "method"
                    && let Some(a) = self.tok(j + 3)
                    && a.kind == Tk::Str
                {
                    return routes::verb(a.lit().trim());
                }
            }
            if self.toks[j].kind == Tk::Open && self.mate[j] != NONE {
                j = self.mate[j] + 1;
            } else {
                j += 1;
            }
        }
        None
    }

    /// The variable a string is assigned to (directly, or through a formatting call such as
    /// `fmt.Sprintf`/`format`), and the index after the string to search uses from.
    fn assigned_var(&self, i: usize) -> Option<(String, usize)> {
        let mut at = i;
        for _ in 0..3 {
            let start = self.operand_left(at);
            if start >= 2
                && self.toks[start - 1].kind == Tk::Punct
                && matches!(self.toks[start - 1].text.as_str(), "=" | ":=")
                && self.toks[start - 2].kind == Tk::Word
            {
                return Some((self.toks[start - 2].text.clone(), i + 1));
            }
            let g = self.parent[at];
            if g == NONE || self.toks[g].text != "(" || g == 0 {
                return None;
            }
            at = self.mate[g];
            if at == NONE {
                return None;
            }
        }
        None
    }

    /// Start index of the operand ending at `end` (walking left).
    fn operand_left(&self, end: usize) -> usize {
        let mut k = end;
        loop {
            let t = &self.toks[k];
            if t.kind == Tk::Close && self.mate[k] != NONE {
                k = self.mate[k];
                if k > 1 && self.toks[k - 1].punct("!") && self.toks[k - 2].kind == Tk::Word {
                    k -= 1;
                }
                if k > 0 && self.toks[k - 1].kind == Tk::Word {
                    k -= 1;
                }
            } else if !matches!(t.kind, Tk::Word | Tk::Str) {
                return k + 1;
            }
            if k >= 2
                && matches!(self.toks[k - 1].text.as_str(), "." | "->" | "::" | "?.")
                && self.toks[k - 1].kind == Tk::Punct
            {
                k -= 2;
                continue;
            }
            return k;
        }
    }

    /// End index (exclusive) of the operand starting at `start`.
    fn operand_right(&self, start: usize) -> usize {
        let mut k = start;
        loop {
            let Some(t) = self.tok(k) else { return k };
            match t.kind {
                Tk::Word | Tk::Str => k += 1,
                Tk::Open if t.text == "(" && self.mate[k] != NONE => k = self.mate[k] + 1,
                _ => return k,
            }
            while let Some(t) = self.tok(k) {
                if t.kind == Tk::Open && t.text != "{" && self.mate[k] != NONE {
                    k = self.mate[k] + 1;
                } else {
                    break;
                }
            }
            match self.tok(k) {
                Some(t)
                    if t.kind == Tk::Punct
                        && matches!(t.text.as_str(), "." | "->" | "::" | "?.")
                        && !self.ctx.dot_concat =>
                {
                    k += 1
                }
                Some(t) if t.kind == Tk::Punct && matches!(t.text.as_str(), "->" | "::") => k += 1,
                _ => return k,
            }
        }
    }

    fn is_concat(&self, i: usize) -> bool {
        self.tok(i).is_some_and(|t| {
            t.kind == Tk::Punct
                && (t.text == "+"
                    || t.text == "+="
                    || t.text == "<<"
                    || (self.ctx.dot_concat && t.text == "."))
        })
    }

    fn text_range(&self, a: usize, b: usize) -> String {
        let mut s = String::new();
        for t in &self.toks[a..b.min(self.toks.len())] {
            s.push_str(&t.text);
        }
        s
    }

    /// Composes the string starting at `i` with concatenated operands. None when `i` is not the
    /// leftmost string of its concatenation.
    fn compose(&self, i: usize) -> Option<(Vec<Part>, Option<String>)> {
        let mut lead = None;
        if i >= 2 && self.is_concat(i - 1) {
            let mut end = i - 2;
            let mut texts = Vec::new();
            loop {
                let start = self.operand_left(end);
                if start > end {
                    break;
                }
                if (start..=end).any(|k| self.toks[k].kind == Tk::Str)
                    && self.toks[i - 1].text != "+="
                {
                    return None;
                }
                texts.push(self.text_range(start, end + 1));
                if start >= 2 && self.is_concat(start - 1) && self.toks[start - 1].text != "+=" {
                    end = start - 2;
                } else {
                    break;
                }
            }
            texts.reverse();
            if !texts.is_empty() {
                lead = Some(texts.join("+"));
            }
        }
        let mut parts = self.toks[i].parts.clone();
        let mut k = i + 1;
        let mut count = 0;
        while self.is_concat(k) && count < 12 && self.toks[k].text != "+=" {
            let start = k + 1;
            let end = self.operand_right(start);
            if end <= start {
                break;
            }
            if end == start + 1 && self.toks[start].kind == Tk::Str {
                parts.extend(self.toks[start].parts.iter().cloned());
            } else {
                parts.push(Part::Expr(self.text_range(start, end)));
            }
            k = end;
            count += 1;
        }
        Some((crate::lex::merge_parts(parts), lead))
    }

    fn cand(&mut self, i: usize, kind: Kind, need: Need, route: Option<RouteReq>, why: &str) {
        let t = &self.toks[i];
        let (line, col) = (t.line, t.col);
        self.push(line, col, kind, need, route, None, why);
        if kind == Kind::BasicAuth && t.func != 0 {
            self.auth_funcs.insert(t.func);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
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

    fn is_base_name(&self, expr: &str) -> bool {
        let id = last_ident(expr);
        !id.is_empty() && self.names.contains(id)
    }

    /// Names a base URL string at `i` is bound to.
    fn bind_names(&mut self, i: usize) {
        let mut found = Vec::new();
        if let Some(k) = self.key_before(i) {
            found.push(k);
        }
        let mut g = self.parent[i];
        for _ in 0..2 {
            if g == NONE {
                break;
            }
            if let Some(k) = self.key_before(g) {
                found.push(k);
                break;
            }
            if self.toks[g].text == "(" && g >= 1 && self.toks[g - 1].kind == Tk::Word {
                // os.getenv("X", "https://...") = value of the enclosing call's assignment
                let start = self.operand_left(g - 1);
                if let Some(k) = self.key_before(start) {
                    found.push(k);
                    break;
                }
            }
            g = self.parent[g];
        }
        if i >= 1 {
            let p = &self.toks[i - 1];
            let f = self.toks[i].func as usize;
            if (p.text == "return" || p.text == "=>" || p.text == "{" || p.text == "=") && f != 0 {
                found.push(self.funcs[f].clone());
            }
        }
        for n in found {
            let n = last_ident(&n).to_string();
            if !n.is_empty() && n.len() < 64 {
                self.names.insert(n.clone());
                self.facts.base_names.push(n);
            }
        }
    }

    /// Runs every rule.
    pub fn run(mut self) -> FileFacts {
        let n = self.toks.len();
        // Mentions, and the first pass over full URLs to learn the base names.
        for i in 0..n {
            let t = &self.toks[i];
            match t.kind {
                Tk::Word => {
                    if t.text.len() >= 4 && self.facts.idents.len() < 20_000 {
                        self.facts.idents.insert(t.text.clone());
                    }
                    if !self.facts.mention && t.text.to_ascii_lowercase().contains("greenhouse") {
                        self.facts.mention = true;
                    }
                }
                Tk::Str => {
                    let lit = t.lit();
                    let low = lit.to_ascii_lowercase();
                    if !self.facts.mention
                        && low.contains("greenhouse")
                        && mentions_harvest_greenhouse(&low)
                    {
                        self.facts.mention = true;
                    }
                    if low.contains(HARVEST_HOST)
                        && let Some((parts, _)) = self.compose(i)
                    {
                        let f = flat(&parts);
                        for u in harvest_urls(&f) {
                            match u.version {
                                Some(v) if u.rest.is_empty() => {
                                    self.facts.legacy = true;
                                    self.facts.legacy_version.get_or_insert(v.to_string());
                                    self.bind_names(i);
                                }
                                Some(_) => self.facts.legacy = true,
                                None if u.bare => self.facts.harvest_host = true,
                                None => {}
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        for i in 0..n {
            match self.toks[i].kind {
                Tk::Str => self.string_rules(i),
                Tk::Word if !self.ctx.plain => self.word_rules(i),
                _ => {}
            }
        }
        if !self.auth_funcs.is_empty() {
            self.auth_use_rule();
        }
        self.facts
    }

    fn string_rules(&mut self, i: usize) {
        let t = &self.toks[i];
        let lit = t.lit();
        let low = lit.to_ascii_lowercase();
        let (line, col) = (t.line, t.col);
        // On-Behalf-Of header.
        if low.contains("on-behalf-of") {
            self.cand(
                i,
                Kind::OnBehalfOf,
                Need::Legacy,
                None,
                "On-Behalf-Of header",
            );
        }
        // curl -u key:
        if matches!(lit.as_str(), "-u" | "--user")
            && let Some(next) = self.tok(i + 1)
            && next.kind == Tk::Str
            && next
                .parts
                .last()
                .is_some_and(|p| matches!(p, Part::Lit(l) if l.ends_with(':')))
        {
            self.cand(
                i,
                Kind::BasicAuth,
                Need::Legacy,
                None,
                "curl -u with the API key and a blank password",
            );
        }
        if let Some(rest) = lit
            .strip_prefix("--user=")
            .or_else(|| lit.strip_prefix("-u"))
            && rest.ends_with(':')
            && rest.len() > 1
        {
            self.cand(
                i,
                Kind::BasicAuth,
                Need::Legacy,
                None,
                "curl -u with the API key and a blank password",
            );
        }
        if self.ctx.plain {
            self.absolute_rule(i, &lit, line);
            return;
        }
        let Some((parts, lead)) = self.compose(i) else {
            return;
        };
        let f = flat(&parts);
        let flow = f.to_ascii_lowercase();
        // Basic auth built by hand.
        if (lit.starts_with("Basic ")
            && (parts.len() > 1 || lead.is_some() || self.is_concat(i + 1)))
            || (lit == "Basic" && self.parent[i] != NONE && self.toks[self.parent[i]].text == "(")
            || flow.contains("authorization: basic")
        {
            self.cand(
                i,
                Kind::BasicAuth,
                Need::Legacy,
                None,
                "Authorization: Basic header built by hand",
            );
        }
        // base64(key + ":")
        let key_colon =
            (f == ":" && lead.is_some()) || split_lead(&f).is_some_and(|(_, rest)| rest == ":");
        if key_colon {
            let line_text = self.line_text_low(line);
            if BASE64_HINTS.iter().any(|h| line_text.contains(h)) {
                self.cand(
                    i,
                    Kind::BasicAuth,
                    Need::Legacy,
                    None,
                    "base64 of the API key and a blank password",
                );
            }
        }
        // Empty password.
        if parts.is_empty() && lead.is_none() {
            self.empty_string_rules(i);
        }
        // Resource lists driving generated methods: %w[candidates applications jobs].
        if lead.is_none() && parts.len() == 1 && self.in_resource_list(i) {
            let route = RouteReq {
                method: None,
                version: None,
                segs: vec![lit.clone()],
                allow_prefix: false,
            };
            self.cand(
                i,
                Kind::Endpoint,
                Need::Legacy,
                Some(route),
                "resource list used to build routes",
            );
            return;
        }
        // Link-header pagination (page-number era): follows the legacy `next` URL.
        if flow.contains("link']['next']") || flow.contains("link\"][\"next\"]") {
            self.cand(
                i,
                Kind::Endpoint,
                Need::Legacy,
                None,
                "follows the legacy Link header's next URL",
            );
        }
        if lit == "next"
            && i >= 2
            && self.toks[i - 1].text == "["
            && self.toks[i - 2].text == "links"
        {
            self.cand(
                i,
                Kind::Endpoint,
                Need::Legacy,
                None,
                "follows the legacy Link header's next URL",
            );
        }
        if flow.contains(HARVEST_HOST) {
            self.absolute_composed(i, &f, line, col);
            return;
        }
        if flow.contains("://") || flow.starts_with("//") {
            return;
        }
        // Template made only of a base and a variable path: `${this._baseUrl()}${path}`.
        let exprs: Vec<&String> = parts
            .iter()
            .filter_map(|p| if let Part::Expr(e) = p { Some(e) } else { None })
            .collect();
        let lead_is_base = lead.as_deref().is_some_and(|l| self.is_base_name(l))
            || matches!(parts.first(), Some(Part::Expr(e)) if self.is_base_name(e));
        if lead_is_base && f.chars().all(|c| c == '\u{0}' || c == '/') && !f.is_empty() {
            self.cand(
                i,
                Kind::Endpoint,
                Need::Nothing,
                None,
                "request URL built from the legacy base URL",
            );
            return;
        }
        let _ = exprs;
        self.relative_rule(i, &parts, lead, lead_is_base);
    }

    /// Is string `i` one of at least three neighbouring bare strings that are all legacy
    /// resource names (a list the client builds its routes from)?
    fn in_resource_list(&self, i: usize) -> bool {
        let is_res = |k: usize| {
            self.tok(k).is_some_and(|t| {
                t.kind == Tk::Str && routes::resource_names().contains(t.lit().as_str())
            })
        };
        if !is_res(i) {
            return false;
        }
        let step = |k: usize, fwd: bool| -> Option<usize> {
            let n = if fwd { k + 1 } else { k.checked_sub(1)? };
            if self.tok(n)?.punct(",") {
                if fwd { Some(n + 1) } else { n.checked_sub(1) }
            } else {
                Some(n)
            }
        };
        let mut count = 1;
        let mut k = i;
        while let Some(n) = step(k, false) {
            if !is_res(n) || self.parent[n] != self.parent[i] {
                break;
            }
            count += 1;
            k = n;
        }
        let mut k = i;
        while let Some(n) = step(k, true) {
            if !is_res(n) || self.parent[n] != self.parent[i] {
                break;
            }
            count += 1;
            k = n;
        }
        // Keys of a mapping (`"jobs": ...`) are not a list.
        count >= 3 && !self.is_assign(i + 1)
    }

    fn line_text_low(&self, line: u32) -> String {
        let mut s = String::new();
        for t in self.toks.iter().filter(|t| t.line == line).take(200) {
            s.push_str(&t.text.to_ascii_lowercase());
            s.push(' ');
        }
        s
    }

    fn absolute_rule(&mut self, i: usize, lit: &str, line: u32) {
        let t = &self.toks[i];
        let col = t.col;
        if lit.to_ascii_lowercase().contains(HARVEST_HOST) {
            let _ = line;
            self.absolute_composed(i, lit, t.line, col);
        }
    }

    fn absolute_composed(&mut self, i: usize, f: &str, line: u32, col: u32) {
        let tok_text = self.toks[i].text.clone();
        let tok_start = self.toks[i].start;
        let single = self.toks[i].parts.len() <= 1 && !self.is_concat(i + 1);
        for u in harvest_urls(f) {
            let Some(v) = u.version else { continue };
            let line = line + f[..u.at].matches('\n').count() as u32;
            if u.rest.is_empty() {
                self.push(
                    line,
                    col,
                    Kind::BaseUrl,
                    Need::Nothing,
                    None,
                    None,
                    "Harvest v1/v2 base URL",
                );
                continue;
            }
            let method = if self.ctx.plain {
                None
            } else {
                self.method_at(i, true)
            };
            let segs = routes::normalize_path(&u.rest);
            // Safe-rewrite anchor: the version segment in the literal source text.
            let version_at = if single {
                let needle = format!("{HARVEST_HOST}/{v}/");
                tok_text
                    .find(&needle)
                    .map(|p| tok_start + p + HARVEST_HOST.len() + 1)
            } else {
                None
            };
            let route = segs.map(|segs| RouteReq {
                method: method.map(str::to_string),
                version: Some(v.to_string()),
                segs,
                allow_prefix: true,
            });
            self.push(
                line,
                col,
                Kind::Endpoint,
                Need::Nothing,
                route,
                version_at,
                "Harvest v1/v2 URL",
            );
        }
    }

    fn relative_rule(
        &mut self,
        i: usize,
        parts: &[Part],
        lead: Option<String>,
        mut lead_is_base: bool,
    ) {
        let mut parts: Vec<Part> = parts.to_vec();
        let mut lead = lead;
        if lead.is_none()
            && let Some(Part::Expr(e)) = parts.first()
        {
            lead = Some(e.clone());
            parts.remove(0);
        }
        let mut f = flat(&parts);
        // printf / format / interpolation placeholders standing for the base: "%s/candidates",
        // "{}/jobs", "$HARVEST/jobs", "{HARVEST_BASE}/users".
        if lead.is_none()
            && let Some((name, rest)) = split_lead(&f)
            && rest.starts_with('/')
        {
            let rest = rest.to_string();
            if !name.is_empty() && self.is_base_name(&name) {
                lead_is_base = true;
            }
            lead = Some(if name.is_empty() {
                "%s".to_string()
            } else {
                name
            });
            f = rest;
        }
        if f.len() > 200 || f.is_empty() || f.contains(char::is_whitespace) {
            return;
        }
        let Some(segs) = routes::normalize_path(&f) else {
            return;
        };
        let key = self.key_before(i).map(|k| k.to_ascii_lowercase());
        let (version, rest): (Option<&str>, Vec<String>) = if routes::is_version(&segs[0]) {
            match routes::legacy_version(&segs[0]) {
                Some(v) => (Some(v), segs[1..].to_vec()),
                None => return,
            }
        } else {
            (None, segs)
        };
        if rest.is_empty() {
            if version.is_some() && lead_is_base {
                self.cand(
                    i,
                    Kind::BaseUrl,
                    Need::Nothing,
                    None,
                    "Harvest v1/v2 base URL",
                );
            }
            return;
        }
        if !routes::resource_names().contains(&rest[0]) {
            return;
        }
        let has_slash = f.contains('/');
        let method = self.method_at(i, true);
        if !has_slash && lead.is_none() {
            let pathish = key.as_deref().is_some_and(|k| {
                matches!(
                    k,
                    "path"
                        | "url"
                        | "uri"
                        | "endpoint"
                        | "resource"
                        | "route"
                        | "url_path"
                        | "api_path"
                        | "request_path"
                        | "resource_path"
                        | "endpoint_path"
                        | "relative_path"
                        | "path_template"
                )
            });
            let verb_call = {
                let g = self.parent[i];
                (g != NONE
                    && self.toks[g].text == "("
                    && Self::chain_verb(&self.callee(g)).is_some())
                    || (i >= 1
                        && self.toks[i - 1].kind == Tk::Word
                        && verb_of_word(&self.toks[i - 1].text).is_some())
            };
            let g = self.parent[i];
            let base_arg = g != NONE
                && self.toks[g].text == "("
                && self.members(g, i).iter().any(|&j| {
                    self.toks[j].kind == Tk::Word && self.names.contains(self.toks[j].text.as_str())
                });
            if base_arg {
                lead_is_base = true;
            }
            if !pathish && !verb_call && !base_arg {
                return;
            }
        }
        let need = if lead_is_base {
            Need::Nothing
        } else if version.is_some() {
            Need::Versioned
        } else {
            Need::Legacy
        };
        let route = RouteReq {
            method: method.map(str::to_string),
            version: version.map(str::to_string),
            segs: rest,
            allow_prefix: false,
        };
        let why = if version.is_some() {
            "legacy versioned path"
        } else {
            "path relative to the Harvest v1/v2 base URL"
        };
        self.cand(i, Kind::Endpoint, need, Some(route), why);
    }

    fn empty_string_rules(&mut self, i: usize) {
        // password: ""
        if let Some(k) = self.key_before(i) {
            let k = k.to_ascii_lowercase();
            if matches!(
                k.as_str(),
                "password" | "pass" | "passwd" | "pwd" | ":password"
            ) {
                self.cand(
                    i,
                    Kind::BasicAuth,
                    Need::Legacy,
                    None,
                    "API key as username with a blank password",
                );
                let g = self.parent[i];
                if g != NONE {
                    for j in self.members(g, i) {
                        let t = &self.toks[j];
                        let name = match t.kind {
                            Tk::Word => t.text.to_ascii_lowercase(),
                            Tk::Str => t.lit().to_ascii_lowercase(),
                            _ => continue,
                        };
                        if matches!(name.as_str(), "username" | "user" | "login" | ":username")
                            && self.is_assign(j + 1)
                        {
                            self.cand(
                                j,
                                Kind::BasicAuth,
                                Need::Legacy,
                                None,
                                "API key as username with a blank password",
                            );
                        }
                    }
                }
                return;
            }
        }
        // (key, "") pairs: auth=(key, ""), 'auth' => [$key, ''], basic_auth(key, Some(""))
        let mut g = self.parent[i];
        if g == NONE || i < 1 {
            return;
        }
        let some_arg = self.toks[i - 1].kind == Tk::Open && i >= 2 && self.callee(g) == ["Some"];
        if !(self.toks[i - 1].punct(",") || some_arg) {
            return;
        }
        if self.callee(g) == ["Some"] {
            g = self.parent[g];
            if g == NONE {
                return;
            }
        }
        let key = self
            .key_before(g)
            .map(|k| k.to_ascii_lowercase())
            .unwrap_or_default();
        let chain = if self.toks[g].text == "(" {
            self.callee(g)
        } else {
            Vec::new()
        };
        let last = chain
            .last()
            .map(|w| w.to_ascii_lowercase().replace('_', ""))
            .unwrap_or_default();
        let authy_key = matches!(
            key.as_str(),
            "auth"
                | "basic_auth"
                | "basicauth"
                | "http_auth"
                | "httpauth"
                | "userpwd"
                | "credentials"
                | "auth_basic"
                | ":auth"
        );
        let authy_call = last.contains("basicauth")
            || last.contains("basichttpauth")
            || matches!(
                last.as_str(),
                "basic"
                    | "networkcredential"
                    | "usernamepasswordcredentials"
                    | "credentials"
                    | "setcredentials"
                    | "httpbasic"
            );
        if authy_key || authy_call {
            self.cand(
                i,
                Kind::BasicAuth,
                Need::Legacy,
                None,
                "API key as username with a blank password",
            );
        }
    }

    fn word_rules(&mut self, i: usize) {
        let t = &self.toks[i];
        let norm = t.text.to_ascii_lowercase().replace('_', "");
        let next = self.tok(i + 1);
        let callish = t.text.starts_with(':')
            || next.is_some_and(|n| {
                n.text == "("
                    || n.kind == Tk::Str
                    || n.kind == Tk::Word
                    || n.text == ":"
                    || n.text == "="
                    || n.text == "=>"
            });
        if (norm.contains("basicauth")
            || norm.contains("basichttpauth")
            || norm == "httpbasic"
            || norm == "basicauthentication")
            && callish
            && !(i >= 1
                && matches!(
                    self.toks[i - 1].text.as_str(),
                    "import" | "from" | "use" | "require" | "using"
                ))
            && !self.line_text_low(t.line).contains("import ")
        {
            self.cand(
                i,
                Kind::BasicAuth,
                Need::Legacy,
                None,
                "Basic authentication with the API key",
            );
            return;
        }
        // `base + path` where base is the legacy base and path a variable.
        if self.names.contains(t.text.as_str()) && !self.names.is_empty() {
            let mut k = i + 1;
            while let Some(n) = self.tok(k) {
                if n.kind == Tk::Open && n.text == "(" && self.mate[k] != NONE {
                    k = self.mate[k] + 1;
                } else {
                    break;
                }
            }
            if self.is_concat(k) && self.tok(k + 1).is_some_and(|n| n.kind != Tk::Str) {
                let end = self.operand_right(k + 1);
                if end > k + 1 && self.tok(end).is_none_or(|n| !self.is_concat_str_after(n)) {
                    self.cand(
                        i,
                        Kind::Endpoint,
                        Need::Nothing,
                        None,
                        "request URL built from the legacy base URL",
                    );
                }
            }
        }
    }

    fn is_concat_str_after(&self, _n: &Tok) -> bool {
        false
    }

    fn auth_use_rule(&mut self) {
        let n = self.toks.len();
        let names: HashSet<&str> = self
            .auth_funcs
            .iter()
            .map(|&f| self.funcs[f as usize].as_str())
            .collect();
        let mut hits = Vec::new();
        for i in 0..n.saturating_sub(2) {
            let t = &self.toks[i];
            let key = match t.kind {
                Tk::Word => t.text.to_ascii_lowercase(),
                Tk::Str => t.lit().to_ascii_lowercase(),
                _ => continue,
            };
            if !matches!(key.as_str(), "auth" | "authorization" | "basic_auth")
                || !self.is_assign(i + 1)
            {
                continue;
            }
            let end = self.operand_right(i + 2);
            if (i + 2..end).any(|k| {
                self.toks[k].kind == Tk::Word && names.contains(self.toks[k].text.as_str())
            }) {
                hits.push(i);
            }
        }
        for i in hits {
            self.cand(
                i,
                Kind::BasicAuth,
                Need::Legacy,
                None,
                "uses the Basic-auth credentials built above",
            );
        }
    }
}

/// Does a string naming Greenhouse point at Harvest rather than only the Job Board, Ingestion
/// or other Greenhouse products?
fn mentions_harvest_greenhouse(low: &str) -> bool {
    let mut rest = low;
    while let Some(p) = rest.find("greenhouse") {
        let before = &rest[..p];
        let host_prefix = before
            .rsplit(|c: char| c.is_whitespace() || c == '/' || c == '"')
            .next()
            .unwrap_or("");
        let other = host_prefix.ends_with("boards-api.")
            || host_prefix.ends_with("boards.")
            || host_prefix.ends_with("api.")
            || host_prefix.ends_with("job-boards.")
            || host_prefix.ends_with("developers.")
            || host_prefix.ends_with("www.")
            || host_prefix.ends_with("app.")
            || host_prefix.ends_with("onboarding.")
            || host_prefix.ends_with("support.");
        if !other {
            return true;
        }
        rest = &rest[p + "greenhouse".len()..];
    }
    false
}

pub struct HarvestUrl {
    /// Byte offset of the host in the text.
    pub at: usize,
    /// `v1`/`v2`, or None (v3, other or no version).
    pub version: Option<&'static str>,
    /// The path after the version (no leading `/`), possibly empty.
    pub rest: String,
    /// Host alone (no path at all).
    pub bare: bool,
}

/// Every `harvest.greenhouse.io/...` URL in a text.
pub fn harvest_urls(text: &str) -> Vec<HarvestUrl> {
    let mut out = Vec::new();
    let low = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = low[from..].find(HARVEST_HOST) {
        let at = from + p;
        from = at + HARVEST_HOST.len();
        let ok_before = at == 0
            || !low[..at]
                .ends_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
        if !ok_before {
            continue;
        }
        let mut rest = &text[from..];
        if let Some(r) = rest.strip_prefix(':') {
            rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        // Keep `{...}` placeholders in the path: re-scan allowing braces.
        let end = {
            let mut depth = 0i32;
            let mut e = rest.len();
            for (k, c) in rest.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth > 0 => depth -= 1,
                    c if depth == 0
                        && (c.is_whitespace()
                            || matches!(
                                c,
                                '"' | '\''
                                    | '`'
                                    | ')'
                                    | '<'
                                    | '>'
                                    | '\\'
                                    | ','
                                    | ';'
                                    | ']'
                                    | '|'
                                    | '}'
                            )) =>
                    {
                        e = k;
                        break;
                    }
                    _ => {}
                }
            }
            e.min(rest.len())
        };
        let path = &rest[..end];
        let bare = path.trim_matches('/').is_empty();
        let trimmed = path.trim_start_matches('/');
        let (first, after) = trimmed.split_once('/').unwrap_or((trimmed, ""));
        let version = routes::legacy_version(first);
        let after = after
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .trim_end_matches('/');
        out.push(HarvestUrl {
            at,
            version: if path.starts_with('/') { version } else { None },
            rest: after.to_string(),
            bare,
        });
    }
    out
}
