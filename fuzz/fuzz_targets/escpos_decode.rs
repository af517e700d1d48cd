//! Fuzzes the ESC/POS decoder (what the receipt-printer simulator and the
//! tests read printed bytes with): arbitrary bytes never panic it, and the
//! text of whatever it accepts prints again to the same words.

#![no_main]

use bantong_hall_kit::escpos::{Receipt, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(decoded) = decode(data) else {
        return;
    };
    // Re-printing each line (wide enough not to wrap) keeps its text.
    let mut r = Receipt::new().columns(4096);
    for line in &decoded.lines {
        r = r.line(&line.text);
    }
    let again = decode(&r.to_bytes()).expect("a built receipt decodes");
    let words = |d: &bantong_hall_kit::Decoded| -> String {
        d.lines.iter().map(|l| l.text.as_str()).collect::<String>().split_whitespace().collect()
    };
    assert_eq!(words(&again), words(&decoded), "the text survives a reprint");
});
