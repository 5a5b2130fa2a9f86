//! Full Harvest v1/v2 URLs and base URLs in strings, and the names the base URL is bound to
//! (`BASE_URL = "https://harvest.greenhouse.io/v1"`, `def _base_url(): return ...`).

use super::analyzer::{Analyzer, NONE};
use crate::model::{Kind, Need, RouteReq};
use crate::routes::{self, HARVEST_HOST};
use crate::tokens::Tk;
use crate::urls::harvest_urls;
use crate::words::last_ident;

impl Analyzer<'_> {
    /// Names a base URL string at `i` is bound to.
    pub(super) fn bind_names(&mut self, i: usize) {
        for n in self.bound_names(i) {
            self.names.insert(n.clone());
            self.facts.base_names.push(n);
        }
        // Also a settings key (a config array or object: Laravel's `'greenhouse' => ['url' =>
        // env('GREENHOUSE_URL', 'https://…/v1')]`, `module.exports = { greenhouse: { baseUrl } }`).
        let path = self.key_path(i);
        if path.len() >= 2 {
            let refs: Vec<&str> = path.iter().map(String::as_str).collect();
            self.facts
                .settings
                .extend(crate::settings::names_of_path(&refs));
            if let Some(last) = path.last() {
                self.facts.setting_words.push(last.clone());
            }
        }
        if let Some(var) = self.env_default_of(i) {
            self.facts
                .settings
                .extend(crate::settings::names_of_path(&[var.as_str()]));
            self.facts.setting_words.push(var);
        }
    }

    /// The keys down to the value at `i`: its own key and those of the groups around it (a call
    /// around it counts as the value of its key: `'url' => env('X', '…')`).
    pub(super) fn key_path(&self, i: usize) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(k) = self.key_before(i) {
            out.push(k);
        }
        let mut g = self.parent[i];
        for _ in 0..6 {
            if g == NONE {
                break;
            }
            let at = if self.toks[g].text == "(" && g >= 1 && self.toks[g - 1].kind == Tk::Word {
                self.operand_left(g - 1)
            } else {
                g
            };
            if let Some(k) = self.key_before(at) {
                out.push(k);
            }
            g = self.parent[at];
        }
        out.reverse();
        out.retain(|k| !k.is_empty() && k.len() < 64);
        out
    }

    /// `getenv("X", "https://…/v1")`, `env('X', '…')`, `ENV.fetch("X", "…")`: the variable
    /// whose default the base at `i` is.
    fn env_default_of(&self, i: usize) -> Option<String> {
        let g = self.parent[i];
        if g == NONE || self.toks[g].text != "(" {
            return None;
        }
        let chain = self.callee(g);
        let envish = chain.iter().any(|w| {
            let l = w.to_ascii_lowercase();
            l.contains("env") || l == "fetch" || l == "get"
        }) && chain.iter().any(|w| w.to_ascii_lowercase().contains("env"));
        let first = *self.members(g, i).first()?;
        (envish && first != i && self.toks[first].kind == Tk::Str).then(|| self.toks[first].lit())
    }

    /// Names the URL string at `i` is bound to: the key or variable it is the value of (also
    /// through a call such as `os.getenv("X", "https://...")`), or the function returning it.
    pub(super) fn bound_names(&self, i: usize) -> Vec<String> {
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
        found
            .iter()
            .map(|n| last_ident(n).to_string())
            .filter(|n| !n.is_empty() && n.len() < 64)
            .collect()
    }

    /// Plain text: an HTTP verb right before the URL on its line (`GET https://…`, `` `POST ``).
    fn plain_verb_before(&self, i: usize) -> Option<&'static str> {
        let p = self.toks.get(i.checked_sub(1)?)?;
        if p.line != self.toks[i].line {
            return None;
        }
        routes::verb(p.lit().trim_matches(|c: char| !c.is_ascii_alphabetic()))
    }

    /// Full Harvest v1/v2 URLs (and base URLs) in the composed text `f` of string `i`.
    pub(super) fn absolute_composed(&mut self, i: usize, f: &str) {
        let (line, col) = (self.toks[i].line, self.toks[i].col);
        let tok_text = self.toks[i].text.clone();
        let tok_start = self.toks[i].start;
        let single = self.toks[i].parts.len() <= 1 && !self.is_concat(i + 1);
        for u in harvest_urls(f) {
            let Some(v) = u.version else { continue };
            // Past constants substituted into `f`, its line breaks are not the file's: count
            // them only as far as the string's own last line.
            let own_lines = tok_text.matches('\n').count();
            let line = self
                .composed_line(i, f, u.at)
                .unwrap_or_else(|| line + f[..u.at].matches('\n').count().min(own_lines) as u32);
            if u.blank_userinfo {
                self.push(
                    line,
                    col,
                    Kind::BasicAuth,
                    Need::Nothing,
                    None,
                    None,
                    "API key in the URL's userinfo with a blank password",
                );
            }
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
                self.plain_verb_before(i)
            } else {
                self.call_method(i)
            };
            // A path decided at run time (`HOST + "/v1/" + path`): no route.
            let segs = if u.rest.starts_with('\u{0}') {
                None
            } else {
                routes::normalize_path(&u.rest)
            };
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
                as_written: false,
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

    /// The line of byte `at` of the composition `f` starting at string `i`: each operand of a
    /// concatenation spanning lines keeps its own line (None when `f` is not the plain
    /// composition, e.g. after constants were substituted).
    fn composed_line(&self, i: usize, f: &str, at: usize) -> Option<u32> {
        let (parts, _) = self.compose(i)?;
        if crate::words::flat(&parts).len() != f.len() {
            return None;
        }
        let mut marks: Vec<(usize, usize)> = vec![(0, i)];
        let mut off = crate::words::flat(&self.toks[i].parts).len();
        let mut k = i + 1;
        let mut count = 0;
        while self.is_concat(k) && count < 12 && self.toks[k].text != "+=" {
            let start = k + 1;
            let end = self.operand_right(start);
            if end <= start {
                break;
            }
            marks.push((off, start));
            off += if end == start + 1 && self.toks[start].kind == Tk::Str {
                crate::words::flat(&self.toks[start].parts).len()
            } else {
                1
            };
            k = end;
            count += 1;
        }
        let &(o, t) = marks.iter().rev().find(|(o, _)| *o <= at)?;
        let nl = f.get(o..at).map_or(0, |s| s.matches('\n').count()) as u32;
        Some(self.toks[t].line + nl)
    }

    /// The bare Harvest host combined with a `/v1` (`/v2`) segment in the same file
    /// (`{host: HOST, path: "/v1" + path}`, `HOST + "/v2/"`): the file has a legacy base, and a
    /// version segment joined to a variable path is a request built from it. A bare host alone
    /// is not legacy: v3 code uses the same host.
    pub(super) fn host_and_version_rule(&mut self) {
        if !self.facts.harvest_host || self.ctx.plain {
            return;
        }
        let mut hits = Vec::new();
        for i in 0..self.toks.len() {
            if self.toks[i].kind != Tk::Str {
                continue;
            }
            let lit = self.toks[i].lit();
            let seg = lit.trim_end_matches('/');
            let Some(v) = seg.strip_prefix('/').and_then(routes::legacy_version) else {
                continue;
            };
            // Joined to a variable path; not the host constant itself (`${HOST}/v1` is the
            // base, reported as such).
            let joined = (self.is_concat(i + 1) || self.toks[i].parts.len() > 1)
                && !self.starts_from_host(i);
            hits.push((i, v, joined));
        }
        for (i, v, joined) in hits {
            self.facts.legacy = true;
            self.facts.legacy_version.get_or_insert(v.to_string());
            if joined {
                self.cand(
                    i,
                    Kind::Endpoint,
                    Need::Nothing,
                    None,
                    "request URL built from the Harvest host and a v1/v2 segment",
                );
            }
        }
    }
}
