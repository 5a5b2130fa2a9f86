//! Broken mapping files give located, readable errors — never a panic.
use harvest_mappings::Catalog;

fn errors(src: &str) -> String {
    match Catalog::from_sources([("broken.toml", src)]) {
        Ok(_) => panic!("expected errors for:\n{src}"),
        Err(d) => d.to_string(),
    }
}

const VIEW_OK: &str = r#"
[views.v]
ops = [
  { op = "select", fields = ["id"] },
]
"#;

fn endpoint(extra: &str) -> String {
    format!(
        r#"
[[endpoint]]
name = "x"
method = "GET"
path = "/v1/things"
versions = ["v1"]
status = "translated"
response = {{ view = "v" }}
{extra}

[[endpoint.v3]]
method = "GET"
path = "/v3/things"
"#
    )
}

#[test]
fn unknown_operation_is_located_with_the_list_of_operations() {
    let src = "[views.v]\nops = [\n  { op = \"renam\", from = \"a\", to = \"b\" },\n]\n";
    let e = errors(src);
    assert!(
        e.starts_with("broken.toml:3:3: error: invalid operation"),
        "{e}"
    );
    assert!(e.contains("unknown operation `renam`"), "{e}");
    assert!(e.contains("rename, move"), "{e}");
}

#[test]
fn invalid_jsonpath_is_located() {
    let src = "[views.v]\nops = [\n  { op = \"filter\", at = \"a\", where = \"$[?@.x ==]\" },\n]\n";
    let e = errors(src);
    assert!(e.starts_with("broken.toml:3:3"), "{e}");
    assert!(e.contains("invalid JSONPath"), "{e}");
    assert!(e.contains("hint:"), "{e}");
}

#[test]
fn duplicate_legacy_route_names_the_first() {
    let src = format!("{VIEW_OK}{}{}", endpoint(""), endpoint(""));
    let e = errors(&src);
    assert!(
        e.contains("legacy route GET /v1/things is declared twice (first at broken.toml:"),
        "{e}"
    );
}

#[test]
fn duplicate_route_across_files() {
    let a = format!("{VIEW_OK}{}", endpoint(""));
    let b = endpoint("").replace("\"v\"", "\"a.v\"");
    let e = match Catalog::from_sources([("a.toml", a.as_str()), ("b.toml", b.as_str())]) {
        Ok(_) => panic!("expected an error"),
        Err(d) => d.to_string(),
    };
    assert!(
        e.contains("b.toml:") && e.contains("first at a.toml:"),
        "{e}"
    );
}

#[test]
fn field_written_twice() {
    let src = "[views.v]\nops = [\n  { op = \"rename\", from = \"a\", to = \"b\" },\n  { op = \"set\", to = \"b\", value = 1 },\n]\n";
    let e = errors(src);
    assert!(
        e.contains("broken.toml:4:3")
            && e.contains("`b` is written twice")
            && e.contains("first at line 3"),
        "{e}"
    );
}

#[test]
fn join_never_attached_and_unknown_join() {
    let src = r#"
[views.v]
ops = [
  { op = "attach", join = "nope", to = "x" },
]

[[views.v.joins]]
name = "users"
from = "/v3/users"
by = "ids"
key = "user_id"
on = "id"
"#;
    let e = errors(src);
    assert!(
        e.contains("names join `nope`, which view `broken.v` does not declare"),
        "{e}"
    );
    assert!(e.contains("joins of this view: users"), "{e}");
    assert!(
        e.contains("join `users` of view `broken.v` is never attached"),
        "{e}"
    );
}

#[test]
fn join_needs_a_plural_filter_and_a_v3_path() {
    let src = r#"
[views.v]
ops = [{ op = "attach", join = "u", to = "x" }]

[[views.v.joins]]
name = "u"
from = "/v1/users/{id}"
by = "user_id"
key = "user_id"
on = "id"
"#;
    let e = errors(src);
    assert!(e.contains("`from` must be a v3 collection path"), "{e}");
    assert!(
        e.contains("join filter `user_id` is not a plural id filter"),
        "{e}"
    );
}

#[test]
fn missing_reason_for_unsupported_and_partial() {
    let src = r#"
[[endpoint]]
name = "x"
method = "POST"
path = "/v1/things"
versions = ["v1"]
status = "unsupported"

[[endpoint.v3]]
method = "POST"
path = "/v3/things"

[[endpoint]]
name = "y"
method = "GET"
path = "/v1/other"
versions = ["v1"]
status = "partial"

[[endpoint.v3]]
method = "GET"
path = "/v3/other"
"#;
    let e = errors(src);
    assert!(
        e.contains("must say why and what to do in v3 instead"),
        "{e}"
    );
    assert!(e.contains("must say what is lost"), "{e}");
    assert!(e.contains("needs a [endpoint.response] view"), "{e}");
}

#[test]
fn toml_syntax_and_unknown_keys_are_located() {
    let e = errors("[views.v]\nops = [\n  { op = \"select\", fields = [\"id\"] ,\n");
    assert!(e.starts_with("broken.toml:"), "{e}");
    assert!(e.contains("hint:"), "{e}");
    let e = errors(&format!("{VIEW_OK}{}", endpoint("colour = \"red\"")));
    assert!(e.contains("unknown field `colour`"), "{e}");
    let line = e.split(':').nth(1).unwrap().parse::<usize>().unwrap();
    assert!(line >= 8, "{e}");
}

#[test]
fn undefined_views_and_extends_cycles() {
    let src = r#"
[views.a]
extends = "b"
ops = []

[views.b]
extends = "a"
ops = []

[views.c]
ops = [{ op = "each", at = "x", view = "missing" }]
"#;
    let e = errors(src);
    assert!(e.contains("in a cycle"), "{e}");
    assert!(
        e.contains("view `broken.missing` (used by `broken.c`) is not defined"),
        "{e}"
    );
}

#[test]
fn bad_params() {
    let e = errors(&format!(
        "{VIEW_OK}{}",
        endpoint(
            r#"params = [{ name = "created_after", to = "created_at", filter = "after" }, { name = "page", role = "pages" }, { name = "q" }]"#
        )
    ));
    assert!(e.contains("unknown filter operator `after`"), "{e}");
    assert!(e.contains("unknown parameter role `pages`"), "{e}");
    assert!(e.contains("parameter `q` must have exactly one of"), "{e}");
}

#[test]
fn garbage_never_panics() {
    for src in [
        "",
        "\u{0}\u{1}",
        "[[endpoint]]",
        "views = 3",
        "[views.v]\nops = [1, \"x\", {}]",
        "[views.v]\nops = [{ op = \"when\", field = \"a\", is = [1], then = [{ op = \"nope\" }] }]",
    ] {
        let _ = Catalog::from_sources([("g.toml", src)]);
    }
}

#[test]
fn load_dir_reports_missing_directory() {
    let e = Catalog::load_dir(std::path::Path::new("/nonexistent/mappings"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot read mapping directory"), "{e}");
}
