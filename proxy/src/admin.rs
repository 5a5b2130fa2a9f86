//! The admin listener (`[admin]` in proxy.toml): the usage report as an HTML page (`/usage`),
//! JSON (`/usage.json`) and CSV (`/usage.csv`), plus `/metrics` and `/healthz`.
//!
//! Everything but `/healthz` needs the bearer token: `Authorization: Bearer TOKEN`, or (for a
//! browser) the cookie set by opening `/usage?token=TOKEN` once, which answers with a
//! redirect to the same page without the token, so the token does not stay in the address
//! bar, the history or a log. The cookie holds a value derived from the token (not the token),
//! `HttpOnly; SameSite=Strict`. Tokens are compared in constant time and never logged. Every
//! error answer is in v1's shape.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::errors::V1Error;
use crate::handler::Answer;
use crate::secret::Secret;
use crate::state::State;
use crate::usage::{self, Format, Month};

/// The session cookie's name.
pub const COOKIE: &str = "harvest_admin";

/// Admin connections open at once; more are closed unanswered.
const MAX_CONNECTIONS: usize = 64;

/// A running admin listener.
pub struct Admin {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl Admin {
    /// Stops accepting; connections in flight end with the process or when their client
    /// closes them.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }
}

struct Ctx {
    state: Arc<State>,
    /// SHA-256 of the token (compared in constant time, fixed length).
    token: [u8; 32],
    /// The cookie value: derived from the token, not the token.
    session: String,
}

fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

fn session_of(token: &Secret) -> String {
    let mut h = Sha256::new();
    h.update(b"harvest-proxy admin session\0");
    h.update(token.expose().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A random token (24 bytes, hex), for `--sandbox`.
pub fn random_token() -> Secret {
    let bytes: [u8; 24] = rand::random();
    Secret::new(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Starts the listener of `[admin]`, if the config has one.
pub async fn for_config(state: &Arc<State>) -> Result<Option<Admin>, String> {
    match &state.config.admin {
        None => Ok(None),
        Some(a) => start(state.clone(), a.listen, a.token.clone())
            .await
            .map(Some),
    }
}

/// Binds `listen` and serves the admin routes with `token`.
pub async fn start(state: Arc<State>, listen: SocketAddr, token: Secret) -> Result<Admin, String> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("[admin] cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let ctx = Arc::new(Ctx {
        state,
        token: sha256(token.expose().as_bytes()),
        session: session_of(&token),
    });
    tracing::info!(%addr, "admin listener (usage report, metrics) on http://{addr}/usage");
    let (stop, mut stopped) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let done = tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                r = listener.accept() => match r {
                    Ok((s, _)) => s,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = stopped.changed() => break,
            };
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                continue;
            };
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let ctx = ctx.clone();
                    async move { Ok::<_, Infallible>(to_response(handle(&ctx, req).await)) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(TokioIo::new(stream), svc);
                let _ = tokio::time::timeout(Duration::from_secs(300), conn).await;
                drop(permit);
            });
        }
    });
    Ok(Admin { addr, stop, done })
}

fn to_response(a: Answer) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(a.body));
    *r.status_mut() =
        hyper::StatusCode::from_u16(a.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    for (k, v) in a
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain([
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"),
        ])
    {
        if let (Ok(k), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(k.as_bytes()),
            hyper::header::HeaderValue::from_str(v),
        ) {
            h.append(k, v);
        }
    }
    r
}

/// The first value of a query parameter.
fn param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn unauthorized() -> Answer {
    let mut e = V1Error::new(
        401,
        "The admin listener needs its token: Authorization: Bearer TOKEN (or open /usage?token=TOKEN once in a browser)",
    );
    e.headers.push((
        "WWW-Authenticate".into(),
        "Bearer realm=\"harvest-proxy admin\"".into(),
    ));
    Answer::error(e)
}

impl Ctx {
    fn token_ok(&self, given: &str) -> bool {
        bool::from(sha256(given.as_bytes()).ct_eq(&self.token))
    }

    /// The bearer header or the session cookie.
    fn authorised<B>(&self, req: &Request<B>) -> bool {
        let h = req.headers();
        let bearer = h
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            });
        if let Some(t) = bearer {
            return self.token_ok(t);
        }
        h.get_all(hyper::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .any(|(k, v)| k == COOKIE && bool::from(v.as_bytes().ct_eq(self.session.as_bytes())))
    }
}

async fn handle(ctx: &Ctx, req: Request<Incoming>) -> Answer {
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    if req.method() != hyper::Method::GET && req.method() != hyper::Method::HEAD {
        let mut e = V1Error::new(405, "The admin listener answers GET only");
        e.headers.push(("Allow".into(), "GET, HEAD".into()));
        return Answer::error(e);
    }
    if path == "/healthz" {
        return Answer::json(200, &serde_json::json!({"status": "ok"}), vec![]);
    }
    if let Some(t) = param(query.as_deref(), "token") {
        return login(ctx, &path, query.as_deref(), &t);
    }
    if !ctx.authorised(&req) {
        return unauthorized();
    }
    match path.as_str() {
        "/" => redirect("/usage", vec![]),
        "/usage" | "/usage.json" | "/usage.csv" => usage(ctx, &path, query.as_deref()).await,
        "/metrics" => Answer::text(
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            ctx.state.metrics.render(),
        ),
        _ => Answer::error(V1Error::new(
            404,
            "Not found: the admin listener serves /usage, /usage.json, /usage.csv, /metrics and /healthz",
        )),
    }
}

fn redirect(to: &str, mut headers: Vec<(String, String)>) -> Answer {
    headers.push(("Location".into(), to.to_string()));
    let mut a = Answer::json(
        303,
        &serde_json::json!({"message": format!("See {to}")}),
        headers,
    );
    a.status = 303;
    a
}

/// `?token=` (browsers): a right token sets the session cookie and redirects to the same page
/// without it; a wrong one is refused.
fn login(ctx: &Ctx, path: &str, query: Option<&str>, token: &str) -> Answer {
    if !ctx.token_ok(token) {
        return unauthorized();
    }
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if k != "token" {
            rest.append_pair(&k, &v);
        }
    }
    let rest = rest.finish();
    let target = match path {
        "/usage" | "/usage.json" | "/usage.csv" | "/metrics" => path,
        _ => "/usage",
    };
    let to = if rest.is_empty() {
        target.to_string()
    } else {
        format!("{target}?{rest}")
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
        ctx.session
    );
    redirect(&to, vec![("Set-Cookie".into(), cookie)])
}

/// The report of `?month=` (default: the current month, UTC), the latest counts included.
async fn usage(ctx: &Ctx, path: &str, query: Option<&str>) -> Answer {
    let now = chrono::Utc::now();
    let month = match param(query, "month").filter(|m| !m.is_empty()) {
        None => Month::of(now),
        Some(m) => match Month::parse(&m) {
            Ok(m) => m,
            Err(e) => return Answer::error(V1Error::validation("month", e)),
        },
    };
    let state = ctx.state.clone();
    let built = tokio::task::spawn_blocking(move || {
        let _ = usage::flush_state(&state);
        usage::report_from_store(&state.store, month, now)
    })
    .await;
    let report = match built {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::error!("usage report: {e}");
            return Answer::error(V1Error::new(
                503,
                "The usage store cannot be read; retry later",
            ));
        }
        Err(_) => return Answer::error(V1Error::new(500, "The usage report failed")),
    };
    match path {
        "/usage.json" => Answer::json(
            200,
            &serde_json::to_value(&report).unwrap_or_default(),
            vec![],
        ),
        "/usage.csv" => match usage::render(&report, Format::Csv) {
            Ok(csv) => {
                let mut a = Answer::text(200, "text/csv; charset=utf-8", csv);
                a.headers.push((
                    "Content-Disposition".into(),
                    format!(
                        "attachment; filename=\"harvest-usage-{}.csv\"",
                        report.month
                    ),
                ));
                a
            }
            Err(e) => Answer::error(V1Error::new(500, format!("CSV: {e}"))),
        },
        _ => {
            let nonce = hex(&rand::random::<[u8; 16]>());
            let mut a = Answer::text(
                200,
                "text/html; charset=utf-8",
                crate::usage_page::render(&report, &nonce),
            );
            a.headers.push((
                "Content-Security-Policy".into(),
                format!(
                    "default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
                ),
            ));
            a
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_not_the_token_and_params_are_read() {
        let t = Secret::new("0123456789abcdef0123");
        let s = session_of(&t);
        assert_eq!(s.len(), 64);
        assert!(!s.contains(t.expose()));
        assert_eq!(
            param(Some("a=1&month=2026-11&month=x"), "month").as_deref(),
            Some("2026-11")
        );
        assert_eq!(param(None, "month"), None);
        assert_eq!(random_token().expose().len(), 48);
        assert_ne!(random_token(), random_token());
    }
}
