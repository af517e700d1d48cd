//! The hotline's telephony adapter: a small SIP user agent server that
//! answers the district's one-number hotline on behalf of its agent seats
//! and reports logins, calls and wrap-ups as [`TelephonyEvent`]s to the
//! hotline plugin's webhook (see `README.md` for the contract).
//!
//! - [`event`]: the webhook's events, exactly as on the wire;
//! - [`sink`]: the [`EventSink`] trait and [`ChannelSink`]; [`webhook`]:
//!   [`WebhookSink`] with the retry rules;
//! - [`sip`]: the bounded SIP message parser and writer;
//! - [`switchboard`]: calls, seats and queue as a pure state machine;
//! - [`adapter`]: [`SipAdapter`], the UDP event loop around it.
//!
//! Invariants: the switchboard does no I/O and reads no clock (the adapter
//! passes both in); nothing on the path of a datagram panics or allocates
//! beyond [`sip::MAX_DATAGRAM`]; events of one call leave in the order they
//! happened, through one queue and one delivery task.
//!
//! What of RFC 3261 is implemented: UDP only; INVITE (100 Trying, 180
//! Ringing or 182 Queued, then 200 OK with an SDP answer, or 486/487/480),
//! retransmitted INVITEs answered with the last response, the 200 OK
//! re-sent with timer G until the ACK (BYE after 64·T1 without one), ACK,
//! BYE, CANCEL, OPTIONS and REGISTER (200 OK, nothing recorded), 501 for
//! other methods. Not implemented: TCP/TLS, authentication, re-INVITE
//! (488), PRACK and reliable provisional responses, forking, Record-Route
//! and Route sets (responses go back to the datagram's source address, the
//! only BYE the adapter sends goes to the peer it came from), and media
//! (the SDP answer is `a=inactive`).

pub mod adapter;
pub mod event;
pub mod sink;
pub mod sip;
pub mod switchboard;
pub mod webhook;

pub use adapter::{AdapterConfig, SipAdapter};
pub use event::TelephonyEvent;
pub use sink::{ChannelSink, EventSink, SinkError};
pub use webhook::{RetryPolicy, WebhookSink};

/// Why the adapter could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum TelephonyError {
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The UDP socket could not be bound.
    #[error("cannot bind UDP {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Another I/O error.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// The crate's result type.
pub type Result<T, E = TelephonyError> = std::result::Result<T, E>;
