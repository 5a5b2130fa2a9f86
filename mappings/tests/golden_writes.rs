//! Golden write cases: a v1 write request → the exact v3 calls with their bodies → the v1
//! answer, through the same write pipeline the proxy runs (`harvest_mappings::write::write`).
//!
//! Each file in tests/golden_writes/*.json is one case:
//! `{"request": "POST /v1/...", "on_behalf_of": "5", "body": {...},
//!   "v3": {"/v3/x": [...]},                       // what reads (lookups, read-backs) see
//!   "writes": [{"method", "target", "body", "status", "answer"}],   // expected, in order
//!   "status": 201, "expected": <v1 JSON>}`
//! or `"error": "<text>"` (with `"writes"` the calls made before it, undos included) instead
//! of `expected`, and optionally `"outcome"` (`not_applied`, `partial`, `unknown`). The request
//! may carry a query string (`PUT /v1/candidates/1/anonymize?fields=full_name`). With
//! `"v3_settled"`, reads after the pipeline's [`V3Write::settle`] (the wait before a second
//! read-back) see that data instead of `"v3"`: v3 lagging its own writes.
//! Every served write must have a case.
mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use common::{FixtureFetch, assert_same, catalog};
use futures::future::BoxFuture;
use harvest_mappings::engine::{Fetch, FetchError, FetchFuture};
use harvest_mappings::v3::{V3, V3Page, V3Write, WriteCall, WriteOutcome};
use harvest_mappings::write::{self, LegacyWrite};
use serde_json::Value;

/// Reads from fixtures; writes checked against the case's expected calls, answered as it says.
struct Scripted {
    reads: FixtureFetch,
    /// What reads see once `settle` was called, when the case says.
    settled_reads: Option<FixtureFetch>,
    settled: std::sync::atomic::AtomicBool,
    expected: Vec<Value>,
    made: Mutex<Vec<Value>>,
}

impl Scripted {
    fn reads(&self) -> &FixtureFetch {
        match &self.settled_reads {
            Some(later) if self.settled.load(std::sync::atomic::Ordering::Relaxed) => later,
            _ => &self.reads,
        }
    }
}

impl Fetch for Scripted {
    fn fetch<'a>(&'a self, path: &'a str, query: &'a [(String, String)]) -> FetchFuture<'a> {
        self.reads().fetch(path, query)
    }
}

impl V3 for Scripted {
    fn page<'a>(
        &'a self,
        target: &'a str,
        parse: bool,
    ) -> BoxFuture<'a, Result<V3Page, FetchError>> {
        self.reads().page(target, parse)
    }
}

impl V3Write for Scripted {
    fn settle(&self) -> BoxFuture<'_, ()> {
        self.settled
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Box::pin(async {})
    }

    fn write<'a>(&'a self, call: &'a WriteCall) -> BoxFuture<'a, WriteOutcome> {
        Box::pin(async move {
            let mut made = self.made.lock().unwrap();
            let n = made.len();
            made.push(serde_json::json!({
                "method": call.method, "target": call.target, "body": call.body,
                "acting_user": call.acting_user,
            }));
            let Some(want) = self.expected.get(n) else {
                return WriteOutcome::Unknown {
                    reason: format!("unexpected write #{n}: {} {}", call.method, call.target),
                };
            };
            let status = want["status"].as_u64().unwrap_or(200) as u16;
            let answer = want.get("answer").cloned().filter(|a| !a.is_null());
            match status {
                // No answer (a timeout): the pipeline must read back to decide.
                0 => WriteOutcome::Unknown {
                    reason: "v3 did not answer (timeout)".into(),
                },
                200..=299 => WriteOutcome::Applied {
                    status,
                    body: answer,
                },
                _ => WriteOutcome::Refused(FetchError {
                    status,
                    message: format!("v3 answered {status}"),
                    body: answer,
                    retry_after: None,
                    timeout: false,
                }),
            }
        })
    }
}

fn cases() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden_writes");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|x| x.to_str()) == Some("json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().into_owned(), v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The outcome of a failed write (`not_applied`, `partial`, `unknown`), or `applied`.
type Got = Result<(u16, Value), (String, &'static str)>;

async fn run(case: &Value) -> (Got, Vec<Value>) {
    let req = case["request"].as_str().unwrap();
    let (method, target) = req.split_once(' ').unwrap();
    let body = case
        .get("body")
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let v3 = Scripted {
        reads: FixtureFetch::new(&case["v3"]),
        settled_reads: case.get("v3_settled").map(FixtureFetch::new),
        settled: Default::default(),
        expected: case["writes"].as_array().cloned().unwrap_or_default(),
        made: Mutex::new(Vec::new()),
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let w = LegacyWrite {
        method,
        path,
        query: &query,
        body: &body,
        on_behalf_of: case["on_behalf_of"].as_str(),
    };
    let out = write::write(catalog(), &w, &v3).await;
    let made = Arc::new(v3.made.into_inner().unwrap());
    (
        out.map(|d| (d.status, d.body)).map_err(|e| {
            let outcome = match &e {
                write::WriteError::Failed { outcome, .. } => outcome.as_str(),
                _ => "not_applied",
            };
            (e.to_string(), outcome)
        }),
        made.to_vec(),
    )
}

#[tokio::test]
async fn golden_write_cases() {
    let mut failures = Vec::new();
    for (name, case) in cases() {
        let (got, made) = run(&case).await;
        let want_calls: Vec<Value> = case["writes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|w| {
                serde_json::json!({"method": w["method"], "target": w["target"], "body": w["body"],
                    "acting_user": case["on_behalf_of"].as_str().and_then(|s| s.parse::<u64>().ok())})
            })
            .collect();
        if made != want_calls {
            failures.push(format!(
                "{name}: v3 writes differ\n got {}\nwant {}",
                serde_json::to_string_pretty(&made).unwrap(),
                serde_json::to_string_pretty(&want_calls).unwrap()
            ));
            continue;
        }
        let outcome =
            std::panic::catch_unwind(|| match (&got, case.get("expected"), case.get("error")) {
                (Ok((status, body)), Some(want), None) => {
                    assert_eq!(
                        Some(*status as u64),
                        case["status"].as_u64().or(Some(200)),
                        "{name}: status"
                    );
                    assert_same(&name, body, want);
                }
                (Err((e, outcome)), None, Some(want)) => {
                    let want = want.as_str().unwrap();
                    assert!(
                        e.contains(want),
                        "{name}: error `{e}` does not contain `{want}`"
                    );
                    if let Some(want) = case.get("outcome").and_then(Value::as_str) {
                        assert_eq!(*outcome, want, "{name}: outcome ({e})");
                    }
                }
                (got, _, _) => panic!("{name}: unexpected outcome {got:?}"),
            });
        if let Err(e) = outcome {
            failures.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| format!("{name} failed")),
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden write case(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Every write the proxy serves has at least one golden case that succeeds.
#[test]
fn every_served_write_has_a_golden_case() {
    let c = catalog();
    let covered: BTreeSet<String> = cases()
        .iter()
        .filter(|(_, case)| case.get("expected").is_some())
        .filter_map(|(_, case)| {
            let (m, p) = case["request"].as_str()?.split_once(' ')?;
            Some(c.match_route(m, p)?.endpoint.route().to_string())
        })
        .collect();
    let missing: Vec<String> = c
        .endpoints()
        .iter()
        .filter(|e| e.write.is_some())
        .map(|e| e.route().to_string())
        .filter(|r| !covered.contains(r))
        .collect();
    assert!(
        missing.is_empty(),
        "served writes without a golden case: {missing:?}"
    );
}

/// v1 ignored body fields it did not know; v3 refuses them ("is not a permitted attribute").
/// So a field no write knows, added to any successful case's body, changes nothing: the same
/// v3 calls with the same bodies, the same answer.
#[tokio::test]
async fn unknown_body_fields_are_ignored_as_v1_ignored_them() {
    let mut failures = Vec::new();
    for (name, case) in cases() {
        if case.get("expected").is_none() || !case["body"].is_object() {
            continue;
        }
        let (want, want_calls) = run(&case).await;
        let mut extra = case.clone();
        extra["body"]["zz_not_a_v1_field"] = serde_json::json!({"x": 1});
        let (got, got_calls) = run(&extra).await;
        let ok = |g: &Got| g.as_ref().ok().map(|(s, b)| (*s, b.clone()));
        if got_calls != want_calls || ok(&got) != ok(&want) {
            failures.push(format!(
                "{name}: an unknown field changed the write\n got {}\nwant {}",
                serde_json::to_string(&got_calls).unwrap(),
                serde_json::to_string(&want_calls).unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
