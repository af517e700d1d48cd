//! The hotline plugin (一号统领) through the HTTP API, on SQLite and
//! PostgreSQL: calls and seats from the telephony webhook, intake with the
//! repeat-request offer, dispatch across the 2025 National Day holiday and
//! its make-up working days, return and reassignment approvals, sign-for,
//! reply, callbacks with a dissatisfied rating that reopens the order,
//! supervision of an overdue order, the knowledge base, the exports, and
//! the month's KPIs against hand-computed values. Bad input gets a clear
//! error and changes nothing.

use bantong_host::identity::Role;
use bantong_tests::app::{Client, Reply};
use bantong_tests::{TestApp, TestDb, db::backends};
use http::StatusCode;
use serde_json::{Value, json};

const P: &str = "/api/plugins/hotline";
const MIN: i64 = 60_000;

/// Milliseconds of a local (UTC+8) civil time.
fn local(y: i64, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
    use bantong_hotline::calendar::{day_of, start_of_day};
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

async fn act(c: &Client, id: &str, action: Value) -> Reply {
    c.post(&format!("{P}/orders/{id}/actions"), action).await
}

async fn events(c: &Client, list: Value) -> Reply {
    c.post(&format!("{P}/telephony/events"), json!({ "events": list }))
        .await
}

async fn order(c: &Client, id: &str) -> Value {
    expect(&c.get(&format!("{P}/orders/{id}")).await, StatusCode::OK)
}

/// Asserts a KPI figure's numerator, denominator and value.
#[track_caller]
fn figure(report: &Value, name: &str, num: u64, den: u64, value: Option<f64>) {
    let f = &report["overall"][name];
    assert_eq!(
        (f["numerator"].as_u64(), f["denominator"].as_u64()),
        (Some(num), Some(den)),
        "{name}: {f}"
    );
    match value {
        Some(v) => assert!(
            (f["value"].as_f64().expect("value") - v).abs() < 1e-9,
            "{name}: {f}"
        ),
        None => assert!(f["value"].is_null(), "{name}: {f}"),
    }
    assert!(
        f["definition"].as_str().is_some_and(|d| d.contains('/')),
        "{name} prints its definition: {f}"
    );
}

async fn topics(app: &TestApp) -> Vec<String> {
    use sqlx::Row;
    sqlx::query("SELECT topic FROM events WHERE source = 'hotline' ORDER BY occurred_at")
        .fetch_all(app.host.state.store.pool())
        .await
        .expect("events")
        .iter()
        .map(|r| r.try_get::<String, _>(0).expect("topic"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_of_the_hotline_through_the_http_api() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_hotline().await;
        let host = &app.host;
        let agent = host
            .client_as("agent1", vec![Role::HotlineAgent], &[], true)
            .await;
        let inspector = host
            .client_as("inspector1", vec![Role::Inspector], &[], true)
            .await;
        let housing = host
            .client_as(
                "housing1",
                vec![Role::WindowStaff],
                &["dept-housing"],
                false,
            )
            .await;
        let market = host
            .client_as("market1", vec![Role::WindowStaff], &["dept-market"], false)
            .await;
        let bailou = host
            .client_as("bailou1", vec![Role::HallManager], &["bailou"], false)
            .await;
        let wuyao = host
            .client_as("wuyao1", vec![Role::HallManager], &["wuyao"], false)
            .await;
        let public = host.client(None);
        // The government-service website submits its web form server-to-server.
        let website = host
            .client_as("website", vec![Role::HotlineAgent], &[], true)
            .await;

        // ---- Order A: across the National Day holiday ----------------------
        // Received Fri 2025-09-26 10:00; 5 working days counted from the next
        // working day: Sun 09-28 (make-up working day), 09-29, 09-30, then
        // the holiday 10-01..10-08, then 10-09 and 10-10 → due 10-10 17:30.
        at(&app, local(2025, 9, 26, 10, 0));
        let a = expect(
            &agent
                .post(
                    &format!("{P}/orders"),
                    json!({ "category": "housing.property", "title": "小区电梯长期停运",
                            "caller_number": "13812345678", "caller_name": "王女士",
                            "description": "三号楼电梯停运两周，物业不处理。", "dispatch": true }),
                )
                .await,
            StatusCode::CREATED,
        );
        let a_id = a["id"].as_str().expect("id").to_owned();
        assert_eq!(a_id, "GD202509260001");
        assert_eq!(a["state"], "dispatched");
        assert_eq!(a["lead"], "dept-housing");
        assert_eq!(a["due_ms"], local(2025, 10, 10, 17, 30), "{a}");
        assert_eq!(a["sign_due_ms"], local(2025, 9, 27, 10, 0));
        // Units see only what they lead.
        expect(
            &bailou.get(&format!("{P}/orders/{a_id}")).await,
            StatusCode::NOT_FOUND,
        );
        assert_eq!(
            expect(&bailou.get(&format!("{P}/orders")).await, StatusCode::OK)["total"],
            0
        );
        // Only the lead unit signs; the agent cannot.
        expect(
            &act(&agent, &a_id, json!({ "action": "sign" })).await,
            StatusCode::FORBIDDEN,
        );
        at(&app, local(2025, 9, 26, 11, 0));
        expect(
            &act(&housing, &a_id, json!({ "action": "sign" })).await,
            StatusCode::OK,
        );
        at(&app, local(2025, 9, 26, 11, 5));
        expect(
            &act(&housing, &a_id, json!({ "action": "start" })).await,
            StatusCode::OK,
        );
        at(&app, local(2025, 10, 9, 10, 0));
        expect(
            &act(
                &housing,
                &a_id,
                json!({ "action": "reply", "text": "已督促物业维修，电梯已恢复运行。" }),
            )
            .await,
            StatusCode::OK,
        );
        at(&app, local(2025, 10, 9, 15, 0));
        let cb = expect(
            &agent
                .post(
                    &format!("{P}/orders/{a_id}/callbacks"),
                    json!({ "reached": true, "score": 5, "note": "电梯已正常" }),
                )
                .await,
            StatusCode::CREATED,
        );
        assert!(cb.get("reopened").is_none(), "{cb}");
        at(&app, local(2025, 10, 9, 15, 5));
        expect(
            &act(
                &agent,
                &a_id,
                json!({ "action": "close", "resolution": "回访满意，办结" }),
            )
            .await,
            StatusCode::OK,
        );

        // ---- Calls on Mon 2025-10-13 -----------------------------------------
        let t0 = local(2025, 10, 13, 9, 0);
        let s = 1_000;
        // A bad batch changes nothing: seat-3's login is not kept.
        let bad = expect(
            &events(
                &agent,
                json!([{ "event": "login", "seat": "seat-3", "at_ms": t0 },
                       { "event": "answered", "call_id": "nope", "seat": "seat-3", "at_ms": t0 }]),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        assert!(bad.to_string().contains("events[1]"), "{bad}");
        let seats = expect(&agent.get(&format!("{P}/seats")).await, StatusCode::OK);
        assert!(
            seats["items"]
                .as_array()
                .expect("seats")
                .iter()
                .all(|s| s["status"] == "offline"),
            "{seats}"
        );
        // A malformed caller number is refused.
        expect(
            &events(
                &agent,
                json!([{ "event": "offered", "call_id": "x", "caller_number": "138-abc", "at_ms": t0 }]),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        expect(
            &events(
                &agent,
                json!([
                    { "event": "login", "seat": "seat-1", "at_ms": t0 - 5 * MIN },
                    { "event": "login", "seat": "seat-2", "at_ms": t0 - 5 * MIN },
                    { "event": "offered", "call_id": "c1", "caller_number": "13900001111", "seat": "seat-1", "at_ms": t0 },
                    { "event": "answered", "call_id": "c1", "seat": "seat-1", "at_ms": t0 + 10 * s },
                ]),
            )
            .await,
            StatusCode::OK,
        );
        let live = expect(&agent.get(&format!("{P}/calls/live")).await, StatusCode::OK);
        assert_eq!(live["items"][0]["caller_number"], "13900001111", "{live}");
        assert_eq!(live["items"][0]["status"], "talking");

        // ---- Order B: return, approval, reassignment, reopening ---------------
        at(&app, t0 + 2 * MIN);
        let b = expect(
            &agent
                .post(
                    &format!("{P}/orders"),
                    json!({ "category": "town.streetlight", "title": "村口路灯不亮",
                            "caller_number": "13900001111", "hall": "bailou",
                            "call_id": "c1", "dispatch": true }),
                )
                .await,
            StatusCode::CREATED,
        );
        let b_id = b["id"].as_str().expect("id").to_owned();
        assert_eq!(
            b["lead"], "bailou",
            "a hall matter goes to the hall it concerns"
        );
        expect(
            &events(
                &agent,
                json!([
                    { "event": "ended", "call_id": "c1", "at_ms": t0 + 190 * s, "recording": "rec/c1.wav" },
                    { "event": "wrap_up_done", "seat": "seat-1", "at_ms": t0 + 240 * s },
                    { "event": "offered", "call_id": "c2", "caller_number": "13500004444", "seat": "seat-2", "at_ms": t0 + 10 * MIN },
                    { "event": "answered", "call_id": "c2", "seat": "seat-2", "at_ms": t0 + 10 * MIN + 20 * s },
                    { "event": "ended", "call_id": "c2", "at_ms": t0 + 10 * MIN + 140 * s },
                    { "event": "offered", "call_id": "c3", "caller_number": "0311-86001234", "at_ms": t0 + 20 * MIN },
                    { "event": "ended", "call_id": "c3", "at_ms": t0 + 20 * MIN + 3 * s },
                    { "event": "offered", "call_id": "c4", "caller_number": "13600005555", "seat": "seat-1", "at_ms": t0 + 30 * MIN },
                    { "event": "ended", "call_id": "c4", "at_ms": t0 + 30 * MIN + 40 * s },
                ]),
            )
            .await,
            StatusCode::OK,
        );
        // The telephony restarted: logging seat-2 in again (it was in
        // wrap-up) starts it over.
        expect(
            &events(
                &agent,
                json!([{ "event": "login", "seat": "seat-2", "at_ms": t0 + 35 * MIN }]),
            )
            .await,
            StatusCode::OK,
        );
        let seats = expect(&agent.get(&format!("{P}/seats")).await, StatusCode::OK);
        assert_eq!(seats["items"][1]["seat"], "seat-2", "{seats}");
        assert_eq!(seats["items"][1]["status"], "available", "{seats}");
        let c1 = expect(
            &agent
                .send(
                    "PATCH",
                    &format!("{P}/calls/c1"),
                    Some(json!({ "hall": "bailou", "category": "town.streetlight" })),
                )
                .await,
            StatusCode::OK,
        );
        assert_eq!(c1["order_id"], b_id.as_str(), "{c1}");

        // Knowledge base: an article, a search in Chinese, a revision.
        at(&app, t0 + 9 * MIN);
        let art = expect(
            &agent
                .post(
                    &format!("{P}/knowledge"),
                    json!({ "category": "social.pension", "title": "城乡居民养老保险缴费标准",
                            "body": "城乡居民基本养老保险每年缴费一次，缴费档次由参保人自选，可通过税务App缴纳。",
                            "keywords": ["养老保险", "缴费"] }),
                )
                .await,
            StatusCode::CREATED,
        );
        let art_id = art["id"].as_str().expect("id").to_owned();
        expect(
            &agent
                .post(
                    &format!("{P}/knowledge"),
                    json!({ "category": "unknown.item", "title": "x", "body": "y" }),
                )
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        let hits = expect(
            &agent
                .get(&format!(
                    "{P}/knowledge?q=%E5%85%BB%E8%80%81%E7%BC%B4%E8%B4%B9"
                ))
                .await,
            StatusCode::OK,
        );
        assert_eq!(hits["items"][0]["id"], art_id.as_str(), "{hits}");
        assert!(
            hits["items"][0]["snippet"]
                .as_str()
                .expect("snippet")
                .contains('【'),
            "{hits}"
        );
        let revised = expect(
            &agent
                .send(
                    "PUT",
                    &format!("{P}/knowledge/{art_id}"),
                    Some(json!({ "category": "social.pension", "title": "城乡居民养老保险缴费标准（2025年）",
                                 "body": "2025年度城乡居民基本养老保险缴费档次为每年200元至5000元。" })),
                )
                .await,
            StatusCode::OK,
        );
        assert_eq!(revised["version"], 2);
        let got = expect(
            &agent.get(&format!("{P}/knowledge/{art_id}")).await,
            StatusCode::OK,
        );
        assert_eq!(got["versions"].as_array().expect("versions").len(), 2);
        let v1 = expect(
            &agent
                .get(&format!("{P}/knowledge/{art_id}/versions/1"))
                .await,
            StatusCode::OK,
        );
        assert!(v1["body"].as_str().expect("body").contains("税务App"));
        expect(
            &agent
                .send(
                    "PATCH",
                    &format!("{P}/calls/c2"),
                    Some(json!({ "first_contact_resolved": true, "knowledge_article": art_id, "category": "social.pension" })),
                )
                .await,
            StatusCode::OK,
        );
        // Missed calls: c3 (3 s) and c4 (40 s); c4 is called back.
        let missed = expect(
            &agent.get(&format!("{P}/missed-calls")).await,
            StatusCode::OK,
        );
        assert_eq!(missed["total"], 2, "{missed}");
        expect(
            &agent
                .post(
                    &format!("{P}/missed-calls/c4/called-back"),
                    json!({ "note": "已回拨" }),
                )
                .await,
            StatusCode::NO_CONTENT,
        );
        let missed = expect(
            &agent.get(&format!("{P}/missed-calls")).await,
            StatusCode::OK,
        );
        assert_eq!(missed["items"][0]["id"], "c3", "{missed}");
        assert_eq!(missed["total"], 1);

        at(&app, local(2025, 10, 13, 10, 0));
        expect(
            &act(
                &bailou,
                &b_id,
                json!({ "action": "request_return", "reason": "路段属五尧乡管辖" }),
            )
            .await,
            StatusCode::OK,
        );
        // Awaiting approval: nothing else may happen, and only a supervisor approves.
        expect(
            &act(&bailou, &b_id, json!({ "action": "sign" })).await,
            StatusCode::CONFLICT,
        );
        expect(
            &act(&agent, &b_id, json!({ "action": "approve" })).await,
            StatusCode::FORBIDDEN,
        );
        at(&app, local(2025, 10, 13, 11, 0));
        let back = expect(
            &act(&inspector, &b_id, json!({ "action": "approve" })).await,
            StatusCode::OK,
        );
        assert_eq!(back["state"], "received", "{back}");
        at(&app, local(2025, 10, 13, 11, 30));
        let b = expect(
            &act(
                &agent,
                &b_id,
                json!({ "action": "dispatch", "to": "wuyao" }),
            )
            .await,
            StatusCode::OK,
        );
        assert_eq!(b["lead"], "wuyao");
        assert_eq!(b["sign_due_ms"], local(2025, 10, 13, 23, 30));
        assert_eq!(b["due_ms"], local(2025, 10, 16, 17, 30));
        // Signed late (after 23:30), replied late (after 10-16 17:30).
        at(&app, local(2025, 10, 14, 8, 0));
        expect(
            &act(&wuyao, &b_id, json!({ "action": "sign" })).await,
            StatusCode::OK,
        );
        expect(
            &act(&wuyao, &b_id, json!({ "action": "start" })).await,
            StatusCode::OK,
        );
        at(&app, local(2025, 10, 17, 9, 0));
        expect(
            &act(
                &wuyao,
                &b_id,
                json!({ "action": "reply", "text": "已更换灯泡。" }),
            )
            .await,
            StatusCode::OK,
        );
        // A dissatisfied callback reopens it to the same unit with a new deadline.
        at(&app, local(2025, 10, 17, 10, 0));
        let cb = expect(
            &agent
                .post(
                    &format!("{P}/orders/{b_id}/callbacks"),
                    json!({ "reached": true, "score": 2, "note": "第二天又不亮了" }),
                )
                .await,
            StatusCode::CREATED,
        );
        assert_eq!(cb["reopened"], b_id.as_str(), "{cb}");
        assert_eq!(cb["due_ms"], local(2025, 10, 22, 17, 30), "{cb}");
        let b = order(&agent, &b_id).await;
        assert_eq!(b["state"], "dispatched");
        assert_eq!(b["lead"], "wuyao");
        assert_eq!(
            b["dispatches"].as_array().expect("dispatches").len(),
            3,
            "{b}"
        );
        assert_eq!(b["dispatches"][0]["returned"], 1);
        at(&app, local(2025, 10, 17, 11, 0));
        expect(
            &act(&wuyao, &b_id, json!({ "action": "sign" })).await,
            StatusCode::OK,
        );
        expect(
            &act(&wuyao, &b_id, json!({ "action": "start" })).await,
            StatusCode::OK,
        );
        at(&app, local(2025, 10, 20, 10, 0));
        expect(
            &act(
                &wuyao,
                &b_id,
                json!({ "action": "reply", "text": "已更换整套灯具并复查。" }),
            )
            .await,
            StatusCode::OK,
        );
        at(&app, local(2025, 10, 20, 11, 0));
        expect(
            &agent
                .post(
                    &format!("{P}/orders/{b_id}/callbacks"),
                    json!({ "reached": true, "score": 4 }),
                )
                .await,
            StatusCode::CREATED,
        );
        expect(
            &act(
                &agent,
                &b_id,
                json!({ "action": "close", "resolution": "回访满意" }),
            )
            .await,
            StatusCode::OK,
        );
        // Every transition is in the audit trail.
        let b = order(&agent, &b_id).await;
        let trail: Vec<&str> = b["history"]
            .as_array()
            .expect("history")
            .iter()
            .map(|t| t["action"].as_str().expect("action"))
            .collect();
        assert_eq!(
            trail,
            [
                "dispatch",
                "request_return",
                "approve",
                "dispatch",
                "sign",
                "start",
                "reply",
                "reopen",
                "sign",
                "start",
                "reply",
                "close"
            ]
        );

        // ---- Order C: a department matter, never signed: supervised ----------
        at(&app, local(2025, 10, 20, 9, 0));
        let c = expect(
            &agent
                .post(
                    &format!("{P}/orders"),
                    json!({ "category": "market.complaint", "title": "超市销售过期食品",
                            "caller_number": "13812345678" }),
                )
                .await,
            StatusCode::CREATED,
        );
        let c_id = c["id"].as_str().expect("id").to_owned();
        let before = order(&agent, &c_id).await;
        // Bad input changes nothing: an unknown unit, a department matter to a hall.
        let r = expect(
            &act(
                &agent,
                &c_id,
                json!({ "action": "dispatch", "to": "dept-nowhere" }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        assert!(
            r["error"]["message"]
                .as_str()
                .expect("message")
                .contains("未知的承办单位"),
            "{r}"
        );
        expect(
            &act(
                &agent,
                &c_id,
                json!({ "action": "dispatch", "to": "bailou" }),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        let r = expect(
            &act(
                &agent,
                &c_id,
                json!({ "action": "close", "resolution": "x" }),
            )
            .await,
            StatusCode::CONFLICT,
        );
        assert_eq!(r["error"]["code"], "illegal_transition", "{r}");
        expect(
            &act(&agent, &c_id, json!({ "action": "fly" })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        assert_eq!(
            order(&agent, &c_id).await,
            before,
            "refused actions change nothing"
        );
        let c = expect(
            &act(&agent, &c_id, json!({ "action": "dispatch" })).await,
            StatusCode::OK,
        );
        assert_eq!(c["lead"], "dept-market");
        assert_eq!(c["due_ms"], local(2025, 10, 29, 17, 30));

        // ---- D: the same caller, same category, next day: offered for merging
        at(&app, local(2025, 10, 21, 10, 0));
        let d_input = json!({ "category": "market.complaint", "title": "再次反映超市过期食品",
                              "caller_number": "13812345678" });
        let r = expect(
            &agent.post(&format!("{P}/orders"), d_input.clone()).await,
            StatusCode::CONFLICT,
        );
        assert_eq!(r["error"]["code"], "repeat_request", "{r}");
        assert_eq!(r["repeats"][0]["id"], c_id.as_str(), "{r}");
        let mut merge = d_input.clone();
        merge["merge_into"] = json!(c_id);
        let d = expect(
            &agent.post(&format!("{P}/orders"), merge).await,
            StatusCode::CREATED,
        );
        assert_eq!(d["state"], "merged");
        assert_eq!(d["merged_into"], c_id.as_str());

        // ---- E: confidential caller, hall matter -------------------------------
        at(&app, local(2025, 10, 22, 9, 0));
        let e = expect(
            &agent
                .post(
                    &format!("{P}/orders"),
                    json!({ "category": "town.sanitation", "title": "垃圾清运不及时",
                            "caller_number": "13700002222", "caller_name": "李先生",
                            "confidential": true, "hall": "bailou", "dispatch": true }),
                )
                .await,
            StatusCode::CREATED,
        );
        let e_id = e["id"].as_str().expect("id").to_owned();
        let seen = order(&bailou, &e_id).await;
        assert_eq!(seen["caller_number"], "保密", "{seen}");
        assert_eq!(seen["caller_name"], "保密");
        assert_eq!(order(&agent, &e_id).await["caller_number"], "13700002222");
        at(&app, local(2025, 10, 22, 9, 30));
        expect(
            &act(&bailou, &e_id, json!({ "action": "sign" })).await,
            StatusCode::OK,
        );
        expect(
            &act(&bailou, &e_id, json!({ "action": "start" })).await,
            StatusCode::OK,
        );
        at(&app, local(2025, 10, 23, 10, 0));
        expect(
            &act(
                &bailou,
                &e_id,
                json!({ "action": "reply", "text": "已安排每日清运两次。" }),
            )
            .await,
            StatusCode::OK,
        );
        let inbox = expect(&bailou.get(&format!("{P}/inbox")).await, StatusCode::OK);
        assert_eq!(inbox["total"], 0, "{inbox}");

        // ---- F: the web form; bad input ------------------------------------------
        at(&app, local(2025, 10, 24, 9, 0));
        let form = json!({ "category": "town.service", "title": "咨询老年证办理",
                           "caller_number": "13600003333", "hall": "hanzhuang" });
        expect(
            &public.post(&format!("{P}/intake/web"), form.clone()).await,
            StatusCode::UNAUTHORIZED,
        );
        let f = expect(
            &website
                .post(
                    &format!("{P}/intake/web"),
                    json!({ "category": "town.service", "title": "咨询老年证办理",
                            "caller_number": "13600003333", "hall": "hanzhuang" }),
                )
                .await,
            StatusCode::CREATED,
        );
        let f_id = f["id"].as_str().expect("id").to_owned();
        let total =
            expect(&agent.get(&format!("{P}/orders")).await, StatusCode::OK)["total"].clone();
        for (body, what) in [
            (
                json!({ "category": "town.service", "title": "x", "caller_number": "1380013800O" }),
                "电话号码",
            ),
            (
                json!({ "category": "town.service", "title": "长".repeat(201), "caller_number": "13600003333" }),
                "title",
            ),
            (
                json!({ "category": "town.service", "title": "x", "caller_number": "13600003333", "description": "长".repeat(4001) }),
                "description",
            ),
            (
                json!({ "category": "nope", "title": "x", "caller_number": "13600003333" }),
                "类别",
            ),
            (
                json!({ "category": "town.service", "title": "x", "caller_number": "13600003333", "hall": "atlantis" }),
                "atlantis",
            ),
            (
                json!({ "category": "town.service", "title": "x", "caller_number": "13600003333", "dispatch": true }),
                "agents only",
            ),
        ] {
            let r = expect(
                &website.post(&format!("{P}/intake/web"), body).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            assert!(r.to_string().contains(what), "{what}: {r}");
        }
        expect(
            &website
                .post(&format!("{P}/intake/web"), json!({ "title": 1 }))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        assert_eq!(
            expect(&agent.get(&format!("{P}/orders")).await, StatusCode::OK)["total"],
            total,
            "refused requests store nothing"
        );
        assert_eq!(order(&agent, &f_id).await["channel"], "web");

        // ---- Supervision: C is overdue on 10-30 ---------------------------------
        at(&app, local(2025, 10, 30, 9, 0));
        expect(
            &bailou
                .post(&format!("{P}/supervision/sweep"), json!({}))
                .await,
            StatusCode::FORBIDDEN,
        );
        let swept = expect(
            &inspector
                .post(&format!("{P}/supervision/sweep"), json!({}))
                .await,
            StatusCode::OK,
        );
        assert_eq!(swept["raised"], 1, "{swept}");
        let board = expect(
            &inspector.get(&format!("{P}/supervision")).await,
            StatusCode::OK,
        );
        assert_eq!(board["items"][0]["id"], c_id.as_str(), "{board}");
        assert_eq!(board["items"][0]["level"], "超期督办");
        assert_eq!(
            expect(
                &market.get(&format!("{P}/supervision")).await,
                StatusCode::OK
            )["total"],
            1
        );
        let again = expect(
            &inspector
                .post(&format!("{P}/supervision/sweep"), json!({}))
                .await,
            StatusCode::OK,
        );
        assert_eq!(again["raised"], 0, "a level is raised once");

        // ---- Caller history ---------------------------------------------------
        let hist = expect(
            &agent.get(&format!("{P}/callers/13812345678")).await,
            StatusCode::OK,
        );
        assert_eq!(hist["orders_total"], 3, "{hist}");
        expect(
            &agent.get(&format!("{P}/callers/12ab")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        expect(
            &bailou.get(&format!("{P}/callers/13812345678")).await,
            StatusCode::FORBIDDEN,
        );

        // ---- KPIs for October 2025, as of 11-01 00:00 ------------------------
        let as_of = local(2025, 11, 1, 0, 0);
        let k = expect(
            &agent
                .get(&format!("{P}/kpi?period=2025-10&as_of={as_of}"))
                .await,
            StatusCode::OK,
        );
        // Calls: c1 answered in 10 s (180 s talk), c2 in 20 s (120 s, resolved
        // from the article), c3 abandoned after 3 s (short), c4 after 40 s.
        figure(&k, "answer_rate", 2, 3, Some(2.0 / 3.0));
        figure(&k, "answered_within", 1, 3, Some(1.0 / 3.0));
        figure(&k, "abandon_rate", 1, 3, Some(1.0 / 3.0));
        figure(&k, "average_wait", 30_000, 2, Some(15.0));
        figure(&k, "average_handling", 300_000, 2, Some(150.0));
        figure(&k, "first_contact_resolution", 1, 2, Some(0.5));
        // Orders: sign-for due in October: B (reopened, on time), C (never), E (on time).
        figure(&k, "on_time_sign", 2, 3, Some(2.0 / 3.0));
        // Due in October: A, B (the reopening's deadline), E on time; C overdue.
        figure(&k, "on_time_completion", 3, 4, Some(0.75));
        figure(&k, "overdue_rate", 1, 4, Some(0.25));
        // Dispatches in October: B×3 (one returned), C, E.
        figure(&k, "return_rate", 1, 5, Some(0.2));
        // Replied in October: A, B, E; A and B called back after the reply.
        figure(&k, "callback_rate", 2, 3, Some(2.0 / 3.0));
        // Ratings in October: 5 (A), 2 and 4 (B).
        figure(&k, "satisfaction", 2, 3, Some(2.0 / 3.0));
        assert_eq!(k["overall"]["orders_received"], 5, "{}", k["overall"]);
        assert_eq!(k["by_hall"]["wuyao"]["return_rate"]["denominator"], 2);
        assert_eq!(k["by_hall"]["bailou"]["return_rate"]["numerator"], 1);
        assert_eq!(k["by_category"]["market.complaint"]["orders_received"], 2);
        // Unit staff do not see the district's figures.
        expect(
            &bailou.get(&format!("{P}/kpi?period=2025-10")).await,
            StatusCode::FORBIDDEN,
        );
        expect(
            &agent.get(&format!("{P}/kpi?period=2025-13")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );

        // ---- Excel exports ------------------------------------------------------
        for path in [
            "/export/orders.xlsx?period=2025-10",
            "/export/kpi.xlsx?period=2025-10",
        ] {
            let r = agent.get(&format!("{P}{path}")).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.json());
            assert_eq!(
                r.headers["content-type"],
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            );
            assert!(r.body.starts_with(b"PK\x03\x04"), "{path} is a zip");
        }

        // ---- Events for other plugins -----------------------------------------
        let seen = topics(&app).await;
        for topic in [
            "hotline.order.created",
            "hotline.order.dispatched",
            "hotline.order.reopened",
            "hotline.order.overdue",
            "hotline.order.closed",
            "hotline.rating.received",
        ] {
            assert!(seen.iter().any(|t| t == topic), "{topic} in {seen:?}");
        }
        assert_eq!(
            seen.iter()
                .filter(|t| *t == "hotline.order.created")
                .count(),
            6,
            "A, B, C, D, E, F: {seen:?}"
        );
        app.host.state.plugins.index().set_plugin_clock(None);
    }
}
