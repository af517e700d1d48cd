//! Fuzzes what plugins and administrators hand the district's shared
//! foundations as JSON: a document description (`Document::from_json`,
//! which a plugin's `documents.render` call passes untrusted) and a year's
//! holiday arrangement (`Arrangement::from_json`, from the portal). Neither
//! panics on any bytes; what a check accepts round-trips through JSON and
//! is accepted again; a calendar built from an accepted arrangement keeps
//! its days off off and its make-up days working.

#![no_main]

use bantong_hall_kit::calendar::{Arrangement, Calendar};
use bantong_hall_kit::document::Document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(doc) = Document::from_json(text) {
        let again = serde_json::to_string(&doc).expect("a document serialises");
        assert!(Document::from_json(&again).is_ok(), "accepted twice");
    }
    if let Ok(a) = Arrangement::from_json(text) {
        let days = a.days().expect("an accepted arrangement has days");
        let mut calendar = Calendar::default();
        calendar.with_arrangement(&days);
        // The calendar says of each day what the arrangement said.
        assert!(days.holidays.iter().all(|d| !calendar.is_working_day(*d)));
        assert!(days.workdays.iter().all(|d| calendar.is_working_day(*d)));
    }
});
