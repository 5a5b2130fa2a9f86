//! Response operations as written in mapping files (`{ op = "rename", from = "a", to = "b" }`).
//!
//! Parsed from raw TOML so that an unknown operation or a wrong key is reported at the
//! operation's own line with the list of what is accepted.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Every operation a view may apply, in file order, to each record.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum OpDef {
    /// Move a value to another field name (same as `move`; reads better for flat renames).
    Rename { from: String, to: String },
    /// Move a value to another place, creating intermediate objects.
    Move { from: String, to: String },
    /// Copy a value (or the results of a JSONPath query, as an array) to another place.
    Copy { from: String, to: String },
    /// Set a constant. `value` is TOML; `json` is a JSON literal (TOML has no `null`).
    Set {
        to: String,
        value: Option<toml::Value>,
        json: Option<String>,
    },
    /// Set a constant where the field is missing or null.
    Default {
        at: String,
        value: Option<toml::Value>,
        json: Option<String>,
    },
    /// Remove fields.
    Remove { fields: Vec<String> },
    /// Map enum values; `values` keys are the v3 values as text (`true`, `in_process`).
    Map {
        at: String,
        values: BTreeMap<String, toml::Value>,
        /// What to do with a value not listed: `keep` (default), `null`, `error`.
        other: Option<String>,
    },
    /// Type conversion: `date_to_datetime`, `string`, `integer`, `not`, `lowercase`,
    /// `join` (array of strings → one string, with `separator`), `empty_to_null`.
    Convert {
        at: String,
        to: String,
        separator: Option<String>,
    },
    /// Wrap a value into an object: `x` → `{ key: x }`; null stays null.
    Wrap { at: String, key: String },
    /// Put the first element of an array (or null) in place of the array.
    First { at: String },
    /// Move the fields of an object field up into the record (overwriting), dropping the field.
    Merge { from: String },
    /// Attach the rows a join found for this record.
    Attach {
        join: String,
        to: String,
        /// JSONPath filter on the raw v3 rows, e.g. `$[?@.type == 'recruiter']`.
        #[serde(rename = "where")]
        filter: Option<String>,
        /// Sort the rows by this raw field.
        order_by: Option<String>,
        #[serde(default)]
        desc: bool,
        /// Rows whose raw boolean field is true come first.
        prefer: Option<String>,
        /// Keep one row (or null) instead of an array.
        #[serde(default)]
        first: bool,
        /// Selector applied to each translated row (or the single one), e.g. `id`.
        select: Option<String>,
        /// Take only the rows whose join value equals this field of the record (as it is at
        /// this point of the operations), instead of all rows the join key found.
        #[serde(rename = "match")]
        matching: Option<String>,
    },
    /// Apply a view to each element of an array field (batched over the whole page).
    Each { at: String, view: String },
    /// v3 `custom_fields` map → v1 `custom_fields` (flat, keyed by the slug of the display name)
    /// and `keyed_custom_fields` (as is). Null becomes two empty maps.
    CustomFields {
        from: String,
        flat: Option<String>,
        keyed: Option<String>,
    },
    /// Group an array of objects into `{ key: [value, ...] }`, always emitting every listed key.
    Group {
        from: String,
        to: String,
        by: String,
        value: String,
        keys: Vec<String>,
    },
    /// Append an object to an array: `json` literal plus fields taken from the record.
    Push {
        at: String,
        json: String,
        #[serde(default)]
        set: BTreeMap<String, String>,
        /// Only push when this selector gives a non-null value.
        when_present: Option<String>,
        /// Insert at the start instead of the end.
        #[serde(default)]
        front: bool,
    },
    /// Sort an array field by a field of its elements (stable).
    Sort {
        at: String,
        by: String,
        #[serde(default)]
        desc: bool,
    },
    /// Keep the elements of an array field that match a JSONPath filter, e.g.
    /// `$[?@.answer_type != 'instruction']`.
    Filter {
        at: String,
        #[serde(rename = "where")]
        filter: String,
    },
    /// Apply `then` when the selector's value is one of `is` (or, with `present`, when the
    /// field is present and not null / absent or null), else `otherwise`.
    When {
        field: String,
        #[serde(default)]
        is: Vec<toml::Value>,
        present: Option<bool>,
        #[serde(default)]
        then: Vec<toml::Value>,
        #[serde(default)]
        otherwise: Vec<toml::Value>,
    },
    /// Nest an array of objects into a forest by a parent field: each object gets a `children`
    /// array; roots are those whose parent is null or absent from the array. `fields` gives
    /// the key order of every node (it must name `children`); the parent field is dropped
    /// unless listed. Input order is kept among siblings.
    Tree {
        at: String,
        id: String,
        parent: String,
        children: String,
        fields: Vec<String>,
    },
    /// Keep exactly these fields in this order; a listed field that is missing is an error.
    Select { fields: Vec<String> },
}

/// Names accepted in `op = "..."`, for hints.
pub const OP_NAMES: &[&str] = &[
    "rename",
    "move",
    "copy",
    "set",
    "default",
    "remove",
    "map",
    "convert",
    "wrap",
    "first",
    "merge",
    "attach",
    "each",
    "custom_fields",
    "group",
    "push",
    "sort",
    "filter",
    "when",
    "tree",
    "select",
];

/// Conversions accepted by `convert`.
pub const CONVERSIONS: &[&str] = &[
    "date_to_datetime",
    "string",
    "integer",
    "not",
    "lowercase",
    "join",
    "empty_to_null",
];
