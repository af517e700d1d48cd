//! The last line of defence: finds ID numbers in free text and JSON and
//! masks them, so that no resident ID number leaves the hall box.
//!
//! A match is 17 ASCII digits followed by a digit, `X` or `x`, passing the
//! MOD 11-2 checksum, with no ASCII digit right before or after it. The
//! birth date and region code are deliberately not checked: masking an
//! 18-digit order number that happens to pass the checksum (about 1 in 11)
//! costs little, letting a mistyped ID number through costs a lot.
//!
//! Not matched: numbers written with full-width digits (`１１０…`) or split
//! by spaces or dashes.

use std::borrow::Cow;

use serde_json::Value;

use crate::id_number::{ID_LEN, mask, passes_checksum};

/// Replaces every ID number in `text` by its masked form
/// (`110105********002X`); borrows when there is none.
pub fn scrub_text(text: &str) -> Cow<'_, str> {
    scrub_text_counted(text).0
}

/// Like [`scrub_text`], and also says how many ID numbers it masked.
pub fn scrub_text_counted(text: &str) -> (Cow<'_, str>, usize) {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `text` already handled
    let mut count = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // A maximal run of ASCII digits starts at i.
        let run_end = bytes[i..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map_or(bytes.len(), |offset| i + offset);
        let run = run_end - i;
        let end = if run == ID_LEN {
            Some(run_end)
        } else if run == ID_LEN - 1
            && matches!(bytes.get(run_end), Some(&(b'X' | b'x')))
            && !bytes.get(run_end + 1).is_some_and(u8::is_ascii_digit)
        {
            Some(run_end + 1)
        } else {
            None
        };
        match end {
            Some(end) if passes_checksum(&bytes[i..end]) => {
                // All of i..end is ASCII, so both ends are char boundaries.
                let buffer = out.get_or_insert_with(|| String::with_capacity(text.len()));
                buffer.push_str(&text[copied..i]);
                buffer.push_str(&mask(&text[i..end]));
                copied = end;
                count += 1;
                i = end;
            }
            _ => i = run_end,
        }
    }
    match out {
        Some(mut buffer) => {
            buffer.push_str(&text[copied..]);
            (Cow::Owned(buffer), count)
        }
        None => (Cow::Borrowed(text), 0),
    }
}

/// Masks ID numbers in every string and every object key of `value`, at
/// any depth, and returns how many it masked.
///
/// Integers whose 18 digits pass the checksum are replaced by their masked
/// form as a string, since an ID number without `X` fits in a `u64`.
/// If two keys of one object mask to the same text, the later one (in key
/// order) wins. Walks with an explicit stack, so a deeply nested value
/// cannot overflow the call stack.
pub fn scrub_json(value: &mut Value) -> usize {
    let mut count = 0;
    let mut stack: Vec<&mut Value> = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(text) => {
                if let (Cow::Owned(scrubbed), masked) = scrub_text_counted(text) {
                    *text = scrubbed;
                    count += masked;
                }
            }
            Value::Number(number) => {
                let digits = number.to_string();
                if digits.len() == ID_LEN && passes_checksum(digits.as_bytes()) {
                    *value = Value::String(mask(&digits));
                    count += 1;
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => {
                if map
                    .keys()
                    .any(|key| matches!(scrub_text(key), Cow::Owned(_)))
                {
                    for (key, item) in std::mem::take(map) {
                        let (key, masked) = scrub_text_counted(&key);
                        count += masked;
                        map.insert(key.into_owned(), item);
                    }
                }
                stack.extend(map.values_mut());
            }
            Value::Null | Value::Bool(_) => {}
        }
    }
    count
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::id_number::check_char;

    const ID: &str = "11010519491231002X";
    const MASKED: &str = "110105********002X";

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", char::from(check_char(first17.as_bytes())))
    }

    #[test]
    fn text_without_ids_is_borrowed() {
        let text = "办通政务服务中心 取号 A012 电话 13812345678";
        assert!(matches!(scrub_text(text), Cow::Borrowed(_)));
        assert!(matches!(scrub_text(""), Cow::Borrowed(_)));
    }

    #[test]
    fn ids_in_chinese_text_are_masked() {
        let other = with_check("44030519880214123");
        let text = format!("申请人{ID}，代办人身份证号：{other}。请核对");
        let (scrubbed, count) = scrub_text_counted(&text);
        assert_eq!(count, 2);
        assert_eq!(
            scrubbed,
            format!("申请人{MASKED}，代办人身份证号：{}。请核对", mask(&other))
        );
        assert!(mask(&other).starts_with("440305********"));
        assert!(!scrubbed.contains(ID));
        assert!(!scrubbed.contains(&other));
    }

    #[test]
    fn whole_string_and_lower_case_x() {
        assert_eq!(scrub_text(ID), MASKED);
        assert_eq!(scrub_text("11010519491231002x"), "110105********002x");
        // The first is followed by a digit; the second follows an X.
        assert_eq!(scrub_text(&format!("{ID}{ID}")), format!("{ID}{MASKED}"));
        assert_eq!(
            scrub_text(&format!("{ID} {ID}")),
            format!("{MASKED} {MASKED}")
        );
    }

    #[test]
    fn adjacent_digits_prevent_a_match() {
        let id = with_check("32010219900615123");
        // 19- and 20-digit runs are not ID numbers.
        assert_eq!(scrub_text(&format!("9{id}")), format!("9{id}"));
        assert_eq!(scrub_text(&format!("{id}9")), format!("{id}9"));
        // A digit right after the X.
        assert_eq!(scrub_text(&format!("{ID}7")), format!("{ID}7"));
        // Letters and punctuation around it do not.
        assert_eq!(
            scrub_text(&format!("ID:{id};")),
            format!("ID:{};", mask(&id))
        );
        assert_eq!(scrub_text(&format!("a{ID}b")), format!("a{MASKED}b"));
    }

    #[test]
    fn invalid_checksums_are_left_alone() {
        let text = "单号110105194912310021和123456789012345678";
        assert_eq!(scrub_text(text), text);
    }

    #[test]
    fn checksum_is_enough_even_with_an_impossible_date() {
        let odd = with_check("11010519499999002");
        assert_eq!(scrub_text(&odd), mask(&odd));
    }

    #[test]
    fn json_strings_keys_and_numbers_at_any_depth() {
        let numeric = with_check("32010219900615123");
        assert!(numeric.bytes().all(|b| b.is_ascii_digit()));
        let mut value = json!({
            "name": "张三",
            "cert": ID,
            "remarks": [format!("本人{ID}"), ["nested", {"deep": [ID]}], 42, null, true],
            (ID): {"count": 1},
            "as_number": numeric.parse::<u64>().unwrap(),
            "ok": "110105194912310021",
        });
        let count = scrub_json(&mut value);
        assert_eq!(count, 5);
        assert_eq!(
            value,
            json!({
                "name": "张三",
                "cert": MASKED,
                "remarks": [format!("本人{MASKED}"), ["nested", {"deep": [MASKED]}], 42, null, true],
                (MASKED): {"count": 1},
                "as_number": mask(&numeric),
                "ok": "110105194912310021",
            })
        );
        let text = value.to_string();
        assert!(!text.contains(ID) && !text.contains(&numeric));
        // Idempotent.
        assert_eq!(scrub_json(&mut value), 0);
    }

    #[test]
    fn deep_json_does_not_overflow_the_stack() {
        let mut value = Value::String(ID.to_owned());
        for _ in 0..100_000 {
            value = Value::Array(vec![value]);
        }
        assert_eq!(scrub_json(&mut value), 1);
        // Dropping a deeply nested Value recurses in serde_json; unwind it
        // iteratively here so the test itself does not overflow.
        let mut current = value;
        loop {
            match current {
                Value::Array(mut items) if !items.is_empty() => current = items.remove(0),
                Value::String(text) => {
                    assert_eq!(text, MASKED);
                    break;
                }
                other => panic!("unexpected {other}"),
            }
        }
    }
}
