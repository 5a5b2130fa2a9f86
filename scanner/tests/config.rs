//! `harvest-scan.toml`: include/exclude globs, extra base-URL names and trusted wrappers, read
//! from the scanned folder or `--config FILE`; bad settings are an error (exit 2).

mod common;
use std::fs;
use std::path::Path;
use std::process::Command;

use common::bin;

/// (path, line, kind, route) of each finding of a scan of `dir` with `args`; and the exit code.
fn scan(dir: &Path, args: &[&str]) -> (Vec<(String, u64, String, String)>, i32) {
    let out = Command::new(bin())
        .arg(dir)
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("run");
    let code = out.status.code().unwrap_or(-1);
    if code == 2 {
        return (Vec::new(), 2);
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["kind"].as_str().unwrap_or("").to_string(),
                f["legacy_route"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (rows, code)
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    fs::write(p, text).expect("write");
}

const LEGACY: &str = "export const U = \"https://harvest.greenhouse.io/v1/jobs\";\n";

#[test]
fn include_and_exclude_globs() {
    let d = tempfile::tempdir().expect("tmp");
    for p in ["src/a.js", "src/fixtures/b.js", "scripts/c.js", "docs/d.js"] {
        write(d.path(), p, LEGACY);
    }
    let files = |rows: Vec<(String, u64, String, String)>| -> Vec<String> {
        let mut f: Vec<String> = rows.into_iter().map(|r| r.0).collect();
        f.dedup();
        f
    };
    let (all, _) = scan(d.path(), &[]);
    assert_eq!(
        files(all),
        ["docs/d.js", "scripts/c.js", "src/a.js", "src/fixtures/b.js"]
    );
    write(
        d.path(),
        "harvest-scan.toml",
        "include = [\"src/**\", \"docs/**\"]\nexclude = [\"**/fixtures/**\"]\n",
    );
    let (some, code) = scan(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(files(some), ["docs/d.js", "src/a.js"]);
}

#[test]
fn extra_base_url_names() {
    let d = tempfile::tempdir().expect("tmp");
    // The base comes from the environment: nothing in the code says Harvest v1.
    let code = "import os\nimport requests\n\nGH_BASE = os.environ[\"GH_BASE\"]\nOTHER = \"https://api.lever.co/v1\"\n\n\ndef jobs():\n    return requests.get(GH_BASE + \"/jobs\")\n\n\ndef other():\n    return requests.get(OTHER + \"/jobs\")\n";
    write(d.path(), "sync.py", code);
    let (rows, code0) = scan(d.path(), &[]);
    assert!(rows.is_empty(), "{rows:?}");
    assert_eq!(code0, 0);
    write(d.path(), "harvest-scan.toml", "base_urls = [\"GH_BASE\"]\n");
    let (rows, _) = scan(d.path(), &[]);
    assert_eq!(
        rows,
        [(
            "sync.py".to_string(),
            9,
            "endpoint".to_string(),
            "GET /v1/jobs".to_string()
        )]
    );
}

#[test]
fn trusted_wrappers_and_config_flag() {
    let d = tempfile::tempdir().expect("tmp");
    // The wrappers live in a library the scan does not see.
    let code = "const { ghRequest, ghPost } = require('@acme/gh-client');\n\nghRequest('candidates/' + id);\nghPost({}, `/candidates/${id}/activity_feed/notes`);\nother('candidates');\n";
    write(d.path(), "index.js", code);
    let (rows, _) = scan(d.path(), &[]);
    assert!(rows.is_empty(), "{rows:?}");
    let cfg = d.path().join("settings.toml");
    fs::write(
        &cfg,
        "wrappers = [\"ghRequest\", { name = \"ghPost\", param = 1, method = \"POST\" }]\n",
    )
    .expect("write");
    let (rows, _) = scan(d.path(), &["--config", cfg.to_str().expect("utf-8")]);
    let got: Vec<(u64, String)> = rows.into_iter().map(|r| (r.1, r.3)).collect();
    assert_eq!(
        got,
        [
            (3, "GET /v1/candidates/{id}".to_string()),
            (
                4,
                "POST /v1/candidates/{id}/activity_feed/notes".to_string()
            )
        ]
    );
}

#[test]
fn bad_settings_are_an_error() {
    let d = tempfile::tempdir().expect("tmp");
    write(d.path(), "a.js", LEGACY);
    write(d.path(), "harvest-scan.toml", "inclde = [\"src/**\"]\n");
    let out = Command::new(bin()).arg(d.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown key `inclde`"), "{err}");
    // Located at file:line:column, with a hint.
    assert!(err.contains("harvest-scan.toml:1:1: "), "{err}");
    assert!(err.contains("hint: "), "{err}");
    write(
        d.path(),
        "harvest-scan.toml",
        "include = [\"src/**\"]\n\n[[wrappers]]\nname = \"x\"\nparam = \"one\"\n",
    );
    let out = Command::new(bin()).arg(d.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("harvest-scan.toml:5:9: wrappers: bad `param`"),
        "{err}"
    );
    let (_, code) = scan(d.path(), &["--config", "/nonexistent/harvest-scan.toml"]);
    assert_eq!(code, 2);
}
