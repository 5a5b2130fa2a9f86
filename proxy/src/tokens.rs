//! v3 access tokens: OAuth 2.0 client credentials (oauth2 crate, client auth as HTTP Basic, form
//! body `grant_type=client_credentials&sub=<user>`), one cache entry per (tenant, sub).
//!
//! - single flight: concurrent requests on a cold entry make one token call;
//! - never on the hot path while a valid token exists: a token close to expiry is served while a
//!   background task refreshes it;
//! - expiry from `expires_at` (RFC 3339), `expires_in` (seconds) or `expires` (either), else 1 h;
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

#[derive(Clone)]
pub struct Token {
    pub value: Secret,
    pub expires: Instant,
}

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
}

/// (tenant index, sub) → its token slot.
type Slots = HashMap<(usize, u64), Arc<Mutex<Slot>>>;

pub struct TokenCache {
    slots: StdMutex<Slots>,
    margin: Duration,
}

impl TokenCache {
    pub fn new(margin: Duration) -> Self {
        TokenCache {
            slots: StdMutex::new(HashMap::new()),
            margin,
        }
    }

    fn slot(&self, key: (usize, u64)) -> Arc<Mutex<Slot>> {
        let mut m = match self.slots.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        m.entry(key).or_default().clone()
    }

    /// A valid token for (tenant, sub).
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
        if let Some(t) = g.token.clone() {
            if t.expires > now + self.margin {
                return Ok(t.value);
            }
            if t.expires > now {
                // Close to expiry: serve it, refresh in the background (once).
                if !g.refreshing {
                    g.refreshing = true;
                    let (slot2, tenant2, up, m) = (
                        slot.clone(),
                        tenant.clone(),
                        upstream.clone(),
                        metrics.clone(),
                    );
                    tokio::spawn(async move {
                        let fresh = fetch(&tenant2, sub, &up, &m).await;
                        let mut g = slot2.lock().await;
                        g.refreshing = false;
                        if let Ok(t) = fresh {
                            g.token = Some(t);
                        }
                    });
                }
                return Ok(t.value);
            }
        }
        // Cold or expired: fetch while holding the slot, so concurrent callers wait for this one.
        let t = fetch(tenant, sub, upstream, metrics).await?;
        let v = t.value.clone();
        g.token = Some(t);
        Ok(v)
    }

    /// Drops the token if it is still the one v3 refused.
    pub async fn invalidate(&self, tenant_idx: usize, sub: u64, refused: &Secret) {
        let slot = self.slot((tenant_idx, sub));
        let mut g = slot.lock().await;
        if g.token.as_ref().is_some_and(|t| &t.value == refused) {
            g.token = None;
        }
    }
}

async fn fetch(
    tenant: &Tenant,
    sub: u64,
    upstream: &Arc<Upstream>,
    metrics: &Metrics,
) -> Result<Token, TokenError> {
    metrics.token_fetches.inc();
    let url = TokenUrl::new(tenant.token_url.clone()).map_err(|e| TokenError {
        message: format!("bad token_url: {e}"),
        unreachable: false,
    })?;
    let client: GhClient = oauth2::Client::new(ClientId::new(tenant.client_id.clone()))
        .set_client_secret(ClientSecret::new(tenant.client_secret.expose().to_string()))
        .set_auth_type(AuthType::BasicAuth)
        .set_token_uri(url);
    let http = |req: oauth2::HttpRequest| {
        let up = upstream.clone();
        async move { up.oauth_call(req).await }
    };
    let started = Instant::now();
    let resp = client
        .exchange_client_credentials()
        .add_extra_param("sub", sub.to_string())
        .request_async(&http)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(r) => TokenError {
                message: format!("token endpoint refused the credentials: {}", r.error()),
                unreachable: false,
            },
            RequestTokenError::Request(e) => TokenError {
                message: e.to_string(),
                unreachable: true,
            },
            RequestTokenError::Parse(_, body) => TokenError {
                message: format!("token endpoint answered: {}", scrub(&body)),
                unreachable: false,
            },
            RequestTokenError::Other(m) => TokenError {
                message: m,
                unreachable: false,
            },
        })?;
    let lifetime = lifetime(&resp, SystemTime::now());
    Ok(Token {
        value: Secret::new(resp.access_token().secret().clone()),
        expires: started + lifetime,
    })
}

/// A token-endpoint error body, shortened; it may echo the client id but never holds the secret.
fn scrub(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let s: String = s.chars().take(200).collect();
    if s.trim().is_empty() {
        "an empty or unreadable response".into()
    } else {
        s
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
