//! Fuzzes the ID-number scrubber the edge agent applies to everything
//! leaving a hall: arbitrary text never panics it, no valid ID number
//! survives it, and scrubbing twice changes nothing more.

#![no_main]

use bantong_hall_kit::scrub::scrub_text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let once = scrub_text(text).into_owned();
    let twice = scrub_text(&once).into_owned();
    assert_eq!(once, twice, "scrubbing is idempotent");
    let mut value = serde_json::json!({ "t": text, "list": [text] });
    bantong_hall_kit::scrub::scrub_json(&mut value);
    assert_eq!(value["t"], serde_json::json!(once));
});
