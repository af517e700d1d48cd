//! A year of hotline work orders for the benchmarks: each created and
//! closed by the plugin's own state machine (`bantong_hotline::order`:
//! received → dispatched → signed → in progress → replied → closed, on the
//! working-day calendar), with the plugin's document types and KPI flags,
//! written through the store in batches. October also gets one call per
//! order and half of the orders a rated callback. Shared by the `hotline`
//! and `reporting` benches (`#[path]` module).

use std::time::{Duration, Instant};

use bantong_hotline::calendar::{Calendar, day_of, start_of_day};
use bantong_hotline::order::{Action, Actor, Level, NewOrder, Order, Role as OrderRole, apply};
use bantong_hotline::plugin::{
    CallDoc, CallbackDoc, Channel, DispatchDoc, OrderDoc, caller_key, default_catalogue,
};
use bantong_store::{Scope, Write};
use bantong_tests::TestApp;
use serde_json::Value;

pub const MIN: i64 = 60_000;
pub const HOUR: i64 = 60 * MIN;
const BATCH: usize = 5_000;
pub const HALLS: [&str; 6] = [
    "bailou",
    "dongjinzhuang",
    "wusilu",
    "wuyao",
    "hanzhuang",
    "xiguan",
];

pub fn local(y: i64, mo: u8, d: u8) -> i64 {
    start_of_day(day_of(y, mo, d).expect("date"))
}

/// Everything written for one order.
struct Seeded {
    order: (String, Option<String>, Value),
    dispatch: (String, Option<String>, Value),
    callback: Option<(Option<String>, Value)>,
    call: Option<(String, Value)>,
}

/// Order `i` of `n`: created, dispatched, signed, handled, replied and
/// closed by the state machine, with the times spread over `year`.
fn seed_one(
    i: usize,
    n: usize,
    year: i64,
    cal: &Calendar,
    cat: &bantong_hotline::order::Catalogue,
    keys: &[String],
    oct: (i64, i64),
) -> Seeded {
    let start = local(year, 1, 2) + 9 * HOUR;
    let span = local(year, 12, 20) - start;
    let received = start + (span as i128 * i as i128 / n as i128) as i64;
    let agent = Actor {
        id: "agent-bench".into(),
        role: OrderRole::Agent,
    };
    let category = keys[i % keys.len()].clone();
    let hall_level = cat.entry(&category).is_some_and(|e| e.level == Level::Hall);
    let hall = HALLS[i % HALLS.len()];
    let id = format!("B{i:07}");
    let mut order = Order::new(
        NewOrder {
            id: id.clone(),
            category: category.clone(),
            title: "批量测试工单：路灯、物业、社保等诉求".into(),
            caller_number: format!("138{:08}", i % 5_000_000),
            confidential: i.is_multiple_of(20),
        },
        &agent,
        received,
        cat,
    )
    .expect("order");
    let dispatched = received + 5 * MIN;
    let to = hall_level.then(|| hall.to_owned());
    apply(
        &mut order,
        &agent,
        Action::Dispatch { to },
        dispatched,
        cat,
        cal,
    )
    .expect("dispatch");
    let lead = order.lead.clone().expect("lead");
    let unit = Actor {
        id: "unit-bench".into(),
        role: OrderRole::Unit(lead.clone()),
    };
    let signed = dispatched
        + if i.is_multiple_of(10) {
            30 * HOUR
        } else {
            HOUR
        };
    apply(&mut order, &unit, Action::Sign, signed, cat, cal).expect("sign");
    apply(&mut order, &unit, Action::Start, signed + MIN, cat, cal).expect("start");
    let due = order.due_ms.expect("due");
    let reply_at = if i.is_multiple_of(8) {
        due + 24 * HOUR
    } else {
        due - 3 * HOUR
    }
    .max(signed + 2 * MIN);
    apply(
        &mut order,
        &unit,
        Action::Reply {
            text: "已处理并答复来电人。".into(),
        },
        reply_at,
        cat,
        cal,
    )
    .expect("reply");
    let rated = i.is_multiple_of(2);
    let close_at = reply_at + 2 * HOUR;
    apply(
        &mut order,
        &agent,
        Action::Close {
            resolution: "回访后办结".into(),
        },
        close_at,
        cat,
        cal,
    )
    .expect("close");
    let mut doc = OrderDoc {
        caller_key: caller_key(&order.caller_number),
        order,
        item: None,
        channel: Channel::Phone,
        caller_name: None,
        description: Some("来电人反映的具体情况，约一百字的诉求描述。".repeat(3)),
        hall: Some(hall.to_owned()),
        call_id: None,
        knowledge_article: None,
        repeat_of: Vec::new(),
        rectification_of: None,
        signed_on_time: 0,
        replied_on_time: 0,
        called_back: u8::from(rated),
        supervision: 0,
        rating: rated.then_some(1 + (i % 5) as u8),
        merged: 0,
        current_dispatch: Some(format!("{id}-1")),
    };
    doc.refresh();
    let dispatch = DispatchDoc {
        order: id.clone(),
        unit: lead.clone(),
        category: category.clone(),
        start_ms: dispatched,
        returned: 0,
    };
    let callback = rated.then(|| {
        let cb = CallbackDoc {
            order: id.clone(),
            at_ms: reply_at + HOUR,
            reached: true,
            score: Some(1 + (i % 5) as u8),
            note: None,
            by: "agent-bench".into(),
            lead: Some(lead.clone()),
            category: category.clone(),
        };
        (Some(lead.clone()), serde_json::to_value(cb).expect("json"))
    });
    let call = (oct.0..oct.1).contains(&received).then(|| {
        let offered = received - 3 * MIN;
        let abandoned = i.is_multiple_of(12);
        let wait = (i % 30) as i64 * 1_000;
        let mut c = CallDoc {
            status: bantong_hotline::plugin::CallStatus::Ended,
            caller_number: doc.order.caller_number.clone(),
            caller_key: doc.caller_key.clone(),
            seat: Some(format!("seat-{}", 1 + i % 6)),
            offered_ms: offered,
            answered_ms: (!abandoned).then_some(offered + wait),
            ended_ms: Some(offered + wait + if abandoned { 0 } else { 180_000 }),
            recording: None,
            hall: Some(lead.clone()),
            category: Some(category.clone()),
            order_id: (!abandoned).then(|| id.clone()),
            first_contact_resolved: false,
            knowledge_article: None,
            answered: 0,
            abandoned: 0,
            wait_ms: 0,
            answered_wait_ms: 0,
            handle_ms: 0,
            fcr: 0,
            called_back: 0,
            callback_note: None,
        };
        let record = c.call(&format!("call-{i}")).expect("ended");
        c.refresh(&record);
        (format!("call-{i}"), serde_json::to_value(c).expect("json"))
    });
    Seeded {
        order: (
            id.clone(),
            doc.storage_hall(),
            serde_json::to_value(&doc).expect("json"),
        ),
        dispatch: (
            format!("{id}-1"),
            Some(lead),
            serde_json::to_value(dispatch).expect("json"),
        ),
        callback,
        call,
    }
}

/// Writes `n` orders spread over `year` (October's with their calls);
/// answers the documents written and the time it took.
pub async fn seed(app: &TestApp, n: usize, year: i64) -> (usize, Duration) {
    let cal = Calendar::china();
    let cat = default_catalogue();
    let keys: Vec<String> = cat.entries.keys().cloned().collect();
    let oct = (local(year, 10, 1), local(year, 11, 1));
    let scope = Scope::all("hotline");
    let started = Instant::now();
    let mut docs = 0;
    let mut i = 0;
    while i < n {
        let mut uow = app.host.state.store.begin();
        for j in i..(i + BATCH).min(n) {
            let s = seed_one(j, n, year, &cal, &cat, &keys, oct);
            let put = |collection: &str, id: Option<String>, hall: Option<String>, body: Value| {
                (
                    collection.to_owned(),
                    Write {
                        id,
                        hall,
                        body,
                        expected_version: None,
                    },
                )
            };
            let mut writes = vec![
                put("orders", Some(s.order.0), s.order.1, s.order.2),
                put("dispatches", Some(s.dispatch.0), s.dispatch.1, s.dispatch.2),
            ];
            if let Some((hall, body)) = s.callback {
                writes.push(put("callbacks", None, hall, body));
            }
            if let Some((id, body)) = s.call {
                writes.push(put("calls", Some(id), None, body));
            }
            for (collection, w) in writes {
                uow.put(&scope, &collection, w).await.expect("put");
                docs += 1;
            }
        }
        uow.commit().await.expect("commit");
        i += BATCH;
    }
    (docs, started.elapsed())
}
