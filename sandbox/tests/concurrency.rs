//! Many concurrent requests are served, and the counters see each of them once.

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_requests() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let base = sb.base_url();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let url = format!("{base}/v3/candidates?per_page={}", 1 + i % 5);
        let auth = format!("Bearer {t}");
        tasks.push(tokio::spawn(async move {
            common::send("GET", &url, &[("authorization", auth)], None)
                .await
                .map(|r| r.status)
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("join"), Ok(200));
    }
    let stats = sb.stats();
    assert_eq!(stats.count("GET", "/v3/candidates"), 100);
    assert_eq!(stats.token_calls, 1);
    assert_eq!(stats.v3_calls(), 100);
    sb.reset_stats();
    assert_eq!(sb.stats().total, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_serving() {
    let sb = common::start(common::small()).await;
    let url = format!("{}/v3/jobs", sb.base_url());
    assert!(common::send("GET", &url, &[], None).await.is_ok());
    sb.shutdown().await;
    assert!(common::send("GET", &url, &[], None).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_http2_cleartext() {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Empty};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let client = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Empty<Bytes>>();
    let req = hyper::Request::get(format!("{}/v3/sources", sb.base_url()))
        .header("authorization", format!("Bearer {t}"))
        .body(Empty::new())
        .expect("request");
    let resp = client.request(req).await.expect("h2 response");
    assert_eq!(resp.version(), hyper::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert!(!v.as_array().expect("array").is_empty());
}
