//! Training and the cloud exam (培训 / 云考试) through the HTTP API and the
//! plugin, on SQLite and PostgreSQL:
//!
//! - a workbook with one bad row is refused naming that row, and nothing
//!   is stored; the good workbook is imported, and its author cannot
//!   approve the questions (a second trainer does);
//! - a blueprint exam for 50 window staff in two halls gives each a valid
//!   paper (the rows' counts, no question twice) in a different order; an
//!   edit to a question after the exam was set does not reach it;
//! - answers survive a dropped connection and a host restart; a hand-in
//!   after the deadline is refused and the sitting is finished from its
//!   saved answers;
//! - every question kind is marked, with half marks for a correct subset
//!   of a multiple choice, and a short answer marked blind;
//! - the item statistics of a ten-person exam equal the hand-computed
//!   fixture to three decimals;
//! - people below the line on a knowledge point get a gap and a follow-up
//!   assignment; staff see only their own results, a hall's trainer and
//!   manager only their hall;
//! - a quarterly plan's progress follows its classes; a class's QR code
//!   signs its roster in within the window (late counted), a trainer
//!   records the rest; the pre-post syllabus fills unit by unit; a failed
//!   spot check stays on the recheck list until a recheck passes.

use bantong_hall_kit::calendar::{day_of, start_of_day};
use bantong_hall_kit::xlsx::Workbook;
use bantong_host::identity::Role;
use bantong_tests::TestDb;
use bantong_tests::app::{Client, Reply, TestApp, TestHost};
use bantong_tests::db::{Backend, backends};
use bantong_tests::office::{docx_text, pdf_text, read_workbook, squeeze};
use http::StatusCode;
use serde_json::{Value, json};

const P: &str = "/api/plugins/training";
const MIN: i64 = 60_000;

/// Milliseconds of a local (UTC+8) civil time.
fn local(y: i64, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
    start_of_day(day_of(y, mo, d).expect("date")) + (h * 60 + mi) * MIN
}

/// Stops the plugins' clock at `ms`.
fn at(host: &TestHost, ms: i64) {
    host.state.plugins.index().set_plugin_clock(Some(ms));
}

#[track_caller]
fn expect(r: &Reply, status: StatusCode) -> Value {
    assert_eq!(r.status, status, "{}", r.json());
    r.json()
}

const POINTS: [&str; 3] = ["首问负责", "一次性告知", "廉政纪律"];
const LEVELS: [(&str, &str); 2] = [("易", "easy"), ("中", "medium")];
const RIGHT: &str = "做法甲";

/// The bank as a workbook: 4 single-choice questions per knowledge point
/// and difficulty, one of every other kind, and five one-mark questions
/// for the statistics exam. `bad_row` (Excel's number) gets a wrong
/// answer letter.
fn workbook(bad_row: Option<u32>) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_sheet("题库").expect("sheet");
    sheet
        .header(&[
            "题型",
            "题干",
            "选项A",
            "选项B",
            "选项C",
            "选项D",
            "选项E",
            "答案",
            "分值",
            "知识点",
            "难度",
            "依据",
            "失效日期",
        ])
        .expect("header");
    let mut rows: Vec<Vec<String>> = Vec::new();
    for k in POINTS {
        for (zh, _) in LEVELS {
            for n in 1..=4 {
                rows.push(
                    [
                        "单选题",
                        &format!("{k}{zh}第{n}题：正确的做法是？"),
                        RIGHT,
                        "做法乙",
                        "做法丙",
                        "以上都不对",
                        "",
                        "A",
                        "5",
                        k,
                        zh,
                        "《政务服务规范》",
                        "2030-12-31",
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                );
            }
        }
    }
    let other: [[&str; 13]; 4] = [
        [
            "多选题",
            "综合：一次性告知应当告知哪些内容？",
            "办理依据",
            "家庭住址",
            "申请材料",
            "办理时限",
            "个人爱好",
            "ACD",
            "3",
            "一次性告知",
            "难",
            "",
            "",
        ],
        [
            "判断题",
            "综合：可以要求群众提供本部门已有的材料。",
            "",
            "",
            "",
            "",
            "",
            "错",
            "1",
            "减证便民",
            "难",
            "",
            "",
        ],
        [
            "填空题",
            "综合：实行“____受理、后台分类审批、____窗口出件”。",
            "",
            "",
            "",
            "",
            "",
            "前台综合；统一|综合",
            "4",
            "综窗国家标准",
            "难",
            "",
            "",
        ],
        [
            "简答题",
            "综合：简述帮办代办服务的一般流程。",
            "",
            "",
            "",
            "",
            "",
            "受理申请、确认事项、代为办理、结果反馈",
            "10",
            "帮办代办",
            "难",
            "",
            "",
        ],
    ];
    rows.extend(other.iter().map(|r| r.map(str::to_owned).to_vec()));
    for n in 0..5 {
        rows.push(
            [
                "单选题",
                &format!("统计第{n}题"),
                "对的",
                "错的乙",
                "错的丙",
                "错的丁",
                "",
                "A",
                "1",
                "统计",
                "难",
                "",
                "",
            ]
            .map(str::to_owned)
            .to_vec(),
        );
    }
    for (i, r) in rows.iter_mut().enumerate() {
        if bad_row == Some(i as u32 + 2) {
            r[7] = "F".into();
        }
    }
    for r in rows {
        sheet.push_row(r).expect("row");
    }
    book.to_bytes().expect("xlsx")
}

struct World {
    app: TestApp,
    author: Client,
    reviewer: Client,
    bailou_trainer: Client,
    nanyuan_manager: Client,
    /// 25 in 白楼 (0–24), 25 in 南苑 (25–49).
    staff: Vec<Client>,
}

async fn world(backend: Backend) -> World {
    let app = TestApp::new(TestDb::new(backend).await).await;
    app.install_training().await;
    let h = &app.host;
    let author = h
        .client_as("trainer-a", vec![Role::HrOfficer], &[], true)
        .await;
    let reviewer = h
        .client_as("trainer-b", vec![Role::HrOfficer], &[], true)
        .await;
    let mut staff = Vec::new();
    for i in 0..50 {
        let hall = if i < 25 { "bailou" } else { "nanyuan" };
        staff.push(
            h.client_as(
                &format!("staff-{i:02}"),
                vec![Role::WindowStaff],
                &[hall],
                false,
            )
            .await,
        );
    }
    World {
        bailou_trainer: h
            .client_as("trainer-bailou", vec![Role::HrOfficer], &["bailou"], false)
            .await,
        nanyuan_manager: h
            .client_as(
                "manager-nanyuan",
                vec![Role::HallManager],
                &["nanyuan"],
                false,
            )
            .await,
        author,
        reviewer,
        staff,
        app,
    }
}

async fn import(c: &Client, bytes: Vec<u8>) -> Reply {
    let req = http::Request::builder()
        .method("POST")
        .uri(format!("{P}/questions/import"))
        .header(
            "content-type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .header(
            "authorization",
            format!("Bearer {}", c.token.as_deref().unwrap_or_default()),
        )
        .body(axum::body::Body::from(bytes))
        .expect("request");
    c.raw(req).await
}

/// The bank's questions by stem → id.
async fn bank(c: &Client) -> Vec<Value> {
    let r = c.get(&format!("{P}/questions?limit=200")).await;
    expect(&r, StatusCode::OK)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The answer choosing the options with these texts, as shown.
fn choose(q: &Value, texts: &[&str]) -> Value {
    let shown: Vec<usize> = q["options"]
        .as_array()
        .map(|o| {
            o.iter()
                .enumerate()
                .filter(|(_, t)| texts.contains(&t.as_str().unwrap_or_default()))
                .map(|(i, _)| i)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(shown.len(), texts.len(), "{q} has {texts:?}");
    json!({ "answer": { "type": "options", "options": shown } })
}

async fn answer(c: &Client, exam: &str, q: &Value, body: Value) -> Reply {
    c.put(&format!("{P}/my/exams/{exam}/answers/{}", q["slot"]), body)
        .await
}

fn client_on(host: &TestHost, c: &Client) -> Client {
    host.client(c.token.as_deref())
}

async fn the_bank(w: &World) {
    // One bad row: refused with its number, nothing stored.
    let r = import(&w.author, workbook(Some(5))).await;
    let body = expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["problems"][0]["row"], 5, "{body}");
    assert_eq!(body["problems"][0]["column"], "答案");
    assert_eq!(body["problems"].as_array().map(Vec::len), Some(1));
    assert!(bank(&w.author).await.is_empty(), "nothing stored");
    // Not a workbook at all.
    let r = import(&w.author, b"PK\x03\x04 not really".to_vec()).await;
    expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
    // Staff may not import.
    let r = import(&w.staff[0], workbook(None)).await;
    expect(&r, StatusCode::FORBIDDEN);

    let r = import(&w.author, workbook(None)).await;
    assert_eq!(expect(&r, StatusCode::CREATED)["imported"], 33);
    let questions = bank(&w.author).await;
    assert_eq!(questions.len(), 33);
    assert!(questions.iter().all(|q| q["status"] == "pending"));
    // The author cannot approve their own question; the reviewer can.
    let first = questions[0]["id"].as_str().unwrap_or_default();
    let r = w
        .author
        .post(
            &format!("{P}/questions/{first}/review"),
            json!({ "action": "approve" }),
        )
        .await;
    assert_eq!(
        expect(&r, StatusCode::FORBIDDEN)["error"]["code"],
        "own_question"
    );
    for q in &questions {
        let id = q["id"].as_str().unwrap_or_default();
        let r = w
            .reviewer
            .post(
                &format!("{P}/questions/{id}/review"),
                json!({ "action": "approve" }),
            )
            .await;
        expect(&r, StatusCode::OK);
    }
    // Knowledge points with usable counts, for building a blueprint.
    let r = w.author.get(&format!("{P}/knowledge")).await;
    let k = expect(&r, StatusCode::OK);
    let first_point = k["items"]
        .as_array()
        .and_then(|i| i.iter().find(|p| p["knowledge"] == "首问负责"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (first_point["easy"].clone(), first_point["medium"].clone()),
        (json!(4), json!(4))
    );
}

async fn set_exam(c: &Client, body: Value) -> String {
    let r = c.post(&format!("{P}/exams"), body).await;
    expect(&r, StatusCode::CREATED)["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn blueprint_exam(w: &World) {
    let t0 = local(2026, 12, 10, 9, 0);
    at(&w.app.host, t0 - 60 * MIN);
    let exam = set_exam(
        &w.author,
        json!({
            "title": "12月业务知识月考",
            "kind": "monthly",
            "opens": "2026-12-10T09:00",
            "closes": "2026-12-10T12:00",
            "minutes": 30,
            "blueprint": POINTS.iter().flat_map(|k| LEVELS.iter().map(move |(d, _)| format!("{k} {d} 2 5"))).collect::<Vec<_>>(),
        }),
    )
    .await;
    let r = w.author.get(&format!("{P}/exams/{exam}")).await;
    let e = expect(&r, StatusCode::OK);
    assert_eq!(
        (
            e["candidates"].clone(),
            e["questions"].clone(),
            e["marks"].clone()
        ),
        (json!(50), json!(12), json!(60))
    );
    // A blueprint asking for more than the bank holds is refused.
    let r = w
        .author
        .post(
            &format!("{P}/exams"),
            json!({ "title": "x", "kind": "weekly", "opens": "2026-12-10T09:00", "closes": "2026-12-10T12:00",
                    "minutes": 30, "blueprint": ["首问负责 易 5 2"] }),
        )
        .await;
    let msg = expect(&r, StatusCode::UNPROCESSABLE_ENTITY)["error"]["message"].to_string();
    assert!(msg.contains("需要5题") && msg.contains("只有4题"), "{msg}");
    // Not yet open.
    let r = w.staff[0]
        .post(&format!("{P}/my/exams/{exam}/start"), json!({}))
        .await;
    expect(&r, StatusCode::CONFLICT);

    // An edit after the exam was set does not reach it.
    let questions = bank(&w.author).await;
    let edited = questions
        .iter()
        .find(|q| q["stem"] == "首问负责易第1题：正确的做法是？")
        .and_then(|q| q["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let r = w
        .author
        .put(
            &format!("{P}/questions/{edited}"),
            json!({ "kind": "single", "stem": "改过的题干", "options": [RIGHT, "做法乙"], "answer": "A",
                    "marks": 5, "knowledge": "首问负责", "difficulty": "easy" }),
        )
        .await;
    assert_eq!(expect(&r, StatusCode::OK)["version"], 2);

    at(&w.app.host, t0 + MIN);
    let mut papers = std::collections::BTreeSet::new();
    let mut sittings = Vec::new();
    for s in &w.staff {
        let r = s
            .post(&format!("{P}/my/exams/{exam}/start"), json!({}))
            .await;
        let sitting = expect(&r, StatusCode::CREATED);
        let qs = sitting["questions"].as_array().cloned().unwrap_or_default();
        assert_eq!(qs.len(), 12);
        let stems: Vec<String> = qs
            .iter()
            .map(|q| q["stem"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(
            !stems.iter().any(|s| s == "改过的题干"),
            "the exam keeps the version it was set with"
        );
        let distinct: std::collections::BTreeSet<&String> = stems.iter().collect();
        assert_eq!(distinct.len(), 12, "no question twice");
        for k in POINTS {
            for (d, _) in LEVELS {
                let n = stems
                    .iter()
                    .filter(|s| s.starts_with(&format!("{k}{d}")))
                    .count();
                assert_eq!(n, 2, "{k}{d} in {stems:?}");
            }
        }
        let order: Vec<String> = qs
            .iter()
            .map(|q| format!("{}{}", q["stem"], q["options"]))
            .collect();
        papers.insert(order);
        assert!(
            qs.iter()
                .all(|q| q["answer"].is_null() && q.get("key").is_none())
        );
        sittings.push(qs);
    }
    assert_eq!(
        papers.len(),
        50,
        "every candidate's paper is in a different order"
    );

    // Staff 0 answers six, the connection drops; the sitting comes back
    // with the six answers, then again from a restarted host.
    let s0 = &w.staff[0];
    for q in sittings[0].iter().take(6) {
        expect(
            &answer(s0, &exam, q, choose(q, &[RIGHT])).await,
            StatusCode::OK,
        );
    }
    at(&w.app.host, t0 + 11 * MIN);
    let r = s0.get(&format!("{P}/my/exams/{exam}/sitting")).await;
    let back = expect(&r, StatusCode::OK);
    assert_eq!(back["answered"], 6);
    assert_eq!(
        back["remaining_ms"],
        20 * MIN,
        "the server's clock kept running"
    );
    for (q, before) in back["questions"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .zip(&sittings[0])
        .take(6)
    {
        assert_eq!(q["answer"], choose(before, &[RIGHT])["answer"]);
    }
    let restarted = TestApp::start(&w.app.config).await;
    at(&restarted, t0 + 12 * MIN);
    let s0_again = client_on(&restarted, s0);
    let r = s0_again.get(&format!("{P}/my/exams/{exam}/sitting")).await;
    let back = expect(&r, StatusCode::OK);
    assert_eq!(back["answered"], 6, "answers survive a host restart");
    assert_eq!(back["remaining_ms"], 19 * MIN);
    // Staff 0 finishes on the restarted host; switching away is counted.
    let r = s0_again
        .post(&format!("{P}/my/exams/{exam}/away"), json!({}))
        .await;
    assert_eq!(expect(&r, StatusCode::OK)["switches"], 1);
    for q in sittings[0].iter().skip(6) {
        expect(
            &answer(&s0_again, &exam, q, choose(q, &[RIGHT])).await,
            StatusCode::OK,
        );
    }
    let r = s0_again
        .post(&format!("{P}/my/exams/{exam}/submit"), json!({}))
        .await;
    let done = expect(&r, StatusCode::OK);
    assert_eq!(done["result"]["score"], 60.0);
    assert_eq!(done["result"]["passed"], true);

    // Everyone else: 1–39 right throughout; 40–49 wrong on 首问负责.
    at(&w.app.host, t0 + 15 * MIN);
    for (i, s) in w.staff.iter().enumerate().skip(1) {
        for q in &sittings[i] {
            let wrong = i >= 40
                && q["stem"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("首问负责");
            let body = choose(q, &[if wrong { "做法乙" } else { RIGHT }]);
            expect(&answer(s, &exam, q, body).await, StatusCode::OK);
        }
        if i < 49 {
            let r = s
                .post(&format!("{P}/my/exams/{exam}/submit"), json!({}))
                .await;
            expect(&r, StatusCode::OK);
        }
    }
    // Staff 49 hands in after the deadline: refused, finished from what
    // was saved.
    at(&w.app.host, t0 + MIN + 30 * MIN + 6_000);
    let r = w.staff[49]
        .post(&format!("{P}/my/exams/{exam}/submit"), json!({}))
        .await;
    assert_eq!(expect(&r, StatusCode::CONFLICT)["error"]["code"], "time_up");
    let r = w.staff[49]
        .get(&format!("{P}/my/exams/{exam}/sitting"))
        .await;
    let late = expect(&r, StatusCode::OK);
    assert_eq!(late["state"], "timed_out");
    assert_eq!(late["result"]["score"], 40.0);
    let r = answer(
        &w.staff[49],
        &exam,
        &sittings[49][0],
        choose(&sittings[49][0], &[RIGHT]),
    )
    .await;
    expect(&r, StatusCode::CONFLICT);

    // Staff see only their own results.
    let r = w.staff[1].get(&format!("{P}/my/results")).await;
    let mine = expect(&r, StatusCode::OK);
    assert_eq!(mine["total"], 1);
    let r = w.staff[0].get(&format!("{P}/my/results")).await;
    let theirs = expect(&r, StatusCode::OK)["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = w.staff[1]
        .get(&format!("{P}/my/results/{}", urlencode(&theirs)))
        .await;
    expect(&r, StatusCode::FORBIDDEN);
    let r = w.staff[1].get(&format!("{P}/exams/{exam}/sittings")).await;
    expect(&r, StatusCode::FORBIDDEN);
    let r = w.staff[1].get(&format!("{P}/exams/{exam}/analysis")).await;
    expect(&r, StatusCode::FORBIDDEN);
    // A hall's trainer sees the hall's candidates only.
    let r = w
        .bailou_trainer
        .get(&format!("{P}/exams/{exam}/sittings"))
        .await;
    let seen = expect(&r, StatusCode::OK);
    assert_eq!(seen["total"], 25);
    assert!(
        seen["items"]
            .as_array()
            .unwrap_or(&vec![])
            .iter()
            .all(|i| i["hall"] == "bailou")
    );
    // The answers are revealed only after the window closes.
    let r = w.staff[0]
        .get(&format!("{P}/my/results/{}", urlencode(&theirs)))
        .await;
    let review = expect(&r, StatusCode::OK);
    assert_eq!(review["revealed"], false);
    assert!(review["questions"][0]["right"].is_null());

    // Closing: the analysis is made and the gaps become assignments.
    let r = w
        .author
        .post(&format!("{P}/exams/{exam}/close"), json!({}))
        .await;
    expect(&r, StatusCode::CONFLICT);
    at(&w.app.host, t0 + 3 * 60 * MIN + MIN);
    let r = w
        .author
        .post(&format!("{P}/exams/{exam}/close"), json!({}))
        .await;
    assert_eq!(expect(&r, StatusCode::OK)["gaps"], 10);
    let r = w.staff[45].get(&format!("{P}/my/assignments")).await;
    let a = expect(&r, StatusCode::OK);
    assert_eq!(a["total"], 1);
    assert_eq!(a["items"][0]["knowledge"], "首问负责");
    assert_eq!(a["items"][0]["state"], "open");
    let r = w.staff[45].get(&format!("{P}/my/mastery")).await;
    let m = expect(&r, StatusCode::OK);
    let point = m["items"]
        .as_array()
        .and_then(|i| i.iter().find(|p| p["knowledge"] == "首问负责"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (point["latest"].clone(), point["gap"].clone()),
        (json!(0.0), json!(true))
    );
    let r = w.staff[3].get(&format!("{P}/my/assignments")).await;
    assert_eq!(expect(&r, StatusCode::OK)["total"], 0);
    let id = a["items"][0]["id"].as_str().unwrap_or_default().to_owned();
    // Someone else in the same hall may not close it; in another hall it
    // is not even there.
    let r = w.staff[26]
        .post(
            &format!("{P}/my/assignments/{}/done", urlencode(&id)),
            json!({}),
        )
        .await;
    expect(&r, StatusCode::FORBIDDEN);
    let r = w.staff[3]
        .post(
            &format!("{P}/my/assignments/{}/done", urlencode(&id)),
            json!({}),
        )
        .await;
    expect(&r, StatusCode::NOT_FOUND);
    let r = w.staff[45]
        .post(
            &format!("{P}/my/assignments/{}/done", urlencode(&id)),
            json!({}),
        )
        .await;
    assert_eq!(expect(&r, StatusCode::OK)["state"], "done");
    let r = w.staff[0]
        .get(&format!("{P}/my/results/{}", urlencode(&theirs)))
        .await;
    assert_eq!(expect(&r, StatusCode::OK)["revealed"], true);

    // 南苑's manager reads 南苑's part of the analysis.
    let r = w
        .nanyuan_manager
        .get(&format!("{P}/exams/{exam}/analysis"))
        .await;
    let an = expect(&r, StatusCode::OK);
    assert_eq!(an["summary"]["expected"], 25);
    assert_eq!(an["halls"].as_array().map(Vec::len), Some(1));
    assert_eq!(an["halls"][0]["hall"], "nanyuan");
    // The month's figures, district-wide.
    let r = w.author.get(&format!("{P}/figures?month=2026-12")).await;
    let f = expect(&r, StatusCode::OK);
    assert_eq!(f["overall"]["participation"]["numerator"], 50);
    assert_eq!(f["overall"]["participation"]["denominator"], 50);
    assert_eq!(f["overall"]["pass_rate"]["numerator"], 50);
    assert_eq!(f["overall"]["follow_up"]["numerator"], 1);
    assert_eq!(f["overall"]["follow_up"]["denominator"], 10);
    assert_eq!(
        f["halls"]["bailou"]["figures"]["participation"]["denominator"],
        25
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every kind marked: 2 (single, right) + 1.5 (multiple, two of three
/// right) + 0 (true/false, wrong) + 2 (fill-in, one blank of two) + 7.5
/// (short answer, marked blind) = 13 of 20.
async fn every_kind(w: &World) {
    let t0 = local(2026, 12, 11, 9, 0);
    at(&w.app.host, t0);
    let questions = bank(&w.author).await;
    let id_of = |prefix: &str| {
        questions
            .iter()
            .find(|q| q["stem"].as_str().unwrap_or_default().starts_with(prefix))
            .and_then(|q| q["id"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let single = id_of("一次性告知易第1题");
    let exam = set_exam(
        &w.author,
        json!({
            "title": "题型测验", "kind": "weekly", "opens": "2026-12-11T09:00", "closes": "2026-12-11T11:00",
            "minutes": 60, "halls": ["bailou"],
            "paper": { "type": "fixed", "questions": [
                { "id": single, "marks": 2 }, { "id": id_of("综合：一次性告知") }, { "id": id_of("综合：可以要求") },
                { "id": id_of("综合：实行") }, { "id": id_of("综合：简述") } ] },
        }),
    )
    .await;
    let s = &w.staff[2];
    let r = s
        .post(&format!("{P}/my/exams/{exam}/start"), json!({}))
        .await;
    let sitting = expect(&r, StatusCode::CREATED);
    assert_eq!(sitting["marks"], 20);
    let qs = sitting["questions"].as_array().cloned().unwrap_or_default();
    let by_kind = |k: &str| {
        qs.iter()
            .find(|q| q["kind"] == k)
            .cloned()
            .unwrap_or_default()
    };
    let q = by_kind("single");
    expect(
        &answer(s, &exam, &q, choose(&q, &[RIGHT])).await,
        StatusCode::OK,
    );
    let q = by_kind("multiple");
    expect(
        &answer(s, &exam, &q, choose(&q, &["办理依据", "办理时限"])).await,
        StatusCode::OK,
    );
    let q = by_kind("true_false");
    expect(
        &answer(
            s,
            &exam,
            &q,
            json!({ "answer": { "type": "truth", "truth": true } }),
        )
        .await,
        StatusCode::OK,
    );
    let q = by_kind("fill_in");
    assert_eq!(q["blanks"], 2);
    let r = answer(
        s,
        &exam,
        &q,
        json!({ "answer": { "type": "blanks", "blanks": ["前台综合"] } }),
    )
    .await;
    expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
    expect(
        &answer(
            s,
            &exam,
            &q,
            json!({ "answer": { "type": "blanks", "blanks": [" 前台综合 ", "一个"] } }),
        )
        .await,
        StatusCode::OK,
    );
    let q = by_kind("short");
    expect(
        &answer(
            s,
            &exam,
            &q,
            json!({ "answer": { "type": "text", "text": "先受理申请，再确认事项并代为办理。" } }),
        )
        .await,
        StatusCode::OK,
    );
    let r = s
        .post(&format!("{P}/my/exams/{exam}/submit"), json!({}))
        .await;
    let done = expect(&r, StatusCode::OK);
    assert_eq!(
        done["result"]["score"], 5.5,
        "objective part: 2 + 1.5 + 0 + 2"
    );
    assert_eq!(done["result"]["pending"], 1);
    assert!(done["result"]["passed"].is_null(), "not known until marked");

    // The marker sees the answer, not who gave it.
    let r = w.reviewer.get(&format!("{P}/marking?exam={exam}")).await;
    let queue = expect(&r, StatusCode::OK);
    assert_eq!(queue["total"], 1);
    let text = queue.to_string();
    assert!(
        !text.contains("staff-02") && !text.contains("bailou"),
        "{text}"
    );
    let ticket = queue["items"][0]["ticket"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = w
        .reviewer
        .post(
            &format!("{P}/marking"),
            json!({ "exam": exam, "ticket": ticket, "marks": 7.25 }),
        )
        .await;
    expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
    let r = w
        .reviewer
        .post(
            &format!("{P}/marking"),
            json!({ "exam": exam, "ticket": ticket, "marks": 7.5 }),
        )
        .await;
    expect(&r, StatusCode::OK);
    let r = s.get(&format!("{P}/my/exams/{exam}/sitting")).await;
    let marked = expect(&r, StatusCode::OK);
    assert_eq!(marked["result"]["score"], 13.0);
    assert_eq!(marked["result"]["percent"], 65.0);
    assert_eq!(marked["result"]["passed"], true);
    let r = w.reviewer.get(&format!("{P}/marking?exam={exam}")).await;
    assert_eq!(expect(&r, StatusCode::OK)["total"], 0);
}

/// Ten candidates answer five one-mark questions by the unit tests' grid;
/// the analysis equals the hand-computed values.
async fn statistics(w: &World) {
    const GRID: [[u8; 5]; 10] = [
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 0],
        [1, 1, 1, 0, 1],
        [1, 1, 0, 1, 0],
        [1, 1, 1, 0, 0],
        [1, 0, 1, 0, 0],
        [1, 1, 0, 0, 0],
        [0, 1, 0, 0, 0],
        [1, 0, 0, 0, 0],
        [0, 0, 0, 0, 1],
    ];
    let t0 = local(2026, 12, 12, 9, 0);
    at(&w.app.host, t0);
    let questions = bank(&w.author).await;
    let ids: Vec<String> = (0..5)
        .map(|n| {
            questions
                .iter()
                .find(|q| q["stem"] == format!("统计第{n}题"))
                .and_then(|q| q["id"].as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let exam = set_exam(
        &w.author,
        json!({ "title": "统计测验", "kind": "special", "opens": "2026-12-12T09:00", "closes": "2026-12-12T10:00",
                "minutes": 30, "halls": ["bailou"], "questions": ids }),
    )
    .await;
    for (c, row) in GRID.iter().enumerate() {
        let s = &w.staff[c];
        let r = s
            .post(&format!("{P}/my/exams/{exam}/start"), json!({}))
            .await;
        let qs = expect(&r, StatusCode::CREATED)["questions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for q in &qs {
            let n: usize = q["stem"]
                .as_str()
                .and_then(|t| t.strip_prefix("统计第"))
                .and_then(|t| t.strip_suffix("题"))
                .and_then(|t| t.parse().ok())
                .unwrap_or(99);
            let pick = match (row[n], n, c) {
                (1, ..) => "对的",
                (_, 0, 9) => "错的丁",
                (_, 0, _) => "错的丙",
                _ => "错的乙",
            };
            expect(
                &answer(s, &exam, q, choose(q, &[pick])).await,
                StatusCode::OK,
            );
        }
        expect(
            &s.post(&format!("{P}/my/exams/{exam}/submit"), json!({}))
                .await,
            StatusCode::OK,
        );
    }
    let r = w.author.get(&format!("{P}/exams/{exam}/analysis")).await;
    let a = expect(&r, StatusCode::OK);
    let r3 = |v: &Value| v.as_f64().map(|x| (x * 1000.0).round() / 1000.0);
    let slot = |i: usize, what: &str| r3(&a["slots"][i.to_string()][what]);
    let facility: Vec<Option<f64>> = (0..5).map(|i| slot(i, "facility")).collect();
    assert_eq!(facility, [0.8, 0.7, 0.5, 0.3, 0.3].map(Some));
    let d: Vec<Option<f64>> = (0..5).map(|i| slot(i, "discrimination")).collect();
    assert_eq!(d, [0.667, 0.667, 1.0, 0.667, 0.333].map(Some));
    let r: Vec<Option<f64>> = (0..5).map(|i| slot(i, "point_biserial")).collect();
    assert_eq!(r, [0.343, 0.327, 0.479, 0.417, 0.017].map(Some));
    assert_eq!(r3(&a["alpha"]), Some(0.543));
    assert_eq!(a["summary"]["expected"], 25);
    assert_eq!(a["summary"]["sat"], 10);
    // Distractors of 统计第0题 (bank order A–D): B never chosen.
    let q0 = a["questions"]
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["stem"] == "统计第0题"))
        .cloned()
        .unwrap_or_default();
    let shares: Vec<Option<f64>> = (0..4).map(|o| r3(&q0["options"][o]["share"])).collect();
    assert_eq!(shares, [0.8, 0.0, 0.1, 0.1].map(Some));
    assert_eq!(q0["options"][1]["flags"][0], "干扰项无效");
}

/// 行政办事员 certification: records, a batch checked against the rules, a
/// result that issues a certificate, 持证率.
async fn certification(w: &World) {
    at(&w.app.host, local(2026, 12, 12, 15, 0));
    let r = w.author.get(&format!("{P}/certification/staff")).await;
    let staff = expect(&r, StatusCode::OK);
    assert_eq!(staff["total"], 50);
    let id_of = |name: &str| {
        staff["items"]
            .as_array()
            .and_then(|i| i.iter().find(|p| p["name"] == name))
            .and_then(|p| p["id"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let (a, b, c) = (id_of("staff-00"), id_of("staff-01"), id_of("staff-02"));
    let r = w
        .author
        .put(
            &format!("{P}/certification/staff/{a}"),
            json!({ "education": "college", "since": "2024-01-01" }),
        )
        .await;
    expect(&r, StatusCode::OK);
    let r = w
        .author
        .put(
            &format!("{P}/certification/staff/{b}"),
            json!({ "education": "bachelor", "since": "2026-06-01" }),
        )
        .await;
    expect(&r, StatusCode::OK);
    let r = w
        .author
        .put(
            &format!("{P}/certification/staff/{b}"),
            json!({ "education": "bachelor", "since": "2027-06-01" }),
        )
        .await;
    expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
    let r = w.staff[0]
        .put(
            &format!("{P}/certification/staff/{a}"),
            json!({ "education": "college", "since": "2020-01-01" }),
        )
        .await;
    expect(&r, StatusCode::FORBIDDEN);
    let r = w
        .author
        .post(
            &format!("{P}/certification/batches"),
            json!({ "title": "2026年第四批行政办事员考核", "level": "five", "exam_date": "2026-12-20", "people": [a, b, c] }),
        )
        .await;
    let made = expect(&r, StatusCode::CREATED);
    assert_eq!(
        (made["enrolled"].clone(), made["not_eligible"].clone()),
        (json!(1), json!(2))
    );
    let batch = made["id"].as_str().unwrap_or_default().to_owned();
    let r = w
        .author
        .get(&format!("{P}/certification/batches/{batch}"))
        .await;
    let list = expect(&r, StatusCode::OK);
    let basis: Vec<String> = list["people"]
        .as_array()
        .map(|people| {
            people
                .iter()
                .map(|p| p["basis"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        basis.iter().any(|b| b.contains("从事本职业0年，需满1年")),
        "{basis:?}"
    );
    assert!(basis.iter().any(|b| b.contains("未登记")), "{basis:?}");
    let r = w
        .author
        .post(
            &format!("{P}/certification/batches/{batch}/results"),
            json!({ "person": b, "theory": 90, "skill": 90 }),
        )
        .await;
    assert_eq!(
        expect(&r, StatusCode::CONFLICT)["error"]["code"],
        "not_eligible"
    );
    let r = w
        .author
        .post(
            &format!("{P}/certification/batches/{batch}/results"),
            json!({ "person": a, "theory": 72, "skill": 65 }),
        )
        .await;
    let passed = expect(&r, StatusCode::OK);
    assert_eq!(passed["certificate"], "BT2026500001");
    let r = w
        .author
        .post(
            &format!("{P}/certification/batches/{batch}/results"),
            json!({ "person": a, "theory": 72, "skill": 65 }),
        )
        .await;
    expect(&r, StatusCode::CONFLICT);
    let r = w.author.get(&format!("{P}/certification/rate")).await;
    let rate = expect(&r, StatusCode::OK);
    assert_eq!(
        (
            rate["overall"]["numerator"].clone(),
            rate["overall"]["denominator"].clone()
        ),
        (json!(1), json!(50))
    );
    let r = w.author.get(&format!("{P}/figures?month=2026-12")).await;
    let f = expect(&r, StatusCode::OK);
    assert_eq!(f["overall"]["cert_rate"]["numerator"], 1);
    assert_eq!(
        f["halls"]["bailou"]["figures"]["cert_rate"]["denominator"],
        25
    );
    // The person's record now holds the certificate; 四级 is next.
    let r = w.author.get(&format!("{P}/certification/staff")).await;
    let me = expect(&r, StatusCode::OK)["items"]
        .as_array()
        .and_then(|i| i.iter().find(|p| p["id"] == a.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(me["certificate"], "BT2026500001");
    assert_eq!(me["level_zh"], "五级/初级工");
}

/// The month's 月考月报 in its three formats, read by independent tools.
async fn monthly_report(w: &World, tag: &str) {
    let dir = tempfile::tempdir().expect("dir");
    let get = |ext: &'static str| {
        let c = w.author.clone();
        async move {
            let r = c
                .get(&format!("{P}/reports/monthly.{ext}?month=2026-12"))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.json());
            r.body
        }
    };
    let text = squeeze(&pdf_text(
        dir.path(),
        &get("pdf").await,
        &format!("training-report-{tag}"),
    ));
    for e in [
        "业务知识考试月度报告",
        "2026年12月，全区共组织业务知识考试3场（专项考试1场、周考1场、月考1场）",
        "表2各服务中心考试情况（按平均分排序）",
        "薄弱知识点有3个：减证便民、综窗国家标准、统计",
        "参考率=参加考试人次/应考人次",
        "表1各场考试成绩",
    ] {
        assert!(text.contains(&squeeze(e)), "{e} in {text}");
    }
    let docx = docx_text(dir.path(), &get("docx").await);
    assert!(
        docx.contains("知识点掌握情况") && docx.contains("统计|52.0%"),
        "{docx}"
    );
    let book = read_workbook(dir.path(), &get("xlsx").await);
    assert!(book.to_string().contains("12月业务知识月考"), "{book}");
    // A staff member may not.
    let r = w.staff[0]
        .get(&format!("{P}/reports/monthly.pdf?month=2026-12"))
        .await;
    expect(&r, StatusCode::FORBIDDEN);
    let r = w
        .author
        .get(&format!("{P}/reports/monthly.pdf?month=2026-13"))
        .await;
    expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Plans, classes and signing in, the pre-post syllabus, and spot checks
/// with their recheck list.
async fn plans_classes_and_spot_checks(w: &World) {
    let h = &w.app.host;
    at(h, local(2026, 12, 1, 9, 0));
    // ---- a quarterly plan ---------------------------------------------------
    let plan = json!({
        "period": "2026-Q4", "title": "2026年第四季度窗口人员培训计划",
        "topics": ["etiquette", "fire", "policy"], "sessions": 3, "hours": 6
    });
    let mut bad = plan.clone();
    bad["period"] = json!("2026-Q5");
    let r = w.author.post(&format!("{P}/plans"), bad).await;
    assert!(
        expect(&r, StatusCode::UNPROCESSABLE_ENTITY)["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("2026-Q5"))
    );
    let mut bad = plan.clone();
    bad["topics"] = json!(["fire", "烹饪"]);
    let r = w.author.post(&format!("{P}/plans"), bad).await;
    expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
    let r = w.staff[0].post(&format!("{P}/plans"), plan.clone()).await;
    expect(&r, StatusCode::FORBIDDEN);
    let r = w.author.post(&format!("{P}/plans"), plan).await;
    let made = expect(&r, StatusCode::CREATED);
    assert_eq!(made["period_zh"], "2026年第四季度");
    assert_eq!(made["topics_zh"], "形象礼仪、消防知识、政策法规");
    let plan_id = made["id"].as_str().unwrap_or_default().to_owned();

    // ---- a class under it, for 白楼 ------------------------------------------
    let class = json!({
        "title": "消防安全与应急疏散", "kind": "special", "plan": plan_id,
        "topics": ["fire", "emergency"], "lecturer": "区消防救援大队 王教官",
        "place": "区政务服务中心三楼会议室", "starts": "2026-12-15T09:00",
        "ends": "2026-12-15T11:00", "hours": 2, "halls": ["bailou"]
    });
    let mut outside = class.clone();
    outside["starts"] = json!("2027-01-05T09:00");
    outside["ends"] = json!("2027-01-05T11:00");
    let r = w.author.post(&format!("{P}/classes"), outside).await;
    assert!(
        expect(&r, StatusCode::UNPROCESSABLE_ENTITY)["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("计划期间"))
    );
    let mut theirs = class.clone();
    theirs["halls"] = json!(["nanyuan"]);
    let r = w.bailou_trainer.post(&format!("{P}/classes"), theirs).await;
    expect(&r, StatusCode::FORBIDDEN);
    let r = w.author.post(&format!("{P}/classes"), class).await;
    let made = expect(&r, StatusCode::CREATED);
    assert_eq!(made["roster"], 25);
    let class_id = made["id"].as_str().unwrap_or_default().to_owned();
    let sign_in = made["sign_in"].as_str().unwrap_or_default().to_owned();
    let code = sign_in
        .rsplit("code=")
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(code.len(), 8, "{sign_in}");
    assert!(sign_in.starts_with(&format!("/v/training/sign-in/{class_id}?code=")));
    // The QR code the class page shows is drawn by the host.
    let qr = h
        .client(None)
        .get(&format!("/q/qr.svg?path={}", urlencode(&sign_in)))
        .await;
    assert_eq!(qr.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&qr.body).contains("<svg"));
    // 南苑's manager sees none of 白楼's roster and no code.
    let r = w
        .nanyuan_manager
        .get(&format!("{P}/classes/{class_id}"))
        .await;
    let seen = expect(&r, StatusCode::OK);
    assert_eq!(seen["people"], json!([]));
    assert!(seen.get("code").is_none());

    // ---- signing in ----------------------------------------------------------
    let url = format!("{P}/classes/{class_id}/sign-in");
    at(h, local(2026, 12, 15, 8, 0));
    let r = w.staff[0].post(&url, json!({ "code": code })).await;
    expect(&r, StatusCode::CONFLICT);
    at(h, local(2026, 12, 15, 8, 35));
    let r = w.staff[0].post(&url, json!({ "code": code })).await;
    let first = expect(&r, StatusCode::CREATED);
    assert_eq!(first["late_minutes"], 0);
    let r = w.staff[0].post(&url, json!({ "code": code })).await;
    assert_eq!(expect(&r, StatusCode::OK)["again"], true);
    let r = w.staff[1].post(&url, json!({ "code": "00000000" })).await;
    expect(&r, StatusCode::CONFLICT);
    let r = w.staff[30].post(&url, json!({ "code": code })).await;
    expect(&r, StatusCode::FORBIDDEN);
    at(h, local(2026, 12, 15, 9, 25));
    let r = w.staff[2]
        .post(&url, json!({ "code": code.to_uppercase() }))
        .await;
    let late = expect(&r, StatusCode::CREATED);
    assert_eq!(late["late_minutes"], 25);
    assert_eq!(late["message"], "签到成功（迟到25分钟）");
    at(h, local(2026, 12, 15, 11, 0));
    let r = w.staff[4].post(&url, json!({ "code": code })).await;
    expect(&r, StatusCode::CONFLICT);
    // A trainer records one who came without a phone; a name not on the
    // roster refuses the whole list.
    let record = format!("{P}/classes/{class_id}/attendance");
    let r = w
        .author
        .post(&record, json!({ "people": ["staff-03", "staff-30"] }))
        .await;
    expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
    let r = w
        .author
        .post(
            &record,
            json!({ "people": ["staff-03", "staff-00"], "note": "手机没电" }),
        )
        .await;
    assert_eq!(expect(&r, StatusCode::OK)["recorded"], 1);
    let r = w.author.get(&format!("{P}/classes/{class_id}")).await;
    let seen = expect(&r, StatusCode::OK);
    assert_eq!(seen["attended"], 3);
    let people = seen["people"].as_array().cloned().unwrap_or_default();
    assert_eq!(people.len(), 25);
    let row = |name: &str| {
        people
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(row("staff-00")["how_zh"], "扫码签到");
    assert_eq!(row("staff-02")["late_minutes"], 25);
    assert_eq!(row("staff-03")["how_zh"], "培训专员登记");
    assert_eq!(row("staff-05")["present"], false);

    // ---- the plan's progress and each person's trainings ------------------------
    let r = w.author.get(&format!("{P}/plans/{plan_id}")).await;
    let p = expect(&r, StatusCode::OK);
    assert_eq!(p["held"], 1);
    assert_eq!(p["hours_held"], 2);
    assert_eq!(p["attendance"], 0.12);
    assert_eq!(p["covered_zh"], "消防知识");
    assert_eq!(p["missing_zh"], "形象礼仪、政策法规");
    assert_eq!(p["state_zh"], "进行中");
    assert_eq!(p["classes"].as_array().map(Vec::len), Some(1));
    let r = w
        .author
        .get(&format!("{P}/plans?cadence=quarterly&year=2026"))
        .await;
    assert_eq!(expect(&r, StatusCode::OK)["total"], 1);
    let mine = |r: &Reply| expect(r, StatusCode::OK)["items"].clone();
    let items = mine(&w.staff[0].get(&format!("{P}/my/trainings")).await);
    assert_eq!(items[0]["status"], "已签到");
    let items = mine(&w.staff[2].get(&format!("{P}/my/trainings")).await);
    assert_eq!(items[0]["status"], "已签到（迟到25分钟）");
    let items = mine(&w.staff[5].get(&format!("{P}/my/trainings")).await);
    assert_eq!(items[0]["status"], "缺勤");
    assert_eq!(
        mine(&w.staff[30].get(&format!("{P}/my/trainings")).await),
        json!([])
    );
    // After the quarter, with 1 of 3 sessions held, the plan is behind.
    at(h, local(2027, 1, 2, 9, 0));
    let r = w.author.get(&format!("{P}/plans/{plan_id}")).await;
    assert_eq!(expect(&r, StatusCode::OK)["state_zh"], "未完成");

    // ---- the pre-post syllabus ---------------------------------------------------
    at(h, local(2026, 12, 16, 8, 0));
    let r = w
        .author
        .post(
            &format!("{P}/classes"),
            json!({
                "title": "新员工岗前培训（第一天）", "kind": "pre-post",
                "units": ["overview", "duties", "rules"], "lecturer": "综合科 李科长",
                "place": "南苑便民服务中心二楼", "starts": "2026-12-16T09:00",
                "ends": "2026-12-16T17:00", "hours": 8, "halls": ["nanyuan"]
            }),
        )
        .await;
    let pre = expect(&r, StatusCode::CREATED);
    let pre_code = pre["sign_in"]
        .as_str()
        .and_then(|s| s.rsplit("code=").next())
        .unwrap_or_default()
        .to_owned();
    at(h, local(2026, 12, 16, 8, 50));
    let r = w.staff[25]
        .post(
            &format!(
                "{P}/classes/{}/sign-in",
                pre["id"].as_str().unwrap_or_default()
            ),
            json!({ "code": pre_code }),
        )
        .await;
    expect(&r, StatusCode::CREATED);
    let r = w.staff[25].get(&format!("{P}/my/syllabus")).await;
    let s = expect(&r, StatusCode::OK);
    assert_eq!(
        (s["hours"].clone(), s["required"].clone()),
        (json!(8), json!(40))
    );
    assert_eq!(s["complete"], false);
    assert_eq!(s["items"][0]["class"], "新员工岗前培训（第一天）");
    assert_eq!(s["items"][5]["done"], false);
    let r = w
        .nanyuan_manager
        .get(&format!("{P}/syllabus?complete=false"))
        .await;
    let all = expect(&r, StatusCode::OK);
    assert_eq!(all["total"], 25);
    let last = &all["items"][24];
    assert_eq!(
        (last["name"].clone(), last["hours"].clone()),
        (json!("staff-25"), json!(8))
    );

    // ---- 实操抽查 and the recheck list ------------------------------------------------
    at(h, local(2026, 12, 17, 10, 0));
    let check = json!({
        "staff": "staff-26", "matter": "城乡居民养老保险参保登记",
        "failed": ["notice"], "problems": "缺少户口本复印件，未一次性告知",
        "guidance": "对照材料清单逐项核对，缺项当场书面一次性告知"
    });
    let mut no_guidance = check.clone();
    no_guidance["guidance"] = json!("");
    let r = w
        .nanyuan_manager
        .post(&format!("{P}/spot-checks"), no_guidance)
        .await;
    expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
    let mut other_hall = check.clone();
    other_hall["staff"] = json!("staff-01");
    let r = w
        .nanyuan_manager
        .post(&format!("{P}/spot-checks"), other_hall)
        .await;
    expect(&r, StatusCode::FORBIDDEN);
    let r = w.staff[27]
        .post(&format!("{P}/spot-checks"), check.clone())
        .await;
    expect(&r, StatusCode::FORBIDDEN);
    let r = w
        .nanyuan_manager
        .post(&format!("{P}/spot-checks"), check.clone())
        .await;
    let first = expect(&r, StatusCode::CREATED);
    assert_eq!(first["result_zh"], "不合格");
    assert_eq!(first["failed_zh"], "一次性告知");
    let first_id = first["id"].as_str().unwrap_or_default().to_owned();
    let r = w
        .nanyuan_manager
        .post(
            &format!("{P}/spot-checks"),
            json!({ "staff": "staff-27", "matter": "残疾人两项补贴申请" }),
        )
        .await;
    assert_eq!(expect(&r, StatusCode::CREATED)["result_zh"], "合格");
    let rechecks = |c: &Client| {
        let c = c.clone();
        async move {
            let r = c.get(&format!("{P}/spot-checks/rechecks")).await;
            expect(&r, StatusCode::OK)["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        }
    };
    let open = rechecks(&w.nanyuan_manager).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["rounds"], 1);
    assert_eq!(open[0]["due_ms"], local(2026, 12, 24, 10, 0));
    assert!(
        open[0]["recheck_link"]
            .as_str()
            .is_some_and(|l| l.ends_with(&format!("recheck_of={first_id}")))
    );
    // The 白楼 trainer's list leaves 南苑 out.
    assert!(rechecks(&w.bailou_trainer).await.is_empty());
    // The person sees their own check and the guidance, no one else's.
    let own = mine(&w.staff[26].get(&format!("{P}/my/spot-checks")).await);
    assert_eq!(
        own[0]["guidance"],
        "对照材料清单逐项核对，缺项当场书面一次性告知"
    );
    assert_eq!(own.as_array().map(Vec::len), Some(1));
    let r = w.staff[26].get(&format!("{P}/spot-checks")).await;
    expect(&r, StatusCode::FORBIDDEN);
    // A recheck a week later fails again: two rounds, overdue after a week.
    at(h, local(2026, 12, 23, 10, 0));
    let mut again = check.clone();
    again["recheck_of"] = json!(first_id);
    let r = w
        .nanyuan_manager
        .post(&format!("{P}/spot-checks"), again.clone())
        .await;
    let second = expect(&r, StatusCode::CREATED);
    let r = w
        .nanyuan_manager
        .post(&format!("{P}/spot-checks"), again)
        .await;
    expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
    at(h, local(2026, 12, 31, 10, 0));
    let open = rechecks(&w.author).await;
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0]["rounds"].clone(), open[0]["overdue"].clone()),
        (json!(2), json!(true))
    );
    // Passing clears the list.
    let r = w
        .nanyuan_manager
        .post(
            &format!("{P}/spot-checks"),
            json!({ "staff": "staff-26", "matter": "城乡居民养老保险参保登记",
                    "recheck_of": second["id"] }),
        )
        .await;
    expect(&r, StatusCode::CREATED);
    assert!(rechecks(&w.author).await.is_empty());

    // The month's 培训出勤率 for the reporting module: 3 of 25 in 白楼, 1 of
    // 25 in 南苑.
    let r = w.author.get(&format!("{P}/figures?month=2026-12")).await;
    let f = expect(&r, StatusCode::OK);
    let a = &f["overall"]["attendance_rate"];
    assert_eq!(
        (a["numerator"].clone(), a["denominator"].clone()),
        (json!(4), json!(50))
    );
    let bailou = &f["halls"]["bailou"]["figures"]["attendance_rate"];
    assert_eq!(
        (bailou["numerator"].clone(), bailou["denominator"].clone()),
        (json!(3), json!(25))
    );
}

async fn training(backend: Backend) {
    let w = world(backend).await;
    the_bank(&w).await;
    blueprint_exam(&w).await;
    every_kind(&w).await;
    statistics(&w).await;
    certification(&w).await;
    plans_classes_and_spot_checks(&w).await;
    monthly_report(&w, &format!("{backend:?}").to_lowercase()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bank_an_exam_for_fifty_marking_analysis_and_gaps() {
    for backend in backends() {
        training(backend).await;
    }
}
