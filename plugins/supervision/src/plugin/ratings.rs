//! 好差评 ratings and the halls' live figures.
//!
//! Every rating a hall's keypad or kiosk sends (`hall.haocha.rating`) is
//! kept once, by its own id, with the hall, month and day it counts for;
//! the month's scorecard counts them per hall and level (好评率, 差评率).
//!
//! `GET /live` is the district's command screen's supervision part, per
//! hall now: open problems, overdue problems, 差评 waiting to be verified,
//! and today's ratings. A hall manager sees the own hall.

use std::collections::BTreeMap;

use bantong_hall_kit::time::{date_of_day, local_day};
use bantong_sdk::storage::{self, Aggregate, Op, Write};
use bantong_sdk::{Event, HandlerResult, Request, Response, clock, log};
use serde::Deserialize;
use serde_json::{Value, json};

use super::docs::{FOLLOWUPS, PROBLEMS, RATINGS, RatingDoc};
use super::{reads_all, require_reader, settings};
use crate::month::Month;
use crate::survey::{Level, Tally};

/// What a rating event carries that is counted.
#[derive(Deserialize)]
struct Rating {
    #[serde(default)]
    id: Option<String>,
    score: u8,
    #[serde(default)]
    rated_at: Option<i64>,
    #[serde(default)]
    window: Option<u32>,
    #[serde(default)]
    channel: Option<String>,
}

/// Keeps one rating; a redelivered one is stored once, and one this version
/// cannot read is logged and acknowledged.
pub fn on_rating(ev: &Event) -> Result<(), Response> {
    let Some(envelope) = super::envelope(ev) else {
        return Ok(());
    };
    let rating = match serde_json::from_value::<Rating>(envelope.data.clone()) {
        Ok(r) if (1..=5).contains(&r.score) => r,
        Ok(r) => {
            log::warn(&format!(
                "rating {} has score {} outside 1-5",
                envelope.key(),
                r.score
            ));
            return Ok(());
        }
        Err(e) => {
            log::warn(&format!(
                "rating {} has unexpected data: {e}",
                envelope.key()
            ));
            return Ok(());
        }
    };
    let rated_ms = rating.rated_at.unwrap_or(envelope.ts_ms);
    let doc = RatingDoc {
        hall: envelope.hall.clone(),
        month: Month::of_ms(rated_ms).to_string(),
        day: date_of_day(local_day(rated_ms)),
        score: rating.score,
        rated_ms,
        window: rating.window,
        channel: rating.channel,
    };
    let id = rating.id.unwrap_or_else(|| envelope.key());
    match storage::put(
        RATINGS,
        Write::new(doc).id(&id).hall(&envelope.hall).create_only(),
    ) {
        Ok(_) => Ok(()),
        Err(e) if e.is_conflict() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Per-hall counts from one grouped aggregate (`hall` first).
fn by_hall(a: Aggregate) -> Result<BTreeMap<String, u64>, Response> {
    let mut out = BTreeMap::new();
    for g in storage::aggregate(&a)? {
        if let Some(hall) = g.key_str(0) {
            *out.entry(hall.to_owned()).or_default() += g.value(0).map_or(0, |v| v as u64);
        }
    }
    Ok(out)
}

/// `GET /live`: each hall's open and overdue problems, 差评 to verify and
/// today's ratings, for the caller's halls.
pub fn live(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_reader(caller)?;
    let now = clock::now();
    let today = date_of_day(local_day(now));
    let open_states = ["issued", "rectifying", "reported"];
    let open = by_hall(
        Aggregate::new(PROBLEMS)
            .filter("state", Op::AnyOf, open_states)
            .group_by("hall")
            .count(),
    )?;
    let overdue = by_hall(
        Aggregate::new(PROBLEMS)
            .filter("state", Op::AnyOf, open_states)
            .filter("due_ms", Op::Lt, now)
            .group_by("hall")
            .count(),
    )?;
    let to_verify = by_hall(
        Aggregate::new(FOLLOWUPS)
            .filter("state", Op::Eq, "verifying")
            .group_by("hall")
            .count(),
    )?;
    let mut ratings: BTreeMap<String, Tally> = BTreeMap::new();
    for g in storage::aggregate(
        &Aggregate::new(RATINGS)
            .filter("day", Op::Eq, &today)
            .group_by("hall")
            .group_by("score")
            .count(),
    )? {
        if let (Some(hall), Some(level)) = (g.key_str(0), Level::of_key(g.keys.get(1))) {
            ratings
                .entry(hall.to_owned())
                .or_default()
                .add(level, g.value(0).map_or(0, |v| v as u64));
        }
    }
    let basic_counts = settings::get()?.survey_basic_counts;
    let halls: Vec<String> = if reads_all(caller) {
        settings::halls(&settings::get()?)
            .into_iter()
            .map(|h| h.id)
            .collect()
    } else {
        caller.halls.clone()
    };
    let n = |m: &BTreeMap<String, u64>, h: &str| m.get(h).copied().unwrap_or(0);
    let items: Vec<Value> = halls
        .iter()
        .map(|h| {
            let t = ratings.get(h).copied().unwrap_or_default();
            json!({
                "hall": h,
                "open_problems": n(&open, h),
                "overdue_problems": n(&overdue, h),
                "bad_to_verify": n(&to_verify, h),
                "ratings_today": t.total(),
                "bad_today": t.bad(),
                "good_rate_today": t.good_rate(basic_counts),
            })
        })
        .collect();
    Ok(Response::ok(&json!({
        "day": today,
        "month": Month::of_ms(now).to_string(),
        "at_ms": now,
        "items": items,
    })))
}
