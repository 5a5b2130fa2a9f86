//! `harvest-sandbox` binary: serves the simulated Harvest v3 + OAuth API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use harvest_sandbox::{Credentials, FaultPlan, SandboxConfig};

/// Simulated Greenhouse Harvest v3 + OAuth server.
#[derive(Debug, Parser)]
#[command(name = "harvest-sandbox", version)]
struct Cli {
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Data volume (1.0 ≈ 1,000 candidates, 2,500 applications).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Fault SPEC, e.g. `/v3/candidates=500,500,ok;/token=delay:2000;/v3/users=rate:0.1:503`.
    #[arg(long)]
    faults: Option<String>,
    /// Rate limit as N/SECONDS (fixed window per credential), e.g. 75/30. `off` disables it.
    #[arg(long, default_value = "10000/30")]
    rate_limit: String,
    /// JSON credentials file replacing the default clients, users and legacy keys.
    #[arg(long)]
    credentials: Option<PathBuf>,
    /// Access token lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime: u64,
    /// Generate the data, print per-resource record counts and the generation time, and exit.
    #[arg(long)]
    print_counts: bool,
    /// Expiry field of /token answers: expires_at | expires_in | expires.
    #[arg(long, default_value = "expires_at")]
    expiry_style: String,
}

fn parse_rate(s: &str) -> anyhow::Result<Option<(u32, Duration)>> {
    if s == "off" {
        return Ok(None);
    }
    let (n, secs) = s
        .split_once('/')
        .ok_or_else(|| anyhow::anyhow!("--rate-limit must be N/SECONDS or off"))?;
    let n: u32 = n.trim().parse()?;
    let secs: f64 = secs.trim().parse()?;
    if !(secs > 0.0 && secs.is_finite()) {
        anyhow::bail!("--rate-limit window must be positive");
    }
    Ok(Some((n, Duration::from_secs_f64(secs))))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let mut config = SandboxConfig {
        listen: Some(cli.listen),
        seed: cli.seed,
        scale: cli.scale,
        rate_limit: parse_rate(&cli.rate_limit)?,
        token_lifetime: Duration::from_secs(cli.token_lifetime),
        ..SandboxConfig::default()
    };
    config.expiry_style = match cli.expiry_style.as_str() {
        "expires_at" => harvest_sandbox::ExpiryStyle::ExpiresAt,
        "expires_in" => harvest_sandbox::ExpiryStyle::ExpiresIn,
        "expires" => harvest_sandbox::ExpiryStyle::Expires,
        other => anyhow::bail!("unknown --expiry-style `{other}`"),
    };
    if let Some(spec) = &cli.faults {
        config.faults = FaultPlan::parse(spec)?;
    }
    if let Some(path) = &cli.credentials {
        config.credentials = Credentials::from_file(path)?;
    }
    if cli.print_counts {
        let started = std::time::Instant::now();
        let ds = harvest_sandbox::build_dataset(&config)?;
        let elapsed = started.elapsed();
        for (name, n) in harvest_sandbox::data::counts(&ds) {
            println!("{name:45} {n:>8}");
        }
        println!(
            "{:45} {:>8}  ({} ms)",
            "total",
            ds.total(),
            elapsed.as_millis()
        );
        return Ok(());
    }
    let started = std::time::Instant::now();
    let sandbox = harvest_sandbox::spawn(config).await?;
    let total = sandbox.with_data(|d| d.total());
    tracing::info!(url = %sandbox.base_url(), records = total, startup_ms = started.elapsed().as_millis() as u64, "ready");
    println!("harvest-sandbox listening on {}", sandbox.base_url());
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    Ok(())
}
