//! HTTP Basic with the API key as username and a blank password, in its many spellings:
//! `auth=(key, "")`, `password: ""`, `basic_auth(key, Some(""))`, base64 of `key + ":"`,
//! a hand-built `Authorization: Basic` header, `curl -u key:`, `HTTPBasicAuth(...)`.

use std::collections::HashSet;

use super::analyzer::{Analyzer, NONE};
use crate::model::{Kind, Need};
use crate::tokens::{Part, Tk};
use crate::words::split_lead;

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

impl Analyzer<'_> {
    /// Plain text (docs, tables): an `Authorization` header word followed on the same line by a
    /// `Basic …` value.
    pub(super) fn plain_basic_header_rule(&mut self, i: usize, lit: &str) {
        let word = |s: &str| {
            s.trim_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_ascii_lowercase()
        };
        if word(lit) != "authorization" {
            return;
        }
        let line = self.toks[i].line;
        let basic = (i + 1..(i + 5).min(self.toks.len()))
            .take_while(|&k| self.toks[k].line == line)
            .any(|k| {
                let w = self.toks[k].lit();
                w.trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
                    .to_ascii_lowercase()
                    .starts_with("basic")
            });
        if basic {
            self.cand(
                i,
                Kind::BasicAuth,
                Need::Legacy,
                None,
                "Authorization: Basic header",
            );
        }
    }

    /// `curl -u key:` / `--user=key:` in a command line.
    pub(super) fn curl_user_rule(&mut self, i: usize, lit: &str) {
        if matches!(lit, "-u" | "--user")
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
    }

    /// A composed string (`parts`, after a concatenated `lead`, flattened to `f`): a hand-built
    /// `Basic …` header, base64 of `key + ":"`, a blank password.
    pub(super) fn basic_string_rules(
        &mut self,
        i: usize,
        lit: &str,
        parts: &[Part],
        lead: Option<&str>,
        f: &str,
    ) {
        let flow = f.to_ascii_lowercase();
        // `"Basic " + token`, `f"Basic {token}"`, `"Basic %s" % token`, `Sprintf("Basic %s", t)`.
        let placeholder = lit
            .strip_prefix("Basic ")
            .is_some_and(|r| ["%s", "%v", "{}", "{0}"].iter().any(|p| r.starts_with(p)));
        if (lit.starts_with("Basic ")
            && (parts.len() > 1 || lead.is_some() || self.is_concat(i + 1) || placeholder))
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
        let key_colon =
            (f == ":" && lead.is_some()) || split_lead(f).is_some_and(|(_, rest)| rest == ":");
        if key_colon {
            // Base64 in the same statement, or later on the variable the credentials are kept
            // in (`creds = key + ":"` … `b64encode(creds)`).
            let stmt = self.stmt_text_low(i);
            if BASE64_HINTS.iter().any(|h| stmt.contains(h)) || self.flows_into_base64(i) {
                self.cand(
                    i,
                    Kind::BasicAuth,
                    Need::Legacy,
                    None,
                    "base64 of the API key and a blank password",
                );
            }
        }
        if parts.is_empty() && lead.is_none() {
            self.empty_string_rules(i);
        }
    }

    /// Is the string at `i` (the API key and a colon) kept in a variable that a base64 call
    /// takes later in the same function?
    fn flows_into_base64(&self, i: usize) -> bool {
        let Some((var, from)) = self.assigned_var(i) else {
            return false;
        };
        let func = self.toks[i].func;
        for j in from..(from + 300).min(self.toks.len()) {
            let t = &self.toks[j];
            if t.func != func {
                continue;
            }
            let named = (t.kind == Tk::Word && t.text == var)
                || (t.kind == Tk::Str
                    && t.parts
                        .iter()
                        .any(|p| matches!(p, Part::Expr(e) if e.trim() == var)));
            if !named {
                continue;
            }
            let mut g = self.parent[j];
            for _ in 0..3 {
                if g == NONE {
                    break;
                }
                if self.toks[g].text == "(" {
                    let callee: String = self.callee(g).join(".").to_ascii_lowercase();
                    if BASE64_HINTS.iter().any(|h| callee.contains(h)) {
                        return true;
                    }
                }
                g = self.parent[g];
            }
            // `var.encode("utf-8")` chained into base64 on the same statement.
            let stmt = self.stmt_text_low(j);
            if stmt.contains("base64") || stmt.contains("btoa") || stmt.contains("b64encode") {
                return true;
            }
        }
        false
    }

    /// A word naming Basic auth used as a call or key (`HTTPBasicAuth(...)`, `basic_auth:`),
    /// not imported. True when it fired.
    pub(super) fn basic_auth_word_rule(&mut self, i: usize) -> bool {
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
            && !self.visible_password(i)
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
            return true;
        }
        // An auth-type enum member: `type=AuthType.BASIC`, `AuthScheme::Basic`.
        if norm == "basic"
            && i >= 3
            && (self.is_assign(i - 3) || matches!(self.toks[i - 3].text.as_str(), "(" | ","))
            && matches!(self.toks[i - 1].text.as_str(), "." | "::")
            && crate::words::words(&self.toks[i - 2].text)
                .iter()
                .any(|w| w.starts_with("auth"))
        {
            self.cand(
                i,
                Kind::BasicAuth,
                Need::Legacy,
                None,
                "Basic authentication with the API key",
            );
            return true;
        }
        false
    }

    /// `password: ""` (and the `username:` beside it). True when it fired.
    fn blank_password_key_rule(&mut self, i: usize) -> bool {
        let Some(k) = self.key_before(i) else {
            return false;
        };
        let k = k.to_ascii_lowercase();
        if !matches!(
            k.as_str(),
            "password" | "pass" | "passwd" | "pwd" | ":password"
        ) {
            return false;
        }
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
        true
    }

    fn empty_string_rules(&mut self, i: usize) {
        if self.blank_password_key_rule(i) {
            return;
        }
        // An auth scheme named just before: Faraday's `f.request :authorization, :basic, key, ""`.
        if i >= 1 && self.toks[i - 1].punct(",") {
            let (s, _) = self.stmt_range(i);
            let basic = (i.saturating_sub(8).max(s)..i).any(|k| {
                let t = &self.toks[k];
                let w = match t.kind {
                    Tk::Str => t.lit(),
                    _ => t.text.clone(),
                };
                matches!(w.to_ascii_lowercase().as_str(), ":basic" | "basic")
            });
            if basic {
                self.cand(
                    i,
                    Kind::BasicAuth,
                    Need::Legacy,
                    None,
                    "API key as username with a blank password",
                );
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

    /// A Basic-auth call whose second argument is visibly a password (not blank):
    /// `.basic_auth(client_id, Some(secret))`, `setBasicAuth(user, pass)`.
    fn visible_password(&self, i: usize) -> bool {
        let g = i + 1;
        if self.tok(g).is_none_or(|t| t.text != "(") || self.mate[g] == NONE {
            return false;
        }
        let end = self.mate[g];
        let mut commas = Vec::new();
        let mut j = g + 1;
        while j < end {
            if self.toks[j].punct(",") {
                commas.push(j);
            }
            if self.toks[j].kind == Tk::Open && self.mate[j] != NONE {
                j = self.mate[j] + 1;
            } else {
                j += 1;
            }
        }
        let Some(&c) = commas.first() else {
            return false;
        };
        let stop = commas.get(1).copied().unwrap_or(end);
        let arg: Vec<&crate::tokens::Tok> = self.toks[c + 1..stop].iter().collect();
        // Visible: a non-empty string, or a word other than a blank or a type
        // (`None::<&str>`, `Some("")`, `nil`).
        arg.iter().any(|t| match t.kind {
            Tk::Str => !t.lit().is_empty(),
            Tk::Word => !matches!(
                t.text.as_str(),
                "None" | "nil" | "null" | "undefined" | "Some" | "str" | "String" | "string"
            ),
            _ => false,
        })
    }

    /// `auth: this._auth()`: a use of a function that builds the Basic credentials.
    pub(super) fn auth_use_rule(&mut self) {
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
