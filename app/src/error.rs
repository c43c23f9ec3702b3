//! The error every server function returns: what the user sees, and the HTTP status it maps to.
//! Internal failures are logged on the server and reach the browser only as a generic message.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// Errors of the user interface's server functions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Your session has ended. Please sign in again.")]
    NotSignedIn,
    /// One message for a wrong name, a wrong password and a disabled account, so none can be told apart.
    #[error("Wrong user name or password.")]
    SignInFailed,
    /// Too many failures from this computer, for the name typed or for any names.
    #[error("Too many failed sign-ins from this computer; try again in {0}.")]
    TooManyAttempts(String),
    /// Signed in, but without the role (or the protocol has expired): the message says which.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found.")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// The request clashes with what is stored (a name taken, a thing still in use): the message
    /// says what and what to do.
    #[error("{0}")]
    Conflict(String),
    /// A service Sieve depends on (a scheduler) could not do it: the message says which and why.
    #[error("{0}")]
    Unavailable(String),
    /// The request itself could not be read (arguments missing, malformed or not text): says which
    /// argument where it can, never what the deserializer expected.
    #[error("This request could not be read: {0}. Reload the page and try again.")]
    Unreadable(String),
    #[error("Something went wrong on the server. It has been logged; please try again.")]
    Internal,
    #[error("Could not reach the server ({0}). Check the connection and try again.")]
    Transport(String),
}

impl AppError {
    /// Returns the HTTP status this error is sent with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotSignedIn | AppError::SignInFailed => 401,
            AppError::Forbidden(_) => 403,
            AppError::Unreadable(_) => 400,
            AppError::NotFound(_) => 404,
            AppError::Invalid(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::Unavailable(_) => 503,
            AppError::TooManyAttempts(_) => 429,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            // On the server these say that a request's arguments could not be read.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::Deserialization(message) => {
                tracing::info!(error = %message, "unreadable server function arguments");
                AppError::Unreadable(unreadable_reason(&message))
            }
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::MissingArg(name) => {
                AppError::Unreadable(format!("{} is missing", plain_name(&name)))
            }
            // In the browser: the form's values could not be made into the request (a number
            // field left empty or holding words). Nothing was sent; the user can fix it.
            ServerFnErrorErr::Serialization(message) => AppError::Invalid(format!(
                "The form was not sent: {}. Fill in each field and send it again.",
                unreadable_reason(&message)
            )),
            other => AppError::Transport(other.to_string()),
        }
    }
}

/// Returns a plain account of why a request's arguments could not be read, from a deserializer's
/// message: the field it names where it names one, never the types it expected.
pub fn unreadable_reason(message: &str) -> String {
    let quoted = |marker: &str| {
        let (_, rest) = message.split_once(marker)?;
        let (name, _) = rest.split_once('`')?;
        Some(plain_name(name))
    };
    if let Some(field) = quoted("missing field `") {
        return format!("{field} is missing");
    }
    if let Some(field) = quoted("unknown field `") {
        return format!("{field} is not a field this request takes");
    }
    if let Some(value) = quoted("unknown variant `") {
        return format!("{value} is not one of the choices");
    }
    if message.contains("from empty string") {
        return "a number field is empty".into();
    }
    if message.contains("invalid digit") || message.contains("invalid float literal") {
        return "a number field holds something that is not a number".into();
    }
    if message.contains("utf-8") || message.contains("UTF-8") {
        return "it is not text".into();
    }
    if message.contains("length limit") {
        return "it is too large".into();
    }
    "a value is missing, malformed or of the wrong kind".into()
}

/// Keeps a name a deserializer quoted to plain characters (it is echoed back to the caller).
fn plain_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '-'))
        .take(60)
        .collect()
}

#[cfg(feature = "ssr")]
impl From<sieve_core::Error> for AppError {
    fn from(error: sieve_core::Error) -> Self {
        use sieve_core::{Error, ErrorKind};
        // Classified by `Error::kind`, as the REST API is; the message is made for the screen.
        let message = match &error {
            Error::NotFound(what) => capitalise(what),
            Error::Rejected {
                file,
                errors,
                total,
            } => {
                let mut lines = vec![format!("{file} was not imported, and nothing was changed:")];
                lines.extend(errors.iter().map(|error| capitalise(error)));
                if let Some(rest) = total.checked_sub(errors.len() as u64).filter(|n| *n > 0) {
                    lines.push(format!("… and {rest} more."));
                }
                lines.join("\n")
            }
            Error::AlreadyExists(what) => format!("{} already exists.", capitalise(what)),
            other => other.to_string(),
        };
        match error.kind() {
            ErrorKind::NotFound => AppError::NotFound(message),
            ErrorKind::Forbidden => AppError::Forbidden(message),
            ErrorKind::Invalid => AppError::Invalid(message),
            ErrorKind::Conflict => AppError::Conflict(message),
            ErrorKind::Unavailable => AppError::Unavailable(message),
            ErrorKind::Internal => {
                tracing::error!(error = %error, "server function failed");
                AppError::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
