//! 好差评 records from keypad ratings.

use std::collections::BTreeMap;

use bantong_hall_kit::Level;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The plugin's config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The hall's name or code, copied into each record.
    pub hall: String,
    /// Keypad device id → where it stands.
    pub keypads: BTreeMap<String, Keypad>,
    /// Whether a key pressed without a prompt is recorded (marked
    /// `prompted: false`) rather than dropped.
    #[serde(default = "yes")]
    pub unprompted: bool,
    /// Which levels count as satisfied (the district's rule).
    #[serde(default)]
    pub satisfaction: bantong_hall_kit::rating::SatisfactionRule,
}

fn yes() -> bool {
    true
}

/// Where a keypad stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keypad {
    pub window: u16,
}

impl Config {
    /// Parses and checks the config (`null` or empty: defaults).
    pub fn from_json(text: &str) -> Result<Config, String> {
        let config: Config = if text.trim().is_empty() || text.trim() == "null" {
            Config {
                unprompted: true,
                ..Config::default()
            }
        } else {
            serde_json::from_str(text).map_err(|e| format!("rating config: {e}"))?
        };
        for (id, keypad) in &config.keypads {
            if !(1..=999).contains(&keypad.window) {
                return Err(format!("rating config: keypads.{id}.window: 1-999"));
            }
        }
        Ok(config)
    }
}

/// A 好差评 record, as sent upstream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// `keypad-3:1764230400000`: unique per keypad and moment.
    pub id: String,
    pub hall: String,
    /// 评价渠道: "现场服务·评价器".
    pub channel: String,
    pub device: String,
    pub window: Option<u16>,
    /// The ticket served, when the keypad was prompted by the queue.
    pub ticket: Option<String>,
    /// The case number (办件编号) of the service rated.
    pub case_no: Option<String>,
    /// The staff member who served (from the window's sign-in).
    pub staff: Option<String>,
    /// 事项 (service item or category).
    pub item: Option<String>,
    pub score: u8,
    pub level: String,
    /// 差评: needs a callback and rectification.
    pub bad: bool,
    /// False when the key was pressed without a prompt.
    pub prompted: bool,
    /// Whether this rating counts in satisfaction (一次一评): prompted by
    /// a served ticket or case. A key pressed with nothing to rate is kept
    /// as telemetry but never counted.
    pub counted: bool,
    /// The rated person's ID number, masked (never whole).
    pub masked_id: Option<String>,
    pub rated_at: i64,
}

/// Builds the record of a keypad's `rating` event (`data` as the agent
/// gives it: score, prompted, context); `None` when it is to be ignored
/// (unprompted, and the config drops those).
pub fn rate(
    config: &Config,
    device: &str,
    data: &Value,
    ts: i64,
) -> Result<Option<Record>, String> {
    let score = data
        .get("score")
        .and_then(Value::as_u64)
        .and_then(|s| u8::try_from(s).ok())
        .ok_or("rating event without a score")?;
    let level = Level::from_score(score).ok_or_else(|| format!("score {score} is not 1-5"))?;
    let prompted = data
        .get("prompted")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !prompted && !config.unprompted {
        return Ok(None);
    }
    let context = data.get("context").cloned().unwrap_or(Value::Null);
    let text = |k: &str| context.get(k).and_then(Value::as_str).map(str::to_owned);
    let window = context
        .get("window")
        .and_then(Value::as_u64)
        .and_then(|w| u16::try_from(w).ok())
        .or_else(|| config.keypads.get(device).map(|k| k.window));
    Ok(Some(Record {
        id: format!("{device}:{ts}"),
        hall: config.hall.clone(),
        channel: "现场服务·评价器".into(),
        device: device.to_owned(),
        window,
        ticket: text("ticket"),
        case_no: text("case_no"),
        staff: text("staff"),
        item: text("item"),
        score,
        level: level.zh().into(),
        bad: level.is_bad(),
        prompted,
        counted: prompted
            && (context.get("ticket").is_some_and(Value::is_string)
                || context.get("case_no").is_some_and(Value::is_string)),
        // Masked again here: whatever the context held, only the mask leaves.
        masked_id: text("masked_id").map(|m| bantong_hall_kit::mask(&m)),
        rated_at: ts,
    }))
}

/// Counts of the day, by level, for the `stats` command.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Tally {
    /// Every rating, counted or not, by score.
    pub by_score: [u64; 5],
    pub bad: u64,
    /// Counted ratings (一次一评), by score.
    pub counted_by_score: [u64; 5],
    /// Key presses with nothing to rate.
    pub uncounted: u64,
}

impl Tally {
    pub fn add(&mut self, record: &Record) {
        let slot = usize::from(record.score.saturating_sub(1));
        if record.counted {
            if let Some(n) = self.counted_by_score.get_mut(slot) {
                *n += 1;
            }
        } else {
            self.uncounted += 1;
        }
        if let Some(n) = self
            .by_score
            .get_mut(usize::from(record.score.saturating_sub(1)))
        {
            *n += 1;
        }
        if record.bad {
            self.bad += 1;
        }
    }

    /// Totals, the satisfaction figure over the counted ratings (the
    /// district's one rule, with its definition) and counts, as JSON.
    pub fn to_json(&self, rule: bantong_hall_kit::rating::SatisfactionRule) -> Value {
        let total: u64 = self.by_score.iter().sum();
        let counted = (1u8..=5).flat_map(|score| {
            let n = self
                .counted_by_score
                .get(usize::from(score - 1))
                .copied()
                .unwrap_or(0);
            let level = Level::from_score(score).unwrap_or(Level::Basic);
            std::iter::repeat_n((level, true), usize::try_from(n).unwrap_or(0))
        });
        let figure = rule.rate(counted);
        json!({
            "total": total,
            "counted": figure.denominator,
            "uncounted": self.uncounted,
            "satisfied": figure.numerator,
            "bad": self.bad,
            "satisfaction": figure.value,
            "satisfaction_figure": figure,
            "by_score": { "5": self.by_score[4], "4": self.by_score[3], "3": self.by_score[2],
                          "2": self.by_score[1], "1": self.by_score[0] },
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_json(
            r#"{"hall": "百楼镇便民服务中心", "keypads": {"keypad-3": {"window": 3}}}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_prompted_rating_names_what_was_rated() {
        let data = json!({ "score": 2, "prompted": true,
            "context": { "window": 5, "ticket": "C007", "item": "health", "masked_id": "110105********002X",
                         "case_no": "BJ20261206C007", "staff": "wang01" } });
        let Some(r) = rate(&config(), "keypad-3", &data, 1_000).unwrap() else {
            panic!("a record")
        };
        assert_eq!(r.window, Some(5), "the prompt's window wins");
        assert_eq!(
            (r.ticket.as_deref(), r.item.as_deref()),
            (Some("C007"), Some("health"))
        );
        assert_eq!(
            (r.level.as_str(), r.bad, r.prompted, r.counted),
            ("不满意", true, true, true)
        );
        assert_eq!(r.masked_id.as_deref(), Some("110105********002X"));
        assert_eq!(
            (r.case_no.as_deref(), r.staff.as_deref()),
            (Some("BJ20261206C007"), Some("wang01"))
        );
        assert_eq!(r.id, "keypad-3:1000");
    }

    #[test]
    fn an_unprompted_rating_uses_the_keypads_window_or_is_dropped() {
        let data = json!({ "score": 5, "prompted": false, "context": null });
        let Some(r) = rate(&config(), "keypad-3", &data, 1).unwrap() else {
            panic!("a record")
        };
        assert_eq!((r.window, r.prompted, r.bad), (Some(3), false, false));
        assert!(
            !r.counted,
            "a key pressed with nothing to rate is not counted"
        );
        let strict = Config {
            unprompted: false,
            ..config()
        };
        assert_eq!(rate(&strict, "keypad-3", &data, 1).unwrap(), None);
    }

    #[test]
    fn a_whole_id_in_the_context_is_masked_and_bad_input_refused() {
        let data = json!({ "score": 4, "prompted": true, "context": { "masked_id": "11010519491231002X" } });
        let Some(r) = rate(&config(), "k", &data, 1).unwrap() else {
            panic!("a record")
        };
        assert_eq!(r.masked_id.as_deref(), Some("110105********002X"));
        assert!(rate(&config(), "k", &json!({ "score": 0 }), 1).is_err());
        assert!(rate(&config(), "k", &json!({}), 1).is_err());
        assert!(Config::from_json(r#"{"keypads": {"k": {"window": 0}}}"#).is_err());
        assert!(Config::from_json(r#"{"colour": 1}"#).is_err());
    }

    #[test]
    fn the_tally_counts_satisfaction() {
        let mut t = Tally::default();
        for score in [5, 5, 4, 3, 1] {
            let data = json!({ "score": score, "prompted": true, "context": { "ticket": "A001" } });
            if let Some(r) = rate(&config(), "k", &data, 1).unwrap() {
                t.add(&r);
            }
        }
        // 一次一评: a key pressed with nothing to rate is kept, not counted.
        let stray = json!({ "score": 1, "prompted": false });
        if let Some(r) = rate(&config(), "k", &stray, 2).unwrap() {
            assert!(!r.counted);
            t.add(&r);
        }
        let j = t.to_json(config().satisfaction);
        assert_eq!((j["total"].as_u64(), j["bad"].as_u64()), (Some(6), Some(2)));
        assert_eq!(
            (j["counted"].as_u64(), j["uncounted"].as_u64()),
            (Some(5), Some(1))
        );
        assert_eq!(j["satisfaction"].as_f64(), Some(0.8));
        assert!(
            j["satisfaction_figure"]["definition"]
                .as_str()
                .unwrap()
                .contains("一次一评")
        );
    }
}
