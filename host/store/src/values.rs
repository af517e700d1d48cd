//! Turning database values into JSON and back without losing their kind:
//! integers stay integers, text stays text, NULL becomes null.

use serde_json::{Number, Value};
use sqlx::any::{AnyRow, AnyTypeInfoKind};
use sqlx::{Row, ValueRef as _};

use crate::error::{Error, Result};

/// Key used to carry binary column values through JSON.
pub(crate) const HEX_KEY: &str = "$hex";

/// Reads column `idx` of `row` as JSON according to the value's own type.
pub(crate) fn column_json(row: &AnyRow, idx: usize) -> Result<Value> {
    let raw = row.try_get_raw(idx)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let kind = raw.type_info().kind();
    Ok(match kind {
        AnyTypeInfoKind::Null => Value::Null,
        AnyTypeInfoKind::Bool => Value::Bool(row.try_get::<bool, _>(idx)?),
        AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
            Value::from(row.try_get::<i64, _>(idx)?)
        }
        AnyTypeInfoKind::Real | AnyTypeInfoKind::Double => float_json(row.try_get::<f64, _>(idx)?),
        AnyTypeInfoKind::Text => Value::String(row.try_get::<String, _>(idx)?),
        AnyTypeInfoKind::Blob => {
            let bytes: Vec<u8> = row.try_get(idx)?;
            let mut m = serde_json::Map::new();
            m.insert(HEX_KEY.to_owned(), Value::String(hex::encode(bytes)));
            Value::Object(m)
        }
    })
}

/// A float as JSON; non-finite values (which JSON cannot hold) become null.
pub(crate) fn float_json(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// A float that holds a whole number becomes a JSON integer, so both
/// dialects report `3` rather than `3.0` for the same stored value.
pub(crate) fn normalize_number(v: Value) -> Value {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                // Exact: |f| < 2^53 and integral.
                Value::from(f as i64)
            }
            _ => Value::Number(n),
        },
        other => other,
    }
}

/// SQLite reports booleans as 0/1; turn them back into JSON booleans.
pub(crate) fn normalize_bool(v: Value) -> Value {
    match v {
        Value::Number(n) => Value::Bool(n.as_i64().unwrap_or(0) != 0),
        other => other,
    }
}

/// Reads a required integer column.
pub(crate) fn int(row: &AnyRow, name: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(name)?)
}

/// Reads a nullable integer column.
pub(crate) fn opt_int(row: &AnyRow, name: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(name)?)
}

/// Reads a required text column.
pub(crate) fn text(row: &AnyRow, name: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(name)?)
}

/// Reads a nullable text column.
pub(crate) fn opt_text(row: &AnyRow, name: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(name)?)
}

/// Reads a JSON text column and parses it.
pub(crate) fn json(row: &AnyRow, name: &str) -> Result<Value> {
    let s = text(row, name)?;
    serde_json::from_str(&s)
        .map_err(|e| Error::Corrupt(format!("column {name} holds bad JSON: {e}")))
}

/// Converts a stored non-negative integer (versions, counts) to `u64`.
pub(crate) fn unsigned(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::Corrupt(format!("negative {what}: {v}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_floats_become_integers() {
        assert_eq!(normalize_number(json!(3.0)), json!(3));
        assert_eq!(normalize_number(json!(2.5)), json!(2.5));
        assert_eq!(normalize_number(json!(7)), json!(7));
        assert_eq!(normalize_number(json!("x")), json!("x"));
        assert_eq!(normalize_bool(json!(1)), json!(true));
        assert_eq!(normalize_bool(json!(0)), json!(false));
        assert_eq!(float_json(f64::NAN), Value::Null);
    }
}
