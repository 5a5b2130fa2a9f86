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

/// Header on every write answer: applied, not_applied, partial or unknown.
pub const WRITE_OUTCOME: &str = "x-harvest-proxy-write-outcome";

impl Stack {
    /// A JSON write with the test key, acting as `acting` (v1's On-Behalf-Of) when given.
    pub async fn write(
        &self,
        method: &str,
        path: &str,
        acting: Option<&str>,
        body: &Value,
    ) -> Resp {
        let auth = basic(KEY);
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = acting {
            headers.push(("On-Behalf-Of", a));
        }
        let body = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
        self.request(method, path, Some(&auth), &headers, body)
            .await
    }

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

/// An answer read off a raw TCP connection.
#[derive(Debug)]
pub struct RawResp {
    pub status: u16,
    /// The head, lower-cased.
    pub head: String,
    pub body: String,
}

impl RawResp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.head, self.body))
    }

    /// The v1 error shape: a JSON body with a string `message`.
    pub fn v1_message(&self) -> String {
        assert!(
            self.head.contains("content-type: application/json"),
            "JSON content type expected: {}",
            self.head
        );
        self.json()["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message: {}", self.body))
            .to_string()
    }
}

/// Sends raw bytes and reads until the proxy closes the connection (at most 10 s); `None` if
/// nothing came back.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> Option<RawResp> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let _ = tcp.write_all(request).await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tcp.read_to_end(&mut buf),
    )
    .await;
    parse_raw(&buf)
}

/// The first answer in `buf`.
pub fn parse_raw(buf: &[u8]) -> Option<RawResp> {
    let text = String::from_utf8_lossy(buf);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.get(9..12)?.parse().ok()?;
    Some(RawResp {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_string(),
    })
}

/// A stand-in OAuth token endpoint that answers every request with the status and body in
/// `answer` (tests of what the proxy does with odd token answers). Returns its URL and a
/// count of the requests it got.
pub async fn fake_token_endpoint(
    answer: Arc<std::sync::Mutex<(u16, String)>>,
) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (answer, hits) = (answer.clone(), h.clone());
            let svc = hyper::service::service_fn(move |_req| {
                hits.fetch_add(1, Ordering::SeqCst);
                let (status, body) = answer.lock().unwrap().clone();
                async move {
                    let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
                    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                    r.headers_mut()
                        .insert("content-type", "application/json".parse().unwrap());
                    Ok::<_, std::convert::Infallible>(r)
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), svc),
            );
        }
    });
    (format!("http://{addr}/token"), hits)
}
