//! The district's working-day calendar on SQLite and PostgreSQL: the
//! built-in 2025 and 2026 arrangements are there from the start; only a
//! district administrator adds or corrects a year, bad arrangements are
//! refused with the entry named and change nothing, every change is
//! audited; the hotline's deadlines follow the district's data (a 2026
//! National Day deadline lands on the worked Saturday 10-10, and a year
//! added by the administrator moves deadlines at once) and warn when they
//! cross a year nobody entered.

use bantong_host::calendar::{expected_years, warning};
use bantong_host::identity::Role;
use bantong_tests::app::Reply;
use bantong_tests::{TestApp, TestDb, db::backends};
use http::StatusCode;
use serde_json::{Value, json};

const P: &str = "/api/plugins/hotline";
const MIN: i64 = 60_000;

fn local(y: i64, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
    use bantong_hall_kit::calendar::{day_of, start_of_day};
    start_of_day(day_of(y, mo, d).expect("date")) + (h * 60 + mi) * MIN
}

#[track_caller]
fn expect(r: &Reply, status: StatusCode) -> Value {
    assert_eq!(r.status, status, "{}", r.json());
    r.json()
}

/// A made-up 2027 arrangement for the tests (the real notice is the
/// district's to enter).
fn year_2027() -> Value {
    json!({
        "year": 2027,
        "notice": "测试用2027年安排",
        "holidays": ["2027-01-01..2027-01-03 元旦", "2027-10-01..2027-10-07 国庆节"],
        "workdays": ["2027-09-26 国庆节调休"]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_district_keeps_the_calendar_and_the_hotline_counts_on_it() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_hotline().await;
        let host = &app.host;
        let admin = host
            .client_as("admin1", vec![Role::DistrictAdmin], &[], true)
            .await;
        let agent = host
            .client_as("agent1", vec![Role::HotlineAgent], &[], true)
            .await;
        let store = &host.state.store;

        // ---- the built-in years -------------------------------------------
        let list = expect(&agent.get("/api/calendar").await, StatusCode::OK);
        let years: Vec<i64> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|y| y["year"].as_i64().expect("year"))
            .collect();
        assert_eq!(years, [2026, 2025], "{list}");
        assert_eq!(list["items"][0]["builtin"], true);
        assert_eq!(list["items"][0]["holiday_count"], 33);
        assert_eq!(list["items"][0]["workday_count"], 6);
        assert_eq!(list["items"][0]["id"], "2026");
        let y2026 = expect(&agent.get("/api/calendar/2026").await, StatusCode::OK);
        assert!(
            y2026["holidays"]
                .as_array()
                .expect("holidays")
                .contains(&json!("2026-10-01..2026-10-07 国庆节")),
            "{y2026}"
        );
        expect(
            &agent.get("/api/calendar/2027").await,
            StatusCode::NOT_FOUND,
        );
        expect(&agent.get("/api/calendar/abc").await, StatusCode::NOT_FOUND);

        // The dashboard's warning: 2027 is expected from November 2026.
        let nov = local(2026, 11, 2, 9, 0);
        assert_eq!(expected_years(nov), [2026, 2027]);
        let w = warning(store, nov).await.expect("warning").expect("some");
        assert_eq!(w.missing, [2027]);
        assert!(w.zh.contains("2027年的节假日安排尚未配置"), "{}", w.zh);
        assert_eq!(
            warning(store, local(2026, 6, 1, 9, 0)).await.expect("w"),
            None
        );

        // ---- a 2026 deadline across National Day ---------------------------
        // Received Wed 2026-09-30 11:00, 3 working days (路灯不亮, a hall
        // matter): 10-01 … 10-07 are off, 10-08 and 10-09 count, and the
        // worked Saturday 10-10 is the third.
        host.state
            .plugins
            .index()
            .set_plugin_clock(Some(local(2026, 9, 30, 11, 0)));
        let a = expect(
            &agent
                .post(
                    &format!("{P}/orders"),
                    json!({ "category": "town.streetlight", "title": "路灯不亮",
                            "caller_number": "13800000001", "dispatch": true }),
                )
                .await,
            StatusCode::CREATED,
        );
        assert_eq!(a["due_ms"], local(2026, 10, 10, 17, 30), "{a}");
        assert_eq!(a["calendar_warning"], Value::Null, "{a}");

        // ---- a deadline into a year nobody entered -------------------------
        // Received Mon 2026-12-28 09:00, 5 working days: without 2027's
        // arrangement 2027-01-01 (a Friday) counts as a working day.
        let dec28 = local(2026, 12, 28, 9, 0);
        host.state.plugins.index().set_plugin_clock(Some(dec28));
        let new_order = || async {
            expect(
                &agent
                    .post(
                        &format!("{P}/orders"),
                        json!({ "category": "town.service", "title": "咨询老年证办理",
                                "caller_number": "13800000002", "dispatch": true, "separate": true }),
                    )
                    .await,
                StatusCode::CREATED,
            )
        };
        let b = new_order().await;
        assert_eq!(b["due_ms"], local(2027, 1, 4, 17, 30), "{b}");
        assert_eq!(b["calendar_warning"]["years"], json!([2027]), "{b}");
        assert!(
            b["calendar_warning"]["zh"]
                .as_str()
                .is_some_and(|t| t.contains("2027年的节假日安排尚未配置")),
            "{b}"
        );

        // ---- only a district administrator changes the calendar ------------
        expect(
            &agent.post("/api/calendar", year_2027()).await,
            StatusCode::FORBIDDEN,
        );
        expect(
            &agent.put("/api/calendar/2027", year_2027()).await,
            StatusCode::FORBIDDEN,
        );
        // Bad arrangements name the entry and store nothing.
        let mut bad = year_2027();
        bad["holidays"][1] = json!("2027-10-01..2027-09-07 国庆节");
        let r = admin.post("/api/calendar", bad).await;
        let e = expect(&r, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            e["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("holidays[1]") && m.contains("ends before it starts")),
            "{e}"
        );
        let mut weekday = year_2027();
        weekday["workdays"] = json!(["2027-01-04"]);
        let e = expect(
            &admin.post("/api/calendar", weekday).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        assert!(
            e["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("workdays[0]")),
            "{e}"
        );
        let mut other = year_2027();
        other["year"] = json!(2028);
        expect(
            &admin.put("/api/calendar/2027", other).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        let mut unknown = year_2027();
        unknown["colour"] = json!("red");
        assert!(
            admin
                .post("/api/calendar", unknown)
                .await
                .status
                .is_client_error()
        );
        expect(
            &agent.get("/api/calendar/2027").await,
            StatusCode::NOT_FOUND,
        );

        // The administrator adds 2027; a second add is a conflict.
        let added = expect(
            &admin.post("/api/calendar", year_2027()).await,
            StatusCode::CREATED,
        );
        assert_eq!(added["builtin"], false);
        assert_eq!(added["holiday_count"], 10);
        expect(
            &admin.post("/api/calendar", year_2027()).await,
            StatusCode::CONFLICT,
        );

        // The hotline's deadlines follow at once: 2027-01-01 … 01-03 are
        // off, so 12-29, 12-30, 12-31, 01-04, 01-05.
        let c = new_order().await;
        assert_eq!(c["due_ms"], local(2027, 1, 5, 17, 30), "{c}");
        assert_eq!(c["calendar_warning"], Value::Null, "{c}");

        // A correction through PUT, audited with before and after.
        let mut fixed = year_2027();
        fixed["holidays"] = json!([
            "2027-01-01..2027-01-04 元旦",
            "2027-10-01..2027-10-07 国庆节"
        ]);
        let put = expect(
            &admin.put("/api/calendar/2027", fixed).await,
            StatusCode::OK,
        );
        assert_eq!(put["holiday_count"], 11);
        // Now 01-04 is off too: 12-29, 12-30, 12-31, 01-05, 01-06.
        let d = new_order().await;
        assert_eq!(d["due_ms"], local(2027, 1, 6, 17, 30), "{d}");
        let audit = expect(
            &admin.get("/api/audit?action=calendar.update").await,
            StatusCode::OK,
        );
        let entries = audit
            .as_array()
            .or_else(|| audit["items"].as_array())
            .expect("entries");
        assert_eq!(entries.len(), 2, "{audit}");
        let detail = entries
            .iter()
            .map(|e| e["detail"].to_string())
            .collect::<String>();
        assert!(detail.contains("2027-01-01..2027-01-03 元旦"), "{detail}");
        assert!(detail.contains("2027-01-01..2027-01-04 元旦"), "{detail}");
    }
}
