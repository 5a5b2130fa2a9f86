//! One legacy request, HTTP side: authenticate → run the legacy pipeline
//! (`harvest_mappings::serve`: route → query → v3 → translate) over the HTTP v3 client
//! ([`Reader`]) → v1 headers (`Link`, rate limits) and v1 error bodies.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use serde_json::Value;
use tokio::time::Instant;

use harvest_mappings::serve;
use harvest_mappings::write::{LegacyWrite, WriteError};
use harvest_mappings::{LegacyAnswer, ReadError};

use crate::access;
use crate::auth::{self, AuthError};
use crate::config::KeyEntry;
use crate::errors::V1Error;
use crate::metrics::{RouteLabels, RouteOnly};
use crate::reader::{RateInfo, Reader};
use crate::state::State;

/// What the server needs from a request (the body is checked for size by the server).
pub struct LegacyRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub authorization: Option<Vec<u8>>,
    /// The authority `Link` is built from when `public_url` is unset: the server puts an
    /// allow-listed `Host` here, else the address the client connected to.
    pub host: Option<String>,
    pub tls: bool,
    /// v1's acting user of a write.
    pub on_behalf_of: Option<String>,
    /// A client's key that makes a repeated write answer what the first got.
    pub idempotency_key: Option<String>,
    /// The request body (writes).
    pub body: Bytes,
    /// The request id (as in `X-Request-Id`).
    pub request_id: String,
    /// The client's address (the peer, or what a trusted proxy says); None: unknown.
    pub client: Option<IpAddr>,
    /// `Cache-Control: no-cache` (or `Pragma: no-cache`): serve nothing cached of v3's data.
    pub fresh: bool,
}

/// A finished answer.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Answer {
    pub fn json(status: u16, v: &Value, mut headers: Vec<(String, String)>) -> Answer {
        headers.push((
            "Content-Type".into(),
            "application/json; charset=utf-8".into(),
        ));
        Answer {
            status,
            headers,
            body: Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
        }
    }

    pub fn json_bytes(status: u16, body: Bytes, mut headers: Vec<(String, String)>) -> Answer {
        headers.push((
            "Content-Type".into(),
            "application/json; charset=utf-8".into(),
        ));
        Answer {
            status,
            headers,
            body,
        }
    }

    pub fn error(e: V1Error) -> Answer {
        Answer::json(e.status, &e.body, e.headers)
    }

    pub fn text(status: u16, content_type: &str, body: impl Into<Bytes>) -> Answer {
        Answer {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }
}

/// Answers one legacy (v1/v2) request; counts it and writes its audit line.
pub async fn legacy(state: Arc<State>, req: LegacyRequest) -> Answer {
    let started = Instant::now();
    let served = serve(&state, &req).await;
    record(&state, &req, served, started)
}

/// Counts a served (or refused) request and writes its audit line.
pub fn record(state: &State, req: &LegacyRequest, served: Served, started: Instant) -> Answer {
    let status = served.answer.status;
    let key = served.key.clone().unwrap_or_else(|| UNKNOWN_KEY.clone());
    state
        .metrics
        .requests
        .get_or_create(&RouteLabels {
            route: served.route,
            status,
            key: crate::metrics::KeyLabel(key),
        })
        .inc();
    state
        .metrics
        .latency
        .get_or_create(&RouteOnly {
            route: served.route,
        })
        .observe(started.elapsed().as_secs_f64());
    Audit::of(req, &served, started.elapsed()).emit();
    state.usage.record(&crate::usage::Event::of(req, &served));
    served.answer
}

/// The key label of requests not authenticated.
static UNKNOWN_KEY: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from("-"));

/// What [`serve`] found out about a request, for its metrics and audit line.
pub struct Served {
    /// `METHOD /vN/path` as the catalogue declares it; `-` before authentication,
    /// `unmatched` for no route.
    pub route: &'static str,
    pub answer: Answer,
    /// The key's label, once authenticated.
    pub key: Option<Arc<str>>,
    /// v3 calls made.
    pub v3_calls: u64,
}

/// The audit line of one request (target `audit`): who called what from where, and how it
/// ended. Never a secret: the key appears by its label only, no header or body is copied.
#[derive(Debug, PartialEq, Eq)]
pub struct Audit<'a> {
    pub request_id: &'a str,
    pub key: &'a str,
    pub client: ClientAddr,
    pub method: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub v3_calls: u64,
    /// On-Behalf-Of of a write (`-` for reads and writes without one).
    pub acting_user: &'a str,
    pub ms: u64,
}

/// The client's address in the audit line (`unknown` when not known), formatted only when
/// the line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => f.write_str("unknown"),
        }
    }
}

impl<'a> Audit<'a> {
    pub fn of(req: &'a LegacyRequest, s: &'a Served, took: std::time::Duration) -> Audit<'a> {
        let write = req.method != "GET" && req.method != "HEAD";
        Audit {
            request_id: &req.request_id,
            key: s.key.as_deref().unwrap_or("-"),
            client: ClientAddr(req.client),
            method: &req.method,
            route: s.route,
            status: s.answer.status,
            v3_calls: s.v3_calls,
            acting_user: req.on_behalf_of.as_deref().filter(|_| write).unwrap_or("-"),
            ms: took.as_millis() as u64,
        }
    }

    pub fn emit(&self) {
        tracing::info!(
            target: "audit",
            request_id = self.request_id,
            key = self.key,
            client = %self.client,
            method = self.method,
            route = self.route,
            status = self.status,
            v3_calls = self.v3_calls,
            acting_user = self.acting_user,
            ms = self.ms,
            "legacy request"
        );
    }
}

async fn serve(state: &Arc<State>, req: &LegacyRequest) -> Served {
    let done = |route: &'static str, answer: Answer, key: Option<Arc<str>>, v3_calls: u64| Served {
        route,
        answer,
        key,
        v3_calls,
    };
    // Authenticate first, as v1 did (401 before 404); then the key's address rules.
    let entry = match authenticate(state, req) {
        Ok(e) => e,
        Err((a, key)) => return done("-", a, key, 0),
    };
    let label = Some(entry.label.clone());
    let m = match serve::route(state.catalog, &req.method, &req.path) {
        Ok(m) => m,
        Err(e) => return done("unmatched", failure(&e, None), label, 0),
    };
    let route = m.endpoint.route();
    tracing::Span::current().record("route", route);
    if let Err(a) = authorise(state, &entry, &m) {
        return done(route, a, label, 0);
    }
    let Some(tenant) = state.tenant(entry.tenant) else {
        let a = Answer::error(V1Error::new(500, "tenant configuration missing"));
        return done(route, a, label, 0);
    };
    // A slot among the requests in flight (global and the tenant's), or an answer at once.
    let weight = if m.endpoint.write.is_none() && state.catalog.is_memoisable(m.endpoint) {
        crate::admission::Weight::Light
    } else {
        crate::admission::Weight::Whole
    };
    let pairs: Vec<(String, String)> = req
        .query
        .as_deref()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let mut reader = Reader::new(state.clone(), entry.tenant, tenant.read_as);
    reader.fresh = req.fresh;
    let answer = if m.endpoint.write.is_some() {
        let _admitted = match state.admission.admit(entry.tenant, weight).await {
            Ok(a) => a,
            Err(refused) => return done(route, overloaded(state, refused), label, 0),
        };
        match &req.idempotency_key {
            Some(key) => idempotent(state, &tenant.name, key, req, &pairs, &reader).await,
            None => write(state, req, &pairs, &reader).await,
        }
    } else {
        match read(state, req, &m, weight, &pairs, &reader).await {
            Read::Refused(refused) => return done(route, overloaded(state, refused), label, 0),
            Read::Done(Ok(a)) => success(state, req, &pairs, &reader, a),
            Read::Done(Err(e)) => failure(&e, Some(&reader)),
        }
    };
    let calls = reader.calls.load(Ordering::Relaxed) as u64;
    let mut answer = answer;
    if !answer.headers.iter().any(|(k, _)| k == "X-RateLimit-Limit") {
        // No v3 call this time: the tenant's window as last seen.
        let (limit, remaining) = state.pacer.rate(entry.tenant);
        let rate = RateInfo {
            limit,
            remaining,
            reset: None,
        };
        rate_headers(rate, &mut answer.headers);
    }
    done(route, answer, label, calls)
}

/// What a read came to: its answer, or admission control's refusal.
#[derive(Clone)]
pub enum Read {
    Refused(crate::admission::Refusal),
    Done(Result<LegacyAnswer, ReadError>),
}

/// A read: admitted, then served through the legacy pipeline. Identical joined reads in
/// flight at the same time (same tenant, acting user, data generation, method, path and
/// query: everything the answer is made of) share one: the first takes the admission slot and
/// does the work, the others wait for its answer without a slot of their own (they hold no
/// data until it is ready, then a shared copy of its bytes), as many as the sharing bounds
/// allow. If the first gives up (its client went away), the next waiter takes over. A read
/// asked fresh (`Cache-Control: no-cache`) is never shared; a write through the proxy starts
/// a new generation, so no read begun before it answers one asked after it.
async fn read(
    state: &State,
    req: &LegacyRequest,
    m: &harvest_mappings::RouteMatch<'_>,
    weight: crate::admission::Weight,
    pairs: &[(String, String)],
    reader: &Reader,
) -> Read {
    let run = || async {
        let _admitted = match state.admission.admit(reader.tenant, weight).await {
            Ok(a) => a,
            Err(refused) => return Read::Refused(refused),
        };
        let out = serve::read_matched(state.catalog, m, pairs, reader).await;
        if let Err(
            e @ ReadError::Untranslatable {
                route, view, id, ..
            },
        ) = &out
        {
            tracing::warn!(route = %route, record = %id, view = %view, "untranslatable record: {e}");
        }
        Read::Done(out)
    };
    // A light read is not shared: its v3 page is already coalesced and its translation
    // memoised, so sharing it saves nothing, and would only let more clients in at once (on
    // the users soak page at 1,000 clients: 0.024–0.025 ms of proxy CPU per page shared,
    // against 0.021–0.023 at 64 clients).
    let light = weight == crate::admission::Weight::Light;
    if light || reader.fresh || !state.config.cache.share_reads {
        return run().await;
    }
    let what = format!(
        "{}|{} {}?{}",
        reader.sub,
        req.method,
        req.path,
        req.query.as_deref().unwrap_or("")
    );
    // A waiter holds no slot, but it is a client let in: bounded like the queue.
    let wait = || state.admission.share(reader.tenant);
    let (out, led) = match state
        .reads
        .run_or_wait(&reader.data_key(&what), wait, run)
        .await
    {
        Ok(shared) => shared,
        Err(refused) => return Read::Refused(refused),
    };
    state.metrics.cache_hit("shared_read", !led);
    out
}

/// The answer to a request admission control did not let in: 503 when the proxy is full,
/// 429 when the tenant holds its whole share (of slots, or of waiters on shared reads); both
/// with `Retry-After` (the return time its scope's calendar gave it), in v1's shape.
fn overloaded(state: &State, refusal: crate::admission::Refusal) -> Answer {
    use crate::admission::Refused;
    let l = state.admission.limits();
    let (status, what, bound) = match refusal.why {
        Refused::Full => (
            503,
            "harvest-proxy is serving as many requests as it may",
            l.in_flight,
        ),
        Refused::TenantFull => (
            429,
            "Too many requests in flight for this account",
            l.in_flight_per_tenant,
        ),
        Refused::Sharing => (
            503,
            "harvest-proxy has as many requests waiting for an identical read as it may",
            l.sharing,
        ),
        Refused::TenantSharing => (
            429,
            "Too many requests waiting for an identical read for this account",
            l.sharing_per_tenant,
        ),
    };
    // The calendar's return time is 1 s at least.
    let e = V1Error::new(
        status,
        format!("{what} ({bound}); retry after the number of seconds in Retry-After"),
    )
    .retry_after(refusal.retry_after);
    tracing::debug!(
        ?refusal,
        in_flight = state.admission.in_flight(),
        "request refused by admission control"
    );
    Answer::error(e)
}

/// The key's endpoint permissions: a route outside them is refused (403, v1's shape) before
/// any v3 call.
fn authorise(
    state: &State,
    entry: &KeyEntry,
    m: &harvest_mappings::RouteMatch<'_>,
) -> Result<(), Answer> {
    let index = state
        .catalog
        .endpoints()
        .iter()
        .position(|e| std::ptr::eq(e, m.endpoint));
    if index.is_some_and(|i| entry.endpoints.allows(i)) {
        return Ok(());
    }
    tracing::warn!(key = %entry.label, route = %m.endpoint.route(), "endpoint not permitted for this key");
    Err(Answer::error(V1Error::new(
        403,
        format!(
            "This API key does not have permission to call {} {}",
            m.endpoint.method, m.endpoint.path
        ),
    )))
}

/// A legacy write through the write pipeline; the answer says whether it was applied.
async fn write(
    state: &State,
    req: &LegacyRequest,
    pairs: &[(String, String)],
    reader: &Reader,
) -> Answer {
    let w = LegacyWrite {
        method: &req.method,
        path: &req.path,
        query: pairs,
        body: &req.body,
        on_behalf_of: req.on_behalf_of.as_deref(),
    };
    let (status, body, outcome) = match harvest_mappings::write::write(state.catalog, &w, reader)
        .await
    {
        Ok(done) => (done.status, done.body, "applied"),
        Err(e) => {
            let (err, outcome) = V1Error::from_write(&e);
            if let WriteError::Failed { calls, message, .. } = &e {
                tracing::warn!(route = %req.path, outcome, calls = calls.len(), "legacy write failed: {message}");
            }
            (err.status, err.body, outcome)
        }
    };
    let mut headers = vec![(WRITE_OUTCOME.into(), outcome.to_string())];
    rate_headers(reader.rate(), &mut headers);
    headers.push((
        "X-Harvest-Proxy-V3-Calls".into(),
        reader.calls.load(Ordering::Relaxed).to_string(),
    ));
    Answer::json(status, &body, headers)
}

/// A write with an `Idempotency-Key`: the same key and body within 24 h get the stored answer
/// without calling v3; the same key with another body gets 422; a key in use gets 409. A write
/// that was not applied gives its key back (a retry may make it).
async fn idempotent(
    state: &State,
    tenant: &str,
    key: &str,
    req: &LegacyRequest,
    pairs: &[(String, String)],
    reader: &Reader,
) -> Answer {
    use crate::store::{Claim, Stored};
    if key.is_empty() || key.len() > 255 {
        let e = V1Error::validation(
            "Idempotency-Key",
            "Idempotency-Key must be 1 to 255 characters",
        );
        return Answer::error(e);
    }
    let scope = format!("{tenant}|{} {}", req.method, req.path);
    let claim = match state.store.claim(&scope, key, &req.body) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("idempotency store: {e}");
            return Answer::error(V1Error::new(
                503,
                "The proxy's store is unavailable; retry later",
            ));
        }
    };
    match claim {
        Claim::Replay(s) => {
            let headers = vec![
                (WRITE_OUTCOME.to_string(), s.outcome),
                ("Idempotent-Replayed".to_string(), "true".to_string()),
            ];
            Answer::json_bytes(s.status, Bytes::from(s.body), headers)
        }
        Claim::Mismatch => Answer::error(V1Error::validation(
            "Idempotency-Key",
            "Idempotency-Key was already used with another request body",
        )),
        Claim::InFlight => Answer::error(V1Error::new(
            409,
            "A request with this Idempotency-Key is being served; retry after it is answered",
        )),
        Claim::New => {
            let answer = write(state, req, pairs, reader).await;
            let outcome = answer
                .headers
                .iter()
                .find(|(k, _)| k == WRITE_OUTCOME)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let kept = if outcome == "not_applied" {
                state.store.release(&scope, key)
            } else {
                let stored = Stored {
                    status: answer.status,
                    body: answer.body.to_vec(),
                    outcome,
                };
                state.store.finish(&scope, key, &stored)
            };
            if let Err(e) = kept {
                tracing::error!("idempotency store: {e}");
            }
            answer
        }
    }
}

/// Header on every write answer: `applied`, `not_applied`, `partial` or `unknown`.
pub const WRITE_OUTCOME: &str = "X-Harvest-Proxy-Write-Outcome";

/// An authenticated key: its entry in the key table it was found in (not a copy).
pub struct Authenticated {
    tenancy: Arc<crate::state::Tenancy>,
    index: usize,
}

impl std::ops::Deref for Authenticated {
    type Target = KeyEntry;

    fn deref(&self) -> &KeyEntry {
        &self.tenancy.keys()[self.index]
    }
}

/// The key entry of the request's legacy API key, if the client's address is one the key may
/// call from (the server also asks before it reads a body). A refusal carries the key's label
/// once the key is known.
pub fn authenticate(
    state: &State,
    req: &LegacyRequest,
) -> Result<Authenticated, (Answer, Option<Arc<str>>)> {
    let key = auth::parse_basic(req.authorization.as_deref()).map_err(|e| {
        let a = Answer::error(V1Error::unauthorized(match e {
            AuthError::Missing => {
                "Must provide a Harvest API key (HTTP Basic, the key as username)"
            }
            _ => "Invalid Basic Auth credentials",
        }));
        (a, None)
    })?;
    let tenancy = state.tenancy();
    let index = auth::lookup(tenancy.keys(), &key).map_err(|_| {
        let a = Answer::error(V1Error::unauthorized("Invalid Basic Auth credentials"));
        (a, None)
    })?;
    let entry = Authenticated { tenancy, index };
    if let Some(nets) = &entry.allowed_ips {
        let allowed = req.client.is_some_and(|ip| access::contains(nets, ip));
        if !allowed {
            let client = req.client.map_or("unknown".to_string(), |a| a.to_string());
            tracing::warn!(key = %entry.label, %client, "client address not allowed for this key");
            let a = Answer::error(V1Error::new(
                403,
                format!("This API key may not be used from {client}"),
            ));
            return Err((a, Some(entry.label.clone())));
        }
    }
    Ok(entry)
}

/// A served read: v1's `Link` for a paged list, rate-limit headers, the v3 call count.
fn success(
    state: &State,
    req: &LegacyRequest,
    pairs: &[(String, String)],
    reader: &Reader,
    a: LegacyAnswer,
) -> Answer {
    let mut headers = Vec::new();
    if let Some(p) = a.paging
        && let Some(link) = link_header(state, req, pairs, &p)
    {
        headers.push(("Link".into(), link));
    }
    rate_headers(reader.rate(), &mut headers);
    headers.push((
        "X-Harvest-Proxy-V3-Calls".into(),
        reader.calls.load(Ordering::Relaxed).to_string(),
    ));
    Answer::json_bytes(200, a.body, headers)
}

/// A failed read in v1's error shape (with v3's rate-limit headers once v3 was asked).
fn failure(e: &ReadError, reader: Option<&Reader>) -> Answer {
    let mut err = V1Error::from_read(e);
    if let Some(r) = reader {
        rate_headers(r.rate(), &mut err.headers);
    }
    Answer::error(err)
}

/// `Link` with rel="next", rel="prev" and, when the last page is known, rel="last", as
/// absolute proxy URLs that each carry `page` and `per_page` (as v1's did).
fn link_header(
    state: &State,
    req: &LegacyRequest,
    pairs: &[(String, String)],
    p: &harvest_mappings::Paging,
) -> Option<String> {
    let (page, more) = (p.page, p.more);
    let base = match &state.config.public_url {
        Some(u) => u.clone(),
        None => {
            let host = req.host.as_deref()?;
            format!("{}://{host}", if req.tls { "https" } else { "http" })
        }
    };
    let url = |n: u64| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.iter().filter(|(k, _)| k != "page" && k != "per_page") {
            s.append_pair(k, v);
        }
        s.append_pair("page", &n.to_string());
        s.append_pair("per_page", &p.per_page.to_string());
        format!("{base}{}?{}", link_path(&req.path), s.finish())
    };
    let mut parts = Vec::new();
    if more {
        parts.push(format!("<{}>; rel=\"next\"", url(page + 1)));
    }
    if page > 1 {
        parts.push(format!("<{}>; rel=\"prev\"", url(page - 1)));
    }
    if let Some(last) = p.last {
        parts.push(format!("<{}>; rel=\"last\"", url(last)));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The path as it may stand inside `<…>` of a `Link`: what could end the target or split the
/// header (`<`, `>`, `"`, `,`, `;`, spaces, controls, non-ASCII) is percent-encoded.
fn link_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+=:@%".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// v1's documented default: 50 requests per 10 seconds. Answers that have seen nothing of the
/// tenant's v3 window (before authentication, the HTTP layer's errors) say this.
pub const V1_DEFAULT_LIMIT: u64 = 50;

/// v1's `X-RateLimit-Limit/Remaining`, rescaled from v3's 30-second window to v1's 10 seconds.
fn rate_headers(rate: RateInfo, headers: &mut Vec<(String, String)>) {
    if let Some(limit) = rate.limit {
        let v1_limit = limit.div_ceil(3).max(1);
        headers.push(("X-RateLimit-Limit".into(), v1_limit.to_string()));
        let remaining = rate
            .remaining
            .map(|r| (r / 3).min(v1_limit))
            .unwrap_or(v1_limit);
        headers.push(("X-RateLimit-Remaining".into(), remaining.to_string()));
    }
}

/// `/healthz`, `/readyz`, `/metrics`.
pub fn ops(state: &State, path: &str) -> Option<Answer> {
    match path {
        "/healthz" => Some(Answer::json(
            200,
            &serde_json::json!({"status": "ok"}),
            vec![],
        )),
        "/readyz" => Some(if state.ready.load(Ordering::Relaxed) {
            Answer::json(
                200,
                &serde_json::json!({"status": "ready", "endpoints": state.catalog.endpoints().len()}),
                vec![],
            )
        } else {
            Answer::json(503, &serde_json::json!({"status": "starting"}), vec![])
        }),
        "/metrics" => Some(Answer::text(
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            state.metrics.render(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str) -> LegacyRequest {
        LegacyRequest {
            method: method.into(),
            path: "/v1/candidates/1/activity_feed/notes".into(),
            query: None,
            authorization: Some(b"Basic c2VjcmV0LWtleTo=".to_vec()),
            host: None,
            tls: false,
            on_behalf_of: Some("42".into()),
            idempotency_key: Some("idem".into()),
            body: Bytes::from_static(b"{\"body\":\"private note\"}"),
            request_id: "r1".into(),
            client: Some("2001:db8::1".parse().unwrap()),
            fresh: false,
        }
    }

    #[test]
    fn the_audit_line_has_who_what_where_and_no_secret() {
        let served = Served {
            route: "POST /v1/candidates/{id}/activity_feed/notes",
            answer: Answer::text(201, "application/json", "{}"),
            key: Some("crm".into()),
            v3_calls: 2,
        };
        let w = req("POST");
        let a = Audit::of(&w, &served, std::time::Duration::from_millis(12));
        assert_eq!(
            a,
            Audit {
                request_id: "r1",
                key: "crm",
                client: ClientAddr(Some("2001:db8::1".parse().unwrap())),
                method: "POST",
                route: "POST /v1/candidates/{id}/activity_feed/notes",
                status: 201,
                v3_calls: 2,
                acting_user: "42",
                ms: 12,
            }
        );
        assert_eq!(a.client.to_string(), "2001:db8::1");
        let text = format!("{a:?}");
        assert!(!text.contains("c2VjcmV0") && !text.contains("private") && !text.contains("idem"));
        let r = req("GET");
        let read = Audit::of(&r, &served, std::time::Duration::ZERO);
        assert_eq!(read.acting_user, "-", "On-Behalf-Of is a write's");
        let mut anon = req("GET");
        anon.client = None;
        let unauth = Served {
            key: None,
            ..served
        };
        let a = Audit::of(&anon, &unauth, std::time::Duration::ZERO);
        assert_eq!((a.key, a.client.to_string().as_str()), ("-", "unknown"));
    }
}
