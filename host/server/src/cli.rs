//! The `bantong` command line: serve, config, admin bootstrap, plugin
//! packaging and management, audit verification, backup and restore.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use bantong_manifest::{Manifest, Package, SigningKey, keygen};
use clap::{Parser, Subcommand};

use crate::config::HostConfig;
use crate::identity::Principal;
use crate::state::{AppState, open_store};

#[derive(Debug, Parser)]
#[command(name = "bantong", version, about = "Bantong (办通) district host")]
pub struct Cli {
    /// Config file (TOML); environment variables BANTONG_* override it.
    #[arg(long, short, global = true, env = "BANTONG_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the host: HTTP API, plugin runtime, outbox and scheduler.
    Serve,
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Create the first administrator; prints the generated password once.
    CreateAdmin {
        #[arg(long, default_value = "admin")]
        username: String,
        #[arg(long, default_value = "系统管理员")]
        display_name: String,
    },
    /// Plugin packaging and management.
    #[command(subcommand)]
    Plugin(PluginCmd),
    /// Audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Hall edge agents: enrolment tokens, dispatch, rollback, pinning. A
    /// serving host picks up changes made here within seconds.
    #[command(subcommand)]
    Edge(EdgeCmd),
    /// Write the whole installation (database rows and blobs) to one archive.
    Backup { out: PathBuf },
    /// Restore an archive into an empty installation.
    Restore { archive: PathBuf },
    /// Run a demonstration installation (SQLite, demo halls, example plugins).
    Demo(crate::demo::DemoArgs),
    /// Compiles an edge plugin's wasm to native code: what an edge agent
    /// running inside this binary (the demo's simulated hall) starts as its
    /// compiler child process, exactly as `bantong-edge compile`.
    #[command(hide = true)]
    Compile {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print the default configuration.
    Default,
    /// Print the effective configuration (defaults, file, environment).
    Show,
}

#[derive(Debug, Subcommand)]
pub enum EdgeCmd {
    /// Issue a one-time enrolment token for a new agent in a hall.
    Token {
        #[arg(long)]
        hall: String,
        #[arg(long)]
        agent: String,
    },
    /// List agents with link state and deployed versions.
    Agents,
    /// Upload a signed edge plugin package; prints its digest.
    Upload { package: PathBuf },
    /// Set the plugin version (by package digest) agents should run.
    Deploy {
        #[arg(long)]
        digest: String,
        #[arg(long = "agent", required = true)]
        agents: Vec<String>,
        /// JSON file with the plugin's config for these agents.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Seconds the new version must stay healthy.
        #[arg(long)]
        health_window_s: Option<u32>,
        /// Also replace pinned deployments.
        #[arg(long)]
        force: bool,
    },
    /// Roll a version out in waves (a canary, then 10 %, then everyone by
    /// default), aborting and reverting when too many agents fail.
    Rollout {
        #[arg(long)]
        digest: String,
        #[arg(long = "agent")]
        agents: Vec<String>,
        #[arg(long = "hall")]
        halls: Vec<String>,
        /// Every agent.
        #[arg(long)]
        all: bool,
        /// Cumulative wave sizes, e.g. `1,10%,100%`.
        #[arg(long, value_delimiter = ',')]
        waves: Option<Vec<String>>,
        /// Failed agents tolerated before aborting: a count or `N%`.
        #[arg(long)]
        abort_threshold: Option<String>,
        /// JSON file with the plugin's config.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        health_window_s: Option<u32>,
        /// Seconds a wave may take before silent agents count as failed.
        #[arg(long)]
        wave_timeout_s: Option<u32>,
        /// Also replace pinned versions.
        #[arg(long)]
        force: bool,
    },
    /// List rollouts, or show one with its targets.
    Rollouts {
        #[arg(long)]
        id: Option<String>,
    },
    /// Abort a running rollout and revert the agents it reached.
    Abort {
        #[arg(long)]
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Go back to the previous version of a plugin on an agent (and pin it).
    Rollback {
        #[arg(long)]
        agent: String,
        #[arg(long)]
        plugin: String,
    },
    /// Pin a plugin's current version on an agent (rollouts leave it alone).
    Pin {
        #[arg(long)]
        agent: String,
        #[arg(long)]
        plugin: String,
    },
    /// Undo `pin`.
    Unpin {
        #[arg(long)]
        agent: String,
        #[arg(long)]
        plugin: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Recompute the hash chain; exits non-zero when a row was altered.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum PluginCmd {
    /// Generate an ed25519 signing key pair: NAME.key (secret) and NAME.pub.
    Keygen {
        #[arg(long, default_value = "vendor")]
        name: String,
        #[arg(long, default_value = ".")]
        out_dir: PathBuf,
    },
    /// Build an unsigned package from a manifest and a component.
    Pack {
        #[arg(long)]
        manifest: PathBuf,
        #[arg(long)]
        wasm: PathBuf,
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Sign a package in place (or into --out).
    Sign {
        package: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Verify a package's digest and signature against public keys.
    Verify {
        package: PathBuf,
        /// Public key files; default: the trusted keys of the config.
        #[arg(long = "key")]
        keys: Vec<PathBuf>,
    },
    /// Install a package into this installation (verified like over HTTP).
    Install {
        package: PathBuf,
    },
    /// List installed plugins.
    List,
    Enable {
        id: String,
    },
    Disable {
        id: String,
    },
    Remove {
        id: String,
    },
}

/// Runs a parsed command.
pub async fn run(cli: Cli) -> Result<()> {
    let config = HostConfig::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Config(ConfigCmd::Default) => {
            print!("{}", HostConfig::default_toml());
            Ok(())
        }
        Command::Config(ConfigCmd::Show) => {
            print!("{}", config.to_redacted_toml());
            Ok(())
        }
        Command::CreateAdmin {
            username,
            display_name,
        } => {
            let state = AppState::build(config).await?;
            let password = state
                .identity
                .bootstrap_admin(&username, &display_name)
                .await?;
            println!("created administrator {username}");
            println!("one-time password (shown once; change it at first login): {password}");
            Ok(())
        }
        Command::Plugin(cmd) => plugin(config, cmd).await,
        Command::Edge(cmd) => edge(config, cmd).await,
        Command::Audit(AuditCmd::Verify) => {
            let store = open_store(&config).await?;
            let report = crate::audit::Audit::new(store).verify().await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if !report.ok {
                bail!(
                    "the audit log does not verify: {}",
                    report.reason.unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Backup { out } => {
            let store = open_store(&config).await?;
            let manifest = store.backup(&out).await?;
            println!("{}", serde_json::to_string_pretty(&manifest)?);
            Ok(())
        }
        Command::Restore { archive } => {
            let store = open_store(&config).await?;
            let manifest = store.restore(&archive).await?;
            println!("{}", serde_json::to_string_pretty(&manifest)?);
            Ok(())
        }
        Command::Demo(args) => crate::demo::run(config, args).await,
        Command::Compile { input, output } => bantong_edge::plugins::compile_file(&input, &output),
    }
}

/// Serves until Ctrl-C, then stops the workers cleanly.
pub async fn serve(config: HostConfig) -> Result<()> {
    let listen = config.listen;
    let workers_enabled = config.workers.enabled;
    let state = AppState::build(config).await?;
    serve_state(state, listen, workers_enabled).await
}

pub async fn serve_state(
    state: AppState,
    listen: std::net::SocketAddr,
    workers: bool,
) -> Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let handles = if workers {
        crate::workers::spawn(state.clone(), stop_rx)
    } else {
        Vec::new()
    };
    let edge = if state.config.mqtt.enabled {
        Some(
            state
                .edge
                .start()
                .await
                .context("starting the edge fabric")?,
        )
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let app = crate::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    let _ = stop_tx.send(true);
    for h in handles {
        let _ = h.await;
    }
    if let Some(edge) = edge {
        edge.stop().await;
    }
    Ok(())
}

fn read_key(path: &PathBuf) -> Result<SigningKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    SigningKey::from_text(text.trim()).with_context(|| format!("parsing {}", path.display()))
}

/// Packs a manifest and a component into a package, optionally signed.
pub fn pack(
    manifest: &std::path::Path,
    wasm: &std::path::Path,
    key: Option<&SigningKey>,
) -> Result<Package> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    let manifest = Manifest::parse(&text).with_context(|| format!("in {}", manifest.display()))?;
    let wasm = std::fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let mut package = Package::new(manifest, wasm)?;
    if let Some(key) = key {
        package.sign(key);
    }
    Ok(package)
}

async fn plugin(config: HostConfig, cmd: PluginCmd) -> Result<()> {
    let cli_actor = Principal::system("cli");
    match cmd {
        PluginCmd::Keygen { name, out_dir } => {
            let (secret, public) = keygen();
            std::fs::create_dir_all(&out_dir)?;
            let key_path = out_dir.join(format!("{name}.key"));
            let pub_path = out_dir.join(format!("{name}.pub"));
            if key_path.exists() {
                bail!("{} exists; refusing to overwrite a key", key_path.display());
            }
            write_secret(&key_path, &secret.to_text())?;
            std::fs::write(&pub_path, format!("{}\n", public.to_text()))?;
            println!(
                "key id {}: {} (secret), {} (public)",
                public.key_id(),
                key_path.display(),
                pub_path.display()
            );
        }
        PluginCmd::Pack {
            manifest,
            wasm,
            out,
        } => {
            let package = pack(&manifest, &wasm, None)?;
            std::fs::write(&out, package.encode())?;
            println!("{} {}", package.digest(), out.display());
        }
        PluginCmd::Sign { package, key, out } => {
            let bytes = std::fs::read(&package)?;
            let mut pkg = Package::decode(&bytes)?;
            let key = read_key(&key)?;
            pkg.sign(&key);
            let dest = out.unwrap_or(package);
            std::fs::write(&dest, pkg.encode())?;
            println!(
                "signed {} with key {} -> {}",
                pkg.digest(),
                key.key_id(),
                dest.display()
            );
        }
        PluginCmd::Verify { package, keys } => {
            let bytes = std::fs::read(&package)?;
            let pkg = Package::decode(&bytes)?;
            let trusted = if keys.is_empty() {
                crate::state::trusted_keys(&config)?
            } else {
                crate::state::read_key_files(&keys)?
            };
            let verified = pkg.verify(&trusted)?;
            println!(
                "ok: {} {}@{} signed by {}",
                verified.digest,
                pkg.manifest().id,
                pkg.manifest().version,
                verified.key_id
            );
        }
        PluginCmd::Install { package } => {
            let bytes = std::fs::read(&package)?;
            let state = AppState::build(config).await?;
            let report = state.plugins.install(&bytes, &cli_actor).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        PluginCmd::List => {
            let store = open_store(&config).await?;
            for p in store.registry().list_plugins().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    p.id,
                    p.active_version.unwrap_or_else(|| "-".into()),
                    if p.enabled { "enabled" } else { "disabled" },
                    if p.quarantined_at.is_some() {
                        "quarantined"
                    } else {
                        ""
                    }
                );
            }
        }
        PluginCmd::Enable { id } => {
            let state = AppState::build(config).await?;
            state.plugins.set_enabled(&id, true, &cli_actor).await?;
        }
        PluginCmd::Disable { id } => {
            let state = AppState::build(config).await?;
            state.plugins.set_enabled(&id, false, &cli_actor).await?;
        }
        PluginCmd::Remove { id } => {
            let state = AppState::build(config).await?;
            state.plugins.remove(&id, &cli_actor).await?;
        }
    }
    Ok(())
}

/// Writes a secret key readable by the owner only.
pub fn write_secret(path: &std::path::Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(f, "{text}")?;
    Ok(())
}

/// The JSON in `path`, if one is given.
fn read_json_file(path: Option<&std::path::Path>) -> Result<Option<serde_json::Value>> {
    let Some(path) = path else { return Ok(None) };
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .with_context(|| format!("{} is not JSON", path.display()))
}

/// `bantong edge …`: acts as the operator (`system:cli` in the audit log).
async fn edge(config: HostConfig, cmd: EdgeCmd) -> Result<()> {
    let state = AppState::build(config).await?;
    let edge = &state.edge;
    let cli = crate::identity::Principal::system("cli");
    let fail = |e: crate::error::AppError| anyhow::anyhow!("{}", e);
    let value = match cmd {
        EdgeCmd::Token { hall, agent } => {
            let agent = bantong_fabric::AgentId::parse(&agent).map_err(anyhow::Error::msg)?;
            let ttl =
                std::time::Duration::from_secs(state.config.mqtt.enrol_token_hours.max(1) * 3600);
            serde_json::json!(
                edge.registry
                    .issue_token(&cli, &hall, &agent, ttl)
                    .await
                    .map_err(fail)?
            )
        }
        EdgeCmd::Agents => serde_json::json!(edge.registry.list(&cli).await.map_err(fail)?),
        EdgeCmd::Upload { package } => {
            let bytes = std::fs::read(&package)
                .with_context(|| format!("reading {}", package.display()))?;
            edge.upload_artefact(&cli, &bytes).await.map_err(fail)?
        }
        EdgeCmd::Deploy {
            digest,
            agents,
            config,
            health_window_s,
            force,
        } => {
            let request = crate::edge::deploy::DeployRequest {
                digest,
                agents,
                config: read_json_file(config.as_deref())?,
                health_window_s,
                force,
            };
            edge.deploy(&cli, request).await.map_err(fail)?
        }
        EdgeCmd::Rollout {
            digest,
            agents,
            halls,
            all,
            waves,
            abort_threshold,
            config,
            health_window_s,
            wave_timeout_s,
            force,
        } => {
            use crate::edge::rollout::Amount;
            let waves = match waves {
                Some(w) => Some(
                    w.iter()
                        .map(|a| Amount::parse(a))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(anyhow::Error::msg)?,
                ),
                None => None,
            };
            let request = crate::edge::rollout::RolloutRequest {
                digest,
                agents,
                halls,
                all,
                config: read_json_file(config.as_deref())?,
                health_window_s,
                force,
                waves,
                abort_threshold: abort_threshold
                    .as_deref()
                    .map(Amount::parse)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                wave_timeout_s,
            };
            edge.start_rollout(&cli, request).await.map_err(fail)?
        }
        EdgeCmd::Rollouts { id: Some(id) } => edge.rollout(&cli, &id).await.map_err(fail)?,
        EdgeCmd::Rollouts { id: None } => {
            serde_json::json!(edge.rollouts(&cli).await.map_err(fail)?)
        }
        EdgeCmd::Abort { id, reason } => edge
            .abort_rollout(&cli, &id, reason.as_deref())
            .await
            .map_err(fail)?,
        EdgeCmd::Rollback { agent, plugin } => {
            edge.rollback(&cli, &agent, &plugin).await.map_err(fail)?
        }
        EdgeCmd::Pin { agent, plugin } => {
            edge.pin(&cli, &agent, &plugin, true).await.map_err(fail)?;
            serde_json::json!({ "agent": agent, "plugin": plugin, "pinned": true })
        }
        EdgeCmd::Unpin { agent, plugin } => {
            edge.pin(&cli, &agent, &plugin, false).await.map_err(fail)?;
            serde_json::json!({ "agent": agent, "plugin": plugin, "pinned": false })
        }
    };
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}
