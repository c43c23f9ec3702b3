//! The API's one error: a status and `{"error": "..."}` saying what to fix. Internal failures are
//! logged and answered with a generic message.

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
    /// What is stored no longer matches what was recorded (a label set file changed on disk).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Core(#[from] sieve_core::Error),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        use sieve_core::Error;
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Core(Error::NotFound(_)) => StatusCode::NOT_FOUND,
            ApiError::Core(Error::Forbidden(_)) => StatusCode::FORBIDDEN,
            ApiError::Core(Error::Invalid(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Core(Error::AlreadyExists(_)) => StatusCode::CONFLICT,
            ApiError::Core(Error::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Core(_) => StatusCode::INTERNAL_SERVER_ERROR,
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
