//! What the report is drafted from: the figures other modules publish to
//! modules (their `module-read` routes), as typed mirrors of their JSON, and
//! whether each source was there at all. A report keeps these inputs as
//! they were when it was drafted, so editing its paragraphs never changes a
//! figure and an issued report never changes with later data.

use bantong_hall_kit::figure::Figure;
use serde::{Deserialize, Serialize};

/// One source of a report: its data, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Source<T> {
    /// Read from the module, at this version.
    Ready { version: String, data: T },
    /// The module is not installed (or disabled): the section says so.
    Absent,
    /// The module is installed but the read failed: the section says why.
    Failed { error: String },
}

impl<T> Source<T> {
    /// The data, when there is some.
    pub fn data(&self) -> Option<&T> {
        match self {
            Source::Ready { data, .. } => Some(data),
            _ => None,
        }
    }
}

/// The supervision module's month (`GET /scorecard?month=`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub month: String,
    /// How the score is computed, printed under the ranking.
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub overall: Overall,
    #[serde(default)]
    pub categories: Vec<CategoryCount>,
    #[serde(default)]
    pub recurrence_by_item: Vec<ItemRecurrence>,
    /// One row per hall.
    #[serde(default)]
    pub items: Vec<HallRow>,
}

/// The district's figures of the month.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overall {
    pub coverage: Option<Figure>,
    pub problems: Option<Figure>,
    pub completion: Option<Figure>,
    pub on_time: Option<Figure>,
    pub recurrence: Option<Figure>,
    pub callback_rate: Option<Figure>,
    pub verified_on_time: Option<Figure>,
    pub score: Option<Figure>,
    pub satisfaction: Option<Figure>,
    pub survey_index: Option<Figure>,
    /// 好差评 ratings from the halls' keypads and kiosks.
    #[serde(default)]
    pub ratings: u64,
    #[serde(default)]
    pub good_rate: Option<Figure>,
    #[serde(default)]
    pub bad_rate: Option<Figure>,
}

/// Problems found in one category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    pub category: String,
    pub problems: u64,
}

/// How often one checklist item failed again (问题复现频次).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRecurrence {
    pub item: String,
    pub problems: u64,
    pub recurrent: u64,
    pub frequency: Option<Figure>,
}

/// One hall's line of the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HallRow {
    pub hall: String,
    pub hall_name: String,
    pub score: Figure,
    pub rank: Option<u32>,
    pub previous: Figure,
    pub previous_rank: Option<u32>,
    /// Points, this month − last month.
    pub change: Option<f64>,
    /// Places moved up (negative: down).
    pub rank_change: Option<i64>,
    #[serde(default)]
    pub visits: u64,
    #[serde(default)]
    pub covered: bool,
    #[serde(default)]
    pub problems: u64,
    pub satisfaction: Option<Figure>,
    #[serde(default)]
    pub survey_answers: u64,
    /// 好差评 ratings of the month.
    #[serde(default)]
    pub ratings: u64,
    #[serde(default)]
    pub good_rate: Option<Figure>,
    #[serde(default)]
    pub bad_ratings: u64,
    /// 整改完成率 of the problems due in the month.
    #[serde(default)]
    pub completion: Option<Figure>,
}

/// One problem of the 问题清单 (`GET /problems?month=`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub id: String,
    pub hall: String,
    #[serde(default)]
    pub hall_name: String,
    #[serde(default)]
    pub month: String,
    #[serde(default)]
    pub category: String,
    /// The checklist item it failed, e.g. `2.3`.
    #[serde(default)]
    pub item: Option<String>,
    pub title: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub source_zh: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub state_zh: String,
    #[serde(default)]
    pub due_text: String,
    /// The rectification deadline, ms.
    #[serde(default)]
    pub due_ms: i64,
    #[serde(default)]
    pub overdue: bool,
    #[serde(default)]
    pub recurrent: bool,
    #[serde(default)]
    pub issued_ms: i64,
    /// Photos (blob addresses).
    #[serde(default)]
    pub photos: Vec<String>,
}

/// The hotline's month (`GET /kpi?period=`): the district's figures and
/// each lead unit's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HotlineKpis {
    pub overall: Kpis,
    #[serde(default)]
    pub by_hall: std::collections::BTreeMap<String, Kpis>,
}

/// The hotline figures a report prints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Kpis {
    #[serde(default)]
    pub calls_offered: u64,
    #[serde(default)]
    pub calls_answered: u64,
    #[serde(default)]
    pub orders_received: u64,
    pub answer_rate: Option<Figure>,
    pub answered_within: Option<Figure>,
    pub on_time_completion: Option<Figure>,
    pub overdue_rate: Option<Figure>,
    pub callback_rate: Option<Figure>,
    pub satisfaction: Option<Figure>,
}

/// The supervision module's halls now (`GET /live`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SupervisionLive {
    #[serde(default)]
    pub items: Vec<HallLive>,
}

/// One hall's supervision figures now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HallLive {
    pub hall: String,
    #[serde(default)]
    pub open_problems: u64,
    #[serde(default)]
    pub overdue_problems: u64,
    #[serde(default)]
    pub bad_to_verify: u64,
    #[serde(default)]
    pub ratings_today: u64,
    #[serde(default)]
    pub bad_today: u64,
    #[serde(default)]
    pub good_rate_today: Option<Figure>,
}

/// The hotline's units now (`GET /live`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HotlineLive {
    /// Every call today (most are not about a hall).
    #[serde(default)]
    pub calls_today: u64,
    /// Every order still being worked on.
    #[serde(default)]
    pub open_orders: u64,
    #[serde(default)]
    pub items: Vec<UnitLive>,
}

/// One unit's hotline figures now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitLive {
    pub unit: String,
    #[serde(default)]
    pub calls_today: u64,
    #[serde(default)]
    pub open_orders: u64,
    #[serde(default)]
    pub overdue_orders: u64,
}

/// What a module publishes to modules as its month's figures
/// (`GET /figures?month=`): `overall` maps each figure's id to the figure,
/// whose definition starts with its Chinese name (`好评率 = …`). The
/// project operation report prints these for the modules it has no
/// section of its own for (staffing, training, door service).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModuleFigures {
    #[serde(default)]
    pub overall: std::collections::BTreeMap<String, Figure>,
}

/// Everything a month's project operation report is drafted from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationInputs {
    /// `2026-11`.
    pub month: String,
    pub read_ms: i64,
    pub halls: Vec<Hall>,
    pub scorecard: Source<Scorecard>,
    pub hotline: Source<HotlineKpis>,
    /// 人员配置与考勤 (module `hr`).
    pub staffing: Source<ModuleFigures>,
    /// 培训与考试 (module `training`).
    pub training: Source<ModuleFigures>,
    /// 上门办、帮办代办与延时服务 (module `door-service`).
    pub door_service: Source<ModuleFigures>,
}

/// One hall of the district's directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hall {
    pub id: String,
    pub name_zh: String,
}

/// Everything a monthly supervision report is drafted from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyInputs {
    /// `2026-11`.
    pub month: String,
    /// When the inputs were read, ms.
    pub read_ms: i64,
    /// The district's halls, in the directory's order.
    pub halls: Vec<Hall>,
    /// The month's scorecard and figures.
    pub scorecard: Source<Scorecard>,
    /// The problems found in the month.
    pub problems: Source<Vec<Problem>>,
    /// The problems found the month before, as they stand now (上月整改情况).
    pub previous_problems: Source<Vec<Problem>>,
    /// The hotline's figures of the month.
    pub hotline: Source<HotlineKpis>,
}
