//! Messages to people that plugins queue (WIT `notices`): the checks a
//! notice passes before it is queued, the SMS gateway client, and the
//! worker that sends what was committed.
//!
//! A notice is queued in the plugin call's unit of work, so nothing is
//! sent for a call that failed. The worker claims due notices with a lease
//! (one host process sends each), hands SMS to the gateway and makes
//! portal notices visible, retries a gateway that is down with a doubling
//! delay up to `max_attempts`, and writes one audit entry per notice sent
//! or given up (the recipient's number masked).
//!
//! The gateway's HTTP interface (request, answers, retries under one
//! `Idempotency-Key`) is documented in `docs/sms-gateway.md`.

use std::time::Duration;

use bantong_store::{Notice, NoticeChannel, Store};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use tokio::sync::watch;

use crate::audit::{ActorKind, AuditEntry};
use crate::config::NoticesConfig;
use crate::identity::now_ms;
use crate::state::AppState;

/// Notices claimed per round; the lease covers them all at the gateway's
/// slowest ([`lease_ms`]).
const BATCH: i64 = 8;

/// How long a claimed batch stays with its worker: every notice of it
/// waiting out the gateway's timeout twice (request and body), and a
/// minute to spare.
fn lease_ms(config: &NoticesConfig) -> i64 {
    let per = i64::try_from(config.gateway_timeout_ms).unwrap_or(i64::MAX / 4);
    per.saturating_mul(2)
        .saturating_mul(BATCH)
        .saturating_add(60_000)
}

/// Masks every mainland mobile number in a gateway's message
/// (`138****5678`), so that no whole number reaches the logs, the audit
/// log or the administrators' list.
pub fn scrub_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 0 {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let digits: String = chars[i..i + run].iter().collect();
        let mobile = run == 11
            && digits.starts_with('1')
            && digits
                .chars()
                .nth(1)
                .is_some_and(|d| ('3'..='9').contains(&d));
        if mobile {
            out.push_str(&masked_recipient(NoticeChannel::Sms, &digits));
        } else {
            out.push_str(&digits);
        }
        i += run;
    }
    out
}

/// Checks a notice's recipient, text and topic; the error says which.
pub fn check(channel: NoticeChannel, to: &str, text: &str, topic: &str) -> Result<(), String> {
    match channel {
        NoticeChannel::Sms => {
            let b = to.as_bytes();
            let mobile = b.len() == 11
                && b.first() == Some(&b'1')
                && b.get(1).is_some_and(|d| (b'3'..=b'9').contains(d))
                && b.iter().all(u8::is_ascii_digit);
            if !mobile {
                return Err(format!(
                    "短信接收号码须为11位手机号 / `to` {to:?} is not a mainland mobile number"
                ));
            }
        }
        NoticeChannel::Portal => {
            if to.is_empty() || to.chars().any(char::is_control) {
                return Err("站内通知须指定用户 / `to` must be a user id".into());
            }
        }
    }
    if text.trim().is_empty() || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(
            "通知内容不能为空且不能含控制字符 / the text is empty or holds control characters"
                .into(),
        );
    }
    let topic_ok = !topic.is_empty()
        && topic.split('.').all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        });
    if !topic_ok {
        return Err(format!(
            "`topic` {topic:?} must be dot-separated lower-case words, e.g. hotline.callback"
        ));
    }
    Ok(())
}

/// `13812345678` → `138****5678`; other recipients as they are.
pub fn masked_recipient(channel: NoticeChannel, to: &str) -> String {
    match (channel, to.get(..3), to.get(7..)) {
        (NoticeChannel::Sms, Some(head), Some(tail)) if to.len() == 11 => {
            format!("{head}****{tail}")
        }
        _ => to.to_owned(),
    }
}

/// What the gateway said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayAnswer {
    /// Accepted, with the gateway's message id if it gave one.
    Accepted(Option<String>),
    /// Refused for good (a bad number, a banned word…).
    Refused(String),
    /// Try again later.
    Unavailable(String),
}

/// The SMS gateway client.
#[derive(Clone)]
pub struct Gateway {
    config: NoticesConfig,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<bytes::Bytes>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("url", &self.config.sms_gateway_url)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    pub fn new(config: NoticesConfig) -> Gateway {
        Gateway {
            config,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Hands one text message to the gateway.
    pub async fn send(&self, n: &Notice) -> GatewayAnswer {
        if self.config.sms_gateway_url.is_empty() {
            return GatewayAnswer::Refused(
                "未配置短信网关 / no SMS gateway is configured ([notices] sms_gateway_url)".into(),
            );
        }
        let signature = &self.config.sms_signature;
        let text = if n.text.starts_with(signature.as_str()) {
            n.text.clone()
        } else {
            format!("{signature}{}", n.text)
        };
        let body = json!({ "id": n.id, "to": n.recipient, "text": text, "signature": signature });
        let request = http::Request::post(&self.config.sms_gateway_url)
            .header("content-type", "application/json")
            .header(
                "authorization",
                format!("Bearer {}", self.config.sms_gateway_token),
            )
            .header("idempotency-key", n.id.as_str())
            .body(Full::new(bytes::Bytes::from(body.to_string())));
        let request = match request {
            Ok(r) => r,
            Err(e) => return GatewayAnswer::Refused(format!("bad gateway request: {e}")),
        };
        let timeout = Duration::from_millis(self.config.gateway_timeout_ms);
        let response = match tokio::time::timeout(timeout, self.client.request(request)).await {
            Err(_) => {
                return GatewayAnswer::Unavailable("the gateway did not answer in time".into());
            }
            Ok(Err(e)) => return GatewayAnswer::Unavailable(format!("gateway: {e}")),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        let body = match tokio::time::timeout(timeout, response.into_body().collect()).await {
            Ok(Ok(b)) => b.to_bytes(),
            _ => bytes::Bytes::new(),
        };
        let text = scrub_numbers(
            &String::from_utf8_lossy(&body)
                .chars()
                .take(300)
                .collect::<String>(),
        );
        if status.is_success() {
            let msgid = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("msgid").and_then(|m| m.as_str()).map(str::to_owned));
            GatewayAnswer::Accepted(msgid)
        } else if status.as_u16() == 429 || status.is_server_error() {
            GatewayAnswer::Unavailable(format!("gateway answered {status}: {text}"))
        } else {
            GatewayAnswer::Refused(format!("gateway answered {status}: {text}"))
        }
    }
}

/// The delay before attempt `attempts + 1` (doubling, at most an hour).
fn retry_delay(config: &NoticesConfig, attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(0, 12)).unwrap_or(12);
    let base = i64::try_from(config.retry_base_ms).unwrap_or(i64::MAX);
    base.saturating_mul(1 << exp).min(3_600_000)
}

async fn audit(state: &AppState, n: &Notice, action: &str, extra: serde_json::Value) {
    let mut detail = json!({
        "channel": n.channel.as_str(),
        "to": masked_recipient(n.channel, &n.recipient),
        "topic": n.topic,
        "chars": n.text.chars().count(),
        "acting_for": n.acting_for,
    });
    if let (Some(map), serde_json::Value::Object(more)) = (detail.as_object_mut(), extra) {
        map.extend(more);
    }
    let mut entry = AuditEntry::new(
        format!("plugin:{}", n.plugin),
        ActorKind::System,
        action,
        "notice",
        &n.id,
    )
    .detail(detail);
    if let Some(h) = &n.hall {
        entry = entry.hall(h.clone());
    }
    if let Err(e) = state.identity.audit().record(&entry).await {
        tracing::error!(notice = %n.id, "auditing a notice: {e}");
    }
}

/// Sends one round of due notices; returns how many were handled.
pub async fn send_once(state: &AppState, gateway: &Gateway) -> usize {
    let store: &Store = &state.store;
    let config = &state.config.notices;
    let now = now_ms();
    let due = match store
        .notices()
        .claim(&state.worker_id, now, lease_ms(config), BATCH)
        .await
    {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("claiming notices: {e}");
            return 0;
        }
    };
    let handled = due.len();
    for n in due {
        let answer = match n.channel {
            NoticeChannel::Portal => GatewayAnswer::Accepted(None),
            NoticeChannel::Sms => gateway.send(&n).await,
        };
        let owner = state.worker_id.as_str();
        let notices = store.notices();
        // An outcome counts (and is audited) only while this worker still
        // holds the notice's lease.
        let result = match &answer {
            GatewayAnswer::Accepted(msgid) => {
                let r = notices
                    .mark_sent(&n.id, owner, msgid.as_deref(), now_ms())
                    .await;
                if matches!(r, Ok(true)) {
                    audit(state, &n, "notice.sent", json!({ "external_id": msgid })).await;
                }
                r
            }
            GatewayAnswer::Unavailable(why) if n.attempts + 1 < i64::from(config.max_attempts) => {
                let at = now_ms().saturating_add(retry_delay(config, n.attempts));
                tracing::info!(notice = %n.id, "SMS gateway unavailable, retrying: {why}");
                notices
                    .mark_attempt_failed(&n.id, owner, why, Some(at))
                    .await
            }
            GatewayAnswer::Unavailable(why) | GatewayAnswer::Refused(why) => {
                let r = notices.mark_attempt_failed(&n.id, owner, why, None).await;
                if matches!(r, Ok(true)) {
                    audit(state, &n, "notice.failed", json!({ "error": why })).await;
                }
                r
            }
        };
        if let Err(e) = result {
            tracing::error!(notice = %n.id, "recording a notice's outcome: {e}");
        }
    }
    handled
}

/// The notice worker: a round every `poll_ms` until `stop` flips.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let gateway = Gateway::new(state.config.notices.clone());
    let every = Duration::from_millis(state.config.notices.poll_ms.max(50));
    loop {
        let handled = send_once(&state, &gateway).await;
        if handled == 0 {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
            }
        }
        if *stop.borrow() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_texts_and_topics_are_checked() {
        let ok = |c, to: &str| check(c, to, "您的工单已办结。", "hotline.callback");
        assert!(ok(NoticeChannel::Sms, "13812345678").is_ok());
        for bad in [
            "1381234567",
            "23812345678",
            "12812345678",
            "138-1234-567",
            "+8613812345678",
        ] {
            assert!(ok(NoticeChannel::Sms, bad).is_err(), "{bad}");
        }
        assert!(ok(NoticeChannel::Portal, "0192-user").is_ok());
        assert!(ok(NoticeChannel::Portal, "").is_err());
        assert!(check(NoticeChannel::Portal, "u", " ", "a.b").is_err());
        assert!(check(NoticeChannel::Portal, "u", "x\u{7}", "a.b").is_err());
        assert!(check(NoticeChannel::Portal, "u", "第一行\n第二行", "a.b").is_ok());
        for bad in ["", "A.b", "a..b", "a b", ".a"] {
            assert!(
                check(NoticeChannel::Portal, "u", "x", bad).is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(
            masked_recipient(NoticeChannel::Sms, "13812345678"),
            "138****5678"
        );
        assert_eq!(masked_recipient(NoticeChannel::Portal, "u1"), "u1");
        assert_eq!(
            scrub_numbers("invalid number 13812345678 (code 40012345678901)"),
            "invalid number 138****5678 (code 40012345678901)"
        );
        assert_eq!(
            scrub_numbers("号码13900000000已停机"),
            "号码139****0000已停机"
        );
    }

    #[test]
    fn retries_double_up_to_an_hour() {
        let c = NoticesConfig::default();
        assert_eq!(retry_delay(&c, 0), 10_000);
        assert_eq!(retry_delay(&c, 1), 20_000);
        assert_eq!(retry_delay(&c, 12), 3_600_000);
    }
}
