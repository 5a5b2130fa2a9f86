//! `harvest-proxy doctor` against the sandbox: the limited credential's missing scopes (the
//! expectation computed here from the mapping catalogue and `LIMITED_CLIENT_SCOPES`), the full
//! credential passing, a token endpoint that refuses, and the probe fallback without
//! introspection (reads probed by GET, writes never sent).
use std::collections::BTreeSet;
use std::net::SocketAddr;

use harvest_mappings::{Catalog, Status};
use harvest_proxy::Config;
use harvest_proxy::access::{Permissions, Rule};
use harvest_proxy::doctor::{self, Report};
use harvest_proxy::secret::Secret;
use harvest_sandbox::{
    FaultAction, FaultPlan, LIMITED_CLIENT_ID, LIMITED_CLIENT_SCOPES, LIMITED_CLIENT_SECRET,
    Sandbox,
};
use harvest_tests::{KEY, small};

const CRM: &[&str] = &[
    "GET /v1/candidates",
    "GET /v1/candidates/{id}",
    "POST /v1/candidates/{id}/activity_feed/notes",
    "PATCH /v1/applications/{id}",
];
const REPORTS: &[&str] = &["jobs:read"];

fn rules(list: &[&str]) -> Permissions {
    Permissions::from_rules(
        list.iter()
            .map(|t| Rule {
                text: t.to_string(),
                line: 0,
            })
            .collect(),
    )
}

/// A config for the sandbox with two keys (crm, reports) on its one tenant.
fn config(sb: &Sandbox) -> Config {
    let mut c = harvest_proxy::sandbox::config_for(sb, SocketAddr::from(([127, 0, 0, 1], 0)), KEY);
    c.keys[0].label = "crm".into();
    c.keys[0].endpoints = rules(CRM);
    let mut reports = c.keys[0].clone();
    reports.label = "reports".into();
    reports.sha256 = harvest_proxy::auth::key_hash("another-key");
    reports.endpoints = rules(REPORTS);
    c.keys.push(reports);
    c
}

fn limited(c: &mut Config) {
    c.tenants[0].client_id = LIMITED_CLIENT_ID.into();
    c.tenants[0].client_secret = Secret::new(LIMITED_CLIENT_SECRET);
}

/// Every scope the v3 calls of the endpoints the rules allow need, from the catalogue.
fn scopes_needed(rules_list: &[&str], filter: impl Fn(&str) -> bool) -> BTreeSet<String> {
    let cat = Catalog::embedded().unwrap();
    let mut p = rules(rules_list);
    p.compile(cat).unwrap();
    let mut out = BTreeSet::new();
    for (i, ep) in cat.endpoints().iter().enumerate() {
        if p.allows(i) && ep.status != Status::Unsupported {
            out.extend(
                cat.calls_made(ep)
                    .iter()
                    .filter(|c| filter(&c.scope))
                    .map(|c| c.scope.clone()),
            );
        }
    }
    out
}

fn missing_of(needed: BTreeSet<String>) -> Vec<String> {
    needed
        .into_iter()
        .filter(|s| !LIMITED_CLIENT_SCOPES.contains(&s.as_str()))
        .collect()
}

async fn check(c: &Config) -> Report {
    let cat = Catalog::embedded().unwrap();
    doctor::run(c, cat, false).await.expect("doctor runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limited_credential_misses_exactly_the_scopes_its_keys_need() {
    let sb = harvest_sandbox::spawn(small()).await.unwrap();
    let mut c = config(&sb);
    limited(&mut c);
    let r = check(&c).await;
    assert!(!r.ok, "{}", doctor::text(&r));
    let t = &r.tenants[0];
    assert_eq!(t.token, "ok");
    assert_eq!(t.scopes_checked_by, "introspection");
    let all: Vec<&str> = CRM.iter().chain(REPORTS).copied().collect();
    let want = missing_of(scopes_needed(&all, |_| true));
    assert!(!want.is_empty());
    assert_eq!(t.missing_scopes, want, "{}", doctor::text(&r));
    assert!(t.unverified_scopes.is_empty());
    // Per key: what would fail names the endpoint, the v3 call and the scope.
    for (k, list) in t.keys.iter().zip([CRM, REPORTS]) {
        let got: BTreeSet<String> = k.failing.iter().map(|n| n.scope.clone()).collect();
        let expected: BTreeSet<String> = missing_of(scopes_needed(list, |_| true))
            .into_iter()
            .collect();
        assert_eq!(got, expected, "key {}", k.label);
    }
    let text = doctor::text(&r);
    assert!(
        text.contains(
            "POST /v1/candidates/{id}/activity_feed/notes → POST /v3/notes → missing harvest:notes:create"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!("  missing scopes: {}\n", want.join(" "))),
        "{text}"
    );
    assert!(
        text.contains("summary: 1 of 1 tenant(s) have problems"),
        "{text}"
    );
    // The read user is a site admin: the candidates read the credential allows succeeds.
    assert!(t.read_user.starts_with("site admin"), "{}", t.read_user);
    assert!(
        !text.contains(LIMITED_CLIENT_SECRET),
        "a secret was printed"
    );
    assert_eq!(sb.stats().writes(), 0, "no v3 write to probe");
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_credential_passes() {
    let sb = harvest_sandbox::spawn(small()).await.unwrap();
    let mut c = config(&sb);
    c.keys[1].endpoints = rules(&["*"]);
    let r = check(&c).await;
    let text = doctor::text(&r);
    assert!(r.ok, "{text}");
    assert_eq!(r.tenants[0].read_user, "site admin", "{text}");
    assert!(r.tenants[0].missing_scopes.is_empty(), "{text}");
    assert!(text.contains("summary: all 1 tenant(s) pass"), "{text}");
    assert_eq!(sb.stats().writes(), 0);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_user_who_is_not_a_site_admin_is_a_problem() {
    let sb = harvest_sandbox::spawn(small()).await.unwrap();
    let mut c = config(&sb);
    c.tenants[0].read_as = harvest_sandbox::DEFAULT_BASIC_USER_ID as u64;
    let r = check(&c).await;
    assert!(!r.ok);
    let t = &r.tenants[0];
    assert!(
        t.read_user.contains("is not a site admin"),
        "{}",
        t.read_user
    );
    assert!(
        t.problems.iter().any(|p| p.starts_with("read user:")),
        "{:?}",
        t.problems
    );
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_token_endpoint_is_a_clear_error() {
    let sb = harvest_sandbox::spawn(small()).await.unwrap();
    let mut c = config(&sb);
    c.tenants[0].client_secret = Secret::new("not-the-secret");
    let r = check(&c).await;
    assert!(!r.ok);
    let t = &r.tenants[0];
    assert_ne!(t.token, "ok");
    assert!(t.token.contains("token"), "says what failed: {}", t.token);
    assert!(
        !doctor::text(&r).contains("not-the-secret"),
        "the secret is not printed"
    );
    assert_eq!(
        sb.stats().v3_calls(),
        0,
        "nothing asked of v3 without a token"
    );

    c.tenants[0].client_secret = Secret::new(harvest_sandbox::DEFAULT_CLIENT_SECRET);
    sb.faults()
        .set(FaultPlan::none().always("/token", FaultAction::Status(503)));
    let r = check(&c).await;
    assert!(!r.ok);
    assert!(
        r.tenants[0].problems[0].starts_with("no token for user"),
        "{:?}",
        r.tenants[0].problems
    );
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_introspection_reads_are_probed_and_writes_are_not_verified() {
    let sb = harvest_sandbox::spawn(small()).await.unwrap();
    sb.faults()
        .set(FaultPlan::none().always("/introspect", FaultAction::Status(404)));
    let mut c = config(&sb);
    limited(&mut c);
    let r = check(&c).await;
    let t = &r.tenants[0];
    assert_eq!(t.scopes_checked_by, "probes", "{}", doctor::text(&r));
    let all: Vec<&str> = CRM.iter().chain(REPORTS).copied().collect();
    let reads = |s: &str| s.ends_with(":list");
    assert_eq!(t.missing_scopes, missing_of(scopes_needed(&all, reads)));
    let writes: Vec<String> = scopes_needed(&all, |s| !reads(s)).into_iter().collect();
    assert_eq!(t.unverified_scopes, writes);
    assert!(doctor::text(&r).contains("not verifiable without token introspection"));
    assert_eq!(sb.stats().writes(), 0, "no v3 write to probe");
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_exits_0_when_all_pass_and_1_on_a_problem() {
    let sb = harvest_sandbox::spawn(small()).await.unwrap();
    let dir = std::env::temp_dir().join(format!("doctor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, client: &str, secret: &str| {
        std::fs::write(dir.join(format!("{name}.secret")), secret).unwrap();
        let toml = format!(
            "allow_insecure_upstream = true\n\n[[tenants]]\nname = \"{name}\"\nclient_id = \"{client}\"\nclient_secret_file = \"{}\"\ntoken_url = \"{}\"\nbase_url = \"{}\"\nread_as = {}\n\n[[keys]]\nlabel = \"crm\"\ntenant = \"{name}\"\nsha256 = \"{}\"\nendpoints = [\"GET /v1/candidates\", \"GET /v1/jobs\"]\n",
            dir.join(format!("{name}.secret")).display(),
            sb.token_url(),
            sb.base_url(),
            harvest_sandbox::DEFAULT_ADMIN_USER_ID,
            harvest_proxy::auth::key_hash_hex(KEY),
        );
        let p = dir.join(format!("{name}.toml"));
        std::fs::write(&p, toml).unwrap();
        p
    };
    let full = write(
        "full",
        harvest_sandbox::DEFAULT_CLIENT_ID,
        harvest_sandbox::DEFAULT_CLIENT_SECRET,
    );
    let lim = write("limited", LIMITED_CLIENT_ID, LIMITED_CLIENT_SECRET);
    assert_eq!(doctor::cli(&full, false).await, 0);
    assert_eq!(doctor::cli(&lim, true).await, 1);
    assert_eq!(doctor::cli(&dir.join("absent.toml"), false).await, 2);
    let _ = std::fs::remove_dir_all(&dir);
    sb.shutdown().await;
}
