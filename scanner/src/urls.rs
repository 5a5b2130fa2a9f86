//! Harvest URLs in text: `harvest.greenhouse.io/v1/...`, and whether a mention of Greenhouse
//! points at Harvest rather than the Job Board, Ingestion or another Greenhouse product.

use crate::routes::{self, HARVEST_HOST};

/// Does a string naming Greenhouse point at Harvest rather than only the Job Board, Ingestion
/// or other Greenhouse products?
pub fn mentions_harvest_greenhouse(low: &str) -> bool {
    let mut rest = low;
    while let Some(p) = rest.find("greenhouse") {
        let before = &rest[..p];
        let host_prefix = before
            .rsplit(|c: char| c.is_whitespace() || c == '/' || c == '"')
            .next()
            .unwrap_or("");
        // Another Greenhouse host (`boards-api.`, `api.`, `auditlog.us.`, `onboarding.`…).
        let other = (host_prefix.ends_with('.') && !host_prefix.ends_with("harvest."))
            || host_prefix.ends_with("boards-api.")
            || host_prefix.ends_with("boards.")
            || host_prefix.ends_with("api.")
            || host_prefix.ends_with("job-boards.")
            || host_prefix.ends_with("developers.")
            || host_prefix.ends_with("www.")
            || host_prefix.ends_with("app.")
            || host_prefix.ends_with("onboarding.")
            || host_prefix.ends_with("support.");
        if !other {
            return true;
        }
        rest = &rest[p + "greenhouse".len()..];
    }
    false
}

pub struct HarvestUrl {
    /// Byte offset of the host in the text.
    pub at: usize,
    /// `v1`/`v2`, or None (v3, other or no version).
    pub version: Option<&'static str>,
    /// The path after the version (no leading `/`), possibly empty.
    pub rest: String,
    /// Host alone (no path at all).
    pub bare: bool,
    /// Credentials in the URL's userinfo with a blank password (`https://KEY:@harvest…`).
    pub blank_userinfo: bool,
}

/// Every `harvest.greenhouse.io/...` URL in a text.
pub fn harvest_urls(text: &str) -> Vec<HarvestUrl> {
    let mut out = Vec::new();
    let low = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = low[from..].find(HARVEST_HOST) {
        let at = from + p;
        from = at + HARVEST_HOST.len();
        let ok_before = at == 0
            || !low[..at]
                .ends_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
        if !ok_before {
            continue;
        }
        let mut rest = &text[from..];
        // A port, written or decided at run time (`:443`, `:${PORT}`).
        if let Some(r) = rest.strip_prefix(':') {
            rest = r.trim_start_matches(|c: char| c.is_ascii_digit() || c == '\u{0}');
        }
        // Keep `{...}` placeholders in the path: re-scan allowing braces.
        let end = {
            let mut depth = 0i32;
            let mut e = rest.len();
            for (k, c) in rest.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth > 0 => depth -= 1,
                    c if depth == 0
                        && (c.is_whitespace()
                            || matches!(
                                c,
                                '"' | '\''
                                    | '`'
                                    | ')'
                                    | '<'
                                    | '>'
                                    | '\\'
                                    | ','
                                    | ';'
                                    | ']'
                                    | '|'
                                    | '}'
                            )) =>
                    {
                        e = k;
                        break;
                    }
                    _ => {}
                }
            }
            e.min(rest.len())
        };
        let path = &rest[..end];
        let bare = path.trim_matches('/').is_empty();
        let trimmed = path.trim_start_matches('/');
        let (first, after) = trimmed.split_once('/').unwrap_or((trimmed, ""));
        let version = routes::legacy_version(first);
        let after = after
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .trim_end_matches('/');
        out.push(HarvestUrl {
            at,
            version: if path.starts_with('/') { version } else { None },
            rest: after.to_string(),
            bare,
            blank_userinfo: low[..at].ends_with(":@"),
        });
    }
    out
}
