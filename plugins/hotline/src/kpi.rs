//! The hotline's KPIs for a day or a month of hall time (UTC+8), overall,
//! by hall and by request category, from the calls ([`Call`]), the work
//! orders ([`Order`]) and the callbacks (回访, [`Callback`]).
//!
//! Every figure is a [`Figure`]: value, numerator, denominator and the
//! definition it was computed by, so that a report prints the denominator
//! beside the figure (REFERENCE §3.1: "definitions vary by locality — make
//! the denominator rules configurable and print them in reports"). A figure
//! whose denominator is 0 has no value (`None`, JSON `null`), never NaN.
//!
//! # Definitions
//!
//! Calls count in the period their `offered_ms` falls in. With
//! `exclude_short_abandons` (the default) the calls abandoned after less
//! than `short_abandon_s` (default 5 s) of waiting are left out of the
//! denominators of the first three figures — "offered" below means
//! offered minus those short abandons; a call abandoned after exactly
//! `short_abandon_s` counts.
//!
//! | figure | numerator / denominator |
//! |---|---|
//! | `answer_rate` 人工接通率 | answered / offered |
//! | `answered_within` 15秒接通率 | answered with wait ≤ `answer_within_s` (15 s exactly counts) / offered |
//! | `abandon_rate` 呼损率 | abandoned (less the short abandons) / offered |
//! | `average_wait` 平均等待时长 (ASA) | Σ wait of the answered calls (ms) / answered; value in seconds |
//! | `average_handling` 平均通话时长 (AHT) | Σ (ended − answered) (ms) / answered; value in seconds; wrap-up is not in the call record |
//! | `first_contact_resolution` 首呼解决率 | answered calls marked `first_contact_resolved` / answered |
//!
//! Work orders, grouped by their lead unit (承办单位: the hall, or a
//! department, key of `by_hall`) and their category; merged duplicates
//! (并单) do not count in the three deadline figures. A deadline counts
//! in the period it falls in, once it has passed at `as_of_ms` (the due
//! instant itself is still on time, as in [`crate::order::supervise`]);
//! the current dispatch of an order is measured (a reopened order by its
//! new deadline):
//!
//! | figure | numerator / denominator |
//! |---|---|
//! | `on_time_sign` 按时签收率 | signed by `sign_due_ms` / orders whose `sign_due_ms` fell in the period |
//! | `on_time_completion` 按时办结率 | replied (答复, the unit's 办结) by `due_ms` / orders whose `due_ms` fell in the period |
//! | `overdue_rate` 超期率 | not replied by `due_ms` / the same orders (the complement of the above) |
//! | `return_rate` 退单率 | dispatches ended by an approved return (退单) / dispatches in the period (派单, approved reassignments 改派 and reopenings 重办, from the audit trail; each credited to the unit that received it) |
//! | `callback_rate` 回访率 | orders replied in the period with a reached callback at or after the reply / orders replied in the period |
//! | `satisfaction` 满意率 | satisfied ratings / callbacks with a score in the period; satisfied = 非常满意 + 满意 + 基本满意 (scores 5, 4, 3) as in 好差评 practice, or 非常满意 + 满意 only with `basic_counts_as_satisfied: false` |
//!
//! Records that fail their checks ([`Call::validate`], [`Callback::validate`])
//! are left out of every figure and counted in [`Report::excluded`].
//! Items without a hall or category are grouped under [`UNSPECIFIED`], so
//! that the groups always add up to the overall numerators and
//! denominators.
//!
//! # Cost
//!
//! [`compute`] is linear in calls + orders (with their audit trails) +
//! callbacks, does not sort, and allocates per group and per callback, not
//! per call or order.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use bantong_hall_kit::time::{civil, date_of_day};
use serde::{Deserialize, Serialize};

use crate::calls::Call;
use crate::order::{ActionKind, Order, Role, State};
use bantong_hall_kit::calendar::{day_of, start_of_day};

/// The group key of calls, orders and ratings without a hall or category
/// (it cannot collide with a unit id or catalogue key).
pub const UNSPECIFIED: &str = "(none)";

// ---------------------------------------------------------------------------
// Definitions
// ---------------------------------------------------------------------------

/// The definitions of the call figures, with the configured seconds
/// printed (never a setting's name): (接通率, 15秒接通率, 呼损率).
fn call_definitions(config: &KpiConfig) -> (String, String, String) {
    let within = config.answer_within_s;
    if !config.exclude_short_abandons {
        return (
            "人工接通率 = 接通量 / 呼入量 answer rate = answered / offered".to_owned(),
            format!(
                "{within}秒接通率 = {within}秒内接通量 / 呼入量 answered-in-time rate = \
                 answered with wait ≤ {within} s / offered"
            ),
            "呼损率 = 放弃量 / 呼入量 abandon rate = abandoned / offered".to_owned(),
        );
    }
    let short = config.short_abandon_s;
    let base = format!("(呼入量 − 等待不足{short}秒的放弃量)");
    let base_en = format!("(offered − calls abandoned after less than {short} s)");
    (
        format!("人工接通率 = 接通量 / {base} answer rate = answered / {base_en}"),
        format!(
            "{within}秒接通率 = {within}秒内接通量 / {base} answered-in-time rate = \
             answered with wait ≤ {within} s / {base_en}"
        ),
        format!(
            "呼损率 = (放弃量 − 等待不足{short}秒的放弃量) / {base} abandon rate = \
             (abandoned − abandoned after less than {short} s) / {base_en}"
        ),
    )
}
const AVERAGE_WAIT: &str = "平均等待时长(秒) = 接通电话等待总时长 / 接通量 average speed of answer (s) = \
     Σ wait of answered calls (ms) / answered";
const AVERAGE_HANDLING: &str = "平均通话时长(秒) = 接通至挂机总时长 / 接通量 average handling time (s) = \
     Σ (ended − answered) (ms) / answered; wrap-up not included";
const FCR: &str = "首呼解决率 = 首次来电即解决(未派单)的接通量 / 接通量 first-contact resolution = \
     answered calls resolved without a work order / answered";
const ON_TIME_SIGN: &str = "按时签收率 = 时限内签收工单数 / 签收时限在本期且已届满的工单数 on-time sign-for = \
     signed by sign_due / orders whose sign_due fell in the period and has passed";
const ON_TIME_COMPLETION: &str = "按时办结率 = 时限内答复工单数 / 办理时限在本期且已届满的工单数 on-time completion = \
     replied by due / orders whose due time fell in the period and has passed";
const OVERDUE: &str = "超期率 = 超期工单数 / 办理时限在本期且已届满的工单数 overdue rate = \
     not replied by due / orders whose due time fell in the period and has passed";
const RETURN: &str = "退单率 = 退单数 / 派单数 return rate = dispatches ended by an approved return / \
     dispatches (incl. reassignments and reopenings) in the period";
const CALLBACK: &str = "回访率 = 已回访工单数 / 本期答复工单数 callback rate = orders replied in the period \
     with a reached callback after the reply / orders replied in the period";
// The district's one satisfaction rule (keypads, kiosks and callbacks alike).
use bantong_hall_kit::rating::{SATISFACTION_BASIC, SATISFACTION_STRICT};

// ---------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------

pub use bantong_hall_kit::figure::{Figure, Unit as FigureUnit};

// ---------------------------------------------------------------------------
// Errors, periods, configuration, callbacks
// ---------------------------------------------------------------------------

/// Why a period, a configuration or a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum KpiError {
    /// The period text is not a month `YYYY-MM` or a day `YYYY-MM-DD`.
    InvalidPeriod {
        /// The text given.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// The configuration JSON could not be read.
    Json {
        /// The parser's message.
        message: String,
    },
    /// A configuration value is out of range.
    InvalidConfig {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A callback record is inconsistent.
    InvalidCallback {
        /// Its order.
        order_id: String,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for KpiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KpiError::InvalidPeriod { text, reason } => write!(
                f,
                "period {text:?}: {reason}; expected a month YYYY-MM or a day YYYY-MM-DD"
            ),
            KpiError::Json { message } => write!(f, "invalid KPI configuration: {message}"),
            KpiError::InvalidConfig { field, message } => write!(f, "{field}: {message}"),
            KpiError::InvalidCallback { order_id, message } => {
                write!(f, "callback of order {order_id:?}: {message}")
            }
        }
    }
}

impl std::error::Error for KpiError {}

/// The period a report covers, in hall time (UTC+8). As text (and JSON):
/// `2025-10` for a month, `2025-10-15` for a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Period {
    /// A hall day, as days since 1970-01-01 (see
    /// [`bantong_hall_kit::calendar::parse_date`]).
    Day(i64),
    /// A month: year (1-9999) and month (1-12).
    Month(i64, u8),
}

impl Period {
    /// Parses `YYYY-MM` or `YYYY-MM-DD` exactly (no spaces, four-digit
    /// year 0001-9999, existing month and day).
    pub fn parse(text: &str) -> Result<Period, KpiError> {
        let refuse = |reason: String| {
            Err(KpiError::InvalidPeriod {
                text: text.to_owned(),
                reason,
            })
        };
        let b = text.as_bytes();
        let shape_ok = match b.len() {
            7 => b.get(4) == Some(&b'-'),
            10 => b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-'),
            _ => false,
        };
        let digits_ok = b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if text.is_empty() {
            return refuse("is empty".into());
        }
        if !shape_ok || !digits_ok {
            return refuse("is malformed".into());
        }
        let num = |from: usize, to: usize| -> i64 {
            text.get(from..to)
                .and_then(|s| s.parse().ok())
                .unwrap_or(-1)
        };
        let (year, month) = (num(0, 4), num(5, 7));
        if year < 1 {
            return refuse("year 0000 does not exist".into());
        }
        let Ok(month) = u8::try_from(month) else {
            return refuse(format!("month {month:02} does not exist"));
        };
        if !(1..=12).contains(&month) {
            return refuse(format!("month {month:02} does not exist"));
        }
        if b.len() == 7 {
            return Ok(Period::Month(year, month));
        }
        let day = u8::try_from(num(8, 10)).unwrap_or(0);
        match day_of(year, month, day) {
            Some(d) => Ok(Period::Day(d)),
            None => refuse(format!(
                "day {day:02} does not exist in {year:04}-{month:02}"
            )),
        }
    }

    /// The half-open range `[start, end)` of instants (ms) the period
    /// covers: from 00:00 hall time on its first day to 00:00 after its
    /// last. `None` for a month or day outside the years 1-9999.
    pub fn range_ms(&self) -> Option<(i64, i64)> {
        let (first, last) = match *self {
            Period::Day(d) => {
                let (year, _, _) = civil(d);
                if !(1..=9999).contains(&year) {
                    return None;
                }
                (d, d)
            }
            Period::Month(year, month) => {
                let first = day_of(year, month, 1)?;
                let last = (28..=31).rev().find_map(|d| day_of(year, month, d))?;
                (first, last)
            }
        };
        Some((start_of_day(first), start_of_day(last + 1)))
    }

    /// Whether an instant falls in the period (in hall time).
    pub fn contains(&self, ms: i64) -> bool {
        self.range_ms()
            .is_some_and(|(start, end)| (start..end).contains(&ms))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Day(d) => f.write_str(&date_of_day(d)),
            Period::Month(year, month) => write!(f, "{year:04}-{month:02}"),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = KpiError;

    fn from_str(text: &str) -> Result<Period, KpiError> {
        Period::parse(text)
    }
}

impl From<Period> for String {
    fn from(period: Period) -> String {
        period.to_string()
    }
}

impl TryFrom<String> for Period {
    type Error = KpiError;

    fn try_from(text: String) -> Result<Period, KpiError> {
        Period::parse(&text)
    }
}

/// The denominator rules and thresholds, which differ by locality; JSON
/// with every field optional, e.g. `{"answer_within_s": 20}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KpiConfig {
    /// A call answered after at most this many seconds of waiting is
    /// answered in time (GB/T 33358: 15), 1-600.
    pub answer_within_s: u32,
    /// A call abandoned after less than this many seconds is a short
    /// abandon (default 5), 1-60 and less than `answer_within_s`.
    pub short_abandon_s: u32,
    /// Leave short abandons out of the answer, answered-in-time and
    /// abandon rates (default true).
    pub exclude_short_abandons: bool,
    /// 基本满意 (score 3) counts as satisfied (default true, as 好差评
    /// tallies); false counts only 非常满意 and 满意.
    pub basic_counts_as_satisfied: bool,
}

impl Default for KpiConfig {
    fn default() -> KpiConfig {
        KpiConfig {
            answer_within_s: 15,
            short_abandon_s: 5,
            exclude_short_abandons: true,
            basic_counts_as_satisfied: true,
        }
    }
}

impl KpiConfig {
    /// Parses a JSON configuration (missing fields take their defaults)
    /// and validates it.
    pub fn from_json(json: &str) -> Result<KpiConfig, KpiError> {
        let config: KpiConfig = serde_json::from_str(json).map_err(|e| KpiError::Json {
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), KpiError> {
        let invalid = |field: &str, message: String| {
            Err(KpiError::InvalidConfig {
                field: field.to_owned(),
                message,
            })
        };
        if !(1..=600).contains(&self.answer_within_s) {
            return invalid(
                "answer_within_s",
                format!("{} is not 1-600 seconds", self.answer_within_s),
            );
        }
        if !(1..=60).contains(&self.short_abandon_s) {
            return invalid(
                "short_abandon_s",
                format!("{} is not 1-60 seconds", self.short_abandon_s),
            );
        }
        if self.short_abandon_s >= self.answer_within_s {
            return invalid(
                "short_abandon_s",
                format!(
                    "{} s must be less than answer_within_s ({} s): a short abandon is one that hung up before it could have been answered in time",
                    self.short_abandon_s, self.answer_within_s
                ),
            );
        }
        Ok(())
    }
}

/// A callback (回访) to the caller of a work order after the unit replied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Callback {
    /// The work order.
    pub order_id: String,
    /// When the call was made.
    pub at_ms: i64,
    /// Whether the caller was reached.
    pub reached: bool,
    /// The caller's rating, 1 (非常不满意) to 5 (非常满意), if given.
    #[serde(default)]
    pub score: Option<u8>,
}

impl Callback {
    /// Checks the record: a score is 1-5 and only a reached caller gives one.
    pub fn validate(&self) -> Result<(), KpiError> {
        let invalid = |message: String| {
            Err(KpiError::InvalidCallback {
                order_id: self.order_id.clone(),
                message,
            })
        };
        match self.score {
            Some(s) if bantong_hall_kit::Level::from_score(s).is_none() => {
                invalid(format!("score {s} is not 1-5"))
            }
            Some(_) if !self.reached => {
                invalid("a score was recorded but the caller was not reached".into())
            }
            _ => Ok(()),
        }
    }

    /// [`Callback::validate`] as a bool, without allocating.
    fn is_valid(&self) -> bool {
        match self.score {
            Some(s) => self.reached && (1..=5).contains(&s),
            None => true,
        }
    }
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

/// The KPIs of one group (or of everything).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpis {
    /// Calls offered in the period (话务量, short abandons included).
    pub calls_offered: u64,
    /// Of those, answered.
    pub calls_answered: u64,
    /// Of those, abandoned (short abandons included).
    pub calls_abandoned: u64,
    /// Of those, abandoned after less than `short_abandon_s`.
    pub short_abandons: u64,
    /// Work orders received (created) in the period (工单量).
    pub orders_received: u64,
    /// 人工接通率.
    pub answer_rate: Figure,
    /// 15秒接通率 (with the configured `answer_within_s`).
    pub answered_within: Figure,
    /// 呼损率.
    pub abandon_rate: Figure,
    /// 平均等待时长, seconds.
    pub average_wait: Figure,
    /// 平均通话时长, seconds.
    pub average_handling: Figure,
    /// 首呼解决率.
    pub first_contact_resolution: Figure,
    /// 按时签收率.
    pub on_time_sign: Figure,
    /// 按时办结率.
    pub on_time_completion: Figure,
    /// 超期率.
    pub overdue_rate: Figure,
    /// 退单率.
    pub return_rate: Figure,
    /// 回访率.
    pub callback_rate: Figure,
    /// 满意率.
    pub satisfaction: Figure,
}

/// Records left out of every figure because they failed their checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Excluded {
    /// Calls offered in the period failing [`Call::validate`].
    pub calls: u64,
    /// Callbacks (of any time) failing [`Callback::validate`].
    pub callbacks: u64,
}

/// The KPIs of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The period.
    pub period: Period,
    /// Its first instant (00:00 hall time), ms.
    pub start_ms: i64,
    /// The instant after it, ms.
    pub end_ms: i64,
    /// Deadlines up to this instant were judged.
    pub as_of_ms: i64,
    /// The rules the figures were computed by.
    pub config: KpiConfig,
    /// Everything.
    pub overall: Kpis,
    /// By hall (for work orders: by lead unit, which may be a department);
    /// [`UNSPECIFIED`] for the rest.
    pub by_hall: BTreeMap<String, Kpis>,
    /// By request category; [`UNSPECIFIED`] for the rest.
    pub by_category: BTreeMap<String, Kpis>,
    /// Records left out.
    pub excluded: Excluded,
}

macro_rules! tally {
    ($($field:ident),* $(,)?) => {
        /// Counters of one group; every figure derives from them. Public
        /// so that a store that counts in SQL (the plugin's aggregates) can
        /// hand its counts to [`assemble`] and get the same figures and
        /// definitions as [`compute`].
        #[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub struct Tally {
            $(#[allow(missing_docs)] pub $field: u64,)*
        }

        impl Tally {
            /// Adds `other`'s counters to these (saturating).
            pub fn add(&mut self, other: &Tally) {
                $(self.$field = self.$field.saturating_add(other.$field);)*
            }
        }
    };
}

tally!(
    offered,
    answered,
    abandoned,
    short_abandons,
    within,
    wait_ms,
    handle_ms,
    fcr,
    orders_received,
    sign_due,
    sign_on_time,
    reply_due,
    reply_on_time,
    dispatches,
    returned,
    replied,
    called_back,
    rated,
    satisfied,
);

impl Tally {
    /// The figures these counters give under `config`.
    pub fn kpis(&self, config: &KpiConfig) -> Kpis {
        let excl = config.exclude_short_abandons;
        let short = if excl { self.short_abandons } else { 0 };
        let offered = self.offered.saturating_sub(short);
        let (answer, within, abandon) = call_definitions(config);
        Kpis {
            calls_offered: self.offered,
            calls_answered: self.answered,
            calls_abandoned: self.abandoned,
            short_abandons: self.short_abandons,
            orders_received: self.orders_received,
            answer_rate: Figure::ratio(self.answered, offered, answer),
            answered_within: Figure::ratio(self.within, offered, within),
            abandon_rate: Figure::ratio(self.abandoned.saturating_sub(short), offered, abandon),
            average_wait: Figure::mean_seconds(self.wait_ms, self.answered, AVERAGE_WAIT),
            average_handling: Figure::mean_seconds(self.handle_ms, self.answered, AVERAGE_HANDLING),
            first_contact_resolution: Figure::ratio(self.fcr, self.answered, FCR),
            on_time_sign: Figure::ratio(self.sign_on_time, self.sign_due, ON_TIME_SIGN),
            on_time_completion: Figure::ratio(
                self.reply_on_time,
                self.reply_due,
                ON_TIME_COMPLETION,
            ),
            overdue_rate: Figure::ratio(
                self.reply_due.saturating_sub(self.reply_on_time),
                self.reply_due,
                OVERDUE,
            ),
            return_rate: Figure::ratio(self.returned, self.dispatches, RETURN),
            callback_rate: Figure::ratio(self.called_back, self.replied, CALLBACK),
            satisfaction: Figure::ratio(
                self.satisfied,
                self.rated,
                if config.basic_counts_as_satisfied {
                    SATISFACTION_BASIC
                } else {
                    SATISFACTION_STRICT
                },
            ),
        }
    }
}

/// The overall tally and one per hall and per category.
#[derive(Default)]
struct Groups {
    overall: Tally,
    by_hall: BTreeMap<String, Tally>,
    by_category: BTreeMap<String, Tally>,
}

impl Groups {
    fn add(&mut self, hall: Option<&str>, category: Option<&str>, tally: &Tally) {
        self.overall.add(tally);
        bump(&mut self.by_hall, hall.unwrap_or(UNSPECIFIED), tally);
        bump(
            &mut self.by_category,
            category.unwrap_or(UNSPECIFIED),
            tally,
        );
    }
}

/// Adds to a group, allocating its key only the first time.
fn bump(map: &mut BTreeMap<String, Tally>, key: &str, tally: &Tally) {
    match map.get_mut(key) {
        Some(t) => t.add(tally),
        None => {
            map.insert(key.to_owned(), *tally);
        }
    }
}

/// What the callbacks say about one order.
#[derive(Default)]
struct Called<'a> {
    /// The last time the caller was reached.
    last_reached: Option<i64>,
    /// Rated in the period.
    rated: bool,
    /// The order's (lead, category), once found among the orders.
    order: Option<(Option<&'a str>, &'a str)>,
}

/// FNV-1a: order ids are short ids from the hotline's own store, so a fast
/// unkeyed hash serves (SipHash took most of the time of a million orders).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn ms(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Walks an order's audit trail dispatch by dispatch (派单, an approved
/// reassignment, a reopening): `f(start_ms, unit, returned)` for each,
/// where `unit` is the unit that received it (the first unit acting in it,
/// or the order's lead for the current one) and `returned` whether it
/// ended by an approved return (退单).
fn dispatches<'a>(order: &'a Order, mut f: impl FnMut(i64, Option<&'a str>, bool)) {
    let mut open: Option<(i64, Option<&'a str>)> = None;
    for t in &order.history {
        let starts = match t.action {
            ActionKind::Dispatch | ActionKind::Reopen => true,
            ActionKind::Approve => t.to == State::Dispatched,
            _ => false,
        };
        if starts {
            if let Some((start, unit)) = open.take() {
                f(start, unit, false);
            }
            open = Some((t.at_ms, None));
            continue;
        }
        if let (Some((_, unit @ None)), Role::Unit(u)) = (&mut open, &t.actor.role) {
            *unit = Some(u.as_str());
        }
        if t.action == ActionKind::Approve
            && t.from == State::Returned
            && let Some((start, unit)) = open.take()
        {
            f(start, unit, true);
        }
    }
    if let Some((start, unit)) = open {
        f(start, unit.or(order.lead.as_deref()), false);
    }
}

/// The KPIs of `period` from the calls, the work orders and the callbacks,
/// with deadlines judged as of `as_of_ms` (see the
/// [module documentation](self) for every definition).
///
/// Pass every order that may have an event in the period (received,
/// dispatched, due, replied or rated in it), e.g. all orders not closed
/// before the period began; calls and callbacks outside the period are
/// skipped (a callback after the period still counts for an order replied
/// in it).
pub fn compute(
    calls: &[Call],
    orders: &[Order],
    callbacks: &[Callback],
    period: Period,
    as_of_ms: i64,
    config: &KpiConfig,
) -> Result<Report, KpiError> {
    config.validate()?;
    let Some((start_ms, end_ms)) = period.range_ms() else {
        return Err(KpiError::InvalidPeriod {
            text: period.to_string(),
            reason: "is outside the years 0001-9999 or does not exist".into(),
        });
    };
    let within = |ms: i64| (start_ms..end_ms).contains(&ms);
    let answer_limit_ms = i64::from(config.answer_within_s) * 1_000;
    let short_ms = i64::from(config.short_abandon_s) * 1_000;
    let mut groups = Groups::default();
    let mut excluded = Excluded::default();

    for call in calls.iter().filter(|c| within(c.offered_ms)) {
        if call.validate().is_err() {
            excluded.calls += 1;
            continue;
        }
        let mut t = Tally {
            offered: 1,
            ..Tally::default()
        };
        if let Some(handle) = call.handle_ms() {
            t.answered = 1;
            t.wait_ms = ms(call.wait_ms());
            t.handle_ms = ms(handle);
            t.within = u64::from(call.answered_within(answer_limit_ms));
            t.fcr = u64::from(call.first_contact_resolved);
        } else {
            t.abandoned = 1;
            t.short_abandons = u64::from(call.wait_ms() < short_ms);
        }
        groups.add(call.hall.as_deref(), call.category.as_deref(), &t);
    }

    // What the callbacks say about each order they name.
    let mut by_order: HashMap<&str, Called<'_>, BuildHasherDefault<Fnv>> =
        HashMap::with_capacity_and_hasher(callbacks.len(), BuildHasherDefault::default());
    for cb in callbacks {
        if !cb.is_valid() {
            excluded.callbacks += 1;
            continue;
        }
        let rated = cb.score.is_some() && within(cb.at_ms);
        if !cb.reached && !rated {
            continue;
        }
        let called = by_order.entry(cb.order_id.as_str()).or_default();
        if cb.reached {
            called.last_reached = called.last_reached.max(Some(cb.at_ms));
        }
        called.rated |= rated;
    }

    for order in orders {
        let mut t = Tally {
            orders_received: u64::from(within(order.received_ms)),
            ..Tally::default()
        };
        if order.state != State::Merged {
            if let Some(due) = order.sign_due_ms
                && within(due)
                && as_of_ms > due
            {
                t.sign_due = 1;
                t.sign_on_time = u64::from(order.signed_ms.is_some_and(|s| s <= due));
            }
            if let Some(due) = order.due_ms
                && within(due)
                && as_of_ms > due
            {
                t.reply_due = 1;
                t.reply_on_time = u64::from(order.replied_ms.is_some_and(|r| r <= due));
            }
        }
        let called = by_order.get_mut(order.id.as_str());
        if let Some(replied) = order.replied_ms
            && within(replied)
        {
            t.replied = 1;
            t.called_back = u64::from(
                called
                    .as_ref()
                    .and_then(|c| c.last_reached)
                    .is_some_and(|at| at >= replied),
            );
        }
        if let Some(called) = called
            && called.rated
        {
            called.order = Some((order.lead.as_deref(), order.category.as_str()));
        }
        if t != Tally::default() {
            groups.add(order.lead.as_deref(), Some(&order.category), &t);
        }
        dispatches(order, |start, unit, returned| {
            if within(start) {
                let t = Tally {
                    dispatches: 1,
                    returned: u64::from(returned),
                    ..Tally::default()
                };
                groups.add(unit, Some(&order.category), &t);
            }
        });
    }

    let satisfied_from = if config.basic_counts_as_satisfied {
        3
    } else {
        4
    };
    for cb in callbacks {
        let Some(score) = cb.score else { continue };
        if !cb.is_valid() || !within(cb.at_ms) {
            continue;
        }
        let (hall, category) = match by_order.get(cb.order_id.as_str()).and_then(|c| c.order) {
            Some((hall, category)) => (hall, Some(category)),
            None => (None, None),
        };
        let t = Tally {
            rated: 1,
            satisfied: u64::from(score >= satisfied_from),
            ..Tally::default()
        };
        groups.add(hall, category, &t);
    }

    let to_kpis = |map: BTreeMap<String, Tally>| -> BTreeMap<String, Kpis> {
        map.into_iter()
            .map(|(key, t)| (key, t.kpis(config)))
            .collect()
    };
    Ok(Report {
        period,
        start_ms,
        end_ms,
        as_of_ms,
        config: config.clone(),
        overall: groups.overall.kpis(config),
        by_hall: to_kpis(groups.by_hall),
        by_category: to_kpis(groups.by_category),
        excluded,
    })
}

/// The report of `period` from counters already tallied elsewhere — one
/// [`Tally`] per (hall, category) cell, e.g. from grouped SQL aggregates —
/// with the same figures and definitions as [`compute`]. Cells with the
/// same keys are added together; `None` keys go to [`UNSPECIFIED`].
pub fn assemble<I, H, C>(
    cells: I,
    period: Period,
    as_of_ms: i64,
    config: &KpiConfig,
    excluded: Excluded,
) -> Result<Report, KpiError>
where
    I: IntoIterator<Item = (Option<H>, Option<C>, Tally)>,
    H: AsRef<str>,
    C: AsRef<str>,
{
    config.validate()?;
    let Some((start_ms, end_ms)) = period.range_ms() else {
        return Err(KpiError::InvalidPeriod {
            text: period.to_string(),
            reason: "is outside the years 0001-9999 or does not exist".into(),
        });
    };
    let mut groups = Groups::default();
    for (hall, category, tally) in cells {
        groups.add(
            hall.as_ref().map(AsRef::as_ref),
            category.as_ref().map(AsRef::as_ref),
            &tally,
        );
    }
    let to_kpis = |map: BTreeMap<String, Tally>| -> BTreeMap<String, Kpis> {
        map.into_iter()
            .map(|(key, t)| (key, t.kpis(config)))
            .collect()
    };
    Ok(Report {
        period,
        start_ms,
        end_ms,
        as_of_ms,
        config: config.clone(),
        overall: groups.overall.kpis(config),
        by_hall: to_kpis(groups.by_hall),
        by_category: to_kpis(groups.by_category),
        excluded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::{Action, Actor, Catalogue, NewOrder, apply};
    use bantong_hall_kit::calendar::Calendar;
    use bantong_hall_kit::time::local_time;

    const S: i64 = 1_000;
    const MIN: i64 = 60_000;

    /// Milliseconds of a local (UTC+8) civil time.
    fn local(y: i64, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
        start_of_day(day_of(y, mo, d).unwrap()) + (h * 60 + mi) * MIN
    }

    fn cfg() -> KpiConfig {
        KpiConfig::default()
    }

    /// Asserts a figure's numerator, denominator and value.
    #[track_caller]
    fn check(what: &str, f: &Figure, numerator: u64, denominator: u64, value: Option<f64>) {
        assert_eq!(
            (f.numerator, f.denominator),
            (numerator, denominator),
            "{what}: numerator/denominator"
        );
        match (f.value, value) {
            (Some(got), Some(want)) => {
                assert!((got - want).abs() < 1e-12, "{what}: value {got} != {want}")
            }
            (got, want) => assert_eq!(got, want, "{what}: value"),
        }
    }

    // ---- calls -------------------------------------------------------------

    /// A call offered at 2025-10-15 09:00 + `minute` min (hall time), waiting
    /// `wait_s`, then talking `talk_s` (answered) or hanging up (abandoned).
    fn call(
        id: &str,
        minute: i64,
        hall: Option<&str>,
        category: Option<&str>,
        wait_ms: i64,
        talk_s: Option<i64>,
        fcr: bool,
    ) -> Call {
        let offered = local(2025, 10, 15, 9, 0) + minute * MIN;
        let answered = talk_s.map(|_| offered + wait_ms);
        Call {
            id: id.into(),
            caller_number: "13812345678".into(),
            seat: answered.map(|_| "s1".into()),
            hall: hall.map(Into::into),
            category: category.map(Into::into),
            offered_ms: offered,
            answered_ms: answered,
            ended_ms: offered + wait_ms + talk_s.unwrap_or(0) * S,
            recording: None,
            order_id: None,
            first_contact_resolved: fcr,
            knowledge_article: None,
        }
    }

    /// The day of calls: 12 in the day, 2 just outside it, 1 invalid.
    fn day_of_calls() -> Vec<Call> {
        let (a, b) = (Some("hall-a"), Some("hall-b"));
        let (light, pension) = (Some("streetlight"), Some("pension"));
        let mut calls = vec![
            //    id     min hall cat      wait        talk       fcr
            call("c1", 0, a, light, 10 * S, Some(120), true),
            call("c2", 1, a, light, 15 * S, Some(60), false), // exactly 15 s
            call("c3", 2, a, pension, 16 * S, Some(180), true), // 16 s: too late
            call("c4", 3, b, pension, 3 * S, None, false),    // abandoned at 3 s: short
            call("c5", 4, b, light, 40 * S, None, false),     // abandoned at 40 s
            call("c6", 5, b, pension, 5 * S, Some(300), true),
            call("c7", 6, a, None, 20 * S, Some(90), false),
            call("c8", 7, None, light, 0, Some(30), true),
            call("c9", 8, b, light, 5 * S, None, false), // abandoned at exactly 5 s: not short
            call("c10", 9, a, pension, 12 * S, Some(240), true),
            call("c11", 10, b, None, S, None, false), // abandoned at 1 s: short
            call("c12", 11, a, light, 30 * S, Some(150), false),
        ];
        calls[1].order_id = Some("GD-0002".into());
        // Outside the day: 2025-10-14 23:59:59.999 and 2025-10-16 00:00.
        let mut before = call("x1", 0, a, light, 10 * S, Some(60), true);
        before.offered_ms = local(2025, 10, 15, 0, 0) - 1;
        before.answered_ms = Some(before.offered_ms + 10 * S);
        before.ended_ms = before.offered_ms + 70 * S;
        let mut after = before.clone();
        after.id = "x2".into();
        after.offered_ms = local(2025, 10, 16, 0, 0);
        after.answered_ms = Some(after.offered_ms + 10 * S);
        after.ended_ms = after.offered_ms + 70 * S;
        // In the day but invalid: answered before it was offered.
        let mut bad = call("x3", 30, a, light, 10 * S, Some(60), true);
        bad.answered_ms = Some(bad.offered_ms - S);
        calls.extend([before, after, bad]);
        calls
    }

    fn day() -> Period {
        Period::parse("2025-10-15").unwrap()
    }

    #[test]
    fn a_day_of_calls_every_figure() {
        let calls = day_of_calls();
        let r = compute(&calls, &[], &[], day(), local(2025, 10, 16, 9, 0), &cfg()).unwrap();
        assert_eq!(
            r.excluded,
            Excluded {
                calls: 1,
                callbacks: 0
            }
        );
        assert_eq!(
            (r.start_ms, r.end_ms),
            (local(2025, 10, 15, 0, 0), local(2025, 10, 16, 0, 0))
        );
        let k = &r.overall;
        // Offered 12: answered c1 c2 c3 c6 c7 c8 c10 c12 (8), abandoned c4 c5
        // c9 c11 (4), of which short (< 5 s) c4 (3 s) and c11 (1 s): 2.
        assert_eq!(
            (
                k.calls_offered,
                k.calls_answered,
                k.calls_abandoned,
                k.short_abandons
            ),
            (12, 8, 4, 2)
        );
        // Denominator 12 − 2 = 10.
        check("answer", &k.answer_rate, 8, 10, Some(0.8));
        // ≤ 15 s: c1 10, c2 15, c6 5, c8 0, c10 12 = 5 (c3 16, c7 20, c12 30 not).
        check("within", &k.answered_within, 5, 10, Some(0.5));
        // Abandoned 4 − 2 short = 2 (c5 40 s, c9 5 s).
        check("abandon", &k.abandon_rate, 2, 10, Some(0.2));
        // Waits 10+15+16+5+20+0+12+30 = 108 s over 8 = 13.5 s.
        check("wait", &k.average_wait, 108_000, 8, Some(13.5));
        assert_eq!(k.average_wait.unit, FigureUnit::Seconds);
        // Talk 120+60+180+300+90+30+240+150 = 1170 s over 8 = 146.25 s.
        check("aht", &k.average_handling, 1_170_000, 8, Some(146.25));
        // FCR c1 c3 c6 c8 c10 = 5 of 8.
        check("fcr", &k.first_contact_resolution, 5, 8, Some(0.625));
        // No orders: no value.
        check("sign", &k.on_time_sign, 0, 0, None);
        check("satisfaction", &k.satisfaction, 0, 0, None);

        // hall-a: c1 c2 c3 c7 c10 c12, all answered.
        let a = &r.by_hall["hall-a"];
        check("a answer", &a.answer_rate, 6, 6, Some(1.0));
        check("a within", &a.answered_within, 3, 6, Some(0.5)); // c1 c2 c10
        check("a abandon", &a.abandon_rate, 0, 6, Some(0.0));
        // 10+15+16+20+12+30 = 103 s / 6
        check("a wait", &a.average_wait, 103_000, 6, Some(103.0 / 6.0));
        // 120+60+180+90+240+150 = 840 s / 6 = 140 s
        check("a aht", &a.average_handling, 840_000, 6, Some(140.0));
        check("a fcr", &a.first_contact_resolution, 3, 6, Some(0.5)); // c1 c3 c10
        // hall-b: c4 (short) c5 c6 c9 c11 (short): 5 − 2 = 3.
        let b = &r.by_hall["hall-b"];
        assert_eq!((b.calls_offered, b.short_abandons), (5, 2));
        check("b answer", &b.answer_rate, 1, 3, Some(1.0 / 3.0)); // c6
        check("b within", &b.answered_within, 1, 3, Some(1.0 / 3.0));
        check("b abandon", &b.abandon_rate, 2, 3, Some(2.0 / 3.0)); // c5 c9
        check("b wait", &b.average_wait, 5_000, 1, Some(5.0));
        check("b aht", &b.average_handling, 300_000, 1, Some(300.0));
        check("b fcr", &b.first_contact_resolution, 1, 1, Some(1.0));
        // No hall: c8, answered at once: a wait of 0 is a value, not None.
        let n = &r.by_hall[UNSPECIFIED];
        check("none answer", &n.answer_rate, 1, 1, Some(1.0));
        check("none wait", &n.average_wait, 0, 1, Some(0.0));
        assert_eq!(r.by_hall.len(), 3);

        // streetlight: c1 c2 c5 c8 c9 c12; answered c1 c2 c8 c12.
        let l = &r.by_category["streetlight"];
        check("light answer", &l.answer_rate, 4, 6, Some(4.0 / 6.0));
        check("light within", &l.answered_within, 3, 6, Some(0.5)); // c1 c2 c8
        check("light abandon", &l.abandon_rate, 2, 6, Some(2.0 / 6.0)); // c5 c9
        check("light wait", &l.average_wait, 55_000, 4, Some(13.75)); // 10+15+0+30
        check("light aht", &l.average_handling, 360_000, 4, Some(90.0)); // 120+60+30+150
        check("light fcr", &l.first_contact_resolution, 2, 4, Some(0.5)); // c1 c8
        // pension: c3 c4 (short) c6 c10.
        let p = &r.by_category["pension"];
        check("pension answer", &p.answer_rate, 3, 3, Some(1.0));
        check("pension within", &p.answered_within, 2, 3, Some(2.0 / 3.0)); // c6 c10
        check("pension wait", &p.average_wait, 33_000, 3, Some(11.0)); // 16+5+12
        check("pension aht", &p.average_handling, 720_000, 3, Some(240.0));
        check("pension fcr", &p.first_contact_resolution, 3, 3, Some(1.0));
        // No category: c7 (answered at 20 s), c11 (short).
        let n = &r.by_category[UNSPECIFIED];
        check("none answer", &n.answer_rate, 1, 1, Some(1.0));
        check("none within", &n.answered_within, 0, 1, Some(0.0));
        check("none fcr", &n.first_contact_resolution, 0, 1, Some(0.0));
    }

    #[test]
    fn denominator_options_change_the_figures() {
        let calls = day_of_calls();
        let as_of = local(2025, 10, 16, 9, 0);
        // Short abandons kept: denominators 12, abandoned 4.
        let keep = KpiConfig {
            exclude_short_abandons: false,
            ..cfg()
        };
        let k = compute(&calls, &[], &[], day(), as_of, &keep)
            .unwrap()
            .overall;
        check("answer", &k.answer_rate, 8, 12, Some(8.0 / 12.0));
        check("within", &k.answered_within, 5, 12, Some(5.0 / 12.0));
        check("abandon", &k.abandon_rate, 4, 12, Some(4.0 / 12.0));
        assert_eq!(
            k.answer_rate.definition,
            "人工接通率 = 接通量 / 呼入量 answer rate = answered / offered"
        );
        assert!(
            k.answered_within
                .definition
                .starts_with("15秒接通率 = 15秒内接通量 / 呼入量"),
            "{}",
            k.answered_within.definition
        );
        assert!(
            k.abandon_rate
                .definition
                .starts_with("呼损率 = 放弃量 / 呼入量")
        );
        // 16 s in time: c3 joins (6 of 10).
        let s16 = KpiConfig {
            answer_within_s: 16,
            ..cfg()
        };
        let k = compute(&calls, &[], &[], day(), as_of, &s16)
            .unwrap()
            .overall;
        check("within 16", &k.answered_within, 6, 10, Some(0.6));
        // Short abandons under 4 s: only c4 (3 s) and c11 (1 s) still; under
        // 6 s: c9 (5 s) too, so 12 − 3 = 9 and 1 long abandon (c5).
        let s6 = KpiConfig {
            short_abandon_s: 6,
            ..cfg()
        };
        let k = compute(&calls, &[], &[], day(), as_of, &s6)
            .unwrap()
            .overall;
        assert_eq!(k.short_abandons, 3);
        check("answer s6", &k.answer_rate, 8, 9, Some(8.0 / 9.0));
        check("abandon s6", &k.abandon_rate, 1, 9, Some(1.0 / 9.0));
    }

    #[test]
    fn month_boundary_is_hall_midnight() {
        // 2025-10-31T16:30Z is 2025-11-01 00:30 in the hall: November.
        let at = 1_761_928_200_000;
        assert_eq!(local_time(at), "2025-11-01 00:30");
        let mut c = call("late", 0, Some("hall-a"), None, 10 * S, Some(60), false);
        c.offered_ms = at;
        c.answered_ms = Some(at + 10 * S);
        c.ended_ms = at + 70 * S;
        // And a call at 2025-10-31T15:59:59.999Z, 23:59:59.999 on the 31st.
        let mut d = c.clone();
        d.id = "last".into();
        d.offered_ms = 1_761_926_399_999;
        d.answered_ms = Some(d.offered_ms + 10 * S);
        d.ended_ms = d.offered_ms + 70 * S;
        let calls = [c, d];
        let oct = Period::parse("2025-10").unwrap();
        let nov = Period::parse("2025-11").unwrap();
        assert!(!oct.contains(at) && nov.contains(at));
        assert!(oct.contains(1_761_926_399_999));
        let as_of = local(2025, 12, 1, 0, 0);
        let r = compute(&calls, &[], &[], oct, as_of, &cfg()).unwrap();
        assert_eq!(r.overall.calls_offered, 1);
        assert_eq!(r.end_ms, 1_761_926_400_000);
        let r = compute(&calls, &[], &[], nov, as_of, &cfg()).unwrap();
        assert_eq!(r.overall.calls_offered, 1);
        assert_eq!(r.start_ms, 1_761_926_400_000);
        let r = compute(
            &calls,
            &[],
            &[],
            Period::parse("2025-11-01").unwrap(),
            as_of,
            &cfg(),
        )
        .unwrap();
        assert_eq!(r.overall.calls_offered, 1);
    }

    // ---- work orders -------------------------------------------------------

    fn catalogue() -> Catalogue {
        Catalogue::from_json(
            r#"{
            "units": [
                {"id": "hall-a", "name": "百楼镇便民服务中心", "kind": "hall"},
                {"id": "hall-b", "name": "五四路街道便民服务中心", "kind": "hall"},
                {"id": "dept-housing", "name": "区住建局", "kind": "department"}
            ],
            "entries": {
                "streetlight": {"lead": "hall-a", "level": "hall",
                                "time_limit_working_days": 3, "sign_within_hours": 2},
                "pension": {"lead": "hall-b", "level": "hall",
                            "time_limit_working_days": 3, "sign_within_hours": 2},
                "housing": {"lead": "dept-housing", "assisting": ["hall-a"], "level": "department",
                            "time_limit_working_days": 5, "sign_within_hours": 4}
            }
        }"#,
        )
        .unwrap()
    }

    fn actor(role: Role) -> Actor {
        Actor {
            id: "u1".into(),
            role,
        }
    }

    struct World {
        cat: Catalogue,
        cal: Calendar,
    }

    impl World {
        fn new() -> World {
            World {
                cat: catalogue(),
                cal: Calendar::china(),
            }
        }

        fn order(&self, id: &str, category: &str, at: i64) -> Order {
            let new = NewOrder {
                id: id.into(),
                category: category.into(),
                title: "诉求".into(),
                caller_number: "13812345678".into(),
                confidential: false,
            };
            Order::new(new, &actor(Role::Agent), at, &self.cat).unwrap()
        }

        /// Applies `action` as whoever may do it: the lead unit for unit
        /// actions, a supervisor for approvals, an agent otherwise.
        fn act(&self, o: &mut Order, action: Action, at: i64) -> Result<(), String> {
            let role = match action.kind() {
                ActionKind::Sign
                | ActionKind::Start
                | ActionKind::Reply
                | ActionKind::RequestReturn => Role::Unit(o.lead.clone().unwrap_or_default()),
                ActionKind::Approve | ActionKind::Reject => Role::Supervisor,
                _ => Role::Agent,
            };
            apply(o, &actor(role), action, at, &self.cat, &self.cal)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }

        fn run(&self, o: &mut Order, steps: Vec<(Action, i64)>) {
            for (action, at) in steps {
                let kind = action.kind();
                if let Err(e) = self.act(o, action, at) {
                    panic!("{} {kind}: {e}", o.id);
                }
            }
        }
    }

    fn dispatch() -> Action {
        Action::Dispatch { to: None }
    }

    fn reply() -> Action {
        Action::Reply {
            text: "已处理".into(),
        }
    }

    /// The orders of October 2025 (see `orders_across_national_day`).
    fn october_orders(w: &World) -> Vec<Order> {
        let d = |mo, day, h, mi| local(2025, mo, day, h, mi);
        let mut orders = Vec::new();

        // O1 streetlight → hall-a, dispatched Mon 09-29 10:00: 3 working days
        // 09-30, 10-09, 10-10 (10-01…10-08 off) → due 10-10 17:30; sign due
        // 09-29 12:00 (September). Replied 10-10 17:00: on time.
        let mut o = w.order("GD-1", "streetlight", d(9, 29, 10, 0));
        w.run(
            &mut o,
            vec![
                (dispatch(), d(9, 29, 10, 0)),
                (Action::Sign, d(9, 29, 11, 0)),
                (Action::Start, d(9, 29, 11, 5)),
                (reply(), d(10, 10, 17, 0)),
                (
                    Action::Close {
                        resolution: "回访满意".into(),
                    },
                    d(10, 11, 10, 0),
                ),
            ],
        );
        assert_eq!(local_time(o.due_ms.unwrap()), "2025-10-10 17:30");
        orders.push(o);

        // O2 streetlight → hall-a, dispatched Tue 09-30 16:00: 10-09, 10-10
        // and Saturday 10-11 (make-up working day) → due 10-11 17:30.
        // Replied Mon 10-13 09:00: late.
        let mut o = w.order("GD-2", "streetlight", d(9, 30, 16, 0));
        w.run(
            &mut o,
            vec![
                (dispatch(), d(9, 30, 16, 0)),
                (Action::Sign, d(9, 30, 17, 0)),
                (Action::Start, d(9, 30, 17, 1)),
                (reply(), d(10, 13, 9, 0)),
            ],
        );
        assert_eq!(local_time(o.due_ms.unwrap()), "2025-10-11 17:30");
        orders.push(o);

        // O3 pension → hall-b, received and dispatched on the holiday 10-08
        // 10:00: 10-09, 10-10, 10-11 → due 10-11 17:30; sign due 10-08 12:00
        // (clock hours), signed 10-09 09:00: late. Replied 10-11 10:00: on
        // time.
        let mut o = w.order("GD-3", "pension", d(10, 8, 10, 0));
        w.run(
            &mut o,
            vec![
                (dispatch(), d(10, 8, 10, 0)),
                (Action::Sign, d(10, 9, 9, 0)),
                (Action::Start, d(10, 9, 9, 30)),
                (reply(), d(10, 11, 10, 0)),
            ],
        );
        assert_eq!(local_time(o.due_ms.unwrap()), "2025-10-11 17:30");
        assert_eq!(local_time(o.sign_due_ms.unwrap()), "2025-10-08 12:00");
        orders.push(o);

        // O4 streetlight → hall-a, dispatched Tue 10-28 09:00 → due Fri 10-31
        // 17:30; signed 10:00 (due 11:00): on time; never replied: overdue.
        let mut o = w.order("GD-4", "streetlight", d(10, 28, 9, 0));
        w.run(
            &mut o,
            vec![
                (dispatch(), d(10, 28, 9, 0)),
                (Action::Sign, d(10, 28, 10, 0)),
            ],
        );
        assert_eq!(local_time(o.due_ms.unwrap()), "2025-10-31 17:30");
        orders.push(o);

        // O5 pension → hall-b, dispatched Thu 10-30 09:00 → due 11-04 17:30
        // (November); sign due 10-30 11:00, never signed.
        let mut o = w.order("GD-5", "pension", d(10, 30, 9, 0));
        w.run(&mut o, vec![(dispatch(), d(10, 30, 9, 0))]);
        assert_eq!(local_time(o.due_ms.unwrap()), "2025-11-04 17:30");
        orders.push(o);

        // O6 streetlight: dispatched to hall-a Mon 10-20 09:00, which returns
        // it (approved 11:00); dispatched to hall-b Tue 10-21 09:00 → due Fri
        // 10-24 17:30, signed 09:30 (due 11:00), replied Wed 10-22: on time.
        let mut o = w.order("GD-6", "streetlight", d(10, 20, 9, 0));
        w.run(
            &mut o,
            vec![
                (dispatch(), d(10, 20, 9, 0)),
                (
                    Action::RequestReturn {
                        reason: "不属本镇".into(),
                    },
                    d(10, 20, 10, 0),
                ),
                (Action::Approve, d(10, 20, 11, 0)),
                (
                    Action::Dispatch {
                        to: Some("hall-b".into()),
                    },
                    d(10, 21, 9, 0),
                ),
                (Action::Sign, d(10, 21, 9, 30)),
                (Action::Start, d(10, 21, 9, 31)),
                (reply(), d(10, 22, 15, 0)),
            ],
        );
        assert_eq!(local_time(o.due_ms.unwrap()), "2025-10-24 17:30");
        orders.push(o);

        // O7 pension → hall-b, dispatched 10-15 09:05 then merged into GD-3:
        // no deadline figures, but the dispatch counts.
        let mut o = w.order("GD-7", "pension", d(10, 15, 9, 0));
        w.run(
            &mut o,
            vec![
                (dispatch(), d(10, 15, 9, 5)),
                (
                    Action::Merge {
                        into: "GD-3".into(),
                    },
                    d(10, 15, 10, 0),
                ),
            ],
        );
        orders.push(o);

        // O8 streetlight, received Fri 10-31 20:00, not dispatched: no unit.
        orders.push(w.order("GD-8", "streetlight", d(10, 31, 20, 0)));
        orders
    }

    fn october_callbacks() -> Vec<Callback> {
        let cb = |id: &str, at: i64, reached: bool, score: Option<u8>| Callback {
            order_id: id.into(),
            at_ms: at,
            reached,
            score,
        };
        vec![
            cb("GD-1", local(2025, 10, 11, 9, 0), true, Some(5)),
            cb("GD-2", local(2025, 10, 14, 9, 0), true, Some(2)),
            cb("GD-3", local(2025, 10, 12, 9, 0), false, None),
            cb("GD-3", local(2025, 10, 13, 9, 0), true, Some(3)),
            // A rating of an order not passed in.
            cb("GD-X", local(2025, 10, 15, 9, 0), true, Some(4)),
            // Invalid: score 7; a score from a caller not reached.
            cb("GD-4", local(2025, 10, 16, 9, 0), true, Some(7)),
            cb("GD-4", local(2025, 10, 16, 9, 0), false, Some(5)),
        ]
    }

    #[test]
    fn orders_across_national_day() {
        let w = World::new();
        let orders = october_orders(&w);
        let callbacks = october_callbacks();
        let oct = Period::Month(2025, 10);
        let as_of = local(2025, 11, 10, 9, 0);
        let r = compute(&[], &orders, &callbacks, oct, as_of, &cfg()).unwrap();
        assert_eq!(
            r.excluded,
            Excluded {
                calls: 0,
                callbacks: 2
            }
        );
        let k = &r.overall;
        // Received in October: GD-3 4 5 6 7 8.
        assert_eq!(k.orders_received, 6);
        // Sign due in October and passed: GD-3 (late), GD-4 (on time), GD-5
        // (never signed), GD-6 (on time); GD-1/2 were due in September,
        // GD-7 is merged.
        check("sign", &k.on_time_sign, 2, 4, Some(0.5));
        // Due in October: GD-1 (on time), GD-2 (late, 10-13 > 10-11 17:30),
        // GD-3 (on time), GD-4 (not replied), GD-6 (on time); GD-5 is due
        // in November.
        check("completion", &k.on_time_completion, 3, 5, Some(0.6));
        check("overdue", &k.overdue_rate, 2, 5, Some(0.4));
        // Dispatches in October: GD-3, GD-4, GD-5, GD-6 ×2, GD-7 = 6; one
        // (GD-6's first, to hall-a) ended by an approved return.
        check("return", &k.return_rate, 1, 6, Some(1.0 / 6.0));
        // Replied in October: GD-1 GD-2 GD-3 GD-6; reached after the reply:
        // GD-1, GD-2, GD-3 (the second call).
        check("callback", &k.callback_rate, 3, 4, Some(0.75));
        // Rated in October (valid): 5, 2, 3, 4 → 5, 3, 4 satisfied.
        check("satisfaction", &k.satisfaction, 3, 4, Some(0.75));
        assert_eq!(k.satisfaction.definition, SATISFACTION_BASIC);

        let a = &r.by_hall["hall-a"];
        assert_eq!(a.orders_received, 1); // GD-4
        check("a sign", &a.on_time_sign, 1, 1, Some(1.0)); // GD-4
        check("a completion", &a.on_time_completion, 1, 3, Some(1.0 / 3.0)); // GD-1 of 1, 2, 4
        check("a overdue", &a.overdue_rate, 2, 3, Some(2.0 / 3.0));
        check("a return", &a.return_rate, 1, 2, Some(0.5)); // GD-4, GD-6 (returned)
        check("a callback", &a.callback_rate, 2, 2, Some(1.0)); // GD-1, GD-2
        check("a satisfaction", &a.satisfaction, 1, 2, Some(0.5)); // 5, 2
        let b = &r.by_hall["hall-b"];
        assert_eq!(b.orders_received, 4); // GD-3 5 6 7
        check("b sign", &b.on_time_sign, 1, 3, Some(1.0 / 3.0)); // GD-6 of 3, 5, 6
        check("b completion", &b.on_time_completion, 2, 2, Some(1.0)); // GD-3, GD-6
        check("b overdue", &b.overdue_rate, 0, 2, Some(0.0));
        check("b return", &b.return_rate, 0, 4, Some(0.0)); // GD-3 5 6 7
        check("b callback", &b.callback_rate, 1, 2, Some(0.5)); // GD-3 of 3, 6
        check("b satisfaction", &b.satisfaction, 1, 1, Some(1.0)); // 3
        let n = &r.by_hall[UNSPECIFIED];
        assert_eq!(n.orders_received, 1); // GD-8
        check("none satisfaction", &n.satisfaction, 1, 1, Some(1.0)); // GD-X
        check("none sign", &n.on_time_sign, 0, 0, None);

        let l = &r.by_category["streetlight"];
        assert_eq!(l.orders_received, 3); // GD-4 6 8
        check("light sign", &l.on_time_sign, 2, 2, Some(1.0)); // GD-4, GD-6
        check("light completion", &l.on_time_completion, 2, 4, Some(0.5)); // GD-1 6 of 1 2 4 6
        check("light return", &l.return_rate, 1, 3, Some(1.0 / 3.0)); // GD-4, GD-6 ×2
        check("light callback", &l.callback_rate, 2, 3, Some(2.0 / 3.0)); // GD-1 2 of 1 2 6
        check("light satisfaction", &l.satisfaction, 1, 2, Some(0.5));
        let p = &r.by_category["pension"];
        check("pension sign", &p.on_time_sign, 0, 2, Some(0.0)); // GD-3 late, GD-5 unsigned
        check("pension completion", &p.on_time_completion, 1, 1, Some(1.0)); // GD-3
        check("pension return", &p.return_rate, 0, 3, Some(0.0)); // GD-3 5 7
        check("pension satisfaction", &p.satisfaction, 1, 1, Some(1.0));
        check(
            "none-category satisfaction",
            &r.by_category[UNSPECIFIED].satisfaction,
            1,
            1,
            Some(1.0),
        );

        // 基本满意 not counted: 5 and 4 only → 2 of 4.
        let strict = KpiConfig {
            basic_counts_as_satisfied: false,
            ..cfg()
        };
        let r = compute(&[], &orders, &callbacks, oct, as_of, &strict).unwrap();
        check("strict", &r.overall.satisfaction, 2, 4, Some(0.5));
        assert_eq!(r.overall.satisfaction.definition, SATISFACTION_STRICT);
    }

    #[test]
    fn deadlines_not_yet_passed_are_not_judged() {
        let w = World::new();
        let orders = october_orders(&w);
        let oct = Period::Month(2025, 10);
        // At 10-31 12:00 GD-4 (due 17:30) is not judged yet: 3 of 4.
        let r = compute(&[], &orders, &[], oct, local(2025, 10, 31, 12, 0), &cfg()).unwrap();
        check(
            "completion",
            &r.overall.on_time_completion,
            3,
            4,
            Some(0.75),
        );
        // At the due instant itself it is still on time, so still not judged.
        let r = compute(&[], &orders, &[], oct, local(2025, 10, 31, 17, 30), &cfg()).unwrap();
        check(
            "completion",
            &r.overall.on_time_completion,
            3,
            4,
            Some(0.75),
        );
        let r = compute(&[], &orders, &[], oct, local(2025, 10, 31, 17, 31), &cfg()).unwrap();
        check("completion", &r.overall.on_time_completion, 3, 5, Some(0.6));
        // September: GD-1 and GD-2 were signed on time (due 09-29 12:00 and
        // 09-30 18:00); both dispatched then.
        let r = compute(
            &[],
            &orders,
            &[],
            Period::Month(2025, 9),
            local(2025, 11, 10, 9, 0),
            &cfg(),
        )
        .unwrap();
        check("sep sign", &r.overall.on_time_sign, 2, 2, Some(1.0));
        check("sep return", &r.overall.return_rate, 0, 2, Some(0.0));
        check("sep completion", &r.overall.on_time_completion, 0, 0, None);
    }

    #[test]
    fn empty_period_gives_none_not_nan() {
        let w = World::new();
        let orders = october_orders(&w);
        let calls = day_of_calls();
        let r = compute(
            &calls,
            &orders,
            &october_callbacks(),
            Period::Month(2024, 2),
            local(2025, 11, 10, 9, 0),
            &cfg(),
        )
        .unwrap();
        let k = &r.overall;
        assert_eq!((k.calls_offered, k.orders_received), (0, 0));
        for (name, f) in figures(k) {
            assert_eq!(
                (f.value, f.numerator, f.denominator),
                (None, 0, 0),
                "{name}"
            );
        }
        assert!(r.by_hall.is_empty() && r.by_category.is_empty());
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["period"], "2024-02");
        assert!(json["overall"]["answer_rate"]["value"].is_null());
        assert!(!serde_json::to_string(&r).unwrap().contains("NaN"));
        // 2024 was a leap year: the month ends after the 29th.
        assert_eq!(r.end_ms - r.start_ms, 29 * 86_400_000);
    }

    #[test]
    fn report_serialises_with_definitions() {
        let r = compute(
            &day_of_calls(),
            &[],
            &[],
            day(),
            local(2025, 10, 16, 9, 0),
            &cfg(),
        )
        .unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["period"], "2025-10-15");
        assert_eq!(json["config"]["answer_within_s"], 15);
        let answer = &json["by_hall"]["hall-b"]["answer_rate"];
        assert_eq!(answer["numerator"], 1);
        assert_eq!(answer["denominator"], 3);
        assert_eq!(answer["unit"], "ratio");
        // The configured seconds are printed, never a setting's name.
        assert_eq!(
            answer["definition"],
            "人工接通率 = 接通量 / (呼入量 − 等待不足5秒的放弃量) answer rate = answered / \
             (offered − calls abandoned after less than 5 s)"
        );
        let within = json["overall"]["answered_within"]["definition"]
            .as_str()
            .unwrap();
        assert!(
            within.starts_with("15秒接通率 = 15秒内接通量 / (呼入量 − 等待不足5秒的放弃量)"),
            "{within}"
        );
        assert!(!within.contains("answer_within_s") && !within.contains("short_abandon_s"));
        assert_eq!(json["overall"]["average_wait"]["unit"], "seconds");
        assert_eq!(json["overall"]["average_wait"]["value"], 13.5);
        assert_eq!(json["excluded"]["calls"], 1);
        // Every definition has Chinese and English.
        for (name, f) in figures(&r.overall) {
            assert!(f.definition.contains(" = "), "{name}");
            assert!(
                f.definition.chars().any(|c| c > '\u{2e80}'),
                "{name}: no Chinese"
            );
            assert!(f.definition.contains(" / "), "{name}");
        }
    }

    // ---- periods and configuration -------------------------------------------

    #[test]
    fn periods_parse_and_refuse() {
        assert_eq!(Period::parse("2025-10").unwrap(), Period::Month(2025, 10));
        assert_eq!(
            Period::parse("2025-10-01").unwrap(),
            Period::Day(day_of(2025, 10, 1).unwrap())
        );
        assert_eq!(
            "2024-02-29".parse::<Period>().unwrap().to_string(),
            "2024-02-29"
        );
        assert_eq!(Period::Month(2025, 1).to_string(), "2025-01");
        let cases = [
            (
                "",
                "period \"\": is empty; expected a month YYYY-MM or a day YYYY-MM-DD",
            ),
            ("2025", "is malformed"),
            ("2025-1", "is malformed"),
            ("2025/10", "is malformed"),
            (" 2025-10", "is malformed"),
            ("2025-10-1", "is malformed"),
            ("2025-10-01T00", "is malformed"),
            ("２０２５-10", "is malformed"),
            ("+025-10", "is malformed"),
            ("2025-13", "month 13 does not exist"),
            ("2025-00", "month 00 does not exist"),
            ("0000-01", "year 0000 does not exist"),
            ("2025-02-29", "day 29 does not exist in 2025-02"),
            ("2025-04-31", "day 31 does not exist in 2025-04"),
            ("2025-10-00", "day 00 does not exist in 2025-10"),
        ];
        for (text, want) in cases {
            let err = Period::parse(text).unwrap_err();
            assert!(err.to_string().contains(want), "{text:?}: {err}");
            assert!(matches!(err, KpiError::InvalidPeriod { .. }));
        }
        // JSON goes through the same parser.
        assert_eq!(
            serde_json::from_str::<Period>("\"2025-11\"").unwrap(),
            Period::Month(2025, 11)
        );
        assert!(serde_json::from_str::<Period>("\"2025-13\"").is_err());
        // A hand-built impossible month is refused by compute, not panicking.
        let err = compute(&[], &[], &[], Period::Month(2025, 13), 0, &cfg()).unwrap_err();
        assert!(matches!(err, KpiError::InvalidPeriod { .. }), "{err}");
        assert!(!Period::Month(2025, 13).contains(0));
    }

    #[test]
    fn config_defaults_and_validation() {
        let c = KpiConfig::from_json("{}").unwrap();
        assert_eq!(c, KpiConfig::default());
        assert_eq!(
            (
                c.answer_within_s,
                c.short_abandon_s,
                c.exclude_short_abandons,
                c.basic_counts_as_satisfied
            ),
            (15, 5, true, true)
        );
        let c = KpiConfig::from_json(r#"{"answer_within_s": 20, "exclude_short_abandons": false}"#)
            .unwrap();
        assert_eq!((c.answer_within_s, c.short_abandon_s), (20, 5));
        let cases = [
            (
                r#"{"answer_within_s": 0}"#,
                "answer_within_s: 0 is not 1-600 seconds",
            ),
            (
                r#"{"answer_within_s": 601}"#,
                "answer_within_s: 601 is not 1-600 seconds",
            ),
            (
                r#"{"short_abandon_s": 0}"#,
                "short_abandon_s: 0 is not 1-60 seconds",
            ),
            (
                r#"{"short_abandon_s": 15}"#,
                "short_abandon_s: 15 s must be less than answer_within_s (15 s)",
            ),
            (
                r#"{"short_abandons": 5}"#,
                "invalid KPI configuration: unknown field `short_abandons`",
            ),
            (r#"{"answer_within_s": -1}"#, "invalid KPI configuration"),
        ];
        for (json, want) in cases {
            let err = KpiConfig::from_json(json).unwrap_err();
            assert!(err.to_string().starts_with(want), "{json}: {err}");
        }
        let bad = KpiConfig {
            answer_within_s: 0,
            ..cfg()
        };
        assert!(matches!(
            compute(&[], &[], &[], day(), 0, &bad),
            Err(KpiError::InvalidConfig { .. })
        ));
    }

    #[test]
    fn callbacks_are_checked() {
        let cb = |reached, score| Callback {
            order_id: "GD-1".into(),
            at_ms: 0,
            reached,
            score,
        };
        assert_eq!(cb(true, Some(5)).validate(), Ok(()));
        assert_eq!(cb(false, None).validate(), Ok(()));
        assert_eq!(
            cb(true, Some(0)).validate().unwrap_err().to_string(),
            "callback of order \"GD-1\": score 0 is not 1-5"
        );
        assert_eq!(
            cb(false, Some(4)).validate().unwrap_err().to_string(),
            "callback of order \"GD-1\": a score was recorded but the caller was not reached"
        );
        for c in [
            cb(true, Some(6)),
            cb(false, Some(3)),
            cb(true, Some(1)),
            cb(false, None),
        ] {
            assert_eq!(c.is_valid(), c.validate().is_ok(), "{c:?}");
        }
    }

    // ---- group sums ------------------------------------------------------------

    fn figures(k: &Kpis) -> [(&'static str, &Figure); 12] {
        [
            ("answer_rate", &k.answer_rate),
            ("answered_within", &k.answered_within),
            ("abandon_rate", &k.abandon_rate),
            ("average_wait", &k.average_wait),
            ("average_handling", &k.average_handling),
            ("first_contact_resolution", &k.first_contact_resolution),
            ("on_time_sign", &k.on_time_sign),
            ("on_time_completion", &k.on_time_completion),
            ("overdue_rate", &k.overdue_rate),
            ("return_rate", &k.return_rate),
            ("callback_rate", &k.callback_rate),
            ("satisfaction", &k.satisfaction),
        ]
    }

    /// Knuth's MMIX linear congruential generator.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }

        fn below(&mut self, n: u64) -> i64 {
            (self.next() % n) as i64
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len() as u64) as usize]
        }
    }

    #[test]
    fn randomized_groups_add_up_to_overall() {
        let w = World::new();
        let mut rng = Lcg(20_251_001);
        let base = local(2025, 9, 25, 0, 0);
        let span: i64 = 40 * 86_400_000; // to 11-04
        let halls = [Some("hall-a"), Some("hall-b"), Some("hall-c"), None];
        let categories = [Some("streetlight"), Some("pension"), Some("010203"), None];

        let mut calls = Vec::new();
        for i in 0..3_000 {
            let offered = base + rng.below(span as u64);
            let wait = rng.below(60_000);
            let answered = rng.below(10) < 8;
            let mut c = Call {
                id: format!("c{i}"),
                caller_number: "13812345678".into(),
                seat: answered.then(|| "s1".into()),
                hall: halls[rng.below(4) as usize].map(Into::into),
                category: categories[rng.below(4) as usize].map(Into::into),
                offered_ms: offered,
                answered_ms: answered.then_some(offered + wait),
                ended_ms: offered + wait + if answered { rng.below(600_000) } else { 0 },
                recording: None,
                order_id: None,
                first_contact_resolved: answered && rng.below(2) == 0,
                knowledge_article: None,
            };
            if rng.below(50) == 0 {
                c.ended_ms = offered - 1; // invalid
            }
            calls.push(c);
        }

        let mut orders = Vec::new();
        for i in 0..2_000 {
            let category = w_pick(&mut rng, &["streetlight", "pension", "housing"]);
            let mut at = base + rng.below(span as u64);
            let mut o = w.order(&format!("GD-{i}"), category, at);
            for _ in 0..rng.below(12) {
                // Minutes to hours, or up to three days.
                at += if rng.below(2) == 0 {
                    rng.below(3 * 3_600_000)
                } else {
                    rng.below(3 * 86_400_000)
                };
                let text = || "x".to_string();
                // Mostly the next step of the lifecycle, sometimes anything.
                let natural = match o.state {
                    State::Received => 0,
                    State::Dispatched => 1,
                    State::Signed => 3,
                    State::InProgress => 4,
                    State::Replied => 6,
                    State::Returned => 9,
                    State::Closed | State::Merged => 11,
                };
                let pick = if rng.below(10) < 7 {
                    natural
                } else {
                    rng.below(12)
                };
                let action = match pick {
                    0 => Action::Dispatch {
                        to: match rng.below(3) {
                            0 => None,
                            1 => Some("hall-a".into()),
                            _ => Some("hall-b".into()),
                        },
                    },
                    1 | 2 => Action::Sign,
                    3 => Action::Start,
                    4 | 5 => Action::Reply { text: text() },
                    6 => Action::Close { resolution: text() },
                    7 => Action::RequestReturn { reason: text() },
                    8 => Action::RequestReassign {
                        to: rng.pick(&["hall-a", "hall-b", "dept-housing"]).into(),
                        reason: text(),
                    },
                    9 => Action::Approve,
                    10 => Action::Reject { reason: text() },
                    _ => {
                        if rng.below(4) == 0 {
                            Action::Merge {
                                into: "GD-0".into(),
                            }
                        } else {
                            Action::Reopen { reason: text() }
                        }
                    }
                };
                // Refused actions are simply skipped: a random walk.
                let _ = w.act(&mut o, action, at);
            }
            orders.push(o);
        }
        let kinds: std::collections::BTreeSet<State> = orders.iter().map(|o| o.state).collect();
        assert!(kinds.len() >= 6, "the walk reaches most states: {kinds:?}");

        let mut callbacks = Vec::new();
        let replied: Vec<&Order> = orders.iter().filter(|o| o.replied_ms.is_some()).collect();
        for _ in 0..1_500 {
            let reached = rng.below(4) != 0;
            // Half after a reply, half anything (unknown orders included).
            let (order_id, at_ms) = match replied.get(rng.below(2 * replied.len() as u64) as usize)
            {
                Some(o) => (
                    o.id.clone(),
                    o.replied_ms.unwrap_or(0) + rng.below(5 * 86_400_000),
                ),
                None => (
                    format!("GD-{}", rng.below(2_100)),
                    base + rng.below(span as u64),
                ),
            };
            callbacks.push(Callback {
                order_id,
                at_ms,
                reached,
                score: match rng.below(8) {
                    0 | 1 => None,
                    7 => Some(rng.below(7) as u8), // sometimes 0 or 6: invalid
                    s => Some(s as u8 - 1),
                },
            });
        }

        let as_of = local(2025, 11, 20, 0, 0);
        for period in ["2025-10", "2025-10-09", "2025-09"] {
            let period = Period::parse(period).unwrap();
            for config in [
                cfg(),
                KpiConfig {
                    exclude_short_abandons: false,
                    basic_counts_as_satisfied: false,
                    answer_within_s: 30,
                    short_abandon_s: 10,
                },
            ] {
                let r = compute(&calls, &orders, &callbacks, period, as_of, &config).unwrap();
                let all = figures(&r.overall);
                assert!(
                    period != Period::Month(2025, 10) || all.iter().all(|(_, f)| f.denominator > 0),
                    "{period}: {all:?}"
                );
                for (groups, label) in [(&r.by_hall, "hall"), (&r.by_category, "category")] {
                    for (i, (name, f)) in all.iter().enumerate() {
                        let num: u64 = groups.values().map(|k| figures(k)[i].1.numerator).sum();
                        let den: u64 = groups.values().map(|k| figures(k)[i].1.denominator).sum();
                        assert_eq!(
                            (num, den),
                            (f.numerator, f.denominator),
                            "{period} by {label}: {name}"
                        );
                    }
                    let counts = |k: &Kpis| {
                        [
                            k.calls_offered,
                            k.calls_answered,
                            k.calls_abandoned,
                            k.short_abandons,
                            k.orders_received,
                        ]
                    };
                    let mut sum = [0; 5];
                    for k in groups.values() {
                        for (s, c) in sum.iter_mut().zip(counts(k)) {
                            *s += c;
                        }
                    }
                    assert_eq!(sum, counts(&r.overall), "{period} by {label}: counts");
                }
                // Every value is numerator / denominator, within 0..=1 for ratios.
                for k in std::iter::once(&r.overall).chain(r.by_hall.values()) {
                    for (name, f) in figures(k) {
                        let Some(v) = f.value else {
                            assert_eq!(f.denominator, 0, "{name}");
                            continue;
                        };
                        assert!(v.is_finite(), "{name}");
                        if f.unit == FigureUnit::Ratio {
                            assert!((0.0..=1.0).contains(&v), "{name}: {v}");
                        }
                    }
                }
                let k = &r.overall;
                assert_eq!(k.calls_answered + k.calls_abandoned, k.calls_offered);
                // Answer + abandon rates share the denominator and cover it.
                assert_eq!(
                    k.answer_rate.numerator + k.abandon_rate.numerator,
                    k.answer_rate.denominator
                );
                assert!(r.excluded.calls > 0 && r.excluded.callbacks > 0);
            }
        }
    }

    fn w_pick<'a>(rng: &mut Lcg, items: &[&'a str]) -> &'a str {
        rng.pick(items)
    }

    /// The cost target: a month of a million orders (run with `--ignored
    /// --nocapture`; build with `--release` for a meaningful time).
    #[test]
    #[ignore]
    fn a_million_orders() {
        let w = World::new();
        let orders = october_orders(&w);
        let mut many = Vec::with_capacity(1_000_000);
        for i in 0..1_000_000 {
            let mut o = orders[i % orders.len()].clone();
            o.id = format!("GD-{i}");
            many.push(o);
        }
        let callbacks: Vec<Callback> = (0..300_000)
            .map(|i| Callback {
                order_id: format!("GD-{}", i * 3),
                at_ms: local(2025, 10, 20, 9, 0),
                reached: true,
                score: Some((i % 5 + 1) as u8),
            })
            .collect();
        let started = std::time::Instant::now();
        let r = compute(
            &[],
            &many,
            &callbacks,
            Period::Month(2025, 10),
            local(2025, 11, 10, 0, 0),
            &cfg(),
        )
        .unwrap();
        println!(
            "1,000,000 orders, 300,000 callbacks: {:?}",
            started.elapsed()
        );
        assert_eq!(r.overall.orders_received, 750_000);
    }
}
