//! A year of supervision for the benchmarks (2026, the district's 17
//! halls): a signed 月覆盖 visit per hall and month with ad hoc visits
//! besides, problems in every state, 差评 follow-ups and survey answers, as
//! the plugin's own document types written through the store in batches.
//! Shared by the `supervision` and `reporting` benches (`#[path]` module).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bantong_hall_kit::calendar::{day_of, start_of_day};
use bantong_hall_kit::district::HALLS;
use bantong_store::{Scope, Write};
use bantong_supervision::followup::{Followup, State as FState};
use bantong_supervision::inspection::{Answer, Kind, Verdict, score};
use bantong_supervision::month::Month;
use bantong_supervision::plugin::{AnswerDoc, FollowupDoc, InspectionDoc, ProblemDoc};
use bantong_supervision::problem::{Problem, Source, State};
use bantong_supervision::survey::{self, Channel, Given, Level};
use bantong_supervision::template::default_template;
use bantong_tests::TestApp;
use serde_json::Value;

const BATCH: usize = 2_000;

pub fn local(y: i64, mo: u8, d: u8, h: i64) -> i64 {
    start_of_day(day_of(y, mo, d).expect("date")) + h * 3_600_000
}

pub fn month(m: u8) -> Month {
    Month::new(2026, m).expect("month")
}

/// Every document of the year, as (collection, id, hall, body).
pub fn year(problems: usize) -> Vec<(&'static str, String, String, Value)> {
    let t = default_template();
    let codes: Vec<(String, String)> = t
        .items()
        .map(|(c, i)| (c.name.clone(), i.code.clone()))
        .collect();
    let mut out = Vec::new();
    for m in 1..=12u8 {
        for (h, hall) in HALLS.iter().enumerate() {
            let visits = if (h + usize::from(m)) % 4 == 0 { 2 } else { 1 };
            for v in 0..visits {
                // Items fail in a pattern that differs per hall and month.
                let answers: BTreeMap<String, Answer> = codes
                    .iter()
                    .enumerate()
                    .map(|(i, (_, code))| {
                        let fail = (i * 7 + h * 3 + usize::from(m) + v) % 9 == 0;
                        let verdict = if fail { Verdict::Fail } else { Verdict::Pass };
                        (
                            code.clone(),
                            Answer {
                                verdict,
                                occurrences: u32::from(fail),
                                note: String::new(),
                                evidence: Vec::new(),
                            },
                        )
                    })
                    .collect();
                let s = score(&t, &answers);
                let started = local(2026, m, 3 + (h as u8 % 20), 10);
                let doc = InspectionDoc {
                    hall: hall.id.into(),
                    month: month(m).to_string(),
                    month_index: month(m).index(),
                    kind: if v == 0 { Kind::Routine } else { Kind::Adhoc },
                    visit: None,
                    methods: Vec::new(),
                    template_version: 1,
                    inspector: "inspector-1".into(),
                    inspector_name: "inspector-1".into(),
                    started_ms: started,
                    saved_ms: started,
                    answers,
                    status: bantong_supervision::plugin::InspectionStatus::Signed,
                    signed_ms: Some(started + 3_600_000),
                    score_centi: s.centipoints,
                    applicable: s.applicable,
                    score: Some(s),
                    problems: Vec::new(),
                };
                out.push((
                    "inspections",
                    format!("{}-{m}-{v}", hall.id),
                    hall.id.to_owned(),
                    serde_json::to_value(doc).expect("json"),
                ));
            }
        }
    }
    let sources = [
        "inspection",
        "inspection",
        "inspection",
        "camera",
        "rating",
        "hotline",
    ];
    for i in 0..problems {
        let m = ((i * 7) % 12) as u8 + 1;
        let hall = &HALLS[(i / 12) % HALLS.len()];
        let (category, code) = &codes[(i * 5) % codes.len()];
        let issued = local(2026, m, 1 + (i % 27) as u8, 11);
        let due = {
            let next = month(m).next();
            start_of_day(next.last_day()) + 17 * 3_600_000
        };
        let source = match sources[(i / 12) % sources.len()] {
            "inspection" => Source::Inspection {
                inspection: format!("{}-{m}-0", hall.id),
                item: code.clone(),
            },
            "camera" => Source::Camera {
                candidate: format!("c{i}"),
                alert: "window-unattended".into(),
            },
            "rating" => Source::Rating {
                followup: format!("f{i}"),
            },
            _ => Source::Hotline {
                order: format!("GD{i}"),
            },
        };
        let mut p = Problem::issue(
            hall.id.into(),
            month(m).to_string(),
            category.clone(),
            Some(code.clone()),
            "问题".into(),
            "描述".into(),
            source,
            Vec::new(),
            "inspector-1",
            issued,
            due,
        );
        p.recurrent = i % 7 == 0;
        match i % 10 {
            0..=5 => {
                p.state = State::Closed;
                p.closed_ms = Some(if i % 10 == 5 {
                    due + 86_400_000
                } else {
                    issued + 10 * 86_400_000
                });
            }
            6 | 7 => p.state = State::Rectifying,
            8 => p.state = State::Reported,
            _ => {}
        }
        out.push((
            "problems",
            format!("p{i}"),
            hall.id.to_owned(),
            serde_json::to_value(ProblemDoc::new(p, month(m).index())).expect("json"),
        ));
    }
    // Survey answers: two and a half per problem (50,000 with 20,000
    // problems), every level and channel, spread over the year and halls.
    for i in 0..problems * 5 / 2 {
        let m = (i % 12) as u8 + 1;
        let hall = &HALLS[(i / 12) % HALLS.len()];
        let at = local(2026, m, 1 + (i % 27) as u8, 9 + (i % 8) as i64);
        let level = Level::of([5, 5, 4, 4, 4, 3, 2, 1][(i / 7) % 8]).expect("level");
        let channel = match i % 10 {
            0..=6 => Channel::OnSite,
            7 | 8 => Channel::Online,
            _ => Channel::Phone,
        };
        let answer = survey::Answer {
            overall: level,
            answers: [("overall".to_owned(), Given::Level(level))].into(),
            reasons: Vec::new(),
            contact: None,
        };
        out.push((
            "answers",
            format!("a{i}"),
            hall.id.to_owned(),
            serde_json::to_value(AnswerDoc::new(hall.id, channel, 1, at, answer)).expect("json"),
        ));
    }
    for i in 0..problems / 4 {
        let m = (i % 12) as u8 + 1;
        let hall = &HALLS[i % HALLS.len()];
        let rated = local(2026, m, 1 + (i % 27) as u8, 15);
        let f = Followup {
            hall: hall.id.into(),
            rating: format!("r{i}"),
            score: 1 + (i % 2) as u8,
            channel: "现场服务·评价器".into(),
            window: Some(3),
            staff: None,
            case_no: None,
            item: None,
            real_name: (i / 12) % 3 != 0,
            contact: None,
            rated_ms: rated,
            verify_due_ms: rated + 5 * 86_400_000,
            rectify_due_ms: rated + 20 * 86_400_000,
            state: if i % 4 == 0 {
                FState::Verifying
            } else {
                FState::Closed
            },
            before_appeal: None,
            genuine: Some(true),
            verified_ms: (i % 4 != 0).then_some(rated + 86_400_000),
            problem: None,
            called_back: i % 4 != 0 && (i / 12) % 3 != 0,
            satisfied: None,
            history: Vec::new(),
        };
        out.push((
            "followups",
            format!("f{i}"),
            hall.id.to_owned(),
            serde_json::to_value(FollowupDoc::new(f, month(m).to_string())).expect("json"),
        ));
    }
    out
}

pub async fn seed(app: &TestApp, problems: usize) -> (usize, Duration) {
    let scope = Scope::all("supervision");
    let docs = year(problems);
    let started = Instant::now();
    for chunk in docs.chunks(BATCH) {
        let mut uow = app.host.state.store.begin();
        for (collection, id, hall, body) in chunk {
            let w = Write {
                id: Some(id.clone()),
                hall: Some(hall.clone()),
                body: body.clone(),
                expected_version: None,
            };
            uow.put(&scope, collection, w).await.expect("put");
        }
        uow.commit().await.expect("commit");
    }
    (docs.len(), started.elapsed())
}
