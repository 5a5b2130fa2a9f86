//! The sandbox must accept every v3 call and filter the mapping files make, or the proxy's
//! tests against it prove nothing: each primary call with each translated parameter, and each
//! join call with its batch filter, answers 200 (not 422 "not a permitted query parameter").
use std::collections::BTreeMap;

use harvest_mappings::catalog::ParamRule;
use harvest_mappings::{Catalog, Endpoint};
use harvest_proxy::reader::target;
use harvest_sandbox::{DEFAULT_ADMIN_USER_ID, DEFAULT_CLIENT_ID, SandboxConfig};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

fn fill(s: &str) -> String {
    // Path-parameter placeholders get a plausible id.
    let mut out = String::new();
    let mut in_brace = false;
    for c in s.chars() {
        match c {
            '{' => in_brace = true,
            '}' if in_brace => {
                in_brace = false;
                out.push('1');
            }
            _ if in_brace => {}
            _ => out.push(c),
        }
    }
    out
}

/// The v3 calls one endpoint's mapping makes: its primary call alone and with each
/// translated parameter, its parent check, its joins (with a batch filter value).
fn endpoint_calls(ep: &Endpoint, calls: &mut BTreeMap<String, String>) {
    let primary = &ep.v3[0];
    let base: Vec<(String, String)> = primary
        .query
        .iter()
        .map(|(k, v)| (k.clone(), fill(v)))
        .collect();
    calls.insert(
        format!("{} (primary)", ep.route()),
        target(&primary.path, &base),
    );
    for p in &ep.params {
        let (to, value) = match &p.rule {
            ParamRule::Filter { to, op } => (to.clone(), format!("{op}|2020-01-01T00:00:00Z")),
            ParamRule::Rename { to, map, list } => {
                let v = if *list || p.kind == "integer" {
                    "1".to_string()
                } else if p.kind == "boolean" {
                    map.get("true").cloned().unwrap_or_else(|| "true".into())
                } else if let Some(v) = map.values().find(|v| !v.is_empty()) {
                    v.clone()
                } else {
                    "x".to_string()
                };
                (to.clone(), v)
            }
            _ => continue,
        };
        if value.is_empty() {
            continue;
        }
        let mut q = base.clone();
        q.retain(|(k, _)| k != &to);
        q.push((to.clone(), value));
        calls.insert(
            format!("{} ?{}", ep.route(), p.name),
            target(&primary.path, &q),
        );
    }
    if let Some(ex) = &ep.exists {
        let q: Vec<(String, String)> = ex
            .query
            .iter()
            .map(|(k, v)| (k.clone(), fill(v)))
            .chain([("fields".to_string(), "id".to_string())])
            .collect();
        calls.insert(format!("{} (exists)", ep.route()), target(&ex.path, &q));
    }
    for c in ep.v3.iter().filter(|c| c.from_join) {
        let q: Vec<(String, String)> = c
            .query
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    if v.starts_with('{') {
                        "1".into()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect();
        calls.insert(
            format!("{} join {}", ep.route(), c.path),
            target(&c.path, &q),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_accepts_every_call_the_mappings_make() {
    let catalog = Catalog::embedded().unwrap_or_else(|d| panic!("{d}"));
    let sb = harvest_sandbox::spawn(SandboxConfig {
        scale: 0.02,
        rate_limit: None,
        ..Default::default()
    })
    .await
    .unwrap();
    let token = sb.issue_token(DEFAULT_CLIENT_ID, DEFAULT_ADMIN_USER_ID);
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
    let mut calls: BTreeMap<String, String> = BTreeMap::new();
    for ep in catalog
        .endpoints()
        .iter()
        .filter(|e| e.is_read() && e.status != harvest_mappings::Status::Unsupported)
    {
        endpoint_calls(ep, &mut calls);
    }
    let mut refused = Vec::new();
    for (what, t) in &calls {
        let req = hyper::Request::get(format!("{}{t}", sb.base_url()))
            .header("Authorization", format!("Bearer {token}"))
            .body(Full::new(bytes::Bytes::new()))
            .unwrap();
        let resp = client.request(req).await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        // A known parameter given a value outside its enum is still a supported parameter.
        let text = String::from_utf8_lossy(&body);
        if status != 200 && !(status == 422 && text.contains("is not one of")) {
            refused.push(format!("{what}: GET {t} -> {status} {text}"));
        }
    }
    sb.shutdown().await;
    assert!(calls.len() > 150, "only {} calls checked", calls.len());
    assert!(
        refused.is_empty(),
        "{} of {} calls refused:\n{}",
        refused.len(),
        calls.len(),
        refused.join("\n")
    );
}
