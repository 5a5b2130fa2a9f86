//! The labelled corpus of the evaluation kit in scanner/eval/kit (needs npm + pip to fetch it,
//! so ignored by default): `cargo test -p harvest-scan --test eval -- --ignored` after
//! `bash scanner/eval/kit/fetch-corpus.sh /tmp/corpus` (or HARVEST_SCAN_CORPUS=DIR).

use std::process::Command;

#[test]
#[ignore = "needs the fetched corpus (network)"]
fn corpus_scores() {
    let kit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/kit");
    let corpus = std::env::var("HARVEST_SCAN_CORPUS").unwrap_or_else(|_| "/tmp/corpus".to_string());
    let out = Command::new("python3")
        .arg(kit.join("score.py"))
        .args(["--labels"])
        .arg(kit.join("labels.json"))
        .args(["--corpus", &corpus, "--scanner"])
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
        nums[0] >= 0.95 && nums[1] >= 0.95 && nums[2] >= 0.90,
        "{last}"
    );
    assert!(
        text.contains("expect_no_findings entries flagged 0/"),
        "{text}"
    );
}
