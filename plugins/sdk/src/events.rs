//! The durable event bus: publish events that commit with the current unit of
//! work and reach every subscriber at least once.

use serde::Serialize;

use crate::bindings::bantong::platform::events as wit;
use crate::error::Error;
use crate::storage::MaybeString;

pub use crate::types::Event;

/// Publishes `payload` (any serialisable value) on `topic` for `hall`
/// (`None` for district-level events) and returns the event id.
///
/// The event is stored with the current unit of work: if the handler fails
/// afterwards, it is never delivered.
pub fn publish<T: Serialize + ?Sized>(
    topic: &str,
    hall: impl MaybeString,
    payload: &T,
) -> Result<String, Error> {
    let payload = serde_json::to_string(payload).map_err(|e| Error::json("event payload", e))?;
    let hall = hall.into_option();
    Ok(wit::publish(topic, hall.as_deref(), &payload)?)
}
