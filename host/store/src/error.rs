//! The storage error type.

/// Errors raised by the storage layer. Messages are safe to show to operators;
/// the HTTP layer still maps them to stable codes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    /// A write aimed at a hall outside the caller's scope.
    #[error("denied: {0}")]
    Denied(String),
    #[error("too large: {0}")]
    TooLarge(String),
    /// Stored data does not match its recorded hash or shape.
    #[error("corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("json error: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(msg: impl Into<String>) -> Error {
        Error::Invalid(msg.into())
    }
}

/// Turns a failed blocking task into an I/O error.
impl From<tokio::task::JoinError> for Error {
    fn from(err: tokio::task::JoinError) -> Error {
        Error::Io(std::io::Error::other(err))
    }
}
