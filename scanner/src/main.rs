//! `harvest-scan`: find Harvest v1/v2 uses in a codebase. Exit 0 = no findings at or above
//! `--fail-on`, 1 = findings, 2 = error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use harvest_scan::{Kind, Options, baseline, diff, report, scan};

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Sarif,
    Markdown,
    Github,
}

const AFTER_HELP: &str = "\
Rules:
  HB001  endpoint      a call to a Harvest v1/v2 endpoint (full URL, path relative to a legacy
                       base, route tables, OpenAPI/RAML paths); says which v3 call(s) replace it
  HB002  base_url      the v1/v2 base URL (https://harvest.greenhouse.io/v1, servers, baseUri)
  HB003  basic_auth    the API key sent as Basic username with a blank password
  HB004  on_behalf_of  the On-Behalf-Of header (v3: the token's sub is the acting user)

Suppressing a finding:
  A comment containing `harvest-scan: ignore` on the finding's line or on the line before it
  suppresses every rule there; naming rules suppresses only those, the rest is the reason:
      url = LEGACY_URL  # harvest-scan: ignore
      auth = (KEY, \"\")  # harvest-scan: ignore HB003 token rotation ships in PR 42
  Accepted findings can also be recorded with --write-baseline and dropped with --baseline.

Settings (harvest-scan.toml in the scanned folder, or --config FILE):
  include = [\"src/**\"]            only these paths (globs, as rg -g)
  exclude = [\"**/fixtures/**\"]    not these
  base_urls = [\"GH_BASE\"]         names holding the v1/v2 base URL (set outside the code)
  wrappers = [\"ghRequest\", { name = \"gh_post\", param = 1, method = \"POST\" }]
                                   functions whose argument `param` is a path under the base

Exit status:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  error (bad arguments, unreadable root, broken catalog)

Examples:
  harvest-scan                                   scan the current folder, text report
  harvest-scan src --format json > findings.json
  harvest-scan . --format sarif > harvest.sarif  for code scanning uploads
  harvest-scan . --diff v3.patch && git apply v3.patch   apply the safe /v1/ -> /v3/ rewrites
  harvest-scan . --fail-on basic_auth            fail only on endpoints and Basic auth
  harvest-scan . --write-baseline base.json      accept today's findings ...
  harvest-scan . --baseline base.json            ... and report only new ones
  harvest-scan . --since origin/main             only findings on lines changed since main
  harvest-scan . -L                              follow symbolic links
  harvest-scan . --permissions                   the `endpoints = [...]` line of its proxy key
                                                 and the v3 scopes of its credential";

/// Finds uses of the retired Greenhouse Harvest v1/v2 API and says what replaces them in v3.
#[derive(Parser, Debug)]
#[command(name = "harvest-scan", version, after_help = AFTER_HELP)]
struct Cli {
    /// Folder or file to scan.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the safe rewrites as a unified patch to this file.
    #[arg(long, value_name = "OUT.patch")]
    diff: Option<PathBuf>,
    /// Exit 1 when a finding of this kind or a more severe one is found
    /// (endpoint > basic_auth > on_behalf_of > base_url; `any` = all kinds).
    #[arg(long, value_name = "KIND", default_value = "any")]
    fail_on: String,
    /// Drop findings listed in this baseline file.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Report only findings on lines changed since this git revision (working tree vs REF;
    /// untracked files count as changed).
    #[arg(long, value_name = "REF")]
    since: Option<String>,
    /// Write the current findings as a baseline file.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Scan everything: vendored dependency folders and ignored files too.
    #[arg(long)]
    all: bool,
    /// Do not honour .gitignore/.ignore files (.gitignore is read only inside a git work tree).
    #[arg(long)]
    no_ignore: bool,
    /// Follow symbolic links (not followed by default; loops detected, each file scanned once).
    #[arg(short = 'L', long)]
    follow: bool,
    /// Settings file (default: harvest-scan.toml in the scanned folder, when there is one).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print what the integration's proxy key needs instead of the findings: the
    /// `endpoints = [...]` line for proxy.toml and the v3 scopes of its tenant's credential
    /// (text, or --format json); unresolvable calls are warnings on stderr.
    #[arg(long)]
    permissions: bool,
    /// Colour: auto (on a terminal), always, never.
    #[arg(long, default_value = "auto")]
    color: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("harvest-scan: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let threshold = match cli.fail_on.as_str() {
        "any" | "all" => 0,
        s => Kind::parse(s).map(|k| k.rank()).ok_or_else(|| {
            anyhow::anyhow!(
                "--fail-on: unknown kind {s:?} (endpoint, basic_auth, on_behalf_of, base_url, any)"
            )
        })?,
    };
    let stderr_tty = std::io::stderr().is_terminal();
    let opts = Options {
        all: cli.all,
        no_ignore: cli.no_ignore,
        progress: stderr_tty,
        follow: cli.follow,
        config: cli.config.clone(),
    };
    let mut rep = scan(&cli.path, &opts)?;
    if let Some(b) = &cli.baseline {
        rep.summary.baselined = baseline::apply(&mut rep, b)?;
        harvest_scan::findings::summarize(&mut rep);
    }
    if let Some(rev) = &cli.since {
        let dir = if cli.path.is_file() {
            cli.path
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .to_path_buf()
        } else {
            cli.path.clone()
        };
        let changed = harvest_scan::since::changed(&dir, rev)?;
        harvest_scan::since::apply(&mut rep, &changed);
    }
    for w in &rep.summary.warnings {
        eprintln!("harvest-scan: warning: {w}");
    }
    if let Some(out) = &cli.write_baseline {
        baseline::write(&rep, out)?;
    }
    if let Some(out) = &cli.diff {
        let p = diff::patch(&rep, &cli.path);
        std::fs::write(out, p)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    }
    if cli.permissions {
        return permissions(cli, &rep);
    }
    let color = match cli.color.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut stdout = std::io::BufWriter::new(anstream::AutoStream::new(
        std::io::stdout().lock(),
        if color {
            anstream::ColorChoice::Always
        } else {
            anstream::ColorChoice::Never
        },
    ));
    match cli.format {
        // Streamed: a large report is never held twice in memory.
        Format::Json => {
            serde_json::to_writer_pretty(&mut stdout, &rep)?;
            stdout.write_all(b"\n")?;
        }
        Format::Text => stdout.write_all(report::text(&rep, color).as_bytes())?,
        Format::Sarif => stdout.write_all(report::sarif(&rep).as_bytes())?,
        Format::Markdown => stdout.write_all(report::markdown(&rep).as_bytes())?,
        Format::Github => stdout.write_all(report::github(&rep).as_bytes())?,
    }
    stdout.flush()?;
    let failing = rep.findings.iter().any(|f| f.kind.rank() >= threshold);
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--permissions`: the key's endpoints and the credential's scopes; exit 0 once printed.
fn permissions(cli: &Cli, rep: &harvest_scan::Report) -> anyhow::Result<ExitCode> {
    use harvest_scan::permissions as perm;
    let catalog = harvest_mappings::Catalog::embedded()
        .map_err(|d| anyhow::anyhow!("the embedded mapping catalogue is broken: {d}"))?;
    let needs = perm::compute(rep, catalog);
    for w in perm::warnings(&needs) {
        eprintln!("harvest-scan: warning: {w}");
    }
    let mut stdout = std::io::stdout().lock();
    match cli.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut stdout, &needs)?;
            stdout.write_all(b"\n")?;
        }
        Format::Text => stdout.write_all(perm::text(&needs).as_bytes())?,
        other => anyhow::bail!("--permissions prints text or json, not {other:?}"),
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
