//! proxy.toml: listener, limits, caches, tenants and the legacy keys that map to them.
//! Documented with a full example in docs/proxy.md.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use ipnet::IpNet;

use crate::access::{Permissions, Rule, parse_net};
use crate::secret::Secret;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    public_url: Option<String>,
    #[serde(default)]
    allowed_hosts: Vec<String>,
    #[serde(default)]
    allow_insecure_upstream: bool,
    mappings: Option<PathBuf>,
    /// The embedded store (SQLite file: idempotency keys of writes). Unset: in memory.
    store: Option<PathBuf>,
    tls: Option<TlsFile>,
    #[serde(default)]
    limits: LimitsFile,
    #[serde(default)]
    cache: CacheFile,
    #[serde(default)]
    tenants: Vec<TenantFile>,
    #[serde(default)]
    keys: Vec<KeyFile>,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` name the client (CIDRs or addresses).
    #[serde(default)]
    trusted_proxies: Vec<toml::Spanned<String>>,
    /// The admin listener (usage report, metrics).
    admin: Option<AdminFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminFile {
    listen: String,
    token_env: Option<String>,
    token_file: Option<PathBuf>,
    /// Refused with a clear message: the token is never written in the config.
    token: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert: PathBuf,
    key: PathBuf,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    max_header_bytes: Option<usize>,
    max_body_bytes: Option<usize>,
    header_read_timeout_ms: Option<u64>,
    request_timeout_ms: Option<u64>,
    upstream_timeout_ms: Option<u64>,
    retry_attempts: Option<u32>,
    retry_budget_ms: Option<u64>,
    max_connections: Option<usize>,
    max_connections_per_ip: Option<usize>,
    connection_wait_ms: Option<u64>,
    idle_timeout_ms: Option<u64>,
    served_grace_ms: Option<u64>,
    max_streams_per_connection: Option<u32>,
    token_timeout_ms: Option<u64>,
    token_backoff_ms: Option<u64>,
    write_recheck_ms: Option<u64>,
    drain_timeout_ms: Option<u64>,
    max_in_flight: Option<usize>,
    max_in_flight_per_tenant: Option<usize>,
    max_queued: Option<usize>,
    queue_wait_ms: Option<u64>,
    max_sharing: Option<usize>,
    max_sharing_per_tenant: Option<usize>,
    max_upstream_per_tenant: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheFile {
    reference_ttl_secs: Option<u64>,
    cursor_ttl_secs: Option<u64>,
    cursor_entries: Option<usize>,
    token_refresh_margin_secs: Option<u64>,
    translated_entries: Option<usize>,
    share_reads: Option<bool>,
    walk_ttl_secs: Option<u64>,
    block_megabytes: Option<usize>,
    snapshot_dir: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantFile {
    name: String,
    client_id: String,
    client_secret_env: Option<String>,
    client_secret_file: Option<PathBuf>,
    /// Refused with a clear message: secrets are never written in the config.
    client_secret: Option<toml::Value>,
    token_url: Option<String>,
    base_url: Option<String>,
    read_as: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    sha256: String,
    tenant: String,
    /// Optional label for logs and metrics (never the key itself).
    label: Option<String>,
    /// The endpoints the key may call (absent: all, with a start-up warning).
    endpoints: Option<Vec<toml::Spanned<String>>>,
    /// The addresses the key may call from (absent: any).
    allowed_ips: Option<Vec<toml::Spanned<String>>>,
}

/// Timeouts and size limits.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_header_bytes: usize,
    pub max_body_bytes: usize,
    /// From accept to a complete request head (also bounds a TLS handshake and a body).
    pub header_read_timeout: Duration,
    pub request_timeout: Duration,
    pub upstream_timeout: Duration,
    pub retry_attempts: u32,
    pub retry_budget: Duration,
    /// Open client connections, all addresses together.
    pub max_connections: usize,
    /// Open client connections from one IP address.
    pub max_connections_per_ip: usize,
    /// How long a new connection may wait for a slot when every slot is busy; then 503.
    pub connection_wait: Duration,
    /// A keep-alive connection with no request in flight is closed after this long.
    pub idle_timeout: Duration,
    /// A connection that served a request is not closed to make room for this long after it
    /// (its client may be sending the next one); 0: it may be closed at once.
    pub served_grace: Duration,
    /// HTTP/2 streams one connection may have open at once.
    pub max_streams_per_connection: u32,
    /// One OAuth token request.
    pub token_timeout: Duration,
    /// A failed token request is remembered this long: requests meanwhile fail at once.
    pub token_backoff: Duration,
    /// A write whose outcome was unknown and first read back as not applied is read again
    /// this long after (v3's reads may lag its writes): not applied only on two reads.
    pub write_recheck: Duration,
    /// After SIGTERM, how long requests in flight may take to finish.
    pub drain_timeout: Duration,
    /// Legacy requests served at once (all tenants, per tenant) and the queue before them.
    pub admission: crate::admission::AdmissionLimits,
    /// v3 calls of one tenant in progress at once (its upstream connections in use).
    pub max_upstream_per_tenant: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 16 * 1024,
            max_body_bytes: 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            upstream_timeout: Duration::from_secs(15),
            retry_attempts: 3,
            retry_budget: Duration::from_secs(5),
            max_connections: 1024,
            max_connections_per_ip: 512,
            connection_wait: Duration::from_millis(250),
            idle_timeout: Duration::from_secs(20),
            served_grace: crate::conns::KEEP_AFTER_REQUEST,
            max_streams_per_connection: 32,
            token_timeout: Duration::from_secs(5),
            token_backoff: Duration::from_secs(2),
            write_recheck: Duration::from_secs(2),
            drain_timeout: Duration::from_secs(10),
            admission: Default::default(),
            max_upstream_per_tenant: 32,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// Memoised translations of pages built only from cached reference data (0 disables).
    pub translated_entries: usize,
    /// Identical joined reads in flight at the same time (same tenant, acting user, data
    /// generation, method, path and query) are translated once and the answer shared; only
    /// the first takes an admission slot, the others count toward `max_sharing(_per_tenant)`.
    pub share_reads: bool,
    pub reference_ttl: Duration,
    pub cursor_ttl: Duration,
    pub cursor_entries: usize,
    pub token_refresh_margin: Duration,
    /// How long a block of a walk (one v3 page of up to 500 rows) serves the legacy pages it
    /// holds; the freshness bound of a walk.
    pub walk_ttl: Duration,
    /// The bound of the blocks kept for walks, in bytes.
    pub block_bytes: usize,
    /// Where walk snapshots of joined collections are kept (a SQLite file removed at exit);
    /// None: the system's temporary directory.
    pub snapshot_dir: Option<PathBuf>,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            translated_entries: 512,
            share_reads: true,
            reference_ttl: Duration::from_secs(300),
            cursor_ttl: Duration::from_secs(900),
            cursor_entries: 10_000,
            token_refresh_margin: Duration::from_secs(60),
            walk_ttl: Duration::from_secs(60),
            block_bytes: 64 << 20,
            snapshot_dir: None,
        }
    }
}

/// One v3 tenant: the OAuth client the proxy uses on behalf of the legacy keys mapped to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub name: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub token_url: String,
    /// Upstream base URL without the `/v3` prefix, e.g. `https://harvest.greenhouse.io`.
    pub base_url: String,
    /// Site-admin user id used as the token `sub` for reads.
    pub read_as: u64,
}

/// A legacy API key, known only by its SHA-256.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    pub sha256: [u8; 32],
    pub tenant: usize,
    /// Its name in logs, metrics and the usage report (shared, so a request's counts and
    /// audit line borrow it instead of copying it).
    pub label: std::sync::Arc<str>,
    /// The endpoints it may call (compiled against the catalogue when the state is built).
    pub endpoints: Permissions,
    /// The client addresses it may call from (None: any).
    pub allowed_ips: Option<Vec<IpNet>>,
}

/// The admin listener: the usage report (`/usage`, `/usage.json`), `/metrics`, `/healthz`,
/// behind a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminConfig {
    pub listen: SocketAddr,
    pub token: Secret,
}

/// The shortest admin token accepted.
pub const ADMIN_TOKEN_MIN: usize = 16;

#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub public_url: Option<String>,
    /// `Host` values (lower case, `host` or `host:port`) that `Link` may be built from when
    /// `public_url` is unset; any other Host is ignored (the listen address is used instead).
    pub allowed_hosts: Vec<String>,
    /// Allows `http://` token and upstream URLs (tests, `--sandbox`); refused otherwise.
    pub allow_insecure_upstream: bool,
    pub mappings: Option<PathBuf>,
    /// The embedded store's SQLite file (None: in memory, gone at exit).
    pub store: Option<PathBuf>,
    pub tls: Option<TlsConfig>,
    pub limits: Limits,
    pub cache: CacheSettings,
    pub tenants: Vec<Tenant>,
    pub keys: Vec<KeyEntry>,
    /// Peers whose forwarding headers are believed (see [`crate::access::client_addr`]).
    pub trusted_proxies: Vec<IpNet>,
    /// `[admin]` (None: no admin listener).
    pub admin: Option<AdminConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

pub const DEFAULT_TOKEN_URL: &str = "https://auth.greenhouse.io/token";
pub const DEFAULT_BASE_URL: &str = "https://harvest.greenhouse.io";

impl Config {
    /// Loads and checks a proxy.toml; secrets are read from their environment variable or file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: p.clone(),
            source,
        })?;
        Config::parse(&p, &text, &|name| std::env::var(name).ok())
    }

    /// Parses config text; `env` looks environment variables up (injectable for tests).
    pub fn parse(
        path: &str,
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_string(),
            message,
        };
        let f: FileConfig = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            invalid(format!("line {line}: {}", e.message().trim()))
        })?;
        let listen = f.listen.as_deref().unwrap_or("127.0.0.1:8080");
        let listen: SocketAddr = listen.parse().map_err(|_| {
            invalid(format!(
                "`listen = \"{listen}\"` is not an address such as 127.0.0.1:8080"
            ))
        })?;
        if let Some(u) = &f.public_url {
            url::Url::parse(u).map_err(|e| invalid(format!("`public_url` is not a URL: {e}")))?;
        }
        let mut tenants: Vec<Tenant> = Vec::new();
        for t in f.tenants {
            if tenants.iter().any(|x| x.name == t.name) {
                return Err(invalid(format!("tenant `{}` is declared twice", t.name)));
            }
            tenants.push(tenant(t, env).map_err(invalid)?);
        }
        let line_of = |span: std::ops::Range<usize>| {
            text[..span.start.min(text.len())].matches('\n').count() + 1
        };
        let keys = key_entries(f.keys, &tenants, &line_of).map_err(invalid)?;
        let trusted_proxies = nets(&f.trusted_proxies, &line_of)
            .map_err(|e| invalid(format!("`trusted_proxies`: {e}")))?;
        let limits = limits(&f.limits);
        let cache = cache_settings(&f.cache);
        let admin = f
            .admin
            .map(|a| admin(a, env))
            .transpose()
            .map_err(invalid)?;
        let config = Config {
            listen,
            public_url: f.public_url.map(|u| u.trim_end_matches('/').to_string()),
            allowed_hosts: f
                .allowed_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
            allow_insecure_upstream: f.allow_insecure_upstream,
            mappings: f.mappings,
            store: f.store,
            tls: f.tls.map(|t| TlsConfig {
                cert: t.cert,
                key: t.key,
            }),
            limits,
            cache,
            tenants,
            keys,
            trusted_proxies,
            admin,
        };
        config.validate().map_err(invalid)?;
        Ok(config)
    }

    /// Refuses what cannot be run safely (zero timeouts or limits, clear-text token and upstream
    /// URLs unless `allow_insecure_upstream`, a `public_url` or `allowed_hosts` entry that is not
    /// a plain origin); returns the warnings to log at start-up (e.g. no keys configured).
    pub fn validate(&self) -> Result<Vec<String>, String> {
        self.limits.validate()?;
        if let Some(u) = &self.public_url {
            check_public_url(u)?;
        }
        for h in &self.allowed_hosts {
            check_host(h)?;
        }
        if let Some(a) = &self.admin {
            check_admin(a, self.listen)?;
        }
        for t in &self.tenants {
            for (k, u) in [("base_url", &t.base_url), ("token_url", &t.token_url)] {
                check_upstream_url(u, self.allow_insecure_upstream)
                    .map_err(|e| format!("tenant `{}`: `{k}` {e}", t.name))?;
            }
        }
        let mut warnings = Vec::new();
        if self.keys.is_empty() {
            warnings.push(
                "no [[keys]] are configured: every legacy request will be answered 401".to_string(),
            );
        }
        let open: Vec<&str> = self
            .keys
            .iter()
            .filter(|k| k.endpoints.is_all())
            .map(|k| &*k.label)
            .collect();
        if !open.is_empty() {
            warnings.push(format!(
                "keys without `endpoints` may call every mapped endpoint (EEOC, demographics and offers included): {}; list what each integration needs, or write endpoints = [\"*\"] to say so",
                open.join(", ")
            ));
        }
        if self.tenants.is_empty() {
            warnings.push("no [[tenants]] are configured".to_string());
        }
        let clear_text_remote = self.tenants.iter().any(|t| {
            [&t.base_url, &t.token_url]
                .iter()
                .any(|u| is_clear_text_remote(u))
        });
        if clear_text_remote {
            warnings.push(
                "allow_insecure_upstream = true and a token or upstream URL is http:// to another host: tokens and data travel in clear text; use it only for tests"
                    .to_string(),
            );
        }
        Ok(warnings)
    }
}

/// The longest any `[limits]` duration may be.
const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

impl Limits {
    /// A timeout or limit of 0 would refuse (or never end) every request, and a duration
    /// beyond a day is a typo (deadlines computed from it could overflow): both are refused.
    pub fn validate(&self) -> Result<(), String> {
        // (name, value, whether 0 is refused: the timeouts)
        let durations = [
            ("header_read_timeout_ms", self.header_read_timeout, true),
            ("request_timeout_ms", self.request_timeout, true),
            ("upstream_timeout_ms", self.upstream_timeout, true),
            ("idle_timeout_ms", self.idle_timeout, true),
            ("token_timeout_ms", self.token_timeout, true),
            ("drain_timeout_ms", self.drain_timeout, true),
            ("retry_budget_ms", self.retry_budget, false),
            ("connection_wait_ms", self.connection_wait, false),
            ("served_grace_ms", self.served_grace, false),
            ("token_backoff_ms", self.token_backoff, false),
            ("write_recheck_ms", self.write_recheck, false),
            ("queue_wait_ms", self.admission.queue_wait, false),
        ];
        for (name, d, timeout) in durations {
            if timeout && d.is_zero() {
                return Err(format!(
                    "[limits] {name} must be greater than 0 (a zero timeout would cut off every request)"
                ));
            }
            if d > MAX_DURATION {
                return Err(format!(
                    "[limits] {name} = {} is more than a day ({} ms): use a smaller value",
                    d.as_millis(),
                    MAX_DURATION.as_millis()
                ));
            }
        }
        let counts = [
            ("max_connections", self.max_connections),
            ("max_connections_per_ip", self.max_connections_per_ip),
            (
                "max_streams_per_connection",
                self.max_streams_per_connection as usize,
            ),
            ("max_in_flight", self.admission.in_flight),
            (
                "max_in_flight_per_tenant",
                self.admission.in_flight_per_tenant,
            ),
            ("max_upstream_per_tenant", self.max_upstream_per_tenant),
        ];
        for (name, n) in counts {
            if n == 0 {
                return Err(format!(
                    "[limits] {name} must be at least 1 (0 would refuse every client)"
                ));
            }
        }
        Ok(())
    }
}

/// An `http://` URL to a host other than the loopback.
fn is_clear_text_remote(u: &str) -> bool {
    let Ok(url) = url::Url::parse(u) else {
        return false;
    };
    let loopback = match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    url.scheme() == "http" && !loopback
}

/// `https://` (or `http://` when allowed), with a host.
fn check_upstream_url(u: &str, allow_insecure: bool) -> Result<(), String> {
    let url = url::Url::parse(u).map_err(|e| format!("is not a URL: {e}"))?;
    if url.host_str().is_none() {
        return Err(format!("`{u}` has no host"));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure => Ok(()),
        "http" => Err(format!(
            "`{u}` is not TLS: use https://, or set allow_insecure_upstream = true (tests only)"
        )),
        s => Err(format!(
            "`{u}`: scheme `{s}` is not supported (use https://)"
        )),
    }
}

/// An absolute http(s) origin with an optional path prefix: no query, fragment or credentials.
fn check_public_url(u: &str) -> Result<(), String> {
    let url = url::Url::parse(u).map_err(|e| format!("`public_url` is not a URL: {e}"))?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !plain {
        return Err(format!(
            "`public_url = \"{u}\"` must be an http(s) URL without query, fragment or credentials"
        ));
    }
    Ok(())
}

/// An `allowed_hosts` entry: `host` or `host:port`, exactly as a client's `Host` header says it.
fn check_host(h: &str) -> Result<(), String> {
    let refuse = || {
        format!("`allowed_hosts` entry `{h}` must be a host name or address with an optional port")
    };
    let url = url::Url::parse(&format!("http://{h}/")).map_err(|_| refuse())?;
    let host = url.host_str().ok_or_else(refuse)?;
    let round = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    // What the URL parser normalised away (user info, a path, a default port) is refused.
    if round != h && format!("{round}:80") != h {
        return Err(refuse());
    }
    Ok(())
}

/// `[admin]`: the token from the environment or a file, never from the config text.
fn admin(a: AdminFile, env: &dyn Fn(&str) -> Option<String>) -> Result<AdminConfig, String> {
    let listen: SocketAddr = a.listen.parse().map_err(|_| {
        format!(
            "[admin] `listen = \"{}\"` is not an address such as 127.0.0.1:9090",
            a.listen
        )
    })?;
    if a.token.is_some() {
        return Err("[admin] the token must not be written in the config; use token_env = \"VAR\" or token_file = \"path\"".into());
    }
    let token = match (&a.token_env, &a.token_file) {
        (Some(var), None) => env(var)
            .ok_or_else(|| format!("[admin] environment variable {var} (token_env) is not set"))?,
        (None, Some(file)) => std::fs::read_to_string(file)
            .map(|s| s.trim().to_string())
            .map_err(|e| format!("[admin] cannot read token_file {}: {e}", file.display()))?,
        (None, None) => {
            return Err("[admin] needs a bearer token: token_env = \"VAR\" or token_file = \"path\" (the admin listener is never open without one)".into());
        }
        (Some(_), Some(_)) => {
            return Err("[admin] give exactly one of token_env or token_file".into());
        }
    };
    Ok(AdminConfig {
        listen,
        token: Secret::new(token),
    })
}

/// An admin listener needs a token of at least [`ADMIN_TOKEN_MIN`] characters and its own
/// address.
fn check_admin(a: &AdminConfig, listen: SocketAddr) -> Result<(), String> {
    if a.token.expose().trim().len() < ADMIN_TOKEN_MIN {
        return Err(format!(
            "[admin] the token must be at least {ADMIN_TOKEN_MIN} characters (e.g. `openssl rand -hex 24`); an admin listener without a token is refused"
        ));
    }
    if a.listen == listen && listen.port() != 0 {
        return Err(format!(
            "[admin] listen = \"{}\" is the proxy's own address; give the admin listener another port",
            a.listen
        ));
    }
    Ok(())
}

/// One tenant: its secret from the environment or a file (never from the config text).
fn tenant(t: TenantFile, env: &dyn Fn(&str) -> Option<String>) -> Result<Tenant, String> {
    if t.client_secret.is_some() {
        return Err(format!(
            "tenant `{}`: the client secret must not be written in the config; use client_secret_env = \"VAR\" or client_secret_file = \"path\"",
            t.name
        ));
    }
    let secret = match (&t.client_secret_env, &t.client_secret_file) {
        (Some(var), None) => env(var).filter(|s| !s.is_empty()).ok_or_else(|| {
            format!(
                "tenant `{}`: environment variable {var} (client_secret_env) is not set",
                t.name
            )
        })?,
        (None, Some(file)) => std::fs::read_to_string(file)
            .map(|s| s.trim().to_string())
            .map_err(|e| {
                format!(
                    "tenant `{}`: cannot read client_secret_file {}: {e}",
                    t.name,
                    file.display()
                )
            })?,
        _ => {
            return Err(format!(
                "tenant `{}`: give exactly one of client_secret_env or client_secret_file",
                t.name
            ));
        }
    };
    let base_url = t.base_url.unwrap_or_else(|| DEFAULT_BASE_URL.into());
    let token_url = t.token_url.unwrap_or_else(|| DEFAULT_TOKEN_URL.into());
    for (k, u) in [("base_url", &base_url), ("token_url", &token_url)] {
        url::Url::parse(u).map_err(|e| format!("tenant `{}`: `{k}` is not a URL: {e}", t.name))?;
    }
    Ok(Tenant {
        name: t.name,
        client_id: t.client_id,
        client_secret: Secret::new(secret),
        token_url,
        base_url: base_url
            .trim_end_matches('/')
            .trim_end_matches("/v3")
            .to_string(),
        read_as: t.read_as,
    })
}

/// The legacy keys, by SHA-256, each bound to a declared tenant.
fn key_entries(
    files: Vec<KeyFile>,
    tenants: &[Tenant],
    line_of: &dyn Fn(std::ops::Range<usize>) -> usize,
) -> Result<Vec<KeyEntry>, String> {
    let mut keys: Vec<KeyEntry> = Vec::new();
    for k in files {
        let tenant = tenants
            .iter()
            .position(|t| t.name == k.tenant)
            .ok_or_else(|| format!("key for tenant `{}`: no such tenant", k.tenant))?;
        let sha256 = parse_hex32(&k.sha256).ok_or_else(|| {
            "`sha256` must be 64 hex digits (the SHA-256 of the legacy API key: `printf %s KEY | sha256sum`)".to_string()
        })?;
        if keys.iter().any(|e| e.sha256 == sha256) {
            return Err("the same key hash is listed twice".into());
        }
        let label = k
            .label
            .unwrap_or_else(|| format!("{}-key-{}", k.tenant, keys.len() + 1));
        let endpoints = match &k.endpoints {
            None => Permissions::all(),
            Some(v) => Permissions::from_rules(
                v.iter()
                    .map(|e| Rule {
                        text: e.get_ref().clone(),
                        line: line_of(e.span()),
                    })
                    .collect(),
            ),
        };
        let allowed_ips = match &k.allowed_ips {
            None => None,
            Some(v) if v.is_empty() => {
                return Err(format!(
                    "key `{label}`: `allowed_ips = []` would refuse every address; remove it to allow any"
                ));
            }
            Some(v) => {
                Some(nets(v, line_of).map_err(|e| format!("key `{label}`: `allowed_ips`: {e}"))?)
            }
        };
        keys.push(KeyEntry {
            sha256,
            tenant,
            label: label.into(),
            endpoints,
            allowed_ips,
        });
    }
    Ok(keys)
}

/// CIDRs or addresses; an error names the entry and its line.
fn nets(
    v: &[toml::Spanned<String>],
    line_of: &dyn Fn(std::ops::Range<usize>) -> usize,
) -> Result<Vec<IpNet>, String> {
    v.iter()
        .map(|e| parse_net(e.get_ref()).map_err(|m| format!("{m} (line {})", line_of(e.span()))))
        .collect()
}

fn limits(l: &LimitsFile) -> Limits {
    let d = Limits::default();
    let ms = |v: Option<u64>, def: Duration| v.map(Duration::from_millis).unwrap_or(def);
    Limits {
        max_header_bytes: l.max_header_bytes.unwrap_or(d.max_header_bytes).max(1024),
        max_body_bytes: l.max_body_bytes.unwrap_or(d.max_body_bytes),
        header_read_timeout: ms(l.header_read_timeout_ms, d.header_read_timeout),
        request_timeout: ms(l.request_timeout_ms, d.request_timeout),
        upstream_timeout: ms(l.upstream_timeout_ms, d.upstream_timeout),
        retry_attempts: l.retry_attempts.unwrap_or(d.retry_attempts).max(1),
        retry_budget: ms(l.retry_budget_ms, d.retry_budget),
        max_connections: l.max_connections.unwrap_or(d.max_connections),
        max_connections_per_ip: l.max_connections_per_ip.unwrap_or(d.max_connections_per_ip),
        connection_wait: ms(l.connection_wait_ms, d.connection_wait),
        idle_timeout: ms(l.idle_timeout_ms, d.idle_timeout),
        served_grace: ms(l.served_grace_ms, d.served_grace),
        max_streams_per_connection: l
            .max_streams_per_connection
            .unwrap_or(d.max_streams_per_connection),
        token_timeout: ms(l.token_timeout_ms, d.token_timeout),
        token_backoff: ms(l.token_backoff_ms, d.token_backoff),
        write_recheck: ms(l.write_recheck_ms, d.write_recheck),
        drain_timeout: ms(l.drain_timeout_ms, d.drain_timeout),
        admission: crate::admission::AdmissionLimits {
            in_flight: l.max_in_flight.unwrap_or(d.admission.in_flight),
            in_flight_per_tenant: l
                .max_in_flight_per_tenant
                .unwrap_or(d.admission.in_flight_per_tenant),
            queue: l.max_queued.unwrap_or(d.admission.queue),
            queue_wait: ms(l.queue_wait_ms, d.admission.queue_wait),
            sharing: l.max_sharing.unwrap_or(d.admission.sharing),
            sharing_per_tenant: l
                .max_sharing_per_tenant
                .unwrap_or(d.admission.sharing_per_tenant),
            // 1 s at least and MAX_RETRY_AFTER at most, as the calendar books it.
            longest_retry_after: ms(l.idle_timeout_ms, d.idle_timeout) / 2,
        },
        max_upstream_per_tenant: l
            .max_upstream_per_tenant
            .unwrap_or(d.max_upstream_per_tenant),
    }
}

fn cache_settings(f: &CacheFile) -> CacheSettings {
    let c = CacheSettings::default();
    let secs = |v: Option<u64>, def: Duration| v.map(Duration::from_secs).unwrap_or(def);
    CacheSettings {
        translated_entries: f.translated_entries.unwrap_or(c.translated_entries),
        share_reads: f.share_reads.unwrap_or(c.share_reads),
        reference_ttl: secs(f.reference_ttl_secs, c.reference_ttl),
        cursor_ttl: secs(f.cursor_ttl_secs, c.cursor_ttl),
        cursor_entries: f.cursor_entries.unwrap_or(c.cursor_entries).max(16),
        token_refresh_margin: secs(f.token_refresh_margin_secs, c.token_refresh_margin),
        walk_ttl: secs(f.walk_ttl_secs, c.walk_ttl),
        block_bytes: f
            .block_megabytes
            .map_or(c.block_bytes, |m| m.saturating_mul(1 << 20)),
        snapshot_dir: f.snapshot_dir.clone(),
    }
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
        let hex = std::str::from_utf8(chunk).ok()?;
        out[i] = u8::from_str_radix(hex, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "SECRET").then(|| "s3cret".to_string())
    }

    const KEY_HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn parses_a_full_config() {
        let text = format!(
            "listen = \"127.0.0.1:9000\"\npublic_url = \"https://proxy.example.com/\"\n[[tenants]]\nname = \"acme\"\nclient_id = \"id\"\nclient_secret_env = \"SECRET\"\nread_as = 42\n[[keys]]\nsha256 = \"{KEY_HASH}\"\ntenant = \"acme\"\n"
        );
        let c = Config::parse("p.toml", &text, &env).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.public_url.as_deref(), Some("https://proxy.example.com"));
        assert_eq!(c.tenants[0].client_secret.expose(), "s3cret");
        assert_eq!(c.tenants[0].base_url, DEFAULT_BASE_URL);
        assert_eq!(c.keys[0].tenant, 0);
        assert!(
            !format!("{c:?}").contains("s3cret"),
            "secrets must not appear in Debug output"
        );
    }

    #[test]
    fn refuses_inline_secrets_and_bad_values() {
        let base = "[[tenants]]\nname = \"a\"\nclient_id = \"id\"\nread_as = 1\n";
        let e = Config::parse("p", &format!("{base}client_secret = \"x\"\n"), &env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("must not be written in the config"), "{e}");
        let e = Config::parse("p", &format!("{base}client_secret_env = \"NOPE\"\n"), &env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("NOPE") && e.contains("not set"), "{e}");
        let e = Config::parse("p", "listen = \"nowhere\"", &env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an address"), "{e}");
        let e = Config::parse(
            "p",
            &format!(
                "{base}client_secret_env = \"SECRET\"\n[[keys]]\nsha256 = \"abc\"\ntenant = \"a\"\n"
            ),
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("64 hex digits"), "{e}");
        let e = Config::parse("p", "[[keys]]\nsha256 = \"x\"\ntenant = \"zz\"\n", &env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no such tenant"), "{e}");
        let e = Config::parse("p", "colour = 1", &env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("unknown field"), "{e}");
    }
}
