//! The proxy's `Authorization: Basic` parser on arbitrary header bytes: it never panics, and a
//! key it accepts is non-empty, has no `:` and comes back unchanged from `Basic base64(KEY:)`
//! (what v1 clients send) and from the key lookup.
#![no_main]

use base64::Engine;
use harvest_proxy::auth::{AuthError, key_hash, lookup, parse_basic};
use harvest_proxy::config::KeyEntry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(key) = parse_basic(Some(data)) else {
        return;
    };
    assert!(!key.is_empty(), "an empty key was accepted");
    assert!(!key.contains(':'), "the key kept the password separator");
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    );
    assert_eq!(
        parse_basic(Some(header.as_bytes())).as_deref(),
        Ok(key.as_str())
    );
    let keys = vec![KeyEntry {
        sha256: key_hash(&key),
        tenant: 0,
        label: "fuzz".into(),
        endpoints: Default::default(),
        allowed_ips: None,
    }];
    assert!(lookup(&keys, &key).is_ok());
    let other = format!("{key}x");
    assert_eq!(lookup(&keys, &other).unwrap_err(), AuthError::Unknown);
});
