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
//! # (or as `[[wrappers]]` tables; TOML does not allow both forms for one key).
//! wrappers = ["ghRequest", { name = "harvest_post", param = 1, method = "POST" }]
//! ```
//!
//! The file is parsed by the `toml` crate into a spanned document; every error, in the syntax or
//! in the settings (an unknown key, a value of the wrong type, an unknown method), is reported
//! at its `file:line:column` with a hint. Unknown keys are errors, so typos do not go unnoticed.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

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

/// A bad settings file: where (1-based line and column) and what, with a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based line of the offending text.
    pub line: usize,
    /// 1-based column (in characters) of the offending text.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub hint: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} (hint: {})",
            self.line, self.column, self.message, self.hint
        )
    }
}

impl std::error::Error for ConfigError {}

const KEYS_HINT: &str = "the keys are include, exclude, base_urls and wrappers";
const WRAPPER_HINT: &str = "a wrapper is a name, or a table with name, param, param_name, \
                            method and version: { name = \"ghPost\", param = 1, method = \"POST\" }";
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
        let mut c = Config::parse(&text).map_err(|e| anyhow::anyhow!("{}:{e}", path.display()))?;
        c.path = Some(path);
        Ok(c)
    }

    /// Parses the text of a settings file.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let doc = DeTable::parse(text).map_err(|e| {
            let at = e.span().unwrap_or(0..0);
            located(text, at, e.message().trim(), syntax_hint(e.message()))
        })?;
        let mut c = Config::default();
        for (key, v) in doc.get_ref().iter() {
            let err = |m: String, at: Range<usize>, hint: &str| located(text, at, &m, hint);
            match key.get_ref().as_ref() {
                "include" => c.include = strings(text, key, v)?,
                "exclude" => c.exclude = strings(text, key, v)?,
                "base_urls" | "base_url_names" => c.base_urls = strings(text, key, v)?,
                "wrappers" => {
                    let DeValue::Array(items) = v.get_ref() else {
                        return Err(err(
                            format!("wrappers: want an array, found {}", v.get_ref().type_str()),
                            v.span(),
                            "wrappers = [\"ghRequest\"], or [[wrappers]] tables",
                        ));
                    };
                    for it in items {
                        c.wrappers.push(wrapper(text, it)?);
                    }
                }
                other => {
                    return Err(err(format!("unknown key `{other}`"), key.span(), KEYS_HINT));
                }
            }
        }
        Ok(c)
    }
}

/// An error at byte range `at` of `text`, as line and column.
fn located(text: &str, at: Range<usize>, message: &str, hint: &str) -> ConfigError {
    let start = at.start.min(text.len());
    let start = (0..=start)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    ConfigError {
        line,
        column,
        message: message.to_string(),
        hint: hint.to_string(),
    }
}

/// A hint for a TOML syntax error, by what the parser says.
fn syntax_hint(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("duplicate") {
        "each key once per table; an array written `key = [...]` cannot also take `[[key]]` tables"
    } else if m.contains("key") {
        "keys are bare (letters, digits, `-`, `_`) or quoted, followed by `=` and a value"
    } else if m.contains("string") || m.contains("quote") {
        "close the string on the same line with the quote it opened with"
    } else if m.contains("array") || m.contains("`]`") {
        "arrays are [\"a\", \"b\"], items separated by commas, closed with ]"
    } else {
        "the file is TOML: key = \"value\", key = [\"a\", \"b\"], [[wrappers]] tables"
    }
}

/// A string or an array of strings.
fn strings(
    text: &str,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    v: &Spanned<DeValue<'_>>,
) -> Result<Vec<String>, ConfigError> {
    let name = key.get_ref();
    let want = |at: Range<usize>, found: &str| {
        located(
            text,
            at,
            &format!("{name}: want strings, found {found}"),
            &format!("{name} = [\"a\", \"b\"]"),
        )
    };
    match v.get_ref() {
        DeValue::String(s) => Ok(vec![s.to_string()]),
        DeValue::Array(a) => a
            .iter()
            .map(|x| match x.get_ref() {
                DeValue::String(s) => Ok(s.to_string()),
                other => Err(want(x.span(), other.type_str())),
            })
            .collect(),
        other => Err(want(v.span(), other.type_str())),
    }
}

fn wrapper(text: &str, v: &Spanned<DeValue<'_>>) -> Result<Wrapper, ConfigError> {
    let mut w = Wrapper {
        name: String::new(),
        class: String::new(),
        param: 0,
        param_name: String::new(),
        base: true,
        other: false,
        host: false,
        verb: None,
        version: None,
        trusted: true,
    };
    match v.get_ref() {
        DeValue::String(s) => w.name = s.to_string(),
        DeValue::Table(t) => {
            for (k, x) in t.iter() {
                wrapper_field(text, &mut w, k, x)?;
            }
        }
        other => {
            let m = format!("wrappers: want names or tables, found {}", other.type_str());
            return Err(located(text, v.span(), &m, WRAPPER_HINT));
        }
    }
    if w.name.is_empty() {
        let m = "wrappers: a wrapper needs a name";
        return Err(located(text, v.span(), m, WRAPPER_HINT));
    }
    Ok(w)
}

/// One `key = value` of a wrapper table.
fn wrapper_field(
    text: &str,
    w: &mut Wrapper,
    k: &Spanned<std::borrow::Cow<'_, str>>,
    x: &Spanned<DeValue<'_>>,
) -> Result<(), ConfigError> {
    let bad = |m: String, hint: &str| Err(located(text, x.span(), &m, hint));
    match (k.get_ref().as_ref(), x.get_ref()) {
        ("name", DeValue::String(s)) => w.name = s.to_string(),
        ("param", DeValue::Integer(n)) => match usize::from_str_radix(n.as_str(), n.radix()) {
            Ok(p) => w.param = p,
            Err(_) => {
                let m = format!("wrappers: bad param {n}");
                return bad(m, "param is the 0-based position of the path argument");
            }
        },
        ("param_name", DeValue::String(s)) => w.param_name = s.to_string(),
        ("method", DeValue::String(s)) => match crate::routes::verb(s) {
            Some(v) => w.verb = Some(v),
            None => {
                let m = format!("wrappers: unknown method {s:?}");
                return bad(m, "method is one of GET, POST, PUT, PATCH, DELETE");
            }
        },
        ("version", DeValue::String(s)) if matches!(s.as_ref(), "v1" | "v2") => {
            w.version = Some(s.to_string());
        }
        ("version", _) => {
            return bad(
                "wrappers: bad version".into(),
                "version is \"v1\" or \"v2\"",
            );
        }
        ("name" | "param" | "param_name" | "method", other) => {
            let m = format!("wrappers: bad `{}` ({})", k.get_ref(), other.type_str());
            return bad(m, WRAPPER_HINT);
        }
        (other, _) => {
            let m = format!("wrappers: unknown key `{other}`");
            return Err(located(text, k.span(), &m, WRAPPER_HINT));
        }
    }
    Ok(())
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
wrappers = ["ghRequest", { name = "harvest_post", param = 1, method = "post" },
  { name = "fetch_harvest", version = "v2" }]
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
        let c =
            Config::parse("[[wrappers]]\nname = \"a\"\n\n[[wrappers]]\nname = \"b\"\nparam = 2\n")
                .expect("array of tables");
        assert_eq!(c.wrappers.len(), 2);
        assert_eq!(c.wrappers[1].param, 2);
    }

    #[test]
    fn rejects_typos_and_bad_values() {
        for bad in [
            "inclde = [\"x\"]",
            "include = [1]",
            "wrappers = [{ nam = \"x\" }]",
            "wrappers = [{ name = \"x\", method = \"FETCH\" }]",
            "wrappers = [{ name = \"x\", param = -1 }]",
            "wrappers = [{ param = 1 }]",
            "wrappers = \"x\"",
            "wrappers = [{ name = \"x\", version = \"v3\" }]",
            "include = [\"x\"",
            "base_urls = \"unterminated",
            "include = [\"a\"]\ninclude = [\"b\"]",
        ] {
            let e = Config::parse(bad).expect_err(bad);
            assert!(e.line >= 1 && e.column >= 1, "{bad}: {e}");
            assert!(!e.hint.is_empty(), "{bad}: {e}");
        }
    }

    /// Every error points at the offending text: line and column of the key or value.
    #[test]
    fn errors_are_located() {
        let at = |text: &str| {
            let e = Config::parse(text).expect_err(text);
            (e.line, e.column, e.message)
        };
        let (l, c, m) = at("# settings\ninclude = [\"src/**\"]\n  inclde = [\"x\"]\n");
        assert_eq!((l, c), (3, 3), "{m}");
        assert!(m.contains("unknown key `inclde`"), "{m}");
        let (l, c, m) = at("exclude = [\n  \"a\",\n  2,\n]\n");
        assert_eq!((l, c), (3, 3), "{m}");
        assert!(m.contains("want strings, found integer"), "{m}");
        let (l, c, m) = at("[[wrappers]]\nname = \"x\"\nmethod = \"FETCH\"\n");
        assert_eq!((l, c), (3, 10), "{m}");
        assert!(m.contains("unknown method"), "{m}");
        let (l, c, m) = at("wrappers = [{ name = \"x\", prm = 1 }]");
        assert_eq!((l, c), (1, 27), "{m}");
        let (l, _, _) = at("include = [\"x\"]\nexclude = [\"y\"\n");
        assert_eq!(l, 2);
        let e = Config::parse("\"é\" = 1\nbase_urls = 'a\n").expect_err("unterminated");
        assert_eq!(e.line, 2, "{e}");
        assert!(e.to_string().starts_with("2:"), "{e}");
        assert!(e.to_string().contains("hint: "), "{e}");
        // TOML has no appending to an array written inline: the hint says so.
        let e =
            Config::parse("wrappers = [\"a\"]\n[[wrappers]]\nname = \"b\"\n").expect_err("mixed");
        assert_eq!(e.line, 2, "{e}");
        assert!(e.hint.contains("[[key]]"), "{e}");
    }
}
