//! 屡查屡犯: the same checklist item failing in the same hall again within
//! `window` cycles (months) of an earlier failure. The plan asks to verify
//! how often problems come back (验证问题复现频次); the figures count it.

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
}
