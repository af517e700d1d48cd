//! Wall-clock time as the host sees it.

use crate::bindings::bantong::platform::clock as wit;

/// Milliseconds since 1970-01-01T00:00:00Z.
pub fn now() -> i64 {
    wit::now()
}

/// The district's UTC offset in minutes (China Standard Time is 480).
pub fn utc_offset_minutes() -> i32 {
    wit::utc_offset_minutes()
}
