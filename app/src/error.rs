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
    #[error("Too many failed sign-ins for this name. Try again in {0}.")]
    TooManyAttempts(String),
    /// Signed in, but without the role (or the protocol has expired): the message says which.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found.")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
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
            AppError::NotFound(_) => 404,
            AppError::Invalid(_) => 422,
            AppError::TooManyAttempts(_) => 429,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        AppError::Transport(error.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sieve_core::Error> for AppError {
    fn from(error: sieve_core::Error) -> Self {
        use sieve_core::Error;
        match error {
            Error::NotFound(what) => AppError::NotFound(capitalise(&what)),
            Error::Invalid(message) | Error::Unavailable(message) => AppError::Invalid(message),
            Error::Forbidden(message) => AppError::Forbidden(message),
            Error::AlreadyExists(what) => AppError::Invalid(format!("{what} already exists")),
            internal => {
                tracing::error!(error = %internal, "server function failed");
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
