//! The API's one error: a status and `{"error": "..."}` saying what to fix. Internal failures are
//! logged and answered with a generic message.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong and what to do about it.
    pub error: String,
}

/// Errors of the REST API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("send a valid API token as `Authorization: Bearer <token>`, or sign in")]
    Unauthenticated,
    /// The request itself is malformed (a path parameter that is not a number, ...).
    #[error("{0}")]
    BadRequest(String),
    /// The request could not be read (a body that is not the JSON asked for, a malformed query):
    /// says which field where it can, never what the deserializer expected.
    #[error("This request could not be read: {0}")]
    Unreadable(String),
    /// The body is larger than the server takes.
    #[error("{0}")]
    TooLarge(String),
    /// What is stored no longer matches what was recorded (a label set file changed on disk).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Core(#[from] sieve_core::Error),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) | ApiError::Unreadable(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            // The domain's errors answer as the browser's do: one classification, `Error::kind`.
            ApiError::Core(error) => StatusCode::from_u16(error.kind().status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let error = match status {
            StatusCode::INTERNAL_SERVER_ERROR => {
                tracing::error!(error = %self, "api request failed");
                "internal error: it has been logged; try again".to_string()
            }
            _ => self.to_string(),
        };
        (status, Json(ErrorBody { error })).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(error) => {
                tracing::info!(error = %error.body_text(), "unreadable JSON body");
                ApiError::Unreadable(located_reason(&error.body_text()))
            }
            JsonRejection::JsonSyntaxError(_) => {
                ApiError::Unreadable("the body is not valid JSON".into())
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::Unreadable(
                "send the body as JSON, with Content-Type: application/json".into(),
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::TooLarge("the body is larger than this request takes".into())
            }
            _ => ApiError::Unreadable("the body could not be received".into()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        tracing::info!(error = %rejection.body_text(), "unreadable query string");
        ApiError::Unreadable(located_reason(&rejection.body_text()))
    }
}

/// Turns axum's account of a deserializer failure ("Failed to deserialize ...: PATH: MESSAGE")
/// into "PATH: plain reason", dropping the types the deserializer expected.
fn located_reason(text: &str) -> String {
    let detail = text.split_once(": ").map_or(text, |(_, rest)| rest);
    let reason = |message: &str| sieve_app::error::unreadable_reason(message);
    match detail.split_once(": ") {
        Some((path, message)) if !path.contains(' ') && path != "." => {
            let path: String = path
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
                .take(60)
                .collect();
            // An unknown field's path is the field itself, which the reason names already.
            match reason(message) {
                reason if reason.starts_with(&path) => reason,
                reason => format!("{path}: {reason}"),
            }
        }
        _ => reason(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deserializer_failures_name_the_field_but_no_types() {
        let located = located_reason(
            "Failed to deserialize the JSON body into the target type: questions[0]: invalid type: string \"x\", expected i64 at line 1 column 17",
        );
        assert_eq!(
            located,
            "questions[0]: a value is missing, malformed or of the wrong kind"
        );
        let unknown = located_reason(
            "Failed to deserialize the JSON body into the target type: unknown field `colour`, expected one of `questions`, `seed` at line 1 column 30",
        );
        assert_eq!(unknown, "colour is not a field this request takes");
        let missing =
            located_reason("Failed to deserialize query string: missing field `filename`");
        assert_eq!(missing, "filename is missing");
        let whole = located_reason(
            "Failed to deserialize the JSON body into the target type: invalid type: integer `3`, expected struct NewLabelSet at line 1 column 1",
        );
        assert!(
            !whole.contains("NewLabelSet") && !whole.contains("expected"),
            "{whole}"
        );
    }
}
