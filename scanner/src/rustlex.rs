//! Rust sources: proc-macro2 (syn's lexer) gives the tokens with their positions, syn's parser and
//! visitor give the functions and their bodies. Doc comments (`#[doc = "..."]`) are dropped.

use std::str::FromStr;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use syn::visit::Visit;

use crate::tokens::{Lexed, Part, Tk, Tok};

/// A function: name, parameter names, body start byte, body end byte, `impl` type.
type FnRange = (String, Vec<String>, usize, usize, String);

struct FnRanges {
    ranges: Vec<FnRange>,
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
    let trees = flatten(stream, &mut out.toks, line_offset, byte_offset);
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
    if let Some(ranges) = fn_ranges(src, trees) {
        for (name, params, s, e, class) in ranges {
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

/// syn parses by recursive descent, each level of recursion past at least one token tree: its
/// depth is bounded by the number of token trees, not by the thread's stack. The parse and the
/// visit run on a thread whose stack is sized from that number (address space reserved, used
/// only as deep as the code nests). 64 KiB a tree covers syn's deepest frames (nested generic
/// types) in unoptimised builds.
const STACK_PER_TREE: u64 = 64 << 10;
/// Past this stack (a file of over 65 000 token trees), or when the system refuses to reserve
/// it, functions are not told apart (the tokens are still analysed).
const MAX_PARSE_STACK: u64 = 4 << 30;

/// The functions of a Rust file (name, parameters, body byte range, `impl` type), outer first;
/// None when it does not parse (or is too large to parse safely).
fn fn_ranges(src: &str, trees: usize) -> Option<Vec<FnRange>> {
    let stack = (trees as u64)
        .saturating_add(64)
        .saturating_mul(STACK_PER_TREE);
    let stack = usize::try_from(stack)
        .ok()
        .filter(|_| stack <= MAX_PARSE_STACK)?;
    let parse = || {
        let file = syn::parse_file(src).ok()?;
        let mut v = FnRanges {
            ranges: Vec::new(),
            cur_impl: String::new(),
        };
        v.visit_file(&file);
        // Outer functions first, so inner ones overwrite.
        v.ranges.sort_by_key(|r| (r.2, std::cmp::Reverse(r.3)));
        // The tree is dropped here too (dropping is as recursive as parsing).
        drop(file);
        Some(v.ranges)
    };
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("harvest-scan-syn".into())
            .stack_size(stack)
            .spawn_scoped(scope, parse)
            .ok()?
            .join()
            .ok()
            .flatten()
    })
}

/// The tokens of a stream, groups entered with an explicit stack: nesting is the input's to
/// choose, so no recursion here. Returns how many token trees (each punctuation character
/// one, each group two) the stream holds: what syn reads.
fn flatten(
    stream: TokenStream,
    toks: &mut Vec<Tok>,
    line_offset: u32,
    byte_offset: usize,
) -> usize {
    // Per open group: its tokens still to read, and its closing token.
    let mut stack: Vec<(proc_macro2::token_stream::IntoIter, Option<Tok>)> =
        vec![(stream.into_iter(), None)];
    let mut pending_punct: Option<Tok> = None;
    let mut trees = 0usize;
    while let Some((iter, _)) = stack.last_mut() {
        let Some(tt) = iter.next() else {
            if let Some(p) = pending_punct.take() {
                toks.push(p);
            }
            if let Some((_, Some(close))) = stack.pop() {
                toks.push(close);
            }
            continue;
        };
        trees += if matches!(tt, TokenTree::Group(_)) {
            2
        } else {
            1
        };
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
                let close = (!c.is_empty()).then(|| {
                    let close = g.span_close();
                    let lc = close.start();
                    let r = close.byte_range();
                    Tok {
                        kind: Tk::Close,
                        text: c.into(),
                        parts: Vec::new(),
                        line: lc.line as u32 + line_offset,
                        col: lc.column as u32 + 1,
                        start: r.start + byte_offset,
                        end: r.end + byte_offset,
                        func: 0,
                    }
                });
                stack.push((g.stream().into_iter(), close));
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
    trees
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `fn f() { let x = OPEN…1…CLOSE; }` nested `depth` times.
    fn nested(open: &str, close: &str, depth: usize) -> String {
        format!(
            "fn f() {{ let x = {}1{}; }}\n",
            open.repeat(depth),
            close.repeat(depth)
        )
    }

    /// Found with the scanner fuzz target (fuzz/fuzz_targets/scanner.rs): 3000 nested
    /// parentheses or braces overflowed the stack in syn's parser (an abort, not a panic),
    /// ending the whole scan.
    #[test]
    fn deep_nesting_is_parsed_without_overflow() {
        let cases = [
            nested("(", ")", 20_000),
            nested("[", "]", 20_000),
            nested("{", "}", 20_000),
            nested("!", "", 20_000),
            nested("- ", "", 20_000),
            nested("&", "", 20_000),
            nested("|a| ", "", 10_000),
            format!(
                "fn f() {{ let x: {}u8{} = 1; }}\n",
                "Vec<".repeat(10_000),
                ">".repeat(10_000)
            ),
            format!("fn f() {{ if a {{}} {}}}\n", "else if a {} ".repeat(10_000)),
        ];
        for src in &cases {
            let lexed = lex_rust(src, 0, 0);
            assert!(lexed.toks.len() > 5, "{}", &src[..40]);
            // Slot 0 is the file's top level.
            assert_eq!(lexed.funcs, ["", "f"], "{}", &src[..40]);
        }
    }

    /// Nesting deeper than any stack the parse may take: the tokens are still there (the
    /// token walk is iterative), functions are not told apart.
    #[test]
    fn nesting_past_the_parse_stack_keeps_the_tokens() {
        let src = nested("(", ")", 40_000);
        let lexed = lex_rust(&src, 0, 0);
        assert_eq!(lexed.funcs, [""]);
        let opens = lexed.toks.iter().filter(|t| t.kind == Tk::Open).count();
        assert_eq!(opens, 40_000 + 1 + 1);
        let closes = lexed.toks.iter().filter(|t| t.kind == Tk::Close).count();
        assert_eq!(closes, opens);
    }
}
