//! The `harvest-proxy mappings …` commands and start-up refusals, as a user runs them.
use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_harvest-proxy"))
        .args(args)
        .output()
        .expect("run harvest-proxy");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hb-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn list_json_has_every_legacy_endpoint_with_a_status() {
    let (code, out, _) = run(&["mappings", "list", "--format", "json"]);
    assert_eq!(code, 0);
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 138);
    for r in &rows {
        for k in [
            "legacy_method",
            "legacy_path",
            "versions",
            "status",
            "v3",
            "scopes",
            "notes",
        ] {
            assert!(r.get(k).is_some(), "{k} missing in {r}");
        }
        let status = r["status"].as_str().unwrap();
        assert!(["translated", "partial", "unsupported"].contains(&status));
        match status {
            "partial" => assert!(r["lost"].as_str().is_some_and(|s| !s.is_empty()), "{r}"),
            "unsupported" => assert!(
                r["reason"].as_str().is_some_and(|s| !s.is_empty())
                    && r["instead"].as_str().is_some(),
                "{r}"
            ),
            _ => {}
        }
        assert!(r["v3"].as_array().unwrap().iter().all(|c| c["method"].is_string() && c["path"].as_str().unwrap().starts_with("/v3/")));
        assert!(!r["scopes"].as_array().unwrap().is_empty(), "{r}");
    }
    let (code, out, _) = run(&["mappings", "check"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("ok: ") && out.contains("138 legacy endpoints"),
        "{out}"
    );
}

#[test]
fn check_reports_located_errors_and_exits_non_zero() {
    let d = temp_dir("broken");
    std::fs::write(
        d.join("a.toml"),
        "[views.v]\nops = [\n  { op = \"renam\", from = \"a\", to = \"b\" },\n]\n",
    )
    .unwrap();
    std::fs::write(
        d.join("b.toml"),
        "[views.w]\nops = [{ op = \"filter\", at = \"x\", where = \"$[?@.a ==]\" }]\n",
    )
    .unwrap();
    let (code, _, err) = run(&["mappings", "check", d.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("a.toml:3:3: error: invalid operation"),
        "{err}"
    );
    assert!(
        err.contains("b.toml:2:") && err.contains("invalid JSONPath"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert!(err.contains("2 error(s)"), "{err}");
    // The proxy refuses to start on them.
    let cfg = d.join("proxy.toml");
    std::fs::write(
        &cfg,
        format!("listen = \"127.0.0.1:0\"\nmappings = \"{}\"\n", d.display()),
    )
    .unwrap();
    let (code, _, err) = run(&["--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid mappings") && err.contains("a.toml:3:3"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn config_errors_are_clear() {
    let d = temp_dir("cfg");
    let cfg = d.join("proxy.toml");
    std::fs::write(
        &cfg,
        "[[tenants]]\nname = \"a\"\nclient_id = \"x\"\nclient_secret = \"plain\"\nread_as = 1\n",
    )
    .unwrap();
    let (code, _, err) = run(&["--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("must not be written in the config"), "{err}");
    assert!(!err.contains("plain"), "the secret is not echoed: {err}");
    let (code, _, err) = run(&["--config", d.join("missing.toml").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn hash_key_reads_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_harvest-proxy"))
        .arg("hash-key")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"test").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );
}

#[test]
fn coverage_command_prints_the_coverage_document() {
    let (code, out, _) = run(&["mappings", "coverage"]);
    assert_eq!(code, 0);
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/coverage.md"),
    )
    .unwrap();
    assert_eq!(out, doc);
}
