//! What a report covers: a month (the monthly supervision report, or the
//! month's project operation report) or a year (the annual report), with
//! its id, title and due date.

use std::fmt;

use crate::month::{Month, days_from_civil};

const DAY_MS: i64 = 86_400_000;

/// A report's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month(Month),
    Year(i32),
    /// The month's project operation report (项目运行报告).
    Operation(Month),
    /// The month's performance evaluation report (绩效考评报告).
    Evaluation(Month),
    /// The year's project operation report (年度项目运行报告).
    OperationYear(i32),
}

impl Period {
    /// From a stored report's `kind` and period text.
    pub fn parse(kind: &str, text: &str) -> Result<Period, String> {
        match kind {
            "monthly" => text.parse().map(Period::Month),
            "operation" => text.parse().map(Period::Operation),
            "evaluation" => text.parse().map(Period::Evaluation),
            "annual" => year(text).map(Period::Year),
            "annual_operation" => year(text).map(Period::OperationYear),
            other => Err(format!("未知的报告类型 / unknown report kind {other:?}")),
        }
    }

    /// `monthly` or `annual`.
    pub fn kind(self) -> &'static str {
        match self {
            Period::Month(_) => "monthly",
            Period::Year(_) => "annual",
            Period::Operation(_) => "operation",
            Period::Evaluation(_) => "evaluation",
            Period::OperationYear(_) => "annual_operation",
        }
    }

    /// The id of version `version`: `monthly-2026-11`, `annual-2026`, then
    /// `-v2`, `-v3` for corrections.
    pub fn report_id(self, version: u32) -> String {
        let base = format!("{}-{self}", self.kind());
        match version {
            1 => base,
            n => format!("{base}-v{n}"),
        }
    }

    /// The report's title.
    pub fn title(self) -> String {
        match self {
            Period::Month(m) => crate::monthly::title(m),
            Period::Year(y) => crate::annual::title(y),
            Period::Operation(m) => crate::operation::title(m),
            Period::Evaluation(m) => crate::evaluation::title(m),
            Period::OperationYear(y) => crate::operation_year::title(y),
        }
    }

    /// 00:00 after the period ends, district time.
    pub fn end_ms(self) -> i64 {
        match self {
            Period::Month(m) | Period::Operation(m) | Period::Evaluation(m) => m.next().start_ms(),
            Period::Year(y) | Period::OperationYear(y) => {
                days_from_civil(y + 1, 1, 1) * DAY_MS - bantong_hall_kit::time::OFFSET_MS
            }
        }
    }

    /// The end of the day the report is due: the 10th of the next month
    /// for a month, the end of January for a year.
    pub fn due_ms(self) -> i64 {
        match self {
            Period::Month(m) | Period::Operation(m) | Period::Evaluation(m) => m.due_ms(),
            Period::Year(y) | Period::OperationYear(y) => {
                days_from_civil(y + 1, 2, 1) * DAY_MS - bantong_hall_kit::time::OFFSET_MS
            }
        }
    }

    /// Whether the period is over at `now`.
    pub fn ended(self, now_ms: i64) -> bool {
        now_ms >= self.end_ms()
    }
}

fn year(text: &str) -> Result<i32, String> {
    text.parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| format!("年份无效 / not a year: {text:?}"))
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month(m) | Period::Operation(m) | Period::Evaluation(m) => write!(f, "{m}"),
            Period::Year(y) | Period::OperationYear(y) => write!(f, "{y}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::month::date_zh;

    #[test]
    fn periods_name_their_reports_and_due_dates() {
        let m = Period::parse("monthly", "2026-11").unwrap();
        assert_eq!(m.report_id(1), "monthly-2026-11");
        assert_eq!(m.report_id(2), "monthly-2026-11-v2");
        assert_eq!(date_zh(m.due_ms() - 1), "2026年12月10日");
        let y = Period::parse("annual", "2026").unwrap();
        assert_eq!(y.report_id(1), "annual-2026");
        assert_eq!(y.title(), "2026年度政务服务监督检查工作报告");
        assert_eq!(date_zh(y.end_ms()), "2027年1月1日");
        assert_eq!(date_zh(y.due_ms() - 1), "2027年1月31日");
        assert!(!y.ended(y.end_ms() - 1) && y.ended(y.end_ms()));
        assert!(Period::parse("annual", "26").is_err());
        assert!(Period::parse("weekly", "2026").is_err());
        let o = Period::parse("operation", "2026-11").unwrap();
        assert_eq!(o.report_id(1), "operation-2026-11");
        assert_eq!(o.title(), "2026年11月政务服务项目运行报告");
        assert_eq!(o.due_ms(), m.due_ms());
        let e = Period::parse("evaluation", "2026-11").unwrap();
        assert_eq!(e.report_id(1), "evaluation-2026-11");
        assert_eq!(e.title(), "2026年11月政务服务绩效考评报告");
        assert_eq!(e.due_ms(), m.due_ms());
        let oy = Period::parse("annual_operation", "2026").unwrap();
        assert_eq!(oy.report_id(1), "annual_operation-2026");
        assert_eq!(oy.title(), "2026年度政务服务项目运行报告");
        assert_eq!(oy.due_ms(), y.due_ms());
    }
}
