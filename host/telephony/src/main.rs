//! `bantong-sip-bridge`: answers the hotline over SIP/UDP for the agent
//! seats and posts the telephony events to the hotline plugin's webhook.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use bantong_telephony::{AdapterConfig, SipAdapter, WebhookSink};
use clap::Parser;

/// Environment variable holding the API token when no `--token-file` is
/// given.
const TOKEN_ENV: &str = "BANTONG_TELEPHONY_TOKEN";

/// SIP UAS bridge of the hotline: answers calls for the agent seats and
/// reports them to the hotline plugin's webhook.
#[derive(Debug, Parser)]
#[command(name = "bantong-sip-bridge", version)]
struct Args {
    /// UDP address to listen on for SIP.
    #[arg(long, default_value = "0.0.0.0:5060")]
    sip: SocketAddr,
    /// Agent seats, comma-separated, in round-robin order.
    #[arg(long, value_delimiter = ',', required = true)]
    seats: Vec<String>,
    /// Ring time before a seat answers, in ms.
    #[arg(long, default_value_t = 2000)]
    ring_ms: u64,
    /// After-call work after each answered call, in ms.
    #[arg(long, default_value_t = 3000)]
    wrap_up_ms: u64,
    /// Most calls waiting for a free seat (one more gets 486 Busy Here).
    #[arg(long, default_value_t = 20)]
    max_queue: usize,
    /// Address to put in Contact, Via and SDP (default: the --sip address,
    /// or the host the caller dialled when that is 0.0.0.0).
    #[arg(long)]
    advertise: Option<IpAddr>,
    /// The district host, e.g. http://127.0.0.1:8080 (plain HTTP).
    #[arg(long)]
    webhook: String,
    /// File holding the API token (else the environment variable
    /// BANTONG_TELEPHONY_TOKEN).
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Log filter (tracing's EnvFilter syntax).
    #[arg(long, env = "BANTONG_LOG", default_value = "info")]
    log: String,
    /// How long a shutdown waits for the last events to be delivered, in
    /// seconds.
    #[arg(long, default_value_t = 10)]
    drain_secs: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&args.log)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let token = match &args.token_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the token file {}", path.display()))?,
        None => match std::env::var(TOKEN_ENV) {
            Ok(token) => token,
            Err(_) => bail!("no API token: give --token-file or set {TOKEN_ENV}"),
        },
    };
    let sink = WebhookSink::new(&args.webhook, &token).context("--webhook")?;
    let config = AdapterConfig {
        bind: args.sip,
        seats: args.seats.clone(),
        ring_ms: args.ring_ms,
        wrap_up_ms: args.wrap_up_ms,
        max_queue: args.max_queue,
        advertise: args.advertise,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        tracing::info!(webhook = %sink.url(), "posting telephony events");
        let adapter = SipAdapter::start(config, sink).await?;
        stop_signal().await?;
        tracing::info!("stopping: ending calls and logging the seats out");
        let drain = Duration::from_secs(args.drain_secs);
        if tokio::time::timeout(drain, adapter.shutdown())
            .await
            .is_err()
        {
            tracing::error!(?drain, "the last events were not delivered in time");
        }
        Ok(())
    })
}

/// Waits for Ctrl-C or SIGTERM.
async fn stop_signal() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
        _ = term.recv() => {}
    }
    Ok(())
}
