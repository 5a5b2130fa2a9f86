//! The route index: each endpoint's path template split once, at load, and the endpoints
//! grouped by their first segment, so matching a request looks only at the endpoints that
//! can match it and allocates nothing until the best one is found.

use std::collections::HashMap;

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
    pub params: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct RouteIndex {
    templates: Vec<Option<Template>>,
    /// Endpoint indices by the literal first segment of their template, in catalog order.
    by_first: HashMap<String, Vec<usize>>,
    /// Endpoints whose template starts with a parameter or is empty, in catalog order.
    others: Vec<usize>,
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
                    index.by_first.entry(first.clone()).or_default().push(i)
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
        let first = segs.first().and_then(|f| self.by_first.get(*f));
        let candidates = merge(first.map_or(&[][..], Vec::as_slice), &self.others);
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
    use super::merge;

    #[test]
    fn merged_lists_stay_in_order() {
        let got: Vec<usize> = merge(&[1, 4, 9], &[0, 4, 5, 12]).collect();
        assert_eq!(got, vec![0, 1, 4, 4, 5, 9, 12]);
        assert_eq!(merge(&[], &[3]).collect::<Vec<_>>(), vec![3]);
    }
}
