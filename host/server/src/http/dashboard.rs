//! The district command dashboard's data (`GET /api/portal/dashboard`) and
//! its live feed (`GET /api/portal/dashboard/stream`, server-sent events).
//!
//! The feed polls the database rather than listening to this process's
//! ingest, so it is right whichever host process of a cluster applied an
//! agent's events; it sends the whole (small) dashboard only when it
//! changed, and a keep-alive comment otherwise.

use std::convert::Infallible;
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
        out.push(json!({
            "id": hall.id,
            "name": { "zh": hall.name_zh, "en": hall.name_en },
            "agents": total,
            "online": online,
            "last_seen": last_seen,
            "open_alerts": open_alerts,
            "windows": windows,
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
    Ok(json!({ "halls": out, "alerts": alerts }))
}

/// `GET /api/portal/dashboard`
pub async fn get(State(state): State<AppState>, Auth(p): Auth) -> AppResult<Json<Value>> {
    Ok(Json(snapshot(&state, &p).await?))
}

/// `GET /api/portal/dashboard/stream`: an `update` event with the whole
/// dashboard at once and whenever it changes.
pub async fn stream(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let until = tokio::time::Instant::now() + MAX_STREAM;
    let feed = stream::unfold(
        (state, p, None::<String>, true),
        move |(state, viewer, last, mut first)| async move {
            loop {
                if !first {
                    tokio::time::sleep(POLL).await;
                }
                first = false;
                // The browser reconnects, authenticating again: a logged-out
                // or disabled user's screen stops within this time.
                if tokio::time::Instant::now() >= until {
                    return None;
                }
                let current = match snapshot(&state, &viewer).await {
                    Ok(v) => v.to_string(),
                    Err(e) => {
                        tracing::warn!(error = %e.message, "dashboard feed");
                        continue;
                    }
                };
                if last.as_deref() != Some(current.as_str()) {
                    let event = Event::default().event("update").data(current.clone());
                    return Some((Ok(event), (state, viewer, Some(current), first)));
                }
            }
        },
    );
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
}
