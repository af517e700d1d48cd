//! The `bantong-edge` command line, as a library function so test
//! harnesses can build the same binary under another name.

use std::path::PathBuf;

use crate::{Agent, EdgeConfig, agent, identity};
use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "bantong-edge", version, about = "Bantong hall edge agent")]
struct Cli {
    /// Config file (TOML); also `BANTONG_EDGE_CONFIG`.
    #[arg(long, global = true, env = "BANTONG_EDGE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Redeems a one-time enrolment token issued by the host.
    Enrol {
        #[arg(long)]
        token: String,
    },
    /// Runs the agent.
    Run {
        /// Also emit synthetic events until this many sequence numbers exist
        /// (load and recovery testing).
        #[arg(long, default_value_t = 0)]
        emit: u64,
        /// Events per outbox append when emitting.
        #[arg(long, default_value_t = 100)]
        emit_batch: usize,
        /// Events per second when emitting (0: as fast as possible).
        #[arg(long, default_value_t = 0)]
        emit_rate: u64,
    },
    /// Prints the configuration (defaults, file and environment applied).
    Config,
    /// Compiles a plugin's wasm for this agent (run by the agent itself in
    /// a child process; the output is native code, kept in the data dir).
    #[command(hide = true)]
    Compile {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        output: PathBuf,
    },
    /// Runs many simulated agents in this process, for load tests: every
    /// subdirectory of `--dir` holding an `identity.json` is one agent (link
    /// and outbox; no cameras; plugins with `--plugins`).
    Simulate {
        #[arg(long)]
        dir: PathBuf,
        /// Events per agent per minute (synthetic `test.tick`).
        #[arg(long, default_value_t = 0)]
        events_per_minute: u32,
        /// Run the plugins the host dispatches (one shared engine).
        #[arg(long)]
        plugins: bool,
    },
}

/// Parses the command line and runs the command.
pub fn main() -> anyhow::Result<()> {
    crate::memory::configure();
    let cli = Cli::parse();
    let config = EdgeConfig::load(cli.config.as_deref())?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&config.log)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Cmd::Compile { input, output } => crate::plugins::compile_file(&input, &output),
            Cmd::Config => {
                print!("{}", config.to_toml());
                Ok(())
            }
            Cmd::Simulate {
                dir,
                events_per_minute,
                plugins,
            } => {
                let options = crate::simulate::SimOptions {
                    events_per_minute,
                    plugins,
                };
                crate::simulate::run(&config, &dir, options).await
            }
            Cmd::Enrol { token } => {
                let id = identity::enrol(&config.host_url, &token, &config.data_dir).await?;
                println!(
                    "enrolled as {} in hall {}; identity stored in {}",
                    id.agent_id,
                    id.hall_id,
                    identity::path(&config.data_dir).display()
                );
                Ok(())
            }
            Cmd::Run {
                emit,
                emit_batch,
                emit_rate,
            } => {
                let id = identity::load(&config.data_dir)?;
                let agent = Agent::open(config, id).context("starting the agent")?;
                let (stop, shutdown) = tokio::sync::watch::channel(false);
                tokio::spawn(async move {
                    let _ = tokio::signal::ctrl_c().await;
                    let _ = stop.send(true);
                });
                let run = agent.run(shutdown);
                if emit > 0 {
                    let emitter = agent::emit_synthetic(&agent, emit, emit_batch, emit_rate);
                    let (_, emitted) = tokio::join!(run, emitter);
                    emitted
                } else {
                    run.await;
                    Ok(())
                }
            }
        }
    })
}
