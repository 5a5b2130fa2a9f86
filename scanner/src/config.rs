//! `harvest-scan.toml`: per-repository settings, read from the scanned folder (or `--config
//! FILE`):
//!
//! ```toml
//! # Only these paths (globs relative to the scanned folder, as ripgrep's -g), minus these.
//! include = ["src/**", "docs/**"]
//! exclude = ["**/fixtures/**", "vendor-js/**"]
//! # Names that hold the Harvest v1/v2 base URL where the code does not show it (environment,
//! # injected settings): `GH_BASE + "/jobs"` is then an endpoint.
//! base_urls = ["GH_BASE", "greenhouseUrl"]
//! # Functions to trust as wrappers of the legacy client: their argument `param` (default 0)
//! # is a path relative to the legacy base; `method` fixes the verb.
//! wrappers = ["ghRequest", { name = "harvest_post", param = 1, method = "POST" }]
//!
//! [[wrappers]]
//! name = "fetch_harvest"
//! ```
//!
//! The file is a small TOML subset, parsed here: strings (basic and literal), integers,
//! booleans, arrays (also over several lines), inline tables, `[table]` and `[[array]]`
//! headers, comments. Unknown keys are errors, so typos do not go unnoticed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::model::Wrapper;

/// The file name looked for in the scanned folder.
pub const FILE_NAME: &str = "harvest-scan.toml";

/// The settings of a scan.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where the settings were read from.
    pub path: Option<PathBuf>,
    /// Globs of the paths to scan (all when empty).
    pub include: Vec<String>,
    /// Globs of the paths not to scan.
    pub exclude: Vec<String>,
    /// Extra names bound to the Harvest v1/v2 base URL.
    pub base_urls: Vec<String>,
    /// Trusted wrapper functions.
    pub wrappers: Vec<Wrapper>,
}

impl Config {
    /// Reads `explicit`, or `harvest-scan.toml` in `dir` when there is one.
    pub fn load(dir: &Path, explicit: Option<&Path>) -> anyhow::Result<Config> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = dir.join(FILE_NAME);
                if !p.is_file() {
                    return Ok(Config::default());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let mut c = Config::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        c.path = Some(path);
        Ok(c)
    }

    /// Parses the text of a settings file.
    pub fn parse(text: &str) -> Result<Config, String> {
        let doc = parse_toml(text)?;
        let mut c = Config::default();
        for (key, v) in &doc {
            match key.as_str() {
                "include" => c.include = strings(key, v)?,
                "exclude" => c.exclude = strings(key, v)?,
                "base_urls" | "base_url_names" => c.base_urls = strings(key, v)?,
                "wrappers" => {
                    let Value::Array(items) = v else {
                        return Err("wrappers: want an array".into());
                    };
                    for it in items {
                        c.wrappers.push(wrapper(it)?);
                    }
                }
                other => {
                    return Err(format!(
                        "unknown key `{other}` (include, exclude, base_urls, wrappers)"
                    ));
                }
            }
        }
        Ok(c)
    }
}

fn strings(key: &str, v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Str(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::Str(s) => Ok(s.clone()),
                _ => Err(format!("{key}: want strings")),
            })
            .collect(),
        _ => Err(format!("{key}: want an array of strings")),
    }
}

fn wrapper(v: &Value) -> Result<Wrapper, String> {
    let mut w = Wrapper {
        name: String::new(),
        param: 0,
        param_name: String::new(),
        base: true,
        other: false,
        verb: None,
        version: None,
        trusted: true,
    };
    match v {
        Value::Str(s) => w.name = s.clone(),
        Value::Table(t) => {
            for (k, x) in t {
                match (k.as_str(), x) {
                    ("name", Value::Str(s)) => w.name = s.clone(),
                    ("param", Value::Int(n)) if *n >= 0 => w.param = *n as usize,
                    ("param_name", Value::Str(s)) => w.param_name = s.clone(),
                    ("method", Value::Str(s)) => {
                        w.verb = Some(
                            crate::routes::verb(s)
                                .ok_or_else(|| format!("wrappers: unknown method {s:?}"))?,
                        );
                    }
                    ("version", Value::Str(s)) if matches!(s.as_str(), "v1" | "v2") => {
                        w.version = Some(s.clone());
                    }
                    (k, _) => {
                        return Err(format!(
                            "wrappers: bad `{k}` (name, param, param_name, method, version)"
                        ));
                    }
                }
            }
        }
        _ => return Err("wrappers: want names or tables".into()),
    }
    if w.name.is_empty() {
        return Err("wrappers: a wrapper needs a name".into());
    }
    Ok(w)
}

/// A TOML value (the subset read here).
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Array(Vec<Value>),
    Table(BTreeMap<String, Value>),
}

/// Parses the subset: top-level keys, `[table]` (its keys become `table.key`) and `[[name]]`
/// (each header appends a table to the array `name`).
fn parse_toml(text: &str) -> Result<BTreeMap<String, Value>, String> {
    let mut doc: BTreeMap<String, Value> = BTreeMap::new();
    let mut section: Option<(String, bool)> = None;
    let chars: Vec<char> = text.chars().collect();
    let mut p = Parser {
        s: &chars,
        i: 0,
        line: 1,
    };
    loop {
        p.skip_ws_comments();
        let Some(c) = p.peek() else { break };
        if c == '[' {
            let array = p.s.get(p.i + 1) == Some(&'[');
            p.i += if array { 2 } else { 1 };
            let name = p.key()?;
            p.expect(']')?;
            if array {
                p.expect(']')?;
                let entry = doc
                    .entry(name.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(a) = entry else {
                    return Err(p.err(&format!("`{name}` is not an array of tables")));
                };
                a.push(Value::Table(BTreeMap::new()));
            }
            section = Some((name, array));
            continue;
        }
        let key = p.key()?;
        p.skip_blank();
        p.expect('=')?;
        let v = p.value()?;
        match &section {
            None => {
                doc.insert(key, v);
            }
            Some((name, true)) => {
                if let Some(Value::Array(a)) = doc.get_mut(name)
                    && let Some(Value::Table(t)) = a.last_mut()
                {
                    t.insert(key, v);
                }
            }
            Some((name, false)) => {
                doc.insert(format!("{name}.{key}"), v);
            }
        }
    }
    Ok(doc)
}

struct Parser<'a> {
    s: &'a [char],
    i: usize,
    line: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn err(&self, m: &str) -> String {
        format!("line {}: {m}", self.line)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    /// Spaces and tabs.
    fn skip_blank(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.bump();
        }
    }

    /// Whitespace, newlines and comments.
    fn skip_ws_comments(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.bump();
            } else if c == '#' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    fn expect(&mut self, want: char) -> Result<(), String> {
        self.skip_blank();
        match self.bump() {
            Some(c) if c == want => Ok(()),
            Some(c) => Err(self.err(&format!("expected `{want}`, found `{c}`"))),
            None => Err(self.err(&format!("expected `{want}` at the end"))),
        }
    }

    fn key(&mut self) -> Result<String, String> {
        self.skip_blank();
        if matches!(self.peek(), Some('"' | '\'')) {
            return self.string();
        }
        let mut k = String::new();
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
                k.push(c);
                self.bump();
            } else {
                break;
            }
        }
        if k.is_empty() {
            return Err(self.err("expected a key"));
        }
        Ok(k)
    }

    fn string(&mut self) -> Result<String, String> {
        let q = self.bump().ok_or_else(|| self.err("expected a string"))?;
        let mut out = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => return Err(self.err("unterminated string")),
                Some(c) if c == q => return Ok(out),
                Some('\\') if q == '"' => match self.bump() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(c @ ('"' | '\\')) => out.push(c),
                    _ => return Err(self.err("bad escape")),
                },
                Some(c) => out.push(c),
            }
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_blank();
        match self.peek() {
            Some('"' | '\'') => self.string().map(Value::Str),
            Some('[') => {
                self.bump();
                let mut items = Vec::new();
                loop {
                    self.skip_ws_comments();
                    if self.peek() == Some(']') {
                        self.bump();
                        return Ok(Value::Array(items));
                    }
                    items.push(self.value()?);
                    self.skip_ws_comments();
                    match self.bump() {
                        Some(',') => {}
                        Some(']') => return Ok(Value::Array(items)),
                        _ => return Err(self.err("expected `,` or `]` in an array")),
                    }
                }
            }
            Some('{') => {
                self.bump();
                let mut t = BTreeMap::new();
                loop {
                    self.skip_blank();
                    if self.peek() == Some('}') {
                        self.bump();
                        return Ok(Value::Table(t));
                    }
                    let k = self.key()?;
                    self.expect('=')?;
                    let v = self.value()?;
                    t.insert(k, v);
                    self.skip_blank();
                    match self.bump() {
                        Some(',') => {}
                        Some('}') => return Ok(Value::Table(t)),
                        _ => return Err(self.err("expected `,` or `}` in an inline table")),
                    }
                }
            }
            _ => {
                let mut w = String::new();
                while let Some(c) = self.peek() {
                    if c.is_alphanumeric() || matches!(c, '-' | '+' | '_') {
                        w.push(c);
                        self.bump();
                    } else {
                        break;
                    }
                }
                match w.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    _ => w
                        .replace('_', "")
                        .parse::<i64>()
                        .map(Value::Int)
                        .map_err(|_| self.err(&format!("bad value `{w}`"))),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn parses_every_form() {
        let c = Config::parse(
            r#"
# comment
include = ["src/**", 'docs/**']   # trailing comment
exclude = [
  "**/fixtures/**",
]
base_urls = ["GH_BASE"]
wrappers = ["ghRequest", { name = "harvest_post", param = 1, method = "post" }]

[[wrappers]]
name = "fetch_harvest"
version = "v2"
"#,
        )
        .expect("parses");
        assert_eq!(c.include, ["src/**", "docs/**"]);
        assert_eq!(c.exclude, ["**/fixtures/**"]);
        assert_eq!(c.base_urls, ["GH_BASE"]);
        let names: Vec<&str> = c.wrappers.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["ghRequest", "harvest_post", "fetch_harvest"]);
        assert_eq!(c.wrappers[1].param, 1);
        assert_eq!(c.wrappers[1].verb, Some("POST"));
        assert_eq!(c.wrappers[2].version.as_deref(), Some("v2"));
        assert!(c.wrappers.iter().all(|w| w.trusted && w.base));
    }

    #[test]
    fn rejects_typos_and_bad_values() {
        for bad in [
            "inclde = [\"x\"]",
            "include = [1]",
            "wrappers = [{ nam = \"x\" }]",
            "wrappers = [{ name = \"x\", method = \"FETCH\" }]",
            "include = [\"x\"",
            "base_urls = \"unterminated",
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }
}
