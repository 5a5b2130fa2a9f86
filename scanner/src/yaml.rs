//! YAML and JSON documents: OpenAPI (`servers` + `paths`), RAML (`baseUri` + `/resource:` keys),
//! low-code connector manifests (`url_base` + per-stream `path`, `BasicHttpAuthenticator`) and
//! plain configuration values. Parsed with yaml-rust2 (JSON is YAML) for line numbers.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::model::{Cand, FileFacts, Kind, Need, RouteReq};
use crate::routes::{self, HARVEST_HOST};
use crate::urls::harvest_urls;

#[derive(Debug, Clone)]
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
    // The bare Harvest host as the server and versioned path keys (`servers: [{url:
    // https://harvest.greenhouse.io}]`, `paths: {/v1/jobs: …}`): the host is combined with v1
    // here, so the document is about the legacy API (v3 documents use the same host).
    if w.facts.harvest_host && !w.facts.legacy {
        for d in &b.docs {
            if let Y::Map(top) = d
                && let Some(Y::Map(paths)) = get(top, "paths")
                && let Some(v) = paths.iter().find_map(|(k, _)| {
                    let k = scalar(k)?;
                    routes::legacy_version(k.trim_start_matches('/').split('/').next()?)
                })
            {
                w.facts.legacy = true;
                w.facts.legacy_version = Some(v.to_string());
            }
        }
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
    // A description of another API (its `baseUri`/`servers` URL is the Job Board, v3, another
    // vendor) and no legacy base: its paths are that API's.
    if !w.facts.legacy && other_base(src) {
        w.facts
            .cands
            .retain(|c| !(c.kind == Kind::Endpoint && c.need != Need::Nothing));
        w.facts.includes.clear();
    }
    Some(w.facts)
}

/// Does the document declare another API's base (`baseUri:`, `servers: - url:`, `host:`, in
/// YAML or JSON form)?
fn other_base(src: &str) -> bool {
    src.lines().take(400).any(|l| {
        ["baseUri", "url", "host", "url_base", "base_url"]
            .iter()
            .any(|k| {
                let t = l
                    .trim()
                    .trim_start_matches("- ")
                    .trim_start_matches(['{', '[', ' ']);
                let mut rest = t;
                while let Some(p) = rest.find(k) {
                    let before = &rest[..p];
                    let after = rest[p + k.len()..].trim_start_matches(['"', '\'']);
                    let key_start =
                        before.is_empty() || before.ends_with(['"', '\'', ' ', '{', ',']);
                    if key_start && let Some(v) = after.trim_start().strip_prefix(':') {
                        let v = v
                            .trim()
                            .trim_start_matches(['"', '\''])
                            .split(['"', '\'', ',', '}', ' '])
                            .next()
                            .unwrap_or("")
                            .to_ascii_lowercase();
                        if v.contains("://")
                            && (!v.contains(HARVEST_HOST)
                                || v.contains(&format!("{HARVEST_HOST}/v3")))
                        {
                            return true;
                        }
                    }
                    rest = &rest[p + k.len()..];
                }
                false
            })
    })
}

/// A fragment of an API description mounted at `mount` by a legacy document (RAML `!include`,
/// OpenAPI `$ref`): its operations are endpoints under the including document's base
/// (`version`), reported at their own lines. `pointer` selects a part of the file.
pub fn analyze_fragment(
    src: &str,
    mount: &str,
    pointer: Option<&str>,
    version: Option<&str>,
    raml: bool,
) -> Option<FileFacts> {
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(src);
    if parser.load(&mut b, true).is_err() && b.docs.is_empty() {
        return None;
    }
    while let Some((node, _)) = b.stack.pop() {
        b.insert(node);
    }
    let lines: Vec<&str> = src.lines().collect();
    let mut w = Walk {
        facts: FileFacts::default(),
        default_method: None,
        raml,
        line_offset: 0,
        src_lines: &lines,
    };
    for d in &b.docs {
        let Some(node @ Y::Map(item)) = follow_pointer(d, pointer) else {
            continue;
        };
        // Each operation of the mounted resource, at its own line.
        for (k, _) in item {
            if let (Some(_), Y::Scalar { line, col, .. }) = (scalar(k).and_then(routes::verb), k) {
                w.path_key(mount, &Y::Map(vec![(k.clone(), Y::Null)]), *line, *col);
            }
        }
        let mut keys = Vec::new();
        w.node(node, &mut keys, None, mount);
    }
    for c in &mut w.facts.cands {
        if c.kind == Kind::Endpoint {
            c.need = Need::Nothing;
        }
    }
    w.facts.legacy = true;
    w.facts.legacy_version = version.map(str::to_string);
    Some(w.facts)
}

/// The node a JSON pointer (`/paths/~1jobs`) names in a document.
fn follow_pointer<'a>(d: &'a Y, pointer: Option<&str>) -> Option<&'a Y> {
    let mut cur = d;
    let Some(p) = pointer.filter(|p| !p.trim_matches('/').is_empty()) else {
        return Some(cur);
    };
    for seg in p.trim_start_matches('/').split('/') {
        let key = seg.replace("~1", "/").replace("~0", "~");
        let Y::Map(m) = cur else { return None };
        cur = get(m, &key)?;
    }
    Some(cur)
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
                        self.include_of(v, kl, &full);
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
                as_written: false,
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

    /// A path key whose value is a fragment in another file: RAML `!include file`, OpenAPI
    /// `{$ref: "file#/pointer"}` (local `#/…` refs are not files).
    fn include_of(&mut self, v: &Y, key_line: u32, mount: &str) {
        let target = match v {
            Y::Scalar { v: s, .. } => {
                let src = self
                    .src_lines
                    .get((key_line as usize).saturating_sub(1))
                    .copied()
                    .unwrap_or("");
                src.contains("!include").then(|| s.trim().to_string())
            }
            Y::Map(m) => get(m, "$ref")
                .and_then(scalar)
                .map(|s| s.trim().to_string()),
            _ => None,
        };
        let Some(t) = target.filter(|t| !t.starts_with('#') && !t.contains("://")) else {
            return;
        };
        let (file, pointer) = match t.split_once('#') {
            Some((f, p)) => (f.to_string(), Some(p.to_string())),
            None => (t, None),
        };
        self.facts.includes.push(crate::model::Include {
            file,
            pointer,
            mount: mount.to_string(),
            line: key_line + self.line_offset,
        });
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
            self.urls_value(v, line, col, keys, siblings);
            return;
        }
        if low.contains("://") {
            return;
        }
        self.path_value(v, line, col, &key, keys, siblings);
    }

    /// Full Harvest URLs in a scalar (a block scalar may hold several, on several lines).
    fn urls_value(
        &mut self,
        v: &str,
        line: u32,
        col: u32,
        keys: &[String],
        siblings: Option<&[(Y, Y)]>,
    ) {
        {
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
                    // A settings key holding the base: code reading it uses the base.
                    let path: Vec<&str> = keys.iter().map(String::as_str).collect();
                    self.facts
                        .settings
                        .extend(crate::settings::names_of_path(&path));
                    if let Some(k) = keys.last() {
                        self.facts.setting_words.push(k.clone());
                    }
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
                        as_written: false,
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
        }
    }

    /// A path-like key's value (`path: /candidates/{id}`).
    fn path_value(
        &mut self,
        v: &str,
        line: u32,
        col: u32,
        key: &str,
        keys: &[String],
        siblings: Option<&[(Y, Y)]>,
    ) {
        let pathish = routes::is_path_key(key);
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
            as_written: false,
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
        let hints = crate::model::Hints::default();
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
