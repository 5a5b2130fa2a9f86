//! `harvest-sandbox`: a simulated Greenhouse Harvest v3 + OAuth server.
//!
//! Embed it with [`spawn`] (binds `127.0.0.1:0` by default) or run the `harvest-sandbox` binary.
//! See `README.md` for the CLI, default credentials, fault SPEC grammar and library usage.

mod actions;
pub mod auth;
mod body_fields;
mod catalog;
pub mod config;
mod crud;
pub mod data;
mod effects;
pub mod errors;
pub mod faults;
pub mod query;
pub mod ratelimit;
mod records;
mod resource_def;
pub mod sandbox;
pub mod schema;
pub mod server;
pub mod stats;
pub mod store;
pub mod time;
mod write_op;
pub mod writes;

pub use config::*;
pub use faults::{
    FaultAction, FaultMode, FaultPlan, FaultRule, FaultSpecError, Faults, MethodMatch, RouteMatch,
};
pub use sandbox::{Sandbox, build_dataset, spawn};
pub use stats::StatsSnapshot;
pub use store::Dataset;

/// Errors of the library API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("configuration error: {0}")]
    Config(String),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias of the library API.
pub type Result<T, E = Error> = std::result::Result<T, E>;
