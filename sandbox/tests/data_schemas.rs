//! Every generated record validates against its schema (checked on the dataset directly,
//! for all resources, at two seeds). The HTTP-level check is in `list_schemas.rs`.

mod common;

use harvest_sandbox::{Credentials, data, schema};

#[test]
fn generated_records_match_schemas() {
    let validators = common::validators();
    for seed in [1u64, 99] {
        let ds = data::generate(seed, 0.3, &Credentials::default().users);
        for name in schema::schema_resources() {
            let table = ds.table(name).unwrap_or_else(|| panic!("no table {name}"));
            assert!(!table.is_empty(), "seed {seed}: no generated {name}");
            let v = &validators[*name];
            for rec in table.rows().values() {
                let errs: Vec<String> = v
                    .iter_errors(rec)
                    .map(|e| format!("{} at {}", e, e.instance_path))
                    .collect();
                assert!(
                    errs.is_empty(),
                    "seed {seed} {name} {}: {errs:?}",
                    rec["id"]
                );
                // all schema fields present (nullable ones as null)
                let def = schema::resource(name).unwrap();
                for f in def.field_names() {
                    assert!(rec.get(f).is_some(), "{name} {} lacks {f}", rec["id"]);
                }
            }
        }
    }
}
