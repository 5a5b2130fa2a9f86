//! The listener: hyper 1 (HTTP/1.1 and HTTP/2), optional TLS (rustls), header and body size
//! limits, timeouts, a connection cap, and graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use crate::config::TlsConfig;
use crate::errors::V1Error;
use crate::handler::{self, Answer, LegacyRequest};
use crate::state::State;

/// A running proxy listener.
pub struct Running {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets open requests finish (up to 10 s), then returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }

    /// Waits until the server stops (after a shutdown signal).
    pub async fn wait(self) {
        let _ = self.done.await;
    }

    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop.clone()
    }
}

fn tls_acceptor(tls: &TlsConfig) -> Result<TlsAcceptor, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&tls.cert)
        .map_err(|e| format!("cannot read TLS certificate {}: {e}", tls.cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bad TLS certificate {}: {e}", tls.cert.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate in {}", tls.cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .map_err(|e| format!("cannot read TLS key {}: {e}", tls.key.display()))?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate and key do not match: {e}"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(cfg)))
}

/// Binds and serves until `shutdown`.
pub async fn start(state: Arc<State>) -> Result<Running, String> {
    let listener = TcpListener::bind(state.config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", state.config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let tls = match &state.config.tls {
        Some(t) => Some(tls_acceptor(t)?),
        None => None,
    };
    let (stop, mut stopped) = watch::channel(false);
    let limits = state.config.limits.clone();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    state.ready.store(true, Ordering::Relaxed);
    let done = tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_buf_size(limits.max_header_bytes.max(8192))
            .keep_alive(true);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(limits.max_header_bytes as u32);
        loop {
            let (stream, peer) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        continue;
                    }
                },
                _ = stopped.changed() => break,
            };
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                tracing::warn!(%peer, "connection limit reached; refusing");
                drop(stream);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let state = state.clone();
            let builder = builder.clone();
            let is_tls = tls.is_some();
            let svc = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(respond(state, req, is_tls).await) }
            });
            match &tls {
                None => {
                    let conn = builder
                        .serve_connection(TokioIo::new(stream), svc)
                        .into_owned();
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        let _ = conn.await;
                        drop(permit);
                    });
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    let timeout = limits.header_read_timeout;
                    // TLS handshakes run in their own task; they are bounded by the header timeout.
                    let watcher = graceful.watcher();
                    tokio::spawn(async move {
                        let Ok(Ok(tls_stream)) =
                            tokio::time::timeout(timeout, acceptor.accept(stream)).await
                        else {
                            drop(permit);
                            return;
                        };
                        let conn = builder
                            .serve_connection(TokioIo::new(tls_stream), svc)
                            .into_owned();
                        let _ = watcher.watch(conn).await;
                        drop(permit);
                    });
                }
            }
        }
        state.ready.store(false, Ordering::Relaxed);
        tokio::select! {
            _ = graceful.shutdown() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(10)) => {
                tracing::warn!("graceful shutdown timed out; closing remaining connections");
            }
        }
    });
    Ok(Running { addr, stop, done })
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn to_response(a: Answer) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(a.body));
    *r.status_mut() =
        hyper::StatusCode::from_u16(a.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in a.headers {
        if let (Ok(k), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(k.as_bytes()),
            hyper::header::HeaderValue::from_str(&v),
        ) {
            r.headers_mut().append(k, v);
        }
    }
    r
}

async fn respond(state: Arc<State>, req: Request<Incoming>, tls: bool) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    if let Some(a) = handler::ops(&state, &path) {
        return to_response(a);
    }
    let limits = &state.config.limits;
    let total_header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if total_header_bytes > limits.max_header_bytes {
        return to_response(Answer::error(V1Error::new(
            431,
            "Request headers are too large",
        )));
    }
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes) {
        return to_response(Answer::error(V1Error::new(
            413,
            format!(
                "Request body is larger than {} bytes",
                limits.max_body_bytes
            ),
        )));
    }
    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    let mut legacy = LegacyRequest {
        method: req.method().as_str().to_string(),
        path: path.clone(),
        query: req.uri().query().map(str::to_string),
        authorization: req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec()),
        host,
        tls,
        on_behalf_of: header(&req, "on-behalf-of"),
        idempotency_key: header(&req, "idempotency-key"),
        body: Bytes::new(),
    };
    // Read (and bound) the body, so a slow or oversized upload is cut off with a v1 answer.
    let body_read = tokio::time::timeout(
        limits.header_read_timeout,
        Limited::new(req.into_body(), limits.max_body_bytes).collect(),
    )
    .await;
    match body_read {
        Err(_) => {
            return to_response(Answer::error(V1Error::new(
                408,
                "The request body was not received in time",
            )));
        }
        Ok(Err(_)) => {
            return to_response(Answer::error(V1Error::new(
                413,
                format!(
                    "Request body is larger than {} bytes",
                    limits.max_body_bytes
                ),
            )));
        }
        Ok(Ok(collected)) => legacy.body = collected.to_bytes(),
    }
    match tokio::time::timeout(
        limits.request_timeout,
        handler::legacy(state.clone(), legacy),
    )
    .await
    {
        Ok(a) => to_response(a),
        Err(_) => to_response(Answer::error(V1Error::new(
            504,
            "The request took too long to serve from Harvest v3 (proxy timeout)",
        ))),
    }
}
