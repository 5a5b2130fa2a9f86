//! The HTTP method of a request, from its call site: the callee (`requests.post`), an options
//! object (`method: "POST"`), a later builder call (`.post()`), the variable the URL is bound to.

use super::analyzer::{Analyzer, NONE};
use crate::routes;
use crate::tokens::Tk;
use crate::words::verb_of_word;

impl Analyzer<'_> {
    pub(super) fn chain_verb(chain: &[String]) -> Option<&'static str> {
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

    pub(super) fn method_in_group(&self, g: usize, near: usize) -> Option<&'static str> {
        if self.toks[g].text == "(" {
            let chain = self.callee(g);
            // A wrapper's summary says which verb it issues (`create` that POSTs, `update` that
            // PATCHes); a verb passed to it explicitly still wins.
            if let Some(w) = chain.last().and_then(|n| self.wrappers.get(n))
                && w.verb.is_some()
            {
                return self.members_verb(g, near).or(w.verb);
            }
            if let Some(v) = Self::chain_verb(&chain) {
                return Some(v);
            }
        }
        self.members_verb(g, near)
    }

    /// A verb given among a group's members: `method: "POST"` (also in an options object
    /// passed to the call), a verb string argument, `http.MethodPatch`.
    pub(super) fn members_verb(&self, g: usize, near: usize) -> Option<&'static str> {
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

    pub(super) fn method_at(&self, i: usize, flow: bool) -> Option<&'static str> {
        // Ruby/Crystal command call: `get "/candidates"` (on the same line).
        if i >= 1 && self.toks[i - 1].kind == Tk::Word && self.toks[i - 1].line == self.toks[i].line
        {
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
            let func = self.toks[i].func;
            for j in from..(from + 80).min(self.toks.len()) {
                let t = &self.toks[j];
                // The variable's uses in the same function only.
                if t.func != func {
                    break;
                }
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
    pub(super) fn chained_verb(&self, i: usize) -> Option<&'static str> {
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
    pub(super) fn assigned_var(&self, i: usize) -> Option<(String, usize)> {
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
}
