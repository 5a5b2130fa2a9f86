//! Unit checks of the building blocks: identifier words, URL and path parsing, placeholders.

use harvest_scan::lang::Lang;
use harvest_scan::lex::strip_quotes;
use harvest_scan::routes::{normalize_path, resolve};
use harvest_scan::urls::harvest_urls;
use harvest_scan::words::{last_ident, split_lead, words};

#[test]
fn identifier_words() {
    assert_eq!(words("getCandidates"), ["get", "candidates"]);
    assert_eq!(words("_make_request"), ["make", "request"]);
    assert_eq!(words("HTTPBasicAuth"), ["http", "basic", "auth"]);
    assert_eq!(words("MethodPost"), ["method", "post"]);
    assert_eq!(last_ident("this._baseUrl()"), "_baseUrl");
    assert_eq!(last_ident("$this->base"), "base");
}

#[test]
fn harvest_url_parsing() {
    let u = harvest_urls(
        "see https://harvest.greenhouse.io/v1/candidates/{id}?page=2 and https://harvest.greenhouse.io/v3/jobs",
    );
    assert_eq!(u.len(), 2);
    assert_eq!(
        (u[0].version, u[0].rest.as_str()),
        (Some("v1"), "candidates/{id}")
    );
    assert_eq!(u[1].version, None);
    assert!(harvest_urls("https://boards-api.greenhouse.io/v1/boards").is_empty());
    assert!(harvest_urls("https://notharvest.greenhouse.io/v1/x").is_empty());
    let bare = harvest_urls("https://harvest.greenhouse.io");
    assert!(bare[0].bare);
    let base = harvest_urls("https://harvest.greenhouse.io/v2/");
    assert_eq!((base[0].version, base[0].rest.as_str()), (Some("v2"), ""));
}

#[test]
fn placeholders_normalise() {
    for p in [
        "candidates/${id}",
        "candidates/#{id}",
        "candidates/:id",
        "candidates/%d",
        "/candidates/{candidate_id}/",
        "candidates/\u{0}",
        "candidates/{{ stream_partition.id }}",
    ] {
        let p = p.replace("{{ stream_partition.id }}", "{x}");
        assert_eq!(
            normalize_path(&p),
            Some(vec!["candidates".to_string(), "{id}".to_string()]),
            "{p}"
        );
    }
    assert_eq!(
        normalize_path("jobs?per_page=100"),
        Some(vec!["jobs".to_string()])
    );
    assert_eq!(normalize_path("not a path"), None);
    assert_eq!(
        split_lead("$HARVEST/jobs"),
        Some(("HARVEST".to_string(), "/jobs"))
    );
    assert_eq!(
        split_lead("{HARVEST_BASE}/users"),
        Some(("HARVEST_BASE".to_string(), "/users"))
    );
    assert_eq!(split_lead("%s/jobs/%d"), Some((String::new(), "/jobs/%d")));
    assert_eq!(split_lead("/jobs"), None);
}

#[test]
fn routes_resolve_with_the_call_site_method() {
    let segs = |s: &str| normalize_path(s).expect("path");
    let r = resolve(Some("POST"), "v1", &segs("candidates"), false).expect("match");
    assert_eq!(r.route, "POST /v1/candidates");
    let r = resolve(None, "v1", &segs("users/12/permission_level"), false);
    assert!(r.is_none() || r.is_some_and(|r| r.route.contains("permission_level")));
    let r = resolve(None, "v1", &segs("users/permission_level"), false).expect("match");
    assert_eq!(r.route, "PATCH /v1/users/permission_level");
    // v1 let the field type be left off: the bare list is that endpoint.
    let r = resolve(Some("GET"), "v1", &segs("custom_fields"), false).expect("match");
    assert_eq!(r.route, "GET /v1/custom_fields/{field_type}");
    // A method the catalog does not list for this path keeps the call site's method.
    let r = resolve(Some("PUT"), "v1", &segs("custom_fields"), false).expect("match");
    assert_eq!(r.route, "PUT /v1/custom_fields");
    // Unknown tail under a known resource: only with prefix fallback.
    assert!(
        resolve(
            None,
            "v1",
            &segs("applications/1/attachment:download/0"),
            false
        )
        .is_none()
    );
    let r = resolve(
        None,
        "v1",
        &segs("applications/1/attachment:download/0"),
        true,
    )
    .expect("prefix");
    assert_eq!(r.route, "GET /v1/applications/{id}");
    assert!(!r.exact);
}

#[test]
fn quotes_and_languages() {
    assert_eq!(strip_quotes("\"abc\""), "abc");
    assert_eq!(strip_quotes("'''abc'''"), "abc");
    assert_eq!(strip_quotes("@\"abc\""), "abc");
    assert_eq!(strip_quotes("`abc`"), "abc");
    assert_eq!(strip_quotes("\"\""), "");
    assert_eq!(
        Lang::for_path(std::path::Path::new("a/b.mjs")),
        Lang::JavaScript
    );
    assert_eq!(Lang::for_path(std::path::Path::new("Gemfile")), Lang::Ruby);
    assert_eq!(Lang::for_path(std::path::Path::new("x.raml")), Lang::Yaml);
    assert_eq!(Lang::for_fence("console"), Lang::Bash);
}

#[test]
fn last_ident_of_non_ascii_text() {
    assert_eq!(last_ident("£"), "");
    assert_eq!(last_ident("prix£"), "");
    assert_eq!(last_ident("a.€b"), "b");
    assert_eq!(last_ident("café"), "café");
}

/// A port written or decided at run time does not hide the path after the host.
#[test]
fn harvest_url_with_a_port() {
    for text in [
        "https://harvest.greenhouse.io:443/v1/users",
        "https://harvest.greenhouse.io:\u{0}/v1/users",
    ] {
        let u = harvest_urls(text);
        assert_eq!(
            (u[0].version, u[0].rest.as_str()),
            (Some("v1"), "users"),
            "{text}"
        );
    }
}

/// Two hints with the same content have the same signature, whatever the order they were
/// filled in; any difference changes it (a file is parsed again only when its hints change).
#[test]
fn hints_signature() {
    use harvest_scan::model::{BaseArg, Hints};
    let mut a = Hints::default();
    let mut b = Hints::default();
    assert_eq!(a.signature(), b.signature());
    assert!(a.is_empty());
    a.names.insert("BASE".into());
    a.names.insert("ROOT".into());
    b.names.insert("ROOT".into());
    b.names.insert("BASE".into());
    assert_eq!(a.signature(), b.signature());
    let arg = BaseArg {
        callee: "list_candidates".into(),
        ctor: false,
        index: 0,
        keyword: None,
        host: false,
        other: false,
    };
    a.base_args.push(arg.clone());
    assert_ne!(a.signature(), b.signature());
    b.base_args.push(BaseArg { host: true, ..arg });
    assert_ne!(a.signature(), b.signature());
    assert!(!a.is_empty());
}
