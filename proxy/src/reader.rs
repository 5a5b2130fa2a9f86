//! Reads Harvest v3 for one legacy request: token, retries with backoff within a budget,
//! 401 → fresh token and one retry, cursor walking, reference-data cache, rate-limit headers.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use futures::future::BoxFuture;
use harvest_mappings::engine::{Fetch, FetchError, JoinedFuture, KeyedJoin};
use harvest_mappings::paging;
use harvest_mappings::v3::{V3, V3Page, V3Write, WriteCall, WriteOutcome};

use crate::state::State;
use crate::upstream::{CallError, RawResponse, next_link};

/// Start of the message of a failed token request (told apart from failed v3 calls).
pub const TOKEN_FAILURE: &str = "could not get a v3 access token";

/// v3 rate-limit headers of the latest answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct RateInfo {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    pub reset: Option<u64>,
}

pub struct Reader {
    pub state: Arc<State>,
    pub tenant: usize,
    pub sub: u64,
    pub rate: Mutex<RateInfo>,
    pub calls: AtomicUsize,
    deadline: Instant,
    /// Waits for the tenant's rate window end before this (the request's own timeout, less a
    /// margin to translate and answer).
    pace_deadline: Instant,
    /// The tenant as it was when the request started (a reload does not change it mid-walk).
    conf: Option<Arc<crate::config::Tenant>>,
    /// The generation of the tenant's cached v3 data when the request started.
    generation: AtomicU64,
    /// The client asked for fresh data (`Cache-Control: no-cache`): cached v3 data is not
    /// served (what is fetched is still kept for the requests after).
    pub fresh: bool,
    /// The request is page 2 or later of a whole collection: a walk (see [`crate::snapshots`]).
    walking: AtomicBool,
}

/// Every failed v3 call, once: v3 path, status or kind, attempt, elapsed time (the request's
/// span adds the request id and legacy route). Never the URL's host, the query or the token.
fn log_failure(outcome: &Outcome, v3_path: &str, attempt: u32, started: Instant) {
    let (e, then) = match outcome {
        Outcome::Page(_) => return,
        Outcome::Retry(e, _) => (e, "retry if the budget allows"),
        Outcome::RateLimited(e) => (e, "wait for the tenant's window"),
        Outcome::Unauthorized(e) => (e, "fresh token once"),
        Outcome::Fail(e) => (e, "answer the client"),
    };
    let kind = match e.status {
        0 if e.timeout => "timeout",
        0 => "unreachable",
        200..=299 => "unusable body",
        _ => "status",
    };
    let reason: String = e.message.chars().take(200).collect();
    tracing::warn!(
        v3_path,
        status = e.status,
        kind,
        attempt,
        ms = started.elapsed().as_millis() as u64,
        then,
        "v3 call failed: {reason}"
    );
}

/// What one v3 answer means for the call.
enum Outcome {
    Page(V3Page),
    Retry(FetchError, Duration),
    /// 429: the tenant's pacer now holds every call until the window resets.
    RateLimited(FetchError),
    Unauthorized(FetchError),
    Fail(FetchError),
}

fn fe(status: u16, message: impl Into<String>) -> FetchError {
    FetchError {
        status,
        message: message.into(),
        body: None,
        retry_after: None,
        timeout: false,
    }
}

pub use harvest_mappings::paging::target;

/// One v3 GET as every request waiting for it sees it.
pub type Flight = Result<RawResponse, FlightError>;

/// Why a shared v3 GET gave no answer: the window's wait was too long, or the call failed.
#[derive(Debug, Clone)]
pub enum FlightError {
    Paced(FetchError),
    Call(CallError),
}

impl Reader {
    pub fn new(state: Arc<State>, tenant: usize, sub: u64) -> Reader {
        let budget = state.config.limits.retry_budget;
        let timeout = state.config.limits.request_timeout;
        let margin = (timeout / 10).min(Duration::from_secs(1));
        Reader {
            pace_deadline: Instant::now() + timeout.saturating_sub(margin),
            conf: state.tenant(tenant),
            generation: AtomicU64::new(state.generations.get(tenant)),
            fresh: false,
            walking: AtomicBool::new(false),
            state,
            tenant,
            sub,
            rate: Mutex::new(RateInfo::default()),
            calls: AtomicUsize::new(0),
            deadline: Instant::now() + budget,
        }
    }

    pub fn rate(&self) -> RateInfo {
        match self.rate.lock() {
            Ok(r) => *r,
            Err(p) => *p.into_inner(),
        }
    }

    /// One page: `target` is a v3 path with its query (`/v3/jobs?ids=1` or `/v3/jobs?cursor=…`).
    pub async fn page(&self, target: &str) -> Result<V3Page, FetchError> {
        self.page_with(target, true).await
    }

    /// One page; with `parse = false` the body is not parsed (the `Link` header is all a walk
    /// needs, and a memoised translation needs only the bytes). Retries what may succeed on a
    /// second try (no answer, 5xx, an unusable body) within the attempt and time budget;
    /// a 401 gets a fresh token once; a 429 is answered (the pacer holds the tenant's calls).
    pub async fn page_with(&self, target: &str, parse: bool) -> Result<V3Page, FetchError> {
        let st = &self.state;
        let tenant = self
            .conf
            .as_deref()
            .ok_or_else(|| fe(0, "tenant missing"))?;
        let url = format!("{}{}", tenant.base_url, target);
        let metric_path = target.split('?').next().unwrap_or(target).to_string();
        let mut attempt = 0u32;
        let mut refreshed = false;
        // Shared only within a generation: a read asked after a write through the proxy never
        // gets the answer of a call made before it.
        let flight = self.data_key(&format!("{}|{url}", self.sub));
        loop {
            attempt += 1;
            let token = st
                .tokens
                .get(self.tenant, tenant, self.sub, &st.upstream, &st.metrics)
                .await
                .map_err(|e| fe(0, format!("{TOKEN_FAILURE}: {}", e.message)))?;
            let started = Instant::now();
            // Identical GETs in flight at once are made once (and paced once).
            let (result, made) = st
                .flights
                .run(&flight, || async {
                    self.pace().await.map_err(FlightError::Paced)?;
                    self.calls.fetch_add(1, Ordering::Relaxed);
                    let _conn = st.upstream_slots.acquire(self.tenant).await;
                    let r = st.upstream.get(&url, &token).await;
                    st.metrics
                        .upstream_latency
                        .observe(started.elapsed().as_secs_f64());
                    r.map_err(FlightError::Call)
                })
                .await;
            st.metrics.cache_hit("coalesced", !made);
            let result = match result {
                Ok(r) => Ok(r),
                Err(FlightError::Paced(e)) => return Err(e),
                Err(FlightError::Call(e)) => Err(e),
            };
            let backoff = Duration::from_millis(50 * (1 << attempt.min(6)));
            let outcome = self.judge(result, &metric_path, parse, backoff);
            log_failure(&outcome, &metric_path, attempt, started);
            let (err, wait) = match outcome {
                Outcome::Page(p) => return Ok(p),
                Outcome::Fail(e) => return Err(e),
                Outcome::Unauthorized(_) if !refreshed => {
                    refreshed = true;
                    st.tokens.invalidate(self.tenant, self.sub, &token).await;
                    continue;
                }
                Outcome::Unauthorized(e) => return Err(e),
                // Answered at once (v1's 429 with Retry-After), never called again: one legacy
                // request costs v3 at most one 429 per call. The tenant's other calls wait
                // for the window (the pacer).
                Outcome::RateLimited(e) => return Err(e),
                Outcome::Retry(e, wait) => (e, wait),
            };
            let more =
                attempt < st.config.limits.retry_attempts && Instant::now() + wait < self.deadline;
            if !more {
                return Err(err);
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// What one v3 answer means for the call: a page, a retry after a wait, a token to
    /// refresh, or a failure to report.
    fn judge(
        &self,
        result: Result<RawResponse, CallError>,
        metric_path: &str,
        parse: bool,
        backoff: Duration,
    ) -> Outcome {
        let count = |status: u16| {
            self.state
                .metrics
                .upstream_calls
                .get_or_create(&crate::metrics::UpstreamLabels {
                    path: metric_path.to_string(),
                    status,
                })
                .inc();
        };
        let r = match result {
            Err(e) => {
                count(0);
                let mut err = fe(0, e.to_string());
                err.timeout = e.is_timeout();
                return Outcome::Retry(err, backoff);
            }
            Ok(r) => r,
        };
        let status = r.status.as_u16();
        count(status);
        self.note_rate(&r.headers);
        let next = || next_link(&r.headers).map(|n| path_and_query(&n));
        let with_body = |message: String| FetchError {
            body: serde_json::from_slice::<Value>(&r.body).ok(),
            ..fe(status, message)
        };
        match status {
            200..=299 if !parse => Outcome::Page(V3Page {
                rows: Vec::new(),
                next: next(),
                body: r.body.clone(),
                scan: r.scan.clone(),
            }),
            200..=299 => match serde_json::from_slice::<Value>(&r.body) {
                Ok(Value::Array(rows)) => Outcome::Page(V3Page {
                    rows,
                    next: next(),
                    body: r.body.clone(),
                    scan: r.scan.clone(),
                }),
                Ok(_) => Outcome::Retry(
                    fe(
                        status,
                        format!("v3 {metric_path} answered JSON that is not a list"),
                    ),
                    backoff,
                ),
                Err(e) => Outcome::Retry(
                    fe(
                        status,
                        format!("v3 {metric_path} answered malformed JSON: {e}"),
                    ),
                    backoff,
                ),
            },
            401 => Outcome::Unauthorized(with_body(format!("v3 {metric_path} answered 401"))),
            429 => {
                let after = r
                    .headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(1)
                    .clamp(1, crate::pacer::MAX_WAIT.as_secs());
                self.state
                    .pacer
                    .observe(self.tenant, Some(0), None, Some(after));
                Outcome::RateLimited(FetchError {
                    retry_after: Some(after),
                    ..with_body("rate limited".into())
                })
            }
            500..=599 => Outcome::Retry(with_body(format!("v3 {metric_path} failed")), backoff),
            _ => Outcome::Fail(with_body(format!("v3 {metric_path} answered {status}"))),
        }
    }

    fn note_rate(&self, h: &http::HeaderMap) {
        let num = |k: &str| {
            h.get(k)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let (limit, remaining, reset) = (
            num("x-ratelimit-limit"),
            num("x-ratelimit-remaining"),
            num("x-ratelimit-reset"),
        );
        if limit.is_none() && remaining.is_none() {
            return;
        }
        self.state
            .pacer
            .observe(self.tenant, remaining, reset, None);
        if let Some(l) = limit {
            self.state.pacer.observe_limit(self.tenant, l);
        }
        if let Ok(mut r) = self.rate.lock() {
            r.limit = limit.or(r.limit);
            r.remaining = match (remaining, r.remaining) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            r.reset = reset.or(r.reset);
        }
    }
}

/// Keeps only the path and query of a v3 link (never follows a link to another host).
pub fn path_and_query(link: &str) -> String {
    match url::Url::parse(link) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => link.to_string(),
    }
}

impl Fetch for Reader {
    /// Every row of a collection; reference collections (joined whole with `cache = true`)
    /// come from the reference cache for their TTL.
    fn fetch<'a>(
        &'a self,
        path: &'a str,
        query: &'a [(String, String)],
    ) -> harvest_mappings::engine::FetchFuture<'a> {
        Box::pin(async move {
            if !self.state.catalog.is_cacheable(path) {
                return Ok(Arc::new(paging::all(self, path, query).await?));
            }
            let key = self.data_key(&target(path, query));
            if let Some(rows) = self.state.reference.get(&key).filter(|_| !self.fresh) {
                self.state.metrics.cache_hit("reference", true);
                return Ok(rows);
            }
            self.state.metrics.cache_hit("reference", false);
            let rows = Arc::new(paging::all(self, path, query).await?);
            self.state.reference.put(key, rows.clone());
            Ok(rows)
        })
    }

    /// A join by keys from a snapshot of the joined collection when one is fresh, or when
    /// listing the collection whole costs no more than fetching the keys by ids (a walk, or a
    /// collection known to be small); else None: by ids.
    fn joined<'a>(&'a self, join: KeyedJoin<'a>) -> JoinedFuture<'a> {
        Box::pin(async move { crate::joins::joined(self, join).await })
    }
}

/// Harvest v3 over HTTP for one legacy request: the tenant's token, retries, the cursor cache
/// and the translation memo (both per tenant), with their metrics.
impl V3 for Reader {
    fn page<'a>(
        &'a self,
        target: &'a str,
        parse: bool,
    ) -> BoxFuture<'a, Result<V3Page, FetchError>> {
        Box::pin(self.page_with(target, parse))
    }

    fn nearest_cursor(&self, walk: &str, page: u64, floor: u64) -> Option<(u64, String)> {
        let cursors = &self.state.cursors;
        let found = (floor..=page)
            .rev()
            .find_map(|n| cursors.get(&self.cursor_key(walk, n)).map(|t| (n, t)));
        self.state.metrics.cache_hit("cursor", found.is_some());
        found
    }

    fn keep_cursor(&self, walk: &str, page: u64, target: &str) {
        self.state
            .cursors
            .put(self.cursor_key(walk, page), target.to_string());
    }

    fn forget_cursor(&self, walk: &str, page: u64) {
        self.state.cursors.remove(&self.cursor_key(walk, page));
    }

    fn note_walk(&self, walking: bool) {
        self.walking.store(walking, Ordering::Relaxed);
    }

    fn block(&self, key: &str) -> Option<harvest_mappings::paging::Block> {
        if self.fresh {
            return None;
        }
        let found = self.state.blocks.get(&self.data_key(key));
        self.state.metrics.cache_hit("block", found.is_some());
        found
    }

    fn keep_block(&self, key: &str, block: &harvest_mappings::paging::Block) {
        self.state.blocks.put(self.data_key(key), block);
    }

    fn memoises(&self) -> bool {
        self.state.config.cache.translated_entries > 0
    }

    fn memo(&self, key: &str) -> Option<bytes::Bytes> {
        let hit = self.state.translated.get(&format!("{}|{key}", self.tenant));
        self.state.metrics.cache_hit("translation", hit.is_some());
        hit
    }

    fn keep_memo(&self, key: String, body: bytes::Bytes) {
        self.state
            .translated
            .put(format!("{}|{key}", self.tenant), body);
    }
}

impl Reader {
    /// Waits for a slot in the tenant's v3 window; a wait past the request's deadline is
    /// answered 429 at once, with the wait as `Retry-After`.
    async fn pace(&self) -> Result<(), FetchError> {
        match self
            .state
            .pacer
            .admit(self.tenant, self.pace_deadline)
            .await
        {
            Ok(()) => Ok(()),
            Err(crate::pacer::TooLong(wait)) => Err(FetchError {
                retry_after: Some(wait.as_secs_f64().ceil().max(1.0) as u64),
                ..fe(
                    429,
                    "Harvest v3's rate window for this account is spent; retry after it resets",
                )
            }),
        }
    }

    pub fn is_walking(&self) -> bool {
        self.walking.load(Ordering::Relaxed)
    }

    /// Cached v3 data is kept per tenant and generation (a write through the proxy starts a
    /// new one).
    pub fn data_key(&self, key: &str) -> String {
        let generation = self.generation.load(Ordering::Relaxed);
        format!("{}|g{generation}|{key}", self.tenant)
    }

    /// Cursors are kept per tenant: page `page` of `walk`.
    fn cursor_key(&self, walk: &str, page: u64) -> String {
        format!("{}|{walk}#{page}", self.tenant)
    }
}

/// Writes as the acting user (a token per (tenant, sub)), exactly once: only a 401 is retried
/// (after a token refresh); a timeout, a lost connection, 408 or 5xx is an unknown outcome.
impl V3Write for Reader {
    fn write<'a>(&'a self, call: &'a WriteCall) -> BoxFuture<'a, WriteOutcome> {
        Box::pin(async move {
            let st = &self.state;
            let Some(tenant) = self.conf.as_deref() else {
                return WriteOutcome::Refused(fe(0, "tenant missing"));
            };
            let url = format!("{}{}", tenant.base_url, call.target);
            let metric_path = call.target.split('?').next().unwrap_or(&call.target);
            let mut refreshed = false;
            loop {
                if let Err(e) = self.pace().await {
                    return WriteOutcome::Refused(e);
                }
                let token = match st
                    .tokens
                    .get(
                        self.tenant,
                        tenant,
                        call.acting_user,
                        &st.upstream,
                        &st.metrics,
                    )
                    .await
                {
                    Ok(t) => t,
                    Err(e) => {
                        return WriteOutcome::Refused(fe(
                            0,
                            format!("{TOKEN_FAILURE}: {}", e.message),
                        ));
                    }
                };
                self.calls.fetch_add(1, Ordering::Relaxed);
                let conn = st.upstream_slots.acquire(self.tenant).await;
                let result = st
                    .upstream
                    .write(&call.method, &url, &token, call.body.as_ref())
                    .await;
                drop(conn);
                if let Ok(r) = &result {
                    self.note_rate(&r.headers);
                }
                match judge_write(result, metric_path) {
                    WriteJudgement::Retry if !refreshed => {
                        refreshed = true;
                        st.tokens
                            .invalidate(self.tenant, call.acting_user, &token)
                            .await;
                    }
                    WriteJudgement::Retry => {
                        return WriteOutcome::Refused(fe(
                            401,
                            "Harvest v3 refused the acting user's token twice",
                        ));
                    }
                    WriteJudgement::Done(o) => {
                        if !matches!(o, WriteOutcome::Refused(_)) {
                            // Read-your-writes: the write's read-back and every later read
                            // of the tenant see nothing cached before it.
                            st.generations.bump(self.tenant);
                            self.generation
                                .store(st.generations.get(self.tenant), Ordering::Relaxed);
                        }
                        if let WriteOutcome::Unknown { reason } = &o {
                            tracing::warn!(method = %call.method, path = %metric_path, "v3 write outcome unknown: {reason}");
                        }
                        return o;
                    }
                }
            }
        })
    }

    /// `write_recheck`, cut to what is left of the request's time.
    fn settle(&self) -> BoxFuture<'_, ()> {
        let left = self.pace_deadline.saturating_duration_since(Instant::now());
        let wait = self.state.config.limits.write_recheck.min(left);
        Box::pin(tokio::time::sleep(wait))
    }
}

enum WriteJudgement {
    Done(WriteOutcome),
    /// 401: refused before it ran; a fresh token may be tried once.
    Retry,
}

fn judge_write(result: Result<RawResponse, CallError>, metric_path: &str) -> WriteJudgement {
    let r = match result {
        // Never connected, or never built: nothing was sent.
        Err(e @ (CallError::Connect(_) | CallError::Build(_))) => {
            return WriteJudgement::Done(WriteOutcome::Refused(fe(0, e.to_string())));
        }
        Err(e) => {
            return WriteJudgement::Done(WriteOutcome::Unknown {
                reason: e.to_string(),
            });
        }
        Ok(r) => r,
    };
    let status = r.status.as_u16();
    let body = || serde_json::from_slice::<Value>(&r.body).ok();
    WriteJudgement::Done(match status {
        200..=299 => WriteOutcome::Applied {
            status,
            body: body(),
        },
        401 => return WriteJudgement::Retry,
        408 | 500..=599 => WriteOutcome::Unknown {
            reason: format!("v3 {metric_path} answered {status}"),
        },
        _ => WriteOutcome::Refused(FetchError {
            body: body(),
            retry_after: r
                .headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok()),
            ..fe(status, format!("v3 {metric_path} answered {status}"))
        }),
    })
}
