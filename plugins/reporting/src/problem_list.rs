//! One hall's 问题清单 for a month: the document the district sends the
//! hall with the problems found, and the 整改反馈表 the hall fills in,
//! stamps and sends back. Pure: the same problems give the same document.

use bantong_hall_kit::document::{Block, Cell, Document};

use crate::month::Month;
use crate::monthly::{day, described};
use crate::sources::{Hall, Problem};

/// The title: `百楼镇行政综合服务中心2026年11月问题清单`.
pub fn title(hall: &Hall, month: Month) -> String {
    format!("{}{}问题清单", hall.name_zh, month.zh())
}

/// Drafts the hall's list; `problems` are the hall's problems of `month`
/// (others are left out).
pub fn document(
    hall: &Hall,
    month: Month,
    problems: &[Problem],
    issuer: &str,
    date: &str,
) -> Document {
    let mut mine: Vec<&Problem> = problems.iter().filter(|p| p.hall == hall.id).collect();
    mine.sort_by(|a, b| (a.issued_ms, &a.id).cmp(&(b.issued_ms, &b.id)));
    let mut doc = Document::new("问题清单");
    doc.subtitle = Some(format!("{}　{}", hall.name_zh, month.zh()));
    doc.issuer = Some(issuer.to_owned());
    doc.date = Some(date.to_owned());

    let recurrent = mine.iter().filter(|p| p.recurrent).count();
    let open = mine.iter().filter(|p| p.state != "closed").count();
    if mine.is_empty() {
        doc.paragraph(format!(
            "{}，区政务服务监督检查工作组对{}开展监督检查，未发现问题。",
            month.zh(),
            hall.name_zh
        ));
        return doc;
    }
    doc.paragraph(format!(
        "{}，区政务服务监督检查工作组对{}开展监督检查，发现问题{}个（其中屡查屡犯{}个），截至制表时尚未销号{}个。请对照清单逐项整改，在整改时限前将整改情况填入整改反馈表，加盖公章后连同佐证材料报区政务服务监督检查工作组。",
        month.zh(),
        hall.name_zh,
        mine.len(),
        recurrent,
        open
    ));
    let rows = mine
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                Cell::Number((i + 1) as f64),
                Cell::Text(p.category.clone()),
                Cell::Text(described(p)),
                Cell::Text(p.item.clone().unwrap_or_else(|| "—".into())),
                Cell::Text(p.source_zh.clone()),
                Cell::Text(day(p.due_ms)),
                Cell::Text(p.state_zh.clone()),
                Cell::Text(if p.recurrent { "是" } else { "" }.to_owned()),
            ]
        })
        .collect();
    doc.table(
        Some("问题清单"),
        &[
            "序号",
            "类别",
            "问题描述",
            "检查项",
            "来源",
            "整改时限",
            "状态",
            "屡查屡犯",
        ],
        rows,
    );
    doc.blocks.push(Block::PageBreak);
    doc.heading(1, "整改反馈表");
    let rows = mine
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                Cell::Number((i + 1) as f64),
                Cell::Text(p.title.clone()),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ]
        })
        .collect();
    doc.table(
        Some("整改反馈表"),
        &[
            "序号",
            "问题",
            "整改措施",
            "完成时间",
            "责任人",
            "佐证材料",
            "复查结论",
        ],
        rows,
    );
    doc.paragraph("服务中心（盖章）：　　　　　　　负责人（签字）：　　　　　　　日期：");
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monthly::texts;

    fn problem(id: &str, hall: &str, issued: i64, recurrent: bool, state: &str) -> Problem {
        Problem {
            id: id.into(),
            hall: hall.into(),
            hall_name: format!("{hall}中心"),
            month: "2026-11".into(),
            category: "服务效能".into(),
            item: Some("4.2".into()),
            title: format!("问题{id}"),
            detail: String::new(),
            source_zh: "暗访".into(),
            state: state.into(),
            state_zh: if state == "closed" {
                "已销号"
            } else {
                "整改中"
            }
            .into(),
            recurrent,
            issued_ms: issued,
            ..Problem::default()
        }
    }

    #[test]
    fn a_hall_gets_its_own_problems_with_a_feedback_form() {
        let hall = Hall {
            id: "bailou".into(),
            name_zh: "百楼镇行政综合服务中心".into(),
        };
        let month = Month::new(2026, 11).unwrap();
        let list = vec![
            problem("p2", "bailou", 20, true, "rectifying"),
            problem("p1", "bailou", 10, false, "closed"),
            problem("x1", "wuyao", 5, false, "rectifying"),
        ];
        assert_eq!(
            title(&hall, month),
            "百楼镇行政综合服务中心2026年11月问题清单"
        );
        let doc = document(&hall, month, &list, "区政务服务管理局", "2026年12月1日");
        doc.check().unwrap();
        let t = texts(&doc);
        assert!(
            t.contains("发现问题2个（其中屡查屡犯1个），截至制表时尚未销号1个"),
            "{t}"
        );
        assert!(
            t.contains("问题清单|1,服务效能,问题p1,4.2,暗访,—,已销号,;2,服务效能,问题p2,4.2,暗访,—,整改中,是"),
            "{t}"
        );
        assert!(t.contains("整改反馈表|1,问题p1,,,,,;2,问题p2,,,,,"), "{t}");
        assert!(!t.contains("x1"), "another hall's problem: {t}");
        let none = texts(&document(&hall, month, &[], "x", "y"));
        assert!(none.contains("未发现问题"), "{none}");
    }
}
