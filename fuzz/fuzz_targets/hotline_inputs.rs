//! Fuzzes the hotline plugin's decoders of untrusted input, none of which
//! may panic:
//!
//! - the bytes as a work-order [`Action`] (JSON), which re-encodes to
//!   itself and is applied as an agent, a supervisor and two units to a
//!   fresh order and to orders in every later state: a refused action
//!   leaves the order as it was, an accepted one adds exactly one entry
//!   to its history;
//! - the bytes as a [`SeatEvent`] (JSON), applied to fresh and busy seats:
//!   a refused event leaves the seats as they were;
//! - the bytes as text (UTF-8, lossy): a report [`Period`] (which, when
//!   accepted, prints back as given and covers a range), a caller number
//!   ([`order::classify_phone`]), and knowledge-base terms, queries and
//!   ranking (every term at most [`MAX_TERM_BYTES`] bytes; hits ordered,
//!   scored and snipped as [`knowledge::rank`] says), also with the text as
//!   an article's body or title.
//!
//! With line breaks, the lines are also played in order to one evolving
//! order and one set of seats, each line as an action (tried as each role
//! until one is allowed) or a seat event, so that the fuzzer reaches the
//! later states by itself.

#![no_main]

use std::collections::BTreeSet;
use std::sync::OnceLock;

use bantong_hotline::calendar::Calendar;
use bantong_hotline::calls::{SeatEvent, SeatEventKind, Seats};
use bantong_hotline::knowledge::{
    self, Article, ArticleInput, ArticleStatus, Hit, MAX_QUERY_TERMS, MAX_TERM_BYTES, MAX_TERMS,
    SNIPPET_CHARS,
};
use bantong_hotline::kpi::Period;
use bantong_hotline::order::{
    self, Action, Actor, Catalogue, NewOrder, Order, PhoneKind, Role, State,
};
use bantong_hotline::plugin::default_catalogue;
use libfuzzer_sys::fuzz_target;

/// 2025-10-09 09:00 in hall time, a working day: orders are created then.
const CREATED_MS: i64 = 1_759_971_600_000;
/// When the fuzzed action is applied: a day later, after every step that
/// prepared the orders.
const ACT_MS: i64 = CREATED_MS + 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// Most lines played in sequence.
const MAX_LINES: usize = 64;

struct Fixture {
    catalogue: Catalogue,
    calendar: Calendar,
    actors: Vec<Actor>,
    /// A fresh order, then orders in later states.
    orders: Vec<Order>,
    /// Fresh seats, then seats logged in, ringing, talking, in wrap-up.
    seats: Vec<Seats>,
    articles: Vec<Article>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let catalogue = default_catalogue();
        let calendar = Calendar::china();
        let actor = |id: &str, role| Actor {
            id: id.into(),
            role,
        };
        let actors = vec![
            actor("agent-1", Role::Agent),
            actor("supervisor-1", Role::Supervisor),
            actor("staff-bailou", Role::Unit("bailou".into())),
            actor("staff-housing", Role::Unit("dept-housing".into())),
        ];
        let fresh = |category: &str| {
            let new = NewOrder {
                id: "HL-20251009-0001".into(),
                category: category.into(),
                title: "小区电梯停运三天，物业不予答复".into(),
                caller_number: "13812345678".into(),
                confidential: true,
            };
            Order::new(new, &actors[0], CREATED_MS, &catalogue).expect("the fixed order is valid")
        };
        let housing = fresh("housing.property");
        let mut orders = vec![housing.clone(), fresh("town.streetlight")];
        // Later states, each reached by the first role allowed to.
        let mut play = |start: &Order, actions: &[Action], reached: &dyn Fn(&Order) -> bool| {
            let mut order = start.clone();
            for (i, action) in actions.iter().enumerate() {
                let now = CREATED_MS + (i as i64 + 1) * HOUR_MS;
                let done = actors.iter().any(|actor| {
                    order::apply(
                        &mut order,
                        actor,
                        action.clone(),
                        now,
                        &catalogue,
                        &calendar,
                    )
                    .is_ok()
                });
                assert!(done, "no role may {action:?} in state {:?}", order.state);
            }
            assert!(reached(&order), "{order:?}");
            orders.push(order);
        };
        let text = |s: &str| s.to_owned();
        let dispatch = Action::Dispatch { to: None };
        let reply = Action::Reply {
            text: text("已联系物业公司，电梯已修复。"),
        };
        let close = Action::Close {
            resolution: text("回访满意"),
        };
        let path = [dispatch.clone(), Action::Sign, Action::Start, reply, close];
        for (steps, state) in [
            (1, State::Dispatched),
            (2, State::Signed),
            (3, State::InProgress),
            (4, State::Replied),
            (5, State::Closed),
        ] {
            play(&housing, &path[..steps], &|o| o.state == state);
        }
        let returned = Action::RequestReturn {
            reason: text("不属于本单位职责"),
        };
        let pending = |o: &Order| o.pending.is_some();
        play(&housing, &[dispatch.clone(), returned], &pending);
        let reassign = Action::RequestReassign {
            to: text("dept-hrss"),
            reason: text("涉及劳动保障"),
        };
        play(
            &housing,
            &[dispatch, Action::Sign, Action::Start, reassign],
            &pending,
        );
        let merge = Action::Merge {
            into: text("HL-20251008-0042"),
        };
        play(&housing, &[merge], &|o| o.state == State::Merged);

        let fresh_seats = Seats::new(&["seat-1", "seat-2"]).expect("the fixed seats are valid");
        let mut seats = vec![fresh_seats.clone()];
        let call = |id: &str| id.to_owned();
        for events in [
            vec![SeatEventKind::Login],
            vec![
                SeatEventKind::Login,
                SeatEventKind::Offered {
                    call_id: call("c-1"),
                },
            ],
            vec![
                SeatEventKind::Login,
                SeatEventKind::Answered {
                    call_id: call("c-1"),
                },
            ],
            vec![
                SeatEventKind::Login,
                SeatEventKind::Answered {
                    call_id: call("c-1"),
                },
                SeatEventKind::Ended {
                    call_id: call("c-1"),
                },
            ],
        ] {
            let mut prepared = fresh_seats.clone();
            for (i, kind) in events.into_iter().enumerate() {
                let event = SeatEvent {
                    seat: "seat-1".into(),
                    at_ms: 1_000 * (i as i64 + 1),
                    kind,
                };
                prepared.apply(&event).expect("the fixed seat events apply");
            }
            seats.push(prepared);
        }

        let article = |id: &str, category: &str, title: &str, body: &str, keywords: &[&str]| {
            let input = ArticleInput {
                category: category.into(),
                title: title.into(),
                body: body.into(),
                keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
                status: ArticleStatus::Published,
            };
            knowledge::create(id, input, "agent-1", CREATED_MS).expect("the fixed article is valid")
        };
        let articles = vec![
            article(
                "kb-1",
                "housing.property",
                "电梯停运、物业不作为怎么办",
                "小区电梯停运的，先联系物业服务企业报修；物业不予处理的，\
                 可向区住房和城乡建设局投诉。\n电话：0311-86001234。",
                &["电梯", "物业"],
            ),
            article(
                "kb-2",
                "social.pension",
                "社保卡补办流程",
                "社会保障卡（社保卡）遗失的，携带身份证到任一银行网点或\
                 e社保App办理挂失和补办，一般7个工作日内领卡。",
                &["社保卡", "补卡"],
            ),
            article(
                "kb-3",
                "town.streetlight",
                "路灯不亮报修",
                "路灯故障请说明所在道路和最近的门牌号，乡镇中心3个工作日内处理。",
                &[],
            ),
        ];
        Fixture {
            catalogue,
            calendar,
            actors,
            orders,
            seats,
            articles,
        }
    })
}

/// Applies `action` as `actor` and checks the outcome; whether it was
/// accepted.
fn act(fx: &Fixture, order: &mut Order, actor: &Actor, action: &Action, now_ms: i64) -> bool {
    let before = order.clone();
    match order::apply(
        order,
        actor,
        action.clone(),
        now_ms,
        &fx.catalogue,
        &fx.calendar,
    ) {
        Ok(transition) => {
            assert_eq!(
                order.history.len(),
                before.history.len() + 1,
                "an accepted action adds one history entry"
            );
            assert_eq!(order.history.last(), Some(&transition));
            assert_eq!(transition.from, before.state);
            assert_eq!(transition.to, order.state);
            assert_eq!(transition.action, action.kind());
            let _ = order::view_for(order, actor);
            let _ = order::supervise(order, now_ms);
            let _ = order::sign_overdue(order, now_ms);
            true
        }
        Err(error) => {
            let _ = error.to_string();
            assert_eq!(*order, before, "a refused action ({error}) changes nothing");
            false
        }
    }
}

/// Applies a seat event and checks the outcome.
fn seat_event(seats: &mut Seats, event: &SeatEvent) {
    let before = seats.clone();
    match seats.apply(event) {
        Ok(status) => assert_eq!(seats.status(&event.seat), Some(status)),
        Err(error) => {
            let _ = error.to_string();
            assert_eq!(*seats, before, "a refused event ({error}) changes nothing");
        }
    }
    for now in [event.at_ms, i64::MIN, i64::MAX] {
        let reports = seats.report(now);
        assert_eq!(reports.len(), 2);
        for report in reports {
            if let Some(occupancy) = report.occupancy.value {
                assert!((0.0..=1.0).contains(&occupancy), "{report:?}");
            }
        }
    }
}

fn check_terms(terms: &[String], most: usize) {
    assert!(terms.len() <= most, "{} terms", terms.len());
    for term in terms {
        assert!(!term.is_empty(), "an empty term");
        assert!(
            term.len() <= MAX_TERM_BYTES,
            "term {term:?} is {} bytes",
            term.len()
        );
    }
    let distinct: BTreeSet<&String> = terms.iter().collect();
    assert_eq!(distinct.len(), terms.len(), "terms are deduplicated");
}

fn check_hits(query: &str, hits: &[Hit], limit: usize) {
    assert!(hits.len() <= limit);
    let terms = knowledge::query_terms(query).len();
    for hit in hits {
        assert!((1..=terms).contains(&(hit.matched as usize)), "{hit:?}");
        assert!(hit.score.is_finite() && hit.score > 0.0, "{hit:?}");
        let shown = hit
            .snippet
            .chars()
            .filter(|c| !matches!(c, '【' | '】' | '…'))
            .count();
        assert!(shown <= SNIPPET_CHARS, "snippet {:?}", hit.snippet);
    }
    for pair in hits.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let ordered = a.matched > b.matched
            || (a.matched == b.matched
                && (a.score > b.score || (a.score == b.score && a.id < b.id)));
        assert!(ordered, "{a:?} before {b:?}");
    }
}

fn check_text(fx: &Fixture, text: &str) {
    if let Ok(period) = Period::parse(text) {
        assert_eq!(period.to_string(), text, "a period prints as parsed");
        let (start, end) = period.range_ms().expect("a parsed period has a range");
        assert!(start < end && period.contains(start) && !period.contains(end));
        let json = serde_json::to_string(&period).expect("a period serialises");
        assert_eq!(serde_json::from_str::<Period>(&json).ok(), Some(period));
    }

    match order::classify_phone(text) {
        Ok(kind) => {
            assert!(text.bytes().all(|b| b.is_ascii_digit() || b == b'-'));
            assert!((3..=13).contains(&text.len()), "{kind:?}");
            assert!(kind == PhoneKind::Landline || !text.contains('-'));
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }

    check_terms(&knowledge::terms(text), MAX_TERMS);
    check_terms(&knowledge::query_terms(text), MAX_QUERY_TERMS);
    check_hits(text, &knowledge::rank(text, &fx.articles, 10), 10);

    // The text as an article's body, and as its title.
    let input = |title: &str, body: &str| ArticleInput {
        category: "housing.property".into(),
        title: title.into(),
        body: body.into(),
        keywords: vec!["电梯".into()],
        status: ArticleStatus::Published,
    };
    for input in [input("市民来信", text), input(text, "市民来信，已转办。")] {
        let Ok(article) = knowledge::create("kb-fuzz", input, "agent-1", ACT_MS) else {
            continue;
        };
        check_terms(&article.index_terms(), MAX_TERMS);
        let mut candidates = fx.articles.clone();
        candidates.push(article);
        // Every fuzzed article has the keyword 电梯, so that query finds it.
        for query in ["电梯", text] {
            check_hits(query, &knowledge::rank(query, &candidates, 3), 3);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let fx = fixture();

    if let Ok(action) = serde_json::from_slice::<Action>(data) {
        let json = serde_json::to_vec(&action).expect("an action serialises");
        let again: Action = serde_json::from_slice(&json).expect("an action re-parses");
        assert_eq!(again, action);
        for start in &fx.orders {
            for actor in &fx.actors {
                act(fx, &mut start.clone(), actor, &action, ACT_MS);
            }
        }
    }

    if let Ok(event) = serde_json::from_slice::<SeatEvent>(data) {
        let json = serde_json::to_vec(&event).expect("a seat event serialises");
        let again: SeatEvent = serde_json::from_slice(&json).expect("a seat event re-parses");
        assert_eq!(again, event);
        for start in &fx.seats {
            seat_event(&mut start.clone(), &event);
        }
    }

    let text = String::from_utf8_lossy(data);
    check_text(fx, &text);

    if data.contains(&b'\n') {
        let mut order = fx.orders[0].clone();
        let mut seats = fx.seats[0].clone();
        for (i, line) in data.split(|&b| b == b'\n').take(MAX_LINES).enumerate() {
            if let Ok(action) = serde_json::from_slice::<Action>(line) {
                let now = ACT_MS + i as i64 * HOUR_MS;
                for actor in &fx.actors {
                    if act(fx, &mut order, actor, &action, now) {
                        break;
                    }
                }
            } else if let Ok(event) = serde_json::from_slice::<SeatEvent>(line) {
                seat_event(&mut seats, &event);
            } else if let Ok(line) = std::str::from_utf8(line) {
                let _ = Period::parse(line);
                let _ = order::classify_phone(line);
            }
        }
    }
});
