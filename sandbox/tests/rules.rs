//! Each documented platform rule, enforced.

mod common;

use std::time::Duration;

use harvest_sandbox::{
    DEFAULT_ADMIN_USER_ID, DEFAULT_BASIC_USER_ID, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
    LIMITED_CLIENT_ID, LIMITED_CLIENT_SECRET, Sandbox, SandboxConfig,
};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_token_is_required() {
    let sb = common::start(common::small()).await;
    let unauth_body = json!({"message":"Unauthorized","errors":["Token could not be decoded. Please ensure your token is from a trusted source."]});
    let r = common::send(
        "GET",
        &format!("{}/v3/candidates", sb.base_url()),
        &[],
        None,
    )
    .await
    .expect("req");
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), unauth_body);
    for bad in [
        "garbage",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMDAwMDEifQ.",
    ] {
        let r = common::get(&sb, bad, "/v3/candidates").await;
        assert_eq!(r.status, 401, "{bad}");
    }
    // Basic auth is not accepted on v3
    let r = common::send(
        "GET",
        &format!("{}/v3/candidates", sb.base_url()),
        &[(
            "authorization",
            common::basic(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        )],
        None,
    )
    .await
    .expect("req");
    assert_eq!(r.status, 401);
    // a token minted by another sandbox (different key) is not trusted
    let other = common::start(common::small()).await;
    let foreign = other.issue_token(DEFAULT_CLIENT_ID, DEFAULT_ADMIN_USER_ID);
    assert_eq!(
        common::get(&sb, &foreign, "/v3/candidates").await.status,
        401
    );
    // expired tokens are refused
    let expiring = common::start(SandboxConfig {
        token_lifetime: Duration::ZERO,
        ..common::small()
    })
    .await;
    let t = common::admin_token(&expiring).await;
    assert_eq!(
        common::get(&expiring, &t, "/v3/candidates").await.status,
        401
    );
    // a valid token works
    let t = common::admin_token(&sb).await;
    assert_eq!(common::get(&sb, &t, "/v3/candidates").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_and_site_admin_are_enforced() {
    let sb = common::start(common::small()).await;
    let limited = common::token_for(
        &sb,
        LIMITED_CLIENT_ID,
        LIMITED_CLIENT_SECRET,
        DEFAULT_ADMIN_USER_ID,
    )
    .await;
    assert_eq!(
        common::get(&sb, &limited, "/v3/candidates").await.status,
        200
    );
    let r = common::get(&sb, &limited, "/v3/jobs").await;
    assert_eq!(r.status, 403);
    assert!(common::errors_text(&r).contains("harvest:jobs:list"));
    let r = common::call(
        &sb,
        &limited,
        "POST",
        "/v3/candidates",
        Some(json!({"first_name": "A", "last_name": "B"})),
    )
    .await;
    assert_eq!(r.status, 403, "create needs harvest:candidates:create");
    // non-admin sub: reads refused, writes allowed
    let basic = common::token_for(
        &sb,
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        DEFAULT_BASIC_USER_ID,
    )
    .await;
    let r = common::get(&sb, &basic, "/v3/candidates").await;
    assert_eq!(r.status, 403);
    assert!(common::errors_text(&r).contains("site admin"));
    let r = common::call(
        &sb,
        &basic,
        "POST",
        "/v3/candidate_tags",
        Some(json!({"name": "From basic user"})),
    )
    .await;
    assert_eq!(r.status, 201);
}

/// A sandbox and an admin token for it.
async fn admin_sandbox() -> (Sandbox, String) {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    (sb, t)
}

/// The status of an authenticated GET.
async fn status(sb: &Sandbox, t: &str, path: &str) -> u16 {
    common::get(sb, t, path).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_must_be_alone() {
    let (sb, t) = admin_sandbox().await;
    let r = common::get(&sb, &t, "/v3/candidates?per_page=2").await;
    let next = r.next_link().expect("next");
    for extra in ["&per_page=5", "&status=rejected", "&ids=1"] {
        let r = common::send(
            "GET",
            &format!("{next}{extra}"),
            &[("authorization", format!("Bearer {t}"))],
            None,
        )
        .await
        .expect("req");
        assert_eq!(r.status, 422, "{extra}");
        assert_eq!(
            r.json(),
            json!({"message":"Unprocessable Content","errors":["When passing a cursor, do not include other query params."]})
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_page_is_between_1_and_500() {
    let (sb, t) = admin_sandbox().await;
    for (pp, want) in [
        ("0", 422),
        ("501", 422),
        ("600", 422),
        ("abc", 422),
        ("-1", 422),
        ("1", 200),
        ("500", 200),
    ] {
        assert_eq!(
            status(&sb, &t, &format!("/v3/candidates?per_page={pp}")).await,
            want,
            "per_page={pp}"
        );
    }
    let r = common::get(&sb, &t, "/v3/candidates?per_page=600").await;
    assert!(common::errors_text(&r).contains("greater than: 500"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_lists_hold_at_most_50_integers() {
    let (sb, t) = admin_sandbox().await;
    let fifty: Vec<String> = (1..=50).map(|i| i.to_string()).collect();
    let fifty_one: Vec<String> = (1..=51).map(|i| i.to_string()).collect();
    let fifty_one = fifty_one.join(",");
    assert_eq!(
        status(&sb, &t, &format!("/v3/candidates?ids={}", fifty.join(","))).await,
        200
    );
    assert_eq!(
        status(&sb, &t, &format!("/v3/candidates?ids={fifty_one}")).await,
        422
    );
    assert_eq!(
        status(
            &sb,
            &t,
            &format!("/v3/applications?candidate_ids={fifty_one}")
        )
        .await,
        422
    );
    assert_eq!(status(&sb, &t, "/v3/candidates?ids=1,x").await, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_parameters_and_v1_names_are_refused() {
    let (sb, t) = admin_sandbox().await;
    for q in ["created_after=2020-01-01", "page=2", "foo=bar", "job_id=1"] {
        assert_eq!(
            status(&sb, &t, &format!("/v3/candidates?{q}")).await,
            422,
            "{q}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_at_and_updated_at_are_exclusive() {
    let (sb, t) = admin_sandbox().await;
    let r = common::get(
        &sb,
        &t,
        "/v3/candidates?created_at=gte|2020-01-01T00:00:00Z&updated_at=gte|2020-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(common::errors_text(&r).contains("not both"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_date_filter_syntax_is_refused() {
    let (sb, t) = admin_sandbox().await;
    for q in [
        "created_at=2020-01-01",
        "created_at=after|2020-01-01T00:00:00Z",
        "created_at=gte|yesterday",
        "created_at=gte|2020-01-01T00:00:00Z|gte|2021-01-01T00:00:00Z",
        "created_at=gte",
    ] {
        assert_eq!(
            status(&sb, &t, &format!("/v3/candidates?{q}")).await,
            422,
            "{q}"
        );
    }
}

fn ts(v: &Value, f: &str) -> i64 {
    harvest_sandbox::time::parse_iso(v[f].as_str().expect("ts")).expect("iso")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn date_filter_operators() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let all = sb.records("applications");
    let mut times: Vec<i64> = all.iter().map(|a| ts(a, "created_at")).collect();
    times.sort_unstable();
    let lo = times[times.len() / 4];
    let hi = times[3 * times.len() / 4];
    let iso = harvest_sandbox::time::iso_ms;
    type Pred = Box<dyn Fn(i64) -> bool>;
    let cases: Vec<(String, Pred)> = vec![
        (format!("gte|{}", iso(lo)), Box::new(move |x| x >= lo)),
        (format!("gt|{}", iso(lo)), Box::new(move |x| x > lo)),
        (format!("lte|{}", iso(lo)), Box::new(move |x| x <= lo)),
        (format!("lt|{}", iso(lo)), Box::new(move |x| x < lo)),
        (
            format!("gte|{}|lt|{}", iso(lo), iso(hi)),
            Box::new(move |x| x >= lo && x < hi),
        ),
        (
            format!("gt|{}|lte|{}", iso(lo), iso(hi)),
            Box::new(move |x| x > lo && x <= hi),
        ),
    ];
    for (q, pred) in cases {
        let expected: Vec<Value> = all
            .iter()
            .filter(|a| pred(ts(a, "created_at")))
            .cloned()
            .collect();
        let (got, _) = common::walk(
            &sb,
            &t,
            &format!(
                "/v3/applications?created_at={}&per_page=500",
                q.replace('|', "%7C")
            ),
        )
        .await;
        assert_eq!(got, expected, "created_at={q}");
    }
    // second-precision and offset forms are accepted
    let r = common::get(
        &sb,
        &t,
        "/v3/applications?updated_at=gte|2020-01-01T01:00:00%2B01:00",
    )
    .await;
    assert_eq!(r.status, 200);
    // resource-specific date fields use the same syntax
    let r = common::get(
        &sb,
        &t,
        &format!("/v3/applications?last_activity_at=gte|{}", iso(hi)),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(
        r.json()
            .as_array()
            .expect("array")
            .iter()
            .all(|a| ts(a, "last_activity_at") >= hi)
    );
}

/// The records of a successful list response.
fn records(r: &common::Resp) -> Vec<Value> {
    r.json().as_array().cloned().expect("array")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_selects_the_returned_keys() {
    let (sb, t) = admin_sandbox().await;
    let r = common::get(&sb, &t, "/v3/job_posts?fields=id,title&per_page=3").await;
    for rec in records(&r) {
        let keys: Vec<&String> = rec.as_object().expect("obj").keys().collect();
        assert_eq!(keys, vec!["id", "title"]);
    }
    assert_eq!(status(&sb, &t, "/v3/job_posts?fields=id,nope").await, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_status_active_is_served_as_in_process() {
    let (sb, t) = admin_sandbox().await;
    let r = common::get(&sb, &t, "/v3/applications?status=active&per_page=500").await;
    let apps = records(&r);
    assert!(!apps.is_empty());
    assert!(apps.iter().all(|a| a["status"] == "in_process"));
    assert_eq!(
        status(&sb, &t, "/v3/applications?status=in_process").await,
        422
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn current_only_keeps_the_highest_offer_version_per_application() {
    let (sb, t) = admin_sandbox().await;
    let offers = sb.records("offers");
    let (current, _) = common::walk(&sb, &t, "/v3/offers?current_only=true&per_page=500").await;
    let apps_with_offers: std::collections::BTreeSet<i64> = offers
        .iter()
        .filter_map(|o| o["application_id"].as_i64())
        .collect();
    assert_eq!(current.len(), apps_with_offers.len());
    assert!(
        offers.len() > current.len(),
        "some applications have several offer versions"
    );
    for o in &current {
        assert!(
            offers
                .iter()
                .filter(|x| x["application_id"] == o["application_id"])
                .all(|x| x["version"].as_i64() <= o["version"].as_i64())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_field_key_selects_the_options_of_that_field() {
    let (sb, t) = admin_sandbox().await;
    let r = common::get(
        &sb,
        &t,
        "/v3/custom_field_options?custom_field_key=degree&per_page=500",
    )
    .await;
    let opts = records(&r);
    assert!(!opts.is_empty());
    let degree_id = sb
        .records("custom_fields")
        .into_iter()
        .find(|f| f["name_key"] == "degree")
        .expect("degree")["id"]
        .clone();
    assert!(opts.iter().all(|o| o["custom_field_id"] == degree_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_accounts_are_hidden_unless_asked_for() {
    let (sb, t) = admin_sandbox().await;
    let service = harvest_sandbox::SERVICE_ACCOUNT_USER_ID;
    let (users, _) = common::walk(&sb, &t, "/v3/users?per_page=500").await;
    assert!(users.iter().all(|u| u["id"] != service));
    let (users, _) =
        common::walk(&sb, &t, "/v3/users?per_page=500&show_service_accounts=true").await;
    assert!(users.iter().any(|u| u["id"] == service));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_and_token_filters_find_the_record() {
    let (sb, t) = admin_sandbox().await;
    let u = sb
        .records("users")
        .into_iter()
        .find(|u| u["id"] == DEFAULT_ADMIN_USER_ID)
        .expect("admin user");
    let r = common::get(
        &sb,
        &t,
        &format!(
            "/v3/users?primary_email={}",
            u["primary_email"].as_str().expect("email")
        ),
    )
    .await;
    assert_eq!(records(&r).len(), 1);
    let c = sb
        .records("candidates")
        .into_iter()
        .find(|c| !c["email_addresses"].as_array().expect("arr").is_empty())
        .expect("candidate with email");
    let r = common::get(
        &sb,
        &t,
        &format!(
            "/v3/candidates?email={}",
            c["email_addresses"][0]["value"].as_str().expect("v")
        ),
    )
    .await;
    assert_eq!(records(&r)[0]["id"], c["id"]);
    let link = sb
        .records("tracking_links")
        .into_iter()
        .next()
        .expect("tracking link");
    let r = common::get(
        &sb,
        &t,
        &format!(
            "/v3/tracking_links?token={}",
            link["token"].as_str().expect("token")
        ),
    )
    .await;
    assert_eq!(r.json(), json!([link]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enum_id_and_bool_field_filters() {
    let (sb, t) = admin_sandbox().await;
    let r = common::get(&sb, &t, "/v3/custom_fields?field_type=offer&per_page=500").await;
    assert!(records(&r).iter().all(|f| f["field_type"] == "offer"));
    assert_eq!(
        status(&sb, &t, "/v3/custom_fields?field_type=nonsense").await,
        422
    );
    let job = sb.records("job_posts")[0]["job_id"].clone();
    let r = common::get(&sb, &t, &format!("/v3/job_posts?job_id={job}")).await;
    assert!(records(&r).iter().all(|p| p["job_id"] == job));
    let r = common::get(&sb, &t, "/v3/application_stages?current=true&per_page=50").await;
    assert!(records(&r).iter().all(|s| s["current"] == true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_single_record_or_nested_routes() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    for path in [
        "/v3/jobs/5",
        "/v3/candidates/48000001",
        "/v3/jobs/5/job_posts",
        "/v3/nope",
        "/v1/candidates",
        "/",
    ] {
        let r = common::send("GET", &format!("{}{path}", sb.base_url()), &[], None)
            .await
            .expect("req");
        assert_eq!(r.status, 404, "{path} unauthenticated");
        assert_eq!(r.json(), json!({"message": "Resource not found"}));
        assert_eq!(
            common::get(&sb, &t, path).await.status,
            404,
            "{path} authenticated"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_headers_and_429() {
    let sb = common::start(SandboxConfig {
        rate_limit: Some((3, Duration::from_secs(3600))),
        ..common::small()
    })
    .await;
    let t = common::admin_token(&sb).await;
    for remaining in [2, 1, 0] {
        let r = common::get(&sb, &t, "/v3/sources").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ratelimit-limit").as_deref(), Some("3"));
        assert_eq!(
            r.header("x-ratelimit-remaining"),
            Some(remaining.to_string())
        );
        let reset: i64 = r
            .header("x-ratelimit-reset")
            .expect("reset")
            .parse()
            .expect("epoch");
        assert!(reset > harvest_sandbox::time::now_ms() / 1000);
        assert!(r.header("retry-after").is_none());
    }
    let r = common::get(&sb, &t, "/v3/sources").await;
    assert_eq!(r.status, 429);
    let retry: i64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("secs");
    assert!(retry >= 1);
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("0"));
    // errors carry the headers too; token endpoint is metered separately
    let other = common::get(&sb, "bad-token", "/v3/sources").await;
    assert_eq!(other.status, 401);
    assert!(other.header("x-ratelimit-limit").is_some());
    assert_eq!(
        common::token_request(
            &sb,
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            "grant_type=client_credentials"
        )
        .await
        .status,
        200
    );
    sb.reset_rate_limit();
    assert_eq!(common::get(&sb, &t, "/v3/sources").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_never_breaks_the_server() {
    let sb = common::start(common::small()).await;
    let t = common::admin_token(&sb).await;
    let queries = [
        "ids=%C3%A9%C3%A9%C3%A9",
        "ids=99999999999999999999999",
        "per_page=99999999999999999999",
        "created_at=gte|%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9",
        "created_at=%7C%7C%7C%7C",
        "fields=",
        "ids=",
        "cursor=%00%01",
        "cursor=",
        "status=%F0%9F%92%A5",
        "updated_at=lt|2020-01-01T00:00:00.%C3%A9Z",
        "%ZZ=1",
        "a&b&c",
        "show_service_accounts=maybe",
    ];
    for q in queries {
        let r = common::get(&sb, &t, &format!("/v3/candidates?{q}")).await;
        assert!(r.status == 422 || r.status == 200, "{q}: {}", r.status);
    }
    let bodies: [&[u8]; 5] = [
        b"",
        b"[]",
        b"\xff\xfe",
        b"{\"first_name\": {\"x\": 1}, \"last_name\": \"\\u00e9\"}",
        b"{\"start_date\": \"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}",
    ];
    for b in bodies {
        for path in ["/v3/candidates", "/v3/candidate_employments"] {
            let r = common::send(
                "POST",
                &format!("{}{path}", sb.base_url()),
                &[("authorization", format!("Bearer {t}"))],
                Some(b.to_vec()),
            )
            .await
            .expect("req");
            assert!(
                r.status == 400 || r.status == 422,
                "{path} {:?}: {}",
                String::from_utf8_lossy(b),
                r.status
            );
        }
    }
    let r = common::call(&sb, &t, "POST", "/v3/candidate_employments", Some(json!({"candidate_id": sb.records("candidates")[0]["id"], "company_name": "X", "title": "Y", "start_date": "aééééééé"}))).await;
    assert_eq!(r.status, 422);
    for auth in ["Bearer", "Bearer ....", "Basic ###", "Bearer \u{e9}"] {
        let r = common::send(
            "GET",
            &format!("{}/v3/candidates", sb.base_url()),
            &[("authorization", auth.to_string())],
            None,
        )
        .await
        .expect("req");
        assert_eq!(r.status, 401, "{auth}");
    }
    assert_eq!(
        common::get(&sb, &t, "/v3/sources").await.status,
        200,
        "still serving"
    );
}
