//! [`SipAdapter`]: the event loop around the [`Switchboard`]. It owns the
//! UDP socket and the clock, feeds datagrams and timers to the switchboard,
//! sends what it answers and queues its events for the delivery task.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::event::{TelephonyEvent, valid_id};
use crate::sink::{EventSink, spawn_delivery};
use crate::sip::MAX_DATAGRAM;
use crate::switchboard::{Now, Output, Switchboard, SwitchboardConfig};
use crate::{Result, TelephonyError};

/// Longest ring time accepted (10 minutes).
pub const MAX_RING_MS: u64 = 600_000;
/// Longest wrap-up time accepted (1 hour).
pub const MAX_WRAP_UP_MS: u64 = 3_600_000;
/// Events waiting for delivery; beyond, new events are dropped (and
/// logged) rather than stalling the calls.
pub const EVENT_QUEUE: usize = 10_000;

/// How the adapter is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterConfig {
    /// UDP address to listen on (port 0: any free port, see
    /// [`SipAdapter::local_addr`]).
    pub bind: SocketAddr,
    /// The agent seats, in round-robin order (1-64 characters each, no
    /// whitespace, distinct, at least one).
    pub seats: Vec<String>,
    /// How long a call rings at a seat before it is answered (models the
    /// agent picking up), in ms.
    pub ring_ms: u64,
    /// After-call work after each answered call, in ms.
    pub wrap_up_ms: u64,
    /// Most calls waiting for a free seat; one more gets 486 Busy Here.
    pub max_queue: usize,
    /// Address put in Contact, Via and SDP. `None`: the bind address, or
    /// when that is unspecified (`0.0.0.0`), the host the caller dialled.
    pub advertise: Option<IpAddr>,
}

impl AdapterConfig {
    /// A configuration with the defaults: 2 s ring, 3 s wrap-up, 20
    /// waiting calls.
    pub fn new(bind: SocketAddr, seats: Vec<String>) -> AdapterConfig {
        AdapterConfig {
            bind,
            seats,
            ring_ms: 2000,
            wrap_up_ms: 3000,
            max_queue: 20,
            advertise: None,
        }
    }

    /// Checks the seats and times.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(TelephonyError::Config(m));
        if self.seats.is_empty() {
            return bad("no seats".into());
        }
        for (i, seat) in self.seats.iter().enumerate() {
            if !valid_id(seat) {
                return bad(format!("seat {seat:?}: 1-64 characters without whitespace"));
            }
            if self.seats.iter().take(i).any(|s| s == seat) {
                return bad(format!("seat {seat:?} is listed twice"));
            }
        }
        if self.ring_ms > MAX_RING_MS {
            return bad(format!("ring_ms {} is above {MAX_RING_MS}", self.ring_ms));
        }
        if self.wrap_up_ms > MAX_WRAP_UP_MS {
            return bad(format!(
                "wrap_up_ms {} is above {MAX_WRAP_UP_MS}",
                self.wrap_up_ms
            ));
        }
        Ok(())
    }
}

/// A running SIP UAS bridge: listens on UDP, answers calls at the seats and
/// reports them to an [`EventSink`].
#[derive(Debug)]
pub struct SipAdapter {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    delivery: JoinHandle<()>,
}

impl SipAdapter {
    /// Binds the socket, logs every seat in (`login` events) and starts
    /// answering calls. Events go to `sink` through a bounded queue, in
    /// order.
    pub async fn start<S: EventSink>(config: AdapterConfig, sink: S) -> Result<SipAdapter> {
        config.validate()?;
        let socket = UdpSocket::bind(config.bind)
            .await
            .map_err(|source| TelephonyError::Bind {
                addr: config.bind,
                source,
            })?;
        let local_addr = socket.local_addr()?;
        let advertise = config
            .advertise
            .or_else(|| (!config.bind.ip().is_unspecified()).then(|| config.bind.ip()));
        let board = Switchboard::new(
            SwitchboardConfig {
                seats: config.seats.clone(),
                ring: Duration::from_millis(config.ring_ms),
                wrap_up: Duration::from_millis(config.wrap_up_ms),
                max_queue: config.max_queue,
                advertise,
                port: local_addr.port(),
            },
            now(),
        );
        let (events, delivery) = spawn_delivery(sink, EVENT_QUEUE);
        let (stop, stopped) = oneshot::channel();
        tracing::info!(%local_addr, seats = ?config.seats, "SIP adapter listening");
        let task = tokio::spawn(run(socket, board, events, stopped));
        Ok(SipAdapter {
            local_addr,
            stop: Some(stop),
            task,
            delivery,
        })
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops: calls not yet answered get 480, answered ones a BYE, each an
    /// `ended`; every seat logs out; then waits until the delivery task has
    /// handed every event to the sink (with a webhook that stays down, that
    /// is as long as its retry policy goes on: bound it with a timeout).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(e) = (&mut self.task).await {
            tracing::error!("the SIP adapter task failed: {e}");
        }
        if let Err(e) = (&mut self.delivery).await {
            tracing::error!("the delivery task failed: {e}");
        }
    }
}

fn now() -> Now {
    let wall_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Now {
        mono: std::time::Instant::now(),
        wall_ms,
    }
}

async fn run(
    socket: UdpSocket,
    mut board: Switchboard,
    events: mpsc::Sender<TelephonyEvent>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    flush(&socket, &mut board, &events).await;
    loop {
        let deadline = board.next_deadline();
        tokio::select! {
            // A stop, or the SipAdapter dropped.
            _ = &mut stopped => break,
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => board.on_datagram(buf.get(..n).unwrap_or_default(), from, now()),
                // E.g. ICMP port unreachable from an earlier send.
                Err(e) => tracing::debug!("UDP receive: {e}"),
            },
            () = sleep_until(deadline) => board.on_timers(now()),
        }
        flush(&socket, &mut board, &events).await;
    }
    board.shutdown(now());
    flush(&socket, &mut board, &events).await;
    tracing::info!("SIP adapter stopped");
}

async fn sleep_until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

async fn flush(socket: &UdpSocket, board: &mut Switchboard, events: &mpsc::Sender<TelephonyEvent>) {
    for output in board.drain() {
        match output {
            Output::Send { to, datagram } => {
                if let Err(e) = socket.send_to(&datagram, to).await {
                    tracing::warn!(%to, "UDP send: {e}");
                }
            }
            Output::Event(event) => {
                if let Err(e) = events.try_send(event) {
                    tracing::error!(
                        "telephony event dropped (delivery queue full or stopped): {e}"
                    );
                }
            }
        }
    }
}
