//! The response translation on arbitrary v3 answers: JSON bytes (an object keyed by v3 path,
//! as the golden fixtures, or any JSON value) are the rows of every v3 collection, translated
//! through the response view of a catalogue endpoint the fuzzer picks (`Translator::respond`,
//! joins included), or through any view of the catalogue (`translate`, `respond_as`). Errors
//! are answers; nothing may panic, and what is produced serialises.
#![no_main]

use harvest_fuzz::{JsonV3, catalog, run};
use harvest_mappings::Translator;
use harvest_mappings::engine::Fetch;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn one(data: &[u8]) {
    // Two bytes pick the endpoint or view, one the mode; the rest is the v3 JSON.
    let [a, b, mode, ref json @ ..] = *data else {
        return;
    };
    let pick = u16::from_le_bytes([a, b]);
    let mode = mode % 4;
    let Ok(json) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    let cat = catalog();
    let v3 = JsonV3::new(json);
    let fetch: &dyn Fetch = &v3;
    let t = Translator::new(cat);
    match mode {
        0 | 1 => {
            // Endpoints with a response view (reads), as the pipeline calls them.
            let eps: Vec<_> = cat
                .endpoints()
                .iter()
                .filter(|e| e.response.is_some())
                .collect();
            if eps.is_empty() {
                return;
            }
            let ep = eps[usize::from(pick) % eps.len()];
            let rows = ep
                .v3
                .first()
                .map(|c| v3.rows_at(&c.path))
                .unwrap_or_default();
            if let Ok(v) = run(t.respond(ep, rows, fetch)) {
                assert!(serde_json::to_vec(&v).is_ok());
            }
        }
        _ => {
            let views: Vec<_> = cat.views().collect();
            if views.is_empty() {
                return;
            }
            let view = views[usize::from(pick) % views.len()];
            let rows = view
                .source
                .as_deref()
                .map(|p| v3.rows_at(p))
                .unwrap_or_else(|| v3.rows_at(""));
            let out = if mode == 2 {
                run(t.translate(&view.name, rows, fetch)).map(Value::Array)
            } else {
                run(t.respond_as(&view.name, rows, fetch))
            };
            if let Ok(v) = out {
                assert!(serde_json::to_vec(&v).is_ok());
            }
        }
    }
}

fuzz_target!(|data: &[u8]| one(data));
