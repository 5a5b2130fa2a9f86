//! Declared types: the classes, interfaces, modules and objects a file declares, with its
//! namespace or package and the namespaces it brings in. In Java, Kotlin, C#, PHP and Ruby a
//! class is used by its name without importing its file (same package or namespace, `using`,
//! autoloading, Ruby constants); two files are linked when one uses a type the other declares
//! and the language would resolve the name to it (`visible`). Read line by line, like imports.

use crate::lang::Lang;

/// What a file declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decls {
    /// The package or namespace (`com.acme.gh`, `Acme.Greenhouse`, `Acme\Harvest`); Ruby: the
    /// modules around the first class, joined by `::`.
    pub namespace: Option<String>,
    /// The names of the types declared (last segment: `Client` for `Acme::Harvest::Client`).
    pub types: Vec<String>,
    /// Namespaces brought in: C# `using A.B;`, Java/Kotlin `import a.b.*`, PHP `use A\B`
    /// (full names as written).
    pub uses: Vec<String>,
}

/// Languages where a class is used by its name without an import of its file.
pub fn class_named(lang: Lang) -> bool {
    matches!(
        lang,
        Lang::Java | Lang::Kotlin | Lang::CSharp | Lang::Php | Lang::Ruby
    )
}

/// Keywords that declare a type, by language.
fn type_keywords(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::Java => &["class", "interface", "enum", "record"],
        Lang::Kotlin => &["class", "interface", "object"],
        Lang::CSharp => &["class", "interface", "struct", "record", "enum"],
        Lang::Php => &["class", "interface", "trait", "enum"],
        Lang::Ruby => &["class", "module"],
        _ => &[],
    }
}

/// The declarations of a file of language `lang`.
pub fn decls_of(lang: Lang, text: &str) -> Decls {
    let mut d = Decls::default();
    let kws = type_keywords(lang);
    if kws.is_empty() {
        return d;
    }
    let mut ruby_modules: Vec<String> = Vec::new();
    let mut ruby_class = false;
    for line in text.lines().take(20_000) {
        let l = line.trim();
        if l.starts_with("//") || l.starts_with('*') || l.starts_with("/*") || l.starts_with('#') {
            continue;
        }
        header_line(lang, l, &mut d);
        let words = split_words(l);
        for (k, w) in words.iter().enumerate() {
            if !kws.contains(&w.text) || w.after_dot {
                continue;
            }
            let Some(name) = words.get(k + 1) else {
                continue;
            };
            if !name.text.chars().next().is_some_and(char::is_alphabetic)
                || kws.contains(&name.text)
            {
                continue;
            }
            // Ruby `class Acme::Harvest::Client`: the last segment; the rest is its namespace.
            let full = name.text;
            let last = full.rsplit("::").next().unwrap_or(full).to_string();
            if lang == Lang::Ruby {
                if !last.chars().next().is_some_and(char::is_uppercase) {
                    continue;
                }
                if w.text == "module" && !ruby_class {
                    ruby_modules.push(full.to_string());
                } else if !ruby_class {
                    ruby_class = true;
                    let mut chain = ruby_modules.clone();
                    if let Some((ns, _)) = full.rsplit_once("::") {
                        chain.push(ns.to_string());
                    }
                    if !chain.is_empty() {
                        d.namespace = Some(chain.join("::"));
                    }
                }
            }
            if last.len() >= 2 && d.types.len() < 200 && !d.types.contains(&last) {
                d.types.push(last);
            }
        }
    }
    d
}

/// `package`, `namespace`, `using` and wildcard-import lines.
fn header_line(lang: Lang, l: &str, d: &mut Decls) {
    let name_after = |rest: &str| -> String {
        rest.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '\\' | '*'))
            .collect::<String>()
            .trim_start_matches('\\')
            .to_string()
    };
    match lang {
        Lang::Java | Lang::Kotlin => {
            if let Some(rest) = l.strip_prefix("package ") {
                let n = name_after(rest);
                if !n.is_empty() && d.namespace.is_none() {
                    d.namespace = Some(n);
                }
            } else if let Some(rest) = l.strip_prefix("import ") {
                let n = name_after(rest.trim_start_matches("static "));
                if let Some(pkg) = n.strip_suffix(".*") {
                    d.uses.push(pkg.to_string());
                }
            }
        }
        Lang::CSharp => {
            if let Some(rest) = l.strip_prefix("namespace ") {
                let n = name_after(rest);
                if !n.is_empty() && d.namespace.is_none() {
                    d.namespace = Some(n);
                }
            } else if let Some(rest) = l.strip_prefix("using ")
                && l.ends_with(';')
                && !rest.contains('=')
                && !rest.contains('(')
            {
                let n = name_after(rest.trim_start_matches("static "));
                if !n.is_empty() {
                    d.uses.push(n);
                }
            }
        }
        Lang::Php => {
            if let Some(rest) = l.strip_prefix("namespace ") {
                let n = name_after(rest);
                if !n.is_empty() && d.namespace.is_none() {
                    d.namespace = Some(n);
                }
            } else if let Some(rest) = l.strip_prefix("use ") {
                let n = name_after(rest);
                if n.contains('\\') {
                    d.uses.push(n);
                }
            }
        }
        _ => {}
    }
}

/// An identifier of a line (Ruby `A::B` kept whole), and whether `.`/`::`/`->` precedes it
/// (`Foo.class`, `Foo::class` are no declarations).
struct Word<'a> {
    text: &'a str,
    after_dot: bool,
}

fn split_words(l: &str) -> Vec<Word<'_>> {
    let b = l.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let is_w = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    while i < b.len() && out.len() < 64 {
        if !is_w(b[i]) {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len() && (is_w(b[i]) || (b[i] == b':' && b.get(i + 1) == Some(&b':'))) {
            i += if b[i] == b':' { 2 } else { 1 };
        }
        let before = l[..s].trim_end();
        let after_dot = before.ends_with('.') || before.ends_with("::") || before.ends_with("->");
        out.push(Word {
            text: l[s..i].trim_end_matches(':'),
            after_dot,
        });
    }
    out
}

/// Would a use of type `name` in a file with declarations `user` (language `lang`) resolve to
/// the declaration of it in a file with `def`? `same_dir`: the two files share a folder;
/// `qualified`: the user writes the type with the last segment of `def`'s namespace
/// (`Harvest::Client`, `Harvest\Client`, `Harvest.Client`).
pub fn visible(lang: Lang, user: &Decls, def: &Decls, same_dir: bool, qualified: bool) -> bool {
    let (u, d) = (user.namespace.as_deref(), def.namespace.as_deref());
    match lang {
        Lang::Java | Lang::Kotlin => match (u, d) {
            (Some(a), Some(b)) => a == b || user.uses.iter().any(|x| x == b) || qualified,
            (None, None) => same_dir,
            _ => qualified,
        },
        Lang::CSharp => match d {
            // The global namespace, the user's namespace or one around it, or a `using`.
            None => true,
            Some(b) => {
                u.is_some_and(|a| a == b || a.starts_with(&format!("{b}.")))
                    || user.uses.iter().any(|x| x == b)
                    || qualified
            }
        },
        Lang::Php => match (u, d) {
            (Some(a), Some(b)) => {
                a == b
                    || user
                        .uses
                        .iter()
                        .any(|x| x == b || x.starts_with(&format!("{b}\\")))
                    || qualified
            }
            (None, None) => true,
            _ => qualified,
        },
        // Ruby constants are global: a top-level class is one everywhere; a namespaced one when
        // written with its namespace or used from inside it.
        Lang::Ruby => match d {
            None => true,
            Some(b) => {
                let last = b.rsplit("::").next().unwrap_or(b);
                qualified || u.is_some_and(|a| a.split("::").any(|s| s == last))
            }
        },
        _ => false,
    }
}

/// The last segment of a namespace (`Acme\Harvest` → `Harvest`, `com.acme.gh` → `gh`).
pub fn last_segment(ns: &str) -> &str {
    ns.rsplit(['.', '\\', ':'])
        .find(|s| !s.is_empty())
        .unwrap_or(ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_per_language() {
        let d = decls_of(
            Lang::Java,
            "package com.acme.gh;\nimport com.acme.util.*;\n// class Nope\npublic final class HarvestApi {\n  Class<?> c = Foo.class;\n  static class Inner {}\n}\n",
        );
        assert_eq!(d.namespace.as_deref(), Some("com.acme.gh"));
        assert_eq!(d.types, ["HarvestApi", "Inner"]);
        assert_eq!(d.uses, ["com.acme.util"]);
        let d = decls_of(
            Lang::CSharp,
            "using System;\nusing Acme.Http;\nnamespace Acme.Greenhouse;\ninternal sealed class LegacyApi { }\npublic record Options(string Base);\n",
        );
        assert_eq!(d.namespace.as_deref(), Some("Acme.Greenhouse"));
        assert_eq!(d.types, ["LegacyApi", "Options"]);
        assert_eq!(d.uses, ["System", "Acme.Http"]);
        let d = decls_of(
            Lang::Php,
            "<?php\nnamespace Acme\\Harvest;\n\nuse GuzzleHttp\\Client;\n\nfinal class Api\n{\n    $x = Foo::class;\n}\n",
        );
        assert_eq!(d.namespace.as_deref(), Some("Acme\\Harvest"));
        assert_eq!(d.types, ["Api"]);
        assert_eq!(d.uses, ["GuzzleHttp\\Client"]);
        let d = decls_of(
            Lang::Ruby,
            "module Acme\n  module Harvest\n    class Client < Base\n    end\n  end\nend\n",
        );
        assert_eq!(d.namespace.as_deref(), Some("Acme::Harvest"));
        assert_eq!(d.types, ["Acme", "Harvest", "Client"]);
        let d = decls_of(
            Lang::Kotlin,
            "package a.b\n\ndata class Job(val id: Long)\nobject Endpoints {\n  companion object {}\n}\n",
        );
        assert_eq!(d.namespace.as_deref(), Some("a.b"));
        assert_eq!(d.types, ["Job", "Endpoints"]);
    }

    #[test]
    fn visibility() {
        let ns = |n: &str| Decls {
            namespace: Some(n.to_string()),
            ..Default::default()
        };
        assert!(visible(Lang::Java, &ns("a.b"), &ns("a.b"), false, false));
        assert!(!visible(Lang::Java, &ns("a.c"), &ns("a.b"), true, false));
        assert!(visible(
            Lang::CSharp,
            &ns("Acme.Gh.Sync"),
            &ns("Acme.Gh"),
            false,
            false
        ));
        assert!(!visible(
            Lang::CSharp,
            &ns("Acme.Lever"),
            &ns("Acme.Gh"),
            false,
            false
        ));
        assert!(visible(
            Lang::Php,
            &ns("Acme\\Harvest"),
            &ns("Acme\\Harvest"),
            false,
            false
        ));
        assert!(!visible(
            Lang::Php,
            &ns("Acme\\Lever"),
            &ns("Acme\\Harvest"),
            true,
            false
        ));
        assert!(visible(
            Lang::Ruby,
            &ns("Acme::Harvest"),
            &ns("Acme::Harvest"),
            false,
            false
        ));
        assert!(!visible(
            Lang::Ruby,
            &Decls::default(),
            &ns("Acme::Lever"),
            false,
            false
        ));
        assert!(visible(
            Lang::Ruby,
            &Decls::default(),
            &ns("Acme::Lever"),
            false,
            true
        ));
        assert_eq!(last_segment("Acme\\Harvest"), "Harvest");
        assert_eq!(last_segment("Acme::Harvest"), "Harvest");
    }
}
