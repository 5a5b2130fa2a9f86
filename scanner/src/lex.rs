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
    let mut w = Walker {
        lang,
        bytes: src.as_bytes(),
        line_offset,
        byte_offset,
        out: Lexed::empty(),
        scopes: Vec::new(),
        cur_func: 0,
        classes: Vec::new(),
        cur_class: String::new(),
    };
    let mut cursor = tree.walk();
    let mut depth = 0usize;
    loop {
        let node = cursor.node();
        let descend = w.enter(&node, depth);
        if descend && cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        // Leave this node (and ancestors without further siblings).
        loop {
            w.leave(&cursor.node(), depth);
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return Some(w.out);
            }
            depth -= 1;
        }
    }
}

/// The tree walk of `lex`: tokens, functions and synthetic groups as nodes are entered/left.
struct Walker<'a> {
    lang: Lang,
    bytes: &'a [u8],
    line_offset: u32,
    byte_offset: usize,
    out: Lexed,
    /// (depth, what): what = Some(enclosing func index) for a function, None for a synthetic
    /// group (a shell command).
    scopes: Vec<(usize, Option<u32>)>,
    cur_func: u32,
    /// (depth, the class around it) for each class entered.
    classes: Vec<(usize, String)>,
    cur_class: String,
}

impl Walker<'_> {
    fn pos(&self, n: &Node) -> (u32, u32) {
        let p = n.start_position();
        (p.row as u32 + 1 + self.line_offset, p.column as u32 + 1)
    }

    fn push(&mut self, n: &Node, kind: Tk, text: String, parts: Vec<Part>) {
        if self.lang == Lang::Kotlin {
            self.kotlin_semicolon(n);
        }
        let (line, col) = self.pos(n);
        self.out.toks.push(Tok {
            kind,
            text,
            parts,
            line,
            col,
            start: n.start_byte() + self.byte_offset,
            end: n.end_byte() + self.byte_offset,
            func: self.cur_func,
        });
    }

    /// Kotlin's grammar keeps no `;` token: one written between the previous token and `n`
    /// (not in a comment) becomes a statement separator.
    fn kotlin_semicolon(&mut self, n: &Node) {
        let Some(prev) = self.out.toks.last() else {
            return;
        };
        let from = prev.end.saturating_sub(self.byte_offset);
        let to = n.start_byte();
        let Some(gap) = self.bytes.get(from..to) else {
            return;
        };
        let Some(at) = gap.iter().position(|&b| b == b';') else {
            return;
        };
        if gap.windows(2).any(|w| w == b"//" || w == b"/*") {
            return;
        }
        let (line, col) = (prev.line, prev.col);
        let func = prev.func;
        let start = from + at + self.byte_offset;
        self.out.toks.push(Tok {
            kind: Tk::Punct,
            text: ";".into(),
            parts: Vec::new(),
            line,
            col,
            start,
            end: start + 1,
            func,
        });
    }

    /// Enters a node; false when its children are not to be walked.
    fn enter(&mut self, node: &Node, depth: usize) -> bool {
        let (lang, bytes) = (self.lang, self.bytes);
        let kind = node.kind();
        if kind.contains("comment") {
            return false;
        }
        if is_string(lang, kind)
            && !(lang == Lang::Bash && kind == "word" && node.child_count() > 0)
        {
            if !(lang == Lang::Python && is_docstring(node)) {
                let mut parts = Vec::new();
                decode(lang, node, bytes, &mut parts);
                if lang == Lang::Kotlin {
                    parts = kotlin_templates(parts);
                }
                let text = text_of(node, bytes).to_string();
                self.push(node, Tk::Str, text, tokens::merge(parts));
            }
            return false;
        }
        if node.child_count() == 0 || (lang == Lang::Php && kind == "variable_name") {
            let text = text_of(node, bytes);
            if !(text.is_empty() || lang == Lang::Php && kind == "text") {
                let tk = leaf_kind(lang, text);
                self.push(node, tk, text.to_string(), Vec::new());
            }
            return false;
        }
        if is_class(kind)
            && let Some(n) = node.child_by_field_name("name")
        {
            let name = text_of(&n, bytes).to_string();
            // A primary constructor (Kotlin `class C(val base: String)`, C# 12 `class C(string
            // b)`): a function of the class without tokens of its own, for its parameters.
            if let Some(params) = primary_ctor_params(node, bytes) {
                self.out.funcs.push("constructor".into());
                self.out.params.push(params);
                self.out.classes.push(name.clone());
                self.out.parents.push(self.cur_func);
            }
            let prev = std::mem::replace(&mut self.cur_class, name);
            self.classes.push((depth, prev));
        }
        if is_function(kind) {
            let name = function_name(node, bytes);
            if !name.is_empty() {
                let class = match node.child_by_field_name("receiver") {
                    Some(r) if lang == Lang::Go => receiver_type(text_of(&r, bytes)),
                    _ => self.cur_class.clone(),
                };
                self.out.funcs.push(name);
                self.out.params.push(function_params(node, bytes));
                self.out.classes.push(class);
                self.out.parents.push(self.cur_func);
                let idx = (self.out.funcs.len() - 1) as u32;
                self.scopes.push((depth, Some(self.cur_func)));
                self.cur_func = idx;
            }
        } else if lang == Lang::Bash && (kind == "command" || kind == "declaration_command") {
            self.push(node, Tk::Open, "(".into(), Vec::new());
            if let Some(last) = self.out.toks.last_mut() {
                last.end = last.start;
            }
            self.scopes.push((depth, None));
        }
        true
    }

    /// Leaves a node at `depth`: closes the scopes opened at or below it.
    fn leave(&mut self, n: &Node, depth: usize) {
        while let Some((d, _)) = self.classes.last() {
            if *d < depth {
                break;
            }
            if let Some((_, prev)) = self.classes.pop() {
                self.cur_class = prev;
            }
        }
        while let Some(&(d, what)) = self.scopes.last() {
            if d < depth {
                break;
            }
            self.scopes.pop();
            match what {
                Some(prev) => self.cur_func = prev,
                None => {
                    let p = n.end_position();
                    self.out.toks.push(Tok {
                        kind: Tk::Close,
                        text: ")".into(),
                        parts: Vec::new(),
                        line: p.row as u32 + 1 + self.line_offset,
                        col: p.column as u32 + 1,
                        start: n.end_byte() + self.byte_offset,
                        end: n.end_byte() + self.byte_offset,
                        func: self.cur_func,
                    });
                }
            }
        }
    }
}

/// The kind of a leaf token's text.
fn leaf_kind(lang: Lang, text: &str) -> Tk {
    match text {
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
    // Java/C# constructors (named after their class).
    kind == "constructor_declaration"
        || ((kind.contains("function")
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
            && !kind.contains("body")
            && !kind.contains("modifier"))
}

/// A node declaring a class-like type (class, module, object, struct, record, interface).
fn is_class(kind: &str) -> bool {
    matches!(
        kind,
        "class_definition"
            | "class_declaration"
            | "class"
            | "module"
            | "object_declaration"
            | "struct_declaration"
            | "record_declaration"
            | "interface_declaration"
            | "trait_declaration"
            | "enum_declaration"
    )
}

/// The type of a Go method receiver: `(c *Client)` → `Client`.
fn receiver_type(text: &str) -> String {
    text.trim_matches(|c| c == '(' || c == ')')
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .rfind(|w| !w.is_empty())
        .unwrap_or("")
        .to_string()
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

/// The parameter names of a function node, in order (`self`/`cls`/`this` receivers left out,
/// PHP's `$` kept as the variables are written).
fn function_params(node: &Node, bytes: &[u8]) -> Vec<String> {
    let list = node.child_by_field_name("parameters").or_else(|| {
        let mut c = node.walk();
        node.children(&mut c).find(|n| {
            let k = n.kind();
            k.contains("parameters") && !k.contains("type")
        })
    });
    let Some(list) = list else {
        // A one-parameter arrow function: `path => ...`.
        return node
            .child_by_field_name("parameter")
            .map(|n| vec![text_of(&n, bytes).to_string()])
            .unwrap_or_default();
    };
    if is_ident_kind(list.kind()) {
        return vec![text_of(&list, bytes).to_string()];
    }
    list_params(&list, bytes)
}

/// The parameters of a class's primary constructor, if it has one.
fn primary_ctor_params(node: &Node, bytes: &[u8]) -> Option<Vec<String>> {
    let mut c = node.walk();
    let list = node
        .children(&mut c)
        .find(|n| matches!(n.kind(), "primary_constructor" | "parameter_list"))?;
    Some(if list.kind() == "primary_constructor" {
        function_params(&list, bytes)
    } else {
        list_params(&list, bytes)
    })
}

/// The names in a parameter list node, in order (a leading receiver left out).
fn list_params(list: &Node, bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut c = list.walk();
    for p in list.named_children(&mut c) {
        let k = p.kind();
        if k.contains("comment") || k.contains("attribute") || k == "self_parameter" {
            continue;
        }
        let names: Vec<Node> = {
            let mut cc = p.walk();
            let v: Vec<Node> = p.children_by_field_name("name", &mut cc).collect();
            v
        };
        if is_ident_kind(k) {
            out.push(text_of(&p, bytes).to_string());
        } else if !names.is_empty() {
            for n in names {
                out.push(first_ident(&n, bytes).unwrap_or_default());
            }
        } else if let Some(n) = p
            .child_by_field_name("pattern")
            .or_else(|| p.child_by_field_name("left"))
        {
            out.push(first_ident(&n, bytes).unwrap_or_default());
        } else {
            out.push(first_ident(&p, bytes).unwrap_or_default());
        }
    }
    if out
        .first()
        .is_some_and(|f| matches!(f.as_str(), "self" | "cls" | "this" | "$this"))
    {
        out.remove(0);
    }
    out
}

fn is_ident_kind(k: &str) -> bool {
    matches!(
        k,
        "identifier"
            | "simple_identifier"
            | "variable_name"
            | "shorthand_property_identifier_pattern"
    )
}

/// The first identifier in a node (depth first).
fn first_ident(n: &Node, bytes: &[u8]) -> Option<String> {
    if is_ident_kind(n.kind()) {
        return Some(text_of(n, bytes).to_string());
    }
    let mut c = n.walk();
    for ch in n.named_children(&mut c) {
        if let Some(s) = first_ident(&ch, bytes) {
            return Some(s);
        }
    }
    None
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

/// Kotlin's `$name` templates (the grammar leaves them in the literal text): expressions.
fn kotlin_templates(parts: Vec<Part>) -> Vec<Part> {
    let mut out = Vec::new();
    for p in tokens::merge(parts) {
        let Part::Lit(l) = p else {
            out.push(p);
            continue;
        };
        let mut rest = l.as_str();
        while let Some(at) = rest.find('$') {
            let name: String = rest[at + 1..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                out.push(Part::Lit(rest[..at + 1].to_string()));
                rest = &rest[at + 1..];
                continue;
            }
            out.push(Part::Lit(rest[..at].to_string()));
            out.push(Part::Expr(name.clone()));
            rest = &rest[at + 1 + name.len()..];
        }
        out.push(Part::Lit(rest.to_string()));
    }
    out
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
