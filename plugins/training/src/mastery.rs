//! Knowledge mastery (知识点掌握度) and gaps (业务知识短板).
//!
//! A person's mastery of a knowledge point is the share of the marks they
//! earned on the questions tagged with it (a question tagged with two
//! points counts for both). It is kept per month, so it can be followed
//! over time.
//!
//! After an exam, a candidate has a gap on a point when their mastery on
//! it is below the threshold (default 60 %), or below the cohort's mean
//! minus one standard deviation (the cohort being everyone in the exam who
//! met the point; needs at least three people). Each gap is linked to
//! material on that point and becomes a follow-up training assignment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Marks earned on a knowledge point, in hundredths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub got: u64,
    pub max: u64,
}

impl Tally {
    pub fn add(&mut self, got: u32, max: u32) {
        self.got += u64::from(got);
        self.max += u64::from(max);
    }

    pub fn merge(&mut self, other: Tally) {
        self.got += other.got;
        self.max += other.max;
    }

    /// The share earned, 0–1; none when nothing was asked.
    pub fn mastery(&self) -> Option<f64> {
        (self.max > 0).then(|| self.got as f64 / self.max as f64)
    }
}

/// Per knowledge point.
pub type Points = BTreeMap<String, Tally>;

/// Tallies a sitting's marks by knowledge point: `items` are
/// `(knowledge points of the question, got, max)`.
pub fn tally<'a>(items: impl IntoIterator<Item = (&'a [String], u32, u32)>) -> Points {
    let mut points = Points::new();
    for (knowledge, got, max) in items {
        for k in knowledge {
            points.entry(k.clone()).or_default().add(got, max);
        }
    }
    points
}

/// Why a gap was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Below the threshold.
    BelowThreshold,
    /// Above the threshold but below the cohort's mean − 1 SD.
    BelowCohort,
}

impl Reason {
    pub fn zh(self) -> &'static str {
        match self {
            Reason::BelowThreshold => "低于掌握度标准",
            Reason::BelowCohort => "低于同批考生平均水平一个标准差以上",
        }
    }
}

/// One gap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    pub candidate: String,
    pub knowledge: String,
    pub mastery: f64,
    pub cohort_mean: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohort_sd: Option<f64>,
    pub reason: Reason,
}

/// The fewest people for the cohort rule.
pub const MIN_COHORT: usize = 3;

/// Every candidate's gaps in an exam. `cohort` maps each candidate to
/// their tallies; `threshold` is 0–1.
pub fn gaps(cohort: &BTreeMap<String, Points>, threshold: f64) -> Vec<Gap> {
    let mut by_point: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for (candidate, points) in cohort {
        for (k, t) in points {
            if let Some(m) = t.mastery() {
                by_point.entry(k).or_default().push((candidate, m));
            }
        }
    }
    let mut out = Vec::new();
    for (k, people) in by_point {
        let n = people.len() as f64;
        let mean = people.iter().map(|p| p.1).sum::<f64>() / n;
        let sd = (people.len() >= MIN_COHORT)
            .then(|| (people.iter().map(|p| (p.1 - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
        for (candidate, m) in people {
            let reason = if m < threshold {
                Some(Reason::BelowThreshold)
            } else if sd.is_some_and(|sd| sd > 0.0 && m < mean - sd) {
                Some(Reason::BelowCohort)
            } else {
                None
            };
            if let Some(reason) = reason {
                out.push(Gap {
                    candidate: candidate.to_owned(),
                    knowledge: k.to_owned(),
                    mastery: m,
                    cohort_mean: mean,
                    cohort_sd: sd,
                    reason,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.candidate
            .cmp(&b.candidate)
            .then(a.knowledge.cmp(&b.knowledge))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(got: u64, max: u64) -> Tally {
        Tally { got, max }
    }

    #[test]
    fn a_question_counts_for_each_of_its_points() {
        let a = vec!["一次性告知".to_owned(), "首问负责".to_owned()];
        let b = vec!["首问负责".to_owned()];
        let p = tally([(a.as_slice(), 200, 200), (b.as_slice(), 0, 300)]);
        assert_eq!(p["一次性告知"], t(200, 200));
        assert_eq!(p["首问负责"], t(200, 500));
        assert_eq!(p["首问负责"].mastery(), Some(0.4));
    }

    #[test]
    fn gaps_below_the_threshold_or_far_below_the_cohort() {
        let mut cohort = BTreeMap::new();
        // 告知: 0.9, 0.95, 1.0, 0.65 → mean 0.875, sd ≈ 0.15: 0.65 is below
        // mean − sd (0.725) though above the 0.6 threshold.
        // 纪律: 0.5 for u1 only: below the threshold.
        for (who, gz, jl) in [
            ("u1", t(90, 100), Some(t(50, 100))),
            ("u2", t(95, 100), None),
            ("u3", t(100, 100), None),
            ("u4", t(65, 100), Some(t(100, 100))),
        ] {
            let mut p = Points::new();
            p.insert("告知".to_owned(), gz);
            if let Some(j) = jl {
                p.insert("纪律".to_owned(), j);
            }
            cohort.insert(who.to_owned(), p);
        }
        let g = gaps(&cohort, 0.6);
        let found: Vec<(&str, &str, Reason)> = g
            .iter()
            .map(|g| (g.candidate.as_str(), g.knowledge.as_str(), g.reason))
            .collect();
        assert_eq!(
            found,
            vec![
                ("u1", "纪律", Reason::BelowThreshold),
                ("u4", "告知", Reason::BelowCohort)
            ]
        );
        assert_eq!(g[0].cohort_sd, None, "two people are no cohort");
    }
}
