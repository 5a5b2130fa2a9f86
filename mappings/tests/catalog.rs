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
