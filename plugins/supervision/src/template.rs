//! Checklist templates (检查表): categories of items, each item with how it
//! is checked (暗访 / 视频 / 资料 / 问卷), whether a failure needs evidence,
//! and its weight or deduction. The district keeps templates in numbered
//! versions; an inspection keeps the version it started with.
//!
//! The default is the supervision plan's 附件2 (监督促效实施方案, 一、监督体系):
//! its nine categories and 22 items exactly, with their wording. The plan
//! gives no points, so the default scores by equal weights and says so in
//! its rule; a district that wants deductions (扣分制) sets them per item.
//!
//! Two ways to score a visit, both printed with every score:
//! - **weighted** (加权): score = full score × Σ weight of 合格 items / Σ
//!   weight of applicable items (不适用 items are left out);
//! - **deduction** (扣分): score = full score − Σ per item min(deduction ×
//!   occurrences, the item's cap), never below 0.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// How an item is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// 暗访: a mystery visit (simulated or accompanied citizen).
    Undercover,
    /// 视频: review of the hall's cameras.
    Video,
    /// 资料: checking records and documents.
    Records,
    /// 问卷: a questionnaire of citizens.
    Survey,
}

impl Method {
    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Method::Undercover => "暗访",
            Method::Video => "视频",
            Method::Records => "资料",
            Method::Survey => "问卷",
        }
    }
}

/// How a visit is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    /// Weights of the items passed over weights of the applicable items.
    #[default]
    Weighted,
    /// The full score less each failed item's deductions.
    Deduction,
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Code within the template, `<category>.<n>`, e.g. `1.6`.
    pub code: String,
    /// Short title, e.g. 按时在岗.
    pub title: String,
    /// What is required, as the plan words it.
    pub requirement: String,
    /// How it is checked (at least one).
    pub methods: Vec<Method>,
    /// Whether a 不合格 answer needs a photo or scan as evidence.
    #[serde(default)]
    pub evidence_required: bool,
    /// The clause of a standard it rests on, e.g. a GB/T 36112-2018 section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
    /// Weight when scoring by weights (1-100).
    #[serde(default = "one")]
    pub weight: u32,
    /// Points deducted per occurrence when scoring by deductions.
    #[serde(default)]
    pub deduction: f64,
    /// Most points this item can deduct in one visit (none: no cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_deduction: Option<f64>,
}

fn one() -> u32 {
    1
}

/// A category of items, e.g. 人员管理.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Code, e.g. `1`.
    pub code: String,
    /// Name, e.g. 人员管理.
    pub name: String,
    /// Its items.
    pub items: Vec<Item>,
}

/// A checklist template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Name, e.g. 乡镇（街道）行政综合服务中心监督检查表.
    pub name: String,
    /// How a visit is scored.
    #[serde(default)]
    pub scoring: Scoring,
    /// The full score (100 unless the district says otherwise).
    #[serde(default = "hundred")]
    pub full_score: u32,
    /// Where the weights or deductions come from, printed with every score.
    #[serde(default)]
    pub basis: String,
    /// The categories in order.
    pub categories: Vec<Category>,
}

fn hundred() -> u32 {
    100
}

/// Why a template was refused; `path` names the field
/// (`categories[2].items[0].weight`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Where the problem is.
    pub path: String,
    /// What is wrong, in Chinese.
    pub message_zh: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message_zh)
    }
}

impl std::error::Error for TemplateError {}

/// Most categories, items per category and characters per text field.
pub const MAX_CATEGORIES: usize = 30;
/// Most items in one category.
pub const MAX_ITEMS: usize = 60;
const MAX_TEXT: usize = 500;

impl Template {
    /// Every item with its category, in order.
    pub fn items(&self) -> impl Iterator<Item = (&Category, &Item)> {
        self.categories
            .iter()
            .flat_map(|c| c.items.iter().map(move |i| (c, i)))
    }

    /// The item with this code.
    pub fn item(&self, code: &str) -> Option<(&Category, &Item)> {
        self.items().find(|(_, i)| i.code == code)
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.categories.iter().map(|c| c.items.len()).sum()
    }

    /// Whether the template has no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The scoring rule in Chinese, printed with every score.
    pub fn rule_zh(&self) -> String {
        let basis = if self.basis.trim().is_empty() {
            String::new()
        } else {
            format!("（{}）", self.basis.trim())
        };
        match self.scoring {
            Scoring::Weighted => format!(
                "得分 = {} × 合格项权重之和 ÷ 适用项权重之和，不适用项不计{basis}",
                self.full_score
            ),
            Scoring::Deduction => format!(
                "得分 = {} − 各不合格项扣分之和（每发现一次扣该项分值，单项不超过其上限），最低 0 分{basis}",
                self.full_score
            ),
        }
    }

    /// Checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<(), TemplateError> {
        let err = |path: String, zh: &str| {
            Err(TemplateError {
                path,
                message_zh: zh.to_owned(),
            })
        };
        let text_ok = |s: &str| !s.trim().is_empty() && s.chars().count() <= MAX_TEXT;
        if !text_ok(&self.name) {
            return err("name".into(), "模板名称不能为空，且不超过500字");
        }
        if self.basis.chars().count() > MAX_TEXT {
            return err("basis".into(), "分值依据不超过500字");
        }
        if !(1..=1000).contains(&self.full_score) {
            return err("full_score".into(), "满分应在 1 到 1000 之间");
        }
        if self.categories.is_empty() || self.categories.len() > MAX_CATEGORIES {
            return err("categories".into(), "检查类别应有 1 到 30 个");
        }
        let mut codes = BTreeSet::new();
        let mut category_codes = BTreeSet::new();
        for (ci, c) in self.categories.iter().enumerate() {
            let at = format!("categories[{ci}]");
            if !is_code(&c.code) || !category_codes.insert(c.code.as_str()) {
                return err(format!("{at}.code"), "类别编号应为数字且不重复");
            }
            if !text_ok(&c.name) {
                return err(format!("{at}.name"), "类别名称不能为空");
            }
            if c.items.is_empty() || c.items.len() > MAX_ITEMS {
                return err(format!("{at}.items"), "每个类别应有 1 到 60 个检查项");
            }
            for (ii, item) in c.items.iter().enumerate() {
                let at = format!("{at}.items[{ii}]");
                let prefix_ok = item
                    .code
                    .strip_prefix(c.code.as_str())
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(is_code);
                if !prefix_ok {
                    return err(
                        format!("{at}.code"),
                        "检查项编号应为“类别编号.序号”，如 1.6",
                    );
                }
                if !codes.insert(item.code.as_str()) {
                    return err(format!("{at}.code"), "检查项编号重复");
                }
                if !text_ok(&item.title) || !text_ok(&item.requirement) {
                    return err(
                        format!("{at}.title"),
                        "检查项名称和要求不能为空，且不超过500字",
                    );
                }
                if item.methods.is_empty() {
                    return err(format!("{at}.methods"), "至少要有一种检查方式");
                }
                if item.clause.as_deref().is_some_and(|c| !text_ok(c)) {
                    return err(format!("{at}.clause"), "标准条款不能为空白，且不超过500字");
                }
                if !(1..=100).contains(&item.weight) {
                    return err(format!("{at}.weight"), "权重应在 1 到 100 之间");
                }
                if !points_ok(item.deduction, self.full_score) {
                    return err(
                        format!("{at}.deduction"),
                        "扣分应在 0 到满分之间，最多两位小数",
                    );
                }
                if let Some(cap) = item.max_deduction
                    && (!points_ok(cap, self.full_score) || cap < item.deduction)
                {
                    return err(
                        format!("{at}.max_deduction"),
                        "单项扣分上限应不小于每次扣分，且不超过满分",
                    );
                }
            }
        }
        if self.scoring == Scoring::Deduction && self.items().all(|(_, i)| i.deduction == 0.0) {
            return err("scoring".into(), "扣分制下至少要有一项设置扣分");
        }
        Ok(())
    }
}

fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0')
}

fn points_ok(p: f64, full: u32) -> bool {
    p.is_finite()
        && (0.0..=f64::from(full)).contains(&p)
        && ((p * 100.0).round() - p * 100.0).abs() < 1e-6
}

/// Points as hundredths (0.5 → 50); the template's check keeps two decimals.
pub fn centipoints(p: f64) -> u64 {
    if p.is_finite() && p > 0.0 {
        (p * 100.0).round() as u64
    } else {
        0
    }
}

/// 附件2 gives no points: the basis the default template prints.
pub const DEFAULT_BASIS: &str =
    "监督促效实施方案附件2未规定分值，默认各检查项权重均为1，区行政审批局可在检查表中调整";

/// The default template: 附件2's nine categories and 22 items, as worded in
/// the plan, scored by equal weights.
pub fn default_template() -> Template {
    use Method::{Records as R, Survey as Q, Undercover as A, Video as V};
    let gb = |section: &str| {
        Some(format!(
            "GB/T 36112-2018《政务服务中心服务现场管理规范》{section}"
        ))
    };
    let item = |code: &str,
                title: &str,
                requirement: &str,
                methods: &[Method],
                evidence: bool,
                clause: Option<String>| Item {
        code: code.to_owned(),
        title: title.to_owned(),
        requirement: requirement.to_owned(),
        methods: methods.to_vec(),
        evidence_required: evidence,
        clause,
        weight: 1,
        deduction: 0.0,
        max_deduction: None,
    };
    let category = |code: &str, name: &str, items: Vec<Item>| Category {
        code: code.to_owned(),
        name: name.to_owned(),
        items,
    };
    Template {
        name: "乡镇（街道）行政综合服务中心监督检查表".to_owned(),
        scoring: Scoring::Weighted,
        full_score: 100,
        basis: DEFAULT_BASIS.to_owned(),
        categories: vec![
            category(
                "1",
                "人员管理",
                vec![
                    item(
                        "1.1",
                        "三姿仪表",
                        "工作时间内仪容整洁、端庄得体。",
                        &[A, V],
                        true,
                        gb("人员服务管理·仪容仪表"),
                    ),
                    item(
                        "1.2",
                        "规范着装",
                        "按规定着统一工装，黑色皮鞋，符合政务服务形象。",
                        &[A, V],
                        true,
                        gb("人员服务管理·仪容仪表"),
                    ),
                    item(
                        "1.3",
                        "无关行为",
                        "工作时间不得利用电脑、手机等通讯设备从事与工作无关的活动。",
                        &[A, V],
                        true,
                        gb("人员服务管理·举止行为"),
                    ),
                    item(
                        "1.4",
                        "服务态度",
                        "接待服务对象时服务礼仪、服务态度、服务用语的规范化使用。",
                        &[A],
                        false,
                        gb("人员服务管理·服务用语"),
                    ),
                    item(
                        "1.5",
                        "亮牌上岗",
                        "工作人员要佩戴工作牌、摆放桌牌、设立去向牌。",
                        &[A, V],
                        true,
                        gb("人员服务管理"),
                    ),
                    item(
                        "1.6",
                        "按时在岗",
                        "工作人员不得无故缺岗迟到早退。工作时间内，窗口工作人员离岗须暂离窗口需提示告知服务对象，须有人替岗，不得空岗。",
                        &[A, V],
                        true,
                        gb("人员服务管理"),
                    ),
                ],
            ),
            category(
                "2",
                "现场管理",
                vec![
                    item(
                        "2.1",
                        "环境管理",
                        "随时保持办公环境和窗口干净整洁、办公用品摆放整齐，不得出现在办公场所随意摆放个人物品（水杯、手机、加湿器、空气净化器除外）等现象。",
                        &[A, V],
                        true,
                        gb("物品管理"),
                    ),
                    item(
                        "2.2",
                        "设备管理",
                        "工作时间办公设备正常开启，当出现故障时，及时联系维护单位并张贴故障提示（如取号机、评价器等）。下班后应关闭工作电脑、互动双屏及其他相关设备，将印章等重要物品入柜。",
                        &[A, V],
                        true,
                        gb("设施设备管理"),
                    ),
                ],
            ),
            category(
                "3",
                "便民服务",
                vec![
                    item(
                        "3.1",
                        "人员服务",
                        "包括提供引导办事服务（人工导办）、协助填表服务、延时服务、代办服务、邮寄服务。",
                        &[A],
                        false,
                        None,
                    ),
                    item(
                        "3.2",
                        "设施配置",
                        "是否提供自助饮水机、急救医疗用品、老花镜、免费打印等便民设施的情况。",
                        &[A],
                        true,
                        gb("设施设备管理"),
                    ),
                ],
            ),
            category(
                "4",
                "服务效能",
                vec![
                    item(
                        "4.1",
                        "工作规范",
                        "主要是指工作人员的首问负责、一次性告知、受理规范、评价规范、限时办理、离席告知和依序办理等。",
                        &[A, R],
                        false,
                        None,
                    ),
                    item(
                        "4.2",
                        "政策掌握",
                        "主要是指各岗位工作人员策解读口径、是否所需材料与政策不一致、存在偏差误导、不了解政策。",
                        &[A],
                        false,
                        None,
                    ),
                ],
            ),
            category(
                "5",
                "大厅建设",
                vec![
                    item(
                        "5.1",
                        "功能区划分",
                        "包括窗口服务区、爱婴专区、休息等候区及其他功能区。",
                        &[A],
                        true,
                        gb("空间管理"),
                    ),
                    item(
                        "5.2",
                        "标志标识设置",
                        "包括导向标识、安全标识、消防、无障碍、应急和位置等标识。",
                        &[A],
                        true,
                        gb("空间管理"),
                    ),
                    item(
                        "5.3",
                        "制度上墙",
                        "基本工作制度和行业服务规范进行公开展示。包括管理制度、监督考核制度、服务运行机制等。",
                        &[A, R],
                        true,
                        gb("监督考核"),
                    ),
                ],
            ),
            category(
                "6",
                "评价投诉渠道",
                vec![
                    item(
                        "6.1",
                        "评价渠道完备性",
                        "如现场评价（评价器、二维码、意见箱），一体机评价，“好差评”覆盖情况等。",
                        &[A],
                        true,
                        None,
                    ),
                    item(
                        "6.2",
                        "投诉渠道设置",
                        "大厅投诉渠道的设置，如投诉电话公示、投诉意见箱等。",
                        &[A],
                        true,
                        None,
                    ),
                ],
            ),
            category(
                "7",
                "秩序管理",
                vec![
                    item(
                        "7.1",
                        "叫号服务",
                        "如智能取号、呼叫显示、有序叫号、过号处置等。",
                        &[A, V],
                        false,
                        gb("秩序管理"),
                    ),
                    item(
                        "7.2",
                        "一米线",
                        "在窗口服务区、咨询服务区设置一米线。",
                        &[A, V],
                        true,
                        gb("秩序管理"),
                    ),
                ],
            ),
            category(
                "8",
                "一窗通办",
                vec![
                    item("8.1", "窗口设置", "设置“综合受理”窗口。", &[A], true, None),
                    item(
                        "8.2",
                        "应进必进",
                        "按照“应进必进”的原则，除有场地限制或其他特殊要求的事项外未进驻大厅的事项。",
                        &[R],
                        false,
                        None,
                    ),
                ],
            ),
            category(
                "9",
                "问卷调查",
                vec![item(
                    "9.1",
                    "问卷调查",
                    "对办事的企业和群众开展问卷调查。",
                    &[Q],
                    false,
                    None,
                )],
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_attachment_2_exactly() {
        let t = default_template();
        t.validate().unwrap();
        let names: Vec<&str> = t.categories.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "人员管理",
                "现场管理",
                "便民服务",
                "服务效能",
                "大厅建设",
                "评价投诉渠道",
                "秩序管理",
                "一窗通办",
                "问卷调查"
            ]
        );
        let per: Vec<usize> = t.categories.iter().map(|c| c.items.len()).collect();
        assert_eq!(per, [6, 2, 2, 2, 3, 2, 2, 2, 1]);
        assert_eq!(t.len(), 22);
        assert_eq!(
            t.item("1.6")
                .map(|(c, i)| (c.name.as_str(), i.title.as_str())),
            Some(("人员管理", "按时在岗"))
        );
        assert!(
            t.rule_zh().contains("未规定分值"),
            "the default says the plan gives no points: {}",
            t.rule_zh()
        );
    }

    #[test]
    fn refuses_what_cannot_be_scored_or_read() {
        let mut t = default_template();
        t.categories[1].items[0].code = "1.1".into();
        assert_eq!(
            t.validate().unwrap_err().path,
            "categories[1].items[0].code"
        );

        let mut t = default_template();
        t.categories[0].items[2].weight = 0;
        assert_eq!(
            t.validate().unwrap_err().path,
            "categories[0].items[2].weight"
        );

        let mut t = default_template();
        t.categories[0].items[0].max_deduction = Some(0.5);
        t.categories[0].items[0].deduction = 1.0;
        assert_eq!(
            t.validate().unwrap_err().path,
            "categories[0].items[0].max_deduction"
        );

        let mut t = default_template();
        t.categories[0].items[0].deduction = 0.333;
        assert_eq!(
            t.validate().unwrap_err().path,
            "categories[0].items[0].deduction"
        );

        let mut t = default_template();
        t.scoring = Scoring::Deduction;
        assert_eq!(t.validate().unwrap_err().path, "scoring");

        let mut t = default_template();
        t.categories[8].items[0].methods.clear();
        assert_eq!(
            t.validate().unwrap_err().path,
            "categories[8].items[0].methods"
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut v = serde_json::to_value(default_template()).unwrap();
        v["categories"][0]["items"][0]["points"] = serde_json::json!(3);
        assert!(serde_json::from_value::<Template>(v).is_err());
    }
}
