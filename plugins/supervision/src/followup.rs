//! 差评 follow-up under the national 好差评 rules: every 差评 (不满意 or
//! 非常不满意) is verified (核实) by the hall that served; a genuine one is
//! rectified through the one rectification loop (a problem on the hall's
//! 问题清单), one without basis is explained; either way a real-name rater
//! is called back (回访) with the result. Staff may appeal (申诉) a 差评 as
//! mistaken or malicious; the district decides, and an upheld appeal takes
//! the rating out of the figures.
//!
//! ```text
//! 待核实 verifying ─genuine─▶ 整改中 rectifying ─problem closed─▶ 待回访 calling back ─▶ 已办结 closed
//!        │                                                          ▲ (anonymous: straight to 已办结)
//!        └─no basis (explained)─────────────────────────────────────┘
//! any open state ─appeal─▶ 申诉中 appealed ─upheld─▶ 已剔除 excluded
//!                                           └rejected─▶ back where it was
//! ```
//!
//! Deadlines (working days on the district's calendar, configurable):
//! verification within `verify_days` of the rating, rectification within
//! `rectify_days`; the defaults are 5 and 15 working days.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a follow-up is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 待核实.
    Verifying,
    /// 整改中: genuine, a problem is open.
    Rectifying,
    /// 待回访: the rater is to be told the result.
    CallingBack,
    /// 申诉中: staff appealed, the district decides.
    Appealed,
    /// 已办结.
    Closed,
    /// 已剔除: an upheld appeal; the rating no longer counts.
    Excluded,
}

impl State {
    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            State::Verifying => "待核实",
            State::Rectifying => "整改中",
            State::CallingBack => "待回访",
            State::Appealed => "申诉中",
            State::Closed => "已办结",
            State::Excluded => "已剔除",
        }
    }

    /// Every state.
    pub const ALL: [State; 6] = [
        State::Verifying,
        State::Rectifying,
        State::CallingBack,
        State::Appealed,
        State::Closed,
        State::Excluded,
    ];

    fn is_open(self) -> bool {
        !matches!(self, State::Closed | State::Excluded)
    }
}

/// What someone does to a follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// 核实 (the hall or the district): genuine or not, with what was found.
    Verify { genuine: bool, finding: String },
    /// 回访 (the hall or the district): the rater was reached or not, and
    /// whether satisfied with the result.
    CallBack {
        reached: bool,
        #[serde(default)]
        satisfied: Option<bool>,
        #[serde(default)]
        note: String,
    },
    /// 申诉 (the hall): the rating is mistaken or malicious.
    Appeal { reason: String },
    /// 申诉裁决 (the district).
    Decide { upheld: bool, note: String },
}

/// What the caller must do after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Open a problem for the genuine 差评 (the one rectification loop).
    OpenProblem,
}

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The hall that served.
    Hall,
    /// The district.
    District,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub at_ms: i64,
    pub action: String,
    pub by: String,
    pub state: State,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A 差评 follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Followup {
    /// The hall.
    pub hall: String,
    /// The rating's id as the sender gave it.
    pub rating: String,
    /// 1 (非常不满意) or 2 (不满意).
    pub score: u8,
    /// The channel (现场服务·评价器, 自助终端, …).
    pub channel: String,
    /// The window, if known.
    #[serde(default)]
    pub window: Option<u32>,
    /// The staff id at the window, if known.
    #[serde(default)]
    pub staff: Option<String>,
    /// The case number (办件编号), if known: how the hall finds the rater.
    #[serde(default)]
    pub case_no: Option<String>,
    /// The service item, if known.
    #[serde(default)]
    pub item: Option<String>,
    /// Real-name (实名): an ID card was read, or the rater left a number,
    /// so the rater can be called back.
    pub real_name: bool,
    /// The number a survey answer left for the 回访 (digits), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// When the rating was given.
    pub rated_ms: i64,
    /// Verification deadline.
    pub verify_due_ms: i64,
    /// Rectification deadline.
    pub rectify_due_ms: i64,
    /// Where it is.
    pub state: State,
    /// Where it was before an appeal.
    #[serde(default)]
    pub before_appeal: Option<State>,
    /// Genuine (属实), once verified.
    #[serde(default)]
    pub genuine: Option<bool>,
    /// When verified.
    #[serde(default)]
    pub verified_ms: Option<i64>,
    /// The problem opened for it.
    #[serde(default)]
    pub problem: Option<String>,
    /// Called back (reached).
    #[serde(default)]
    pub called_back: bool,
    /// The rater's view after the callback.
    #[serde(default)]
    pub satisfied: Option<bool>,
    /// Every step.
    pub history: Vec<Step>,
}

/// A refused step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowupError {
    IllegalTransition { state: State, action: &'static str },
    Forbidden { action: &'static str },
    Invalid { message: &'static str },
}

impl FollowupError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            FollowupError::IllegalTransition { .. } => 409,
            FollowupError::Forbidden { .. } => 403,
            FollowupError::Invalid { .. } => 422,
        }
    }

    /// Chinese, then English.
    pub fn message(&self) -> String {
        match self {
            FollowupError::IllegalTransition { state, action } => format!(
                "差评当前为“{}”，不能进行此操作 / the follow-up is {state:?}: {action} does not apply",
                state.zh()
            ),
            FollowupError::Forbidden { action } => {
                format!("无权进行此操作 / not allowed to {action}")
            }
            FollowupError::Invalid { message } => (*message).to_owned(),
        }
    }
}

impl fmt::Display for FollowupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for FollowupError {}

fn text_ok(s: &str, required: bool) -> bool {
    (!required || !s.trim().is_empty()) && s.chars().count() <= 1000
}

impl Followup {
    /// Whether it counts in the 差评 figures (not excluded on appeal).
    pub fn counts(&self) -> bool {
        self.state != State::Excluded
    }

    /// Takes one step; nothing changes when it is refused.
    pub fn act(
        &mut self,
        side: Side,
        by: &str,
        action: Action,
        now: i64,
    ) -> Result<Vec<Effect>, FollowupError> {
        let mut effects = Vec::new();
        let (name, to, note) = match action {
            Action::Verify { genuine, finding } => {
                if self.state != State::Verifying {
                    return Err(FollowupError::IllegalTransition {
                        state: self.state,
                        action: "verify",
                    });
                }
                if !text_ok(&finding, true) {
                    return Err(FollowupError::Invalid {
                        message: "核实情况不能为空，且不超过1000字 / the finding is required (≤ 1,000 characters)",
                    });
                }
                self.genuine = Some(genuine);
                self.verified_ms = Some(now);
                let to = if genuine {
                    effects.push(Effect::OpenProblem);
                    State::Rectifying
                } else {
                    self.after_rectification()
                };
                ("verify", to, finding)
            }
            Action::CallBack {
                reached,
                satisfied,
                note,
            } => {
                if self.state != State::CallingBack {
                    return Err(FollowupError::IllegalTransition {
                        state: self.state,
                        action: "call_back",
                    });
                }
                if !text_ok(&note, false) || (!reached && satisfied.is_some()) {
                    return Err(FollowupError::Invalid {
                        message: "未联系上时不能记录满意与否 / no satisfaction without reaching the rater",
                    });
                }
                if reached {
                    self.called_back = true;
                    self.satisfied = satisfied;
                }
                let to = if reached {
                    State::Closed
                } else {
                    State::CallingBack
                };
                ("call_back", to, note)
            }
            Action::Appeal { reason } => {
                if side != Side::Hall {
                    return Err(FollowupError::Forbidden { action: "appeal" });
                }
                if !self.state.is_open() || self.state == State::Appealed {
                    return Err(FollowupError::IllegalTransition {
                        state: self.state,
                        action: "appeal",
                    });
                }
                if !text_ok(&reason, true) {
                    return Err(FollowupError::Invalid {
                        message: "申诉须说明理由 / an appeal needs a reason",
                    });
                }
                self.before_appeal = Some(self.state);
                ("appeal", State::Appealed, reason)
            }
            Action::Decide { upheld, note } => {
                if side != Side::District {
                    return Err(FollowupError::Forbidden { action: "decide" });
                }
                if self.state != State::Appealed {
                    return Err(FollowupError::IllegalTransition {
                        state: self.state,
                        action: "decide",
                    });
                }
                if !text_ok(&note, true) {
                    return Err(FollowupError::Invalid {
                        message: "裁决须说明理由 / a decision needs a reason",
                    });
                }
                let to = if upheld {
                    State::Excluded
                } else {
                    self.before_appeal.take().unwrap_or(State::Verifying)
                };
                ("decide", to, note)
            }
        };
        self.state = to;
        self.history.push(Step {
            at_ms: now,
            action: name.into(),
            by: by.to_owned(),
            state: to,
            note,
        });
        Ok(effects)
    }

    /// The problem opened for it was closed: on to the callback (real
    /// name) or done.
    pub fn problem_closed(&mut self, now: i64) -> bool {
        if self.state != State::Rectifying {
            return false;
        }
        self.state = self.after_rectification();
        self.history.push(Step {
            at_ms: now,
            action: "rectified".into(),
            by: "system".into(),
            state: self.state,
            note: String::new(),
        });
        true
    }

    fn after_rectification(&self) -> State {
        if self.real_name {
            State::CallingBack
        } else {
            State::Closed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn followup(real_name: bool) -> Followup {
        Followup {
            hall: "bailou".into(),
            rating: "keypad-3:1".into(),
            score: 2,
            channel: "现场服务·评价器".into(),
            window: Some(3),
            staff: Some("S0307".into()),
            case_no: Some("BJ20261207C001".into()),
            item: None,
            real_name,
            contact: None,
            rated_ms: 1,
            verify_due_ms: 10,
            rectify_due_ms: 100,
            state: State::Verifying,
            before_appeal: None,
            genuine: None,
            verified_ms: None,
            problem: None,
            called_back: false,
            satisfied: None,
            history: Vec::new(),
        }
    }

    #[test]
    fn a_genuine_real_name_rating_is_rectified_then_called_back() {
        let mut f = followup(true);
        let fx = f
            .act(
                Side::Hall,
                "m",
                Action::Verify {
                    genuine: true,
                    finding: "窗口人员态度生硬".into(),
                },
                5,
            )
            .unwrap();
        assert_eq!(
            (fx, f.state),
            (vec![Effect::OpenProblem], State::Rectifying)
        );
        assert!(f.problem_closed(50));
        assert_eq!(f.state, State::CallingBack);
        f.act(
            Side::Hall,
            "m",
            Action::CallBack {
                reached: false,
                satisfied: None,
                note: "未接通".into(),
            },
            60,
        )
        .unwrap();
        assert_eq!(f.state, State::CallingBack);
        f.act(
            Side::Hall,
            "m",
            Action::CallBack {
                reached: true,
                satisfied: Some(true),
                note: String::new(),
            },
            70,
        )
        .unwrap();
        assert_eq!(
            (f.state, f.called_back, f.satisfied),
            (State::Closed, true, Some(true))
        );
    }

    #[test]
    fn anonymous_ratings_need_no_callback_and_unfounded_ones_are_explained() {
        let mut f = followup(false);
        f.act(
            Side::Hall,
            "m",
            Action::Verify {
                genuine: false,
                finding: "误按评价键".into(),
            },
            5,
        )
        .unwrap();
        assert_eq!(f.state, State::Closed);
        let mut f = followup(true);
        f.act(
            Side::District,
            "i",
            Action::Verify {
                genuine: false,
                finding: "材料不全，已解释说明".into(),
            },
            5,
        )
        .unwrap();
        assert_eq!(f.state, State::CallingBack);
    }

    #[test]
    fn appeals_are_decided_by_the_district() {
        let mut f = followup(true);
        assert!(matches!(
            f.act(
                Side::District,
                "i",
                Action::Appeal {
                    reason: "恶意差评".into()
                },
                5
            ),
            Err(FollowupError::Forbidden { .. })
        ));
        f.act(
            Side::Hall,
            "m",
            Action::Appeal {
                reason: "评价人未办理业务".into(),
            },
            5,
        )
        .unwrap();
        assert!(matches!(
            f.act(
                Side::Hall,
                "m",
                Action::Decide {
                    upheld: true,
                    note: "x".into()
                },
                6
            ),
            Err(FollowupError::Forbidden { .. })
        ));
        f.act(
            Side::District,
            "i",
            Action::Decide {
                upheld: false,
                note: "有办件记录".into(),
            },
            7,
        )
        .unwrap();
        assert_eq!(f.state, State::Verifying, "a rejected appeal goes back");
        f.act(
            Side::Hall,
            "m",
            Action::Appeal {
                reason: "再次申诉".into(),
            },
            8,
        )
        .unwrap();
        f.act(
            Side::District,
            "i",
            Action::Decide {
                upheld: true,
                note: "监控显示误触".into(),
            },
            9,
        )
        .unwrap();
        assert_eq!(f.state, State::Excluded);
        assert!(!f.counts());
        let before = f.clone();
        assert!(
            f.act(Side::Hall, "m", Action::Appeal { reason: "x".into() }, 10)
                .is_err()
        );
        assert_eq!(f, before);
    }
}
