//! One legacy request, in one direction:
//! authenticate → route → translate the query → call v3 → translate back → respond.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use serde_json::Value;
use tokio::time::Instant;

use harvest_mappings::catalog::{Endpoint, ParamRule, Shape};
use harvest_mappings::engine::{FetchError, TranslateError};
use harvest_mappings::query::{self, QueryError, V3Query};
use harvest_mappings::{RouteMatch, Status, Translator};

use crate::auth::{self, AuthError};
use crate::errors::V1Error;
use crate::metrics::{RouteLabels, RouteOnly};
use crate::reader::{Page, RateInfo, Reader, target};
use crate::state::State;

/// What the server needs from a request (the body is checked for size by the server).
pub struct LegacyRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub authorization: Option<Vec<u8>>,
    pub host: Option<String>,
    pub tls: bool,
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

/// Answers one legacy (v1/v2) request.
pub async fn legacy(state: Arc<State>, req: LegacyRequest) -> Answer {
    let started = Instant::now();
    let (route, answer, tenant) = serve(&state, &req).await;
    let status = answer.status;
    state
        .metrics
        .requests
        .get_or_create(&RouteLabels {
            route: route.clone(),
            status,
        })
        .inc();
    state
        .metrics
        .latency
        .get_or_create(&RouteOnly {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    tracing::info!(
        method = %req.method,
        route = %route,
        status,
        tenant = tenant.as_deref().unwrap_or("-"),
        ms = started.elapsed().as_millis() as u64,
        "legacy request"
    );
    answer
}

async fn serve(state: &Arc<State>, req: &LegacyRequest) -> (String, Answer, Option<String>) {
    // Authenticate first, as v1 did (401 before 404).
    let entry = match authenticate(state, req) {
        Ok(e) => e,
        Err(a) => return ("-".into(), a, None),
    };
    let label = Some(entry.label.clone());
    let m = match route(state, req) {
        Ok(m) => m,
        Err(a) => return ("unmatched".into(), a, label),
    };
    let route = m.endpoint.route();
    match read(state, req, &m, entry.tenant).await {
        Ok(a) | Err(a) => (route, a, label),
    }
}

/// The key entry of the request's legacy API key.
fn authenticate<'s>(
    state: &'s State,
    req: &LegacyRequest,
) -> Result<&'s crate::config::KeyEntry, Answer> {
    let key = auth::parse_basic(req.authorization.as_deref()).map_err(|e| {
        Answer::error(V1Error::unauthorized(match e {
            AuthError::Missing => {
                "Must provide a Harvest API key (HTTP Basic, the key as username)"
            }
            _ => "Invalid Basic Auth credentials",
        }))
    })?;
    auth::lookup(&state.config.keys, &key)
        .map_err(|_| Answer::error(V1Error::unauthorized("Invalid Basic Auth credentials")))
}

/// The legacy endpoint of the request: 404 for an unknown path, 405 for a known path with
/// another method.
fn route<'s>(state: &'s State, req: &LegacyRequest) -> Result<RouteMatch<'s>, Answer> {
    state
        .catalog
        .match_route(&req.method, &req.path)
        .ok_or_else(|| {
            let known = state.catalog.endpoints_at(&req.path);
            if known.is_empty() {
                return Answer::error(V1Error::not_found());
            }
            let methods: Vec<&str> = known.iter().map(|e| e.method.as_str()).collect();
            Answer::error(V1Error::new(
                405,
                format!(
                    "{} is not allowed on {}; allowed: {}",
                    req.method,
                    req.path,
                    methods.join(", ")
                ),
            ))
        })
}

/// An endpoint the proxy does not serve answers 501 naming the v3 route to use instead.
fn refuse_unsupported(ep: &Endpoint) -> Result<(), Answer> {
    if ep.status != Status::Unsupported && ep.is_read() {
        return Ok(());
    }
    let why = ep
        .reason
        .clone()
        .unwrap_or_else(|| "this endpoint is not served by harvest-proxy".into());
    let instead = ep.instead.clone().unwrap_or_else(|| {
        ep.v3
            .iter()
            .map(|c| format!("{} {}", c.method, c.path))
            .collect::<Vec<_>>()
            .join(", ")
    });
    Err(Answer::error(V1Error::new(
        501,
        format!(
            "{} cannot be served from Harvest v3: {why}. Instead: {instead}",
            ep.route()
        ),
    )))
}

/// The legacy query parameters, and their v3 translation (bad values → v1's 422).
fn legacy_query(
    ep: &Endpoint,
    m: &RouteMatch<'_>,
    req: &LegacyRequest,
) -> Result<(Vec<(String, String)>, V3Query), Answer> {
    let pairs: Vec<(String, String)> = req
        .query
        .as_deref()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let mut q = query::translate(ep, &m.params, &pairs).map_err(|e| {
        Answer::error(match e {
            QueryError::BadPathParam { .. } => V1Error::not_found(),
            QueryError::Invalid { param, message } => {
                V1Error::validation(&param, format!("{param}: {message}"))
            }
            QueryError::Unsupported { param, reason } => V1Error::validation(
                &param,
                format!("{param} is not supported by harvest-proxy: {reason}"),
            ),
        })
    })?;
    if is_paginated(ep) && !ep.params.iter().any(|p| matches!(p.rule, ParamRule::Page)) {
        // Endpoints that only documented per_page still follow our page links.
        if let Some((_, v)) = pairs.iter().find(|(k, _)| k == "page") {
            q.page = match v.trim().parse::<u64>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(Answer::error(V1Error::validation(
                        "page",
                        "page: must be a positive integer",
                    )));
                }
            };
        }
    }
    Ok((pairs, q))
}

fn is_paginated(ep: &Endpoint) -> bool {
    ep.params
        .iter()
        .any(|p| matches!(p.rule, ParamRule::Page | ParamRule::PerPage { .. }))
}

fn primary(ep: &Endpoint) -> Result<&harvest_mappings::V3Call, Answer> {
    ep.v3
        .first()
        .ok_or_else(|| Answer::error(V1Error::new(500, "mapping has no v3 call")))
}

fn upstream(e: FetchError) -> Answer {
    Answer::error(V1Error::from_upstream(&e))
}

/// The parent of a nested route must exist (v3 answers an empty list where v1 said 404).
async fn check_parent(reader: &Reader, ep: &Endpoint, m: &RouteMatch<'_>) -> Result<(), Answer> {
    let Some(ex) = &ep.exists else { return Ok(()) };
    let mut eq: Vec<(String, String)> = ex
        .query
        .iter()
        .map(|(k, v)| (k.clone(), query::fill(v, &m.params)))
        .collect();
    eq.push(("fields".into(), "id".into()));
    let page = reader
        .page(&target(&ex.path, &eq))
        .await
        .map_err(upstream)?;
    if page.rows.is_empty() {
        Err(Answer::error(V1Error::not_found()))
    } else {
        Ok(())
    }
}

/// A translation error as v1 would see it: 404, the upstream error, or 502 naming the record.
fn untranslatable(route: &str, e: TranslateError) -> Answer {
    match e {
        TranslateError::NotFound => Answer::error(V1Error::not_found()),
        TranslateError::Upstream(e) => upstream(e),
        TranslateError::Record { view, id, message } => {
            tracing::warn!(route = %route, record = %id, view = %view, "untranslatable record: {message}");
            Answer::error(V1Error::new(
                502,
                format!(
                    "{route}: record {id} could not be translated to v1 (view {view}): {message}"
                ),
            ))
        }
        e => Answer::error(V1Error::new(502, format!("{route}: {e}"))),
    }
}

/// A legacy read: refuse what is not served, translate the query, check the parent, fetch the
/// v3 rows (a page, every row, or the ids of a related collection), translate, answer.
async fn read(
    state: &Arc<State>,
    req: &LegacyRequest,
    m: &RouteMatch<'_>,
    tenant_idx: usize,
) -> Result<Answer, Answer> {
    let ep = m.endpoint;
    let route = ep.route();
    refuse_unsupported(ep)?;
    let (pairs, q) = legacy_query(ep, m, req)?;
    let tenant = state
        .config
        .tenants
        .get(tenant_idx)
        .ok_or_else(|| Answer::error(V1Error::new(500, "tenant configuration missing")))?;
    let reader = Reader::new(state.clone(), tenant_idx, tenant.read_as);
    check_parent(&reader, ep, m).await?;
    let translator = Translator::new(state.catalog);
    if let Some(view) = &q.view {
        // Another rendering of the whole collection (e.g. render_as=tree): every record at once.
        let rows = reader
            .all(&primary(ep)?.path, &q.params)
            .await
            .map_err(upstream)?;
        let rows: Vec<Value> = rows
            .into_iter()
            .filter(|r| q.local.iter().all(|f| f.keeps(r)))
            .collect();
        let v = translator
            .respond_as(view, rows, &reader)
            .await
            .map_err(|e| untranslatable(&route, e))?;
        let mut headers = Vec::new();
        rate_headers(reader.rate(), &mut headers);
        return Ok(Answer::json(200, &v, headers));
    }
    let shape = ep.response.as_ref().map(|r| r.shape).unwrap_or(Shape::List);
    let paginated = is_paginated(ep);
    let finish = |body: Bytes, more: bool| {
        let mut headers = Vec::new();
        if paginated
            && shape == Shape::List
            && let Some(link) = link_header(state, req, &pairs, q.page, more)
        {
            headers.push(("Link".into(), link));
        }
        rate_headers(reader.rate(), &mut headers);
        headers.push((
            "X-Harvest-Proxy-V3-Calls".into(),
            reader.calls.load(Ordering::Relaxed).to_string(),
        ));
        Answer::json_bytes(200, body, headers)
    };
    // A page whose view joins only cached reference data is a pure function of the v3 bytes
    // (and of reference data cached for the same TTL): its translation is memoised by content.
    let memoisable = shape == Shape::List
        && paginated
        && q.via.is_none()
        && q.local.is_empty()
        && state.config.cache.translated_entries > 0
        && state.memoisable.contains(&route);
    let mut memo_key = None;
    let (rows, more) = if let Some(via) = &q.via {
        // A filter v3 has only on a related collection: page over the ids it yields.
        via.rows(&q, &primary(ep)?.path, &reader)
            .await
            .map_err(upstream)?
    } else if shape == Shape::List && paginated {
        let (page, more) = serve_page(state, &reader, ep, &q, !memoisable)
            .await
            .map_err(upstream)?;
        match page {
            None => (Vec::new(), more),
            Some(page) if memoisable => {
                let key = format!(
                    "{tenant_idx}|{route}|{:016x}|{}",
                    content_hash(&page.body),
                    page.body.len()
                );
                if let Some(body) = state.translated.get(&key) {
                    state.metrics.cache_hit("translation", true);
                    return Ok(finish(body, more));
                }
                state.metrics.cache_hit("translation", false);
                match serde_json::from_slice::<Value>(&page.body) {
                    Ok(Value::Array(rows)) => {
                        // Only a body that parsed is a key for what is translated from it.
                        memo_key = Some(key);
                        (rows, more)
                    }
                    // Not a list after all: fetch it again the careful way (with retries).
                    _ => {
                        let (p, more) = serve_page(state, &reader, ep, &q, true)
                            .await
                            .map_err(upstream)?;
                        (p.map(|p| p.rows).unwrap_or_default(), more)
                    }
                }
            }
            Some(page) => (page.rows, more),
        }
    } else {
        (
            reader
                .all(&primary(ep)?.path, &q.params)
                .await
                .map_err(upstream)?,
            false,
        )
    };
    let rows: Vec<Value> = rows
        .into_iter()
        .filter(|r| q.local.iter().all(|f| f.keeps(r)))
        .collect();
    let body = translator
        .respond(ep, rows, &reader)
        .await
        .map_err(|e| untranslatable(&route, e))?;
    let body = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
    if let Some(key) = memo_key {
        state.translated.put(key, body.clone());
    }
    Ok(finish(body, more))
}

/// A 64-bit content hash of a v3 body (the memo key; the length is part of the key too).
fn content_hash(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// Page N of a legacy list: from a cached cursor when there is one, else by walking forward.
/// Returns the rows and whether a next page exists.
async fn serve_page(
    state: &Arc<State>,
    reader: &Reader,
    ep: &Endpoint,
    q: &V3Query,
    parse: bool,
) -> Result<(Option<Page>, bool), FetchError> {
    let Some(primary) = ep.v3.first() else {
        return Ok((None, false));
    };
    let mut params = q.params.clone();
    params.push(("per_page".into(), q.per_page.to_string()));
    let first = target(&primary.path, &params);
    let base = format!("{}|{}|{}", reader.tenant, ep.route(), first);
    let key = |n: u64| format!("{base}#{n}");
    let mut retried = false;
    'walk: loop {
        let (mut cur, mut t) = (1u64, first.clone());
        if !retried {
            for k in (2..=q.page).rev() {
                if let Some(c) = state.cursors.get(&key(k)) {
                    state.metrics.cache_hit("cursor", true);
                    cur = k;
                    t = c;
                    break;
                }
            }
            if cur == 1 && q.page > 1 {
                state.metrics.cache_hit("cursor", false);
            }
        }
        loop {
            // Pages before the requested one are only walked through: their Link is enough.
            let page = match reader.page_with(&t, parse && cur == q.page).await {
                Ok(p) => p,
                // An expired or refused cursor: forget it and walk from the start once.
                Err(e) if e.status == 422 && cur > 1 && !retried => {
                    state.cursors.remove(&key(cur));
                    retried = true;
                    continue 'walk;
                }
                Err(e) => return Err(e),
            };
            if cur == q.page {
                if let Some(n) = &page.next {
                    state.cursors.put(key(cur + 1), n.clone());
                }
                let more = page.next.is_some();
                return Ok((Some(page), more));
            }
            match page.next {
                Some(n) => {
                    state.cursors.put(key(cur + 1), n.clone());
                    t = n;
                    cur += 1;
                }
                None => return Ok((None, false)),
            }
        }
    }
}

/// `Link` with rel="next" and rel="prev" as absolute proxy URLs (no rel="last", as v1 with
/// skip_count=true).
fn link_header(
    state: &State,
    req: &LegacyRequest,
    pairs: &[(String, String)],
    page: u64,
    more: bool,
) -> Option<String> {
    let base = match &state.config.public_url {
        Some(u) => u.clone(),
        None => {
            let host = req.host.as_deref()?;
            format!("{}://{host}", if req.tls { "https" } else { "http" })
        }
    };
    let url = |n: u64| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.iter().filter(|(k, _)| k != "page") {
            s.append_pair(k, v);
        }
        s.append_pair("page", &n.to_string());
        format!("{base}{}?{}", req.path, s.finish())
    };
    let mut parts = Vec::new();
    if more {
        parts.push(format!("<{}>; rel=\"next\"", url(page + 1)));
    }
    if page > 1 {
        parts.push(format!("<{}>; rel=\"prev\"", url(page - 1)));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

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
