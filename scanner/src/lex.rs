//! Turns a source file into the token stream of `tokens`. Comments are dropped (they are never
//! findings). Tree-sitter parses every language but Rust, which goes through `rustlex`
//! (syn/proc-macro2).

use tree_sitter::{Language, Node, Parser};

use crate::lang::Lang;
use crate::tokens::{self, Lexed, Part, Tk, Tok};

fn grammar(lang: Lang) -> Option<Language> {
    Some(match lang {
        Lang::Python => tree_sitter_python::LANGUAGE.into(),
        Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Lang::Ruby => tree_sitter_ruby::LANGUAGE.into(),
        Lang::Go => tree_sitter_go::LANGUAGE.into(),
        Lang::Php => tree_sitter_php::LANGUAGE_PHP.into(),
        Lang::Java => tree_sitter_java::LANGUAGE.into(),
        Lang::Kotlin => tree_sitter_kotlin_ng::LANGUAGE.into(),
        Lang::CSharp => tree_sitter_c_sharp::LANGUAGE.into(),
        Lang::Bash => tree_sitter_bash::LANGUAGE.into(),
        _ => return None,
    })
}

/// Tokenizes a source file. `line_offset`/`byte_offset` shift positions (Markdown code blocks).
pub fn lex(lang: Lang, src: &str, line_offset: u32, byte_offset: usize) -> Option<Lexed> {
    if lang == Lang::Rust {
        return Some(crate::rustlex::lex_rust(src, line_offset, byte_offset));
    }
    let grammar = grammar(lang)?;
    let mut parser = Parser::new();
    parser.set_language(&grammar).ok()?;
    let tree = parser.parse(src, None)?;
    let mut out = Lexed {
        toks: Vec::new(),
        funcs: vec![String::new()],
    };
    let bytes = src.as_bytes();
    let mut cursor = tree.walk();
    // (depth, what): what = Some(func index) for a function, None for a synthetic group.
    let mut scopes: Vec<(usize, Option<u32>)> = Vec::new();
    let mut depth = 0usize;
    let mut cur_func: u32 = 0;
    let pos = |n: &Node| -> (u32, u32) {
        let p = n.start_position();
        (p.row as u32 + 1 + line_offset, p.column as u32 + 1)
    };
    loop {
        let node = cursor.node();
        let kind = node.kind();
        let mut descend = true;
        if kind.contains("comment") {
            descend = false;
        } else if is_string(lang, kind)
            && !(lang == Lang::Bash && kind == "word" && node.child_count() > 0)
        {
            descend = false;
            if !(lang == Lang::Python && is_docstring(&node)) {
                let mut parts = Vec::new();
                decode(lang, &node, bytes, &mut parts);
                let (line, col) = pos(&node);
                out.toks.push(Tok {
                    kind: Tk::Str,
                    text: text_of(&node, bytes).to_string(),
                    parts: tokens::merge(parts),
                    line,
                    col,
                    start: node.start_byte() + byte_offset,
                    end: node.end_byte() + byte_offset,
                    func: cur_func,
                });
            }
        } else if node.child_count() == 0 || (lang == Lang::Php && kind == "variable_name") {
            descend = false;
            let text = text_of(&node, bytes);
            if !(text.is_empty() || lang == Lang::Php && kind == "text") {
                let tk = match text {
                    "(" | "[" | "{" => Tk::Open,
                    ")" | "]" | "}" => Tk::Close,
                    _ => {
                        let c = text.chars().next().unwrap_or(' ');
                        if c.is_alphanumeric()
                            || c == '_'
                            || c == '$'
                            || c == '@'
                            || c == ':' && text.len() > 1 && lang == Lang::Ruby
                        {
                            Tk::Word
                        } else {
                            Tk::Punct
                        }
                    }
                };
                let (line, col) = pos(&node);
                out.toks.push(Tok {
                    kind: tk,
                    text: text.to_string(),
                    parts: Vec::new(),
                    line,
                    col,
                    start: node.start_byte() + byte_offset,
                    end: node.end_byte() + byte_offset,
                    func: cur_func,
                });
            }
        } else if is_function(kind) {
            let name = function_name(&node, bytes);
            if !name.is_empty() {
                out.funcs.push(name);
                let idx = (out.funcs.len() - 1) as u32;
                scopes.push((depth, Some(cur_func)));
                cur_func = idx;
            }
        } else if lang == Lang::Bash && (kind == "command" || kind == "declaration_command") {
            let (line, col) = pos(&node);
            out.toks.push(Tok {
                kind: Tk::Open,
                text: "(".into(),
                parts: Vec::new(),
                line,
                col,
                start: node.start_byte() + byte_offset,
                end: node.start_byte() + byte_offset,
                func: cur_func,
            });
            scopes.push((depth, None));
        }
        if descend && cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        // Leave this node (and ancestors without further siblings).
        loop {
            while let Some(&(d, what)) = scopes.last() {
                if d < depth {
                    break;
                }
                scopes.pop();
                match what {
                    Some(prev) => cur_func = prev,
                    None => {
                        let n = cursor.node();
                        let p = n.end_position();
                        out.toks.push(Tok {
                            kind: Tk::Close,
                            text: ")".into(),
                            parts: Vec::new(),
                            line: p.row as u32 + 1 + line_offset,
                            col: p.column as u32 + 1,
                            start: n.end_byte() + byte_offset,
                            end: n.end_byte() + byte_offset,
                            func: cur_func,
                        });
                    }
                }
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return Some(out);
            }
            depth -= 1;
        }
    }
}

fn text_of<'a>(n: &Node, bytes: &'a [u8]) -> &'a str {
    std::str::from_utf8(bytes.get(n.start_byte()..n.end_byte()).unwrap_or(&[])).unwrap_or("")
}

fn is_string(lang: Lang, kind: &str) -> bool {
    match lang {
        Lang::Python => kind == "string",
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => {
            kind == "string" || kind == "template_string"
        }
        Lang::Ruby => matches!(kind, "string" | "bare_string" | "heredoc_body" | "subshell"),
        Lang::Go => kind == "interpreted_string_literal" || kind == "raw_string_literal",
        Lang::Php => matches!(kind, "string" | "encapsed_string" | "heredoc" | "nowdoc"),
        Lang::Java => kind == "string_literal" || kind == "text_block",
        Lang::Kotlin => kind == "string_literal" || kind == "multiline_string_literal",
        Lang::CSharp => matches!(
            kind,
            "string_literal"
                | "verbatim_string_literal"
                | "interpolated_string_expression"
                | "raw_string_literal"
                | "interpolated_verbatim_string_text"
        ),
        Lang::Bash => matches!(
            kind,
            "string"
                | "raw_string"
                | "ansi_c_string"
                | "word"
                | "concatenation"
                | "translated_string"
        ),
        _ => false,
    }
}

fn is_interp(lang: Lang, kind: &str) -> bool {
    kind.contains("interpolation") && !kind.contains("string")
        || kind.contains("substitution")
        || kind.contains("expansion")
        || (lang == Lang::Php
            && matches!(
                kind,
                "variable_name"
                    | "member_access_expression"
                    | "subscript_expression"
                    | "dynamic_variable_name"
            ))
        || (lang == Lang::Kotlin && kind == "simple_identifier")
}

fn is_docstring(node: &Node) -> bool {
    match node.parent() {
        Some(p) => p.kind() == "expression_statement" && p.named_child_count() == 1,
        None => false,
    }
}

fn is_function(kind: &str) -> bool {
    (kind.contains("function")
        || kind.contains("method")
        || kind == "method"
        || kind == "singleton_method")
        && !kind.contains("call")
        && !kind.contains("invocation")
        && !kind.contains("type")
        && !kind.contains("signature")
        && !kind.contains("reference")
        && !kind.contains("parameters")
        && !kind.contains("name")
}

fn function_name(node: &Node, bytes: &[u8]) -> String {
    if let Some(n) = node.child_by_field_name("name") {
        return text_of(&n, bytes).to_string();
    }
    // Anonymous functions take the name they are bound to.
    if let Some(p) = node.parent() {
        for field in ["key", "name", "left"] {
            if let Some(n) = p.child_by_field_name(field) {
                let t = text_of(&n, bytes);
                if t.len() < 80 {
                    return t.trim_matches(|c| c == '"' || c == '\'').to_string();
                }
            }
        }
    }
    String::new()
}

fn is_delim(n: &Node) -> bool {
    let k = n.kind();
    !n.is_named()
        || matches!(
            k,
            "string_start"
                | "string_end"
                | "heredoc_start"
                | "heredoc_end"
                | "raw_string_start"
                | "raw_string_end"
        )
        || k.ends_with("_start")
        || k.ends_with("_quote")
        || (k.ends_with("_end") && !k.contains("content"))
}

fn decode(lang: Lang, node: &Node, bytes: &[u8], parts: &mut Vec<Part>) {
    let count = node.child_count();
    if count == 0 {
        parts.push(Part::Lit(unescape(strip_quotes(text_of(node, bytes)))));
        return;
    }
    let mut start = node.start_byte();
    let mut end = node.end_byte();
    if let Some(first) = node.child(0)
        && is_delim(&first)
    {
        start = first.end_byte();
    }
    if count > 1
        && let Some(last) = node.child(count - 1)
        && is_delim(&last)
    {
        end = last.start_byte().max(start);
    }
    let mut pos = start;
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.end_byte() <= start || child.start_byte() >= end {
            continue;
        }
        let kind = child.kind();
        if is_delim(&child) {
            if child.start_byte() > pos {
                let lit = std::str::from_utf8(bytes.get(pos..child.start_byte()).unwrap_or(&[]))
                    .unwrap_or("");
                parts.push(Part::Lit(unescape(lit)));
            }
            pos = child.end_byte().max(pos);
            continue;
        }
        let nested_string = lang == Lang::Bash && is_string(lang, kind);
        if is_interp(lang, kind) || nested_string {
            if child.start_byte() > pos {
                let lit = std::str::from_utf8(bytes.get(pos..child.start_byte()).unwrap_or(&[]))
                    .unwrap_or("");
                parts.push(Part::Lit(unescape(lit)));
            }
            if nested_string {
                decode(lang, &child, bytes, parts);
            } else {
                parts.push(Part::Expr(strip_interp(text_of(&child, bytes))));
            }
            pos = child.end_byte();
        }
    }
    if end > pos {
        let lit = std::str::from_utf8(bytes.get(pos..end).unwrap_or(&[])).unwrap_or("");
        let lit = if count == 1 { strip_quotes(lit) } else { lit };
        parts.push(Part::Lit(unescape(lit)));
    }
}

fn strip_interp(t: &str) -> String {
    let t = t.trim();
    let t = t
        .strip_prefix("${")
        .or_else(|| t.strip_prefix("#{"))
        .or_else(|| t.strip_prefix("{$"))
        .or_else(|| t.strip_prefix("$("))
        .or_else(|| t.strip_prefix('{'))
        .or_else(|| t.strip_prefix('$'))
        .unwrap_or(t);
    let t = t
        .strip_suffix('}')
        .or_else(|| t.strip_suffix(')'))
        .unwrap_or(t);
    t.trim().to_string()
}

/// Strips the quotes (and a prefix such as `r`, `@`, `$`, `b`) of a leaf string literal.
pub fn strip_quotes(t: &str) -> &str {
    let Some(q) = t
        .char_indices()
        .take(4)
        .find(|(_, c)| matches!(c, '"' | '\'' | '`'))
    else {
        return t;
    };
    let (qi, qc) = q;
    let rest = &t[qi..];
    let n = rest.chars().take_while(|&c| c == qc).count().min(3);
    let n = if n == 2 && rest.len() == 2 { 1 } else { n };
    let inner = &rest[n.min(rest.len())..];
    let inner = inner.trim_end_matches('#');
    let mut end = inner.len();
    let mut k = 0;
    while k < n && end > 0 && inner[..end].ends_with(qc) {
        end -= qc.len_utf8();
        k += 1;
    }
    &inner[..end]
}

fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&n) if matches!(n, '/' | '"' | '\'' | '\\' | '`' | '$') => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}
