//! The legacy request translation: an arbitrary method and path (a catalogue route with
//! arbitrary path parameters, or any path), an arbitrary query string decoded as the proxy
//! decodes it, then routing (`serve::route`), the v1 → v3 query translation (`query::translate`)
//! and the whole read pipeline (`serve::read_matched`: paging plans, `via` filters, local date
//! filters) over a small synthetic v3 collection. Nothing may panic; what is accepted keeps the
//! invariants the pipeline relies on.
#![no_main]

use arbitrary::{Result, Unstructured};
use harvest_fuzz::{JsonV3, catalog, endpoint_at, run};
use harvest_mappings::query;
use harvest_mappings::serve::{self, METHODS};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

/// `/v1/candidates/{id}` with every `{name}` replaced by an arbitrary (often numeric) value.
fn fill(u: &mut Unstructured<'_>, template: &str) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let value: String = if u.ratio(3, 4)? {
            u.arbitrary::<u64>()?.to_string()
        } else {
            u.arbitrary()?
        };
        out.push_str(&value);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn structured(u: &mut Unstructured<'_>) -> Result<(String, String)> {
    let ep = endpoint_at(u.arbitrary::<u16>()?.into());
    let method = match u.int_in_range(0..=7u8)? {
        0..=3 => ep.method.clone(),
        4..=5 => (*u.choose(&METHODS)?).to_string(),
        _ => u.arbitrary()?,
    };
    let path = if u.ratio(7, 8)? {
        let paths = ep.legacy_paths();
        let template = u.choose(&paths)?.clone();
        fill(u, &template)?
    } else {
        u.arbitrary()?
    };
    Ok((method, path))
}

/// `n` rows every v3 collection answers with: ids, timestamps and a few fields.
fn collection(n: u8) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            json!({
                "id": 1000 - u64::from(i),
                "created_at": format!("2024-01-{:02}T00:00:00.000Z", 1 + i % 28),
                "updated_at": format!("2024-02-{:02}T10:00:00Z", 1 + i % 28),
                "name": format!("row {i}"),
                "job_id": 7,
                "candidate_id": 1000 - u64::from(i),
                "user_id": 3,
                "parent_id": null,
            })
        })
        .collect();
    serde_json::Value::Array(rows)
}

/// The request of an input: its first byte says how many rows v3 holds (bits 1..) and how the
/// rest reads (bit 0): `METHOD /path?query` as text (the seeds: the golden requests), or
/// bytes choosing an endpoint, its method and path parameters, then the query string.
fn request(data: &[u8]) -> Option<(u8, String, String, Vec<u8>)> {
    let (&head, rest) = data.split_first()?;
    let rows = (head >> 1) % 31;
    if head & 1 == 0 {
        let text = String::from_utf8_lossy(rest);
        let (method, target) = text.split_once(' ')?;
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        return Some((rows, method.into(), path.into(), query.as_bytes().to_vec()));
    }
    let mut u = Unstructured::new(rest);
    let (method, path) = structured(&mut u).ok()?;
    Some((rows, method, path, u.take_rest().to_vec()))
}

fn one(data: &[u8]) {
    let Some((rows, method, path, query_string)) = request(data) else {
        return;
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&query_string).into_owned().collect();
    let cat = catalog();
    let Ok(m) = serve::route(cat, &method, &path) else {
        return;
    };
    if let Ok(q) = query::translate(m.endpoint, &m.params, &pairs) {
        assert!(q.page >= 1, "page {} accepted", q.page);
        assert!(q.per_page >= 1, "per_page {} accepted", q.per_page);
    }
    let v3 = JsonV3::new(collection(rows));
    if let Ok(answer) = run(serve::read_matched(cat, &m, &pairs, &v3)) {
        assert!(answer.json().is_ok(), "the answer is not JSON");
    }
}

fuzz_target!(|data: &[u8]| one(data));
