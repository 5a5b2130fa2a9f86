//! HTTP server: routing, rule enforcement order, faults, and response encoding.
//!
//! Order for `/v3/...`: fault → rate limit (per credential, headers on every answer) →
//! route (404 before auth) → bearer token (401) → scope (403) → site admin for reads (403) →
//! query/body validation (422) → answer.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use crate::auth::{Authority, Principal};
use crate::errors::ApiError;
use crate::faults::{FaultAction, Faults};
use crate::query::ListQuery;
use crate::ratelimit::{RateDecision, RateLimiter};
use crate::schema;
use crate::stats::Stats;
use crate::store::Dataset;
use crate::writes;

/// Response body type.
pub type ResBody = BoxBody<Bytes, std::io::Error>;

const MAX_BODY: usize = 16 * 1024 * 1024;

/// Shared server state.
pub struct State {
    pub data: RwLock<Dataset>,
    pub auth: Authority,
    pub limiter: Option<RateLimiter>,
    pub faults: Faults,
    pub stats: Stats,
    pub public_base: Option<String>,
    pub local_addr: SocketAddr,
}

impl State {
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Dataset> {
        self.data.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Dataset> {
        self.data.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// A fully built answer before encoding.
struct Reply {
    status: u16,
    body: Option<Vec<u8>>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, v: &Value) -> Self {
        Reply {
            status,
            body: Some(serde_json::to_vec(v).unwrap_or_default()),
            headers: Vec::new(),
        }
    }

    fn error(e: ApiError) -> Self {
        let mut r = Reply::json(e.status, &e.body);
        r.headers.extend(e.headers);
        r
    }

    fn no_content() -> Self {
        Reply {
            status: 204,
            body: None,
            headers: Vec::new(),
        }
    }
}

fn full(bytes: Vec<u8>) -> ResBody {
    Full::new(Bytes::from(bytes))
        .map_err(|never: Infallible| match never {})
        .boxed()
}

/// A body that sends its first chunk and then fails, so the peer sees a cut connection.
struct CutoffBody {
    first: Option<Bytes>,
}

impl Body for CutoffBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.first.take() {
            Some(b) => Poll::Ready(Some(Ok(Frame::data(b)))),
            None => Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "sandbox fault: cutoff",
            )))),
        }
    }
}

fn encode(reply: Reply, fault: &FaultAction) -> Response<ResBody> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let has_body = reply.body.is_some();
    let bytes = reply.body.unwrap_or_default();
    let (body, forced_len) = match fault {
        FaultAction::Truncate if has_body => {
            let half = bytes.len() / 2;
            (full(bytes[..half].to_vec()), None)
        }
        FaultAction::Cutoff if has_body && bytes.len() > 1 => {
            let total = bytes.len();
            let half = Bytes::copy_from_slice(&bytes[..total / 2]);
            (CutoffBody { first: Some(half) }.boxed(), Some(total))
        }
        _ => (full(bytes), None),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    if has_body {
        resp.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    if let Some(len) = forced_len {
        resp.headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    for (k, v) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().append(k, v);
        }
    }
    resp
}

fn reason(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// Handles one request. An `Err` makes hyper drop the connection (used for the `reset` fault).
pub async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<ResBody>, std::io::Error> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    state.stats.record_request(method.as_str(), &path);

    let fault = state.faults.next_action_for(method.as_str(), &path);
    let fault = match fault {
        FaultAction::Delay(d) => {
            tokio::time::sleep(d).await;
            FaultAction::Ok
        }
        other => other,
    };
    match fault {
        FaultAction::Reset => {
            state.stats.record_status(0);
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "sandbox fault: reset",
            ));
        }
        FaultAction::Status(code) => {
            state.stats.record_status(code);
            let mut r = Reply::json(code, &json!({"message": reason(code)}));
            if code == 429 {
                r.headers.push(("retry-after", "1".into()));
            }
            return Ok(encode(r, &FaultAction::Ok));
        }
        FaultAction::Malformed => {
            state.stats.record_status(200);
            let r = Reply {
                status: 200,
                body: Some(b"<html><body>502 Bad Gateway</body></html>{\"id\":".to_vec()),
                headers: Vec::new(),
            };
            return Ok(encode(r, &FaultAction::Ok));
        }
        _ => {}
    }

    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let authorization = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let r = Reply::error(ApiError::new(413, json!({"message": "Payload Too Large"})));
            state.stats.record_status(413);
            return Ok(encode(r, &fault));
        }
    };

    let reply = route(
        &state,
        &method,
        &path,
        query.as_deref(),
        host.as_deref(),
        authorization.as_deref(),
        &body,
    );
    match fault {
        FaultAction::Lost => {
            state.stats.record_status(0);
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "sandbox fault: served, answer lost",
            ));
        }
        FaultAction::Applied(code) => {
            state.stats.record_status(code);
            let r = Reply::json(code, &json!({"message": reason(code)}));
            return Ok(encode(r, &FaultAction::Ok));
        }
        FaultAction::AppliedDelay(d) => tokio::time::sleep(d).await,
        _ => {}
    }
    state.stats.record_status(reply.status);
    Ok(encode(reply, &fault))
}

fn route(
    state: &State,
    method: &Method,
    path: &str,
    query: Option<&str>,
    host: Option<&str>,
    authorization: Option<&str>,
    body: &[u8],
) -> Reply {
    match path {
        "/token" | "/token/" if method == Method::POST => {
            let ds = state.read();
            let (status, v) = state.auth.token_endpoint(&ds, authorization, query, body);
            let mut r = Reply::json(status, &v);
            r.headers.push(("cache-control", "no-store".into()));
            return r;
        }
        "/introspect" | "/introspect/" if method == Method::POST => {
            let (status, v) = state.auth.introspect_endpoint(authorization, body);
            let mut r = Reply::json(status, &v);
            r.headers.push(("cache-control", "no-store".into()));
            return r;
        }
        "/auth/token" | "/auth/token/" if method == Method::POST => {
            let ds = state.read();
            let (status, v) = state.auth.legacy_endpoint(&ds, authorization, body);
            return Reply::json(status, &v);
        }
        _ => {}
    }
    let Some(rest) = path.strip_prefix("/v3/") else {
        return Reply::error(ApiError::not_found());
    };
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();

    // authenticate (without failing yet) to pick the rate-limit bucket
    let principal: Option<Principal> = authorization
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .and_then(|t| state.auth.verify(t.trim()));
    let decision: Option<RateDecision> = state.limiter.as_ref().map(|l| {
        l.check(
            principal
                .as_ref()
                .map(|p| p.credential.as_str())
                .unwrap_or("anonymous"),
        )
    });
    let mut reply = v3(
        state,
        method,
        &segs,
        query,
        host,
        principal.as_ref(),
        decision.as_ref(),
        body,
    );
    if let Some(d) = decision {
        reply.headers.extend(d.headers());
    }
    reply
}

#[allow(clippy::too_many_arguments)]
fn v3(
    state: &State,
    method: &Method,
    segs: &[&str],
    query: Option<&str>,
    host: Option<&str>,
    principal: Option<&Principal>,
    decision: Option<&RateDecision>,
    body: &[u8],
) -> Reply {
    if decision.is_some_and(|d| !d.allowed) {
        return Reply::json(
            429,
            &json!({"message": "Too Many Requests", "errors": ["Rate limit exceeded. Retry after the time in the Retry-After header."]}),
        );
    }
    // routing happens before authentication: unknown routes are 404 even without a token
    enum Op {
        List(&'static schema::ResourceDef),
        Write(writes::WriteOp),
    }
    let op = match (method, segs) {
        (&Method::GET, [name]) => match schema::resource(name) {
            Some(def) => Op::List(def),
            None => return Reply::error(ApiError::not_found()),
        },
        _ => match writes::route(method, segs) {
            Some(w) => Op::Write(w),
            None => return Reply::error(ApiError::not_found()),
        },
    };
    let Some(p) = principal else {
        return Reply::error(ApiError::unauthorized());
    };
    let scope = match &op {
        Op::List(def) => format!("harvest:{}:list", def.name),
        Op::Write(w) => w.scope(),
    };
    if !p.scopes.allows(&scope) {
        return Reply::error(ApiError::forbidden(format!(
            "This token is missing the required scope `{scope}`."
        )));
    }
    match op {
        Op::List(def) => {
            let ds = state.read();
            if state.auth.user_admin(&ds, p.sub) != Some(true) {
                return Reply::error(ApiError::forbidden(format!(
                    "GET endpoints are only accessible by site admin users; user {} is not a site admin.",
                    p.sub
                )));
            }
            let q = match ListQuery::parse(def, &ds, query) {
                Ok(q) => q,
                Err(e) => return Reply::error(e),
            };
            let page = q.run(&ds);
            drop(ds);
            let mut r = Reply::json(200, &Value::Array(page.records));
            if let Some(c) = page.next_cursor {
                let base = state.public_base.clone().unwrap_or_else(|| {
                    format!(
                        "http://{}",
                        host.map(str::to_string)
                            .unwrap_or_else(|| state.local_addr.to_string())
                    )
                });
                r.headers.push((
                    "link",
                    format!(
                        "<{}/v3/{}?cursor={}>; rel=\"next\"",
                        base.trim_end_matches('/'),
                        def.name,
                        c
                    ),
                ));
            }
            r
        }
        Op::Write(w) => {
            let mut ds = state.write();
            if state.auth.user_admin(&ds, p.sub).is_none() {
                return Reply::error(ApiError::forbidden(format!(
                    "User {} does not exist.",
                    p.sub
                )));
            }
            match writes::execute(&mut ds, &w, body) {
                Ok(writes::Outcome::Object(status, v)) => Reply::json(status, &v),
                Ok(writes::Outcome::NoContent) => Reply::no_content(),
                Err(e) => Reply::error(e),
            }
        }
    }
}
