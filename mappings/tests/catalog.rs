use harvest_mappings::Catalog;

#[test]
fn embedded_catalog_loads() {
    let c = match Catalog::embedded() {
        Ok(c) => c,
        Err(d) => panic!("embedded mappings do not load:\n{d}"),
    };
    assert_eq!(c.endpoints().len(), 138);
    let m = c.match_route("GET", "/v1/candidates/123").unwrap();
    assert_eq!(m.endpoint.path, "/v1/candidates/{id}");
    assert_eq!(m.params["id"], "123");
    let m = c
        .match_route("PATCH", "/v1/users/permission_level")
        .unwrap();
    assert_eq!(m.endpoint.path, "/v1/users/permission_level");
    let m = c.match_route("DELETE", "/v1/jobs/5/openings").unwrap();
    assert_eq!(m.endpoint.path, "/v2/jobs/{job_id}/openings");
    assert!(c.match_route("GET", "/v3/candidates").is_none());
}

#[test]
fn routes_match_by_typed_method_or_any_method() {
    use harvest_mappings::catalog::Method;
    let c = Catalog::embedded().unwrap();
    let m = c
        .find_route(Some(Method::Patch), "/v1/candidates/7")
        .unwrap();
    assert_eq!(m.endpoint.route(), "PATCH /v1/candidates/{id}");
    // `None` takes any method, GET first; the older "ANY" spelling still means the same.
    let any = c.find_route(None, "/v1/candidates/7").unwrap();
    assert_eq!(any.endpoint.route(), "GET /v1/candidates/{id}");
    let old = c.match_route("ANY", "/v1/candidates/7").unwrap();
    assert_eq!(old.endpoint.route(), any.endpoint.route());
    assert!(c.match_route("OPTIONS", "/v1/candidates/7").is_none());
    assert_eq!(
        c.find_route(None, "/v1/users/permission_level")
            .unwrap()
            .endpoint
            .method,
        "PATCH"
    );
}

#[test]
fn unsupported_writes_say_why_and_views_know_their_base() {
    use harvest_mappings::{Status, load::UNSUPPORTED_WRITE_REASON};
    let c = Catalog::embedded().unwrap();
    // Every write left unsupported was looked at: it names its own gap (not the default
    // "not translated yet", which tests/broken.rs shows filled in) and what to do in v3.
    let unsupported: Vec<_> = c
        .endpoints()
        .iter()
        .filter(|e| !e.is_read() && e.status == Status::Unsupported)
        .collect();
    // (Every write is served today; a write left unsupported later must still say why.)
    for e in unsupported {
        let reason = e.reason.as_deref().unwrap_or_default();
        assert!(
            !reason.trim().is_empty() && reason != UNSUPPORTED_WRITE_REASON,
            "{} has no reason of its own",
            e.route()
        );
        let instead = e.instead.as_deref().unwrap_or_default();
        assert!(!instead.trim().is_empty(), "{} has no instead", e.route());
    }
    // The files no longer repeat it.
    for (name, text) in Catalog::embedded_sources() {
        assert!(
            !text.contains(UNSUPPORTED_WRITE_REASON),
            "{name} repeats the default reason"
        );
    }
    let v = c.view("custom_fields.custom_field_list").unwrap();
    assert_eq!(v.extends.as_deref(), Some("custom_fields.custom_field"));
    let base = c.view("custom_fields.custom_field").unwrap();
    assert_eq!(base.extends, None);
    assert!(v.ops.len() > base.ops.len() && v.joins.len() == base.joins.len());
}

#[test]
fn routes_are_named_alike_whatever_the_placeholder_names_case_or_version() {
    let c = Catalog::embedded().unwrap();
    let named = |r: &str| -> Vec<String> {
        c.endpoints_named(r)
            .into_iter()
            .map(|i| c.endpoints()[i].route().to_string())
            .collect()
    };
    let tag = ["PUT /v1/candidates/{candidate_id}/tags/{tag_id}"];
    assert_eq!(named("PUT /v1/candidates/{id}/tags/{x}"), tag);
    assert_eq!(named("put /v1/candidates/{a}/tags/{b}/"), tag);
    // Served under v1 and v2 alike: either prefix names it.
    assert_eq!(
        named("DELETE /v1/jobs/{job_id}/openings"),
        named("DELETE /v2/jobs/{id}/openings")
    );
    assert_eq!(named("DELETE /v1/jobs/{job_id}/openings").len(), 1);
    assert!(named("GET /v1/nothing_here").is_empty());
    assert!(named("GET").is_empty());
    assert!(
        named("POST /v1/candidates/{id}").is_empty(),
        "no such method on the path"
    );
}

#[test]
fn every_endpoint_matches_its_own_path_under_each_of_its_versions() {
    let c = Catalog::embedded().unwrap();
    for ep in c.endpoints() {
        let rest = harvest_mappings::catalog::strip_version(&ep.path);
        let mut concrete = String::new();
        let mut ids = Vec::new();
        for (i, seg) in rest.split('/').skip(1).enumerate() {
            concrete.push('/');
            if seg.starts_with('{') {
                let id = format!("{}", 100 + i);
                concrete.push_str(&id);
                ids.push((seg.trim_matches(['{', '}']).to_string(), id));
            } else {
                concrete.push_str(seg);
            }
        }
        for v in &ep.versions {
            let path = format!("/{v}{concrete}/?x=1");
            let m = c
                .match_route(&ep.method, &path)
                .unwrap_or_else(|| panic!("{} does not match {path}", ep.route()));
            assert_eq!(
                harvest_mappings::catalog::strip_version(&m.endpoint.path),
                rest,
                "{path}"
            );
            assert_eq!(m.version, *v);
            for (name, id) in &ids {
                assert_eq!(m.params.get(name), Some(id), "{path}: {name}");
            }
            assert_eq!(m.params.len(), ids.len());
        }
        if ep.optional_last {
            let short = concrete.rsplit_once('/').map(|(a, _)| a).unwrap_or("");
            let path = format!("/{}{short}", ep.versions[0]);
            let m = c.match_route(&ep.method, &path);
            assert!(
                m.is_some(),
                "{path}: the optional last segment may be left off"
            );
        }
    }
}
