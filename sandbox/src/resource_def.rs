//! The types describing a v3 resource (its fields, their value types and enums). The catalogue
//! (`catalog.rs`, generated) is made of them; `schema` re-exports them with the lookups.

/// Value type of a field, as declared by the v3 response schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Num,
    Str,
    Bool,
    DateTime,
    Date,
    IntArray,
    StrArray,
    Array,
    Object,
    CustomFields,
    Any,
}

/// One field of a resource.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    pub enumeration: &'static [&'static str],
}

/// A v3 resource served at `GET /v3/<name>`.
#[derive(Debug)]
pub struct ResourceDef {
    pub name: &'static str,
    pub fields: &'static [Field],
}

impl ResourceDef {
    /// Looks up a field by name.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Names of all fields, in schema order.
    pub fn field_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields.iter().map(|f| f.name)
    }
}
