use super::*;
use chrono::TimeZone;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

fn ev<'a>(key: Option<&str>, route: &'static str, status: u16) -> Event<'a> {
    Event {
        key: key.map(Arc::from),
        route,
        status,
        v3_calls: 1,
        actor: None,
    }
}

fn meta(label: &str) -> Option<KeyMeta> {
    (label == "crm").then(|| KeyMeta {
        key_id: mask_key_id(&[0xab; 32]),
        tenant: "acme".into(),
        client_id: mask_client_id("ghc_3f2a9b8c7d6e5f40"),
    })
}

fn flushed(u: &Usage, now: DateTime<Utc>) -> Store {
    let s = Store::open(None).unwrap();
    u.flush(&s, &meta, now).unwrap();
    s
}

#[test]
fn months_parse_strictly_and_filter_their_days() {
    let m = Month::parse("2026-11").unwrap();
    assert_eq!(m.to_string(), "2026-11");
    assert_eq!(m.days().len(), 30);
    assert_eq!(Month::parse("2028-02").unwrap().days().len(), 29);
    assert_eq!(
        Month::parse("2026-12").unwrap().end().to_string(),
        "2027-01-01"
    );
    for bad in [
        "2026-13",
        "2026-1",
        "26-11",
        "2026/11",
        "",
        "2026-00",
        "abcd-ef",
        "2026-11-01",
    ] {
        assert!(Month::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(Month::of(at(2026, 11, 30)).to_string(), "2026-11");

    let u = Usage::default();
    u.record_at(at(2026, 10, 31), &ev(Some("crm"), "GET /v1/users", 200));
    u.record_at(at(2026, 11, 1), &ev(Some("crm"), "GET /v1/users", 200));
    u.record_at(at(2026, 11, 30), &ev(Some("crm"), "GET /v1/users", 404));
    u.record_at(at(2026, 12, 1), &ev(Some("crm"), "GET /v1/users", 200));
    let s = flushed(&u, at(2026, 12, 1));
    let r = report_from_store(&s, Month::parse("2026-11").unwrap(), at(2026, 12, 1)).unwrap();
    assert_eq!(r.totals.requests, 2, "only November's days");
    assert_eq!(r.days.len(), 30);
    assert_eq!(r.days[0].by_status["200"], 1);
    assert_eq!(r.days[29].by_status["404"], 1);
    assert_eq!(r.totals.success_rate, Some(0.5));
    let oct = report_from_store(&s, Month::parse("2026-10").unwrap(), at(2026, 12, 1)).unwrap();
    assert_eq!((oct.totals.requests, oct.days.len()), (1, 31));
}

#[test]
fn pruning_keeps_thirteen_months_before_the_current_one() {
    assert_eq!(
        retention_start(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()).to_string(),
        "2025-11-01"
    );
    let u = Usage::default();
    u.record_at(at(2025, 10, 31), &ev(Some("crm"), "GET /v1/users", 200));
    u.record_at(at(2025, 11, 1), &ev(Some("crm"), "GET /v1/jobs", 200));
    let s = Store::open(None).unwrap();
    // Written long ago: nothing is old yet.
    u.flush(&s, &meta, at(2025, 11, 2)).unwrap();
    let count = |s: &Store, sql: &str| -> i64 {
        s.with_conn(|db| db.query_row(sql, [], |r| r.get(0)))
            .unwrap()
    };
    assert_eq!(count(&s, "SELECT COUNT(*) FROM usage_counts"), 2);
    // A flush on a later day prunes what fell out of the retention.
    u.flush(&s, &meta, at(2026, 12, 15)).unwrap();
    assert_eq!(count(&s, "SELECT COUNT(*) FROM usage_counts"), 1);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM usage_routes"), 1);
    let kept = report_from_store(&s, Month::parse("2025-11").unwrap(), at(2026, 12, 15)).unwrap();
    assert_eq!(kept.routes[0].route, "GET /v1/jobs");
}

#[test]
fn masks_show_neither_key_nor_client_id() {
    let h = crate::auth::key_hash("test");
    assert_eq!(mask_key_id(&h), "sha256:9f86d081…");
    assert_eq!(mask_client_id("ghc_3f2a9b8c7d6e5f40"), "ghc_…5f40");
    assert_eq!(mask_client_id("abcdef"), "ab…ef");
    assert_eq!(mask_client_id("ab"), "…");
    assert_eq!(mask_client_id(""), "…");
    // Multi-byte characters are cut on character boundaries.
    assert_eq!(mask_client_id("ééééééééé"), "ééé…ééé");
}

fn sample() -> Report {
    let u = Usage::default();
    let day = at(2026, 11, 3);
    for _ in 0..3 {
        u.record_at(day, &ev(Some("crm"), "GET /v1/candidates", 200));
    }
    u.record_at(day, &ev(Some("crm"), "GET /v1/candidates", 429));
    u.record_at(day, &ev(Some("crm, \"quoted\""), "GET /v1/users", 418));
    let w = Event {
        actor: Some("42"),
        ..ev(Some("crm"), "PUT /v1/candidates/{id}/anonymize", 501)
    };
    u.record_at(day, &w);
    u.record_at(
        day,
        &Event {
            actor: Some("43"),
            ..w.clone()
        },
    );
    u.record_at(
        day,
        &Event {
            actor: Some("42"),
            ..w
        },
    );
    u.record_at(at(2026, 11, 4), &ev(None, "-", 401));
    let s = flushed(&u, at(2026, 11, 5));
    report_from_store(&s, Month::parse("2026-11").unwrap(), at(2026, 11, 5)).unwrap()
}

#[test]
fn the_report_counts_success_unserved_writes_actors_and_unknown_keys() {
    let r = sample();
    assert_eq!(r.totals.requests, 9);
    assert_eq!(r.totals.successful, 3);
    assert_eq!(r.totals.rate_limited, 1);
    assert_eq!(r.totals.unserved_writes, 3);
    assert_eq!(r.totals.by_status["other"], 1, "418 is `other`");
    assert_eq!(r.totals.v3_calls, 9);
    assert_eq!(
        (
            r.unauthenticated.requests,
            r.unauthenticated.by_status["401"]
        ),
        (1, 1)
    );
    let crm = r.credentials.iter().find(|c| c.label == "crm").unwrap();
    assert_eq!(crm.totals.requests, 7);
    assert_eq!(
        (crm.key_id.as_str(), crm.tenant.as_str()),
        ("sha256:abababab…", "acme")
    );
    assert_eq!(crm.acting_users, 2, "two distinct On-Behalf-Of users");
    assert_eq!(crm.unserved[0].route, "PUT /v1/candidates/{id}/anonymize");
    assert_eq!(crm.unserved[0].requests, 3);
    assert_eq!(crm.routes.len(), 2);
    assert!(
        crm.routes[0]
            .first_seen
            .as_deref()
            .unwrap()
            .starts_with("2026-11-03T12:00:00")
    );
    let other = r.credentials.iter().find(|c| c.label != "crm").unwrap();
    assert_eq!(other.key_id, "unknown", "a label the config no longer has");
    assert!(r.last_updated.is_some());
}

#[test]
fn json_csv_and_text_outputs() {
    let r = sample();
    let json: serde_json::Value = serde_json::from_str(&render(&r, Format::Json).unwrap()).unwrap();
    assert_eq!(json["month"], "2026-11");
    assert_eq!(json["requests"], 9);
    assert_eq!(json["success_rule"], SUCCESS_RULE);
    assert_eq!(json["status_columns"].as_array().unwrap().len(), 19);
    assert_eq!(json["days"][2]["by_status"]["200"], 3);
    assert_eq!(json["credentials"][0]["label"], "crm");
    assert_eq!(json["credentials"][0]["by_status"]["429"], 1);
    assert!(json.get("rows").is_none());

    let csv = render(&r, Format::Csv).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("day,credential,key_id,route,status,requests,v3_calls")
    );
    assert!(
        csv.contains("2026-11-03,crm,sha256:abababab…,GET /v1/candidates,200,3,3"),
        "{csv}"
    );
    assert!(
        csv.contains("\"crm, \"\"quoted\"\"\""),
        "CSV quoting: {csv}"
    );
    assert!(csv.contains("2026-11-04,,,-,401,1,1"), "{csv}");
    let mut rd = ::csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(rd.records().count(), r.rows.len());

    let t = render(&r, Format::Text).unwrap();
    assert!(t.contains("2026-11 (UTC)"), "{t}");
    assert!(t.contains("Requests: 9   Success rate: 33.3%"), "{t}");
    assert!(t.contains("429 (rate limited) is not a success"), "{t}");
    assert!(
        t.contains("Unknown keys (authentication failed): 1 requests (401: 1)"),
        "{t}"
    );
    assert!(
        t.contains("not served: PUT /v1/candidates/{id}/anonymize (3 requests)"),
        "{t}"
    );
    assert!(t.contains("2026-11-03"), "{t}");
}

#[test]
fn an_empty_month_renders() {
    let s = Store::open(None).unwrap();
    let r = report_from_store(&s, Month::parse("2026-02").unwrap(), at(2026, 2, 3)).unwrap();
    assert_eq!(
        (r.totals.requests, r.totals.success_rate, r.days.len()),
        (0, None, 28)
    );
    assert!(r.last_updated.is_none());
    assert!(
        render(&r, Format::Text)
            .unwrap()
            .contains("Success rate: -")
    );
    assert!(
        render(&r, Format::Csv)
            .unwrap()
            .starts_with("day,credential")
    );
    let page = crate::usage_page::render(&r, "n");
    assert!(page.contains("no requests in this month"));
}

#[test]
fn concurrent_counts_are_exact_and_flushes_add_up() {
    let u = std::sync::Arc::new(Usage::default());
    let s = Store::open(None).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let u = u.clone();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    let status = if i % 4 == 0 { 404 } else { 200 };
                    let key = if t % 2 == 0 { "crm" } else { "hr" };
                    u.record_at(at(2026, 11, 7), &ev(Some(key), "GET /v1/users", status));
                }
            })
        })
        .collect();
    // Flushes while the threads count.
    for _ in 0..20 {
        u.flush(&s, &meta, at(2026, 11, 7)).unwrap();
    }
    for t in threads {
        t.join().unwrap();
    }
    u.flush(&s, &meta, at(2026, 11, 7)).unwrap();
    let r = report_from_store(&s, Month::parse("2026-11").unwrap(), at(2026, 11, 7)).unwrap();
    assert_eq!(r.totals.requests, 8000);
    assert_eq!(r.totals.by_status["404"], 2000);
    let hr = r.credentials.iter().find(|c| c.label == "hr").unwrap();
    assert_eq!(hr.totals.requests, 4000);
    assert_eq!(r.routes.iter().map(|x| x.requests).sum::<u64>(), 8000);
}

#[test]
fn acting_users_are_capped_per_key_and_day() {
    let u = Usage::default();
    let names: Vec<String> = (0..ACTORS_PER_KEY_DAY + 10)
        .map(|i| i.to_string())
        .collect();
    for n in &names {
        let e = Event {
            actor: Some(n),
            ..ev(Some("crm"), "POST /v1/candidates", 201)
        };
        u.record_at(at(2026, 11, 8), &e);
    }
    let s = flushed(&u, at(2026, 11, 8));
    let r = report_from_store(&s, Month::parse("2026-11").unwrap(), at(2026, 11, 8)).unwrap();
    assert_eq!(r.credentials[0].acting_users, ACTORS_PER_KEY_DAY as u64);
    assert!(r.credentials[0].acting_users_capped && r.acting_users_capped);
    assert_eq!(
        r.totals.requests,
        names.len() as u64,
        "requests are still all counted"
    );
}

#[test]
fn a_failed_flush_keeps_its_batch() {
    let u = Usage::default();
    u.record_at(at(2026, 11, 9), &ev(Some("crm"), "GET /v1/users", 200));
    let s = Store::open(None).unwrap();
    s.with_conn(|db| db.execute_batch("DROP TABLE usage_routes"))
        .unwrap();
    assert!(u.flush(&s, &meta, at(2026, 11, 9)).is_err());
    s.with_conn(|db| db.execute_batch(SCHEMA)).unwrap();
    u.record_at(at(2026, 11, 9), &ev(Some("crm"), "GET /v1/users", 200));
    u.flush(&s, &meta, at(2026, 11, 9)).unwrap();
    let r = report_from_store(&s, Month::parse("2026-11").unwrap(), at(2026, 11, 9)).unwrap();
    assert_eq!(r.totals.requests, 2, "the failed batch was written later");
}

#[test]
fn the_page_escapes_and_carries_the_chart_data() {
    let r = sample();
    let page = crate::usage_page::render(&r, "abc");
    assert!(
        page.contains("data-day=\"2026-11-03\" data-total=\"8\""),
        "{page}"
    );
    assert!(page.contains("data-counts=\"200:3,429:1,501:3,other:1\""));
    assert!(
        page.contains("crm, &quot;quoted&quot;"),
        "labels are escaped"
    );
    assert!(page.contains("<details>"));
    assert!(page.contains("<script nonce=\"abc\">"));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no CDN"
    );
}
