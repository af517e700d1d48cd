//! Fuzzes the service catalogue's spreadsheet import: the bytes a district
//! administrator uploads as `.xlsx` (`catalogue::workbook::catalogue`, the
//! ZIP container, the sheet XML and every cell through `sheet::parse`).
//! No input panics; a workbook that is accepted holds a catalogue with no
//! problems, which the JSON form accepts again.

#![no_main]

use bantong_hall_kit::catalogue::Catalogue;
use bantong_hall_kit::catalogue::workbook;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match workbook::catalogue(data) {
        Ok(c) => {
            assert!(c.problems().is_empty(), "an accepted catalogue has no problems");
            let json = serde_json::to_string(&c).expect("a catalogue serialises");
            assert_eq!(Catalogue::from_json(&json).expect("accepted again"), c);
        }
        Err(problems) => assert!(!problems.is_empty(), "a refusal names a problem"),
    }
});
