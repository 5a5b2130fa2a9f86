//! Rust sources: proc-macro2 (syn's lexer) gives the tokens with their positions, syn's parser and
//! visitor give the functions and their bodies. Doc comments (`#[doc = "..."]`) are dropped.

use std::str::FromStr;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use syn::visit::Visit;

use crate::tokens::{Lexed, Part, Tk, Tok};

struct FnRanges {
    /// (name, parameter names, body start byte, body end byte, `impl` type)
    ranges: Vec<(String, Vec<String>, usize, usize, String)>,
    /// The type of the `impl` block being visited.
    cur_impl: String,
}

/// The parameter names of a signature (`self` left out; patterns other than a name give "").
fn sig_params(sig: &syn::Signature) -> Vec<String> {
    sig.inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Receiver(_) => None,
            syn::FnArg::Typed(t) => Some(match &*t.pat {
                syn::Pat::Ident(id) => id.ident.to_string(),
                _ => String::new(),
            }),
        })
        .collect()
}

impl<'ast> Visit<'ast> for FnRanges {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let r = f.block.brace_token.span.join().byte_range();
        self.ranges.push((
            f.sig.ident.to_string(),
            sig_params(&f.sig),
            r.start,
            r.end,
            String::new(),
        ));
        syn::visit::visit_item_fn(self, f);
    }
    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let name = match &*i.self_ty {
            syn::Type::Path(p) => p
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default(),
            _ => String::new(),
        };
        let prev = std::mem::replace(&mut self.cur_impl, name);
        syn::visit::visit_item_impl(self, i);
        self.cur_impl = prev;
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let r = f.block.brace_token.span.join().byte_range();
        self.ranges.push((
            f.sig.ident.to_string(),
            sig_params(&f.sig),
            r.start,
            r.end,
            self.cur_impl.clone(),
        ));
        syn::visit::visit_impl_item_fn(self, f);
    }
}

pub fn lex_rust(src: &str, line_offset: u32, byte_offset: usize) -> Lexed {
    let mut out = Lexed::empty();
    let Ok(stream) = TokenStream::from_str(src) else {
        return out;
    };
    flatten(stream, &mut out.toks, line_offset, byte_offset);
    // Drop doc attributes: `# [ doc = "..." ]` and `#![doc = ...]`.
    let mut keep = vec![true; out.toks.len()];
    for (i, k) in keep.iter_mut().enumerate() {
        if out.toks[i].kind == Tk::Str
            && i >= 2
            && out.toks[i - 1].punct("=")
            && out.toks[i - 2].kind == Tk::Word
            && out.toks[i - 2].text == "doc"
        {
            *k = false;
        }
    }
    let mut k = keep.iter();
    out.toks.retain(|_| *k.next().unwrap_or(&true));
    if let Ok(file) = syn::parse_file(src) {
        let mut v = FnRanges {
            ranges: Vec::new(),
            cur_impl: String::new(),
        };
        v.visit_file(&file);
        // Outer functions first, so inner ones overwrite.
        v.ranges.sort_by_key(|r| (r.2, std::cmp::Reverse(r.3)));
        for (name, params, s, e, class) in v.ranges {
            out.funcs.push(name);
            out.params.push(params);
            out.classes.push(class);
            out.parents.push(0);
            let idx = (out.funcs.len() - 1) as u32;
            let (s, e) = (s + byte_offset, e + byte_offset);
            for t in out.toks.iter_mut() {
                if t.start >= s && t.end <= e {
                    t.func = idx;
                }
            }
        }
    }
    out
}

fn flatten(stream: TokenStream, toks: &mut Vec<Tok>, line_offset: u32, byte_offset: usize) {
    let mut pending_punct: Option<Tok> = None;
    for tt in stream {
        let span = tt.span();
        let lc = span.start();
        let range = span.byte_range();
        let mk = |kind: Tk, text: String, parts: Vec<Part>| Tok {
            kind,
            text,
            parts,
            line: lc.line as u32 + line_offset,
            col: lc.column as u32 + 1,
            start: range.start + byte_offset,
            end: range.end + byte_offset,
            func: 0,
        };
        if !matches!(tt, TokenTree::Punct(_))
            && let Some(p) = pending_punct.take()
        {
            toks.push(p);
        }
        match tt {
            TokenTree::Group(g) => {
                let (o, c) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                if !o.is_empty() {
                    let mut t = mk(Tk::Open, o.into(), Vec::new());
                    t.end = t.start + 1;
                    toks.push(t);
                }
                flatten(g.stream(), toks, line_offset, byte_offset);
                if !c.is_empty() {
                    let close = g.span_close();
                    let lc = close.start();
                    let r = close.byte_range();
                    toks.push(Tok {
                        kind: Tk::Close,
                        text: c.into(),
                        parts: Vec::new(),
                        line: lc.line as u32 + line_offset,
                        col: lc.column as u32 + 1,
                        start: r.start + byte_offset,
                        end: r.end + byte_offset,
                        func: 0,
                    });
                }
            }
            TokenTree::Ident(id) => toks.push(mk(Tk::Word, id.to_string(), Vec::new())),
            TokenTree::Punct(p) => {
                let ch = p.as_char();
                match pending_punct.as_mut() {
                    Some(prev) => prev.text.push(ch),
                    None => pending_punct = Some(mk(Tk::Punct, ch.to_string(), Vec::new())),
                }
                if p.spacing() == Spacing::Alone
                    && let Some(t) = pending_punct.take()
                {
                    toks.push(t);
                }
            }
            TokenTree::Literal(l) => {
                let text = l.to_string();
                if let Some(inner) = rust_string(&text) {
                    toks.push(mk(Tk::Str, text.clone(), vec![Part::Lit(inner)]));
                } else {
                    toks.push(mk(Tk::Word, text, Vec::new()));
                }
            }
        }
    }
    if let Some(p) = pending_punct.take() {
        toks.push(p);
    }
}

/// The content of a Rust string literal (`"..."`, `r#"..."#`, `b"..."`, `c"..."`).
fn rust_string(lit: &str) -> Option<String> {
    let body = lit.trim_start_matches(['b', 'c']);
    if let Some(raw) = body.strip_prefix('r') {
        let hashes = raw.chars().take_while(|&c| c == '#').count();
        let inner = raw.get(hashes + 1..raw.len().checked_sub(hashes + 1)?)?;
        return Some(inner.to_string());
    }
    let inner = body.strip_prefix('"')?.strip_suffix('"')?;
    Some(inner.replace("\\\"", "\"").replace("\\\\", "\\"))
}
