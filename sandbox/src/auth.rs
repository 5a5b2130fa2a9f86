//! OAuth: `POST /token` (client credentials), `POST /auth/token` (legacy key exchange), and
//! bearer-token verification. Tokens are HS256 JWTs signed with a random per-instance key, so
//! they cannot be forged and die with the instance; they carry `sub`, the credential and `exp`.

use std::sync::RwLock;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::{Credentials, ExpiryStyle, SERVICE_ACCOUNT_USER_ID, Scopes};
use crate::store::Dataset;
use crate::time;

const ACCEPTED_GRANTS: &str = "authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:token-exchange";

/// Who a verified token acts for.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's `sub` user id.
    pub sub: i64,
    pub scopes: Scopes,
    /// Rate-limit bucket: the credential (client id, or `legacy:<n>`).
    pub credential: String,
}

/// Token settings and signing key.
pub struct Authority {
    key: [u8; 32],
    credentials: RwLock<Credentials>,
    pub lifetime: Duration,
    pub style: ExpiryStyle,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("lifetime", &self.lifetime)
            .field("style", &self.style)
            .finish_non_exhaustive()
    }
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for i in 0..64 {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn error_id() -> String {
    let mut rng = ChaCha20Rng::from_os_rng();
    let n: u64 = rng.random();
    format!("err-{n:016x}")
}

/// Parses `Authorization: Basic …` into (user, password).
pub fn basic_credentials(header: Option<&str>) -> Option<(String, String)> {
    let h = header?.trim();
    let (scheme, rest) = h.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':').unwrap_or((text.as_str(), ""));
    Some((u.to_string(), p.to_string()))
}

/// A token-endpoint answer: status and JSON body.
pub type TokenReply = (u16, Value);

impl Authority {
    pub fn new(credentials: Credentials, lifetime: Duration, style: ExpiryStyle) -> Self {
        let mut key = [0u8; 32];
        ChaCha20Rng::from_os_rng().fill(&mut key);
        Authority {
            key,
            credentials: RwLock::new(credentials),
            lifetime,
            style,
        }
    }

    fn creds(&self) -> std::sync::RwLockReadGuard<'_, Credentials> {
        self.credentials.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the credential set (existing tokens of removed credentials stop working).
    pub fn set_credentials(&self, c: Credentials) {
        *self.credentials.write().unwrap_or_else(|p| p.into_inner()) = c;
    }

    /// Mints a token for a credential id and user. Returns (token, expiry epoch ms).
    pub fn issue(&self, credential: &str, sub: i64) -> (String, i64) {
        let now = time::now_ms();
        let exp = now + self.lifetime.as_millis() as i64;
        let mut rng = ChaCha20Rng::from_os_rng();
        let jti: u64 = rng.random();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = json!({"iss": "harvest-sandbox", "sub": sub.to_string(), "cid": credential,
            "iat": now / 1000, "exp": exp / 1000, "exp_ms": exp, "jti": format!("{jti:016x}")});
        let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
        let signing_input = format!("{header}.{payload}");
        let sig = URL_SAFE_NO_PAD.encode(hmac_sha256(&self.key, signing_input.as_bytes()));
        (format!("{signing_input}.{sig}"), exp)
    }

    /// Verifies a bearer token: signature, expiry, and that its credential still exists.
    pub fn verify(&self, token: &str) -> Option<Principal> {
        let mut parts = token.split('.');
        let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let expected = hmac_sha256(&self.key, format!("{h}.{p}").as_bytes());
        let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
        if !ct_eq(&sig, &expected) {
            return None;
        }
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
        let exp = claims.get("exp_ms")?.as_i64()?;
        if time::now_ms() >= exp {
            return None;
        }
        let sub: i64 = claims.get("sub")?.as_str()?.parse().ok()?;
        let cid = claims.get("cid")?.as_str()?.to_string();
        let creds = self.creds();
        let scopes = if let Some(idx) = cid.strip_prefix("legacy:") {
            creds
                .legacy_keys
                .get(idx.parse::<usize>().ok()?)?
                .scopes
                .clone()
        } else {
            creds.clients.iter().find(|c| c.id == cid)?.scopes.clone()
        };
        Some(Principal {
            sub,
            scopes,
            credential: cid,
        })
    }

    /// Whether `sub` names a user, and if so whether it is a site admin.
    pub fn user_admin(&self, ds: &Dataset, sub: i64) -> Option<bool> {
        if let Some(u) = self.creds().users.iter().find(|u| u.id == sub) {
            return Some(u.site_admin);
        }
        if sub == SERVICE_ACCOUNT_USER_ID || ds.service_user_ids.contains(&sub) {
            return Some(true);
        }
        ds.get("users", sub).map(|u| {
            u.get("site_admin")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        })
    }

    fn expiry_fields(
        &self,
        exp_ms: i64,
        style: ExpiryStyle,
        out: &mut serde_json::Map<String, Value>,
    ) {
        match style {
            ExpiryStyle::ExpiresAt => {
                out.insert("expires_at".into(), json!(time::rfc3339_s(exp_ms)));
            }
            ExpiryStyle::ExpiresIn => {
                let secs = ((exp_ms - time::now_ms()).max(0) + 999) / 1000;
                out.insert("expires_in".into(), json!(secs));
            }
            ExpiryStyle::Expires => {
                out.insert("expires".into(), json!(time::rfc3339_s(exp_ms)));
            }
        }
    }

    /// `POST /token`.
    pub fn token_endpoint(
        &self,
        ds: &Dataset,
        authorization: Option<&str>,
        query: Option<&str>,
        body: &[u8],
    ) -> TokenReply {
        let Some((client_id, secret)) = basic_credentials(authorization) else {
            return (
                401,
                json!({"message": "Unauthorized", "errorId": error_id()}),
            );
        };
        if client_id.is_empty() {
            return (
                400,
                json!({"message": "client_id= does not contain a valid client ID suffix", "errorId": error_id()}),
            );
        }
        let known = {
            let creds = self.creds();
            creds.clients.iter().any(|c| {
                ct_eq(c.id.as_bytes(), client_id.as_bytes())
                    && ct_eq(c.secret.as_bytes(), secret.as_bytes())
            })
        };
        if !known {
            return (401, json!({"error": "invalid_client"}));
        }
        let mut params: Vec<(String, String)> = Vec::new();
        if let Some(q) = query {
            params.extend(
                form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())),
            );
        }
        let trimmed: &[u8] = body.trim_ascii_start();
        if trimmed.first() == Some(&b'{') {
            if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) {
                for (k, v) in m {
                    let s = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    params.push((k, s));
                }
            }
        } else {
            params.extend(
                form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())),
            );
        }
        let get = |k: &str| {
            params
                .iter()
                .rev()
                .find(|(pk, _)| pk == k)
                .map(|(_, v)| v.clone())
        };
        let Some(grant) = get("grant_type").filter(|g| !g.is_empty()) else {
            return (
                400,
                json!({"message": "Must include `grant_type` parameter in /token request"}),
            );
        };
        match grant.as_str() {
            "client_credentials" => {}
            "authorization_code"
            | "refresh_token"
            | "urn:ietf:params:oauth:grant-type:token-exchange" => {
                return (400, json!({"error": "invalid_grant"}));
            }
            other => {
                return (
                    400,
                    json!({"message": format!("Invalid grant_type `{other}`. Accepted grant types: {ACCEPTED_GRANTS}"), "errorId": error_id()}),
                );
            }
        }
        let sub = match get("sub").filter(|s| !s.is_empty()) {
            None => SERVICE_ACCOUNT_USER_ID,
            Some(s) => match s.trim().parse::<i64>() {
                Ok(v) => v,
                Err(_) => {
                    return (
                        400,
                        json!({"error": "invalid_request", "error_description": "sub must be a numeric user id"}),
                    );
                }
            },
        };
        if self.user_admin(ds, sub).is_none() {
            return (
                400,
                json!({"error": "invalid_request", "error_description": "sub does not match a user of this organization"}),
            );
        }
        let (token, exp) = self.issue(&client_id, sub);
        let mut out = serde_json::Map::new();
        out.insert("access_token".into(), json!(token));
        out.insert("token_type".into(), json!("Bearer"));
        self.expiry_fields(exp, self.style, &mut out);
        (200, Value::Object(out))
    }

    /// `POST /introspect` (RFC 7662): a client's Basic credentials and the form field `token`;
    /// answers `active` and, for a live token, its `scope` (space-separated), `sub`,
    /// `client_id` and `exp`.
    pub fn introspect_endpoint(&self, authorization: Option<&str>, body: &[u8]) -> TokenReply {
        let known = basic_credentials(authorization).is_some_and(|(id, secret)| {
            self.creds().clients.iter().any(|c| {
                ct_eq(c.id.as_bytes(), id.as_bytes())
                    && ct_eq(c.secret.as_bytes(), secret.as_bytes())
            })
        });
        if !known {
            return (401, json!({"error": "invalid_client"}));
        }
        let token = form_urlencoded::parse(body)
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned());
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return (
                400,
                json!({"error": "invalid_request", "error_description": "the form field `token` is required"}),
            );
        };
        let Some(p) = self.verify(&token) else {
            return (200, json!({"active": false}));
        };
        let scope = match &p.scopes {
            Scopes::All(_) => crate::writes::all_scopes().join(" "),
            Scopes::List(l) => l.join(" "),
        };
        let exp = token
            .split('.')
            .nth(1)
            .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
            .and_then(|c| serde_json::from_slice::<Value>(&c).ok())
            .and_then(|c| c.get("exp").and_then(Value::as_i64));
        let client_id = p
            .credential
            .strip_prefix("legacy:")
            .map_or(p.credential.as_str(), |_| "");
        (
            200,
            json!({"active": true, "scope": scope, "sub": p.sub.to_string(), "client_id": client_id,
                "token_type": "Bearer", "exp": exp}),
        )
    }

    /// `POST /auth/token` (legacy API key as Basic username, empty password; optional `{"sub": n}`).
    pub fn legacy_endpoint(
        &self,
        ds: &Dataset,
        authorization: Option<&str>,
        body: &[u8],
    ) -> TokenReply {
        let Some((key, _)) = basic_credentials(authorization) else {
            return (401, json!({"message": "Unauthorized"}));
        };
        let idx = self
            .creds()
            .legacy_keys
            .iter()
            .position(|k| ct_eq(k.key.as_bytes(), key.as_bytes()));
        let Some(idx) = idx else {
            return (401, json!({"message": "Invalid credentials"}));
        };
        let sub = if body.trim_ascii().is_empty() {
            SERVICE_ACCOUNT_USER_ID
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(m)) => match m.get("sub") {
                    None | Some(Value::Null) => SERVICE_ACCOUNT_USER_ID,
                    Some(v) => match v
                        .as_i64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    {
                        Some(s) => s,
                        None => {
                            return (
                                422,
                                json!({"message": "Unprocessable Content", "errors": [{"sub": "must be an integer"}]}),
                            );
                        }
                    },
                },
                _ => {
                    return (
                        400,
                        json!({"message": "Bad Request", "errors": ["Request body must be a JSON object"]}),
                    );
                }
            }
        };
        if self.user_admin(ds, sub).is_none() {
            return (
                422,
                json!({"message": "Unprocessable Content", "errors": [{"sub": "does not match a user of this organization"}]}),
            );
        }
        let (token, exp) = self.issue(&format!("legacy:{idx}"), sub);
        let mut out = serde_json::Map::new();
        out.insert("token_type".into(), json!("Bearer"));
        out.insert("access_token".into(), json!(token));
        self.expiry_fields(exp, ExpiryStyle::Expires, &mut out);
        (200, Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn tokens_verify_and_tampering_fails() {
        let a = Authority::new(
            Credentials::default(),
            Duration::from_secs(60),
            ExpiryStyle::ExpiresAt,
        );
        let (t, _) = a.issue(crate::config::DEFAULT_CLIENT_ID, 100_001);
        let p = a.verify(&t).unwrap();
        assert_eq!(p.sub, 100_001);
        assert!(p.scopes.allows("harvest:jobs:list"));
        let mut parts: Vec<String> = t.split('.').map(str::to_string).collect();
        parts[1] = URL_SAFE_NO_PAD
            .encode(r#"{"sub":"1","cid":"sandbox-client-all","exp_ms":99999999999999}"#);
        assert!(a.verify(&parts.join(".")).is_none());
        let other = Authority::new(
            Credentials::default(),
            Duration::from_secs(60),
            ExpiryStyle::ExpiresAt,
        );
        assert!(
            other.verify(&t).is_none(),
            "another instance's key must not verify"
        );
        let expired = Authority::new(
            Credentials::default(),
            Duration::ZERO,
            ExpiryStyle::ExpiresAt,
        );
        let (t, _) = expired.issue(crate::config::DEFAULT_CLIENT_ID, 100_001);
        assert!(expired.verify(&t).is_none());
        assert!(a.verify("garbage").is_none());
    }

    #[test]
    fn introspection_answers_the_scopes_of_a_live_token_only() {
        use crate::config::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, LIMITED_CLIENT_ID};
        let a = Authority::new(
            Credentials::default(),
            Duration::from_secs(60),
            ExpiryStyle::ExpiresAt,
        );
        let client = format!(
            "Basic {}",
            STANDARD.encode(format!("{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}"))
        );
        let (limited, _) = a.issue(LIMITED_CLIENT_ID, 100_001);
        let body = format!("token={limited}&token_type_hint=access_token");
        let (status, v) = a.introspect_endpoint(Some(&client), body.as_bytes());
        assert_eq!(status, 200);
        assert_eq!(v["active"], true);
        assert_eq!(v["scope"], crate::config::LIMITED_CLIENT_SCOPES.join(" "));
        assert_eq!(v["sub"], "100001");
        let (all, _) = a.issue(DEFAULT_CLIENT_ID, 100_001);
        let (_, v) = a.introspect_endpoint(Some(&client), format!("token={all}").as_bytes());
        let scopes = v["scope"].as_str().unwrap();
        assert!(
            scopes.split(' ').any(|s| s == "harvest:applications:move"),
            "{scopes}"
        );
        assert!(
            scopes.split(' ').any(|s| s == "harvest:jobs:list"),
            "{scopes}"
        );
        let (_, v) = a.introspect_endpoint(Some(&client), b"token=garbage");
        assert_eq!(v, json!({"active": false}));
        let (status, _) = a.introspect_endpoint(None, body.as_bytes());
        assert_eq!(status, 401);
        let (status, _) = a.introspect_endpoint(Some(&client), b"");
        assert_eq!(status, 400);
    }
}
