//! Legacy routes: normalising paths found in code and matching them against the mapping catalog.

use std::collections::HashSet;
use std::sync::OnceLock;

use harvest_mappings::{Catalog, Endpoint};

/// The legacy API host.
pub const HARVEST_HOST: &str = "harvest.greenhouse.io";

pub fn catalog() -> Option<&'static Catalog> {
    Catalog::embedded().ok()
}

/// First path segments (after the version) of every legacy endpoint: `candidates`, `jobs`, ...
pub fn resource_names() -> &'static HashSet<String> {
    static CELL: OnceLock<HashSet<String>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut set = HashSet::new();
        if let Some(cat) = catalog() {
            for ep in cat.endpoints() {
                let rest = harvest_mappings::catalog::strip_version(&ep.path);
                if let Some(first) = rest.trim_start_matches('/').split('/').next()
                    && !first.is_empty()
                    && !first.starts_with('{')
                {
                    set.insert(first.to_string());
                }
            }
        }
        set
    })
}

/// Keys whose value is a request path or URL (`path: "/jobs"`, `url = "/candidates"`), in code
/// and in YAML/JSON documents alike.
pub const PATH_KEYS: [&str; 13] = [
    "path",
    "url",
    "uri",
    "endpoint",
    "resource",
    "route",
    "url_path",
    "api_path",
    "request_path",
    "resource_path",
    "endpoint_path",
    "relative_path",
    "path_template",
];

/// Is this (lower-case) key one of [`PATH_KEYS`]?
pub fn is_path_key(key: &str) -> bool {
    PATH_KEYS.contains(&key)
}

pub const VERBS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// `post` / `Post` / `POST` → `POST`.
pub fn verb(word: &str) -> Option<&'static str> {
    VERBS.iter().copied().find(|v| v.eq_ignore_ascii_case(word))
}

/// Is this path segment a placeholder (`{id}`, `:id`, `%d`, `${x}`, `#{x}`, `<id>`, `$id`, `{{ x }}`)?
pub fn is_placeholder(seg: &str) -> bool {
    seg.is_empty()
        || seg.contains(['{', '}', '%', '<', '>', '$', '#', '\u{0}', '*'])
        || seg.starts_with(':')
        || seg == "?"
}

/// Splits a concrete path into normalised segments: placeholders become `{id}`, the query and
/// fragment are dropped. Returns None when the text cannot be a URL path.
pub fn normalize_path(path: &str) -> Option<Vec<String>> {
    let path = path.split('?').next().unwrap_or("");
    let path = match path.find('#') {
        Some(i) if !path[i..].starts_with("#{") => &path[..i],
        _ => path,
    };
    let mut segs = Vec::new();
    for seg in path.trim_matches('/').split('/') {
        if seg.is_empty() {
            return None;
        }
        if seg.chars().any(|c| {
            c.is_whitespace()
                || c == '"'
                || c == '\''
                || c == ','
                || c == '('
                || c == ')'
                || c == '='
                || c == '\\'
        }) {
            return None;
        }
        if let Some((word, dynamic)) = glued_prefix(seg) {
            // Interpolation glued to a segment (`/offices#{id}`, `/jobs${suffix}`): the word,
            // then the part decided at run time (a URI template's `{?query}` is none).
            segs.push(word.to_string());
            if dynamic {
                segs.push("{id}".to_string());
            }
        } else if is_placeholder(seg) {
            segs.push("{id}".to_string());
        } else if seg.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '@' | '~' | '+')
        }) {
            segs.push(seg.to_string());
        } else {
            return None;
        }
    }
    if segs.is_empty() { None } else { Some(segs) }
}

/// A segment made of a word with an interpolation glued to it (`offices#{id}`,
/// `jobs${suffix}`, `users%s`, `candidates{}`): the word.
fn glued_prefix(seg: &str) -> Option<(&str, bool)> {
    let at = seg.find(['#', '$', '{', '%', '\u{0}'])?;
    let (word, rest) = seg.split_at(at);
    let query = rest.starts_with("{?") || rest.starts_with("{&");
    let placeholder = rest.starts_with("#{")
        || rest.starts_with("${")
        || rest.starts_with('{')
        || rest.starts_with('\u{0}')
        || (rest.starts_with('%') && rest[1..].starts_with(['s', 'd', 'v']))
        || (rest.starts_with('$') && rest[1..].starts_with(|c: char| c.is_alphabetic()));
    (placeholder && word.len() >= 3 && word.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .then_some((word, !query))
}

/// A matched legacy route.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// `METHOD /v1/path/{id}` as reported.
    pub route: String,
    pub endpoint: &'static Endpoint,
    /// The path matched exactly (not only a prefix of it).
    pub exact: bool,
}

/// Resolves `/v1/...` (already normalised) with an optional call-site method.
pub fn resolve(
    method: Option<&str>,
    version: &str,
    segs: &[String],
    allow_prefix: bool,
) -> Option<Resolved> {
    let cat = catalog()?;
    let mut n = segs.len();
    while n >= 1 {
        let path = format!("/{version}/{}", segs[..n].join("/"));
        let exact = n == segs.len();
        if let Some(m) = method
            && let Some(r) = cat.match_route(m, &path)
        {
            return Some(Resolved {
                route: format!(
                    "{} /{}{}",
                    r.endpoint.method,
                    version,
                    strip(&r.endpoint.path)
                ),
                endpoint: r.endpoint,
                exact,
            });
        }
        if let Some(r) = cat.match_route("ANY", &path) {
            // The call site says which method; keep it when the catalog has the path under
            // another method only (a route the catalog does not list for that method).
            let route = match method {
                Some(m) if exact => format!("{m} /{version}{}", strip(&r.endpoint.path)),
                _ => format!(
                    "{} /{}{}",
                    r.endpoint.method,
                    version,
                    strip(&r.endpoint.path)
                ),
            };
            return Some(Resolved {
                route,
                endpoint: r.endpoint,
                exact,
            });
        }
        // Only fall back to a prefix for a path that has an unknown tail under a known resource.
        if !allow_prefix || (n == segs.len() && segs.len() < 3) {
            break;
        }
        n -= 1;
    }
    None
}

/// The routes a resolved path may be when the call site names no method: every endpoint of
/// the catalogue at that path (under the version found), when there are several. Empty when
/// the code decides the route.
pub fn candidates(resolved: &Resolved, method: Option<&str>) -> Vec<String> {
    let (Some(cat), None) = (catalog(), method) else {
        return Vec::new();
    };
    let Some((_, path)) = resolved.route.split_once(' ') else {
        return Vec::new();
    };
    let version = path.split('/').nth(1).unwrap_or("v1");
    // A concrete path: placeholders become a segment no literal route has.
    let concrete: Vec<&str> = path
        .split('/')
        .map(|s| if s.starts_with('{') { "0" } else { s })
        .collect();
    let mut out: Vec<String> = cat
        .endpoints_at(&concrete.join("/"))
        .iter()
        .map(|e| format!("{} /{version}{}", e.method, strip(&e.path)))
        .collect();
    out.sort();
    out.dedup();
    if out.len() < 2 { Vec::new() } else { out }
}

fn strip(p: &str) -> &str {
    harvest_mappings::catalog::strip_version(p)
}

/// Is the first segment a legacy version (`v1`/`v2`)?
pub fn legacy_version(seg: &str) -> Option<&'static str> {
    match seg {
        "v1" => Some("v1"),
        "v2" => Some("v2"),
        _ => None,
    }
}

/// Is `seg` a version segment of any kind (`v1`, `v3`, `v10`)?
pub fn is_version(seg: &str) -> bool {
    seg.len() >= 2 && seg.starts_with('v') && seg[1..].chars().all(|c| c.is_ascii_digit())
}
