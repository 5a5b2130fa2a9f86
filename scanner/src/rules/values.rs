//! Values resolved within a file: module constants and parameter defaults (`HOST =
//! "https://harvest.greenhouse.io"`, `VERSION = "v1"`, `def __init__(self, base="…")`)
//! substituted into templates, concatenations and `format`/`Sprintf`/`%` calls, so
//! `f"{HOST}/{VERSION}/jobs"` is `GET /v1/jobs` and `BASE = HOST + "/v1"` binds `BASE` to the
//! legacy base; and names bound through other names (`self.root = base_url or DEFAULT_BASE`,
//! `base = opts.baseUrl || HARVEST_URL`, `url = BASE.rstrip("/")`).

use super::analyzer::{Analyzer, NONE};
use crate::routes::HARVEST_HOST;
use crate::tokens::{Part, Tk};
use crate::urls::harvest_urls;
use crate::words::{flat, last_ident};

/// Methods that give back (a trimmed copy of) the string they are called on.
const SAME_STRING: [&str; 14] = [
    "rstrip",
    "strip",
    "trim",
    "trimEnd",
    "trim_end_matches",
    "TrimEnd",
    "chomp",
    "removeSuffix",
    "to_string",
    "to_owned",
    "toString",
    "freeze",
    "clone",
    "into",
];

impl Analyzer<'_> {
    /// String constants of the file: `NAME = "literal"` (also `const`, typed, keyword
    /// defaults, object keys). A name given two different values is left out.
    pub(super) fn collect_constants(&mut self) {
        let mut seen: std::collections::HashMap<String, Option<String>> = Default::default();
        for i in 0..self.toks.len() {
            let t = &self.toks[i];
            if t.kind != Tk::Str || t.parts.iter().any(|p| matches!(p, Part::Expr(_))) {
                continue;
            }
            let Some(key) = self.key_before(i) else {
                continue;
            };
            // The literal is the whole value (`X = "…"`, `X = "…".freeze`, `X = "…";`).
            let whole = match self.tok(i + 1) {
                None => true,
                Some(n) => {
                    n.line > t.line
                        || matches!(n.text.as_str(), ";" | "," | ")" | "}" | "]")
                        || (n.punct(".")
                            && self
                                .tok(i + 2)
                                .is_some_and(|m| SAME_STRING.contains(&m.text.as_str())))
                }
            };
            if !whole {
                continue;
            }
            let key = last_ident(&key).to_string();
            if key.is_empty() {
                continue;
            }
            let lit = t.lit();
            seen.entry(key)
                .and_modify(|v| {
                    if v.as_deref() != Some(lit.as_str()) {
                        *v = None;
                    }
                })
                .or_insert(Some(lit));
        }
        self.consts = seen
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        self.host_consts = self
            .consts
            .iter()
            .filter(|(_, v)| is_bare_host(v))
            .map(|(k, _)| k.clone())
            .collect();
        let mut own: Vec<(String, String)> = self
            .host_consts
            .iter()
            .filter_map(|k| Some((k.clone(), self.consts.get(k)?.clone())))
            .collect();
        own.sort();
        self.facts.hosts = own;
        // Bare-host constants of other files this one uses (`from settings import
        // HARVEST_HOST`); the file's own constants of the same name win.
        for (k, v) in &self.ctx.hints.hosts {
            if !self.consts.contains_key(k) {
                self.consts.insert(k.clone(), v.clone());
                self.host_consts.insert(k.clone());
                self.facts.harvest_host = true;
            }
        }
    }

    /// Does the expression text at token `at` name a bare-host constant (`HOST`,
    /// `settings.HARVEST_HOST`) or a parameter bound to the host in the function around `at`?
    pub(super) fn is_host(&self, e: &str, at: usize) -> bool {
        let id = last_ident(e);
        self.host_consts.contains(id) || self.in_scope(&self.scoped_hosts, id, at)
    }

    /// No host constant nor host parameter anywhere in the file.
    pub(super) fn no_hosts(&self) -> bool {
        self.host_consts.is_empty() && self.scoped_hosts.is_empty()
    }

    /// The string starting at `i` composed (as `compose`), with constants substituted when the
    /// composition holds a constant with the bare Harvest host anywhere (`HOST + "/v1/jobs"`,
    /// `"https://" + HOST + "/v1"`, `f"https://{HOST}/{VERSION}/jobs"`, `"%s/v1/jobs" % HOST`,
    /// `fmt.Sprintf("https://%s/v1", host)`).
    pub(super) fn compose_resolved(&self, i: usize) -> Option<(Vec<Part>, Option<String>)> {
        let (mut parts, lead) = self.compose(i)?;
        if self.no_hosts() {
            return Some((parts, lead));
        }
        // Rust's inline `format!("{HOST}/{VERSION}/x")` names its arguments in the literal.
        if self.braced_host(&parts) {
            parts = super::wrappers::expand_braces(&parts);
        }
        let lead_host = lead
            .as_deref()
            .is_some_and(|l| l.split('+').any(|op| self.is_host(op, i)));
        let expr_host = parts
            .iter()
            .any(|p| matches!(p, Part::Expr(e) if self.is_host(e, i)));
        if lead_host || expr_host {
            let mut out = Vec::new();
            if let Some(l) = &lead {
                for op in l.split('+') {
                    out.push(self.const_part(op, i));
                }
            }
            out.extend(parts.iter().map(|p| match p {
                Part::Expr(e) => self.const_part(e, i),
                lit => lit.clone(),
            }));
            return Some((crate::tokens::merge(out), None));
        }
        // A format string with the host among its arguments.
        if let Some(args) = self.format_args(i)
            && args.iter().any(|a| self.is_host(a, i))
        {
            return Some((self.fill_placeholders(&parts, &args, i), lead));
        }
        Some((parts, lead))
    }

    /// Does a literal part name a host constant in braces (`{HOST}`)?
    fn braced_host(&self, parts: &[Part]) -> bool {
        parts.iter().any(|p| {
            matches!(p, Part::Lit(l) if self.host_consts.iter().any(|h| l.contains(&format!("{{{h}}}"))))
        })
    }

    /// A constant's value as a literal part (a host parameter: the host), else the expression.
    fn const_part(&self, e: &str, at: usize) -> Part {
        match self.consts.get(last_ident(e)) {
            Some(v) if !e.contains('(') => Part::Lit(v.clone()),
            _ if !e.contains('(') && self.in_scope(&self.scoped_hosts, last_ident(e), at) => {
                Part::Lit(HARVEST_HOST.to_string())
            }
            _ => Part::Expr(e.trim().to_string()),
        }
    }

    /// Does the composition at `i` hold a host constant (so it may hold a Harvest URL without
    /// the host being written in the literal): in its interpolations, in braces, as an operand
    /// of its concatenation, or among its format arguments?
    pub(super) fn starts_from_host(&self, i: usize) -> bool {
        if self.no_hosts() {
            return false;
        }
        let t = &self.toks[i];
        if t.parts
            .iter()
            .any(|p| matches!(p, Part::Expr(e) if self.is_host(e, i)))
            || self.braced_host(&t.parts)
        {
            return true;
        }
        if i >= 2 && self.is_concat(i - 1) {
            let s = self.operand_left(i - 2);
            if s <= i - 2 && self.is_host(&self.text_range(s, i - 1), i) {
                return true;
            }
        }
        let mut k = i + 1;
        for _ in 0..12 {
            if !self.is_concat(k) || self.toks[k].text == "+=" {
                break;
            }
            let end = self.operand_right(k + 1);
            if end <= k + 1 {
                break;
            }
            if self.is_host(&self.text_range(k + 1, end), i) {
                return true;
            }
            k = end;
        }
        self.format_args(i)
            .is_some_and(|a| a.iter().any(|x| self.is_host(x, i)))
    }

    /// The arguments formatted into the string at `i`: `"…" % (a, b)`, `"…".format(a, b)`,
    /// `Sprintf("…", a, b)` / `String.format` / `format!` / `sprintf`.
    fn format_args(&self, i: usize) -> Option<Vec<String>> {
        let next = self.tok(i + 1)?;
        let args_of = |g: usize, skip_first: bool| -> Vec<String> {
            let mut out = Vec::new();
            let mut cur = String::new();
            let mut first = true;
            for m in self.members(g, g) {
                let t = &self.toks[m];
                if t.punct(",") {
                    if !(skip_first && first) {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    first = false;
                    continue;
                }
                let end = if t.kind == Tk::Open && self.mate[m] != NONE {
                    self.mate[m] + 1
                } else {
                    m + 1
                };
                cur.push_str(&self.text_range(m, end));
            }
            if !(cur.is_empty() || skip_first && first) {
                out.push(cur);
            }
            out
        };
        if next.punct("%") {
            let a = self.tok(i + 2)?;
            if a.kind == Tk::Open && a.text == "(" {
                return Some(args_of(i + 2, false));
            }
            return Some(vec![self.text_range(i + 2, self.operand_right(i + 2))]);
        }
        if next.punct(".")
            && self.tok(i + 2).is_some_and(|t| t.text == "format")
            && self.tok(i + 3).is_some_and(|t| t.text == "(")
        {
            return Some(args_of(i + 3, false));
        }
        let g = self.parent[i];
        if g != NONE && self.toks[g].text == "(" && self.members(g, i).first() == Some(&i) {
            let chain = self.callee(g);
            let last = chain.last()?.to_ascii_lowercase();
            if matches!(last.as_str(), "sprintf" | "format" | "printf" | "sprint") {
                return Some(args_of(g, true));
            }
        }
        None
    }

    /// The literal parts with `%s`/`%v`/`%d`/`{}`/`{0}` placeholders replaced by the arguments
    /// (constants by their value, other arguments as expressions).
    fn fill_placeholders(&self, parts: &[Part], args: &[String], tok: usize) -> Vec<Part> {
        let mut out = Vec::new();
        let mut next = 0;
        for p in parts {
            let Part::Lit(l) = p else {
                out.push(p.clone());
                continue;
            };
            let mut rest = l.as_str();
            while let Some(at) = rest.find(['%', '{']) {
                let tail = &rest[at..];
                let len = if let Some(t) = tail.strip_prefix('%') {
                    t.starts_with(['s', 'v', 'd']).then_some(2)
                } else {
                    tail.find('}')
                        .filter(|&e| tail[1..e].chars().all(|c| c.is_ascii_digit()))
                        .map(|e| e + 1)
                };
                let Some(len) = len else {
                    out.push(Part::Lit(rest[..at + 1].to_string()));
                    rest = &rest[at + 1..];
                    continue;
                };
                out.push(Part::Lit(rest[..at].to_string()));
                match args.get(next) {
                    Some(a) => out.push(self.const_part(a, tok)),
                    None => out.push(Part::Expr(String::new())),
                }
                next += 1;
                rest = &rest[at + len..];
            }
            out.push(Part::Lit(rest.to_string()));
        }
        crate::tokens::merge(out)
    }

    /// Names bound through other names, to a fixpoint: `X = NAME`, `X = a or NAME`,
    /// `X = a || NAME`, `X = a ?? NAME`, `X = NAME.rstrip("/")`, `X = getenv("K", NAME)`,
    /// `X = os.getenv("K") or "https://harvest.greenhouse.io/v1"`, and concatenations of
    /// constants that spell the legacy base (`BASE = HOST + VERSION`).
    pub(super) fn alias_rule(&mut self) {
        for _ in 0..3 {
            let mut added = Vec::new();
            for i in 0..self.toks.len().saturating_sub(2) {
                let t = &self.toks[i];
                if !matches!(t.kind, Tk::Word | Tk::Str) || !self.is_assign(i + 1) {
                    continue;
                }
                if self.toks[i + 1].punct(":") && self.parent[i] == NONE {
                    continue;
                }
                let key = match t.kind {
                    Tk::Word => t.text.clone(),
                    _ => t.lit(),
                };
                let key = last_ident(&key).to_string();
                if key.is_empty() || self.names.contains(&key) || self.other_names.contains(&key) {
                    continue;
                }
                if let Some(literal) = self.rhs_is_base(i + 2) {
                    added.push((key, literal));
                }
            }
            added.extend(self.injected_settings().into_iter().map(|k| (k, false)));
            added.retain(|(k, _)| !self.names.contains(k));
            if added.is_empty() {
                break;
            }
            for (k, literal) in added {
                if self.names.insert(k.clone()) {
                    if !literal {
                        self.facts.alias_names.push(k.clone());
                    }
                    self.facts.base_names.push(k);
                }
            }
        }
    }

    /// Fields and parameters injected from a settings key bound to the legacy base: Spring's
    /// `@Value("${greenhouse.base-url}") String baseUrl`, Micronaut/Quarkus alike.
    fn injected_settings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.ctx.hints.settings.is_empty() {
            return out;
        }
        for i in 0..self.toks.len() {
            let t = &self.toks[i];
            if t.kind != Tk::Str || !t.lit().starts_with("${") {
                continue;
            }
            let g = self.parent[i];
            if g == NONE
                || self.mate[g] == NONE
                || !self
                    .callee(g)
                    .last()
                    .is_some_and(|c| matches!(c.as_str(), "Value" | "ConfigProperty" | "Property"))
                || !self.reads_base_setting(&t.text)
            {
                continue;
            }
            let mut k = self.mate[g] + 1;
            while let Some(w) = self.tok(k) {
                if w.kind == Tk::Word
                    && self
                        .tok(k + 1)
                        .is_some_and(|n| matches!(n.text.as_str(), ";" | "=" | "," | ")"))
                {
                    out.push(w.text.clone());
                    break;
                }
                if w.kind != Tk::Word && !matches!(w.text.as_str(), "<" | ">" | "." | "@") {
                    break;
                }
                k += 1;
            }
        }
        out
    }

    /// Is the value starting at `s` (up to its statement's end) the legacy base: a base name,
    /// or alternatives of which one is, or a legacy base literal among alternatives, or a
    /// trimmed copy of one, or constants that spell it? Some(true) when a literal or constants
    /// make it so, Some(false) when only another name or a settings read does.
    fn rhs_is_base(&self, s: usize) -> Option<bool> {
        let first = self.tok(s)?;
        // A settings read (`os.environ["GREENHOUSE_URL"]`, `cfg["greenhouse"]["base_url"]`) or
        // a base name read as a key (`api['base']`), not concatenated with a path.
        let e = self.operand_right(s);
        if e > s + 1 && !self.is_concat(e) && self.is_base_name(&self.text_range(s, e), s) {
            return Some(false);
        }
        let line = first.line;
        let mut j = s;
        let mut any_base = false;
        let mut via_name = false;
        let mut text = String::new();
        let mut all_consts = true;
        while let Some(t) = self.tok(j) {
            if t.line != line && self.parent[j] == self.parent[s] {
                break;
            }
            if matches!(t.text.as_str(), ";" | ",") && self.parent[j] == self.parent[s] {
                break;
            }
            if t.kind == Tk::Close && self.parent[j] != self.parent[s] && j > s && self.mate[j] < s
            {
                break;
            }
            match t.kind {
                Tk::Word => {
                    let alt = j == s
                        || matches!(
                            self.toks[j - 1].text.as_str(),
                            "or" | "||" | "??" | "?:" | ","
                        );
                    if alt && self.has_name(&t.text, j) && !self.member_access(j) {
                        any_base = true;
                        via_name = true;
                    }
                    match self.consts.get(t.text.as_str()) {
                        Some(v) if !self.member_access(j) => text.push_str(v),
                        _ if matches!(t.text.as_str(), "or" | "and") => all_consts = false,
                        _ if SAME_STRING.contains(&t.text.as_str()) => {}
                        _ => all_consts = false,
                    }
                }
                Tk::Str => {
                    let lit = flat(&t.parts);
                    let prev_alt = j > s
                        && matches!(
                            self.toks[j - 1].text.as_str(),
                            "or" | "||" | "??" | "?:" | ","
                        );
                    if (j == s || prev_alt) && legacy_base(&lit) {
                        any_base = true;
                    }
                    text.push_str(&lit);
                }
                Tk::Punct if matches!(t.text.as_str(), "+" | "." | "::") => {}
                _ => all_consts = false,
            }
            j += 1;
            if j - s > 40 {
                break;
            }
        }
        if all_consts && j > s + 1 && legacy_base(&text) {
            return Some(true);
        }
        any_base.then_some(!via_name)
    }

    /// Is the word at `j` an attribute of something else (`obj.NAME`, not `self.NAME`)?
    fn member_access(&self, j: usize) -> bool {
        j >= 2
            && matches!(self.toks[j - 1].text.as_str(), "." | "->" | "::")
            && !matches!(
                self.toks[j - 2].text.as_str(),
                "self" | "this" | "$this" | "static" | "cls" | "@" | "settings" | "config"
            )
    }

    /// The text at `i` has the Harvest host, or starts from a host constant.
    pub(super) fn may_hold_harvest(&self, i: usize, low: &str) -> bool {
        low.contains(HARVEST_HOST) || self.starts_from_host(i)
    }
}

/// Is this text the bare Harvest host (no path)?
fn is_bare_host(v: &str) -> bool {
    harvest_urls(v).iter().any(|u| u.bare)
}

/// Is this text exactly a Harvest v1/v2 base URL?
fn legacy_base(v: &str) -> bool {
    let us = harvest_urls(v);
    us.len() == 1 && us[0].version.is_some() && us[0].rest.is_empty()
}
