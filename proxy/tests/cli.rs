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

#[test]
fn show_explains_one_endpoint_with_its_views_resolved() {
    let (code, out, err) = run(&["mappings", "show", "GET /v1/candidates"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("GET /v1/candidates  (List Candidates)\n"),
        "{out}"
    );
    for needle in [
        "  declared at   candidates.toml:",
        "  status        translated",
        "\nnotes\n",
        "\nparameters",
        "  per_page        page size: default 100, 1..500",
        "  created_after   sent as created_at=gte|<value> (datetime)",
        "  job_id          via /v3/applications?job_ids=<value>",
        "\nv3 calls\n  GET /v3/candidates\n      primary list; scope harvest:candidates:list",
        "GET /v3/applications?candidate_ids={id}",
        "\nscopes\n",
        "  harvest:users:list",
        "\nresponse\n  view candidates.candidate, shape list",
        "  candidates.candidate  (candidates.toml:",
        "join applications: GET /v3/applications — key id = on candidate_id, rows through view applications.application",
        "one call per 50 keys of the whole batch (candidate_ids=<keys>)",
        // the joined rows' view and the views its joins use
        "  applications.application  (applications.toml:",
        "  users.user_ref  (users.toml:",
        "the whole collection (every page), once per translation; reference data the proxy may cache",
        "attach join=applications to=application_ids order_by=id select=id desc=true",
    ] {
        assert!(out.contains(needle), "{needle:?} in:\n{out}");
    }
}

#[test]
fn show_takes_the_route_in_every_written_form() {
    let (code, want, _) = run(&["mappings", "show", "GET /v1/candidates/{id}"]);
    assert_eq!(code, 0);
    assert!(
        want.starts_with("GET /v1/candidates/{id}  (Retrieve Candidate)"),
        "{want}"
    );
    for form in [
        vec!["GET", "/v1/candidates/{id}"],
        vec!["GET /v1/candidates/123"],
        vec!["get", "/v1/candidates/123/"],
        vec!["GET /v1/candidates/{candidate_id}?x=1"],
    ] {
        let mut args = vec!["mappings", "show"];
        args.extend(form.iter().copied());
        let (code, out, err) = run(&args);
        assert_eq!((code, out.as_str()), (0, want.as_str()), "{form:?}: {err}");
    }
    // Both version prefixes of a route served under v1 and v2; a write shows its body views.
    let (code, v2, _) = run(&["mappings", "show", "PATCH /v2/job_posts/7"]);
    let (_, v1, _) = run(&["mappings", "show", "PATCH", "/v1/job_posts/{id}"]);
    assert_eq!(code, 0);
    assert_eq!(v1, v2);
    assert!(
        v2.contains("legacy paths  /v1/job_posts/{id}, /v2/job_posts/{id}"),
        "{v2}"
    );
    // A served write shows its body views and its write plan; an unsupported one its reason.
    let (_, out, _) = run(&["mappings", "show", "PATCH /v1/applications/5"]);
    assert!(
        out.contains("body through view applications.application_patch_body")
            && out.contains("  applications.application_patch_body  (applications.toml:")
            && out.contains("\nwrite (as the On-Behalf-Of user")
            && out.contains("  v1 answer  "),
        "{out}"
    );
    // (Every embedded write is served: the unsupported one comes from a directory.)
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("candidates.toml"),
        "[[endpoint]]\nname = \"Anonymize Candidate\"\nmethod = \"PUT\"\npath = \"/v1/candidates/{id}/anonymize\"\nversions = [\"v1\"]\nstatus = \"unsupported\"\nreason = \"v1 names the fields in the query string\"\ninstead = \"Call PATCH /v3/candidates/{id}/anonymize.\"\n\n[[endpoint.v3]]\nmethod = \"PATCH\"\npath = \"/v3/candidates/{id}/anonymize\"\n",
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let (_, out, _) = run(&[
        "mappings",
        "show",
        "PUT /v1/candidates/5/anonymize",
        "--dir",
        d,
    ]);
    assert!(
        out.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("v1 names the fields in the query string"),
        "{out}"
    );
    // Without a method: every endpoint at the path.
    let (code, out, _) = run(&["mappings", "show", "/v1/candidates/{id}"]);
    assert_eq!(code, 0);
    let heads: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(" /v1/") && !l.starts_with(' '))
        .collect();
    assert_eq!(
        heads,
        [
            "GET /v1/candidates/{id}  (Retrieve Candidate)",
            "PATCH /v1/candidates/{id}  (Edit Candidate)",
            "DELETE /v1/candidates/{id}  (Delete Candidate)"
        ]
    );
}

#[test]
fn show_json_has_the_list_fields_and_the_resolved_views() {
    let (code, out, err) = run(&["mappings", "show", "GET /v1/candidates", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["legacy_method"], "GET");
    assert_eq!(v["legacy_path"], "/v1/candidates");
    assert_eq!(v["status"], "translated");
    assert_eq!(v["response"]["view"], "candidates.candidate");
    assert_eq!(v["response"]["shape"], "list");
    let job_id = v["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "job_id")
        .unwrap();
    assert_eq!(job_id["type"], "integer");
    assert_eq!(job_id["detail"]["via"]["path"], "/v3/applications");
    assert_eq!(v["v3"][0]["path"], "/v3/candidates");
    assert!(
        v["scopes"]
            .as_array()
            .unwrap()
            .contains(&"harvest:candidates:list".into())
    );
    let views = v["views"].as_array().unwrap();
    assert_eq!(views[0]["name"], "candidates.candidate");
    let join = &views[0]["joins"][0];
    assert_eq!(join["name"], "applications");
    assert_eq!(join["by"], "candidate_ids");
    assert_eq!(join["view"], "applications.application");
    assert_eq!(join["cache"], false);
    let embedded = views
        .iter()
        .find(|w| w["name"] == "applications.application")
        .unwrap();
    assert!(!embedded["ops"].as_array().unwrap().is_empty());
}

#[test]
fn show_an_unknown_route_names_the_closest_and_exits_2() {
    let (code, out, err) = run(&["mappings", "show", "GET /v1/candidatez"]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with("error: no legacy endpoint `GET /v1/candidatez`; the closest are:\n  GET /v1/candidates\n"),
        "{err}"
    );
    let (code, _, err) = run(&["mappings", "show", "FETCH", "/v1/candidates"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("is not a legacy route; write it as `METHOD /v1/path`"),
        "{err}"
    );
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    for args in [
        &["mappings", "list"][..],
        &["mappings", "list", "--format", "json"],
        &["mappings", "coverage"],
        &["mappings", "show", "GET /v1/candidates"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_harvest-proxy"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the first line, as `| head -1` does after it.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
        assert!(err.is_empty(), "{args:?}: {err}");
    }
    // And through a real shell pipe.
    let bin = env!("CARGO_BIN_EXE_harvest-proxy");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("'{bin}' mappings list --format json | head -1"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("{\"legacy_method\""));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn help_has_examples_and_says_what_serving_needs() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Serving needs exactly one of --config"),
        "{out}"
    );
    assert!(out.contains("harvest-proxy --sandbox"), "{out}");
    assert!(out.contains("harvest-proxy mappings show"), "{out}");
    let (code, out, _) = run(&["mappings", "show", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("GET /v1/candidates/123"), "{out}");
    let (code, _, err) = run(&[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--config") && err.contains("--sandbox"),
        "{err}"
    );
}
