//! Filters: one condition on a metadata or declared field, compiled to SQL
//! that compares the value as the field's declared type. Values are always
//! bound parameters.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::Dialect;
use crate::error::{Error, Result};
use crate::spec::{FieldRef, FieldType};
use crate::sql::{Bind, Sql};

/// Most values in one `any-of` filter.
const MAX_ANY_OF: usize = 1000;

/// Comparison used by a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    Eq,
    /// Also matches documents where the field is absent.
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `value` is a JSON array; matches any element.
    AnyOf,
    /// Text field starts with `value` (case-sensitive).
    Prefix,
    /// Text field contains `value` (case-sensitive).
    Contains,
    /// `value` is ignored; matches when the field is absent or null.
    IsNull,
}

/// One condition; all filters of a selection must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    pub field: String,
    pub op: Op,
    #[serde(default)]
    pub value: Value,
}

pub(crate) fn push_filter(
    dialect: Dialect,
    q: &mut Sql,
    field: &FieldRef,
    filter: &Filter,
) -> Result<()> {
    let e = field.typed_expr(dialect);
    let name = &field.name;
    match filter.op {
        Op::IsNull => {
            q.push(&field.is_null_expr(dialect));
        }
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            if field.ty == FieldType::Bool && !matches!(filter.op, Op::Eq | Op::Ne) {
                return Err(Error::invalid(format!(
                    "field {name:?} is a bool; only eq, ne, any-of and is-null apply"
                )));
            }
            let p = q.param(bind_value(field, &filter.value)?);
            let text = match filter.op {
                Op::Eq => format!("{e} = {p}"),
                Op::Ne => format!("({e} IS NULL OR {e} <> {p})"),
                Op::Lt => format!("{e} < {p}"),
                Op::Le => format!("{e} <= {p}"),
                Op::Gt => format!("{e} > {p}"),
                _ => format!("{e} >= {p}"),
            };
            q.push(&text);
        }
        Op::AnyOf => {
            let Value::Array(items) = &filter.value else {
                return Err(Error::invalid(format!(
                    "any-of on {name:?} needs a JSON array"
                )));
            };
            if items.len() > MAX_ANY_OF {
                return Err(Error::invalid(format!(
                    "any-of takes at most {MAX_ANY_OF} values"
                )));
            }
            if items.is_empty() {
                q.push("1 = 0");
                return Ok(());
            }
            let mut ps = Vec::with_capacity(items.len());
            for item in items {
                ps.push(q.param(bind_value(field, item)?));
            }
            q.push(&format!("{e} IN ({})", ps.join(", ")));
        }
        Op::Prefix | Op::Contains => {
            if field.ty != FieldType::String {
                return Err(Error::invalid(format!(
                    "prefix and contains need a string field; {name:?} is not"
                )));
            }
            let p = q.param(bind_value(field, &filter.value)?);
            let text = match (filter.op, dialect) {
                (Op::Prefix, _) => format!("substr({e}, 1, length({p})) = {p}"),
                (_, Dialect::Sqlite) => format!("instr({e}, {p}) > 0"),
                (_, Dialect::Postgres) => format!("strpos({e}, {p}) > 0"),
            };
            q.push(&text);
        }
    }
    Ok(())
}

/// Converts a filter value to a bound value of the field's declared type.
pub(crate) fn bind_value(field: &FieldRef, value: &Value) -> Result<Bind> {
    let wrong = || {
        Error::invalid(format!(
            "field {:?} is declared {:?}; value {value} does not fit",
            field.name, field.ty
        ))
    };
    match field.ty {
        FieldType::String => value.as_str().map(Bind::from).ok_or_else(wrong),
        FieldType::Bool => value.as_bool().map(Bind::Bool).ok_or_else(wrong),
        FieldType::Number => match value {
            Value::Number(n) if field.is_column() && n.as_i64().is_some() => {
                Ok(Bind::Int(n.as_i64().unwrap_or_default()))
            }
            Value::Number(n) => n.as_f64().map(Bind::Float).ok_or_else(wrong),
            _ => Err(wrong()),
        },
        FieldType::Timestamp => {
            let ms = match value {
                Value::Number(n) => n.as_i64().ok_or_else(wrong)?,
                Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                    .map_err(|_| wrong())?
                    .timestamp_millis(),
                _ => return Err(wrong()),
            };
            Ok(if field.is_column() {
                Bind::Int(ms)
            } else {
                Bind::Float(ms as f64)
            })
        }
    }
}
