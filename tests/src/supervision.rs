//! Helpers for tests that seed the supervision module.

use serde_json::{Value, json};

/// Every item code of the default checklist (附件2), in order.
pub const ITEMS: [&str; 22] = [
    "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "5.1",
    "5.2", "5.3", "6.1", "6.2", "7.1", "7.2", "8.1", "8.2", "9.1",
];

/// Items that need no photo when they fail.
pub const FAILS_WITHOUT_PHOTO: [&str; 3] = ["4.2", "1.4", "3.1"];

/// A visit's answers: every item 合格 except the first `k` of
/// [`FAILS_WITHOUT_PHOTO`], each failed once with a note.
pub fn answers(k: usize) -> Value {
    let mut m = serde_json::Map::new();
    for c in ITEMS {
        m.insert(c.into(), json!({ "verdict": "pass" }));
    }
    for code in FAILS_WITHOUT_PHOTO.iter().take(k) {
        m.insert(
            (*code).into(),
            json!({ "verdict": "fail", "occurrences": 1, "note": format!("检查项{code}不合格") }),
        );
    }
    Value::Object(m)
}
