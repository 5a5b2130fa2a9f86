//! The binary: exit codes, output formats (JSON, SARIF validated against the 2.1.0 schema,
//! Markdown, GitHub annotations), the `--diff` patch, baselines, inline suppression and the walk
//! (.gitignore/.ignore, vendored folders, `--all`, `--no-ignore`).

mod common;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::{bin, fixture, scan_path};

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run harvest-scan")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for e in fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let t = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            fs::copy(e.path(), t).expect("copy");
        }
    }
}

fn json_of(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn exit_codes() {
    let here = Path::new(".");
    let neg = fixture("negative");
    assert_eq!(
        run(&[neg.to_str().expect("utf8")], here).status.code(),
        Some(0)
    );
    let py = fixture("python");
    assert_eq!(
        run(&[py.to_str().expect("utf8")], here).status.code(),
        Some(1)
    );
    assert_eq!(run(&["/definitely/not/here"], here).status.code(), Some(2));
    assert_eq!(
        run(&[py.to_str().expect("utf8"), "--fail-on", "nonsense"], here)
            .status
            .code(),
        Some(2)
    );
    // Only a base URL: below --fail-on endpoint, at --fail-on base_url.
    let dir = tempfile::tempdir().expect("tmp");
    fs::write(
        dir.path().join("c.py"),
        "BASE = \"https://harvest.greenhouse.io/v1\"\n",
    )
    .expect("write");
    let p = dir.path().to_str().expect("utf8");
    assert_eq!(
        run(&[p, "--fail-on", "endpoint"], here).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&[p, "--fail-on", "base_url"], here).status.code(),
        Some(1)
    );
    assert_eq!(run(&[p, "--fail-on", "any"], here).status.code(), Some(1));
}

#[test]
fn json_has_the_documented_fields() {
    let o = run(
        &[
            fixture("javascript").to_str().expect("utf8"),
            "--format",
            "json",
        ],
        Path::new("."),
    );
    let v = json_of(&o);
    let f = &v["findings"][0];
    for k in [
        "path",
        "line",
        "column",
        "kind",
        "legacy_route",
        "rule",
        "message",
        "v3",
        "scopes",
        "text",
    ] {
        assert!(f.get(k).is_some(), "finding lacks {k}: {f}");
    }
    let ep = v["findings"]
        .as_array()
        .expect("array")
        .iter()
        .find(|f| f["kind"] == "endpoint" && f["legacy_route"] == "POST /v1/candidates")
        .expect("POST /v1/candidates");
    assert_eq!(ep["rule"], "HB001");
    assert!(
        ep["v3"]["calls"].as_array().is_some_and(|c| !c.is_empty()),
        "{ep}"
    );
    assert!(
        ep["scopes"].as_array().is_some_and(|c| !c.is_empty()),
        "{ep}"
    );
    let s = &v["summary"];
    assert!(s["scopes"].as_array().is_some_and(|a| !a.is_empty()));
    assert!(
        s["endpoints"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["legacy_route"] == "POST /v1/candidates"))
    );
    assert_eq!(s["by_kind"]["on_behalf_of"], 1);
    assert!(s["warnings"].is_array());
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema/sarif-2.1.0-rtm.5.json");
    // The published schema has one malformed `pattern` (an unbalanced `]` in run.language) that
    // a strict regex engine rejects when the schema itself is checked; it is fixed here in memory
    // only (the vendored file is unchanged).
    let raw = fs::read_to_string(schema_path).expect("schema").replace(
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
    );
    let schema: serde_json::Value = serde_json::from_str(&raw).expect("schema json");
    let validator = jsonschema::draft4::new(&schema).expect("compile schema");
    for fx in ["python", "yaml", "negative"] {
        let o = run(
            &[fixture(fx).to_str().expect("utf8"), "--format", "sarif"],
            Path::new("."),
        );
        let v = json_of(&o);
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{fx}: {errors:?}");
        assert_eq!(v["version"], "2.1.0");
        let n = scan_path(&fixture(fx)).findings.len();
        assert_eq!(v["runs"][0]["results"].as_array().map(|a| a.len()), Some(n));
    }
}

#[test]
fn markdown_and_github_formats() {
    let p = fixture("go");
    let md = String::from_utf8(
        run(
            &[p.to_str().expect("utf8"), "--format", "markdown"],
            Path::new("."),
        )
        .stdout,
    )
    .expect("utf8");
    assert!(md.starts_with("# Harvest v1/v2"));
    assert!(md.contains("## Review comments"));
    assert!(
        md.contains("`harvest.go:35` — HB001 PATCH /v1/jobs/{job_id}/openings/{id}"),
        "{md}"
    );
    let gh = String::from_utf8(
        run(
            &[p.to_str().expect("utf8"), "--format", "github"],
            Path::new("."),
        )
        .stdout,
    )
    .expect("utf8");
    let first = gh.lines().next().expect("a line");
    assert!(
        first.starts_with("::warning file=harvest.go,line=9,col="),
        "{first}"
    );
    assert_eq!(gh.lines().count(), scan_path(&p).findings.len());
    let text = String::from_utf8(
        run(
            &[p.to_str().expect("utf8"), "--color", "never"],
            Path::new("."),
        )
        .stdout,
    )
    .expect("utf8");
    assert!(
        text.contains("harvest.go:26:58 HB001 endpoint GET /v1/jobs/{id}"),
        "{text}"
    );
    assert!(text.contains("v3 scopes needed:"));
}

/// Is `GET /v1/sources` a safe rewrite according to the catalog today?
fn sources_is_safe() -> bool {
    let cat = harvest_mappings::Catalog::embedded().expect("catalog");
    let m = cat.match_route("GET", "/v1/sources").expect("route");
    harvest_scan::advice::is_safe(m.endpoint)
}

#[test]
fn diff_applies_and_is_idempotent() {
    let dir = tempfile::tempdir().expect("tmp");
    copy_dir(&fixture("python"), dir.path());
    let out = tempfile::tempdir().expect("tmp");
    let patch = out.path().join("out.patch");
    let o = run(
        &[
            ".",
            "--diff",
            patch.to_str().expect("utf8"),
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let text = fs::read_to_string(&patch).expect("patch");
    assert_eq!(
        text.contains("+        return requests.get(\"https://harvest.greenhouse.io/v3/sources\""),
        sources_is_safe(),
        "{text}"
    );
    // Nothing but safe rewrites: only the version segment changes on each changed line.
    for (minus, plus) in text
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .zip(
            text.lines()
                .filter(|l| l.starts_with('+') && !l.starts_with("+++")),
        )
    {
        assert_eq!(
            minus[1..].replace("/v1/", "/v3/").replace("/v2/", "/v3/"),
            plus[1..]
        );
    }
    if !text.is_empty() {
        let check = Command::new("git")
            .args(["apply", "--check"])
            .arg(&patch)
            .current_dir(dir.path())
            .output()
            .expect("git");
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let apply = Command::new("git")
            .arg("apply")
            .arg(&patch)
            .current_dir(dir.path())
            .output()
            .expect("git");
        assert!(
            apply.status.success(),
            "{}",
            String::from_utf8_lossy(&apply.stderr)
        );
    }
    let again = out.path().join("again.patch");
    run(&[".", "--diff", again.to_str().expect("utf8")], dir.path());
    assert_eq!(
        fs::read_to_string(&again).expect("patch"),
        "",
        "second patch must be empty"
    );
}

#[test]
fn baseline_survives_line_shifts() {
    let dir = tempfile::tempdir().expect("tmp");
    copy_dir(&fixture("ruby"), dir.path());
    let o = run(
        &[".", "--write-baseline", "base.json", "--format", "json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let before = json_of(&o)["findings"]
        .as_array()
        .map(|a| a.len())
        .unwrap_or(0);
    assert!(before > 5);
    // Shift every line down and add one new use.
    let file = dir.path().join("lib/greenhouse_client.rb");
    let src = fs::read_to_string(&file).expect("read");
    fs::write(
        &file,
        format!(
            "# a header\n# another\n{src}\nNEW = \"https://harvest.greenhouse.io/v1/offices\"\n"
        ),
    )
    .expect("write");
    let o = run(
        &[".", "--baseline", "base.json", "--format", "json"],
        dir.path(),
    );
    let v = json_of(&o);
    let left: Vec<(String, u64)> = v["findings"]
        .as_array()
        .expect("array")
        .iter()
        .map(|f| {
            (
                f["legacy_route"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(left, vec![("GET /v1/offices".to_string(), 44)]);
    assert_eq!(v["summary"]["baselined"], before);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn inline_suppression() {
    let r = scan_path(&fixture("python"));
    assert!(r.summary.suppressed >= 1);
    assert!(
        !r.findings
            .iter()
            .any(|f| f.path == "greenhouse_sync/client.py" && f.line == 47)
    );
    // Comment on the line before.
    let r = scan_path(&fixture("rust"));
    assert!(!r.findings.iter().any(|f| f.line == 33));
    assert_eq!(r.summary.suppressed, 1);
}

#[test]
fn walk_honours_ignore_files_and_vendored_folders() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let line = "export const U = \"https://harvest.greenhouse.io/v1/jobs\";\n";
    for p in [
        "src/app.js",
        "generated/app.js",
        "node_modules/gh/index.js",
        "dist/bundle.js",
        "vendor/x/app.js",
        "skipme/app.js",
    ] {
        fs::create_dir_all(d.join(p).parent().expect("parent")).expect("mkdir");
        fs::write(d.join(p), line).expect("write");
    }
    fs::write(d.join(".gitignore"), "generated/\n").expect("write");
    fs::write(d.join(".ignore"), "skipme\n").expect("write");
    let files = |args: &[&str]| -> Vec<String> {
        let mut a = vec![".", "--format", "json"];
        a.extend_from_slice(args);
        let v = json_of(&run(&a, d));
        let mut f: Vec<String> = v["findings"]
            .as_array()
            .expect("array")
            .iter()
            .map(|f| f["path"].as_str().unwrap_or("").to_string())
            .collect();
        f.sort();
        f
    };
    // Outside a git work tree .gitignore is not read (as ripgrep); .ignore is.
    assert_eq!(
        files(&[]),
        vec!["dist/bundle.js", "generated/app.js", "src/app.js"]
    );
    fs::create_dir(d.join(".git")).expect("mkdir .git");
    assert_eq!(files(&[]), vec!["dist/bundle.js", "src/app.js"]);
    assert_eq!(
        files(&["--no-ignore"]),
        vec![
            "dist/bundle.js",
            "generated/app.js",
            "skipme/app.js",
            "src/app.js"
        ]
    );
    assert_eq!(
        files(&["--all"]),
        vec![
            "dist/bundle.js",
            "generated/app.js",
            "node_modules/gh/index.js",
            "skipme/app.js",
            "src/app.js",
            "vendor/x/app.js"
        ]
    );
}

#[test]
fn help_names_rules_ignore_syntax_and_exit_codes() {
    let o = run(&["--help"], Path::new("."));
    assert_eq!(o.status.code(), Some(0));
    let h = String::from_utf8_lossy(&o.stdout);
    for want in [
        "HB001",
        "HB002",
        "HB003",
        "HB004",
        "harvest-scan: ignore",
        "Exit status",
        "Examples",
    ] {
        assert!(h.contains(want), "--help lacks {want}: {h}");
    }
}

#[test]
fn per_rule_suppression_and_since() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let py = "import requests\nBASE = \"https://harvest.greenhouse.io/v1\"\n\
              r = requests.get(BASE + \"/candidates\", auth=(KEY, \"\"))  # harvest-scan: ignore HB003 rotating keys first\n";
    fs::write(d.join("a.py"), py).expect("write");
    let v = json_of(&run(&[".", "--format", "json"], d));
    let kinds: Vec<&str> = v["findings"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f["line"] == 3)
        .map(|f| f["kind"].as_str().unwrap_or(""))
        .collect();
    assert!(kinds.contains(&"endpoint"), "{kinds:?}");
    assert!(!kinds.contains(&"basic_auth"), "{kinds:?}");
    assert_eq!(v["summary"]["suppressed"], 1);
    // --since: only lines changed since the commit.
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(d)
            .output()
            .expect("git")
    };
    if !git(&["init", "-q"]).status.success() {
        return;
    }
    git(&["add", "."]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "-m",
        "x",
    ]);
    fs::write(
        d.join("a.py"),
        format!("{py}u = requests.get(BASE + \"/users\")\n"),
    )
    .expect("write");
    let v = json_of(&run(&[".", "--format", "json", "--since", "HEAD"], d));
    let lines: Vec<u64> = v["findings"]
        .as_array()
        .expect("array")
        .iter()
        .map(|f| f["line"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(lines, vec![4], "{v}");
}
