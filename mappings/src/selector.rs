//! Selectors: JSONPath (RFC 9535) compiled once at load through jsonpath-rust.
//!
//! A singular path (`$.a.b`, `$['a'][0]`, or the shorthand `a.b`) compiles to a direct lookup,
//! which is several times faster than the general query engine (see docs/benchmarks.md);
//! anything else (wildcards, filters, slices, descendants) runs through jsonpath-rust.

use jsonpath_rust::parser::model::{JpQuery, Segment, Selector as JpSelector};
use jsonpath_rust::parser::parse_json_path;
use jsonpath_rust::query::js_path_process;
use serde_json::{Map, Value};

/// One step of a singular path.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Key(String),
    Index(i64),
}

#[derive(Debug, Clone)]
enum Kind {
    Singular(Vec<Step>),
    Query(Box<JpQuery>),
}

/// A compiled selector.
#[derive(Debug, Clone)]
pub struct Selector {
    text: String,
    kind: Kind,
}

/// Two selectors are equal when they were compiled from the same text.
impl PartialEq for Selector {
    fn eq(&self, other: &Selector) -> bool {
        self.text == other.text
    }
}

impl Selector {
    /// Compiles `text`. The shorthand `a.b` means `$.a.b`.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let full = if text.starts_with('$') {
            text.to_string()
        } else {
            if text.is_empty() {
                return Err("empty selector".into());
            }
            format!("$.{text}")
        };
        let query =
            parse_json_path(&full).map_err(|e| format!("invalid JSONPath `{full}`: {e}"))?;
        let mut steps = Vec::new();
        let mut singular = true;
        for seg in &query.segments {
            match seg {
                Segment::Selector(JpSelector::Name(n)) => {
                    steps.push(Step::Key(unquote(n)));
                }
                Segment::Selector(JpSelector::Index(i)) => steps.push(Step::Index(*i)),
                _ => {
                    singular = false;
                    break;
                }
            }
        }
        let kind = if singular {
            Kind::Singular(steps)
        } else {
            Kind::Query(Box::new(query))
        };
        Ok(Selector { text: full, kind })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// True for direct lookups (one value or nothing).
    pub fn is_singular(&self) -> bool {
        matches!(self.kind, Kind::Singular(_))
    }

    /// The steps of a singular selector.
    pub fn steps(&self) -> Option<&[Step]> {
        match &self.kind {
            Kind::Singular(s) => Some(s),
            Kind::Query(_) => None,
        }
    }

    /// The top-level field a singular selector starts with.
    pub fn head(&self) -> Option<&str> {
        match self.steps()?.first()? {
            Step::Key(k) => Some(k),
            Step::Index(_) => None,
        }
    }

    /// Singular: the value or `None`. Query: all results as an array.
    pub fn get<'a>(&self, v: &'a Value) -> Option<std::borrow::Cow<'a, Value>> {
        match &self.kind {
            Kind::Singular(steps) => lookup(v, steps).map(std::borrow::Cow::Borrowed),
            Kind::Query(q) => {
                let found = js_path_process(q, v).unwrap_or_default();
                Some(std::borrow::Cow::Owned(Value::Array(
                    found.into_iter().map(|r| r.val().clone()).collect(),
                )))
            }
        }
    }

    /// The value, or null when absent.
    pub fn get_or_null(&self, v: &Value) -> Value {
        self.get(v).map(|c| c.into_owned()).unwrap_or(Value::Null)
    }

    /// Query: the matching values. Singular: the value as a one-element list.
    pub fn query<'a>(&self, v: &'a Value) -> Vec<&'a Value> {
        match &self.kind {
            Kind::Singular(steps) => lookup(v, steps).into_iter().collect(),
            Kind::Query(q) => js_path_process(q, v)
                .unwrap_or_default()
                .into_iter()
                .map(|r| r.val())
                .collect(),
        }
    }

    /// Removes and returns the value at a singular path.
    pub fn take(&self, v: &mut Value) -> Option<Value> {
        let steps = self.steps()?;
        let (last, parent) = steps.split_last()?;
        let p = lookup_mut(v, parent)?;
        match (last, p) {
            (Step::Key(k), Value::Object(m)) => m.shift_remove(k),
            (Step::Index(i), Value::Array(a)) => {
                let i = index(*i, a.len())?;
                Some(a.remove(i))
            }
            _ => None,
        }
    }

    /// Writes `value` at a singular path, creating objects on the way. Returns false when the
    /// path runs through a non-object.
    pub fn put(&self, v: &mut Value, value: Value) -> bool {
        let Some(steps) = self.steps() else {
            return false;
        };
        put(v, steps, value)
    }
}

fn unquote(n: &str) -> String {
    let t = n.trim();
    if t.len() >= 2
        && ((t.starts_with('\'') && t.ends_with('\'')) || (t.starts_with('"') && t.ends_with('"')))
    {
        t[1..t.len() - 1].to_string()
    } else {
        t.to_string()
    }
}

fn index(i: i64, len: usize) -> Option<usize> {
    if i >= 0 {
        let i = i as usize;
        (i < len).then_some(i)
    } else {
        let back = i.unsigned_abs() as usize;
        (back <= len).then(|| len - back)
    }
}

fn lookup<'a>(mut v: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    for s in steps {
        v = match (s, v) {
            (Step::Key(k), Value::Object(m)) => m.get(k)?,
            (Step::Index(i), Value::Array(a)) => a.get(index(*i, a.len())?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn lookup_mut<'a>(mut v: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    for s in steps {
        v = match (s, v) {
            (Step::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => {
                let i = index(*i, a.len())?;
                a.get_mut(i)?
            }
            _ => return None,
        };
    }
    Some(v)
}

fn put(v: &mut Value, steps: &[Step], value: Value) -> bool {
    let Some((first, rest)) = steps.split_first() else {
        *v = value;
        return true;
    };
    match first {
        Step::Key(k) => {
            if v.is_null() {
                *v = Value::Object(Map::new());
            }
            let Value::Object(m) = v else {
                return false;
            };
            let slot = m.entry(k.clone()).or_insert(Value::Null);
            put(slot, rest, value)
        }
        Step::Index(i) => {
            let Value::Array(a) = v else {
                return false;
            };
            let Some(i) = index(*i, a.len()) else {
                return false;
            };
            put(&mut a[i], rest, value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn singular_paths_compile_to_lookups() {
        for p in ["a.b", "$.a.b", "$['a']['b']", "$.a[0]"] {
            assert!(Selector::parse(p).unwrap().is_singular(), "{p}");
        }
        for p in ["$.a[*]", "$..b", "$.a[?@.x == 1]", "$.a[0:2]"] {
            assert!(!Selector::parse(p).unwrap().is_singular(), "{p}");
        }
    }

    #[test]
    fn get_put_take() {
        let mut v = json!({"a": {"b": 1}, "l": [1, 2, 3]});
        let s = Selector::parse("a.b").unwrap();
        assert_eq!(s.get_or_null(&v), json!(1));
        assert_eq!(
            Selector::parse("$.l[-1]").unwrap().get_or_null(&v),
            json!(3)
        );
        assert!(Selector::parse("x.y").unwrap().put(&mut v, json!(2)));
        assert_eq!(v["x"]["y"], json!(2));
        assert_eq!(s.take(&mut v), Some(json!(1)));
        assert_eq!(v["a"], json!({}));
        let q = Selector::parse("$.l[?@ > 1]").unwrap();
        assert_eq!(q.get_or_null(&v), json!([2, 3]));
    }

    #[test]
    fn invalid_paths_are_errors() {
        assert!(Selector::parse("$.a[").is_err());
        assert!(Selector::parse("").is_err());
        assert!(Selector::parse("$[?@.a ==]").is_err());
    }
}
