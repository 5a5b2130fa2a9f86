//! Plain text (any file of no known language): words split on whitespace, on which only the
//! full-URL, `-u key:` and On-Behalf-Of rules run.

use std::collections::HashSet;

use crate::model::FileFacts;
use crate::rules::{Analyzer, Ctx};
use crate::tokens::{Part, Tk, Tok};

pub fn analyze_plain(text: &str, hints: &HashSet<String>) -> Option<FileFacts> {
    let mut toks = Vec::new();
    let mut offset = 0usize;
    for (ln, line) in text.split('\n').enumerate() {
        let mut col = 0usize;
        for w in line.split(|c: char| c.is_whitespace()) {
            if !w.is_empty() {
                let inner = w.trim_matches(|c| c == '"' || c == '\'' || c == '`');
                toks.push(Tok {
                    kind: Tk::Str,
                    text: w.to_string(),
                    parts: vec![Part::Lit(inner.to_string())],
                    line: ln as u32 + 1,
                    col: col as u32 + 1,
                    start: offset + col,
                    end: offset + col + w.len(),
                    func: 0,
                });
            }
            col += w.len() + 1;
        }
        offset += line.len() + 1;
    }
    let funcs = vec![String::new()];
    let ctx = Ctx {
        hints,
        dot_concat: false,
        plain: true,
    };
    let mut facts = Analyzer::new(&toks, &funcs, &ctx).run();
    facts.mention = text.to_ascii_lowercase().contains("greenhouse");
    Some(facts)
}
