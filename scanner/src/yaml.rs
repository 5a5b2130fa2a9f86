//! YAML and JSON documents: OpenAPI (`servers` + `paths`), RAML (`baseUri` + `/resource:` keys),
//! low-code connector manifests (`url_base` + per-stream `path`, `BasicHttpAuthenticator`) and
//! plain configuration values. Parsed with yaml-rust2 (JSON is YAML) for line numbers.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::model::{Cand, FileFacts, Kind, Need, RouteReq};
use crate::routes::{self, HARVEST_HOST};
use crate::urls::harvest_urls;

#[derive(Debug)]
enum Y {
    Scalar { v: String, line: u32, col: u32 },
    Map(Vec<(Y, Y)>),
    Seq(Vec<Y>),
    Null,
}

#[derive(Default)]
struct Builder {
    stack: Vec<(Y, Option<Y>)>,
    docs: Vec<Y>,
    anchors: usize,
}

impl Builder {
    fn insert(&mut self, node: Y) {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some((Y::Seq(items), _)) => items.push(node),
            Some((Y::Map(entries), pending)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
            Some(_) => {}
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(v, _, _, _) => self.insert(Y::Scalar {
                v,
                line: mark.line() as u32,
                col: mark.col() as u32 + 1,
            }),
            Event::SequenceStart(..) => self.stack.push((Y::Seq(Vec::new()), None)),
            Event::MappingStart(..) => self.stack.push((Y::Map(Vec::new()), None)),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((node, _)) = self.stack.pop() {
                    self.insert(node);
                }
            }
            Event::Alias(_) => {
                self.anchors += 1;
                self.insert(Y::Null)
            }
            _ => {}
        }
    }
}

fn scalar(y: &Y) -> Option<&str> {
    if let Y::Scalar { v, .. } = y {
        Some(v)
    } else {
        None
    }
}

fn get<'a>(map: &'a [(Y, Y)], key: &str) -> Option<&'a Y> {
    map.iter()
        .find(|(k, _)| scalar(k) == Some(key))
        .map(|(_, v)| v)
}

/// Replaces `{{ ... }}` templating and `${ ... }` with a `{x}` placeholder.
fn untemplate(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find("{{") {
        out.push_str(&rest[..p]);
        match rest[p..].find("}}") {
            Some(e) => {
                out.push_str("{x}");
                rest = &rest[p + e + 2..];
            }
            None => {
                rest = &rest[p..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

struct Walk<'a> {
    facts: FileFacts,
    default_method: Option<&'static str>,
    raml: bool,
    line_offset: u32,
    src_lines: &'a [&'a str],
}

pub fn analyze_yaml(src: &str, line_offset: u32) -> Option<FileFacts> {
    // RAML/OpenAPI-style `{version}` in a base URI takes the document's own `version:` value.
    let resolved;
    let src = match doc_version(src) {
        Some(v) if src.contains("{version}") => {
            resolved = src.replace("{version}", v);
            resolved.as_str()
        }
        _ => src,
    };
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(src);
    if parser.load(&mut b, true).is_err() && b.docs.is_empty() {
        return None;
    }
    // Unclosed structures after an error: close them.
    while let Some((node, _)) = b.stack.pop() {
        b.insert(node);
    }
    let lines: Vec<&str> = src.lines().collect();
    let mut w = Walk {
        facts: FileFacts::default(),
        default_method: None,
        raml: src.trim_start().starts_with("#%RAML"),
        line_offset,
        src_lines: &lines,
    };
    let mut methods = Vec::new();
    for d in &b.docs {
        collect_methods(d, &mut methods);
        prescan(d, &mut w.facts);
    }
    methods.sort();
    methods.dedup();
    if methods.len() == 1 {
        w.default_method = routes::verb(&methods[0]);
    }
    for d in &b.docs {
        let mut path = Vec::new();
        w.node(d, &mut path, None, "");
    }
    Some(w.facts)
}

/// The top-level `version: v1` (or `v2`) of a document.
fn doc_version(src: &str) -> Option<&'static str> {
    src.lines().find_map(|l| {
        let v = l
            .strip_prefix("version:")?
            .trim()
            .trim_matches(|c| c == '"' || c == '\'');
        routes::legacy_version(v)
    })
}

fn collect_methods(y: &Y, out: &mut Vec<String>) {
    match y {
        Y::Map(entries) => {
            for (k, v) in entries {
                if matches!(scalar(k), Some("http_method") | Some("method"))
                    && let Some(m) = scalar(v)
                    && routes::verb(m).is_some()
                {
                    out.push(m.to_ascii_uppercase());
                }
                collect_methods(v, out);
            }
        }
        Y::Seq(items) => items.iter().for_each(|i| collect_methods(i, out)),
        _ => {}
    }
}

fn prescan(y: &Y, facts: &mut FileFacts) {
    match y {
        Y::Scalar { v, .. } => {
            let low = v.to_ascii_lowercase();
            if low.contains("greenhouse") {
                facts.mention = true;
            }
            if low.contains(HARVEST_HOST) {
                for u in harvest_urls(v) {
                    match u.version {
                        Some(ver) => {
                            facts.legacy = true;
                            facts.legacy_version.get_or_insert(ver.to_string());
                        }
                        None if u.bare => facts.harvest_host = true,
                        None => {}
                    }
                }
            }
        }
        Y::Map(entries) => {
            for (k, v) in entries {
                prescan(k, facts);
                prescan(v, facts);
            }
        }
        Y::Seq(items) => items.iter().for_each(|i| prescan(i, facts)),
        Y::Null => {}
    }
}

impl Walk<'_> {
    fn push(
        &mut self,
        kind: Kind,
        line: u32,
        col: u32,
        need: Need,
        route: Option<RouteReq>,
        why: &str,
    ) {
        self.facts.cands.push(Cand {
            kind,
            line: line + self.line_offset,
            col,
            need,
            route,
            version_at: None,
            why: why.to_string(),
        });
    }

    /// `keys` is the chain of mapping keys down to this node.
    fn node(&mut self, y: &Y, keys: &mut Vec<String>, siblings: Option<&[(Y, Y)]>, prefix: &str) {
        match y {
            Y::Map(entries) => {
                // BasicHttpAuthenticator / securitySchemes scheme: basic / RAML Basic Authentication.
                let ty = get(entries, "type")
                    .and_then(scalar)
                    .map(str::to_ascii_lowercase);
                let basic_type = ty.as_deref().is_some_and(|t| {
                    t.contains("basichttpauthenticator")
                        || t == "basic authentication"
                        || t == "basic"
                });
                let scheme_basic = get(entries, "scheme")
                    .and_then(scalar)
                    .is_some_and(|s| s.eq_ignore_ascii_case("basic"));
                for (k, v) in entries {
                    let Some(key) = scalar(k) else { continue };
                    let (kl, kc) = match k {
                        Y::Scalar { line, col, .. } => (*line, *col),
                        _ => (0, 0),
                    };
                    if basic_type && key == "type" {
                        self.push(
                            Kind::BasicAuth,
                            line_of(v).unwrap_or(kl),
                            kc,
                            Need::Legacy,
                            None,
                            "Basic authenticator",
                        );
                    }
                    if basic_type && key == "username" {
                        let pw = get(entries, "password").and_then(scalar).unwrap_or("");
                        if pw.trim().is_empty() || pw.trim() == "\"\"" {
                            self.push(
                                Kind::BasicAuth,
                                kl,
                                kc,
                                Need::Legacy,
                                None,
                                "API key as username with a blank password",
                            );
                        }
                    }
                    if scheme_basic && key == "scheme" {
                        self.push(
                            Kind::BasicAuth,
                            kl,
                            kc,
                            Need::Legacy,
                            None,
                            "HTTP Basic security scheme",
                        );
                    }
                    let norm: String = key
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric())
                        .collect::<String>()
                        .to_ascii_lowercase();
                    // The header, or an `OnBehalfOf`/`on_behalf_of` setting of the client.
                    if key.to_ascii_lowercase().contains("on-behalf-of") || norm == "onbehalfof" {
                        self.push(
                            Kind::OnBehalfOf,
                            kl,
                            kc,
                            Need::Legacy,
                            None,
                            "On-Behalf-Of header",
                        );
                    }
                    // OpenAPI `paths` keys and RAML resources.
                    let under_paths = keys.last().is_some_and(|p| p == "paths")
                        || (!prefix.is_empty())
                        || self.raml;
                    if key.starts_with('/') && under_paths {
                        let full = format!("{prefix}{key}");
                        self.path_key(&full, v, kl, kc);
                        keys.push(key.to_string());
                        self.node(v, keys, Some(entries), &full);
                        keys.pop();
                        continue;
                    }
                    keys.push(key.to_string());
                    self.node(v, keys, Some(entries), prefix);
                    keys.pop();
                }
            }
            Y::Seq(items) => {
                for it in items {
                    self.node(it, keys, None, prefix);
                }
            }
            Y::Scalar { v, line, col } => self.value(v, *line, *col, keys, siblings),
            Y::Null => {}
        }
    }

    fn path_key(&mut self, full: &str, v: &Y, line: u32, col: u32) {
        let path = untemplate(full);
        let Some(segs) = routes::normalize_path(&path) else {
            return;
        };
        let (version, segs) = match routes::legacy_version(&segs[0]) {
            Some(ver) => (Some(ver.to_string()), segs[1..].to_vec()),
            None if routes::is_version(&segs[0]) => return,
            None => (None, segs),
        };
        if segs.is_empty() || !routes::resource_names().contains(&segs[0]) {
            return;
        }
        let mut methods = Vec::new();
        if let Y::Map(ops) = v {
            for (k, _) in ops {
                if let Some(m) = scalar(k).and_then(routes::verb) {
                    methods.push(m);
                }
            }
        }
        let need = if version.is_some() {
            Need::Versioned
        } else {
            Need::Legacy
        };
        if methods.is_empty() {
            methods.push("");
        }
        for m in methods {
            let route = RouteReq {
                method: if m.is_empty() {
                    None
                } else {
                    Some(m.to_string())
                },
                version: version.clone(),
                segs: segs.clone(),
                allow_prefix: true,
            };
            self.push(
                Kind::Endpoint,
                line,
                col,
                need,
                Some(route),
                "API description path",
            );
        }
    }

    fn method_for(&self, keys: &[String], siblings: Option<&[(Y, Y)]>) -> Option<&'static str> {
        if let Some(sib) = siblings {
            for name in ["http_method", "method", "verb"] {
                if let Some(m) = get(sib, name).and_then(scalar).and_then(routes::verb) {
                    return Some(m);
                }
            }
        }
        for k in keys.iter().rev() {
            if let Some(m) = routes::verb(k) {
                return Some(m);
            }
        }
        self.default_method
    }

    fn value(
        &mut self,
        v: &str,
        line: u32,
        col: u32,
        keys: &[String],
        siblings: Option<&[(Y, Y)]>,
    ) {
        let key = keys
            .last()
            .map(|k| k.to_ascii_lowercase())
            .unwrap_or_default();
        let low = v.to_ascii_lowercase();
        // CI steps and container commands: shell scripts (curl lines).
        if low.contains("curl ")
            && matches!(
                key.as_str(),
                "run"
                    | "script"
                    | "command"
                    | "cmd"
                    | "before_script"
                    | "after_script"
                    | "entrypoint"
                    | "args"
                    | "-"
            )
            || (low.contains("curl ") && keys.iter().any(|k| k == "script" || k == "steps"))
        {
            self.shell(v, line);
            return;
        }
        if low.contains("on-behalf-of") {
            self.push(
                Kind::OnBehalfOf,
                line,
                col,
                Need::Legacy,
                None,
                "On-Behalf-Of header",
            );
        }
        if low.contains("link']['next']") || low.contains("link\"][\"next\"]") {
            self.push(
                Kind::Endpoint,
                line,
                col,
                Need::Legacy,
                None,
                "follows the legacy Link header's next URL",
            );
        }
        if low.contains("authorization: basic")
            || (key == "authorization" && low.starts_with("basic "))
        {
            self.push(
                Kind::BasicAuth,
                line,
                col,
                Need::Legacy,
                None,
                "Authorization: Basic header",
            );
        }
        if low.contains(HARVEST_HOST) {
            // Multi-line block scalars: find the real line of each URL.
            for u in harvest_urls(v) {
                let Some(ver) = u.version else { continue };
                let l = self.line_of_text(line, v, u.at);
                if u.blank_userinfo {
                    self.push(
                        Kind::BasicAuth,
                        l,
                        col,
                        Need::Nothing,
                        None,
                        "API key in the URL's userinfo with a blank password",
                    );
                }
                if u.rest.is_empty() {
                    self.push(
                        Kind::BaseUrl,
                        l,
                        col,
                        Need::Nothing,
                        None,
                        "Harvest v1/v2 base URL",
                    );
                } else {
                    let route = routes::normalize_path(&untemplate(&u.rest)).map(|segs| RouteReq {
                        method: self.method_for(keys, siblings).map(str::to_string),
                        version: Some(ver.to_string()),
                        segs,
                        allow_prefix: true,
                    });
                    self.push(
                        Kind::Endpoint,
                        l,
                        col,
                        Need::Nothing,
                        route,
                        "Harvest v1/v2 URL",
                    );
                }
            }
            return;
        }
        if low.contains("://") {
            return;
        }
        let pathish = routes::is_path_key(&key);
        if !pathish || v.len() > 200 {
            return;
        }
        let p = untemplate(v.trim());
        let Some(segs) = routes::normalize_path(&p) else {
            return;
        };
        let (version, segs) = match routes::legacy_version(&segs[0]) {
            Some(ver) => (Some(ver.to_string()), segs[1..].to_vec()),
            None if routes::is_version(&segs[0]) => return,
            None => (None, segs),
        };
        if segs.is_empty() || !routes::resource_names().contains(&segs[0]) {
            return;
        }
        let route = RouteReq {
            method: self.method_for(keys, siblings).map(str::to_string),
            version: version.clone(),
            segs,
            allow_prefix: true,
        };
        let need = if version.is_some() {
            Need::Versioned
        } else {
            Need::Legacy
        };
        self.push(
            Kind::Endpoint,
            line,
            col,
            need,
            Some(route),
            "path relative to the Harvest v1/v2 base URL",
        );
    }

    fn shell(&mut self, v: &str, line: u32) {
        // Block scalars start on the line after their indicator.
        let offset = if v.contains('\n') {
            line
        } else {
            line.saturating_sub(1)
        };
        let Some(lexed) = crate::lex::lex(crate::lang::Lang::Bash, v, offset + self.line_offset, 0)
        else {
            return;
        };
        let hints = std::collections::HashSet::new();
        let ctx = crate::rules::Ctx {
            hints: &hints,
            dot_concat: false,
            plain: false,
        };
        let facts = crate::rules::Analyzer::new(&lexed.toks, &lexed.funcs, &ctx).run();
        for mut c in facts.cands {
            c.version_at = None;
            self.facts.cands.push(c);
        }
    }

    fn line_of_text(&self, line: u32, v: &str, at: usize) -> u32 {
        let nl = v[..at.min(v.len())].matches('\n').count() as u32;
        if nl == 0 {
            return line;
        }
        // Block scalars start on the line after the indicator; search forward for the URL line.
        let needle = v[at..].lines().next().unwrap_or("");
        for (k, l) in self.src_lines.iter().enumerate().skip(line as usize - 1) {
            if l.contains(needle) {
                return k as u32 + 1;
            }
        }
        line + nl
    }
}

fn line_of(y: &Y) -> Option<u32> {
    if let Y::Scalar { line, .. } = y {
        Some(*line)
    } else {
        None
    }
}
