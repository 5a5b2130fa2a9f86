//! Navigating the token stream: brackets, keys and assignments, call chains, operands and
//! concatenations.

use super::analyzer::{Analyzer, NONE, WINDOW};
use crate::tokens::{self, Part, Tk, Tok};
use crate::words::last_ident;

/// The key of a subscript ending an expression: `api['base']` → `base` (a name bound to the
/// base is read as a key as well as an attribute).
fn subscript_key(expr: &str) -> Option<&str> {
    let e = expr.trim().strip_suffix(']')?;
    let e = e.strip_suffix(['\'', '"'])?;
    let start = e.rfind(['\'', '"'])?;
    let key = &e[start + 1..];
    (!key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_')).then_some(key)
}

/// Does a token at a line break continue the statement (an operator, a comma, a dot chain)?
fn continues(t: &str) -> bool {
    matches!(
        t,
        "+" | "-"
            | "*"
            | "/"
            | "."
            | "->"
            | "?."
            | ","
            | "="
            | ":="
            | "&&"
            | "||"
            | "and"
            | "or"
            | "?"
            | ":"
            | "=>"
            | "\\"
            | "+="
            | "<<"
            | "|"
    )
}

impl Analyzer<'_> {
    pub(super) fn tok(&self, i: usize) -> Option<&Tok> {
        self.toks.get(i)
    }

    pub(super) fn is_assign(&self, i: usize) -> bool {
        self.tok(i).is_some_and(|t| {
            t.kind == Tk::Punct
                && matches!(
                    t.text.as_str(),
                    ":" | "=" | "=>" | ":=" | "||=" | "??=" | "?:" | "->"
                )
        })
    }

    /// The key/variable a token (or group opening at `i`) is the value of.
    pub(super) fn key_before(&self, i: usize) -> Option<String> {
        if i < 2 || !self.is_assign(i - 1) {
            return None;
        }
        let k = &self.toks[i - 2];
        let mut key = match k.kind {
            Tk::Word => k.text.clone(),
            Tk::Str => k.lit(),
            _ => return None,
        };
        // `name: Type = value`, `name: &'static str = value`, `name: Option<String> = value`
        if self.toks[i - 1].punct("=") && k.kind == Tk::Word {
            let mut j = i - 2;
            for _ in 0..6 {
                if j < 2 {
                    break;
                }
                j -= 1;
                let t = &self.toks[j];
                // The annotation is on the same line (not an `if …:` ending the line before).
                if t.line != k.line || t.punct(";") {
                    break;
                }
                if t.punct(":") {
                    if self.toks[j - 1].kind == Tk::Word {
                        key = self.toks[j - 1].text.clone();
                    }
                    break;
                }
                let typeish = t.kind == Tk::Word
                    || matches!(
                        t.text.as_str(),
                        "&" | "'" | "<" | ">" | "::" | "[" | "]" | "?" | ","
                    );
                if !typeish {
                    break;
                }
            }
        }
        Some(key)
    }

    /// Words of the call chain before an opening parenthesis.
    pub(super) fn callee(&self, open: usize) -> Vec<String> {
        let mut out = Vec::new();
        if open == 0 || open == NONE {
            return out;
        }
        let mut j = open - 1;
        // Type arguments right before the call: `send<T>(`, `get<{ id: number }>(`, `Get::<T>(`.
        if self.toks[j].text == ">" {
            match self.type_args_start(j) {
                Some(s) if s >= 1 => j = s - 1,
                _ => return out,
            }
        }
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

    /// The `<` opening the type arguments that the `>` at `close` ends (within a few tokens).
    fn type_args_start(&self, close: usize) -> Option<usize> {
        let mut depth = 0i32;
        let mut k = close;
        for _ in 0..40 {
            let t = &self.toks[k];
            match t.text.as_str() {
                ">" => depth += 1,
                ">>" => depth += 2,
                "<" => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(k);
                    }
                }
                ";" | "=" | "==" | "&&" | "||" => return None,
                _ => {}
            }
            k = k.checked_sub(1)?;
        }
        None
    }

    /// Direct members of a group around position `near` (nested groups skipped).
    pub(super) fn members(&self, g: usize, near: usize) -> Vec<usize> {
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

    /// Start index of the operand ending at `end` (walking left).
    pub(super) fn operand_left(&self, end: usize) -> usize {
        let mut k = end;
        loop {
            let t = &self.toks[k];
            if t.kind == Tk::Close && self.mate[k] != NONE {
                k = self.mate[k];
                // Chained subscripts and calls: `cfg["a"]["b"]`, `f()["x"]`.
                if self.toks[k].text == "[" && k > 0 && self.toks[k - 1].kind == Tk::Close {
                    k -= 1;
                    continue;
                }
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
    pub(super) fn operand_right(&self, start: usize) -> usize {
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

    pub(super) fn is_concat(&self, i: usize) -> bool {
        self.tok(i).is_some_and(|t| {
            t.kind == Tk::Punct
                && (t.text == "+"
                    || t.text == "+="
                    || t.text == "<<"
                    || (self.ctx.dot_concat && t.text == "."))
        })
    }

    pub(super) fn text_range(&self, a: usize, b: usize) -> String {
        let mut s = String::new();
        for t in &self.toks[a..b.min(self.toks.len())] {
            s.push_str(&t.text);
        }
        s
    }

    /// Composes the string starting at `i` with concatenated operands. None when `i` is not the
    /// leftmost string of its concatenation.
    pub(super) fn compose(&self, i: usize) -> Option<(Vec<Part>, Option<String>)> {
        let mut lead = None;
        if i >= 2 && self.is_concat(i - 1) {
            let mut end = i - 2;
            let mut texts = Vec::new();
            loop {
                let start = self.operand_left(end);
                if start > end {
                    break;
                }
                // A string operand on the left (not one inside a subscript or call:
                // `cfg["base"] + "/jobs"` starts from `cfg[...]`).
                if (start..=end)
                    .any(|k| self.toks[k].kind == Tk::Str && self.parent[k] == self.parent[i])
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
        Some((tokens::merge(parts), lead))
    }

    /// The first token of the concatenation that token `i` is an operand of.
    pub(super) fn concat_start(&self, i: usize) -> usize {
        let mut start = self.operand_left(i).min(i);
        while start >= 2 && self.is_concat(start - 1) {
            let s = self.operand_left(start - 2);
            if s > start - 2 {
                break;
            }
            start = s;
        }
        start
    }

    /// Is the expression text at token `at` a legacy base: a base name (or a parameter bound to
    /// the base in the function around `at`), a base name read as a key, a settings read?
    pub(super) fn is_base_name(&self, expr: &str, at: usize) -> bool {
        let id = last_ident(expr);
        (!id.is_empty() && self.has_name(id, at))
            || subscript_key(expr).is_some_and(|k| self.names.contains(k))
            || self.reads_base_setting(expr)
    }

    /// Does the expression read a settings key bound to the legacy base
    /// (`os.environ["GREENHOUSE_URL"]`, `cfg["greenhouse"]["base_url"]`)?
    pub(super) fn reads_base_setting(&self, expr: &str) -> bool {
        let settings = &self.ctx.hints.settings;
        !settings.is_empty()
            && crate::settings::names_read_by(expr)
                .iter()
                .any(|n| settings.contains(n))
    }

    /// The statement holding token `i`: [start, end) bounded by `;`, and by line breaks at the
    /// statement's own bracket depth (a minified bundle's line holds many statements; a
    /// multi-line call is one).
    pub(super) fn stmt_range(&self, i: usize) -> (usize, usize) {
        // The outermost group on the same statement: climb while the group opened on this
        // statement (a call or literal spanning lines is part of it).
        let mut top = i;
        while self.parent[top] != NONE {
            let g = self.parent[top];
            if matches!(self.toks[g].text.as_str(), "{")
                && self.mate[g] != NONE
                && self.toks[self.mate[g]].line > self.toks[g].line
                && self.block_like(g)
            {
                break;
            }
            top = g;
        }
        let depth_parent = self.parent[top];
        let boundary = |k: usize| {
            let t = &self.toks[k];
            self.parent[k] == depth_parent && (t.punct(";") || t.kind == Tk::Close)
        };
        let mut s = top;
        while s > 0 {
            let p = s - 1;
            if p == depth_parent
                || boundary(p)
                || (self.parent[p] == depth_parent
                    && self.toks[p].kind == Tk::Open
                    && self.mate[p] != NONE
                    && self.mate[p] > i)
            {
                break;
            }
            if self.parent[p] == depth_parent
                && self.toks[p].line < self.toks[s].line
                && !continues(&self.toks[p].text)
                && !continues(&self.toks[s].text)
            {
                break;
            }
            s = p;
        }
        let mut e = top;
        while e + 1 < self.toks.len() {
            let n = e + 1;
            if boundary(n) {
                break;
            }
            if self.parent[n] == depth_parent
                && self.toks[n].line > self.toks[e].line
                && !continues(&self.toks[e].text)
                && !continues(&self.toks[n].text)
            {
                break;
            }
            e = n;
            if self.toks[e].kind == Tk::Open && self.mate[e] != NONE && self.mate[e] > e {
                e = self.mate[e];
            }
        }
        (s, e + 1)
    }

    /// Is the `{` at `g` a code block (a function/if/loop body), not an object literal?
    fn block_like(&self, g: usize) -> bool {
        g == 0
            || matches!(
                self.toks[g - 1].text.as_str(),
                ")" | "else" | "do" | "try" | "=>" | "->"
            )
            || self.toks[g - 1].kind == Tk::Word && !self.is_assign(g - 1)
    }

    /// The lower-case text of the statement holding token `i`.
    pub(super) fn stmt_text_low(&self, i: usize) -> String {
        let (s, e) = self.stmt_range(i);
        let mut out = String::new();
        for t in &self.toks[s..e.min(s + 400)] {
            out.push_str(&t.text.to_ascii_lowercase());
            out.push(' ');
        }
        out
    }

    pub(super) fn line_text_low(&self, line: u32) -> String {
        let mut s = String::new();
        for t in self.toks.iter().filter(|t| t.line == line).take(200) {
            s.push_str(&t.text.to_ascii_lowercase());
            s.push(' ');
        }
        s
    }
}
