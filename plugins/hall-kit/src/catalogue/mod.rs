//! The service catalogue (事项库): the district's list of service items
//! (政务服务事项) — code, name, window category, department, time limits,
//! the materials to bring (一次性告知) and how an item may be handled
//! (告知承诺, 容缺受理, 可上门办, 可自助办).
//!
//! The district keeps one catalogue; the host stores every published
//! version and modules read the current one: the queue's window categories,
//! the kiosk's items and the hotline's service-item answers all come from
//! it, so no module keeps its own list.
//!
//! **Window categories ("5+X").** Every hall has the five mandatory windows
//! ([`FIVE`]: 市场准入, 城乡建设, 卫生健康, 民生保障, 涉军事务); the
//! catalogue adds the district's "X" categories (a consultation window, a
//! window split off for a busy item, …). Each item belongs to one of them.
//!
//! **Rules** ([`Catalogue::problems`]): codes are unique; every item's
//! category exists; the promised limit (承诺时限) does not exceed the
//! statutory one (法定时限); sizes are bounded. The spreadsheet form is in
//! [`sheet`]: importing refuses the whole file when any row is wrong and
//! names each wrong row and column.
//!
//! Pure, no I/O; builds for the host and for `wasm32-wasip2`.

pub mod sheet;
#[cfg(test)]
mod tests;
#[cfg(feature = "workbook")]
pub mod workbook;

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The five mandatory window categories of every hall (id, Chinese name),
/// in their fixed order (ticket prefixes A–E).
pub const FIVE: [(&str, &str); 5] = [
    ("market-access", "市场准入"),
    ("urban-rural-construction", "城乡建设"),
    ("health", "卫生健康"),
    ("livelihood", "民生保障"),
    ("military-affairs", "涉军事务"),
];

/// The most items a catalogue holds.
pub const MAX_ITEMS: usize = 5_000;
/// The most "X" categories.
pub const MAX_EXTRA_CATEGORIES: usize = 20;
/// The most materials an item lists.
pub const MAX_MATERIALS: usize = 50;
/// The longest time limit, in working days.
pub const MAX_WORKING_DAYS: u32 = 365;
/// Longest item name, department, category name and material, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest item code, in bytes (ASCII).
pub const MAX_CODE_LEN: usize = 64;
/// Longest category id, in bytes (ASCII).
pub const MAX_CATEGORY_ID_LEN: usize = 32;

/// An "X" window category the district adds to the five.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// 1-32 of `a-z`, `0-9`, `-`, not one of [`FIVE`], e.g. `consult`.
    pub id: String,
    /// Chinese name, e.g. 综合咨询.
    pub name: String,
}

/// One service item (政务服务事项).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// 事项编码: 1-64 of `A-Z a-z 0-9 - _ .` (the implementing list's code,
    /// GB/T 39554.1).
    pub code: String,
    /// 事项名称.
    pub name: String,
    /// The window category: one of [`FIVE`] or an "X" category's id.
    pub category: String,
    /// 实施部门, the department that decides it.
    pub department: String,
    /// 法定办结时限, working days (0: decided on the spot, 即办).
    pub statutory_days: u32,
    /// 承诺办结时限, working days, at most `statutory_days` unless that is 0.
    pub promised_days: u32,
    /// 申请材料, told all at once (一次性告知).
    #[serde(default)]
    pub materials: Vec<String>,
    /// 告知承诺制: accepted on the applicant's written commitment.
    #[serde(default)]
    pub notify_commit: bool,
    /// 容缺受理: accepted with a minor material missing, supplied later.
    #[serde(default)]
    pub accept_with_gaps: bool,
    /// 可上门办: staff may come to the applicant (上门办).
    #[serde(default)]
    pub door_service: bool,
    /// 可自助办: the self-service kiosk offers it.
    #[serde(default)]
    pub self_service: bool,
}

/// The catalogue: the "X" categories and the items.
///
/// Reading is lenient (fields a later version adds are ignored, so a
/// plugin keeps reading newer catalogues); [`Catalogue::from_json`], used
/// where a person submits one, refuses unknown fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    /// The district's "X" categories, besides [`FIVE`].
    #[serde(default)]
    pub categories: Vec<Category>,
    /// The items, in the order the district keeps them.
    pub items: Vec<Item>,
}

/// One field of an item or category, for problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Code,
    Name,
    Category,
    Department,
    StatutoryDays,
    PromisedDays,
    Materials,
    NotifyCommit,
    AcceptWithGaps,
    DoorService,
    SelfService,
    CategoryId,
    CategoryName,
}

impl Field {
    /// The field as its spreadsheet column is headed.
    pub fn column_zh(self) -> &'static str {
        match self {
            Field::Code => "事项编码",
            Field::Name => "事项名称",
            Field::Category => "窗口类别",
            Field::Department => "实施部门",
            Field::StatutoryDays => "法定时限(工作日)",
            Field::PromisedDays => "承诺时限(工作日)",
            Field::Materials => "申请材料",
            Field::NotifyCommit => "告知承诺",
            Field::AcceptWithGaps => "容缺受理",
            Field::DoorService => "可上门办",
            Field::SelfService => "可自助办",
            Field::CategoryId => "类别代码",
            Field::CategoryName => "类别名称",
        }
    }

    /// The field's JSON name.
    pub fn key(self) -> &'static str {
        match self {
            Field::Code => "code",
            Field::Name => "name",
            Field::Category => "category",
            Field::Department => "department",
            Field::StatutoryDays => "statutory_days",
            Field::PromisedDays => "promised_days",
            Field::Materials => "materials",
            Field::NotifyCommit => "notify_commit",
            Field::AcceptWithGaps => "accept_with_gaps",
            Field::DoorService => "door_service",
            Field::SelfService => "self_service",
            Field::CategoryId => "id",
            Field::CategoryName => "name",
        }
    }
}

/// Where a problem is: an item or an "X" category, by its 0-based index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "list", content = "index")]
pub enum Place {
    Item(usize),
    Category(usize),
    /// The catalogue as a whole (too many items).
    Whole,
}

/// One thing wrong with a catalogue. `message` is Chinese, for the
/// district administrator who keeps the spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub place: Place,
    pub field: Option<Field>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            Place::Item(i) => write!(f, "items[{i}]")?,
            Place::Category(i) => write!(f, "categories[{i}]")?,
            Place::Whole => write!(f, "catalogue")?,
        }
        if let Some(field) = self.field {
            write!(f, ".{}", field.key())?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The first field of a JSON catalogue that this version does not know,
/// as a path (`items[3].self_servce`).
fn unknown_key(value: &serde_json::Value) -> Option<String> {
    const TOP: [&str; 2] = ["categories", "items"];
    const CATEGORY: [&str; 2] = ["id", "name"];
    let obj = value.as_object()?;
    let first_unknown = |o: &serde_json::Map<String, serde_json::Value>, known: &[&str]| {
        o.keys().find(|k| !known.contains(&k.as_str())).cloned()
    };
    if let Some(k) = first_unknown(obj, &TOP) {
        return Some(k);
    }
    let list = |name: &str| {
        obj.get(name)
            .and_then(|v| v.as_array())
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    let item_keys: Vec<&str> = sheet::ITEM_COLUMNS.iter().map(|f| f.key()).collect();
    for (name, known) in [("categories", &CATEGORY[..]), ("items", &item_keys[..])] {
        for (i, v) in list(name).iter().enumerate() {
            if let Some(k) = v.as_object().and_then(|o| first_unknown(o, known)) {
                return Some(format!("{name}[{i}].{k}"));
            }
        }
    }
    None
}

fn valid_code(code: &str) -> bool {
    (1..=MAX_CODE_LEN).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn valid_category_id(id: &str) -> bool {
    (1..=MAX_CATEGORY_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A name of 1 to [`MAX_NAME_CHARS`] characters without control characters
/// or surrounding blanks.
fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=MAX_NAME_CHARS).contains(&n) && name.trim() == name && !name.chars().any(char::is_control)
}

impl Catalogue {
    /// Parses a JSON catalogue a person submitted and checks it: unknown
    /// fields (a misspelt flag) are refused, then [`Catalogue::problems`].
    pub fn from_json(json: &str) -> Result<Catalogue, String> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("invalid catalogue: {e}"))?;
        if let Some(key) = unknown_key(&value) {
            return Err(format!("invalid catalogue: unknown field {key}"));
        }
        let c: Catalogue =
            serde_json::from_value(value).map_err(|e| format!("invalid catalogue: {e}"))?;
        match c.problems().first() {
            Some(p) => Err(p.to_string()),
            None => Ok(c),
        }
    }

    /// Every problem, items first in order, then the categories.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut at = |place, field, message: String| {
            out.push(Problem {
                place,
                field,
                message,
            })
        };
        if self.items.len() > MAX_ITEMS {
            at(
                Place::Whole,
                None,
                format!(
                    "事项不能超过 {MAX_ITEMS} 项（现有 {} 项）",
                    self.items.len()
                ),
            );
        }
        if self.categories.len() > MAX_EXTRA_CATEGORIES {
            at(
                Place::Whole,
                None,
                format!("X 类窗口不能超过 {MAX_EXTRA_CATEGORIES} 个"),
            );
        }
        let mut category_ids: HashSet<&str> = FIVE.iter().map(|(id, _)| *id).collect();
        for (i, c) in self.categories.iter().enumerate() {
            let place = Place::Category(i);
            if !valid_category_id(&c.id) {
                at(
                    place,
                    Some(Field::CategoryId),
                    format!("“{}”不是有效代码：用 1-32 个小写字母、数字或 -", c.id),
                );
            } else if !category_ids.insert(&c.id) {
                let message = if FIVE.iter().any(|(id, _)| *id == c.id) {
                    format!("“{}”是五类必设窗口之一，不必再列", c.id)
                } else {
                    format!("代码“{}”重复", c.id)
                };
                at(place, Some(Field::CategoryId), message);
            }
            if !valid_name(&c.name) {
                at(
                    place,
                    Some(Field::CategoryName),
                    format!("名称应为 1-{MAX_NAME_CHARS} 个字符"),
                );
            }
        }
        let mut codes = HashSet::new();
        for (i, item) in self.items.iter().enumerate() {
            let place = Place::Item(i);
            if !valid_code(&item.code) {
                at(
                    place,
                    Some(Field::Code),
                    format!(
                        "“{}”不是有效编码：用 1-{MAX_CODE_LEN} 个字母、数字、-、_ 或 .",
                        item.code
                    ),
                );
            } else if !codes.insert(item.code.as_str()) {
                at(
                    place,
                    Some(Field::Code),
                    format!("编码“{}”与前面的事项重复", item.code),
                );
            }
            if !valid_name(&item.name) {
                at(
                    place,
                    Some(Field::Name),
                    format!("名称应为 1-{MAX_NAME_CHARS} 个字符"),
                );
            }
            if !category_ids.contains(item.category.as_str()) {
                at(
                    place,
                    Some(Field::Category),
                    format!("没有窗口类别“{}”", item.category),
                );
            }
            if !valid_name(&item.department) {
                at(
                    place,
                    Some(Field::Department),
                    format!("实施部门应为 1-{MAX_NAME_CHARS} 个字符"),
                );
            }
            if item.statutory_days > MAX_WORKING_DAYS {
                at(
                    place,
                    Some(Field::StatutoryDays),
                    format!("不能超过 {MAX_WORKING_DAYS} 个工作日"),
                );
            }
            if item.promised_days > MAX_WORKING_DAYS {
                at(
                    place,
                    Some(Field::PromisedDays),
                    format!("不能超过 {MAX_WORKING_DAYS} 个工作日"),
                );
            } else if item.statutory_days > 0 && item.promised_days > item.statutory_days {
                at(
                    place,
                    Some(Field::PromisedDays),
                    format!(
                        "承诺时限 {} 个工作日超过法定时限 {} 个工作日",
                        item.promised_days, item.statutory_days
                    ),
                );
            }
            if item.materials.len() > MAX_MATERIALS {
                at(
                    place,
                    Some(Field::Materials),
                    format!("申请材料不能超过 {MAX_MATERIALS} 项"),
                );
            } else if let Some(k) = item.materials.iter().position(|m| !valid_name(m)) {
                at(
                    place,
                    Some(Field::Materials),
                    format!("第 {} 项材料应为 1-{MAX_NAME_CHARS} 个字符", k + 1),
                );
            }
        }
        out
    }

    /// The item with this code.
    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }

    /// Every window category, the five first: (id, Chinese name).
    pub fn all_categories(&self) -> impl Iterator<Item = (&str, &str)> {
        FIVE.iter().copied().chain(
            self.categories
                .iter()
                .map(|c| (c.id.as_str(), c.name.as_str())),
        )
    }

    /// The Chinese name of a window category.
    pub fn category_name(&self, id: &str) -> Option<&str> {
        self.all_categories()
            .find(|(c, _)| *c == id)
            .map(|(_, n)| n)
    }

    /// The items of one window category, in catalogue order.
    pub fn items_in<'a>(&'a self, category: &'a str) -> impl Iterator<Item = &'a Item> {
        self.items.iter().filter(move |i| i.category == category)
    }

    /// Counts for a summary line: items, 可自助办, 可上门办, 告知承诺, 容缺受理.
    pub fn counts(&self) -> Counts {
        let n = |f: fn(&Item) -> bool| self.items.iter().filter(|i| f(i)).count();
        Counts {
            items: self.items.len(),
            self_service: n(|i| i.self_service),
            door_service: n(|i| i.door_service),
            notify_commit: n(|i| i.notify_commit),
            accept_with_gaps: n(|i| i.accept_with_gaps),
        }
    }
}

/// How many items a catalogue has, in all and by flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub items: usize,
    pub self_service: usize,
    pub door_service: usize,
    pub notify_commit: usize,
    pub accept_with_gaps: usize,
}
