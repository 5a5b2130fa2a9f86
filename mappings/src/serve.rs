//! The legacy read pipeline — one implementation, run by the proxy over HTTP and by the
//! golden tests over fixtures:
//!
//! route → refuse what v3 cannot serve → translate the query → check the parent → paging plan
//! (whole collection, page N by cursor, or a `via` page) → translate → answer.
//!
//! Everything HTTP (authentication, headers, `Link`, v1's error bodies) stays with the caller;
//! [`ReadError`] says what went wrong in terms the caller maps to v1 answers in one place.

use bytes::Bytes;
use serde_json::Value;

use crate::catalog::{Catalog, Endpoint, RouteMatch, Shape, Status};
use crate::engine::{Fetch, FetchError, TranslateError, Translator};
use crate::paging::{self, PagingError};
use crate::query::{self, QueryError, V3Query};
use crate::v3::V3;

/// The HTTP methods a legacy route can have.
pub const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// A legacy request, as far as the pipeline cares.
#[derive(Debug, Clone, Copy)]
pub struct LegacyRequest<'a> {
    pub method: &'a str,
    /// The path alone (`/v1/candidates/12`), no query.
    pub path: &'a str,
    /// The decoded query parameters, in order.
    pub query: &'a [(String, String)],
}

/// A legacy answer: v1 JSON, and where it sits in a paged list.
#[derive(Debug, Clone)]
pub struct LegacyAnswer {
    pub body: Bytes,
    /// For a paged list: the page served and whether another follows (for `Link`).
    pub paging: Option<Paging>,
}

impl LegacyAnswer {
    /// The body as JSON (tests; the proxy sends the bytes).
    pub fn json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// Position of a page in a legacy paged list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u64,
    pub per_page: u64,
    pub more: bool,
    /// The last page, when it is known (v1 sent `rel="last"`).
    pub last: Option<u64>,
}

/// Why a legacy read has no answer. The proxy maps each to a v1 answer in one place.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    /// No such route, or no such record (also: the parent of a nested route).
    #[error("not found")]
    NotFound,
    /// A path parameter that must be an id is not one (v1 answered 404).
    #[error("path parameter `{param}` must be an integer id, not `{value}`")]
    BadId { param: String, value: String },
    /// The path exists with other methods.
    #[error("{method} is not allowed on {path}; allowed: {}", allowed.join(", "))]
    MethodNotAllowed {
        method: String,
        path: String,
        allowed: Vec<String>,
    },
    /// A bad parameter value (v1's 422).
    #[error("invalid value for `{param}`: {message}")]
    Validation { param: String, message: String },
    /// A parameter v3 cannot honour.
    #[error("`{param}` cannot be served from Harvest v3: {reason}")]
    UnsupportedParam { param: String, reason: String },
    /// An endpoint the proxy does not serve.
    #[error("{route} cannot be served from Harvest v3: {reason}. Instead: {instead}")]
    Unsupported {
        route: String,
        reason: String,
        instead: String,
    },
    /// A v3 call failed.
    #[error("{0}")]
    Upstream(FetchError),
    /// A v3 record the mapping cannot turn into v1.
    #[error("{route}: record {id} could not be translated to v1 (view {view}): {message}")]
    Untranslatable {
        route: String,
        view: String,
        id: String,
        message: String,
    },
    /// The mapping itself is incomplete (no v3 call, unknown view).
    #[error("{route}: {message}")]
    Mapping { route: String, message: String },
}

impl From<QueryError> for ReadError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::BadPathParam { param, value } => ReadError::BadId { param, value },
            QueryError::Invalid { param, message } => ReadError::Validation { param, message },
            QueryError::Unsupported { param, reason } => {
                ReadError::UnsupportedParam { param, reason }
            }
        }
    }
}

impl From<FetchError> for ReadError {
    fn from(e: FetchError) -> Self {
        ReadError::Upstream(e)
    }
}

impl From<PagingError> for ReadError {
    fn from(e: PagingError) -> Self {
        match e {
            PagingError::Upstream(e) => ReadError::Upstream(e),
            e @ PagingError::TooFar { .. } => ReadError::Validation {
                param: "page".into(),
                message: e.to_string(),
            },
        }
    }
}

/// Serves a legacy read: [`route`], then [`read_matched`].
pub async fn read(
    catalog: &Catalog,
    req: &LegacyRequest<'_>,
    v3: &dyn V3,
) -> Result<LegacyAnswer, ReadError> {
    let m = route(catalog, req.method, req.path)?;
    read_matched(catalog, &m, req.query, v3).await
}

/// The legacy endpoint of a request: `NotFound` for an unknown path, `MethodNotAllowed` for a
/// known path with another method (or a method HTTP has but v1 never used).
pub fn route<'c>(
    catalog: &'c Catalog,
    method: &str,
    path: &str,
) -> Result<RouteMatch<'c>, ReadError> {
    let found = METHODS
        .contains(&method)
        .then(|| catalog.match_route(method, path))
        .flatten();
    found.ok_or_else(|| {
        let known = catalog.endpoints_at(path);
        if known.is_empty() {
            return ReadError::NotFound;
        }
        ReadError::MethodNotAllowed {
            method: method.to_string(),
            path: path.to_string(),
            allowed: known.iter().map(|e| e.method.clone()).collect(),
        }
    })
}

/// Serves a routed legacy read.
pub async fn read_matched(
    catalog: &Catalog,
    m: &RouteMatch<'_>,
    query: &[(String, String)],
    v3: &dyn V3,
) -> Result<LegacyAnswer, ReadError> {
    let ep = m.endpoint;
    refuse_unsupported(ep)?;
    let q = query::translate(ep, &m.params, query)?;
    check_parent(ep, m, v3).await?;
    let primary = ep.v3.first().ok_or_else(|| ReadError::Mapping {
        route: ep.route().to_string(),
        message: "the mapping has no v3 call".into(),
    })?;
    let answer = Answer { catalog, ep, v3 };
    if let Some(view) = &q.view {
        // Another rendering of the whole collection (e.g. render_as=tree): every record at once.
        let rows = keep_local(&q, paging::all(v3, &primary.path, &q.params).await?);
        let fetch: &dyn Fetch = v3;
        let v = Translator::new(catalog)
            .respond_as(view, rows, fetch)
            .await
            .map_err(|e| answer.untranslatable(e))?;
        return Ok(LegacyAnswer {
            body: to_bytes(&v),
            paging: None,
        });
    }
    let shape = ep.response.as_ref().map(|r| r.shape).unwrap_or(Shape::List);
    let paged = shape == Shape::List && ep.is_paginated();
    let at = |more: bool| {
        paged.then_some(Paging {
            page: q.page,
            per_page: q.per_page,
            more,
            last: None,
        })
    };
    if let Some(via) = &q.via {
        // A filter v3 has only on a related collection: page over the ids it yields.
        let (rows, more) = paging::via(v3, via, &q, &primary.path).await?;
        return answer.translate(keep_local(&q, rows), at(more)).await;
    }
    if !paged {
        let rows = paging::all(v3, &primary.path, &q.params).await?;
        return answer.translate(keep_local(&q, rows), None).await;
    }
    // A page whose views join only cached reference data is a function of the v3 bytes (and
    // of reference data cached for the same TTL): its translation is memoised by content.
    let memo = v3.memoises() && q.local.is_empty() && catalog.is_memoisable(ep);
    let route = ep.route();
    let walk = |parse: bool| {
        paging::legacy_page(
            v3,
            route,
            &primary.path,
            &q.params,
            q.page,
            q.per_page,
            parse,
        )
    };
    // A whole collection: no filter from the client, no path parameter (only the mapping's
    // fixed query).
    let whole = q.params.len() == q.fixed && m.params.is_empty() && q.local.is_empty();
    let page = walk(!memo).await?;
    // A walk: page 2 and later of a whole collection, or page 1 of one bigger than a block
    // (what a sync reads first).
    v3.note_walk(whole && (q.page >= 2 || page.last.is_none()));
    let at = |p: &paging::LegacyPage| {
        paged.then_some(Paging {
            page: q.page,
            per_page: q.per_page,
            more: p.more,
            last: p.last,
        })
    };
    if !memo || page.block.body.is_empty() {
        let paging = at(&page);
        return answer.translate(keep_local(&q, page.rows), paging).await;
    }
    let key = format!(
        "{route}|{:016x}|{}|{}/{}",
        page.block.hash(),
        page.block.body.len(),
        page.slot,
        q.per_page
    );
    if let Some(body) = v3.memo(&key) {
        return Ok(LegacyAnswer {
            body,
            paging: at(&page),
        });
    }
    let rows = match page.block.rows_of(page.slot, q.per_page) {
        Some(rows) => rows,
        None => walk(true).await?.rows,
    };
    let out = answer.translate(rows, at(&page)).await?;
    v3.keep_memo(key, out.body.clone());
    Ok(out)
}

/// An endpoint the proxy does not serve (unsupported, or a write: writes are not served yet).
fn refuse_unsupported(ep: &Endpoint) -> Result<(), ReadError> {
    if ep.status != Status::Unsupported && ep.is_read() {
        return Ok(());
    }
    let reason = ep
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
    Err(ReadError::Unsupported {
        route: ep.route().to_string(),
        reason,
        instead,
    })
}

/// The parent of a nested route must exist (v3 answers an empty list where v1 said 404).
async fn check_parent(ep: &Endpoint, m: &RouteMatch<'_>, v3: &dyn V3) -> Result<(), ReadError> {
    let Some(ex) = &ep.exists else { return Ok(()) };
    let mut q: Vec<(String, String)> = ex
        .query
        .iter()
        .map(|(k, v)| (k.clone(), query::fill(v, &m.params)))
        .collect();
    q.push(("fields".into(), "id".into()));
    let page = v3.page(&paging::target(&ex.path, &q), true).await?;
    if page.rows.is_empty() {
        Err(ReadError::NotFound)
    } else {
        Ok(())
    }
}

/// Applies the date filters v3 could not take in the same request.
fn keep_local(q: &V3Query, rows: Vec<Value>) -> Vec<Value> {
    if q.local.is_empty() {
        return rows;
    }
    rows.into_iter()
        .filter(|r| q.local.iter().all(|f| f.keeps(r)))
        .collect()
}

/// Translation of an endpoint's primary rows into its answer.
struct Answer<'a> {
    catalog: &'a Catalog,
    ep: &'a Endpoint,
    v3: &'a dyn V3,
}

impl Answer<'_> {
    async fn translate(
        &self,
        rows: Vec<Value>,
        paging: Option<Paging>,
    ) -> Result<LegacyAnswer, ReadError> {
        let fetch: &dyn Fetch = self.v3;
        let v = Translator::new(self.catalog)
            .respond(self.ep, rows, fetch)
            .await
            .map_err(|e| self.untranslatable(e))?;
        Ok(LegacyAnswer {
            body: to_bytes(&v),
            paging,
        })
    }

    fn untranslatable(&self, e: TranslateError) -> ReadError {
        match e {
            TranslateError::NotFound => ReadError::NotFound,
            TranslateError::Upstream(e) => ReadError::Upstream(e),
            TranslateError::Record { view, id, message } => ReadError::Untranslatable {
                route: self.ep.route().to_string(),
                view,
                id,
                message,
            },
            TranslateError::UnknownView(v) => ReadError::Mapping {
                route: self.ep.route().to_string(),
                message: format!("view `{v}` is not defined"),
            },
        }
    }
}

fn to_bytes(v: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(v).unwrap_or_default())
}
