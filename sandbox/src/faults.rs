//! Fault injection: per-route scripted sequences or seeded random faults.
//!
//! SPEC grammar (also in README.md):
//!
//! ```text
//! SPEC   := RULE (';' RULE)*
//! RULE   := [METHODS ' '] ROUTE '=' BODY
//! METHODS:= METHOD ('|' METHOD)*   only requests of these methods (e.g. `POST|PATCH`); `WRITE`
//!                                  stands for every method but GET, HEAD and OPTIONS
//! ROUTE  := '/path'          exact path (query ignored)
//!         | '/prefix*'       any path starting with /prefix
//! BODY   := ITEM (',' ITEM)*                 scripted: one item per matching request, then ok
//!         | 'rate:' P ':' ACTION             each matching request fails with probability P (seeded)
//!         | 'mix:' P ':' ACTION ('|' P ':' ACTION)*
//!                                            each matching request draws one of the actions with
//!                                            its probability (seeded; the rest, 1 - sum, is ok)
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
    /// Each matching request draws one action with its probability (seeded); the rest of the
    /// probability mass (1 - the sum) serves normally.
    Mix(Vec<(f64, FaultAction)>),
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

/// Which methods a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MethodMatch {
    /// Every method.
    #[default]
    Any,
    /// Every method but GET, HEAD and OPTIONS.
    Writes,
    /// These methods (upper case).
    Only(Vec<String>),
}

impl MethodMatch {
    pub fn matches(&self, method: &str) -> bool {
        match self {
            MethodMatch::Any => true,
            MethodMatch::Writes => {
                !method.is_empty()
                    && !["GET", "HEAD", "OPTIONS"].contains(&method.to_ascii_uppercase().as_str())
            }
            MethodMatch::Only(list) => list.iter().any(|m| m.eq_ignore_ascii_case(method)),
        }
    }

    fn parse(s: &str) -> Result<Self, FaultSpecError> {
        let mut list = Vec::new();
        for m in s.split('|').map(str::trim) {
            if m == "WRITE" {
                return Ok(MethodMatch::Writes);
            }
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(FaultSpecError(format!("bad method `{m}` in `{s}`")));
            }
            list.push(m.to_string());
        }
        Ok(MethodMatch::Only(list))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    pub methods: MethodMatch,
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
            let (methods, route) = match route.trim().split_once(' ') {
                Some((m, r)) => (MethodMatch::parse(m)?, r.trim()),
                None => (MethodMatch::Any, route.trim()),
            };
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
                FaultMode::Rate {
                    probability: parse_probability(p)?,
                    action: parse_action(action)?,
                }
            } else if let Some(rest) = body.strip_prefix("mix:") {
                FaultMode::Mix(parse_mix(rest)?)
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
            rules.push(FaultRule {
                methods,
                route,
                mode,
            });
        }
        Ok(FaultPlan { rules })
    }

    /// Adds a scripted sequence for a route (`/path` exact, `/prefix*` prefix).
    pub fn script(mut self, route: &str, actions: impl IntoIterator<Item = FaultAction>) -> Self {
        self.rules.push(FaultRule {
            methods: MethodMatch::Any,
            route: route_of(route),
            mode: FaultMode::Sequence(actions.into_iter().collect()),
        });
        self
    }

    /// Adds a probabilistic fault for a route.
    pub fn rate(mut self, route: &str, probability: f64, action: FaultAction) -> Self {
        self.rules.push(FaultRule {
            methods: MethodMatch::Any,
            route: route_of(route),
            mode: FaultMode::Rate {
                probability,
                action,
            },
        });
        self
    }

    /// Adds a seeded mix of faults for the requests of `methods` to a route: each draws one
    /// action with its probability, the rest are served normally.
    pub fn mix(
        mut self,
        methods: MethodMatch,
        route: &str,
        mix: impl IntoIterator<Item = (f64, FaultAction)>,
    ) -> Self {
        self.rules.push(FaultRule {
            methods,
            route: route_of(route),
            mode: FaultMode::Mix(mix.into_iter().collect()),
        });
        self
    }

    /// Adds a fault applied to every request of a route.
    pub fn always(mut self, route: &str, action: FaultAction) -> Self {
        self.rules.push(FaultRule {
            methods: MethodMatch::Any,
            route: route_of(route),
            mode: FaultMode::Always(action),
        });
        self
    }
}

/// `P ':' ACTION ('|' P ':' ACTION)*`, the probabilities adding up to at most 1.
fn parse_probability(p: &str) -> Result<f64, FaultSpecError> {
    let probability: f64 = p
        .trim()
        .parse()
        .map_err(|_| FaultSpecError(format!("bad probability `{p}`")))?;
    if !(0.0..=1.0).contains(&probability) {
        return Err(FaultSpecError(format!(
            "probability must be within 0..1: `{p}`"
        )));
    }
    Ok(probability)
}

fn parse_mix(rest: &str) -> Result<Vec<(f64, FaultAction)>, FaultSpecError> {
    let mut mix = Vec::new();
    for part in rest.split('|') {
        let (p, action) = part
            .split_once(':')
            .ok_or_else(|| FaultSpecError(format!("mix needs `P:ACTION|...`: `{part}`")))?;
        mix.push((parse_probability(p)?, parse_action(action)?));
    }
    let total: f64 = mix.iter().map(|(p, _)| p).sum();
    if total > 1.0 + 1e-9 {
        return Err(FaultSpecError(format!(
            "mix probabilities add up to {total}, more than 1"
        )));
    }
    Ok(mix)
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
    /// Requests given another action than `Ok` so far.
    injected: usize,
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
                injected: 0,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Restarts the random draws of `rate:` and `mix:` rules from this seed.
    pub fn reseed(&self, seed: u64) {
        self.lock().rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_fa17);
    }

    /// How many requests were given a fault (any action but `ok`) so far.
    pub fn injected(&self) -> usize {
        self.lock().injected
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

    /// Decides what happens to a request for `path` (rules limited to methods never match).
    pub fn next_action(&self, path: &str) -> FaultAction {
        self.next_action_for("", path)
    }

    /// Decides what happens to a `method` request for `path`.
    pub fn next_action_for(&self, method: &str, path: &str) -> FaultAction {
        let mut st = self.lock();
        let action = Self::decide(&mut st, method, path);
        if action != FaultAction::Ok {
            st.injected += 1;
        }
        action
    }

    fn decide(st: &mut FaultState, method: &str, path: &str) -> FaultAction {
        let FaultState { plan, rng, .. } = st;
        for rule in plan.rules.iter_mut() {
            if !rule.route.matches(path) || !rule.methods.matches(method) {
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
                FaultMode::Mix(mix) => {
                    let mut draw = rng.random::<f64>();
                    for (p, action) in mix.iter() {
                        if draw < *p {
                            return action.clone();
                        }
                        draw -= p;
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
    fn methods_and_mixes_parse() {
        let p = FaultPlan::parse(
            "WRITE /v3/*=mix:0.1:lost|0.2:applied-delay:1500|0.05:503;POST|PUT /v3/notes=reset",
        )
        .unwrap();
        assert_eq!(p.rules[0].methods, MethodMatch::Writes);
        assert_eq!(
            p.rules[0].mode,
            FaultMode::Mix(vec![
                (0.1, FaultAction::Lost),
                (0.2, FaultAction::AppliedDelay(Duration::from_millis(1500))),
                (0.05, FaultAction::Status(503)),
            ])
        );
        assert_eq!(
            p.rules[1].methods,
            MethodMatch::Only(vec!["POST".into(), "PUT".into()])
        );
        for bad in [
            "/v3=mix:0.7:lost|0.7:reset",
            "/v3=mix:lost",
            "/v3=mix:0.1:explode",
            "post /v3=reset",
            "POST| /v3=reset",
        ] {
            assert!(FaultPlan::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn methods_limit_rules() {
        let f = Faults::new(FaultPlan::parse("WRITE /v3/*=always:reset").unwrap(), 1);
        assert_eq!(f.next_action_for("GET", "/v3/notes"), FaultAction::Ok);
        assert_eq!(f.next_action_for("POST", "/v3/notes"), FaultAction::Reset);
        assert_eq!(f.next_action_for("DELETE", "/v3/x/1"), FaultAction::Reset);
        assert_eq!(f.next_action("/v3/notes"), FaultAction::Ok);
        let f = Faults::new(FaultPlan::parse("PATCH /v3/*=always:500").unwrap(), 1);
        assert_eq!(f.next_action_for("POST", "/v3/x"), FaultAction::Ok);
        assert_eq!(
            f.next_action_for("patch", "/v3/x"),
            FaultAction::Status(500)
        );
    }

    #[test]
    fn mix_draws_each_action_near_its_share() {
        let run = |seed| {
            let f = Faults::new(
                FaultPlan::none().mix(
                    MethodMatch::Any,
                    "/x*",
                    [(0.2, FaultAction::Lost), (0.3, FaultAction::Reset)],
                ),
                seed,
            );
            (0..2000).map(|_| f.next_action("/x/y")).collect::<Vec<_>>()
        };
        let a = run(3);
        assert_eq!(a, run(3));
        let count = |x: &FaultAction| a.iter().filter(|y| *y == x).count();
        let (lost, reset, ok) = (
            count(&FaultAction::Lost),
            count(&FaultAction::Reset),
            count(&FaultAction::Ok),
        );
        assert_eq!(lost + reset + ok, 2000);
        assert!((300..500).contains(&lost), "{lost}");
        assert!((480..720).contains(&reset), "{reset}");
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
