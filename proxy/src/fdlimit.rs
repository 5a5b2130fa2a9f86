//! The open-file limit. Every client connection, every upstream connection (in use or idle in
//! the pool), the listeners and the store take a file descriptor; a proxy that runs out fails
//! accepts and v3 calls alike. At start-up the soft limit is raised, within the hard limit, to
//! what the config can use at once; when the hard limit is lower, a warning says how far and
//! what to do.

use std::collections::BTreeSet;

use crate::config::Config;

/// Descriptors beyond connections: listeners, the SQLite store and its journal, logs, the
/// admin listener and the runtime's own.
const OTHER: u64 = 64;

/// The descriptors the config can hold open at once: client connections (served and waiting
/// for a slot), each tenant's upstream connections in use, the idle pool of every upstream
/// host, and [`OTHER`].
pub fn needed(config: &Config) -> u64 {
    let l = &config.limits;
    let hosts: BTreeSet<String> = config
        .tenants
        .iter()
        .flat_map(|t| [host_of(&t.base_url), host_of(&t.token_url)])
        .collect();
    let clients = (l.max_connections as u64).saturating_add(crate::server::MAX_WAITING as u64);
    let in_use = (config.tenants.len() as u64).saturating_mul(l.max_upstream_per_tenant as u64);
    let idle = hosts.len() as u64 * crate::upstream::IDLE_PER_HOST as u64;
    clients
        .saturating_add(in_use)
        .saturating_add(idle)
        .saturating_add(OTHER)
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_else(|| url.to_string())
}

/// Raises the soft open-file limit toward [`needed`]; a warning when it stays below.
pub fn ensure(config: &Config) -> Option<String> {
    let want = needed(config);
    match rlimit::increase_nofile_limit(want) {
        Ok(have) if have >= want => None,
        Ok(have) => Some(shortfall(have, want)),
        Err(e) => Some(format!("cannot read or raise the open-file limit: {e}")),
    }
}

fn shortfall(have: u64, want: u64) -> String {
    format!(
        "the open-file limit is {have}, below the {want} this config can hold open at once \
         (max_connections, connections waiting, max_upstream_per_tenant per tenant, idle \
         upstream connections per host); under load, accepts and v3 calls will fail: raise the \
         hard limit (ulimit -n, systemd LimitNOFILE) or lower those limits"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(tenants: &[(&str, &str)]) -> Config {
        let mut text = String::from("listen = \"127.0.0.1:0\"\n");
        for (i, (token_url, base_url)) in tenants.iter().enumerate() {
            text.push_str(&format!(
                "[[tenants]]\nname = \"t{i}\"\nclient_id = \"id\"\nclient_secret_env = \"S\"\n\
                 read_as = 1\ntoken_url = \"{token_url}\"\nbase_url = \"{base_url}\"\n"
            ));
        }
        Config::parse("p.toml", &text, &|_| Some("s".into())).unwrap()
    }

    #[test]
    fn the_need_counts_clients_tenants_and_upstream_hosts() {
        let token = "https://auth.example/token";
        // Two tenants on the same two hosts (the default port is the same host).
        let mut c = config(&[
            (token, "https://v3.example:443"),
            (token, "https://v3.example"),
        ]);
        c.limits.max_connections = 100;
        c.limits.max_upstream_per_tenant = 10;
        let idle = crate::upstream::IDLE_PER_HOST as u64;
        let want = 100 + crate::server::MAX_WAITING as u64 + 2 * 10 + 2 * idle + OTHER;
        assert_eq!(needed(&c), want);
        assert!(shortfall(10, want).contains(&format!("limit is 10, below the {want}")));
    }

    #[test]
    fn the_soft_limit_is_raised_when_the_hard_limit_allows() {
        let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap();
        let mut c = config(&[]);
        // A need the hard limit covers: met (the soft limit is raised if it was lower).
        c.limits.max_connections = (soft.min(hard) / 2) as usize;
        assert_eq!(ensure(&c), None, "soft {soft}, hard {hard}");
        if hard == rlimit::INFINITY {
            return;
        }
        // A need past the hard limit: a warning.
        c.limits.max_connections = usize::try_from(hard).unwrap_or(usize::MAX);
        let w = ensure(&c).expect("past the hard limit");
        assert!(w.contains("below the"), "{w}");
    }
}
