//! Organisation-level lookups: roles, departments, offices, users, custom fields, sources,
//! reasons, tags, prospect pools, demographics, templates and similar small tables.

use serde_json::{Value, json};

use super::{CustomFieldDef, DAY, Gen, iso, names};
use crate::config::{CredentialUser, SERVICE_ACCOUNT_USER_ID};
use crate::time;

fn stamps(g: &mut Gen, from_year: i64, to_year: i64) -> (String, String) {
    let from = time::ms_of_date(from_year, 1, 1);
    let to = time::ms_of_date(to_year, 12, 31).min(g.now);
    let c = g.between(from, to);
    let u = g.after(c, 600);
    (iso(c), iso(u))
}

pub(super) fn generate(g: &mut Gen, cred_users: &[CredentialUser]) {
    roles(g);
    departments(g);
    offices(g);
    interviewer_tags(g);
    custom_fields(g);
    users(g, cred_users);
    sources(g);
    rejection_reasons(g);
    close_reasons(g);
    referrers(g);
    tags(g);
    pools(g);
    demographics(g);
    email_templates(g);
    blocked_spam_sources(g);
    job_board_custom_locations(g);
    pay_inputs(g);
    bulk_requests(g);
}

fn roles(g: &mut Gen) {
    for (role_type, name) in [
        ("site_admin", "Site Admin"),
        ("job_admin", "Job Admin: Standard"),
        ("job_admin", "Job Admin: Hiring Manager"),
        ("job_admin", "Job Admin: Recruiting"),
        ("job_admin", "Job Admin: Private"),
        ("deprecated_interviewer", "Interviewer"),
    ] {
        let id = g.id("user_roles");
        let (c, u) = stamps(g, 2016, 2018);
        push!(
            g,
            "user_roles",
            json!({"id": id, "created_at": c, "updated_at": u, "role_type": role_type, "name": name})
        );
        if role_type == "job_admin" {
            g.role_ids.push((id, role_type));
        }
    }
}

fn departments(g: &mut Gen) {
    let tree: &[(&str, &str, Option<usize>)] = &[
        ("Engineering", "ENG", None),
        ("Platform", "ENG-PLT", Some(0)),
        ("Data", "ENG-DATA", Some(0)),
        ("Security", "ENG-SEC", Some(0)),
        ("Product", "PROD", None),
        ("Design", "PROD-DES", Some(4)),
        ("Sales", "SALES", None),
        ("Sales EMEA", "SALES-EMEA", Some(6)),
        ("Customer Success", "CS", None),
        ("People", "PPL", None),
        ("Finance", "FIN", None),
        ("Legal", "LEGAL", None),
    ];
    for (name, ext, parent) in tree {
        let id = g.id("departments");
        let parent_id = parent.and_then(|p| g.department_ids.get(p).copied());
        let (c, u) = stamps(g, 2017, 2022);
        let ext = if g.chance(0.85) {
            json!(ext)
        } else {
            Value::Null
        };
        push!(
            g,
            "departments",
            json!({"id": id, "created_at": c, "updated_at": u, "name": name, "parent_id": parent_id, "external_id": ext})
        );
        g.department_ids.push(id);
    }
}

fn offices(g: &mut Gen) {
    let tree: &[(&str, &str, &str, Option<usize>)] = &[
        ("New York", "NYC", "New York, NY, United States", None),
        ("Brooklyn", "NYC-BK", "Brooklyn, NY, United States", Some(0)),
        (
            "San Francisco",
            "SF",
            "San Francisco, CA, United States",
            None,
        ),
        ("London", "LDN", "London, United Kingdom", None),
        ("Berlin", "BER", "Berlin, Germany", None),
        ("Toronto", "TOR", "Toronto, ON, Canada", None),
        ("Remote", "REMOTE", "", None),
        ("Remote - EMEA", "REMOTE-EMEA", "", Some(6)),
    ];
    for (name, ext, loc, parent) in tree {
        let id = g.id("offices");
        let parent_id = parent.and_then(|p| g.office_ids.get(p).copied());
        let (c, u) = stamps(g, 2017, 2022);
        let location = if loc.is_empty() {
            Value::Null
        } else {
            json!(loc)
        };
        push!(
            g,
            "offices",
            json!({"id": id, "created_at": c, "updated_at": u, "name": name, "parent_id": parent_id,
            "external_id": if g.chance(0.85) { json!(ext) } else { Value::Null }, "location": location,
            "primary_in_house_contact_user_id": Value::Null})
        );
        g.office_ids.push(id);
        g.office_locations.insert(
            id,
            if loc.is_empty() {
                name.to_string()
            } else {
                loc.to_string()
            },
        );
    }
}

fn interviewer_tags(g: &mut Gen) {
    for name in [
        "Bar Raiser",
        "Technical",
        "Culture",
        "Executive",
        "Hiring Committee",
        "Shadow",
    ] {
        let id = g.id("interviewer_tags");
        let (c, u) = stamps(g, 2018, 2023);
        push!(
            g,
            "interviewer_tags",
            json!({"id": id, "created_at": c, "updated_at": u, "name": name})
        );
    }
}

/// Where a custom field's options come from.
#[derive(Clone, Copy)]
enum FieldOptions {
    None,
    /// Graduation years 2005..=2025.
    Years,
    List(&'static [&'static str]),
}

impl FieldOptions {
    fn names(self) -> Vec<String> {
        match self {
            FieldOptions::None => Vec::new(),
            FieldOptions::Years => (2005..=2025).map(|y: i32| y.to_string()).collect(),
            FieldOptions::List(v) => v.iter().map(|x| x.to_string()).collect(),
        }
    }
}

/// (name_key, name, field_type, value_type, internal_type, options)
type FieldSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    FieldOptions,
);

/// The generated custom fields, in sort order.
const FIELD_SPECS: &[FieldSpec] = &[
    (
        "desired_salary",
        "Desired Salary",
        "candidate",
        "short_text",
        None,
        FieldOptions::None,
    ),
    (
        "willing_to_relocate",
        "Willing to Relocate",
        "candidate",
        "yes_no",
        None,
        FieldOptions::None,
    ),
    (
        "graduation_year_1",
        "Graduation Year",
        "candidate",
        "single_select",
        None,
        FieldOptions::Years,
    ),
    (
        "notice_period",
        "Notice Period",
        "application",
        "short_text",
        None,
        FieldOptions::None,
    ),
    (
        "work_authorization",
        "Work Authorization",
        "application",
        "single_select",
        None,
        FieldOptions::List(&["Citizen", "Visa required", "Permanent resident"]),
    ),
    (
        "employment_type",
        "Employment Type",
        "job",
        "single_select",
        Some("employment_type"),
        FieldOptions::List(&["Full-time", "Part-time", "Contract", "Intern"]),
    ),
    (
        "salary_range",
        "Salary Range",
        "job",
        "currency_range",
        None,
        FieldOptions::None,
    ),
    (
        "cost_center",
        "Cost Center",
        "opening",
        "short_text",
        None,
        FieldOptions::None,
    ),
    (
        "offer_employment_type",
        "Employment Type",
        "offer",
        "single_select",
        None,
        FieldOptions::List(&["Full-time", "Part-time", "Contract"]),
    ),
    (
        "base_salary",
        "Base Salary",
        "offer",
        "short_text",
        None,
        FieldOptions::None,
    ),
    (
        "sign_on_bonus",
        "Signing Bonus",
        "offer",
        "short_text",
        None,
        FieldOptions::None,
    ),
    (
        "relocation",
        "Relocation Package",
        "offer",
        "yes_no",
        None,
        FieldOptions::None,
    ),
    (
        "start_date",
        "Start Date",
        "offer",
        "date",
        Some("start_date"),
        FieldOptions::None,
    ),
    (
        "recruiting_region",
        "Recruiting Region",
        "user_attribute",
        "single_select",
        None,
        FieldOptions::List(&["East", "West", "EMEA", "APAC"]),
    ),
    (
        "rejection_feedback",
        "Rejection Feedback",
        "rejection_question",
        "long_text",
        None,
        FieldOptions::None,
    ),
    (
        "referral_relationship",
        "How do you know the candidate?",
        "referral_question",
        "single_select",
        None,
        FieldOptions::List(&["Former colleague", "Friend", "Classmate"]),
    ),
    (
        "school_name",
        "School Name",
        "standard",
        "single_select",
        Some("school_name"),
        FieldOptions::List(names::SCHOOLS),
    ),
    (
        "degree",
        "Degree",
        "standard",
        "single_select",
        Some("degree"),
        FieldOptions::List(names::DEGREES),
    ),
    (
        "discipline",
        "Discipline",
        "standard",
        "single_select",
        Some("discipline"),
        FieldOptions::List(names::DISCIPLINES),
    ),
    (
        "pay_frequency",
        "Pay Frequency",
        "compensation_frequency",
        "single_select",
        None,
        FieldOptions::List(&["Annually", "Monthly", "Hourly"]),
    ),
];

fn custom_fields(g: &mut Gen) {
    for (sort, spec) in FIELD_SPECS.iter().enumerate() {
        custom_field(g, sort, spec);
    }
    custom_field_scopes(g);
}

/// One custom field with its options.
fn custom_field(g: &mut Gen, sort: usize, spec: &FieldSpec) {
    let &(key, name, field_type, value_type, internal, opts) = spec;
    let opts = opts.names();
    let id = g.id("custom_fields");
    let (c, u) = stamps(g, 2018, 2024);
    let private = field_type == "offer" && g.chance(0.5);
    let application_type = if field_type == "application" {
        json!("all_applications")
    } else {
        Value::Null
    };
    let desc = if g.chance(0.4) {
        json!(format!("{name} as captured by the recruiting team"))
    } else {
        Value::Null
    };
    let rec = json!({
        "id": id, "created_at": c, "updated_at": u, "field_type": field_type, "sort_order": sort,
        "name": name, "value_type": value_type, "private": private, "required": g.chance(0.2),
        "require_approval": field_type == "offer" && g.chance(0.3), "trigger_new_version": field_type == "offer",
        "active": if g.chance(0.05) { Value::Null } else { json!(true) },
        "updated_by_id": Value::Null, "internal_type": internal, "expose_in_job_board_api": field_type == "job" && g.chance(0.5),
        "placeholder": Value::Null, "name_key": key, "description": desc, "application_type": application_type,
        "api_only": if g.chance(0.5) { json!(false) } else { Value::Null },
        "use_for_job_approvals": if field_type == "job" { json!(g.chance(0.5)) } else { Value::Null },
        "use_for_offer_approvals": if field_type == "offer" { json!(g.chance(0.5)) } else { Value::Null },
        "template_token_string": if field_type == "offer" { json!(format!("{{{{{}}}}}", key.to_uppercase())) } else { Value::Null },
        "default_value": Value::Null,
    });
    push!(g, "custom_fields", rec);
    let options = custom_field_options(g, id, key, &opts);
    g.custom_fields.push(CustomFieldDef {
        id,
        name_key: key,
        name,
        value_type,
        field_type,
        options,
    });
}

/// The options of custom field `id`: (option id, name).
fn custom_field_options(g: &mut Gen, id: i64, key: &str, opts: &[String]) -> Vec<(i64, String)> {
    let mut options = Vec::new();
    for (i, o) in opts.iter().enumerate() {
        let oid = g.id("custom_field_options");
        let (c, u) = stamps(g, 2018, 2024);
        let ext = if g.chance(0.3) {
            json!(format!("{}-{}", key.to_uppercase(), i))
        } else {
            Value::Null
        };
        push!(
            g,
            "custom_field_options",
            json!({"id": oid, "created_at": c, "updated_at": u, "custom_field_id": id,
            "name": o, "external_id": ext, "sort_order": i, "active": g.chance(0.95)})
        );
        options.push((oid, o.clone()));
    }
    options
}

/// Department/office scoping of a few job and offer fields.
fn custom_field_scopes(g: &mut Gen) {
    let scoped: Vec<i64> = g
        .custom_fields
        .iter()
        .filter(|d| d.field_type == "job" || d.field_type == "offer")
        .map(|d| d.id)
        .collect();
    for cf in scoped {
        if g.chance(0.5) {
            let dept = g.pick(&g.department_ids.clone());
            let id = g.id("custom_field_departments");
            let (c, u) = stamps(g, 2020, 2024);
            push!(
                g,
                "custom_field_departments",
                json!({"id": id, "created_at": c, "updated_at": u, "custom_field_id": cf, "department_id": dept})
            );
        }
        if g.chance(0.5) {
            let office = g.pick(&g.office_ids.clone());
            let id = g.id("custom_field_offices");
            let (c, u) = stamps(g, 2020, 2024);
            push!(
                g,
                "custom_field_offices",
                json!({"id": id, "created_at": c, "updated_at": u, "custom_field_id": cf, "office_id": office})
            );
        }
    }
}

/// (id, site_admin, deactivated, service)
type UserSpec = (i64, bool, bool, bool);

fn users(g: &mut Gen, cred_users: &[CredentialUser]) {
    let tag_ids = interviewer_tag_ids(g);
    for spec in user_specs(g, cred_users) {
        user(g, spec, &tag_ids);
    }
    office_contacts(g);
    future_job_permissions(g);
}

/// (id, name) of every interviewer tag.
fn interviewer_tag_ids(g: &Gen) -> Vec<(i64, String)> {
    g.ds.table("interviewer_tags")
        .map(|t| {
            t.rows()
                .values()
                .filter_map(|r| {
                    Some((r.get("id")?.as_i64()?, r.get("name")?.as_str()?.to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The service account, the credential users, then the generated users.
fn user_specs(g: &mut Gen, cred_users: &[CredentialUser]) -> Vec<UserSpec> {
    let mut specs: Vec<UserSpec> = vec![(SERVICE_ACCOUNT_USER_ID, true, false, true)];
    for u in cred_users {
        if u.id != SERVICE_ACCOUNT_USER_ID {
            specs.push((u.id, u.site_admin, false, false));
        }
    }
    let n = g.scaled(80.0).max(12);
    for i in 0..n {
        let id = g.id("users");
        if specs.iter().any(|s| s.0 == id) {
            continue;
        }
        let admin = g.chance(0.1);
        // the first generated user is always active, so there is someone to assign work to
        let deact = i > 0 && g.chance(0.08);
        specs.push((id, admin, deact, false));
    }
    specs
}

/// One user with its emails; records the user in the shared context.
fn user(g: &mut Gen, (id, site_admin, deactivated, service): UserSpec, tag_ids: &[(i64, String)]) {
    let (first, last) = if service {
        ("Integration".to_string(), "Service User".to_string())
    } else {
        g.person_name()
    };
    let slug = format!("{}.{}", first.to_lowercase(), last.to_lowercase()).replace(['\'', ' '], "");
    let primary = if service {
        format!("integration-{id}@service.acme.example")
    } else {
        format!("{slug}.{id}@acme.example")
    };
    let mut emails = vec![primary.clone()];
    let secondary = !service && g.chance(0.3);
    if secondary {
        emails.push(format!("{slug}@acme-recruiting.example"));
    }
    let (c, u) = stamps(g, 2016, 2025);
    let offices = g.sample_n(&g.office_ids.clone(), 0, 2);
    let depts = g.sample_n(&g.department_ids.clone(), 0, 2);
    let itags: Vec<Value> = g
        .sample_n(tag_ids, 0, 2)
        .into_iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    let custom = if service {
        json!({})
    } else {
        g.custom_fields_for("user_attribute", 0.7)
    };
    let title = if service {
        Value::Null
    } else {
        json!(g.pick(names::TITLES))
    };
    let employee_id = if !service && g.chance(0.7) {
        json!(format!("E-{}", 1000 + (id % 100_000)))
    } else {
        Value::Null
    };
    let emails_v = if g.chance(0.05) {
        Value::Null
    } else {
        json!(emails)
    };
    push!(
        g,
        "users",
        json!({
            "id": id, "created_at": c, "updated_at": u, "first_name": first, "last_name": last,
            "primary_email": primary, "job_title": title, "agency_id": Value::Null,
            "name": format!("{first} {last}"), "deactivated": deactivated, "site_admin": site_admin,
            "employee_id": employee_id, "linked_candidate_ids": [], "office_ids": offices,
            "department_ids": depts, "interviewer_tags": itags, "emails": emails_v, "custom_fields": custom,
        })
    );
    user_emails(g, id, (&c, &u), &emails);
    g.user_ids.push(id);
    g.user_names.insert(id, (first, last));
    g.user_emails.insert(id, primary);
    if service {
        g.ds.service_user_ids.insert(id);
    } else if !deactivated {
        g.active_user_ids.push(id);
    }
}

/// The `user_emails` rows of a user (the first is the verified primary).
fn user_emails(g: &mut Gen, id: i64, (c, u): (&str, &str), emails: &[String]) {
    for (i, e) in emails.iter().enumerate() {
        let eid = g.id("user_emails");
        let created = super::time::parse_iso(c).unwrap_or(g.now);
        let sent = if i > 0 {
            Gen::ts(Some(g.after(created, 30)))
        } else {
            Value::Null
        };
        push!(
            g,
            "user_emails",
            json!({"id": eid, "created_at": c, "updated_at": u, "user_id": id, "email": e,
            "verified": i == 0 || g.chance(0.6), "verification_token_sent_at": sent})
        );
    }
}

/// Primary in-house contacts of offices.
fn office_contacts(g: &mut Gen) {
    let office_ids = g.office_ids.clone();
    for oid in office_ids {
        if g.chance(0.6) {
            let uid = g.pick(&g.active_user_ids.clone());
            g.ds.modify("offices", oid, |o| {
                o.insert("primary_in_house_contact_user_id".into(), json!(uid));
            });
        }
    }
}

/// Future job permissions for a few users (always the first two).
fn future_job_permissions(g: &mut Gen) {
    let users = g.active_user_ids.clone();
    for (i, uid) in users.into_iter().enumerate() {
        if i < 2 || g.chance(0.15) {
            let id = g.id("future_job_permissions");
            let (c, u) = stamps(g, 2020, 2025);
            let role = g.pick(&g.role_ids.clone()).0;
            let dept = if g.chance(0.6) {
                json!(g.pick(&g.department_ids.clone()))
            } else {
                Value::Null
            };
            let office = if g.chance(0.5) {
                json!(g.pick(&g.office_ids.clone()))
            } else {
                Value::Null
            };
            push!(
                g,
                "future_job_permissions",
                json!({"id": id, "created_at": c, "updated_at": u, "department_id": dept,
                "user_id": uid, "office_id": office, "role_id": role})
            );
        }
    }
}

fn sources(g: &mut Gen) {
    let sources: &[(&str, i64, &str)] = &[
        ("LinkedIn", 1, "Job Board"),
        ("Indeed", 1, "Job Board"),
        ("Company Website", 2, "Company Marketing"),
        ("Employee Referral", 3, "Referral"),
        ("Agency: TalentCo", 4, "Agency"),
        ("LinkedIn (Prospecting)", 5, "Prospecting"),
        ("GitHub Sourcing", 5, "Prospecting"),
        ("Meetup", 6, "Events"),
        ("Career Fair", 6, "Events"),
        ("Glassdoor", 1, "Job Board"),
        ("Twitter", 2, "Company Marketing"),
        ("Internal Applicant", 7, "Other"),
    ];
    for (name, tid, tname) in sources {
        let id = g.id("sources");
        let (c, u) = stamps(g, 2017, 2022);
        push!(
            g,
            "sources",
            json!({"id": id, "created_at": c, "updated_at": u, "name": name, "type": {"id": tid, "name": tname}})
        );
        g.source_ids.push(id);
    }
}

fn rejection_reasons(g: &mut Gen) {
    let reasons: &[(&str, i64, &str, &str)] = &[
        (
            "Lacking skill(s)/qualification(s)",
            1,
            "WE_REJECTED_THEM",
            "We rejected them",
        ),
        (
            "Hired another candidate",
            1,
            "WE_REJECTED_THEM",
            "We rejected them",
        ),
        ("Culture fit", 1, "WE_REJECTED_THEM", "We rejected them"),
        ("Overqualified", 1, "WE_REJECTED_THEM", "We rejected them"),
        (
            "Accepted another offer",
            2,
            "THEY_REJECTED_US",
            "They rejected us",
        ),
        ("Compensation", 2, "THEY_REJECTED_US", "They rejected us"),
        ("Location", 2, "THEY_REJECTED_US", "They rejected us"),
        ("Unresponsive", 3, "NONE_SPECIFIED", "None specified"),
        ("Other", 3, "NONE_SPECIFIED", "None specified"),
        (
            "Failed background check",
            4,
            "SECURITY_CONCERN",
            "Security concern",
        ),
    ];
    for (name, tid, key, tname) in reasons {
        let id = g.id("rejection_reasons");
        let (c, u) = stamps(g, 2017, 2022);
        push!(
            g,
            "rejection_reasons",
            json!({"id": id, "created_at": c, "updated_at": u, "name": name, "type": {"id": tid, "key": key, "name": tname}})
        );
        g.rejection_reason_ids.push(id);
    }
}

fn close_reasons(g: &mut Gen) {
    for name in [
        "Hire - New Headcount",
        "Hire - Backfill",
        "Not Filled - Budget",
        "Not Filled - Role Changed",
        "Internal Transfer",
    ] {
        let id = g.id("close_reasons");
        let (c, u) = stamps(g, 2017, 2022);
        push!(
            g,
            "close_reasons",
            json!({"id": id, "created_at": c, "updated_at": u, "name": name})
        );
        g.close_reason_ids.push(id);
    }
}

/// Referrers: mostly users, some outside people.
fn referrers(g: &mut Gen) {
    let n = g.scaled(50.0).max(3);
    for _ in 0..n {
        let id = g.id("referrers");
        let (c, u) = stamps(g, 2019, 2026);
        let (user_id, name) = if g.chance(0.7) {
            let uid = g.pick(&g.active_user_ids.clone());
            let (f, l) = g.user_names.get(&uid).cloned().unwrap_or_default();
            (json!(uid), format!("{f} {l}"))
        } else {
            let (f, l) = g.person_name();
            (Value::Null, format!("{f} {l}"))
        };
        push!(
            g,
            "referrers",
            json!({"id": id, "created_at": c, "updated_at": u, "user_id": user_id, "name": name})
        );
        g.referrer_ids.push(id);
    }
}

fn tags(g: &mut Gen) {
    for name in names::TAGS {
        let id = g.id("candidate_tags");
        let (c, u) = stamps(g, 2018, 2024);
        push!(
            g,
            "candidate_tags",
            json!({"id": id, "created_at": c, "updated_at": u, "name": name})
        );
        g.tags.push((id, name));
    }
}

fn pools(g: &mut Gen) {
    for (name, desc) in [
        (
            "Engineering Talent",
            Some("Engineers we want to stay in touch with"),
        ),
        (
            "Silver Medalists",
            Some("Strong finalists from past searches"),
        ),
        ("Sales Pipeline", None),
        ("Campus 2026", Some("University relations")),
        ("Leadership", None),
    ] {
        let id = g.id("prospect_pools");
        let (c, u) = stamps(g, 2019, 2024);
        let depts = g.sample_n(&g.department_ids.clone(), 0, 2);
        let offices = g.sample_n(&g.office_ids.clone(), 0, 1);
        push!(
            g,
            "prospect_pools",
            json!({"id": id, "created_at": c, "updated_at": u, "name": name, "active": g.chance(0.85),
            "description": desc, "department_ids": depts, "office_ids": offices, "job_ids": []})
        );
        let mut stages = Vec::new();
        for (i, sname) in ["New", "Contacted", "Engaged", "Ready to Apply"]
            .iter()
            .enumerate()
        {
            let sid = g.id("prospect_pool_stages");
            push!(
                g,
                "prospect_pool_stages",
                json!({"id": sid, "created_at": c, "updated_at": u, "prospect_pool_id": id, "name": sname, "sort_order": i})
            );
            stages.push(sid);
        }
        g.pools.push((id, stages));
    }
}

fn demographics(g: &mut Gen) {
    let sets = [
        (
            "Voluntary Self-Identification",
            Some("US EEO questions"),
            true,
        ),
        ("Diversity Survey (EMEA)", None, false),
    ];
    let questions: &[(&str, usize, &str, &[&str])] = &[
        (
            "What is your gender identity?",
            0,
            "multi_value_single_select",
            &[
                "Woman",
                "Man",
                "Non-binary",
                "I prefer to self-describe",
                "I don't wish to answer",
            ],
        ),
        (
            "Which race/ethnicity best describes you?",
            0,
            "multi_value_multi_select",
            &[
                "Asian",
                "Black or African American",
                "Hispanic or Latino",
                "White",
                "Two or more races",
                "I don't wish to answer",
            ],
        ),
        (
            "Do you identify as a person with a disability?",
            0,
            "multi_value_single_select",
            &["Yes", "No", "I don't wish to answer"],
        ),
        (
            "What is your age range?",
            1,
            "multi_value_single_select",
            &[
                "Under 25",
                "25-34",
                "35-44",
                "45+",
                "I don't wish to answer",
            ],
        ),
    ];
    let mut set_ids = Vec::new();
    for (title, desc, enabled) in sets {
        let id = g.id("demographic_question_sets");
        let (c, u) = stamps(g, 2021, 2024);
        push!(
            g,
            "demographic_question_sets",
            json!({"id": id, "created_at": c, "updated_at": u, "title": title, "description": desc, "active": true, "enabled": enabled})
        );
        set_ids.push(id);
    }
    for (i, (name, set, answer_type, opts)) in questions.iter().enumerate() {
        let id = g.id("demographic_questions");
        let (c, u) = stamps(g, 2021, 2024);
        push!(
            g,
            "demographic_questions",
            json!({"id": id, "created_at": c, "updated_at": u, "sort_order": i, "active": true,
            "name": name, "demographic_question_set_id": set_ids.get(*set), "required": g.chance(0.3), "answer_type": answer_type})
        );
        let mut oids = Vec::new();
        for (j, o) in opts.iter().enumerate() {
            let oid = g.id("demographic_answer_options");
            let free = o.starts_with("I prefer to self");
            push!(
                g,
                "demographic_answer_options",
                json!({"id": oid, "created_at": c, "updated_at": u, "demographic_question_id": id,
                "sort_order": j, "active": true, "free_form": free, "name": o, "decline_to_answer": if o.contains("don't wish") { json!(true) } else { json!(false) }})
            );
            oids.push(oid);
        }
        g.demographic_questions.push((id, oids));
    }
}

fn email_templates(g: &mut Gen) {
    let templates: &[(&str, &str, &str)] = &[
        (
            "Rejection - Standard",
            "candidate_rejection",
            "Your application to {{JOB_NAME}}",
        ),
        (
            "Rejection - After Onsite",
            "candidate_rejection",
            "Thank you for interviewing",
        ),
        (
            "Interview Invitation",
            "interviewer_invite",
            "Interview: {{CANDIDATE_NAME}}",
        ),
        (
            "Availability Request",
            "candidate_availability_request",
            "Your availability for interviews",
        ),
        ("Offer Extended", "extending_offer", "Your offer from Acme"),
        (
            "Auto-reply",
            "candidate_auto_reply",
            "We received your application",
        ),
        (
            "Take-home Test",
            "take_home_test_email",
            "Your take-home exercise",
        ),
        ("Generic Candidate Email", "candidate_email", "Following up"),
    ];
    for (i, (name, ty, subject)) in templates.iter().enumerate() {
        let id = g.id("email_templates");
        let (c, u) = stamps(g, 2019, 2025);
        let user = if g.chance(0.4) {
            json!(g.pick(&g.active_user_ids.clone()))
        } else {
            Value::Null
        };
        push!(
            g,
            "email_templates",
            json!({
                "id": id, "created_at": c, "updated_at": u, "email_type": ty, "subject": subject,
                "body": format!("Hi {{{{CANDIDATE_FIRST_NAME}}}},\n\n{}\n\nBest,\n{{{{MY_SIGNATURE}}}}", names::SENTENCES[i % names::SENTENCES.len()]),
                "user_id": user, "name": name, "description": if g.chance(0.5) { json!(format!("{name} template")) } else { Value::Null },
                "recipients": Value::Null, "default": i == 0, "html_body": format!("<p>{}</p>", names::SENTENCES[i % names::SENTENCES.len()]),
                "office_anywhere": Value::Null, "from_type": "organization_email", "cc_recruiter": g.chance(0.3), "cc_coordinator": g.chance(0.2),
            })
        );
        g.email_template_ids.push(id);
    }
}

fn blocked_spam_sources(g: &mut Gen) {
    for (ty, val) in [
        ("email", "spam@bad.example"),
        ("domain", "junkmail.example"),
        ("ip", "203.0.113.7"),
        ("email", "bot@fake.example"),
    ] {
        let id = g.id("blocked_spam_sources");
        let (c, u) = stamps(g, 2023, 2026);
        push!(
            g,
            "blocked_spam_sources",
            json!({"id": id, "created_at": c, "updated_at": u, "source_type": ty, "value": val})
        );
    }
}

/// The two job boards and their custom locations.
fn job_board_custom_locations(g: &mut Gen) {
    g.job_board_ids = vec![4_401, 4_402];
    for (i, loc) in [
        "Anywhere in the US",
        "Anywhere in Europe",
        "New York or Remote",
        "Bay Area",
        "Hybrid - London",
        "Remote (Canada)",
    ]
    .iter()
    .enumerate()
    {
        let id = g.id("job_board_custom_locations");
        let (c, u) = stamps(g, 2021, 2025);
        let board = g.job_board_ids[i % 2];
        push!(
            g,
            "job_board_custom_locations",
            json!({"id": id, "created_at": c, "updated_at": u, "value": loc, "active": g.chance(0.85), "greenhouse_job_board_id": board})
        );
        g.custom_location_ids.push(id);
    }
}

/// Pay inputs; the first is linked to the salary range custom field.
fn pay_inputs(g: &mut Gen) {
    let linked = g
        .custom_fields
        .iter()
        .find(|d| d.name_key == "salary_range")
        .map(|d| d.id);
    for (i, (title, blurb)) in [
        (
            "Base Salary Range",
            Some("The base pay range for this position"),
        ),
        ("Hourly Rate", None),
        ("On-target Earnings", Some("Base plus variable")),
    ]
    .iter()
    .enumerate()
    {
        let id = g.id("pay_inputs");
        let (c, u) = stamps(g, 2023, 2025);
        push!(
            g,
            "pay_inputs",
            json!({"id": id, "created_at": c, "updated_at": u, "title": title, "blurb": blurb, "priority": i,
            "linked_custom_field_id": if i == 0 { json!(linked) } else { Value::Null }, "locked": i == 2})
        );
        g.pay_input_ids.push(id);
    }
}

fn bulk_requests(g: &mut Gen) {
    for (i, ep) in [
        "POST /v3/users/bulk",
        "PATCH /v3/users/bulk",
        "POST /v3/departments/bulk",
        "POST /v3/openings/bulk",
        "POST /v3/users/deactivate/bulk",
    ]
    .iter()
    .enumerate()
    {
        let id = g.id("bulk_requests");
        let req = g.between(g.now - 300 * DAY, g.now - DAY);
        let done = g.after(req, 1);
        let records = g.int(1, 200);
        let fails = if i == 1 { g.int(1, 5) } else { 0 };
        let status = if i == 4 { "building" } else { "completed" };
        let uuid = format!(
            "{}-{}-4{}-a{}-{}",
            g.hex(8),
            g.hex(4),
            g.hex(3),
            g.hex(3),
            g.hex(12)
        );
        push!(
            g,
            "bulk_requests",
            json!({"id": id, "created_at": iso(req), "updated_at": iso(done), "bulk_action_uuid": uuid,
            "requested_by_user_id": g.pick(&g.active_user_ids.clone()), "status": status, "record_count": records,
            "success_count": if status == "completed" { records - fails } else { 0 }, "failure_count": fails,
            "callback_url": if g.chance(0.5) { json!("https://hooks.acme.example/greenhouse") } else { Value::Null },
            "callback_response": Value::Null, "completed_at": if status == "completed" { json!(iso(done)) } else { Value::Null },
            "expires_at": iso(req + 30 * DAY), "api_endpoint": ep, "requested_at": iso(req)})
        );
    }
}
