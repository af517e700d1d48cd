//! The supervision figures, each a [`Figure`] with its numerator,
//! denominator and definition, and the monthly scorecard: every hall's
//! score (the mean of its signed-off visits' scores), its rank and the
//! change from the month before.

use std::cmp::Ordering;

pub use bantong_hall_kit::figure::Figure;
use serde::{Deserialize, Serialize};

/// 月覆盖率.
pub fn coverage(covered: u64, halls: u64) -> Figure {
    Figure::ratio(
        covered,
        halls,
        "月覆盖率 = 本月完成月覆盖检查的大厅数 / 应检查大厅数 monthly coverage = halls with a signed routine visit / halls",
    )
}

/// 整改完成率.
pub fn completion(closed: u64, due: u64) -> Figure {
    Figure::ratio(
        closed,
        due,
        "整改完成率 = 已销号问题数 / 本期到期问题数 rectification rate = problems closed / problems due in the period",
    )
}

/// 按期整改率.
pub fn on_time(closed_on_time: u64, due: u64) -> Figure {
    Figure::ratio(
        closed_on_time,
        due,
        "按期整改率 = 期限内销号问题数 / 本期到期问题数 on-time rate = problems closed by their deadline / problems due in the period",
    )
}

/// 屡查屡犯率 (also the per-item 问题复现频次).
pub fn recurrence(recurrent: u64, problems: u64) -> Figure {
    Figure::ratio(
        recurrent,
        problems,
        "屡查屡犯率 = 近期已查出又再次查出的问题数 / 检查发现问题数 recurrence rate = problems found again within the window / problems found by inspections",
    )
}

/// 问题复现频次 of one checklist item.
pub fn item_recurrence(recurrent: u64, found: u64) -> Figure {
    Figure::ratio(
        recurrent,
        found,
        "问题复现频次 = 该检查项本月再次查出（屡查屡犯）的问题数 / 该检查项本月查出的问题数 recurrence of an item = its problems found again within the window / its problems found this month",
    )
}

/// 差评回访率 (实名).
pub fn callback_rate(called_back: u64, real_name_bad: u64) -> Figure {
    Figure::ratio(
        called_back,
        real_name_bad,
        "实名差评回访率 = 已回访的实名差评数 / 应回访的实名差评数（剔除申诉成立的） real-name bad-rating callback rate = called back / real-name bad ratings (less upheld appeals)",
    )
}

/// 差评按期核实率.
pub fn verified_on_time(on_time: u64, bad: u64) -> Figure {
    Figure::ratio(
        on_time,
        bad,
        "差评按期核实率 = 期限内核实的差评数 / 差评数 bad ratings verified in time / bad ratings",
    )
}

/// A hall's monthly score: the mean of its visits' scores (hundredths).
pub fn hall_score(total_centipoints: u64, visits: u64) -> Figure {
    Figure::mean_points(
        total_centipoints,
        visits,
        "月度得分 = 本月已签字检查得分之和 / 检查次数 monthly score = sum of signed visit scores / visits",
    )
}

/// How the monthly score takes in the survey when its weight is `w` %.
pub fn combined_rule(w: u32) -> String {
    format!(
        "月度得分 = 检查得分 × {}% + 满意度指数 × {w}%（当月无调查答卷的大厅只计检查得分） monthly score = visit score × {}% + satisfaction index × {w}% (visit score alone without answers)",
        100 - w.min(100),
        100 - w.min(100)
    )
}

/// A hall's monthly score with the survey's satisfaction index weighed in
/// at `weight` percent: the visits' score alone when the weight is 0 or
/// there were no answers; no score without visits (a hall is ranked on
/// its inspections). The figure keeps the visits as its denominator.
pub fn combined(visits: Figure, index: &Figure, weight: u32) -> Figure {
    let (Some(v), Some(i)) = (visits.value, index.value) else {
        return visits;
    };
    if weight == 0 {
        return visits;
    }
    let w = f64::from(weight.min(100)) / 100.0;
    let value = ((v * (1.0 - w) + i * w) * 100.0).round() / 100.0;
    Figure {
        value: Some(value),
        numerator: (value * 100.0).round() as u64,
        denominator: visits.denominator,
        unit: visits.unit,
        definition: combined_rule(weight).into(),
    }
}

/// Problems found in the month, from every source.
pub fn problems_found(problems: u64) -> Figure {
    Figure::count(
        problems,
        problems,
        "发现问题数 = 本月各来源（实地检查、视频巡查、差评核实、热线投诉等）发现的问题数 problems found this month / from every source",
    )
}

/// One hall's line on the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The hall.
    pub hall: String,
    /// This month's score.
    pub score: Figure,
    /// The rank (1 = best; equal scores share a rank); none without a score.
    pub rank: Option<u32>,
    /// Last month's score.
    pub previous: Figure,
    /// Last month's rank.
    pub previous_rank: Option<u32>,
    /// Score change in points (this − last), when both exist.
    pub change: Option<f64>,
    /// Rank change (positive = moved up).
    pub rank_change: Option<i64>,
}

/// Competition ranking (1, 2, 2, 4) by score, best first; halls without a
/// score have no rank.
pub fn ranks(scores: &[Option<f64>]) -> Vec<Option<u32>> {
    scores
        .iter()
        .map(|s| {
            let s = (*s)?;
            let better = scores
                .iter()
                .filter(|o| o.is_some_and(|o| o.partial_cmp(&s) == Some(Ordering::Greater)))
                .count();
            u32::try_from(better + 1).ok()
        })
        .collect()
}

/// The scorecard: `(hall, this month, last month)` for every hall, sorted
/// by rank; halls without a score last, in the order given.
pub fn scorecard(halls: Vec<(String, Figure, Figure)>) -> Vec<Row> {
    let now: Vec<Option<f64>> = halls.iter().map(|(_, f, _)| f.value).collect();
    let before: Vec<Option<f64>> = halls.iter().map(|(_, _, p)| p.value).collect();
    let (r_now, r_before) = (ranks(&now), ranks(&before));
    let mut rows: Vec<Row> = halls
        .into_iter()
        .enumerate()
        .map(|(i, (hall, score, previous))| {
            let (rank, previous_rank) = (r_now[i], r_before[i]);
            Row {
                change: score
                    .value
                    .zip(previous.value)
                    .map(|(a, b)| ((a - b) * 100.0).round() / 100.0),
                rank_change: rank
                    .zip(previous_rank)
                    .map(|(a, b)| i64::from(b) - i64::from(a)),
                hall,
                score,
                rank,
                previous,
                previous_rank,
            }
        })
        .collect();
    // Stable: halls without a score keep the order they were given in.
    rows.sort_by_key(|r| (r.rank.is_none(), r.rank));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_scores_share_a_rank_and_unscored_halls_come_last() {
        assert_eq!(
            ranks(&[Some(90.0), None, Some(95.0), Some(90.0)]),
            [Some(2), None, Some(1), Some(2)]
        );
        let rows = scorecard(vec![
            ("a".into(), hall_score(9_000, 1), hall_score(9_500, 1)),
            ("b".into(), hall_score(0, 0), hall_score(8_000, 1)),
            ("c".into(), hall_score(19_000, 2), hall_score(9_000, 1)),
        ]);
        let order: Vec<&str> = rows.iter().map(|r| r.hall.as_str()).collect();
        assert_eq!(order, ["c", "a", "b"]);
        assert_eq!(
            (rows[0].rank, rows[0].change, rows[0].rank_change),
            (Some(1), Some(5.0), Some(1))
        );
        assert_eq!(
            (rows[1].change, rows[1].rank_change),
            (Some(-5.0), Some(-1))
        );
        assert_eq!((rows[2].rank, rows[2].change), (None, None));
    }

    #[test]
    fn the_survey_weighs_in_only_when_configured_and_answered() {
        let visits = hall_score(18_000, 2);
        let index = Figure::mean_points(8_400, 1, "index");
        assert_eq!(combined(visits.clone(), &index, 0), visits);
        let c = combined(visits.clone(), &index, 20);
        // 90 × 80% + 84 × 20% = 88.8.
        assert_eq!(c.value, Some(88.8));
        assert_eq!(c.denominator, 2);
        assert!(c.definition.contains("检查得分 × 80% + 满意度指数 × 20%"));
        let none = Figure::mean_points(0, 0, "index");
        assert_eq!(combined(visits.clone(), &none, 20), visits);
        let unvisited = hall_score(0, 0);
        assert_eq!(combined(unvisited.clone(), &index, 20), unvisited);
    }

    #[test]
    fn every_figure_prints_its_denominator() {
        for f in [
            coverage(16, 17),
            completion(1, 3),
            on_time(0, 0),
            recurrence(1, 4),
            callback_rate(2, 2),
        ] {
            assert!(f.definition.contains('/'), "{}", f.definition);
        }
        assert_eq!(on_time(0, 0).value, None);
        assert_eq!(hall_score(19_000, 2).value, Some(95.0));
    }
}
