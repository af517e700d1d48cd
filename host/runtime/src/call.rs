//! One plugin call: a fresh instance from the pre-instantiated component,
//! a deadline, a memory cap, and classification of what went wrong.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use wasmtime::{Store, UpdateDeadline};

use crate::bindings::wit::{Event, Job, Module, Request, Response, View};
use crate::engine::Runtime;
use crate::error::CallError;
use crate::host::{CallHost, HostState};
use crate::plugin::{Plugin, PluginSlot};
use std::sync::Arc;

/// The result of a successful call, with the call host handed back so the
/// embedder can commit the unit of work.
#[derive(Debug)]
pub struct CallOutcome<T, H> {
    pub value: T,
    pub host: H,
    pub elapsed: Duration,
    /// Version of the plugin that served the call.
    pub version: String,
}

/// Marker error returned by the epoch callback when the deadline passed.
#[derive(Debug)]
struct DeadlineExceeded;

impl std::fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("deadline exceeded")
    }
}

impl std::error::Error for DeadlineExceeded {}

type CallFuture<'a, T> = Pin<Box<dyn Future<Output = wasmtime::Result<T>> + Send + 'a>>;

/// Extra time the outer async timeout allows beyond the epoch deadline; it
/// only fires when a host import itself hangs.
const GRACE: Duration = Duration::from_millis(500);

impl<H: CallHost> Runtime<H> {
    /// Answers an HTTP request.
    pub async fn handle<M>(
        &self,
        slot: &PluginSlot<H, M>,
        plugin: &Arc<Plugin<H, M>>,
        host: H,
        req: Request,
    ) -> Result<CallOutcome<Response, H>, CallError> {
        let boundary = plugin.limits.boundary_bytes;
        if req.body.len() > boundary {
            slot.stats().record_rejected();
            return Err(CallError::RequestTooLarge {
                bytes: req.body.len(),
                limit: boundary,
            });
        }
        self.run_checked(
            slot,
            plugin,
            host,
            move |m, s| {
                Box::pin(async move { m.bantong_platform_handler().call_handle(s, &req).await })
            },
            move |resp: &Response| {
                if resp.body.len() > boundary {
                    Err(CallError::ResponseTooLarge {
                        bytes: resp.body.len(),
                        limit: boundary,
                    })
                } else {
                    Ok(())
                }
            },
        )
        .await
    }

    /// Delivers an event; `Ok(Err(_))` is the plugin declining it.
    pub async fn on_event<M>(
        &self,
        slot: &PluginSlot<H, M>,
        plugin: &Arc<Plugin<H, M>>,
        host: H,
        event: Event,
    ) -> Result<CallOutcome<Result<(), String>, H>, CallError> {
        self.run(slot, plugin, host, move |m, s| {
            Box::pin(async move {
                m.bantong_platform_subscriber()
                    .call_on_event(s, &event)
                    .await
            })
        })
        .await
    }

    /// Runs one firing of a scheduled job.
    pub async fn on_job<M>(
        &self,
        slot: &PluginSlot<H, M>,
        plugin: &Arc<Plugin<H, M>>,
        host: H,
        job: Job,
    ) -> Result<CallOutcome<Result<(), String>, H>, CallError> {
        self.run(slot, plugin, host, move |m, s| {
            Box::pin(async move { m.bantong_platform_scheduler().call_on_job(s, &job).await })
        })
        .await
    }

    /// Asks the plugin for its portal views.
    pub async fn views<M>(
        &self,
        slot: &PluginSlot<H, M>,
        plugin: &Arc<Plugin<H, M>>,
        host: H,
    ) -> Result<CallOutcome<Vec<View>, H>, CallError> {
        self.run(slot, plugin, host, |m, s| {
            Box::pin(async move { m.bantong_platform_portal().call_views(s).await })
        })
        .await
    }

    async fn run<T, F, M>(
        &self,
        slot: &PluginSlot<H, M>,
        plugin: &Arc<Plugin<H, M>>,
        host: H,
        call: F,
    ) -> Result<CallOutcome<T, H>, CallError>
    where
        F: for<'a> FnOnce(&'a Module, &'a mut Store<HostState<H>>) -> CallFuture<'a, T>,
    {
        self.run_checked(slot, plugin, host, call, |_| Ok(())).await
    }

    /// Runs a call and then `check`s its value; a failed check is a plugin
    /// fault like a trap.
    async fn run_checked<T, F, C, M>(
        &self,
        slot: &PluginSlot<H, M>,
        plugin: &Arc<Plugin<H, M>>,
        host: H,
        call: F,
        check: C,
    ) -> Result<CallOutcome<T, H>, CallError>
    where
        F: for<'a> FnOnce(&'a Module, &'a mut Store<HostState<H>>) -> CallFuture<'a, T>,
        C: FnOnce(&T) -> Result<(), CallError>,
    {
        if slot.is_quarantined() {
            slot.stats().record_rejected();
            return Err(CallError::Quarantined);
        }
        let limits = plugin.limits;
        // Fast path without a timer; wait (up to the deadline) only when the
        // plugin is at its concurrency limit.
        let _permit = match slot.permits.try_acquire() {
            Ok(p) => p,
            Err(_) => match tokio::time::timeout(limits.timeout, slot.permits.acquire()).await {
                Ok(Ok(p)) => p,
                _ => {
                    slot.stats().record_rejected();
                    return Err(CallError::Busy);
                }
            },
        };
        let start = Instant::now();
        let deadline = start + limits.timeout;
        let mut store = Store::new(
            self.engine(),
            HostState::new(host, limits.memory_bytes, limits.boundary_bytes),
        );
        store.limiter(|s| &mut s.limiter);
        // Yield to the async executor at every epoch tick so a spinning guest
        // never blocks a worker thread, and trap once the deadline has passed.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Err(wasmtime::Error::new(DeadlineExceeded))
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        let work = async {
            let module = plugin.pre.instantiate_async(&mut store).await?;
            call(&module, &mut store).await
        };
        let result = tokio::time::timeout(limits.timeout + GRACE, work).await;
        let elapsed = start.elapsed();
        let timeout_ms = limits.timeout.as_millis() as u64;
        let outcome = match result {
            // The epoch callback traps a running guest at the deadline; only
            // a host import can keep the call alive past deadline + grace.
            Err(_) => Err(CallError::HostStalled),
            Ok(Ok(value)) => check(&value).map(|()| value),
            Ok(Err(e)) => Err(classify(
                &e,
                store.data().limiter.hit,
                limits.memory_bytes,
                timeout_ms,
            )),
        };
        match outcome {
            Ok(value) => {
                slot.stats().record(elapsed, Ok(()));
                Ok(CallOutcome {
                    value,
                    host: store.into_data().into_host(),
                    elapsed,
                    version: plugin.version.clone(),
                })
            }
            Err(err) => {
                if matches!(err, CallError::Busy | CallError::HostStalled) {
                    slot.stats().record_rejected();
                } else {
                    let consecutive = slot.stats().record(elapsed, Err(&err));
                    if slot.note_failures(consecutive) {
                        tracing::warn!(plugin = %plugin.id, "plugin quarantined after {consecutive} consecutive failures");
                    }
                }
                Err(err)
            }
        }
    }
}

fn classify(
    e: &wasmtime::Error,
    memory_hit: bool,
    memory_bytes: usize,
    timeout_ms: u64,
) -> CallError {
    if e.downcast_ref::<DeadlineExceeded>().is_some()
        || matches!(
            e.downcast_ref::<wasmtime::Trap>(),
            Some(wasmtime::Trap::Interrupt)
        )
    {
        CallError::Timeout { ms: timeout_ms }
    } else if memory_hit {
        CallError::MemoryLimit {
            bytes: memory_bytes,
        }
    } else if e
        .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .is_some()
    {
        CallError::Busy
    } else {
        // The root cause only: backtraces stay in the host's logs.
        CallError::Trap(e.root_cause().to_string())
    }
}
