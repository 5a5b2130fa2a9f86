//! The mapping loader (`Catalog::from_sources`) on arbitrary TOML text, alone or in place of
//! one of the embedded mapping files (with the files it refers to, so references resolve): it
//! returns a catalogue or diagnostics, never panics. Diagnostics point into the files given;
//! a catalogue it accepts can be reported (coverage, `mappings show`) and routed.
#![no_main]

use harvest_mappings::{Catalog, report};
use libfuzzer_sys::fuzz_target;

/// Loads `sources`; `fuzzed` names the file the fuzzer wrote.
fn check(sources: &[(&str, &str)], fuzzed: &str) {
    match Catalog::from_sources(sources.iter().copied()) {
        Err(d) => {
            assert!(!d.0.is_empty(), "a failed load without diagnostics");
            for diag in &d.0 {
                let Some((_, text)) = sources.iter().find(|(n, _)| *n == diag.location.file) else {
                    panic!("diagnostic for an unknown file: {diag}");
                };
                assert!(
                    diag.location.line >= 1 && diag.location.column >= 1,
                    "{diag}"
                );
                assert!(diag.location.line <= text.lines().count() + 1, "{diag}");
                assert!(!diag.message.is_empty(), "an empty diagnostic");
            }
        }
        Ok(cat) => {
            if sources.len() == 1 {
                let _ = report::coverage_markdown(&cat);
            }
            let stem = fuzzed.trim_end_matches(".toml");
            for ep in cat.endpoints().iter().filter(|e| e.file == stem) {
                let _ = report::show_text(&cat, ep);
                let _ = report::show_json(&cat, ep);
                for path in ep.legacy_paths() {
                    let _ = cat.match_route(&ep.method, &path);
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let embedded = Catalog::embedded_sources();
    if mode & 1 == 0 || embedded.is_empty() {
        check(&[("fuzz.toml", &text)], "fuzz.toml");
        return;
    }
    // The fuzz text takes the place (and the name) of one embedded file, loaded with the
    // embedded files it names (`users.user_ref`), and those they name, so references resolve.
    let replaced = usize::from(mode >> 1) % embedded.len();
    let mut texts: Vec<(&str, &str)> = embedded.to_vec();
    texts[replaced].1 = &text;
    let mut wanted = vec![false; texts.len()];
    wanted[replaced] = true;
    let mut todo = vec![replaced];
    while let Some(i) = todo.pop() {
        for (j, (n, _)) in texts.iter().enumerate() {
            let stem = format!("{}.", n.trim_end_matches(".toml"));
            if !wanted[j] && texts[i].1.contains(&stem) {
                wanted[j] = true;
                todo.push(j);
            }
        }
    }
    let sources: Vec<(&str, &str)> = texts
        .iter()
        .zip(&wanted)
        .filter_map(|(s, w)| w.then_some(*s))
        .collect();
    check(&sources, embedded[replaced].0);
});
