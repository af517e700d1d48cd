//! The embedded MQTT broker of the Bantong host.
//!
//! A district that runs one host needs an MQTT broker for its halls' edge
//! agents; this crate is that broker, so `bantong serve` needs nothing else.
//! Larger deployments use an external broker (Mosquitto) instead, and the
//! host speaks to both through the same client code.
//!
//! It implements MQTT 3.1.1 as the edge fabric uses it:
//!
//! - every client authenticates, and the [`Authenticator`] returns the topic
//!   [`Rights`] of that client: the filters it may publish to and subscribe
//!   to. A publish outside its rights is dropped (and acknowledged, as
//!   Mosquitto does); a subscription outside them gets a failure return code;
//!   a Last Will outside them refuses the connection;
//! - QoS 0 and 1 end to end; an incoming QoS 2 publish is completed with the
//!   four-packet handshake and forwarded at QoS 1;
//! - retained messages (in memory), Last Will on any close without a
//!   DISCONNECT, keep-alive enforcement, session take-over by client id;
//! - clean sessions only: a client that asks for a persistent session gets a
//!   clean one (`session present = 0`) and its subscriptions end with its
//!   connection. The fabric never relies on the broker to hold messages:
//!   agents keep upstream events on disk until the host acknowledges them,
//!   and desired state is retained and re-published by the host.
//!
//! Invariant: a client never receives a message on a topic it was not
//! allowed to subscribe to, and nobody receives a message a client was not
//! allowed to publish.

mod conn;
pub mod filter;
mod router;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use rumqttc::ConnectReturnCode;

/// What a client may do, decided once at connect time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rights {
    /// Filters covering the topics it may publish to.
    pub publish: Vec<String>,
    /// Filters covering the filters it may subscribe to.
    pub subscribe: Vec<String>,
}

impl Rights {
    /// Everything (the host's own client).
    pub fn all() -> Rights {
        Rights {
            publish: vec!["#".into()],
            subscribe: vec!["#".into()],
        }
    }

    pub fn may_publish(&self, topic: &str) -> bool {
        self.publish.iter().any(|f| filter::matches(topic, f))
    }

    pub fn may_subscribe(&self, requested: &str) -> bool {
        self.subscribe.iter().any(|f| filter::covers(f, requested))
    }
}

/// Decides who may connect and with which rights.
pub trait Authenticator: Send + Sync + 'static {
    /// Returns the client's rights, or the CONNACK refusal to send.
    fn authenticate(
        &self,
        client_id: &str,
        username: Option<&str>,
        password: Option<&str>,
    ) -> Result<Rights, ConnectReturnCode>;
}

/// Broker settings.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub listen: SocketAddr,
    /// Largest packet accepted or sent, in bytes.
    pub max_packet_bytes: usize,
    /// Most concurrent connections.
    pub max_connections: usize,
    /// A connection must send CONNECT within this time.
    pub connect_timeout: Duration,
    /// Messages queued for one client before it is disconnected as too slow.
    pub client_queue: usize,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
            max_packet_bytes: 4 * 1024 * 1024,
            max_connections: 20_000,
            connect_timeout: Duration::from_secs(10),
            client_queue: 4096,
        }
    }
}

/// Counters, read by the host's `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    pub connections: AtomicU64,
    pub connects_total: AtomicU64,
    pub refused_total: AtomicU64,
    pub messages_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub denied_publish: AtomicU64,
    pub denied_subscribe: AtomicU64,
    pub slow_clients: AtomicU64,
    pub protocol_errors: AtomicU64,
}

impl Stats {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

pub(crate) struct Shared {
    config: BrokerConfig,
    auth: Arc<dyn Authenticator>,
    router: Mutex<router::Router>,
    sessions: Mutex<std::collections::HashMap<String, conn::SessionEntry>>,
    next_conn: AtomicU64,
    stats: Arc<Stats>,
    shutdown: watch::Receiver<bool>,
}

/// A running broker. Dropping the handle does not stop it; call
/// [`BrokerHandle::shutdown`].
#[derive(Debug)]
pub struct BrokerHandle {
    local_addr: SocketAddr,
    disconnector: Disconnector,
    stats: Arc<Stats>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl BrokerHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }

    /// A handle that closes clients' connections (e.g. after revocation).
    pub fn disconnector(&self) -> Disconnector {
        self.disconnector.clone()
    }

    /// Closes the listener and every connection (without publishing wills:
    /// there is nobody left to receive them) and waits for the accept loop.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Closes live connections by client id. Cheap to clone.
#[derive(Clone)]
pub struct Disconnector(Arc<Shared>);

impl std::fmt::Debug for Disconnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disconnector").finish_non_exhaustive()
    }
}

impl Disconnector {
    /// Closes `client_id`'s connection, if it has one, as if the network
    /// dropped it (its Last Will is published). Returns whether it had one.
    /// Whether it may connect again is the authenticator's business.
    pub fn disconnect(&self, client_id: &str) -> bool {
        conn::kill_session(&self.0, client_id)
    }
}

/// Binds the listener and starts accepting connections.
pub async fn start(
    config: BrokerConfig,
    auth: Arc<dyn Authenticator>,
) -> std::io::Result<BrokerHandle> {
    let listener = TcpListener::bind(config.listen).await?;
    let local_addr = listener.local_addr()?;
    let (stop, shutdown) = watch::channel(false);
    let stats = Arc::new(Stats::default());
    let shared = Arc::new(Shared {
        config,
        auth,
        router: Mutex::new(router::Router::default()),
        sessions: Mutex::new(Default::default()),
        next_conn: AtomicU64::new(1),
        stats: stats.clone(),
        shutdown: shutdown.clone(),
    });
    let disconnector = Disconnector(shared.clone());
    let task = tokio::spawn(accept_loop(listener, shared, shutdown));
    tracing::info!(%local_addr, "MQTT broker listening");
    Ok(BrokerHandle {
        local_addr,
        disconnector,
        stats,
        stop,
        task,
    })
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let open = shared.stats.connections.load(Ordering::Relaxed) as usize;
                    if open >= shared.config.max_connections {
                        tracing::warn!(%peer, "MQTT connection refused: {open} connections open");
                        Stats::bump(&shared.stats.refused_total);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    connections.spawn(conn::serve(stream, peer, shared.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly.
                    tracing::warn!("MQTT accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    // Connections watch the same signal; wait for them to close.
    while connections.join_next().await.is_some() {}
}

/// Decodes one MQTT 3.1.1 packet from the front of `buf` exactly as the
/// broker does (`Ok(None)`: more bytes needed). For fuzzing.
pub fn decode_packet(
    buf: &mut bytes::BytesMut,
    max_packet_bytes: usize,
) -> Result<Option<rumqttc::Packet>, rumqttc::mqttbytes::Error> {
    conn::decode(buf, max_packet_bytes)
}
