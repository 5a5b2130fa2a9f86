//! Static description of v3 resources (field names, types, enums), used to validate
//! query parameters, write bodies and `fields=` projections.

pub use crate::resource_def::{Field, Kind, ResourceDef};

/// Looks up a resource definition by its path name (e.g. `candidates`).
pub fn resource(name: &str) -> Option<&'static ResourceDef> {
    crate::catalog::RESOURCES
        .binary_search_by(|r| r.name.cmp(name))
        .ok()
        .map(|i| &crate::catalog::RESOURCES[i])
}

/// All resources served by the sandbox.
pub fn resources() -> &'static [ResourceDef] {
    crate::catalog::RESOURCES
}

/// Names of the 66 resources whose schema is in `reference/v3/schemas`.
pub fn schema_resources() -> &'static [&'static str] {
    crate::catalog::SCHEMA_RESOURCES
}

/// Human label used in messages, e.g. `candidates` → `Candidate`, `eeoc` → `Eeoc`.
pub fn singular_label(name: &str) -> String {
    let singular = if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = name.strip_suffix('s') {
        stem.to_string()
    } else {
        name.to_string()
    };
    let words: Vec<String> = singular
        .split('_')
        .enumerate()
        .map(|(i, w)| {
            if i == 0 {
                let mut c = w.chars();
                match c.next() {
                    Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
                    None => String::new(),
                }
            } else {
                w.to_string()
            }
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_sorted_and_complete() {
        let names: Vec<&str> = resources().iter().map(|r| r.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert_eq!(crate::catalog::SCHEMA_RESOURCES.len(), 66);
        for r in resources() {
            assert!(r.field("id").is_some(), "{} has an id", r.name);
        }
        assert!(resource("candidates").is_some());
        assert!(resource("nope").is_none());
    }

    #[test]
    fn labels() {
        assert_eq!(singular_label("applications"), "Application");
        assert_eq!(singular_label("candidate_tags"), "Candidate tag");
        assert_eq!(singular_label("eeoc"), "Eeoc");
        assert_eq!(singular_label("job_post_locations"), "Job post location");
    }
}
