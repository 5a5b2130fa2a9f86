//! Fault injection: every kind, scripted and probabilistic, set at spawn or at runtime.

mod common;

use std::time::Duration;

use harvest_sandbox::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FaultAction, FaultPlan, SandboxConfig,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_sequence_then_ok() {
    let cfg = SandboxConfig {
        faults: FaultPlan::parse("/v3/candidates=500,502*2,ok,429").expect("spec"),
        ..common::small()
    };
    let sb = common::start(cfg).await;
    let t = common::admin_token(&sb).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(common::get(&sb, &t, "/v3/candidates").await.status);
    }
    assert_eq!(statuses, vec![500, 502, 502, 200, 429, 200]);
    // other routes are untouched
    assert_eq!(common::get(&sb, &t, "/v3/jobs").await.status, 200);
    assert_eq!(sb.stats().by_status.get(&502), Some(&2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_kinds() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    // 429 carries Retry-After
    sb.faults().set_spec("/v3/jobs=429").expect("spec");
    let r = common::get(&sb, &t, "/v3/jobs").await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    // delay then normal answer
    sb.faults()
        .set(FaultPlan::none().script("/v3/jobs", [FaultAction::Delay(Duration::from_millis(50))]));
    assert_eq!(common::get(&sb, &t, "/v3/jobs").await.status, 200);
    // connection reset
    sb.faults().set_spec("/v3/jobs=reset").expect("spec");
    let r = common::send(
        "GET",
        &format!("{}/v3/jobs", sb.base_url()),
        &[("authorization", format!("Bearer {t}"))],
        None,
    )
    .await;
    assert!(r.is_err(), "reset drops the connection: {r:?}");
    // truncated JSON: complete HTTP answer, broken JSON
    sb.faults().set_spec("/v3/jobs=truncate").expect("spec");
    let r = common::get(&sb, &t, "/v3/jobs").await;
    assert_eq!(r.status, 200);
    assert!(!r.body.is_empty());
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    // cut-off body: the transfer itself fails
    sb.faults().set_spec("/v3/jobs=cutoff").expect("spec");
    let r = common::send(
        "GET",
        &format!("{}/v3/jobs", sb.base_url()),
        &[("authorization", format!("Bearer {t}"))],
        None,
    )
    .await;
    assert!(r.is_err(), "cutoff: {r:?}");
    // malformed JSON
    sb.faults().set_spec("/v3/jobs=malformed").expect("spec");
    let r = common::get(&sb, &t, "/v3/jobs").await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    // prefix rules
    sb.faults().set_spec("/v3/*=always:503").expect("spec");
    assert_eq!(common::get(&sb, &t, "/v3/users").await.status, 503);
    assert_eq!(common::get(&sb, &t, "/v3/offers").await.status, 503);
    sb.faults().clear();
    assert_eq!(common::get(&sb, &t, "/v3/jobs").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_down_or_slow() {
    let sb = common::start(SandboxConfig {
        faults: FaultPlan::parse("/token=down,reset,slow:20").expect("spec"),
        ..common::small()
    })
    .await;
    let form = "grant_type=client_credentials&sub=100001";
    assert_eq!(
        common::token_request(&sb, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, form)
            .await
            .status,
        503
    );
    let r = common::send(
        "POST",
        &sb.token_url(),
        &[(
            "authorization",
            common::basic(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        )],
        Some(form.as_bytes().to_vec()),
    )
    .await;
    assert!(r.is_err(), "reset: {r:?}");
    assert_eq!(
        common::token_request(&sb, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, form)
            .await
            .status,
        200,
        "slow, then served"
    );
    assert_eq!(
        common::token_request(&sb, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, form)
            .await
            .status,
        200
    );
    assert_eq!(sb.stats().token_calls, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probabilistic_faults_are_seeded() {
    async fn run(seed: u64) -> Vec<u16> {
        let cfg = SandboxConfig {
            seed,
            faults: FaultPlan::parse("/v3/sources=rate:0.5:503").expect("spec"),
            ..common::small()
        };
        let sb = common::start(cfg).await;
        let t = common::admin_token(&sb).await;
        let mut out = Vec::new();
        for _ in 0..40 {
            out.push(common::get(&sb, &t, "/v3/sources").await.status);
        }
        out
    }
    let a = run(3).await;
    assert_eq!(a, run(3).await, "same seed, same faults");
    let fails = a.iter().filter(|s| **s == 503).count();
    assert!(fails > 5 && fails < 35, "{fails} of 40");
    assert!(a.iter().all(|s| *s == 200 || *s == 503));
}

/// Killed, the sandbox refuses connections; restarted, it serves on the same address with the
/// same data, the tokens it issued before still valid and its faults and counters kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_and_restarted_on_the_same_address() {
    let mut sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let before = common::get(&sb, &t, "/v3/users").await;
    assert_eq!(before.status, 200);
    sb.faults().set_spec("/v3/jobs=500").expect("spec");
    let addr = sb.addr();
    sb.kill().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "refused"
    );
    sb.restart().await.expect("serves again");
    assert_eq!(sb.addr(), addr);
    let after = common::get(&sb, &t, "/v3/users").await;
    assert_eq!(after.status, 200, "the token issued before the kill");
    assert_eq!(after.json(), before.json(), "the same data");
    assert_eq!(
        common::get(&sb, &t, "/v3/jobs").await.status,
        500,
        "faults kept"
    );
    assert_eq!(sb.stats().count("GET", "/v3/users"), 2, "counters kept");
    sb.shutdown().await;
}
