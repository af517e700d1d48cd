//! Grouped count/sum/avg/min/max over a selection, for reports. Metrics are
//! computed in double precision on both dialects and returned as `f64`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;

use crate::db::Dialect;
use crate::error::{Error, Result};
use crate::query::{Selection, from_where};
use crate::scope::Scope;
use crate::spec::{CollectionSpec, FieldType};
use crate::uow::UnitOfWork;
use crate::values;

/// Most group-by fields.
const MAX_GROUP_BY: usize = 8;
/// Most metrics in one aggregate.
const MAX_METRICS: usize = 16;
/// Most groups one aggregate may return.
pub const MAX_GROUPS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AggregateFn {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

/// One metric; `field` is a numeric field and ignored for `count`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metric {
    pub func: AggregateFn,
    #[serde(default)]
    pub field: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AggregateQuery {
    pub selection: Selection,
    /// Empty means one group over everything.
    #[serde(default)]
    pub group_by: Vec<String>,
    pub metrics: Vec<Metric>,
}

/// One group of an aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Values of the group-by fields in `group_by` order (null when absent).
    pub keys: Vec<Value>,
    /// One value per metric; `None` for an empty set.
    pub values: Vec<Option<f64>>,
}

/// The SELECT list, GROUP BY and the declared types of the keys.
fn select_list(
    dialect: Dialect,
    spec: &CollectionSpec,
    query: &AggregateQuery,
) -> Result<(String, Vec<FieldType>)> {
    if query.group_by.len() > MAX_GROUP_BY {
        return Err(Error::invalid(format!(
            "at most {MAX_GROUP_BY} group-by fields"
        )));
    }
    if query.metrics.is_empty() || query.metrics.len() > MAX_METRICS {
        return Err(Error::invalid(format!(
            "an aggregate needs 1 to {MAX_METRICS} metrics"
        )));
    }
    let real = match dialect {
        Dialect::Sqlite => "REAL",
        Dialect::Postgres => "double precision",
    };
    let mut cols = Vec::new();
    let mut key_types = Vec::new();
    for (i, name) in query.group_by.iter().enumerate() {
        let f = spec.field(name)?;
        cols.push(format!("{} AS k{i}", f.typed_expr(dialect)));
        key_types.push(f.ty);
    }
    for (i, m) in query.metrics.iter().enumerate() {
        let expr = if m.func == AggregateFn::Count {
            "COUNT(*)".to_owned()
        } else {
            let name = m
                .field
                .as_deref()
                .ok_or_else(|| Error::invalid(format!("{:?} needs a field", m.func)))?;
            let f = spec.field(name)?;
            if !matches!(f.ty, FieldType::Number | FieldType::Timestamp) {
                return Err(Error::invalid(format!("field {name:?} is not numeric")));
            }
            let func = match m.func {
                AggregateFn::Sum => "SUM",
                AggregateFn::Avg => "AVG",
                AggregateFn::Min => "MIN",
                _ => "MAX",
            };
            format!("{func}(CAST({} AS {real}))", f.typed_expr(dialect))
        };
        cols.push(format!("{expr} AS m{i}"));
    }
    Ok((format!("SELECT {}", cols.join(", ")), key_types))
}

/// `GROUP BY 1, 2 ORDER BY 1 ASC NULLS LAST, 2 ASC NULLS LAST`.
fn group_order(n: usize) -> String {
    if n == 0 {
        return String::new();
    }
    let pos: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    let order: Vec<String> = pos.iter().map(|p| format!("{p} ASC NULLS LAST")).collect();
    format!(" GROUP BY {} ORDER BY {}", pos.join(", "), order.join(", "))
}

impl UnitOfWork {
    /// Grouped metrics over `owner_plugin`'s collection with the caller's
    /// hall scope. Groups come back ordered by their keys.
    pub async fn aggregate(
        &mut self,
        scope: &Scope,
        owner_plugin: &str,
        spec: &CollectionSpec,
        query: AggregateQuery,
    ) -> Result<Vec<Group>> {
        let dialect = self.dialect();
        let (select, key_types) = select_list(dialect, spec, &query)?;
        let mut sql = from_where(dialect, scope, owner_plugin, spec, &query.selection)?;
        sql.text = format!("{select}{}{}", sql.text, group_order(key_types.len()));
        sql.push(" LIMIT ")
            .bind(i64::try_from(MAX_GROUPS + 1).unwrap_or(i64::MAX));
        let rows = self.read_all(&sql).await?;
        if rows.len() > MAX_GROUPS {
            return Err(Error::invalid(format!(
                "the aggregate has more than {MAX_GROUPS} groups; narrow it"
            )));
        }
        let mut groups = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut keys = Vec::with_capacity(key_types.len());
            for (i, ty) in key_types.iter().enumerate() {
                let v = values::column_json(row, i)?;
                keys.push(match ty {
                    FieldType::Bool => values::normalize_bool(v),
                    FieldType::Number | FieldType::Timestamp => values::normalize_number(v),
                    FieldType::String => v,
                });
            }
            let mut vals = Vec::with_capacity(query.metrics.len());
            for (i, m) in query.metrics.iter().enumerate() {
                let name = format!("m{i}");
                vals.push(if m.func == AggregateFn::Count {
                    Some(row.try_get::<i64, _>(name.as_str())? as f64)
                } else {
                    row.try_get::<Option<f64>, _>(name.as_str())?
                });
            }
            groups.push(Group { keys, values: vals });
        }
        Ok(groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CollectionSpec {
        CollectionSpec {
            name: "c".into(),
            fields: [
                ("n".to_owned(), FieldType::Number),
                ("s".to_owned(), FieldType::String),
            ]
            .into_iter()
            .collect(),
            indexes: vec![],
        }
    }

    fn agg(group_by: &[&str], metrics: Vec<Metric>) -> AggregateQuery {
        AggregateQuery {
            selection: Selection {
                collection: "c".into(),
                ..Selection::default()
            },
            group_by: group_by.iter().map(|s| (*s).to_owned()).collect(),
            metrics,
        }
    }

    #[test]
    fn metrics_need_numeric_declared_fields() {
        let sum_s = agg(
            &[],
            vec![Metric {
                func: AggregateFn::Sum,
                field: Some("s".into()),
            }],
        );
        assert!(select_list(Dialect::Sqlite, &spec(), &sum_s).is_err());
        let sum_x = agg(
            &[],
            vec![Metric {
                func: AggregateFn::Sum,
                field: Some("x".into()),
            }],
        );
        assert!(
            select_list(Dialect::Sqlite, &spec(), &sum_x)
                .unwrap_err()
                .to_string()
                .contains("\"x\"")
        );
        let none = agg(&["s"], vec![]);
        assert!(select_list(Dialect::Sqlite, &spec(), &none).is_err());
        let bad_group = agg(
            &["zz"],
            vec![Metric {
                func: AggregateFn::Count,
                field: None,
            }],
        );
        assert!(select_list(Dialect::Postgres, &spec(), &bad_group).is_err());
    }

    #[test]
    fn group_by_positions() {
        assert_eq!(group_order(0), "");
        assert_eq!(
            group_order(2),
            " GROUP BY 1, 2 ORDER BY 1 ASC NULLS LAST, 2 ASC NULLS LAST"
        );
        let (sql, types) = select_list(
            Dialect::Postgres,
            &spec(),
            &agg(
                &["s"],
                vec![Metric {
                    func: AggregateFn::Avg,
                    field: Some("n".into()),
                }],
            ),
        )
        .unwrap();
        assert!(sql.contains("AVG(CAST("), "{sql}");
        assert_eq!(types, vec![FieldType::String]);
    }
}
