//! Bad input never stops a scan: binary files, invalid UTF-8, files over 10 MB, unreadable
//! entries and symlink loops each give a warning (stderr and `summary.warnings`), and the other
//! files are still scanned.

mod common;
use std::fs;
use std::process::Command;

use common::{bin, scan_path};

const GOOD: &str = "BASE = \"https://harvest.greenhouse.io/v1\"\n";

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("good.py"), GOOD).expect("write");
    dir
}

fn has_warning(r: &harvest_scan::Report, needle: &str) -> bool {
    r.summary.warnings.iter().any(|w| w.contains(needle))
}

fn good_found(r: &harvest_scan::Report) -> bool {
    r.findings
        .iter()
        .any(|f| f.path == "good.py" && f.line == 1)
}

#[test]
fn binary_file_is_warned_and_skipped() {
    let dir = tree();
    let mut blob = vec![0u8, 1, 2, 3, 0, 0];
    blob.extend_from_slice(b"https://harvest.greenhouse.io/v1/candidates");
    fs::write(dir.path().join("blob.bin"), blob).expect("write");
    let r = scan_path(dir.path());
    assert!(
        has_warning(&r, "blob.bin: binary"),
        "{:?}",
        r.summary.warnings
    );
    assert!(!r.findings.iter().any(|f| f.path == "blob.bin"));
    assert!(good_found(&r));
}

#[test]
fn invalid_utf8_is_warned_and_still_scanned() {
    let dir = tree();
    let mut bytes = b"# \xff\xfe broken\n".to_vec();
    bytes.extend_from_slice(b"JOBS = \"https://harvest.greenhouse.io/v1/jobs\"\n");
    fs::write(dir.path().join("bad.py"), bytes).expect("write");
    let r = scan_path(dir.path());
    assert!(
        has_warning(&r, "bad.py: invalid UTF-8"),
        "{:?}",
        r.summary.warnings
    );
    assert!(r.findings.iter().any(|f| f.path == "bad.py"
        && f.line == 2
        && f.legacy_route.as_deref() == Some("GET /v1/jobs")));
    assert!(good_found(&r));
}

#[test]
fn file_over_10_mb_is_warned_and_skipped() {
    let dir = tree();
    let p = dir.path().join("huge.js");
    fs::write(&p, "const u = \"https://harvest.greenhouse.io/v1/jobs\";\n").expect("write");
    let f = fs::OpenOptions::new().write(true).open(&p).expect("open");
    f.set_len(10 * 1024 * 1024 + 1).expect("grow");
    let r = scan_path(dir.path());
    assert!(
        has_warning(&r, "huge.js: larger than 10 MB"),
        "{:?}",
        r.summary.warnings
    );
    assert!(!r.findings.iter().any(|f| f.path == "huge.js"));
    assert!(good_found(&r));
}

#[cfg(unix)]
#[test]
fn unreadable_entry_is_warned() {
    let dir = tree();
    std::os::unix::fs::symlink(
        dir.path().join("missing-target.py"),
        dir.path().join("dangling.py"),
    )
    .expect("symlink");
    let r = scan_path(dir.path());
    assert!(
        has_warning(&r, "dangling.py: unreadable"),
        "{:?}",
        r.summary.warnings
    );
    assert!(good_found(&r));
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_warned() {
    let dir = tree();
    fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::os::unix::fs::symlink(dir.path(), dir.path().join("sub").join("loop")).expect("symlink");
    // Not followed by default (as ripgrep): no loop, no warning, each file once.
    let r = scan_path(dir.path());
    assert!(!has_warning(&r, "symlink loop"), "{:?}", r.summary.warnings);
    assert!(good_found(&r));
    // Followed on request: the loop is detected and warned about.
    let opts = harvest_scan::Options {
        follow: true,
        ..Default::default()
    };
    let r = harvest_scan::scan(dir.path(), &opts).expect("scan");
    assert!(has_warning(&r, "symlink loop"), "{:?}", r.summary.warnings);
    assert!(good_found(&r));
}

#[cfg(unix)]
#[test]
fn symlinked_folders_are_not_walked_twice() {
    let dir = tree();
    fs::create_dir(dir.path().join("real")).expect("mkdir");
    fs::write(
        dir.path().join("real").join("api.js"),
        "const U = \"https://harvest.greenhouse.io/v1/jobs\";\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("alias")).expect("symlink");
    let count = |r: &harvest_scan::Report| {
        r.findings
            .iter()
            .filter(|f| f.path.ends_with("api.js"))
            .count()
    };
    let r = scan_path(dir.path());
    assert_eq!(
        count(&r),
        1,
        "{:?}",
        r.findings.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    let opts = harvest_scan::Options {
        follow: true,
        ..Default::default()
    };
    let r = harvest_scan::scan(dir.path(), &opts).expect("scan");
    assert_eq!(count(&r), 1, "each real file once when following too");
}

#[cfg(unix)]
#[test]
fn warnings_reach_stderr_and_json() {
    let dir = tree();
    fs::write(dir.path().join("blob.bin"), b"\0\0greenhouse\0").expect("write");
    let out = Command::new(bin())
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: blob.bin: binary"), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let warns = v["summary"]["warnings"].as_array().expect("warnings");
    assert!(
        warns
            .iter()
            .any(|w| w.as_str().is_some_and(|s| s.contains("blob.bin")))
    );
}

/// The walk is parallel, the report is not: the same tree gives the same report, byte for byte,
/// and files are listed and scanned once each.
#[test]
fn parallel_walk_gives_a_deterministic_report() {
    let dir = tree();
    for i in 0..300 {
        let d = dir
            .path()
            .join(format!("pkg{}", i % 7))
            .join(format!("m{}", i % 13));
        fs::create_dir_all(&d).expect("mkdir");
        let body = if i % 10 == 0 {
            format!("URL_{i} = \"https://harvest.greenhouse.io/v1/jobs/{i}\"\n")
        } else {
            format!("x = {i}\n")
        };
        fs::write(d.join(format!("f{i}.py")), body).expect("write");
    }
    let run = || {
        let out = Command::new(bin())
            .arg(dir.path())
            .args(["--format", "json"])
            .output()
            .expect("run");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = run();
    for _ in 0..4 {
        assert_eq!(run(), first);
    }
    let r = scan_path(dir.path());
    assert_eq!(r.summary.files_scanned, 301);
    let paths: Vec<&str> = r.findings.iter().map(|f| f.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    assert_eq!(paths, sorted);
    assert_eq!(paths.len(), 31);
}

/// Following links, a file reached by two paths is reported under the first in sorted order.
#[cfg(unix)]
#[test]
fn followed_aliases_keep_the_first_path() {
    let dir = tree();
    fs::create_dir(dir.path().join("zreal")).expect("mkdir");
    fs::write(
        dir.path().join("zreal").join("api.js"),
        "const U = \"https://harvest.greenhouse.io/v1/jobs\";\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(dir.path().join("zreal"), dir.path().join("alias")).expect("link");
    let opts = harvest_scan::Options {
        follow: true,
        ..Default::default()
    };
    for _ in 0..3 {
        let r = harvest_scan::scan(dir.path(), &opts).expect("scan");
        let p: Vec<&str> = r
            .findings
            .iter()
            .filter(|f| f.path.ends_with("api.js"))
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(p, vec!["alias/api.js"]);
    }
}

/// A named pipe is not opened (it would block the scan).
#[cfg(unix)]
#[test]
fn fifo_is_skipped() {
    let dir = tree();
    let fifo = dir.path().join("pipe");
    let ok = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return;
    }
    let r = scan_path(dir.path());
    assert!(good_found(&r));
}

/// A URL composed from a constant that spans lines is reported on the line of the
/// composition: the constant's own line breaks are not counted from there (they pushed the
/// line past the end of the file; found by fuzzing the scanner).
#[test]
fn a_url_composed_from_a_multi_line_constant_is_on_the_composition_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = "module Gh\n  HOST = \"https://\n\n\n\n\n\nharvest.greenhouse.io\"\n  BASE = \"#{HOST}/v1\".freeze\nend\n";
    fs::write(dir.path().join("gh.rb"), src).expect("write");
    let r = scan_path(dir.path());
    let lines: Vec<u32> = r
        .findings
        .iter()
        .filter(|f| f.path == "gh.rb")
        .map(|f| f.line)
        .collect();
    assert_eq!(lines, vec![9], "{:?}", r.findings);
}
