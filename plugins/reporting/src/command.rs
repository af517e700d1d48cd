//! The district command screen's module figures (指挥大屏): per hall, this
//! month's score and rank with the change from last month, 好差评 today
//! and this month, open and overdue problems, 差评 to verify, and the
//! hotline's calls about the hall today and the orders it is handling.
//!
//! The screen's live edge figures (agents, windows, tickets) come from the
//! host; these come from the modules that own them, read now. A module not
//! installed leaves its figures out (`null`) and says so in `sources`.

use bantong_hall_kit::figure::Figure;
use serde::Serialize;

use crate::sources::{
    Hall, HallLive, HallRow, HotlineLive, Scorecard, Source, SupervisionLive, UnitLive,
};

/// What the board is built from.
pub struct CommandInputs {
    /// The halls the viewer may see, in the directory's order.
    pub halls: Vec<Hall>,
    pub scorecard: Source<Scorecard>,
    pub supervision: Source<SupervisionLive>,
    pub hotline: Source<HotlineLive>,
    /// Whether the viewer sees the whole district (the district's totals).
    pub district: bool,
    pub at_ms: i64,
}

/// One source module's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceState {
    pub module: &'static str,
    pub name_zh: &'static str,
    /// `ready`, `absent` or `failed`.
    pub state: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
}

fn state<T>(module: &'static str, name_zh: &'static str, s: &Source<T>) -> SourceState {
    let (state, error) = match s {
        Source::Ready { .. } => ("ready", String::new()),
        Source::Absent => ("absent", String::new()),
        Source::Failed { error } => ("failed", error.clone()),
    };
    SourceState {
        module,
        name_zh,
        state,
        error,
    }
}

/// One hall's line of the board; a figure whose module is absent is `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HallLine {
    pub id: String,
    pub name_zh: String,
    pub score: Option<Figure>,
    pub rank: Option<u32>,
    /// Places moved up since last month (negative: down).
    pub rank_change: Option<i64>,
    /// Points, this month − last month.
    pub change: Option<f64>,
    pub ratings_month: Option<u64>,
    pub good_rate_month: Option<Figure>,
    pub bad_month: Option<u64>,
    pub ratings_today: Option<u64>,
    pub bad_today: Option<u64>,
    pub open_problems: Option<u64>,
    pub overdue_problems: Option<u64>,
    pub bad_to_verify: Option<u64>,
    pub calls_today: Option<u64>,
    pub open_orders: Option<u64>,
    pub overdue_orders: Option<u64>,
}

/// The district's totals (for a district-wide viewer).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    pub score: Option<Figure>,
    pub good_rate_month: Option<Figure>,
    pub ratings_today: Option<u64>,
    pub open_problems: Option<u64>,
    pub overdue_problems: Option<u64>,
    pub calls_today: Option<u64>,
    pub open_orders: Option<u64>,
}

/// The board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Board {
    pub month: Option<String>,
    pub at_ms: i64,
    pub sources: Vec<SourceState>,
    /// Ranked halls first (best first), then the rest in directory order.
    pub halls: Vec<HallLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<Totals>,
}

/// Builds the board for the halls in `inputs.halls` only.
pub fn board(inputs: &CommandInputs) -> Board {
    let card = inputs.scorecard.data();
    let sup = inputs.supervision.data();
    let hot = inputs.hotline.data();
    let mut halls: Vec<HallLine> = inputs
        .halls
        .iter()
        .map(|h| {
            let row: Option<&HallRow> = card.and_then(|c| c.items.iter().find(|r| r.hall == h.id));
            let live: Option<&HallLive> = sup.and_then(|s| s.items.iter().find(|l| l.hall == h.id));
            let unit: Option<UnitLive> = hot.map(|s| {
                s.items
                    .iter()
                    .find(|u| u.unit == h.id)
                    .cloned()
                    .unwrap_or_default()
            });
            let live_n = |f: fn(&HallLive) -> u64| sup.map(|_| live.map_or(0, f));
            HallLine {
                id: h.id.clone(),
                name_zh: h.name_zh.clone(),
                score: row.map(|r| r.score.clone()).filter(|f| f.value.is_some()),
                rank: row.and_then(|r| r.rank),
                rank_change: row.and_then(|r| r.rank_change),
                change: row.and_then(|r| r.change),
                ratings_month: card.map(|_| row.map_or(0, |r| r.ratings)),
                good_rate_month: row.and_then(|r| r.good_rate.clone()),
                bad_month: card.map(|_| row.map_or(0, |r| r.bad_ratings)),
                ratings_today: live_n(|l| l.ratings_today),
                bad_today: live_n(|l| l.bad_today),
                open_problems: live_n(|l| l.open_problems),
                overdue_problems: live_n(|l| l.overdue_problems),
                bad_to_verify: live_n(|l| l.bad_to_verify),
                calls_today: unit.as_ref().map(|u| u.calls_today),
                open_orders: unit.as_ref().map(|u| u.open_orders),
                overdue_orders: unit.as_ref().map(|u| u.overdue_orders),
            }
        })
        .collect();
    // Ranked first, best first; the rest keep the directory's order.
    halls.sort_by_key(|h| h.rank.unwrap_or(u32::MAX));
    let district = inputs.district.then(|| {
        let sum = |f: fn(&HallLine) -> Option<u64>| -> Option<u64> {
            sup.map(|_| halls.iter().filter_map(f).sum())
        };
        Totals {
            score: card.and_then(|c| c.overall.score.clone()),
            good_rate_month: card.and_then(|c| c.overall.good_rate.clone()),
            ratings_today: sum(|h| h.ratings_today),
            open_problems: sum(|h| h.open_problems),
            overdue_problems: sum(|h| h.overdue_problems),
            calls_today: hot.map(|h| h.calls_today),
            open_orders: hot.map(|h| h.open_orders),
        }
    });
    Board {
        month: card.map(|c| c.month.clone()),
        at_ms: inputs.at_ms,
        sources: vec![
            state("supervision", "监督促效", &inputs.scorecard),
            state("hotline", "一号统领（热线）", &inputs.hotline),
        ],
        halls,
        district,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hall(id: &str) -> Hall {
        Hall {
            id: id.into(),
            name_zh: format!("{id}中心"),
        }
    }

    fn row(hall: &str, points: u64, rank: u32) -> HallRow {
        HallRow {
            hall: hall.into(),
            hall_name: format!("{hall}中心"),
            score: Figure::mean_points(points, 1, "得分"),
            rank: Some(rank),
            previous: Figure::mean_points(0, 0, "得分"),
            previous_rank: None,
            change: None,
            rank_change: Some(1),
            visits: 1,
            covered: true,
            problems: 0,
            satisfaction: None,
            survey_answers: 0,
            ratings: 4,
            good_rate: Some(Figure::ratio(3, 4, "好评率")),
            bad_ratings: 1,
            completion: None,
        }
    }

    fn ready<T>(data: T) -> Source<T> {
        Source::Ready {
            version: "0.1.0".into(),
            data,
        }
    }

    #[test]
    fn each_hall_takes_its_own_lines_ranked_first() {
        let inputs = CommandInputs {
            halls: vec![hall("a"), hall("b"), hall("c")],
            scorecard: ready(Scorecard {
                month: "2026-12".into(),
                items: vec![row("b", 9_500, 1), row("a", 8_000, 2)],
                ..Scorecard::default()
            }),
            supervision: ready(SupervisionLive {
                items: vec![HallLive {
                    hall: "a".into(),
                    open_problems: 3,
                    overdue_problems: 1,
                    ratings_today: 7,
                    ..HallLive::default()
                }],
            }),
            hotline: ready(HotlineLive {
                calls_today: 40,
                open_orders: 12,
                items: vec![UnitLive {
                    unit: "c".into(),
                    calls_today: 2,
                    open_orders: 5,
                    overdue_orders: 1,
                }],
            }),
            district: true,
            at_ms: 1,
        };
        let b = board(&inputs);
        let ids: Vec<&str> = b.halls.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
        let a = &b.halls[1];
        assert_eq!((a.open_problems, a.overdue_problems), (Some(3), Some(1)));
        assert_eq!((a.calls_today, a.open_orders), (Some(0), Some(0)));
        let c = &b.halls[2];
        assert_eq!((c.rank, c.score.as_ref()), (None, None));
        assert_eq!((c.open_problems, c.open_orders), (Some(0), Some(5)));
        assert_eq!(c.ratings_month, Some(0));
        let d = b.district.expect("district totals");
        assert_eq!((d.open_problems, d.ratings_today), (Some(3), Some(7)));
        assert_eq!((d.calls_today, d.open_orders), (Some(40), Some(12)));
    }

    #[test]
    fn an_absent_module_leaves_its_figures_out() {
        let inputs = CommandInputs {
            halls: vec![hall("a")],
            scorecard: Source::Absent,
            supervision: Source::Absent,
            hotline: Source::Failed {
                error: "503".into(),
            },
            district: false,
            at_ms: 1,
        };
        let b = board(&inputs);
        let a = &b.halls[0];
        assert_eq!((a.rank, a.open_problems, a.calls_today), (None, None, None));
        assert!(b.district.is_none());
        assert_eq!(b.sources[0].state, "absent");
        assert_eq!(
            (b.sources[1].state, b.sources[1].error.as_str()),
            ("failed", "503")
        );
    }
}
