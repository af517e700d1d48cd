//! The district's service catalogue (事项库) on SQLite and PostgreSQL:
//! workbooks made by another tool (Python's openpyxl) are imported over
//! HTTP; a wrong row refuses the whole file, names the sheet, the row as
//! Excel numbers it and the column, and stores nothing; publishing names
//! the version it started from; the export opens in openpyxl and imports
//! again unchanged; a module plugin reads the current version through the
//! WIT `catalogue` interface; every publish is audited.

use bantong_host::identity::Role;
use bantong_tests::office::{
    CATALOGUE_HEADING as HEADING, catalogue_categories as categories, catalogue_rows as good_rows,
    catalogue_workbook as workbook, read_workbook as read_back,
};
use bantong_tests::{TestApp, TestDb, db::backends};
use http::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_district_keeps_its_catalogue_in_a_spreadsheet() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_fixture("fixture").await;
        app.install_hotline().await;
        let dir = tempfile::tempdir().expect("dir");
        let host = &app.host;
        let admin = host
            .client_as("admin1", vec![Role::DistrictAdmin], &[], true)
            .await;
        let staff = host
            .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
            .await;

        // Nothing published yet.
        let none = admin.get("/api/catalogue").await;
        assert_eq!(none.status, StatusCode::OK);
        assert_eq!(none.json()["version"], Value::Null);
        assert_eq!(none.json()["items"], json!([]));
        assert_eq!(
            admin.get("/api/catalogue/export.xlsx").await.status,
            StatusCode::NOT_FOUND
        );
        let read = staff.get("/api/plugins/fixture/catalogue").await;
        assert_eq!(read.json()["version"], Value::Null, "{backend:?}");

        // A bad file: row 4 promises more than the law allows, row 6 has an
        // unknown category and a flag that is neither 是 nor 否.
        let mut bad = good_rows();
        bad[2][5] = json!(30);
        bad[4][2] = json!("不存在的窗口");
        bad[4][8] = json!("可以");
        let bad = workbook(dir.path(), "bad.xlsx", &bad, Some(&categories()));
        let r = admin
            .send_bytes(
                "POST",
                "/api/catalogue/import?note=first&file=bad.xlsx",
                bad,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.json());
        let problems: Vec<(String, u64, String)> = r.json()["error"]["details"]
            .as_array()
            .expect("problems")
            .iter()
            .map(|p| {
                (
                    p["sheet"].as_str().unwrap_or_default().to_owned(),
                    p["row"].as_u64().unwrap_or_default(),
                    p["column"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            problems,
            [
                ("事项".to_owned(), 3, "承诺时限(工作日)".to_owned()),
                ("事项".to_owned(), 5, "容缺受理".to_owned()),
                ("事项".to_owned(), 5, "窗口类别".to_owned()),
            ],
            "{backend:?}: {}",
            r.json()
        );
        assert_eq!(
            r.json()["error"]["details"][0]["message_zh"],
            "事项 第3行「承诺时限(工作日)」：承诺时限 30 个工作日超过法定时限 20 个工作日"
        );
        // Nothing was stored.
        assert_eq!(
            admin.get("/api/catalogue").await.json()["version"],
            Value::Null
        );
        assert_eq!(
            admin.get("/api/catalogue/versions").await.json()["items"],
            json!([])
        );

        // Window staff may read but not publish.
        let good = workbook(dir.path(), "good.xlsx", &good_rows(), Some(&categories()));
        let r = staff
            .send_bytes("POST", "/api/catalogue/import", good.clone())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // The good file becomes version 1.
        let r = admin
            .send_bytes(
                "POST",
                "/api/catalogue/import?note=first&file=lianchi.xlsx",
                good.clone(),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
        assert_eq!(r.json()["version"], 1);
        assert_eq!(r.json()["source"], "import:lianchi.xlsx");
        let current = staff.get("/api/catalogue").await.json();
        assert_eq!(current["counts"]["items"], 3, "the empty row is skipped");
        assert_eq!(current["counts"]["self_service"], 1);
        assert_eq!(current["items"][0]["category"], "market-access");
        assert_eq!(
            current["items"][0]["materials"],
            json!(["经营者身份证件", "经营场所使用证明"])
        );
        assert_eq!(current["items"][2]["category"], "comprehensive");

        // A module plugin reads it (WIT catalogue, parsed with hall-kit).
        let read = staff.get("/api/plugins/fixture/catalogue").await.json();
        assert_eq!(read["version"], 1);
        assert_eq!(read["items"], 3);
        assert_eq!(read["first"], "个体工商户设立登记");

        // The hotline's agents look items up while on a call and tell the
        // caller everything at once.
        let agent = host
            .client_as("agent1", vec![Role::HotlineAgent], &[], true)
            .await;
        let found = agent
            .get("/api/plugins/hotline/service-items?q=%E7%A4%BE%E4%BF%9D%E5%8D%A1")
            .await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.json());
        let found = found.json();
        assert_eq!(found["catalogue"], 1);
        assert_eq!(found["items"][0]["id"], "130606-MS-0001", "{found}");
        assert_eq!(found["items"][0]["materials"], "1. 居民身份证原件");
        assert_eq!(
            found["items"][0]["time_limit"],
            "承诺5个工作日（法定20个工作日）"
        );
        assert_eq!(found["items"][0]["ways"], "可自助办");

        // An order names the service item it is about; an unknown code
        // is refused and nothing is created.
        let order = agent
            .post(
                "/api/plugins/hotline/orders",
                json!({ "category": "social.pension", "title": "社保卡补领进度", "separate": true,
                        "caller_number": "13800000011", "item": "130606-MS-0001" }),
            )
            .await;
        assert_eq!(order.status, StatusCode::CREATED, "{}", order.json());
        let id = order.json()["id"].as_str().expect("order id").to_owned();
        let shown = agent
            .get(&format!("/api/plugins/hotline/orders/{id}"))
            .await
            .json();
        assert_eq!(
            shown["item"]["department"], "区人力资源和社会保障局",
            "{shown}"
        );
        assert_eq!(shown["item_name"], "社会保障卡补领（130606-MS-0001）");
        let before = agent.get("/api/plugins/hotline/orders").await.json()["total"].clone();
        let refused = agent
            .post(
                "/api/plugins/hotline/orders",
                json!({ "category": "social.pension", "title": "咨询", "separate": true,
                        "caller_number": "13800000012", "item": "NO-SUCH-ITEM" }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            agent.get("/api/plugins/hotline/orders").await.json()["total"],
            before
        );

        // Publishing from "nothing" again is refused: version 1 exists.
        let r = admin
            .send_bytes("POST", "/api/catalogue/import?base=0", good.clone())
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.json());

        // The export opens in openpyxl with both sheets, and imports again
        // unchanged as version 2.
        let export = staff.get("/api/catalogue/export.xlsx").await;
        assert_eq!(export.status, StatusCode::OK);
        let sheets = read_back(dir.path(), &export.body);
        assert_eq!(sheets["事项"][0], json!(HEADING));
        assert_eq!(sheets["事项"][1][0], "130606-SC-0001");
        assert_eq!(sheets["事项"][1][2], "市场准入");
        assert_eq!(sheets["事项"][1][4], 15);
        assert_eq!(sheets["X类窗口"][1], json!(["comprehensive", "综合受理"]));
        let r = admin
            .send_bytes(
                "POST",
                "/api/catalogue/import?base=1&note=again",
                export.body,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
        assert_eq!(r.json()["version"], 2);
        let v2 = admin.get("/api/catalogue/versions/2").await.json();
        assert_eq!(
            v2["items"], current["items"],
            "the round trip keeps every item"
        );
        let versions = admin.get("/api/catalogue/versions").await.json();
        assert_eq!(versions["items"].as_array().map(Vec::len), Some(2));

        // JSON publishing checks field names.
        let r = admin
            .put(
                "/api/catalogue",
                json!({ "base": 2, "catalogue": { "items": [{ "code": "A", "name": "甲",
                    "category": "health", "department": "区卫健局", "statutory_days": 1,
                    "promised_days": 1, "self_servce": true }] } }),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("items[0].self_servce"),
            "{}",
            r.json()
        );

        // Both publications are audited, with what changed.
        let audit = admin
            .get("/api/audit?action=catalogue.publish")
            .await
            .json();
        let entries = audit["items"].as_array().expect("entries");
        assert_eq!(entries.len(), 2, "{audit}");
        let first = entries
            .iter()
            .find(|e| e["target_id"] == "1")
            .expect("version 1 audited");
        assert_eq!(
            first["detail"]["changes"]["added"],
            json!(["130606-SC-0001", "130606-MS-0001", "130606-ZX-0001"]),
            "{first}"
        );
    }
}
