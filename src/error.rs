//! One error type for the whole core.
//!
//! Every failure that input can cause becomes an [`Error`] with a stable
//! [`ErrorCode`] (what JS callers switch on), a path to the offending part of
//! the input (`rules[3].condition.and[1]`, `event.item.price`) and a message
//! that says what to fix. The wasm facade turns it into a JS `Error` with
//! `code` and `path` properties in one place.

use std::fmt;

/// Stable error codes. The string forms are part of the public API: never
/// rename one, only add.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Text that is not JSON, or JSON with NaN/Infinity where a number belongs.
    InvalidJson,
    /// A payload, string, array or collection over its limit.
    TooLarge,
    /// Nesting deeper than allowed (JSON, rules).
    TooDeep,
    /// A required field is absent.
    MissingField,
    /// A field has the wrong JSON type.
    WrongType,
    /// A field's value is out of its allowed range or set.
    InvalidValue,
    /// A timestamp too far in the future (or before 2000).
    BadTimestamp,
    /// A JsonLogic operator we do not know.
    UnknownOperator,
    /// A JsonLogic operator with the wrong number of arguments.
    BadArity,
    /// A rule condition used up its evaluation step budget.
    StepLimit,
    /// A snapshot that is truncated, corrupted or fails its checksum.
    SnapshotCorrupt,
    /// A snapshot written by a newer (or unknown) format version.
    SnapshotVersion,
    /// A model artifact that is truncated, corrupted or fails its checksum.
    ModelCorrupt,
    /// A model artifact written by a newer (or unknown) format version.
    ModelVersion,
    /// A referenced thing (slot, item) does not exist.
    NotFound,
    /// A config object that is not valid.
    InvalidConfig,
    /// An event whose id this session has already tracked: nothing was
    /// counted again (at-least-once senders may treat it as success).
    DuplicateEvent,
}

impl ErrorCode {
    /// The stable string JS callers see as `error.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "INVALID_JSON",
            ErrorCode::TooLarge => "TOO_LARGE",
            ErrorCode::TooDeep => "TOO_DEEP",
            ErrorCode::MissingField => "MISSING_FIELD",
            ErrorCode::WrongType => "WRONG_TYPE",
            ErrorCode::InvalidValue => "INVALID_VALUE",
            ErrorCode::BadTimestamp => "BAD_TIMESTAMP",
            ErrorCode::UnknownOperator => "UNKNOWN_OPERATOR",
            ErrorCode::BadArity => "BAD_ARITY",
            ErrorCode::StepLimit => "STEP_LIMIT",
            ErrorCode::SnapshotCorrupt => "SNAPSHOT_CORRUPT",
            ErrorCode::SnapshotVersion => "SNAPSHOT_VERSION",
            ErrorCode::ModelCorrupt => "MODEL_CORRUPT",
            ErrorCode::ModelVersion => "MODEL_VERSION",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::InvalidConfig => "INVALID_CONFIG",
            ErrorCode::DuplicateEvent => "DUPLICATE_EVENT",
        }
    }

    /// Every code, for tests and docs that must cover them all.
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::InvalidJson,
        ErrorCode::TooLarge,
        ErrorCode::TooDeep,
        ErrorCode::MissingField,
        ErrorCode::WrongType,
        ErrorCode::InvalidValue,
        ErrorCode::BadTimestamp,
        ErrorCode::UnknownOperator,
        ErrorCode::BadArity,
        ErrorCode::StepLimit,
        ErrorCode::SnapshotCorrupt,
        ErrorCode::SnapshotVersion,
        ErrorCode::ModelCorrupt,
        ErrorCode::ModelVersion,
        ErrorCode::NotFound,
        ErrorCode::InvalidConfig,
        ErrorCode::DuplicateEvent,
    ];
}

/// A failure with a stable code, the path of the offending input and a
/// message that says what to fix.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub code: ErrorCode,
    /// Where in the input: `rules[3].condition.and[1]`; empty when the whole input is at fault.
    pub path: String,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        Error { code, path: path.into(), message: message.into() }
    }

    /// The same error, located one level further out: `at("rules[3]")` turns
    /// `condition.and[1]` into `rules[3].condition.and[1]`.
    pub fn at(mut self, outer: &str) -> Self {
        self.path = if self.path.is_empty() {
            outer.to_string()
        } else if self.path.starts_with('[') {
            format!("{outer}{}", self.path)
        } else {
            format!("{outer}.{}", self.path)
        };
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
