#!/usr/bin/env python3
"""Writes labels.json (the format of ../kit/labels.json) from the hand-made labels below.

Each label names its line by a text that occurs exactly once in the file ("text@2" = the second
occurrence), so the trees can be edited without renumbering. The labels say what the code does,
worked out by reading it, not what any scanner reports.

  python3 spec.py            # writes labels.json
Then score:  bash run.sh
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TREES = os.path.join(HERE, "trees")

E, B, A, O = "endpoint", "base_url", "basic_auth", "on_behalf_of"

ENTRIES = [
    {"repo": "own:ruby-harvest-gem", "language": "Ruby (HTTParty) + RSpec/WebMock",
     "why": "HTTParty client: base_uri v1, basic_auth hash with blank password, relative paths with interpolation, On-Behalf-Of; a Job Board client in the same gem and a board stub in the spec are negatives.",
     "findings": [
         ("lib/harvest/client.rb", 'base_uri "https://harvest.greenhouse.io/v1"', B, None),
         ("lib/harvest/client.rb", '@auth = { username: api_key, password: "" }', A, None),
         ("lib/harvest/client.rb", 'self.class.get("/candidates/#{id}", basic_auth: @auth)', A, None),
         ("lib/harvest/client.rb", 'self.class.get("/candidates", basic_auth: @auth', A, None),
         ("lib/harvest/client.rb", '        basic_auth: @auth,@1', A, None),
         ("lib/harvest/client.rb", 'self.class.get("/jobs/#{job_id}/stages", basic_auth: @auth)', A, None),
         ("lib/harvest/client.rb", '                      basic_auth: @auth,@1', A, None),
         ("lib/harvest/client.rb", 'self.class.get("/offices", basic_auth: @auth)', A, None),
         ("lib/harvest/client.rb", 'self.class.get("/candidates/#{id}"', E, "GET /v1/candidates/{id}"),
         ("lib/harvest/client.rb", 'self.class.get("/candidates", basic_auth', E, "GET /v1/candidates"),
         ("lib/harvest/client.rb", '"/candidates/#{candidate_id}/activity_feed/notes"', E, "POST /v1/candidates/{id}/activity_feed/notes"),
         ("lib/harvest/client.rb", '"On-Behalf-Of" => @on_behalf_of.to_s },@1', O, None),
         ("lib/harvest/client.rb", 'self.class.get("/jobs/#{job_id}/stages"', E, "GET /v1/jobs/{id}/stages"),
         ("lib/harvest/client.rb", 'self.class.post("/applications/#{application_id}/reject"', E, "POST /v1/applications/{id}/reject"),
         ("lib/harvest/client.rb", '"On-Behalf-Of" => @on_behalf_of.to_s },@2', O, None),
         ("lib/harvest/client.rb", 'self.class.get("/offices"', E, "GET /v1/offices"),
         ("spec/client_spec.rb", 'stub_request(:get, "https://harvest.greenhouse.io/v1/candidates/7")', E, "GET /v1/candidates/{id}"),
         ("spec/client_spec.rb", '.with(basic_auth: ["KEY", ""])', A, None),
     ],
     "negatives": [
         ("lib/harvest/job_board.rb", 'base_uri "https://boards-api.greenhouse.io/v1/boards"', "Job Board API base"),
         ("lib/harvest/job_board.rb", 'self.class.get("/#{@token}/jobs"', "Job Board jobs"),
         ("lib/harvest/job_board.rb", 'self.class.get("/#{@token}/departments")', "Job Board departments"),
         ("spec/client_spec.rb", 'stub_request(:get, "https://boards-api.greenhouse.io', "Job Board stub"),
     ]},
    {"repo": "own:php-laravel-sync", "language": "PHP (Guzzle)",
     "why": "Guzzle client with base_uri v1 and 'auth' => [key, '']; relative paths on get/patch/request; a Lever client with the same auth shape and look-alike paths is a negative.",
     "findings": [
         ("app/Services/GreenhouseService.php", "'base_uri' => 'https://harvest.greenhouse.io/v1/'", B, None),
         ("app/Services/GreenhouseService.php", "'auth' => [$this->apiKey, '']", A, None),
         ("app/Services/GreenhouseService.php", "$this->http->get('applications'", E, "GET /v1/applications"),
         ("app/Services/GreenhouseService.php", '$this->http->get("applications/{$id}")', E, "GET /v1/applications/{id}"),
         ("app/Services/GreenhouseService.php", "$this->http->request('POST', \"applications/{$applicationId}/move\"", E, "POST /v1/applications/{id}/move"),
         ("app/Services/GreenhouseService.php", "'headers' => ['On-Behalf-Of' => (string) $this->actingUserId],@1", O, None),
         ("app/Services/GreenhouseService.php", "$this->http->patch('candidates/' . $id", E, "PATCH /v1/candidates/{id}"),
         ("app/Services/GreenhouseService.php", "'headers' => ['On-Behalf-Of' => (string) $this->actingUserId],@2", O, None),
         ("app/Services/GreenhouseService.php", "$this->http->get('departments')", E, "GET /v1/departments"),
     ],
     "negatives": [
         ("app/Services/LeverService.php", "'base_uri' => 'https://api.lever.co/v1/'", "Lever API"),
         ("app/Services/LeverService.php", "'auth' => [$this->apiKey, '']", "Lever Basic auth"),
         ("app/Services/LeverService.php", "$this->http->get('candidates')", "Lever candidates"),
         ("app/Services/LeverService.php", "$this->http->get('users')", "Lever users"),
     ]},
    {"repo": "own:go-exporter", "language": "Go (net/http)",
     "why": "const baseURL v1, Sprintf paths, concatenation, SetBasicAuth(key, \"\"), On-Behalf-Of; a v3 client on the bare host is a negative.",
     "findings": [
         ("internal/greenhouse/client.go", 'const baseURL = "https://harvest.greenhouse.io/v1"', B, None),
         ("internal/greenhouse/client.go", 'req.SetBasicAuth(c.apiKey, "")', A, None),
         ("internal/greenhouse/client.go", 'fmt.Sprintf("%s/jobs?page=%d&per_page=100", baseURL, page)', E, "GET /v1/jobs"),
         ("internal/greenhouse/client.go", 'fmt.Sprintf("%s/jobs/%d/stages", baseURL, jobID)', E, "GET /v1/jobs/{id}/stages"),
         ("internal/greenhouse/client.go", 'http.NewRequest("POST", baseURL+"/candidates"', E, "POST /v1/candidates"),
         ("internal/greenhouse/client.go", 'req.Header.Set("On-Behalf-Of"', O, None),
         ("internal/greenhouse/client.go", 'baseURL+"/applications/"+strconv.Itoa(applicationID)+"/scorecards"', E, "GET /v1/applications/{id}/scorecards"),
     ],
     "negatives": [
         ("internal/v3/client.go", 'const host = "https://harvest.greenhouse.io"', "v3 host"),
         ("internal/v3/client.go", '"%s/v3/candidates?cursor=%s"', "v3 candidates"),
         ("internal/v3/client.go", 'host+"/v3/jobs"', "v3 jobs"),
     ]},
    {"repo": "own:kotlin-retrofit", "language": "Kotlin (Retrofit, OkHttp)",
     "why": "Retrofit interface used by a module whose base URL is v1; Credentials.basic(key, \"\"); @Header On-Behalf-Of; a Job Board Retrofit interface is a negative.",
     "findings": [
         ("app/src/main/kotlin/com/acme/hr/HarvestService.kt", '@GET("candidates")', E, "GET /v1/candidates"),
         ("app/src/main/kotlin/com/acme/hr/HarvestService.kt", '@GET("candidates/{id}")', E, "GET /v1/candidates/{id}"),
         ("app/src/main/kotlin/com/acme/hr/HarvestService.kt", '@PATCH("applications/{id}")', E, "PATCH /v1/applications/{id}"),
         ("app/src/main/kotlin/com/acme/hr/HarvestService.kt", '        @Header("On-Behalf-Of") actingUser: Long,', O, None),
         ("app/src/main/kotlin/com/acme/hr/HarvestService.kt", '@POST("candidates/{id}/attachments")', E, "POST /v1/candidates/{id}/attachments"),
         ("app/src/main/kotlin/com/acme/hr/HarvestService.kt", 'fun attach(@Path("id") id: Long, @Header("On-Behalf-Of")', O, None),
         ("app/src/main/kotlin/com/acme/hr/HarvestService.kt", '@GET("users")', E, "GET /v1/users"),
         ("app/src/main/kotlin/com/acme/hr/HarvestModule.kt", 'GREENHOUSE_BASE = "https://harvest.greenhouse.io/v1/"', B, None),
         ("app/src/main/kotlin/com/acme/hr/HarvestModule.kt", 'Credentials.basic(apiKey, "")', A, None),
     ],
     "negatives": [
         ("app/src/main/kotlin/com/acme/hr/BoardService.kt", '@GET("jobs")', "Job Board jobs"),
         ("app/src/main/kotlin/com/acme/hr/BoardService.kt", '@GET("jobs/{id}")', "Job Board job"),
         ("app/src/main/kotlin/com/acme/hr/BoardService.kt", '@GET("departments")', "Job Board departments"),
         ("app/src/main/kotlin/com/acme/hr/BoardService.kt", '.baseUrl("https://boards-api.greenhouse.io', "Job Board base"),
     ]},
    {"repo": "own:csharp-client", "language": "C# (HttpClient) + appsettings.json",
     "why": "BaseAddress v1, base64 of $\"{apiKey}:\" into a Basic header, On-Behalf-Of default header, relative interpolated paths; appsettings BaseUrl and OnBehalfOf setting.",
     "findings": [
         ("appsettings.json", '"BaseUrl": "https://harvest.greenhouse.io/v1/"', B, None),
         ("appsettings.json", '"OnBehalfOf": 1234', O, None),
         ("src/GreenhouseClient.cs", 'new Uri("https://harvest.greenhouse.io/v1/")', B, None),
         ("src/GreenhouseClient.cs", 'Convert.ToBase64String(Encoding.ASCII.GetBytes($"{apiKey}:"))', A, None),
         ("src/GreenhouseClient.cs", 'new AuthenticationHeaderValue("Basic", token)', A, None),
         ("src/GreenhouseClient.cs", 'DefaultRequestHeaders.Add("On-Behalf-Of"', O, None),
         ("src/GreenhouseClient.cs", '_http.GetStringAsync($"users/{id}")', E, "GET /v1/users/{id}"),
         ("src/GreenhouseClient.cs", '_http.GetStringAsync($"offers?page={page}', E, "GET /v1/offers"),
         ("src/GreenhouseClient.cs", '_http.PostAsync($"applications/{applicationId}/hire"', E, "POST /v1/applications/{id}/hire"),
         ("src/GreenhouseClient.cs", '_http.DeleteAsync($"candidates/{candidateId}/tags/{tagId}")', E, "DELETE /v1/candidates/{id}/tags/{id}"),
     ],
     "negatives": []},
    {"repo": "own:rust-cli", "language": "Rust (reqwest)",
     "why": "const BASE v1 in format! (inline and positional), basic_auth(key, Some(\"\")), On-Behalf-Of; the v3 module (bearer, token endpoint with a real secret) is a negative.",
     "findings": [
         ("src/harvest.rs", 'const BASE: &str = "https://harvest.greenhouse.io/v1";', B, None),
         ("src/harvest.rs", '.get(format!("{BASE}/applications/{id}"))', E, "GET /v1/applications/{id}"),
         ("src/harvest.rs", '.basic_auth(&self.key, Some(""))@1', A, None),
         ("src/harvest.rs", 'let url = format!("{}/sources", BASE);', E, "GET /v1/sources"),
         ("src/harvest.rs", 'self.http.get(url).basic_auth(&self.key, Some(""))', A, None),
         ("src/harvest.rs", '.put(format!("{BASE}/candidates/{candidate}/tags/{tag}"))', E, "PUT /v1/candidates/{id}/tags/{id}"),
         ("src/harvest.rs", '.basic_auth(&self.key, Some(""))@3', A, None),
         ("src/harvest.rs", '.header("On-Behalf-Of", user.to_string())', O, None),
     ],
     "negatives": [
         ("src/v3.rs", 'const V3: &str = "https://harvest.greenhouse.io/v3";', "v3 base"),
         ("src/v3.rs", 'http.get(format!("{V3}/candidates"))', "v3 candidates"),
         ("src/v3.rs", '.basic_auth(id, Some(secret))', "client credentials for the token endpoint"),
     ]},
    {"repo": "own:python-etl", "language": "Python (requests) + pytest/responses",
     "why": "Base URL default in a settings module imported elsewhere; f-string and concatenation paths through a paging helper (wrapper); session.auth tuple with blank password; On-Behalf-Of; tests with responses; dict.get and the Job Board are negatives.",
     "findings": [
         ("etl/settings.py", 'HARVEST_API = os.environ.get("HARVEST_API", "https://harvest.greenhouse.io/v1")', B, None),
         ("etl/extract.py", 'session.auth = (GREENHOUSE_API_KEY, "")', A, None),
         ("etl/extract.py", 'resp = session.get(f"{HARVEST_API}{path}"', E, None),
         ("etl/extract.py", 'return _pages("/candidates"', E, "GET /v1/candidates"),
         ("etl/extract.py", 'return _pages("/applications")', E, "GET /v1/applications"),
         ("etl/extract.py", 'return _pages("/scorecards")', E, "GET /v1/scorecards"),
         ("etl/extract.py", 'session.get(HARVEST_API + "/jobs/%d/job_posts" % job_id)', E, "GET /v1/jobs/{id}/job_posts"),
         ("etl/load.py", 'f"{HARVEST_API}/applications/{application_id}/advance"', E, "POST /v1/applications/{id}/advance"),
         ("etl/load.py", 'auth=(GREENHOUSE_API_KEY, ""),', A, None),
         ("etl/load.py", 'headers={"On-Behalf-Of": str(acting_user)}', O, None),
         ("tests/test_extract.py", 'responses.add(responses.GET, "https://harvest.greenhouse.io/v1/candidates", json=[{"id": 1}])', E, "GET /v1/candidates"),
         ("tests/test_extract.py", 'responses.add(responses.GET, "https://harvest.greenhouse.io/v1/candidates", json=[])', E, "GET /v1/candidates"),
     ],
     "negatives": [
         ("etl/extract.py", 'stats["jobs"] = stats.get("jobs", 0)', "dict.get, not an HTTP client"),
         ("etl/load.py", 'boards-api.greenhouse.io/v1/boards/{board}/jobs', "Job Board"),
     ]},
    {"repo": "own:ts-integration", "language": "TypeScript (axios)",
     "why": "axios.create with the v1 baseURL and auth {username, password: ''}; template paths; On-Behalf-Of; an Ingestion API client (partner key, On-Behalf-Of email, /candidates) is a negative.",
     "findings": [
         ("src/harvest.ts", 'baseURL: "https://harvest.greenhouse.io/v1"', B, None),
         ("src/harvest.ts", 'auth: { username: opts.apiKey, password: "" }', A, None),
         ("src/harvest.ts", 'return this.http.get(`/jobs/${id}`);', E, "GET /v1/jobs/{id}"),
         ("src/harvest.ts", 'this.http.get(`/jobs/${jobId}/openings`', E, "GET /v1/jobs/{id}/openings"),
         ("src/harvest.ts", 'this.http.patch(`/applications/${id}`', E, "PATCH /v1/applications/{id}"),
         ("src/harvest.ts", 'headers: { "On-Behalf-Of": String(this.opts.actingUserId) }', O, None),
         ("src/harvest.ts", 'return this.http.get("/eeoc");', E, "GET /v1/eeoc"),
     ],
     "negatives": [
         ("src/ingestion.ts", 'baseURL: "https://api.greenhouse.io/v1/partner"', "Ingestion API"),
         ("src/ingestion.ts", 'auth: { username: process.env.PARTNER_KEY ?? "", password: "" }', "Ingestion partner key"),
         ("src/ingestion.ts", 'ingestion.post("/candidates"', "Ingestion candidates"),
         ("src/ingestion.ts", 'return ingestion.get("/jobs");', "Ingestion jobs"),
     ]},
    {"repo": "own:raml-spec", "language": "RAML 1.0",
     "why": "baseUri with a {version} placeholder and version: v1; Basic Authentication scheme; nested resources with methods; an On-Behalf-Of header parameter.",
     "findings": [
         ("api.raml", "baseUri: https://harvest.greenhouse.io/{version}", B, None),
         ("api.raml", "type: Basic Authentication", A, None),
         ("api.raml", "/candidates:", E, "GET /v1/candidates"),
         ("api.raml", "On-Behalf-Of:", O, None),
         ("api.raml", "  /{id}:", E, "GET /v1/candidates/{id}"),
         ("api.raml", "/departments:", E, "GET /v1/departments"),
         ("api.raml", "/close_reasons:", E, "GET /v1/close_reasons"),
     ],
     "negatives": []},
    {"repo": "own:openapi-spec", "language": "OpenAPI 3 (YAML)",
     "why": "servers v1, paths with operations, basic security scheme, On-Behalf-Of header parameter.",
     "findings": [
         ("openapi.yaml", "  - url: https://harvest.greenhouse.io/v1", B, None),
         ("openapi.yaml", "  /jobs:", E, "GET /v1/jobs"),
         ("openapi.yaml", "  /jobs/{id}:", E, "GET /v1/jobs/{id}"),
         ("openapi.yaml", "- name: On-Behalf-Of", O, None),
         ("openapi.yaml", "  /prospect_pools:", E, "GET /v1/prospect_pools"),
         ("openapi.yaml", "scheme: basic", A, None),
     ],
     "negatives": []},
    {"repo": "own:markdown-docs", "language": "Markdown (prose, tables, indented and fenced blocks)",
     "why": "Integration docs: inline-code URLs and tables with verbs, a header table naming On-Behalf-Of and Basic, an indented curl -u KEY: block, a fenced curl with a hand-built Basic header; Job Board and v3 mentions are negatives.",
     "findings": [
         ("docs/integration.md", "Requests go to `https://harvest.greenhouse.io/v1` with", B, None),
         ("docs/integration.md", "`GET https://harvest.greenhouse.io/v1/candidates?updated_after=...`", E, "GET /v1/candidates"),
         ("docs/integration.md", "`GET https://harvest.greenhouse.io/v1/applications/{id}`", E, "GET /v1/applications/{id}"),
         ("docs/integration.md", "`POST https://harvest.greenhouse.io/v1/applications/{id}/hire`", E, "POST /v1/applications/{id}/hire"),
         ("docs/integration.md", "| `Authorization` | `Basic base64(API_KEY:)` |", A, None),
         ("docs/integration.md", "| `On-Behalf-Of` |", O, None),
         ("docs/integration.md", "curl -u $GREENHOUSE_API_KEY: https://harvest.greenhouse.io/v1/users?per_page=1", E, "GET /v1/users"),
         ("docs/integration.md", 'curl -H "Authorization: Basic $(echo -n "$KEY:" | base64)"', A, None),
         ("docs/integration.md", "  https://harvest.greenhouse.io/v1/job_stages", E, "GET /v1/job_stages"),
     ],
     "extra": {"docs/integration.md|curl -u $GREENHOUSE_API_KEY:": A},
     "negatives": [
         ("README.md", "GET https://boards-api.greenhouse.io/v1/boards/acme/jobs?content=true", "Job Board"),
         ("docs/integration.md", "v3 is served from `https://harvest.greenhouse.io/v3/candidates`", "v3"),
     ]},
    {"repo": "own:js-test-suite", "language": "JavaScript (https module) + mocha/nock",
     "why": "A request(method, path) wrapper joining '/v1' to the Harvest host, base64 of key + ':' into a Basic header, call sites naming method and path; nock interceptors on the host with /v1 paths and basicAuth with a blank pass.",
     "findings": [
         ("lib/client.js", 'const auth = Buffer.from(apiKey + ":").toString("base64");', A, None),
         ("lib/client.js", 'path: "/v1" + path, method, headers: { Authorization: "Basic " + auth }', E, None),
         ("lib/client.js", 'request("GET", "/candidates", key)', E, "GET /v1/candidates"),
         ("lib/client.js", 'request("POST", "/prospects", key, body)', E, "POST /v1/prospects"),
         ("test/client.test.js", '.get("/v1/candidates")', E, "GET /v1/candidates"),
         ("test/client.test.js", '.basicAuth({ user: "KEY", pass: "" })', A, None),
         ("test/client.test.js", '.post("/v1/prospects")', E, "POST /v1/prospects"),
     ],
     "extra": {"lib/client.js|path: \"/v1\" + path": A},
     "negatives": []},
    {"repo": "own:java-spring", "language": "Java (Spring WebClient) + application.yml",
     "why": "Base URL in application.yml injected with @Value; WebClient uri templates; setBasicAuth(key, \"\"); On-Behalf-Of header.",
     "findings": [
         ("src/main/resources/application.yml", "base-url: https://harvest.greenhouse.io/v1", B, None),
         ("src/main/java/com/acme/ats/GreenhouseGateway.java", '.defaultHeaders(h -> h.setBasicAuth(apiKey, ""))', A, None),
         ("src/main/java/com/acme/ats/GreenhouseGateway.java", '.uri("/candidates/{id}", id)', E, "GET /v1/candidates/{id}"),
         ("src/main/java/com/acme/ats/GreenhouseGateway.java", '.uri("/scheduled_interviews/{id}"', E, "GET /v1/scheduled_interviews/{id}"),
         ("src/main/java/com/acme/ats/GreenhouseGateway.java", '.uri("/candidates/{id}/educations", candidateId)', E, "POST /v1/candidates/{id}/educations"),
         ("src/main/java/com/acme/ats/GreenhouseGateway.java", '.header("On-Behalf-Of"', O, None),
     ],
     "negatives": []},
    {"repo": "own:php-dynamic-client", "language": "PHP (greenhouse-tools-php dynamic Harvest client)",
     "why": "The library's HarvestService resolves getX/postY method names (via __call) to v1 routes; the method names spell the route, the On-Behalf-Of header goes in the second argument.",
     "findings": [
         ("src/Importer.php", "$this->harvest->getJobs(['per_page' => 100])", E, "GET /v1/jobs"),
         ("src/Importer.php", "$this->harvest->getUsers()", E, "GET /v1/users"),
         ("src/Importer.php", "$this->harvest->getOffersForApplication(['id' => 12])", E, "GET /v1/applications/{id}/offers"),
         ("src/Importer.php", "$this->harvest->postActivityFeedNotesForCandidate(", E, "POST /v1/candidates/{id}/activity_feed/notes"),
         ("src/Importer.php", "['On-Behalf-Of' => $userId]", O, None),
     ],
     "negatives": []},
    {"repo": "own:shell-ops", "language": "Shell + GitHub Actions YAML + Python (urllib)",
     "why": "curl -u KEY:, credentials in URL userinfo, -X PATCH with an On-Behalf-Of header, a workflow run step, and a Python helper building 'Basic %s' from '%s:' with a fetch(path) wrapper; the Job Board curl is a negative.",
     "findings": [
         ("scripts/export.sh", 'curl -sf -u "$GREENHOUSE_KEY:" "https://harvest.greenhouse.io/v1/candidates?per_page=500"', E, "GET /v1/candidates"),
         ("scripts/export.sh", 'curl -sf "https://$GREENHOUSE_KEY:@harvest.greenhouse.io/v1/users?per_page=500"', E, "GET /v1/users"),
         ("scripts/export.sh", '-X PATCH -H "On-Behalf-Of: 4242"', O, None),
         ("scripts/export.sh", '"https://harvest.greenhouse.io/v1/jobs/$JOB_ID"', E, "PATCH /v1/jobs/{id}"),
         (".github/workflows/nightly.yml", "https://harvest.greenhouse.io/v1/departments -o departments.json", E, "GET /v1/departments"),
         ("tools/report.py", 'BASE = "https://harvest.greenhouse.io/v1"', B, None),
         ("tools/report.py", 'req.add_header("Authorization", "Basic %s"', A, None),
         ("tools/report.py", 'return fetch("/offices")', E, "GET /v1/offices"),
         ("tools/report.py", 'return fetch("/jobs/%s/openings" % job_id)', E, "GET /v1/jobs/{id}/openings"),
         ("tools/report.py", "req = urllib.request.Request(BASE + path)", E, None),
     ],
     "extra": {
         "scripts/export.sh|curl -sf -u \"$GREENHOUSE_KEY:\" \"https": A,
         "scripts/export.sh|curl -sf \"https://$GREENHOUSE_KEY:@": A,
         "scripts/export.sh|curl -sf -u \"$GREENHOUSE_KEY:\" -X PATCH": A,
         ".github/workflows/nightly.yml|run: curl -sf -u": A,
     },
     "negatives": [
         ("scripts/export.sh", 'curl -sf "https://boards-api.greenhouse.io/v1/boards/acme/jobs"', "Job Board"),
     ]},
    {"repo": "own:neg-v3-app", "language": "Python (httpx): v3, Job Board, Audit Log, Onboarding",
     "why": "NEGATIVE CONTROL: Harvest v3 on the bare host, a Job Board application POST with Basic auth and a blank password, the Audit Log API, an Onboarding API call with Basic auth. Nothing here is Harvest v1/v2.",
     "expect_no_findings": True,
     "findings": [],
     "negatives": [
         ("app/client.py", 'HARVEST_HOST = "https://harvest.greenhouse.io"', "v3 host"),
         ("app/client.py", 'return self._http.get("/candidates"', "v3 relative path"),
         ("app/client.py", 'return self._http.get(f"/jobs/{job_id}")', "v3 relative path"),
         ("app/boards.py", 'auth=(api_key, "")', "Job Board application submit"),
         ("app/boards.py", 'BOARDS + "/" + board_token + "/offices"', "Job Board offices"),
         ("app/audit.py", 'AUDIT = "https://auditlog.us.greenhouse.io"', "Audit Log API"),
         ("app/audit.py", 'auth=(token, "")', "Onboarding API"),
     ]},
    {"repo": "own:neg-other-vendors", "language": "JavaScript + Go: other vendors",
     "why": "NEGATIVE CONTROL: Lever (Basic with blank password, /candidates, /users), Harvest the time tracker, an IoT greenhouse with /v1/users and /v1/jobs, Ashby with SetBasicAuth(key, \"\").",
     "expect_no_findings": True,
     "findings": [],
     "negatives": [
         ("src/lever.js", 'auth: { username: process.env.LEVER_KEY, password: "" }', "Lever"),
         ("src/lever.js", 'lever.get("/candidates")', "Lever"),
         ("src/harvest-time.js", "https://api.harvestapp.com/v2/users/me", "Harvest time tracker"),
         ("src/greenhouse-sensors.js", 'fetch(`${BASE}/users`)', "IoT greenhouse"),
         ("src/greenhouse-sensors.js", 'btoa(key + ":")', "IoT greenhouse"),
         ("src/ashby.go", 'req.SetBasicAuth(key, "")', "Ashby"),
     ]},
]


def locate(rel, needle):
    nth, explicit = 1, False
    if "@" in needle and needle.rsplit("@", 1)[1].isdigit():
        needle, n = needle.rsplit("@", 1)
        nth, explicit = int(n), True
    path = os.path.join(TREES, ENTRY_FOLDER, *rel.split("/"))
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    hits = [i + 1 for i, l in enumerate(lines) if needle in l]
    if not explicit and len(hits) > 1:
        sys.exit("%s: %r occurs %d times (use @N)" % (rel, needle, len(hits)))
    if len(hits) < nth:
        sys.exit("%s: %r not found (%d hits)" % (rel, needle, len(hits)))
    return hits[nth - 1], needle


ENTRY_FOLDER = ""


def main():
    global ENTRY_FOLDER
    out = []
    for e in ENTRIES:
        ENTRY_FOLDER = e["repo"].replace(":", "_")
        findings = []
        for rel, needle, kind, route in e["findings"]:
            line, text = locate(rel, needle)
            lab = {"path": rel, "line": line, "kind": kind, "text": text}
            if route:
                lab["legacy_route"] = route
            findings.append(lab)
        for key, kind in e.get("extra", {}).items():
            rel, needle = key.split("|", 1)
            line, text = locate(rel, needle)
            findings.append({"path": rel, "line": line, "kind": kind, "text": text})
        negatives = []
        for rel, needle, why in e.get("negatives", []):
            line, text = locate(rel, needle)
            negatives.append({"path": rel, "line": line, "text": text, "why": why})
        files = sum(len(fs) for _, _, fs in os.walk(os.path.join(TREES, ENTRY_FOLDER)))
        ent = {"repo": e["repo"], "language": e["language"], "size_files": files, "why": e["why"],
               "findings": sorted(findings, key=lambda x: (x["path"], x["line"], x["kind"]))}
        if negatives:
            ent["negatives"] = negatives
        if e.get("expect_no_findings"):
            ent["expect_no_findings"] = True
        out.append(ent)
    with open(os.path.join(HERE, "labels.json"), "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    n = sum(len(x["findings"]) for x in out)
    print("labels.json: %d entries, %d findings, %d negatives" % (
        len(out), n, sum(len(x.get("negatives", [])) for x in out)))


if __name__ == "__main__":
    main()
