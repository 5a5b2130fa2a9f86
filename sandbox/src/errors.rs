//! v3-shaped error responses.

use serde_json::{Value, json};

/// An error answer: status + JSON body (+ extra headers).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(status: u16, body: Value) -> Self {
        ApiError {
            status,
            body,
            headers: Vec::new(),
        }
    }

    /// 422 `{"message":"Unprocessable Content","errors":[...]}`.
    pub fn unprocessable(errors: Vec<Value>) -> Self {
        Self::new(
            422,
            json!({"message": "Unprocessable Content", "errors": errors}),
        )
    }

    /// 422 with one `{field: message}` entry.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::unprocessable(vec![field_entry(field, message)])
    }

    /// The entries of the body's `errors` array (empty when there is none).
    pub fn entries(&self) -> Vec<Value> {
        self.body
            .get("errors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// 422 with one string entry.
    pub fn message(message: impl Into<String>) -> Self {
        Self::unprocessable(vec![Value::String(message.into())])
    }

    /// 404 `{"message":"Resource not found"}`.
    pub fn not_found() -> Self {
        Self::new(404, json!({"message": "Resource not found"}))
    }

    /// 401 as v3 answers an absent/undecodable/expired bearer token.
    pub fn unauthorized() -> Self {
        Self::new(
            401,
            json!({"message": "Unauthorized", "errors": ["Token could not be decoded. Please ensure your token is from a trusted source."]}),
        )
    }

    /// 403 with a reason.
    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::new(
            403,
            json!({"message": "Forbidden", "errors": [reason.into()]}),
        )
    }

    /// 400 with a reason.
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(
            400,
            json!({"message": "Bad Request", "errors": [reason.into()]}),
        )
    }
}

/// One `{field: message}` entry of a 422 `errors` array.
pub fn field_entry(field: &str, message: impl Into<String>) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(field.to_string(), Value::String(message.into()));
    Value::Object(m)
}
