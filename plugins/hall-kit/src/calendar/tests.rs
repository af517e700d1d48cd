//! The calendar's unit tests.

use super::*;
use crate::time::local_time;

/// Milliseconds of a local (UTC+8) civil time.
fn local(y: i64, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
    let day = day_of(y, mo, d).unwrap();
    start_of_day(day) + (h * 60 + mi) * 60_000
}

fn day(text: &str) -> i64 {
    parse_date(text).unwrap()
}

fn cal() -> Calendar {
    Calendar::china()
}

#[test]
fn dates_parse_and_round_trip() {
    assert_eq!(parse_date("1970-01-01"), Some(0));
    assert_eq!(parse_date("2025-10-01"), Some(20_362));
    assert_eq!(date_of_day(20_362), "2025-10-01");
    assert_eq!(parse_date("2024-02-29"), day_of(2024, 2, 29));
    assert!(parse_date("2024-02-29").is_some());
    for bad in [
        "2025-02-29",
        "2025-13-01",
        "2025-00-10",
        "2025-04-31",
        "2025-4-01",
        "2025/04/01",
        "25-04-01",
        "2025-04-01 ",
        "+025-04-01",
        "2025-0a-01",
        "",
        "0000-01-01",
    ] {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
    for d in -1_000..30_000 {
        assert_eq!(parse_date(&date_of_day(d)), Some(d));
    }
}

#[test]
fn weekdays() {
    assert_eq!(iso_weekday(0), 4); // 1970-01-01 Thursday
    assert_eq!(iso_weekday(day("2025-10-11")), 6);
    assert_eq!(iso_weekday(day("2025-09-28")), 7);
    assert_eq!(iso_weekday(day("2025-09-29")), 1);
    assert_eq!(iso_weekday(-1), 3);
    assert_eq!(iso_weekday(i64::MIN), iso_weekday(i64::MIN + 7));
}

/// A calendar holding one arrangement only.
fn only(arrangement: Arrangement) -> Calendar {
    let mut c = Calendar::default();
    c.with_arrangement(&arrangement.days().unwrap());
    c
}

#[test]
fn china_2025_days() {
    let c = only(Arrangement::china_2025());
    let config = c.config();
    assert_eq!(config.holidays.len(), 1 + 8 + 3 + 5 + 3 + 8);
    assert_eq!(
        config.workdays,
        [
            "2025-01-26",
            "2025-02-08",
            "2025-04-27",
            "2025-09-28",
            "2025-10-11"
        ]
    );
    // The built-in data passes the same validation as operator config.
    assert_eq!(Calendar::new(&config).unwrap(), c);
    for off in [
        "2025-01-01",
        "2025-01-28",
        "2025-02-03",
        "2025-02-04",
        "2025-04-04",
        "2025-05-05",
        "2025-06-02",
        "2025-10-01",
        "2025-10-08",
        "2025-10-12",
    ] {
        assert!(!c.is_working_day(day(off)), "{off}");
    }
    for on in [
        "2025-01-02",
        "2025-01-26",
        "2025-02-05",
        "2025-02-08",
        "2025-04-07",
        "2025-04-27",
        "2025-05-06",
        "2025-06-03",
        "2025-09-28",
        "2025-09-30",
        "2025-10-09",
        "2025-10-11",
    ] {
        assert!(c.is_working_day(day(on)), "{on}");
    }
    // Working days in 2025 under this arrangement: 261 weekdays, 18 of
    // them off, 5 make-up days.
    assert_eq!(
        c.count_working_days(day("2025-01-01"), day("2025-12-31")),
        248
    );
    assert!(c.covers_year(2025));
    assert!(!c.covers_year(2026));
    assert!(!c.covers_year(2024));
    // Another year has weekends only.
    assert!(c.is_working_day(day("2026-10-01")));
}

#[test]
fn china_2026_days() {
    // Checked against the notice as published on 2025-11-04.
    let c = only(Arrangement::china_2026());
    let config = c.config();
    assert_eq!(config.holidays.len(), 3 + 9 + 3 + 5 + 3 + 3 + 7);
    assert_eq!(
        config.workdays,
        [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10"
        ]
    );
    for off in [
        "2026-01-01",
        "2026-01-03",
        "2026-02-15",
        "2026-02-23",
        "2026-04-06",
        "2026-05-05",
        "2026-06-19",
        "2026-09-25",
        "2026-10-01",
        "2026-10-07",
        "2026-10-11",
    ] {
        assert!(!c.is_working_day(day(off)), "{off}");
    }
    for on in [
        "2026-01-04",
        "2026-01-05",
        "2026-02-14",
        "2026-02-24",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-08",
        "2026-10-10",
    ] {
        assert!(c.is_working_day(day(on)), "{on}");
    }
    // Every make-up day is a Saturday or Sunday, as the notice says.
    for w in &config.workdays {
        assert!(iso_weekday(day(w)) >= 6, "{w}");
    }
    assert!(c.covers_year(2026));
    assert!(!c.covers_year(2027));
}

#[test]
fn deadline_across_national_day_2026() {
    // Received on 2026-09-30 with 3 working days: 10-01 … 10-07 are off,
    // 10-08 and 10-09 count, and 10-10 is a worked Saturday.
    let c = cal();
    let received = local(2026, 9, 30, 11, 0);
    let due = c.deadline(received, 3);
    assert_eq!(local_time(due), "2026-10-10 17:30");
    assert_eq!(c.working_days_between(received, due), 3);
    assert_eq!(c.coverage_warning(received, due), None);
}

#[test]
fn an_unconfigured_year_is_warned_about() {
    let c = cal();
    // 2026-12-28 + 10 working days reaches into 2027, which nobody entered.
    let received = local(2026, 12, 28, 9, 0);
    let due = c.deadline(received, 10);
    assert_eq!(local_time(due), "2027-01-11 17:30");
    let warning = c.coverage_warning(received, due).unwrap();
    assert_eq!(warning.years, [2027]);
    assert!(
        warning.zh.contains("2027年的节假日安排尚未配置"),
        "{}",
        warning.zh
    );
    assert!(warning.en.contains("2027"));
    // Once 2027 is entered, the warning is gone and its days count.
    let mut with_2027 = c.clone();
    let a2027 = Arrangement {
        year: 2027,
        notice: "test".into(),
        holidays: vec!["2027-01-01 元旦".into()],
        workdays: Vec::new(),
    };
    with_2027.with_arrangement(&a2027.days().unwrap());
    assert_eq!(with_2027.coverage_warning(received, due), None);
    assert!(!with_2027.is_working_day(day("2027-01-01")));
    assert_eq!(c.uncovered_years(received, received), Vec::<i64>::new());
}

#[test]
fn arrangements_are_validated() {
    for a in Arrangement::builtin() {
        a.days().unwrap();
    }
    let base = Arrangement {
        year: 2027,
        notice: String::new(),
        holidays: Vec::new(),
        workdays: Vec::new(),
    };
    let err = |holidays: &[&str], workdays: &[&str]| {
        let a = Arrangement {
            holidays: holidays.iter().map(|s| s.to_string()).collect(),
            workdays: workdays.iter().map(|s| s.to_string()).collect(),
            ..base.clone()
        };
        a.days().unwrap_err().to_string()
    };
    assert_eq!(
        err(&["2027-01-01", "2027-13-01 x"], &[]),
        "holidays[1]: \"2027-13-01 x\": not a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD"
    );
    assert!(err(&["2027-02-10..2027-02-01"], &[]).contains("ends before it starts"));
    assert!(err(&["2027-01-01..2027-03-01"], &[]).contains("at most 31 days"));
    assert!(err(&["2029-01-01"], &[]).contains("is not in 2027"));
    assert!(
        err(&["2027-10-01..2027-10-07", "2027-10-05"], &[]).contains("duplicate date 2027-10-05")
    );
    // 2027-01-04 is a Monday.
    assert!(err(&[], &["2027-01-04"]).contains("a working day anyway"));
    assert!(err(&["2027-01-02"], &["2027-01-02"]).contains("is also holidays[0]"));
    let year = Arrangement {
        year: 1999,
        ..base.clone()
    };
    assert_eq!(
        year.days().unwrap_err().to_string(),
        "year: 1999 is not a year from 2000 to 2100"
    );
    // A range with a name, and a day of the year before (as the 2024 notice gave).
    let ok = Arrangement {
        year: 2024,
        holidays: vec!["2023-12-30..2024-01-01 元旦".into()],
        ..base.clone()
    };
    assert_eq!(ok.days().unwrap().holidays.len(), 3);
    assert!(Arrangement::from_json(r#"{"year": 2027, "extra": 1}"#).is_err());
}

#[test]
fn deadline_across_national_day() {
    let c = cal();
    // Received Monday 2025-09-29 10:00, 3 working days: 09-30, 10-09, 10-10.
    let due = c.deadline(local(2025, 9, 29, 10, 0), 3);
    assert_eq!(local_time(due), "2025-10-10 17:30");
    assert_eq!(due, local(2025, 10, 10, 17, 30));
    // 17:30 in Beijing is 09:30 UTC.
    assert_eq!(due.rem_euclid(DAY_MS), (9 * 60 + 30) * 60_000);
    assert_eq!(
        c.deadline(local(2025, 9, 29, 10, 0), 1),
        local(2025, 9, 30, 17, 30)
    );
    assert_eq!(
        c.deadline(local(2025, 9, 29, 10, 0), 2),
        local(2025, 10, 9, 17, 30)
    );
}

#[test]
fn make_up_saturday_counts() {
    let c = cal();
    // Received Tuesday 2025-09-30: 10-09, 10-10 and Saturday 10-11 (调休上班).
    assert_eq!(
        local_time(c.deadline(local(2025, 9, 30, 9, 0), 3)),
        "2025-10-11 17:30"
    );
    // Without the make-up day it would be Monday 10-13.
    let plain = Calendar::from_json(
        r#"{"holidays": ["2025-10-01","2025-10-02","2025-10-03","2025-10-06","2025-10-07","2025-10-08"]}"#,
    )
    .unwrap();
    assert_eq!(
        local_time(plain.deadline(local(2025, 9, 30, 9, 0), 3)),
        "2025-10-13 17:30"
    );
    // Sunday 2025-09-28 is a make-up working day too: received Friday
    // 09-26, one working day is Sunday.
    assert_eq!(
        local_time(c.deadline(local(2025, 9, 26, 16, 0), 1)),
        "2025-09-28 17:30"
    );
}

#[test]
fn deadline_across_spring_festival() {
    let c = cal();
    // Received Friday 2025-01-24: Sunday 01-26 is a working day, 01-27,
    // then the holiday 01-28 … 02-04, then 02-05 …
    let t = local(2025, 1, 24, 11, 0);
    let due = |n| local_time(c.deadline(t, n));
    assert_eq!(due(1), "2025-01-26 17:30");
    assert_eq!(due(2), "2025-01-27 17:30");
    assert_eq!(due(3), "2025-02-05 17:30");
    assert_eq!(due(5), "2025-02-07 17:30");
    // … and Saturday 02-08 is the make-up working day.
    assert_eq!(due(6), "2025-02-08 17:30");
    assert_eq!(due(7), "2025-02-10 17:30");
    // Received on New Year's Eve of the lunar year (a holiday): 02-05,
    // 02-06, 02-07, Saturday 02-08, Monday 02-10.
    let eve = local(2025, 1, 28, 20, 0);
    assert_eq!(local_time(c.deadline(eve, 4)), "2025-02-08 17:30");
    assert_eq!(local_time(c.deadline(eve, 5)), "2025-02-10 17:30");
}

#[test]
fn receipt_on_a_holiday_or_weekend() {
    let c = cal();
    // National Day itself: counting starts on 10-09.
    assert_eq!(
        local_time(c.deadline(local(2025, 10, 3, 15, 0), 1)),
        "2025-10-09 17:30"
    );
    // Received on the make-up Saturday 10-11: the next working day is Monday.
    assert_eq!(
        local_time(c.deadline(local(2025, 10, 11, 15, 0), 1)),
        "2025-10-13 17:30"
    );
    // An ordinary Sunday.
    assert_eq!(
        local_time(c.deadline(local(2025, 11, 16, 8, 0), 2)),
        "2025-11-18 17:30"
    );
}

#[test]
fn zero_negative_and_huge_limits() {
    let c = cal();
    // 0: the same working day, if day_ends has not passed.
    assert_eq!(
        local_time(c.deadline(local(2025, 9, 29, 10, 0), 0)),
        "2025-09-29 17:30"
    );
    assert_eq!(
        local_time(c.deadline(local(2025, 9, 29, 17, 30), 0)),
        "2025-09-29 17:30"
    );
    assert_eq!(
        local_time(c.deadline(local(2025, 9, 29, 17, 31), 0)),
        "2025-09-30 17:30"
    );
    assert_eq!(
        local_time(c.deadline(local(2025, 10, 1, 10, 0), 0)),
        "2025-10-09 17:30"
    );
    // Negative: clamped to 0.
    let t = local(2025, 9, 29, 10, 0);
    assert_eq!(c.deadline(t, -5), c.deadline(t, 0));
    assert_eq!(c.deadline(t, i64::MIN), c.deadline(t, 0));
    // Huge: clamped to MAX_WORKING_DAYS.
    assert_eq!(c.deadline(t, i64::MAX), c.deadline(t, MAX_WORKING_DAYS));
    assert_eq!(
        c.working_days_between(t, c.deadline(t, i64::MAX)),
        MAX_WORKING_DAYS
    );
    // Far-off clocks neither overflow nor hang.
    let _ = c.deadline(i64::MAX, 10);
    let _ = c.deadline(i64::MIN, 10);
    let _ = c.warning_at(i64::MIN, 10);
    assert!(c.working_days_between(i64::MIN, i64::MAX) > 0);
}

#[test]
fn utc8_day_boundaries() {
    let c = cal();
    // 2025-09-29 23:59:59 in Beijing is 15:59:59Z: still the 29th.
    let late = local(2025, 9, 29, 23, 59) + 59_000;
    assert_eq!(late, 1_759_161_599_000);
    assert_eq!(local_time(c.deadline(late, 3)), "2025-10-10 17:30");
    // One second later it is the 30th: the window moves one working day
    // and picks up the make-up Saturday.
    assert_eq!(local_time(c.deadline(late + 1_000, 3)), "2025-10-11 17:30");
    // 2025-09-30 07:00 Beijing is 2025-09-29 23:00 UTC: the local day counts.
    let early = local(2025, 9, 30, 7, 0);
    assert_eq!(local_time(c.deadline(early, 1)), "2025-10-09 17:30");
}

#[test]
fn working_days_between_counts_whole_days() {
    let c = cal();
    let due = local(2025, 10, 10, 17, 30);
    assert_eq!(c.working_days_between(due, due), 0);
    assert_eq!(c.working_days_between(due, due - 1), 0);
    // Saturday 10-11 is a working day: one whole day at its 17:30.
    assert_eq!(c.working_days_between(due, local(2025, 10, 11, 17, 29)), 0);
    assert_eq!(c.working_days_between(due, local(2025, 10, 11, 17, 30)), 1);
    // Sunday adds nothing.
    assert_eq!(c.working_days_between(due, local(2025, 10, 12, 23, 0)), 1);
    assert_eq!(c.working_days_between(due, local(2025, 10, 15, 17, 30)), 4);
    // Across the holiday: due 09-30, nothing until 10-09 17:30.
    let due = local(2025, 9, 30, 17, 30);
    assert_eq!(c.working_days_between(due, local(2025, 10, 8, 23, 59)), 0);
    assert_eq!(c.working_days_between(due, local(2025, 10, 9, 17, 30)), 1);
}

#[test]
fn deadline_and_between_agree() {
    // A deterministic sweep: working_days_between(t, deadline(t, n)) == n,
    // and one millisecond earlier it is n - 1.
    let c = cal();
    let mut seed: u64 = 0x2025_1001;
    for _ in 0..2_000 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let t = local(2024, 12, 1, 0, 0) + ((seed >> 20) % (420 * DAY_MS as u64)) as i64;
        let n = ((seed >> 8) % 40) as i64 + 1;
        let due = c.deadline(t, n);
        assert!(due > t);
        assert!(c.is_working_day(local_day(due)));
        assert_eq!(c.working_days_between(t, due), n, "{} +{n}", local_time(t));
        assert_eq!(c.working_days_between(t, due - 1), n - 1);
        // The fast count equals a walk.
        let (a, b) = (local_day(t), local_day(due));
        let walked = (a..=b).filter(|&d| c.is_working_day(d)).count() as i64;
        assert_eq!(c.count_working_days(a, b), walked);
    }
}

#[test]
fn warnings() {
    let c = cal();
    let due = local(2025, 10, 10, 17, 30);
    assert_eq!(c.warning_at(due, 0), due);
    assert_eq!(c.warning_at(due, -3), due);
    assert_eq!(local_time(c.warning_at(due, 1)), "2025-10-09 17:30");
    // Two working days before 10-10 skips the holiday back to 09-30.
    assert_eq!(local_time(c.warning_at(due, 2)), "2025-09-30 17:30");
    assert_eq!(local_time(c.warning_at(due, 3)), "2025-09-29 17:30");
    assert_eq!(local_time(c.warning_at(due, 4)), "2025-09-28 17:30");
    // A deadline in the morning: the previous working day's end.
    assert_eq!(
        local_time(c.warning_at(local(2025, 10, 13, 9, 0), 1)),
        "2025-10-11 17:30"
    );
    let _ = c.warning_at(due, i64::MAX);
}

#[test]
fn config_validation() {
    let err = |json: &str| Calendar::from_json(json).unwrap_err();
    assert_eq!(
        err(r#"{"holidays": ["2025-10-01", "2025-02-30"]}"#),
        CalendarError::InvalidDate {
            field: "holidays".into(),
            index: 1,
            value: "2025-02-30".into()
        }
    );
    assert_eq!(
        err(r#"{"holidays": ["2025-10-01", "2025-02-30"]}"#).to_string(),
        r#"holidays[1]: "2025-02-30" is not a valid date YYYY-MM-DD"#
    );
    assert_eq!(
        err(r#"{"workdays": ["2025-9-28"]}"#).to_string(),
        r#"workdays[0]: "2025-9-28" is not a valid date YYYY-MM-DD"#
    );
    assert_eq!(
        err(r#"{"holidays": ["2025-10-01", "2025-10-02", "2025-10-01"]}"#).to_string(),
        "holidays[2]: duplicate date 2025-10-01 (already holidays[0])"
    );
    assert_eq!(
        err(r#"{"workdays": ["2025-10-11", "2025-10-11"]}"#).to_string(),
        "workdays[1]: duplicate date 2025-10-11 (already workdays[0])"
    );
    assert_eq!(
        err(r#"{"holidays": ["2025-10-01", "2025-10-11"], "workdays": ["2025-09-28", "2025-10-11"]}"#)
            .to_string(),
        "workdays[1]: 2025-10-11 is also holidays[1]; a day is either a holiday or a working day"
    );
    assert_eq!(
        err(r#"{"workdays": ["2025-09-29"]}"#).to_string(),
        "workdays[0]: 2025-09-29 is a Monday, a working day anyway; make-up working days fall on weekend days (typo?)"
    );
    assert_eq!(
        err(r#"{"weekend": [6, 8]}"#).to_string(),
        "weekend[1]: 8 is not an ISO weekday 1 (Monday) to 7 (Sunday)"
    );
    assert_eq!(
        err(r#"{"weekend": [0]}"#),
        CalendarError::InvalidWeekday { index: 0, value: 0 }
    );
    assert_eq!(
        err(r#"{"weekend": [7, 7]}"#).to_string(),
        "weekend[1]: duplicate weekday 7"
    );
    assert_eq!(
        err(r#"{"weekend": [1, 2, 3, 4, 5, 6, 7]}"#),
        CalendarError::NoWorkingWeekday
    );
    for bad in ["24:00", "17:60", "00:00", "5:30", "17.30", "", "17:30:00"] {
        assert_eq!(
            err(&format!(r#"{{"day_ends": "{bad}"}}"#)),
            CalendarError::InvalidDayEnds { value: bad.into() },
            "{bad}"
        );
    }
    assert!(matches!(
        err(r#"{"holiday": []}"#),
        CalendarError::Json { .. }
    ));
    assert!(
        err(r#"{"holiday": []}"#)
            .to_string()
            .contains("unknown field `holiday`")
    );
    assert!(matches!(
        err(r#"{"weekend": "6,7"}"#),
        CalendarError::Json { .. }
    ));
}

#[test]
fn config_defaults_and_round_trip() {
    let c = Calendar::from_json("{}").unwrap();
    assert_eq!(c, Calendar::default());
    assert_eq!(c.config(), CalendarConfig::default());
    // A six-day week ending at 18:00.
    let c =
        Calendar::from_json(r#"{"weekend": [7], "day_ends": "18:00", "holidays": ["2026-01-01"]}"#)
            .unwrap();
    assert!(c.is_working_day(day("2026-01-03"))); // a Saturday
    assert!(!c.is_working_day(day("2026-01-04")));
    assert!(!c.is_working_day(day("2026-01-01")));
    assert_eq!(
        local_time(c.deadline(local(2025, 12, 31, 9, 0), 2)),
        "2026-01-03 18:00"
    );
    assert!(c.covers_year(2026));
    // Serde goes through the validated config.
    let json = serde_json::to_string(&Calendar::china()).unwrap();
    let back: Calendar = serde_json::from_str(&json).unwrap();
    assert_eq!(back, Calendar::china());
    assert!(serde_json::from_str::<Calendar>(r#"{"weekend":[9]}"#).is_err());
    // An empty weekend: every day not a holiday works.
    let c = Calendar::from_json(r#"{"weekend": []}"#).unwrap();
    assert!(c.is_working_day(day("2025-10-12")));
}
