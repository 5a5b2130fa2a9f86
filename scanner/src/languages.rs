//! Which analysis a file gets, by language: the token rules for source code, the document
//! walk for YAML/JSON/RAML, code blocks for Markdown, line rules for plain text.

use crate::lang::Lang;
use crate::model::{FileFacts, Hints};
use crate::rules::{Analyzer, Ctx};
use crate::{lex, markdown, plain, yaml};

/// Analyses one file's text.
pub fn analyze_text(lang: Lang, text: &str, hints: &Hints) -> Option<FileFacts> {
    let mut facts = analyze_lang(lang, text, hints)?;
    facts.imports = crate::imports::imports_of(lang, text);
    facts.decls = crate::decls::decls_of(lang, text);
    Some(facts)
}

fn analyze_lang(lang: Lang, text: &str, hints: &Hints) -> Option<FileFacts> {
    match lang {
        Lang::Yaml | Lang::Json => {
            yaml::analyze_yaml(text, 0).or_else(|| plain::analyze_plain(text, hints))
        }
        Lang::Markdown => Some(markdown::analyze_markdown(text, hints)),
        Lang::Text => plain::analyze_plain(text, hints),
        _ => {
            let lexed = lex::lex(lang, text, 0, 0)?;
            let ctx = Ctx {
                hints,
                dot_concat: lang == Lang::Php,
                plain: false,
            };
            Some(
                Analyzer::new(&lexed.toks, &lexed.funcs, &ctx)
                    .params(&lexed.params)
                    .scopes(&lexed.classes, &lexed.parents)
                    .run(),
            )
        }
    }
}
