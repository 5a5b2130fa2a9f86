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
        if i == 0
            || self.tok(i + 1).is_none_or(|t| t.text != "(")
            || !matches!(self.toks[i - 1].text.as_str(), "." | "->" | "?.")
        {
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
        if self.names.is_empty() || !self.names.contains(t.text.as_str()) {
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

    pub(super) fn relative_rule(
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
        // Built on the base of another API (`f"{BOARDS}/{token}/jobs"`, `V3 + "/jobs"`).
        if let Some(l) = lead.as_deref() {
            let id = crate::words::last_ident(l);
            if self.other_names.contains(id) && !self.names.contains(id) {
                return;
            }
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
            let pathish = key.as_deref().is_some_and(routes::is_path_key);
            let verb_call = {
                let g = self.parent[i];
                (g != NONE && self.toks[g].text == "(" && self.http_verb_call(g))
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
            // An unknown tail under a known route (`/applications/{id}/attachment:download/…`)
            // is reported as the route it hangs under.
            allow_prefix: true,
        };
        let why = if version.is_some() {
            "legacy versioned path"
        } else {
            "path relative to the Harvest v1/v2 base URL"
        };
        self.cand(i, Kind::Endpoint, need, Some(route), why);
    }
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
fn is_http_client_word(w: &str) -> bool {
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
