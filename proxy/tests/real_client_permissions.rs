//! A key built from `harvest-scan --permissions` runs its real client's calls, and only those.
//! Each real client's installed package source (tests/clients/setup.sh) is scanned; its
//! `endpoints = [...]` line is pasted, as printed, into a proxy.toml key; the client, unchanged,
//! then reads through the proxy (every call must succeed), and an endpoint outside the list is
//! refused with 403 before any v3 call.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use harvest_mappings::{Catalog, Status};
use harvest_proxy::Config;
use harvest_scan::permissions;

mod clients;
use clients::{clients_dir, python, root, run, setup};

const KEY: &str = "scanned-client-key";

/// `harvest-scan DIR --permissions` (the library calls the binary makes): its text output.
fn permissions_of(dir: &Path) -> String {
    let rep = harvest_scan::scan(dir, &harvest_scan::Options::default())
        .unwrap_or_else(|e| panic!("scan of {} failed: {e}", dir.display()));
    let needs = permissions::compute(&rep, Catalog::embedded().unwrap());
    assert!(
        !needs.endpoints.is_empty(),
        "{}: no endpoint found",
        dir.display()
    );
    permissions::text(&needs)
}

/// The installed Python package `name` (`venv/lib/python3.X/site-packages/…`).
fn site_package(name: &str) -> PathBuf {
    let lib = clients_dir().join("venv/lib");
    std::fs::read_dir(&lib)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path().join("site-packages").join(name))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| panic!("{name} is not installed under {}", lib.display()))
}

/// A proxy.toml whose one key has the scan's output pasted into its `[[keys]]` table.
fn config(sb: &harvest_sandbox::Sandbox, scan_output: &str) -> Config {
    let text = format!(
        "listen = \"127.0.0.1:0\"\nallow_insecure_upstream = true\n\n[[tenants]]\nname = \"t\"\nclient_id = \"{}\"\nclient_secret_env = \"DOCTOR_TEST_SECRET\"\ntoken_url = \"{}\"\nbase_url = \"{}\"\nread_as = {}\n\n[[keys]]\nlabel = \"scanned\"\ntenant = \"t\"\nsha256 = \"{}\"\n{scan_output}",
        harvest_sandbox::DEFAULT_CLIENT_ID,
        sb.token_url(),
        sb.base_url(),
        harvest_sandbox::DEFAULT_ADMIN_USER_ID,
        harvest_proxy::auth::key_hash_hex(KEY),
    );
    let secret = |n: &str| {
        (n == "DOCTOR_TEST_SECRET").then(|| harvest_sandbox::DEFAULT_CLIENT_SECRET.to_string())
    };
    Config::parse("proxy.toml", &text, &secret).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// A route the key may not call (a GET when there is one), as `(method, concrete path)`.
fn outside(c: &Config) -> (String, String) {
    let cat = Catalog::embedded().unwrap();
    let mut p = c.keys[0].endpoints.clone();
    p.compile(cat).unwrap();
    let mut refused: Vec<_> = cat
        .endpoints()
        .iter()
        .enumerate()
        .filter(|(i, e)| e.status != Status::Unsupported && !p.allows(*i))
        .map(|(_, e)| e)
        .collect();
    refused.sort_by_key(|e| (e.method != "GET", e.path.matches('{').count()));
    let e = refused
        .first()
        .expect("the scanned key does not allow every endpoint");
    let path: Vec<&str> = e
        .path
        .split('/')
        .map(|s| if s.starts_with('{') { "1" } else { s })
        .collect();
    (e.method.clone(), path.join("/"))
}

/// A raw request with the key and no body: the status code.
fn status_of(addr: SocketAddr, (method, path): &(String, String)) -> u16 {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nOn-Behalf-Of: 100001\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Runs the client through a proxy whose key is the scan of `package`, then the outside call.
async fn check(package: &Path, client: impl FnOnce(SocketAddr) -> Command + Send + 'static) {
    let scan_output = permissions_of(package);
    let sb = harvest_sandbox::spawn(harvest_sandbox::SandboxConfig {
        scale: 0.05,
        ..Default::default()
    })
    .await
    .unwrap();
    let c = config(&sb, &scan_output);
    let refused = outside(&c);
    let (_state, running) = harvest_proxy::start(c).await.expect("proxy starts");
    let addr = running.addr;
    let out = tokio::task::spawn_blocking(move || run(&mut client(addr)))
        .await
        .unwrap();
    for name in ["candidates", "applications", "jobs"] {
        let n = out[name].as_array().map_or(0, Vec::len);
        assert!(
            n > 0,
            "{}: no {name} read through the scanned key: {out}\n{scan_output}",
            package.display()
        );
    }
    assert!(sb.stats().v3_calls() > 0);
    sb.reset_stats();
    let call = refused.clone();
    let status = tokio::task::spawn_blocking(move || status_of(addr, &call))
        .await
        .unwrap();
    assert_eq!(
        status, 403,
        "{refused:?}, outside the scanned list, is refused"
    );
    assert_eq!(
        sb.stats().total,
        0,
        "refused before any v3 call (nor token)"
    );
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grnhse_api_runs_with_the_key_its_scan_prints() {
    setup();
    check(&site_package("grnhse"), |addr| {
        let mut c = Command::new(python());
        c.arg(root().join("tests/clients/grnhse_client.py")).args([
            &format!("http://{addr}"),
            KEY,
            "10",
        ]);
        c
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_greenhouse_mcp_runs_with_the_key_its_scan_prints() {
    setup();
    check(&site_package("greenhouse_mcp"), |addr| {
        let mut c = Command::new(python());
        c.arg(root().join("tests/clients/mcp_client.py")).args([
            &format!("http://{addr}"),
            KEY,
            "10",
        ]);
        c
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipedream_app_runs_with_the_key_its_scan_prints() {
    setup();
    let modules = clients_dir().join("node/node_modules");
    check(&modules.join("@pipedream/greenhouse"), move |addr| {
        let mut c = Command::new("node");
        c.arg(root().join("tests/clients/pipedream_client.mjs"))
            .args([
                modules.to_str().unwrap(),
                &format!("http://{addr}"),
                KEY,
                "10",
            ]);
        c
    })
    .await;
}
