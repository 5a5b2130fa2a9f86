//! Paths relative to a Harvest v1/v2 base: `"/candidates"`, `"jobs/%s/stages"`, `base + "/users"`,
//! `f"{BASE}/jobs"`, path-like keys (`path: "/jobs"`), resource lists that drive generated
//! methods, and requests built from the base at run time.

use super::analyzer::{Analyzer, NONE};
use crate::model::{Kind, Need, RouteReq};
use crate::routes;
use crate::tokens::{Part, Tk};
use crate::words::{flat, split_lead, verb_of_word};

impl Analyzer<'_> {
    /// Dynamic clients (`__call`, `__getattr__`, `method_missing`) whose method names spell the
    /// route: `$harvest->getJobs()`, `harvest.get_candidates()`,
    /// `->postActivityFeedNotesForCandidate()` (X for Y = `/ys/{id}/x`), on a receiver that names
    /// Harvest/Greenhouse. Matched against the route catalogue; no match, no finding.
    pub(super) fn dynamic_call_rule(&mut self, i: usize) {
        // A call: with parentheses, or Ruby's without (`@greenhouse.get_offices` at the end of
        // its line or before a literal argument).
        let called = self
            .tok(i + 1)
            .is_none_or(|t| t.text == "(" || t.line > self.toks[i].line || t.kind == Tk::Str);
        if i == 0 || !called || !matches!(self.toks[i - 1].text.as_str(), "." | "->" | "?.") {
            return;
        }
        let ws = crate::words::words(&self.toks[i].text);
        if ws.len() < 2 {
            return;
        }
        let Some(method) = routes::verb(&ws[0]) else {
            return;
        };
        let chain = self.callee(i + 1);
        let receiver: Vec<String> = chain[..chain.len().saturating_sub(1)]
            .iter()
            .flat_map(|w| crate::words::words(w))
            .collect();
        if !receiver.iter().any(|w| w == "harvest" || w == "greenhouse")
            || receiver.iter().any(|w| w.starts_with("board"))
        {
            return;
        }
        let rest = &ws[1..];
        let (thing, parent) = match rest.iter().position(|w| w == "for") {
            Some(p) => (&rest[..p], Some(&rest[p + 1..])),
            None => (rest, None),
        };
        let prefix: Vec<String> = match parent {
            Some(pw) if !pw.is_empty() => vec![plural(&pw.join("_")), "{id}".to_string()],
            Some(_) => return,
            None => Vec::new(),
        };
        for segs in segmentations(thing) {
            let mut full = prefix.clone();
            full.extend(segs);
            if routes::resolve(Some(method), "v1", &full, false)
                .is_some_and(|r| r.exact && r.endpoint.method == method)
            {
                let route = RouteReq {
                    method: Some(method.to_string()),
                    version: None,
                    segs: full,
                    allow_prefix: false,
                    as_written: false,
                };
                self.cand(
                    i,
                    Kind::Endpoint,
                    Need::Versioned,
                    Some(route),
                    "dynamic client method named after the route",
                );
                return;
            }
        }
    }

    /// Is the call opening at `g` an HTTP request named by its verb on an HTTP client
    /// (`http.get(...)`, `$this->client->post(...)`, `@GET(...)`), not `dict.get(...)`?
    pub(super) fn http_verb_call(&self, g: usize) -> bool {
        let chain = self.callee(g);
        if Self::chain_verb(&chain).is_none() {
            return false;
        }
        if chain.len() <= 1 || chain.iter().any(|w| w == "@") {
            // A bare verb call (`get "/x"`, Sinatra/HTTParty style) or an annotation.
            return true;
        }
        chain[..chain.len() - 1]
            .iter()
            .any(|w| is_http_client_word(w))
    }

    /// Resource lists driving generated methods: `%w[candidates applications jobs]`. True when
    /// string `i` is one.
    pub(super) fn resource_list_rule(&mut self, i: usize, lit: &str) -> bool {
        if !self.in_resource_list(i) {
            return false;
        }
        let route = RouteReq {
            method: None,
            version: None,
            segs: vec![lit.to_string()],
            allow_prefix: false,
            as_written: false,
        };
        self.cand(
            i,
            Kind::Endpoint,
            Need::Legacy,
            Some(route),
            "resource list used to build routes",
        );
        true
    }

    /// Link-header pagination (page-number era): follows the legacy `next` URL.
    pub(super) fn link_next_rule(&mut self, i: usize, lit: &str, f: &str) {
        let flow = f.to_ascii_lowercase();
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
    }

    /// A template made only of the base and a variable path: `${this._baseUrl()}${path}`.
    /// True when it fired.
    pub(super) fn base_template_rule(&mut self, i: usize, f: &str, lead_is_base: bool) -> bool {
        if lead_is_base && f.chars().all(|c| c == '\u{0}' || c == '/') && !f.is_empty() {
            self.cand(
                i,
                Kind::Endpoint,
                Need::Nothing,
                None,
                "request URL built from the legacy base URL",
            );
            return true;
        }
        false
    }

    /// `base + path` where base is a legacy base name and path a variable.
    pub(super) fn base_concat_rule(&mut self, i: usize) {
        let t = &self.toks[i];
        if (self.names.is_empty() && self.scoped.is_empty()) || !self.has_name(&t.text, i) {
            return;
        }
        let mut k = i + 1;
        while let Some(n) = self.tok(k) {
            if n.kind == Tk::Open && n.text == "(" && self.mate[k] != NONE {
                k = self.mate[k] + 1;
            } else {
                break;
            }
        }
        if self.is_concat(k)
            && self.tok(k + 1).is_some_and(|n| n.kind != Tk::Str)
            && self.operand_right(k + 1) > k + 1
        {
            self.cand(
                i,
                Kind::Endpoint,
                Need::Nothing,
                None,
                "request URL built from the legacy base URL",
            );
        }
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

    /// A path relative to a base: `"/candidates"`, `"jobs/%s/stages"`, `base + "/users"`, a
    /// path-like key's value, a wrapper's path argument.
    pub(super) fn relative_rule(
        &mut self,
        i: usize,
        parts: &[Part],
        lead: Option<String>,
        lead_is_base: bool,
    ) {
        let Some(mut p) = self.relative_path(i, parts, lead, lead_is_base) else {
            return;
        };
        let wrapper = self.wrapper_arg(i).cloned();
        if wrapper.as_ref().is_some_and(|w| w.other) {
            return;
        }
        if let Some(w) = &wrapper {
            p.lead_is_base |= w.base;
        }
        // A wrapper prepending the bare host: a versioned path passed to it is a legacy URL.
        if wrapper.as_ref().is_some_and(|w| w.host) && routes::legacy_version(&p.segs[0]).is_some()
        {
            p.lead_is_base = true;
        }
        let (version, rest): (Option<String>, Vec<String>) = if routes::is_version(&p.segs[0]) {
            match routes::legacy_version(&p.segs[0]) {
                Some(v) => (Some(v.to_string()), p.segs[1..].to_vec()),
                None => return,
            }
        } else {
            let v = wrapper.as_ref().and_then(|w| w.version.clone());
            (v, p.segs.clone())
        };
        if rest.is_empty() {
            if version.is_some() && p.lead_is_base {
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
        let known = routes::resource_names().contains(&rest[0]);
        if known
            && !p.has_slash
            && p.lead.is_none()
            && wrapper.is_none()
            && !self.bare_path_ok(i, &mut p)
        {
            return;
        }
        // A resource the catalogue lacks counts only under a proven legacy base (reported as
        // written, `unknown route`).
        if !known && (!p.lead_is_base || !p.has_slash || !plausible_segment(&rest[0])) {
            return;
        }
        let method = self.call_method(i);
        let need = if p.lead_is_base {
            Need::Nothing
        } else if version.is_some() {
            Need::Versioned
        } else {
            Need::Legacy
        };
        let why = if wrapper.is_some() {
            "path passed to a wrapper of the Harvest v1/v2 client"
        } else if version.is_some() {
            "legacy versioned path"
        } else {
            "path relative to the Harvest v1/v2 base URL"
        };
        let route = RouteReq {
            method: method.map(str::to_string),
            version,
            segs: rest,
            // An unknown tail under a known route (`/applications/{id}/attachment:download/…`)
            // is reported as the route it hangs under.
            allow_prefix: true,
            as_written: false,
        };
        self.cand(i, Kind::Endpoint, need, Some(route), why);
    }

    /// The path of string `i` relative to its lead (a base placeholder or expression), split in
    /// normalised segments; None when it is not a path or is built on another API's base.
    fn relative_path(
        &self,
        i: usize,
        parts: &[Part],
        lead: Option<String>,
        mut lead_is_base: bool,
    ) -> Option<RelPath> {
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
            if !name.is_empty() && self.is_base_name(&name, i) {
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
            return None;
        }
        // Built on the base of another API (`f"{BOARDS}/{token}/jobs"`, `V3 + "/jobs"`).
        if let Some(l) = lead.as_deref() {
            let id = crate::words::last_ident(l);
            if self.other_name(id, i) {
                return None;
            }
        }
        let segs = routes::normalize_path(&f)?;
        Some(RelPath {
            segs,
            has_slash: f.contains('/'),
            lead,
            lead_is_base,
        })
    }

    /// A bare word (`"jobs"`, no slash, no lead) is a path only as a path-like key's value, the
    /// argument of an HTTP verb call, or beside a legacy base argument (`urljoin(BASE, "jobs")`).
    fn bare_path_ok(&self, i: usize, p: &mut RelPath) -> bool {
        let key = self.key_before(i).map(|k| k.to_ascii_lowercase());
        let pathish = key.as_deref().is_some_and(routes::is_path_key);
        let g = self.parent[i];
        let verb_call = (g != NONE && self.toks[g].text == "(" && self.http_verb_call(g))
            || (i >= 1
                && self.toks[i - 1].kind == Tk::Word
                && verb_of_word(&self.toks[i - 1].text).is_some());
        let base_arg = g != NONE
            && self.toks[g].text == "("
            && self
                .members(g, i)
                .iter()
                .any(|&j| self.toks[j].kind == Tk::Word && self.has_name(&self.toks[j].text, j));
        if base_arg {
            p.lead_is_base = true;
        }
        pathish || verb_call || base_arg
    }
}

/// A path relative to a base, as found in a string.
struct RelPath {
    segs: Vec<String>,
    has_slash: bool,
    lead: Option<String>,
    lead_is_base: bool,
}

/// Could this be a resource segment of a REST path (`widgets`, `job_openings`), not a file,
/// a placeholder or a version?
fn plausible_segment(s: &str) -> bool {
    s.len() >= 2
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
        && !routes::is_version(s)
}

/// Singular → plural of a resource name (`application` → `applications`).
fn plural(w: &str) -> String {
    if w.ends_with('s') {
        w.to_string()
    } else if let Some(stem) = w.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{w}s")
    }
}

/// Every way to cut `words` into path segments, words inside a segment joined by `_`
/// (`activity feed notes` → `activity_feed/notes`, `activity/feed_notes`, …).
fn segmentations(words: &[String]) -> Vec<Vec<String>> {
    if words.is_empty() || words.len() > 5 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for mask in 0..(1u32 << (words.len() - 1)) {
        let mut segs = vec![words[0].clone()];
        for (k, w) in words.iter().enumerate().skip(1) {
            if mask & (1 << (k - 1)) != 0 {
                segs.push(w.clone());
            } else if let Some(last) = segs.last_mut() {
                last.push('_');
                last.push_str(w);
            }
        }
        out.push(segs);
    }
    out
}

/// Words naming an HTTP client or an API wrapper in a receiver (`session`, `http`, `client`,
/// `api`, `harvest`, `conn`, …).
pub(super) fn is_http_client_word(w: &str) -> bool {
    crate::words::words(w).iter().any(|x| {
        matches!(
            x.as_str(),
            "http"
                | "https"
                | "client"
                | "session"
                | "api"
                | "request"
                | "requests"
                | "rest"
                | "conn"
                | "connection"
                | "faraday"
                | "httparty"
                | "axios"
                | "got"
                | "ky"
                | "superagent"
                | "guzzle"
                | "httpx"
                | "urllib"
                | "web"
                | "webclient"
                | "resty"
                | "harvest"
                | "greenhouse"
                | "gh"
                | "class"
                | "service"
                | "agent"
                | "net"
        )
    })
}

/// Callees that build a collection literal: `Map.of(...)`, `mapOf(...)`, `dict(...)`,
/// `HashMap::from([...])`, `List.of(...)`, `array(...)`.
fn collection_call(chain: &[String]) -> bool {
    chain.iter().any(|w| {
        matches!(
            w.to_ascii_lowercase().as_str(),
            "mapof"
                | "hashmapof"
                | "mutablemapof"
                | "listof"
                | "arrayof"
                | "setof"
                | "dict"
                | "array"
                | "aslist"
                | "hash"
                | "frozenset"
                | "tuple"
                | "immutablemap"
                | "hashmap"
                | "btreemap"
                | "dictionary"
                | "map"
                | "list"
                | "entry"
                | "pair"
                | "to"
        )
    }) || chain
        .last()
        .is_some_and(|w| matches!(w.as_str(), "of" | "from" | "ofEntries"))
}

impl Analyzer<'_> {
    /// Literal route tables: a map or list whose values resolve to catalogue routes
    /// (`ROUTES = {"jobs": "jobs", "note": ("POST", "candidates/{id}/activity_feed/notes")}`).
    /// Each value that resolves is a finding, with the method of its `(verb, path)` pair.
    /// True when it fired.
    pub(super) fn route_table_rule(&mut self, i: usize, f: &str) -> bool {
        if self.ctx.plain
            || self.is_assign(i + 1)
            || (!self.other_names.is_empty() && self.names.is_empty())
        {
            return false;
        }
        let Some((outer, method)) = self.table_entry(i) else {
            return false;
        };
        // An entry the catalogue lacks, under a known resource, is reported as written.
        let (found, as_written) = match table_route(f) {
            Some(r) => (r, false),
            None => match table_path(f) {
                Some(r) => (r, true),
                None => return false,
            },
        };
        let (version, segs) = found;
        // The action a map key names: `list`/`retrieve`/`get` read, `create` posts, …
        let method = method.or_else(|| self.key_before(i).and_then(|k| action_verb(&k)));
        // At least two values of the table resolve — in it, or in the table it is a value of
        // (a nested table per resource: `{"users": {"list": "users", "one": "users/{id}"}}`).
        let mut t = outer;
        let mut enough = false;
        for _ in 0..3 {
            if t == NONE || !self.table_group(t) {
                break;
            }
            if self.table_routes(t) >= 2 {
                enough = true;
                break;
            }
            t = self.parent[t];
        }
        if !enough {
            return false;
        }
        let route = RouteReq {
            method: method.map(str::to_string),
            version,
            segs,
            allow_prefix: false,
            as_written,
        };
        self.cand(
            i,
            Kind::Endpoint,
            Need::Legacy,
            Some(route),
            "route table entry",
        );
        true
    }

    /// Is string `i` a value of a table (not a call argument): the group holding the table, and
    /// the verb of its `(verb, path)` pair if any. A bare word (`"jobs"`) counts only as a map
    /// value; list elements need a slash (`["jobs/{id}", ...]`): lists of bare words are field
    /// or entity names.
    fn table_entry(&self, i: usize) -> Option<(usize, Option<&'static str>)> {
        let g = self.parent[i];
        if g == NONE || !self.table_group(g) {
            return None;
        }
        let prev = self.tok(i.checked_sub(1)?)?;
        let next = self.tok(i + 1)?;
        // `key: value`, `key => value`, Kotlin's `key to value`.
        let map_value = self.is_assign(i - 1) || (prev.kind == Tk::Word && prev.text == "to");
        let element = prev.punct(",") || prev.kind == Tk::Open;
        let ends = next.punct(",") || next.kind == Tk::Close || next.punct(";");
        if !(map_value || element) || !ends {
            return None;
        }
        let slashed = self.toks[i].lit().trim_matches('/').contains('/');
        // A `(verb, path)` / `[verb, path]` pair inside the table (not a key of it).
        let members = self.members(g, i);
        let first_verb = members.iter().find_map(|&m| {
            let t = &self.toks[m];
            (m != i && t.kind == Tk::Str)
                .then(|| routes::verb(t.lit().trim()))
                .flatten()
        });
        if let Some(v) = first_verb {
            let outer = self.parent[g];
            let key = self.is_assign(self.mate[g].saturating_add(1));
            return (members.len() <= 7 && !key && outer != NONE && self.table_group(outer))
                .then_some((outer, Some(v)));
        }
        // A `{ key, value }` pair of a collection initializer (C#), or `(key, value)` tuple.
        let outer = self.parent[g];
        if members.len() == 3
            && members[2] == i
            && self.toks[members[0]].kind == Tk::Str
            && outer != NONE
            && self.toks[outer].text != "("
            && self.table_group(outer)
        {
            return Some((outer, None));
        }
        (map_value || slashed).then_some((g, None))
    }

    /// A bracket group that can hold a table: a map/list literal, a tuple, or the arguments of
    /// a collection constructor — not a call's arguments or a code block.
    fn table_group(&self, g: usize) -> bool {
        match self.toks[g].text.as_str() {
            "(" => {
                let chain = self.callee(g);
                chain.is_empty() || collection_call(&chain)
            }
            "[" => true,
            "{" => {
                // A map literal: its first member is a key (`"jobs":`, `jobs:`, `'jobs' =>`).
                let m = self.members(g, g);
                m.first().is_some_and(|&k| {
                    matches!(self.toks[k].kind, Tk::Str | Tk::Word | Tk::Open) && {
                        let n = self.toks.get(k + 1);
                        n.is_some_and(|t| matches!(t.text.as_str(), ":" | "=>" | "=" | ","))
                            || self.toks[k].kind == Tk::Open
                    }
                })
            }
            _ => false,
        }
    }

    /// How many values of the table at `outer` resolve to catalogue routes.
    fn table_routes(&self, outer: usize) -> usize {
        let end = self.mate[outer];
        if end == NONE {
            return 0;
        }
        let mut n = 0;
        for j in outer + 1..end.min(outer + 2000) {
            let t = &self.toks[j];
            if t.kind != Tk::Str || self.is_assign(j + 1) {
                continue;
            }
            if self
                .table_entry(j)
                .is_some_and(|(o, _)| self.within(o, outer, 3))
                && table_route(&flat(&t.parts)).is_some()
            {
                n += 1;
                if n >= 2 {
                    break;
                }
            }
        }
        n
    }
}

impl Analyzer<'_> {
    /// Is group `g` the group `outer` or nested in it at most `levels` deep?
    fn within(&self, g: usize, outer: usize, levels: usize) -> bool {
        let mut k = g;
        for _ in 0..=levels {
            if k == outer {
                return true;
            }
            if k == NONE {
                return false;
            }
            k = self.parent[k];
        }
        false
    }
}

/// The verb an action name stands for (`list`, `retrieve`, `show` → GET; `create`, `add` → POST;
/// `update`, `edit` → PATCH; `replace` → PUT; `delete`, `remove`, `destroy` → DELETE).
fn action_verb(key: &str) -> Option<&'static str> {
    crate::words::words(key).iter().find_map(|w| {
        Some(match w.as_str() {
            "list" | "retrieve" | "get" | "fetch" | "show" | "index" | "read" | "find" | "all" => {
                "GET"
            }
            "create" | "add" | "new" | "post" => "POST",
            "update" | "edit" | "patch" | "modify" => "PATCH",
            "replace" | "put" | "set" => "PUT",
            "delete" | "remove" | "destroy" | "del" => "DELETE",
            _ => return None,
        })
    })
}

/// A table value under a known resource that the catalogue does not list.
fn table_path(f: &str) -> Option<(Option<String>, Vec<String>)> {
    if f.contains("://") || f.len() > 200 || !f.contains('/') {
        return None;
    }
    let segs = routes::normalize_path(f)?;
    let (version, rest) = match routes::legacy_version(&segs[0]) {
        Some(v) => (Some(v.to_string()), segs[1..].to_vec()),
        None if routes::is_version(&segs[0]) => return None,
        None => (None, segs),
    };
    (rest.len() >= 2 && routes::resource_names().contains(&rest[0])).then_some((version, rest))
}

/// A table value that is a catalogue route: (its version, its segments).
fn table_route(f: &str) -> Option<(Option<String>, Vec<String>)> {
    if f.contains("://") || f.len() > 200 {
        return None;
    }
    let segs = routes::normalize_path(f)?;
    let (version, rest) = match routes::legacy_version(&segs[0]) {
        Some(v) => (Some(v.to_string()), segs[1..].to_vec()),
        None if routes::is_version(&segs[0]) => return None,
        None => (None, segs),
    };
    if rest.is_empty() || !routes::resource_names().contains(&rest[0]) {
        return None;
    }
    let v = version.as_deref().unwrap_or("v1");
    routes::resolve(None, v, &rest, false)
        .filter(|r| r.exact)
        .map(|_| (version, rest))
}
