//! WIT 0.1.3 `directory` on SQLite and PostgreSQL: a module plugin (the
//! fixture) lists the district's halls by code without any capability, and
//! the enabled people holding a role, by username, under its `directory`
//! grant; disabled accounts are left out; a plugin whose policy does not
//! grant `directory` still lists the halls but is refused the people.

use bantong_host::identity::{HallGrade, NewHall, Principal, Role};
use bantong_tests::app::user_with_token;
use bantong_tests::{TestApp, TestDb, db::backends};
use http::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_reads_the_halls_and_the_people_with_a_role() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_fixture("fixture").await;
        // The same code under an id whose policy allows no `directory`.
        app.install_fixture("fixture-b").await;
        let state = &app.host.state;
        let system = Principal::system("test");

        // Two halls, created out of code order.
        for (id, code, zh, en, grade) in [
            (
                "xinhe",
                "330102",
                "新河街道便民服务中心",
                "Xinhe Street Service Hall",
                HallGrade::Basic,
            ),
            (
                "bailou",
                "330101",
                "白楼镇便民服务中心",
                "Bailou Town Service Hall",
                HallGrade::Demonstration,
            ),
        ] {
            state
                .identity
                .create_hall(
                    &system,
                    NewHall {
                        id: id.into(),
                        code: code.into(),
                        name_zh: zh.into(),
                        name_en: en.into(),
                        grade,
                    },
                )
                .await
                .expect("create hall");
        }

        // An inspector, an inspector whose account is disabled, and a hall
        // manager (who makes the calls).
        user_with_token(state, "zhou-insp", vec![Role::Inspector], &[], true).await;
        user_with_token(state, "chen-insp", vec![Role::Inspector], &["xinhe"], false).await;
        let disabled = state
            .identity
            .get_user_by_username("chen-insp")
            .await
            .expect("user");
        state
            .identity
            .set_disabled(&system, &disabled.id, true)
            .await
            .expect("disable");
        let manager = app
            .host
            .client_as("wang-mgr", vec![Role::HallManager], &["bailou"], false)
            .await;
        let inspector = state
            .identity
            .get_user_by_username("zhou-insp")
            .await
            .expect("user");
        let wang = state
            .identity
            .get_user_by_username("wang-mgr")
            .await
            .expect("user");

        let halls = json!([
            {
                "id": "bailou",
                "code": "330101",
                "name_zh": "白楼镇便民服务中心",
                "name_en": "Bailou Town Service Hall",
                "grade": "demonstration",
            },
            {
                "id": "xinhe",
                "code": "330102",
                "name_zh": "新河街道便民服务中心",
                "name_en": "Xinhe Street Service Hall",
                "grade": "basic",
            },
        ]);

        // Halls by code; only the enabled inspector.
        let r = manager
            .get("/api/plugins/fixture/directory?role=inspector")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{backend:?}: {}", r.json());
        assert_eq!(r.json()["halls"], halls, "{backend:?}");
        assert_eq!(
            r.json()["people"],
            json!([{
                "user_id": inspector.id,
                "username": "zhou-insp",
                "display_name": "zhou-insp",
                "roles": ["inspector"],
                "halls": [],
                "district_wide": true,
            }]),
            "{backend:?}"
        );

        // Another role; a role nobody holds.
        let r = manager
            .get("/api/plugins/fixture/directory?role=hall-manager")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json());
        assert_eq!(
            r.json()["people"],
            json!([{
                "user_id": wang.id,
                "username": "wang-mgr",
                "display_name": "wang-mgr",
                "roles": ["hall-manager"],
                "halls": ["bailou"],
                "district_wide": false,
            }])
        );
        let r = manager
            .get("/api/plugins/fixture/directory?role=hr-officer")
            .await;
        assert_eq!(r.json()["people"], json!([]), "{}", r.json());

        // Re-enabled, the second inspector is listed again, by username.
        state
            .identity
            .set_disabled(&system, &disabled.id, false)
            .await
            .expect("enable");
        let r = manager
            .get("/api/plugins/fixture/directory?role=inspector")
            .await;
        let body = r.json();
        let names: Vec<&str> = body["people"]
            .as_array()
            .expect("people")
            .iter()
            .filter_map(|p| p["username"].as_str())
            .collect();
        assert_eq!(names, ["chen-insp", "zhou-insp"], "{backend:?}");

        // Without the grant: the halls (public), but not the people.
        let r = manager.get("/api/plugins/fixture-b/directory").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json());
        assert_eq!(r.json()["halls"], halls);
        assert_eq!(r.json().get("people"), None);
        let r = manager
            .get("/api/plugins/fixture-b/directory?role=inspector")
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{backend:?}: {}", r.json());
        assert_eq!(r.json()["error"]["code"], "forbidden");
        let message = r.json()["error"]["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default();
        assert!(
            message.contains("directory"),
            "the refusal names the capability: {message}"
        );
        let body = r.json().to_string();
        assert!(!body.contains("zhou-insp"), "no person leaks: {body}");
    }
}
