//! v3 access tokens: OAuth 2.0 client credentials (oauth2 crate, client auth as HTTP Basic, form
//! body `grant_type=client_credentials&sub=<user>`), one cache entry per (tenant, sub).
//!
//! - single flight: concurrent requests on a cold entry make one token call;
//! - never on the hot path while a valid token exists: a token close to expiry is served while a
//!   background task refreshes it;
//! - expiry from `expires_at` (RFC 3339), `expires_in` (seconds) or `expires` (either), else 1 h,
//!   clamped to [`MIN_LIFETIME`]..[`MAX_LIFETIME`];
//! - a token request has its own timeout; a failure is remembered for a short back-off and
//!   shared by every request waiting meanwhile (single flight for failures too);
//! - the legacy client never reads a byte of the token endpoint's answer: it gets a message
//!   built from the status alone, the log gets a redacted reason (status, size, key names);
//! - `invalidate` drops a token v3 refused (401) so the next call fetches a fresh one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, ExtraTokenFields,
    RequestTokenError, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::Instrument;

use crate::config::Tenant;
use crate::metrics::Metrics;
use crate::secret::Secret;
use crate::upstream::Upstream;

/// Greenhouse's extra token fields (v3-platform.md §2.2, §2.5).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GreenhouseFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Value>,
}

impl ExtraTokenFields for GreenhouseFields {}

type TokenResp = StandardTokenResponse<GreenhouseFields, BasicTokenType>;
type GhClient = oauth2::Client<
    BasicErrorResponse,
    TokenResp,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// Bounds of a token's lifetime whatever the token endpoint says: an absurd expiry neither
/// overflows nor keeps a token forever, and a zero one does not make every request fetch.
pub const MIN_LIFETIME: Duration = Duration::from_secs(1);
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
pub struct Token {
    pub value: Secret,
    pub expires: Instant,
    /// From then on the token is still served but refreshed in the background.
    pub refresh_at: Instant,
}

/// Why no token could be had. `message` is what the legacy client may read: it never holds a
/// byte of the token endpoint's answer (the redacted reason is logged instead).
#[derive(Debug, Clone, thiserror::Error)]
#[error("token request failed: {message}")]
pub struct TokenError {
    pub message: String,
    /// True when the token endpoint could not be reached or timed out.
    pub unreachable: bool,
}

#[derive(Default)]
struct Slot {
    token: Option<Token>,
    refreshing: bool,
    /// The last failed fetch and until when it is answered without asking again.
    failed: Option<(Instant, TokenError)>,
}

impl Slot {
    fn remembered(&self, now: Instant) -> Option<TokenError> {
        self.failed
            .as_ref()
            .filter(|(until, _)| now < *until)
            .map(|(_, e)| e.clone())
    }
}

/// (tenant slot, sub) → its token slot.
type Slots = HashMap<(usize, u64), Arc<Mutex<Slot>>>;

pub struct TokenCache {
    slots: StdMutex<Slots>,
    margin: Duration,
    timeout: Duration,
    backoff: Duration,
}

impl TokenCache {
    pub fn new(margin: Duration) -> Self {
        let l = crate::config::Limits::default();
        TokenCache {
            slots: StdMutex::new(HashMap::new()),
            margin,
            timeout: l.token_timeout,
            backoff: l.token_backoff,
        }
    }

    /// One token request may take `timeout`; a failure is remembered for `backoff`.
    pub fn with_limits(self, timeout: Duration, backoff: Duration) -> Self {
        TokenCache {
            timeout,
            backoff,
            ..self
        }
    }

    fn lock_slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        match self.slots.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        }
    }

    fn slot(&self, key: (usize, u64)) -> Arc<Mutex<Slot>> {
        self.lock_slots().entry(key).or_default().clone()
    }

    /// Forgets the tokens of tenant slots no longer in use (after a reload).
    pub fn retain_tenants(&self, live: &[usize]) {
        self.lock_slots().retain(|(t, _), _| live.contains(t));
    }

    /// A valid token for (tenant, sub). One fetch at a time per (tenant, sub): concurrent
    /// callers wait for it and share its outcome, a failure included, for the back-off.
    pub async fn get(
        self: &Arc<Self>,
        tenant_idx: usize,
        tenant: &Tenant,
        sub: u64,
        upstream: &Arc<Upstream>,
        metrics: &Arc<Metrics>,
    ) -> Result<Secret, TokenError> {
        let slot = self.slot((tenant_idx, sub));
        let mut g = slot.lock().await;
        let now = Instant::now();
        if let Some(t) = g.token.clone()
            && t.expires > now
        {
            if now >= t.refresh_at && !g.refreshing && g.remembered(now).is_none() {
                // Close to expiry: serve it, refresh in the background (once).
                g.refreshing = true;
                let (me, slot2, tenant2) = (self.clone(), slot.clone(), tenant.clone());
                let (up, m) = (upstream.clone(), metrics.clone());
                let refresh = async move {
                    let fresh = me.fetch(&tenant2, sub, &up, &m).await;
                    let mut g = slot2.lock().await;
                    g.refreshing = false;
                    let _ = me.keep(&mut g, fresh);
                };
                tokio::spawn(refresh.in_current_span());
            }
            return Ok(t.value);
        }
        if let Some(e) = g.remembered(now) {
            return Err(e);
        }
        // Cold or expired: fetch while holding the slot, so concurrent callers wait for this one.
        let fresh = self.fetch(tenant, sub, upstream, metrics).await;
        self.keep(&mut g, fresh)
    }

    fn keep(&self, g: &mut Slot, fresh: Result<Token, TokenError>) -> Result<Secret, TokenError> {
        match fresh {
            Ok(t) => {
                let v = t.value.clone();
                g.token = Some(t);
                g.failed = None;
                Ok(v)
            }
            Err(e) => {
                g.failed = Some((Instant::now() + self.backoff, e.clone()));
                Err(e)
            }
        }
    }

    /// Drops the token if it is still the one v3 refused.
    pub async fn invalidate(&self, tenant_idx: usize, sub: u64, refused: &Secret) {
        let slot = self.slot((tenant_idx, sub));
        let mut g = slot.lock().await;
        if g.token.as_ref().is_some_and(|t| &t.value == refused) {
            g.token = None;
        }
    }

    /// One token request, bounded by the token timeout. A failure is logged once, here, with a
    /// redacted reason; the error says only what the client may read.
    async fn fetch(
        &self,
        tenant: &Tenant,
        sub: u64,
        upstream: &Arc<Upstream>,
        metrics: &Metrics,
    ) -> Result<Token, TokenError> {
        metrics.token_fetches.inc();
        let started = Instant::now();
        let seen = Arc::new(StdMutex::new(Seen::default()));
        let asked = tokio::time::timeout(self.timeout, request(tenant, sub, upstream, &seen)).await;
        let failure = match asked {
            Ok(Ok(resp)) => {
                let lifetime = lifetime(&resp, SystemTime::now()).clamp(MIN_LIFETIME, MAX_LIFETIME);
                let early = self.margin.min(lifetime / 2);
                return Ok(Token {
                    value: Secret::new(resp.access_token().secret().clone()),
                    expires: started + lifetime,
                    refresh_at: started + lifetime - early,
                });
            }
            Ok(Err(e)) => explain(e, &seen),
            Err(_) => Failure {
                client: format!(
                    "the token endpoint did not answer within {} ms",
                    self.timeout.as_millis()
                ),
                log: "timeout".into(),
                unreachable: true,
            },
        };
        tracing::warn!(
            tenant = %tenant.name,
            sub,
            token_endpoint = %endpoint_of(&tenant.token_url),
            ms = started.elapsed().as_millis() as u64,
            reason = %failure.log,
            "v3 token request failed"
        );
        Err(TokenError {
            message: failure.client,
            unreachable: failure.unreachable,
        })
    }
}

/// Scheme, host, port and path of a URL: never user info or a query, which could hold secrets.
fn endpoint_of(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(url) => {
            format!(
                "{}://{}{}",
                url.scheme(),
                url.host_str().unwrap_or("?"),
                url.port().map(|p| format!(":{p}")).unwrap_or_default()
            ) + url.path()
        }
        Err(_) => "(unparsable token_url)".into(),
    }
}

/// What the token endpoint's answer looked like, without its content.
#[derive(Default, Clone)]
struct Seen {
    status: u16,
    bytes: usize,
    /// The names of the top-level JSON keys (never their values), or why there are none.
    shape: String,
}

/// A failed token request: what the client reads, what the log says.
struct Failure {
    client: String,
    log: String,
    unreachable: bool,
}

type TokenRequestError = RequestTokenError<crate::upstream::CallError, BasicErrorResponse>;

/// The client-credentials request (client id and secret as HTTP Basic, `sub` in the form).
async fn request(
    tenant: &Tenant,
    sub: u64,
    upstream: &Arc<Upstream>,
    seen: &Arc<StdMutex<Seen>>,
) -> Result<TokenResp, TokenRequestError> {
    let url = TokenUrl::new(tenant.token_url.clone())
        .map_err(|e| RequestTokenError::Other(format!("bad token_url: {e}")))?;
    let client: GhClient = oauth2::Client::new(ClientId::new(tenant.client_id.clone()))
        .set_client_secret(ClientSecret::new(tenant.client_secret.expose().to_string()))
        .set_auth_type(AuthType::BasicAuth)
        .set_token_uri(url);
    let http = |req: oauth2::HttpRequest| {
        let (up, seen) = (upstream.clone(), seen.clone());
        async move {
            let mut resp = up.oauth_call(req).await?;
            let shape = json_shape(resp.body());
            if let Ok(mut s) = seen.lock() {
                *s = Seen {
                    status: resp.status().as_u16(),
                    bytes: resp.body().len(),
                    shape,
                };
            }
            if resp.status().is_success() {
                sanitize_expiry(resp.body_mut());
            }
            Ok::<_, crate::upstream::CallError>(resp)
        }
    };
    client
        .exchange_client_credentials()
        .add_extra_param("sub", sub.to_string())
        .request_async(&http)
        .await
}

/// The client's and the log's account of a failed request; neither quotes the answer's body.
fn explain(e: TokenRequestError, seen: &StdMutex<Seen>) -> Failure {
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let answer = format!("HTTP {}, {} bytes, {}", seen.status, seen.bytes, seen.shape);
    let (client, log, unreachable) = match e {
        RequestTokenError::Request(e) => (
            "the token endpoint could not be reached".to_string(),
            e.to_string(),
            true,
        ),
        RequestTokenError::ServerResponse(r) => (
            format!(
                "the token endpoint refused the tenant's OAuth credentials (HTTP {})",
                seen.status
            ),
            format!("{answer}; OAuth error {}", oauth_code(r.error())),
            false,
        ),
        RequestTokenError::Parse(p, _body) if seen.status == 200 => (
            "the token endpoint answered HTTP 200 with something that is not a token response"
                .to_string(),
            format!(
                "{answer}; unusable at `{}` ({:?} error at line {} column {})",
                p.path(),
                p.inner().classify(),
                p.inner().line(),
                p.inner().column()
            ),
            false,
        ),
        RequestTokenError::Parse(..) => (
            format!("the token endpoint answered HTTP {}", seen.status),
            answer,
            false,
        ),
        RequestTokenError::Other(m) => (
            format!("the token endpoint answered HTTP {} unusably", seen.status),
            format!("{answer}; {}", m.chars().take(160).collect::<String>()),
            false,
        ),
    };
    Failure {
        client: format!("{client}; retried after a back-off"),
        log,
        unreachable,
    }
}

/// An RFC 6749 error code; anything else the endpoint wrote is not repeated.
fn oauth_code(e: &oauth2::basic::BasicErrorResponseType) -> &'static str {
    use oauth2::basic::BasicErrorResponseType as T;
    match e {
        T::InvalidClient => "invalid_client",
        T::InvalidGrant => "invalid_grant",
        T::InvalidRequest => "invalid_request",
        T::InvalidScope => "invalid_scope",
        T::UnauthorizedClient => "unauthorized_client",
        T::UnsupportedGrantType => "unsupported_grant_type",
        T::Extension(_) => "(non-standard code)",
    }
}

/// The top-level keys of a JSON object body (names only, as far as they look like names).
fn json_shape(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => {
            let keys: Vec<&str> = m
                .keys()
                .filter(|k| {
                    k.len() <= 32 && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                })
                .take(12)
                .map(String::as_str)
                .collect();
            format!("JSON object with keys [{}]", keys.join(", "))
        }
        Ok(_) => "JSON that is not an object".into(),
        Err(_) if body.is_empty() => "empty body".into(),
        Err(_) => "not JSON".into(),
    }
}

/// Makes an out-of-range `expires_in` (negative, fractional, beyond u64, a numeric string)
/// a whole number of seconds (clamped later), so an absurd value neither fails the token nor
/// overflows; a non-numeric one is dropped (the other expiry fields or the default apply).
fn sanitize_expiry(body: &mut Vec<u8>) {
    let Ok(Value::Object(mut m)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let Some(v) = m.get("expires_in") else {
        return;
    };
    if v.as_u64().is_some() {
        return;
    }
    let secs = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match secs.filter(|f| !f.is_nan()) {
        // `as` saturates: negative → 0, beyond u64 → u64::MAX.
        Some(f) => m.insert("expires_in".into(), Value::from(f as u64)),
        None => m.remove("expires_in"),
    };
    if let Ok(b) = serde_json::to_vec(&m) {
        *body = b;
    }
}

/// How long a token lives: `expires_at`, then `expires_in`, then `expires`, else one hour.
pub fn lifetime(resp: &TokenResp, now: SystemTime) -> Duration {
    let extra = resp.extra_fields();
    if let Some(at) = extra.expires_at.as_deref().and_then(parse_rfc3339) {
        return until(at, now);
    }
    if let Some(d) = resp.expires_in() {
        return d;
    }
    match &extra.expires {
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|n| number_lifetime(n, now))
            .unwrap_or(DEFAULT_LIFETIME),
        Some(Value::String(s)) => {
            if let Ok(n) = s.trim().parse::<u64>() {
                number_lifetime(n, now)
            } else if let Some(at) = parse_rfc3339(s) {
                until(at, now)
            } else {
                DEFAULT_LIFETIME
            }
        }
        _ => DEFAULT_LIFETIME,
    }
}

/// `expires` as a number: an epoch timestamp if it looks like one, else seconds from now.
fn number_lifetime(n: u64, now: SystemTime) -> Duration {
    if n > 1_000_000_000 {
        until(n, now)
    } else {
        Duration::from_secs(n)
    }
}

fn until(epoch: u64, now: SystemTime) -> Duration {
    let now = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Duration::from_secs(epoch.saturating_sub(now))
}

/// RFC 3339 / ISO-8601 date-time → Unix seconds (`Z`, `+00:00` and `+0000` offsets).
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || (b[10] != b'T' && b[10] != b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        rest = &r[end..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        o if o.len() >= 5 && (o.starts_with('+') || o.starts_with('-')) => {
            let digits: String = o[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 {
                return None;
            }
            let oh = digits[..2].parse::<i64>().ok()?;
            let om = digits[2..].parse::<i64>().ok()?;
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = if y2 >= 0 { y2 } else { y2 - 399 } / 400;
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se - offset;
    u64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(json: &str) -> TokenResp {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn odd_expiries_become_whole_seconds_and_answers_are_described_without_values() {
        let fix = |json: &str| {
            let mut b = json.as_bytes().to_vec();
            sanitize_expiry(&mut b);
            serde_json::from_slice::<Value>(&b).unwrap()["expires_in"].clone()
        };
        assert_eq!(fix(r#"{"expires_in":1e300}"#), u64::MAX);
        assert_eq!(fix(r#"{"expires_in":-5}"#), 0);
        assert_eq!(fix(r#"{"expires_in":"90.5"}"#), 90);
        assert_eq!(fix(r#"{"expires_in":"soon"}"#), Value::Null);
        assert_eq!(fix(r#"{"expires_in":120}"#), 120);
        let r =
            resp(r#"{"access_token":"a","token_type":"Bearer","expires_in":18446744073709551615}"#);
        let l = lifetime(&r, SystemTime::now()).clamp(MIN_LIFETIME, MAX_LIFETIME);
        assert_eq!(l, MAX_LIFETIME);
        let shape = json_shape(br#"{"access_token":"secret-value","bad key!":1}"#);
        assert_eq!(shape, "JSON object with keys [access_token]");
        assert!(!shape.contains("secret-value"));
        assert_eq!(json_shape(b"<html>"), "not JSON");
        assert_eq!(
            endpoint_of("https://u:p@auth.example.com:8443/token?key=x"),
            "https://auth.example.com:8443/token"
        );
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2030-01-01T00:00:00+0000"),
            Some(1_893_456_000)
        );
        assert_eq!(
            parse_rfc3339("2030-01-01T01:00:00.123+01:00"),
            Some(1_893_456_000)
        );
        assert_eq!(parse_rfc3339("not a date"), None);
        assert_eq!(parse_rfc3339("2030-13-01T00:00:00Z"), None);
    }

    #[test]
    fn all_three_expiry_fields() {
        let now = UNIX_EPOCH + Duration::from_secs(1_893_456_000 - 600);
        let r = resp(
            r#"{"access_token":"a","token_type":"Bearer","expires_at":"2030-01-01T00:00:00Z"}"#,
        );
        assert_eq!(lifetime(&r, now), Duration::from_secs(600));
        let r = resp(r#"{"access_token":"a","token_type":"Bearer","expires_in":120}"#);
        assert_eq!(lifetime(&r, now), Duration::from_secs(120));
        let r = resp(r#"{"access_token":"a","token_type":"Bearer","expires":"300"}"#);
        assert_eq!(lifetime(&r, now), Duration::from_secs(300));
        let r =
            resp(r#"{"access_token":"a","token_type":"Bearer","expires":"2030-01-01T00:00:00Z"}"#);
        assert_eq!(lifetime(&r, now), Duration::from_secs(600));
        let r = resp(r#"{"access_token":"a","token_type":"Bearer","expires":1893456000}"#);
        assert_eq!(lifetime(&r, now), Duration::from_secs(600));
        let r = resp(r#"{"access_token":"a","token_type":"Bearer"}"#);
        assert_eq!(lifetime(&r, now), DEFAULT_LIFETIME);
    }
}
