//! Aggregates, checked against values computed by hand over the seeded data.

use bantong_store::{
    AggregateFn, AggregateQuery, Error, Filter, Group, Metric, Op, Scope, Selection,
};
use serde_json::{Value, json};

use crate::both;
use crate::common::{Backend, TestDb};
use crate::query::{Row, f, seed, spec};

both!(aggregates_match_hand_computed);

fn metric(func: AggregateFn, field: &str) -> Metric {
    Metric {
        func,
        field: (!field.is_empty()).then(|| field.to_owned()),
    }
}

/// count, sum(qty), avg(price), min(due), max(qty) over `rows`.
fn expected_values(rows: &[&Row]) -> Vec<Option<f64>> {
    let qty: Vec<f64> = rows.iter().filter_map(|r| r.qty).collect();
    let price: Vec<f64> = rows.iter().filter_map(|r| r.price).collect();
    let due: Vec<f64> = rows.iter().map(|r| r.due as f64).collect();
    let sum = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>());
    let fold = |v: &[f64], g: fn(f64, f64) -> f64| v.iter().copied().reduce(g);
    vec![
        Some(rows.len() as f64),
        sum(&qty),
        sum(&price).map(|s| s / price.len() as f64),
        fold(&due, f64::min),
        fold(&qty, f64::max),
    ]
}

fn metrics() -> Vec<Metric> {
    vec![
        metric(AggregateFn::Count, ""),
        metric(AggregateFn::Sum, "qty"),
        metric(AggregateFn::Avg, "price"),
        metric(AggregateFn::Min, "due"),
        metric(AggregateFn::Max, "qty"),
    ]
}

fn agg(group_by: &[&str], filters: Vec<Filter>) -> AggregateQuery {
    AggregateQuery {
        selection: Selection {
            collection: "items".into(),
            filters,
            halls: None,
        },
        group_by: group_by.iter().map(|s| (*s).to_owned()).collect(),
        metrics: metrics(),
    }
}

fn assert_groups(got: &[Group], want: &[(Vec<Value>, Vec<Option<f64>>)]) {
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, (keys, values)) in got.iter().zip(want) {
        assert_eq!(&g.keys, keys);
        for (a, b) in g.values.iter().zip(values) {
            match (a, b) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{a} vs {b} in {g:?}"),
                _ => assert_eq!(a, b, "{g:?}"),
            }
        }
    }
}

async fn aggregates_match_hand_computed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let data = seed(&db, "p").await;
    let scope = Scope::all("p");
    let mut uow = db.store.begin();

    let all: Vec<&Row> = data.iter().collect();
    let got = uow
        .aggregate(&scope, "p", &spec(), agg(&[], vec![]))
        .await
        .unwrap();
    assert_groups(&got, &[(vec![], expected_values(&all))]);
    // Spot-check one value by hand: qty is i for i in 0..60 except multiples of 7 and 5.
    let by_hand: f64 = (0..60)
        .filter(|i| i % 7 != 0 && *i != 5)
        .map(f64::from)
        .sum();
    assert_eq!(got[0].values[1], Some(by_hand));

    let by_hall = uow
        .aggregate(&scope, "p", &spec(), agg(&["_hall"], vec![]))
        .await
        .unwrap();
    let hall = |h: Option<&str>| data.iter().filter(|r| r.hall == h).collect::<Vec<_>>();
    assert_groups(
        &by_hall,
        &[
            (vec![json!("a")], expected_values(&hall(Some("a")))),
            (vec![json!("b")], expected_values(&hall(Some("b")))),
            (vec![Value::Null], expected_values(&hall(None))),
        ],
    );

    let two = uow
        .aggregate(&scope, "p", &spec(), agg(&["paid", "meta.tag"], vec![]))
        .await
        .unwrap();
    let mut want = Vec::new();
    for paid in [false, true] {
        for tag in [Some("blue"), Some("red"), None] {
            let rows: Vec<&Row> = data
                .iter()
                .filter(|r| r.paid == paid && r.tag == tag)
                .collect();
            if !rows.is_empty() {
                want.push((
                    vec![json!(paid), tag.map_or(Value::Null, |t| json!(t))],
                    expected_values(&rows),
                ));
            }
        }
    }
    assert_groups(&two, &want);

    let by_qty = uow
        .aggregate(
            &scope,
            "p",
            &spec(),
            agg(&["qty"], vec![f("qty", Op::Le, json!(3))]),
        )
        .await
        .unwrap();
    let keys: Vec<Value> = by_qty.iter().map(|g| g.keys[0].clone()).collect();
    assert_eq!(
        keys,
        vec![json!(1), json!(2), json!(3)],
        "whole numbers come back as integers"
    );

    let nothing = vec![f("name", Op::Eq, json!("nothing"))];
    let empty = uow
        .aggregate(&scope, "p", &spec(), agg(&[], nothing.clone()))
        .await
        .unwrap();
    assert_groups(&empty, &[(vec![], vec![Some(0.0), None, None, None, None])]);
    assert!(
        uow.aggregate(&scope, "p", &spec(), agg(&["name"], nothing))
            .await
            .unwrap()
            .is_empty()
    );

    let hall_b = Scope::halls("p", ["b"]);
    let scoped = uow
        .aggregate(&hall_b, "p", &spec(), agg(&[], vec![]))
        .await
        .unwrap();
    let visible: Vec<&Row> = data.iter().filter(|r| r.hall != Some("a")).collect();
    assert_groups(&scoped, &[(vec![], expected_values(&visible))]);

    let mut bad = agg(&[], vec![]);
    bad.metrics = vec![metric(AggregateFn::Sum, "name")];
    assert!(matches!(
        uow.aggregate(&scope, "p", &spec(), bad).await,
        Err(Error::Invalid(_))
    ));
    let bad = agg(&["undeclared"], vec![]);
    let err = uow.aggregate(&scope, "p", &spec(), bad).await.unwrap_err();
    assert!(err.to_string().contains("undeclared"));
}
