//! Helpers shared by every write path (generic writes, side effects, actions): the write
//! timestamp, reads of record and body fields, the required-fields check and child lookups.

use serde_json::{Map, Value};

use crate::errors::{ApiError, field_entry};
use crate::store::Dataset;
use crate::time;

/// Timestamp stamped on written records: the wall clock, ISO 8601 with milliseconds.
pub(crate) fn now() -> String {
    time::iso_ms(time::now_ms())
}

/// An integer field of a record (`None` when absent or not an integer).
pub(crate) fn get_i64(m: &Map<String, Value>, k: &str) -> Option<i64> {
    m.get(k).and_then(Value::as_i64)
}

/// An optional integer field of a write body: `None` when absent or null, 422 when not an integer.
pub(crate) fn int_field(body: &Map<String, Value>, k: &str) -> Result<Option<i64>, ApiError> {
    match body.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::field(k, "must be an integer")),
    }
}

/// 422 naming every field of `fields` that `body` lacks (absent or null).
pub(crate) fn require(body: &Map<String, Value>, fields: &[&str]) -> Result<(), ApiError> {
    let missing: Vec<Value> = fields
        .iter()
        .filter(|f| body.get(**f).is_none_or(Value::is_null))
        .map(|f| field_entry(f, "is required"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::unprocessable(missing))
    }
}

/// The ids of the rows of `table` whose `field` is `parent`.
pub(crate) fn children(ds: &Dataset, table: &str, field: &str, parent: i64) -> Vec<i64> {
    ds.table(table)
        .map(|t| t.find_ids(field, parent))
        .unwrap_or_default()
}
