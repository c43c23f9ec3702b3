//! The one error type of the domain. Variants other than `Database`, `Io` and `Internal`
//! are the user's to fix, and their messages say what was wrong.

/// Errors of the domain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named thing does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(String),
    /// The caller may see the thing but not do this to it; the message says what is missing.
    #[error("{0}")]
    Forbidden(String),
    /// The input is invalid; the message names the field and what to fix.
    #[error("{0}")]
    Invalid(String),
    /// The thing already exists (a unique name or key is taken).
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The thing is still used by others and removing it would change them; the message says
    /// which and what would change.
    #[error("{0}")]
    InUse(String),
    /// A file was not imported because of invalid records: the first of them, and how many in all.
    #[error("{file} was not imported: {total} invalid record(s); nothing was written\n{}{}", errors.join("\n"), more(*total, errors.len()))]
    Rejected {
        file: String,
        errors: Vec<String>,
        total: u64,
    },
    /// A phrase that cannot be read.
    #[error(transparent)]
    Phrase(#[from] crate::labeling::PhraseError),
    /// Rules or cue lists that cannot be compiled.
    #[error(transparent)]
    Rule(#[from] crate::labeling::RuleError),
    /// A report field that is missing or wrong.
    #[error(transparent)]
    Field(#[from] crate::reports::FieldError),
    /// Split shares that cannot be used.
    #[error(transparent)]
    Shares(#[from] crate::split::SharesError),
    /// The database file could not be opened or migrated.
    #[error("cannot open the database {path}: {reason}")]
    Open { path: String, reason: String },
    /// A service Sieve depends on (a scheduler) could not be reached or refused; the message says which and why.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A bug or an environment failure that the user cannot fix from the form they sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Results of the domain.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is: the one classification both edges (the browser's server
/// functions and the REST API) map from, so that they answer alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 404: the thing does not exist, or the caller may not know that it does.
    NotFound,
    /// 403: the caller may not do this.
    Forbidden,
    /// 422: the request's content is wrong; the message says what to change.
    Invalid,
    /// 409: the request clashes with what is stored (a name taken, a thing still in use).
    Conflict,
    /// 503: a service Sieve depends on (a scheduler) could not do it.
    Unavailable,
    /// 500: a bug or an environment failure, logged; the user cannot fix it from the form.
    Internal,
}

impl ErrorKind {
    /// The HTTP status an error of this kind is answered with.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::NotFound => 404,
            ErrorKind::Forbidden => 403,
            ErrorKind::Invalid => 422,
            ErrorKind::Conflict => 409,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }
}

impl Error {
    /// The kind of failure; exhaustive, so a new variant must be classified here.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::Invalid(_)
            | Error::Rejected { .. }
            | Error::Phrase(_)
            | Error::Rule(_)
            | Error::Field(_)
            | Error::Shares(_) => ErrorKind::Invalid,
            Error::AlreadyExists(_) | Error::InUse(_) => ErrorKind::Conflict,
            Error::Unavailable(_) => ErrorKind::Unavailable,
            Error::Open { .. } | Error::Database(_) | Error::Io(_) | Error::Internal(_) => {
                ErrorKind::Internal
            }
        }
    }

    /// Whether the error was caused by the request itself (and may be shown to the user as it is).
    pub fn is_user_error(&self) -> bool {
        self.kind() != ErrorKind::Internal
    }
}

/// Whether a database error is a unique-constraint violation, which callers turn into `AlreadyExists`.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

fn more(total: u64, listed: usize) -> String {
    match total.saturating_sub(listed as u64) {
        0 => String::new(),
        rest => format!("\n... and {rest} more"),
    }
}
