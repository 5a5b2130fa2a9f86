//! Harvest v1 client used by the nightly sync.
use reqwest::blocking::Client;

const BASE: &str = "https://harvest.greenhouse.io/v1";

pub struct Harvest {
    http: Client,
    key: String,
}

impl Harvest {
    pub fn new(key: String) -> Self {
        Harvest { http: Client::new(), key }
    }

    pub fn application(&self, id: u64) -> reqwest::Result<String> {
        self.http
            .get(format!("{BASE}/applications/{id}"))
            .basic_auth(&self.key, Some(""))
            .send()?
            .text()
    }

    pub fn sources(&self) -> reqwest::Result<String> {
        let url = format!("{}/sources", BASE);
        self.http.get(url).basic_auth(&self.key, Some("")).send()?.text()
    }

    pub fn tag_candidate(&self, candidate: u64, tag: u64, user: u64) -> reqwest::Result<()> {
        self.http
            .put(format!("{BASE}/candidates/{candidate}/tags/{tag}"))
            .basic_auth(&self.key, Some(""))
            .header("On-Behalf-Of", user.to_string())
            .send()?;
        Ok(())
    }
}
