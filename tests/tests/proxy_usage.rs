//! The usage report of legacy keys (docs/usage.md): 10,000 concurrent requests of mixed keys,
//! routes and statuses through the real proxy against the sandbox are counted exactly, per
//! key, route, day and status, and survive a restart; the admin listener's access rules; the
//! page in headless Chromium (hover, screenshot).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use harvest_proxy::Config;
use harvest_proxy::access::{Permissions, Rule};
use harvest_proxy::auth::key_hash;
use harvest_proxy::secret::Secret;
use harvest_proxy::usage::{self, Format, Month, Report};
use harvest_tests::{KEY, Stack, basic};
use serde_json::{Value, json};

const READER_KEY: &str = "reader-legacy-key";
const TOKEN: &str = "usage-test-admin-token-0123456789";
const REQUESTS: usize = 10_000;
const IN_FLIGHT: usize = 200;

fn sandbox() -> harvest_tests::SandboxConfig {
    harvest_tests::SandboxConfig {
        rate_limit: None,
        ..harvest_tests::small()
    }
}

/// Two keys (the test key may call everything, `reader` only users and one candidate) and
/// the store in `store`.
fn configure(c: &mut Config, store: &Path) {
    c.store = Some(store.to_path_buf());
    c.limits.max_connections = 4096;
    c.limits.max_connections_per_ip = 4096;
    // Every request is let in (admission control is not what is tested here).
    c.limits.admission.in_flight = IN_FLIGHT * 2;
    c.limits.admission.in_flight_per_tenant = IN_FLIGHT * 2;
    c.limits.admission.queue = IN_FLIGHT * 2;
    let mut reader = c.keys[0].clone();
    reader.sha256 = key_hash(READER_KEY);
    reader.label = "reader".into();
    reader.endpoints = Permissions::from_rules(
        ["GET /v1/users", "GET /v1/candidates/{id}"]
            .iter()
            .map(|t| Rule {
                text: t.to_string(),
                line: 0,
            })
            .collect(),
    );
    c.keys.push(reader);
}

/// One kind of request: who sends it, what, the status it must get and the route the
/// catalogue gives it (None: the unknown-key bucket).
struct Kind {
    key: Option<&'static str>,
    label: Option<&'static str>,
    method: &'static str,
    path: &'static str,
    route: &'static str,
    status: u16,
}

const KINDS: [Kind; 10] = [
    Kind {
        key: Some(KEY),
        label: Some("sandbox-demo"),
        method: "GET",
        path: "/v1/users?per_page=1",
        route: "GET /v1/users",
        status: 200,
    },
    Kind {
        key: Some(KEY),
        label: Some("sandbox-demo"),
        method: "GET",
        path: "/v1/candidates/999999999",
        route: "GET /v1/candidates/{id}",
        status: 404,
    },
    Kind {
        key: Some(KEY),
        label: Some("sandbox-demo"),
        method: "GET",
        path: "/v1/nowhere",
        route: "unmatched",
        status: 404,
    },
    Kind {
        key: Some("not-a-configured-key"),
        label: None,
        method: "GET",
        path: "/v1/users",
        route: "-",
        status: 401,
    },
    Kind {
        key: None,
        label: None,
        method: "GET",
        path: "/v1/users",
        route: "-",
        status: 401,
    },
    Kind {
        key: Some(READER_KEY),
        label: Some("reader"),
        method: "GET",
        path: "/v1/sources",
        route: "GET /v1/sources",
        status: 403,
    },
    Kind {
        key: Some(READER_KEY),
        label: Some("reader"),
        method: "GET",
        path: "/v1/users?per_page=2",
        route: "GET /v1/users",
        status: 200,
    },
    Kind {
        key: Some(KEY),
        label: Some("sandbox-demo"),
        method: "GET",
        path: "/v1/candidates?created_after=notadate",
        route: "GET /v1/candidates",
        status: 422,
    },
    Kind {
        key: Some(KEY),
        label: Some("sandbox-demo"),
        method: "PUT",
        // A write refused before any v3 call (v1's `fields` is required).
        path: "/v1/candidates/5/anonymize",
        route: "PUT /v1/candidates/{id}/anonymize",
        status: 422,
    },
    Kind {
        key: Some(KEY),
        label: Some("sandbox-demo"),
        method: "DELETE",
        path: "/v1/sources",
        route: "unmatched",
        status: 404,
    },
];

/// Distinct On-Behalf-Of users the writes act as.
const ACTORS: usize = 7;

type Tally = BTreeMap<(String, String, u16), u64>;

/// Sends `REQUESTS` requests at once (at most `IN_FLIGHT` open), mixed over [`KINDS`];
/// returns what the client got, per (credential, route, status).
async fn send_all(s: &Arc<Stack>) -> Tally {
    let gate = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|i| {
            let (s, gate) = (s.clone(), gate.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.unwrap();
                let k = &KINDS[i % KINDS.len()];
                let auth = k.key.map(basic);
                let actor = ((i / KINDS.len()) % ACTORS + 100).to_string();
                let headers = [("On-Behalf-Of", actor.as_str())];
                let r = s
                    .request(k.method, k.path, auth.as_deref(), &headers, Bytes::new())
                    .await;
                assert_eq!(r.status, k.status, "{} {}: {}", k.method, k.path, r.text);
                (i % KINDS.len(), r.status)
            })
        })
        .collect();
    let mut tally = Tally::new();
    for t in tasks {
        let (kind, status) = t.await.expect("request task");
        let k = &KINDS[kind];
        let who = k.label.unwrap_or("").to_string();
        *tally.entry((who, k.route.to_string(), status)).or_default() += 1;
    }
    tally
}

/// The report's rows summed per (credential, route, status); all on `day` when given.
fn counted(r: &Report, day: Option<&str>) -> Tally {
    let mut t = Tally::new();
    for row in &r.rows {
        if let Some(d) = day {
            assert_eq!(row.day, d, "every request was sent today");
        }
        *t.entry((row.credential.clone(), row.route.clone(), row.status))
            .or_default() += row.requests;
    }
    t
}

fn report_of(s: &Stack, month: Month) -> Report {
    usage::flush_state(&s.state).expect("flush");
    usage::report_from_store(&s.state.store, month, Utc::now()).expect("report")
}

fn check_totals(r: &Report, sent: &Tally) {
    let per_key = |label: &str| -> u64 {
        sent.iter()
            .filter(|((l, _, _), _)| l == label)
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(r.totals.requests, REQUESTS as u64);
    let ok: u64 = sent
        .iter()
        .filter(|((_, _, s), _)| *s < 300)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(r.totals.successful, ok);
    assert_eq!(r.unauthenticated.requests, per_key(""));
    assert_eq!(r.unauthenticated.by_status["401"], per_key(""));
    for c in &r.credentials {
        assert_eq!(c.totals.requests, per_key(&c.label), "{}", c.label);
        assert!(
            c.key_id.starts_with("sha256:") && c.key_id.ends_with('…'),
            "{}",
            c.key_id
        );
        assert!(!c.key_id.contains(&harvest_proxy::auth::key_hash_hex(KEY)));
    }
    let demo = r
        .credentials
        .iter()
        .find(|c| c.label == "sandbox-demo")
        .unwrap();
    assert_eq!(
        demo.acting_users, ACTORS as u64,
        "distinct On-Behalf-Of users of writes"
    );
    let refused = sent[&(
        "sandbox-demo".into(),
        "PUT /v1/candidates/{id}/anonymize".into(),
        422,
    )];
    assert!(refused > 0);
    // Every write is served (501s are counted apart: the browser test records some).
    assert_eq!(demo.totals.unserved_writes, 0);
    assert!(demo.unserved.is_empty());
    assert!(demo.totals.v3_calls > 0, "reads spent v3 calls");
    let reader = r.credentials.iter().find(|c| c.label == "reader").unwrap();
    assert_eq!(
        reader.totals.by_status["403"],
        sent[&("reader".into(), "GET /v1/sources".into(), 403)]
    );
    let routes: Vec<&str> = reader.routes.iter().map(|u| u.route.as_str()).collect();
    assert_eq!(routes, ["GET /v1/sources", "GET /v1/users"]);
    assert!(
        reader
            .routes
            .iter()
            .all(|u| u.first_seen.is_some() && u.last_seen >= u.first_seen)
    );
}

fn config_file(dir: &Path, store: &Path) -> PathBuf {
    let p = dir.join("proxy.toml");
    std::fs::write(&p, format!("store = {:?}\n", store.display().to_string())).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_concurrent_requests_are_counted_exactly_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite3");
    let s = Arc::new(Stack::start_with(sandbox(), |c| configure(c, &store)).await);
    let (month, day) = (Month::of(Utc::now()), Utc::now().date_naive().to_string());
    let sent = send_all(&s).await;
    let same_day = Utc::now().date_naive().to_string() == day;
    let day = same_day.then_some(day.as_str());
    let r = report_of(&s, month);
    assert_eq!(counted(&r, day), sent, "per credential, route and status");
    check_totals(&r, &sent);
    if let Some(d) = day {
        let today = r.days.iter().find(|x| x.day == d).unwrap();
        assert_eq!(today.requests, REQUESTS as u64);
        assert_eq!(
            r.days.iter().map(|x| x.requests).sum::<u64>(),
            REQUESTS as u64
        );
    }
    // The CLI reads the same file while the proxy runs.
    let cfg = config_file(dir.path(), &store);
    let json: Value = serde_json::from_str(
        &usage::cli(&cfg, Some(&month.to_string()), Format::Json).expect("usage CLI"),
    )
    .unwrap();
    assert_eq!(json["requests"], REQUESTS as u64);

    // A restart on the same store file (the shutdown flushes what was counted since).
    let extra = s.get("/v1/users?per_page=1").await;
    assert_eq!(extra.status, 200);
    let s = Arc::into_inner(s).expect("no request in flight");
    s.stop().await;
    let s = Stack::start_with(sandbox(), |c| configure(c, &store)).await;
    let after = report_of(&s, month);
    let mut expected = sent.clone();
    *expected
        .entry(("sandbox-demo".into(), "GET /v1/users".into(), 200))
        .or_default() += 1;
    assert_eq!(
        counted(&after, day),
        expected,
        "the counts survive a restart"
    );
    let text = usage::cli(&cfg, Some(&month.to_string()), Format::Text).unwrap();
    assert!(
        text.contains(&format!("Requests: {}", REQUESTS + 1)),
        "{text}"
    );
    s.stop().await;
}

/// A stack with a store file and an admin listener; returns the admin base URL.
async fn with_admin(store: &Path) -> (Stack, harvest_proxy::admin::Admin, String) {
    let s = Stack::start_with(sandbox(), |c| configure(c, store)).await;
    let admin = harvest_proxy::admin::start(
        s.state.clone(),
        "127.0.0.1:0".parse().unwrap(),
        Secret::new(TOKEN),
    )
    .await
    .expect("admin starts");
    let base = format!("http://{}", admin.addr);
    (s, admin, base)
}

/// A GET to the admin listener.
async fn admin_get(url: &str, headers: &[(&str, &str)]) -> harvest_tests::RawResp {
    let (addr, path) = url
        .trim_start_matches("http://")
        .split_once('/')
        .map(|(a, p)| (a.to_string(), format!("/{p}")))
        .unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    harvest_tests::raw(addr.parse().unwrap(), req.as_bytes())
        .await
        .expect("admin answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_listener_needs_its_token_and_answers_in_v1_shape() {
    let dir = tempfile::tempdir().unwrap();
    let (s, admin, base) = with_admin(&dir.path().join("store.sqlite3")).await;
    assert_eq!(s.get("/v1/users?per_page=1").await.status, 200);
    let bearer = format!("Bearer {TOKEN}");
    let auth = [("Authorization", bearer.as_str())];

    assert_eq!(admin_get(&format!("{base}/healthz"), &[]).await.status, 200);
    for path in ["/usage", "/usage.json", "/usage.csv", "/metrics"] {
        let r = admin_get(&format!("{base}{path}"), &[]).await;
        assert_eq!(r.status, 401, "{path}");
        assert!(r.v1_message().contains("Bearer"), "{path}: {}", r.body);
        assert!(r.head.contains("www-authenticate: bearer"));
        let wrong = admin_get(
            &format!("{base}{path}"),
            &[("Authorization", "Bearer nope")],
        )
        .await;
        assert_eq!(wrong.status, 401, "{path}");
    }
    let r = admin_get(&format!("{base}/usage.json"), &auth).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["credentials"][0]["label"], "sandbox-demo");
    assert_eq!(
        r.json()["requests"],
        1,
        "the admin page flushes first: nothing is missing"
    );
    assert!(!r.body.contains(TOKEN));
    let metrics = admin_get(&format!("{base}/metrics"), &auth).await;
    assert!(metrics.body.contains("harvest_proxy_requests_total"));
    let csv = admin_get(&format!("{base}/usage.csv"), &auth).await;
    assert!(
        csv.body
            .starts_with("day,credential,key_id,route,status,requests,v3_calls")
    );

    let bad = admin_get(&format!("{base}/usage.json?month=2026-13"), &auth).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["errors"][0]["field"], "month");
    let missing = admin_get(&format!("{base}/nothing"), &auth).await;
    assert_eq!(missing.status, 404);
    assert!(missing.v1_message().contains("/usage"));

    // A browser: ?token= once sets the cookie and redirects to the URL without the token.
    let wrong = admin_get(&format!("{base}/usage?token=wrong&month=2026-11"), &[]).await;
    assert_eq!(wrong.status, 401);
    let login = admin_get(&format!("{base}/usage?month=2026-11&token={TOKEN}"), &[]).await;
    assert_eq!(login.status, 303, "{}", login.head);
    assert!(
        login.head.contains("location: /usage?month=2026-11\r\n"),
        "{}",
        login.head
    );
    let cookie = login
        .head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .expect("a cookie")
        .to_string();
    assert!(
        cookie.contains("httponly") && cookie.contains("samesite=strict"),
        "{cookie}"
    );
    assert!(
        !cookie.contains(&TOKEN.to_lowercase()),
        "the cookie is not the token"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let page = admin_get(&format!("{base}/usage?month=2026-11"), &[("Cookie", &pair)]).await;
    assert_eq!(page.status, 200);
    assert!(page.head.contains("content-security-policy"));
    assert!(page.body.contains("<svg id=\"chart\""));
    assert!(!page.body.contains(TOKEN));
    admin.shutdown().await;
    s.stop().await;
}

#[test]
fn an_admin_listener_without_a_token_is_refused() {
    let env = |n: &str| (n == "ADMIN_TOKEN").then(|| TOKEN.to_string());
    let err = |text: &str| Config::parse("p.toml", text, &env).unwrap_err().to_string();
    let e = err("[admin]\nlisten = \"127.0.0.1:9090\"\n");
    assert!(e.contains("needs a bearer token"), "{e}");
    let e = err("[admin]\nlisten = \"127.0.0.1:9090\"\ntoken = \"x\"\n");
    assert!(e.contains("must not be written in the config"), "{e}");
    let e = err("[admin]\nlisten = \"127.0.0.1:9090\"\ntoken_env = \"UNSET\"\n");
    assert!(e.contains("UNSET") && e.contains("not set"), "{e}");
    let short = |n: &str| (n == "T").then(|| "short".to_string());
    let e = Config::parse(
        "p",
        "[admin]\nlisten = \"127.0.0.1:9090\"\ntoken_env = \"T\"\n",
        &short,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("at least 16"), "{e}");
    let e = err(
        "listen = \"127.0.0.1:9090\"\n[admin]\nlisten = \"127.0.0.1:9090\"\ntoken_env = \"ADMIN_TOKEN\"\n",
    );
    assert!(e.contains("another port"), "{e}");
    let ok = Config::parse(
        "p",
        "[admin]\nlisten = \"127.0.0.1:9090\"\ntoken_env = \"ADMIN_TOKEN\"\n",
        &env,
    )
    .unwrap();
    let a = ok.admin.unwrap();
    assert_eq!(a.token.expose(), TOKEN);
    assert!(!format!("{a:?}").contains(TOKEN), "the token never prints");
}

/// The page in headless Chromium over chromedriver (WebDriver, the `fantoccini` crate).
mod browser {
    use super::*;
    use chrono::{Datelike, TimeZone};
    use fantoccini::actions::{InputSource, MouseActions, PointerAction};
    use fantoccini::{Client, ClientBuilder, Locator};
    use std::ops::Not;

    /// chromedriver, ended when dropped.
    struct Driver(std::process::Child);

    impl Drop for Driver {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn which(bin: &str) -> Option<PathBuf> {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|d| d.join(bin))
            .find(|p| p.is_file())
    }

    /// Starts chromedriver on a free port and a headless Chromium session through it.
    async fn browser(chromium: &Path, driver: &Path, profile: &Path) -> (Driver, Client) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver(child);
        let mut up = false;
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(up, "chromedriver listens on {port}");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1400,1250",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": chromium.display().to_string(), "args": args}),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        (driver, client)
    }

    /// Hovers the bar of `day` and returns the hover box's text.
    async fn hover(c: &Client, day: &str) -> String {
        let bar = c
            .find(Locator::Css(&format!(
                "#chart .bar[data-day='{day}'] rect.hit"
            )))
            .await
            .unwrap_or_else(|e| panic!("a bar for {day}: {e}"));
        let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element: bar,
            duration: None,
            x: 0.0,
            y: 0.0,
        });
        c.perform_actions(mouse).await.expect("hover");
        let tip = c.find(Locator::Id("tip")).await.unwrap();
        assert!(tip.is_displayed().await.unwrap(), "the hover box shows");
        tip.text().await.unwrap()
    }

    /// A month of past usage, day by day (what a running proxy would have counted).
    fn seed(s: &Stack, month: Month) -> BTreeMap<String, Vec<(u16, u64)>> {
        let mut sent = BTreeMap::new();
        for d in month.days() {
            let n = u64::from(d.day());
            let day: Vec<(u16, u64)> = [
                (200, 40 + (n * 37) % 60),
                (201, n % 4),
                (404, n % 5),
                (422, u64::from(n % 7 == 0) * 4),
                (429, u64::from(n % 9 == 0) * 6),
                (501, n % 3),
                (401, u64::from(n % 4 == 0) * 2),
            ]
            .into_iter()
            .filter(|(_, c)| *c > 0)
            .collect();
            let at = Utc.from_utc_datetime(&d.and_hms_opt(9, 30, 0).unwrap());
            for (status, count) in &day {
                let (key, route) = match status {
                    201 => (
                        Some("sandbox-demo"),
                        "POST /v1/candidates/{id}/activity_feed/notes",
                    ),
                    501 => (Some("sandbox-demo"), "PUT /v1/candidates/{id}/anonymize"),
                    // An unknown key: the unauthenticated bucket.
                    401 => (None, "-"),
                    _ => (Some("sandbox-demo"), "GET /v1/candidates"),
                };
                for i in 0..*count {
                    let actor = (i % 3).to_string();
                    let e = usage::Event {
                        key: key.map(std::sync::Arc::from),
                        route,
                        status: *status,
                        v3_calls: if key.is_some() { 2 } else { 0 },
                        actor: route.starts_with("GET").not().then_some(actor.as_str()),
                    };
                    s.state.usage.record_at(at, &e);
                }
            }
            sent.insert(d.to_string(), day);
        }
        sent
    }

    /// Sent today through the proxy: 5 × 200, 3 × 404, 2 × 401, 1 × 403.
    async fn send_today(s: &Stack) {
        let (reader, unknown) = (basic(READER_KEY), basic("nope"));
        for _ in 0..5 {
            assert_eq!(s.get("/v1/users?per_page=1").await.status, 200);
        }
        for _ in 0..3 {
            assert_eq!(s.get("/v1/candidates/999999999").await.status, 404);
        }
        for _ in 0..2 {
            let r = s.request("GET", "/v1/users", Some(&unknown), &[], Bytes::new());
            assert_eq!(r.await.status, 401);
        }
        let r = s.request("GET", "/v1/sources", Some(&reader), &[], Bytes::new());
        assert_eq!(r.await.status, 403);
    }

    /// The seeded month: a bar per day, a legend entry per status sent, hover values.
    async fn check_month(c: &Client, previous: Month, seeded: &BTreeMap<String, Vec<(u16, u64)>>) {
        c.goto(&format!("/usage?month={previous}")).await.unwrap();
        let bars = c.find_all(Locator::Css("#chart .bar")).await.unwrap();
        assert_eq!(bars.len(), previous.days().len());
        let legend = c
            .find(Locator::Id("legend"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for status in ["200", "201", "401", "404", "422", "429", "501"] {
            assert!(legend.contains(status), "legend has {status}: {legend}");
        }
        for (day, counts) in seeded
            .iter()
            .filter(|(d, _)| d.ends_with("-09") || d.ends_with("-14"))
        {
            let tip = hover(c, day).await;
            let total: u64 = counts.iter().map(|(_, n)| n).sum();
            assert!(tip.contains(&format!("{day}: {total} requests")), "{tip}");
            for (status, n) in counts {
                assert!(
                    tip.contains(&format!("{status}: {n}")),
                    "{day} {status}: {tip}"
                );
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_usage_page_shows_the_days_and_statuses_sent_and_hovers() {
        let (Some(chromium), Some(driver)) = (which("chromium"), which("chromedriver")) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI: chromium and chromedriver must be installed (.ci/run installs them)"
            );
            eprintln!(
                "skipped: chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
            );
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let (s, admin, base) = with_admin(&dir.path().join("store.sqlite3")).await;
        send_today(&s).await;
        let now = Utc::now();
        let today = now.date_naive().to_string();
        let previous = Month::of(
            Utc.from_utc_datetime(
                &Month::of(now)
                    .first_day()
                    .pred_opt()
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap(),
            ),
        );
        let seeded = seed(&s, previous);

        let profile = tempfile::tempdir().unwrap();
        let (_driver, c) = browser(&chromium, &driver, profile.path()).await;
        c.goto(&format!("{base}/usage?token={TOKEN}"))
            .await
            .unwrap();
        let url = c.current_url().await.unwrap();
        assert_eq!(url.path(), "/usage");
        assert!(
            !url.as_str().contains("token"),
            "the token left the address bar: {url}"
        );
        let today_bar = c
            .find(Locator::Css(&format!("#chart .bar[data-day='{today}']")))
            .await
            .unwrap();
        assert_eq!(
            today_bar.attr("data-counts").await.unwrap().as_deref(),
            Some("200:5,401:2,403:1,404:3")
        );
        let tip = hover(&c, &today).await;
        for want in [
            format!("{today}: 11 requests"),
            "200: 5".into(),
            "401: 2".into(),
            "403: 1".into(),
            "404: 3".into(),
        ] {
            assert!(tip.contains(&want), "hover shows {want}: {tip}");
        }
        let total = c
            .find(Locator::Id("total"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(total, "11");

        check_month(&c, previous, &seeded).await;
        let details = c
            .find(Locator::Css("#credentials details summary"))
            .await
            .unwrap();
        details.click().await.unwrap();
        let day = format!("{previous}-21");
        assert!(
            hover(&c, &day).await.starts_with(&day),
            "the hover box shows in the screenshot"
        );
        let png = c.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(dir.path().join("usage.png"), &png).unwrap();
        if std::env::var_os("HARVEST_WRITE_SCREENSHOT").is_some_and(|v| v == "1") {
            let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/usage.png");
            std::fs::write(&docs, &png).unwrap();
            eprintln!("wrote {}", docs.display());
        }
        c.close().await.unwrap();
        admin.shutdown().await;
        s.stop().await;
    }
}
