//! Looking up the district's service catalogue (事项库) while on a call:
//! an agent answering "what do I bring to renew my social security card?"
//! finds the item and tells the caller everything at once (一次性告知) —
//! the materials, the department, the time limit and how it can be done
//! (告知承诺, 容缺受理, 上门办, 自助办). Pure: the glue hands in the
//! catalogue the platform holds.
//!
//! Ranking: an item whose name contains the whole query first, then by
//! how many of the query's terms ([`crate::knowledge::query_terms`]) its
//! name holds (counted twice) and its code, department and materials hold,
//! plus one for each of the query's characters in its name — callers
//! abbreviate (社保卡 for 社会保障卡), so an item whose name holds at least
//! half of the query's characters is found too; ties by catalogue order.

use bantong_hall_kit::catalogue::{Catalogue, Item};
use serde::Serialize;

use crate::knowledge::query_terms;

/// One item found, as the agent reads it out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The item's code (the view's row id).
    pub id: String,
    pub name: String,
    /// The window category's Chinese name.
    pub window: String,
    pub department: String,
    pub statutory_days: u32,
    pub promised_days: u32,
    /// The time limits as spoken: `承诺5个工作日（法定20个工作日）`, `即办`.
    pub time_limit: String,
    /// The materials, numbered, in one line.
    pub materials: String,
    /// How it can be done: `告知承诺、容缺受理、可上门办、可自助办`, or `—`.
    pub ways: String,
}

fn days(n: u32) -> String {
    if n == 0 {
        "即办".to_owned()
    } else {
        format!("{n}个工作日")
    }
}

fn hit(catalogue: &Catalogue, i: &Item) -> Hit {
    let time_limit = if i.promised_days == i.statutory_days || i.statutory_days == 0 {
        days(i.promised_days)
    } else {
        format!(
            "承诺{}（法定{}）",
            days(i.promised_days),
            days(i.statutory_days)
        )
    };
    let materials = if i.materials.is_empty() {
        "无需材料".to_owned()
    } else {
        i.materials
            .iter()
            .enumerate()
            .map(|(k, m)| format!("{}. {m}", k + 1))
            .collect::<Vec<_>>()
            .join("；")
    };
    let ways: Vec<&str> = [
        (i.notify_commit, "告知承诺"),
        (i.accept_with_gaps, "容缺受理"),
        (i.door_service, "可上门办"),
        (i.self_service, "可自助办"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, w)| *w)
    .collect();
    Hit {
        id: i.code.clone(),
        name: i.name.clone(),
        window: catalogue
            .category_name(&i.category)
            .unwrap_or(&i.category)
            .to_owned(),
        department: i.department.clone(),
        statutory_days: i.statutory_days,
        promised_days: i.promised_days,
        time_limit,
        materials,
        ways: if ways.is_empty() {
            "—".to_owned()
        } else {
            ways.join("、")
        },
    }
}

/// The best `limit` items for `query` (every item in order when the query
/// is blank).
pub fn search(catalogue: &Catalogue, query: &str, limit: usize) -> Vec<Hit> {
    let query = query.trim();
    if query.is_empty() {
        return catalogue
            .items
            .iter()
            .take(limit)
            .map(|i| hit(catalogue, i))
            .collect();
    }
    let terms = query_terms(query);
    let mut chars: Vec<char> = query
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation())
        .collect();
    chars.sort_unstable();
    chars.dedup();
    let mut scored: Vec<(u32, usize, &Item)> = catalogue
        .items
        .iter()
        .enumerate()
        .filter_map(|(k, i)| {
            let rest = format!("{} {} {}", i.code, i.department, i.materials.join(" "));
            let mut score: u32 = if i.name.contains(query) || i.code == query {
                100
            } else {
                0
            };
            let mut term_score = 0;
            for t in &terms {
                if i.name.contains(t.as_str()) {
                    term_score += 2;
                }
                if rest.contains(t.as_str()) {
                    term_score += 1;
                }
            }
            let in_name = chars.iter().filter(|c| i.name.contains(**c)).count();
            let abbreviated = in_name * 2 >= chars.len() && in_name > 0;
            score += term_score;
            if abbreviated {
                score += u32::try_from(in_name).unwrap_or(u32::MAX);
            }
            (score > 0 && (term_score > 0 || abbreviated || score >= 100)).then_some((score, k, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(limit)
        .map(|(_, _, i)| hit(catalogue, i))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue::from_json(
            r#"{"items": [
                {"code": "MS-1", "name": "社会保障卡补领", "category": "livelihood", "department": "区人社局",
                 "statutory_days": 20, "promised_days": 5, "materials": ["居民身份证原件", "近期照片"],
                 "accept_with_gaps": true, "self_service": true},
                {"code": "MS-2", "name": "城乡居民养老保险参保登记", "category": "livelihood", "department": "区人社局",
                 "statutory_days": 0, "promised_days": 0},
                {"code": "SC-1", "name": "个体工商户设立登记", "category": "market-access", "department": "区行政审批局",
                 "statutory_days": 15, "promised_days": 1, "materials": ["经营者身份证件"]}
            ]}"#,
        )
        .unwrap()
    }

    #[test]
    fn an_agent_finds_the_item_and_reads_everything_out() {
        let c = catalogue();
        let hits = search(&c, "社保卡补办", 5);
        assert_eq!(hits[0].id, "MS-1", "{hits:?}");
        let h = &hits[0];
        assert_eq!(h.window, "民生保障");
        assert_eq!(h.time_limit, "承诺5个工作日（法定20个工作日）");
        assert_eq!(h.materials, "1. 居民身份证原件；2. 近期照片");
        assert_eq!(h.ways, "容缺受理、可自助办");
        let whole = search(&c, "个体工商户设立登记", 5);
        assert_eq!(whole[0].id, "SC-1");
        assert_eq!(whole[0].time_limit, "承诺1个工作日（法定15个工作日）");
        let on_the_spot = search(&c, "养老保险", 5);
        assert_eq!(on_the_spot[0].time_limit, "即办");
        assert_eq!(on_the_spot[0].ways, "—");
        assert_eq!(on_the_spot[0].materials, "无需材料");
        assert!(search(&c, "不动产", 5).is_empty());
        // Callers abbreviate: 社保卡 is 社会保障卡.
        assert_eq!(search(&c, "社保卡", 5)[0].id, "MS-1");
        assert_eq!(
            search(&c, " ", 2).len(),
            2,
            "a blank query lists the first items"
        );
    }
}
