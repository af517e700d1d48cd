use super::sheet::{self, Value};
use super::*;

fn t(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn n(x: f64) -> Value {
    Value::Number(x)
}

fn heading() -> Vec<Value> {
    sheet::ITEM_COLUMNS
        .iter()
        .map(|f| t(f.column_zh()))
        .collect()
}

fn row(code: &str, category: &str, statutory: Value, promised: Value) -> Vec<Value> {
    vec![
        t(code),
        t("个体工商户设立登记"),
        t(category),
        t("区行政审批局"),
        statutory,
        promised,
        t("身份证原件\n经营场所证明；  名称预先核准通知书"),
        t("否"),
        t("是"),
        Value::Empty,
        Value::Bool(true),
    ]
}

fn item(code: &str) -> Item {
    Item {
        code: code.to_owned(),
        name: "社会保障卡补领".to_owned(),
        category: "livelihood".to_owned(),
        department: "区人社局".to_owned(),
        statutory_days: 20,
        promised_days: 5,
        materials: vec!["身份证原件".to_owned()],
        notify_commit: false,
        accept_with_gaps: true,
        door_service: true,
        self_service: true,
    }
}

#[test]
fn a_good_sheet_reads_every_column() {
    let rows = vec![
        heading(),
        row("130606-SC-001", "市场准入", n(20.0), t(" 3 ")),
        vec![Value::Empty; 11],
        row("130606-ZX-001", "consult", n(0.0), n(0.0)),
    ];
    let cats = vec![
        vec![t("类别名称"), t("类别代码")],
        vec![t("综合咨询"), t("consult")],
    ];
    let c = sheet::parse(&rows, Some(&cats)).expect("valid");
    assert_eq!(c.items.len(), 2);
    let first = &c.items[0];
    assert_eq!(first.category, "market-access");
    assert_eq!((first.statutory_days, first.promised_days), (20, 3));
    assert_eq!(
        first.materials,
        ["身份证原件", "经营场所证明", "名称预先核准通知书"]
    );
    assert!(!first.notify_commit && first.accept_with_gaps && !first.door_service);
    assert!(first.self_service);
    assert_eq!(c.items[1].category, "consult");
    assert_eq!(c.category_name("consult"), Some("综合咨询"));
    assert_eq!(c.counts().self_service, 2);
}

#[test]
fn a_bad_row_is_named_by_its_excel_row_and_column() {
    let rows = vec![
        heading(),
        row("130606-SC-001", "市场准入", n(20.0), n(3.0)),
        vec![Value::Empty; 11],
        row("130606-SC-002", "市场准入", n(10.0), n(15.0)),
        row("130606-SC-001", "不存在的类别", t("二十"), n(1.0)),
    ];
    let problems = sheet::parse(&rows, None).expect_err("refused");
    let seen: Vec<(u32, Option<&str>)> = problems
        .iter()
        .map(|p| (p.row, p.column.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (4, Some("承诺时限(工作日)")),
            (5, Some("法定时限(工作日)")),
            (5, Some("事项编码")),
            (5, Some("窗口类别")),
        ]
    );
    assert_eq!(
        problems[0].to_string(),
        "事项 第4行「承诺时限(工作日)」：承诺时限 15 个工作日超过法定时限 10 个工作日"
    );
    assert!(
        problems[1].message.contains("“二十”不是工作日数"),
        "{problems:?}"
    );
    assert_eq!(problems[2].field.as_deref(), Some("code"));
}

#[test]
fn headings_are_checked_before_rows() {
    let mut h = heading();
    h[4] = t("法定时限");
    h.push(t("事项名称"));
    let problems = sheet::parse(&[h], None).expect_err("refused");
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].starts_with("事项 第1行「法定时限」：未知的列"));
    assert_eq!(messages[1], "事项 第1行「事项名称」：这一列出现了两次");
    assert_eq!(messages[2], "事项 第1行「法定时限(工作日)」：缺少这一列");
    assert!(sheet::parse(&[], None).is_err());
}

#[test]
fn flags_accept_the_usual_spellings_and_refuse_others() {
    for (v, want) in [
        (t("是"), Ok::<bool, ()>(true)),
        (t("Y"), Ok(true)),
        (t("√"), Ok(true)),
        (n(1.0), Ok(true)),
        (t("否"), Ok(false)),
        (Value::Empty, Ok(false)),
        (Value::Bool(false), Ok(false)),
    ] {
        let mut r = row("A1", "health", n(1.0), n(1.0));
        r[10] = v.clone();
        let got = sheet::parse(&[heading(), r], None).map(|c| c.items[0].self_service);
        assert_eq!(got.ok(), want.ok(), "{v:?}");
    }
    let mut r = row("A1", "health", n(1.0), n(1.0));
    r[7] = t("可以");
    let p = sheet::parse(&[heading(), r], None).expect_err("refused");
    assert_eq!(
        p[0].to_string(),
        "事项 第2行「告知承诺」：“可以”应为“是”或“否”"
    );
}

#[test]
fn categories_are_checked() {
    let c = Catalogue {
        categories: vec![
            Category {
                id: "health".into(),
                name: "卫生".into(),
            },
            Category {
                id: "Consult".into(),
                name: "咨询".into(),
            },
            Category {
                id: "consult".into(),
                name: " ".into(),
            },
        ],
        items: vec![item("A1")],
    };
    let p: Vec<String> = c.problems().iter().map(ToString::to_string).collect();
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(p[0].starts_with("categories[0].id: “health”是五类必设窗口之一"));
    assert!(p[1].starts_with("categories[1].id: “Consult”不是有效代码"));
    assert!(p[2].starts_with("categories[2].name: "));
}

#[test]
fn export_then_import_gives_the_same_catalogue() {
    let c = Catalogue {
        categories: vec![Category {
            id: "consult".into(),
            name: "综合咨询".into(),
        }],
        items: vec![item("A1"), {
            let mut i = item("B2");
            i.category = "consult".into();
            i.materials = vec![];
            i.statutory_days = 0;
            i.promised_days = 0;
            i
        }],
    };
    let doc = sheet::document(&c, "第 3 版");
    let sheets: Vec<Vec<Vec<Value>>> = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            crate::document::Block::Table { columns, rows, .. } => Some(
                std::iter::once(columns.iter().map(|c| t(c)).collect())
                    .chain(rows.iter().map(|r| {
                        r.iter()
                            .map(|c| match c {
                                crate::document::Cell::Number(x) => n(*x),
                                crate::document::Cell::Text(s) => t(s),
                                crate::document::Cell::Empty => Value::Empty,
                            })
                            .collect()
                    }))
                    .collect(),
            ),
            _ => None,
        })
        .collect();
    assert_eq!(sheets.len(), 2);
    let back = sheet::parse(&sheets[0], Some(&sheets[1])).expect("round trip");
    assert_eq!(back, c);
}

#[test]
fn json_is_checked_too() {
    let json = serde_json::to_string(&Catalogue {
        categories: vec![],
        items: vec![item("A1"), item("A1")],
    })
    .expect("json");
    assert_eq!(
        Catalogue::from_json(&json).expect_err("dup"),
        "items[1].code: 编码“A1”与前面的事项重复"
    );
    assert!(Catalogue::from_json(r#"{"items": [], "extra": 1}"#).is_err());
    let mut v = serde_json::to_value(Catalogue {
        categories: vec![],
        items: vec![item("A1")],
    })
    .expect("json");
    v["items"][0]["self_servce"] = serde_json::json!(true);
    assert_eq!(
        Catalogue::from_json(&v.to_string()).expect_err("typo"),
        "invalid catalogue: unknown field items[0].self_servce"
    );
    // Reading what a later version wrote ignores what it added.
    let read: Catalogue = serde_json::from_value(v).expect("lenient");
    assert_eq!(read.items[0].code, "A1");
}
