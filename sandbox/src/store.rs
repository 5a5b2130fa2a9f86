//! In-memory tables indexed by id (BTreeMap, so id-descending pages are range scans) with
//! secondary indexes on every integer `*_id` field (so parent-id filters are cheap).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::schema::{self, Kind, ResourceDef};

/// One resource's records.
#[derive(Debug, Clone)]
pub struct Table {
    pub def: &'static ResourceDef,
    rows: BTreeMap<i64, Value>,
    /// (field, value → ids) for every integer `*_id` field.
    fk: Vec<(&'static str, BTreeMap<i64, BTreeSet<i64>>)>,
}

impl Table {
    fn new(def: &'static ResourceDef) -> Self {
        let fk = def
            .fields
            .iter()
            .filter(|f| f.kind == Kind::Int && f.name.ends_with("_id"))
            .map(|f| (f.name, BTreeMap::new()))
            .collect();
        Table {
            def,
            rows: BTreeMap::new(),
            fk,
        }
    }

    /// All records in ascending id order.
    pub fn rows(&self) -> &BTreeMap<i64, Value> {
        &self.rows
    }

    pub fn get(&self, id: i64) -> Option<&Value> {
        self.rows.get(&id)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether `field` has a secondary index.
    pub fn is_indexed(&self, field: &str) -> bool {
        self.fk.iter().any(|(f, _)| *f == field)
    }

    /// Ids of records whose indexed `field` equals `value`.
    pub fn ids_by(&self, field: &str, value: i64) -> Option<&BTreeSet<i64>> {
        self.fk
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, m)| m.get(&value))
    }

    /// Ids of records whose `field` equals `value` (indexed or scanned), ascending.
    pub fn find_ids(&self, field: &str, value: i64) -> Vec<i64> {
        if self.is_indexed(field) {
            return self
                .ids_by(field, value)
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default();
        }
        self.rows
            .iter()
            .filter(|(_, r)| r.get(field).and_then(Value::as_i64) == Some(value))
            .map(|(id, _)| *id)
            .collect()
    }

    fn index(&mut self, id: i64, rec: &Value) {
        for (field, idx) in self.fk.iter_mut() {
            if let Some(v) = rec.get(*field).and_then(Value::as_i64) {
                idx.entry(v).or_default().insert(id);
            }
        }
    }

    fn unindex(&mut self, id: i64, rec: &Value) {
        for (field, idx) in self.fk.iter_mut() {
            if let Some(v) = rec.get(*field).and_then(Value::as_i64)
                && let Some(set) = idx.get_mut(&v)
            {
                set.remove(&id);
                if set.is_empty() {
                    idx.remove(&v);
                }
            }
        }
    }

    /// Inserts or replaces a record (it must be an object with an integer `id`).
    pub fn upsert(&mut self, rec: Value) -> Result<i64, String> {
        let id = rec
            .get("id")
            .and_then(Value::as_i64)
            .ok_or_else(|| format!("{} record without integer id", self.def.name))?;
        if !rec.is_object() {
            return Err(format!("{} record is not an object", self.def.name));
        }
        self.remove(id);
        self.index(id, &rec);
        self.rows.insert(id, rec);
        Ok(id)
    }

    pub fn remove(&mut self, id: i64) -> Option<Value> {
        let old = self.rows.remove(&id)?;
        self.unindex(id, &old);
        Some(old)
    }

    /// Highest id present.
    pub fn max_id(&self) -> Option<i64> {
        self.rows.keys().next_back().copied()
    }
}

/// Every table of a sandbox.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    tables: BTreeMap<&'static str, Table>,
    /// Users hidden from `GET /v3/users` unless `show_service_accounts=true`.
    pub service_user_ids: BTreeSet<i64>,
}

impl Dataset {
    /// An empty table for every known resource.
    pub fn empty() -> Self {
        let tables = schema::resources()
            .iter()
            .map(|d| (d.name, Table::new(d)))
            .collect();
        Dataset {
            tables,
            service_user_ids: BTreeSet::new(),
        }
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    pub fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        self.tables.get_mut(name)
    }

    /// Names of all tables.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.tables.keys().copied()
    }

    pub fn get(&self, name: &str, id: i64) -> Option<&Value> {
        self.tables.get(name)?.get(id)
    }

    /// Inserts or replaces a record in `name`.
    pub fn upsert(&mut self, name: &str, rec: Value) -> Result<i64, String> {
        self.tables
            .get_mut(name)
            .ok_or_else(|| format!("unknown resource {name}"))?
            .upsert(rec)
    }

    pub fn remove(&mut self, name: &str, id: i64) -> Option<Value> {
        self.tables.get_mut(name)?.remove(id)
    }

    /// Applies `f` to a record and re-indexes it. Returns the updated record.
    pub fn modify<F: FnOnce(&mut serde_json::Map<String, Value>)>(
        &mut self,
        name: &str,
        id: i64,
        f: F,
    ) -> Option<Value> {
        let table = self.tables.get_mut(name)?;
        let mut rec = table.remove(id)?;
        if let Some(obj) = rec.as_object_mut() {
            f(obj);
            obj.insert("id".into(), Value::from(id));
        }
        let out = rec.clone();
        let _ = table.upsert(rec);
        Some(out)
    }

    /// Next free id of a table (max + 1, or `base` when empty).
    pub fn next_id(&self, name: &str, base: i64) -> i64 {
        self.tables
            .get(name)
            .and_then(Table::max_id)
            .map(|m| m + 1)
            .unwrap_or(base)
            .max(base)
    }

    /// Records of a resource in id-descending order (the order the API serves).
    pub fn records_desc(&self, name: &str) -> Vec<Value> {
        self.tables
            .get(name)
            .map(|t| t.rows.values().rev().cloned().collect())
            .unwrap_or_default()
    }

    /// Total record count.
    pub fn total(&self) -> usize {
        self.tables.values().map(Table::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn index_follows_updates() {
        let mut d = Dataset::empty();
        d.upsert("applications", json!({"id": 5, "candidate_id": 9}))
            .unwrap();
        d.upsert("applications", json!({"id": 6, "candidate_id": 9}))
            .unwrap();
        let t = d.table("applications").unwrap();
        assert_eq!(t.find_ids("candidate_id", 9), vec![5, 6]);
        d.modify("applications", 5, |o| {
            o.insert("candidate_id".into(), json!(10));
        });
        let t = d.table("applications").unwrap();
        assert_eq!(t.find_ids("candidate_id", 9), vec![6]);
        assert_eq!(t.find_ids("candidate_id", 10), vec![5]);
        d.remove("applications", 6);
        assert!(
            d.table("applications")
                .unwrap()
                .find_ids("candidate_id", 9)
                .is_empty()
        );
        assert!(d.upsert("applications", json!({"x": 1})).is_err());
        assert!(d.upsert("nope", json!({"id": 1})).is_err());
        assert_eq!(d.next_id("applications", 100), 100);
        assert_eq!(d.next_id("applications", 1), 6);
    }
}
