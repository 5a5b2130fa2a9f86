//! `harvest-scan --permissions` on the scanner's fixtures: the exact `endpoints = [...]` line
//! (routes read off the fixture code by hand), the ambiguity comments, the warnings for calls
//! built at run time, and the scopes (every v3 call of those endpoints in the mapping files).

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::{bin, fixture};
use harvest_mappings::Catalog;

struct Out {
    stdout: String,
    stderr: String,
    ok: bool,
}

fn permissions(name: &str, extra: &[&str]) -> Out {
    let out = Command::new(bin())
        .arg(fixture(name))
        .arg("--permissions")
        .args(extra)
        .output()
        .expect("run harvest-scan");
    Out {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        ok: out.status.success(),
    }
}

/// The scopes of every v3 call the routes make, straight from the catalogue.
fn scopes_of(routes: &[&str]) -> Vec<String> {
    let cat = Catalog::embedded().unwrap();
    let mut out = BTreeSet::new();
    for r in routes {
        let ep = cat
            .endpoints()
            .iter()
            .find(|e| e.route() == *r)
            .unwrap_or_else(|| panic!("{r} is not declared in the catalogue"));
        out.extend(cat.calls_made(ep).iter().map(|c| c.scope.clone()));
    }
    out.into_iter().collect()
}

fn expected_text(ambiguous: &[&str], routes: &[&str]) -> String {
    let mut s =
        String::from("# The endpoints this integration calls (harvest-scan --permissions):\n");
    for a in ambiguous {
        s.push_str(a);
        s.push('\n');
    }
    let quoted: Vec<String> = routes.iter().map(|r| format!("\"{r}\"")).collect();
    s.push_str(&format!("endpoints = [{}]\n", quoted.join(", ")));
    s.push_str("# v3 scopes the tenant's credential needs (every v3 call of these endpoints):\n");
    s.push_str(&format!("# scopes = {}\n", scopes_of(routes).join(" ")));
    s
}

#[test]
fn python_fixture() {
    // client.py: get_candidate (GET, line 27), add_note (POST, 30-31), reject (POST, 35),
    // sources (GET, 40), the ROUTES table called through session.get (jobs, job stages); line 44
    // builds its path at run time; list_offers is suppressed inline; config.py's docstring and
    // client.py's comment are not code.
    let routes = [
        "GET /v1/candidates/{id}",
        "GET /v1/jobs",
        "GET /v1/jobs/{id}/stages",
        "GET /v1/sources",
        "POST /v1/applications/{id}/reject",
        "POST /v1/candidates/{id}/activity_feed/notes",
    ];
    let out = permissions("python", &[]);
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(out.stdout, expected_text(&[], &routes));
    assert!(
        out.stderr.contains(
            "greenhouse_sync/client.py:44: a Harvest v1/v2 call whose path is built at run time"
        ),
        "{}",
        out.stderr
    );
    // Writes need their write scopes; a write answered by a read needs the read's scopes too.
    for s in [
        "harvest:applications:reject",
        "harvest:notes:create",
        "harvest:candidates:list",
    ] {
        assert!(out.stdout.contains(s), "{s} missing: {}", out.stdout);
    }
    assert!(
        !out.stdout.contains("harvest:offers:list"),
        "suppressed call counted"
    );
}

#[test]
fn go_fixture() {
    // Job (GET, line 26), UpdateOpening (PATCH, 35-36), Offers (GET with a query, 45).
    let routes = [
        "GET /v1/jobs/{id}",
        "GET /v1/offers",
        "PATCH /v1/jobs/{job_id}/openings/{id}",
    ];
    let out = permissions("go", &[]);
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(out.stdout, expected_text(&[], &routes));
    assert_eq!(out.stderr, "", "nothing unresolved");
    assert!(out.stdout.contains("harvest:openings:update"));
}

#[test]
fn ruby_fixture_lists_every_route_of_a_call_without_method() {
    // greenhouse_client.rb: candidate (GET, 17), advance (POST, 21), departments (Net::HTTP::Get,
    // 28), delete_tag (Net::HTTP::Delete, 35). greenhouse_lists.rb line 3: a word list turned
    // into paths; the scanner ties the words to the routes but not to `get`, so offices and
    // departments (which also have POST) are listed under both methods, sources has GET only.
    let routes = [
        "DELETE /v1/candidates/{candidate_id}/tags/{tag_id}",
        "GET /v1/candidates/{id}",
        "GET /v1/departments",
        "GET /v1/offices",
        "GET /v1/sources",
        "POST /v1/applications/{id}/advance",
        "POST /v1/departments",
        "POST /v1/offices",
    ];
    let ambiguous = [
        "# ambiguous: lib/greenhouse_lists.rb:3 names no HTTP method; it may be any of GET /v1/departments, POST /v1/departments: all are listed",
        "# ambiguous: lib/greenhouse_lists.rb:3 names no HTTP method; it may be any of GET /v1/offices, POST /v1/offices: all are listed",
    ];
    let out = permissions("ruby", &[]);
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(out.stdout, expected_text(&ambiguous, &routes));
}

#[test]
fn javascript_fixture_warns_about_the_wrapper_and_lists_ambiguous_routes() {
    // greenhouse.js: createCandidate (POST through _request, 29-31), listJobs and
    // getApplication (_request without a method: every route at the path), hire (axios.post,
    // 46), offices (fetch without a method, 50); _request's own `BASE_URL + path` (22) is built
    // at run time. bundle.min.js: scorecards (GET) and candidates (DELETE), line 1; board.js
    // calls other APIs only.
    let routes = [
        "DELETE /v1/applications/{id}",
        "DELETE /v1/candidates/{id}",
        "GET /v1/applications/{id}",
        "GET /v1/jobs",
        "GET /v1/offices",
        "GET /v1/scorecards/{id}",
        "PATCH /v1/applications/{id}",
        "POST /v1/applications/{id}/hire",
        "POST /v1/candidates",
        "POST /v1/jobs",
        "POST /v1/offices",
    ];
    let ambiguous = [
        "# ambiguous: src/greenhouse.js:42 names no HTTP method; it may be any of DELETE /v1/applications/{id}, GET /v1/applications/{id}, PATCH /v1/applications/{id}: all are listed",
        "# ambiguous: src/greenhouse.js:38 names no HTTP method; it may be any of GET /v1/jobs, POST /v1/jobs: all are listed",
        "# ambiguous: src/greenhouse.js:50 names no HTTP method; it may be any of GET /v1/offices, POST /v1/offices: all are listed",
    ];
    let out = permissions("javascript", &[]);
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(out.stdout, expected_text(&ambiguous, &routes));
    assert!(
        out.stderr
            .contains("src/greenhouse.js:22: a Harvest v1/v2 call whose path is built at run time"),
        "{}",
        out.stderr
    );
}

#[test]
fn json_format_has_routes_scopes_calls_and_warnings() {
    let out = permissions("python", &["--format", "json"]);
    assert!(out.ok, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let endpoints: Vec<&str> = v["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(endpoints.len(), 6);
    assert!(endpoints.contains(&"POST /v1/applications/{id}/reject"));
    let scopes: Vec<String> = v["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    assert_eq!(scopes, scopes_of(&endpoints));
    let reject = &v["calls"]["POST /v1/applications/{id}/reject"];
    assert!(
        reject
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["method"] == "POST" && c["scope"] == "harvest:applications:reject"),
        "{reject}"
    );
    assert_eq!(v["unresolved"][0]["at"], "greenhouse_sync/client.py:44");
}

#[test]
fn no_endpoint_prints_no_endpoints_line() {
    let out = permissions("negative", &[]);
    assert!(out.ok, "{}", out.stderr);
    assert!(!out.stdout.contains("endpoints = ["), "{}", out.stdout);
    assert!(out.stdout.starts_with("# no Harvest v1/v2 endpoint found"));
}

#[test]
fn other_formats_are_refused() {
    let out = permissions("go", &["--format", "sarif"]);
    assert!(!out.ok);
    assert!(
        out.stderr.contains("--permissions prints text or json"),
        "{}",
        out.stderr
    );
}
