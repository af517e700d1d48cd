//! Hall-scoped JSON document storage, isolated per plugin, with serde on both
//! sides: [`get`], [`put`], [`delete`], [`query`] and [`aggregate`].
//!
//! Every handler call is one unit of work: its writes commit together when it
//! returns and roll back when it fails, traps or runs out of time.
//!
//! Field paths are dotted paths into the body (`applicant.name`) or one of the
//! metadata fields `_id`, `_hall`, `_version`, `_created`, `_updated`. Filters,
//! sorting and grouping may use only metadata fields and the fields the
//! collection declares in the manifest.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bindings::bantong::platform::storage as wit;
use crate::error::Error;

pub use crate::bindings::bantong::platform::storage::{AggregateFn, Direction, Op};

/// A value that may or may not be there: `"h1"`, `String`, `Option<String>`,
/// `Option<&str>`. Lets [`Write::hall`], [`Write::id`] and
/// [`events::publish`](crate::events::publish) take `req.hall()` as it is.
pub trait MaybeString {
    fn into_option(self) -> Option<String>;
}

impl MaybeString for &str {
    fn into_option(self) -> Option<String> {
        Some(self.to_owned())
    }
}
impl MaybeString for String {
    fn into_option(self) -> Option<String> {
        Some(self)
    }
}
impl MaybeString for &String {
    fn into_option(self) -> Option<String> {
        Some(self.clone())
    }
}
impl MaybeString for Option<String> {
    fn into_option(self) -> Option<String> {
        self
    }
}
impl MaybeString for Option<&str> {
    fn into_option(self) -> Option<String> {
        self.map(str::to_owned)
    }
}
impl MaybeString for &Option<String> {
    fn into_option(self) -> Option<String> {
        self.clone()
    }
}

/// A stored document. Serialises as
/// `{"collection","id","hall","version","body","created_at","updated_at"}`,
/// the same shape the host uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document<T = Value> {
    pub collection: String,
    pub id: String,
    /// `None` for district-level data.
    pub hall: Option<String>,
    /// Starts at 1 and grows by one on every update.
    pub version: u64,
    pub body: T,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub updated_at: i64,
}

impl<T> Document<T> {
    /// Replaces the body, keeping the metadata.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Document<U> {
        Document {
            collection: self.collection,
            id: self.id,
            hall: self.hall,
            version: self.version,
            body: f(self.body),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

impl<T: DeserializeOwned> Document<T> {
    fn from_wit(d: wit::Document) -> Result<Self, Error> {
        let body = serde_json::from_str(&d.body).map_err(|e| {
            Error::json(
                &format!(
                    "document {}/{} does not fit the requested type",
                    d.collection, d.id
                ),
                e,
            )
        })?;
        Ok(Document {
            collection: d.collection,
            id: d.id,
            hall: d.hall,
            version: d.version,
            body,
            created_at: d.created_at,
            updated_at: d.updated_at,
        })
    }
}

/// A document to insert or replace:
/// `Write::new(body).hall(req.hall()).id("n-1")`.
#[derive(Debug, Clone, PartialEq)]
pub struct Write<T> {
    id: Option<String>,
    hall: Option<String>,
    body: T,
    expected_version: Option<u64>,
}

impl<T: Serialize> Write<T> {
    /// A write of `body` (which must serialise to a JSON object) with a
    /// host-assigned, time-ordered id and no hall.
    pub fn new(body: T) -> Self {
        Write {
            id: None,
            hall: None,
            body,
            expected_version: None,
        }
    }

    /// The document id; `None` lets the host assign one.
    pub fn id(mut self, id: impl MaybeString) -> Self {
        self.id = id.into_option();
        self
    }

    /// The hall the document belongs to (within the caller's scope); `None`
    /// for district-level data.
    pub fn hall(mut self, hall: impl MaybeString) -> Self {
        self.hall = hall.into_option();
        self
    }

    /// Optimistic concurrency: the document must currently be at `version`.
    pub fn expected_version(mut self, version: u64) -> Self {
        self.expected_version = Some(version);
        self
    }

    /// Optimistic concurrency: the document must not exist yet; otherwise
    /// [`put`] fails with [`Error::Conflict`].
    pub fn create_only(self) -> Self {
        self.expected_version(0)
    }

    fn to_wit(&self) -> Result<wit::Write, Error> {
        Ok(wit::Write {
            id: self.id.clone(),
            hall: self.hall.clone(),
            body: serde_json::to_string(&self.body).map_err(|e| Error::json("document body", e))?,
            expected_version: self.expected_version,
        })
    }
}

/// Reads one document of this plugin; hall scope applies.
pub fn get<T: DeserializeOwned>(collection: &str, id: &str) -> Result<Option<Document<T>>, Error> {
    wit::get(collection, id)?
        .map(Document::from_wit)
        .transpose()
}

/// Inserts or replaces one document and returns it as stored.
pub fn put<T: Serialize + DeserializeOwned>(
    collection: &str,
    write: Write<T>,
) -> Result<Document<T>, Error> {
    let stored = wit::put(collection, &write.to_wit()?)?;
    Document::from_wit(stored)
}

/// Deletes one document; returns whether it existed.
pub fn delete(collection: &str, id: &str) -> Result<bool, Error> {
    Ok(wit::delete(collection, id, None)?)
}

/// Deletes one document if it is at `version`; returns whether it existed.
pub fn delete_at_version(collection: &str, id: &str, version: u64) -> Result<bool, Error> {
    Ok(wit::delete(collection, id, Some(version))?)
}

/// One page of a [`query`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T = Value> {
    pub items: Vec<Document<T>>,
    /// Number of documents matching, ignoring offset and limit.
    pub total: u64,
}

/// Filtered, sorted, paginated read.
pub fn query<T: DeserializeOwned>(q: &Query) -> Result<Page<T>, Error> {
    let page = wit::query(&q.to_wit()?)?;
    let items = page
        .items
        .into_iter()
        .map(Document::from_wit)
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        total: page.total,
    })
}

/// Grouped count/sum/avg/min/max for reports.
pub fn aggregate(a: &Aggregate) -> Result<Vec<Group>, Error> {
    let groups = wit::aggregate(&a.to_wit()?)?;
    groups
        .into_iter()
        .map(|g| {
            let keys = g
                .keys
                .iter()
                .map(|k| serde_json::from_str(k).map_err(|e| Error::json("aggregate key", e)))
                .collect::<Result<_, _>>()?;
            Ok(Group {
                keys,
                values: g.values,
            })
        })
        .collect()
}

/// Where a read comes from and which documents it keeps; shared by
/// [`Query`] and [`Aggregate`].
#[derive(Debug, Clone, Default, PartialEq)]
struct Selection {
    collection: String,
    owner: Option<String>,
    halls: Option<Vec<String>>,
    filters: Vec<wit::Filter>,
    /// The first filter value that did not serialise; reported by the call.
    broken: Option<String>,
}

impl Selection {
    fn new(collection: &str) -> Self {
        Selection {
            collection: collection.to_owned(),
            ..Selection::default()
        }
    }

    fn filter<V: Serialize>(&mut self, field: &str, op: Op, value: V) {
        let value = if op == Op::IsNull {
            Ok(String::from("null"))
        } else {
            serde_json::to_string(&value)
        };
        match value {
            Ok(value) => self.filters.push(wit::Filter {
                field: field.to_owned(),
                op,
                value,
            }),
            Err(e) => {
                self.broken
                    .get_or_insert_with(|| format!("filter value for `{field}`: {e}"));
            }
        }
    }

    fn to_wit(&self) -> Result<wit::Selection, Error> {
        if let Some(broken) = &self.broken {
            return Err(Error::Json(broken.clone()));
        }
        Ok(wit::Selection {
            collection: self.collection.clone(),
            owner: self.owner.clone(),
            halls: self.halls.clone(),
            filters: self.filters.clone(),
        })
    }
}

macro_rules! selection_methods {
    () => {
        /// Keeps documents where `field op value` holds (all filters must hold).
        /// `value` is any serialisable scalar, or an array for [`Op::AnyOf`];
        /// it is ignored for [`Op::IsNull`].
        pub fn filter<V: Serialize>(mut self, field: &str, op: Op, value: V) -> Self {
            self.selection.filter(field, op, value);
            self
        }

        /// Like [`filter`](Self::filter), but only when `value` is `Some`:
        /// handy for optional query-string filters.
        pub fn filter_opt<V: Serialize>(mut self, field: &str, op: Op, value: Option<V>) -> Self {
            if let Some(value) = value {
                self.selection.filter(field, op, value);
            }
            self
        }

        /// Reads another plugin's collection; needs a declared and granted
        /// `storage-read` capability naming `owner/collection`, otherwise the
        /// call fails with [`Error::Denied`].
        pub fn owner(mut self, plugin_id: &str) -> Self {
            self.selection.owner = Some(plugin_id.to_owned());
            self
        }

        /// Narrows to these halls; the caller's own scope always applies.
        pub fn halls<I, S>(mut self, halls: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.selection.halls = Some(halls.into_iter().map(Into::into).collect());
            self
        }

        /// Narrows to one hall when `hall` is `Some` (e.g. `req.hall()`).
        pub fn hall(mut self, hall: impl MaybeString) -> Self {
            if let Some(h) = hall.into_option() {
                self.selection.halls = Some(vec![h]);
            }
            self
        }
    };
}

/// A filtered, sorted, paginated read:
/// `Query::new("orders").filter("status", Op::Eq, "open").sort_desc("_created").limit(20)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    selection: Selection,
    sort: Vec<wit::SortKey>,
    offset: u32,
    limit: u32,
}

impl Query {
    /// All documents of `collection` (of this plugin unless [`owner`](Self::owner)
    /// is set), in the host's default order, 50 at a time.
    pub fn new(collection: &str) -> Self {
        Query {
            selection: Selection::new(collection),
            sort: Vec::new(),
            offset: 0,
            limit: 0,
        }
    }

    selection_methods!();

    /// Sorts ascending by `field` (after earlier sort keys).
    pub fn sort_asc(mut self, field: &str) -> Self {
        self.sort.push(wit::SortKey {
            field: field.to_owned(),
            direction: Direction::Asc,
        });
        self
    }

    /// Sorts descending by `field` (after earlier sort keys).
    pub fn sort_desc(mut self, field: &str) -> Self {
        self.sort.push(wit::SortKey {
            field: field.to_owned(),
            direction: Direction::Desc,
        });
        self
    }

    /// Skips the first `offset` matches.
    pub fn offset(mut self, offset: u32) -> Self {
        self.offset = offset;
        self
    }

    /// At most `limit` documents (the host caps it at 1000; 0 means 50).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    fn to_wit(&self) -> Result<wit::DocumentQuery, Error> {
        Ok(wit::DocumentQuery {
            selection: self.selection.to_wit()?,
            sort: self.sort.clone(),
            offset: self.offset,
            limit: self.limit,
        })
    }
}

/// A grouped report:
/// `Aggregate::new("notes").group_by("status").count().sum("amount")`.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    selection: Selection,
    group_by: Vec<String>,
    metrics: Vec<wit::Metric>,
}

impl Aggregate {
    /// One group over every document of `collection` and no metrics yet.
    pub fn new(collection: &str) -> Self {
        Aggregate {
            selection: Selection::new(collection),
            group_by: Vec::new(),
            metrics: Vec::new(),
        }
    }

    selection_methods!();

    /// Adds a group-by field; [`Group::keys`] follow this order.
    pub fn group_by(mut self, field: &str) -> Self {
        self.group_by.push(field.to_owned());
        self
    }

    /// Adds a metric; [`Group::values`] follow the order metrics are added.
    pub fn metric(mut self, func: AggregateFn, field: Option<&str>) -> Self {
        self.metrics.push(wit::Metric {
            func,
            field: field.map(str::to_owned),
        });
        self
    }

    /// Adds a document count.
    pub fn count(self) -> Self {
        self.metric(AggregateFn::Count, None)
    }

    /// Adds the sum of a numeric field.
    pub fn sum(self, field: &str) -> Self {
        self.metric(AggregateFn::Sum, Some(field))
    }

    /// Adds the average of a numeric field.
    pub fn avg(self, field: &str) -> Self {
        self.metric(AggregateFn::Avg, Some(field))
    }

    /// Adds the minimum of a numeric field.
    pub fn min(self, field: &str) -> Self {
        self.metric(AggregateFn::Min, Some(field))
    }

    /// Adds the maximum of a numeric field.
    pub fn max(self, field: &str) -> Self {
        self.metric(AggregateFn::Max, Some(field))
    }

    fn to_wit(&self) -> Result<wit::AggregateQuery, Error> {
        Ok(wit::AggregateQuery {
            selection: self.selection.to_wit()?,
            group_by: self.group_by.clone(),
            metrics: self.metrics.clone(),
        })
    }
}

/// One group of an [`aggregate`]: `{"keys":[…],"values":[…]}`, the data shape
/// chart views read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Values of the group-by fields, in `group_by` order.
    pub keys: Vec<Value>,
    /// One value per metric, in the order added; `None` for an empty set.
    pub values: Vec<Option<f64>>,
}

impl Group {
    /// The `i`-th key as text (`None` when absent or not a string).
    pub fn key_str(&self, i: usize) -> Option<&str> {
        self.keys.get(i).and_then(Value::as_str)
    }

    /// The `i`-th metric value.
    pub fn value(&self, i: usize) -> Option<f64> {
        self.values.get(i).copied().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_builder_serialises_filters_and_sort() {
        let q = Query::new("orders")
            .filter("status", Op::Eq, "open")
            .filter("amount", Op::Ge, 10)
            .filter("tag", Op::AnyOf, ["a", "b"])
            .filter("closed_at", Op::IsNull, ())
            .filter_opt("purpose", Op::Eq, None::<&str>)
            .hall(Some("h1"))
            .sort_desc("_created")
            .limit(20)
            .offset(40);
        let w = q.to_wit().unwrap();
        assert_eq!(w.selection.collection, "orders");
        assert_eq!(w.selection.halls, Some(vec![String::from("h1")]));
        let values: Vec<_> = w
            .selection
            .filters
            .iter()
            .map(|f| f.value.as_str())
            .collect();
        assert_eq!(values, ["\"open\"", "10", "[\"a\",\"b\"]", "null"]);
        assert_eq!(w.sort[0].field, "_created");
        assert_eq!(w.sort[0].direction, Direction::Desc);
        assert_eq!((w.offset, w.limit), (40, 20));
    }

    #[test]
    fn unserialisable_filter_is_reported_by_the_call() {
        let mut bad = std::collections::BTreeMap::new();
        bad.insert(vec![1u8], 1u8);
        let q = Query::new("x").filter("f", Op::Eq, bad);
        assert!(matches!(q.to_wit(), Err(Error::Json(m)) if m.contains("`f`")));
    }

    #[test]
    fn aggregate_builder_keeps_metric_order() {
        let a = Aggregate::new("notes")
            .group_by("status")
            .count()
            .sum("amount")
            .owner("other");
        let w = a.to_wit().unwrap();
        assert_eq!(w.group_by, ["status"]);
        assert_eq!(w.metrics[0].func, AggregateFn::Count);
        assert_eq!(w.metrics[1].field.as_deref(), Some("amount"));
        assert_eq!(w.selection.owner.as_deref(), Some("other"));
    }

    #[test]
    fn write_builder_accepts_optional_hall_and_id() {
        let hall: Option<String> = None;
        let w = Write::new(serde_json::json!({ "a": 1 }))
            .hall(&hall)
            .id("n-1")
            .create_only();
        let w = w.to_wit().unwrap();
        assert_eq!(w.hall, None);
        assert_eq!(w.id.as_deref(), Some("n-1"));
        assert_eq!(w.expected_version, Some(0));
        assert_eq!(w.body, "{\"a\":1}");
    }

    #[test]
    fn document_serialises_in_host_shape() {
        let d = Document {
            collection: String::from("notes"),
            id: String::from("n1"),
            hall: None,
            version: 1,
            body: serde_json::json!({ "title": "t" }),
            created_at: 5,
            updated_at: 6,
        };
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["body"]["title"], "t");
        assert_eq!(v["created_at"], 5);
        assert_eq!(v["hall"], serde_json::Value::Null);
    }
}
