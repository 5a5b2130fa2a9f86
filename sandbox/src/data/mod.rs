//! Deterministic data generation. Everything derives from one seeded ChaCha RNG, in a fixed
//! order, so the same seed and scale always give the same dataset.

/// Builds the record first, then stores it (so the record expression may use the generator).
macro_rules! push {
    ($g:expr, $res:expr, $rec:expr) => {{
        let rec = $rec;
        $g.push($res, rec);
    }};
}

mod hiring;
mod jobs;
mod names;
mod org;
mod people;

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use crate::config::CredentialUser;
use crate::store::Dataset;
use crate::time;

/// Reference "now" of generated data: 2026-06-01T00:00:00Z. Generated timestamps lie before it.
pub const GENERATED_NOW_MS: i64 = 1_780_272_000_000;

const DAY: i64 = 86_400_000;

/// First id of each generated resource (ids grow by small random steps from there).
const BASES: &[(&str, i64)] = &[
    ("application_stages", 80_500_001),
    ("applications", 79_000_001),
    ("applied_candidate_tags", 49_000_001),
    ("approval_flows", 9_101_001),
    ("approver_groups", 9_201_001),
    ("approvers", 9_301_001),
    ("attachments", 140_000_001),
    ("blocked_spam_sources", 301),
    ("bulk_requests", 601),
    ("candidate_attribute_types", 8_001),
    ("candidate_educations", 49_500_001),
    ("candidate_employments", 49_800_001),
    ("candidate_tags", 41),
    ("candidates", 48_000_001),
    ("close_reasons", 31),
    ("custom_field_departments", 13_001),
    ("custom_field_offices", 14_001),
    ("custom_field_options", 12_001),
    ("custom_fields", 11_001),
    ("default_interviewers", 8_401_001),
    ("demographic_answer_options", 101),
    ("demographic_answers", 151_000_001),
    ("demographic_question_sets", 71),
    ("demographic_questions", 81),
    ("departments", 58_001),
    ("eeoc", 150_000_001),
    ("email_templates", 201),
    ("focus_candidate_attributes", 8_201_001),
    ("future_job_permissions", 9_001_001),
    ("interview_kits", 7_701_001),
    ("interviewer_tags", 11),
    ("interviewers", 96_000_001),
    ("interviews", 95_000_001),
    ("job_board_custom_locations", 401),
    ("job_candidate_attributes", 8_101_001),
    ("job_hiring_managers", 8_501_001),
    ("job_interview_stages", 90_010_001),
    ("job_interviews", 91_001_001),
    ("job_notes", 8_701_001),
    ("job_owners", 8_601_001),
    ("job_post_locations", 7_812_001),
    ("job_posts", 7_712_001),
    ("jobs", 4_330_001),
    ("notes", 130_000_001),
    ("offers", 99_100_001),
    ("offices", 61_001),
    ("openings", 6_100_001),
    ("pay_input_ranges", 7_912_001),
    ("pay_inputs", 501),
    ("prospect_details", 81_500_001),
    ("prospect_pool_stages", 61),
    ("prospect_pools", 51),
    ("referrers", 551_001),
    ("rejection_details", 82_000_001),
    ("rejection_reasons", 21),
    ("scorecard_candidate_attributes", 123_000_001),
    ("scorecard_question_answer_options", 122_000_001),
    ("scorecard_question_answers", 121_000_001),
    ("scorecard_question_candidate_attributes", 8_301_001),
    ("scorecard_question_options", 7_901_001),
    ("scorecard_questions", 7_801_001),
    ("scorecards", 120_000_001),
    ("sources", 11),
    ("tracking_links", 8_801_001),
    ("user_emails", 310_001),
    ("user_job_permissions", 8_901_001),
    ("user_roles", 1),
    ("users", 230_001),
    ("webhooks", 1_001),
];

/// First id handed out for a resource when it has no records (used by writes too).
pub fn base_id(resource: &str) -> i64 {
    BASES
        .iter()
        .find(|(n, _)| *n == resource)
        .map(|(_, b)| *b)
        .unwrap_or(1)
}

/// A custom field definition as the generators need it.
#[derive(Debug, Clone)]
pub(crate) struct CustomFieldDef {
    pub id: i64,
    pub name_key: &'static str,
    pub name: &'static str,
    pub value_type: &'static str,
    pub field_type: &'static str,
    pub options: Vec<(i64, String)>,
}

/// A job with the pieces later generators link to.
#[derive(Debug, Clone)]
pub(crate) struct JobCtx {
    pub id: i64,
    pub status: &'static str,
    pub created: i64,
    pub opened: Option<i64>,
    pub office_ids: Vec<i64>,
    /// (stage id, name), by sort order.
    pub stages: Vec<(i64, String)>,
    /// Per stage (same order): (job_interview id, interview kit id, question ids with answer types, focus attribute ids).
    pub interviews: Vec<Vec<InterviewCtx>>,
    pub openings: Vec<i64>,
    pub posts: Vec<i64>,
    pub recruiter: i64,
    pub coordinator: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct InterviewCtx {
    pub job_interview_id: i64,
    pub kit_id: i64,
    /// (question id, answer type, option ids)
    pub questions: Vec<(i64, &'static str, Vec<i64>)>,
    /// (focus attribute row id, job candidate attribute id)
    pub focus: Vec<i64>,
    pub default_interviewers: Vec<i64>,
}

/// The generator: RNG, id counters, and the context shared between resource groups.
pub(crate) struct Gen {
    rng: ChaCha8Rng,
    pub ds: Dataset,
    next: BTreeMap<&'static str, i64>,
    pub scale: f64,
    pub now: i64,
    // shared context
    pub user_ids: Vec<i64>,
    pub active_user_ids: Vec<i64>,
    pub user_names: BTreeMap<i64, (String, String)>,
    pub user_emails: BTreeMap<i64, String>,
    pub department_ids: Vec<i64>,
    pub office_ids: Vec<i64>,
    pub office_locations: BTreeMap<i64, String>,
    pub role_ids: Vec<(i64, &'static str)>,
    pub source_ids: Vec<i64>,
    pub referrer_ids: Vec<i64>,
    pub rejection_reason_ids: Vec<i64>,
    pub close_reason_ids: Vec<i64>,
    pub tags: Vec<(i64, &'static str)>,
    pub custom_fields: Vec<CustomFieldDef>,
    pub pools: Vec<(i64, Vec<i64>)>,
    pub demographic_questions: Vec<(i64, Vec<i64>)>,
    pub job_board_ids: Vec<i64>,
    pub custom_location_ids: Vec<i64>,
    pub pay_input_ids: Vec<i64>,
    pub email_template_ids: Vec<i64>,
    pub jobs: Vec<JobCtx>,
}

impl Gen {
    fn new(seed: u64, scale: f64) -> Self {
        Gen {
            rng: ChaCha8Rng::seed_from_u64(seed),
            ds: Dataset::empty(),
            next: BTreeMap::new(),
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                0.0
            },
            now: GENERATED_NOW_MS,
            user_ids: Vec::new(),
            active_user_ids: Vec::new(),
            user_names: BTreeMap::new(),
            user_emails: BTreeMap::new(),
            department_ids: Vec::new(),
            office_ids: Vec::new(),
            office_locations: BTreeMap::new(),
            role_ids: Vec::new(),
            source_ids: Vec::new(),
            referrer_ids: Vec::new(),
            rejection_reason_ids: Vec::new(),
            close_reason_ids: Vec::new(),
            tags: Vec::new(),
            custom_fields: Vec::new(),
            pools: Vec::new(),
            demographic_questions: Vec::new(),
            job_board_ids: Vec::new(),
            custom_location_ids: Vec::new(),
            pay_input_ids: Vec::new(),
            email_template_ids: Vec::new(),
            jobs: Vec::new(),
        }
    }

    /// Allocates the next id of `resource` (small random gaps, increasing).
    pub fn id(&mut self, resource: &'static str) -> i64 {
        let step = self.rng.random_range(1..=3);
        let cur = match self.next.get(resource) {
            Some(v) => *v + step,
            None => base_id(resource),
        };
        self.next.insert(resource, cur);
        cur
    }

    /// Stores a generated record.
    pub fn push(&mut self, resource: &'static str, rec: Value) {
        // Generated records always carry an integer id; an error here would be a generator bug,
        // which the schema tests catch, so it is ignored rather than panicking.
        let _ = self.ds.upsert(resource, rec);
    }

    /// Count scaled by `--scale`.
    pub fn scaled(&self, base: f64) -> usize {
        (base * self.scale).round() as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    pub fn int(&mut self, lo: i64, hi_inclusive: i64) -> i64 {
        if hi_inclusive <= lo {
            return lo;
        }
        self.rng.random_range(lo..=hi_inclusive)
    }

    pub fn idx(&mut self, len: usize) -> usize {
        if len <= 1 {
            return 0;
        }
        self.rng.random_range(0..len)
    }

    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        let i = self.idx(items.len());
        items[i].clone()
    }

    /// Picks from a non-empty slice, or `None` when empty.
    pub fn pick_opt<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            None
        } else {
            Some(self.pick(items))
        }
    }

    /// `n` distinct items (fewer if the slice is shorter), in slice order.
    pub fn sample<T: Clone>(&mut self, items: &[T], n: usize) -> Vec<T> {
        let mut idx: Vec<usize> = (0..items.len()).collect();
        let n = n.min(items.len());
        for i in 0..n {
            let j = i + self.idx(items.len() - i);
            idx.swap(i, j);
        }
        let mut chosen: Vec<usize> = idx[..n].to_vec();
        chosen.sort_unstable();
        chosen.into_iter().map(|i| items[i].clone()).collect()
    }

    /// Between `lo` and `hi` (inclusive) distinct items.
    pub fn sample_n<T: Clone>(&mut self, items: &[T], lo: i64, hi: i64) -> Vec<T> {
        let n = self.int(lo, hi) as usize;
        self.sample(items, n)
    }

    /// A random instant in `[from, to)` (ms), second-aligned plus random milliseconds.
    pub fn between(&mut self, from: i64, to: i64) -> i64 {
        if to <= from {
            return from;
        }
        self.rng.random_range(from..to)
    }

    /// A random instant within `max_days` after `t`, capped at "now".
    pub fn after(&mut self, t: i64, max_days: i64) -> i64 {
        let end = (t + max_days * DAY).min(self.now);
        self.between(t.min(end), end.max(t))
    }

    pub fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.idx(16)]))
            .collect()
    }

    pub fn person_name(&mut self) -> (String, String) {
        (
            self.pick(names::FIRST_NAMES).to_string(),
            self.pick(names::LAST_NAMES).to_string(),
        )
    }

    /// A custom-field value of the given definition, as `{name, type, value}`.
    pub fn cf_entry(&mut self, def: &CustomFieldDef) -> Value {
        let value = match def.value_type {
            "single_select" => self
                .pick_opt(&def.options)
                .map(|(_, n)| json!(n))
                .unwrap_or(Value::Null),
            "multi_select" => {
                let k = self.int(1, 2) as usize;
                let names: Vec<String> = self
                    .sample(&def.options, k)
                    .into_iter()
                    .map(|(_, n)| n)
                    .collect();
                json!(names)
            }
            "yes_no" => json!(self.chance(0.5)),
            "number" => json!(self.int(1, 20)),
            "currency" => json!({"amount": self.int(60, 250) * 1000, "unit": "USD"}),
            "currency_range" => {
                let lo = self.int(80, 200) * 1000;
                json!({"min_value": lo, "max_value": lo + self.int(10, 60) * 1000, "unit": "USD"})
            }
            "date" => json!(time::date(self.between(self.now - 400 * DAY, self.now))),
            "long_text" => json!(self.pick(names::SENTENCES)),
            "user" => {
                let u = self.pick_opt(&self.active_user_ids.clone());
                match u {
                    Some(uid) => {
                        let (f, l) = self.user_names.get(&uid).cloned().unwrap_or_default();
                        json!({"user_id": uid, "name": format!("{f} {l}"), "email": self.user_emails.get(&uid)})
                    }
                    None => Value::Null,
                }
            }
            "url" => json!(format!("https://example.com/{}", self.hex(6))),
            _ => json!(self.pick(names::SHORT_TEXTS)),
        };
        json!({"name": def.name, "type": def.value_type, "value": value})
    }

    /// `custom_fields` map for a field type; each field is present with probability `p`.
    pub fn custom_fields_for(&mut self, field_type: &str, p: f64) -> Value {
        let defs: Vec<CustomFieldDef> = self
            .custom_fields
            .iter()
            .filter(|d| d.field_type == field_type)
            .cloned()
            .collect();
        let mut map = serde_json::Map::new();
        for d in &defs {
            if self.chance(p) {
                let e = self.cf_entry(d);
                map.insert(d.name_key.to_string(), e);
            }
        }
        Value::Object(map)
    }

    /// Returns a nullable timestamp string: `None` → JSON null.
    pub fn ts(ms: Option<i64>) -> Value {
        ms.map(|m| json!(time::iso_ms(m))).unwrap_or(Value::Null)
    }
}

/// Formats epoch ms as the API does.
pub(crate) fn iso(ms: i64) -> String {
    time::iso_ms(ms)
}

/// Generates the full dataset for `seed` and `scale`, with `users` (from the credential set)
/// present in `/v3/users` and used throughout (recruiters, interviewers, note authors...).
pub fn generate(seed: u64, scale: f64, users: &[CredentialUser]) -> Dataset {
    let mut g = Gen::new(seed, scale);
    org::generate(&mut g, users);
    jobs::generate(&mut g);
    people::generate(&mut g);
    g.ds
}

/// `(resource, count)` for every table, for summaries.
pub fn counts(ds: &Dataset) -> Vec<(&'static str, usize)> {
    ds.names()
        .map(|n| (n, ds.table(n).map(|t| t.len()).unwrap_or(0)))
        .collect()
}
