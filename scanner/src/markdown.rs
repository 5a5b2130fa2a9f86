//! Markdown: documentation is code to migrate too. Fenced code blocks are scanned in their
//! language (a block whose parse finds nothing falls back to the line rules); prose, inline code,
//! tables and indented blocks get the line rules of `plain` (full URLs with a preceding verb as
//! the method, `On-Behalf-Of`, `curl -u KEY:`, `Authorization: Basic`).

use crate::lang::Lang;
use crate::lex;
use crate::model::{FileFacts, Hints};
use crate::plain::analyze_plain;
use crate::rules::{Analyzer, Ctx};
use crate::yaml;

/// Analyses a Markdown document.
pub fn analyze_markdown(text: &str, hints: &Hints) -> FileFacts {
    let mut all = FileFacts::default();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut offsets = Vec::with_capacity(lines.len());
    let mut o = 0;
    for l in &lines {
        offsets.push(o);
        o += l.len() + 1;
    }
    // Prose: every line outside fenced blocks (fenced lines blanked, so line numbers hold).
    let mut prose: Vec<&str> = lines.clone();
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
        for l in prose.iter_mut().take((end + 1).min(lines.len())).skip(i) {
            *l = "";
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
                Analyzer::new(&lexed.toks, &lexed.funcs, &ctx)
                    .params(&lexed.params)
                    .scopes(&lexed.classes, &lexed.parents)
                    .run()
            }),
        };
        // A snippet whose parse gives nothing (or fails) falls back to the line rules.
        let facts = match facts {
            Some(f) if !f.cands.is_empty() => Some(f),
            parsed => analyze_plain(&body, hints)
                .map(|mut f| {
                    shift(&mut f, start as u32);
                    f
                })
                .filter(|f| !f.cands.is_empty())
                .or(parsed),
        };
        if let Some(f) = facts {
            merge(&mut all, f);
        }
        i = end + 1;
    }
    if let Some(f) = analyze_plain(&prose.join("\n"), hints) {
        merge(&mut all, f);
    }
    if text.to_ascii_lowercase().contains("greenhouse") {
        all.mention = true;
    }
    all
}

fn merge(all: &mut FileFacts, f: FileFacts) {
    {
        {
            all.legacy |= f.legacy;
            all.mention |= f.mention;
            all.harvest_host |= f.harvest_host;
            if all.legacy_version.is_none() {
                all.legacy_version = f.legacy_version;
            }
            all.base_names.extend(f.base_names);
            all.alias_names.extend(f.alias_names);
            all.settings.extend(f.settings);
            all.setting_words.extend(f.setting_words);
            all.cands.extend(f.cands);
        }
    }
}

fn shift(f: &mut FileFacts, by: u32) {
    for c in &mut f.cands {
        c.line += by;
        c.version_at = None;
    }
}
