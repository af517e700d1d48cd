//! Documents a plugin has the host render (WIT `documents`), on SQLite and
//! PostgreSQL: the fixture describes a report, the host makes DOCX, PDF and
//! XLSX files of it and keeps them as the plugin's blobs for the caller's
//! hall; the hall's staff download them, another hall's staff cannot; a
//! malformed description is refused with the field named; a plugin without
//! the grant is refused. The PDF's pages as PNG images (WIT 0.1.5) are kept
//! and scoped the same way.

use bantong_host::identity::Role;
use bantong_tests::{TestApp, TestDb, db::backends};
use http::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_has_the_host_render_its_report() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_fixture("fixture").await;
        app.install_fixture("fixture-b").await;
        let host = &app.host;
        let bailou = host
            .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
            .await;
        let wuyao = host
            .client_as("staff2", vec![Role::WindowStaff], &["wuyao"], false)
            .await;
        for (format, content_type, magic) in [
            ("pdf", "application/pdf", &b"%PDF-"[..]),
            (
                "docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                &b"PK\x03\x04"[..],
            ),
            (
                "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &b"PK\x03\x04"[..],
            ),
        ] {
            let r = bailou
                .post(
                    "/api/plugins/fixture/report",
                    json!({ "format": format, "rows": 60, "title": "百楼镇测试报告" }),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{format}: {}", r.json());
            let file = r.json();
            assert_eq!(file["content_type"], content_type);
            let sha = file["sha256"].as_str().expect("sha256").to_owned();
            let got = bailou.get(&format!("/api/blobs/{sha}")).await;
            assert_eq!(got.status, StatusCode::OK, "{format}");
            assert!(got.body.starts_with(magic), "{format}");
            assert_eq!(got.body.len() as u64, file["size"].as_u64().expect("size"));
            // Another hall's staff does not see it.
            let other = wuyao.get(&format!("/api/blobs/{sha}")).await;
            assert!(
                matches!(other.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{format}: {}",
                other.status
            );
        }
        // The PDF's pages as images (WIT 0.1.5): a table of 60 rows takes
        // more than one page; each image is a PNG 1000 px wide, kept for
        // the hall like the files.
        let r = bailou
            .post(
                "/api/plugins/fixture/report",
                json!({ "format": "pages", "rows": 60, "title": "百楼镇测试报告" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "pages: {}", r.json());
        let pages = r.json()["pages"].as_array().cloned().expect("pages");
        assert!(pages.len() >= 2, "{pages:?}");
        assert_eq!(r.json()["total"], pages.len());
        // Only the first page, of the same count.
        let one = bailou
            .post(
                "/api/plugins/fixture/report",
                json!({ "format": "pages", "rows": 60, "first": 1 }),
            )
            .await
            .json();
        assert_eq!(one["pages"].as_array().map(Vec::len), Some(1), "{one}");
        assert_eq!(one["total"], pages.len());
        for page in &pages {
            assert_eq!(page["content_type"], "image/png");
            let sha = page["sha256"].as_str().expect("sha256");
            let got = bailou.get(&format!("/api/blobs/{sha}")).await;
            assert_eq!(got.status, StatusCode::OK);
            assert!(got.body.starts_with(b"\x89PNG"));
            // The width in the PNG header (big-endian, bytes 16..20).
            assert_eq!(got.body.get(16..20), Some(&1000u32.to_be_bytes()[..]));
            let other = wuyao.get(&format!("/api/blobs/{sha}")).await;
            assert!(matches!(
                other.status,
                StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
            ));
        }
        let bad = bailou
            .post(
                "/api/plugins/fixture/report",
                json!({ "format": "pages", "broken": true }),
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            bad.json()
        );
        let bad = bailou
            .post(
                "/api/plugins/fixture/report",
                json!({ "format": "pdf", "broken": true }),
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            bad.json()
        );
        assert!(bad.json().to_string().contains("level"), "{}", bad.json());
        let denied = bailou
            .post("/api/plugins/fixture-b/report", json!({ "format": "pdf" }))
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.json());
    }
}
