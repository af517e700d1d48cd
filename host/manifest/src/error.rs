//! Errors of manifest parsing and validation, each naming the field it is about.

use std::fmt;

/// A `Result` whose error is a [`ManifestError`].
pub type Result<T, E = ManifestError> = std::result::Result<T, E>;

/// One problem found in a manifest, tied to the field it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field, with array indices: `routes[2].path`.
    pub path: String,
    /// What is wrong, in English, for vendors and operators.
    pub message: String,
}

impl FieldError {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Why a manifest was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The text is not well-formed TOML (or canonical JSON), or a field has the
    /// wrong shape (unknown key, wrong type, missing key).
    #[error("{}", syntax_text(.error, *.line, *.column))]
    Syntax {
        /// The field and the parser's message.
        error: FieldError,
        /// 1-based line of the offending text, when known.
        line: Option<usize>,
        /// 1-based column of the offending text, when known.
        column: Option<usize>,
    },
    /// The manifest is well-formed but breaks one or more rules; one line per
    /// problem, in document order.
    #[error("{}", invalid_text(.0))]
    Invalid(Vec<FieldError>),
    /// The manifest is larger than [`crate::Manifest::MAX_BYTES`].
    #[error("manifest is {size} bytes; at most {max} are allowed")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The manifest could not be written out (for example as TOML).
    #[error("cannot serialise the manifest: {0}")]
    Serialize(String),
}

impl ManifestError {
    /// Every field problem the error carries (one for a syntax error).
    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::Syntax { error, .. } => vec![error.clone()],
            Self::Invalid(errors) => errors.clone(),
            Self::TooLarge { .. } | Self::Serialize(_) => {
                vec![FieldError::new("", self.to_string())]
            }
        }
    }

    /// Builds a syntax error from a TOML deserialisation failure, locating it
    /// in `source`.
    pub(crate) fn from_toml(
        source: &str,
        error: serde_path_to_error::Error<toml::de::Error>,
    ) -> Self {
        let path = serde_path(error.path());
        let inner = error.inner();
        let (line, column) = match inner.span() {
            Some(span) => {
                let (line, column) = line_column(source, span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        Self::Syntax {
            error: FieldError::new(path, one_line(inner.message())),
            line,
            column,
        }
    }

    /// Builds a syntax error from a canonical JSON decoding failure.
    pub(crate) fn from_json(error: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = serde_path(error.path());
        let inner = error.inner();
        let (line, column) = if inner.line() == 0 {
            (None, None)
        } else {
            (Some(inner.line()), Some(inner.column()))
        };
        let mut message = inner.to_string();
        // serde_json appends " at line L column C"; the location is kept apart.
        if let Some(cut) = message.rfind(" at line ") {
            message.truncate(cut);
        }
        Self::Syntax {
            error: FieldError::new(path, message),
            line,
            column,
        }
    }
}

/// Joins a multi-line parser message into one line.
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(": ")
}

fn serde_path(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    if text == "." { String::new() } else { text }
}

fn syntax_text(error: &FieldError, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!("{error} (line {line}, column {column})"),
        _ => error.to_string(),
    }
}

fn invalid_text(errors: &[FieldError]) -> String {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// 1-based line and column (in characters) of byte offset `at` in `source`.
fn line_column(source: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    let before = &source[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Collects the problems of one validation pass.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<FieldError>);

impl Problems {
    pub(crate) fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(path, message));
    }

    pub(crate) fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ManifestError::Invalid(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters() {
        let text = "a = 1\nnamé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        let at = text
            .find('=')
            .map(|_| text.rfind('=').unwrap_or(0))
            .unwrap_or(0);
        assert_eq!(line_column(text, at), (2, 6));
        assert_eq!(line_column(text, 10_000), (3, 1));
    }

    #[test]
    fn invalid_lists_one_problem_per_line() {
        let error = ManifestError::Invalid(vec![
            FieldError::new("id", "must not be empty"),
            FieldError::new("routes[0].path", "must start with \"/\""),
        ]);
        assert_eq!(
            error.to_string(),
            "id: must not be empty\nroutes[0].path: must start with \"/\""
        );
        assert_eq!(error.field_errors().len(), 2);
    }

    #[test]
    fn syntax_error_shows_location() {
        let error = ManifestError::Syntax {
            error: FieldError::new("world", "unknown variant `cloud`"),
            line: Some(4),
            column: Some(9),
        };
        assert_eq!(
            error.to_string(),
            "world: unknown variant `cloud` (line 4, column 9)"
        );
    }
}
