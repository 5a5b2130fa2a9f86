//! Markdown: fenced code blocks are scanned in their language; prose is not.

use std::collections::HashSet;

use crate::lang::Lang;
use crate::lex;
use crate::model::FileFacts;
use crate::plain::analyze_plain;
use crate::rules::{Analyzer, Ctx};
use crate::yaml;

/// Markdown: fenced code blocks are scanned in their language; prose is not.
pub fn analyze_markdown(text: &str, hints: &HashSet<String>) -> FileFacts {
    let mut all = FileFacts::default();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut offsets = Vec::with_capacity(lines.len());
    let mut o = 0;
    for l in &lines {
        offsets.push(o);
        o += l.len() + 1;
    }
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        let fence = if t.starts_with("```") {
            "```"
        } else if t.starts_with("~~~") {
            "~~~"
        } else {
            ""
        };
        if fence.is_empty() {
            i += 1;
            continue;
        }
        let info = t.trim_start_matches(fence);
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !lines[end].trim_start().starts_with(fence) {
            end += 1;
        }
        let body = lines[start..end].join("\n");
        let lang = Lang::for_fence(info);
        let facts = match lang {
            Lang::Yaml | Lang::Json => yaml::analyze_yaml(&body, start as u32),
            Lang::Text | Lang::Markdown => analyze_plain(&body, hints).map(|mut f| {
                shift(&mut f, start as u32);
                f
            }),
            _ => lex::lex(
                lang,
                &body,
                start as u32,
                offsets.get(start).copied().unwrap_or(0),
            )
            .map(|lexed| {
                let ctx = Ctx {
                    hints,
                    dot_concat: lang == Lang::Php,
                    plain: false,
                };
                Analyzer::new(&lexed.toks, &lexed.funcs, &ctx).run()
            }),
        };
        if let Some(f) = facts {
            all.legacy |= f.legacy;
            all.mention |= f.mention;
            all.harvest_host |= f.harvest_host;
            if all.legacy_version.is_none() {
                all.legacy_version = f.legacy_version;
            }
            all.base_names.extend(f.base_names);
            all.cands.extend(f.cands);
        }
        i = end + 1;
    }
    if text.to_ascii_lowercase().contains("greenhouse") {
        all.mention = true;
    }
    all
}

fn shift(f: &mut FileFacts, by: u32) {
    for c in &mut f.cands {
        c.line += by;
        c.version_at = None;
    }
}
