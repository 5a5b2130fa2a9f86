//! open-greenhouse-mcp 0.3.3 (installed from PyPI by tests/clients/setup.sh) writes, unchanged,
//! through `harvest-proxy --sandbox`: its candidate, application and tag write tools, with its
//! On-Behalf-Of, each then read back through its v1 read tools. Where the tool sends what v1
//! itself refused (v1's documented required fields), the proxy answers v1's 422 and nothing is
//! written.
use std::process::Command;

use serde_json::Value;

mod clients;
use clients::{Proxy, clients_dir, root, run, setup};

const KEY: &str = "real-client-write-key";
/// The sandbox's site admin (DEFAULT_ADMIN_USER_ID): the acting user the client sends.
const ACTING: &str = "100001";

fn start_proxy() -> Proxy {
    clients::start_sandbox_proxy(KEY, 0.05)
}

/// Tools whose requests v1 served: each must succeed and show in a v1 read afterwards.
const SERVED: &[&str] = &[
    "update_candidate",
    "add_education",
    "add_employment",
    "remove_education",
    "remove_employment",
    "add_attachment",
    "create_tag",
    "add_tag_to_candidate",
    "remove_tag_from_candidate",
    "delete_tag",
    "create_application",
    "update_application",
    "move_application_same_job",
    "advance_application",
    "reject_application",
    "update_rejection_reason",
    "unreject_application",
    "add_attachment_to_application",
    "delete_candidate",
];

/// Tools that leave out a field v1 documents as required, with that field: v1's 422.
const V1_REFUSED: &[(&str, &str)] = &[
    ("create_candidate", "applications"),
    ("add_prospect", "applications"),
    ("add_note_to_candidate", "user_id"),
    ("add_email_note_to_candidate", "user_id"),
];

#[test]
fn open_greenhouse_mcp_write_tools_are_applied_and_read_back() {
    setup();
    let p = start_proxy();
    let python = clients_dir().join("venv/bin/python");
    let out = run(Command::new(python)
        .arg(root().join("tests/clients/mcp_client.py"))
        .args(["write", &format!("http://{}", p.addr), KEY, ACTING]));
    let writes = out["writes"].as_object().expect("writes");
    let mut wrong = Vec::new();
    for tool in SERVED {
        let w = &writes[*tool];
        if w["ok"] != true || w["visible"] != true {
            wrong.push(format!("{tool}: {w}"));
        }
    }
    for (tool, field) in V1_REFUSED {
        let w = &writes[*tool];
        let detail: Value = serde_json::from_str(w["detail"].as_str().unwrap_or("{}")).unwrap();
        let refused = w["ok"] == false
            && detail["status_code"] == 422
            && detail["detail"]["errors"][0]["field"] == *field;
        if !refused {
            wrong.push(format!("{tool}: expected v1's 422 on {field}: {w}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(writes.len(), SERVED.len() + V1_REFUSED.len(), "{out}");
}

#[test]
fn pipedream_create_and_attach_actions_are_applied_and_read_back() {
    setup();
    let p = start_proxy();
    let modules = clients_dir().join("node/node_modules");
    let out = run(Command::new("node")
        .arg(root().join("tests/clients/pipedream_client.mjs"))
        .arg(&modules)
        .args([&format!("http://{}", p.addr), KEY, "write", ACTING]));
    let writes = out["writes"].as_object().expect("writes");
    for action in [
        "create-candidate",
        "create-prospect",
        "add-attachment-to-candidate",
    ] {
        let w = &writes[action];
        assert!(w["ok"] == true && w["visible"] == true, "{action}: {w}");
    }
}
