//! Token endpoint behaviour, expiry styles, the legacy-key transition endpoint, credential files.

mod common;

use base64::Engine;
use harvest_sandbox::{
    Credentials, DEFAULT_ADMIN_USER_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    DEFAULT_LEGACY_KEY, ExpiryStyle, SandboxConfig,
};
use serde_json::{Value, json};

fn jwt_payload(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "JWT-looking token");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .expect("b64");
    serde_json::from_slice(&bytes).expect("payload json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_errors() {
    let sb = common::start(common::small()).await;
    let url = sb.token_url();
    // no credential
    let r = common::send(
        "POST",
        &url,
        &[],
        Some(b"grant_type=client_credentials".to_vec()),
    )
    .await
    .expect("req");
    assert_eq!(r.status, 401);
    let b = r.json();
    assert_eq!(b["message"], "Unauthorized");
    assert!(b["errorId"].as_str().expect("errorId").starts_with("err-"));
    // unknown id / wrong secret
    for (id, secret) in [("nobody", "x"), (DEFAULT_CLIENT_ID, "wrong")] {
        let r = common::token_request(&sb, id, secret, "grant_type=client_credentials").await;
        assert_eq!(r.status, 401);
        assert_eq!(r.json(), json!({"error": "invalid_client"}));
    }
    // missing grant_type
    let r =
        common::token_request(&sb, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, "sub=100001").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"message": "Must include `grant_type` parameter in /token request"})
    );
    // bad grant_type lists the accepted grants
    let r = common::token_request(
        &sb,
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        "grant_type=password",
    )
    .await;
    assert_eq!(r.status, 400);
    let msg = r.json()["message"].as_str().expect("message").to_string();
    for g in [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    ] {
        assert!(msg.contains(g), "{msg}");
    }
    // unknown or non-numeric sub
    assert_eq!(
        common::token_request(
            &sb,
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            "grant_type=client_credentials&sub=999"
        )
        .await
        .status,
        400
    );
    assert_eq!(
        common::token_request(
            &sb,
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            "grant_type=client_credentials&sub=abc"
        )
        .await
        .status,
        400
    );
    // the call count is visible
    assert_eq!(sb.stats().token_calls, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_carries_sub_and_default_expiry_is_expires_at() {
    let sb = common::start(common::small()).await;
    let r = common::token_request(
        &sb,
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        "grant_type=client_credentials&sub=100001",
    )
    .await;
    assert_eq!(r.status, 200);
    let b = r.json();
    assert_eq!(b["token_type"], "Bearer");
    let exp = harvest_sandbox::time::parse_iso(b["expires_at"].as_str().expect("expires_at"))
        .expect("RFC 3339");
    let now = harvest_sandbox::time::now_ms();
    assert!(
        exp > now + 3_000_000 && exp <= now + 3_601_000,
        "about one hour"
    );
    assert!(b.get("expires_in").is_none() && b.get("expires").is_none());
    let payload = jwt_payload(b["access_token"].as_str().expect("token"));
    assert_eq!(payload["sub"], "100001");
    // no sub → the integration service user (site admin), tokens still work
    let r = common::token_request(
        &sb,
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        "grant_type=client_credentials",
    )
    .await;
    let t = r.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(
        jwt_payload(&t)["sub"],
        harvest_sandbox::SERVICE_ACCOUNT_USER_ID.to_string()
    );
    assert_eq!(common::get(&sb, &t, "/v3/sources").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_styles_are_configurable() {
    for (style, field) in [
        (ExpiryStyle::ExpiresAt, "expires_at"),
        (ExpiryStyle::ExpiresIn, "expires_in"),
        (ExpiryStyle::Expires, "expires"),
    ] {
        let sb = common::start(SandboxConfig {
            expiry_style: style,
            token_lifetime: std::time::Duration::from_secs(120),
            ..common::small()
        })
        .await;
        let r = common::token_request(
            &sb,
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            "grant_type=client_credentials&sub=100001",
        )
        .await;
        let b = r.json();
        let keys: Vec<&String> = b.as_object().expect("obj").keys().collect();
        assert_eq!(keys, vec!["access_token", "token_type", field], "{style:?}");
        match style {
            ExpiryStyle::ExpiresIn => {
                assert!((100..=120).contains(&b[field].as_i64().expect("int seconds")))
            }
            _ => assert!(
                harvest_sandbox::time::parse_iso(b[field].as_str().expect("string")).is_some()
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_key_exchange() {
    let sb = common::start(common::small()).await;
    let url = sb.legacy_token_url();
    let r = common::send(
        "POST",
        &url,
        &[
            ("authorization", common::basic(DEFAULT_LEGACY_KEY, "")),
            ("content-type", "application/json".into()),
        ],
        Some(br#"{"sub": 100001}"#.to_vec()),
    )
    .await
    .expect("req");
    assert_eq!(r.status, 200);
    let b = r.json();
    let keys: Vec<&String> = b.as_object().expect("obj").keys().collect();
    assert_eq!(keys, vec!["token_type", "access_token", "expires"]);
    let t = b["access_token"].as_str().expect("token");
    assert_eq!(jwt_payload(t)["sub"], "100001");
    assert_eq!(common::get(&sb, t, "/v3/candidates").await.status, 200);
    // no body is fine
    let r = common::send(
        "POST",
        &url,
        &[("authorization", common::basic(DEFAULT_LEGACY_KEY, ""))],
        None,
    )
    .await
    .expect("req");
    assert_eq!(r.status, 200);
    // bad key
    let r = common::send(
        "POST",
        &url,
        &[("authorization", common::basic("not-a-key", ""))],
        None,
    )
    .await
    .expect("req");
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"message": "Invalid credentials"}));
    assert_eq!(sb.stats().legacy_token_calls, 3);
    // the legacy endpoint is not /token and vice versa
    let r = common::send("GET", &url, &[], None).await.expect("req");
    assert_eq!(r.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_file_replaces_defaults() {
    let creds = Credentials::from_json(
        r#"{"clients":[{"id":"mine","secret":"s3cret","scopes":["harvest:users:list"]}],
            "users":[{"id":4242,"site_admin":true},{"id":4343,"site_admin":false}],
            "legacy_keys":[{"key":"k1","scopes":"all"}]}"#,
    )
    .expect("credentials");
    let sb = common::start(SandboxConfig {
        credentials: creds,
        ..common::small()
    })
    .await;
    assert_eq!(
        common::token_request(
            &sb,
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            "grant_type=client_credentials"
        )
        .await
        .status,
        401
    );
    let t = common::token_for(&sb, "mine", "s3cret", 4242).await;
    let (users, _) = common::walk(&sb, &t, "/v3/users?per_page=500").await;
    let ids: Vec<i64> = users.iter().filter_map(|u| u["id"].as_i64()).collect();
    assert!(
        ids.contains(&4242) && ids.contains(&4343),
        "credential users are part of the data"
    );
    assert!(!ids.contains(&DEFAULT_ADMIN_USER_ID));
    assert!(users.iter().find(|u| u["id"] == 4242).expect("4242")["site_admin"] == true);
    // the generated data references them
    let team: Vec<Value> = sb
        .records("job_owners")
        .into_iter()
        .chain(sb.records("job_hiring_managers"))
        .collect();
    let all_users: Vec<i64> = sb
        .records("users")
        .iter()
        .filter_map(|u| u["id"].as_i64())
        .collect();
    assert!(
        team.iter()
            .all(|r| all_users.contains(&r["user_id"].as_i64().expect("user_id")))
    );
    assert_eq!(
        common::get(&sb, &t, "/v3/candidates").await.status,
        403,
        "scope list is honoured"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_tokens_are_independent() {
    let sb = common::start(common::small()).await;
    let a = common::admin_token(&sb).await;
    let b = common::admin_token(&sb).await;
    assert_ne!(a, b);
    assert_eq!(common::get(&sb, &a, "/v3/sources").await.status, 200);
    assert_eq!(common::get(&sb, &b, "/v3/sources").await.status, 200);
    assert_eq!(sb.stats().token_calls, 2);
    assert_eq!(sb.stats().count("GET", "/v3/sources"), 2);
}
