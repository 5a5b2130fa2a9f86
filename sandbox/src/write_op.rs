//! What a write request is (a resource, a kind of write, maybe an id) and what a successful one
//! answers. Shared by the write router, the generic record writes and the actions.

use serde_json::Value;

use crate::schema::ResourceDef;

/// What a write request does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteKind {
    Create,
    Update,
    Delete,
    /// A verb route such as `move`; the scope is `harvest:<resource>:<verb>`.
    Action(&'static str),
}

/// A routed write request.
#[derive(Debug, Clone)]
pub struct WriteOp {
    pub def: &'static ResourceDef,
    pub kind: WriteKind,
    pub id: Option<i64>,
}

impl WriteOp {
    /// OAuth scope the request needs.
    pub fn scope(&self) -> String {
        let verb = match &self.kind {
            WriteKind::Create => "create",
            WriteKind::Update => "update",
            WriteKind::Delete => "destroy",
            WriteKind::Action(a) => a,
        };
        format!("harvest:{}:{verb}", self.def.name)
    }
}

/// A successful write.
#[derive(Debug)]
pub enum Outcome {
    Object(u16, Value),
    NoContent,
}
