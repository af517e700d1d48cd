//! Filtered, sorted, paginated reads over one collection. Only metadata and
//! declared fields may be used; values are always bound parameters and are
//! compared as the field's declared type.

use serde::{Deserialize, Serialize};

use crate::db::Dialect;
use crate::documents::{Document, document_from_row, select_columns};
use crate::error::{Error, Result};
use crate::filter::{Filter, Op, push_filter};
use crate::scope::Scope;
use crate::spec::CollectionSpec;
use crate::sql::{self, Sql};
use crate::uow::UnitOfWork;
use crate::values;

/// Default page size when a query asks for 0.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size.
pub const MAX_LIMIT: u32 = 1000;
/// Most filters or sort keys in one query.
const MAX_TERMS: usize = 32;

/// Where a query or aggregate reads from and what it keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub collection: String,
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// Narrow to these halls (district-level documents are then excluded);
    /// the caller's scope always applies on top.
    #[serde(default)]
    pub halls: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

/// One sort key. Absent values sort last in either direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortKey {
    pub field: String,
    #[serde(default)]
    pub direction: Direction,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub selection: Selection,
    #[serde(default)]
    pub sort: Vec<SortKey>,
    #[serde(default)]
    pub offset: u32,
    /// 0 means [`DEFAULT_LIMIT`]; more than [`MAX_LIMIT`] is invalid.
    #[serde(default)]
    pub limit: u32,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub items: Vec<Document>,
    /// Documents matching, ignoring offset and limit.
    pub total: u64,
}

/// Builds `FROM documents WHERE ...` for a selection. Plugin and collection
/// are validated names and inlined as literals so the planner can match the
/// partial indexes; every filter value is bound.
pub(crate) fn from_where(
    dialect: Dialect,
    scope: &Scope,
    owner_plugin: &str,
    spec: &CollectionSpec,
    selection: &Selection,
) -> Result<Sql> {
    from_where_reading(dialect, scope, owner_plugin, spec, selection, &[])
}

/// [`from_where`] for a statement that reads `wanted` fields besides the
/// filtered ones: among the indexes that serve the filters equally well,
/// SQLite is pointed at one holding all of them (it then never reads a
/// row's JSON).
pub(crate) fn from_where_reading(
    dialect: Dialect,
    scope: &Scope,
    owner_plugin: &str,
    spec: &CollectionSpec,
    selection: &Selection,
    wanted: &[&str],
) -> Result<Sql> {
    sql::check_plugin_id(owner_plugin)?;
    sql::check_collection(&spec.name)?;
    if selection.collection != spec.name {
        return Err(Error::invalid(format!(
            "selection names collection {:?} but the spec is for {:?}",
            selection.collection, spec.name
        )));
    }
    if selection.filters.len() > MAX_TERMS {
        return Err(Error::invalid(format!("at most {MAX_TERMS} filters")));
    }
    let hint = match (dialect, index_for(spec, &selection.filters, wanted)) {
        (Dialect::Sqlite, Some(fields)) => format!(
            " INDEXED BY {}",
            sql::ident(&crate::spec::index_name(
                dialect,
                owner_plugin,
                spec,
                fields
            )?)?
        ),
        _ => String::new(),
    };
    let mut q = Sql::new(format!(
        " FROM documents{hint} WHERE plugin = {} AND collection = {}",
        sql::literal(owner_plugin),
        sql::literal(&spec.name)
    ));
    scope
        .halls
        .push_read_filter(&mut q, selection.halls.as_deref());
    for filter in &selection.filters {
        let field = spec.field(&filter.field)?;
        q.push(" AND ");
        push_filter(dialect, &mut q, &field, filter)?;
    }
    Ok(q)
}

/// The declared index that serves `filters` best, for SQLite's `INDEXED
/// BY`: the most leading fields compared with `eq`/`any-of`, then one more
/// with a range; on a tie, an index that holds every `wanted` field (it
/// covers the statement), then the longer index, then the first declared. `None` when no index starts with a filtered
/// field. SQLite's planner cannot be trusted here: with fresh statistics
/// it still preferred the table's `(plugin, collection, …)` indexes, which
/// scan a plugin's whole collection, over a declared partial index that
/// reads only the range asked for.
fn index_for<'a>(
    spec: &'a CollectionSpec,
    filters: &[Filter],
    wanted: &[&str],
) -> Option<&'a [String]> {
    let op_on = |field: &str, ops: &[Op]| {
        filters
            .iter()
            .any(|f| f.field == field && ops.contains(&f.op))
    };
    let score = |fields: &[String]| {
        let mut score = 0u32;
        for field in fields {
            if op_on(field, &[Op::Eq, Op::AnyOf]) {
                score += 2;
            } else {
                if op_on(field, &[Op::Lt, Op::Le, Op::Gt, Op::Ge]) {
                    score += 1;
                }
                break;
            }
        }
        score
    };
    let covers = |fields: &[String]| wanted.iter().all(|w| fields.iter().any(|f| f == w));
    // Highest score, then covering, then the longer index; `max_by_key`
    // keeps the last of equals, so walking backwards keeps the first
    // declared.
    spec.indexes
        .iter()
        .rev()
        .map(|fields| ((score(fields), covers(fields), fields.len()), fields))
        .filter(|((score, _, _), _)| *score > 0)
        .max_by_key(|(key, _)| *key)
        .map(|(_, fields)| fields.as_slice())
}

/// `ORDER BY` for the sort keys, with `id` as the final tiebreak.
fn order_by(dialect: Dialect, spec: &CollectionSpec, sort: &[SortKey]) -> Result<String> {
    if sort.len() > MAX_TERMS {
        return Err(Error::invalid(format!("at most {MAX_TERMS} sort keys")));
    }
    let mut parts = Vec::with_capacity(sort.len() + 1);
    for key in sort {
        let e = spec.field(&key.field)?.typed_expr(dialect);
        let dir = match key.direction {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        };
        parts.push(format!("{e} {dir} NULLS LAST"));
    }
    parts.push("id ASC".to_owned());
    Ok(format!(" ORDER BY {}", parts.join(", ")))
}

impl UnitOfWork {
    /// Filtered, sorted, paginated read of `owner_plugin`'s collection with
    /// the caller's hall scope.
    pub async fn query(
        &mut self,
        scope: &Scope,
        owner_plugin: &str,
        spec: &CollectionSpec,
        query: Query,
    ) -> Result<Page> {
        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            n if n > MAX_LIMIT => {
                return Err(Error::invalid(format!(
                    "limit {n} is above the maximum of {MAX_LIMIT}"
                )));
            }
            n => n,
        };
        let dialect = self.dialect();
        let base = from_where(dialect, scope, owner_plugin, spec, &query.selection)?;
        let order = order_by(dialect, spec, &query.sort)?;

        let count = Sql {
            text: format!("SELECT COUNT(*) AS n{}", base.text),
            binds: base.binds.clone(),
        };
        let total = match self.read_optional(&count).await? {
            Some(row) => values::unsigned(values::int(&row, "n")?, "count")?,
            None => 0,
        };

        let mut items_sql = Sql {
            text: format!("SELECT {}{}{}", select_columns(dialect), base.text, order),
            binds: base.binds,
        };
        items_sql
            .push(" LIMIT ")
            .bind(i64::from(limit))
            .push(" OFFSET ")
            .bind(i64::from(query.offset));
        let rows = self.read_all(&items_sql).await?;
        let items = rows
            .iter()
            .map(document_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::bind_value;
    use crate::spec::FieldType;
    use crate::sql::Bind;
    use serde_json::json;

    #[test]
    fn sqlite_is_told_which_declared_index_serves_the_filters() {
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let spec = CollectionSpec {
            name: "orders".into(),
            fields: [
                ("due_ms", FieldType::Timestamp),
                ("merged", FieldType::Number),
                ("lead", FieldType::String),
                ("state", FieldType::String),
            ]
            .into_iter()
            .map(|(f, t)| (f.to_owned(), t))
            .collect(),
            indexes: vec![
                strings(&["due_ms"]),
                strings(&["due_ms", "merged", "lead"]),
                strings(&["state", "due_ms"]),
                strings(&["lead", "state"]),
                strings(&["state", "due_ms", "lead", "merged", "a", "b"]),
                strings(&["state", "due_ms", "lead", "c"]),
            ],
        };
        let f = |field: &str, op| Filter {
            field: field.into(),
            op,
            value: json!(1),
        };
        // A range on the first field: the longer index (it may cover).
        assert_eq!(
            index_for(&spec, &[f("due_ms", Op::Ge), f("due_ms", Op::Lt)], &[]),
            Some(strings(&["due_ms", "merged", "lead"]).as_slice())
        );
        // Equality first, then the range; the longest such index...
        let eq_range = [f("due_ms", Op::Le), f("state", Op::AnyOf)];
        assert_eq!(
            index_for(&spec, &eq_range, &[]),
            Some(strings(&["state", "due_ms", "lead", "merged", "a", "b"]).as_slice())
        );
        // ...unless a shorter one holds every field the statement reads.
        assert_eq!(
            index_for(&spec, &eq_range, &["lead", "c"]),
            Some(strings(&["state", "due_ms", "lead", "c"]).as_slice())
        );
        assert_eq!(
            index_for(&spec, &[f("lead", Op::Eq), f("state", Op::Eq)], &[]),
            Some(strings(&["lead", "state"]).as_slice())
        );
        // Nothing usable: no hint.
        assert_eq!(index_for(&spec, &[f("merged", Op::Eq)], &[]), None);
        assert_eq!(index_for(&spec, &[f("lead", Op::Contains)], &[]), None);
        assert_eq!(index_for(&spec, &[], &[]), None);
        let scope = Scope::all("hotline");
        let selection = Selection {
            collection: "orders".into(),
            filters: vec![f("due_ms", Op::Ge)],
            halls: None,
        };
        let lite = from_where(Dialect::Sqlite, &scope, "hotline", &spec, &selection).unwrap();
        assert!(
            lite.text
                .starts_with(" FROM documents INDEXED BY \"bt_doc_hotline_orders_"),
            "{}",
            lite.text
        );
        let pg = from_where(Dialect::Postgres, &scope, "hotline", &spec, &selection).unwrap();
        assert!(pg.text.starts_with(" FROM documents WHERE"), "{}", pg.text);
    }

    fn spec() -> CollectionSpec {
        CollectionSpec {
            name: "orders".into(),
            fields: [
                ("status".to_owned(), FieldType::String),
                ("total".to_owned(), FieldType::Number),
                ("paid".to_owned(), FieldType::Bool),
                ("due".to_owned(), FieldType::Timestamp),
            ]
            .into_iter()
            .collect(),
            indexes: vec![],
        }
    }

    fn select(filters: Vec<Filter>) -> Selection {
        Selection {
            collection: "orders".into(),
            filters,
            halls: None,
        }
    }

    #[test]
    fn values_are_bound_never_inlined() {
        let f = Filter {
            field: "status".into(),
            op: Op::Eq,
            value: json!("x' OR '1'='1"),
        };
        let q = from_where(
            Dialect::Sqlite,
            &Scope::all("p"),
            "p",
            &spec(),
            &select(vec![f]),
        )
        .unwrap();
        assert!(!q.text.contains("OR '1'"), "{}", q.text);
        assert_eq!(q.binds, vec![Bind::Text("x' OR '1'='1".into())]);
    }

    #[test]
    fn unknown_fields_are_named_in_the_error() {
        let f = Filter {
            field: "secret".into(),
            op: Op::Eq,
            value: json!(1),
        };
        let err = from_where(
            Dialect::Postgres,
            &Scope::all("p"),
            "p",
            &spec(),
            &select(vec![f]),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(m) if m.contains("\"secret\"")),
            "{err}"
        );
        let err = order_by(
            Dialect::Sqlite,
            &spec(),
            &[SortKey {
                field: "nope".into(),
                direction: Direction::Asc,
            }],
        )
        .unwrap_err();
        assert!(err.to_string().contains("nope"));
    }

    #[test]
    fn values_must_fit_the_declared_type() {
        let s = spec();
        assert!(bind_value(&s.field("total").unwrap(), &json!("ten")).is_err());
        assert!(bind_value(&s.field("paid").unwrap(), &json!(1)).is_err());
        assert_eq!(
            bind_value(&s.field("_version").unwrap(), &json!(2)).unwrap(),
            Bind::Int(2)
        );
        assert_eq!(
            bind_value(&s.field("total").unwrap(), &json!(2)).unwrap(),
            Bind::Float(2.0)
        );
        assert_eq!(
            bind_value(
                &s.field("_created").unwrap(),
                &json!("1970-01-01T00:00:01Z")
            )
            .unwrap(),
            Bind::Int(1000)
        );
        let lt_bool = Filter {
            field: "paid".into(),
            op: Op::Lt,
            value: json!(true),
        };
        assert!(
            from_where(
                Dialect::Sqlite,
                &Scope::all("p"),
                "p",
                &s,
                &select(vec![lt_bool])
            )
            .is_err()
        );
        let prefix_num = Filter {
            field: "total".into(),
            op: Op::Prefix,
            value: json!("1"),
        };
        assert!(
            from_where(
                Dialect::Sqlite,
                &Scope::all("p"),
                "p",
                &s,
                &select(vec![prefix_num])
            )
            .is_err()
        );
    }

    #[test]
    fn order_ends_with_id() {
        let o = order_by(
            Dialect::Sqlite,
            &spec(),
            &[SortKey {
                field: "total".into(),
                direction: Direction::Desc,
            }],
        )
        .unwrap();
        assert!(o.ends_with("DESC NULLS LAST, id ASC"), "{o}");
    }
}
