//! Hall scope: which halls a caller may read and write.
//!
//! District-level documents (no hall) are readable by everyone in the plugin
//! but writable only with [`HallScope::All`].

use crate::error::{Error, Result};
use crate::sql::Sql;

/// The halls a caller acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HallScope {
    /// District-wide: every hall and district-level data.
    All,
    /// Only these halls (plus reading district-level data).
    Only(Vec<String>),
}

/// Who is reading or writing: the plugin whose data it is and the caller's
/// hall scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub plugin: String,
    pub halls: HallScope,
}

impl Scope {
    /// A district-wide scope for `plugin`.
    pub fn all(plugin: impl Into<String>) -> Scope {
        Scope {
            plugin: plugin.into(),
            halls: HallScope::All,
        }
    }

    /// A scope limited to the given halls.
    pub fn halls<I, S>(plugin: impl Into<String>, halls: I) -> Scope
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Scope {
            plugin: plugin.into(),
            halls: HallScope::Only(halls.into_iter().map(Into::into).collect()),
        }
    }
}

impl HallScope {
    /// Whether a document in `hall` (None = district-level) is visible.
    pub fn can_read(&self, hall: Option<&str>) -> bool {
        match (self, hall) {
            (HallScope::All, _) | (_, None) => true,
            (HallScope::Only(halls), Some(h)) => halls.iter().any(|x| x == h),
        }
    }

    /// Whether a document in `hall` may be written. District-level data needs
    /// a district-wide scope.
    pub fn can_write(&self, hall: Option<&str>) -> bool {
        match (self, hall) {
            (HallScope::All, _) => true,
            (HallScope::Only(_), None) => false,
            (HallScope::Only(halls), Some(h)) => halls.iter().any(|x| x == h),
        }
    }

    pub(crate) fn check_write(&self, hall: Option<&str>) -> Result<()> {
        if self.can_write(hall) {
            Ok(())
        } else {
            Err(Error::Denied(match hall {
                Some(h) => format!("hall {h:?} is outside the caller's scope"),
                None => "district-level data needs a district-wide scope".to_owned(),
            }))
        }
    }

    /// Appends ` AND <hall condition>` for reads; `narrow` further limits the
    /// result to the listed halls (district-level documents then excluded).
    pub(crate) fn push_read_filter(&self, sql: &mut Sql, narrow: Option<&[String]>) {
        let allowed: Option<Vec<&String>> = match (self, narrow) {
            (HallScope::All, None) => None,
            (HallScope::All, Some(n)) => Some(n.iter().collect()),
            (HallScope::Only(own), None) => {
                sql.push(" AND (hall IS NULL");
                if !own.is_empty() {
                    sql.push(" OR hall IN (");
                    push_list(sql, own.iter());
                    sql.push(")");
                }
                sql.push(")");
                return;
            }
            (HallScope::Only(own), Some(n)) => Some(n.iter().filter(|h| own.contains(h)).collect()),
        };
        if let Some(halls) = allowed {
            if halls.is_empty() {
                sql.push(" AND 1 = 0");
            } else {
                sql.push(" AND hall IN (");
                push_list(sql, halls.into_iter());
                sql.push(")");
            }
        }
    }
}

fn push_list<'a>(sql: &mut Sql, items: impl Iterator<Item = &'a String>) {
    for (i, h) in items.enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(h.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn district_data_is_readable_but_not_writable_by_hall_scopes() {
        let s = HallScope::Only(vec!["a".into()]);
        assert!(s.can_read(None));
        assert!(!s.can_write(None));
        assert!(s.can_write(Some("a")));
        assert!(!s.can_read(Some("b")));
        assert!(HallScope::All.can_write(None));
    }

    #[test]
    fn read_filter_binds_halls() {
        let mut sql = Sql::new("x");
        HallScope::Only(vec!["a".into(), "b".into()]).push_read_filter(&mut sql, None);
        assert_eq!(sql.text, "x AND (hall IS NULL OR hall IN ($1, $2))");
        let mut sql = Sql::new("x");
        let narrow = vec!["b".to_owned(), "c".to_owned()];
        HallScope::Only(vec!["a".into(), "b".into()]).push_read_filter(&mut sql, Some(&narrow));
        assert_eq!(sql.text, "x AND hall IN ($1)");
        let mut sql = Sql::new("x");
        HallScope::Only(vec![]).push_read_filter(&mut sql, Some(&narrow));
        assert_eq!(sql.text, "x AND 1 = 0");
    }
}
