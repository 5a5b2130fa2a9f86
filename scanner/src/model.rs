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
    /// Reported as written when the catalogue lacks it (a route table's entry).
    pub as_written: bool,
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
    /// Those of `base_names` bound only through another name or a settings read (`self.root =
    /// base_url`, an injected `@Value` field): what they mean is this file's.
    pub alias_names: Vec<String>,
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
    /// Functions whose call sites inherit a route and a method (see [`Wrapper`]).
    pub wrappers: Vec<Wrapper>,
    /// The module specifiers the file imports, as written (see `imports`).
    pub imports: Vec<String>,
    /// Settings keys this file binds to the legacy base URL (normalised, see `settings`), and
    /// their last segments as written.
    pub settings: Vec<String>,
    pub setting_words: Vec<String>,
    /// API description fragments this file mounts (RAML `!include`, OpenAPI `$ref`).
    pub includes: Vec<Include>,
    /// Constants holding the bare Harvest host (name, value): `HARVEST_HOST =
    /// "harvest.greenhouse.io"`. A legacy base only where a `/v1`/`/v2` segment is joined to it.
    pub hosts: Vec<(String, String)>,
    /// Calls passing a legacy base (or the bare host) as an argument: the callee's parameter is
    /// then a base inside it (`list_candidates(HARVEST_BASE)`, `new Client(BASE)`).
    pub base_args: Vec<BaseArg>,
    /// Names this file binds to another API's base (Harvest v3, the Job Board, a vendor).
    pub other_names: Vec<String>,
    /// The types this file declares (classes, modules, objects, interfaces) and its namespace or
    /// package, for languages that use classes by name without importing their file.
    pub decls: crate::decls::Decls,
}

/// A call passing a Harvest v1/v2 base URL (or the bare Harvest host) as an argument: inside
/// the callee, the parameter it binds holds that base.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BaseArg {
    /// The function called (its last name), or the class constructed (`ctor`).
    pub callee: String,
    /// The call constructs an instance of class `callee` (`new Client(…)`, `Client(…)` in
    /// Python and Kotlin, `Client.new(…)`): the parameter is the constructor's.
    pub ctor: bool,
    /// Position of the argument (receivers not counted).
    pub index: usize,
    /// Its keyword, when passed by name (`Client(base_url=BASE)`).
    pub keyword: Option<String>,
    /// The value is the bare host (a version must still be joined to it).
    pub host: bool,
    /// The value is another API's base (Harvest v3, the Job Board, a vendor): paths built on
    /// the parameter are that API's.
    pub other: bool,
}

/// A fragment mounted by an API description: `/candidates: !include candidates.raml`,
/// `/jobs: {$ref: "paths/jobs.yaml"}` (with an optional JSON pointer into the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    /// The file, as written (relative to the including file).
    pub file: String,
    /// The JSON pointer after `#`, if any (`/paths/~1jobs`).
    pub pointer: Option<String>,
    /// The resource path the fragment is mounted at (`/candidates`).
    pub mount: String,
    /// The line of the mounting key in the including file.
    pub line: u32,
}

/// What a function does with one of its parameters, as far as Harvest is concerned: it prepends
/// the legacy base URL to parameter `param` (or sends it through the file's legacy client), or
/// issues HTTP verb `verb` on it. Its call sites inherit the route and the method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapper {
    /// The function's name (`_get`, `create`, `harvestRequest`).
    pub name: String,
    /// The class it is a method of ("" when none): a receiver of that type calls it.
    pub class: String,
    /// Index of the path parameter among the call's arguments.
    pub param: usize,
    /// Its name (for keyword arguments: `_get(path="/jobs")`).
    pub param_name: String,
    /// The parameter reaches a Harvest v1/v2 base.
    pub base: bool,
    /// The parameter is put after another API's base (Harvest v3, the Job Board, a vendor):
    /// the call sites are not Harvest v1/v2.
    pub other: bool,
    /// The parameter is put after the bare Harvest host: a versioned path passed to it is a
    /// legacy request.
    pub host: bool,
    /// The HTTP verb the function issues, when it is fixed.
    pub verb: Option<&'static str>,
    /// The version of the legacy base (`v1`/`v2`), when known.
    pub version: Option<String>,
    /// Set by the configuration (`harvest-scan.toml` `wrappers`): trusted even under a generic
    /// name and without a visible link between the files.
    pub trusted: bool,
}

/// What the rest of the project (and the configuration) tells the analysis of one file.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    /// Names bound to the Harvest v1/v2 base URL in other files of the project (or configured).
    pub names: std::collections::HashSet<String>,
    /// Wrapper functions defined in other files of the project (or configured), by name.
    pub wrappers: std::collections::HashMap<String, Wrapper>,
    /// Settings keys bound to the legacy base URL in the project's settings files.
    pub settings: std::collections::HashSet<String>,
    /// Bare-host constants of other files this one uses (name → value).
    pub hosts: std::collections::HashMap<String, String>,
    /// Calls in other files passing a legacy base to a function this file may define.
    pub base_args: Vec<BaseArg>,
    /// Names that files this one imports bind to another API's base (and none to the legacy
    /// one).
    pub other_names: std::collections::HashSet<String>,
}

impl Hints {
    /// Nothing to tell.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
            && self.wrappers.is_empty()
            && self.settings.is_empty()
            && self.hosts.is_empty()
            && self.base_args.is_empty()
            && self.other_names.is_empty()
    }

    /// A digest of everything the hints say: a file analysed with hints of the same digest
    /// gives the same facts.
    pub fn signature(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut names: Vec<&String> = self.names.iter().collect();
        names.sort();
        names.hash(&mut h);
        let mut wrappers: Vec<(&String, &Wrapper)> = self.wrappers.iter().collect();
        wrappers.sort_by(|a, b| a.0.cmp(b.0));
        for (k, w) in wrappers {
            (
                k,
                &w.name,
                &w.class,
                w.param,
                &w.param_name,
                w.base,
                w.other,
            )
                .hash(&mut h);
            w.host.hash(&mut h);
            w.verb.hash(&mut h);
            (&w.version, w.trusted).hash(&mut h);
        }
        let mut settings: Vec<&String> = self.settings.iter().collect();
        settings.sort();
        settings.hash(&mut h);
        let mut hosts: Vec<(&String, &String)> = self.hosts.iter().collect();
        hosts.sort();
        hosts.hash(&mut h);
        let mut args: Vec<&BaseArg> = self.base_args.iter().collect();
        args.sort();
        args.hash(&mut h);
        let mut others: Vec<&String> = self.other_names.iter().collect();
        others.sort();
        others.hash(&mut h);
        h.finish()
    }
}
