//! 屡查屡犯: the same checklist item failing in the same hall again within
//! `window` cycles (months) of an earlier failure. The plan asks to verify
//! how often problems come back (验证问题复现频次); the figures count it.

use std::collections::BTreeMap;

use bantong_hall_kit::figure::Figure;

/// The default window: a failure within the three months before counts.
pub const DEFAULT_WINDOW: u32 = 3;

/// Whether a failure in cycle `current` recurs: `earlier` lists the cycles
/// (month indexes) of the same hall's earlier failures of the same item.
pub fn is_recurrent(earlier: &[i64], current: i64, window: u32) -> bool {
    let from = current - i64::from(window.max(1));
    earlier.iter().any(|&m| m >= from && m < current)
}

/// The cycles to look back at for `current`: `[current − window, current)`.
pub fn lookback(current: i64, window: u32) -> (i64, i64) {
    (current - i64::from(window.max(1)), current)
}

/// 问题复现频次 per item: how many of the period's failures of each item
/// were recurrences, out of its failures (`(item, recurrent)` per failure).
pub fn by_item(failures: &[(String, bool)]) -> BTreeMap<String, Figure> {
    let mut counts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (item, recurrent) in failures {
        let e = counts.entry(item.clone()).or_default();
        e.1 += 1;
        if *recurrent {
            e.0 += 1;
        }
    }
    counts
        .into_iter()
        .map(|(item, (r, n))| (item, crate::figures::recurrence(r, n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_failing_cycle_is_flagged() {
        assert!(!is_recurrent(&[], 100, 3));
        assert!(is_recurrent(&[99], 100, 3));
        assert!(is_recurrent(&[97], 100, 3));
        assert!(!is_recurrent(&[96], 100, 3), "outside the window");
        assert!(
            !is_recurrent(&[100], 100, 3),
            "the same cycle is not a recurrence"
        );
        assert!(
            is_recurrent(&[99], 100, 0),
            "a window of 0 means the cycle before"
        );
        assert_eq!(lookback(100, 3), (97, 100));
    }

    #[test]
    fn frequency_per_item() {
        let f = by_item(&[
            ("1.6".into(), true),
            ("1.6".into(), false),
            ("7.2".into(), false),
        ]);
        assert_eq!((f["1.6"].numerator, f["1.6"].denominator), (1, 2));
        assert_eq!(f["7.2"].value, Some(0.0));
    }
}
