//! The reporting module (报表中心) on SQLite and PostgreSQL, with a seeded
//! November 2026: the district's 17 halls, eight signed inspections with
//! 0-3 failed items each (so problems in four categories), three hotline
//! orders.
//!
//! On 1 December the schedule drafts November's 监督检查月报 from the
//! supervision and hotline modules (module reads). Its figures equal the
//! same figures computed here from what was seeded: each hall's score and
//! rank, the problems per category, the hotline's orders. The DOCX opens in
//! python-docx, the XLSX in openpyxl, the PDF's text layer (pdftotext) has
//! the Chinese headings, and every page is kept as a PNG (pdftoppm) in
//! `target/screenshots/`. The workflow goes by role (an inspector edits and
//! submits but does not review; the submitter does not review; only a
//! leader approves and may return with a reason; only an admin issues); the
//! issued files' SHA-256 are in the audit log and the chain verifies; the
//! issued files stay byte-identical after the data changes; a correction is
//! a new version that says what changed and supersedes the first; halls and
//! leaders confirm receipt. Without the hotline installed the section says
//! “未安装”, and an unissued report is reminded before the 10th and
//! overdue after it.

use std::path::PathBuf;

use bantong_hall_kit::calendar::{day_of, start_of_day};
use bantong_hall_kit::district::HALLS;
use bantong_host::identity::Role;
use bantong_host::workers::{deliver_once, fire_due};
use bantong_tests::TestDb;
use bantong_tests::app::{Client, Reply, TestApp};
use bantong_tests::db::{Backend, backends};
use bantong_tests::office::{docx_text, pdf_page_count, pdf_text, read_workbook, squeeze};
use bantong_tests::supervision::answers;
use http::StatusCode;
use serde_json::{Value, json};

const S: &str = "/api/plugins/supervision";
const H: &str = "/api/plugins/hotline";
const R: &str = "/api/plugins/reporting";
const MIN: i64 = 60_000;

/// Items of the default checklist that need no photo, with their category
/// (the order `answers` fails them in).
const FAILS: [(&str, &str); 3] = [
    ("4.2", "服务效能"),
    ("1.4", "人员管理"),
    ("3.1", "便民服务"),
];

fn local(y: i64, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
    start_of_day(day_of(y, mo, d).expect("date")) + (h * 60 + mi) * MIN
}

fn at(app: &TestApp, ms: i64) {
    app.host.state.plugins.index().set_plugin_clock(Some(ms));
}

/// Delivers every pending event: a report's files are made in the
/// background, one stage per delivery.
async fn settle(app: &TestApp) {
    while deliver_once(&app.host.state).await > 0 {}
}

#[track_caller]
fn expect(r: &Reply, status: StatusCode) -> Value {
    assert_eq!(r.status, status, "{}", r.json());
    r.json()
}

/// The score of a visit with `k` of 22 items failed, as the report prints it.
fn score(k: usize) -> f64 {
    (100.0 * (22 - k) as f64 / 22.0 * 100.0).round() / 100.0
}

struct World {
    app: TestApp,
    inspector: Client,
    admin: Client,
    leader: Client,
    bailou: Client,
    wuyao: Client,
}

async fn world(backend: Backend, hotline: bool) -> World {
    let app = TestApp::new(TestDb::new(backend).await).await;
    app.create_district_halls().await;
    app.install_supervision().await;
    if hotline {
        app.install_hotline().await;
    }
    app.install_reporting().await;
    let client = |name: &'static str, role: Role, halls: &'static [&'static str]| {
        let app = &app;
        async move {
            app.host
                .client_as(name, vec![role], halls, halls.is_empty())
                .await
        }
    };
    World {
        inspector: client("inspector-1", Role::Inspector, &[]).await,
        admin: client("admin-1", Role::DistrictAdmin, &[]).await,
        leader: client("leader-1", Role::Leader, &[]).await,
        bailou: client("bailou-manager", Role::HallManager, &["bailou"]).await,
        wuyao: client("wuyao-manager", Role::HallManager, &["wuyao"]).await,
        app,
    }
}

/// A photo from the simulated camera, uploaded for `hall`.
async fn photo(c: &Client, hall: &str) -> String {
    use bantong_edge::camera::{CameraSource, Scene, SimulatedCamera, jpeg};
    let frame = SimulatedCamera::new("phone", Scene::ClerkSeated, 5.0, 0)
        .next_frame()
        .expect("frame");
    let req = http::Request::builder()
        .method("POST")
        .uri(format!("/api/blobs?hall={hall}"))
        .header("content-type", "image/jpeg")
        .header(
            "authorization",
            format!("Bearer {}", c.token.clone().unwrap_or_default()),
        )
        .body(axum::body::Body::from(jpeg(&frame).expect("jpeg")))
        .expect("request");
    let r = c.raw(req).await;
    expect(&r, StatusCode::CREATED)["sha256"]
        .as_str()
        .expect("sha")
        .to_owned()
}

/// Signs a November visit of `hall` with `k` failed items on day `day`,
/// the first failure with a photo when `photo` is given.
async fn inspect(w: &World, hall: &str, k: usize, day: u8, photo: Option<&str>) {
    at(&w.app, local(2026, 11, day, 10, 0));
    let id = format!("visit-{hall}-2026-11-{day}");
    let mut answers = answers(k);
    if let (Some(sha), Some((code, _))) = (photo, FAILS[..k].first()) {
        answers[*code]["evidence"] = json!([{ "sha256": sha, "place": "综合受理窗口" }]);
    }
    expect(
        &w.inspector
            .put(
                &format!("{S}/inspections/{id}"),
                json!({ "hall": hall, "answers": answers }),
            )
            .await,
        StatusCode::CREATED,
    );
    expect(
        &w.inspector
            .post(&format!("{S}/inspections/{id}/sign"), json!({}))
            .await,
        StatusCode::OK,
    );
}

async fn blob(c: &Client, sha: &Value) -> Vec<u8> {
    let sha = sha.as_str().expect("a file's sha256");
    let r = c.get(&format!("/api/blobs/{sha}")).await;
    assert_eq!(r.status, StatusCode::OK, "blob {sha}");
    r.body
}

fn scratch(name: &str) -> PathBuf {
    let dir = bantong_tests::app::repo_root()
        .join("target/reporting")
        .join(name);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// November's project operation report, drafted by the same schedule: the
/// staffing, training and door-service modules are not installed and their
/// sections say so; the hotline's and supervision's sections and the halls'
/// evaluation are filled; the PDF's pages are kept as PNGs.
async fn operation_report(w: &World, dir: &std::path::Path, tag: &str) {
    let t = local(2026, 12, 1, 1, 50);
    at(&w.app, t);
    assert!(fire_due(&w.app.host.state, local(2026, 12, 1, 1, 36), t).await >= 1);
    settle(&w.app).await;
    let r = expect(
        &w.inspector
            .get(&format!("{R}/reports/operation-2026-11"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(r["title"], "2026年11月政务服务项目运行报告", "{r}");
    assert_eq!(r["due_text"], "2026年12月10日");
    let states: Vec<(&str, &str)> = r["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| {
            (
                s["module"].as_str().unwrap_or(""),
                s["state"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("监督促效", "ready"),
            ("一号统领（热线）", "ready"),
            ("人事管理", "absent"),
            ("培训考试", "absent"),
            ("上门办", "absent"),
        ]
    );
    let text = squeeze(&pdf_text(
        dir,
        &blob(&w.inspector, &r["pdf"]).await,
        &format!("operation-{tag}"),
    ));
    for heading in [
        "人员配置与考勤",
        "培训与考试",
        "一号统领热线运行",
        "上门办、帮办代办与延时服务",
        "好差评",
        "监督检查",
        "绩效考评情况",
        "“人事管理”模块未安装，本节无数据。",
        "“培训考试”模块未安装，本节无数据。",
        "“上门办”模块未安装，本节无数据。",
        "受理工单3件",
        "各中心绩效考评",
    ] {
        assert!(text.contains(&squeeze(heading)), "{heading} in {text}");
    }
    // The performance evaluation report (绩效考评报告), drafted at 02:00:
    // the scheme printed, every hall ranked, the leading halls named.
    let t2 = local(2026, 12, 1, 2, 5);
    at(&w.app, t2);
    assert!(fire_due(&w.app.host.state, t, t2).await >= 1);
    settle(&w.app).await;
    let e = expect(
        &w.inspector
            .get(&format!("{R}/reports/evaluation-2026-11"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(e["title"], "2026年11月政务服务绩效考评报告", "{e}");
    assert_eq!(e["progress"]["state"], "done", "{e}");
    let text = squeeze(&pdf_text(
        dir,
        &blob(&w.inspector, &e["pdf"]).await,
        &format!("evaluation-{tag}"),
    ));
    for heading in [
        "考评办法",
        "综合得分=检查得分×50%+整改完成率×20%+好评率×15%+满意率×15%",
        "综合排名",
        "各中心绩效考评综合排名",
        "先进与后进",
        "本月综合得分前三名：",
        "本月没有连续两个月排名后3位的中心。",
        "下步工作",
    ] {
        assert!(text.contains(&squeeze(heading)), "{heading} in {text}");
    }
    // The draft form's kind: a second one for the month is refused, an
    // unknown kind is a clear error.
    expect(
        &w.inspector
            .post(
                &format!("{R}/reports"),
                json!({ "month": "2026-11", "kind": "operation" }),
            )
            .await,
        StatusCode::CONFLICT,
    );
    expect(
        &w.inspector
            .post(
                &format!("{R}/reports"),
                json!({ "month": "2026-11", "kind": "weekly" }),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
}

/// Each hall's 问题清单 of November: 五尧 (three failed items) makes its
/// own, not another hall's; the district makes any; a hall lists only its
/// own; the files open in independent readers.
async fn problem_lists(w: &World, dir: &std::path::Path, tag: &str) {
    let made = expect(
        &w.wuyao
            .post(
                &format!("{R}/problem-lists"),
                json!({ "month": "2026-11", "hall": "wuyao" }),
            )
            .await,
        StatusCode::CREATED,
    );
    assert_eq!(
        (made["problems"].as_u64(), made["open"].as_u64()),
        (Some(3), Some(3)),
        "{made}"
    );
    assert!(
        made["title"]
            .as_str()
            .unwrap_or("")
            .ends_with("2026年11月问题清单"),
        "{made}"
    );
    expect(
        &w.wuyao
            .post(
                &format!("{R}/problem-lists"),
                json!({ "month": "2026-11", "hall": "bailou" }),
            )
            .await,
        StatusCode::FORBIDDEN,
    );
    let none = expect(
        &w.inspector
            .post(
                &format!("{R}/problem-lists"),
                json!({ "month": "2026-11", "hall": "bailou" }),
            )
            .await,
        StatusCode::CREATED,
    );
    assert_eq!(none["problems"], 0, "{none}");
    for bad in [
        json!({ "month": "2026-11", "hall": "nowhere" }),
        json!({ "month": "2026-13", "hall": "wuyao" }),
        json!({ "month": "2026-11" }),
    ] {
        expect(
            &w.inspector.post(&format!("{R}/problem-lists"), bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let mine = expect(
        &w.wuyao.get(&format!("{R}/problem-lists")).await,
        StatusCode::OK,
    );
    assert_eq!(mine["total"], 1, "{mine}");
    let all = expect(
        &w.inspector
            .get(&format!("{R}/problem-lists?month=2026-11"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(all["total"], 2, "{all}");
    let text = squeeze(&pdf_text(
        dir,
        &blob(&w.wuyao, &made["pdf"]).await,
        &format!("problem-list-{tag}"),
    ));
    for e in ["五尧乡", "发现问题3个", "整改反馈表", "服务中心（盖章）"] {
        assert!(text.contains(&squeeze(e)), "{e} in {text}");
    }
    let docx = docx_text(dir, &blob(&w.wuyao, &made["docx"]).await);
    assert!(
        docx.contains("整改措施") && docx.contains("五尧乡"),
        "{docx}"
    );
    let book = read_workbook(dir, &blob(&w.wuyao, &made["xlsx"]).await).to_string();
    assert!(book.contains("整改反馈表"), "{book}");
}

async fn month_report(backend: Backend) {
    let w = world(backend, true).await;
    let tag = format!("{backend:?}").to_lowercase();
    let dir = scratch(&tag);

    // ---- November: eight visits (0-3 failures), three hotline orders -------
    let seeded: Vec<(&str, usize)> = HALLS[..8]
        .iter()
        .enumerate()
        .map(|(i, h)| (h.id, i % 4))
        .collect();
    // One failure is photographed (the second hall's).
    let shot = photo(&w.inspector, seeded[1].0).await;
    for (day, (hall, k)) in seeded.iter().enumerate() {
        let with = (day == 1).then_some(shot.as_str());
        inspect(&w, hall, *k, 3 + day as u8, with).await;
    }
    let agent = w
        .app
        .host
        .client_as("agent-1", vec![Role::HotlineAgent], &[], true)
        .await;
    at(&w.app, local(2026, 11, 20, 9, 0));
    for i in 0..3 {
        expect(
            &agent
                .post(
                    &format!("{H}/orders"),
                    json!({ "category": "town.streetlight", "title": format!("路灯不亮 {i}"),
                            "caller_number": format!("1390000000{i}"), "hall": "bailou",
                            "dispatch": true, "separate": true }),
                )
                .await,
            StatusCode::CREATED,
        );
    }

    // ---- 1 December: the schedule drafts November's report ------------------
    let first = local(2026, 12, 1, 1, 35);
    at(&w.app, first);
    assert!(fire_due(&w.app.host.state, local(2026, 12, 1, 1, 0), first).await >= 1);
    let id = "monthly-2026-11";
    // Drafted in the background: at first the page says what it is doing,
    // has no files, and cannot be submitted.
    let pending = expect(
        &w.inspector.get(&format!("{R}/reports/{id}")).await,
        StatusCode::OK,
    );
    assert_eq!(pending["generating"], true, "{pending}");
    assert_eq!(
        pending["progress"]["label_zh"],
        "正在读取各模块数据（第1步，共5步）"
    );
    assert!(pending["pdf"].is_null() && pending["sources"] == json!([]));
    let early = w
        .admin
        .post(
            &format!("{R}/reports/{id}/actions"),
            json!({ "action": "submit" }),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.json());
    assert_eq!(
        early.json()["error"]["code"],
        "not_ready",
        "{}",
        early.json()
    );
    settle(&w.app).await;
    let draft = expect(
        &w.inspector.get(&format!("{R}/reports/{id}")).await,
        StatusCode::OK,
    );
    assert_eq!(draft["status"], "draft", "{draft}");
    assert_eq!(draft["title"], "2026年11月政务服务监督检查月报");
    assert_eq!(draft["generating"], false);
    assert_eq!(draft["progress"]["state"], "done");
    assert_eq!(draft["progress"]["done"], 5);
    // The preview: the PDF's (first 30) pages as PNG images, and its count.
    let pages = draft["pages"].as_array().cloned().expect("pages");
    let pdf_pages = pdf_page_count(&dir, &blob(&w.inspector, &draft["pdf"]).await);
    assert_eq!(pages.len(), pdf_pages.min(30), "{pages:?}");
    assert_eq!(draft["files"]["page_count"], pdf_pages);
    for page in &pages {
        assert!(blob(&w.inspector, page).await.starts_with(b"\x89PNG"));
    }
    operation_report(&w, &dir, &tag).await;
    problem_lists(&w, &dir, &tag).await;
    assert_eq!(draft["due_text"], "2026年12月10日");
    assert_eq!(
        draft["sources"],
        json!([
            { "module": "监督促效", "state": "ready", "detail": "版本 0.1.0" },
            { "module": "一号统领（热线）", "state": "ready", "detail": "版本 0.1.0" },
        ])
    );
    // Drafting it again by hand is refused: one report per month.
    expect(
        &w.inspector
            .post(&format!("{R}/reports"), json!({ "month": "2026-11" }))
            .await,
        StatusCode::CONFLICT,
    );

    // The figures, read back from the XLSX by openpyxl, equal ours.
    let book = read_workbook(&dir, &blob(&w.inspector, &draft["xlsx"]).await);
    let ranking = book["各服务中心本月得分及排名"]
        .as_array()
        .expect("ranking sheet");
    assert_eq!(ranking[0][1], "服务中心", "{book}");
    let mut expected: Vec<(String, f64)> = seeded
        .iter()
        .map(|(hall, k)| {
            let h = HALLS.iter().find(|h| h.id == *hall).expect("hall");
            (h.name_zh(), score(*k))
        })
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    for (name, s) in &expected {
        let row = ranking
            .iter()
            .find(|r| r[1] == json!(name))
            .unwrap_or_else(|| panic!("{name} in {ranking:?}"));
        let rank = 1 + expected.iter().filter(|(_, o)| o > s).count();
        assert_eq!(row[0].as_f64(), Some(rank as f64), "{name}: {row:?}");
        assert_eq!(row[2].as_f64(), Some(*s), "{name}: {row:?}");
        assert_eq!(row[6].as_f64(), Some(1.0), "{name}: one visit");
    }
    // The other nine halls are listed unranked.
    assert_eq!(ranking.len(), 1 + 17, "{ranking:?}");
    let categories = book["问题分类统计"].as_array().expect("categories sheet");
    for (code, category) in FAILS {
        let n = seeded
            .iter()
            .filter(|(_, k)| FAILS[..*k].iter().any(|(c, _)| *c == code))
            .count();
        let row = categories
            .iter()
            .find(|r| r[0] == json!(category))
            .unwrap_or_else(|| panic!("{category} in {categories:?}"));
        assert_eq!(row[1].as_f64(), Some(n as f64), "{category}");
    }
    let found: usize = seeded.iter().map(|(_, k)| k).sum();
    let problems = book["问题清单"].as_array().expect("problem list sheet");
    assert_eq!(problems.len(), 1 + found, "{problems:?}");
    let feedback = book["整改反馈表"].as_array().expect("feedback sheet");
    assert_eq!(feedback.len(), 1 + found);

    // The PDF's text has the report's headings; the DOCX opens.
    let text = pdf_text(
        &dir,
        &blob(&w.inspector, &draft["pdf"]).await,
        &format!("report-{tag}-draft"),
    );
    for heading in [
        "政务服务监督检查月报",
        "2026年11月",
        "保定市莲池区政务服务管理局",
        "一、基本情况",
        "二、得分排名",
        "三、发现问题分类统计",
        "四、满意度调查",
        "五、热线运行情况",
        "六、好差评情况",
        "七、上月问题整改情况",
        "八、下步工作与整改要求",
        "问题清单",
        "整改反馈表",
    ] {
        assert!(
            text.contains(heading),
            "{heading} missing from the PDF:\n{text}"
        );
    }
    assert!(text.contains(&format!("发现问题{found}个")), "{text}");
    // The photographed problem leads the typical ones, with its photo.
    let second = HALLS
        .iter()
        .find(|h| h.id == seeded[1].0)
        .expect("hall")
        .name_zh();
    assert!(
        squeeze(&text).contains(&squeeze(&format!("图1　{second}："))),
        "the photo's caption in the PDF:\n{text}"
    );
    assert!(!text.contains("图片无法显示"), "{text}");
    assert!(text.contains("受理工单3件"), "{text}");
    let docx = docx_text(&dir, &blob(&w.inspector, &draft["docx"]).await);
    assert!(
        docx.contains("一、基本情况") && docx.contains(&HALLS[0].name_zh()),
        "{docx}"
    );
    assert!(
        docx.contains("PICTURES 3"),
        "two charts and the photo: {docx}"
    );

    // ---- the workflow, by role ---------------------------------------------
    // Halls see nothing before it is issued; a leader cannot edit.
    expect(
        &w.bailou.get(&format!("{R}/reports/{id}")).await,
        StatusCode::NOT_FOUND,
    );
    expect(
        &w.bailou.get(&format!("{R}/reports")).await,
        StatusCode::FORBIDDEN,
    );
    let narrative = json!({ "evaluation": "本月各中心整体运行平稳，个别中心服务效能有待提升。",
                            "next_steps": "各中心于12月20日前报送整改报告。" });
    expect(
        &w.leader
            .put(&format!("{R}/reports/{id}"), narrative.clone())
            .await,
        StatusCode::FORBIDDEN,
    );
    let edited = expect(
        &w.inspector
            .put(&format!("{R}/reports/{id}"), narrative)
            .await,
        StatusCode::OK,
    );
    // The files stay until the new ones are made (without reading the
    // figures again: four stages).
    assert_eq!(edited["pdf"], draft["pdf"]);
    assert_eq!(
        edited["progress"]["label_zh"],
        "正在生成 PDF（第1步，共4步）"
    );
    settle(&w.app).await;
    let edited = expect(
        &w.inspector.get(&format!("{R}/reports/{id}")).await,
        StatusCode::OK,
    );
    assert_ne!(
        edited["pdf"], draft["pdf"],
        "the preview follows the paragraphs"
    );
    let bad = json!({ "overview": "x".repeat(5001) });
    expect(
        &w.inspector.put(&format!("{R}/reports/{id}"), bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    let act = |c: &Client, body: Value| {
        let c = c.clone();
        async move { c.post(&format!("{R}/reports/{id}/actions"), body).await }
    };
    expect(
        &act(&w.inspector, json!({ "action": "approve" })).await,
        StatusCode::CONFLICT,
    );
    expect(
        &act(&w.admin, json!({ "action": "submit" })).await,
        StatusCode::OK,
    );
    // The submitter does not review; an inspector cannot.
    expect(
        &act(&w.admin, json!({ "action": "review" })).await,
        StatusCode::FORBIDDEN,
    );
    expect(
        &act(&w.inspector, json!({ "action": "review" })).await,
        StatusCode::FORBIDDEN,
    );
    let admin2 = w
        .app
        .host
        .client_as("admin-2", vec![Role::DistrictAdmin], &[], true)
        .await;
    expect(
        &act(&admin2, json!({ "action": "review" })).await,
        StatusCode::OK,
    );
    expect(
        &act(&admin2, json!({ "action": "approve" })).await,
        StatusCode::FORBIDDEN,
    );
    expect(
        &act(&w.leader, json!({ "action": "return", "reason": " " })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    let back = expect(
        &act(
            &w.leader,
            json!({ "action": "return", "reason": "请补充热线分析" }),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(back["status"], "draft");
    expect(
        &act(&w.inspector, json!({ "action": "submit" })).await,
        StatusCode::OK,
    );
    expect(
        &act(&w.admin, json!({ "action": "review" })).await,
        StatusCode::OK,
    );
    // The leader approves on 8 December: the files are made again, dated
    // that day (成文日期); they cannot be issued until they are ready.
    at(&w.app, local(2026, 12, 8, 15, 0));
    expect(
        &act(&w.leader, json!({ "action": "approve" })).await,
        StatusCode::OK,
    );
    expect(
        &act(&w.admin, json!({ "action": "issue" })).await,
        StatusCode::CONFLICT,
    );
    settle(&w.app).await;
    expect(
        &act(&w.leader, json!({ "action": "issue" })).await,
        StatusCode::FORBIDDEN,
    );
    at(&w.app, local(2026, 12, 8, 16, 0));
    let issued = expect(
        &act(&w.admin, json!({ "action": "issue" })).await,
        StatusCode::OK,
    );
    assert_eq!(issued["status"], "issued");
    let steps: Vec<&str> = issued["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|s| s["step"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        steps,
        [
            "drafted",
            "edited",
            "submitted",
            "reviewed",
            "returned",
            "submitted",
            "reviewed",
            "approved",
            "issued"
        ]
    );
    // Frozen: no edits, no steps.
    expect(
        &w.inspector
            .put(&format!("{R}/reports/{id}"), json!({}))
            .await,
        StatusCode::CONFLICT,
    );
    expect(
        &w.inspector
            .post(&format!("{R}/reports/{id}/refresh"), json!({}))
            .await,
        StatusCode::CONFLICT,
    );
    let issued_text = pdf_text(
        &dir,
        &blob(&w.inspector, &issued["pdf"]).await,
        &format!("report-{tag}-issued"),
    );
    assert!(
        issued_text.contains("2026年12月8日"),
        "the date of approval (成文日期) on the cover"
    );
    assert!(
        issued_text.contains("各中心于12月20日前报送整改报告。"),
        "{issued_text}"
    );

    // The audit log holds the issued files' hashes, and the chain verifies.
    let rows = w
        .app
        .host
        .state
        .identity
        .audit()
        .query(&bantong_host::audit::AuditQuery {
            action: Some("plugin.post".into()),
            target_id: Some(format!("reporting/reports/{id}/actions")),
            ..Default::default()
        })
        .await
        .expect("audit");
    let noted: Vec<&Value> = rows
        .iter()
        .filter_map(|r| r.detail["notes"].as_array())
        .flatten()
        .filter(|n| n["action"] == "report.issued")
        .collect();
    assert_eq!(noted.len(), 1, "{rows:?}");
    for f in ["pdf", "docx", "xlsx"] {
        assert_eq!(noted[0]["detail"][f], issued[f], "{f}");
    }
    assert_eq!(
        noted[0]["detail"]["recipients"],
        json!(1 + 17),
        "one leader and 17 halls"
    );
    assert!(
        w.app
            .host
            .state
            .identity
            .audit()
            .verify()
            .await
            .expect("verify")
            .ok
    );

    // Recipients: a hall reads and signs; another hall has not signed yet.
    let inbox = expect(&w.bailou.get(&format!("{R}/inbox")).await, StatusCode::OK);
    assert_eq!(inbox["total"], 1, "{inbox}");
    assert_eq!(inbox["items"][0]["received"], false);
    expect(
        &w.bailou
            .post(&format!("{R}/reports/{id}/receipt"), json!({}))
            .await,
        StatusCode::OK,
    );
    expect(
        &w.bailou
            .post(&format!("{R}/reports/{id}/receipt"), json!({}))
            .await,
        StatusCode::OK,
    );
    expect(
        &w.leader
            .post(&format!("{R}/reports/{id}/receipt"), json!({}))
            .await,
        StatusCode::OK,
    );
    expect(
        &w.admin
            .post(&format!("{R}/reports/{id}/receipt"), json!({}))
            .await,
        StatusCode::NOT_FOUND,
    );
    let seen = expect(
        &w.inspector.get(&format!("{R}/reports/{id}")).await,
        StatusCode::OK,
    );
    assert_eq!(seen["received"], 2, "{seen}");
    let wuyao_line = seen["recipients"]
        .as_array()
        .expect("recipients")
        .iter()
        .find(|r| r["id"] == "wuyao")
        .cloned()
        .expect("wuyao");
    assert_eq!(wuyao_line["received"], false);
    let inbox = expect(&w.wuyao.get(&format!("{R}/inbox")).await, StatusCode::OK);
    assert_eq!(inbox["items"][0]["received"], false);
    // A manager of two halls signs for both at once.
    let (h1, h2) = (HALLS[15].id, HALLS[16].id);
    let two = w
        .app
        .host
        .client_as("two-halls", vec![Role::HallManager], &[h1, h2], false)
        .await;
    let mine = expect(&two.get(&format!("{R}/reports/{id}")).await, StatusCode::OK);
    assert_eq!(
        mine["recipients"].as_array().map(Vec::len),
        Some(2),
        "only the own halls' lines: {mine}"
    );
    expect(
        &two.post(&format!("{R}/reports/{id}/receipt"), json!({}))
            .await,
        StatusCode::OK,
    );
    let seen = expect(
        &w.inspector.get(&format!("{R}/reports/{id}")).await,
        StatusCode::OK,
    );
    assert_eq!(
        seen["received"], 4,
        "bailou, the leader and the two halls: {seen}"
    );

    // ---- the data changes; the issued files do not ---------------------------
    let late = HALLS[9].id;
    inspect(&w, late, 3, 28, None).await;
    let after = expect(
        &w.inspector.get(&format!("{R}/reports/{id}")).await,
        StatusCode::OK,
    );
    for f in ["pdf", "docx", "xlsx"] {
        assert_eq!(after[f], issued[f], "{f}");
    }
    assert_eq!(after["figures_read_ms"], issued["figures_read_ms"]);
    // The issued figures still show that hall without a November visit.
    let late_name = HALLS[9].name_zh();
    let frozen = read_workbook(&dir, &blob(&w.bailou, &after["xlsx"]).await);
    let late_row = frozen["各服务中心本月得分及排名"]
        .as_array()
        .expect("ranking")
        .iter()
        .find(|r| r[1] == json!(late_name))
        .cloned()
        .expect("the late hall");
    assert_eq!(
        (&late_row[0], &late_row[2]),
        (&json!("—"), &json!("—")),
        "{late_row:?}"
    );

    // A correction: a new version from today's data, saying what changed.
    at(&w.app, local(2026, 12, 9, 10, 0));
    expect(
        &w.inspector
            .post(
                &format!("{R}/reports/{id}/correct"),
                json!({ "what_changed": "" }),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    let v2 = expect(
        &w.inspector
            .post(
                &format!("{R}/reports/{id}/correct"),
                json!({ "what_changed": "补录11月28日检查结果" }),
            )
            .await,
        StatusCode::CREATED,
    );
    let v2id = v2["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (v2id.as_str(), &v2["version"], &v2["corrects"]),
        ("monthly-2026-11-v2", &json!(2), &json!(id))
    );
    settle(&w.app).await;
    let v2 = expect(
        &w.inspector.get(&format!("{R}/reports/{v2id}")).await,
        StatusCode::OK,
    );
    let v2text = pdf_text(
        &dir,
        &blob(&w.inspector, &v2["pdf"]).await,
        &format!("report-{tag}-v2"),
    );
    assert!(
        v2text.contains("更正内容：补录11月28日检查结果"),
        "{v2text}"
    );
    let v2book = read_workbook(&dir, &blob(&w.inspector, &v2["xlsx"]).await);
    assert!(
        v2book["各服务中心本月得分及排名"]
            .as_array()
            .expect("ranking")
            .iter()
            .any(|r| r[1] == json!(late_name) && r[2].as_f64() == Some(score(3))),
        "{v2book}"
    );
    for (c, step) in [
        (&w.inspector, "submit"),
        (&w.admin, "review"),
        (&w.leader, "approve"),
        (&w.admin, "issue"),
    ] {
        expect(
            &c.post(
                &format!("{R}/reports/{v2id}/actions"),
                json!({ "action": step }),
            )
            .await,
            StatusCode::OK,
        );
        settle(&w.app).await;
    }
    let old = expect(
        &w.inspector.get(&format!("{R}/reports/{id}")).await,
        StatusCode::OK,
    );
    assert_eq!(
        (&old["status"], &old["superseded_by"]),
        (&json!("superseded"), &json!(v2id))
    );
    expect(
        &w.inspector
            .post(
                &format!("{R}/reports/{id}/correct"),
                json!({ "what_changed": "再改" }),
            )
            .await,
        StatusCode::CONFLICT,
    );
    let list = expect(
        &w.leader
            .get(&format!("{R}/reports?month=2026-11&kind=monthly"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(list["total"], 2, "{list}");
    let all = expect(
        &w.leader.get(&format!("{R}/reports?month=2026-11")).await,
        StatusCode::OK,
    );
    assert_eq!(
        all["total"], 4,
        "and the operation and evaluation reports: {all}"
    );
    let inbox = expect(&w.bailou.get(&format!("{R}/inbox")).await, StatusCode::OK);
    assert_eq!(inbox["total"], 2, "both versions were issued to the hall");

    // ---- 5 January 2027: the annual report of 2026 --------------------------
    expect(
        &w.inspector
            .post(&format!("{R}/reports"), json!({ "year": 2026 }))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    let jan5 = local(2027, 1, 5, 2, 5);
    at(&w.app, jan5);
    assert!(fire_due(&w.app.host.state, local(2027, 1, 5, 1, 0), jan5).await >= 1);
    settle(&w.app).await;
    let annual = expect(
        &w.leader.get(&format!("{R}/reports/annual-2026")).await,
        StatusCode::OK,
    );
    assert_eq!(annual["title"], "2026年度政务服务监督检查工作报告");
    assert_eq!(annual["due_text"], "2027年1月31日");
    let year_book = read_workbook(&dir, &blob(&w.inspector, &annual["xlsx"]).await);
    let months = year_book["各服务中心各月得分"]
        .as_array()
        .expect("months sheet");
    assert_eq!(months.len(), 1 + 17, "{months:?}");
    let heading: Vec<&str> = months[0]
        .as_array()
        .expect("row")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(heading.len(), 1 + 12 + 2, "{heading:?}");
    // Every seeded hall's year is its one November visit; the late one too.
    let mut visited = seeded.clone();
    visited.push((late, 3));
    for (hall, k) in &visited {
        // The yearly table names halls short: 百楼镇.
        let name = HALLS.iter().find(|h| h.id == *hall).expect("hall").area_zh;
        let row = months
            .iter()
            .find(|r| r[0] == json!(name))
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(
            row[11].as_f64(),
            Some(score(*k)),
            "{name} in November: {row:?}"
        );
        assert_eq!(
            row[13].as_f64(),
            Some(score(*k)),
            "{name} for the year: {row:?}"
        );
        assert_eq!(row[14].as_f64(), Some(1.0), "{name}: one visit");
    }
    let year_text = pdf_text(
        &dir,
        &blob(&w.inspector, &annual["pdf"]).await,
        &format!("report-{tag}-annual"),
    );
    for heading in [
        "2026年度",
        "一、全年工作概况",
        "二、各中心全年得分",
        "三、问题分类与趋势",
        "四、热线运行情况",
        "五、意见建议",
    ] {
        assert!(
            year_text.contains(heading),
            "{heading} in the annual report:\n{year_text}"
        );
    }
    let year_found = found + 3;
    assert!(
        squeeze(&year_text).contains(&format!("发现问题{year_found}个")),
        "{year_text}"
    );
    assert!(
        squeeze(&year_text).contains("全年热线呼入0次，受理工单3件。"),
        "{year_text}"
    );

    // The year's project operation report, at 02:15: the months summed,
    // the modules not installed said so, each hall's year of evaluation.
    let later = local(2027, 1, 5, 2, 20);
    at(&w.app, later);
    assert!(fire_due(&w.app.host.state, jan5, later).await >= 1);
    settle(&w.app).await;
    let op_year = expect(
        &w.leader
            .get(&format!("{R}/reports/annual_operation-2026"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(
        op_year["title"], "2026年度政务服务项目运行报告",
        "{op_year}"
    );
    let op_text = squeeze(&pdf_text(
        &dir,
        &blob(&w.inspector, &op_year["pdf"]).await,
        &format!("report-{tag}-annual-operation"),
    ));
    for heading in [
        "全年基本情况",
        "“人事管理”模块未安装，本节无数据。",
        "全年热线呼入0次，受理工单3件。",
        "好差评全年指标",
        "监督检查全年指标",
        "年度绩效考评",
        "各中心年度绩效考评",
        "下一年度工作",
    ] {
        assert!(
            op_text.contains(&squeeze(heading)),
            "{heading} in {op_text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monthly_report_is_drafted_reviewed_approved_issued_and_frozen() {
    for backend in backends() {
        month_report(backend).await;
    }
}

async fn absent_and_late(backend: Backend) {
    let w = world(backend, false).await;
    let tag = format!("{backend:?}").to_lowercase();
    let dir = scratch(&format!("{tag}-absent"));
    at(&w.app, local(2026, 12, 2, 9, 0));
    // A month that has not ended cannot be drafted; a bad month is refused.
    expect(
        &w.inspector
            .post(&format!("{R}/reports"), json!({ "month": "2026-12" }))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    expect(
        &w.inspector
            .post(&format!("{R}/reports"), json!({ "month": "2026-13" }))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    expect(
        &w.leader
            .post(&format!("{R}/reports"), json!({ "month": "2026-11" }))
            .await,
        StatusCode::FORBIDDEN,
    );
    let r = expect(
        &w.inspector
            .post(&format!("{R}/reports"), json!({ "month": "2026-11" }))
            .await,
        StatusCode::CREATED,
    );
    assert_eq!(r["generating"], true, "drafted in the background: {r}");
    expect(
        &w.inspector
            .post(&format!("{R}/reports"), json!({ "month": "2026-11" }))
            .await,
        StatusCode::CONFLICT,
    );
    settle(&w.app).await;
    let r = expect(
        &w.inspector
            .get(&format!("{R}/reports/monthly-2026-11"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(
        r["sources"][1],
        json!({ "module": "一号统领（热线）", "state": "absent", "detail": "未安装" })
    );
    let text = pdf_text(
        &dir,
        &blob(&w.inspector, &r["pdf"]).await,
        &format!("report-{tag}-absent"),
    );
    assert!(text.contains("五、热线运行情况"), "{text}");
    assert!(
        text.contains("“一号统领（热线）”模块未安装，本节无数据。"),
        "{text}"
    );

    // Not issued by the 10th: reminded on the 8th (once), overdue on the 11th.
    let state = &w.app.host.state;
    for day in [7, 8, 9] {
        let t = local(2026, 12, day, 9, 1);
        at(&w.app, t);
        fire_due(state, t - 2 * MIN, t).await;
    }
    let seen = expect(
        &w.inspector
            .get(&format!("{R}/reports/monthly-2026-11"))
            .await,
        StatusCode::OK,
    );
    let steps: Vec<&str> = seen["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|s| s["step"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(steps, ["drafted", "reminded"], "{seen}");
    assert_eq!(seen["overdue"], false);
    let t = local(2026, 12, 11, 9, 1);
    at(&w.app, t);
    fire_due(state, t - 2 * MIN, t).await;
    let seen = expect(
        &w.inspector
            .get(&format!("{R}/reports/monthly-2026-11"))
            .await,
        StatusCode::OK,
    );
    assert_eq!(seen["overdue"], true, "{seen}");
    let gw = bantong_host::notices::Gateway::new(w.app.config.notices.clone());
    bantong_host::notices::send_once(state, &gw).await;
    let notices = expect(&w.leader.get("/api/notices").await, StatusCode::OK);
    assert!(notices.to_string().contains("已超过报送期限"), "{notices}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_module_is_reported_as_such_and_a_late_report_is_flagged() {
    for backend in backends() {
        absent_and_late(backend).await;
    }
}

// ---------------------------------------------------------------------------
// The command screen (指挥大屏)
// ---------------------------------------------------------------------------

/// `hall`'s agent applies `events` through the host's ingest (the store's
/// batch apply with the plugins' subscriptions, as the MQTT link does).
async fn hall_events(app: &TestApp, agent: &str, events: Vec<(i64, &str, Value)>) {
    use bantong_store::{EdgeBatch, EdgeEventIn};
    let state = &app.host.state;
    let index = state.plugins.index();
    let subscribers = move |topic: &str| index.subscribers(topic);
    let events = events
        .into_iter()
        .map(|(seq, kind, data)| EdgeEventIn {
            seq,
            ts_ms: data["rated_at"].as_i64().unwrap_or(0),
            kind: kind.into(),
            source: "test".into(),
            subject: None,
            data: data.to_string(),
            attachment: None,
        })
        .collect();
    let applied = state
        .store
        .apply_edge_batches(
            vec![EdgeBatch {
                agent: agent.into(),
                events,
            }],
            &subscribers,
        )
        .await
        .expect("applied");
    assert!(!applied[0].refused, "{applied:?}");
    while bantong_host::workers::deliver_once(state).await > 0 {}
}

fn rating(id: &str, score: u8, at: i64) -> Value {
    json!({ "id": id, "score": score, "rated_at": at, "channel": "现场服务·评价器", "window": 3 })
}

async fn command_board(backend: Backend) {
    let w = world(backend, true).await;
    let state = &w.app.host.state;
    // Two December visits: 五尧 without a failure, 百楼 with two.
    for (hall, k, day) in [("wuyao", 0, 3), ("bailou", 2, 4)] {
        at(&w.app, local(2026, 12, day, 10, 0));
        let id = format!("visit-{hall}-2026-12-{day}");
        expect(
            &w.inspector
                .put(
                    &format!("{S}/inspections/{id}"),
                    json!({ "hall": hall, "answers": answers(k) }),
                )
                .await,
            StatusCode::CREATED,
        );
        expect(
            &w.inspector
                .post(&format!("{S}/inspections/{id}/sign"), json!({}))
                .await,
            StatusCode::OK,
        );
    }
    let now = local(2026, 12, 7, 10, 0);
    at(&w.app, now);
    // 好差评 from the halls' keypads: 百楼 today 5, 5, 4 and a 1 (sent
    // twice), and a 5 on the 2nd; 五尧 a 3 today.
    bantong_tests::edge::enrol_in_process(state, "bailou", "bailou-edge-1").await;
    bantong_tests::edge::enrol_in_process(state, "wuyao", "wuyao-edge-1").await;
    let today = now - 3_600_000;
    hall_events(
        &w.app,
        "bailou-edge-1",
        vec![
            (1, "haocha.rating", rating("k3:1", 5, today)),
            (2, "haocha.rating", rating("k3:2", 5, today)),
            (3, "haocha.rating", rating("k3:3", 4, today)),
            (4, "haocha.rating", rating("k3:4", 1, today)),
            (
                5,
                "haocha.rating",
                rating("k3:0", 5, local(2026, 12, 2, 15, 0)),
            ),
        ],
    )
    .await;
    // The agent resends 4 and 5 with the next: stored once.
    hall_events(
        &w.app,
        "bailou-edge-1",
        vec![(4, "haocha.rating", rating("k3:4", 1, today))],
    )
    .await;
    hall_events(
        &w.app,
        "wuyao-edge-1",
        vec![(1, "haocha.rating", rating("k1:1", 3, today))],
    )
    .await;
    // Today's queue summary from 百楼's agent (the host's own clock's day).
    let host_day = bantong_hall_kit::time::date_of_day(bantong_hall_kit::time::local_day(
        bantong_host::identity::now_ms(),
    ));
    hall_events(
        &w.app,
        "bailou-edge-1",
        vec![(
            6,
            "queue.summary",
            json!({ "day": host_day, "at_ms": 1, "categories": [], "windows": [],
                    "totals": { "issued": 30, "served": 24, "missed": 1, "cancelled": 0,
                                "waiting": 5, "active": 0, "miss_events": 1, "avg_wait_s": 420 } }),
        )],
    )
    .await;

    let board = expect(&w.admin.get(&format!("{R}/command")).await, StatusCode::OK);
    assert_eq!(board["month"], "2026-12", "{board}");
    let halls = board["halls"].as_array().expect("halls");
    assert_eq!(halls.len(), HALLS.len());
    assert_eq!(halls[0]["id"], "wuyao", "ranked first: {board}");
    let bailou = &halls[1];
    assert_eq!(bailou["id"], "bailou");
    assert_eq!(bailou["rank"], 2);
    assert_eq!(bailou["score"]["value"], score(2));
    assert_eq!(bailou["open_problems"], 2);
    assert_eq!(bailou["overdue_problems"], 0);
    assert_eq!(bailou["ratings_today"], 4);
    assert_eq!(bailou["bad_today"], 1);
    assert_eq!(bailou["ratings_month"], 5);
    assert_eq!(bailou["bad_month"], 1);
    // 基本满意 counts by default: 5, 5, 4, 5 of 5 ratings are good.
    assert_eq!(bailou["good_rate_month"]["numerator"], 4);
    assert_eq!(bailou["good_rate_month"]["denominator"], 5);
    assert_eq!(bailou["calls_today"], 0);
    assert_eq!(bailou["open_orders"], 0);
    let unrated = halls
        .iter()
        .find(|h| h["id"] == "nanguan")
        .expect("nanguan");
    assert_eq!(unrated["rank"], Value::Null);
    assert_eq!(unrated["ratings_today"], 0);
    let d = &board["district"];
    assert_eq!(
        (d["ratings_today"].as_u64(), d["open_problems"].as_u64()),
        (Some(5), Some(2))
    );
    assert_eq!(d["score"]["denominator"], 2);
    assert!(
        board["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .all(|s| s["state"] == "ready"),
        "{board}"
    );

    // A hall manager sees the own hall, and no district totals.
    let mine = expect(&w.bailou.get(&format!("{R}/command")).await, StatusCode::OK);
    let ids: Vec<&str> = mine["halls"]
        .as_array()
        .expect("halls")
        .iter()
        .filter_map(|h| h["id"].as_str())
        .collect();
    assert_eq!(ids, ["bailou"]);
    assert!(mine.get("district").is_none(), "{mine}");

    // The host's live part: today's tickets from the latest queue summary.
    let live = expect(&w.admin.get("/api/portal/dashboard").await, StatusCode::OK);
    let card = live["halls"]
        .as_array()
        .expect("halls")
        .iter()
        .find(|h| h["id"] == "bailou")
        .expect("bailou");
    assert_eq!(
        card["queue"],
        json!({ "issued": 30, "served": 24, "waiting": 5, "avg_wait_s": 420, "at_ms": 1 })
    );

    // The month's report counts the same ratings.
    let card = expect(
        &w.admin.get(&format!("{S}/scorecard?month=2026-12")).await,
        StatusCode::OK,
    );
    assert_eq!(card["overall"]["ratings"], 6, "{card}");
    assert_eq!(card["overall"]["bad_rate"]["numerator"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_screen_shows_each_halls_module_figures() {
    for backend in backends() {
        command_board(backend).await;
    }
}
