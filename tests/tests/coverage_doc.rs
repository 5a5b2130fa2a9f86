//! docs/coverage.md is generated from the mapping files; this fails when it is stale.
use std::path::PathBuf;

use harvest_mappings::{Catalog, report};

#[test]
fn coverage_md_is_up_to_date() {
    let c = Catalog::embedded().unwrap_or_else(|d| panic!("{d}"));
    let want = report::coverage_markdown(c);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/coverage.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        if std::env::var_os("UPDATE_COVERAGE").is_some() {
            std::fs::write(&path, &want).unwrap();
            return;
        }
        panic!(
            "docs/coverage.md is stale: run `cargo run -p harvest-proxy -- mappings coverage > docs/coverage.md` (or UPDATE_COVERAGE=1 cargo test -p harvest-tests --test coverage_doc)"
        );
    }
}

#[test]
fn every_legacy_route_of_the_reference_has_an_entry() {
    let c = Catalog::embedded().unwrap_or_else(|d| panic!("{d}"));
    let routes = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../reference/routes.json");
    let text =
        std::fs::read_to_string(&routes).unwrap_or_else(|e| panic!("{}: {e}", routes.display()));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 138);
    for r in list {
        let m = r["legacy_method"].as_str().unwrap();
        let p = r["legacy_path"].as_str().unwrap();
        let e = c
            .endpoints()
            .iter()
            .find(|e| e.method == m && e.path == p)
            .unwrap_or_else(|| panic!("no mapping entry for {m} {p}"));
        let versions: Vec<String> = r["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect();
        assert_eq!(e.versions, versions, "{m} {p}");
        match e.status {
            harvest_mappings::Status::Partial => {
                assert!(e.lost.as_deref().is_some_and(|l| l.len() > 10), "{m} {p}")
            }
            harvest_mappings::Status::Unsupported => {
                assert!(
                    e.reason
                        .as_deref()
                        .is_some_and(|l| l.len() > 10 && l != "TODO"),
                    "{m} {p}: reason"
                );
                assert!(
                    e.instead.as_deref().is_some_and(|l| l.len() > 5),
                    "{m} {p}: instead"
                );
            }
            harvest_mappings::Status::Translated => {}
        }
    }
    assert_eq!(c.endpoints().len(), 138);
}
