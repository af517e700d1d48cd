//! Fuzzes the training plugin's decoders of untrusted input, none of which
//! may panic:
//!
//! - the bytes as a workbook's rows (JSON arrays of cells): the import
//!   either refuses with every problem naming a row, or gives drafts that
//!   each pass the bank's own check;
//! - the bytes as a question form's fields (a JSON object), read by the
//!   same rules;
//! - the bytes as an answer (JSON) saved to every slot of a live paper of
//!   every kind: a refused answer is refused for a stated reason, an
//!   accepted one fits the slot's shape;
//! - the bytes as text: a plan period (accepted ones print back as given
//!   and span a positive time), an instant from a form, a topic.

#![no_main]

use bantong_hall_kit::catalogue::sheet::Value as Cell;
use bantong_training::attempt::{Given, Live, State};
use bantong_training::exam::parse_instant;
use bantong_training::import;
use bantong_training::paper::Item;
use bantong_training::plan::{Period, Topic};
use bantong_training::question::{Kind, Shape};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const NOW: i64 = 1_797_000_000_000;

/// A JSON value as a workbook's cell.
fn cell(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Empty,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => Cell::Number(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => Cell::Text(s.clone()),
        other => Cell::Text(other.to_string()),
    }
}

fn shape(kind: Kind, options: u8, blanks: u8) -> Shape {
    Shape {
        kind,
        options,
        blanks,
    }
}

fn live() -> Live {
    let shapes = [
        shape(Kind::Single, 4, 0),
        shape(Kind::Multiple, 5, 0),
        shape(Kind::TrueFalse, 0, 0),
        shape(Kind::FillIn, 0, 2),
        shape(Kind::Short, 0, 0),
    ];
    Live {
        state: State::Answering,
        deadline_ms: NOW + 600_000,
        items: shapes
            .into_iter()
            .enumerate()
            .map(|(i, shape)| Item {
                slot: i as u16,
                question: i as u32,
                order: (0..shape.options).collect(),
                marks: 5,
                shape,
            })
            .collect(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rows) = serde_json::from_str::<Vec<Vec<Value>>>(text) {
        let rows: Vec<Vec<Cell>> = rows
            .iter()
            .map(|r| r.iter().map(cell).collect())
            .collect();
        match import::parse(&rows) {
            Ok(drafts) => {
                for d in &drafts {
                    assert!(d.check().is_ok(), "an imported draft passes the check");
                }
            }
            Err(problems) => assert!(!problems.is_empty(), "a refusal names a problem"),
        }
    }
    if let Ok(fields) = serde_json::from_str::<serde_json::Map<String, Value>>(text)
        && let Ok(d) = import::from_fields(&fields)
    {
        assert!(d.check().is_ok(), "a form's draft passes the check");
    }
    if let Ok(given) = serde_json::from_str::<Given>(text) {
        let live = live();
        for slot in 0..6u16 {
            match live.answer(slot, given.clone(), NOW) {
                Ok(Some(kept)) => {
                    let item = &live.items[usize::from(slot)];
                    assert!(kept.fits(item.shape), "a kept answer fits its slot");
                }
                Ok(None) | Err(_) => {}
            }
        }
    }
    if let Some(p) = Period::parse(text) {
        assert_eq!(Period::parse(&p.to_string()), Some(p), "a period prints back");
        assert!(p.end_ms() > p.start_ms(), "a period spans time");
    }
    let _ = parse_instant(text);
    let _ = Topic::parse(text);
});
