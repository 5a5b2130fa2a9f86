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

    /// Full Harvest v1/v2 URLs (and base URLs) in the composed text `f` of string `i`.
    pub(super) fn absolute_composed(&mut self, i: usize, f: &str) {
        let (line, col) = (self.toks[i].line, self.toks[i].col);
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
}
