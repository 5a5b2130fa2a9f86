//! Turns a source file into a flat token stream: string literals (with their literal and
//! interpolated parts), words, punctuation and brackets. Comments are dropped (they are never
//! findings). Tree-sitter parses every language but Rust, which goes through syn/proc-macro2.

use std::path::Path;

use tree_sitter::{Language, Node, Parser};

/// A language the scanner understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Ruby,
    Go,
    Php,
    Java,
    Kotlin,
    CSharp,
    Bash,
    Rust,
    Yaml,
    Json,
    Markdown,
    Text,
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::JavaScript => "javascript",
            Lang::TypeScript => "typescript",
            Lang::Tsx => "tsx",
            Lang::Ruby => "ruby",
            Lang::Go => "go",
            Lang::Php => "php",
            Lang::Java => "java",
            Lang::Kotlin => "kotlin",
            Lang::CSharp => "csharp",
            Lang::Bash => "shell",
            Lang::Rust => "rust",
            Lang::Yaml => "yaml",
            Lang::Json => "json",
            Lang::Markdown => "markdown",
            Lang::Text => "text",
        }
    }

    /// The language of a file, from its name.
    pub fn for_path(path: &Path) -> Lang {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match ext {
            "py" | "pyi" | "pyw" => Lang::Python,
            "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "rb" | "rake" | "gemspec" | "ru" => Lang::Ruby,
            "go" => Lang::Go,
            "php" | "phtml" | "inc" => Lang::Php,
            "java" => Lang::Java,
            "kt" | "kts" => Lang::Kotlin,
            "cs" | "csx" => Lang::CSharp,
            "sh" | "bash" | "zsh" | "ksh" | "bats" => Lang::Bash,
            "rs" => Lang::Rust,
            "yaml" | "yml" | "raml" => Lang::Yaml,
            "json" | "jsonc" | "json5" | "har" => Lang::Json,
            "md" | "markdown" | "mdx" => Lang::Markdown,
            _ => match name.as_str() {
                "gemfile" | "rakefile" | "podfile" | "fastfile" => Lang::Ruby,
                _ => Lang::Text,
            },
        }
    }

    /// The language named by a Markdown fence info string.
    pub fn for_fence(info: &str) -> Lang {
        let tag = info
            .trim()
            .trim_start_matches('{')
            .split(|c: char| c.is_whitespace() || c == ',' || c == '}')
            .next()
            .unwrap_or("")
            .trim_start_matches('.')
            .to_ascii_lowercase();
        match tag.as_str() {
            "py" | "python" | "python3" => Lang::Python,
            "js" | "javascript" | "node" | "jsx" | "mjs" => Lang::JavaScript,
            "ts" | "typescript" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "rb" | "ruby" => Lang::Ruby,
            "go" | "golang" => Lang::Go,
            "php" => Lang::Php,
            "java" => Lang::Java,
            "kt" | "kotlin" => Lang::Kotlin,
            "cs" | "csharp" | "c#" => Lang::CSharp,
            "rs" | "rust" => Lang::Rust,
            "yaml" | "yml" | "raml" => Lang::Yaml,
            "json" => Lang::Json,
            "" | "sh" | "bash" | "shell" | "zsh" | "console" | "curl" | "shell-session"
            | "terminal" => Lang::Bash,
            _ => Lang::Text,
        }
    }

    fn grammar(self) -> Option<Language> {
        Some(match self {
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
}

/// A piece of a string literal: literal text, or an interpolated expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Expr(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tk {
    Str,
    Word,
    Punct,
    Open,
    Close,
}

#[derive(Clone, Debug)]
pub struct Tok {
    pub kind: Tk,
    /// Source text (for strings: the whole literal with its quotes).
    pub text: String,
    /// For strings: the decoded parts.
    pub parts: Vec<Part>,
    /// 1-based line and column of the token start.
    pub line: u32,
    pub col: u32,
    /// Byte range in the file.
    pub start: usize,
    pub end: usize,
    /// Index into `Lexed::funcs` of the enclosing named function (0 = none).
    pub func: u32,
}

impl Tok {
    pub fn is(&self, kind: Tk, text: &str) -> bool {
        self.kind == kind && self.text == text
    }
    pub fn punct(&self, text: &str) -> bool {
        self.kind == Tk::Punct && self.text == text
    }
    /// Literal text of a string token with interpolations left out.
    pub fn lit(&self) -> String {
        let mut s = String::new();
        for p in &self.parts {
            if let Part::Lit(l) = p {
                s.push_str(l);
            }
        }
        s
    }
}

#[derive(Debug, Default)]
pub struct Lexed {
    pub toks: Vec<Tok>,
    /// Function names; index 0 is the empty name.
    pub funcs: Vec<String>,
    /// False when the parser gave up (the tokens may be partial).
    pub clean: bool,
}

/// Tokenizes a source file. `line_offset`/`byte_offset` shift positions (Markdown code blocks).
pub fn lex(lang: Lang, src: &str, line_offset: u32, byte_offset: usize) -> Option<Lexed> {
    if lang == Lang::Rust {
        return Some(crate::rustlex::lex_rust(src, line_offset, byte_offset));
    }
    let grammar = lang.grammar()?;
    let mut parser = Parser::new();
    parser.set_language(&grammar).ok()?;
    let tree = parser.parse(src, None)?;
    let mut out = Lexed {
        toks: Vec::new(),
        funcs: vec![String::new()],
        clean: !tree.root_node().has_error(),
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
                    parts: merge(parts),
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

fn merge(parts: Vec<Part>) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::with_capacity(parts.len());
    for p in parts {
        match (out.last_mut(), p) {
            (_, Part::Lit(l)) if l.is_empty() => {}
            (Some(Part::Lit(a)), Part::Lit(b)) => a.push_str(&b),
            (_, p) => out.push(p),
        }
    }
    out
}

pub(crate) fn merge_parts(parts: Vec<Part>) -> Vec<Part> {
    merge(parts)
}
