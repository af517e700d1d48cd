//! A KPI figure (指标): a value together with what it was computed from —
//! numerator, denominator and the definition — so that every screen and
//! every report prints the denominator beside the figure. Definitions vary
//! between localities, so a figure never travels without its own.
//!
//! A figure whose denominator is 0 has no value (`None`, JSON `null`), never
//! NaN, and is shown as "—".
//!
//! | unit | value | numerator / denominator |
//! |---|---|---|
//! | `ratio` | n / d, 0-1 (shown as a percentage) | what was counted / what it was counted out of |
//! | `seconds` | n / d / 1000 | total in milliseconds / items |
//! | `points` | n / d / 100 | total in hundredths of a point / items scored |
//! | `count` | n | what was counted / the population it was counted in (0 if none) |
//!
//! [`Figure::text`] is the one rendering, used by the portal's tiles and
//! by the exports: `85.3%（128/150）`, `12.5 秒（120 次）`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

#[cfg(feature = "xlsx")]
use crate::xlsx::Cell;

/// What a figure's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A ratio from 0 to 1 (shown as a percentage).
    Ratio,
    /// A mean in seconds; the numerator is the total in milliseconds.
    Seconds,
    /// A mean score; the numerator is the total in hundredths of a point.
    Points,
    /// A count; the denominator is the population it was counted in.
    Count,
}

/// One figure with what it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// The value, in the unit's terms; `None` when the denominator is 0
    /// (for a count, never `None`).
    pub value: Option<f64>,
    /// What was counted (for means, the total in the unit's base).
    pub numerator: u64,
    /// What it was counted out of.
    pub denominator: u64,
    /// How to read the value.
    pub unit: Unit,
    /// The definition in Chinese and English, e.g. `人工接通率 = 接通量 / 呼入量
    /// answer rate = answered / offered`.
    pub definition: Cow<'static, str>,
}

fn quotient(numerator: u64, denominator: u64, scale: f64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / (denominator as f64 * scale))
}

impl Figure {
    /// A ratio `numerator / denominator`.
    pub fn ratio(
        numerator: u64,
        denominator: u64,
        definition: impl Into<Cow<'static, str>>,
    ) -> Figure {
        Figure {
            value: quotient(numerator, denominator, 1.0),
            numerator,
            denominator,
            unit: Unit::Ratio,
            definition: definition.into(),
        }
    }

    /// A mean in seconds of a total of `total_ms` over `count` items.
    pub fn mean_seconds(
        total_ms: u64,
        count: u64,
        definition: impl Into<Cow<'static, str>>,
    ) -> Figure {
        Figure {
            value: quotient(total_ms, count, 1_000.0),
            numerator: total_ms,
            denominator: count,
            unit: Unit::Seconds,
            definition: definition.into(),
        }
    }

    /// A mean score of a total of `total_centipoints` (hundredths of a
    /// point) over `count` items scored.
    pub fn mean_points(
        total_centipoints: u64,
        count: u64,
        definition: impl Into<Cow<'static, str>>,
    ) -> Figure {
        Figure {
            value: quotient(total_centipoints, count, 100.0),
            numerator: total_centipoints,
            denominator: count,
            unit: Unit::Points,
            definition: definition.into(),
        }
    }

    /// A count of `n` out of a population of `of` (0 when there is none to
    /// speak of).
    pub fn count(n: u64, of: u64, definition: impl Into<Cow<'static, str>>) -> Figure {
        Figure {
            value: Some(n as f64),
            numerator: n,
            denominator: of,
            unit: Unit::Count,
            definition: definition.into(),
        }
    }

    /// The value as it is shown: `85.3%`, `12.5 秒` / `12.5 s`, `92.50 分` /
    /// `92.50 points`, `17`; "—" when there is no value.
    pub fn value_text(&self, lang: Lang) -> String {
        let Some(v) = self.value else {
            return "—".to_owned();
        };
        match (self.unit, lang) {
            (Unit::Ratio, _) => format!("{:.1}%", v * 100.0),
            (Unit::Seconds, Lang::Zh) => format!("{v:.1} 秒"),
            (Unit::Seconds, Lang::En) => format!("{v:.1} s"),
            (Unit::Points, Lang::Zh) => format!("{v:.2} 分"),
            (Unit::Points, Lang::En) => format!("{v:.2} points"),
            (Unit::Count, _) => format!("{v:.0}"),
        }
    }

    /// What the value was computed from: `128/150` for a ratio, `120 次` /
    /// `120 items` for a mean, `/ 150` for a count with a population.
    pub fn basis_text(&self, lang: Lang) -> String {
        match (self.unit, lang) {
            (Unit::Ratio, _) => format!("{}/{}", self.numerator, self.denominator),
            (Unit::Seconds | Unit::Points, Lang::Zh) => format!("{} 项", self.denominator),
            (Unit::Seconds | Unit::Points, Lang::En) => format!("{} items", self.denominator),
            (Unit::Count, Lang::Zh) if self.denominator > 0 => {
                format!("共 {}", self.denominator)
            }
            (Unit::Count, Lang::En) if self.denominator > 0 => {
                format!("of {}", self.denominator)
            }
            (Unit::Count, _) => String::new(),
        }
    }

    /// The definition in one language. Definitions are written Chinese
    /// first, then English (`人工接通率 = 接通量 / 呼入量 answer rate =
    /// answered / offered`): the English half starts at the first space
    /// before an ASCII letter after which no Chinese follows. A definition
    /// with no such break is the same in both languages.
    pub fn definition_in(&self, lang: Lang) -> &str {
        let text = self.definition.as_ref();
        let chinese = |c: char| matches!(c, '\u{3000}'..='\u{9FFF}' | '\u{FF00}'..='\u{FFEF}');
        let split = text.char_indices().find_map(|(i, c)| {
            let rest = &text[i + c.len_utf8()..];
            (c == ' '
                && rest.starts_with(|n: char| n.is_ascii_alphabetic())
                && text[..i].chars().any(chinese)
                && !rest.chars().any(chinese))
            .then_some((i, rest))
        });
        match (split, lang) {
            (Some((i, _)), Lang::Zh) => text[..i].trim_end(),
            (Some((_, rest)), Lang::En) => rest,
            (None, _) => text,
        }
    }

    /// Value and basis together: `85.3%（128/150）` in Chinese,
    /// `85.3% (128/150)` in English.
    pub fn text(&self, lang: Lang) -> String {
        let basis = self.basis_text(lang);
        let value = self.value_text(lang);
        match (basis.is_empty(), lang) {
            (true, _) => value,
            (false, Lang::Zh) => format!("{value}（{basis}）"),
            (false, Lang::En) => format!("{value} ({basis})"),
        }
    }

    /// The figure as three spreadsheet cells: the value (a percentage for
    /// a ratio, a number rounded to 0.1 s or 0.01 points for a mean, empty
    /// when there is none), the numerator and the denominator. With the
    /// `xlsx` feature only.
    #[cfg(feature = "xlsx")]
    pub fn xlsx_cells(&self) -> [Cell; 3] {
        let value = match (self.value, self.unit) {
            (None, _) => Cell::Empty,
            (Some(v), Unit::Ratio) => Cell::Percent(v),
            (Some(v), Unit::Seconds) => Cell::Number((v * 10.0).round() / 10.0),
            (Some(v), Unit::Points) => Cell::Number((v * 100.0).round() / 100.0),
            (Some(v), Unit::Count) => Cell::Number(v),
        };
        [
            value,
            Cell::Number(self.numerator as f64),
            Cell::Number(self.denominator as f64),
        ]
    }

    /// The change from an earlier figure of the same definition, in the
    /// unit's terms (percentage points for a ratio: 0.853 → 0.9 is +4.7),
    /// or `None` when either has no value.
    pub fn change_from(&self, earlier: &Figure) -> Option<f64> {
        let (now, then) = (self.value?, earlier.value?);
        Some(match self.unit {
            Unit::Ratio => (now - then) * 100.0,
            _ => now - then,
        })
    }
}

/// The language a figure is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Chinese (the default).
    Zh,
    /// English.
    En,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_bases() {
        let r = Figure::ratio(128, 150, "满意率");
        assert_eq!(r.text(Lang::Zh), "85.3%（128/150）");
        assert_eq!(r.text(Lang::En), "85.3% (128/150)");
        let empty = Figure::ratio(0, 0, "满意率");
        assert_eq!(empty.value, None);
        assert_eq!(empty.text(Lang::Zh), "—（0/0）");
        let s = Figure::mean_seconds(1_500_000, 120, "平均等待");
        assert_eq!(s.text(Lang::Zh), "12.5 秒（120 项）");
        assert_eq!(s.text(Lang::En), "12.5 s (120 items)");
        let p = Figure::mean_points(18_502, 2, "平均得分");
        assert_eq!(p.value_text(Lang::Zh), "92.51 分");
        let c = Figure::count(17, 0, "大厅数");
        assert_eq!(c.text(Lang::Zh), "17");
        assert_eq!(Figure::count(3, 17, "x").text(Lang::Zh), "3（共 17）");
    }

    #[test]
    fn definitions_split_into_their_chinese_and_english_halves() {
        let f = |d: &'static str| Figure::ratio(1, 2, d);
        let answered = f("人工接通率 = 接通量 / 呼入量 answer rate = answered / offered");
        assert_eq!(
            answered.definition_in(Lang::Zh),
            "人工接通率 = 接通量 / 呼入量"
        );
        assert_eq!(
            answered.definition_in(Lang::En),
            "answer rate = answered / offered"
        );
        // ASCII inside the Chinese half does not end it.
        let within = f(
            "15秒接通率 = answer_within_s 秒内接通量 / (呼入量 − 短时放弃量) answered-in-time rate = answered with wait ≤ answer_within_s / offered",
        );
        assert_eq!(
            within.definition_in(Lang::Zh),
            "15秒接通率 = answer_within_s 秒内接通量 / (呼入量 − 短时放弃量)"
        );
        assert!(
            within
                .definition_in(Lang::En)
                .starts_with("answered-in-time rate")
        );
        let one = f("满意率 = 满意 / 评价");
        assert_eq!(one.definition_in(Lang::Zh), "满意率 = 满意 / 评价");
        assert_eq!(one.definition_in(Lang::En), "满意率 = 满意 / 评价");
    }

    #[test]
    fn change_in_points() {
        let then = Figure::ratio(853, 1000, "x");
        let now = Figure::ratio(900, 1000, "x");
        assert!((now.change_from(&then).unwrap() - 4.7).abs() < 1e-9);
        assert_eq!(now.change_from(&Figure::ratio(0, 0, "x")), None);
    }

    #[test]
    fn json_round_trip() {
        let f = Figure::ratio(1, 3, "r");
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["numerator"], 1);
        assert_eq!(json["unit"], "ratio");
        let back: Figure = serde_json::from_value(json).unwrap();
        assert_eq!(back, f);
    }
}
