//! The detection rules, language-independent, over the token stream of one file (see `lex`).
//! Each rule family lives in its own module: full URLs and base URLs (`base_url`), relative
//! paths (`paths`), Basic auth (`auth`), the HTTP method of a call site (`method`); `nav` holds
//! the token-stream navigation they share.

mod analyzer;
mod auth;
mod base_url;
mod method;
mod nav;
mod params;
mod paths;
mod values;
mod wrappers;

use crate::model::{FileFacts, Kind, Need};
use crate::routes::HARVEST_HOST;
use crate::tokens::Tk;
use crate::urls::{harvest_urls, mentions_harvest_greenhouse};
use crate::words::flat;
pub use analyzer::{Analyzer, Ctx};
pub use wrappers::generic_name;

/// Is this URL text (lower case) the base of another API than Harvest v1/v2: a URL that names
/// no Harvest v1/v2 base, on another host or on Harvest v3?
fn is_other_api(low: &str) -> bool {
    let Some(p) = low.find("://") else {
        return false;
    };
    let rest = &low[p + 3..];
    let host = rest.split(['/', '"', '\'', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains(['{', '$', '%']) {
        return false;
    }
    if host.ends_with(HARVEST_HOST) {
        return rest[host.len()..].starts_with("/v3");
    }
    host.contains('.')
}

impl Analyzer<'_> {
    /// Runs every rule.
    pub fn run(mut self) -> FileFacts {
        let n = self.toks.len();
        if !self.ctx.plain {
            self.collect_constants();
        }
        // Mentions, and the first pass over full URLs to learn the base names.
        for i in 0..n {
            let t = &self.toks[i];
            match t.kind {
                Tk::Word => {
                    if t.text.len() >= 3 && self.facts.idents.len() < 20_000 {
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
                    if low.contains("://") && is_other_api(&low) {
                        let names = self.bound_names(i);
                        self.other_names.extend(names);
                    } else if self.starts_from_host(i)
                        && let Some((parts, _)) = self.compose_resolved(i)
                        && is_other_api(&flat(&parts).to_ascii_lowercase())
                    {
                        // `V3 = f"{HOST}/v3"`: the host constant made another API's base.
                        let names = self.bound_names(self.concat_start(i));
                        self.other_names.extend(names);
                    }
                    if self.may_hold_harvest(i, &low)
                        && let Some((parts, _)) = self.compose_resolved(i)
                    {
                        let f = flat(&parts);
                        for u in harvest_urls(&f) {
                            match u.version {
                                Some(v) if u.rest.is_empty() => {
                                    self.facts.legacy = true;
                                    self.facts.legacy_version.get_or_insert(v.to_string());
                                    let start = self.concat_start(i);
                                    self.bind_names(start);
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
        let mut own_other: Vec<String> = self
            .other_names
            .iter()
            .filter(|n| !self.ctx.hints.other_names.contains(*n) && n.len() >= 3)
            .cloned()
            .collect();
        own_other.sort();
        self.facts.other_names = own_other;
        // A name this file binds to another API's base is that API's here, whatever another
        // file of the project binds it to (`BASE` in a Lever client beside the Harvest one).
        if !self.other_names.is_empty() {
            let own: std::collections::HashSet<&String> = self.facts.base_names.iter().collect();
            let other = &self.other_names;
            self.names.retain(|n| !other.contains(n) || own.contains(n));
        }
        if !self.ctx.plain {
            self.alias_rule();
            self.base_param_rule();
        }
        self.host_and_version_rule();
        self.wrapper_rule();
        for i in 0..n {
            let kind = self.toks[i].kind;
            if kind == Tk::Str {
                self.string_rules(i);
            } else if kind == Tk::Word && !self.ctx.plain && !self.basic_auth_word_rule(i) {
                self.base_concat_rule(i);
                self.dynamic_call_rule(i);
            }
        }
        if !self.auth_funcs.is_empty() {
            self.auth_use_rule();
        }
        self.facts
    }

    /// The rules on one string literal, in order.
    fn string_rules(&mut self, i: usize) {
        let lit = self.toks[i].lit();
        if lit.to_ascii_lowercase().contains("on-behalf-of") {
            self.cand(
                i,
                Kind::OnBehalfOf,
                Need::Legacy,
                None,
                "On-Behalf-Of header",
            );
        }
        self.curl_user_rule(i, &lit);
        if self.ctx.plain {
            if lit.to_ascii_lowercase().contains(HARVEST_HOST) {
                self.absolute_composed(i, &lit);
            }
            self.plain_basic_header_rule(i, &lit);
            return;
        }
        let Some((parts, lead)) = self.compose_resolved(i) else {
            return;
        };
        let f = flat(&parts);
        self.basic_string_rules(i, &lit, &parts, lead.as_deref(), &f);
        if lead.is_none() && parts.len() == 1 && self.resource_list_rule(i, &lit) {
            return;
        }
        if lead.is_none() && self.route_table_rule(i, &f) {
            return;
        }
        self.link_next_rule(i, &lit, &f);
        let flow = f.to_ascii_lowercase();
        if flow.contains(HARVEST_HOST) {
            self.absolute_composed(i, &f);
            return;
        }
        if flow.contains("://") || flow.starts_with("//") {
            return;
        }
        let lead_is_base = lead.as_deref().is_some_and(|l| self.is_base_name(l, i))
            || matches!(parts.first(), Some(crate::tokens::Part::Expr(e)) if self.is_base_name(e, i));
        if self.base_template_rule(i, &f, lead_is_base) {
            return;
        }
        self.relative_rule(i, &parts, lead, lead_is_base);
    }
}
