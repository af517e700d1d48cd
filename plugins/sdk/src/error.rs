//! The error of every host call (storage, events, config) and how it becomes
//! an HTTP answer.

use core::fmt;

use crate::bindings::bantong::platform::types::Error as WitError;
use crate::http::Response;

/// Why a host call was refused or failed, or why a value could not cross the
/// JSON boundary.
///
/// The first five variants mirror the WIT `error` variant one to one;
/// [`Error::Json`] is raised inside the plugin when a value does not
/// serialise or a stored document does not fit the type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The plugin's grant does not include this capability.
    Denied(String),
    /// The named document or collection does not exist.
    NotFound(String),
    /// Optimistic concurrency check failed or a unique index clashed.
    Conflict(String),
    /// The arguments were malformed (bad JSON, unknown field, too big).
    Invalid(String),
    /// The host could not complete the call; retrying may help.
    Unavailable(String),
    /// A value could not be converted to or from JSON inside the plugin.
    Json(String),
}

impl Error {
    /// The HTTP status this error is answered with by [`Response::from`].
    pub fn status(&self) -> u16 {
        match self {
            Error::Denied(_) => 403,
            Error::NotFound(_) => 404,
            Error::Conflict(_) => 409,
            Error::Invalid(_) => 422,
            Error::Unavailable(_) => 503,
            Error::Json(_) => 500,
        }
    }

    /// The stable, snake_case error code, the same vocabulary the host uses.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Denied(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::Invalid(_) => "validation_failed",
            Error::Unavailable(_) => "unavailable",
            Error::Json(_) => "internal",
        }
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        match self {
            Error::Denied(m)
            | Error::NotFound(m)
            | Error::Conflict(m)
            | Error::Invalid(m)
            | Error::Unavailable(m)
            | Error::Json(m) => m,
        }
    }

    /// True for [`Error::Conflict`]: the document already exists or moved on.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict(_))
    }

    /// True for [`Error::Denied`]: the capability was not granted.
    pub fn is_denied(&self) -> bool {
        matches!(self, Error::Denied(_))
    }

    pub(crate) fn json(context: &str, err: impl fmt::Display) -> Self {
        Error::Json(format!("{context}: {err}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Error::Denied(_) => "denied",
            Error::NotFound(_) => "not found",
            Error::Conflict(_) => "conflict",
            Error::Invalid(_) => "invalid",
            Error::Unavailable(_) => "unavailable",
            Error::Json(_) => "json",
        };
        write!(f, "{kind}: {}", self.message())
    }
}

impl std::error::Error for Error {}

impl From<WitError> for Error {
    fn from(e: WitError) -> Self {
        match e {
            WitError::Denied(m) => Error::Denied(m),
            WitError::NotFound(m) => Error::NotFound(m),
            WitError::Conflict(m) => Error::Conflict(m),
            WitError::Invalid(m) => Error::Invalid(m),
            WitError::Unavailable(m) => Error::Unavailable(m),
        }
    }
}

/// Handlers may use `?` on host calls: the error becomes the JSON error answer
/// (`403 forbidden`, `404 not_found`, `409 conflict`, `422 validation_failed`,
/// `503 unavailable`, `500 internal`).
impl From<Error> for Response {
    fn from(e: Error) -> Self {
        Response::error(e.status(), e.code(), e.message())
    }
}

/// Event and job handlers answer `Result<(), String>`; `?` works on host calls.
impl From<Error> for String {
    fn from(e: Error) -> Self {
        e.to_string()
    }
}
