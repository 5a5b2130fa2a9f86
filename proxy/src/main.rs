//! `harvest-proxy`: a thin CLI over the library.

/// The proxy allocates many short-lived JSON values per request; mimalloc serves that pattern
/// much faster than the system allocator and keeps memory flatter (docs/benchmarks.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use harvest_mappings::{Catalog, Diagnostics, Status, report};
use harvest_proxy::{Config, sandbox};

const EXAMPLES: &str = "\
Serving needs exactly one of --config (a real Harvest v3, see docs/proxy.md) or --sandbox
(a simulated Harvest v3 with demo data); the subcommands need neither.

Examples:
  harvest-proxy --sandbox                          try it: a simulated v3 on 127.0.0.1:8080
  harvest-proxy --sandbox --listen 127.0.0.1:9000 --sandbox-scale 0.1
  harvest-proxy --config proxy.toml                serve legacy clients from Harvest v3
  harvest-proxy --config proxy.toml --log-format json
  harvest-proxy mappings show \"GET /v1/candidates/{id}\"
  harvest-proxy mappings list | grep unsupported
  printf %s \"$KEY\" | harvest-proxy hash-key       the sha256 of a legacy key, for proxy.toml";

const MAPPINGS_EXAMPLES: &str = "\
Without DIR (or --dir), the mapping files embedded in this binary are used.

Examples:
  harvest-proxy mappings check                     check the embedded mapping files
  harvest-proxy mappings check mappings/resources  check a directory of mapping files
  harvest-proxy mappings list --format json        one JSON object per legacy endpoint
  harvest-proxy mappings show \"GET /v1/candidates\"
  harvest-proxy mappings show PATCH /v2/job_posts/123 --format json
  harvest-proxy mappings coverage > docs/coverage.md";

const SHOW_EXAMPLES: &str = "\
The route is a method and a legacy path, quoted or not: a documented path
(/v1/candidates/{id}, any parameter names), a concrete one (/v1/candidates/123), under /v1/
or /v2/. Without a method, every endpoint at the path is shown. An unknown route lists the
closest ones and exits with 2.

Examples:
  harvest-proxy mappings show \"GET /v1/candidates\"
  harvest-proxy mappings show GET /v1/candidates/123
  harvest-proxy mappings show \"PATCH /v1/applications/{id}\" --format json
  harvest-proxy mappings show /v1/candidates/{id}   (GET, PATCH and DELETE)";

#[derive(Parser)]
#[command(
    name = "harvest-proxy",
    version,
    about = "Serve legacy Harvest v1/v2 requests from Harvest v3",
    after_help = EXAMPLES
)]
struct Cli {
    /// proxy.toml: tenants, v3 credentials, listen address (see docs/proxy.md); serving needs
    /// this or --sandbox
    #[arg(long, conflicts_with = "sandbox", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Serve from a built-in simulated Harvest v3 with demo data and a demo API key (no
    /// config, no network)
    #[arg(long)]
    sandbox: bool,
    /// Listen address (overrides the config; default 127.0.0.1:8080 with --sandbox)
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// The demo API key for --sandbox
    #[arg(long, default_value = sandbox::DEMO_KEY, requires = "sandbox")]
    sandbox_key: String,
    /// Data volume of --sandbox (1.0 ≈ 1,000 candidates)
    #[arg(long, default_value_t = 1.0, requires = "sandbox")]
    sandbox_scale: f64,
    /// Log format
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Check, list and explain the mapping files (needs neither --config nor --sandbox)
    #[command(after_help = MAPPINGS_EXAMPLES)]
    Mappings {
        #[command(subcommand)]
        action: MappingsAction,
    },
    /// Check each tenant's v3 credential against its keys: token, site-admin read user, the
    /// scope of every v3 call the keys' endpoints make (exit 1 on a problem)
    #[command(after_help = "Example:\n  harvest-proxy doctor --config proxy.toml")]
    Doctor {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the SHA-256 of a legacy API key read from standard input (for proxy.toml)
    #[command(after_help = "Example:\n  printf %s \"$KEY\" | harvest-proxy hash-key")]
    HashKey,
    /// The usage report of legacy keys for a month, from the store file (docs/usage.md)
    #[command(
        after_help = "Example:\n  harvest-proxy usage --config proxy.toml --month 2026-11 --format csv"
    )]
    Usage {
        /// proxy.toml (its `store` file is read; works while the proxy runs)
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// YYYY-MM, UTC (default: the current month)
        #[arg(long)]
        month: Option<String>,
        #[arg(long, value_enum, default_value_t = harvest_proxy::usage::Format::Text)]
        format: harvest_proxy::usage::Format,
    },
}

#[derive(Subcommand)]
enum MappingsAction {
    /// Check mapping files; prints a summary, exits 1 on any error
    Check { dir: Option<PathBuf> },
    /// List every legacy endpoint: method, path, status, v3 calls
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        dir: Option<PathBuf>,
    },
    /// Explain one legacy endpoint: status, parameters, v3 calls, scopes, notes and its views
    /// with their joins, resolved
    #[command(after_help = SHOW_EXAMPLES)]
    Show {
        /// The legacy route, e.g. "GET /v1/candidates/{id}"
        #[arg(required = true, num_args = 1..=2, value_name = "ROUTE")]
        route: Vec<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// A directory of mapping files instead of the embedded ones
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print docs/coverage.md
    Coverage { dir: Option<PathBuf> },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn load(dir: &Option<PathBuf>) -> Result<&'static Catalog, Diagnostics> {
    match dir {
        None => Catalog::embedded().map_err(Clone::clone),
        Some(d) => Catalog::load_dir(d).map(|c| &*Box::leak(Box::new(c))),
    }
}

/// Writes a command's output; a reader that went away (`… | head -1`) ends it quietly.
fn emit(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            ExitCode::from(1)
        }
    }
}

fn mappings(action: MappingsAction) -> ExitCode {
    let dir = match &action {
        MappingsAction::Check { dir }
        | MappingsAction::List { dir, .. }
        | MappingsAction::Show { dir, .. }
        | MappingsAction::Coverage { dir } => dir,
    };
    let c = match load(dir) {
        Ok(c) => c,
        Err(d) => {
            eprintln!("{d}");
            if matches!(action, MappingsAction::Check { .. }) {
                eprintln!("{} error(s) in the mapping files", d.0.len());
            }
            return ExitCode::from(1);
        }
    };
    match action {
        MappingsAction::Check { .. } => {
            let eps = c.endpoints();
            let count = |s: Status| eps.iter().filter(|e| e.status == s).count();
            emit(&format!(
                "ok: {} files, {} views, {} legacy endpoints ({} translated, {} partial, {} unsupported)\n",
                c.files().len(),
                c.views().count(),
                eps.len(),
                count(Status::Translated),
                count(Status::Partial),
                count(Status::Unsupported)
            ))
        }
        MappingsAction::List { format, .. } => {
            let mut out = String::new();
            for e in report::sorted(c) {
                match format {
                    Format::Json => out.push_str(&report::endpoint_json(e).to_string()),
                    Format::Text => out.push_str(&format!(
                        "{:<7} {:<58} {:<11} {}",
                        e.method,
                        e.path,
                        e.status,
                        e.v3.iter()
                            .map(|c| format!("{} {}", c.method, c.path))
                            .collect::<Vec<_>>()
                            .join(" + ")
                    )),
                }
                out.push('\n');
            }
            emit(&out)
        }
        MappingsAction::Show { route, format, .. } => {
            let eps = match report::find_endpoints(c, &route.join(" ")) {
                Ok(eps) => eps,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let shown: Vec<String> = eps
                .iter()
                .map(|e| match format {
                    Format::Json => format!("{}\n", report::show_json(c, e)),
                    Format::Text => report::show_text(c, e),
                })
                .collect();
            let sep = match format {
                Format::Json => "",
                Format::Text => "\n",
            };
            emit(&shown.join(sep))
        }
        MappingsAction::Coverage { .. } => emit(&report::coverage_markdown(c)),
    }
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => b.json().init(),
        LogFormat::Text => b.init(),
    }
}

/// Completes on SIGTERM or ctrl-c.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// On the first SIGTERM or ctrl-c: stop accepting and drain; on a second one: exit at once.
fn stop_on_signal(stop: tokio::sync::watch::Sender<bool>) {
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!(
            "shutting down: no new connections; draining requests in flight (signal again to exit at once)"
        );
        let _ = stop.send(true);
        shutdown_signal().await;
        tracing::warn!("second signal: exiting without draining");
        std::process::exit(130);
    });
}

/// SIGHUP: reload keys and tenants from `config` (None: nothing to reload). A config that does
/// not load or validate keeps the running one; connections are never dropped.
fn reload_on_hup(state: std::sync::Arc<harvest_proxy::State>, config: Option<PathBuf>) {
    #[cfg(unix)]
    {
        // Registered before returning, so a SIGHUP from now on never takes the default action
        // (which would end the process).
        let kind = tokio::signal::unix::SignalKind::hangup();
        let Ok(mut hup) = tokio::signal::unix::signal(kind) else {
            tracing::warn!("cannot listen for SIGHUP: reloading is off");
            return;
        };
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                let Some(path) = &config else {
                    tracing::info!("SIGHUP: nothing to reload (no --config)");
                    continue;
                };
                let loaded = Config::load(path).map_err(|e| e.to_string());
                match loaded.and_then(|c| state.reload(c)) {
                    Ok(summary) => tracing::info!("SIGHUP: reloaded {}: {summary}", path.display()),
                    Err(e) => tracing::error!(
                        "SIGHUP: {} not reloaded, the running keys and tenants are kept: {e}",
                        path.display()
                    ),
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = (state, config);
}

/// `harvest-proxy usage`: the report from the config's store file.
fn usage(
    config: Option<PathBuf>,
    month: Option<String>,
    format: harvest_proxy::usage::Format,
) -> ExitCode {
    let Some(config) = config else {
        eprintln!("error: `usage` needs --config proxy.toml (its `store` file)");
        return ExitCode::from(2);
    };
    match harvest_proxy::usage::cli(&config, month.as_deref(), format) {
        Ok(out) => emit(&out),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// `--sandbox`'s admin listener: a free loopback port, a token made for this run, both printed.
async fn sandbox_admin(
    state: &std::sync::Arc<harvest_proxy::State>,
) -> Option<harvest_proxy::admin::Admin> {
    let token = harvest_proxy::admin::random_token();
    let at = SocketAddr::from(([127, 0, 0, 1], 0));
    match harvest_proxy::admin::start(state.clone(), at, token.clone()).await {
        Ok(a) => {
            let t = token.expose();
            println!(
                "Usage report: http://{}/usage?token={t}  (admin token of this run: {t})",
                a.addr
            );
            Some(a)
        }
        Err(e) => {
            eprintln!("warning: no admin listener: {e}");
            None
        }
    }
}

/// `harvest-proxy hash-key`: the SHA-256 of the key on standard input.
fn hash_key() -> ExitCode {
    let mut key = String::new();
    if std::io::stdin().read_to_string(&mut key).is_err() || key.trim().is_empty() {
        eprintln!(
            "error: pipe the legacy API key on standard input, e.g. `printf %s \"$KEY\" | harvest-proxy hash-key`"
        );
        return ExitCode::from(2);
    }
    println!("{}", harvest_proxy::auth::key_hash_hex(key.trim()));
    ExitCode::SUCCESS
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Mappings { action }) => return mappings(action),
        Some(Command::Doctor { config, format }) => {
            let json = matches!(format, Format::Json);
            return ExitCode::from(harvest_proxy::doctor::cli(&config, json).await);
        }
        Some(Command::HashKey) => return hash_key(),
        Some(Command::Usage {
            config,
            month,
            format,
        }) => return usage(config.or(cli.config), month, format),
        None => {}
    }
    init_logs(cli.log_format);
    if cli.sandbox {
        let listen = cli
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let sb_config = harvest_sandbox::SandboxConfig {
            scale: cli.sandbox_scale,
            ..Default::default()
        };
        let (sb, state, running) = match sandbox::start(listen, &cli.sandbox_key, sb_config).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        println!(
            "harvest-proxy is serving the Harvest v1 API from a simulated Harvest v3 at {}",
            sb.base_url()
        );
        println!("Try it:");
        println!(
            "  curl -u {}: http://{}/v1/candidates",
            cli.sandbox_key, running.addr
        );
        println!(
            "Health: http://{0}/healthz  Metrics: http://{0}/metrics  (ctrl-c to stop)",
            running.addr
        );
        // Kept to the end: dropping it stops the admin listener.
        let _admin = sandbox_admin(&state).await;
        stop_on_signal(running.stopper());
        reload_on_hup(state, None);
        running.wait().await;
        sb.shutdown().await;
        return ExitCode::SUCCESS;
    }
    let Some(path) = cli.config else {
        eprintln!(
            "error: serving needs --config proxy.toml (see docs/proxy.md) or --sandbox to try it; `harvest-proxy --help` has examples"
        );
        return ExitCode::from(2);
    };
    let mut config = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(l) = cli.listen {
        config.listen = l;
    }
    let (state, running) = match harvest_proxy::start(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Kept to the end: dropping it stops the admin listener.
    let _admin = match harvest_proxy::admin::for_config(&state).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let tenancy = state.tenancy();
    tracing::info!(
        addr = %running.addr,
        tenants = tenancy.tenant_count(),
        keys = tenancy.keys().len(),
        "harvest-proxy listening"
    );
    stop_on_signal(running.stopper());
    reload_on_hup(state, Some(path));
    running.wait().await;
    ExitCode::SUCCESS
}
