//! The supervision plugin (监督促效) through the HTTP API and the plugin, on
//! SQLite and PostgreSQL: December 2026 planned for the district's 17
//! halls; an inspection with three failed items opens three problems; the
//! hall signs, uploads stamped reports, the district returns one and passes
//! two; a January failure of the same item is flagged 屡查屡犯; an overdue
//! problem is escalated once per level with a notice to the hall; the
//! month's figures and ranking against hand-computed values; a running
//! inspection keeps its template version; the 问题清单 export read back by
//! openpyxl; one hall's manager cannot see or touch another's problems;
//! bad input (unknown item, an answer outside the template, a 30 MB
//! upload, a report that is not a PDF or an image) is refused and changes
//! nothing.
//!
//! Satisfaction surveys (满意度调查): a QR code and a website link per hall
//! answered anonymously (one answer per phone a day, ten a minute per
//! address, refused answers change nothing, a replaced poster says so); a
//! bad answer with a number becomes a 差评 follow-up; the month's phone
//! list drawn from the hotline's orders (masked, confidential callers left
//! out, the number shown only to the surveyor who dials); 满意率 and 满意度
//! 指数 per hall and channel against hand-computed values, weighed into the
//! monthly score.
//!
//! And from a simulated hall (an agent process with a simulated camera and
//! keypad, on SQLite with the embedded broker and PostgreSQL with
//! Mosquitto): a camera alert becomes a candidate; confirmed, a problem
//! with its JPEG; dismissed, nothing; a bad rating opens a 差评 follow-up.

use std::time::Duration;

use axum::body::Body;
use bantong_hall_kit::calendar::{Calendar, day_of, parse_date, start_of_day};
use bantong_host::identity::Role;
use bantong_host::workers::deliver_once;
use bantong_tests::TestDb;
use bantong_tests::app::{Client, Reply, TestApp};
use bantong_tests::db::{Backend, backends};
use bantong_tests::edge::{AgentProcess, BrokerKind, Installation, deploy_edge_plugin, eventually};
use http::{Request, StatusCode};
use serde_json::{Value, json};

const P: &str = "/api/plugins/supervision";
const MIN: i64 = 60_000;
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1];

/// Milliseconds of a local (UTC+8) civil time.
fn local(y: i64, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
    start_of_day(day_of(y, mo, d).expect("date")) + (h * 60 + mi) * MIN
}

/// Stops the plugins' clock at `ms`.
fn at(app: &TestApp, ms: i64) {
    app.host.state.plugins.index().set_plugin_clock(Some(ms));
}

#[track_caller]
fn expect(r: &Reply, status: StatusCode) -> Value {
    assert_eq!(r.status, status, "{}", r.json());
    r.json()
}

/// Uploads a file to the host's blob store; answers the reply.
async fn upload(c: &Client, hall: Option<&str>, ty: &str, bytes: Vec<u8>) -> Reply {
    let uri = match hall {
        Some(h) => format!("/api/blobs?hall={h}"),
        None => "/api/blobs".to_owned(),
    };
    let mut req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", ty);
    if let Some(t) = &c.token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    c.raw(req.body(Body::from(bytes)).expect("request")).await
}

async fn uploaded(c: &Client, hall: Option<&str>, ty: &str, bytes: Vec<u8>) -> String {
    let r = upload(c, hall, ty, bytes).await;
    expect(&r, StatusCode::CREATED)["sha256"]
        .as_str()
        .expect("sha")
        .to_owned()
}

struct World {
    app: TestApp,
    inspector: Client,
    leader: Client,
    bailou: Client,
    wuyao: Client,
}

async fn world(backend: Backend) -> World {
    let app = TestApp::new(TestDb::new(backend).await).await;
    app.create_district_halls().await;
    app.install_supervision().await;
    let inspector = app
        .host
        .client_as("inspector-1", vec![Role::Inspector], &[], true)
        .await;
    for name in ["inspector-2", "inspector-3"] {
        app.host
            .client_as(name, vec![Role::Inspector], &[], true)
            .await;
    }
    World {
        leader: app
            .host
            .client_as("leader", vec![Role::Leader], &[], true)
            .await,
        bailou: app
            .host
            .client_as(
                "bailou-manager",
                vec![Role::HallManager],
                &["bailou"],
                false,
            )
            .await,
        wuyao: app
            .host
            .client_as("wuyao-manager", vec![Role::HallManager], &["wuyao"], false)
            .await,
        inspector,
        app,
    }
}

fn pass() -> Value {
    json!({ "verdict": "pass" })
}

/// Every item of the default template answered 合格, except `fails`.
fn answers(fails: &[(&str, Value)]) -> Value {
    let codes = [
        "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "5.1",
        "5.2", "5.3", "6.1", "6.2", "7.1", "7.2", "8.1", "8.2", "9.1",
    ];
    let mut m = serde_json::Map::new();
    for c in codes {
        m.insert(c.into(), pass());
    }
    for (c, a) in fails {
        m.insert((*c).into(), a.clone());
    }
    Value::Object(m)
}

/// The portal notices of `c`, after the notice worker has run.
async fn notices(app: &TestApp, c: &Client) -> Value {
    let gw = bantong_host::notices::Gateway::new(app.config.notices.clone());
    bantong_host::notices::send_once(&app.host.state, &gw).await;
    expect(&c.get("/api/notices").await, StatusCode::OK)
}

async fn problems(c: &Client, query: &str) -> Value {
    expect(
        &c.get(&format!("{P}/problems?{query}")).await,
        StatusCode::OK,
    )
}

/// Confirms or dismisses a camera candidate.
async fn decide(c: &Client, candidate: &Value, body: Value) -> Reply {
    let id = candidate["id"].as_str().unwrap_or("");
    c.post(&format!("{P}/candidates/{id}/decision"), body).await
}

async fn act(c: &Client, id: &str, body: Value) -> Reply {
    c.post(&format!("{P}/problems/{id}/actions"), body).await
}

async fn state_of(c: &Client, id: &str) -> String {
    expect(&c.get(&format!("{P}/problems/{id}")).await, StatusCode::OK)["state"]
        .as_str()
        .expect("state")
        .to_owned()
}

#[track_caller]
fn figure(f: &Value, num: u64, den: u64) {
    assert_eq!(
        (f["numerator"].as_u64(), f["denominator"].as_u64()),
        (Some(num), Some(den)),
        "{f}"
    );
    assert!(
        f["definition"].as_str().is_some_and(|d| d.contains('/')),
        "{f}"
    );
}

async fn plan_inspect_rectify(backend: Backend) {
    let World {
        app,
        inspector,
        leader,
        bailou,
        wuyao,
    } = world(backend).await;

    // The default checklist is 附件2, and says the plan gives no points.
    let t = expect(
        &inspector.get(&format!("{P}/templates/current")).await,
        StatusCode::OK,
    );
    assert_eq!(
        (t["version"].as_u64(), t["items"].as_u64()),
        (Some(1), Some(22))
    );
    assert!(
        t["rule"].as_str().unwrap_or("").contains("未规定分值"),
        "{t}"
    );

    // December planned on 25 November: each of the 17 halls once, on a
    // working day, by one of the three inspectors.
    at(&app, local(2026, 11, 25, 10, 0));
    let plan = expect(
        &inspector
            .post(&format!("{P}/plans"), json!({ "month": "2026-12" }))
            .await,
        StatusCode::CREATED,
    );
    let items = plan["items"].as_array().expect("items");
    assert_eq!(items.len(), 17, "{plan}");
    let calendar = Calendar::china();
    for item in items {
        let visits = item["planned"].as_array().expect("planned");
        assert_eq!(visits.len(), 1, "{item}");
        let day = parse_date(visits[0]["date"].as_str().expect("date")).expect("a date");
        assert!(calendar.is_working_day(day), "{item}");
        assert!(
            day >= day_of(2026, 12, 1).expect("day") && day <= day_of(2026, 12, 31).expect("day")
        );
        assert!(
            visits[0]["inspector_name"]
                .as_str()
                .unwrap_or("")
                .starts_with("inspector-"),
            "{item}"
        );
        assert_eq!(item["status"], "planned");
    }
    figure(&plan["coverage"], 0, 17);
    expect(
        &inspector
            .post(&format!("{P}/plans"), json!({ "month": "2026-12" }))
            .await,
        StatusCode::CONFLICT,
    );
    expect(
        &bailou.get(&format!("{P}/plans?month=2026-12")).await,
        StatusCode::FORBIDDEN,
    );

    // A visit to 百楼镇 on 2 December: partial save, then sign-off.
    at(&app, local(2026, 12, 2, 10, 0));
    let photo = uploaded(&inspector, Some("bailou"), "image/jpeg", JPEG.to_vec()).await;
    let visit = "visit-bailou-202612-a";
    let start = inspector
        .put(
            &format!("{P}/inspections/{visit}"),
            json!({ "hall": "bailou", "answers": { "1.1": pass() } }),
        )
        .await;
    assert_eq!(expect(&start, StatusCode::CREATED)["answered"], 1);
    // Bad answers change nothing.
    for (bad, why) in [
        (
            json!({ "10.1": pass() }),
            "an item the template does not have",
        ),
        (
            json!({ "1.3": { "verdict": "pass", "occurrences": 2 } }),
            "occurrences on a pass",
        ),
        (
            json!({ "1.3": { "verdict": "fail", "occurrences": 0 } }),
            "a failure seen 0 times",
        ),
    ] {
        let r = inspector
            .put(
                &format!("{P}/inspections/{visit}"),
                json!({ "hall": "bailou", "answers": bad }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{why}: {}",
            r.json()
        );
    }
    let r = inspector
        .put(
            &format!("{P}/inspections/{visit}"),
            json!({ "hall": "bailou", "answers": { "1.2": { "verdict": "excellent" } } }),
        )
        .await;
    assert!(
        r.status.is_client_error(),
        "an answer outside the template: {}",
        r.json()
    );
    let saved = expect(
        &inspector.get(&format!("{P}/inspections/{visit}")).await,
        StatusCode::OK,
    );
    assert_eq!(saved["answered"], 1, "{saved}");
    let r = inspector
        .post(&format!("{P}/inspections/{visit}/sign"), json!({}))
        .await;
    assert!(
        expect(&r, StatusCode::UNPROCESSABLE_ENTITY)
            .to_string()
            .contains("未填写")
    );
    let fails = answers(&[
        (
            "1.6",
            json!({ "verdict": "fail", "occurrences": 1, "note": "3号窗口空岗约10分钟", "evidence": [{ "sha256": photo, "taken_ms": local(2026, 12, 2, 9, 50), "place": "3号窗口", "lat": 38.86, "lon": 115.49 }] }),
        ),
        (
            "2.1",
            json!({ "verdict": "fail", "occurrences": 2, "evidence": [{ "sha256": photo }] }),
        ),
        (
            "4.2",
            json!({ "verdict": "fail", "occurrences": 1, "note": "社保卡补领材料清单与政策不一致" }),
        ),
        ("9.1", json!({ "verdict": "not_applicable" })),
    ]);
    // A failure of an item that needs a photo is not signed without one.
    let mut no_photo = fails.clone();
    no_photo["1.6"] = json!({ "verdict": "fail", "occurrences": 1 });
    let r = inspector
        .post(
            &format!("{P}/inspections/{visit}/sign"),
            json!({ "answers": no_photo }),
        )
        .await;
    assert!(
        expect(&r, StatusCode::UNPROCESSABLE_ENTITY)
            .to_string()
            .contains("1.6")
    );
    let signed = expect(
        &inspector
            .post(
                &format!("{P}/inspections/{visit}/sign"),
                json!({ "answers": fails }),
            )
            .await,
        StatusCode::OK,
    );
    // 18 of 21 applicable items passed: 100 × 18 / 21 = 85.71.
    assert_eq!(signed["status"], "signed");
    assert_eq!(signed["score_text"], "85.71 分", "{signed}");
    assert!(
        signed["rule"]
            .as_str()
            .unwrap_or("")
            .contains("不适用项不计")
    );
    let ids: Vec<String> = signed["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|v| v.as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    // The device resends after a dropped connection: same answer, no second visit.
    expect(
        &inspector
            .put(
                &format!("{P}/inspections/{visit}"),
                json!({ "hall": "bailou", "answers": { "1.1": pass() } }),
            )
            .await,
        StatusCode::OK,
    );
    expect(
        &inspector
            .post(&format!("{P}/inspections/{visit}/sign"), json!({}))
            .await,
        StatusCode::OK,
    );
    let list = expect(
        &inspector
            .get(&format!("{P}/inspections?month=2026-12"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(list["total"], 1, "{list}");
    // A changed answer after sign-off is refused.
    expect(
        &inspector
            .put(
                &format!("{P}/inspections/{visit}"),
                json!({ "hall": "bailou", "answers": { "1.1": { "verdict": "not_applicable" } } }),
            )
            .await,
        StatusCode::CONFLICT,
    );

    // The hall sees its three problems; another hall sees none of them.
    let mine = problems(&bailou, "month=2026-12").await;
    assert_eq!(mine["total"], 3, "{mine}");
    let categories: Vec<&str> = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["category"].as_str().unwrap_or(""))
        .collect();
    for c in ["人员管理", "现场管理", "服务效能"] {
        assert!(categories.contains(&c), "{categories:?}");
    }
    assert_eq!(problems(&wuyao, "").await["total"], 0);
    expect(
        &wuyao.get(&format!("{P}/problems/{}", ids[0])).await,
        StatusCode::NOT_FOUND,
    );
    expect(
        &act(&wuyao, &ids[0], json!({ "action": "sign" })).await,
        StatusCode::NOT_FOUND,
    );
    // A notice told the hall's manager.
    let told = notices(&app, &bailou).await;
    assert!(told.to_string().contains("检查发现 3 个问题"), "{told}");

    // The hall signs; the district cannot sign for it; the hall cannot pass itself.
    at(&app, local(2026, 12, 3, 9, 0));
    expect(
        &act(&inspector, &ids[0], json!({ "action": "sign" })).await,
        StatusCode::FORBIDDEN,
    );
    for id in &ids {
        expect(
            &act(&bailou, id, json!({ "action": "sign" })).await,
            StatusCode::OK,
        );
    }
    expect(
        &act(&bailou, &ids[0], json!({ "action": "sign" })).await,
        StatusCode::CONFLICT,
    );

    // The stamped reports: a PDF, and a scanned PNG.
    at(&app, local(2026, 12, 8, 15, 0));
    let pdf = uploaded(
        &bailou,
        None,
        "application/pdf",
        b"%PDF-1.7\n% stamped report\n".to_vec(),
    )
    .await;
    let png = uploaded(
        &bailou,
        None,
        "image/png",
        b"\x89PNG\r\n\x1a\nscan".to_vec(),
    )
    .await;
    let text = uploaded(
        &bailou,
        None,
        "text/plain",
        "整改报告（文字）".as_bytes().to_vec(),
    )
    .await;
    let r = act(
        &bailou,
        &ids[0],
        json!({ "action": "report", "report": { "sha256": text } }),
    )
    .await;
    assert!(
        expect(&r, StatusCode::UNPROCESSABLE_ENTITY)
            .to_string()
            .contains("PDF"),
        "a text file is not a report"
    );
    let r = act(
        &bailou,
        &ids[0],
        json!({ "action": "report", "report": { "sha256": "0".repeat(64) } }),
    )
    .await;
    expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
    let big = upload(&bailou, None, "application/pdf", {
        let mut b = b"%PDF-1.7\n".to_vec();
        b.resize(30 * 1024 * 1024, b' ');
        b
    })
    .await;
    assert!(
        big.status.is_client_error(),
        "a 30 MB upload is refused: {}",
        big.status
    );
    assert_eq!(
        state_of(&bailou, &ids[0]).await,
        "rectifying",
        "refused reports change nothing"
    );
    for (id, sha) in [(&ids[0], &pdf), (&ids[1], &pdf), (&ids[2], &png)] {
        let r = act(&bailou, id, json!({ "action": "report", "report": { "sha256": sha, "note": "已整改，附盖章报告" } })).await;
        assert_eq!(expect(&r, StatusCode::OK)["state"], "reported");
    }

    // The district returns one with a reason and passes two.
    at(&app, local(2026, 12, 10, 10, 0));
    expect(
        &act(&bailou, &ids[1], json!({ "action": "pass" })).await,
        StatusCode::FORBIDDEN,
    );
    expect(
        &act(
            &inspector,
            &ids[2],
            json!({ "action": "return", "reason": "  " }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    let returned = expect(
        &act(
            &inspector,
            &ids[2],
            json!({ "action": "return", "reason": "报告未加盖公章" }),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(
        (returned["state"].as_str(), returned["returns"].as_u64()),
        (Some("rectifying"), Some(1))
    );
    for id in &ids[..2] {
        assert_eq!(
            expect(
                &act(
                    &inspector,
                    id,
                    json!({ "action": "pass", "note": "复查合格" })
                )
                .await,
                StatusCode::OK
            )["state"],
            "closed"
        );
    }
    let detail = expect(
        &bailou.get(&format!("{P}/problems/{}", ids[2])).await,
        StatusCode::OK,
    );
    let steps: Vec<&str> = detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|s| s["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(steps, ["issue", "sign", "report", "return"]);
    assert_eq!(detail["history"][3]["note"], "报告未加盖公章");
    assert_eq!(detail["history"][2]["file"]["content_type"], "image/png");

    // A running inspection keeps the template version it started with.
    at(&app, local(2026, 12, 14, 9, 0));
    let draft = "visit-wuyao-202612-a";
    expect(
        &inspector
            .put(
                &format!("{P}/inspections/{draft}"),
                json!({ "hall": "wuyao", "answers": {} }),
            )
            .await,
        StatusCode::CREATED,
    );
    let mut edited = t["template"].clone();
    edited["categories"][0]["items"][5]["weight"] = json!(3);
    let published = inspector
        .post(
            &format!("{P}/templates"),
            json!({ "base": 1, "note": "在岗权重加大", "template": edited }),
        )
        .await;
    assert_eq!(expect(&published, StatusCode::CREATED)["version"], 2);
    expect(
        &inspector
            .post(
                &format!("{P}/templates"),
                json!({ "base": 1, "template": edited }),
            )
            .await,
        StatusCode::CONFLICT,
    );
    let mut broken = edited.clone();
    broken["categories"][0]["items"][0]["weight"] = json!(0);
    expect(
        &inspector
            .post(
                &format!("{P}/templates"),
                json!({ "base": 2, "template": broken }),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    expect(
        &bailou
            .post(
                &format!("{P}/templates"),
                json!({ "base": 2, "template": edited }),
            )
            .await,
        StatusCode::FORBIDDEN,
    );
    let wuyao_signed = expect(
        &inspector
            .post(
                &format!("{P}/inspections/{draft}/sign"),
                json!({ "answers": answers(&[]) }),
            )
            .await,
        StatusCode::OK,
    );
    assert_eq!(
        (
            wuyao_signed["template_version"].as_u64(),
            wuyao_signed["score_text"].as_str()
        ),
        (Some(1), Some("100.00 分"))
    );

    // January: 百楼镇 fails 在岗 again — 屡查屡犯.
    at(&app, local(2027, 1, 6, 10, 0));
    let jan = "visit-bailou-202701-a";
    expect(
        &inspector
            .put(
                &format!("{P}/inspections/{jan}"),
                json!({ "hall": "bailou", "answers": {} }),
            )
            .await,
        StatusCode::CREATED,
    );
    let signed = expect(
        &inspector
            .post(
                &format!("{P}/inspections/{jan}/sign"),
                json!({ "answers": answers(&[("1.6", json!({ "verdict": "fail", "occurrences": 1, "evidence": [{ "sha256": photo }] }))]) }),
            )
            .await,
        StatusCode::OK,
    );
    assert_eq!(signed["template_version"], 2);
    // Weights: 1.6 weighs 3 of 24: 100 × 21 / 24 = 87.50.
    assert_eq!(signed["score_text"], "87.50 分");
    let again = problems(&inspector, "month=2027-01&recurrent=1").await;
    assert_eq!(again["total"], 1, "{again}");
    assert_eq!(
        (
            again["items"][0]["item"].as_str(),
            again["items"][0]["flags"].as_str()
        ),
        (Some("1.6"), Some("屡查屡犯"))
    );

    // Figures. December: two halls visited, 五尧乡 (100.00) first and 百楼镇
    // (85.71) second; three problems, none of them recurrent.
    let dec = expect(
        &leader.get(&format!("{P}/scorecard?month=2026-12")).await,
        StatusCode::OK,
    );
    let ranked: Vec<(&str, Option<u64>)> = dec["items"]
        .as_array()
        .expect("items")
        .iter()
        .take(3)
        .map(|r| (r["hall"].as_str().unwrap_or(""), r["rank"].as_u64()))
        .collect();
    assert_eq!(&ranked[..2], [("wuyao", Some(1)), ("bailou", Some(2))]);
    assert_eq!(ranked[2].1, None, "halls not visited have no rank");
    assert_eq!(dec["items"].as_array().map(Vec::len), Some(17));
    figure(&dec["overall"]["coverage"], 2, 17);
    figure(&dec["overall"]["recurrence"], 0, 3);
    // January: the three December problems fall due (end of January, the
    // report month); two were closed in time.
    let jan_figures = expect(
        &inspector.get(&format!("{P}/figures?month=2027-01")).await,
        StatusCode::OK,
    );
    figure(&jan_figures["overall"]["completion"], 2, 3);
    figure(&jan_figures["overall"]["on_time"], 2, 3);
    figure(&jan_figures["overall"]["recurrence"], 1, 1);
    // 问题复现频次 per item: 1.6 found once in January, and it recurred.
    assert_eq!(jan_figures["recurrence_by_item"][0]["item"], "1.6");
    figure(&jan_figures["recurrence_by_item"][0]["frequency"], 1, 1);
    figure(&jan_figures["overall"]["coverage"], 1, 17);
    let jan_card = expect(
        &inspector.get(&format!("{P}/scorecard?month=2027-01")).await,
        StatusCode::OK,
    );
    let b = &jan_card["items"][0];
    assert_eq!(
        (
            b["hall"].as_str(),
            b["change"].as_f64(),
            b["rank_change"].as_i64()
        ),
        (Some("bailou"), Some(1.79), Some(1)),
        "{b}"
    );
    // A hall manager sees only the own line.
    let own = expect(
        &bailou.get(&format!("{P}/scorecard?month=2027-01")).await,
        StatusCode::OK,
    );
    assert_eq!(own["total"], 1, "{own}");

    // The returned problem is still open on 1 February: escalated once,
    // again after three more working days, each level announced once.
    at(&app, local(2027, 2, 1, 10, 0));
    assert_eq!(
        expect(
            &inspector.post(&format!("{P}/sweep"), json!({})).await,
            StatusCode::OK
        )["escalated"],
        1
    );
    assert_eq!(
        expect(
            &inspector.post(&format!("{P}/sweep"), json!({})).await,
            StatusCode::OK
        )["escalated"],
        0
    );
    let p = expect(
        &bailou.get(&format!("{P}/problems/{}", ids[2])).await,
        StatusCode::OK,
    );
    assert_eq!(
        (p["escalation"].as_u64(), p["overdue"].as_bool()),
        (Some(1), Some(true)),
        "{p}"
    );
    assert!(p["flags"].as_str().unwrap_or("").contains("督办中"));
    at(&app, local(2027, 2, 4, 18, 0));
    assert_eq!(
        expect(
            &inspector.post(&format!("{P}/sweep"), json!({})).await,
            StatusCode::OK
        )["escalated"],
        1,
        "the returned one rises to level 2"
    );
    let p = expect(
        &bailou.get(&format!("{P}/problems/{}", ids[2])).await,
        StatusCode::OK,
    );
    assert_eq!(p["escalation"], 2);
    let told = notices(&app, &bailou).await;
    assert!(told.to_string().contains("第2次督办"), "{told}");
    expect(
        &bailou.post(&format!("{P}/sweep"), json!({})).await,
        StatusCode::FORBIDDEN,
    );

    // The 问题清单 of December, read back by an independent reader.
    let x = inspector
        .get(&format!("{P}/export/problems.xlsx?month=2026-12"))
        .await;
    assert_eq!(x.status, StatusCode::OK);
    // Kept for a person to open (target/screenshots/).
    let kept = bantong_tests::app::repo_root().join("target/screenshots");
    std::fs::create_dir_all(&kept).expect("dir");
    std::fs::write(kept.join("supervision-problem-list-2026-12.xlsx"), &x.body).expect("keep");
    let book = bantong_tests::office::read_workbook(app.db.dir.path(), &x.body);
    let rows = book["问题清单"].as_array().expect("sheet");
    assert_eq!(rows.len(), 4, "a heading and three problems: {rows:?}");
    assert_eq!(rows[0][1], "大厅");
    assert!(
        rows[1..].iter().all(|r| r[1] == "百楼镇行政综合服务中心"),
        "{rows:?}"
    );
    assert!(
        book["指标"].to_string().contains("整改完成率"),
        "{}",
        book["指标"]
    );
    let theirs = wuyao
        .get(&format!("{P}/export/problems.xlsx?month=2026-12"))
        .await;
    let theirs = bantong_tests::office::read_workbook(app.db.dir.path(), &theirs.body);
    assert_eq!(
        theirs["问题清单"].as_array().map(Vec::len),
        Some(1),
        "only a heading for another hall"
    );

    // By hand: unknown hall or item are refused; the hall is told.
    let bad = inspector
        .post(
            &format!("{P}/problems"),
            json!({ "hall": "nowhere", "title": "x", "detail": "x", "category": "x" }),
        )
        .await;
    expect(&bad, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = inspector.post(&format!("{P}/problems"), json!({ "hall": "wuyao", "title": "x", "detail": "x", "category": "x", "item": "99.1" })).await;
    expect(&bad, StatusCode::UNPROCESSABLE_ENTITY);
    let hotline = inspector
        .post(&format!("{P}/problems"), json!({ "hall": "wuyao", "title": "窗口推诿", "detail": "群众来电反映窗口推诿", "category": "服务效能", "item": "4.1", "hotline_order": "GD202702040001" }))
        .await;
    assert_eq!(
        expect(&hotline, StatusCode::CREATED)["source_zh"],
        "热线投诉"
    );
    assert_eq!(problems(&wuyao, "source=hotline").await["total"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_of_supervision_from_plan_to_closing() {
    for backend in backends() {
        plan_inspect_rectify(backend).await;
    }
}

// ---------------------------------------------------------------------------
// From a simulated hall
// ---------------------------------------------------------------------------

const AGENT: &str = env!("CARGO_BIN_EXE_edge-under-test");
const EDGE: &str = "bailou-box";

async fn hall_events(backend: Backend) {
    let broker = BrokerKind::paired_with(backend);
    let Installation {
        app,
        host,
        admin,
        mosquitto: _mosquitto,
    } = Installation::start(backend, broker, &["bailou"]).await;
    app.install_supervision().await;
    let inspector = app
        .host
        .client_as("inspector-1", vec![Role::Inspector], &[], true)
        .await;
    let manager = app
        .host
        .client_as(
            "bailou-manager",
            vec![Role::HallManager],
            &["bailou"],
            false,
        )
        .await;
    let token = bantong_tests::edge::issue_token(&admin, "bailou", EDGE).await;
    let mut agent = AgentProcess::new(AGENT, app.db.dir.path().join("agent"), &host.url());
    agent.enrol(&token);
    agent.env(
        "BANTONG_EDGE_CAMERAS",
        r#"[{id = "cam-1", scene = "growing-queue"}]"#,
    );
    agent.env("BANTONG_EDGE_CAMERA_FPS", "5");
    agent.env("BANTONG_EDGE_CAMERA_SPEED", "4");
    agent.env(
        "BANTONG_EDGE_DEVICES",
        r#"[{id = "keypad-3", class = "rating-keypad", simulated = true}]"#,
    );
    agent.run(0, 0);
    use bantong_edge::camera::{QUEUE_ZONE, SEAT};
    deploy_edge_plugin(
        &app,
        &admin,
        EDGE,
        "camera-watch",
        json!({ "cameras": { "cam-1": { "regions": [
            { "id": "window-3", "kind": "seat", "rect": SEAT, "unattended_after_s": 5 },
            { "id": "queue", "kind": "zone", "rect": QUEUE_ZONE, "person_share": 0.047, "crowd_threshold": 6, "crowd_after_s": 3 }
        ] } }, "stale_camera_s": 2 }),
    )
    .await;
    deploy_edge_plugin(
        &app,
        &admin,
        EDGE,
        "rating",
        json!({ "hall": "百楼镇行政综合服务中心", "keypads": { "keypad-3": { "window": 3 } } }),
    )
    .await;

    // The clerk leaves and the queue grows: two candidates, nothing more.
    let candidates = eventually(Duration::from_secs(90), "two camera candidates", || async {
        deliver_once(&app.host.state).await;
        let list = inspector
            .get(&format!("{P}/candidates?status=pending"))
            .await
            .json();
        let kinds: Vec<String> = list["items"]
            .as_array()?
            .iter()
            .filter_map(|c| c["alert"].as_str().map(str::to_owned))
            .collect();
        (kinds.contains(&"window-unattended".to_owned()) && kinds.contains(&"crowding".to_owned()))
            .then_some(list)
    })
    .await;
    assert_eq!(
        problems(&inspector, "").await["total"],
        0,
        "nothing becomes a finding by itself"
    );
    let find = |alert: &str| {
        candidates["items"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["alert"] == alert))
            .cloned()
            .expect("candidate")
    };
    let unattended = find("window-unattended");
    let crowding = find("crowding");
    assert_eq!(unattended["item"], "1.6");
    expect(
        &decide(&manager, &unattended, json!({ "confirm": true })).await,
        StatusCode::FORBIDDEN,
    );
    let confirmed = expect(
        &decide(
            &inspector,
            &unattended,
            json!({ "confirm": true, "reason": "回看录像确认空岗" }),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(confirmed["status"], "confirmed");
    expect(
        &decide(&inspector, &crowding, json!({ "confirm": false })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    let dismissed = expect(
        &decide(
            &inspector,
            &crowding,
            json!({ "confirm": false, "reason": "办事高峰，已有人引导" }),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(dismissed["status"], "dismissed");
    expect(
        &decide(&inspector, &crowding, json!({ "confirm": true })).await,
        StatusCode::CONFLICT,
    );
    let list = problems(&manager, "").await;
    assert_eq!(list["total"], 1, "only the confirmed one: {list}");
    let problem = expect(
        &manager
            .get(&format!(
                "{P}/problems/{}",
                list["items"][0]["id"].as_str().unwrap_or("")
            ))
            .await,
        StatusCode::OK,
    );
    assert_eq!(
        (
            problem["source"]["kind"].as_str(),
            problem["category"].as_str()
        ),
        (Some("camera"), Some("人员管理"))
    );
    let snapshot = problem["evidence"][0]["sha256"].as_str().expect("snapshot");
    let jpeg = manager.get(&format!("/api/blobs/{snapshot}")).await;
    assert_eq!(jpeg.status, StatusCode::OK);
    assert_eq!(&jpeg.body[..3], &[0xff, 0xd8, 0xff]);

    // A citizen presses 1 (非常不满意) on the window-3 keypad.
    let command = |name: &'static str, plugin: Option<&'static str>, args: Value| {
        let admin = admin.clone();
        async move {
            let reply = bantong_tests::edge::agent_command(&admin, EDGE, plugin, name, args).await;
            assert_eq!(reply["ok"], true, "{name}: {reply}");
            reply["result"].clone()
        }
    };
    command("prompt", Some("rating"), json!({ "window": 3, "context": { "ticket": "C001", "case_no": "BJ20261207C001", "item": "health" } })).await;
    eventually(Duration::from_secs(10), "keypad-3 armed", || async {
        let s = command("device.status", None, json!({ "device": "keypad-3" })).await;
        (s["status"]["state"]["armed"] == true).then_some(())
    })
    .await;
    command(
        "device.simulate",
        None,
        json!({ "device": "keypad-3", "input": { "key": 1 } }),
    )
    .await;
    let followups = eventually(Duration::from_secs(60), "a 差评 follow-up", || async {
        deliver_once(&app.host.state).await;
        let list = manager.get(&format!("{P}/followups")).await.json();
        (list["total"].as_u64() == Some(1)).then_some(list)
    })
    .await;
    let f = &followups["items"][0];
    assert_eq!(
        (
            f["state"].as_str(),
            f["level_zh"].as_str(),
            f["case_no"].as_str()
        ),
        (
            Some("verifying"),
            Some("非常不满意"),
            Some("BJ20261207C001")
        )
    );
    // Verified genuine: a problem in the same loop.
    let id = f["id"].as_str().expect("id");
    let verified = expect(
        &manager
            .post(
                &format!("{P}/followups/{id}/actions"),
                json!({ "action": "verify", "genuine": true, "finding": "窗口人员答复生硬" }),
            )
            .await,
        StatusCode::OK,
    );
    assert_eq!(verified["state"], "rectifying");
    let rated = problems(&manager, "source=rating").await;
    assert_eq!(rated["total"], 1, "{rated}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hall_alerts_become_candidates_and_bad_ratings_follow_ups() {
    for backend in backends() {
        hall_events(backend).await;
    }
}

// ---------------------------------------------------------------------------
// 满意度调查
// ---------------------------------------------------------------------------

/// A request from a phone that is not logged in, from address `ip`.
async fn anonymous(
    app: &TestApp,
    method: &str,
    uri: &str,
    body: Option<Value>,
    ip: [u8; 4],
) -> Reply {
    let addr = std::net::SocketAddr::from((ip, 40_000));
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .extension(axum::extract::ConnectInfo(addr));
    let body = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    app.host
        .client(None)
        .raw(req.body(body).expect("request"))
        .await
}

/// `(hall, code)` of a link's `/q/…?hall=…&t=…`.
fn link_parts(url: &str) -> (String, String) {
    let query = url.split_once('?').expect("query").1;
    let get = |k: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .expect("param")
            .to_owned()
    };
    (get("hall"), get("t"))
}

fn rated(overall: u8) -> Value {
    json!({ "overall": overall, "efficiency": 4, "competence": 4, "attitude": 5 })
}

async fn surveys(backend: Backend) {
    let World {
        app,
        inspector,
        leader,
        bailou,
        wuyao,
    } = world(backend).await;
    app.install_hotline().await;
    let admin = app
        .host
        .client_as("admin", vec![Role::DistrictAdmin], &[], true)
        .await;
    // A phone quota of 2 completed calls per hall, and the survey weighing
    // 20% of the monthly score.
    expect(
        &admin
            .send(
                "PUT",
                "/api/admin/plugins/supervision/config",
                Some(json!({ "phone_quota": 2, "survey_weight": 20 })),
            )
            .await,
        StatusCode::OK,
    );
    at(&app, local(2026, 12, 7, 9, 0));

    // ---- links: one QR code and one website link per hall -------------------
    let issued = expect(
        &inspector
            .post(&format!("{P}/surveys/links"), json!({}))
            .await,
        StatusCode::CREATED,
    );
    assert_eq!(issued["total"], 34, "17 halls × on site and online");
    let links = expect(
        &inspector.get(&format!("{P}/surveys/links")).await,
        StatusCode::OK,
    );
    assert_eq!(links["total"], 34);
    let own = expect(
        &bailou.get(&format!("{P}/surveys/links")).await,
        StatusCode::OK,
    );
    assert_eq!(own["total"], 2, "a hall sees its own posters: {own}");
    let url_of = |hall: &str, channel: &str| {
        links["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|l| l["hall"] == hall && l["channel"] == channel)
            .and_then(|l| l["url"].as_str())
            .expect("link")
            .to_owned()
    };
    let qr = url_of("bailou", "on_site");
    assert!(
        qr.starts_with("/q/supervision/public/survey?hall=bailou&t="),
        "{qr}"
    );
    let (_, code) = link_parts(&qr);
    let (_, online_code) = link_parts(&url_of("bailou", "online"));
    let (_, wuyao_code) = link_parts(&url_of("wuyao", "on_site"));
    let form_uri = format!("{P}/public/survey?hall=bailou&t={code}");

    // The host serves the answer page and the QR code of the link.
    let page = anonymous(&app, "GET", &qr, None, [10, 0, 0, 1]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page.body).contains("/q/app.js"));
    let svg = anonymous(
        &app,
        "GET",
        &format!(
            "/q/qr.svg?path={}",
            qr.replace('?', "%3F")
                .replace('&', "%26")
                .replace('=', "%3D")
        ),
        None,
        [10, 0, 0, 1],
    )
    .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&svg.body).contains("<svg"));
    let not_ours = anonymous(
        &app,
        "GET",
        "/q/qr.svg?path=https://example.com/",
        None,
        [10, 0, 0, 1],
    )
    .await;
    assert_eq!(not_ours.status, StatusCode::BAD_REQUEST);

    // ---- on site: the form, anonymous answers, one per phone a day --------------
    let form = expect(
        &anonymous(&app, "GET", &form_uri, None, [10, 0, 0, 1]).await,
        StatusCode::OK,
    );
    assert_eq!(form["title"], "政务服务满意度调查");
    assert_eq!(form["channel"], "现场扫码");
    assert_eq!(form["submit"], "/public/survey");
    assert_eq!(form["questions"][0]["levels"][0]["label"], "非常满意");
    assert!(
        form["questions"][0]["reasons"]
            .as_array()
            .is_some_and(|r| r.len() == 6)
    );
    assert!(
        form["hall_name"]
            .as_str()
            .is_some_and(|n| n.contains("百楼")),
        "{form}"
    );
    // Unknown or mismatched codes are not found.
    for bad in [
        format!("{P}/public/survey?hall=bailou&t=nope"),
        format!("{P}/public/survey?hall=bailou&t={wuyao_code}"),
        format!("{P}/public/survey?hall=wuyao"),
    ] {
        let r = anonymous(&app, "GET", &bad, None, [10, 0, 0, 1]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}: {}", r.json());
    }
    let post = |body: Value, ip: [u8; 4]| {
        let app = &app;
        let uri = form_uri.clone();
        async move { anonymous(app, "POST", &uri, Some(body), ip).await }
    };
    let first = post(
        json!({ "answers": rated(5), "device": "phone-aaaa-0001", "version": 1 }),
        [10, 0, 0, 2],
    )
    .await;
    expect(&first, StatusCode::CREATED);
    let again = post(
        json!({ "answers": rated(3), "device": "phone-aaaa-0001" }),
        [10, 0, 0, 2],
    )
    .await;
    assert!(
        expect(&again, StatusCode::CONFLICT)
            .to_string()
            .contains("今天已经评价过")
    );
    expect(
        &post(
            json!({ "answers": rated(4), "device": "phone-aaaa-0002" }),
            [10, 0, 0, 3],
        )
        .await,
        StatusCode::CREATED,
    );
    // A bad answer that leaves a number opens a 差评 follow-up for the hall.
    let bad = expect(
        &post(
            json!({ "answers": rated(1), "reasons": ["等候时间长"], "contact": "138-0000-1111", "device": "phone-aaaa-0003" }),
            [10, 0, 0, 4],
        )
        .await,
        StatusCode::CREATED,
    );
    let followup = bad["followup"].as_str().expect("a follow-up").to_owned();
    let f = expect(
        &bailou.get(&format!("{P}/followups/{followup}")).await,
        StatusCode::OK,
    );
    assert_eq!(
        (f["real_name_zh"].as_str(), f["contact"].as_str()),
        (Some("实名"), Some("13800001111")),
        "{f}"
    );
    assert_eq!(f["channel"], "满意度调查·现场扫码");
    let listed = expect(&bailou.get(&format!("{P}/followups")).await, StatusCode::OK);
    assert_eq!(
        listed["items"][0]["contact"], "138****1111",
        "lists mask the number"
    );
    // Bad answers are refused and change nothing.
    let before = expect(
        &inspector
            .get(&format!("{P}/surveys/answers?month=2026-12"))
            .await,
        StatusCode::OK,
    )["total"]
        .clone();
    for (body, why) in [
        (
            json!({ "answers": rated(6), "device": "phone-bbbb-0001" }),
            "请选择 1",
        ),
        (
            json!({ "answers": { "overall": 4, "colour": 1 }, "device": "phone-bbbb-0002" }),
            "问卷中没有这个问题",
        ),
        (
            json!({ "answers": rated(5), "reasons": ["其他"], "device": "phone-bbbb-0003" }),
            "只有选择不满意",
        ),
        (
            json!({ "answers": rated(2), "contact": "12345", "device": "phone-bbbb-0004" }),
            "请填写手机号",
        ),
        (
            json!({ "answers": rated(5), "device": "x" }),
            "设备标识无效",
        ),
        (
            json!({ "answers": rated(5), "device": "phone-bbbb-0005", "version": 7 }),
            "问卷已更新",
        ),
    ] {
        let r = post(body, [10, 0, 1, 1]).await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::CONFLICT,
            "{why}: {}",
            r.json()
        );
        assert!(r.json().to_string().contains(why), "{why}: {}", r.json());
    }
    let after = expect(
        &inspector
            .get(&format!("{P}/surveys/answers?month=2026-12"))
            .await,
        StatusCode::OK,
    )["total"]
        .clone();
    assert_eq!(before, after, "refused answers change nothing");
    // Anonymous callers name a real hall, and write only through public routes.
    let r = anonymous(
        &app,
        "POST",
        &format!("{P}/public/survey?t={code}"),
        Some(json!({ "answers": rated(5), "device": "phone-cccc-0001" })),
        [10, 0, 2, 1],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json());
    let r = anonymous(
        &app,
        "POST",
        &format!("{P}/public/survey?hall=nowhere&t={code}"),
        Some(json!({ "answers": rated(5), "device": "phone-cccc-0002" })),
        [10, 0, 2, 1],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.json());
    let r = anonymous(
        &app,
        "POST",
        &format!("{P}/surveys/links"),
        Some(json!({})),
        [10, 0, 2, 1],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The website link of the same hall.
    expect(
        &anonymous(
            &app,
            "POST",
            &format!("{P}/public/survey?hall=bailou&t={online_code}"),
            Some(json!({ "answers": rated(3), "device": "phone-dddd-0001" })),
            [10, 0, 3, 1],
        )
        .await,
        StatusCode::CREATED,
    );
    // Ten answers a minute from one address; the eleventh is refused and not stored.
    let wuyao_uri = format!("{P}/public/survey?hall=wuyao&t={wuyao_code}");
    for i in 0..10 {
        let body = json!({ "answers": rated(4), "device": format!("phone-eeee-{i:04}") });
        expect(
            &anonymous(&app, "POST", &wuyao_uri, Some(body), [10, 0, 4, 1]).await,
            StatusCode::CREATED,
        );
    }
    let over = anonymous(
        &app,
        "POST",
        &wuyao_uri,
        Some(json!({ "answers": rated(1), "device": "phone-eeee-0010" })),
        [10, 0, 4, 1],
    )
    .await;
    assert_eq!(
        over.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        over.json()
    );
    assert_eq!(over.json()["error"]["code"], "rate_limited");
    let elsewhere = anonymous(
        &app,
        "POST",
        &wuyao_uri,
        Some(json!({ "answers": rated(4), "device": "phone-eeee-0011" })),
        [10, 0, 4, 2],
    )
    .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::CREATED,
        "another address is not held back: {}",
        elsewhere.json()
    );
    // A replaced poster says so.
    expect(
        &inspector
            .post(
                &format!("{P}/surveys/links"),
                json!({ "hall": "bailou", "channel": "on_site" }),
            )
            .await,
        StatusCode::CREATED,
    );
    let old = anonymous(&app, "GET", &form_uri, None, [10, 0, 5, 1]).await;
    assert_eq!(old.status, StatusCode::GONE, "{}", old.json());

    // ---- by phone: a sampled, masked call list from the hotline's orders ------
    let agent = app
        .host
        .client_as("agent-1", vec![Role::HotlineAgent], &[], true)
        .await;
    const H: &str = "/api/plugins/hotline";
    let numbers = [
        "13900000001",
        "13900000002",
        "13900000003",
        "13900000004",
        "13900000002",
        "13900000009",
    ];
    for (i, number) in numbers.iter().enumerate() {
        let confidential = i == 5;
        let order = expect(
            &agent
                .post(
                    &format!("{H}/orders"),
                    json!({ "category": "town.streetlight", "title": format!("路灯不亮 {i}"),
                            "caller_number": number, "hall": "bailou", "dispatch": true,
                            "confidential": confidential, "separate": true }),
                )
                .await,
            StatusCode::CREATED,
        );
        let id = order["id"].as_str().expect("id");
        for action in [
            json!({ "action": "sign" }),
            json!({ "action": "start" }),
            json!({ "action": "reply", "text": "已修复。" }),
        ] {
            expect(
                &bailou
                    .post(&format!("{H}/orders/{id}/actions"), action)
                    .await,
                StatusCode::OK,
            );
        }
    }
    expect(
        &bailou.get(&format!("{P}/surveys/calls")).await,
        StatusCode::FORBIDDEN,
    );
    let drawn = expect(
        &inspector
            .post(
                &format!("{P}/surveys/calls"),
                json!({ "month": "2026-12", "hall": "bailou" }),
            )
            .await,
        StatusCode::CREATED,
    );
    assert_eq!(
        drawn["items"][0]["drawn"], 4,
        "twice the quota of 2, from 4 distinct numbers that are not confidential: {drawn}"
    );
    let list = expect(
        &inspector
            .get(&format!("{P}/surveys/calls?month=2026-12&hall=bailou"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(list["total"], 4);
    let shown: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["number"].as_str().expect("number"))
        .collect();
    assert!(
        shown.iter().all(|n| n.starts_with("139****000")),
        "{shown:?}"
    );
    assert!(
        !list.to_string().contains("13900000009"),
        "the confidential caller is never drawn"
    );
    let first_id = list["items"][0]["id"].as_str().expect("id").to_owned();
    let second_id = list["items"][1]["id"].as_str().expect("id").to_owned();
    // Not before dialling; then the number is shown to the one who dialled.
    let early = inspector
        .post(
            &format!("{P}/surveys/calls/{first_id}/result"),
            json!({ "outcome": "no_answer" }),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.json());
    let dialled = expect(
        &inspector
            .post(&format!("{P}/surveys/calls/{first_id}/dial"), json!({}))
            .await,
        StatusCode::OK,
    );
    let number = dialled["number"].as_str().expect("number").to_owned();
    assert_eq!(number.len(), 11);
    let detail = expect(
        &inspector
            .get(&format!("{P}/surveys/calls/{first_id}"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(detail["number"], number.as_str());
    assert_eq!(
        detail["form"],
        format!("/q/supervision/surveys/calls/{first_id}/form")
    );
    let another = app
        .host
        .client_as("inspector-9", vec![Role::Inspector], &[], true)
        .await;
    let theirs = expect(
        &another.get(&format!("{P}/surveys/calls/{first_id}")).await,
        StatusCode::OK,
    );
    assert!(
        theirs["number"]
            .as_str()
            .is_some_and(|n| n.contains("****")),
        "only the one who dialled sees it"
    );
    expect(
        &inspector
            .post(
                &format!("{P}/surveys/calls/{first_id}/result"),
                json!({ "outcome": "no_answer" }),
            )
            .await,
        StatusCode::OK,
    );
    let phone_form = expect(
        &inspector
            .get(&format!("{P}/surveys/calls/{first_id}/form"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(phone_form["auth"], true);
    assert!(phone_form["contact"].is_null(), "the number is the list's");
    let done = expect(
        &inspector
            .post(
                &format!("{P}/surveys/calls/{first_id}/answers"),
                json!({ "answers": rated(2), "reasons": ["多次跑腿"], "device": "surveyor-browser" }),
            )
            .await,
        StatusCode::CREATED,
    );
    assert!(
        done["followup"].is_string(),
        "a bad phone answer is a real-name 差评: {done}"
    );
    let entry = expect(
        &inspector
            .get(&format!("{P}/surveys/calls/{first_id}"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(
        (entry["state"].as_str(), entry["attempts"].as_u64()),
        (Some("completed"), Some(2))
    );
    let again = inspector
        .post(&format!("{P}/surveys/calls/{first_id}/dial"), json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // The other entries: refused, and the list is not topped up while three are pending.
    expect(
        &inspector
            .post(&format!("{P}/surveys/calls/{second_id}/dial"), json!({}))
            .await,
        StatusCode::OK,
    );
    expect(
        &inspector
            .post(
                &format!("{P}/surveys/calls/{second_id}/result"),
                json!({ "outcome": "refused", "note": "正在开车" }),
            )
            .await,
        StatusCode::OK,
    );
    let topped = expect(
        &inspector
            .post(
                &format!("{P}/surveys/calls"),
                json!({ "month": "2026-12", "hall": "bailou" }),
            )
            .await,
        StatusCode::CREATED,
    );
    assert_eq!(
        topped["items"][0]["drawn"], 0,
        "quota 2, 1 completed, 2 pending: {topped}"
    );

    // ---- figures -----------------------------------------------------------------
    // 百楼镇: on site 5, 4, 1; online 3; phone 2 → 3 satisfied of 5 (基本满意
    // counts), index (100 + 80 + 60 + 40 + 20) / 5 = 60.
    // 五尧乡: ten 4s, and one more from the second address → 11 of 11, 80.
    let figures = expect(
        &leader
            .get(&format!("{P}/surveys/figures?month=2026-12"))
            .await,
        StatusCode::OK,
    );
    let row = |hall: &str| {
        figures["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["hall"] == hall)
            .cloned()
            .expect("row")
    };
    figure(&row("bailou")["satisfaction"], 3, 5);
    assert_eq!(row("bailou")["index"]["value"], 60.0);
    figure(&row("wuyao")["satisfaction"], 11, 11);
    figure(&figures["overall"]["satisfaction"], 14, 16);
    let channel = |key: &str| {
        figures["channels"]
            .as_array()
            .expect("channels")
            .iter()
            .find(|c| c["channel"] == key)
            .cloned()
            .expect("channel")
    };
    assert_eq!(
        (
            channel("on_site")["answers"].as_u64(),
            channel("phone")["answers"].as_u64(),
            channel("online")["answers"].as_u64()
        ),
        (Some(14), Some(1), Some(1))
    );
    assert!(
        figures["rule"]
            .as_str()
            .is_some_and(|r| r.contains("基本满意") && r.contains("100"))
    );
    let own = expect(
        &wuyao
            .get(&format!("{P}/surveys/figures?month=2026-12"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(own["total"], 1, "a hall sees its own answers only: {own}");

    // The survey weighs 20% into the monthly score: a full-marks visit to
    // 百楼镇 scores 100 × 80% + 60 × 20% = 92.
    let visit = "visit-bailou-survey";
    expect(
        &inspector
            .put(
                &format!("{P}/inspections/{visit}"),
                json!({ "hall": "bailou", "answers": answers(&[]) }),
            )
            .await,
        StatusCode::CREATED,
    );
    expect(
        &inspector
            .post(&format!("{P}/inspections/{visit}/sign"), json!({}))
            .await,
        StatusCode::OK,
    );
    let card = expect(
        &leader.get(&format!("{P}/scorecard?month=2026-12")).await,
        StatusCode::OK,
    );
    let bailou_row = card["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["hall"] == "bailou")
        .cloned()
        .expect("row");
    assert_eq!(bailou_row["score"]["value"], 92.0, "{bailou_row}");
    figure(&bailou_row["satisfaction"], 3, 5);
    assert!(
        card["rule"]
            .as_str()
            .is_some_and(|r| r.contains("检查得分 × 80% + 满意度指数 × 20%")),
        "{}",
        card["rule"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn satisfaction_surveys_from_a_qr_code_the_website_and_a_phone_list() {
    for backend in backends() {
        surveys(backend).await;
    }
}
