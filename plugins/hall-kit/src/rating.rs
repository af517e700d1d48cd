//! The five levels of the national government-service rating system
//! (政务服务“好差评”), from 非常满意 (5) down to 非常不满意 (1).
//!
//! On the wire a level is its numeric score, so JSON carries `5`, never
//! `"very_satisfied"`.

use std::cmp::Ordering;
use std::fmt;

use serde::de::{Error as _, Unexpected};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One rating level; the discriminant is the score.
///
/// Ordered by score: `VeryDissatisfied < … < VerySatisfied`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Level {
    /// 非常满意, score 5.
    VerySatisfied = 5,
    /// 满意, score 4.
    Satisfied = 4,
    /// 基本满意, score 3.
    Basic = 3,
    /// 不满意, score 2: needs a callback and rectification.
    Dissatisfied = 2,
    /// 非常不满意, score 1: needs a callback and rectification.
    VeryDissatisfied = 1,
}

impl Level {
    /// Every level, best first, as a rating screen lists them.
    pub const ALL: [Level; 5] = [
        Level::VerySatisfied,
        Level::Satisfied,
        Level::Basic,
        Level::Dissatisfied,
        Level::VeryDissatisfied,
    ];

    /// The level with this score, `None` outside 1-5.
    pub fn from_score(score: u8) -> Option<Level> {
        match score {
            5 => Some(Level::VerySatisfied),
            4 => Some(Level::Satisfied),
            3 => Some(Level::Basic),
            2 => Some(Level::Dissatisfied),
            1 => Some(Level::VeryDissatisfied),
            _ => None,
        }
    }

    /// The score, 1 (worst) to 5 (best).
    pub fn score(self) -> u8 {
        self as u8
    }

    /// The official Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Level::VerySatisfied => "非常满意",
            Level::Satisfied => "满意",
            Level::Basic => "基本满意",
            Level::Dissatisfied => "不满意",
            Level::VeryDissatisfied => "非常不满意",
        }
    }

    /// An English label.
    pub fn en(self) -> &'static str {
        match self {
            Level::VerySatisfied => "very satisfied",
            Level::Satisfied => "satisfied",
            Level::Basic => "basically satisfied",
            Level::Dissatisfied => "dissatisfied",
            Level::VeryDissatisfied => "very dissatisfied",
        }
    }

    /// A bad rating (差评: dissatisfied or very dissatisfied), which must be
    /// followed by a callback to the citizen and a rectification.
    pub fn is_bad(self) -> bool {
        matches!(self, Level::Dissatisfied | Level::VeryDissatisfied)
    }
}

/// 满意率 with 基本满意 counted as satisfied (the 好差评 practice).
pub const SATISFACTION_BASIC: &str = "满意率 = (非常满意 + 满意 + 基本满意) / 有效评价数；有效评价为每次服务的一次评价（一次一评），\
     未经提示的评价器按键不计 satisfaction = ratings 5, 4 and 3 / valid ratings (one per service; \
     key presses without a service to rate are not counted)";
/// 满意率 with only 非常满意 and 满意 counted as satisfied.
pub const SATISFACTION_STRICT: &str = "满意率 = (非常满意 + 满意) / 有效评价数；有效评价为每次服务的一次评价（一次一评），\
     未经提示的评价器按键不计 satisfaction = ratings 5 and 4 / valid ratings (one per service; \
     key presses without a service to rate are not counted)";

/// The one satisfaction rule of the district, for keypad, kiosk and hotline
/// ratings alike: which levels count as satisfied. Configurable (the
/// district decides whether 基本满意 is satisfied), and printed with every
/// figure ([`SatisfactionRule::definition`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SatisfactionRule {
    /// 基本满意 counts as satisfied (default, as in 好差评 practice).
    pub basic_counts_as_satisfied: bool,
}

impl Default for SatisfactionRule {
    fn default() -> Self {
        SatisfactionRule {
            basic_counts_as_satisfied: true,
        }
    }
}

impl SatisfactionRule {
    /// Whether a rating of `level` counts as satisfied.
    pub fn is_satisfied(self, level: Level) -> bool {
        let lowest = if self.basic_counts_as_satisfied {
            Level::Basic
        } else {
            Level::Satisfied
        };
        level >= lowest
    }

    /// The definition printed with the figure.
    pub fn definition(self) -> &'static str {
        if self.basic_counts_as_satisfied {
            SATISFACTION_BASIC
        } else {
            SATISFACTION_STRICT
        }
    }

    /// The satisfaction rate of `ratings`: each a level and whether it is
    /// a valid rating (one per service, prompted); invalid ones are left
    /// out of both numerator and denominator.
    pub fn rate(self, ratings: impl IntoIterator<Item = (Level, bool)>) -> crate::figure::Figure {
        let (mut satisfied, mut valid) = (0u64, 0u64);
        for (level, counted) in ratings {
            if counted {
                valid += 1;
                if self.is_satisfied(level) {
                    satisfied += 1;
                }
            }
        }
        crate::figure::Figure::ratio(satisfied, valid, self.definition())
    }
}

impl PartialOrd for Level {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Level {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score().cmp(&other.score())
    }
}

impl fmt::Display for Level {
    /// The Chinese label.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.zh())
    }
}

impl From<Level> for u8 {
    fn from(level: Level) -> u8 {
        level.score()
    }
}

/// A score outside 1-5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidScore(pub u8);

impl fmt::Display for InvalidScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rating score {} is not between 1 and 5", self.0)
    }
}

impl std::error::Error for InvalidScore {}

impl TryFrom<u8> for Level {
    type Error = InvalidScore;

    fn try_from(score: u8) -> Result<Level, InvalidScore> {
        Level::from_score(score).ok_or(InvalidScore(score))
    }
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.score())
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Level, D::Error> {
        let score = u8::deserialize(deserializer)?;
        Level::from_score(score).ok_or_else(|| {
            D::Error::invalid_value(
                Unexpected::Unsigned(u64::from(score)),
                &"a rating score from 1 to 5",
            )
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {

    #[test]
    fn one_rule_counts_valid_ratings_only() {
        let ratings = [
            (Level::VerySatisfied, true),
            (Level::Basic, true),
            (Level::Dissatisfied, true),
            // A key pressed with nothing to rate: kept as telemetry, not counted.
            (Level::VeryDissatisfied, false),
        ];
        let basic = SatisfactionRule::default().rate(ratings);
        assert_eq!((basic.numerator, basic.denominator), (2, 3));
        assert!(basic.definition.contains("一次一评"));
        let strict = SatisfactionRule {
            basic_counts_as_satisfied: false,
        }
        .rate(ratings);
        assert_eq!((strict.numerator, strict.denominator), (1, 3));
        assert_ne!(basic.definition, strict.definition);
    }

    use super::*;

    #[test]
    fn scores_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::from_score(level.score()), Some(level));
            assert_eq!(Level::try_from(level.score()), Ok(level));
        }
        assert_eq!(Level::from_score(0), None);
        assert_eq!(Level::from_score(6), None);
        assert_eq!(Level::try_from(9), Err(InvalidScore(9)));
    }

    #[test]
    fn labels() {
        let zh: Vec<_> = Level::ALL.iter().map(|level| level.zh()).collect();
        assert_eq!(zh, ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]);
        assert_eq!(Level::Basic.en(), "basically satisfied");
        assert_eq!(Level::VeryDissatisfied.to_string(), "非常不满意");
    }

    #[test]
    fn only_the_two_lowest_are_bad() {
        let bad: Vec<_> = Level::ALL.into_iter().filter(|l| l.is_bad()).collect();
        assert_eq!(bad, [Level::Dissatisfied, Level::VeryDissatisfied]);
    }

    #[test]
    fn ordered_by_score() {
        assert!(Level::VerySatisfied > Level::Satisfied);
        assert!(Level::VeryDissatisfied < Level::Dissatisfied);
        assert_eq!(Level::ALL.iter().max(), Some(&Level::VerySatisfied));
    }

    #[test]
    fn serde_uses_the_numeric_score() {
        assert_eq!(serde_json::to_string(&Level::Satisfied).unwrap(), "4");
        assert_eq!(
            serde_json::to_value([Level::VerySatisfied, Level::VeryDissatisfied]).unwrap(),
            serde_json::json!([5, 1])
        );
        assert_eq!(
            serde_json::from_str::<Level>("2").unwrap(),
            Level::Dissatisfied
        );
        for bad in ["0", "6", "255", "256", "-1", "3.5", "\"satisfied\"", "null"] {
            assert!(serde_json::from_str::<Level>(bad).is_err(), "{bad}");
        }
        let err = serde_json::from_str::<Level>("0").unwrap_err().to_string();
        assert!(err.contains("1 to 5"), "{err}");
    }
}
