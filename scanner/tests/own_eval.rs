//! The own labelled evaluation set (`eval/own`: 17 realistic trees, labels made by reading the
//! code), scored with the kit's score.py: one tree per language and style, each with positives
//! and negatives, and two negative-control trees (Harvest v3, Job Board, Ingestion, Audit Log,
//! other vendors) that must give nothing. Needs python3.

use std::path::Path;
use std::process::Command;

#[test]
fn own_set_scores() {
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/own");
    let kit = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/kit/score.py");
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("python3 missing: own eval set not scored");
        return;
    }
    let out = Command::new("python3")
        .arg(&kit)
        .arg("--labels")
        .arg(own.join("labels.json"))
        .arg("--corpus")
        .arg(own.join("trees"))
        .arg("--scanner")
        .arg(format!(
            "{} --format json",
            env!("CARGO_BIN_EXE_harvest-scan")
        ))
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or("");
    let nums: Vec<f64> = last
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(nums.len(), 3, "{text}");
    assert!(
        nums[0] >= 0.98 && nums[1] >= 0.98 && nums[2] >= 0.98,
        "{last}\n{text}"
    );
    assert!(
        text.contains("expect_no_findings entries flagged 0/"),
        "{text}"
    );
}
