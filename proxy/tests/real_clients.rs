//! Three real legacy clients, installed from their registries by tests/clients/setup.sh, run
//! unchanged against `harvest-proxy --sandbox` and read candidates, applications and jobs across
//! several pages. Every record must come back exactly once.
use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

mod clients;
use clients::{Proxy, clients_dir, python, root, run, setup};

const KEY: &str = "real-client-key";
const SCALE: f64 = 0.25;

fn start_proxy() -> Proxy {
    clients::start_sandbox_proxy(KEY, SCALE)
}

/// The ids the sandbox serves, from the same seed and scale.
fn expected(resource: &str) -> BTreeSet<i64> {
    let cfg = harvest_sandbox::SandboxConfig {
        scale: SCALE,
        ..Default::default()
    };
    let ds = harvest_sandbox::build_dataset(&cfg).unwrap();
    ds.records_desc(resource)
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect()
}

fn assert_each_once(client: &str, out: &Value) {
    for name in ["candidates", "applications", "jobs"] {
        let ids: Vec<i64> = out[name]
            .as_array()
            .unwrap_or_else(|| panic!("{client}: no {name}"))
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let set: BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(
            set.len(),
            ids.len(),
            "{client}: {name} returned a record twice"
        );
        assert_eq!(
            set,
            expected(name),
            "{client}: {name} differ from the data the sandbox serves"
        );
    }
}

#[test]
fn grnhse_api_follows_link_headers_across_pages() {
    setup();
    let p = start_proxy();
    let out = run(Command::new(python())
        .arg(root().join("tests/clients/grnhse_client.py"))
        .args([&format!("http://{}", p.addr), KEY, "50"]));
    assert_each_once("grnhse-api", &out);
    assert!(out["pages"]["candidates"].as_u64().unwrap() > 2, "{out}");
    assert_eq!(out["retrieved"]["id"], out["candidates"][0]);
    let keys: Vec<&str> = out["retrieved"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    for k in [
        "applications",
        "attachments",
        "educations",
        "employments",
        "recruiter",
        "keyed_custom_fields",
    ] {
        assert!(keys.contains(&k), "retrieved candidate lacks {k}: {keys:?}");
    }
}

#[test]
fn open_greenhouse_mcp_lists_every_page() {
    setup();
    let p = start_proxy();
    let out = run(Command::new(python())
        .arg(root().join("tests/clients/mcp_client.py"))
        .args([&format!("http://{}", p.addr), KEY, "40"]));
    assert_each_once("open-greenhouse-mcp", &out);
    let page2 = out["page2"].as_array().unwrap();
    assert_eq!(page2.len(), 40);
    assert_eq!(
        page2[0], out["candidates"][40],
        "page 2 by number starts after page 1"
    );
    assert_eq!(out["page2_has_next"], true);
}

#[test]
fn pipedream_app_pages_by_number() {
    setup();
    let p = start_proxy();
    let modules = clients_dir().join("node/node_modules");
    let out = run(Command::new("node")
        .arg(root().join("tests/clients/pipedream_client.mjs"))
        .args([
            modules.to_str().unwrap(),
            &format!("http://{}", p.addr),
            KEY,
            "30",
        ]));
    assert_each_once("@pipedream/greenhouse", &out);
}
