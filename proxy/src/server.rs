//! The listener: hyper 1 (HTTP/1.1 and HTTP/2), optional TLS (rustls), connection limits
//! ([`crate::conns`]: global and per IP, the longest-idle connection makes room, 503 beyond),
//! the header-read timeout from accept and the keep-alive idle timeout, header and body size
//! limits, authentication before a body is read, v1-shaped answers from the HTTP layer
//! ([`crate::wire`]), a request id on every answer and log line, and graceful shutdown: stop
//! accepting at once, then drain.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CONNECTION, HOST, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tracing::Instrument;

use crate::config::{Limits, TlsConfig};
use crate::conns::{Busy, Connections, Graces, Throttle, Ticket};
use crate::errors::V1Error;
use crate::handler::{self, Answer, LegacyRequest};
use crate::state::State;
use crate::wire::V1Wire;

/// Connections at most waiting for a slot (or being answered 503) at once; beyond, the
/// proxy stops accepting until one is settled (the system's backlog holds the rest).
pub(crate) const MAX_WAITING: usize = 256;

/// A running proxy listener.
pub struct Running {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
    conns: Arc<Connections>,
}

impl Running {
    /// Stops accepting at once, lets open requests finish (up to `drain_timeout`), then returns.
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

    /// Client connections open now.
    pub fn open_connections(&self) -> usize {
        self.conns.open()
    }

    /// Idle connections closed so far to make room for new ones.
    pub fn evicted_connections(&self) -> u64 {
        self.conns.evicted.load(Ordering::Relaxed)
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

/// What every connection task shares.
struct Ctx {
    state: Arc<State>,
    conns: Arc<Connections>,
    tls: Option<TlsAcceptor>,
    builder: Builder<TokioExecutor>,
    waiting: Arc<Semaphore>,
    epoch: Instant,
    refused: Throttle,
    dropped: Throttle,
    /// Set when the proxy stops accepting: open connections then close gracefully.
    stopped: watch::Receiver<bool>,
}

/// The side of a connection a request needs.
#[derive(Clone)]
struct ConnInfo {
    tls: bool,
    /// The address the client connected to, as `Link`'s authority falls back to (formatted
    /// once per connection, not per request).
    local: Arc<str>,
    peer: SocketAddr,
}

fn builder(limits: &Limits) -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // hyper's timer starts when it waits for a head: after accept, and after every answer
        // on a keep-alive connection, so it counts the idle wait too. The connection's own
        // deadlines (`serve`) close a socket silent from accept after the header
        // timeout and an idle keep-alive after the idle timeout; this is only a backstop.
        // (Set to the header timeout alone, it closed every keep-alive connection idle for
        // 10 s, half the idle timeout, racing clients that come back after a `Retry-After`.)
        .header_read_timeout(limits.header_read_timeout + limits.idle_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_streams_per_connection)
        .max_header_list_size(limits.max_header_bytes as u32);
    builder
}

/// The listen backlog: room for as many connections as the proxy may hold (1,024 at least;
/// the system caps it at `net.core.somaxconn`). The 128 that `TcpListener::bind` sets (as
/// std does) overflowed when 1,000 clients connected at once to a busy proxy: the soak
/// counted 1,600–4,500 dropped handshakes a run, and a client whose SYN is dropped waits out
/// the kernel's retransmission back-off (1, 3, 7, 15, 31 s), which was the p99 of those runs.
fn listen_backlog(max_connections: usize) -> u32 {
    max_connections.clamp(1024, 65_535) as u32
}

fn listen(addr: std::net::SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// Binds and serves until `shutdown`.
pub async fn start(state: Arc<State>) -> Result<Running, String> {
    let backlog = listen_backlog(state.config.limits.max_connections);
    let listener = listen(state.config.listen, backlog)
        .map_err(|e| format!("cannot listen on {}: {e}", state.config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let tls = match &state.config.tls {
        Some(t) => Some(tls_acceptor(t)?),
        None => None,
    };
    let (stop, stopped) = watch::channel(false);
    let limits = &state.config.limits;
    // Half the wait for a slot, at most 200 ms: enough for a first request on its way.
    let graces = Graces {
        new: (limits.connection_wait / 2).min(Duration::from_millis(200)),
        served: limits.served_grace,
    };
    let conns = Arc::new(
        Connections::new(limits.max_connections, limits.max_connections_per_ip).with_graces(graces),
    );
    let ctx = Arc::new(Ctx {
        builder: builder(limits),
        conns: conns.clone(),
        tls,
        waiting: Arc::new(Semaphore::new(MAX_WAITING)),
        epoch: Instant::now(),
        refused: Throttle::default(),
        dropped: Throttle::default(),
        stopped: stopped.clone(),
        state: state.clone(),
    });
    state.ready.store(true, Ordering::Relaxed);
    let done = tokio::spawn(accept_loop(listener, ctx, stopped));
    Ok(Running {
        addr,
        stop,
        done,
        conns,
    })
}

/// Accepts until told to stop; then closes the listening socket at once (new connections are
/// refused by the system) and drains the open ones for up to `drain_timeout`.
async fn accept_loop(listener: TcpListener, ctx: Arc<Ctx>, mut stopped: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    let accept_errors = Throttle::default();
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    if let Some(quiet) = accept_errors.tick(ctx.epoch) {
                        tracing::warn!(quiet, "accept failed: {e}");
                    }
                    // E.g. out of file descriptors: do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        // Back-pressure: with MAX_WAITING connections already waiting for a slot, stop
        // accepting until one is settled (each waits at most `connection_wait`, then is
        // answered 503) and let the system's backlog hold the rest. Closing an accepted
        // connection unanswered would cut off a client that has already written its request.
        let permit = match ctx.waiting.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if let Some(quiet) = ctx.dropped.tick(ctx.epoch) {
                    tracing::warn!(%peer, quiet, "too many connections waiting for a slot; accepting paused");
                }
                tokio::select! {
                    p = ctx.waiting.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                    _ = stopped.changed() => break,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            ctx.clone(),
            stream,
            peer,
            permit,
            graceful.watcher(),
        ));
    }
    drop(listener);
    let state = &ctx.state;
    state.ready.store(false, Ordering::Relaxed);
    let open = ctx.conns.open();
    tracing::info!(open, "stopped accepting; draining open connections");
    let drain = state.config.limits.drain_timeout;
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("drained"),
        _ = tokio::time::sleep(drain) => {
            tracing::warn!(?drain, "drain timed out; closing remaining connections");
        }
    }
    // The usage counts of the drained requests reach the store before the process exits.
    let _ = crate::usage::flush_state(state);
}

/// One client connection: a slot (or a 503), the TLS handshake, then HTTP.
async fn connection(
    ctx: Arc<Ctx>,
    stream: TcpStream,
    peer: SocketAddr,
    permit: OwnedSemaphorePermit,
    watcher: Watcher,
) {
    let accepted = Instant::now();
    let limits = &ctx.state.config.limits;
    let info = ConnInfo {
        tls: ctx.tls.is_some(),
        local: stream
            .local_addr()
            .unwrap_or(ctx.state.config.listen)
            .to_string()
            .into(),
        peer,
    };
    let Some(ticket) = ctx.conns.admit(peer.ip(), limits.connection_wait).await else {
        if let Some(quiet) = ctx.refused.tick(ctx.epoch) {
            tracing::warn!(%peer, open = ctx.conns.open(), quiet, "connection limit reached: answering 503");
        }
        let wait = limits.header_read_timeout.min(Duration::from_secs(2));
        match &ctx.tls {
            None => refuse(&ctx, stream, wait).await,
            Some(acceptor) => {
                if let Ok(Ok(s)) = tokio::time::timeout(wait, acceptor.accept(stream)).await {
                    refuse(&ctx, s, wait).await;
                }
            }
        }
        drop(permit);
        return;
    };
    drop(permit);
    match &ctx.tls {
        None => serve(&ctx, stream, ticket, info, watcher).await,
        Some(acceptor) => {
            // The handshake counts against the header-read timeout, from accept.
            let deadline = accepted + limits.header_read_timeout;
            let handshake = tokio::time::timeout_at(deadline, acceptor.accept(stream));
            tokio::select! {
                r = handshake => if let Ok(Ok(s)) = r {
                    serve(&ctx, s, ticket, info, watcher).await;
                },
                _ = ticket.evicted() => {}
            }
        }
    }
}

/// HTTP on an admitted connection until it ends, goes idle past its timeout or is chosen to
/// make room for a new one.
async fn serve<I>(ctx: &Arc<Ctx>, io: I, ticket: Ticket, info: ConnInfo, watcher: Watcher)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let state = ctx.state.clone();
    let activity = ticket.activity.clone();
    let peer = info.peer;
    let svc = service_fn(move |req: Request<Incoming>| {
        let busy = activity.begin();
        let (state, info) = (state.clone(), info.clone());
        // Boxed, so a request's state (about 10 KB) lives in memory the allocator has just
        // freed (warm in the cache) rather than in a per-connection slot, which with many
        // connections was last touched long ago.
        Box::pin(async move { Ok::<_, Infallible>(answer(state, req, info, busy).await) })
    });
    let conn = ctx
        .builder
        .serve_connection(TokioIo::new(V1Wire::new(io)), svc)
        .into_owned();
    // Held (not `watch`ed) until the connection is done, so the drain waits for it; the stop
    // signal is handled below like an eviction, with a graceful close.
    let _watcher = watcher;
    let mut stopped = ctx.stopped.clone();
    tokio::pin!(conn);
    let limits = &ctx.state.config.limits;
    let (header, idle) = (limits.header_read_timeout, limits.idle_timeout);
    loop {
        let deadline = ticket.activity.deadline(header, idle);
        tokio::select! {
            r = &mut conn => {
                if let Err(e) = r {
                    tracing::debug!(%peer, "connection ended: {e}");
                }
                return;
            }
            _ = ticket.evicted() => {
                tracing::debug!("closing an idle connection to make room for a new one");
                break;
            }
            _ = stopped.wait_for(|s| *s) => break,
            _ = tokio::time::sleep_until(deadline) => {
                if ticket.activity.expired(header, idle) {
                    if !ticket.activity.has_served() {
                        // Silent since accept, or a first head still incomplete: no request
                        // is owed an answer (a graceful close would wait for that head).
                        tracing::debug!(%peer, "closing a connection with no whole request head in time");
                        return;
                    }
                    tracing::debug!(%peer, "closing a connection idle past its timeout");
                    break;
                }
            }
        }
    }
    // Closed gracefully, never by dropping the connection: an answer still being flushed is
    // written out, and a request hyper has begun reading is answered (with
    // `Connection: close`) before the socket is closed. Bounded by the request timeout (and,
    // when draining, by the drain timeout of the accept loop).
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(limits.request_timeout.max(header), conn).await;
}

/// Answers every request of a connection over the limit with v1's 503, then closes it.
async fn refuse<I>(ctx: &Ctx, io: I, wait: Duration)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(|_req: Request<Incoming>| async {
        let mut r = to_response(Answer::error(V1Error::overloaded(
            "harvest-proxy has no free connection slot",
            1,
        )));
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        Ok::<_, Infallible>(r)
    });
    let conn = ctx
        .builder
        .serve_connection(TokioIo::new(V1Wire::new(io)), svc);
    let _ = tokio::time::timeout(wait, conn).await;
}

/// A response body that marks its request done when hyper has taken it.
pub struct Tracked {
    inner: Full<Bytes>,
    _busy: Busy,
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// One request: its id (in the `X-Request-Id` answer header and, through the span, in every
/// log line of the request), then [`respond`].
async fn answer(
    state: Arc<State>,
    req: Request<Incoming>,
    info: ConnInfo,
    busy: Busy,
) -> Response<Tracked> {
    let id = request_id(&req);
    // An ERROR-level span is enabled at every log level, so the id is on every line.
    let span = tracing::error_span!("request", id = %id, route = tracing::field::Empty);
    let mut resp = respond(state, req, info, id.clone()).instrument(span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp.map(|inner| Tracked { inner, _busy: busy })
}

/// The client's `X-Request-Id` when it is a plain token (1–64 of `A-Za-z0-9._:-`), else a
/// new one (16 hex digits, unique in the process).
fn request_id(req: &Request<Incoming>) -> String {
    use std::hash::{BuildHasher, Hasher};
    static SEED: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let given = req.headers().get("x-request-id").map(|v| v.as_bytes());
    if let Some(g) = given
        && (1..=64).contains(&g.len())
        && g.iter()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b))
    {
        return String::from_utf8_lossy(g).into_owned();
    }
    let mut h = SEED.get_or_init(std::hash::RandomState::new).build_hasher();
    h.write_u64(COUNT.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", h.finish())
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn to_response(mut a: Answer) -> Response<Full<Bytes>> {
    // v1 sent its rate-limit headers on every answer, errors included.
    if !a.headers.iter().any(|(k, _)| k == "X-RateLimit-Limit") {
        let n = handler::V1_DEFAULT_LIMIT.to_string();
        a.headers.push(("X-RateLimit-Limit".into(), n.clone()));
        a.headers.push(("X-RateLimit-Remaining".into(), n));
    }
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

/// 431 for a header block over the limit, 413 for a body announced over it.
fn over_limits(limits: &Limits, req: &Request<Incoming>) -> Option<Answer> {
    let total_header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if total_header_bytes > limits.max_header_bytes {
        return Some(Answer::error(V1Error::new(
            431,
            "Request headers are too large",
        )));
    }
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    declared
        .filter(|n| *n > limits.max_body_bytes)
        .map(|_| Answer::error(body_too_large(limits)))
}

fn body_too_large(limits: &Limits) -> V1Error {
    V1Error::new(
        413,
        format!(
            "Request body is larger than {} bytes",
            limits.max_body_bytes
        ),
    )
}

/// The authority of `Link` when `public_url` is unset: the request's `Host` only when it is
/// allow-listed, else the address the client connected to (never a name the client chose).
fn link_authority(state: &State, req: &Request<Incoming>, info: &ConnInfo) -> String {
    let given = req
        .headers()
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    // The allow-list is lower case (config), so this is the case-insensitive match.
    given
        .map(str::trim)
        .and_then(|h| {
            let hosts = &state.config.allowed_hosts;
            hosts.iter().find(|a| a.eq_ignore_ascii_case(h))
        })
        .map_or_else(|| info.local.to_string(), String::clone)
}

/// Reads (and bounds) the body, so a slow, oversized or malformed upload gets a v1 answer.
async fn read_body(limits: &Limits, body: Incoming) -> Result<Bytes, Answer> {
    let read = tokio::time::timeout(
        limits.header_read_timeout,
        Limited::new(body, limits.max_body_bytes).collect(),
    )
    .await;
    match read {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Err(_) => Err(Answer::error(V1Error::new(
            408,
            "The request body was not received in time",
        ))),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(Answer::error(body_too_large(limits)))
        }
        Ok(Err(_)) => Err(Answer::error(V1Error::new(
            400,
            "The request body is malformed (e.g. broken chunked encoding) or was cut off",
        ))),
    }
}

/// Every value of a header, joined by `,` (as repeated forwarding headers are read).
fn joined(req: &Request<Incoming>, name: &str) -> Option<String> {
    let parts: Vec<&str> = req
        .headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!parts.is_empty()).then(|| parts.join(","))
}

/// The client's address: the peer, or (only when the peer is a trusted proxy) what the
/// forwarding headers say.
fn client_addr(state: &State, req: &Request<Incoming>, info: &ConnInfo) -> Option<IpAddr> {
    let tenancy = state.tenancy();
    if tenancy.trusted_proxies.is_empty() {
        return Some(info.peer.ip().to_canonical());
    }
    crate::access::client_addr(
        info.peer.ip(),
        joined(req, "forwarded").as_deref(),
        joined(req, "x-forwarded-for").as_deref(),
        &tenancy.trusted_proxies,
    )
}

async fn respond(
    state: Arc<State>,
    req: Request<Incoming>,
    info: ConnInfo,
    request_id: String,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    if let Some(a) = handler::ops(&state, &path) {
        return to_response(a);
    }
    let limits = &state.config.limits;
    if let Some(a) = over_limits(limits, &req) {
        return to_response(a);
    }
    let mut legacy = LegacyRequest {
        method: req.method().as_str().to_string(),
        path,
        query: req.uri().query().map(str::to_string),
        authorization: req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec()),
        // Only `Link` without `public_url` is built from it.
        host: state
            .config
            .public_url
            .is_none()
            .then(|| link_authority(&state, &req, &info)),
        tls: info.tls,
        on_behalf_of: header(&req, "on-behalf-of"),
        idempotency_key: header(&req, "idempotency-key"),
        body: Bytes::new(),
        client: client_addr(&state, &req, &info),
        request_id,
        fresh: no_cache(req.headers()),
    };
    // A body is read only for an authenticated client: anyone else gets the 401 unread (and,
    // on HTTP/1, the connection closed, so the unread body is not parsed as a next request).
    if !req.body().is_end_stream()
        && let Err((a, key)) = handler::authenticate(&state, &legacy)
    {
        let served = handler::Served {
            route: "-",
            answer: a,
            key,
            v3_calls: 0,
        };
        let mut r = to_response(handler::record(&state, &legacy, served, Instant::now()));
        if req.version() < hyper::Version::HTTP_2 {
            r.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        return r;
    }
    // No body (a read): no read, and no timer for one.
    if !req.body().is_end_stream() {
        legacy.body = match read_body(limits, req.into_body()).await {
            Ok(b) => b,
            Err(a) => return to_response(a),
        };
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

/// `Cache-Control: no-cache` / `no-store` / `max-age=0`, or `Pragma: no-cache`: the client
/// wants v3's current data, not what the proxy cached.
fn no_cache(h: &http::HeaderMap) -> bool {
    let says = |name: &str, words: &[&str]| {
        h.get_all(name).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|d| words.contains(&d.trim().to_ascii_lowercase().as_str()))
            })
        })
    };
    says("cache-control", &["no-cache", "no-store", "max-age=0"]) || says("pragma", &["no-cache"])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst of connections to a proxy too busy to accept completes its handshakes: they
    /// wait in the listen backlog (with the 128 of `TcpListener::bind`, the 129th and later
    /// SYNs were dropped and their clients waited out the kernel's back-off).
    #[tokio::test]
    async fn a_burst_of_connections_waits_in_the_backlog() {
        let listener = listen("127.0.0.1:0".parse().unwrap(), listen_backlog(0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let burst: Vec<_> = (0..500)
            .map(|_| {
                tokio::spawn(async move {
                    tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr)).await
                })
            })
            .collect();
        let mut connected = 0;
        for c in burst {
            if matches!(c.await, Ok(Ok(Ok(_)))) {
                connected += 1;
            }
        }
        assert_eq!(connected, 500, "nothing accepted yet, every handshake done");
        assert_eq!(listen_backlog(100_000), 65_535);
        drop(listener);
    }
}
