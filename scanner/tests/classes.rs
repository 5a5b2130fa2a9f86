//! Per-class fixtures: `tests/fixtures/classes/<class>/<lang>/` is a small tree for one class of
//! misses or false alarms in one language, with positive and negative cases (every tree has a
//! `neg…` file or folder that must give nothing); `<class>/<lang>.expect` lists every finding
//! the tree must give (`path:line kind [METHOD /v1/route]`, `#` comments), and nothing else.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{fixture, rows, scan_path};

/// (path, line, kind, route) expected by one `.expect` file.
fn expected(file: &Path) -> BTreeSet<(String, u32, String, Option<String>)> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut out = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut it = line.splitn(3, ' ');
        let loc = it.next().unwrap_or("");
        let kind = it.next().unwrap_or("");
        let route = it.next().map(|r| r.trim().to_string());
        let (path, l) = loc
            .rsplit_once(':')
            .unwrap_or_else(|| panic!("{}:{}: want path:line", file.display(), n + 1));
        let l: u32 = l
            .parse()
            .unwrap_or_else(|_| panic!("{}:{}: bad line number", file.display(), n + 1));
        out.insert((path.to_string(), l, kind.to_string(), route));
    }
    out
}

fn has_negative(dir: &Path) -> bool {
    walk(dir).iter().any(|p| {
        p.strip_prefix(dir)
            .ok()
            .and_then(|r| r.components().next())
            .is_some_and(|c| c.as_os_str().to_string_lossy().starts_with("neg"))
    })
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn every_class_fixture_gives_exactly_its_expected_findings() {
    let root = fixture("classes");
    let mut classes: Vec<_> = std::fs::read_dir(&root)
        .expect("classes folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    classes.sort();
    assert!(!classes.is_empty(), "no class fixtures");
    let mut failures = Vec::new();
    let mut trees = 0;
    for class in &classes {
        let mut langs: Vec<_> = std::fs::read_dir(class)
            .expect("class folder")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        langs.sort();
        for lang in langs {
            trees += 1;
            let name = format!(
                "{}/{}",
                class.file_name().unwrap_or_default().to_string_lossy(),
                lang.file_name().unwrap_or_default().to_string_lossy()
            );
            let want = expected(&lang.with_extension("expect"));
            assert!(!want.is_empty(), "{name}: no positive case");
            assert!(has_negative(&lang), "{name}: no neg… file or folder");
            let got: BTreeSet<_> = rows(&scan_path(&lang)).into_iter().collect();
            if got != want {
                let show = |s: &BTreeSet<(String, u32, String, Option<String>)>| {
                    s.iter()
                        .map(|(p, l, k, r)| {
                            format!("    {p}:{l} {k} {}", r.as_deref().unwrap_or(""))
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                let missing: BTreeSet<_> = want.difference(&got).cloned().collect();
                let extra: BTreeSet<_> = got.difference(&want).cloned().collect();
                failures.push(format!(
                    "{name}:\n  missing:\n{}\n  extra:\n{}",
                    show(&missing),
                    show(&extra)
                ));
            }
        }
    }
    assert!(trees > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A route under a proven legacy base that the catalogue lacks is reported as written, with the
/// v3 status `unknown` and a message saying so.
#[test]
fn unknown_routes_say_so() {
    let r = scan_path(&fixture("classes/unknown_routes/python"));
    let f = r
        .findings
        .iter()
        .find(|f| f.legacy_route.as_deref() == Some("GET /v1/interview_kits/{id}"))
        .expect("the unknown route is reported");
    assert_eq!(f.v3.status(), Some("unknown"));
    assert!(f.message.contains("unknown route"), "{}", f.message);
    assert!(f.v3.calls().is_empty());
    assert!(
        r.summary
            .endpoints
            .iter()
            .any(|e| e.legacy_route == "GET /v1/interview_kits" && e.status == "unknown")
    );
}

/// Generated documentation is reported once, saying how many more uses it holds; coverage
/// reports are not scanned at all.
#[test]
fn generated_docs_are_reported_once() {
    let r = scan_path(&fixture("classes/generated/html"));
    let generated: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.path == "site/reference.html")
        .collect();
    assert_eq!(generated.len(), 1);
    assert!(
        generated[0]
            .message
            .contains("generated documentation: 2 more uses"),
        "{}",
        generated[0].message
    );
    assert_eq!(generated[0].severity, "docs");
    let r = scan_path(&fixture("classes/generated/coverage"));
    assert!(r.findings.iter().all(|f| !f.path.starts_with("neg/")));
    assert!(r.summary.files_scanned < 4, "{}", r.summary.files_scanned);
}

/// A root spelled with `..` or `.` gives the same findings (imports and fragments are resolved
/// on one spelling of each path).
#[test]
fn root_spelling_does_not_matter() {
    let plain = rows(&scan_path(&fixture("classes/includes/raml")));
    let odd = rows(&scan_path(&fixture("classes/includes/../includes/./raml")));
    assert_eq!(plain, odd);
    let plain = rows(&scan_path(&fixture("classes/wrappers/go")));
    let odd = rows(&scan_path(&fixture("classes/route_tables/../wrappers/go")));
    assert_eq!(plain, odd);
}
