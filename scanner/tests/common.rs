//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use harvest_scan::{Options, Report, scan};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

pub fn scan_path(p: &Path) -> Report {
    match scan(p, &Options::default()) {
        Ok(r) => r,
        Err(e) => panic!("scan of {} failed: {e}", p.display()),
    }
}

/// (path, line, kind, legacy_route) of every finding.
pub fn rows(r: &Report) -> Vec<(String, u32, String, Option<String>)> {
    r.findings
        .iter()
        .map(|f| {
            (
                f.path.clone(),
                f.line,
                f.kind.as_str().to_string(),
                f.legacy_route.clone(),
            )
        })
        .collect()
}

pub fn check(name: &str, expected: &[(&str, u32, &str, Option<&str>)]) {
    let r = scan_path(&fixture(name));
    let mut got = rows(&r);
    got.sort();
    let mut want: Vec<(String, u32, String, Option<String>)> = expected
        .iter()
        .map(|(p, l, k, r)| (p.to_string(), *l, k.to_string(), r.map(str::to_string)))
        .collect();
    want.sort();
    assert_eq!(got, want, "findings of fixture {name}");
}

/// Path of the built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_harvest-scan"))
}
