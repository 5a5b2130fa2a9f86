//! What a legacy key may do, as Greenhouse's credential page had it: the endpoints it may call
//! (`endpoints = [...]` in v1's vocabulary, resource groups, `"*"`), the addresses it may call
//! from (`allowed_ips`), and the client address behind `trusted_proxies`
//! (`Forwarded` / `X-Forwarded-For`). Documented in docs/proxy.md ("Keys: permissions and IP
//! rules").

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use harvest_mappings::{Catalog, Endpoint};
use ipnet::IpNet;

/// One `endpoints` entry as written, with its line in proxy.toml (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub text: String,
    pub line: usize,
}

/// A key's endpoint permissions: the entries as written and, once compiled against the
/// catalogue, the set of endpoint indices (`Catalog::endpoints()`) they allow.
#[derive(Debug, Clone, Default)]
pub struct Permissions {
    /// None: `endpoints` was not given (every endpoint, with a start-up warning).
    pub rules: Option<Vec<Rule>>,
    compiled: Option<Arc<HashSet<usize>>>,
}

impl Permissions {
    /// Every endpoint (`endpoints` absent).
    pub fn all() -> Permissions {
        Permissions::default()
    }

    pub fn from_rules(rules: Vec<Rule>) -> Permissions {
        Permissions {
            rules: Some(rules),
            compiled: None,
        }
    }

    /// Resolves the entries against the catalogue; an unknown route or group is an error that
    /// names the entry, its line and the closest known name.
    pub fn compile(&mut self, catalog: &Catalog) -> Result<(), String> {
        let Some(rules) = &self.rules else {
            return Ok(());
        };
        if rules.is_empty() {
            return Err("`endpoints = []` allows nothing; list the endpoints the integration needs, or \"*\" for all".into());
        }
        let mut set = HashSet::new();
        for r in rules {
            let at = if r.line > 0 {
                format!(" (line {})", r.line)
            } else {
                String::new()
            };
            let found = resolve(catalog, r.text.trim()).map_err(|e| format!("{e}{at}"))?;
            set.extend(found);
        }
        self.compiled = Some(Arc::new(set));
        Ok(())
    }

    /// Whether the endpoint at `index` of the catalogue may be called. Entries not compiled
    /// (a bug) allow nothing.
    pub fn allows(&self, index: usize) -> bool {
        match (&self.rules, &self.compiled) {
            (None, _) => true,
            (Some(_), Some(set)) => set.contains(&index),
            (Some(_), None) => false,
        }
    }

    pub fn is_all(&self) -> bool {
        self.rules.is_none()
    }
}

/// The endpoint indices one entry names.
fn resolve(catalog: &Catalog, text: &str) -> Result<Vec<usize>, String> {
    let eps = catalog.endpoints();
    if text == "*" {
        return Ok((0..eps.len()).collect());
    }
    if let Some((method, path)) = text.split_once(' ') {
        let found = catalog.endpoints_named(&format!("{method} {path}"));
        if found.is_empty() {
            let all: Vec<String> = eps
                .iter()
                .flat_map(|e| {
                    e.legacy_paths()
                        .into_iter()
                        .map(|p| format!("{} {p}", e.method))
                })
                .collect();
            return Err(format!(
                "`{text}` is not a legacy route of the catalogue{}",
                hint(text, all.iter().map(String::as_str))
            ));
        }
        return Ok(found);
    }
    let Some((file, access)) = text.split_once(':') else {
        return Err(format!(
            "`{text}` is neither a route (\"GET /v1/candidates\"), a group (\"candidates:read\") nor \"*\""
        ));
    };
    let files: Vec<&str> = {
        let mut f: Vec<&str> = eps.iter().map(|e| e.file.as_str()).collect();
        f.sort_unstable();
        f.dedup();
        f
    };
    if !files.contains(&file) {
        return Err(format!(
            "`{text}`: `{file}` is not a resource group (a mapping file){}",
            hint(file, files.iter().copied())
        ));
    }
    let keep: fn(&Endpoint) -> bool = match access {
        "read" => |e| e.is_read(),
        "write" => |e| !e.is_read(),
        "*" => |_| true,
        _ => {
            return Err(format!(
                "`{text}`: a group ends in `:read`, `:write` or `:*`"
            ));
        }
    };
    Ok((0..eps.len())
        .filter(|i| eps[*i].file == file && keep(&eps[*i]))
        .collect())
}

/// `; did you mean `…`?` with the closest candidate.
fn hint<'a>(given: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    candidates
        .map(|c| (strsim::levenshtein(given, c), c))
        .min()
        .map(|(_, c)| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// One `allowed_ips` or `trusted_proxies` entry: a CIDR (`203.0.113.0/24`, `2001:db8::/32`)
/// or a single address. A CIDR with host bits set is refused (it is often a typo).
pub fn parse_net(text: &str) -> Result<IpNet, String> {
    let t = text.trim();
    if let Ok(a) = t.parse::<IpAddr>() {
        return Ok(IpNet::from(a.to_canonical()));
    }
    let net: IpNet = t.parse().map_err(|_| {
        format!("`{t}` is not an IP address or CIDR (e.g. 203.0.113.0/24, 2001:db8::/32)")
    })?;
    if net.trunc() != net {
        return Err(format!(
            "`{t}` has host bits set; did you mean `{}`?",
            net.trunc()
        ));
    }
    Ok(net)
}

/// Whether `ip` (an IPv4-mapped IPv6 address counts as its IPv4 address) is in any net.
pub fn contains(nets: &[IpNet], ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    nets.iter().any(|n| n.contains(&ip))
}

/// The client's address: the peer, unless the peer is a trusted proxy; then the right-most
/// address of `Forwarded` (or, without it, `X-Forwarded-For`) that is not a trusted proxy
/// (the left-most when all are). An entry a trusted proxy wrote that is not an address
/// (`unknown`, an obfuscated name) makes the client unknown: `None`, which no allow-list admits.
pub fn client_addr(
    peer: IpAddr,
    forwarded: Option<&str>,
    x_forwarded_for: Option<&str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer.to_canonical();
    if !contains(trusted, peer) {
        return Some(peer);
    }
    let chain: Vec<Option<IpAddr>> = match (forwarded, x_forwarded_for) {
        (Some(f), _) => forwarded_for(f),
        (None, Some(x)) => x.split(',').map(parse_hop).collect(),
        (None, None) => Vec::new(),
    };
    let mut client = peer;
    for hop in chain.iter().rev() {
        let ip = (*hop)?.to_canonical();
        client = ip;
        if !contains(trusted, ip) {
            break;
        }
    }
    Some(client)
}

/// The `for=` addresses of a `Forwarded` header (RFC 7239), in order.
fn forwarded_for(header: &str) -> Vec<Option<IpAddr>> {
    header
        .split(',')
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_hop(v.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]:80`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(a) = s.parse::<IpAddr>() {
        return Some(a);
    }
    if let Ok(a) = s.parse::<std::net::SocketAddr>() {
        return Some(a.ip());
    }
    s.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(v: &[&str]) -> Vec<IpNet> {
        v.iter().map(|s| parse_net(s).unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_edges_v4_and_v6() {
        let n = nets(&["203.0.113.0/24", "2001:db8::/32", "139.186.1.10"]);
        for yes in [
            "203.0.113.0",
            "203.0.113.255",
            "139.186.1.10",
            "2001:db8::",
            "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
            "::ffff:203.0.113.7",
        ] {
            assert!(contains(&n, ip(yes)), "{yes} is allowed");
        }
        for no in [
            "203.0.112.255",
            "203.0.114.0",
            "139.186.1.11",
            "139.186.1.9",
            "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
            "2001:db9::",
            "::ffff:203.0.114.1",
        ] {
            assert!(!contains(&n, ip(no)), "{no} is refused");
        }
        let host6 = nets(&["2001:db8::1/128"]);
        assert!(contains(&host6, ip("2001:db8::1")));
        assert!(!contains(&host6, ip("2001:db8::2")));
        let host4 = nets(&["10.0.0.1/32"]);
        assert!(contains(&host4, ip("::ffff:10.0.0.1")), "v4-mapped v6");
        assert!(!contains(&host4, ip("10.0.0.2")));
        assert!(
            contains(&nets(&["::ffff:10.0.0.1"]), ip("10.0.0.1")),
            "a v4-mapped entry is its v4 address"
        );
    }

    #[test]
    fn bad_cidrs_are_refused_with_a_hint() {
        assert!(
            parse_net("203.0.113.5/24")
                .unwrap_err()
                .contains("203.0.113.0/24")
        );
        assert!(
            parse_net("203.0.113.0/33")
                .unwrap_err()
                .contains("not an IP")
        );
        assert!(parse_net("example.com").unwrap_err().contains("not an IP"));
        assert!(parse_net("2001:db8::/129").is_err());
    }

    #[test]
    fn forwarded_headers_only_from_trusted_proxies() {
        let t = nets(&["10.0.0.0/8"]);
        let xff = Some("198.51.100.1, 203.0.113.9, 10.1.1.1");
        // An untrusted peer's headers are ignored.
        assert_eq!(
            client_addr(ip("192.0.2.1"), None, xff, &t),
            Some(ip("192.0.2.1"))
        );
        // From a trusted peer: the right-most untrusted hop, not the left-most (spoofable) one.
        assert_eq!(
            client_addr(ip("10.0.0.2"), None, xff, &t),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            client_addr(ip("10.0.0.2"), None, None, &t),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(
            client_addr(ip("10.0.0.2"), None, Some("10.3.3.3, 10.1.1.1"), &t),
            Some(ip("10.3.3.3")),
            "all trusted: the left-most"
        );
        assert_eq!(
            client_addr(ip("10.0.0.2"), None, Some("1.1.1.1, unknown"), &t),
            None,
            "an address a trusted proxy could not give: unknown"
        );
        let fwd = "for=198.51.100.1;proto=https, for=\"[2001:db8:cafe::17]:4711\";by=10.0.0.1";
        assert_eq!(
            client_addr(ip("::ffff:10.0.0.2"), Some(fwd), xff, &t),
            Some(ip("2001:db8:cafe::17")),
            "Forwarded wins over X-Forwarded-For"
        );
        assert_eq!(parse_hop("203.0.113.9:443"), Some(ip("203.0.113.9")));
    }

    #[test]
    fn permissions_compile_against_the_catalogue() {
        let c = Catalog::embedded().unwrap();
        let eps = c.endpoints();
        let index = |m: &str, p: &str| {
            eps.iter()
                .position(|e| e.method == m && e.legacy_paths().iter().any(|x| x == p))
                .unwrap()
        };
        let list = index("GET", "/v1/candidates");
        let rule = |t: &str| Rule {
            text: t.into(),
            line: 7,
        };
        let mut p = Permissions::from_rules(vec![rule("GET /v1/candidates")]);
        p.compile(c).unwrap();
        assert!(p.allows(list));
        assert!(!p.allows(index("GET", "/v1/candidates/{id}")));
        let mut g = Permissions::from_rules(vec![rule("candidates:read")]);
        g.compile(c).unwrap();
        let file = &eps[list].file;
        for (i, e) in eps.iter().enumerate() {
            assert_eq!(g.allows(i), &e.file == file && e.is_read(), "{}", e.route());
        }
        let mut star = Permissions::from_rules(vec![rule("*")]);
        star.compile(c).unwrap();
        assert!((0..eps.len()).all(|i| star.allows(i)));
        let e = Permissions::from_rules(vec![rule("GET /v1/candidatez")])
            .compile(c)
            .unwrap_err();
        assert!(
            e.contains("line 7") && e.contains("did you mean `GET /v1/candidates`"),
            "{e}"
        );
        let e = Permissions::from_rules(vec![rule("candidatez:read")])
            .compile(c)
            .unwrap_err();
        assert!(e.contains("did you mean `candidates`"), "{e}");
        assert!(
            Permissions::from_rules(vec![rule("candidates:delete")])
                .compile(c)
                .is_err()
        );
        assert!(Permissions::from_rules(vec![]).compile(c).is_err());
        let uncompiled = Permissions::from_rules(vec![rule("*")]);
        assert!(!uncompiled.allows(list), "not compiled: fails closed");
    }
}
