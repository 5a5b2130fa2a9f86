//! The scanner's per-language analysis on arbitrary source text: the first byte picks the
//! language (each tree-sitter grammar, syn for Rust, the YAML/JSON walk, Markdown code
//! blocks, plain text), the rest is the file. `languages::analyze_text` (tokens, rules,
//! imports, declarations) and then `resolve::resolve_file` (findings, routes, advice) must
//! not panic; findings point at lines of the file.
#![no_main]

use harvest_scan::lang::Lang;
use harvest_scan::languages::analyze_text;
use harvest_scan::model::Hints;
use harvest_scan::resolve::resolve_file;
use libfuzzer_sys::fuzz_target;

const LANGS: [(Lang, &str); 16] = [
    (Lang::Python, "py"),
    (Lang::JavaScript, "js"),
    (Lang::TypeScript, "ts"),
    (Lang::Tsx, "tsx"),
    (Lang::Ruby, "rb"),
    (Lang::Go, "go"),
    (Lang::Php, "php"),
    (Lang::Java, "java"),
    (Lang::Kotlin, "kt"),
    (Lang::CSharp, "cs"),
    (Lang::Bash, "sh"),
    (Lang::Rust, "rs"),
    (Lang::Yaml, "yaml"),
    (Lang::Json, "json"),
    (Lang::Markdown, "md"),
    (Lang::Text, "txt"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (lang, ext) = LANGS[usize::from(pick) % LANGS.len()];
    let text = String::from_utf8_lossy(rest);
    let Some(facts) = analyze_text(lang, &text, &Hints::default()) else {
        return;
    };
    // Any line break a lexer may count (`\n`, a lone `\r`).
    let lines = text.matches('\n').count() + text.matches('\r').count() + 1;
    let (findings, _) = resolve_file(&format!("src/fuzz.{ext}"), &text, &facts, None, false);
    for f in &findings {
        assert!(
            (f.line as usize) <= lines,
            "finding at line {} of a {lines}-line file",
            f.line
        );
    }
});
