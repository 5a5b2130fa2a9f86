//! `harvest-proxy --sandbox`: the simulated Harvest v3 in-process, a tenant pointing at it and
//! a demo legacy API key, so a new user sees the proxy work with one command.

use std::net::SocketAddr;
use std::sync::Arc;

use harvest_sandbox::{
    DEFAULT_ADMIN_USER_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Sandbox, SandboxConfig,
};

use crate::auth::key_hash;
use crate::config::{Config, KeyEntry, Tenant};
use crate::secret::Secret;
use crate::server::Running;
use crate::state::State;

/// The documented demo key of `--sandbox` (override with `--sandbox-key`).
pub const DEMO_KEY: &str = "harvest-demo-key";

/// A config whose one tenant is the given sandbox and whose one key is `key`.
pub fn config_for(sandbox: &Sandbox, listen: SocketAddr, key: &str) -> Config {
    Config {
        listen,
        public_url: None,
        allowed_hosts: Vec::new(),
        // The sandbox speaks plain HTTP on the loopback.
        allow_insecure_upstream: true,
        mappings: None,
        store: None,
        tls: None,
        limits: Default::default(),
        cache: Default::default(),
        tenants: vec![Tenant {
            name: "sandbox".into(),
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: Secret::new(DEFAULT_CLIENT_SECRET),
            token_url: sandbox.token_url(),
            base_url: sandbox.base_url(),
            read_as: DEFAULT_ADMIN_USER_ID as u64,
        }],
        keys: vec![KeyEntry {
            sha256: key_hash(key),
            tenant: 0,
            label: "sandbox-demo".into(),
            // The demo key may call everything, said explicitly (no start-up warning).
            endpoints: crate::access::Permissions::from_rules(vec![crate::access::Rule {
                text: "*".into(),
                line: 0,
            }]),
            allowed_ips: None,
        }],
        trusted_proxies: Vec::new(),
        admin: None,
    }
}

/// Starts the sandbox and the proxy in front of it.
pub async fn start(
    listen: SocketAddr,
    key: &str,
    sandbox: SandboxConfig,
) -> Result<(Sandbox, Arc<State>, Running), String> {
    let sb = harvest_sandbox::spawn(sandbox)
        .await
        .map_err(|e| format!("sandbox: {e}"))?;
    let config = config_for(&sb, listen, key);
    let (state, running) = crate::start(config).await?;
    Ok((sb, state, running))
}
