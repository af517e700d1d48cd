//! Group commit into the outbox: producers hand drafts to one writer
//! thread, which appends everything queued with a single fsync and then
//! answers each producer. Many small events cost one disk sync, not many.

use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, mpsc, oneshot};

use crate::outbox::{Draft, Outbox, OutboxError};

type Reply = oneshot::Sender<Result<std::ops::Range<u64>, String>>;

/// Where upstream events go. Cheap to clone.
#[derive(Clone, Debug)]
pub struct EventSink {
    tx: mpsc::Sender<(Vec<Draft>, Reply)>,
}

impl EventSink {
    /// Starts the writer thread over `outbox`; `written` is notified after
    /// every durable append so the link can send.
    pub fn start(outbox: Arc<Mutex<Outbox>>, written: Arc<Notify>) -> EventSink {
        let (tx, mut rx) = mpsc::channel::<(Vec<Draft>, Reply)>(1024);
        std::thread::Builder::new()
            .name("outbox-writer".into())
            .spawn(move || {
                while let Some(first) = rx.blocking_recv() {
                    let mut requests = vec![first];
                    while requests.len() < 256 {
                        match rx.try_recv() {
                            Ok(r) => requests.push(r),
                            Err(_) => break,
                        }
                    }
                    write_group(&outbox, requests);
                    written.notify_one();
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start the outbox writer: {e}"));
        EventSink { tx }
    }

    /// Makes `drafts` durable and returns their sequence numbers. An error
    /// means none of them was accepted.
    ///
    /// Every ID-card number in an event is masked here (`110101********123X`),
    /// whoever wrote it: this is the one door events leave the hall by.
    pub async fn emit(&self, mut drafts: Vec<Draft>) -> Result<std::ops::Range<u64>, String> {
        for draft in &mut drafts {
            mask_ids(draft);
        }
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((drafts, reply))
            .await
            .map_err(|_| "the outbox writer has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the outbox writer has stopped".to_string())?
    }
}

/// Masks ID numbers in an event's subject and data.
fn mask_ids(draft: &mut Draft) {
    let masked = bantong_hall_kit::scrub::scrub_json(&mut draft.data);
    if let Some(subject) = &draft.subject
        && let std::borrow::Cow::Owned(s) = bantong_hall_kit::scrub::scrub_text(subject)
    {
        draft.subject = Some(s);
    }
    if masked > 0 {
        tracing::debug!(kind = %draft.kind, masked, "ID numbers masked before upstream");
    }
}

fn write_group(outbox: &Mutex<Outbox>, requests: Vec<(Vec<Draft>, Reply)>) {
    let mut ob = outbox.lock().unwrap_or_else(|p| p.into_inner());
    // One append (one fsync) for the whole group when it fits; otherwise
    // request by request so one oversized request cannot sink the others.
    let sizes: Vec<usize> = requests.iter().map(|(d, _)| d.len()).collect();
    let all: Vec<Draft> = requests
        .iter()
        .flat_map(|(d, _)| d.iter().cloned())
        .collect();
    match ob.append(all) {
        Ok(range) => {
            let mut start = range.start;
            for ((_, reply), n) in requests.into_iter().zip(sizes) {
                let end = start + n as u64;
                let _ = reply.send(Ok(start..end));
                start = end;
            }
        }
        Err(OutboxError::Io(e)) => {
            for (_, reply) in requests {
                let _ = reply.send(Err(format!("outbox I/O: {e}")));
            }
        }
        Err(_) => {
            for (drafts, reply) in requests {
                let _ = reply.send(ob.append(drafts).map_err(|e| e.to_string()));
            }
        }
    }
}
