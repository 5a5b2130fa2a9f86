//! Every answer the proxy gives on failure, in v1's error shape.

use serde_json::{Value, json};

use harvest_mappings::ReadError;
use harvest_mappings::engine::FetchError;
use harvest_mappings::write::{Outcome, WriteError};

/// A v1-shaped error: status, body, and extra headers (e.g. `Retry-After`).
#[derive(Debug, Clone, PartialEq)]
pub struct V1Error {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl V1Error {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        V1Error {
            status,
            body: json!({ "message": message.into() }),
            headers: Vec::new(),
        }
    }

    /// v1's validation error: `{"message":"Validation error","errors":[{"message","field"}]}`.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        V1Error {
            status: 422,
            body: json!({"message": "Validation error", "errors": [{"message": message.into(), "field": field}]}),
            headers: Vec::new(),
        }
    }

    pub fn unauthorized(message: &str) -> Self {
        let mut e = V1Error::new(401, message);
        e.headers
            .push(("WWW-Authenticate".into(), "Basic realm=\"Harvest\"".into()));
        e
    }

    /// The proxy is at a limit: 503 with `Retry-After` (seconds), in v1's shape.
    pub fn overloaded(why: &str, retry_after: u64) -> Self {
        V1Error::new(
            503,
            format!("{why}; retry after the number of seconds in Retry-After"),
        )
        .retry_after(retry_after.max(1))
    }

    /// The same, with a `Retry-After` header of `seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.headers
            .push(("Retry-After".into(), seconds.to_string()));
        self
    }

    pub fn not_found() -> Self {
        V1Error::new(404, "Resource not found")
    }

    /// Every way a legacy read fails, as v1 answered it: the one mapping from the pipeline's
    /// errors to v1 answers.
    pub fn from_read(e: &ReadError) -> Self {
        match e {
            ReadError::NotFound | ReadError::BadId { .. } => V1Error::not_found(),
            ReadError::MethodNotAllowed {
                method,
                path,
                allowed,
            } => V1Error::new(
                // v1 answered a method it did not route on a path as any unknown route: 404
                // (its answers were 401, 403, 404, 422, 429 and 500; clients know no 405).
                404,
                format!(
                    "Resource not found: {method} is not served on {path} (v1 served {} there)",
                    allowed.join(", ")
                ),
            ),
            ReadError::Validation { param, message } => {
                V1Error::validation(param, format!("{param}: {message}"))
            }
            ReadError::UnsupportedParam { param, reason } => V1Error::validation(
                param,
                format!("{param} is not supported by harvest-proxy: {reason}"),
            ),
            ReadError::Unsupported { .. } => V1Error::new(501, e.to_string()),
            ReadError::Upstream(f) => V1Error::from_upstream(f),
            ReadError::Untranslatable { .. } | ReadError::Mapping { .. } => {
                V1Error::new(502, e.to_string())
            }
        }
    }

    /// A failed legacy write as v1 answered it, and its outcome (`not_applied`, `partial`,
    /// `unknown`). Partial and unknown outcomes say so in the body, with the v3 calls made.
    pub fn from_write(e: &WriteError) -> (Self, &'static str) {
        match e {
            WriteError::Read(r) => (V1Error::from_read(r), Outcome::NotApplied.as_str()),
            WriteError::ActingUser(m) => (
                V1Error::validation("On-Behalf-Of", m.clone()),
                Outcome::NotApplied.as_str(),
            ),
            WriteError::BadBody(m) => (V1Error::new(400, m.clone()), Outcome::NotApplied.as_str()),
            WriteError::Invalid { field, message } => (
                V1Error::validation(field, format!("{field} {message}")),
                Outcome::NotApplied.as_str(),
            ),
            WriteError::Failed {
                outcome,
                message,
                upstream,
                calls,
            } => {
                let mut err = match (outcome, upstream) {
                    (Outcome::NotApplied, Some(f)) => V1Error::from_upstream(f),
                    (Outcome::Unknown, _) => V1Error::new(
                        502,
                        format!(
                            "{message}. The outcome is unknown: Harvest v3 did not say whether the write was applied, and reading it back could not tell. Check before repeating it."
                        ),
                    ),
                    _ => V1Error::new(502, message.clone()),
                };
                if let Value::Object(m) = &mut err.body {
                    m.insert("outcome".into(), json!(outcome.as_str()));
                    let undo_ran = calls.iter().any(|c| c.undone.is_some());
                    if *outcome != Outcome::NotApplied || undo_ran {
                        m.insert("v3_calls".into(), calls.iter().map(call_json).collect());
                    }
                    if undo_ran {
                        // What the proxy undid after the failure, and what stays in v3.
                        let (undone, remains): (Vec<_>, Vec<_>) = calls
                            .iter()
                            .filter(|c| c.applied == Some(true) && c.undoes.is_none())
                            .partition(|c| c.undone == Some(true));
                        m.insert("undone".into(), undone.into_iter().map(call_json).collect());
                        m.insert(
                            "remains".into(),
                            remains.into_iter().map(call_json).collect(),
                        );
                    }
                }
                (err, outcome.as_str())
            }
        }
    }

    /// A v3 failure as v1 would have answered it.
    pub fn from_upstream(e: &FetchError) -> Self {
        if e.timeout {
            return V1Error::new(
                504,
                "Harvest v3 did not answer in time (upstream timeout); try again",
            );
        }
        if e.message.starts_with(crate::reader::TOKEN_FAILURE) {
            return V1Error::new(502, format!("harvest-proxy {}", e.message));
        }
        match e.status {
            0 => V1Error::new(
                502,
                format!("Harvest v3 could not be reached: {}", e.message),
            ),
            200..=299 => V1Error::new(
                502,
                format!("Harvest v3 sent an unusable answer: {}", e.message),
            ),
            401 => V1Error::new(
                502,
                "Harvest v3 refused the proxy's OAuth credentials; the operator must check the tenant's client id, secret and read_as user",
            ),
            403 => V1Error::new(
                403,
                format!("Harvest v3 refused the request: {}", upstream_message(e)),
            ),
            404 => V1Error::not_found(),
            422 => V1Error {
                status: 422,
                body: json!({"message": "Validation error", "errors": v1_errors(e.body.as_ref())}),
                headers: Vec::new(),
            },
            429 => V1Error::new(
                429,
                "Rate limit exceeded; retry after the number of seconds in Retry-After",
            )
            .retry_after(e.retry_after.unwrap_or(1)),
            s if s >= 500 => V1Error::new(
                502,
                format!("Harvest v3 failed with status {s}; try again later"),
            ),
            s => V1Error::new(
                502,
                format!(
                    "Harvest v3 answered an unexpected status {s}: {}",
                    upstream_message(e)
                ),
            ),
        }
    }
}

fn upstream_message(e: &FetchError) -> String {
    e.body
        .as_ref()
        .and_then(|b| b.get("message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| e.message.clone())
}

/// v3 422 `errors` come as strings, `{field: message}` objects or `{message, field}` objects
/// (v3-platform.md §6.8): all become v1's `{message, field}`.
pub fn v1_errors(body: Option<&Value>) -> Value {
    let mut out = Vec::new();
    let errors = body.and_then(|b| b.get("errors"));
    match errors {
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) => out.push(json!({"message": s, "field": null})),
                    Value::Object(m) if m.contains_key("message") => out.push(json!({
                        "message": m.get("message").cloned().unwrap_or(Value::Null),
                        "field": m.get("field").cloned().unwrap_or(Value::Null),
                    })),
                    Value::Object(m) => {
                        for (field, msg) in m {
                            let msg = msg
                                .as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| msg.to_string());
                            out.push(json!({"message": msg, "field": field}));
                        }
                    }
                    other => out.push(json!({"message": other.to_string(), "field": null})),
                }
            }
        }
        _ => {
            let msg = body
                .and_then(|b| b.get("message"))
                .cloned()
                .unwrap_or(json!("Unprocessable Content"));
            out.push(json!({"message": msg, "field": null}));
        }
    }
    Value::Array(out)
}

/// One v3 call of a failed write as the client is told of it: method, path (no query),
/// status, applied; the id of the record it created, whether it was undone, and for an undo
/// call the index of the call it undoes, when they apply.
fn call_json(c: &harvest_mappings::write::CallRecord) -> Value {
    let mut v = json!({"method": c.method, "path": c.target.split('?').next().unwrap_or(""), "status": c.status, "applied": c.applied});
    if let Value::Object(m) = &mut v {
        if let Some(id) = &c.id {
            m.insert("id".into(), id.clone());
        }
        if let Some(u) = c.undone {
            m.insert("undone".into(), json!(u));
        }
        if let Some(i) = c.undoes {
            m.insert("undoes".into(), json!(i));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fe(status: u16, body: Value) -> FetchError {
        FetchError {
            status,
            message: "x".into(),
            body: Some(body),
            retry_after: None,
            timeout: false,
        }
    }

    #[test]
    fn all_three_422_shapes_become_v1() {
        let b = json!({"message": "Unprocessable Content", "errors": ["a", {"per_page": "too big"}, {"message": "m", "field": "f"}]});
        let e = V1Error::from_upstream(&fe(422, b));
        assert_eq!(e.status, 422);
        assert_eq!(
            e.body,
            json!({"message": "Validation error", "errors": [
                {"message": "a", "field": null},
                {"message": "too big", "field": "per_page"},
                {"message": "m", "field": "f"}
            ]})
        );
        let e = V1Error::from_upstream(&fe(422, json!({"errors": []})));
        assert_eq!(e.body["errors"], json!([]));
    }

    #[test]
    fn every_read_error_has_its_v1_answer() {
        let cases = [
            (ReadError::NotFound, 404),
            (
                ReadError::BadId {
                    param: "id".into(),
                    value: "x".into(),
                },
                404,
            ),
            (
                ReadError::MethodNotAllowed {
                    method: "PUT".into(),
                    path: "/v1/users".into(),
                    allowed: vec!["GET".into(), "POST".into()],
                },
                404,
            ),
            (
                ReadError::Validation {
                    param: "per_page".into(),
                    message: "must be between 1 and 500".into(),
                },
                422,
            ),
            (
                ReadError::UnsupportedParam {
                    param: "type".into(),
                    reason: "v3 has no such filter".into(),
                },
                422,
            ),
            (
                ReadError::Unsupported {
                    route: "POST /v1/x".into(),
                    reason: "r".into(),
                    instead: "POST /v3/x".into(),
                },
                501,
            ),
            (ReadError::Upstream(fe(503, json!({}))), 502),
            (
                ReadError::Untranslatable {
                    route: "GET /v1/x".into(),
                    view: "x.y".into(),
                    id: "1".into(),
                    message: "m".into(),
                },
                502,
            ),
        ];
        for (e, status) in cases {
            let v1 = V1Error::from_read(&e);
            assert_eq!(v1.status, status, "{e:?}");
            assert!(v1.body["message"].is_string(), "{e:?}: {}", v1.body);
        }
        let v = V1Error::from_read(&ReadError::Validation {
            param: "page".into(),
            message: "m".into(),
        });
        assert_eq!(
            v.body["errors"][0],
            json!({"message": "page: m", "field": "page"})
        );
    }

    #[test]
    fn status_mapping() {
        assert_eq!(V1Error::from_upstream(&fe(503, json!({}))).status, 502);
        assert_eq!(V1Error::from_upstream(&fe(401, json!({}))).status, 502);
        assert_eq!(V1Error::from_upstream(&fe(404, json!({}))).status, 404);
        let mut r = fe(429, json!({}));
        r.retry_after = Some(7);
        let e = V1Error::from_upstream(&r);
        assert_eq!((e.status, e.headers[0].1.as_str()), (429, "7"));
        let t = FetchError {
            status: 0,
            message: "t".into(),
            body: None,
            retry_after: None,
            timeout: true,
        };
        assert_eq!(V1Error::from_upstream(&t).status, 504);
    }
}
