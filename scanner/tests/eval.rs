//! The scanner scored by the evaluation kit's score.py (scanner/eval/kit) on two labelled sets:
//!
//! - the own set (`eval/own`: 17 realistic trees, labels made by reading the code): one tree per
//!   language and style, each with positives and negatives, and two negative-control trees
//!   (Harvest v3, Job Board, Ingestion, Audit Log, other vendors) that must give nothing. Needs
//!   python3.
//! - the kit's labelled corpus (needs npm + pip to fetch it, so ignored by default):
//!   `cargo test -p harvest-scan --test eval -- --ignored` after
//!   `bash scanner/eval/kit/fetch-corpus.sh /tmp/corpus` (or HARVEST_SCAN_CORPUS=DIR).

use std::path::{Path, PathBuf};
use std::process::Command;

fn scanner_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// score.py's output and the three figures of its last line (precision, recall, F1).
fn score(labels: &Path, corpus: &Path) -> (String, Vec<f64>) {
    let out = Command::new("python3")
        .arg(scanner_dir().join("eval/kit/score.py"))
        .arg("--labels")
        .arg(labels)
        .arg("--corpus")
        .arg(corpus)
        .arg("--scanner")
        .arg(format!(
            "{} --format json",
            env!("CARGO_BIN_EXE_harvest-scan")
        ))
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let last = text.lines().last().unwrap_or("");
    let nums: Vec<f64> = last
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(nums.len(), 3, "{text}");
    assert!(
        text.contains("expect_no_findings entries flagged 0/"),
        "{text}"
    );
    (text, nums)
}

#[test]
fn own_set_scores() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("python3 missing: own eval set not scored");
        return;
    }
    let own = scanner_dir().join("eval/own");
    let (text, nums) = score(&own.join("labels.json"), &own.join("trees"));
    assert!(nums.iter().all(|n| *n >= 0.98), "{text}");
}

#[test]
#[ignore = "needs the fetched corpus (network)"]
fn corpus_scores() {
    let corpus = std::env::var("HARVEST_SCAN_CORPUS").unwrap_or_else(|_| "/tmp/corpus".to_string());
    let labels = scanner_dir().join("eval/kit/labels.json");
    let (text, nums) = score(&labels, Path::new(&corpus));
    assert!(
        nums[0] >= 0.95 && nums[1] >= 0.95 && nums[2] >= 0.90,
        "{text}"
    );
}
