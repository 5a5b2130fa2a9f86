//! Text helpers for identifiers and string parts: identifier words, the last identifier of an
//! expression, a leading base-URL placeholder, and verbs named by words.

use crate::routes;
use crate::tokens::Part;

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

pub fn verb_of_word(w: &str) -> Option<&'static str> {
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
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .map(|(i, c)| i + c.len_utf8())
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

/// The literal text of string parts, each interpolation as a NUL character.
pub fn flat(parts: &[Part]) -> String {
    let mut s = String::new();
    for p in parts {
        match p {
            Part::Lit(l) => s.push_str(l),
            Part::Expr(_) => s.push('\u{0}'),
        }
    }
    s
}
