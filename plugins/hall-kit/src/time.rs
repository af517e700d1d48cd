//! Hall time: China Standard Time (UTC+8, no daylight saving), from the
//! millisecond clocks the agent and the host use.

/// Milliseconds from UTC to hall time.
pub const OFFSET_MS: i64 = 8 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The hall's day of an instant, as days since 1970-01-01.
pub fn local_day(ms: i64) -> i64 {
    ms.saturating_add(OFFSET_MS).div_euclid(DAY_MS)
}

/// The instant the hall's day of `ms` began (local midnight).
pub fn day_start_ms(ms: i64) -> i64 {
    local_day(ms)
        .saturating_mul(DAY_MS)
        .saturating_sub(OFFSET_MS)
}

/// (year, month, day) of a day counted since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`; days beyond ±2^40 are clamped, so nothing overflows).
pub fn civil(day: i64) -> (i64, u8, u8) {
    let z = day.clamp(-(1 << 40), 1 << 40) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    // Both are in range by construction: 1-12 and 1-31.
    (yoe + era * 400 + i64::from(m <= 2), m as u8, d as u8)
}

/// The hall's date of an instant.
pub fn local_date(ms: i64) -> (i64, u8, u8) {
    civil(local_day(ms))
}

/// `YYYY-MM-DD` of a day counted since 1970-01-01.
pub fn date_of_day(day: i64) -> String {
    let (y, m, d) = civil(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:MM` in the hall.
pub fn local_time(ms: i64) -> String {
    let minutes = ms.saturating_add(OFFSET_MS).rem_euclid(DAY_MS) / 60_000;
    format!(
        "{} {:02}:{:02}",
        date_of_day(local_day(ms)),
        minutes / 60,
        minutes % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_local_midnight() {
        // 2026-12-07 00:30 in the hall is 2026-12-06 16:30 UTC.
        let t = 1_796_574_600_000;
        assert_eq!(local_time(t), "2026-12-07 00:30");
        let start = day_start_ms(t);
        assert_eq!(local_time(start), "2026-12-07 00:00");
        assert_eq!(local_day(start), local_day(t));
        assert_eq!(local_day(start - 1), local_day(t) - 1);
    }

    #[test]
    fn known_instants() {
        // 2026-11-27T15:59:59Z is 23:59:59 in the hall; a second later, the 28th.
        assert_eq!(local_date(1_795_795_199_000), (2026, 11, 27));
        assert_eq!(local_date(1_795_795_200_000), (2026, 11, 28));
        assert_eq!(local_time(0), "1970-01-01 08:00");
        assert_eq!(date_of_day(20_784), "2026-11-27");
        assert_eq!(civil(-1), (1969, 12, 31));
        // Far-off clocks are clamped rather than overflowing (this would panic in debug).
        assert_eq!(date_of_day(i64::MAX), "3010362559-12-15");
    }
}
