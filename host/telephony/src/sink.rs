//! Where telephony events go: the [`EventSink`] trait, the [`ChannelSink`]
//! for tests and embedding, and the delivery task that hands the adapter's
//! events to a sink in order, in batches, from a bounded queue.

use std::future::Future;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::event::TelephonyEvent;

/// Most events in one batch handed to a sink.
pub const MAX_BATCH: usize = 100;

/// Why a sink did not take a batch.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The receiver refused the batch as a whole (HTTP 4xx other than 429);
    /// sending it again would not help.
    #[error("the webhook refused the batch ({status}): {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The receiver's message (`{"error":{"message":…}}`), or the start
        /// of its answer.
        message: String,
    },
    /// Transient failures went on until the retry policy gave up.
    #[error("gave up after {attempts} attempts: {last}")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The receiving side is gone (a dropped channel receiver).
    #[error("the event receiver is closed")]
    Closed,
    /// The sink is misconfigured (e.g. a webhook URL that is not `http://`).
    #[error("invalid sink configuration: {0}")]
    Config(String),
}

/// Takes batches of events, in order. A sink may retry inside `send`;
/// when `send` returns, the batch was either taken (`Ok`) or will never be
/// (`Err`), and the next batch follows.
pub trait EventSink: Send + Sync + 'static {
    /// Delivers one batch.
    fn send(&self, events: &[TelephonyEvent])
    -> impl Future<Output = Result<(), SinkError>> + Send;
}

/// A sink that puts each event on a tokio channel, for tests and for
/// embedding the adapter in a process that handles events itself.
#[derive(Debug, Clone)]
pub struct ChannelSink {
    tx: mpsc::Sender<TelephonyEvent>,
}

impl ChannelSink {
    /// A sink and the receiver of its events; `capacity` bounds the
    /// channel (sending waits while it is full).
    pub fn new(capacity: usize) -> (ChannelSink, mpsc::Receiver<TelephonyEvent>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (ChannelSink { tx }, rx)
    }
}

impl EventSink for ChannelSink {
    async fn send(&self, events: &[TelephonyEvent]) -> Result<(), SinkError> {
        for event in events {
            self.tx
                .send(event.clone())
                .await
                .map_err(|_| SinkError::Closed)?;
        }
        Ok(())
    }
}

/// Starts the delivery task: it takes events from a queue of `capacity`,
/// hands whatever is queued (up to [`MAX_BATCH`]) to `sink` as one batch,
/// waits for the outcome, and goes on with the next batch. A refused or
/// abandoned batch is logged and dropped. The task ends when every sender
/// is dropped and the queue is empty.
pub(crate) fn spawn_delivery<S: EventSink>(
    sink: S,
    capacity: usize,
) -> (mpsc::Sender<TelephonyEvent>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<TelephonyEvent>(capacity.max(1));
    let task = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            match sink.send(&batch).await {
                Ok(()) => tracing::debug!(events = batch.len(), "telephony events delivered"),
                // Names and call ids only: the events carry caller numbers.
                Err(e) => tracing::error!(
                    events = batch.len(),
                    first = batch.first().map_or("", TelephonyEvent::name),
                    call = batch.iter().find_map(TelephonyEvent::call_id).unwrap_or(""),
                    "telephony events dropped: {e}"
                ),
            }
            batch.clear();
        }
    });
    (tx, task)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Recording {
        batches: Arc<Mutex<Vec<Vec<TelephonyEvent>>>>,
    }

    impl EventSink for Recording {
        async fn send(&self, events: &[TelephonyEvent]) -> Result<(), SinkError> {
            // Slow enough that events queue up behind the first batch.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            self.batches.lock().unwrap().push(events.to_vec());
            // The first batch fails: the next ones are still delivered.
            if events.first() == Some(&login(0)) {
                return Err(SinkError::Closed);
            }
            Ok(())
        }
    }

    fn login(i: i64) -> TelephonyEvent {
        TelephonyEvent::Login {
            seat: format!("seat-{i}"),
            at_ms: i,
        }
    }

    #[tokio::test]
    async fn delivers_in_order_in_batches_and_goes_on_after_a_failure() {
        let sink = Recording::default();
        let (tx, task) = spawn_delivery(sink.clone(), 1000);
        for i in 0..250 {
            tx.send(login(i)).await.unwrap();
        }
        drop(tx);
        task.await.unwrap();
        let batches = sink.batches.lock().unwrap().clone();
        assert!(batches.iter().all(|b| b.len() <= MAX_BATCH));
        assert!(batches.len() >= 3, "{} batches", batches.len());
        let all: Vec<_> = batches.into_iter().flatten().collect();
        assert_eq!(all, (0..250).map(login).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn channel_sink_passes_events_and_reports_a_closed_receiver() {
        let (sink, mut rx) = ChannelSink::new(8);
        sink.send(&[login(1), login(2)]).await.unwrap();
        assert_eq!(rx.recv().await, Some(login(1)));
        assert_eq!(rx.recv().await, Some(login(2)));
        drop(rx);
        assert!(matches!(
            sink.send(&[login(3)]).await,
            Err(SinkError::Closed)
        ));
    }
}
