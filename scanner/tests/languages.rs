//! One realistic small integration per language, with every expected finding asserted
//! exactly (path, line, kind, legacy route). Indirect routes (base constants, route tables,
//! Retrofit annotations, format strings, concatenation) are part of each fixture.

mod common;
use common::check;

#[test]
fn python_integration() {
    check(
        "python",
        &[
            (
                "greenhouse_sync/client.py",
                13,
                "endpoint",
                Some("GET /v1/jobs"),
            ),
            (
                "greenhouse_sync/client.py",
                14,
                "endpoint",
                Some("GET /v1/jobs/{id}/stages"),
            ),
            ("greenhouse_sync/client.py", 19, "basic_auth", None),
            ("greenhouse_sync/client.py", 23, "basic_auth", None),
            ("greenhouse_sync/client.py", 24, "basic_auth", None),
            ("greenhouse_sync/client.py", 24, "on_behalf_of", None),
            (
                "greenhouse_sync/client.py",
                27,
                "endpoint",
                Some("GET /v1/candidates/{id}"),
            ),
            (
                "greenhouse_sync/client.py",
                30,
                "endpoint",
                Some("POST /v1/candidates/{id}/activity_feed/notes"),
            ),
            (
                "greenhouse_sync/client.py",
                35,
                "endpoint",
                Some("POST /v1/applications/{id}/reject"),
            ),
            ("greenhouse_sync/client.py", 36, "basic_auth", None),
            (
                "greenhouse_sync/client.py",
                40,
                "endpoint",
                Some("GET /v1/sources"),
            ),
            ("greenhouse_sync/client.py", 40, "basic_auth", None),
            ("greenhouse_sync/client.py", 44, "endpoint", None),
            ("greenhouse_sync/config.py", 7, "base_url", None),
        ],
    );
}

#[test]
fn javascript_integration() {
    check(
        "javascript",
        &[
            ("src/bundle.min.js", 1, "base_url", None),
            (
                "src/bundle.min.js",
                1,
                "endpoint",
                Some("GET /v1/scorecards/{id}"),
            ),
            (
                "src/bundle.min.js",
                1,
                "endpoint",
                Some("DELETE /v1/candidates/{id}"),
            ),
            ("src/greenhouse.js", 3, "base_url", None),
            ("src/greenhouse.js", 15, "basic_auth", None),
            ("src/greenhouse.js", 16, "basic_auth", None),
            ("src/greenhouse.js", 22, "endpoint", None),
            ("src/greenhouse.js", 23, "basic_auth", None),
            (
                "src/greenhouse.js",
                31,
                "endpoint",
                Some("POST /v1/candidates"),
            ),
            ("src/greenhouse.js", 32, "on_behalf_of", None),
            ("src/greenhouse.js", 38, "endpoint", Some("GET /v1/jobs")),
            (
                "src/greenhouse.js",
                42,
                "endpoint",
                Some("GET /v1/applications/{id}"),
            ),
            (
                "src/greenhouse.js",
                46,
                "endpoint",
                Some("POST /v1/applications/{id}/hire"),
            ),
            ("src/greenhouse.js", 46, "basic_auth", None),
            ("src/greenhouse.js", 50, "endpoint", Some("GET /v1/offices")),
            ("src/greenhouse.js", 51, "basic_auth", None),
        ],
    );
}

#[test]
fn typescript_integration() {
    check(
        "typescript",
        &[
            ("src/client.ts", 3, "base_url", None),
            ("src/client.ts", 8, "endpoint", Some("GET /v1/users")),
            (
                "src/client.ts",
                9,
                "endpoint",
                Some("PATCH /v1/users/{id}/disable"),
            ),
            (
                "src/client.ts",
                10,
                "endpoint",
                Some("PUT /v1/candidates/{candidate_id}/tags/{tag_id}"),
            ),
            ("src/client.ts", 17, "basic_auth", None),
            ("src/client.ts", 18, "basic_auth", None),
            ("src/client.ts", 18, "on_behalf_of", None),
            ("src/client.ts", 23, "endpoint", None),
            (
                "src/client.ts",
                27,
                "endpoint",
                Some("GET /v1/scheduled_interviews/{id}"),
            ),
        ],
    );
}

#[test]
fn ruby_integration() {
    check(
        "ruby",
        &[
            (
                "lib/greenhouse_lists.rb",
                3,
                "endpoint",
                Some("GET /v1/offices"),
            ),
            (
                "lib/greenhouse_lists.rb",
                3,
                "endpoint",
                Some("GET /v1/departments"),
            ),
            (
                "lib/greenhouse_lists.rb",
                3,
                "endpoint",
                Some("GET /v1/sources"),
            ),
            ("lib/greenhouse_lists.rb", 6, "basic_auth", None),
            ("lib/greenhouse_client.rb", 8, "base_url", None),
            ("lib/greenhouse_client.rb", 11, "basic_auth", None),
            (
                "lib/greenhouse_client.rb",
                17,
                "endpoint",
                Some("GET /v1/candidates/{id}"),
            ),
            ("lib/greenhouse_client.rb", 17, "basic_auth", None),
            (
                "lib/greenhouse_client.rb",
                21,
                "endpoint",
                Some("POST /v1/applications/{id}/advance"),
            ),
            ("lib/greenhouse_client.rb", 22, "basic_auth", None),
            ("lib/greenhouse_client.rb", 23, "on_behalf_of", None),
            (
                "lib/greenhouse_client.rb",
                28,
                "endpoint",
                Some("GET /v1/departments"),
            ),
            ("lib/greenhouse_client.rb", 30, "basic_auth", None),
            (
                "lib/greenhouse_client.rb",
                35,
                "endpoint",
                Some("DELETE /v1/candidates/{candidate_id}/tags/{tag_id}"),
            ),
            ("lib/greenhouse_client.rb", 37, "basic_auth", None),
        ],
    );
}

#[test]
fn go_integration() {
    check(
        "go",
        &[
            ("harvest.go", 9, "base_url", None),
            ("harvest.go", 19, "basic_auth", None),
            ("harvest.go", 20, "on_behalf_of", None),
            ("harvest.go", 26, "endpoint", Some("GET /v1/jobs/{id}")),
            (
                "harvest.go",
                35,
                "endpoint",
                Some("PATCH /v1/jobs/{job_id}/openings/{id}"),
            ),
            ("harvest.go", 45, "endpoint", Some("GET /v1/offers")),
        ],
    );
}

#[test]
fn php_integration() {
    check(
        "php",
        &[
            ("src/Greenhouse.php", 10, "base_url", None),
            ("src/Greenhouse.php", 18, "basic_auth", None),
            (
                "src/Greenhouse.php",
                24,
                "endpoint",
                Some("GET /v1/applications/{id}"),
            ),
            (
                "src/Greenhouse.php",
                30,
                "endpoint",
                Some("POST /v1/candidates/{id}/educations"),
            ),
            ("src/Greenhouse.php", 31, "on_behalf_of", None),
            (
                "src/Greenhouse.php",
                38,
                "endpoint",
                Some("GET /v1/rejection_reasons"),
            ),
            ("src/Greenhouse.php", 39, "basic_auth", None),
        ],
    );
}

#[test]
fn java_integration() {
    check(
        "java",
        &[
            (
                "src/main/java/com/acme/HarvestApi.java",
                14,
                "endpoint",
                Some("GET /v1/candidates"),
            ),
            (
                "src/main/java/com/acme/HarvestApi.java",
                17,
                "endpoint",
                Some("GET /v1/candidates/{id}"),
            ),
            (
                "src/main/java/com/acme/HarvestApi.java",
                20,
                "endpoint",
                Some("POST /v1/candidates/{id}/attachments"),
            ),
            (
                "src/main/java/com/acme/HarvestApi.java",
                21,
                "on_behalf_of",
                None,
            ),
            (
                "src/main/java/com/acme/HarvestApi.java",
                23,
                "endpoint",
                Some("PATCH /v1/users/{id}"),
            ),
            (
                "src/main/java/com/acme/HarvestApi.java",
                24,
                "on_behalf_of",
                None,
            ),
            (
                "src/main/java/com/acme/HarvestModule.java",
                8,
                "base_url",
                None,
            ),
            (
                "src/main/java/com/acme/HarvestModule.java",
                13,
                "basic_auth",
                None,
            ),
        ],
    );
}

#[test]
fn kotlin_integration() {
    check(
        "kotlin",
        &[
            ("src/Greenhouse.kt", 9, "base_url", None),
            ("src/Greenhouse.kt", 12, "basic_auth", None),
            (
                "src/Greenhouse.kt",
                15,
                "endpoint",
                Some("GET /v1/applications/{id}/scorecards"),
            ),
            (
                "src/Greenhouse.kt",
                20,
                "endpoint",
                Some("POST /v1/applications/{id}/move"),
            ),
            ("src/Greenhouse.kt", 22, "on_behalf_of", None),
        ],
    );
}

#[test]
fn csharp_integration() {
    check(
        "csharp",
        &[
            ("src/HarvestClient.cs", 11, "base_url", None),
            ("src/HarvestClient.cs", 18, "basic_auth", None),
            ("src/HarvestClient.cs", 19, "basic_auth", None),
            ("src/HarvestClient.cs", 20, "on_behalf_of", None),
            (
                "src/HarvestClient.cs",
                23,
                "endpoint",
                Some("GET /v1/job_posts/{id}"),
            ),
            (
                "src/HarvestClient.cs",
                26,
                "endpoint",
                Some("POST /v1/applications/{id}/unreject"),
            ),
            (
                "src/HarvestClient.cs",
                29,
                "endpoint",
                Some("GET /v1/email_templates"),
            ),
            ("src/HarvestClient.cs", 29, "basic_auth", None),
        ],
    );
}

#[test]
fn rust_integration() {
    check(
        "rust",
        &[
            ("src/lib.rs", 4, "base_url", None),
            ("src/lib.rs", 16, "endpoint", Some("GET /v1/users")),
            ("src/lib.rs", 17, "basic_auth", None),
            (
                "src/lib.rs",
                23,
                "endpoint",
                Some("DELETE /v1/applications/{id}"),
            ),
            ("src/lib.rs", 26, "basic_auth", None),
            ("src/lib.rs", 27, "on_behalf_of", None),
        ],
    );
}

#[test]
fn shell_integration() {
    check(
        "shell",
        &[
            ("sync.sh", 5, "base_url", None),
            ("sync.sh", 7, "basic_auth", None),
            ("sync.sh", 7, "endpoint", Some("GET /v1/candidates")),
            ("sync.sh", 9, "basic_auth", None),
            ("sync.sh", 10, "on_behalf_of", None),
            ("sync.sh", 13, "endpoint", Some("POST /v1/prospects")),
        ],
    );
}

#[test]
fn yaml_integration() {
    check(
        "yaml",
        &[
            ("manifest.yaml", 5, "base_url", None),
            ("manifest.yaml", 8, "basic_auth", None),
            ("manifest.yaml", 9, "basic_auth", None),
            ("manifest.yaml", 14, "endpoint", Some("GET /v1/candidates")),
            (
                "manifest.yaml",
                19,
                "endpoint",
                Some("GET /v1/applications/{application_id}/offers"),
            ),
            (
                "manifest.yaml",
                22,
                "endpoint",
                Some("GET /v1/scheduled_interviews"),
            ),
        ],
    );
}

#[test]
fn json_integration() {
    check(
        "json",
        &[
            ("openapi.json", 4, "base_url", None),
            (
                "openapi.json",
                6,
                "endpoint",
                Some("GET /v1/candidates/{id}"),
            ),
            (
                "openapi.json",
                6,
                "endpoint",
                Some("PATCH /v1/candidates/{id}"),
            ),
            (
                "openapi.json",
                10,
                "endpoint",
                Some("POST /v1/jobs/{job_id}/openings"),
            ),
            ("openapi.json", 16, "basic_auth", None),
        ],
    );
}

#[test]
fn raml_integration() {
    check(
        "raml",
        &[
            ("harvest.raml", 3, "base_url", None),
            ("harvest.raml", 6, "basic_auth", None),
            ("harvest.raml", 7, "endpoint", Some("GET /v1/candidates")),
            (
                "harvest.raml",
                9,
                "endpoint",
                Some("GET /v1/candidates/{id}"),
            ),
            (
                "harvest.raml",
                9,
                "endpoint",
                Some("DELETE /v1/candidates/{id}"),
            ),
            (
                "harvest.raml",
                12,
                "endpoint",
                Some("GET /v1/close_reasons"),
            ),
        ],
    );
}

#[test]
fn markdown_integration() {
    check(
        "markdown",
        &[
            ("README.md", 3, "endpoint", Some("GET /v1/candidates")),
            ("README.md", 6, "basic_auth", None),
            ("README.md", 6, "endpoint", Some("GET /v1/candidates/{id}")),
            (
                "README.md",
                10,
                "endpoint",
                Some("PATCH /v1/applications/{id}"),
            ),
            ("README.md", 10, "basic_auth", None),
            ("README.md", 10, "on_behalf_of", None),
        ],
    );
}

/// Common client idioms across languages: CI workflow curl steps, urljoin with the base, route
/// tuples, Node https.request options, Java HttpRequest/OkHttp builders, RestSharp, Faraday.
#[test]
fn cross_language_idioms() {
    check(
        "patterns",
        &[
            (".github/workflows/sync.yml", 11, "basic_auth", None),
            (
                ".github/workflows/sync.yml",
                11,
                "endpoint",
                Some("GET /v1/candidates"),
            ),
            (".github/workflows/sync.yml", 12, "on_behalf_of", None),
            (
                ".github/workflows/sync.yml",
                12,
                "endpoint",
                Some("POST /v1/prospects"),
            ),
            ("cs/R.cs", 1, "base_url", None),
            ("cs/R.cs", 1, "basic_auth", None),
            ("cs/R.cs", 2, "endpoint", Some("DELETE /v1/candidates/{id}")),
            ("java/H.java", 2, "base_url", None),
            (
                "java/H.java",
                4,
                "endpoint",
                Some("DELETE /v1/candidates/{id}"),
            ),
            ("java/H.java", 5, "basic_auth", None),
            ("java/H.java", 10, "endpoint", Some("POST /v1/jobs")),
            ("node/req.js", 2, "endpoint", Some("POST /v1/candidates")),
            ("node/req.js", 2, "basic_auth", None),
            ("py/gh.py", 3, "base_url", None),
            ("py/gh.py", 4, "basic_auth", None),
            ("py/gh.py", 6, "endpoint", Some("GET /v1/jobs")),
            ("py/gh.py", 8, "endpoint", Some("GET /v1/jobs/{id}/stages")),
            (
                "py/gh.py",
                9,
                "endpoint",
                Some("POST /v1/applications/{id}/reject"),
            ),
            (
                "py/gh.py",
                9,
                "endpoint",
                Some("POST /v1/applications/{id}/hire"),
            ),
            ("rb/f.rb", 1, "base_url", None),
            ("rb/f.rb", 2, "basic_auth", None),
            ("rb/f.rb", 4, "endpoint", Some("GET /v1/candidates")),
            (
                "rb/f.rb",
                5,
                "endpoint",
                Some("PUT /v1/candidates/{id}/anonymize"),
            ),
        ],
    );
}
