//! Grouped count/sum/avg/min/max over a selection, for reports. Metrics are
//! computed in double precision on both dialects and returned as `f64`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;

use crate::db::Dialect;
use crate::error::{Error, Result};
use crate::query::{Selection, from_where_reading};
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

/// The aggregate's SQL around a `FROM documents WHERE …` clause, and the
/// declared types of the keys.
///
/// The typed values are selected in a subquery and aggregated outside it:
/// `SELECT k0, COUNT(*) AS m0, SUM(v1) AS m1 FROM (SELECT <k0> AS k0,
/// CAST(<f> AS REAL) AS v1 FROM documents … LIMIT -1) AS s GROUP BY 1`. On
/// SQLite the `LIMIT -1` keeps the subquery from being flattened, so it
/// runs as a co-routine that reads the declared index alone (the index
/// holds every typed value). Flattened, SQLite's GROUP BY sorter copies the
/// raw `body` column and evaluates the expressions from it, reading and
/// parsing every matching row's JSON (ADR 0011).
#[derive(Debug)]
struct AggregateSql {
    /// `SELECT k0, …, m0, … FROM (SELECT … AS k0, … AS v0, …`
    head: String,
    /// ` LIMIT -1) AS s GROUP BY … ORDER BY …`
    tail: String,
    key_types: Vec<FieldType>,
}

fn aggregate_sql(
    dialect: Dialect,
    spec: &CollectionSpec,
    query: &AggregateQuery,
) -> Result<AggregateSql> {
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
    let mut outer = Vec::new();
    let mut inner = Vec::new();
    let mut key_types = Vec::new();
    for (i, name) in query.group_by.iter().enumerate() {
        let f = spec.field(name)?;
        inner.push(format!("{} AS k{i}", f.typed_expr(dialect)));
        outer.push(format!("k{i}"));
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
            inner.push(format!("CAST({} AS {real}) AS v{i}", f.typed_expr(dialect)));
            format!("{func}(v{i})")
        };
        outer.push(format!("{expr} AS m{i}"));
    }
    if inner.is_empty() {
        // Only COUNT(*) and no keys: the subquery still needs a column.
        inner.push("1 AS one".to_owned());
    }
    let fence = match dialect {
        Dialect::Sqlite => " LIMIT -1",
        Dialect::Postgres => "",
    };
    Ok(AggregateSql {
        head: format!(
            "SELECT {} FROM (SELECT {}",
            outer.join(", "),
            inner.join(", ")
        ),
        tail: format!("{fence}) AS s{}", group_order(key_types.len())),
        key_types,
    })
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
        let AggregateSql {
            head,
            tail,
            key_types,
        } = aggregate_sql(dialect, spec, &query)?;
        let wanted: Vec<&str> = query
            .group_by
            .iter()
            .map(String::as_str)
            .chain(query.metrics.iter().filter_map(|m| m.field.as_deref()))
            .collect();
        let mut sql = from_where_reading(
            dialect,
            scope,
            owner_plugin,
            spec,
            &query.selection,
            &wanted,
        )?;
        sql.text = format!("{head}{}{tail}", sql.text);
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
    use crate::query::from_where;

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
        assert!(aggregate_sql(Dialect::Sqlite, &spec(), &sum_s).is_err());
        let sum_x = agg(
            &[],
            vec![Metric {
                func: AggregateFn::Sum,
                field: Some("x".into()),
            }],
        );
        assert!(
            aggregate_sql(Dialect::Sqlite, &spec(), &sum_x)
                .unwrap_err()
                .to_string()
                .contains("\"x\"")
        );
        let none = agg(&["s"], vec![]);
        assert!(aggregate_sql(Dialect::Sqlite, &spec(), &none).is_err());
        let bad_group = agg(
            &["zz"],
            vec![Metric {
                func: AggregateFn::Count,
                field: None,
            }],
        );
        assert!(aggregate_sql(Dialect::Postgres, &spec(), &bad_group).is_err());
    }

    #[test]
    fn group_by_positions() {
        assert_eq!(group_order(0), "");
        assert_eq!(
            group_order(2),
            " GROUP BY 1, 2 ORDER BY 1 ASC NULLS LAST, 2 ASC NULLS LAST"
        );
        let AggregateSql {
            head,
            tail,
            key_types,
        } = aggregate_sql(
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
        assert!(
            head.starts_with("SELECT k0, AVG(v0) AS m0 FROM (SELECT "),
            "{head}"
        );
        assert!(head.ends_with("AS v0"), "{head}");
        assert_eq!(tail, ") AS s GROUP BY 1 ORDER BY 1 ASC NULLS LAST");
        assert_eq!(key_types, vec![FieldType::String]);
    }

    /// On SQLite a grouped aggregate over a declared index reads the index
    /// alone: the plan evaluates no JSON function (which would mean it
    /// loaded and parsed each row's body). A regression guard for the month
    /// of KPIs in docs/benchmarks.md.
    #[tokio::test]
    async fn sqlite_aggregate_reads_only_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/a.db", dir.path().display());
        let store = crate::Store::open(crate::StoreConfig::new(url, dir.path().join("blobs")))
            .await
            .unwrap();
        let spec = CollectionSpec {
            indexes: vec![vec!["n".into(), "s".into()]],
            ..spec()
        };
        store.ensure_collection("p", &spec).await.unwrap();
        let mut query = agg(
            &["s"],
            vec![
                Metric {
                    func: AggregateFn::Count,
                    field: None,
                },
                Metric {
                    func: AggregateFn::Sum,
                    field: Some("n".into()),
                },
            ],
        );
        query.selection.filters.push(crate::filter::Filter {
            field: "n".into(),
            op: crate::filter::Op::Ge,
            value: serde_json::json!(1),
        });
        let parts = aggregate_sql(Dialect::Sqlite, &spec, &query).unwrap();
        let from = from_where(
            Dialect::Sqlite,
            &Scope::all("p"),
            "p",
            &spec,
            &query.selection,
        )
        .unwrap();
        let text = format!("EXPLAIN {}{}{}", parts.head, from.text, parts.tail);
        let ops = sqlx::query(&text).fetch_all(store.pool()).await.unwrap();
        let functions: Vec<String> = ops
            .iter()
            .filter(|r| r.get::<String, _>("opcode") == "Function")
            .map(|r| r.get::<Option<String>, _>("p4").unwrap_or_default())
            .collect();
        assert!(functions.is_empty(), "{text}\nevaluates {functions:?}");
        assert!(
            ops.iter()
                .any(|r| r.get::<String, _>("opcode") == "AggStep"),
            "{text}"
        );
    }
}
