//! The first-pass prefilter: does a file name Greenhouse or the `On-Behalf-Of` header, in any
//! letter case? Searched like ripgrep searches a case-insensitive literal: a SIMD (Teddy) search
//! for every letter-case spelling of a short distinctive chunk of each marker (`enho` of
//! `greenhouse`, `half` of `on-behalf-of`), each hit then checked against the whole marker.

use aho_corasick::packed::{Config, MatchKind, Searcher};

/// The markers, lower case, and the chunk of each that is searched for.
const MARKERS: [(&str, &str); 2] = [("greenhouse", "enho"), ("on-behalf-of", "half")];

/// A compiled prefilter.
pub struct Markers {
    searcher: Searcher,
    /// For each pattern of the searcher: (marker, offset of its chunk in the marker).
    pats: Vec<(&'static [u8], usize)>,
}

impl Markers {
    pub fn new() -> anyhow::Result<Markers> {
        let mut b = Config::new().match_kind(MatchKind::LeftmostFirst).builder();
        let mut pats = Vec::new();
        for (marker, chunk) in MARKERS {
            let at = marker
                .find(chunk)
                .ok_or_else(|| anyhow::anyhow!("prefilter: {chunk} not in {marker}"))?;
            for spelling in case_spellings(chunk) {
                b.add(spelling);
                pats.push((marker.as_bytes(), at));
            }
        }
        let searcher = b
            .build()
            .ok_or_else(|| anyhow::anyhow!("prefilter: no searcher"))?;
        Ok(Markers { searcher, pats })
    }

    /// Does `hay` contain a marker (ASCII case-insensitive)?
    pub fn is_match(&self, hay: &[u8]) -> bool {
        let mut from = 0;
        while from < hay.len() {
            let Some(m) = self
                .searcher
                .find_in(hay, aho_corasick::Span::from(from..hay.len()))
            else {
                return false;
            };
            let (marker, at) = self.pats[m.pattern().as_usize()];
            if m.start() >= at {
                let s = m.start() - at;
                if hay
                    .get(s..s + marker.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(marker))
                {
                    return true;
                }
            }
            from = m.start() + 1;
        }
        false
    }
}

/// Every ASCII letter-case spelling of `w` (2^letters of them).
fn case_spellings(w: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![Vec::new()];
    for c in w.bytes() {
        let mut next = Vec::with_capacity(out.len() * 2);
        for s in &out {
            let mut lo = s.clone();
            lo.push(c.to_ascii_lowercase());
            next.push(lo);
            if c.is_ascii_alphabetic() {
                let mut up = s.clone();
                up.push(c.to_ascii_uppercase());
                next.push(up);
            }
        }
        out = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Markers;

    #[test]
    fn finds_markers_in_any_case_and_nothing_else() {
        let m = Markers::new().expect("markers");
        for yes in [
            "x greenhouse y",
            "GREENHOUSE",
            "GreenHouse.io",
            "gReEnHoUsE",
            "On-Behalf-Of: 1",
            "ON-BEHALF-OF",
            "enho enho greenhouse",
        ] {
            assert!(m.is_match(yes.as_bytes()), "{yes}");
        }
        for no in [
            "",
            "green house",
            "enhouse",
            "on behalf of",
            "behalf-of",
            "greenhous",
            "half",
        ] {
            assert!(!m.is_match(no.as_bytes()), "{no}");
        }
    }
}
