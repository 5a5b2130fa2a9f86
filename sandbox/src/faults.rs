//! Fault injection: per-route scripted sequences or seeded random faults.
//!
//! SPEC grammar (also in README.md):
//!
//! ```text
//! SPEC   := RULE (';' RULE)*
//! RULE   := ROUTE '=' BODY
//! ROUTE  := '/path'          exact path (query ignored)
//!         | '/prefix*'       any path starting with /prefix
//! BODY   := ITEM (',' ITEM)*                 scripted: one item per matching request, then ok
//!         | 'rate:' P ':' ACTION             each matching request fails with probability P (seeded)
//!         | 'always:' ACTION                 every matching request
//! ITEM   := ACTION ['*' N]                   repeat N times
//! ACTION := 'ok' | NNN (status, e.g. 500, 503, 429) | 'delay:' MS | 'slow:' MS | 'reset'
//!         | 'truncate' | 'cutoff' | 'malformed' | 'down'
//!         | 'lost' | 'applied:' NNN | 'applied-delay:' MS     (the request is served — a write is
//!                                                            applied — then the answer is lost,
//!                                                            replaced, or late)
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What happens to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Serve normally.
    Ok,
    /// Answer with this status and a JSON error body (429 also gets `Retry-After: 1`).
    Status(u16),
    /// Wait, then serve normally.
    Delay(Duration),
    /// Drop the connection without answering.
    Reset,
    /// Serve the real response with its body cut in half (consistent Content-Length: broken JSON).
    Truncate,
    /// Announce the full Content-Length, send half the body, then drop the connection.
    Cutoff,
    /// 200 with a body that is not JSON.
    Malformed,
    /// Serve the request (a write is applied), then drop the connection without answering.
    Lost,
    /// Serve the request (a write is applied), then answer this status instead.
    Applied(u16),
    /// Serve the request (a write is applied), then wait this long before answering.
    AppliedDelay(Duration),
}

/// How a rule picks actions.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultMode {
    /// One action per matching request, in order; once empty the rule is spent.
    Sequence(VecDeque<FaultAction>),
    /// Each matching request gets `action` with this probability.
    Rate {
        probability: f64,
        action: FaultAction,
    },
    /// Every matching request gets `action`.
    Always(FaultAction),
}

/// Which requests a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMatch {
    Exact(String),
    Prefix(String),
}

impl RouteMatch {
    pub fn matches(&self, path: &str) -> bool {
        match self {
            RouteMatch::Exact(p) => path == p || path.strip_suffix('/') == Some(p.as_str()),
            RouteMatch::Prefix(p) => path.starts_with(p.as_str()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    pub route: RouteMatch,
    pub mode: FaultMode,
}

/// A set of fault rules. The first rule whose route matches and that still has something to say
/// decides; spent sequences are skipped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultPlan {
    pub rules: Vec<FaultRule>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid fault spec: {0}")]
pub struct FaultSpecError(pub String);

fn parse_action(s: &str) -> Result<FaultAction, FaultSpecError> {
    let s = s.trim();
    let err = || FaultSpecError(format!("unknown action `{s}`"));
    let ms = |v: &str| -> Result<Duration, FaultSpecError> {
        v.parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| FaultSpecError(format!("bad milliseconds in `{s}`")))
    };
    Ok(match s {
        "ok" => FaultAction::Ok,
        "reset" => FaultAction::Reset,
        "truncate" => FaultAction::Truncate,
        "cutoff" => FaultAction::Cutoff,
        "malformed" => FaultAction::Malformed,
        "down" => FaultAction::Status(503),
        "lost" => FaultAction::Lost,
        _ => {
            if let Some(v) = s.strip_prefix("applied-delay:") {
                FaultAction::AppliedDelay(ms(v)?)
            } else if let Some(v) = s.strip_prefix("applied:") {
                match v.parse::<u16>() {
                    Ok(code) if (400..=599).contains(&code) => FaultAction::Applied(code),
                    _ => {
                        return Err(FaultSpecError(format!(
                            "applied needs a status 400-599: `{s}`"
                        )));
                    }
                }
            } else if let Some(v) = s.strip_prefix("delay:").or_else(|| s.strip_prefix("slow:")) {
                FaultAction::Delay(ms(v)?)
            } else if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) {
                let code: u16 = s.parse().map_err(|_| err())?;
                if !(400..=599).contains(&code) {
                    return Err(FaultSpecError(format!(
                        "status must be 400-599, got {code}"
                    )));
                }
                FaultAction::Status(code)
            } else {
                return Err(err());
            }
        }
    })
}

impl FaultPlan {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses a SPEC string (see module docs / README).
    pub fn parse(spec: &str) -> Result<Self, FaultSpecError> {
        let mut rules = Vec::new();
        for rule in spec.split(';').map(str::trim).filter(|r| !r.is_empty()) {
            let (route, body) = rule
                .split_once('=')
                .ok_or_else(|| FaultSpecError(format!("missing `=` in `{rule}`")))?;
            let route = route.trim();
            if !route.starts_with('/') {
                return Err(FaultSpecError(format!(
                    "route must start with `/`: `{route}`"
                )));
            }
            let route = match route.strip_suffix('*') {
                Some(p) => RouteMatch::Prefix(p.to_string()),
                None => RouteMatch::Exact(route.to_string()),
            };
            let body = body.trim();
            let mode = if let Some(rest) = body.strip_prefix("rate:") {
                let (p, action) = rest.split_once(':').ok_or_else(|| {
                    FaultSpecError(format!("rate needs `rate:P:ACTION`: `{body}`"))
                })?;
                let probability: f64 = p
                    .parse()
                    .map_err(|_| FaultSpecError(format!("bad probability `{p}`")))?;
                if !(0.0..=1.0).contains(&probability) {
                    return Err(FaultSpecError(format!(
                        "probability must be within 0..1: `{p}`"
                    )));
                }
                FaultMode::Rate {
                    probability,
                    action: parse_action(action)?,
                }
            } else if let Some(action) = body.strip_prefix("always:") {
                FaultMode::Always(parse_action(action)?)
            } else {
                let mut seq = VecDeque::new();
                for item in body.split(',').map(str::trim) {
                    let (action, times) = match item.rsplit_once('*') {
                        Some((a, n)) => (
                            a,
                            n.trim()
                                .parse::<usize>()
                                .map_err(|_| FaultSpecError(format!("bad repeat in `{item}`")))?,
                        ),
                        None => (item, 1),
                    };
                    if times > 100_000 {
                        return Err(FaultSpecError(format!("repeat too large in `{item}`")));
                    }
                    let a = parse_action(action)?;
                    seq.extend(std::iter::repeat_n(a, times));
                }
                FaultMode::Sequence(seq)
            };
            rules.push(FaultRule { route, mode });
        }
        Ok(FaultPlan { rules })
    }

    /// Adds a scripted sequence for a route (`/path` exact, `/prefix*` prefix).
    pub fn script(mut self, route: &str, actions: impl IntoIterator<Item = FaultAction>) -> Self {
        self.rules.push(FaultRule {
            route: route_of(route),
            mode: FaultMode::Sequence(actions.into_iter().collect()),
        });
        self
    }

    /// Adds a probabilistic fault for a route.
    pub fn rate(mut self, route: &str, probability: f64, action: FaultAction) -> Self {
        self.rules.push(FaultRule {
            route: route_of(route),
            mode: FaultMode::Rate {
                probability,
                action,
            },
        });
        self
    }

    /// Adds a fault applied to every request of a route.
    pub fn always(mut self, route: &str, action: FaultAction) -> Self {
        self.rules.push(FaultRule {
            route: route_of(route),
            mode: FaultMode::Always(action),
        });
        self
    }
}

fn route_of(route: &str) -> RouteMatch {
    match route.strip_suffix('*') {
        Some(p) => RouteMatch::Prefix(p.to_string()),
        None => RouteMatch::Exact(route.to_string()),
    }
}

struct FaultState {
    plan: FaultPlan,
    rng: ChaCha8Rng,
}

/// Runtime handle to the active fault plan (cheap to clone, shared with the server).
#[derive(Clone)]
pub struct Faults {
    inner: Arc<Mutex<FaultState>>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults").finish_non_exhaustive()
    }
}

impl Faults {
    pub fn new(plan: FaultPlan, seed: u64) -> Self {
        Faults {
            inner: Arc::new(Mutex::new(FaultState {
                plan,
                rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_fa17),
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the plan.
    pub fn set(&self, plan: FaultPlan) {
        self.lock().plan = plan;
    }

    /// Parses and replaces the plan.
    pub fn set_spec(&self, spec: &str) -> Result<(), FaultSpecError> {
        self.set(FaultPlan::parse(spec)?);
        Ok(())
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.set(FaultPlan::none());
    }

    /// Appends rules to the plan.
    pub fn add(&self, plan: FaultPlan) {
        self.lock().plan.rules.extend(plan.rules);
    }

    /// The current plan (sequences show what is left).
    pub fn plan(&self) -> FaultPlan {
        self.lock().plan.clone()
    }

    /// Decides what happens to a request for `path`.
    pub fn next_action(&self, path: &str) -> FaultAction {
        let mut st = self.lock();
        let FaultState { plan, rng } = &mut *st;
        for rule in plan.rules.iter_mut() {
            if !rule.route.matches(path) {
                continue;
            }
            match &mut rule.mode {
                FaultMode::Sequence(seq) => {
                    if let Some(a) = seq.pop_front() {
                        return a;
                    }
                }
                FaultMode::Rate {
                    probability,
                    action,
                } => {
                    if rng.random::<f64>() < *probability {
                        return action.clone();
                    }
                    return FaultAction::Ok;
                }
                FaultMode::Always(action) => return action.clone(),
            }
        }
        FaultAction::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_example() {
        let p =
            FaultPlan::parse("/v3/candidates=500,500,ok;/token=delay:2000;/v3/users=rate:0.1:503")
                .unwrap();
        assert_eq!(p.rules.len(), 3);
        assert_eq!(
            p.rules[0].mode,
            FaultMode::Sequence(
                [
                    FaultAction::Status(500),
                    FaultAction::Status(500),
                    FaultAction::Ok
                ]
                .into_iter()
                .collect()
            )
        );
        assert_eq!(
            p.rules[1].mode,
            FaultMode::Sequence(
                [FaultAction::Delay(Duration::from_millis(2000))]
                    .into_iter()
                    .collect()
            )
        );
        assert_eq!(
            p.rules[2].mode,
            FaultMode::Rate {
                probability: 0.1,
                action: FaultAction::Status(503)
            }
        );
        let p =
            FaultPlan::parse("/v3/*=reset*2,truncate,cutoff,malformed;/token=always:down").unwrap();
        assert_eq!(p.rules[0].route, RouteMatch::Prefix("/v3/".into()));
        if let FaultMode::Sequence(s) = &p.rules[0].mode {
            assert_eq!(s.len(), 5);
        } else {
            panic!("sequence expected");
        }
        assert_eq!(p.rules[1].mode, FaultMode::Always(FaultAction::Status(503)));
    }

    #[test]
    fn rejects_bad_specs() {
        for bad in [
            "v3=500",
            "/v3",
            "/v3=explode",
            "/v3=rate:2:500",
            "/v3=rate:0.5",
            "/v3=200",
            "/v3=delay:x",
            "/v3=500*x",
        ] {
            assert!(FaultPlan::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(FaultPlan::parse("").unwrap(), FaultPlan::none());
    }

    #[test]
    fn sequences_are_consumed_then_ok() {
        let f = Faults::new(FaultPlan::parse("/a=500,reset").unwrap(), 1);
        assert_eq!(f.next_action("/b"), FaultAction::Ok);
        assert_eq!(f.next_action("/a"), FaultAction::Status(500));
        assert_eq!(f.next_action("/a"), FaultAction::Reset);
        assert_eq!(f.next_action("/a"), FaultAction::Ok);
    }

    #[test]
    fn rate_is_seeded() {
        let run = |seed| {
            let f = Faults::new(
                FaultPlan::none().rate("/x*", 0.5, FaultAction::Status(503)),
                seed,
            );
            (0..200)
                .map(|_| f.next_action("/x/y") != FaultAction::Ok)
                .collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        let hits = a.iter().filter(|h| **h).count();
        assert!(hits > 50 && hits < 150, "{hits}");
    }
}
