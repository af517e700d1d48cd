//! The district's service catalogue (事项库), since WIT 0.1.2: every
//! service item with its window category, department, time limits,
//! materials and flags, as the district publishes it. A module reads the
//! current version instead of keeping its own list; `bantong-hall-kit`'s
//! `catalogue::Catalogue` is the typed form of [`Published::body`].

use serde::de::DeserializeOwned;

use crate::bindings::bantong::platform::catalogue as wit;

/// One published version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// 1, 2, 3 … in publication order.
    pub version: u64,
    /// When the district published it (ms since the epoch).
    pub published_at: i64,
    /// The catalogue as JSON (see the WIT `catalogue` interface).
    pub body: String,
}

impl Published {
    /// The body as `T` (e.g. `bantong_hall_kit::catalogue::Catalogue`).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

/// The current version's number, without its body: check it before
/// reading the catalogue again.
pub fn version() -> Option<u64> {
    wit::version()
}

/// The current catalogue; `None` when the district has not published one.
pub fn current() -> Option<Published> {
    wit::current().map(|p| Published {
        version: p.version,
        published_at: p.published_at,
        body: p.body,
    })
}
