//! 行政办事员 certification (持证上岗): who may sit which level, the result
//! of a sitting, the certificate, and 持证率.
//!
//! Eligibility follows the pattern of the national occupational skill
//! standards: each level has alternative routes, each a number of years in
//! the occupation, optionally a level already held (and years since it
//! was issued) and a minimum education. The routes are data ([`Rule`]):
//! the defaults ([`default_rules`]) follow that general pattern, and a
//! district sets its own from the official standard for the occupation.
//! A result passes when both the theory and the skill part reach 60 of
//! 100.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A certificate level (五级 is the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 五级 / 初级工.
    Five,
    /// 四级 / 中级工.
    Four,
    /// 三级 / 高级工.
    Three,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Five, Level::Four, Level::Three];

    pub fn zh(self) -> &'static str {
        match self {
            Level::Five => "五级/初级工",
            Level::Four => "四级/中级工",
            Level::Three => "三级/高级工",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Five => "five",
            Level::Four => "four",
            Level::Three => "three",
        }
    }
}

/// The highest education completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Education {
    /// 初中及以下.
    JuniorHigh,
    /// 高中.
    HighSchool,
    /// 中专、技校.
    Vocational,
    /// 大专.
    College,
    /// 本科.
    Bachelor,
    /// 研究生.
    Postgraduate,
}

impl Education {
    pub const ALL: [Education; 6] = [
        Education::JuniorHigh,
        Education::HighSchool,
        Education::Vocational,
        Education::College,
        Education::Bachelor,
        Education::Postgraduate,
    ];

    pub fn zh(self) -> &'static str {
        match self {
            Education::JuniorHigh => "初中及以下",
            Education::HighSchool => "高中",
            Education::Vocational => "中专/技校",
            Education::College => "大专",
            Education::Bachelor => "本科",
            Education::Postgraduate => "研究生",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Education::JuniorHigh => "junior_high",
            Education::HighSchool => "high_school",
            Education::Vocational => "vocational",
            Education::College => "college",
            Education::Bachelor => "bachelor",
            Education::Postgraduate => "postgraduate",
        }
    }
}

/// A certificate held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub level: Level,
    pub number: String,
    /// `YYYY-MM-DD`.
    pub date: String,
}

/// What certification needs to know of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub education: Education,
    /// When they started in the occupation, `YYYY-MM-DD`.
    pub since: String,
    #[serde(default)]
    pub certificates: Vec<Certificate>,
}

impl Profile {
    /// The highest certificate held.
    pub fn highest(&self) -> Option<&Certificate> {
        self.certificates.iter().max_by_key(|c| c.level)
    }
}

/// One way to qualify for a level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// Years in the occupation.
    #[serde(default)]
    pub years: u32,
    /// A certificate of this level held …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holds: Option<Level>,
    /// … for at least this many years.
    #[serde(default)]
    pub years_since: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub education: Option<Education>,
}

impl Route {
    /// The route as the enrolment list prints it.
    pub fn zh(&self) -> String {
        let mut parts = Vec::new();
        if let Some(e) = self.education {
            parts.push(format!("{}及以上学历", e.zh()));
        }
        if let Some(l) = self.holds {
            if self.years_since > 0 {
                parts.push(format!("取得{}证书后满{}年", l.zh(), self.years_since));
            } else {
                parts.push(format!("持有{}证书", l.zh()));
            }
        }
        if self.years > 0 {
            parts.push(format!("从事本职业满{}年", self.years));
        }
        if parts.is_empty() {
            "无条件".into()
        } else {
            parts.join("，")
        }
    }
}

/// The routes to one level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub level: Level,
    pub routes: Vec<Route>,
}

/// A route the district configures for one level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRoute {
    pub level: Level,
    #[serde(default)]
    pub years: u32,
    #[serde(default)]
    pub holds: Option<Level>,
    #[serde(default)]
    pub years_since: u32,
    #[serde(default)]
    pub education: Option<Education>,
}

impl LevelRoute {
    pub fn route(&self) -> Route {
        Route {
            years: self.years,
            holds: self.holds,
            years_since: self.years_since,
            education: self.education,
        }
    }
}

/// Why a configured route cannot stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    /// A route to a level through a certificate of that level or above.
    HoldsTooHigh(Level),
    /// A route asking more than 50 years.
    Years(Level),
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::HoldsTooHigh(l) => {
                write!(f, "申报{}的条件只能是持有更低等级的证书", l.zh())
            }
            RuleError::Years(l) => write!(f, "申报{}的年限不超过50年", l.zh()),
        }
    }
}

/// The rules in force: the defaults, with every level the district
/// configured routes for taking exactly those routes.
pub fn rules(configured: &[LevelRoute]) -> Result<Vec<Rule>, RuleError> {
    for c in configured {
        if c.holds.is_some_and(|h| h >= c.level) {
            return Err(RuleError::HoldsTooHigh(c.level));
        }
        if c.years > 50 || c.years_since > 50 {
            return Err(RuleError::Years(c.level));
        }
    }
    Ok(default_rules()
        .into_iter()
        .map(|rule| {
            let own: Vec<Route> = configured
                .iter()
                .filter(|c| c.level == rule.level)
                .map(LevelRoute::route)
                .collect();
            if own.is_empty() {
                rule
            } else {
                Rule {
                    level: rule.level,
                    routes: own,
                }
            }
        })
        .collect())
}

/// The general pattern of the national standards.
pub fn default_rules() -> Vec<Rule> {
    let r = |years, holds, years_since, education| Route {
        years,
        holds,
        years_since,
        education,
    };
    vec![
        Rule {
            level: Level::Five,
            routes: vec![r(1, None, 0, None)],
        },
        Rule {
            level: Level::Four,
            routes: vec![
                r(0, Some(Level::Five), 4, None),
                r(6, None, 0, None),
                r(2, None, 0, Some(Education::College)),
            ],
        },
        Rule {
            level: Level::Three,
            routes: vec![
                r(0, Some(Level::Four), 5, None),
                r(0, Some(Level::Four), 2, Some(Education::College)),
                r(4, None, 0, Some(Education::Bachelor)),
            ],
        },
    ]
}

/// Whole years from `from` to `to` (both `YYYY-MM-DD`); 0 when `to` is
/// earlier.
pub fn years_between(from: &str, to: &str) -> u32 {
    let parse = |d: &str| -> Option<(i32, u32, u32)> {
        Some((
            d.get(0..4)?.parse().ok()?,
            d.get(5..7)?.parse().ok()?,
            d.get(8..10)?.parse().ok()?,
        ))
    };
    let (Some((y1, m1, d1)), Some((y2, m2, d2))) = (parse(from), parse(to)) else {
        return 0;
    };
    let mut years = y2 - y1;
    if (m2, d2) < (m1, d1) {
        years -= 1;
    }
    years.max(0) as u32
}

/// Why someone may not sit a level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotEligible {
    /// Holds it (or higher) already.
    Holds(Level),
    /// No route is met; each route's shortfall.
    Short(Vec<String>),
    NoRule,
}

impl fmt::Display for NotEligible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotEligible::Holds(l) => write!(f, "已持有{}证书", l.zh()),
            NotEligible::Short(why) => write!(f, "不符合报考条件：{}", why.join("；")),
            NotEligible::NoRule => f.write_str("该等级未设报考条件"),
        }
    }
}

/// Whether `p` may sit `level` on `today`; answers the route met.
pub fn eligible(
    p: &Profile,
    level: Level,
    rules: &[Rule],
    today: &str,
) -> Result<Route, NotEligible> {
    if let Some(h) = p.highest().filter(|h| h.level >= level) {
        return Err(NotEligible::Holds(h.level));
    }
    let rule = rules
        .iter()
        .find(|r| r.level == level)
        .ok_or(NotEligible::NoRule)?;
    let served = years_between(&p.since, today);
    let mut short = Vec::new();
    for route in &rule.routes {
        let mut missing = Vec::new();
        if served < route.years {
            missing.push(format!("从事本职业{served}年，需满{}年", route.years));
        }
        if let Some(e) = route.education
            && p.education < e
        {
            missing.push(format!("学历{}，需{}及以上", p.education.zh(), e.zh()));
        }
        if let Some(l) = route.holds {
            match p
                .certificates
                .iter()
                .filter(|c| c.level == l)
                .min_by(|a, b| a.date.cmp(&b.date))
            {
                None => missing.push(format!("未持有{}证书", l.zh())),
                Some(c) => {
                    let since = years_between(&c.date, today);
                    if since < route.years_since {
                        missing.push(format!(
                            "取得{}证书{since}年，需满{}年",
                            l.zh(),
                            route.years_since
                        ));
                    }
                }
            }
        }
        if missing.is_empty() {
            return Ok(route.clone());
        }
        short.push(format!("{}（{}）", route.zh(), missing.join("，")));
    }
    Err(NotEligible::Short(short))
}

/// The pass mark of each part.
pub const PASS: f64 = 60.0;

/// Whether a result passes: theory and skill both at least 60 of 100.
pub fn passes(theory: f64, skill: f64) -> bool {
    theory >= PASS && skill >= PASS
}

/// A certificate number: `{prefix}{year}{level digit}{sequence, 5 digits}`.
pub fn certificate_number(prefix: &str, year: i64, level: Level, seq: u32) -> String {
    let digit = match level {
        Level::Five => 5,
        Level::Four => 4,
        Level::Three => 3,
    };
    format!("{prefix}{year}{digit}{seq:05}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_district_replaces_the_routes_of_the_levels_it_configures() {
        let configured: Vec<LevelRoute> = serde_json::from_value(serde_json::json!([
            { "level": "five", "years": 0, "education": "college" },
            { "level": "five", "years": 2 }
        ]))
        .unwrap();
        let r = rules(&configured).unwrap();
        let five = r.iter().find(|r| r.level == Level::Five).unwrap();
        assert_eq!(five.routes.len(), 2);
        assert_eq!(five.routes[0].zh(), "大专及以上学历");
        // Levels not configured keep the defaults.
        assert_eq!(r[1], default_rules()[1]);
        let p = person(Education::College, "2026-06-01", &[]);
        assert!(eligible(&p, Level::Five, &r, "2026-12-01").is_ok());
        assert!(eligible(&p, Level::Five, &default_rules(), "2026-12-01").is_err());
        // A route through the level itself, or a typo, is refused.
        let bad: Vec<LevelRoute> =
            serde_json::from_value(serde_json::json!([{ "level": "four", "holds": "four" }]))
                .unwrap();
        assert_eq!(rules(&bad), Err(RuleError::HoldsTooHigh(Level::Four)));
        assert!(
            serde_json::from_value::<Vec<LevelRoute>>(
                serde_json::json!([{ "level": "four", "yaers": 3 }])
            )
            .is_err()
        );
    }

    fn person(education: Education, since: &str, certs: &[(Level, &str)]) -> Profile {
        Profile {
            education,
            since: since.into(),
            certificates: certs
                .iter()
                .enumerate()
                .map(|(i, (level, date))| Certificate {
                    level: *level,
                    number: format!("N{i}"),
                    date: (*date).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn whole_years_count_to_the_day() {
        assert_eq!(years_between("2020-03-15", "2026-03-14"), 5);
        assert_eq!(years_between("2020-03-15", "2026-03-15"), 6);
        assert_eq!(years_between("2027-01-01", "2026-03-15"), 0);
        assert_eq!(years_between("bad", "2026-03-15"), 0);
    }

    #[test]
    fn eligibility_by_the_first_route_met() {
        let rules = default_rules();
        let today = "2026-12-07";
        // A newcomer of eight months: not yet for 五级.
        let p = person(Education::HighSchool, "2026-04-01", &[]);
        let e = eligible(&p, Level::Five, &rules, today);
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("不符合报考条件：从事本职业满1年（从事本职业0年，需满1年）".to_owned())
        );
        // Two years with a 大专: 四级 by the education route.
        let p = person(Education::College, "2024-09-01", &[]);
        assert_eq!(
            eligible(&p, Level::Four, &rules, today).map(|r| r.years),
            Ok(2)
        );
        // 五级 held four years: 四级; but not 五级 again.
        let p = person(
            Education::HighSchool,
            "2019-01-01",
            &[(Level::Five, "2022-06-30")],
        );
        assert_eq!(
            eligible(&p, Level::Four, &rules, today).map(|r| r.holds),
            Ok(Some(Level::Five))
        );
        assert_eq!(
            eligible(&p, Level::Five, &rules, today),
            Err(NotEligible::Holds(Level::Five))
        );
        // 三级 needs 四级 first (or a degree and four years).
        let e = eligible(&p, Level::Three, &rules, today);
        assert!(
            matches!(e, Err(NotEligible::Short(ref why)) if why.len() == 3),
            "{e:?}"
        );
    }

    #[test]
    fn results_and_numbers() {
        assert!(passes(60.0, 75.5));
        assert!(!passes(59.5, 90.0));
        assert_eq!(
            certificate_number("LC", 2026, Level::Four, 17),
            "LC2026400017"
        );
    }
}
