//! The v3 client (OAuth2), replacing `harvest.rs` endpoint by endpoint.
use reqwest::blocking::Client;

const V3: &str = "https://harvest.greenhouse.io/v3";

pub fn candidates(http: &Client, token: &str, cursor: Option<&str>) -> reqwest::Result<String> {
    let mut req = http.get(format!("{V3}/candidates")).bearer_auth(token);
    if let Some(c) = cursor {
        req = req.query(&[("cursor", c)]);
    }
    req.send()?.text()
}

pub fn token(http: &Client, id: &str, secret: &str) -> reqwest::Result<String> {
    http.post("https://auth.greenhouse.io/token")
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()?
        .text()
}
