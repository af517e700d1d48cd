//! One inspection (检查): a visit to a hall, or a camera review or a
//! records check, answered item by item against the template version it
//! started with. Answers are saved as they are given (partial save); the
//! inspector signs it off once every item is answered, after which it
//! never changes. Each 不合格 answer becomes one problem on the hall's
//! 问题清单.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::template::{Scoring, Template, centipoints};

/// An answer to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// 合格.
    Pass,
    /// 不合格.
    Fail,
    /// 不适用: left out of the score.
    NotApplicable,
}

impl Verdict {
    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Verdict::Pass => "合格",
            Verdict::Fail => "不合格",
            Verdict::NotApplicable => "不适用",
        }
    }
}

/// What kind of inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 月覆盖: the monthly visit every hall gets.
    #[default]
    Routine,
    /// 专项检查: a campaign on one subject.
    Special,
    /// 临时检查: an unscheduled visit.
    Adhoc,
}

impl Kind {
    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Kind::Routine => "月覆盖检查",
            Kind::Special => "专项检查",
            Kind::Adhoc => "临时检查",
        }
    }
}

/// A photo or scan kept as evidence, stored as a blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// SHA-256 of the blob.
    pub sha256: String,
    /// Media type (`image/jpeg`, `image/png` or `application/pdf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// When it was taken (device clock, ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_ms: Option<i64>,
    /// Where: a description of the place (e.g. 3号窗口).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// Latitude (WGS-84), if the phone gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude (WGS-84), if the phone gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
}

/// The answer to one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// 合格 / 不合格 / 不适用.
    pub verdict: Verdict,
    /// How many times the failure was seen (at least 1 for 不合格, 0 otherwise).
    #[serde(default)]
    pub occurrences: u32,
    /// What was seen.
    #[serde(default)]
    pub note: String,
    /// Photos or scans.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

/// Most evidence files per answer, characters per note, occurrences.
pub const MAX_EVIDENCE: usize = 12;
const MAX_NOTE: usize = 1000;
const MAX_OCCURRENCES: u32 = 99;

/// A refused answer or sign-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InspectionError {
    /// The template has no such item.
    UnknownItem { code: String },
    /// 不合格 needs at least one occurrence; other answers have none.
    Occurrences { code: String },
    /// Too long a note or too many files.
    TooLarge { code: String, what: &'static str },
    /// An evidence entry that is not a blob address or has bad coordinates.
    BadEvidence { code: String },
    /// A failure of an item that needs evidence, signed without any.
    EvidenceMissing { code: String },
    /// Sign-off with items still unanswered.
    Unanswered { codes: Vec<String> },
}

impl InspectionError {
    /// The message in Chinese, then English.
    pub fn message(&self) -> String {
        match self {
            InspectionError::UnknownItem { code } => {
                format!("检查表中没有检查项 {code} / the template has no item {code}")
            }
            InspectionError::Occurrences { code } => format!(
                "检查项 {code}：不合格须填写发现次数(1-99)，合格或不适用不填 / item {code}: a failure needs 1-99 occurrences, other answers none"
            ),
            InspectionError::TooLarge { code, what } => {
                format!("检查项 {code}：{what}超出限制 / item {code}: {what} too large")
            }
            InspectionError::BadEvidence { code } => format!(
                "检查项 {code}：佐证材料无效 / item {code}: evidence must be a stored file (SHA-256) with valid coordinates"
            ),
            InspectionError::EvidenceMissing { code } => {
                format!("检查项 {code} 不合格须附照片佐证 / item {code} failed and needs a photo")
            }
            InspectionError::Unanswered { codes } => format!(
                "尚有 {} 个检查项未填写：{} / {} items unanswered",
                codes.len(),
                codes.join("、"),
                codes.len()
            ),
        }
    }
}

impl fmt::Display for InspectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for InspectionError {}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Checks one answer against the template.
pub fn check_answer(
    template: &Template,
    code: &str,
    answer: &Answer,
) -> Result<(), InspectionError> {
    let err_code = || code.to_owned();
    if template.item(code).is_none() {
        return Err(InspectionError::UnknownItem { code: err_code() });
    }
    let occurrences_ok = match answer.verdict {
        Verdict::Fail => (1..=MAX_OCCURRENCES).contains(&answer.occurrences),
        Verdict::Pass | Verdict::NotApplicable => answer.occurrences == 0,
    };
    if !occurrences_ok {
        return Err(InspectionError::Occurrences { code: err_code() });
    }
    if answer.note.chars().count() > MAX_NOTE {
        return Err(InspectionError::TooLarge {
            code: err_code(),
            what: "说明",
        });
    }
    if answer.evidence.len() > MAX_EVIDENCE {
        return Err(InspectionError::TooLarge {
            code: err_code(),
            what: "照片数量",
        });
    }
    for e in &answer.evidence {
        let coords_ok = e
            .lat
            .is_none_or(|v| v.is_finite() && (-90.0..=90.0).contains(&v))
            && e.lon
                .is_none_or(|v| v.is_finite() && (-180.0..=180.0).contains(&v));
        let place_ok = e.place.as_deref().is_none_or(|p| p.chars().count() <= 200);
        if !is_sha256(&e.sha256) || !coords_ok || !place_ok {
            return Err(InspectionError::BadEvidence { code: err_code() });
        }
    }
    Ok(())
}

/// Merges answers into those saved (partial save): each is checked first,
/// and nothing changes unless all are good.
pub fn merge(
    template: &Template,
    saved: &mut BTreeMap<String, Answer>,
    answers: BTreeMap<String, Answer>,
) -> Result<(), InspectionError> {
    for (code, a) in &answers {
        check_answer(template, code, a)?;
    }
    saved.extend(answers);
    Ok(())
}

/// Whether the answers can be signed off: every item answered, and every
/// failure of an item that needs evidence has some.
pub fn check_complete(
    template: &Template,
    answers: &BTreeMap<String, Answer>,
) -> Result<(), InspectionError> {
    let missing: Vec<String> = template
        .items()
        .filter(|(_, i)| !answers.contains_key(&i.code))
        .map(|(_, i)| i.code.clone())
        .collect();
    if !missing.is_empty() {
        return Err(InspectionError::Unanswered { codes: missing });
    }
    for (_, item) in template.items() {
        if let Some(a) = answers.get(&item.code) {
            check_answer(template, &item.code, a)?;
            if a.verdict == Verdict::Fail && item.evidence_required && a.evidence.is_empty() {
                return Err(InspectionError::EvidenceMissing {
                    code: item.code.clone(),
                });
            }
        }
    }
    Ok(())
}

/// One item's share of the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// Item code.
    pub code: String,
    /// Item title.
    pub title: String,
    /// Points lost, in hundredths.
    pub lost_centipoints: u64,
}

/// A visit's score with its rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The score in hundredths of a point; `None` when no item applied.
    pub centipoints: Option<u64>,
    /// The full score, in hundredths.
    pub full_centipoints: u64,
    /// Items answered 合格 or 不合格.
    pub applicable: u32,
    /// Items answered 不合格.
    pub failed: u32,
    /// The rule, printed with the score.
    pub rule: String,
    /// The failed items and what each cost.
    pub lines: Vec<Line>,
}

impl Score {
    /// `92.50 分`, or `—` when nothing applied.
    pub fn text(&self) -> String {
        match self.centipoints {
            Some(c) => format!("{}.{:02} 分", c / 100, c % 100),
            None => "—".to_owned(),
        }
    }
}

/// Scores the answers by the template's rule (unanswered items count as
/// not applicable).
pub fn score(template: &Template, answers: &BTreeMap<String, Answer>) -> Score {
    let full = u64::from(template.full_score) * 100;
    let mut applicable = 0u32;
    let mut failed = 0u32;
    let (mut weight_all, mut weight_passed) = (0u64, 0u64);
    let mut lines = Vec::new();
    let mut deducted = 0u64;
    for (_, item) in template.items() {
        let Some(a) = answers.get(&item.code) else {
            continue;
        };
        if a.verdict == Verdict::NotApplicable {
            continue;
        }
        applicable += 1;
        weight_all += u64::from(item.weight);
        if a.verdict == Verdict::Pass {
            weight_passed += u64::from(item.weight);
            continue;
        }
        failed += 1;
        let lost = match template.scoring {
            Scoring::Weighted => 0,
            Scoring::Deduction => {
                let per = centipoints(item.deduction).saturating_mul(u64::from(a.occurrences));
                item.max_deduction
                    .map_or(per, |cap| per.min(centipoints(cap)))
            }
        };
        deducted = deducted.saturating_add(lost);
        lines.push(Line {
            code: item.code.clone(),
            title: item.title.clone(),
            lost_centipoints: lost,
        });
    }
    let centipoints = match template.scoring {
        Scoring::Weighted => {
            (weight_all > 0).then(|| (full * weight_passed + weight_all / 2) / weight_all)
        }
        Scoring::Deduction => (applicable > 0).then(|| full.saturating_sub(deducted)),
    };
    if template.scoring == Scoring::Weighted && weight_all > 0 {
        // Each failed item's share of the weighted score, for the record.
        for line in &mut lines {
            if let Some((_, item)) = template.item(&line.code) {
                line.lost_centipoints =
                    (full * u64::from(item.weight) + weight_all / 2) / weight_all;
            }
        }
    }
    Score {
        centipoints,
        full_centipoints: full,
        applicable,
        failed,
        rule: template.rule_zh(),
        lines,
    }
}

/// A failed item: what a problem is opened from.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The category's name (问题分类).
    pub category: String,
    /// The item's code.
    pub code: String,
    /// The item's title.
    pub title: String,
    /// What the item requires.
    pub requirement: String,
    /// The answer.
    pub answer: Answer,
}

/// The failed items in template order.
pub fn failures(template: &Template, answers: &BTreeMap<String, Answer>) -> Vec<Failure> {
    template
        .items()
        .filter_map(|(c, i)| {
            let a = answers.get(&i.code)?;
            (a.verdict == Verdict::Fail).then(|| Failure {
                category: c.name.clone(),
                code: i.code.clone(),
                title: i.title.clone(),
                requirement: i.requirement.clone(),
                answer: a.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::default_template;

    fn answer(v: Verdict, n: u32) -> Answer {
        Answer {
            verdict: v,
            occurrences: n,
            note: String::new(),
            evidence: Vec::new(),
        }
    }

    fn photo() -> Evidence {
        Evidence {
            sha256: "a".repeat(64),
            content_type: Some("image/jpeg".into()),
            taken_ms: Some(1),
            place: Some("3号窗口".into()),
            lat: Some(38.86),
            lon: Some(115.46),
        }
    }

    fn all_pass(t: &Template) -> BTreeMap<String, Answer> {
        t.items()
            .map(|(_, i)| (i.code.clone(), answer(Verdict::Pass, 0)))
            .collect()
    }

    #[test]
    fn weighted_score_leaves_out_what_does_not_apply() {
        let t = default_template();
        let mut a = all_pass(&t);
        assert_eq!(score(&t, &a).centipoints, Some(10_000));
        a.insert("9.1".into(), answer(Verdict::NotApplicable, 0));
        a.insert("1.6".into(), answer(Verdict::Fail, 2));
        let s = score(&t, &a);
        // 20 of 21 applicable items passed: 100 × 20 / 21 = 95.238…
        assert_eq!(
            (s.centipoints, s.applicable, s.failed),
            (Some(9_524), 21, 1)
        );
        assert_eq!(s.text(), "95.24 分");
        assert!(s.rule.contains("不适用项不计"), "{}", s.rule);
    }

    #[test]
    fn deductions_are_capped_per_item_and_floored_at_zero() {
        let mut t = default_template();
        t.scoring = Scoring::Deduction;
        for c in &mut t.categories {
            for i in &mut c.items {
                i.deduction = 2.5;
                i.max_deduction = Some(5.0);
            }
        }
        t.validate().unwrap();
        let mut a = all_pass(&t);
        a.insert("1.1".into(), answer(Verdict::Fail, 1));
        a.insert("1.6".into(), answer(Verdict::Fail, 7));
        let s = score(&t, &a);
        assert_eq!(s.centipoints, Some(10_000 - 250 - 500));
        assert_eq!(
            s.lines
                .iter()
                .map(|l| l.lost_centipoints)
                .collect::<Vec<_>>(),
            [250, 500]
        );
        for c in &mut t.categories {
            for i in &mut c.items {
                i.max_deduction = None;
                i.deduction = 10.0;
            }
        }
        let fail_all: BTreeMap<_, _> = t
            .items()
            .map(|(_, i)| (i.code.clone(), answer(Verdict::Fail, 1)))
            .collect();
        assert_eq!(score(&t, &fail_all).centipoints, Some(0));
    }

    #[test]
    fn nothing_applicable_has_no_score() {
        let t = default_template();
        let a: BTreeMap<_, _> = t
            .items()
            .map(|(_, i)| (i.code.clone(), answer(Verdict::NotApplicable, 0)))
            .collect();
        assert_eq!(score(&t, &a).centipoints, None);
        assert_eq!(score(&t, &a).text(), "—");
    }

    #[test]
    fn bad_answers_change_nothing() {
        let t = default_template();
        let mut saved = BTreeMap::new();
        let mut batch = BTreeMap::new();
        batch.insert("1.1".to_owned(), answer(Verdict::Pass, 0));
        batch.insert("10.1".to_owned(), answer(Verdict::Pass, 0));
        assert_eq!(
            merge(&t, &mut saved, batch),
            Err(InspectionError::UnknownItem {
                code: "10.1".into()
            })
        );
        assert!(saved.is_empty());
        for bad in [
            answer(Verdict::Fail, 0),
            answer(Verdict::Pass, 1),
            answer(Verdict::Fail, 100),
        ] {
            assert!(matches!(
                check_answer(&t, "1.1", &bad),
                Err(InspectionError::Occurrences { .. })
            ));
        }
        let mut a = answer(Verdict::Fail, 1);
        a.evidence.push(Evidence {
            sha256: "not-a-hash".into(),
            ..photo()
        });
        assert!(matches!(
            check_answer(&t, "1.1", &a),
            Err(InspectionError::BadEvidence { .. })
        ));
        a.evidence = vec![Evidence {
            lat: Some(91.0),
            ..photo()
        }];
        assert!(matches!(
            check_answer(&t, "1.1", &a),
            Err(InspectionError::BadEvidence { .. })
        ));
    }

    #[test]
    fn sign_off_needs_every_item_and_the_evidence() {
        let t = default_template();
        let mut a = all_pass(&t);
        a.remove("5.2");
        a.remove("7.1");
        assert_eq!(
            check_complete(&t, &a),
            Err(InspectionError::Unanswered {
                codes: vec!["5.2".into(), "7.1".into()]
            })
        );
        let mut a = all_pass(&t);
        a.insert("1.6".into(), answer(Verdict::Fail, 1));
        assert_eq!(
            check_complete(&t, &a),
            Err(InspectionError::EvidenceMissing { code: "1.6".into() })
        );
        a.insert(
            "1.6".into(),
            Answer {
                evidence: vec![photo()],
                ..answer(Verdict::Fail, 1)
            },
        );
        // 4.2 needs no photo: a note is enough.
        a.insert(
            "4.2".into(),
            Answer {
                note: "材料清单与政策不一致".into(),
                ..answer(Verdict::Fail, 1)
            },
        );
        check_complete(&t, &a).unwrap();
        let f = failures(&t, &a);
        assert_eq!(
            f.iter()
                .map(|f| (f.category.as_str(), f.code.as_str()))
                .collect::<Vec<_>>(),
            [("人员管理", "1.6"), ("服务效能", "4.2")]
        );
    }
}
