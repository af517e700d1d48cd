//! [`WebhookSink`]: delivers batches to the hotline plugin's webhook over
//! plain HTTP/1.1 (hyper's client), with the contract's retry rules:
//!
//! - 2xx: delivered (`{"applied": n}` is logged);
//! - 429 and 5xx, connection errors and timeouts: retried with capped
//!   exponential backoff (429 honours `Retry-After` in seconds), the same
//!   batch again, so order is kept;
//! - any other status (4xx, 3xx): the batch was refused as a whole and is
//!   not retried ([`SinkError::Refused`], with the receiver's message).

use std::fmt;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;

use crate::event::{TelephonyEvent, WEBHOOK_PATH};
use crate::sink::{EventSink, SinkError};

/// Largest answer body read from the webhook.
const MAX_ANSWER: usize = 64 * 1024;

/// When and how often a failed delivery is tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait before the first retry; doubled after each failure.
    pub first_delay: Duration,
    /// Longest wait between two attempts.
    pub max_delay: Duration,
    /// Deadline of one request (connect, send, answer).
    pub request_timeout: Duration,
    /// Attempts before giving up; `None`: never give up (the default: the
    /// events wait for the host, in order, in the adapter's queue).
    pub max_attempts: Option<u32>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            max_attempts: None,
        }
    }
}

/// Posts batches to `{base}/api/plugins/hotline/telephony/events` with a
/// bearer token.
pub struct WebhookSink {
    client: Client<HttpConnector, Full<Bytes>>,
    url: Uri,
    authorization: HeaderValue,
    retry: RetryPolicy,
}

impl fmt::Debug for WebhookSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSink")
            .field("url", &self.url)
            .field("authorization", &"Bearer <redacted>")
            .field("retry", &self.retry)
            .finish()
    }
}

#[derive(Serialize)]
struct Batch<'a> {
    events: &'a [TelephonyEvent],
}

/// The outcome of one attempt that did not deliver.
enum Failure {
    /// Do not send this batch again.
    Refused { status: u16, message: String },
    /// Send it again, after `after` if the receiver said so.
    Transient {
        reason: String,
        after: Option<Duration>,
    },
}

impl WebhookSink {
    /// A sink posting to the host at `base` (`http://host:port`, optionally
    /// with a path prefix) with the API token `token`.
    pub fn new(base: &str, token: &str) -> Result<WebhookSink, SinkError> {
        let base = base.trim_end_matches('/');
        let url: Uri = format!("{base}{WEBHOOK_PATH}")
            .parse()
            .map_err(|e| SinkError::Config(format!("webhook URL {base:?}: {e}")))?;
        if url.scheme_str() != Some("http") || url.authority().is_none() {
            return Err(SinkError::Config(format!(
                "webhook URL {base:?} must be http://host[:port] (plain HTTP; put a TLS proxy in front for HTTPS)"
            )));
        }
        let token = token.trim();
        if token.is_empty() {
            return Err(SinkError::Config("the API token is empty".into()));
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| SinkError::Config("the API token is not a valid header value".into()))?;
        authorization.set_sensitive(true);
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(WebhookSink {
            client,
            url,
            authorization,
            retry: RetryPolicy::default(),
        })
    }

    /// The same sink with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> WebhookSink {
        self.retry = retry;
        self
    }

    /// The full URL events are posted to.
    pub fn url(&self) -> &Uri {
        &self.url
    }

    async fn attempt(&self, body: Bytes, count: usize) -> Result<(), Failure> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.url.clone())
            .header(header::AUTHORIZATION, self.authorization.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .map_err(|e| Failure::Refused {
                status: 0,
                message: format!("cannot build the request: {e}"),
            })?;
        let exchange = async {
            let answer = self
                .client
                .request(request)
                .await
                .map_err(|e| format!("request failed: {}", chain(&e)))?;
            let (parts, body) = answer.into_parts();
            let bytes = Limited::new(body, MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| format!("reading the answer: {e}"))?
                .to_bytes();
            Ok::<_, String>((parts, bytes))
        };
        let (parts, bytes) = match tokio::time::timeout(self.retry.request_timeout, exchange).await
        {
            Err(_) => {
                return Err(Failure::Transient {
                    reason: format!("no answer within {:?}", self.retry.request_timeout),
                    after: None,
                });
            }
            Ok(Err(reason)) => {
                return Err(Failure::Transient {
                    reason,
                    after: None,
                });
            }
            Ok(Ok(answer)) => answer,
        };
        let status = parts.status;
        if status.is_success() {
            let applied = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("applied").and_then(serde_json::Value::as_u64));
            match applied {
                Some(n) if n as usize == count => {}
                Some(n) => tracing::warn!(
                    sent = count,
                    applied = n,
                    "the webhook applied fewer events than sent"
                ),
                None => tracing::warn!(%status, "the webhook's answer has no `applied` count"),
            }
            return Ok(());
        }
        let message = error_message(&bytes);
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let after = parts
                .headers
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(Failure::Transient {
                reason: format!("{status}: {message}"),
                after,
            });
        }
        Err(Failure::Refused {
            status: status.as_u16(),
            message,
        })
    }
}

/// An error and its sources, `outer: inner: …` (hyper's errors say little
/// on their own: "client error (Connect)").
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The receiver's `{"error":{"message":…}}`, or the start of its answer.
fn error_message(bytes: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(bytes).chars().take(200).collect())
}

impl EventSink for WebhookSink {
    async fn send(&self, events: &[TelephonyEvent]) -> Result<(), SinkError> {
        let body = serde_json::to_vec(&Batch { events })
            .map(Bytes::from)
            .map_err(|e| SinkError::Config(format!("cannot encode events: {e}")))?;
        let mut delay = self.retry.first_delay;
        let mut attempts: u32 = 0;
        loop {
            attempts = attempts.saturating_add(1);
            let (reason, after) = match self.attempt(body.clone(), events.len()).await {
                Ok(()) => return Ok(()),
                Err(Failure::Refused { status, message }) => {
                    return Err(SinkError::Refused { status, message });
                }
                Err(Failure::Transient { reason, after }) => (reason, after),
            };
            if self.retry.max_attempts.is_some_and(|max| attempts >= max) {
                return Err(SinkError::GaveUp {
                    attempts,
                    last: reason,
                });
            }
            let wait = after.unwrap_or(delay).min(self.retry.max_delay);
            tracing::warn!(
                attempts,
                ?wait,
                "webhook delivery failed, retrying: {reason}"
            );
            tokio::time::sleep(wait).await;
            delay = delay.saturating_mul(2).min(self.retry.max_delay);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// One request as the fake host saw it.
    #[derive(Debug, Clone)]
    struct Seen {
        head: String,
        body: serde_json::Value,
    }

    /// A tiny HTTP/1.1 host that answers the n-th request with the n-th
    /// canned answer (the last one repeated), one request per connection.
    async fn fake_host(answers: Vec<&'static str>) -> (String, Arc<Mutex<Vec<Seen>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            let mut n = 0;
            loop {
                let (mut conn, _) = listener.accept().await.unwrap();
                let mut buf = Vec::new();
                let (head, body) = loop {
                    let mut chunk = [0u8; 4096];
                    let got = conn.read(&mut chunk).await.unwrap();
                    assert!(got > 0, "connection closed mid-request");
                    buf.extend_from_slice(&chunk[..got]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse().unwrap())
                            })
                            .unwrap_or(0);
                        if body.len() >= len {
                            break (head.to_owned(), body.to_owned());
                        }
                    }
                };
                log.lock().unwrap().push(Seen {
                    head,
                    body: serde_json::from_str(&body).unwrap(),
                });
                let answer = answers[n.min(answers.len() - 1)];
                n += 1;
                conn.write_all(answer.as_bytes()).await.unwrap();
                conn.shutdown().await.ok();
            }
        });
        (format!("http://{addr}"), seen)
    }

    fn answer(status: &str, extra: &str, body: &str) -> &'static str {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .leak()
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            first_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            request_timeout: Duration::from_secs(5),
            max_attempts: Some(5),
        }
    }

    fn events() -> Vec<TelephonyEvent> {
        vec![
            TelephonyEvent::Login {
                seat: "seat-1".into(),
                at_ms: 1,
            },
            TelephonyEvent::Login {
                seat: "seat-2".into(),
                at_ms: 2,
            },
        ]
    }

    #[tokio::test]
    async fn posts_the_batch_with_the_token_and_retries_5xx_and_429() {
        let (base, seen) = fake_host(vec![
            answer("503 Service Unavailable", "", "{}"),
            answer("429 Too Many Requests", "Retry-After: 0\r\n", "{}"),
            answer("200 OK", "", r#"{"applied": 2}"#),
        ])
        .await;
        let sink = WebhookSink::new(&format!("{base}/"), "tok-1")
            .unwrap()
            .with_retry(fast());
        sink.send(&events()).await.unwrap();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3);
        for s in &seen {
            assert!(
                s.head
                    .starts_with("POST /api/plugins/hotline/telephony/events HTTP/1.1"),
                "{}",
                s.head
            );
            assert!(
                s.head
                    .to_ascii_lowercase()
                    .contains("authorization: bearer tok-1")
            );
            assert_eq!(s.body, serde_json::json!({"events": events()}));
        }
    }

    #[tokio::test]
    async fn does_not_retry_a_refused_batch() {
        let (base, seen) = fake_host(vec![answer(
            "422 Unprocessable Entity",
            "",
            r#"{"error": {"message": "seat seat-9 is not configured"}}"#,
        )])
        .await;
        let sink = WebhookSink::new(&base, "tok").unwrap().with_retry(fast());
        match sink.send(&events()).await {
            Err(SinkError::Refused { status, message }) => {
                assert_eq!(status, 422);
                assert_eq!(message, "seat seat-9 is not configured");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn gives_up_when_the_policy_says_so() {
        // Nothing listens on this port: every attempt is a connection error.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let sink = WebhookSink::new(&format!("http://127.0.0.1:{port}"), "tok")
            .unwrap()
            .with_retry(RetryPolicy {
                max_attempts: Some(3),
                ..fast()
            });
        match sink.send(&events()).await {
            Err(SinkError::GaveUp { attempts, last }) => {
                assert_eq!(attempts, 3);
                assert!(last.contains("request failed"), "{last}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_a_bad_configuration() {
        assert!(WebhookSink::new("https://host", "t").is_err());
        assert!(WebhookSink::new("host:8080", "t").is_err());
        assert!(WebhookSink::new("http://host", " ").is_err());
        assert!(WebhookSink::new("http://host", "a\nb").is_err());
        let sink = WebhookSink::new("http://host:8080/prefix/", "secret").unwrap();
        assert_eq!(
            sink.url().to_string(),
            "http://host:8080/prefix/api/plugins/hotline/telephony/events"
        );
        assert!(!format!("{sink:?}").contains("secret"));
    }
}
