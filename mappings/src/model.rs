//! The mapping file format as written on disk (TOML). See docs/mappings.md.
//!
//! These types are the raw, span-carrying form, deserialized by serde. Every closed set of the
//! format (statuses, shapes, methods, parameter types, filter operators, conversions,
//! operations, …) is an enum here, so serde parses it; `load` checks what serde cannot
//! (references between views, selectors, duplicates) and builds the `catalog` types.
//!
//! An unknown value of a closed set does not stop the file: it is kept as [`OneOf::Unknown`]
//! (inside a `Spanned` where the place is known) and `load` reports it at its line and column
//! with the accepted values, together with every other problem of the file.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::de::{DeserializeOwned, Error as _, IntoDeserializer};
use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;

use crate::selector::Selector;

/// A closed set of the format: what it is called in messages and the values it accepts.
pub trait ClosedSet: Copy + DeserializeOwned + 'static {
    /// What a value of the set is, in messages: "unknown {WHAT} `x`".
    const WHAT: &'static str;
    /// Every accepted value, as written in mapping files (aliases aside).
    const NAMES: &'static [&'static str];
}

/// Declares a closed set: the enum with its serde names (one `rename` per variant, plus
/// optional aliases), `as_str`, `ALL`, `Display`, `FromStr` and [`ClosedSet`].
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text $(, alias = $alias)*)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as written in mapping files.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ClosedSet for $name {
            const WHAT: &'static str = $what;
            const NAMES: &'static [&'static str] = &[$($text),+];
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                parse_closed(s)
            }
        }
    };
}

/// A value that is not one of its closed set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`; expected one of {}", .expected.join(", "))]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static [&'static str],
}

impl UnknownValue {
    /// "did you mean `x`? expected one of a, b, c": the hint of a load diagnostic.
    pub fn hint(&self) -> String {
        let list = format!("expected one of {}", self.expected.join(", "));
        match closest(&self.value, self.expected.iter().copied()) {
            Some(near) => format!("did you mean `{near}`? {list}"),
            None => list,
        }
    }
}

/// Parses `text` as a value of `T` (through serde, so aliases count).
pub fn parse_closed<T: ClosedSet>(text: &str) -> Result<T, UnknownValue> {
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        text.into_deserializer();
    T::deserialize(de).map_err(|_| UnknownValue {
        what: T::WHAT,
        value: text.to_string(),
        expected: T::NAMES,
    })
}

/// The candidate nearest to `text` by edit distance, when it is near enough to be a typo.
pub fn closest<'a>(text: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = text.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1) && 2 * d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// A closed-set value as written: known, or unknown and kept for a located diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOf<T> {
    Known(T),
    Unknown(String),
}

impl<T: ClosedSet> OneOf<T> {
    /// The value, or the diagnostic to report.
    pub fn known(&self) -> Result<T, UnknownValue> {
        match self {
            OneOf::Known(v) => Ok(*v),
            OneOf::Unknown(s) => Err(UnknownValue {
                what: T::WHAT,
                value: s.clone(),
                expected: T::NAMES,
            }),
        }
    }
}

impl<'de, T: ClosedSet> Deserialize<'de> for OneOf<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match parse_closed::<T>(&text) {
            Ok(v) => OneOf::Known(v),
            Err(_) => OneOf::Unknown(text),
        })
    }
}

closed_set! {
    /// How completely a legacy endpoint is served from v3.
    pub enum Status ("status") {
        /// Served from v3 with the full v1 shape.
        Translated = "translated",
        /// Served, but some v1 data cannot be produced (`lost`).
        Partial = "partial",
        /// Not served (`reason`, `instead`).
        Unsupported = "unsupported",
    }
}

closed_set! {
    /// How the translated records of a read make the v1 answer.
    pub enum Shape ("response shape") {
        /// A page of objects.
        List = "list",
        /// The one record of an `?ids=` call; none → 404.
        Single = "single",
        /// All records folded into one object: the view receives `{"records": [...]}`.
        Object = "object",
    }
}

closed_set! {
    /// An HTTP method of a legacy route or a v3 call (upper case; lower case is accepted).
    pub enum Method ("HTTP method") {
        Get = "GET" | "get",
        Post = "POST" | "post",
        Put = "PUT" | "put",
        Patch = "PATCH" | "patch",
        Delete = "DELETE" | "delete",
    }
}

closed_set! {
    /// A legacy API version prefix.
    pub enum Version ("version") {
        V1 = "v1",
        V2 = "v2",
    }
}

closed_set! {
    /// How sure the route is (see reference/routes.md).
    pub enum Basis ("basis") {
        Guide = "guide",
        GuideDerived = "guide-derived",
        Reference = "reference",
        Inferred = "inferred",
    }
}

closed_set! {
    /// The state of the route in the legacy API (see reference/routes.md).
    pub enum LegacyStatus ("legacy status") {
        Current = "current",
        V1Deprecated = "v1-deprecated",
        Removed2020 = "removed-2020",
    }
}

closed_set! {
    /// A pagination role served by the proxy.
    pub enum Role ("parameter role") {
        Page = "page",
        PerPage = "per_page",
    }
}

closed_set! {
    /// The operator of a filter parameter: `created_after=X` → `created_at=gte|X`.
    pub enum FilterOp ("filter operator") {
        Gte = "gte",
        Lte = "lte",
        Gt = "gt",
        Lt = "lt",
    }
}

closed_set! {
    /// The type a legacy parameter value is checked against before anything is sent.
    pub enum ParamType ("parameter type") {
        String = "string",
        Integer = "integer",
        Datetime = "datetime",
        Boolean = "boolean",
    }
}

closed_set! {
    /// What `map` does with a value it does not list.
    pub enum Other ("`other` value") {
        /// Keep the value as it is.
        Keep = "keep",
        /// Replace it with null.
        Null = "null",
        /// The record cannot be translated (the proxy answers 502).
        Error = "error",
    }
}

closed_set! {
    /// The conversions of `convert`.
    pub enum ConversionName ("conversion") {
        DateToDatetime = "date_to_datetime",
        String = "string",
        Integer = "integer",
        Not = "not",
        Lowercase = "lowercase",
        /// Array of strings → one string, with `separator` (default ", ").
        Join = "join",
        EmptyToNull = "empty_to_null",
    }
}

closed_set! {
    /// The names accepted in `op = "..."`: one per [`OpDef`] variant.
    pub enum OpName ("operation") {
        Rename = "rename",
        Move = "move",
        Copy = "copy",
        Set = "set",
        Default = "default",
        Remove = "remove",
        Map = "map",
        Convert = "convert",
        Wrap = "wrap",
        First = "first",
        Merge = "merge",
        Attach = "attach",
        Each = "each",
        CustomFields = "custom_fields",
        Group = "group",
        Push = "push",
        Sort = "sort",
        Filter = "filter",
        When = "when",
        Tree = "tree",
        Select = "select",
    }
}

/// One mapping file: the views (record translations) and the legacy endpoints of one resource.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDef {
    #[serde(default)]
    pub views: BTreeMap<String, Spanned<ViewDef>>,
    #[serde(default, rename = "endpoint")]
    pub endpoints: Vec<Spanned<EndpointDef>>,
}

/// How one v3 record becomes one v1 object: joins first, then an ordered list of operations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewDef {
    /// The v3 collection the records come from (documentation and validation).
    pub source: Option<String>,
    /// Start from another view's joins and operations, then apply this view's operations.
    /// A view that extends another declares no joins of its own.
    pub extends: Option<Spanned<String>>,
    #[serde(default)]
    pub joins: Vec<Spanned<JoinDef>>,
    /// Operations, each a table with an `op` key. Kept with the place of every key so that
    /// each one is reported at its own line when it does not parse.
    #[serde(default)]
    pub ops: Vec<Spanned<OpEntry>>,
}

/// Fetch a related v3 collection for a whole batch of records and index it by a key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinDef {
    pub name: Spanned<String>,
    /// v3 collection path, e.g. `/v3/applications`.
    pub from: Spanned<String>,
    /// The plural filter that takes the keys, e.g. `candidate_ids` or `ids` (at most 50 a call).
    pub by: Option<Spanned<String>>,
    /// Fetch the whole collection instead of filtering (small reference lists).
    #[serde(default)]
    pub all: bool,
    /// Selector on the parent record giving the key (a scalar or an array of keys); a query
    /// such as `$['recruiter_id','coordinator_id']` collects several keys for one call.
    pub key: Spanned<String>,
    /// Selector on each joined row giving the value compared with the key.
    pub on: Spanned<String>,
    /// Extra fixed query parameters for the join call.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Translate the joined rows with this view (`name` in this file or `file.name`).
    pub view: Option<Spanned<String>>,
    /// Reference data that a proxy may cache with a TTL.
    #[serde(default)]
    pub cache: bool,
}

/// A legacy v1/v2 endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointDef {
    pub name: String,
    pub method: Spanned<OneOf<Method>>,
    pub path: Spanned<String>,
    /// A list whose last path segment (a parameter) v1 let a client leave off
    /// (`/v1/custom_fields` lists every field type): without it, the v3 query entries that
    /// name it are not sent.
    pub optional_last: Option<Spanned<bool>>,
    pub versions: Spanned<Vec<Spanned<OneOf<Version>>>>,
    pub basis: Option<Spanned<OneOf<Basis>>>,
    pub legacy_status: Option<Spanned<OneOf<LegacyStatus>>>,
    pub status: Spanned<OneOf<Status>>,
    /// For `partial`: what the translation loses.
    pub lost: Option<String>,
    /// For `unsupported`: why. Unsupported writes default to
    /// [`crate::load::UNSUPPORTED_WRITE_REASON`].
    pub reason: Option<String>,
    /// For `unsupported`: what to do in v3 instead.
    pub instead: Option<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub v3: Vec<Spanned<V3CallDef>>,
    #[serde(default)]
    pub params: Vec<Spanned<ParamDef>>,
    pub response: Option<Spanned<ResponseDef>>,
    /// A v3 call that must find the parent record of a nested route (e.g. the candidate of
    /// `/v1/candidates/{id}/tags`); when it finds nothing the legacy answer is 404, as in v1.
    pub exists: Option<Spanned<ExistsDef>>,
    /// v1 fields of the object that the translation does not produce, each with the reason.
    #[serde(default)]
    pub omitted: BTreeMap<String, String>,
    /// For a served write: how v1's answer is built.
    pub answer: Option<Spanned<AnswerDef>>,
    /// For a served write: the top-level body fields v1 documented. Any other field is dropped
    /// before the write is translated, as v1 ignored fields it did not know (v3 refuses them);
    /// `required`, `refuse` and `one_of` fields are kept too. Empty: every field is kept.
    #[serde(default)]
    pub fields: Vec<String>,
    /// For a served write: legacy body fields v1 required (absent or null → v1's 422).
    #[serde(default)]
    pub required: Vec<String>,
    /// For a served write: legacy body fields v3 cannot take, each with the reason (sent →
    /// v1's 422 naming the field, rather than a silent drop).
    #[serde(default)]
    pub refuse: BTreeMap<String, String>,
    /// For a served write: legacy body fields that take one of these values (compared as
    /// text); another value → v1's 422 naming the field.
    #[serde(default)]
    pub one_of: BTreeMap<String, Vec<String>>,
    /// For a served write: how its legacy query parameters become `query.<name>` of the write
    /// context (`PUT /v1/candidates/{id}/anonymize?fields=...`).
    #[serde(default)]
    pub legacy_query: BTreeMap<String, Spanned<QueryRuleDef>>,
}

/// One legacy query parameter of a write (docs/mappings.md, "Writes").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryRuleDef {
    /// Absent or empty → v1's 422 naming the parameter.
    #[serde(default)]
    pub required: bool,
    /// The value is a list separated by this text: the context holds an array.
    pub split: Option<String>,
    /// v1 values → v3 values (a text, or a list of them); an unlisted value → v1's 422.
    #[serde(default)]
    pub map: BTreeMap<String, OneOrMany>,
    /// Why an unlisted value cannot be translated.
    pub other: Option<String>,
}

/// A text or a list of texts.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The call that undoes a write step once applied (docs/mappings.md, "Undo").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UndoDef {
    pub method: Spanned<OneOf<Method>>,
    pub path: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V3CallDef {
    pub method: Spanned<OneOf<Method>>,
    pub path: Spanned<String>,
    /// Query template: values may name legacy path parameters (`{id}`).
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    pub purpose: Option<String>,
    /// Scope override where the `harvest:<resource>:<action>` rule does not apply.
    pub scope: Option<String>,
    /// For writes: the view that turns the legacy request body into this call's body.
    pub body: Option<Spanned<String>>,
    /// For writes: make this call only when the legacy body has this field (not null); a
    /// dotted name is a place in the write context (`steps.0.0`, `body.user.email`).
    pub when: Option<String>,
    /// For writes: make this call only when `when`'s kind of place has no value (or null).
    pub unless: Option<String>,
    /// For writes: make this call once per item of this legacy body list (a dotted name: of
    /// the list at that place of the write context, e.g. `steps.1`, an earlier call's answers).
    pub each: Option<String>,
    /// For `each`: make it only for the items among the values this query finds in the
    /// write's context (`$.steps[1][*].id`), each once.
    pub among: Option<Query>,
    /// For a write's `GET` lookup: every row of every page (a list, maybe empty: no 404)
    /// instead of the first row.
    #[serde(default)]
    pub all: bool,
    /// For a write: the call that undoes this one once applied (e.g. deleting what it
    /// created), made if a later call of the same write fails definitely.
    pub undo: Option<Spanned<UndoDef>>,
}

/// How a served write builds v1's answer: exactly one of `read`, `view` or `message`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerDef {
    /// A v1 read path (`/v1/applications/{id}`) served by the read pipeline.
    pub read: Option<String>,
    /// A view over v3's answer to call `step` (0-based, default 0).
    pub view: Option<Spanned<String>>,
    pub step: Option<usize>,
    /// `{"message": ...}` with placeholders.
    pub message: Option<String>,
    /// The key of `message`'s object (default `message`; v1 said `success` for some deletes).
    pub key: Option<String>,
    /// v1's status (default 200).
    pub status: Option<u16>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViaDef {
    pub path: String,
    pub by: String,
    pub select: String,
    pub to: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExistsDef {
    pub path: Spanned<String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
}

/// One legacy query parameter and what becomes of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamDef {
    pub name: Spanned<String>,
    /// `page` or `per_page`: pagination roles served by the proxy.
    pub role: Option<Spanned<OneOf<Role>>>,
    /// v3 parameter it becomes.
    pub to: Option<String>,
    /// Operator filter (`gte`, `lte`, `gt`, `lt`): `created_after=X` → `created_at=gte|X`.
    pub filter: Option<Spanned<OneOf<FilterOp>>>,
    /// Value map applied before sending (`{ active = "active" }`); unknown values are sent as is.
    pub map: Option<BTreeMap<String, String>>,
    /// Comma list (at most 50 items upstream).
    #[serde(default)]
    pub list: bool,
    /// Value type check (default `string`).
    #[serde(rename = "type")]
    pub kind: Option<Spanned<OneOf<ParamType>>>,
    /// Dropped without effect on the answer (e.g. `skip_count`), with the reason.
    pub ignore: Option<String>,
    /// v3 cannot honour it: the proxy answers 422 naming this reason.
    pub unsupported: Option<String>,
    /// The value picks another response view: `{ tree = "department_tree", list = "" }`.
    pub view: Option<Spanned<BTreeMap<String, String>>>,
    /// A filter v3 has only on a related collection: fetch `path?by=value`, collect `select`
    /// from every row, and ask the primary collection for those ids (`to`), paging over them.
    pub via: Option<ViaDef>,
    pub default: Option<i64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseDef {
    /// View applied to each v3 record (`name` in this file or `file.name`).
    pub view: Spanned<String>,
    /// Default `list`.
    pub shape: Option<Spanned<OneOf<Shape>>>,
    /// JSONPath filter on the v3 records, e.g. `$[?@.status == 'complete']`.
    #[serde(rename = "where")]
    pub filter: Option<Spanned<String>>,
    /// Sorts the v3 records by this raw field (stable) before they are translated: only for a
    /// list answered whole (not paged), e.g. a job's stages in interview-plan order.
    pub order_by: Option<Spanned<String>>,
    /// With `order_by`: descending.
    #[serde(default)]
    pub desc: bool,
}

/// One operation table as written, with the place of each of its keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct OpEntry(pub BTreeMap<String, Spanned<toml::Value>>);

impl OpEntry {
    /// The table without places, for [`OpDef`].
    pub fn value(&self) -> toml::Value {
        toml::Value::Table(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                .collect(),
        )
    }

    /// Where the value of `key` is written.
    pub fn span(&self, key: &str) -> Option<std::ops::Range<usize>> {
        self.0.get(key).map(Spanned::span)
    }
}

/// A selector written in an operation: any JSONPath query, compiled while parsing.
#[derive(Debug, Clone)]
pub struct Query(pub Selector);

/// A selector naming one place (a singular path): where an operation reads or writes a field.
#[derive(Debug, Clone)]
pub struct Place(pub Selector);

impl<'de> Deserialize<'de> for Query {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Selector::parse(&text).map(Query).map_err(D::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Place {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Query(s) = Query::deserialize(d)?;
        if s.is_singular() {
            Ok(Place(s))
        } else {
            Err(D::Error::custom(format!(
                "`{}` must name one place (a singular path such as `a.b` or `$.a[0]`), not a query",
                s.text()
            )))
        }
    }
}

/// Every operation a view may apply, in file order, to each record
/// (`{ op = "rename", from = "a", to = "b" }`). The variants are the [`OpName`]s.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum OpDef {
    /// Move a value to another field name (same as `move`; reads better for flat renames).
    Rename { from: Place, to: Place },
    /// Move a value to another place, creating intermediate objects.
    Move { from: Place, to: Place },
    /// Copy a value (or the results of a JSONPath query, as an array) to another place.
    Copy { from: Query, to: Place },
    /// Set a constant. `value` is TOML; `json` is a JSON literal (TOML has no `null`).
    Set {
        to: Place,
        value: Option<toml::Value>,
        json: Option<String>,
    },
    /// Set a constant where the field is missing or null.
    Default {
        at: Place,
        value: Option<toml::Value>,
        json: Option<String>,
    },
    /// Remove fields.
    Remove { fields: Vec<Place> },
    /// Map enum values; `values` keys are the v3 values as text (`true`, `in_process`).
    Map {
        at: Place,
        values: BTreeMap<String, toml::Value>,
        /// What to do with a value not listed (default `keep`).
        other: Option<OneOf<Other>>,
    },
    /// Type conversion.
    Convert {
        at: Place,
        to: OneOf<ConversionName>,
        separator: Option<String>,
    },
    /// Wrap a value into an object: `x` → `{ key: x }`; null stays null.
    Wrap { at: Place, key: String },
    /// Put the first element of an array (or null) in place of the array.
    First { at: Place },
    /// Move the fields of an object field up into the record (overwriting), dropping the field.
    Merge { from: Place },
    /// Attach the rows a join found for this record.
    Attach {
        join: String,
        to: Place,
        /// JSONPath filter on the raw v3 rows, e.g. `$[?@.type == 'recruiter']`.
        #[serde(rename = "where")]
        filter: Option<Query>,
        /// Sort the rows by this raw field.
        order_by: Option<Place>,
        #[serde(default)]
        desc: bool,
        /// Rows whose raw boolean field is true come first.
        prefer: Option<Place>,
        /// Keep one row (or null) instead of an array.
        #[serde(default)]
        first: bool,
        /// Selector applied to each translated row (or the single one), e.g. `id`.
        select: Option<Query>,
        /// Take only the rows whose join value equals this field of the record (as it is at
        /// this point of the operations), instead of all rows the join key found.
        #[serde(rename = "match")]
        matching: Option<Place>,
    },
    /// Apply a view to each element of an array field (batched over the whole page).
    Each { at: Place, view: String },
    /// v3 `custom_fields` map → v1 `custom_fields` (flat, keyed by the slug of the display name)
    /// and `keyed_custom_fields` (as is). Null becomes two empty maps.
    CustomFields {
        from: Place,
        flat: Option<Place>,
        keyed: Option<Place>,
    },
    /// Group an array of objects into `{ key: [value, ...] }`, always emitting every listed key.
    Group {
        from: Place,
        to: Place,
        by: Place,
        value: Place,
        keys: Vec<String>,
    },
    /// Append an object to an array: `json` literal plus fields taken from the record.
    Push {
        at: Place,
        json: String,
        #[serde(default)]
        set: BTreeMap<String, Query>,
        /// Only push when this selector gives a non-null value.
        when_present: Option<Place>,
        /// Insert at the start instead of the end.
        #[serde(default)]
        front: bool,
    },
    /// Sort an array field by a field of its elements (stable).
    Sort {
        at: Place,
        by: Place,
        #[serde(default)]
        desc: bool,
    },
    /// Keep the elements of an array field that match a JSONPath filter, e.g.
    /// `$[?@.answer_type != 'instruction']` (`where`), or that are (`in`) or are not
    /// (`not_in`) among the values a query finds in the record (compared as text). Exactly
    /// one of the three.
    Filter {
        at: Place,
        #[serde(rename = "where")]
        filter: Option<Query>,
        #[serde(rename = "in")]
        among: Option<Query>,
        not_in: Option<Query>,
    },
    /// Apply `then` when the selector's value is one of `is` (or, with `present`, when the
    /// field is present and not null / absent or null), else `otherwise`.
    When {
        field: Place,
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
        at: Place,
        id: String,
        parent: String,
        children: String,
        fields: Vec<String>,
    },
    /// Keep exactly these fields in this order; a listed field that is missing is an error.
    Select { fields: Vec<String> },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_sets_parse_through_serde() {
        assert_eq!("translated".parse::<Status>(), Ok(Status::Translated));
        assert_eq!("get".parse::<Method>(), Ok(Method::Get));
        assert_eq!(Method::Get.to_string(), "GET");
        assert_eq!(
            "guide-derived".parse::<Basis>().map(Basis::as_str),
            Ok("guide-derived")
        );
        let e = "translatd".parse::<Status>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown status `translatd`; expected one of translated, partial, unsupported"
        );
        assert_eq!(
            e.hint(),
            "did you mean `translated`? expected one of translated, partial, unsupported"
        );
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(*s));
        }
    }

    #[test]
    fn every_operation_name_is_an_op_def_variant() {
        for name in OpName::NAMES {
            let mut t = toml::Table::new();
            t.insert("op".into(), toml::Value::String(name.to_string()));
            let err = toml::Value::Table(t)
                .try_into::<OpDef>()
                .expect_err("no operation is valid without its keys");
            assert!(
                !err.to_string().contains("unknown variant"),
                "{name}: {err}"
            );
        }
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("translatd", "translated"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            closest("renam", OpName::NAMES.iter().copied()),
            Some("rename")
        );
        assert_eq!(closest("zzzzzz", OpName::NAMES.iter().copied()), None);
    }
}
