//! Never flagged: Harvest v3, the Job Board API, the Ingestion API, other Greenhouse products,
//! /v1/ paths of unrelated APIs and Harvest (the time tracker).

mod common;
use common::{fixture, scan_path};

fn assert_clean(name: &str) {
    let r = scan_path(&fixture(&format!("negative/{name}")));
    assert!(r.summary.files_scanned > 0, "fixture {name} is empty");
    let got: Vec<String> = r
        .findings
        .iter()
        .map(|f| format!("{}:{} {}", f.path, f.line, f.kind))
        .collect();
    assert!(
        got.is_empty(),
        "negative fixture {name} gave findings: {got:?}"
    );
}

#[test]
fn harvest_v3_is_not_flagged() {
    assert_clean("v3");
}

#[test]
fn job_board_api_is_not_flagged() {
    assert_clean("job_board");
}

#[test]
fn ingestion_api_is_not_flagged() {
    assert_clean("ingestion");
}

#[test]
fn other_greenhouse_products_are_not_flagged() {
    assert_clean("other_products");
}

#[test]
fn unrelated_v1_apis_are_not_flagged() {
    assert_clean("other_apis");
}

#[test]
fn harvest_time_tracking_is_not_flagged() {
    assert_clean("harvestapp");
}

#[test]
fn whole_negative_tree_is_clean() {
    let r = scan_path(&fixture("negative"));
    assert_eq!(
        r.findings.len(),
        0,
        "{:?}",
        r.findings
            .iter()
            .map(|f| (&f.path, f.line))
            .collect::<Vec<_>>()
    );
}

#[test]
fn comments_and_docstrings_are_not_findings() {
    // The Python docstring, the JS comment, the Rust doc comment and the shell comment all name
    // a v1 URL; none of those lines may be reported. (Markdown prose is documentation to migrate:
    // it is reported, see languages.rs.)
    let r = scan_path(&fixture(""));
    for (path, line) in [
        ("python/greenhouse_sync/config.py", 3),
        ("python/greenhouse_sync/client.py", 8),
        ("javascript/src/greenhouse.js", 5),
        ("rust/src/lib.rs", 2),
        ("shell/sync.sh", 15),
        ("yaml/manifest.yaml", 10),
    ] {
        assert!(
            !r.findings.iter().any(|f| f.path == path && f.line == line),
            "{path}:{line} is a comment but was reported"
        );
    }
}
