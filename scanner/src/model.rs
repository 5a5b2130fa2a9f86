//! Shared types: finding kinds, candidate findings produced per file, file facts.

use std::fmt;

use serde::Serialize;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Endpoint,
    BaseUrl,
    BasicAuth,
    OnBehalfOf,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Endpoint,
        Kind::BaseUrl,
        Kind::BasicAuth,
        Kind::OnBehalfOf,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Endpoint => "endpoint",
            Kind::BaseUrl => "base_url",
            Kind::BasicAuth => "basic_auth",
            Kind::OnBehalfOf => "on_behalf_of",
        }
    }

    pub fn rule(self) -> &'static str {
        match self {
            Kind::Endpoint => "HB001",
            Kind::BaseUrl => "HB002",
            Kind::BasicAuth => "HB003",
            Kind::OnBehalfOf => "HB004",
        }
    }

    /// Severity rank used by `--fail-on` (higher is more severe).
    pub fn rank(self) -> u8 {
        match self {
            Kind::Endpoint => 4,
            Kind::BasicAuth => 3,
            Kind::OnBehalfOf => 2,
            Kind::BaseUrl => 1,
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.rule().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What must be true of a file's surroundings for a candidate to become a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// Harvest v1/v2 by itself (a full legacy URL, a known legacy base name).
    Nothing,
    /// A `/v1/...` path: the file or project must be about Greenhouse Harvest.
    Versioned,
    /// A relative path, Basic auth, On-Behalf-Of: the file must have Harvest v1/v2 context
    /// (its own legacy base URL, or a mention of Greenhouse in a project that has one).
    Legacy,
}

/// A route to resolve against the catalog once the version is known.
#[derive(Debug, Clone)]
pub struct RouteReq {
    pub method: Option<String>,
    /// `v1`/`v2` when the code says so; None = the version of the context's base URL.
    pub version: Option<String>,
    pub segs: Vec<String>,
    pub allow_prefix: bool,
}

/// A possible finding, before the project context is known.
#[derive(Debug, Clone)]
pub struct Cand {
    pub kind: Kind,
    pub line: u32,
    pub col: u32,
    pub need: Need,
    pub route: Option<RouteReq>,
    /// Byte offset of the `v1`/`v2` version segment of a full literal URL (safe rewrite).
    pub version_at: Option<usize>,
    /// Why it was flagged (short, for the message).
    pub why: String,
}

/// What one file contributes.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    pub cands: Vec<Cand>,
    /// Identifiers bound to a Harvest v1/v2 base URL.
    pub base_names: Vec<String>,
    /// Version of the file's own legacy base URL (`v1`/`v2`).
    pub legacy_version: Option<String>,
    /// The file has a Harvest v1/v2 URL or uses a known legacy base name.
    pub legacy: bool,
    /// The file names Greenhouse in code (identifiers or strings, not comments).
    pub mention: bool,
    /// The file has the bare Harvest host (no version).
    pub harvest_host: bool,
    /// Identifiers used in code (to link files of a project: a class used by a legacy file).
    pub idents: std::collections::HashSet<String>,
}
