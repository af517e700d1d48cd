//! Canonical JSON: compact, object keys sorted by UTF-8 bytes, so equal values give equal bytes.
//!
//! The output does not depend on serde_json's `preserve_order` feature (which
//! another crate in a build may switch on): keys are sorted here explicitly.
//! Strings use serde_json's escaping and numbers its shortest round-trip form.

use serde_json::Value;

/// Encodes `value` canonically.
pub fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write(item, out);
            }
            out.push(b'}');
        }
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // Serialising a string into a Vec cannot fail; fall back to an escaped
    // debug form only to stay panic-free.
    match serde_json::to_vec(s) {
        Ok(bytes) => out.extend_from_slice(&bytes),
        Err(_) => out.extend_from_slice(format!("{s:?}").as_bytes()),
    }
}

/// Whether `value` holds a `null` anywhere.
pub fn contains_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(contains_null),
        Value::Object(map) => map.values().any(contains_null),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_level() {
        let value = json!({"b": 1, "a": {"z": [true, null, "x"], "é": 1.5, "A": -2}});
        assert_eq!(
            String::from_utf8(to_vec(&value)).unwrap(),
            r#"{"a":{"A":-2,"z":[true,null,"x"],"é":1.5},"b":1}"#
        );
    }

    #[test]
    fn strings_are_escaped() {
        let value = json!({"k\"ey": "line\nbreak \u{1}"});
        assert_eq!(
            String::from_utf8(to_vec(&value)).unwrap(),
            r#"{"k\"ey":"line\nbreak \u0001"}"#
        );
        let back: Value = serde_json::from_slice(&to_vec(&value)).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn nulls_are_found() {
        assert!(contains_null(&json!({"a": [1, {"b": null}]})));
        assert!(!contains_null(&json!({"a": [1, {"b": 0}]})));
    }
}
