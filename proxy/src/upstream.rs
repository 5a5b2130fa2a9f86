//! The HTTP client to Harvest v3 and its OAuth token endpoint (hyper + rustls).

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::secret::Secret;

/// Idle upstream connections kept per host (v3 and token endpoints).
pub const IDLE_PER_HOST: usize = 64;

/// A raw answer from v3.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The body's scan as a list, made once for every request a coalesced GET answers.
    pub scan: harvest_mappings::v3::Scan,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("connection failed: {0}")]
    Connect(String),
    /// The request may have been sent: the connection broke before a full answer came.
    #[error("connection lost: {0}")]
    Lost(String),
    #[error("reading the response failed: {0}")]
    Body(String),
    #[error("bad request: {0}")]
    Build(String),
}

impl CallError {
    pub fn is_timeout(&self) -> bool {
        matches!(self, CallError::Timeout(_))
    }
}

pub struct Upstream {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl Upstream {
    pub fn new(timeout: Duration) -> Result<Upstream, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(IDLE_PER_HOST)
            .build(https);
        Ok(Upstream { client, timeout })
    }

    /// One request with the configured timeout; the body is read in full.
    pub async fn send(&self, req: Request<Full<Bytes>>) -> Result<RawResponse, CallError> {
        let fut = async {
            let resp = self.client.request(req).await.map_err(|e| {
                if e.is_connect() {
                    CallError::Connect(error_chain(&e))
                } else {
                    CallError::Lost(error_chain(&e))
                }
            })?;
            let (parts, body) = resp.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| CallError::Body(e.to_string()))?
                .to_bytes();
            Ok(RawResponse {
                status: parts.status,
                headers: parts.headers,
                body,
                scan: Default::default(),
            })
        };
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(CallError::Timeout(self.timeout)),
        }
    }

    /// `GET url` with a Bearer token.
    pub async fn get(&self, url: &str, token: &Secret) -> Result<RawResponse, CallError> {
        self.send(authorized(Method::GET, url, token, None)?).await
    }

    /// A write (`POST`/`PATCH`/`PUT`/`DELETE`) with a Bearer token and an optional JSON body.
    pub async fn write(
        &self,
        method: &str,
        url: &str,
        token: &Secret,
        body: Option<&serde_json::Value>,
    ) -> Result<RawResponse, CallError> {
        let method =
            Method::from_bytes(method.as_bytes()).map_err(|e| CallError::Build(e.to_string()))?;
        self.send(authorized(method, url, token, body)?).await
    }

    /// The HTTP client the oauth2 crate drives for token requests.
    pub async fn oauth_call(
        &self,
        req: oauth2::HttpRequest,
    ) -> Result<oauth2::HttpResponse, CallError> {
        let (parts, body) = req.into_parts();
        let req = Request::from_parts(parts, Full::new(Bytes::from(body)));
        let r = self.send(req).await?;
        let mut resp = http::Response::builder().status(r.status);
        if let Some(h) = resp.headers_mut() {
            *h = r.headers;
        }
        resp.body(r.body.to_vec())
            .map_err(|e| CallError::Build(e.to_string()))
    }
}

/// A v3 request with the Bearer token, JSON accepted, and a JSON body when given.
fn authorized(
    method: Method,
    url: &str,
    token: &Secret,
    body: Option<&serde_json::Value>,
) -> Result<Request<Full<Bytes>>, CallError> {
    let mut b = Request::builder()
        .method(method)
        .uri(url)
        .header("Authorization", format!("Bearer {}", token.expose()))
        .header("Accept", "application/json")
        .header(
            "User-Agent",
            concat!("harvest-proxy/", env!("CARGO_PKG_VERSION")),
        );
    let bytes = match body {
        Some(v) => {
            b = b.header("Content-Type", "application/json");
            Bytes::from(serde_json::to_vec(v).map_err(|e| CallError::Build(e.to_string()))?)
        }
        None => Bytes::new(),
    };
    b.body(Full::new(bytes))
        .map_err(|e| CallError::Build(e.to_string()))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The `rel="next"` target of a `Link` header (RFC 8288), if any.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    for v in headers.get_all("link") {
        let Ok(v) = v.to_str() else { continue };
        for part in v.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next()?.trim();
            let is_next = pieces.any(|p| {
                let p = p.trim();
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            });
            if is_next {
                let t = target.trim_start_matches('<').trim_end_matches('>');
                if !t.is_empty() {
                    return Some(t.to_string());
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_parsing() {
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            "<https://h/v3/jobs?cursor=abc>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://h/v3/jobs?cursor=abc")
        );
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            "<https://h/a>; rel=\"prev\", <https://h/b>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_link(&h).as_deref(), Some("https://h/b"));
        let mut h = HeaderMap::new();
        h.insert("link", "<https://h/a>; rel=\"prev\"".parse().unwrap());
        assert_eq!(next_link(&h), None);
        assert_eq!(next_link(&HeaderMap::new()), None);
    }
}
