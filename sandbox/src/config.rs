//! Sandbox configuration: credentials, token settings, rate limit, data seed/scale, extra records.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::faults::FaultPlan;

/// Site-admin user of the default credential set (use as token `sub` for reads).
pub const DEFAULT_ADMIN_USER_ID: i64 = 100_001;
/// Non-admin user of the default credential set (reads are refused with 403; writes are allowed).
pub const DEFAULT_BASIC_USER_ID: i64 = 100_002;
/// The "Integration Service User" a token acts as when `/token` gets no `sub`.
/// Hidden from `GET /v3/users` unless `show_service_accounts=true`; counts as site admin.
pub const SERVICE_ACCOUNT_USER_ID: i64 = 100_000;
/// OAuth client holding every scope.
pub const DEFAULT_CLIENT_ID: &str = "sandbox-client-all";
/// Secret of [`DEFAULT_CLIENT_ID`].
pub const DEFAULT_CLIENT_SECRET: &str = "sandbox-secret-all";
/// OAuth client holding only [`LIMITED_CLIENT_SCOPES`].
pub const LIMITED_CLIENT_ID: &str = "sandbox-client-limited";
/// Secret of [`LIMITED_CLIENT_ID`].
pub const LIMITED_CLIENT_SECRET: &str = "sandbox-secret-limited";
/// Scopes of [`LIMITED_CLIENT_ID`].
pub const LIMITED_CLIENT_SCOPES: &[&str] = &["harvest:candidates:list"];
/// Legacy (v1/v2) Harvest API key accepted by `POST /auth/token`, with every scope.
pub const DEFAULT_LEGACY_KEY: &str = "sandbox-legacy-key";

/// Scopes granted to a credential: everything, or an explicit list such as
/// `["harvest:candidates:list"]`. Serialises as `"all"` or a JSON array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scopes {
    /// Either the literal string `"all"` (any other string is rejected on load).
    All(String),
    List(Vec<String>),
}

impl Scopes {
    /// Every scope.
    pub fn all() -> Self {
        Scopes::All("all".to_string())
    }

    /// Exactly these scopes.
    pub fn list<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Self {
        Scopes::List(items.into_iter().map(Into::into).collect())
    }

    /// Whether `scope` (e.g. `harvest:candidates:list`) is granted.
    pub fn allows(&self, scope: &str) -> bool {
        match self {
            Scopes::All(_) => true,
            Scopes::List(l) => l.iter().any(|s| s == scope),
        }
    }

    fn check(&self) -> Result<(), String> {
        match self {
            Scopes::All(s) if s != "all" => {
                Err(format!("scopes must be \"all\" or a list, got {s:?}"))
            }
            _ => Ok(()),
        }
    }
}

/// An OAuth client-credentials client.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: String,
    pub secret: String,
    pub scopes: Scopes,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// A Greenhouse user that tokens may name as `sub`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialUser {
    pub id: i64,
    #[serde(default)]
    pub site_admin: bool,
}

/// A legacy Harvest v1/v2 API key, exchangeable at `POST /auth/token`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyKey {
    pub key: String,
    pub scopes: Scopes,
}

impl std::fmt::Debug for LegacyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyKey")
            .field("key", &"<redacted>")
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// The credential set: OAuth clients, users, legacy keys (the `--credentials FILE` format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    pub clients: Vec<Client>,
    #[serde(default)]
    pub users: Vec<CredentialUser>,
    #[serde(default)]
    pub legacy_keys: Vec<LegacyKey>,
}

impl Default for Credentials {
    /// One site admin, one non-admin, a client with every scope, a client with only
    /// `harvest:candidates:list`, and one legacy key with every scope.
    fn default() -> Self {
        Credentials {
            clients: vec![
                Client {
                    id: DEFAULT_CLIENT_ID.into(),
                    secret: DEFAULT_CLIENT_SECRET.into(),
                    scopes: Scopes::all(),
                },
                Client {
                    id: LIMITED_CLIENT_ID.into(),
                    secret: LIMITED_CLIENT_SECRET.into(),
                    scopes: Scopes::list(LIMITED_CLIENT_SCOPES.iter().copied()),
                },
            ],
            users: vec![
                CredentialUser {
                    id: DEFAULT_ADMIN_USER_ID,
                    site_admin: true,
                },
                CredentialUser {
                    id: DEFAULT_BASIC_USER_ID,
                    site_admin: false,
                },
            ],
            legacy_keys: vec![LegacyKey {
                key: DEFAULT_LEGACY_KEY.into(),
                scopes: Scopes::all(),
            }],
        }
    }
}

impl Credentials {
    /// Parses the JSON credentials format.
    pub fn from_json(text: &str) -> Result<Self, crate::Error> {
        let c: Credentials = serde_json::from_str(text)
            .map_err(|e| crate::Error::Config(format!("credentials: {e}")))?;
        for s in c
            .clients
            .iter()
            .map(|c| &c.scopes)
            .chain(c.legacy_keys.iter().map(|k| &k.scopes))
        {
            s.check().map_err(crate::Error::Config)?;
        }
        Ok(c)
    }

    /// Reads a credentials file.
    pub fn from_file(path: &Path) -> Result<Self, crate::Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::Error::Config(format!("reading {}: {e}", path.display())))?;
        Self::from_json(&text)
    }
}

/// Which expiry field `POST /token` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpiryStyle {
    /// `"expires_at": "2026-01-01T00:00:00Z"` (RFC 3339) — the default, as live tenants send.
    #[default]
    ExpiresAt,
    /// `"expires_in": 3600` (integer seconds).
    ExpiresIn,
    /// `"expires": "2026-01-01T00:00:00Z"` (string, like the transition endpoint).
    Expires,
}

/// Everything that shapes a sandbox instance. `SandboxConfig::default()` gives the documented
/// defaults (seed 1, scale 1.0, 10000 requests / 30 s, default credentials, 1 h tokens).
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address to bind; `None` binds `127.0.0.1:0`.
    pub listen: Option<SocketAddr>,
    /// Seed of the generated data (and of probabilistic faults).
    pub seed: u64,
    /// Data volume; 1.0 ≈ 1,000 candidates and 2,500 applications. 0 generates only lookups.
    pub scale: f64,
    /// Fixed-window rate limit per credential: (requests, window). `None` disables it.
    pub rate_limit: Option<(u32, Duration)>,
    pub credentials: Credentials,
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
    pub expiry_style: ExpiryStyle,
    pub faults: FaultPlan,
    /// Records to load, keyed by resource name (`candidates` or `/v3/candidates`).
    /// Merged over the generated data (same id replaces), or alone if `replace_data`.
    pub extra_records: BTreeMap<String, Vec<Value>>,
    /// Serve only `extra_records` (no generated data).
    pub replace_data: bool,
    /// Base URL used in `Link` headers; default `http://<Host header>`.
    pub public_base_url: Option<String>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            listen: None,
            seed: 1,
            scale: 1.0,
            rate_limit: Some((10_000, Duration::from_secs(30))),
            credentials: Credentials::default(),
            token_lifetime: Duration::from_secs(3600),
            expiry_style: ExpiryStyle::default(),
            faults: FaultPlan::default(),
            extra_records: BTreeMap::new(),
            replace_data: false,
            public_base_url: None,
        }
    }
}

impl SandboxConfig {
    /// Loads every `*.v3.json` fixture file of the shared reference layout
    /// (`{"/v3/<name>": [records...]}`) into `extra_records`.
    pub fn add_fixture_json(&mut self, text: &str) -> Result<(), crate::Error> {
        let v: BTreeMap<String, Vec<Value>> = serde_json::from_str(text)
            .map_err(|e| crate::Error::Config(format!("fixture: {e}")))?;
        for (k, recs) in v {
            self.extra_records.entry(k).or_default().extend(recs);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_file_format() {
        let c = Credentials::from_json(
            r#"{"clients":[{"id":"a","secret":"b","scopes":"all"},{"id":"c","secret":"d","scopes":["harvest:candidates:list"]}],
                "users":[{"id":4242,"site_admin":true}],"legacy_keys":[{"key":"k","scopes":"all"}]}"#,
        )
        .unwrap();
        assert!(c.clients[0].scopes.allows("harvest:jobs:list"));
        assert!(c.clients[1].scopes.allows("harvest:candidates:list"));
        assert!(!c.clients[1].scopes.allows("harvest:jobs:list"));
        assert_eq!(c.users[0].id, 4242);
        assert!(
            Credentials::from_json(r#"{"clients":[{"id":"a","secret":"b","scopes":"some"}]}"#)
                .is_err()
        );
        assert!(Credentials::from_json("not json").is_err());
        assert!(!format!("{:?}", c).contains("\"b\""));
    }
}
