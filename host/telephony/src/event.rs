//! The telephony events of the hotline webhook, exactly as on the wire:
//! `POST {host}/api/plugins/hotline/telephony/events` with
//! `{"events": [ … ]}` (see the crate README for the whole contract).

use serde::{Deserialize, Serialize};

/// Path of the hotline plugin's webhook on the district host.
pub const WEBHOOK_PATH: &str = "/api/plugins/hotline/telephony/events";
/// Longest seat name or call id, in characters.
pub const MAX_ID_CHARS: usize = 64;

/// One event at the hotline: a seat logs in or out or finishes its
/// after-call work, or a call is offered, answered or ends. All times are
/// milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum TelephonyEvent {
    /// The agent at `seat` logged in (签入) and is free.
    Login {
        /// The seat.
        seat: String,
        /// When.
        at_ms: i64,
    },
    /// The agent at `seat` logged out (签出).
    Logout {
        /// The seat.
        seat: String,
        /// When.
        at_ms: i64,
    },
    /// The agent at `seat` finished the after-call work and is free again.
    WrapUpDone {
        /// The seat.
        seat: String,
        /// When.
        at_ms: i64,
    },
    /// A call asks for an agent. Without `seat` it waits in the queue (no
    /// seat is free); a second `offered` with the seat follows when it
    /// starts ringing there.
    Offered {
        /// The call.
        call_id: String,
        /// The caller's number as presented.
        caller_number: String,
        /// When.
        at_ms: i64,
        /// The seat it rings at; absent while it queues.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seat: Option<String>,
    },
    /// The agent at `seat` answered the call.
    Answered {
        /// The call.
        call_id: String,
        /// The seat.
        seat: String,
        /// When.
        at_ms: i64,
    },
    /// The call ended; without an `answered` before it, it was abandoned
    /// (呼损).
    Ended {
        /// The call.
        call_id: String,
        /// When.
        at_ms: i64,
        /// Reference of the recording, if there is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recording: Option<String>,
    },
}

impl TelephonyEvent {
    /// The event's name, as on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            TelephonyEvent::Login { .. } => "login",
            TelephonyEvent::Logout { .. } => "logout",
            TelephonyEvent::WrapUpDone { .. } => "wrap_up_done",
            TelephonyEvent::Offered { .. } => "offered",
            TelephonyEvent::Answered { .. } => "answered",
            TelephonyEvent::Ended { .. } => "ended",
        }
    }

    /// The call it concerns, if any.
    pub fn call_id(&self) -> Option<&str> {
        match self {
            TelephonyEvent::Offered { call_id, .. }
            | TelephonyEvent::Answered { call_id, .. }
            | TelephonyEvent::Ended { call_id, .. } => Some(call_id),
            _ => None,
        }
    }

    /// The seat it names, if any.
    pub fn seat(&self) -> Option<&str> {
        match self {
            TelephonyEvent::Login { seat, .. }
            | TelephonyEvent::Logout { seat, .. }
            | TelephonyEvent::WrapUpDone { seat, .. }
            | TelephonyEvent::Answered { seat, .. } => Some(seat),
            TelephonyEvent::Offered { seat, .. } => seat.as_deref(),
            TelephonyEvent::Ended { .. } => None,
        }
    }

    /// When it happened (ms since the Unix epoch).
    pub fn at_ms(&self) -> i64 {
        match self {
            TelephonyEvent::Login { at_ms, .. }
            | TelephonyEvent::Logout { at_ms, .. }
            | TelephonyEvent::WrapUpDone { at_ms, .. }
            | TelephonyEvent::Offered { at_ms, .. }
            | TelephonyEvent::Answered { at_ms, .. }
            | TelephonyEvent::Ended { at_ms, .. } => *at_ms,
        }
    }
}

/// Whether `s` is a valid seat name or call id: 1-64 characters, none of
/// them whitespace or control characters.
pub fn valid_id(s: &str) -> bool {
    let n = s.chars().count();
    (1..=MAX_ID_CHARS).contains(&n) && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_the_webhook_json() {
        let cases = [
            (
                TelephonyEvent::Login {
                    seat: "seat-1".into(),
                    at_ms: 1,
                },
                json!({"event": "login", "seat": "seat-1", "at_ms": 1}),
            ),
            (
                TelephonyEvent::Logout {
                    seat: "seat-1".into(),
                    at_ms: 2,
                },
                json!({"event": "logout", "seat": "seat-1", "at_ms": 2}),
            ),
            (
                TelephonyEvent::WrapUpDone {
                    seat: "seat-1".into(),
                    at_ms: 3,
                },
                json!({"event": "wrap_up_done", "seat": "seat-1", "at_ms": 3}),
            ),
            (
                TelephonyEvent::Offered {
                    call_id: "c1".into(),
                    caller_number: "13812345678".into(),
                    at_ms: 4,
                    seat: None,
                },
                json!({"event": "offered", "call_id": "c1", "caller_number": "13812345678", "at_ms": 4}),
            ),
            (
                TelephonyEvent::Offered {
                    call_id: "c1".into(),
                    caller_number: "13812345678".into(),
                    at_ms: 5,
                    seat: Some("seat-1".into()),
                },
                json!({"event": "offered", "call_id": "c1", "caller_number": "13812345678", "at_ms": 5, "seat": "seat-1"}),
            ),
            (
                TelephonyEvent::Answered {
                    call_id: "c1".into(),
                    seat: "seat-1".into(),
                    at_ms: 6,
                },
                json!({"event": "answered", "call_id": "c1", "seat": "seat-1", "at_ms": 6}),
            ),
            (
                TelephonyEvent::Ended {
                    call_id: "c1".into(),
                    at_ms: 7,
                    recording: None,
                },
                json!({"event": "ended", "call_id": "c1", "at_ms": 7}),
            ),
            (
                TelephonyEvent::Ended {
                    call_id: "c1".into(),
                    at_ms: 8,
                    recording: Some("rec/c1.wav".into()),
                },
                json!({"event": "ended", "call_id": "c1", "at_ms": 8, "recording": "rec/c1.wav"}),
            ),
        ];
        for (event, wire) in cases {
            assert_eq!(serde_json::to_value(&event).unwrap(), wire);
            assert_eq!(
                serde_json::from_value::<TelephonyEvent>(wire.clone()).unwrap(),
                event
            );
            assert_eq!(wire["event"], event.name());
            assert_eq!(wire["at_ms"], event.at_ms());
        }
        assert!(
            serde_json::from_value::<TelephonyEvent>(
                json!({"event": "login", "seat": "s", "at_ms": 1, "x": 1})
            )
            .is_err()
        );
    }

    #[test]
    fn checks_ids() {
        assert!(valid_id("seat-1"));
        assert!(valid_id(&"x".repeat(64)));
        assert!(!valid_id(&"x".repeat(65)));
        assert!(!valid_id(""));
        assert!(!valid_id("seat 1"));
        assert!(!valid_id("seat\u{7}"));
    }
}
