//! Queries and aggregates, checked against the same computation done in Rust
//! over the inserted data.

use std::cmp::Ordering;

use bantong_store::{
    CollectionSpec, Direction, Error, FieldType, Filter, Op, Query, Scope, Selection, SortKey,
    UnitOfWork, Write,
};
use serde_json::{Value, json};

use crate::both;
use crate::common::{Backend, TestDb};

both!(
    filters_match_the_model,
    sorting_and_paging,
    limits_and_type_errors,
    owner_plugin_and_hall_narrowing
);

const DAY: i64 = 86_400_000;
const T0: i64 = 1_700_000_000_000;
const NAMES: [&str; 6] = ["apple", "Banana", "cherry", "apricot", "банан", "Zebra"];

/// One inserted document as the test sees it.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub hall: Option<&'static str>,
    pub name: &'static str,
    /// `None` when absent or not a number (document d05 holds a string).
    pub qty: Option<f64>,
    pub qty_present: bool,
    pub price: Option<f64>,
    pub paid: bool,
    pub due: i64,
    pub tag: Option<&'static str>,
}

fn rows() -> Vec<Row> {
    (0..60_i64)
        .map(|i| Row {
            id: format!("d{i:02}"),
            hall: match i % 3 {
                0 => Some("a"),
                1 => Some("b"),
                _ => None,
            },
            name: NAMES[(i % 6) as usize],
            qty: if i % 7 == 0 || i == 5 {
                None
            } else {
                Some(i as f64)
            },
            qty_present: i % 7 != 0,
            price: if i % 5 == 4 {
                None
            } else {
                Some(i as f64 * 1.25)
            },
            paid: i % 2 == 0,
            due: T0 + i * DAY,
            tag: if i % 8 == 3 {
                None
            } else if i % 4 == 0 {
                Some("red")
            } else {
                Some("blue")
            },
        })
        .collect()
}

fn body(r: &Row, i: usize) -> Value {
    let mut b = json!({"name": r.name, "paid": r.paid, "due": r.due, "price": r.price});
    if r.qty_present {
        b["qty"] = if i == 5 { json!("five") } else { json!(i) };
    }
    if let Some(tag) = r.tag {
        b["meta"] = json!({"tag": tag});
    }
    b
}

pub fn spec() -> CollectionSpec {
    CollectionSpec {
        name: "items".into(),
        fields: [
            ("name", FieldType::String),
            ("qty", FieldType::Number),
            ("price", FieldType::Number),
            ("paid", FieldType::Bool),
            ("due", FieldType::Timestamp),
            ("meta.tag", FieldType::String),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        indexes: vec![
            vec!["name".into()],
            vec!["qty".into()],
            vec!["paid".into(), "due".into()],
        ],
    }
}

pub async fn seed(db: &TestDb, plugin: &str) -> Vec<Row> {
    db.store.ensure_collection(plugin, &spec()).await.unwrap();
    let data = rows();
    let scope = Scope::all(plugin);
    let mut uow = db.store.begin();
    for (i, r) in data.iter().enumerate() {
        let w = Write {
            id: Some(r.id.clone()),
            hall: r.hall.map(str::to_owned),
            body: body(r, i),
            expected_version: None,
        };
        uow.put(&scope, "items", w).await.unwrap();
    }
    uow.commit().await.unwrap();
    data
}

pub fn f(field: &str, op: Op, value: Value) -> Filter {
    Filter {
        field: field.into(),
        op,
        value,
    }
}

fn query(filters: Vec<Filter>, sort: Vec<SortKey>, offset: u32, limit: u32) -> Query {
    Query {
        selection: Selection {
            collection: "items".into(),
            filters,
            halls: None,
        },
        sort,
        offset,
        limit,
    }
}

async fn ids(uow: &mut UnitOfWork, scope: &Scope, q: Query) -> (Vec<String>, u64) {
    let page = uow.query(scope, &scope.plugin, &spec(), q).await.unwrap();
    (page.items.into_iter().map(|d| d.id).collect(), page.total)
}

fn expect(data: &[Row], keep: impl Fn(&Row) -> bool) -> Vec<String> {
    data.iter()
        .filter(|r| keep(r))
        .map(|r| r.id.clone())
        .collect()
}

async fn filters_match_the_model(backend: Backend) {
    let db = TestDb::new(backend).await;
    let data = seed(&db, "p").await;
    let scope = Scope::all("p");
    let mut uow = db.store.begin();
    let day10 = chrono::DateTime::from_timestamp_millis(T0 + 10 * DAY)
        .unwrap()
        .to_rfc3339();

    type Keep = Box<dyn Fn(&Row) -> bool>;
    let cases: Vec<(Vec<Filter>, Keep)> = vec![
        (
            vec![f("qty", Op::Gt, json!(10))],
            Box::new(|r| r.qty.is_some_and(|q| q > 10.0)),
        ),
        (
            vec![f("qty", Op::Le, json!(3.5))],
            Box::new(|r| r.qty.is_some_and(|q| q <= 3.5)),
        ),
        (
            vec![f("qty", Op::Ne, json!(4))],
            Box::new(|r| r.qty != Some(4.0)),
        ),
        (
            vec![f("qty", Op::Eq, json!(4.0))],
            Box::new(|r| r.qty == Some(4.0)),
        ),
        (
            vec![f("price", Op::Lt, json!(10))],
            Box::new(|r| r.price.is_some_and(|p| p < 10.0)),
        ),
        (
            vec![f("name", Op::Eq, json!("apple"))],
            Box::new(|r| r.name == "apple"),
        ),
        (
            vec![f("name", Op::Lt, json!("b"))],
            Box::new(|r| r.name < "b"),
        ),
        (
            vec![f("name", Op::Ge, json!("c"))],
            Box::new(|r| r.name >= "c"),
        ),
        (
            vec![f("name", Op::Prefix, json!("ap"))],
            Box::new(|r| r.name.starts_with("ap")),
        ),
        (
            vec![f("name", Op::Contains, json!("an"))],
            Box::new(|r| r.name.contains("an")),
        ),
        (
            vec![f("name", Op::Contains, json!("ан"))],
            Box::new(|r| r.name.contains("ан")),
        ),
        (
            vec![f("name", Op::AnyOf, json!(["cherry", "Zebra", "none"]))],
            Box::new(|r| ["cherry", "Zebra"].contains(&r.name)),
        ),
        (vec![f("name", Op::AnyOf, json!([]))], Box::new(|_| false)),
        (vec![f("paid", Op::Eq, json!(true))], Box::new(|r| r.paid)),
        (vec![f("paid", Op::Ne, json!(true))], Box::new(|r| !r.paid)),
        (
            vec![f("due", Op::Ge, json!(day10))],
            Box::new(|r| r.due >= T0 + 10 * DAY),
        ),
        (
            vec![f("due", Op::Lt, json!(T0 + 3 * DAY))],
            Box::new(|r| r.due < T0 + 3 * DAY),
        ),
        (
            vec![f("qty", Op::IsNull, Value::Null)],
            Box::new(|r| !r.qty_present),
        ),
        (
            vec![f("price", Op::IsNull, Value::Null)],
            Box::new(|r| r.price.is_none()),
        ),
        (
            vec![f("meta.tag", Op::Eq, json!("red"))],
            Box::new(|r| r.tag == Some("red")),
        ),
        (
            vec![f("meta.tag", Op::IsNull, Value::Null)],
            Box::new(|r| r.tag.is_none()),
        ),
        (
            vec![f("_hall", Op::Eq, json!("a"))],
            Box::new(|r| r.hall == Some("a")),
        ),
        (
            vec![f("_hall", Op::IsNull, Value::Null)],
            Box::new(|r| r.hall.is_none()),
        ),
        (
            vec![f("_id", Op::Prefix, json!("d1"))],
            Box::new(|r| r.id.starts_with("d1")),
        ),
        (vec![f("_version", Op::Eq, json!(1))], Box::new(|_| true)),
        (vec![f("_created", Op::Gt, json!(0))], Box::new(|_| true)),
        (
            vec![
                f("paid", Op::Eq, json!(true)),
                f("qty", Op::Gt, json!(5)),
                f("_hall", Op::AnyOf, json!(["a", "b"])),
            ],
            Box::new(|r| r.paid && r.qty.is_some_and(|q| q > 5.0) && r.hall.is_some()),
        ),
    ];
    for (i, (filters, keep)) in cases.into_iter().enumerate() {
        let want = expect(&data, keep);
        let (got, total) = ids(&mut uow, &scope, query(filters.clone(), vec![], 0, 1000)).await;
        assert_eq!(got, want, "case {i}: {filters:?}");
        assert_eq!(total, want.len() as u64, "case {i}");
    }
}

fn cmp_opt<T: PartialOrd>(a: &Option<T>, b: &Option<T>, desc: bool) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let o = x.partial_cmp(y).unwrap_or(Ordering::Equal);
            if desc { o.reverse() } else { o }
        }
    }
}

fn key(field: &str, direction: Direction) -> SortKey {
    SortKey {
        field: field.into(),
        direction,
    }
}

async fn sorting_and_paging(backend: Backend) {
    let db = TestDb::new(backend).await;
    let data = seed(&db, "p").await;
    let scope = Scope::all("p");
    let mut uow = db.store.begin();

    let sorted = |cmp: &dyn Fn(&Row, &Row) -> Ordering| {
        let mut v = data.clone();
        v.sort_by(|a, b| cmp(a, b).then_with(|| a.id.cmp(&b.id)));
        v.into_iter().map(|r| r.id).collect::<Vec<_>>()
    };
    let cases: Vec<(Vec<SortKey>, Vec<String>)> = vec![
        (
            vec![key("qty", Direction::Asc)],
            sorted(&|a, b| cmp_opt(&a.qty, &b.qty, false)),
        ),
        (
            vec![key("qty", Direction::Desc)],
            sorted(&|a, b| cmp_opt(&a.qty, &b.qty, true)),
        ),
        (
            vec![key("price", Direction::Desc)],
            sorted(&|a, b| cmp_opt(&a.price, &b.price, true)),
        ),
        (
            vec![key("name", Direction::Asc), key("qty", Direction::Desc)],
            sorted(&|a, b| {
                a.name
                    .cmp(b.name)
                    .then_with(|| cmp_opt(&a.qty, &b.qty, true))
            }),
        ),
        (
            vec![key("name", Direction::Desc)],
            sorted(&|a, b| b.name.cmp(a.name)),
        ),
        (
            vec![key("paid", Direction::Asc), key("due", Direction::Desc)],
            sorted(&|a, b| a.paid.cmp(&b.paid).then(b.due.cmp(&a.due))),
        ),
        (
            vec![key("meta.tag", Direction::Asc)],
            sorted(&|a, b| cmp_opt(&a.tag, &b.tag, false)),
        ),
        (
            vec![key("_hall", Direction::Asc)],
            sorted(&|a, b| cmp_opt(&a.hall, &b.hall, false)),
        ),
        (
            vec![key("_id", Direction::Desc)],
            sorted(&|a, b| b.id.cmp(&a.id)),
        ),
    ];
    for (sort, want) in cases {
        let (got, total) = ids(&mut uow, &scope, query(vec![], sort.clone(), 0, 1000)).await;
        assert_eq!(got, want, "{sort:?}");
        assert_eq!(total, 60);
        // Paging walks the same order.
        let mut paged = Vec::new();
        for offset in (0..70).step_by(7) {
            let (page, total) = ids(&mut uow, &scope, query(vec![], sort.clone(), offset, 7)).await;
            assert_eq!(total, 60);
            assert!(page.len() <= 7);
            paged.extend(page);
        }
        assert_eq!(paged, want, "paged {sort:?}");
    }
}

async fn limits_and_type_errors(backend: Backend) {
    let db = TestDb::new(backend).await;
    seed(&db, "p").await;
    let scope = Scope::all("p");
    let mut uow = db.store.begin();
    let (got, total) = ids(&mut uow, &scope, query(vec![], vec![], 0, 0)).await;
    assert_eq!((got.len(), total), (50, 60), "limit 0 means 50");
    let (got, _) = ids(&mut uow, &scope, query(vec![], vec![], 55, 1000)).await;
    assert_eq!(got.len(), 5);
    let (got, total) = ids(&mut uow, &scope, query(vec![], vec![], 100, 10)).await;
    assert_eq!((got.len(), total), (0, 60));

    let bad: Vec<(Query, &str)> = vec![
        (query(vec![], vec![], 0, 1001), "limit"),
        (
            query(vec![f("qty", Op::Eq, json!("x"))], vec![], 0, 10),
            "qty",
        ),
        (
            query(vec![f("paid", Op::Lt, json!(true))], vec![], 0, 10),
            "paid",
        ),
        (
            query(vec![f("name", Op::Prefix, json!(1))], vec![], 0, 10),
            "name",
        ),
        (
            query(vec![f("qty", Op::Contains, json!("1"))], vec![], 0, 10),
            "qty",
        ),
        (
            query(vec![f("qty", Op::AnyOf, json!(3))], vec![], 0, 10),
            "qty",
        ),
        (
            query(vec![f("body", Op::Eq, json!(1))], vec![], 0, 10),
            "body",
        ),
        (
            query(vec![f("meta", Op::Eq, json!(1))], vec![], 0, 10),
            "meta",
        ),
        (
            query(vec![], vec![key("undeclared", Direction::Asc)], 0, 10),
            "undeclared",
        ),
        (
            query(vec![f("due", Op::Gt, json!("yesterday"))], vec![], 0, 10),
            "due",
        ),
    ];
    for (q, name) in bad {
        let err = uow.query(&scope, "p", &spec(), q).await.unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(m) if m.contains(name)),
            "{name}: {err:?}"
        );
    }
    // The query must name the spec's collection.
    let mut q = query(vec![], vec![], 0, 10);
    q.selection.collection = "other".into();
    assert!(matches!(
        uow.query(&scope, "p", &spec(), q).await,
        Err(Error::Invalid(_))
    ));
}

async fn owner_plugin_and_hall_narrowing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let data = seed(&db, "owner").await;
    let mut uow = db.store.begin();
    // A reader plugin with hall-a scope reads the owner's collection.
    let reader = Scope::halls("reader", ["a"]);
    let page = uow
        .query(&reader, "owner", &spec(), query(vec![], vec![], 0, 1000))
        .await
        .unwrap();
    let want = expect(&data, |r| r.hall != Some("b"));
    assert_eq!(
        page.items.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        want
    );
    // Its own (empty) data stays separate.
    assert_eq!(
        uow.query(&reader, "reader", &spec(), query(vec![], vec![], 0, 10))
            .await
            .unwrap()
            .total,
        0
    );

    let narrow = |halls: &[&str]| {
        let mut q = query(vec![], vec![], 0, 1000);
        q.selection.halls = Some(halls.iter().map(|h| (*h).to_owned()).collect());
        q
    };
    let district = Scope::all("reader");
    let page = uow
        .query(&district, "owner", &spec(), narrow(&["b"]))
        .await
        .unwrap();
    assert_eq!(
        page.total,
        expect(&data, |r| r.hall == Some("b")).len() as u64
    );
    // Narrowing never widens the caller's scope.
    let page = uow
        .query(&reader, "owner", &spec(), narrow(&["a", "b"]))
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        expect(&data, |r| r.hall == Some("a"))
    );
    assert_eq!(
        uow.query(&reader, "owner", &spec(), narrow(&["b"]))
            .await
            .unwrap()
            .total,
        0
    );
}
