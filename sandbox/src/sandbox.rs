//! The embeddable server handle: [`spawn`] and [`Sandbox`].

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::Authority;
use crate::config::SandboxConfig;
use crate::faults::Faults;
use crate::ratelimit::RateLimiter;
use crate::server::{self, State};
use crate::stats::{Stats, StatsSnapshot};
use crate::store::Dataset;
use crate::{Error, Result, data, schema};

/// Normalises a resource key: `candidates`, `/v3/candidates` and `v3/candidates/` all give `candidates`.
pub fn resource_key(key: &str) -> &str {
    let k = key.trim().trim_matches('/');
    k.strip_prefix("v3/").unwrap_or(k)
}

/// Builds the dataset a config describes (generated data, merged with or replaced by
/// `extra_records`). Used by [`spawn`]; handy for assertions without a server.
pub fn build_dataset(config: &SandboxConfig) -> Result<Dataset> {
    let mut ds = if config.replace_data {
        Dataset::empty()
    } else {
        data::generate(config.seed, config.scale, &config.credentials.users)
    };
    for (key, records) in &config.extra_records {
        let name = resource_key(key);
        if schema::resource(name).is_none() {
            return Err(Error::Config(format!(
                "extra_records: unknown resource `{key}`"
            )));
        }
        for rec in records {
            ds.upsert(name, rec.clone())
                .map_err(|e| Error::Config(format!("extra_records[{key}]: {e}")))?;
        }
    }
    Ok(ds)
}

/// A running sandbox. Dropping it stops the server (like [`Sandbox::shutdown`], without waiting).
pub struct Sandbox {
    state: Arc<State>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Builds the data and starts serving on `config.listen` (default `127.0.0.1:0`).
pub async fn spawn(config: SandboxConfig) -> Result<Sandbox> {
    let listen = config
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let cfg = config.clone();
    let ds = tokio::task::spawn_blocking(move || build_dataset(&cfg))
        .await
        .map_err(|e| Error::Config(format!("data generation failed: {e}")))??;
    let state = Arc::new(State {
        data: std::sync::RwLock::new(ds),
        auth: Authority::new(
            config.credentials.clone(),
            config.token_lifetime,
            config.expiry_style,
        ),
        limiter: config.rate_limit.map(|(n, w)| RateLimiter::new(n, w)),
        faults: Faults::new(config.faults.clone(), config.seed),
        stats: Stats::default(),
        public_base: config.public_base_url.clone(),
        local_addr: addr,
    });
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, state.clone(), stop_rx));
    tracing::info!(%addr, "harvest sandbox listening");
    Ok(Sandbox {
        state,
        addr,
        stop,
        task: Some(task),
    })
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.changed() => break,
        };
        let (stream, _) = match accepted {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let mut stop_conn = stop.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| server::handle(state.clone(), req));
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                r = conn => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "connection ended with error");
                    }
                }
                _ = stop_conn.changed() => {}
            }
        });
    }
}

impl Sandbox {
    /// Bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash). Harvest routes live under `/v3/`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The OAuth token endpoint, `…/token`.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.base_url())
    }

    /// The legacy-key transition endpoint, `…/auth/token`.
    pub fn legacy_token_url(&self) -> String {
        format!("{}/auth/token", self.base_url())
    }

    /// Runtime fault control (`set`, `set_spec`, `add`, `clear`).
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// Request counters so far.
    pub fn stats(&self) -> StatsSnapshot {
        self.state.stats.snapshot()
    }

    /// Zeroes the request counters.
    pub fn reset_stats(&self) {
        self.state.stats.reset();
    }

    /// Forgets rate-limit windows.
    pub fn reset_rate_limit(&self) {
        if let Some(l) = &self.state.limiter {
            l.reset();
        }
    }

    /// Records of a resource as served (id descending), current state including writes.
    pub fn records(&self, resource: &str) -> Vec<Value> {
        self.state.read().records_desc(resource_key(resource))
    }

    /// One record by id.
    pub fn record(&self, resource: &str, id: i64) -> Option<Value> {
        self.state.read().get(resource_key(resource), id).cloned()
    }

    /// Read access to the whole dataset.
    pub fn with_data<R>(&self, f: impl FnOnce(&Dataset) -> R) -> R {
        f(&self.state.read())
    }

    /// Write access to the whole dataset (e.g. to plant records mid-test).
    pub fn with_data_mut<R>(&self, f: impl FnOnce(&mut Dataset) -> R) -> R {
        f(&mut self.state.write())
    }

    /// A clone of the dataset.
    pub fn data(&self) -> Dataset {
        self.state.read().clone()
    }

    /// Mints a bearer token directly (as `POST /token` would for `client_id`, without a request).
    pub fn issue_token(&self, client_id: &str, sub: i64) -> String {
        self.state.auth.issue(client_id, sub).0
    }

    /// Stops serving as a killed server would: the listener is closed (connections are
    /// refused) and every open connection is dropped. The data, credentials (tokens stay
    /// valid), faults and counters are kept for [`Sandbox::restart`].
    pub async fn kill(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    /// Serves again on the same address with the same state, after [`Sandbox::kill`] (does
    /// nothing while serving). Binding is retried for up to 5 s while the port is not free.
    pub async fn restart(&mut self) -> Result<()> {
        if self.task.is_some() {
            return Ok(());
        }
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    tracing::debug!(error = %e, "rebinding the sandbox's address");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e.into()),
            }
        };
        let (stop, stop_rx) = watch::channel(false);
        self.stop = stop;
        self.task = Some(tokio::spawn(accept_loop(
            listener,
            self.state.clone(),
            stop_rx,
        )));
        tracing::info!(addr = %self.addr, "harvest sandbox listening again");
        Ok(())
    }

    /// Stops accepting connections, closes open ones, and waits for the accept loop.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
