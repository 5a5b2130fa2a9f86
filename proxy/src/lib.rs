//! # harvest-proxy
//!
//! Answers legacy Greenhouse Harvest v1/v2 requests from Harvest v3 with v1-shaped responses,
//! so integrations that cannot be rewritten keep working by changing only their base URL.
//!
//! Layers, in the order a request crosses them (see docs/architecture.md):
//! [`server`] (hyper, TLS, limits; connection slots in [`conns`], v1-shaped HTTP-layer errors
//! in [`wire`]) → [`handler`] (authenticate → route → translate the query → call v3 →
//! translate back → respond) using [`auth`], [`reader`] (v3 calls, retries, cursors),
//! [`admission`] (requests in flight), [`tokens`] (OAuth client credentials) and the `harvest-mappings` engine; shared [`state`]
//! (reloadable tenants and keys).

pub mod access;
pub mod admin;
pub mod admission;
pub mod auth;
pub mod coalesce;
pub mod config;
pub mod conns;
pub mod doctor;
pub mod errors;
pub mod fdlimit;
pub mod handler;
pub mod joins;
pub mod metrics;
pub mod pacer;
pub mod reader;
pub mod returns;
pub mod sandbox;
pub mod secret;
pub mod server;
pub mod snapshots;
pub mod state;
pub mod store;
pub mod tokens;
pub mod upstream;
pub mod usage;
pub mod usage_page;
pub mod walks;
pub mod wire;

use std::sync::Arc;

use harvest_mappings::Catalog;

pub use config::Config;
pub use server::Running;
pub use state::State;

/// Checks the config (refusals stop the start, warnings are logged), loads the mappings
/// (embedded, or the config's directory), builds the state and starts the listener. Invalid
/// mappings stop the start with their diagnostics.
pub async fn start(config: Config) -> Result<(Arc<State>, Running), String> {
    for w in config.validate()? {
        tracing::warn!("config: {w}");
    }
    if let Some(w) = fdlimit::ensure(&config) {
        tracing::warn!("{w}");
    }
    let catalog: &'static Catalog = match &config.mappings {
        None => Catalog::embedded().map_err(|d| format!("invalid mappings:\n{d}"))?,
        Some(dir) => {
            let c = Catalog::load_dir(dir).map_err(|d| format!("invalid mappings:\n{d}"))?;
            Box::leak(Box::new(c))
        }
    };
    let state = Arc::new(State::new(config, catalog)?);
    usage::spawn_flusher(Arc::downgrade(&state));
    let running = server::start(state.clone()).await?;
    Ok((state, running))
}
