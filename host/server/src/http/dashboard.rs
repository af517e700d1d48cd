//! The district command dashboard's data (`GET /api/portal/dashboard`) and
//! its live feed (`GET /api/portal/dashboard/stream`, server-sent events).
//!
//! The feed polls the database rather than listening to this process's
//! ingest, so it is right whichever host process of a cluster applied an
//! agent's events; it sends the whole (small) dashboard only when it
//! changed, and a keep-alive comment otherwise. Screens that see the same
//! halls share one poller ([`Feeds`]): a district's wall of big screens
//! costs one snapshot every two seconds, not one per screen, and the
//! poller stops when its last screen closes.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use serde_json::{Value, json};
use sqlx::Row;

use super::auth::Auth;
use crate::edge::registry::AlertQuery;
use crate::error::{AppResult, Json};
use crate::identity::{Principal, now_ms};
use crate::state::AppState;

/// How often the feed looks for changes.
const POLL: Duration = Duration::from_secs(2);
/// A feed ends after this long; the browser's `EventSource` reconnects.
const MAX_STREAM: Duration = Duration::from_secs(600);
/// Latest alerts shown.
const ALERTS: i64 = 12;

/// Seats and people from a hall's latest `watch.summary` (camera-watch).
fn occupancy(summary: &Value) -> Value {
    let (mut seats, mut occupied, mut unattended, mut waiting) = (0u64, 0u64, 0u64, 0u64);
    if let Some(cameras) = summary.get("cameras").and_then(Value::as_object) {
        for camera in cameras.values() {
            for region in camera
                .get("regions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match region.get("kind").and_then(Value::as_str) {
                    Some("seat") => {
                        seats += 1;
                        let flag = |k: &str| region.get(k).and_then(Value::as_bool) == Some(true);
                        occupied += u64::from(flag("occupied"));
                        unattended += u64::from(flag("unattended"));
                    }
                    Some("zone") => {
                        waiting += region.get("people").and_then(Value::as_u64).unwrap_or(0);
                    }
                    _ => {}
                }
            }
        }
    }
    json!({ "seats": seats, "occupied": occupied, "unattended": unattended, "waiting": waiting })
}

/// `YYYY-MM-DD` of an instant in the halls' time (UTC+8).
fn hall_date(ms: i64) -> String {
    let local = ms + 8 * 3_600_000;
    chrono::DateTime::from_timestamp_millis(local)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Today's tickets from a hall's latest `queue.summary` (the queue plugin's
/// snapshot): issued, served and waiting, and the mean wait of the tickets
/// served; `None` when the latest summary is from another day.
fn tickets(summary: &Value, today: &str) -> Option<Value> {
    if summary.get("day").and_then(Value::as_str) != Some(today) {
        return None;
    }
    let totals = summary.get("totals")?;
    let n = |k: &str| totals.get(k).and_then(Value::as_u64).unwrap_or(0);
    Some(json!({
        "issued": n("issued"),
        "served": n("served"),
        "waiting": n("waiting"),
        "avg_wait_s": totals.get("avg_wait_s").and_then(Value::as_u64),
        "at_ms": summary.get("at_ms").and_then(Value::as_i64),
    }))
}

/// Every hall the viewer may see with its live state, and the latest alerts.
pub async fn snapshot(state: &AppState, viewer: &Principal) -> AppResult<Value> {
    let pool = state.store.pool();
    let now = now_ms();
    let stale_before = now - 90_000;
    let halls = state.identity.list_halls().await?;
    let agents = sqlx::query(
        "SELECT hall, online, last_seen, version FROM edge_agents WHERE revoked_at IS NULL",
    )
    .fetch_all(pool)
    .await?;
    let open = sqlx::query(
        "SELECT hall, COUNT(*) FROM edge_alerts WHERE acknowledged_at IS NULL GROUP BY hall",
    )
    .fetch_all(pool)
    .await?;
    let today = hall_date(now);
    let mut out = Vec::new();
    for hall in halls.into_iter().filter(|h| viewer.can_access_hall(&h.id)) {
        let (mut total, mut online, mut last_seen) = (0u32, 0u32, None::<i64>);
        for a in &agents {
            if a.try_get::<String, _>(0)? != hall.id {
                continue;
            }
            total += 1;
            let seen: Option<i64> = a.try_get(2)?;
            if a.try_get::<i64, _>(1)? != 0 && seen.is_some_and(|t| t >= stale_before) {
                online += 1;
            }
            last_seen = last_seen.max(seen);
        }
        let mut open_alerts = 0i64;
        for r in &open {
            if r.try_get::<String, _>(0)? == hall.id {
                open_alerts = r.try_get(1)?;
            }
        }
        let summary: Option<String> = sqlx::query_scalar(
            "SELECT data FROM edge_events WHERE hall = $1 AND kind = 'watch.summary' \
             ORDER BY received_at DESC LIMIT 1",
        )
        .bind(&hall.id)
        .fetch_optional(pool)
        .await?;
        let windows = summary
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .map(|s| occupancy(&s));
        let queue: Option<String> = sqlx::query_scalar(
            "SELECT data FROM edge_events WHERE hall = $1 AND kind = 'queue.summary' \
             ORDER BY received_at DESC LIMIT 1",
        )
        .bind(&hall.id)
        .fetch_optional(pool)
        .await?;
        let queue = queue
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .and_then(|s| tickets(&s, &today));
        out.push(json!({
            "id": hall.id,
            "name": { "zh": hall.name_zh, "en": hall.name_en },
            "agents": total,
            "online": online,
            "last_seen": last_seen,
            "open_alerts": open_alerts,
            "windows": windows,
            "queue": queue,
        }));
    }
    let alerts = state
        .edge
        .registry
        .alerts(
            viewer,
            &AlertQuery {
                hall: None,
                kind: None,
                open: None,
                before: None,
                limit: Some(ALERTS),
            },
        )
        .await?;
    // Deadlines count on the district's calendar: say so when a year that
    // should be entered is missing.
    let calendar_warning = crate::calendar::warning(&state.store, now).await?;
    Ok(json!({ "halls": out, "alerts": alerts, "calendar_warning": calendar_warning }))
}

/// `GET /api/portal/dashboard`
pub async fn get(State(state): State<AppState>, Auth(p): Auth) -> AppResult<Json<Value>> {
    Ok(Json(snapshot(&state, &p).await?))
}

/// What a snapshot depends on: the halls the viewer may see.
fn scope(viewer: &Principal) -> String {
    if viewer.district_wide {
        return "*".to_owned();
    }
    let mut halls = viewer.halls.clone();
    halls.sort();
    halls.dedup();
    halls.join(",")
}

/// The live feeds by viewer scope: each the latest snapshot (JSON text),
/// kept current by one poller task while anyone is subscribed.
#[derive(Default)]
pub struct Feeds {
    by_scope: Mutex<HashMap<String, tokio::sync::watch::Receiver<Option<String>>>>,
}

impl Feeds {
    /// A subscription to `viewer`'s scope, starting its poller if none runs.
    pub fn subscribe(
        &self,
        state: &AppState,
        viewer: &Principal,
    ) -> tokio::sync::watch::Receiver<Option<String>> {
        let key = scope(viewer);
        let mut feeds = self.by_scope.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(rx) = feeds.get(&key)
            && rx.has_changed().is_ok()
        {
            return rx.clone();
        }
        let (tx, rx) = tokio::sync::watch::channel(None);
        feeds.insert(key.clone(), rx.clone());
        tokio::spawn(poll(state.clone(), viewer.clone(), key, tx));
        rx
    }

    /// Scopes with a running poller (for tests and metrics).
    pub fn running(&self) -> usize {
        self.by_scope
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Snapshots `viewer`'s scope every [`POLL`] while a screen other than the
/// registry's own handle is subscribed, publishing only changes.
async fn poll(
    state: AppState,
    viewer: Principal,
    key: String,
    tx: tokio::sync::watch::Sender<Option<String>>,
) {
    loop {
        match snapshot(&state, &viewer).await {
            Ok(v) => {
                let current = v.to_string();
                tx.send_if_modified(|last| {
                    let changed = last.as_deref() != Some(current.as_str());
                    if changed {
                        *last = Some(current);
                    }
                    changed
                });
            }
            Err(e) => tracing::warn!(error = %e.message, "dashboard feed"),
        }
        tokio::time::sleep(POLL).await;
        // The registry holds one receiver; nobody else left: stop, and
        // forget the scope (a screen arriving meanwhile starts a new one).
        let mut feeds = state
            .dashboards
            .by_scope
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if tx.receiver_count() <= 1 {
            if feeds
                .get(&key)
                .is_some_and(|rx| rx.same_channel(&tx.subscribe()))
            {
                feeds.remove(&key);
            }
            return;
        }
    }
}

/// `GET /api/portal/dashboard/stream`: an `update` event with the whole
/// dashboard at once and whenever it changes.
pub async fn stream(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let until = tokio::time::Instant::now() + MAX_STREAM;
    let mut rx = state.dashboards.subscribe(&state, &p);
    // The current snapshot, if the poller has one, goes out at once.
    rx.mark_changed();
    let feed = stream::unfold(rx, move |mut rx| async move {
        loop {
            // The browser reconnects, authenticating again: a logged-out
            // or disabled user's screen stops within this time.
            match tokio::time::timeout_at(until, rx.changed()).await {
                Ok(Ok(())) => {}
                // Timed out, or the poller is gone.
                _ => return None,
            }
            let current = rx.borrow_and_update().clone();
            if let Some(current) = current {
                let event = Event::default().event("update").data(current);
                return Some((Ok(event), rx));
            }
        }
    });
    Sse::new(feed).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occupancy_counts_seats_and_people() {
        let summary = json!({"cameras": {
            "cam-1": {"regions": [
                {"id": "w1", "kind": "seat", "occupied": true, "staffed": true, "unattended": false},
                {"id": "w2", "kind": "seat", "occupied": false, "staffed": false, "unattended": true},
                {"id": "q", "kind": "zone", "people": 7, "crowded": false}
            ]},
            "cam-2": {"regions": [{"id": "w3", "kind": "seat", "occupied": true}]}
        }});
        assert_eq!(
            occupancy(&summary),
            json!({"seats": 3, "occupied": 2, "unattended": 1, "waiting": 7})
        );
        assert_eq!(
            occupancy(&json!({})),
            json!({"seats": 0, "occupied": 0, "unattended": 0, "waiting": 0})
        );
    }

    #[test]
    fn tickets_are_today_s_only() {
        // 2026-12-07 00:30 in the halls is still 2026-12-06 in UTC.
        assert_eq!(hall_date(1_796_574_600_000), "2026-12-07");
        let summary = json!({
            "day": "2026-12-07", "at_ms": 5,
            "totals": {"issued": 9, "served": 6, "waiting": 2, "avg_wait_s": 310}
        });
        assert_eq!(
            tickets(&summary, "2026-12-07"),
            Some(json!({"issued": 9, "served": 6, "waiting": 2, "avg_wait_s": 310, "at_ms": 5}))
        );
        assert_eq!(tickets(&summary, "2026-12-08"), None);
        let first = json!({"day": "2026-12-07", "totals": {"issued": 1}});
        assert_eq!(
            tickets(&first, "2026-12-07").and_then(|t| t.get("avg_wait_s").cloned()),
            Some(Value::Null)
        );
    }
}
