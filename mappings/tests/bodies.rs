//! Request-body views (writes): renames, moves and splits into several v3 calls, declared in the
//! mapping files: what the write pipeline sends (it adds `_request` and removes it again).
mod common;

use common::{FixtureFetch, catalog};
use harvest_mappings::Translator;
use serde_json::{Value, json};

async fn try_body(view: &str, legacy: Value) -> Result<Value, String> {
    let t = Translator::new(catalog());
    let fetch = FixtureFetch::new(&json!({}));
    let out = t.translate(view, vec![legacy], &fetch).await;
    assert!(fetch.calls().is_empty(), "a body view makes no v3 call");
    out.map(|mut o| o.pop().unwrap()).map_err(|e| e.to_string())
}

async fn body(view: &str, legacy: Value) -> Value {
    try_body(view, legacy).await.unwrap()
}

#[tokio::test]
async fn update_application_splits_into_two_v3_bodies() {
    let ep = catalog()
        .match_route("PATCH", "/v1/applications/5")
        .unwrap()
        .endpoint;
    let views: Vec<&str> = ep
        .v3
        .iter()
        .filter_map(|c| c.body_view.as_deref())
        .collect();
    assert_eq!(
        views,
        [
            "applications.application_patch_body",
            "applications.rejection_patch_body"
        ]
    );
    let legacy = json!({
        "source_id": 16,
        "referrer": {"type": "id", "value": 123},
        "recruiter_id": 77,
        "custom_fields": [{"id": 1234, "value": "x"}, {"name_key": "notice", "value": "2 weeks"}, {"id": 9, "delete_value": "true"}],
        "rejection_details": {"custom_fields": [{"id": 55, "value": true}]},
        // What the write pipeline adds: the referrer record of user 123, looked up in step 0.
        "_request": {"steps": [{"id": 551230, "user_id": 123}]}
    });
    assert_eq!(
        body(views[0], legacy.clone()).await,
        json!({"source_id": 16, "recruiter_id": 77, "custom_fields": [
            {"custom_field_id": 1234, "value": "x"},
            {"name_key": "notice", "value": "2 weeks"},
            {"custom_field_id": 9, "value": null}
        ], "referrer_id": 551230, "_request": {"steps": [{"id": 551230, "user_id": 123}]}})
    );
    assert_eq!(
        body(views[1], legacy).await,
        json!({"question_custom_fields": [{"custom_field_id": 55, "value": true}]})
    );
}

#[tokio::test]
async fn absent_fields_stay_absent() {
    // v3 bodies are strict (additionalProperties: false): nothing is invented.
    assert_eq!(
        body(
            "applications.application_patch_body",
            json!({"coordinator_id": 3})
        )
        .await,
        json!({"coordinator_id": 3})
    );
    // A referrer given by e-mail has no v3 field: it is refused, neither dropped nor sent as an id.
    let e = try_body(
        "applications.application_patch_body",
        json!({"referrer": {"type": "email", "value": "a@b.c"}}),
    )
    .await
    .unwrap_err();
    assert!(e.contains("referrer.type"), "{e}");
}

#[tokio::test]
async fn create_tag_body() {
    assert_eq!(
        body("tags.tag_body", json!({"name": "Python"})).await,
        json!({"name": "Python"})
    );
}
