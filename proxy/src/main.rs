//! `harvest-proxy`: a thin CLI over the library.

/// The proxy allocates many short-lived JSON values per request; mimalloc serves that pattern
/// much faster than the system allocator and keeps memory flatter (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use harvest_mappings::{Catalog, report};
use harvest_proxy::{Config, sandbox};

#[derive(Parser)]
#[command(
    name = "harvest-proxy",
    version,
    about = "Serve legacy Harvest v1/v2 requests from Harvest v3"
)]
struct Cli {
    /// proxy.toml (see docs/proxy.md)
    #[arg(long, conflicts_with = "sandbox")]
    config: Option<PathBuf>,
    /// Run against the built-in simulated Harvest v3 with a demo API key
    #[arg(long)]
    sandbox: bool,
    /// Listen address (overrides the config)
    #[arg(long)]
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
    /// Work with the mapping files
    Mappings {
        #[command(subcommand)]
        action: MappingsAction,
    },
    /// Print the SHA-256 of a legacy API key read from standard input (for proxy.toml)
    HashKey,
}

#[derive(Subcommand)]
enum MappingsAction {
    /// Check mapping files; prints a summary, exits 1 on any error
    Check { dir: Option<PathBuf> },
    /// List every legacy endpoint
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        dir: Option<PathBuf>,
    },
    /// Print docs/coverage.md
    Coverage { dir: Option<PathBuf> },
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

fn load(dir: &Option<PathBuf>) -> Result<&'static Catalog, String> {
    match dir {
        None => Catalog::embedded().map_err(|d| d.to_string()),
        Some(d) => Catalog::load_dir(d)
            .map(|c| &*Box::leak(Box::new(c)))
            .map_err(|d| d.to_string()),
    }
}

fn mappings(action: MappingsAction) -> ExitCode {
    match action {
        MappingsAction::Check { dir } => match load(&dir) {
            Ok(c) => {
                let eps = c.endpoints();
                let count =
                    |s: harvest_mappings::Status| eps.iter().filter(|e| e.status == s).count();
                println!(
                    "ok: {} files, {} views, {} legacy endpoints ({} translated, {} partial, {} unsupported)",
                    c.files().len(),
                    c.views().count(),
                    eps.len(),
                    count(harvest_mappings::Status::Translated),
                    count(harvest_mappings::Status::Partial),
                    count(harvest_mappings::Status::Unsupported)
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                let n = e.lines().filter(|l| l.contains(": error: ")).count();
                eprintln!("{n} error(s) in the mapping files");
                ExitCode::from(1)
            }
        },
        MappingsAction::List { format, dir } => match load(&dir) {
            Ok(c) => {
                for e in report::sorted(c) {
                    match format {
                        ListFormat::Json => println!("{}", report::endpoint_json(e)),
                        ListFormat::Text => println!(
                            "{:<7} {:<58} {:<11} {}",
                            e.method,
                            e.path,
                            e.status,
                            e.v3.iter()
                                .map(|c| format!("{} {}", c.method, c.path))
                                .collect::<Vec<_>>()
                                .join(" + ")
                        ),
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(1)
            }
        },
        MappingsAction::Coverage { dir } => match load(&dir) {
            Ok(c) => {
                print!("{}", report::coverage_markdown(c));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(1)
            }
        },
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

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Mappings { action }) => return mappings(action),
        Some(Command::HashKey) => {
            let mut key = String::new();
            if std::io::stdin().read_to_string(&mut key).is_err() || key.trim().is_empty() {
                eprintln!(
                    "error: pipe the legacy API key on standard input, e.g. `printf %s \"$KEY\" | harvest-proxy hash-key`"
                );
                return ExitCode::from(2);
            }
            println!("{}", harvest_proxy::auth::key_hash_hex(key.trim()));
            return ExitCode::SUCCESS;
        }
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
        stop_on_signal(running.stopper());
        reload_on_hup(state, None);
        running.wait().await;
        sb.shutdown().await;
        return ExitCode::SUCCESS;
    }
    let Some(path) = cli.config else {
        eprintln!("error: give --config proxy.toml (see docs/proxy.md) or --sandbox to try it");
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
