//! The proxy as an operator runs it (issue 9): start-up says what the config refuses or warns
//! about, and the logs carry the request id and every upstream failure (SIGHUP reload and
//! SIGTERM drain are rows of the fault matrix: fault_matrix_process.rs). The built binary runs
//! against a sandbox in this process; outcomes are asserted, timeouts only keep a test from
//! hanging.
mod process;

use process::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_carry_the_request_id_and_each_upstream_failure() {
    let sb = harvest_sandbox::spawn(harvest_sandbox::SandboxConfig {
        scale: 0.05,
        ..Default::default()
    })
    .await
    .unwrap();
    let d = temp_dir("logs");
    let cfg = d.join("proxy.toml");
    std::fs::write(
        &cfg,
        config_text(&sb, &[KEY_A], "allow_insecure_upstream = true"),
    )
    .unwrap();
    let proxy = start(&cfg).await;
    sb.faults().set_spec("/v3/sources=500,503,500").unwrap();
    let (status, id, body) = get(&mut connect(proxy.addr).await, "/v1/sources", KEY_A).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(id.len(), 16, "{id}");
    proxy.log_line("legacy request").await;
    let logs = proxy.json_logs();
    let failures: Vec<&Value> = logs
        .iter()
        .filter(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("v3 call failed"))
        })
        .collect();
    assert_eq!(failures.len(), 3, "each failed attempt once: {logs:?}");
    for (n, f) in failures.iter().enumerate() {
        let fields = &f["fields"];
        assert_eq!(fields["v3_path"], "/v3/sources", "{f}");
        assert_eq!(fields["attempt"], n as u64 + 1, "{f}");
        assert_eq!(fields["kind"], "status", "{f}");
        assert!(fields["status"].as_u64().unwrap() >= 500, "{f}");
        assert!(fields["ms"].is_u64(), "{f}");
        assert_eq!(f["span"]["id"], id.as_str(), "{f}");
        assert_eq!(f["span"]["route"], "GET /v1/sources", "{f}");
    }
    let request = logs
        .iter()
        .find(|l| l["fields"]["message"] == "legacy request")
        .unwrap();
    assert_eq!(request["span"]["id"], id.as_str(), "{request}");
    assert_eq!(request["target"], "audit", "{request}");
    let f = &request["fields"];
    assert_eq!(
        (f["request_id"].as_str(), f["status"].as_u64()),
        (Some(id.as_str()), Some(502)),
        "{request}"
    );
    assert_eq!(
        (f["client"].as_str(), f["v3_calls"].as_u64()),
        (Some("127.0.0.1"), Some(3)),
        "{request}"
    );
    let all = proxy.logs.lock().unwrap().join("\n");
    for secret in [
        KEY_A,
        harvest_sandbox::DEFAULT_CLIENT_SECRET,
        "Bearer ",
        "eyJ",
    ] {
        assert!(!all.contains(secret), "{secret} in the logs");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_says_what_the_config_refuses_or_warns_about() {
    let sb = harvest_sandbox::spawn(harvest_sandbox::SandboxConfig {
        scale: 0.0,
        ..Default::default()
    })
    .await
    .unwrap();
    let d = temp_dir("startup");
    let cfg = d.join("proxy.toml");
    let refusals = [
        (config_text(&sb, &[KEY_A], ""), "allow_insecure_upstream"),
        (
            config_text(
                &sb,
                &[KEY_A],
                "allow_insecure_upstream = true\n[limits]\nupstream_timeout_ms = 0",
            ),
            "upstream_timeout_ms must be greater than 0",
        ),
    ];
    for (text, says) in refusals {
        std::fs::write(&cfg, text).unwrap();
        let out = command(&cfg).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
    }
    std::fs::write(
        &cfg,
        config_text(&sb, &[], "allow_insecure_upstream = true"),
    )
    .unwrap();
    let mut proxy = start(&cfg).await;
    proxy.log_line("no [[keys]] are configured").await;
    assert_eq!(get_new(proxy.addr, "/v1/sources", KEY_A).await, 401);
    proxy.signal("-TERM");
    assert_eq!(proxy.exit_code().await, Some(0));
    let _ = std::fs::remove_dir_all(&d);
}
