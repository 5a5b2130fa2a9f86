//! Output formats: text, JSON, SARIF 2.1.0, Markdown and GitHub workflow annotations.

use std::fmt::Write as _;

use owo_colors::OwoColorize;
use serde_json::{Value, json};

use crate::findings::{Finding, Report};
use crate::model::Kind;

pub fn text(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let loc = format!("{}:{}:{}", f.path, f.line, f.column);
        let kind = format!("{} {}", f.rule, f.kind);
        if color {
            let _ = writeln!(
                out,
                "{} {} {}",
                loc.bold(),
                kind.yellow(),
                f.legacy_route.as_deref().unwrap_or("").cyan()
            );
        } else {
            let _ = writeln!(
                out,
                "{loc} {kind} {}",
                f.legacy_route.as_deref().unwrap_or("")
            );
        }
        let _ = writeln!(out, "    {}", f.text);
        let _ = writeln!(out, "    {}", f.message);
    }
    let s = &report.summary;
    let _ = writeln!(out);
    let head = format!(
        "{} findings in {} files ({} files scanned, {} parsed)",
        s.findings,
        s.by_file.len(),
        s.files_scanned,
        s.files_parsed
    );
    if color {
        let _ = writeln!(out, "{}", head.bold());
    } else {
        let _ = writeln!(out, "{head}");
    }
    let kinds: Vec<String> = s.by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let _ = writeln!(out, "by kind: {}", kinds.join(", "));
    if !s.endpoints.is_empty() {
        let _ = writeln!(out, "endpoints used → v3:");
        for e in &s.endpoints {
            let _ = writeln!(
                out,
                "  {} ({}×, {}) → {}",
                e.legacy_route,
                e.count,
                e.status,
                e.v3.join(" + ")
            );
        }
    }
    if !s.scopes.is_empty() {
        let _ = writeln!(out, "v3 scopes needed: {}", s.scopes.join(" "));
    }
    if s.suppressed + s.baselined > 0 {
        let _ = writeln!(
            out,
            "suppressed {} (inline) + {} (baseline)",
            s.suppressed, s.baselined
        );
    }
    for w in &s.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

fn esc_prop(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(':', "%3A")
        .replace(',', "%2C")
}

fn esc_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub workflow commands: `::warning file=…,line=…,col=…,title=…::message`.
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let title = format!(
            "{} {}",
            f.rule,
            f.legacy_route.as_deref().unwrap_or(f.kind.as_str())
        );
        let _ = writeln!(
            out,
            "::warning file={},line={},col={},title={}::{}",
            esc_prop(&f.path),
            f.line,
            f.column,
            esc_prop(&title),
            esc_data(&f.message)
        );
    }
    out
}

fn rule_help(kind: Kind) -> (&'static str, &'static str, &'static str) {
    match kind {
        Kind::Endpoint => (
            "legacy-endpoint",
            "Call to a retired Harvest v1/v2 endpoint",
            "Harvest v1/v2 is retired on 31 Aug 2026. Replace the call with the v3 call(s) named in the finding; the mapping notes say how filters, pagination (cursor) and the response shape change.",
        ),
        Kind::BaseUrl => (
            "legacy-base-url",
            "Harvest v1/v2 base URL",
            "The v3 API lives at https://harvest.greenhouse.io/v3. Paths differ per resource, so change the base only together with every call made from it.",
        ),
        Kind::BasicAuth => (
            "legacy-basic-auth",
            "HTTP Basic auth with the Harvest API key",
            "v3 takes an OAuth2 client-credentials Bearer token (POST https://auth.greenhouse.io/token with grant_type=client_credentials). The API key as username with a blank password no longer works.",
        ),
        Kind::OnBehalfOf => (
            "legacy-on-behalf-of",
            "On-Behalf-Of header",
            "v3 has no On-Behalf-Of header: the acting user is the sub of the token, chosen when the token is minted (sub=<user id>).",
        ),
    }
}

const GUIDE: &str = "https://harvestdocs.greenhouse.io/docs/step-by-step-migration-instructions";

/// The rule's help URI: `HARVEST_SCAN_RULES_URI` + `HB00N.md` when set (the web URL of the
/// repository's docs/rules/, whose pages are also embedded as `help.markdown`), else the
/// migration guide.
fn help_uri(kind: Kind) -> String {
    match std::env::var("HARVEST_SCAN_RULES_URI") {
        Ok(base) if !base.is_empty() => format!("{base}{}.md", kind.rule()),
        _ => GUIDE.to_string(),
    }
}

fn rule_doc(kind: Kind) -> &'static str {
    match kind {
        Kind::Endpoint => include_str!("../../docs/rules/HB001.md"),
        Kind::BaseUrl => include_str!("../../docs/rules/HB002.md"),
        Kind::BasicAuth => include_str!("../../docs/rules/HB003.md"),
        Kind::OnBehalfOf => include_str!("../../docs/rules/HB004.md"),
    }
}

fn rule_tags(kind: Kind) -> Vec<&'static str> {
    let mut t = vec!["greenhouse", "harvest", "api-migration", "deprecated-api"];
    if matches!(kind, Kind::BasicAuth | Kind::OnBehalfOf) {
        t.push("authentication");
        t.push("security");
    }
    t
}

/// SARIF `fixes[]` for a safe rewrite: replace the version segment with `v3`.
fn fixes(f: &Finding) -> Vec<Value> {
    let Some((at, old, new)) = &f.rewrite else {
        return Vec::new();
    };
    vec![json!({
        "description": {"text": format!("replace /{old}/ with /{new}/ (same v3 request)")},
        "artifactChanges": [{
            "artifactLocation": {"uri": f.path, "uriBaseId": "SRCROOT"},
            "replacements": [{
                "deletedRegion": {"charOffset": at, "charLength": old.len()},
                "insertedContent": {"text": new}
            }]
        }]
    })]
}

/// SARIF 2.1.0 log (one run). Endpoint rules carry the mapping notes of each route as result
/// properties; the rule help explains the migration of the kind.
pub fn sarif(report: &Report) -> String {
    let rules: Vec<Value> = Kind::ALL
        .iter()
        .map(|k| {
            let (name, short, help) = rule_help(*k);
            json!({
                "id": k.rule(),
                "name": name,
                "shortDescription": {"text": short},
                "fullDescription": {"text": help},
                "help": {"text": help, "markdown": rule_doc(*k)},
                "helpUri": help_uri(*k),
                "defaultConfiguration": {"level": if *k == Kind::BaseUrl { "note" } else { "warning" }},
                "properties": {"kind": k.as_str(), "tags": rule_tags(*k), "docs": format!("docs/rules/{}.md", k.rule())}
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let idx = Kind::ALL.iter().position(|k| *k == f.kind).unwrap_or(0);
            let mut msg = f.message.clone();
            if !f.v3.notes().is_empty() {
                msg.push_str("\n\nMapping notes: ");
                msg.push_str(f.v3.notes());
            }
            json!({
                "ruleId": f.rule,
                "ruleIndex": idx,
                "level": if f.kind == Kind::BaseUrl { "note" } else { "warning" },
                "message": {"text": msg},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path, "uriBaseId": "SRCROOT"},
                        "region": {"startLine": f.line, "startColumn": f.column.max(1), "snippet": {"text": f.text}}
                    }
                }],
                "partialFingerprints": {"harvestScan/v1": f.fingerprint},
                "fixes": fixes(f),
                "properties": {
                    "kind": f.kind.as_str(),
                    "confidence": f.confidence,
                    "severity": f.severity,
                    "legacyRoute": f.legacy_route,
                    "v3": f.v3,
                    "scopes": f.scopes
                }
            })
        })
        .collect();
    let results: Vec<Value> = results
        .into_iter()
        .map(|mut v| {
            if v["fixes"].as_array().is_some_and(|a| a.is_empty())
                && let Some(o) = v.as_object_mut()
            {
                o.remove("fixes");
            }
            if v["properties"]["severity"] == "docs" {
                v["level"] = json!("note");
            }
            v
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "harvest-scan",
                "informationUri": "https://harvestdocs.greenhouse.io/docs/step-by-step-migration-instructions",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "originalUriBaseIds": {"SRCROOT": {"description": {"text": "the scanned folder"}}},
            "results": results,
            "properties": {"summary": report.summary}
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown report for reviewers: the summary, then one comment per finding that is not a
/// safe rewrite (safe rewrites are in the `--diff` patch).
pub fn markdown(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let _ = writeln!(out, "# Harvest v1/v2 → v3 migration report\n");
    let _ = writeln!(
        out,
        "{} findings in {} files ({} files scanned). Harvest v1/v2 is retired on 31 Aug 2026.\n",
        s.findings,
        s.by_file.len(),
        s.files_scanned
    );
    let _ = writeln!(out, "| kind | rule | count |\n| --- | --- | --- |");
    for k in Kind::ALL {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            k,
            k.rule(),
            s.by_kind.get(k.as_str()).copied().unwrap_or(0)
        );
    }
    if !s.endpoints.is_empty() {
        let _ = writeln!(
            out,
            "\n## Endpoints used\n\n| legacy route | uses | status | v3 calls | scopes |\n| --- | --- | --- | --- | --- |"
        );
        for e in &s.endpoints {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                e.legacy_route,
                e.count,
                e.status,
                md_cell(
                    &e.v3
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(" + ")
                ),
                md_cell(&e.scopes.join(" "))
            );
        }
    }
    let _ = writeln!(out, "\n## v3 scopes needed\n");
    if s.scopes.is_empty() {
        let _ = writeln!(out, "(none derived)");
    } else {
        let _ = writeln!(out, "`{}`", s.scopes.join("` `"));
    }
    let _ = writeln!(out, "\n## By file\n\n| file | findings |\n| --- | --- |");
    for (f, n) in &s.by_file {
        let _ = writeln!(out, "| `{}` | {} |", md_cell(f), n);
    }
    let safe: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rewrite.is_some())
        .collect();
    if !safe.is_empty() {
        let _ = writeln!(out, "\n## Safe rewrites (in the patch)\n");
        for f in safe {
            let _ = writeln!(
                out,
                "- `{}:{}` {}",
                f.path,
                f.line,
                f.legacy_route.as_deref().unwrap_or("")
            );
        }
    }
    let _ = writeln!(out, "\n## Review comments\n");
    for f in report.findings.iter().filter(|f| f.rewrite.is_none()) {
        let _ = writeln!(
            out,
            "### `{}:{}` — {} {}\n",
            f.path,
            f.line,
            f.rule,
            f.legacy_route.as_deref().unwrap_or(f.kind.as_str())
        );
        let _ = writeln!(out, "```\n{}\n```\n", f.text.replace("```", "'''"));
        let _ = writeln!(out, "{}\n", f.message);
        for c in &f.v3.calls() {
            let q: Vec<String> = c.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(
                out,
                "- v3: `{} {}{}`{} (scope `{}`)",
                c.method,
                c.path,
                if q.is_empty() {
                    String::new()
                } else {
                    format!("?{}", q.join("&"))
                },
                c.purpose
                    .as_deref()
                    .map(|p| format!(" — {p}"))
                    .unwrap_or_default(),
                c.scope
            );
        }
        for ch in &f.v3.changes() {
            let _ = writeln!(out, "- {ch}");
        }
        if !f.v3.notes().is_empty() {
            let _ = writeln!(out, "- notes: {}", f.v3.notes());
        }
        let _ = writeln!(out);
    }
    if !s.warnings.is_empty() {
        let _ = writeln!(out, "## Warnings\n");
        for w in &s.warnings {
            let _ = writeln!(out, "- {w}");
        }
    }
    out
}
