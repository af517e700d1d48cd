//! What masking every upstream event costs the edge agent: `scrub_json`
//! over typical hall events, against serialising the same events to JSON
//! (which the outbox does to every event anyway) measured in the same run.
//! `cargo bench -p bantong-hall-kit`; without `--bench` (as `cargo test
//! --all-targets` runs it) a small smoke size.

use std::hint::black_box;
use std::time::Instant;

use serde_json::{Value, json};

/// A queue ticket, a 好差评 record and a kiosk session; one in four
/// carries a whole ID number that must be masked.
fn events(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| match i % 4 {
            0 => json!({ "number": format!("C{:03}", i % 1000), "category": "health",
                         "source": "id_card", "green_channel": i % 7 == 0,
                         "masked_id": "110105********002X", "window": null,
                         "issued_ms": 1_795_795_199_000_i64 + i as i64, "ahead": i % 9 }),
            1 => json!({ "id": format!("keypad-3:{i}"), "hall": "百楼镇行政综合服务中心",
                         "channel": "现场服务·评价器", "device": "keypad-3", "window": 3,
                         "ticket": "C007", "item": "health", "score": 4, "level": "满意",
                         "bad": false, "prompted": true, "masked_id": "110105********002X",
                         "rated_at": 1_795_795_199_000_i64 }),
            2 => json!({ "session": format!("{i}-1"), "kiosk": "百楼镇自助终端1",
                         "outcome": "completed", "item": "SB-001", "receipt": "20261127-0001",
                         "masked_id": "110105********002X", "rating": 5, "duration_s": 41 }),
            _ => json!({ "note": "身份证号11010519491231002X已核验", "window": 6,
                         "items": [{ "code": "SB-001" }, { "code": "HJ-002" }] }),
        })
        .collect()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 200_000 } else { 2_000 };
    let rounds = if full { 5 } else { 1 };
    let originals = events(n);
    let (mut best_scrub, mut best_encode) = (f64::MAX, f64::MAX);
    let mut masked = 0;
    for _ in 0..rounds {
        let mut batch = originals.clone();
        let start = Instant::now();
        masked = batch
            .iter_mut()
            .map(bantong_hall_kit::scrub_json)
            .sum::<usize>();
        best_scrub = best_scrub.min(start.elapsed().as_secs_f64());
        black_box(&batch);

        let start = Instant::now();
        let bytes: usize = originals
            .iter()
            .map(|e| serde_json::to_vec(e).map_or(0, |v| v.len()))
            .sum();
        best_encode = best_encode.min(start.elapsed().as_secs_f64());
        black_box(bytes);
    }
    assert_eq!(masked, n / 4, "one whole ID in every fourth event");
    println!(
        "scrub_json: {:.0} events/s ({:.2} µs each); serde_json::to_vec of the same events: {:.0} events/s; scrubbing costs {:.2}× encoding",
        n as f64 / best_scrub,
        best_scrub * 1e6 / n as f64,
        n as f64 / best_encode,
        best_scrub / best_encode
    );
}
