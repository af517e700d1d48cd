//! Importing questions from a workbook (题库导入).
//!
//! One question per row under a heading row; columns are found by their
//! heading, in any order ([`COLUMNS`]). A row with every cell empty is
//! skipped. Cells:
//!
//! - 题型: 单选题 / 多选题 / 判断题 / 填空题 / 简答题;
//! - 选项A … 选项H: the options of a choice question, in order, without
//!   gaps;
//! - 答案: letters for a choice question (`B`, `ACD`, `A,C,D`); 对/错 (also
//!   正确/错误, √/×, T/F) for 判断题; for 填空题 the blanks in order separated
//!   by `；` or `;`, each with its accepted spellings separated by `|`
//!   (`目录；5|五`); for 简答题 the reference answer;
//! - 分值: whole marks, 1–100;
//! - 知识点: one or more, separated by `、` `，` `,` `；` or `;`;
//! - 难度: 易 / 中 / 难;
//! - 专题, 依据, 生效日期, 失效日期 (`YYYY-MM-DD`), 解析: optional.
//!
//! [`parse`] refuses the whole file when any row is wrong and names every
//! wrong row as Excel numbers it (the heading row being the first) with
//! the column and what is wrong; nothing is stored unless every row is
//! right.

use std::collections::BTreeMap;
use std::fmt;

use bantong_hall_kit::catalogue::sheet::Value;
use serde::{Deserialize, Serialize};

use crate::question::{Difficulty, Draft, Key, Kind, MAX_OPTIONS, Source};

/// The most questions one import may hold.
pub const MAX_ROWS: usize = 5_000;

/// The headings, in the template's order.
pub const COLUMNS: [&str; 20] = [
    "题型",
    "题干",
    "选项A",
    "选项B",
    "选项C",
    "选项D",
    "选项E",
    "选项F",
    "选项G",
    "选项H",
    "答案",
    "分值",
    "知识点",
    "难度",
    "专题",
    "依据",
    "生效日期",
    "失效日期",
    "解析",
    "备注",
];

/// One wrong row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// As Excel numbers it (the heading row is 1); 0 for the file.
    pub row: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "第{}行“{c}”：{}", self.row, self.message),
            None => write!(f, "第{}行：{}", self.row, self.message),
        }
    }
}

/// A cell's text: numbers without a trailing `.0`, booleans as 对/错.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Empty => String::new(),
        Value::Text(t) => t.trim().to_owned(),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "对".to_owned(),
        Value::Bool(false) => "错".to_owned(),
    }
}

fn letters(text: &str, options: usize) -> Result<Vec<u8>, String> {
    let mut out: Vec<u8> = Vec::new();
    for c in text.chars() {
        let c = match c {
            'Ａ'..='Ｚ' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            'ａ'..='ｚ' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        }
        .to_ascii_uppercase();
        match c {
            'A'..='H' => {
                let i = c as u8 - b'A';
                if usize::from(i) >= options {
                    return Err(format!("答案{c}没有对应的选项"));
                }
                if out.contains(&i) {
                    return Err(format!("答案{c}重复"));
                }
                out.push(i);
            }
            ',' | '，' | '、' | ' ' | ';' | '；' => {}
            other => return Err(format!("答案中的“{other}”不是选项字母")),
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn truth(text: &str) -> Option<bool> {
    match text.trim() {
        "对" | "正确" | "√" | "✓" | "T" | "t" | "TRUE" | "true" | "是" | "Y" => Some(true),
        "错" | "错误" | "×" | "✗" | "F" | "f" | "FALSE" | "false" | "否" | "N" => {
            Some(false)
        }
        _ => None,
    }
}

/// A date cell: `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`, or an Excel date
/// number.
fn date(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) if *n > 0.0 && *n < 2_958_466.0 => {
            // Excel's serial day 25569 is 1970-01-01.
            let days = n.floor() as i64 - 25_569;
            Some(civil(days))
        }
        other => {
            let t = cell_text(other).replace(['/', '.'], "-");
            let mut parts = t.split('-');
            let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
            let s = format!("{:0>4}-{:0>2}-{:0>2}", y.trim(), m.trim(), d.trim());
            crate::question::valid_date(&s).then_some(s)
        }
    }
}

/// Days since 1970-01-01 as `YYYY-MM-DD` (Howard Hinnant's algorithm).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Reads the rows of the first sheet (row 0 being the heading) into
/// drafts, or every problem found.
pub fn parse(rows: &[Vec<Value>]) -> Result<Vec<Draft>, Vec<RowProblem>> {
    let Some((head_at, head)) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.iter().any(|c| cell_text(c) == "题干"))
    else {
        return Err(vec![RowProblem {
            row: 0,
            column: None,
            message: "找不到标题行（须有“题型”“题干”“答案”等列）".into(),
        }]);
    };
    let col = |name: &str| head.iter().position(|c| cell_text(c) == name);
    let mut missing: Vec<RowProblem> = ["题型", "题干", "答案", "分值", "知识点", "难度"]
        .iter()
        .filter(|n| col(n).is_none())
        .map(|n| RowProblem {
            row: head_at as u32 + 1,
            column: Some((*n).to_owned()),
            message: "缺少此列".into(),
        })
        .collect();
    if !missing.is_empty() {
        return Err(std::mem::take(&mut missing));
    }
    let body = &rows[head_at + 1..];
    let filled = body
        .iter()
        .filter(|r| r.iter().any(|c| !cell_text(c).is_empty()))
        .count();
    if filled > MAX_ROWS {
        return Err(vec![RowProblem {
            row: 0,
            column: None,
            message: format!("一次最多导入{MAX_ROWS}题，本文件有{filled}题"),
        }]);
    }
    let mut drafts = Vec::new();
    let mut problems = Vec::new();
    for (i, r) in body.iter().enumerate() {
        let row_no = (head_at + 2 + i) as u32;
        if r.iter().all(|c| cell_text(c).is_empty()) {
            continue;
        }
        let get = |name: &str| col(name).and_then(|c| r.get(c)).unwrap_or(&Value::Empty);
        let text = |name: &str| cell_text(get(name));
        let problem = |column: &str, message: String| RowProblem {
            row: row_no,
            column: Some(column.to_owned()),
            message,
        };
        match row(&text, &get) {
            Ok(d) => match d.check() {
                Ok(()) => drafts.push(d),
                Err(e) => {
                    let column = match e.field {
                        "stem" => "题干",
                        "options" => "选项A",
                        "key" => "答案",
                        "marks" => "分值",
                        "knowledge" => "知识点",
                        "source" => "依据",
                        "topic" => "专题",
                        _ => "解析",
                    };
                    problems.push(problem(column, e.message));
                }
            },
            Err((column, message)) => problems.push(problem(column, message)),
        }
    }
    if drafts.is_empty() && problems.is_empty() {
        problems.push(RowProblem {
            row: 0,
            column: None,
            message: "文件中没有题目".into(),
        });
    }
    if problems.is_empty() {
        Ok(drafts)
    } else {
        Err(problems)
    }
}

/// A question from a form's fields, read by the same rules as a row:
/// `kind`, `stem`, `options` (in order), `answer`, `marks`, `knowledge`,
/// `difficulty`, and optionally `topic`, `source`, `valid_from`,
/// `valid_to`, `explanation`. The error names the field's heading.
pub fn from_fields(
    fields: &serde_json::Map<String, serde_json::Value>,
) -> Result<Draft, RowProblem> {
    let heading_of = |h: &str| -> Option<String> {
        let key = match h {
            "题型" => "kind",
            "题干" => "stem",
            "答案" => "answer",
            "分值" => "marks",
            "知识点" => "knowledge",
            "难度" => "difficulty",
            "专题" => "topic",
            "依据" => "source",
            "生效日期" => "valid_from",
            "失效日期" => "valid_to",
            "解析" => "explanation",
            other => {
                let letter = other.strip_prefix("选项")?.chars().next()?;
                let i = (letter as u32).checked_sub('A' as u32)? as usize;
                return fields
                    .get("options")
                    .and_then(|o| o.as_array())
                    .and_then(|o| o.get(i))
                    .map(json_text);
            }
        };
        fields.get(key).map(json_text)
    };
    let cells: BTreeMap<&str, Value> = COLUMNS
        .iter()
        .map(|h| (*h, heading_of(h).map_or(Value::Empty, Value::Text)))
        .collect();
    let text = |name: &str| cells.get(name).map(cell_text).unwrap_or_default();
    let raw = |name: &str| cells.get(name).unwrap_or(&Value::Empty);
    let problem = |column: &str, message: String| RowProblem {
        row: 0,
        column: Some(column.to_owned()),
        message,
    };
    let d = row(&text, &raw).map_err(|(c, m)| problem(c, m))?;
    d.check().map_err(|e| problem(e.field, e.message))?;
    Ok(d)
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            items.iter().map(json_text).collect::<Vec<_>>().join("、")
        }
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

type Cells<'a> = &'a dyn Fn(&str) -> String;
type Raw<'a> = &'a dyn Fn(&str) -> &'a Value;

fn row<'a>(text: Cells<'_>, raw: Raw<'a>) -> Result<Draft, (&'static str, String)> {
    let kind = Kind::parse(&text("题型")).ok_or((
        "题型",
        format!(
            "“{}”不是题型（单选题、多选题、判断题、填空题、简答题）",
            text("题型")
        ),
    ))?;
    let stem = text("题干");
    if stem.is_empty() {
        return Err(("题干", "不能为空".into()));
    }
    let mut options = Vec::new();
    let mut gap = false;
    for letter in "ABCDEFGH".chars().take(MAX_OPTIONS) {
        let o = text(&format!("选项{letter}"));
        if o.is_empty() {
            gap = true;
        } else if gap {
            return Err(("选项A", format!("选项{letter}之前有空缺的选项")));
        } else {
            options.push(o);
        }
    }
    if !kind.has_options() && !options.is_empty() {
        return Err(("选项A", format!("{}不填选项", kind.zh())));
    }
    let answer = text("答案");
    if answer.is_empty() {
        return Err(("答案", "不能为空".into()));
    }
    let key = match kind {
        Kind::Single | Kind::Multiple => Key::Options {
            options: letters(&answer, options.len()).map_err(|m| ("答案", m))?,
        },
        Kind::TrueFalse => Key::Truth {
            truth: truth(&answer).ok_or(("答案", format!("“{answer}”应为“对”或“错”")))?,
        },
        Kind::FillIn => Key::Blanks {
            blanks: answer
                .split(['；', ';'])
                .map(|b| {
                    b.split('|')
                        .map(|a| a.trim().to_owned())
                        .filter(|a| !a.is_empty())
                        .collect()
                })
                .collect(),
        },
        Kind::Short => Key::Reference { text: answer },
    };
    let marks_text = text("分值");
    let marks = marks_text
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=100).contains(m))
        .ok_or(("分值", format!("“{marks_text}”不是1至100的整数")))?;
    let knowledge: Vec<String> = text("知识点")
        .split(['、', '，', ',', '；', ';'])
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    let difficulty = Difficulty::parse(&text("难度"))
        .ok_or(("难度", format!("“{}”应为易、中或难", text("难度"))))?;
    let opt = |name: &str| Some(text(name)).filter(|t| !t.is_empty());
    let dated = |name: &'static str| -> Result<Option<String>, (&'static str, String)> {
        let v = raw(name);
        if cell_text(v).is_empty() {
            return Ok(None);
        }
        date(v)
            .map(Some)
            .ok_or((name, format!("“{}”不是日期（YYYY-MM-DD）", cell_text(v))))
    };
    let valid_from = dated("生效日期")?;
    let valid_to = dated("失效日期")?;
    let source = match opt("依据") {
        Some(title) => Some(Source {
            title,
            valid_from,
            valid_to,
        }),
        None if valid_from.is_some() || valid_to.is_some() => {
            return Err(("依据", "填了生效或失效日期，须写明依据".into()));
        }
        None => None,
    };
    Ok(Draft {
        kind,
        stem,
        options,
        key,
        marks,
        knowledge,
        difficulty,
        topic: opt("专题"),
        source,
        explanation: opt("解析"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        if s.is_empty() {
            Value::Empty
        } else {
            Value::Text(s.to_owned())
        }
    }

    fn sheet(rows: &[&[&str]]) -> Vec<Vec<Value>> {
        let head: Vec<Value> = [
            "题型",
            "题干",
            "选项A",
            "选项B",
            "选项C",
            "选项D",
            "答案",
            "分值",
            "知识点",
            "难度",
            "依据",
            "失效日期",
        ]
        .iter()
        .map(|h| t(h))
        .collect();
        std::iter::once(head)
            .chain(rows.iter().map(|r| r.iter().map(|c| t(c)).collect()))
            .collect()
    }

    #[test]
    fn every_kind_reads_from_its_row() {
        let rows = sheet(&[
            &[
                "单选题",
                "首问负责制要求？",
                "甲",
                "乙",
                "丙",
                "丁",
                "b",
                "2",
                "首问负责",
                "易",
                "",
                "",
            ],
            &[
                "多选题",
                "一次性告知包括？",
                "甲",
                "乙",
                "丙",
                "",
                "A、C",
                "3",
                "一次性告知，告知承诺",
                "中",
                "",
                "",
            ],
            &[
                "判断题",
                "可以让群众多跑一次。",
                "",
                "",
                "",
                "",
                "×",
                "1",
                "服务规范",
                "易",
                "《办法》",
                "2027/6/30",
            ],
            &[],
            &[
                "填空题",
                "实行____清单管理，时限为____个工作日",
                "",
                "",
                "",
                "",
                "目录；5|五",
                "4",
                "清单管理",
                "难",
                "",
                "",
            ],
            &[
                "简答题",
                "简述帮办代办的流程。",
                "",
                "",
                "",
                "",
                "受理、代办、反馈",
                "10",
                "帮办代办",
                "难",
                "",
                "",
            ],
        ]);
        let drafts = parse(&rows).map_err(|p| format!("{p:?}"));
        let Ok(drafts) = drafts else {
            panic!("{drafts:?}");
        };
        assert_eq!(drafts.len(), 5, "the empty row is skipped");
        assert_eq!(drafts[0].key, Key::Options { options: vec![1] });
        assert_eq!(
            drafts[1].key,
            Key::Options {
                options: vec![0, 2]
            }
        );
        assert_eq!(drafts[1].knowledge, vec!["一次性告知", "告知承诺"]);
        assert_eq!(drafts[2].key, Key::Truth { truth: false });
        assert_eq!(
            drafts[2]
                .source
                .as_ref()
                .and_then(|s| s.valid_to.as_deref()),
            Some("2027-06-30")
        );
        assert_eq!(
            drafts[3].key,
            Key::Blanks {
                blanks: vec![vec!["目录".into()], vec!["5".into(), "五".into()]]
            }
        );
        assert_eq!(drafts[4].kind, Kind::Short);
    }

    #[test]
    fn every_wrong_row_is_named_and_nothing_is_read() {
        let rows = sheet(&[
            &[
                "单选题",
                "好题",
                "甲",
                "乙",
                "",
                "",
                "A",
                "2",
                "k",
                "易",
                "",
                "",
            ],
            &[
                "单选题",
                "坏答案",
                "甲",
                "乙",
                "",
                "",
                "C",
                "2",
                "k",
                "易",
                "",
                "",
            ],
            &[
                "问答题",
                "坏题型",
                "",
                "",
                "",
                "",
                "x",
                "2",
                "k",
                "易",
                "",
                "",
            ],
            &[
                "判断题",
                "坏分值",
                "",
                "",
                "",
                "",
                "对",
                "二",
                "k",
                "易",
                "",
                "",
            ],
            &[
                "单选题",
                "空缺选项",
                "甲",
                "",
                "丙",
                "",
                "A",
                "2",
                "k",
                "易",
                "",
                "",
            ],
            &[
                "单选题",
                "两个答案",
                "甲",
                "乙",
                "",
                "",
                "AB",
                "2",
                "k",
                "易",
                "",
                "",
            ],
            &[
                "判断题",
                "坏日期",
                "",
                "",
                "",
                "",
                "对",
                "1",
                "k",
                "易",
                "办法",
                "2027-02-30",
            ],
        ]);
        let problems = parse(&rows).err().unwrap_or_default();
        let named: Vec<(u32, Option<&str>)> = problems
            .iter()
            .map(|p| (p.row, p.column.as_deref()))
            .collect();
        assert_eq!(
            named,
            vec![
                (3, Some("答案")),
                (4, Some("题型")),
                (5, Some("分值")),
                (6, Some("选项A")),
                (7, Some("答案")),
                (8, Some("失效日期")),
            ]
        );
        assert_eq!(problems[0].to_string(), "第3行“答案”：答案C没有对应的选项");
    }

    #[test]
    fn a_sheet_without_its_columns_is_refused_whole() {
        let rows = vec![vec![t("题干"), t("答案")]];
        let problems = parse(&rows).err().unwrap_or_default();
        assert_eq!(problems.len(), 4);
        assert!(problems.iter().all(|p| p.row == 1));
        assert!(parse(&[]).is_err());
        assert_eq!(civil(20_000), "2024-10-04");
        assert_eq!(
            date(&Value::Number(46_203.0)).as_deref(),
            Some("2026-06-30")
        );
    }
}
