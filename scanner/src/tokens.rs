//! The token stream every source language is turned into: string literals (with their literal and
//! interpolated parts), words, punctuation and brackets.

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
    /// The parameter names of each function of `funcs`.
    pub params: Vec<Vec<String>>,
    /// The class (or Go receiver type, Rust `impl` type) each function of `funcs` belongs to
    /// ("" when none).
    pub classes: Vec<String>,
    /// The function each function of `funcs` is nested in (0 = none).
    pub parents: Vec<u32>,
}

impl Lexed {
    /// An empty stream (index 0 of the function tables is "no function").
    pub fn empty() -> Lexed {
        Lexed {
            toks: Vec::new(),
            funcs: vec![String::new()],
            params: vec![Vec::new()],
            classes: vec![String::new()],
            parents: vec![0],
        }
    }
}

/// Joins neighbouring literal parts and drops empty ones.
pub fn merge(parts: Vec<Part>) -> Vec<Part> {
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
