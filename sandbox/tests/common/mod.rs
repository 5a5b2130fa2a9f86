//! Shared test helpers: schema loading and a tiny HTTP client over hyper-util.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

/// `reference/v3` of the repository (`$CARGO_MANIFEST_DIR/../reference/v3`).
pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../reference/v3")
}

/// Compiled validators for the 66 schema files plus the three resources whose schema only
/// exists in the partial OpenAPI components (email_templates, pay_inputs, webhooks).
pub fn validators() -> BTreeMap<String, jsonschema::Validator> {
    let mut out = BTreeMap::new();
    let dir = reference_dir().join("schemas");
    for entry in std::fs::read_dir(&dir).expect("schemas dir") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let schema: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        out.insert(name, jsonschema::validator_for(&schema).expect("compile"));
    }
    assert_eq!(out.len(), 66, "expected the 66 reference schemas");
    let openapi: Value = serde_json::from_str(
        &std::fs::read_to_string(reference_dir().join("openapi-partial.json")).expect("openapi"),
    )
    .expect("json");
    for (plural, single) in [
        ("email_templates", "email_template"),
        ("pay_inputs", "pay_input"),
        ("webhooks", "webhook"),
    ] {
        let schema = openapi["components"]["schemas"][single].clone();
        out.insert(
            plural.to_string(),
            jsonschema::validator_for(&schema).expect("compile"),
        );
    }
    out
}

use bytes::Bytes;
use harvest_sandbox::{Sandbox, SandboxConfig};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A small, fast configuration (scale 0.05 ≈ 50 candidates).
pub fn small() -> SandboxConfig {
    SandboxConfig {
        scale: 0.05,
        ..SandboxConfig::default()
    }
}

pub async fn start(cfg: SandboxConfig) -> Sandbox {
    harvest_sandbox::spawn(cfg).await.expect("spawn sandbox")
}

/// A response read fully.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The `rel="next"` URL of the Link header.
    pub fn next_link(&self) -> Option<String> {
        let link = self.header("link")?;
        let start = link.find('<')? + 1;
        let end = link.find('>')?;
        assert!(link.contains("rel=\"next\""), "{link}");
        Some(link[start..end].to_string())
    }
}

fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Sends a request; `Err` when the connection fails or the body is cut.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Result<Resp, String> {
    let mut b = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    let req = b
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| e.to_string())?;
    let resp = client()
        .request(req)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    Ok(Resp {
        status,
        headers,
        body,
    })
}

pub fn basic(user: &str, pass: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

/// `POST /token` with a form body.
pub async fn token_request(sb: &Sandbox, client_id: &str, secret: &str, form: &str) -> Resp {
    send(
        "POST",
        &sb.token_url(),
        &[
            ("authorization", basic(client_id, secret)),
            ("content-type", "application/x-www-form-urlencoded".into()),
        ],
        Some(form.as_bytes().to_vec()),
    )
    .await
    .expect("token request")
}

/// A bearer token for the all-scopes client acting as `sub`, obtained over HTTP.
pub async fn token_for(sb: &Sandbox, client_id: &str, secret: &str, sub: i64) -> String {
    let r = token_request(
        sb,
        client_id,
        secret,
        &format!("grant_type=client_credentials&sub={sub}"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

pub async fn admin_token(sb: &Sandbox) -> String {
    token_for(
        sb,
        harvest_sandbox::DEFAULT_CLIENT_ID,
        harvest_sandbox::DEFAULT_CLIENT_SECRET,
        harvest_sandbox::DEFAULT_ADMIN_USER_ID,
    )
    .await
}

/// Authenticated request to a path (`/v3/...`, with query) of the sandbox.
pub async fn call(
    sb: &Sandbox,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Resp {
    let mut headers = vec![("authorization", format!("Bearer {token}"))];
    if body.is_some() {
        headers.push(("content-type", "application/json".into()));
    }
    send(
        method,
        &format!("{}{}", sb.base_url(), path),
        &headers,
        body.map(|b| serde_json::to_vec(&b).expect("json")),
    )
    .await
    .expect("request")
}

pub async fn get(sb: &Sandbox, token: &str, path: &str) -> Resp {
    call(sb, token, "GET", path, None).await
}

/// Follows `Link: rel="next"` from `path`, returning every record and the number of pages.
pub async fn walk(sb: &Sandbox, token: &str, path: &str) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut pages = 0;
    let mut url = format!("{}{}", sb.base_url(), path);
    loop {
        let r = send(
            "GET",
            &url,
            &[("authorization", format!("Bearer {token}"))],
            None,
        )
        .await
        .expect("page");
        assert_eq!(r.status, 200, "{url}: {}", String::from_utf8_lossy(&r.body));
        pages += 1;
        out.extend(r.json().as_array().expect("array").iter().cloned());
        match r.next_link() {
            Some(next) => url = next,
            None => break,
        }
    }
    (out, pages)
}

/// `errors` of a 422 body, as compact JSON text (for `contains` checks).
pub fn errors_text(r: &Resp) -> String {
    r.json()["errors"].to_string()
}
