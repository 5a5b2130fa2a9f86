//! Word lists for generated records.

pub const FIRST_NAMES: &[&str] = &[
    "Ada", "Tomás", "Priya", "Lena", "Marcus", "Yuki", "Fatima", "Oluwaseun", "Chen", "Sofia", "Mateo",
    "Aisha", "Noah", "Ingrid", "Rahul", "Camille", "Diego", "Hana", "Kwame", "Elena", "Omar", "Zoe",
    "Lucas", "Mei", "Samuel", "Nadia", "Arjun", "Grace", "Felix", "Amara", "Jonas", "Leila", "Ethan",
    "Sakura", "Ivan", "Chloe", "Mohammed", "Freya", "Daniel", "Ana",
];

pub const LAST_NAMES: &[&str] = &[
    "Nwosu", "Silva", "Raman", "Brooks", "Okafor", "Tanaka", "Haddad", "Adeyemi", "Wei", "Rossi",
    "García", "Khan", "Müller", "Johansson", "Patel", "Dubois", "Hernández", "Kim", "Mensah", "Popescu",
    "Farouk", "Clarke", "Moreau", "Lin", "Osei", "Novak", "Sharma", "O'Brien", "Schneider", "Abara",
    "Lindqvist", "Nasser", "Walker", "Sato", "Petrov", "Martin", "Ali", "Larsen", "Cohen", "Costa",
];

pub const COMPANIES: &[&str] = &[
    "Northwind Labs", "Contoso", "Globex", "Initech", "Umbrella Analytics", "Hooli", "Vandelay Industries",
    "Stark Logistics", "Wayne Data", "Acme Robotics", "Soylent Systems", "Tyrell Cloud", "Cyberdyne",
    "Massive Dynamic", "Pied Piper", "Aperture Health", "Oscorp Energy", "Wonka Foods",
];

pub const TITLES: &[&str] = &[
    "Backend Engineer", "Data Engineer", "Product Manager", "Account Executive", "Designer",
    "Site Reliability Engineer", "Recruiter", "Data Scientist", "Engineering Manager", "Sales Manager",
    "Customer Success Manager", "Financial Analyst", "QA Engineer", "Marketing Manager", "Frontend Engineer",
];

pub const JOB_NAMES: &[&str] = &[
    "Senior Platform Engineer", "Data Engineer", "Product Designer", "Account Executive, EMEA",
    "Engineering Manager, Storage", "Site Reliability Engineer", "Technical Recruiter", "Staff Data Scientist",
    "Customer Success Manager", "Financial Analyst", "Marketing Manager", "Frontend Engineer",
    "Security Engineer", "Solutions Architect", "Sales Development Representative", "People Partner",
    "Mobile Engineer (iOS)", "Machine Learning Engineer", "Office Manager", "Legal Counsel",
];

pub const SCHOOLS: &[&str] = &[
    "University of Lagos", "MIT", "Stanford University", "University of Tokyo", "ETH Zürich",
    "Universidade de São Paulo", "University of Toronto", "Indian Institute of Technology Bombay",
    "University of Cape Town", "Sorbonne Université", "Tsinghua University", "University of Michigan",
];

pub const DEGREES: &[&str] = &[
    "High School", "Associate's Degree", "Bachelor's Degree", "Master's Degree",
    "Master of Business Administration (M.B.A.)", "Doctor of Philosophy (Ph.D.)", "Juris Doctor (J.D.)",
];

pub const DISCIPLINES: &[&str] = &[
    "Computer Science", "Mathematics", "Economics", "Physics", "Mechanical Engineering", "Design",
    "Business", "Psychology", "Statistics", "Law",
];

pub const CITIES: &[&str] = &[
    "New York, New York, United States", "Brooklyn, New York, United States", "San Francisco, California, United States",
    "London, England, United Kingdom", "Berlin, Germany", "Toronto, Ontario, Canada", "Remote",
    "Austin, Texas, United States", "Dublin, Ireland", "Singapore",
];

pub const TIME_ZONES: &[&str] = &[
    "Eastern Time (US & Canada)", "Pacific Time (US & Canada)", "London", "Berlin", "Tokyo", "Central Time (US & Canada)",
];

pub const SENTENCES: &[&str] = &[
    "Strong systems thinker; would like a second signal on depth.",
    "Great communicator, clear examples from past projects.",
    "Needs more experience with distributed systems.",
    "Excellent culture add, asked thoughtful questions.",
    "Solid fundamentals; a little slow on the coding exercise.",
    "Followed up about timeline and compensation expectations.",
    "Candidate is interested in relocating next year.",
    "Referred by a former colleague on the platform team.",
];

pub const SHORT_TEXTS: &[&str] = &["4 weeks", "Immediately", "CC-4410", "195,000 USD", "2 months", "Hybrid", "N/A"];

pub const TAGS: &[&str] = &[
    "Python", "Referral", "Rust", "Boomerang", "Silver Medalist", "Diversity Event", "Go", "Leadership",
    "Kubernetes", "Campus", "Do Not Contact", "Sales", "Design Portfolio", "Relocation", "Veteran",
];

pub const QUESTIONS: &[(&str, &str)] = &[
    ("Does the candidate have the technical depth for the role?", "yes_no"),
    ("Describe the candidate's approach to the problem.", "text"),
    ("Which areas did the candidate cover well?", "multi_select"),
    ("Overall seniority assessment", "single_select"),
    ("Please read the interview instructions before starting.", "instruction"),
    ("Would you want to work with this person?", "yes_no"),
    ("Summarize strengths and concerns.", "text"),
];

pub const ATTRIBUTES: &[(&str, &str)] = &[
    ("Skills", "System design"),
    ("Skills", "Coding"),
    ("Skills", "Debugging"),
    ("Personality Traits", "Curiosity"),
    ("Personality Traits", "Ownership"),
    ("Qualifications", "Domain knowledge"),
    ("Details", "Communication"),
];
