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

/// The one diagnostic of `src` whose message contains `needle`, as (location, message, hint).
fn diagnostic(src: &str, needle: &str) -> (String, String, String) {
    let d = match Catalog::from_sources([("broken.toml", src)]) {
        Ok(_) => panic!("expected errors for:\n{src}"),
        Err(d) => d,
    };
    let found: Vec<_> = d.0.iter().filter(|x| x.message.contains(needle)).collect();
    assert_eq!(found.len(), 1, "`{needle}` in:\n{d}");
    let x = found[0];
    (
        x.location.to_string(),
        x.message.clone(),
        x.hint.clone().unwrap_or_default(),
    )
}

/// An endpoint whose lines are known: the `{extra}` line is line 9.
fn endpoint_at(method: &str, status: &str, extra: &str, v3_method: &str) -> String {
    format!(
        "[views.v]\nops = [{{ op = \"select\", fields = [\"id\"] }}]\n\n[[endpoint]]\nname = \"x\"\nmethod = \"{method}\"\npath = \"/v1/things\"\nversions = [\"v1\"]\n{extra}\nstatus = \"{status}\"\nresponse = {{ view = \"v\" }}\n\n[[endpoint.v3]]\nmethod = \"{v3_method}\"\npath = \"/v3/things\"\n"
    )
}

#[test]
fn unknown_status_is_located_with_the_statuses() {
    let src = endpoint_at("GET", "translatd", "", "GET");
    let (at, msg, hint) = diagnostic(&src, "status");
    assert_eq!(at, "broken.toml:10:10");
    assert_eq!(msg, "unknown status `translatd`");
    assert_eq!(
        hint,
        "did you mean `translated`? expected one of translated, partial, unsupported"
    );
}

#[test]
fn unknown_methods_are_located_with_the_methods() {
    let src = endpoint_at("FETCH", "translated", "", "GIT");
    let (at, msg, hint) = diagnostic(&src, "`FETCH`");
    assert_eq!(at, "broken.toml:6:10");
    assert_eq!(msg, "unknown HTTP method `FETCH`");
    assert_eq!(hint, "expected one of GET, POST, PUT, PATCH, DELETE");
    let (at, msg, hint) = diagnostic(&src, "`GIT`");
    assert_eq!(at, "broken.toml:14:10");
    assert_eq!(msg, "unknown HTTP method `GIT`");
    assert_eq!(
        hint,
        "did you mean `GET`? expected one of GET, POST, PUT, PATCH, DELETE"
    );
}

#[test]
fn unknown_response_shape_is_located() {
    let src = endpoint_at("GET", "translated", "", "GET")
        .replace("{ view = \"v\" }", "{ view = \"v\", shape = \"singel\" }");
    let (at, msg, hint) = diagnostic(&src, "shape");
    assert_eq!(at, "broken.toml:11:34");
    assert_eq!(msg, "unknown response shape `singel`");
    assert_eq!(
        hint,
        "did you mean `single`? expected one of list, single, object"
    );
}

#[test]
fn unknown_version_basis_and_legacy_status_are_located() {
    let src = endpoint_at(
        "GET",
        "translated",
        "basis = \"hearsay\"\nlegacy_status = \"gone\"",
        "GET",
    )
    .replace("[\"v1\"]", "[\"v1\", \"v4\"]");
    let (at, msg, hint) = diagnostic(&src, "version");
    assert_eq!(at, "broken.toml:8:19");
    assert_eq!(msg, "unknown version `v4`");
    assert_eq!(hint, "expected one of v1, v2");
    let (at, msg, hint) = diagnostic(&src, "basis");
    assert_eq!(at, "broken.toml:9:9");
    assert_eq!(msg, "unknown basis `hearsay`");
    assert_eq!(
        hint,
        "expected one of guide, guide-derived, reference, inferred"
    );
    let (at, _, hint) = diagnostic(&src, "legacy status");
    assert_eq!(at, "broken.toml:10:17");
    assert_eq!(hint, "expected one of current, v1-deprecated, removed-2020");
}

#[test]
fn unknown_parameter_type_filter_and_role_are_located() {
    let params = concat!(
        "params = [\n",
        "  { name = \"a\", to = \"a\", type = \"int\" },\n",
        "  { name = \"b\", to = \"created_at\", filter = \"gtee\" },\n",
        "  { name = \"page\", role = \"paging\" },\n",
        "]"
    );
    let src = endpoint_at("GET", "translated", params, "GET");
    let (at, msg, hint) = diagnostic(&src, "parameter type");
    assert_eq!(at, "broken.toml:10:34");
    assert_eq!(msg, "unknown parameter type `int`");
    assert_eq!(hint, "expected one of string, integer, datetime, boolean");
    let (at, msg, hint) = diagnostic(&src, "filter operator");
    assert_eq!(at, "broken.toml:11:45");
    assert_eq!(msg, "unknown filter operator `gtee`");
    assert_eq!(hint, "did you mean `gte`? expected one of gte, lte, gt, lt");
    let (at, msg, hint) = diagnostic(&src, "parameter role");
    assert_eq!(at, "broken.toml:12:27");
    assert_eq!(msg, "unknown parameter role `paging`");
    assert_eq!(hint, "expected one of page, per_page");
}

#[test]
fn unknown_conversion_and_map_other_are_located_at_their_key() {
    let src = concat!(
        "[views.v]\n",
        "ops = [\n",
        "  { op = \"convert\", at = \"a\", to = \"date_to_datetim\" },\n",
        "  { op = \"map\", at = \"b\", values = { x = \"y\" }, other = \"drop\" },\n",
        "]\n"
    );
    let (at, msg, hint) = diagnostic(src, "conversion");
    assert_eq!(at, "broken.toml:3:36");
    assert_eq!(msg, "unknown conversion `date_to_datetim`");
    assert_eq!(
        hint,
        "did you mean `date_to_datetime`? expected one of date_to_datetime, string, integer, not, lowercase, join, empty_to_null"
    );
    let (at, msg, hint) = diagnostic(src, "`other`");
    assert_eq!(at, "broken.toml:4:57");
    assert_eq!(msg, "unknown `other` value `drop`");
    assert_eq!(hint, "expected one of keep, null, error");
}

#[test]
fn unknown_operation_name_is_located_with_the_operations() {
    let src = "[views.v]\nops = [\n  { op = \"select\", fields = [\"id\"] },\n  { op = \"sleect\", fields = [\"id\"] },\n]\n";
    let (at, msg, hint) = diagnostic(src, "operation");
    assert_eq!(at, "broken.toml:4:3");
    assert_eq!(msg, "invalid operation: unknown operation `sleect`");
    assert!(
        hint.starts_with("did you mean `select`? expected one of rename, move, copy, set,"),
        "{hint}"
    );
    assert!(hint.ends_with("when, tree, select"), "{hint}");
}

#[test]
fn every_bad_value_of_a_file_is_reported_together() {
    let src = endpoint_at("FETCH", "translatd", "basis = \"hearsay\"", "GIT");
    let e = errors(&src);
    for needle in [
        "unknown HTTP method `FETCH`",
        "unknown status `translatd`",
        "unknown basis `hearsay`",
        "unknown HTTP method `GIT`",
    ] {
        assert!(e.contains(needle), "{needle} in {e}");
    }
}

#[test]
fn unsupported_writes_default_their_reason_but_not_reads() {
    let write = r#"
[[endpoint]]
name = "x"
method = "POST"
path = "/v1/things"
versions = ["v1"]
status = "unsupported"
instead = "Call POST /v3/things."

[[endpoint.v3]]
method = "POST"
path = "/v3/things"
"#;
    let c = Catalog::from_sources([("w.toml", write)]).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(
        c.endpoints()[0].reason.as_deref(),
        Some(harvest_mappings::load::UNSUPPORTED_WRITE_REASON)
    );
    let own = write.replace(
        "status = \"unsupported\"",
        "status = \"unsupported\"\nreason = \"no\"",
    );
    let c = Catalog::from_sources([("w.toml", own.as_str())]).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(c.endpoints()[0].reason.as_deref(), Some("no"));
    let read = write.replace("\"POST\"", "\"GET\"");
    let e = errors(&read);
    assert!(
        e.contains("broken.toml:7:10: error: an `unsupported` endpoint must say why"),
        "{e}"
    );
}

#[test]
fn write_call_keys_that_only_some_calls_take_are_located() {
    let src = r#"[views.b]
ops = [{ op = "select", fields = ["name"] }]

[[endpoint]]
name = "x"
method = "POST"
path = "/v1/things"
versions = ["v1"]
status = "translated"
answer = { read = "/v1/things", key = "success" }

[[endpoint.v3]]
method = "POST"
path = "/v3/things"
body = "b"
all = true

[[endpoint.v3]]
method = "GET"
path = "/v3/things"
when = "name"
unless = "steps.0.id"
"#;
    let (at, _, hint) = diagnostic(src, "`key` names the field");
    assert_eq!(at, "broken.toml:10:10");
    assert_eq!(hint, "remove it, or answer with `message`");
    let (at, msg, _) = diagnostic(src, "`all`");
    assert_eq!(at, "broken.toml:12:1");
    assert_eq!(msg, "`all` is only for `GET` calls (lookups)");
    let (at, _, hint) = diagnostic(src, "`when` or `unless`");
    assert_eq!(at, "broken.toml:18:1");
    assert_eq!(hint, "split it into two calls");
}

#[test]
fn show_names_the_default_reason_of_an_unsupported_write() {
    let src = r#"
[[endpoint]]
name = "x"
method = "POST"
path = "/v1/things"
versions = ["v1"]
status = "unsupported"
instead = "Call POST /v3/things."

[[endpoint.v3]]
method = "POST"
path = "/v3/things"
"#;
    let c = Catalog::from_sources([("w.toml", src)]).unwrap_or_else(|d| panic!("{d}"));
    let text = harvest_mappings::report::show_text(&c, &c.endpoints()[0]);
    assert!(
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("(the default reason of unsupported writes)"),
        "{text}"
    );
}

#[test]
fn filter_takes_exactly_one_way_to_keep() {
    for keys in [
        "",
        r#", where = "$[?@.a == 1]", in = "$.ids[*]""#,
        r#", in = "$.ids[*]", not_in = "$.ids[*]""#,
    ] {
        let src = format!(
            "[views.v]\nops = [\n  {{ op = \"filter\", at = \"xs\"{keys} }},\n  {{ op = \"select\", fields = [\"xs\"] }},\n]\n"
        );
        let (at, msg, hint) = diagnostic(&src, "`filter`");
        assert_eq!(at, "broken.toml:3:3", "{keys}");
        assert_eq!(
            msg,
            "`filter` takes exactly one of `where`, `in` or `not_in`"
        );
        assert!(hint.contains("not") || hint.contains("in ="), "{hint}");
    }
    let ok = "[views.v]\nops = [\n  { op = \"filter\", at = \"xs\", not_in = \"$._request.steps[1][*].id\" },\n]\n";
    Catalog::from_sources([("ok.toml", ok)]).unwrap_or_else(|d| panic!("{d}"));
}

/// A served write whose one v3 call is `call` (a TOML fragment after method and path).
fn served_write(v3_method: &str, call: &str) -> String {
    format!(
        "[[endpoint]]\nname = \"x\"\nmethod = \"DELETE\"\npath = \"/v1/things\"\nversions = [\"v1\"]\nstatus = \"translated\"\nanswer = {{ message = \"done\" }}\n\n[[endpoint.v3]]\nmethod = \"{v3_method}\"\npath = \"/v3/things\"\n{call}\n"
    )
}

#[test]
fn among_needs_each_and_all_needs_a_lookup() {
    let src = served_write("DELETE", "among = \"$.steps[0][*].id\"");
    let (at, msg, hint) = diagnostic(&src, "`among`");
    assert_eq!(at, "broken.toml:9:1");
    assert_eq!(msg, "`among` is only for `each` calls");
    assert!(hint.contains("each ="), "{hint}");
    let src = served_write("DELETE", "all = true");
    let (at, msg, _) = diagnostic(&src, "`all`");
    assert_eq!(at, "broken.toml:9:1");
    assert_eq!(msg, "`all` is only for `GET` calls (lookups)");
    let src = served_write("DELETE", "each = \"ids\"\namong = \"$.steps[0\"");
    let e = errors(&src);
    assert!(
        e.contains("broken.toml:13:9") && e.contains("invalid JSONPath"),
        "{e}"
    );
    let ok = served_write("DELETE", "each = \"ids\"\namong = \"$.steps[0][*].id\"");
    Catalog::from_sources([("ok.toml", ok.as_str())]).unwrap_or_else(|d| panic!("{d}"));
    let ok = served_write("GET", "all = true");
    Catalog::from_sources([("ok.toml", ok.as_str())]).unwrap_or_else(|d| panic!("{d}"));
}

#[test]
fn one_of_lists_values() {
    let src = served_write("DELETE", "")
        .replace("answer = {", "one_of = { status = \"open\" }\nanswer = {");
    let e = errors(&src);
    assert!(e.contains("broken.toml:7:"), "{e}");
}

#[test]
fn undo_is_a_write_to_a_v3_path_on_a_call_that_writes() {
    // Line 9 is the [[endpoint.v3]] call, 12 the `undo` key.
    let src = served_write(
        "GET",
        "undo = { method = \"DELETE\", path = \"/v3/things/{answer.id}\" }",
    );
    let (at, msg, hint) = diagnostic(&src, "`undo`");
    assert_eq!(at, "broken.toml:12:8");
    assert_eq!(msg, "`undo` is only for calls that write");
    assert!(hint.contains("lookup"), "{hint}");
    let src = served_write(
        "POST",
        "undo = { method = \"GET\", path = \"/v3/things/{answer.id}\" }",
    );
    let (at, msg, _) = diagnostic(&src, "must write");
    assert_eq!(at, "broken.toml:12:19");
    assert_eq!(msg, "an `undo` must write, not `GET`");
    let src = served_write(
        "POST",
        "undo = { method = \"DELETE\", path = \"/things/{answer.id}\" }",
    );
    let (at, msg, hint) = diagnostic(&src, "undo path");
    assert_eq!(at, "broken.toml:12:36");
    assert!(msg.contains("must start with /v3/"), "{msg}");
    assert!(hint.contains("{answer.id}"), "{hint}");
    let src = served_write(
        "POST",
        "undo = { method = \"DELET\", path = \"/v3/things/{answer.id}\" }",
    );
    let e = errors(&src);
    assert!(
        e.contains("broken.toml:12:19") && e.contains("DELETE"),
        "{e}"
    );
    let src = served_write("POST", "undo = { method = \"DELETE\", paht = \"/v3/x\" }");
    let e = errors(&src);
    assert!(e.contains("broken.toml:12:"), "{e}");
    let ok = served_write(
        "POST",
        "undo = { method = \"DELETE\", path = \"/v3/things/{answer.id}\" }",
    );
    let c = Catalog::from_sources([("ok.toml", ok.as_str())]).unwrap_or_else(|d| panic!("{d}"));
    // The undo's scope is the endpoint's too.
    let ep = c.match_route("DELETE", "/v1/things").unwrap().endpoint;
    assert!(
        ep.scopes.contains(&"harvest:things:destroy".to_string()),
        "{:?}",
        ep.scopes
    );
}

#[test]
fn legacy_query_rules_are_checked() {
    let rule = |r: &str| {
        served_write("POST", "").replace(
            "answer = {",
            &format!("legacy_query = {{ fields = {{ {r} }} }}\nanswer = {{"),
        )
    };
    let (at, msg, _) = diagnostic(&rule("other = \"why\""), "`other` without `map`");
    assert_eq!(at, "broken.toml:7:27");
    assert!(msg.contains("legacy_query.fields"), "{msg}");
    let (_, msg, _) = diagnostic(&rule("split = \"\""), "is empty");
    assert!(msg.contains("`split`"), "{msg}");
    let e = errors(&rule("splitt = \",\""));
    assert!(e.contains("broken.toml:7:") && e.contains("splitt"), "{e}");
    let e = errors(&rule("map = { a = 3 }"));
    assert!(e.contains("broken.toml:7:"), "{e}");
    let ok = rule("required = true, split = \",\", map = { a = \"x\", b = [\"y\", \"z\"] }");
    Catalog::from_sources([("ok.toml", ok.as_str())]).unwrap_or_else(|d| panic!("{d}"));
}

#[test]
fn order_by_is_refused_on_a_paged_list_and_kept_on_a_whole_one() {
    let paged = format!(
        "{VIEW_OK}\n[[endpoint]]\nname = \"x\"\nmethod = \"GET\"\npath = \"/v1/things\"\n\
         versions = [\"v1\"]\nstatus = \"translated\"\n\
         params = [{{ name = \"page\", role = \"page\" }}, {{ name = \"per_page\", role = \"per_page\" }}]\n\
         response = {{ view = \"v\", order_by = \"sort_order\" }}\n\
         [[endpoint.v3]]\nmethod = \"GET\"\npath = \"/v3/things\"\n"
    );
    let e = errors(&paged);
    assert!(
        e.contains("broken.toml:") && e.contains("would sort each page"),
        "{e}"
    );
    let whole = format!(
        "{VIEW_OK}{}",
        endpoint("").replace(
            "{ view = \"v\" }",
            "{ view = \"v\", order_by = \"sort_order\", desc = true }"
        )
    );
    let c = Catalog::from_sources([("ok.toml", whole.as_str())]).unwrap_or_else(|d| panic!("{d}"));
    let r = c.endpoints()[0].response.as_ref().unwrap();
    assert!(r.order_by.is_some() && r.desc);
}
