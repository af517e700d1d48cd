//! Background work of a host process: delivering outbox events to
//! subscribing plugins, and firing scheduled jobs exactly once cluster-wide.

use std::time::Duration;

use bantong_runtime::wit;
use bantong_store::Scope;
use tokio::sync::watch;

use crate::state::AppState;

/// Deliveries claimed per poll. Handled one after another, each within its
/// plugin's deadline, so the lease below covers a whole batch.
const BATCH: u32 = 4;
/// How long a claimed delivery stays leased to this process: a batch at the
/// longest deadline (30 s, plus grace) each. A crashed host's claims become
/// due again after this.
const LEASE: Duration = Duration::from_secs(4 * 31);
/// Backoff before a failed delivery is retried: 5 s, doubling per attempt,
/// at most an hour. Deliveries are never dropped.
fn retry_after(attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(10);
    Duration::from_secs(5u64.saturating_mul(1 << exp)).min(Duration::from_secs(3600))
}

/// Spawns the outbox dispatcher, the scheduler and the notice sender; all
/// stop when `stop` flips.
pub fn spawn(state: AppState, stop: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(outbox_loop(state.clone(), stop.clone())),
        tokio::spawn(registry_loop(state.clone(), stop.clone())),
        tokio::spawn(scheduler_loop(state.clone(), stop.clone())),
        tokio::spawn(crate::notices::run(state.clone(), stop.clone())),
        tokio::spawn(statistics_loop(state, stop)),
    ]
}

/// Refreshes the database's planner statistics at start and every hour
/// (`Store::refresh_statistics`), so that reports keep using their indexes
/// as collections grow.
async fn statistics_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    const EVERY: Duration = Duration::from_secs(3600);
    loop {
        if let Err(e) = state.store.refresh_statistics().await {
            tracing::warn!(error = %e, "could not refresh the planner statistics");
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// Delivers one batch of due events; returns how many were handled.
pub async fn deliver_once(state: &AppState) -> usize {
    let store = state.plugins.store();
    let worker = state.worker_id.as_str();
    let deliveries = match store.claim_deliveries(worker, BATCH, LEASE).await {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "could not claim outbox deliveries");
            return 0;
        }
    };
    let n = deliveries.len();
    for d in deliveries {
        let result = deliver(state, &d).await;
        let done = match result {
            Ok(()) => store.ack(&d.event.id, &d.subscriber).await,
            Err(reason) => {
                tracing::warn!(event = %d.event.id, subscriber = %d.subscriber, attempts = d.attempts, %reason, "delivery failed; will retry");
                store
                    .nack(&d.event.id, &d.subscriber, &reason, retry_after(d.attempts))
                    .await
            }
        };
        if let Err(e) = done {
            tracing::error!(error = %e, "could not record a delivery outcome");
        }
    }
    n
}

async fn deliver(state: &AppState, d: &bantong_store::Delivery) -> Result<(), String> {
    let Some(entry) = state.plugins.index().get(&d.subscriber) else {
        // Removed from the registry: nothing to deliver to. Installed but not
        // loaded here (for example it failed to load): keep it for later.
        return match state
            .plugins
            .store()
            .registry()
            .get_plugin(&d.subscriber)
            .await
        {
            Ok(None) => Ok(()),
            Ok(Some(_)) => Err("subscriber is installed but not loaded in this process".into()),
            Err(e) => Err(e.to_string()),
        };
    };
    if !entry.is_enabled() {
        return Err("subscriber is disabled".into());
    }
    let plugin = entry.current();
    let event = wit::Event {
        id: d.event.id.clone(),
        topic: d.event.topic.clone(),
        source: d.event.source.clone(),
        hall: d.event.hall.clone(),
        payload: d.event.payload.to_string(),
        occurred_at: d.event.occurred_at,
    };
    let host = state
        .plugins
        .call_host(
            &plugin,
            Scope::all(d.subscriber.clone()),
            d.event.hall.as_deref(),
            format!("event:{}", d.event.id),
        )
        .await;
    let outcome = state
        .plugins
        .runtime()
        .on_event(&entry.slot, &plugin, host, event)
        .await
        .map_err(|e| e.to_string());
    if entry.slot.take_newly_quarantined() {
        state.plugins.persist_quarantine(&d.subscriber).await;
    }
    let outcome = outcome?;
    outcome.value?;
    outcome
        .host
        .commit(state.identity.audit())
        .await
        .map_err(|e| e.to_string())
}

async fn outbox_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    let idle = Duration::from_millis(state.config.workers.outbox_poll_ms.max(10));
    loop {
        let handled = deliver_once(&state).await;
        if handled == 0 {
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                _ = stop.changed() => break,
            }
        }
        if *stop.borrow() {
            break;
        }
    }
    if let Err(e) = state.plugins.store().release_leases(&state.worker_id).await {
        tracing::warn!(error = %e, "could not release outbox leases");
    }
}

/// Fires every schedule whose instant has come since `since_ms`, claiming
/// each firing in the database so only one host process runs it.
pub async fn fire_due(state: &AppState, since_ms: i64, now_ms: i64) -> usize {
    let mut fired = 0;
    for (id, entry) in state.plugins.index().all() {
        if !entry.is_enabled() {
            continue;
        }
        let plugin = entry.current();
        for schedule in &plugin.meta().manifest.schedules {
            let mut at = since_ms;
            // Bounded catch-up: at most 10 missed instants per schedule per pass.
            for _ in 0..10 {
                let Some(next) = schedule.next_after(at) else {
                    break;
                };
                if next > now_ms {
                    break;
                }
                at = next;
                let claim = state
                    .plugins
                    .store()
                    .claim_fire(&id, &schedule.name, next, &state.worker_id)
                    .await;
                let fire_id = match claim {
                    Ok(Some(f)) => f,
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::error!(error = %e, "could not claim a schedule firing");
                        continue;
                    }
                };
                fired += 1;
                let job = wit::Job {
                    name: schedule.name.clone(),
                    scheduled_at: next,
                    fire_id: fire_id.clone(),
                };
                let host = state
                    .plugins
                    .call_host(
                        &plugin,
                        Scope::all(id.clone()),
                        None,
                        format!("job:{fire_id}"),
                    )
                    .await;
                let outcome = state
                    .plugins
                    .runtime()
                    .on_job(&entry.slot, &plugin, host, job)
                    .await;
                if entry.slot.take_newly_quarantined() {
                    state.plugins.persist_quarantine(&id).await;
                }
                let result = match outcome {
                    Ok(o) => match o.value {
                        Ok(()) => o
                            .host
                            .commit(state.identity.audit())
                            .await
                            .map_err(|e| e.to_string()),
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e.to_string()),
                };
                let (ok, err) = match &result {
                    Ok(()) => (true, None),
                    Err(e) => (false, Some(e.as_str())),
                };
                if let Err(e) = state.plugins.store().finish_fire(&fire_id, ok, err).await {
                    tracing::error!(error = %e, "could not record a schedule firing");
                }
            }
        }
    }
    fired
}

/// Picks up plugin changes made by other host processes or the CLI.
async fn registry_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_millis(state.config.workers.registry_poll_ms.max(100));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        match state.plugins.sync_from_registry().await {
            Ok(0) => {}
            Ok(n) => tracing::info!("{n} plugin(s) changed by another process"),
            Err(e) => tracing::error!(error = %e, "could not read the plugin registry"),
        }
    }
}

async fn scheduler_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    let tick = Duration::from_millis(state.config.workers.scheduler_poll_ms.max(100));
    let mut since = crate::identity::now_ms();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        let now = crate::identity::now_ms();
        fire_due(&state, since, now).await;
        since = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_after(1), Duration::from_secs(5));
        assert_eq!(retry_after(2), Duration::from_secs(10));
        assert_eq!(retry_after(8), Duration::from_secs(640));
        assert_eq!(retry_after(100), Duration::from_secs(3600));
    }
}
