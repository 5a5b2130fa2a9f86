//! The route index: each endpoint's path template split once, at load, and the endpoints
//! grouped by their first segment, so matching a request looks only at the endpoints that
//! can match it and allocates nothing until the best one is found.

use std::collections::{BTreeMap, HashMap};

use crate::Endpoint;
use crate::catalog::{split_version, strip_version};
use crate::model::Method;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

#[derive(Debug, Clone)]
struct Template {
    method: Method,
    segments: Vec<Segment>,
    optional_last: bool,
    versions: Vec<String>,
}

/// What [`RouteIndex::find`] matched: the endpoint's index, the version the request named and
/// the path parameters it bound.
pub(crate) struct Found<'p> {
    pub index: usize,
    pub version: &'p str,
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct RouteIndex {
    templates: Vec<Option<Template>>,
    /// Endpoint indices by the literal first segment of their template, in catalog order.
    by_first: HashMap<String, Vec<usize>>,
    /// Endpoints whose template starts with a parameter or is empty, in catalog order.
    others: Vec<usize>,
    /// Endpoints with a literal one-segment template the request may leave off.
    bare: Vec<usize>,
    /// Segments in the deepest template.
    depth: usize,
}

impl RouteIndex {
    pub fn new(endpoints: &[Endpoint]) -> RouteIndex {
        let mut index = RouteIndex::default();
        for (i, ep) in endpoints.iter().enumerate() {
            let segments: Vec<Segment> = strip_version(&ep.path)
                .split('/')
                .skip(1)
                .map(
                    |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(name) => Segment::Param(name.to_string()),
                        None => Segment::Literal(s.to_string()),
                    },
                )
                .collect();
            index.depth = index.depth.max(segments.len());
            match segments.first() {
                Some(Segment::Literal(first)) => {
                    index.by_first.entry(first.clone()).or_default().push(i);
                    if ep.optional_last && segments.len() == 1 {
                        index.bare.push(i);
                    }
                }
                _ => index.others.push(i),
            }
            index
                .templates
                .push(ep.method.parse().ok().map(|method| Template {
                    method,
                    segments,
                    optional_last: ep.optional_last,
                    versions: ep.versions.clone(),
                }));
        }
        index
    }

    /// The best endpoint for `path` (query and trailing slash ignored): a full match beats one
    /// that left an optional last segment off, more literal segments beat fewer, GET beats
    /// other methods when `method` is None; on a tie, the first in the catalog.
    pub fn find<'p>(&self, method: Option<Method>, path: &'p str) -> Option<Found<'p>> {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let (version, rest) = split_version(path)?;
        let rest = rest.trim_end_matches('/');
        let mut segs: Vec<&str> = Vec::with_capacity(self.depth);
        for s in rest.split('/').skip(1) {
            if segs.len() == self.depth {
                return None; // deeper than every template
            }
            segs.push(s);
        }
        let segs = &segs[..];
        let first = match segs.first() {
            Some(f) => self.by_first.get(*f).map_or(&[][..], Vec::as_slice),
            // A bare `/v1`: only a one-segment template that may leave its segment off.
            None => &self.bare,
        };
        let candidates = merge(first, &self.others);
        let mut best: Option<((bool, usize, bool), usize, usize)> = None;
        for i in candidates {
            let Some(t) = &self.templates[i] else {
                continue;
            };
            if method.is_some_and(|m| t.method != m) {
                continue;
            }
            // v1 let a client leave the last segment of some lists off (`/v1/custom_fields`).
            let exact = t.segments.len() == segs.len();
            let short = t.optional_last && t.segments.len() == segs.len() + 1;
            if !exact && !short {
                continue;
            }
            // The template's first segments, as many as the request has.
            let take = segs.len();
            let mut literals = 0;
            let ok = t.segments[..take].iter().zip(segs).all(|(t, s)| match t {
                Segment::Param(_) => !s.is_empty(),
                Segment::Literal(l) => {
                    literals += 1;
                    l == s
                }
            });
            if !ok || !t.versions.iter().any(|v| v == version) {
                continue;
            }
            let rank = (exact, literals, t.method == Method::Get);
            if best.is_none_or(|(r, _, _)| rank > r) {
                best = Some((rank, i, take));
            }
        }
        let (_, index, take) = best?;
        let t = self.templates[index].as_ref()?;
        let params = t.segments[..take]
            .iter()
            .zip(segs)
            .filter_map(|(t, s)| match t {
                Segment::Param(name) => Some((name.clone(), (*s).to_string())),
                Segment::Literal(_) => None,
            })
            .collect();
        Some(Found {
            index,
            version,
            params,
        })
    }
}

/// Two ascending index lists as one ascending sequence.
fn merge<'a>(a: &'a [usize], b: &'a [usize]) -> impl Iterator<Item = usize> + 'a {
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if x <= y => a.next().copied(),
        (Some(_), Some(_)) | (None, Some(_)) => b.next().copied(),
        (Some(_), None) => a.next().copied(),
        (None, None) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(method: &str, path: &str, optional_last: bool) -> crate::Endpoint {
        let mut e = crate::Catalog::embedded().unwrap().endpoints()[0].clone();
        e.method = method.into();
        e.path = path.into();
        e.optional_last = optional_last;
        e.versions = vec!["v1".into()];
        e
    }

    #[test]
    fn the_best_match_wins_and_binds_its_parameters() {
        let eps = [
            endpoint("GET", "/v1/users/{id}", false),
            endpoint("PATCH", "/v1/users/permission_level", false),
            endpoint("GET", "/v1/{kind}/{id}", false),
            endpoint("GET", "/v1/tags", true),
            endpoint("POST", "/v1/users/{id}", false),
        ];
        let idx = RouteIndex::new(&eps);
        let found = |m: Option<Method>, p: &str| {
            idx.find(m, p)
                .map(|f| (f.index, f.params.into_iter().collect::<Vec<_>>()))
        };
        let id = |v: &str| vec![("id".to_string(), v.to_string())];
        assert_eq!(
            found(Some(Method::Get), "/v1/users/7/?a=b"),
            Some((0, id("7")))
        );
        // A literal beats a parameter; None takes GET first.
        assert_eq!(
            found(Some(Method::Patch), "/v1/users/permission_level"),
            Some((1, vec![]))
        );
        assert_eq!(found(None, "/v1/users/7"), Some((0, id("7"))));
        assert_eq!(found(Some(Method::Post), "/v1/users/7"), Some((4, id("7"))));
        // A template starting with a parameter is looked at too.
        let kind = vec![
            ("id".to_string(), "3".to_string()),
            ("kind".to_string(), "jobs".to_string()),
        ];
        assert_eq!(found(Some(Method::Get), "/v1/jobs/3"), Some((2, kind)));
        // An optional one-segment template matches a bare version.
        assert_eq!(found(Some(Method::Get), "/v1"), Some((3, vec![])));
        assert_eq!(
            found(Some(Method::Get), "/v1/users/"),
            None,
            "an empty id is no id"
        );
        assert_eq!(
            found(Some(Method::Get), "/v2/users/7"),
            None,
            "not served under v2"
        );
        let deep = format!("/v1{}", "/x".repeat(10_000));
        assert_eq!(found(None, &deep), None);
    }

    #[test]
    fn merged_lists_stay_in_order() {
        let got: Vec<usize> = merge(&[1, 4, 9], &[0, 4, 5, 12]).collect();
        assert_eq!(got, vec![0, 1, 4, 4, 5, 9, 12]);
        assert_eq!(merge(&[], &[3]).collect::<Vec<_>>(), vec![3]);
    }
}
