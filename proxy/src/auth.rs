//! Legacy authentication: `Authorization: Basic base64(KEY:)` → the tenant the key belongs to.
//! Keys are known by SHA-256 only and compared in constant time.

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::KeyEntry;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing Authorization header")]
    Missing,
    #[error("malformed Basic credentials")]
    Malformed,
    #[error("unknown API key")]
    Unknown,
}

/// The SHA-256 of a key, as written in proxy.toml.
pub fn key_hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

pub fn key_hash_hex(key: &str) -> String {
    key_hash(key).iter().map(|b| format!("{b:02x}")).collect()
}

/// Extracts the legacy key (the Basic username; v1 ignores the password).
pub fn parse_basic(header: Option<&[u8]>) -> Result<String, AuthError> {
    let h = header.ok_or(AuthError::Missing)?;
    let h = std::str::from_utf8(h)
        .map_err(|_| AuthError::Malformed)?
        .trim();
    let (scheme, rest) = h.split_once(' ').ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(AuthError::Malformed);
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .map_err(|_| AuthError::Malformed)?;
    let text = String::from_utf8(raw).map_err(|_| AuthError::Malformed)?;
    let key = match text.split_once(':') {
        Some((k, _)) => k,
        None => text.as_str(),
    };
    if key.is_empty() {
        return Err(AuthError::Malformed);
    }
    Ok(key.to_string())
}

/// Finds the key entry (its index); every entry is compared, in constant time, whatever matches.
pub fn lookup(keys: &[KeyEntry], key: &str) -> Result<usize, AuthError> {
    let h = key_hash(key);
    let mut found = None;
    for (i, k) in keys.iter().enumerate() {
        if bool::from(k.sha256.ct_eq(&h)) {
            found = Some(i);
        }
    }
    found.ok_or(AuthError::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(s)
        )
    }

    #[test]
    fn basic_header_parsing() {
        assert_eq!(parse_basic(Some(b64("abc:").as_bytes())), Ok("abc".into()));
        assert_eq!(parse_basic(Some(b64("abc").as_bytes())), Ok("abc".into()));
        assert_eq!(
            parse_basic(Some(b64("abc:ignored").as_bytes())),
            Ok("abc".into())
        );
        assert_eq!(parse_basic(None), Err(AuthError::Missing));
        assert_eq!(parse_basic(Some(b"Bearer x")), Err(AuthError::Malformed));
        assert_eq!(parse_basic(Some(b"Basic !!!")), Err(AuthError::Malformed));
        assert_eq!(
            parse_basic(Some(b64(":pw").as_bytes())),
            Err(AuthError::Malformed)
        );
        assert_eq!(parse_basic(Some(b"Basic")), Err(AuthError::Malformed));
    }

    #[test]
    fn lookup_by_hash() {
        let keys = vec![KeyEntry {
            sha256: key_hash("k1"),
            tenant: 0,
            label: "a".into(),
            endpoints: Default::default(),
            allowed_ips: None,
        }];
        assert!(lookup(&keys, "k1").is_ok());
        assert_eq!(lookup(&keys, "k2").unwrap_err(), AuthError::Unknown);
        assert_eq!(
            key_hash_hex("test"),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
    }
}
