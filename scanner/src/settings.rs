//! Settings keys: a settings file (YAML, JSON, `.env`, `.properties`, `.ini`, TOML) that binds a
//! key to the Harvest v1/v2 base URL makes code reading that key a use of the legacy base:
//! `os.environ["GREENHOUSE_URL"]`, `process.env.GREENHOUSE_URL`, `cfg["greenhouse"]["base_url"]`,
//! `config('services.greenhouse.base_url')`, `Configuration["Greenhouse:BaseUrl"]`,
//! `@Value("${greenhouse.base-url}")`, `ENV.fetch("GH_BASE")`.
//!
//! Keys are compared normalised (lower case, letters and digits only), by their last segment
//! when it names Greenhouse/Harvest or stands alone (a top-level key, an environment variable),
//! else by their last two segments (`greenhouse.baseurl`): a generic `base_url` under `lever:`
//! is not the Harvest one.

use crate::urls::harvest_urls;

/// `base-url` → `baseurl`.
pub fn norm(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn distinctive(n: &str) -> bool {
    n.contains("greenhouse") || n.contains("harvest") || n.starts_with("gh")
}

/// The normalised names a value at key path `keys` is known by.
pub fn names_of_path(keys: &[&str]) -> Vec<String> {
    let segs: Vec<String> = keys
        .iter()
        .flat_map(|k| k.split(['.', ':', '/']))
        .map(norm)
        .filter(|s| !s.is_empty())
        .collect();
    let mut out = Vec::new();
    let Some(last) = segs.last() else {
        return out;
    };
    if segs.len() == 1 || distinctive(last) {
        out.push(last.clone());
    }
    if segs.len() >= 2 {
        out.push(format!("{}.{}", segs[segs.len() - 2], last));
    }
    out
}

/// The key paths an expression reads (`cfg["greenhouse"]["base_url"]` → greenhouse, base_url;
/// `process.env.GH_URL` → process, env, GH_URL), as normalised names to look up.
pub fn names_read_by(expr: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut rest = expr;
    // Quoted keys (subscripts, getters, Spring placeholders `${a.b}`).
    while let Some(s) = rest.find(['"', '\'']) {
        let q = rest[s..].chars().next().unwrap_or('"');
        let Some(e) = rest[s + 1..].find(q) else {
            break;
        };
        let k = rest[s + 1..s + 1 + e]
            .trim_start_matches("${")
            .trim_end_matches('}');
        let k = k
            .split(':')
            .next()
            .filter(|_| k.contains("${"))
            .unwrap_or(k);
        if !k.is_empty() && k.len() < 100 && !k.contains(char::is_whitespace) {
            keys.push(k.to_string());
        }
        rest = &rest[s + 2 + e..];
    }
    if keys.is_empty() {
        // An attribute chain: `settings.GREENHOUSE_URL`, `process.env.GH_URL`.
        let id: String = expr
            .trim()
            .trim_end_matches("()")
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '$' | ':' | '>' | '-'))
            .collect::<String>()
            .chars()
            .rev()
            .collect();
        for part in id.split(['.', ':', '>', '-']) {
            let p = part.trim_start_matches('$');
            if !p.is_empty() {
                keys.push(p.to_string());
            }
        }
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mut out = names_of_path(&refs);
    // An environment variable (`process.env.BASE_URL`, `os.getenv("BASE_URL")`,
    // `ENV["BASE_URL"]`) is a top-level key, whatever its name.
    let low = expr.to_ascii_lowercase();
    if (low.contains("env") || low.contains("environ"))
        && let Some(last) = refs.last()
    {
        let n = norm(last);
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// Keys bound to a Harvest v1/v2 base URL in a plain settings file: `KEY=URL` (`.env`,
/// `.properties`, `export KEY=URL`), `key = "URL"` under `[section]` (INI, TOML), `key: URL`.
/// Returns (normalised names, the keys as written).
pub fn plain_settings(text: &str) -> (Vec<String>, Vec<String>) {
    let mut names = Vec::new();
    let mut raw = Vec::new();
    let mut section = String::new();
    for line in text.lines().take(20_000) {
        let l = line.trim();
        if l.starts_with('#') || l.starts_with(';') || l.is_empty() {
            continue;
        }
        if let Some(s) = l.strip_prefix('[') {
            section = s.trim_end_matches(']').trim().to_string();
            continue;
        }
        let l = l.strip_prefix("export ").unwrap_or(l);
        let Some(p) = l.find(['=', ':']) else {
            continue;
        };
        let key = l[..p].trim();
        let val = l[p + 1..]
            .trim()
            .trim_matches(|c| c == '"' || c == '\'' || c == ',');
        if key.is_empty()
            || key.contains(char::is_whitespace)
            || !harvest_urls(val)
                .iter()
                .any(|u| u.version.is_some() && u.rest.is_empty())
        {
            continue;
        }
        let path: Vec<&str> = if section.is_empty() {
            vec![key]
        } else {
            vec![section.as_str(), key]
        };
        names.extend(names_of_path(&path));
        raw.push(key.rsplit(['.', ':']).next().unwrap_or(key).to_string());
    }
    (names, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            names_of_path(&["greenhouse", "base_url"]),
            ["greenhouse.baseurl"]
        );
        assert_eq!(names_of_path(&["GREENHOUSE_URL"]), ["greenhouseurl"]);
        assert_eq!(
            names_of_path(&["services", "greenhouse_url"]),
            ["greenhouseurl", "services.greenhouseurl"]
        );
        assert!(
            names_read_by("cfg[\"greenhouse\"][\"base_url\"]")
                .contains(&"greenhouse.baseurl".to_string())
        );
        assert!(
            names_read_by("os.environ[\"GREENHOUSE_URL\"]").contains(&"greenhouseurl".to_string())
        );
        assert!(names_read_by("process.env.GREENHOUSE_URL").contains(&"greenhouseurl".to_string()));
        assert!(
            names_read_by("config('services.greenhouse.base_url')")
                .contains(&"greenhouse.baseurl".to_string())
        );
        assert!(
            names_read_by("Configuration[\"Greenhouse:BaseUrl\"]")
                .contains(&"greenhouse.baseurl".to_string())
        );
        assert!(
            names_read_by("\"${greenhouse.base-url}\"").contains(&"greenhouse.baseurl".to_string())
        );
        assert!(
            !names_read_by("cfg[\"lever\"][\"base_url\"]")
                .contains(&"greenhouse.baseurl".to_string())
        );
    }

    #[test]
    fn plain_files() {
        let (n, raw) = plain_settings(
            "# env\nGREENHOUSE_URL=https://harvest.greenhouse.io/v1\nOTHER=https://api.lever.co/v1\n[greenhouse]\nbase_url = \"https://harvest.greenhouse.io/v1\"\n",
        );
        assert!(n.contains(&"greenhouseurl".to_string()));
        assert!(n.contains(&"greenhouse.baseurl".to_string()));
        assert_eq!(raw, ["GREENHOUSE_URL", "base_url"]);
    }
}
