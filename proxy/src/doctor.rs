//! `harvest-proxy doctor --config proxy.toml`: before serving, checks each tenant's v3
//! credential against what its keys may call. Per tenant: a token can be minted (client
//! credentials, `sub` = the read user); the read user reads as a site admin (v3 answers GETs
//! only for site admins); the credential holds the scope of every v3 call of every endpoint
//! its keys may call. Scopes come from token introspection (RFC 7662, `/introspect` beside
//! the token endpoint) when the server offers it; otherwise each v3 collection read is probed
//! with one `GET …?per_page=1` (403 = scope missing) and write scopes are reported as not
//! verifiable: a write is never sent to probe. Nothing secret is printed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use harvest_mappings::{Catalog, Status};
use serde::Serialize;
use serde_json::Value;

use crate::config::{Config, Tenant};
use crate::metrics::Metrics;
use crate::secret::Secret;
use crate::tokens::TokenCache;
use crate::upstream::Upstream;

/// One endpoint → v3 call → scope a key needs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Need {
    pub endpoint: String,
    pub call: String,
    pub scope: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct KeyReport {
    pub label: String,
    /// Endpoints the key may call (served ones; unsupported endpoints make no v3 call).
    pub endpoints: usize,
    /// What would fail: endpoint → v3 call → missing scope.
    pub failing: Vec<Need>,
    /// Write scopes that could not be checked (no introspection).
    pub unverified: Vec<Need>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct TenantReport {
    pub name: String,
    /// `ok`, or why no token could be minted.
    pub token: String,
    /// `site admin`, or the problem with the read user.
    pub read_user: String,
    /// `introspection`, `probes` or `none` (no token).
    pub scopes_checked_by: String,
    /// Scopes needed and not held (sorted).
    pub missing_scopes: Vec<String>,
    /// Scopes needed that could not be checked (sorted).
    pub unverified_scopes: Vec<String>,
    pub keys: Vec<KeyReport>,
    pub problems: Vec<String>,
    /// v3 calls the check made (token requests included).
    pub v3_calls: usize,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub tenants: Vec<TenantReport>,
    /// True when every tenant passed.
    pub ok: bool,
}

/// How a scope fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Yes,
    No,
    Unknown,
}

/// A key's label, what it needs, and how many endpoints it may call.
type KeyNeeds = (String, BTreeSet<Need>, usize);

/// What the tenant's keys need, from the catalogue.
fn needs_of(config: &Config, catalog: &Catalog, tenant: usize) -> Result<Vec<KeyNeeds>, String> {
    let mut out = Vec::new();
    for k in config.keys.iter().filter(|k| k.tenant == tenant) {
        let mut perms = k.endpoints.clone();
        perms
            .compile(catalog)
            .map_err(|e| format!("key `{}`: `endpoints`: {e}", k.label))?;
        let mut needs = BTreeSet::new();
        let mut count = 0;
        for (i, ep) in catalog.endpoints().iter().enumerate() {
            if !perms.allows(i) || ep.status == Status::Unsupported {
                continue;
            }
            count += 1;
            for c in catalog.calls_made(ep) {
                needs.insert(Need {
                    endpoint: ep.route().to_string(),
                    call: format!("{} {}", c.method, c.path),
                    scope: c.scope.clone(),
                });
            }
        }
        out.push((k.label.to_string(), needs, count));
    }
    Ok(out)
}

/// The introspection endpoint beside a token endpoint (`…/token` → `…/introspect`).
fn introspection_url(token_url: &str) -> Option<String> {
    let mut u = url::Url::parse(token_url).ok()?;
    let path = u.path().trim_end_matches('/').to_string();
    let (dir, _) = path.rsplit_once('/')?;
    u.set_path(&format!("{dir}/introspect"));
    u.set_query(None);
    Some(u.to_string())
}

/// The scopes the token holds, by RFC 7662 introspection; None when not offered.
async fn introspect(
    tenant: &Tenant,
    token: &Secret,
    up: &Arc<Upstream>,
) -> Option<Result<BTreeSet<String>, String>> {
    use oauth2::basic::BasicClient;
    use oauth2::{
        AccessToken, ClientId, ClientSecret, IntrospectionUrl, TokenIntrospectionResponse,
    };
    let url = IntrospectionUrl::new(introspection_url(&tenant.token_url)?).ok()?;
    let client = BasicClient::new(ClientId::new(tenant.client_id.clone()))
        .set_client_secret(ClientSecret::new(tenant.client_secret.expose().to_string()))
        .set_auth_type(oauth2::AuthType::BasicAuth)
        .set_introspection_url(url);
    let http = |req: oauth2::HttpRequest| {
        let up = up.clone();
        async move { up.oauth_call(req).await }
    };
    let access = AccessToken::new(token.expose().to_string());
    let resp = client.introspect(&access).request_async(&http).await.ok()?;
    if !resp.active() {
        return Some(Err(
            "the token endpoint's own introspection calls the new token inactive".into(),
        ));
    }
    let scopes = resp.scopes()?;
    Some(Ok(scopes.iter().map(|s| s.to_string()).collect()))
}

/// `GET url` once (one retry after a 429, waiting at most 5 s): status and JSON body.
async fn probe(up: &Upstream, url: &str, token: &Secret) -> Result<(u16, Value), String> {
    for attempt in 0..2 {
        let r = up
            .get(url, token)
            .await
            .map_err(|e| format!("v3 could not be reached: {e}"))?;
        if r.status.as_u16() == 429 && attempt == 0 {
            let wait = r
                .headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(1)
                .min(5);
            tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
            continue;
        }
        let body = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        return Ok((r.status.as_u16(), body));
    }
    Err("v3 kept answering 429 (rate limited)".into())
}

/// v3's message of an error answer (`{"message", "errors": [...]}`), clipped.
fn v3_message(body: &Value) -> String {
    let mut parts: Vec<String> = body["message"]
        .as_str()
        .map(str::to_string)
        .into_iter()
        .collect();
    if let Some(errors) = body["errors"].as_array() {
        parts.extend(errors.iter().take(3).map(|e| match e {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }));
    }
    parts.join(": ").chars().take(200).collect()
}

/// `GET /v3/<resource>` of a read scope `harvest:<resource>:list`.
fn list_path(scope: &str) -> Option<String> {
    let r = scope.strip_prefix("harvest:")?.strip_suffix(":list")?;
    (!r.is_empty() && r.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .then(|| format!("/v3/{r}"))
}

/// Progress on a terminal for the probes.
fn bar(len: usize, progress: bool) -> indicatif::ProgressBar {
    if !progress || len < 2 {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(len as u64);
    if let Ok(s) = indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
    {
        b.set_style(s.progress_chars("=> "));
    }
    b.set_prefix("probing v3 reads");
    b
}

/// Read scopes by probing one GET each; write scopes are unknown.
async fn probe_scopes(
    tenant: &Tenant,
    token: &Secret,
    up: &Upstream,
    scopes: &BTreeSet<String>,
    progress: bool,
    rep: &mut TenantReport,
) -> BTreeMap<String, Held> {
    let reads: Vec<&String> = scopes.iter().filter(|s| list_path(s).is_some()).collect();
    let pb = bar(reads.len(), progress);
    let mut held = BTreeMap::new();
    for s in scopes {
        let Some(path) = list_path(s) else {
            held.insert(s.clone(), Held::Unknown);
            continue;
        };
        pb.set_message(path.clone());
        let url = format!("{}{path}?per_page=1", tenant.base_url.trim_end_matches('/'));
        rep.v3_calls += 1;
        let h = match probe(up, &url, token).await {
            Ok((200..=299, _)) => Held::Yes,
            Ok((403, body)) => {
                let m = v3_message(&body);
                if m.to_ascii_lowercase().contains("site admin") {
                    // Said once: every read answers the same.
                    let p = format!("reads are refused to the read user: {m}");
                    if !rep.problems.contains(&p) {
                        rep.problems.push(p);
                    }
                    Held::Unknown
                } else {
                    Held::No
                }
            }
            Ok((status, body)) => {
                rep.problems.push(format!(
                    "GET {path}: v3 answered {status} {}",
                    v3_message(&body)
                ));
                Held::Unknown
            }
            Err(e) => {
                rep.problems.push(format!("GET {path}: {e}"));
                Held::Unknown
            }
        };
        held.insert(s.clone(), h);
        pb.inc(1);
    }
    pb.finish_and_clear();
    held
}

/// Whether the read user reads as a site admin: its user record (`site_admin`), or, when the
/// credential cannot list users, any read that succeeded (v3 answers reads only for admins).
async fn check_read_user(
    tenant: &Tenant,
    token: &Secret,
    up: &Upstream,
    held: &BTreeMap<String, Held>,
    rep: &mut TenantReport,
) -> String {
    let base = tenant.base_url.trim_end_matches('/');
    let id = tenant.read_as;
    if held.get("harvest:users:list") != Some(&Held::No) {
        let url = format!("{base}/v3/users?ids={id}&show_service_accounts=true&per_page=1");
        rep.v3_calls += 1;
        match probe(up, &url, token).await {
            Ok((200, body)) => {
                let user = body
                    .as_array()
                    .and_then(|a| a.iter().find(|u| u["id"].as_u64() == Some(id)));
                return match user.map(|u| u["site_admin"].as_bool()) {
                    Some(Some(true)) => "site admin".into(),
                    Some(Some(false)) => format!(
                        "user {id} is not a site admin: v3 answers reads only for site admins; set read_as to a site admin"
                    ),
                    Some(None) => format!("user {id}: v3's user record has no site_admin field"),
                    None => format!("user {id} is not among v3's users (GET /v3/users?ids={id})"),
                };
            }
            Ok((403, body))
                if v3_message(&body)
                    .to_ascii_lowercase()
                    .contains("site admin") =>
            {
                return format!("user {id} is not a site admin: {}", v3_message(&body));
            }
            Ok(_) | Err(_) => {}
        }
    }
    if held.values().any(|h| *h == Held::Yes) && !rep.scopes_checked_by.eq("introspection") {
        return "site admin (its reads succeed)".into();
    }
    for s in held
        .iter()
        .filter(|(_, h)| **h == Held::Yes)
        .map(|(s, _)| s)
    {
        let Some(path) = list_path(s) else { continue };
        rep.v3_calls += 1;
        match probe(up, &format!("{base}{path}?per_page=1"), token).await {
            Ok((200..=299, _)) => return "site admin (its reads succeed)".into(),
            Ok((403, body)) => {
                return format!("user {id} cannot read GET {path}: {}", v3_message(&body));
            }
            _ => {}
        }
    }
    format!("user {id}: could not be checked (the credential can read nothing this check may call)")
}

/// The per-key failures and the tenant's missing and unverified scopes.
fn conclude(rep: &mut TenantReport, keys: Vec<KeyNeeds>, held: &BTreeMap<String, Held>) {
    for (label, needs, count) in keys {
        let pick = |want: Held| {
            needs
                .iter()
                .filter(|n| held.get(&n.scope) == Some(&want))
                .cloned()
                .collect()
        };
        rep.keys.push(KeyReport {
            label,
            endpoints: count,
            failing: pick(Held::No),
            unverified: pick(Held::Unknown),
        });
    }
    rep.missing_scopes = held
        .iter()
        .filter(|(_, h)| **h == Held::No)
        .map(|(s, _)| s.clone())
        .collect();
    rep.unverified_scopes = held
        .iter()
        .filter(|(_, h)| **h == Held::Unknown)
        .map(|(s, _)| s.clone())
        .collect();
    if !rep.missing_scopes.is_empty() {
        rep.problems.push(format!(
            "the credential lacks {} scope(s): {}",
            rep.missing_scopes.len(),
            rep.missing_scopes.join(", ")
        ));
    }
}

/// Checks one tenant.
async fn check_tenant(
    config: &Config,
    catalog: &Catalog,
    index: usize,
    progress: bool,
) -> Result<TenantReport, String> {
    let tenant = &config.tenants[index];
    let mut rep = TenantReport {
        name: tenant.name.clone(),
        scopes_checked_by: "none".into(),
        ..Default::default()
    };
    let keys = needs_of(config, catalog, index)?;
    let scopes: BTreeSet<String> = keys
        .iter()
        .flat_map(|(_, n, _)| n.iter().map(|x| x.scope.clone()))
        .collect();
    let up = Arc::new(Upstream::new(config.limits.upstream_timeout)?);
    let cache = Arc::new(
        TokenCache::new(config.cache.token_refresh_margin)
            .with_limits(config.limits.token_timeout, config.limits.token_backoff),
    );
    rep.v3_calls += 1;
    let token = match cache
        .get(
            index,
            tenant,
            tenant.read_as,
            &up,
            &Arc::new(Metrics::new()),
        )
        .await
    {
        Ok(t) => t,
        Err(e) => {
            // The cache's wording for a client that retries; the doctor asks once.
            let m = e.message.trim_end_matches("; retried after a back-off");
            rep.token = m.to_string();
            rep.read_user = "not checked (no token)".into();
            rep.problems
                .push(format!("no token for user {}: {m}", tenant.read_as));
            return Ok(rep);
        }
    };
    rep.token = "ok".into();
    rep.v3_calls += 1;
    let held: BTreeMap<String, Held> = match introspect(tenant, &token, &up).await {
        Some(Ok(granted)) => {
            rep.scopes_checked_by = "introspection".into();
            scopes
                .iter()
                .map(|s| {
                    (
                        s.clone(),
                        if granted.contains(s) {
                            Held::Yes
                        } else {
                            Held::No
                        },
                    )
                })
                .collect()
        }
        Some(Err(e)) => {
            rep.problems.push(e);
            return Ok(rep);
        }
        None => {
            rep.scopes_checked_by = "probes".into();
            probe_scopes(tenant, &token, &up, &scopes, progress, &mut rep).await
        }
    };
    rep.read_user = check_read_user(tenant, &token, &up, &held, &mut rep).await;
    if rep.read_user != "site admin" && !rep.read_user.starts_with("site admin ") {
        rep.problems.push(format!("read user: {}", rep.read_user));
    }
    conclude(&mut rep, keys, &held);
    Ok(rep)
}

/// Checks every tenant of the config (`progress`: a bar on the terminal while probing).
pub async fn run(config: &Config, catalog: &Catalog, progress: bool) -> Result<Report, String> {
    let mut report = Report {
        ok: true,
        ..Default::default()
    };
    for i in 0..config.tenants.len() {
        let t = check_tenant(config, catalog, i, progress).await?;
        report.ok &= t.problems.is_empty();
        report.tenants.push(t);
    }
    if config.tenants.is_empty() {
        report.ok = false;
    }
    Ok(report)
}

/// The report as text: per tenant, per key what would fail and why, then a summary.
pub fn text(report: &Report) -> String {
    let mut s = String::new();
    for t in &report.tenants {
        s.push_str(&format!("tenant {}\n", t.name));
        s.push_str(&format!("  token: {}\n", t.token));
        s.push_str(&format!("  read user: {}\n", t.read_user));
        s.push_str(&format!("  scopes checked by: {}\n", t.scopes_checked_by));
        for k in &t.keys {
            let state = if k.failing.is_empty() { "ok" } else { "FAILS" };
            s.push_str(&format!(
                "  key {}: {state} ({} endpoints)\n",
                k.label, k.endpoints
            ));
            for n in &k.failing {
                s.push_str(&format!(
                    "    {} → {} → missing {}\n",
                    n.endpoint, n.call, n.scope
                ));
            }
            if !k.unverified.is_empty() {
                let scopes: BTreeSet<&str> =
                    k.unverified.iter().map(|n| n.scope.as_str()).collect();
                s.push_str(&format!(
                    "    not verifiable without token introspection: {}\n",
                    scopes.into_iter().collect::<Vec<_>>().join(" ")
                ));
            }
        }
        if !t.missing_scopes.is_empty() {
            s.push_str(&format!(
                "  missing scopes: {}\n",
                t.missing_scopes.join(" ")
            ));
        }
        for p in &t.problems {
            s.push_str(&format!("  problem: {p}\n"));
        }
    }
    let bad = report
        .tenants
        .iter()
        .filter(|t| !t.problems.is_empty())
        .count();
    if report.tenants.is_empty() {
        s.push_str("summary: no [[tenants]] configured\n");
    } else if report.ok {
        s.push_str(&format!(
            "summary: all {} tenant(s) pass\n",
            report.tenants.len()
        ));
    } else {
        s.push_str(&format!(
            "summary: {bad} of {} tenant(s) have problems\n",
            report.tenants.len()
        ));
    }
    s
}

/// `harvest-proxy doctor`: loads the config and its mappings, checks, prints (text or JSON).
/// Exit status: 0 all pass, 1 a problem, 2 the config or mappings do not load.
pub async fn cli(path: &std::path::Path, json: bool) -> u8 {
    let config = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let catalog: Result<&Catalog, String> = match &config.mappings {
        None => Catalog::embedded().map_err(|d| d.to_string()),
        // A one-shot command: the catalogue lives until the process ends.
        Some(dir) => Catalog::load_dir(dir)
            .map(|c| &*Box::leak(Box::new(c)))
            .map_err(|d| d.to_string()),
    };
    let catalog = match catalog {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: invalid mappings:\n{e}");
            return 2;
        }
    };
    use std::io::IsTerminal;
    let report = match run(&config, catalog, std::io::stderr().is_terminal()).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let shown = if json {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        )
    } else {
        text(&report)
    };
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(shown.as_bytes()).and_then(|()| out.flush()) {
        // A reader that went away (`… | head`) ends the output quietly.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write the report: {e}");
            return 2;
        }
        _ => {}
    }
    if report.ok { 0 } else { 1 }
}
