//! Helpers for cross-crate tests: a sandbox (simulated Harvest v3) with harvest-proxy in front
//! of it, and a small HTTP client.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

pub use harvest_proxy::{Running, State};
pub use harvest_sandbox::{Sandbox, SandboxConfig};

/// The legacy API key every test stack accepts.
pub const KEY: &str = "test-legacy-key";

/// `reference/` of the repository (the Harvest reference data; see reference/README.md).
pub fn reference() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../reference")
}

pub struct Stack {
    pub sandbox: Sandbox,
    pub state: Arc<State>,
    pub proxy: Running,
    client: Client<HttpConnector, Full<Bytes>>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The `rel` target of the Link header.
    pub fn link(&self, rel: &str) -> Option<String> {
        let h = self.header("link")?;
        h.split(',').find_map(|part| {
            let (url, params) = part.split_once(';')?;
            params.contains(&format!("rel=\"{rel}\"")).then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
        })
    }
}

/// A small generated data set (about 50 candidates): enough for behaviour tests.
pub fn small() -> SandboxConfig {
    SandboxConfig {
        scale: 0.05,
        ..Default::default()
    }
}

pub fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

impl Stack {
    pub async fn start(sandbox: SandboxConfig) -> Stack {
        Stack::start_with(sandbox, |_| {}).await
    }

    /// Starts with a hook to adjust the proxy config.
    pub async fn start_with(
        sandbox: SandboxConfig,
        adjust: impl FnOnce(&mut harvest_proxy::Config),
    ) -> Stack {
        let sb = harvest_sandbox::spawn(sandbox)
            .await
            .expect("sandbox starts");
        let mut config =
            harvest_proxy::sandbox::config_for(&sb, SocketAddr::from(([127, 0, 0, 1], 0)), KEY);
        adjust(&mut config);
        let (state, proxy) = harvest_proxy::start(config).await.expect("proxy starts");
        let client = Client::builder(TokioExecutor::new()).build_http();
        Stack {
            sandbox: sb,
            state,
            proxy,
            client,
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.proxy.addr, path_and_query)
    }

    /// GET with the test key.
    pub async fn get(&self, path_and_query: &str) -> Resp {
        self.request("GET", path_and_query, Some(&basic(KEY)), &[], Bytes::new())
            .await
    }

    /// GET an absolute URL (e.g. a Link target) with the test key.
    pub async fn get_url(&self, url: &str) -> Resp {
        let pq = url
            .split_once("://")
            .and_then(|(_, r)| r.find('/').map(|i| r[i..].to_string()))
            .unwrap_or_default();
        self.get(&pq).await
    }

    pub async fn request(
        &self,
        method: &str,
        path_and_query: &str,
        auth: Option<&str>,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Resp {
        let mut b = hyper::Request::builder()
            .method(method)
            .uri(self.url(path_and_query));
        if let Some(a) = auth {
            b = b.header("Authorization", a);
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(Full::new(body)).expect("request");
        let resp = self.client.request(req).await.expect("proxy answers");
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        Resp {
            status: parts.status.as_u16(),
            headers: parts.headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn stop(self) {
        self.proxy.shutdown().await;
        self.sandbox.shutdown().await;
    }
}
