//! Server functions at the HTTP boundary. Leptos answers every server function error 500 unless
//! the function set a status itself, and one whose arguments cannot be read never runs to set one:
//! a malformed request would look like a crash of the server. Here the status always follows the
//! error (`AppError::status`), so an unreadable request is a 400 with a plain message. Whom a
//! server function may serve is decided before its arguments are read: see `guard`.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use sieve_app::error::AppError;

/// Server functions that serve callers who are not signed in.
const PUBLIC: [&str; 2] = ["/api/sign_in", "/api/sign_out"];
/// An encoded error is a few hundred bytes; anything longer is left as it is.
const MAX_ERROR_BYTES: usize = 64 * 1024;

/// Whether a path is a server function's (the REST API is under `/api/v1/`).
pub fn is_server_fn(path: &str) -> bool {
    path.starts_with("/api/") && !path.starts_with("/api/v1/")
}

/// Whether a server function serves callers who are not signed in.
pub fn is_public(path: &str) -> bool {
    PUBLIC.contains(&path)
}

/// Answers a server function call with `error`, encoded as server functions encode their errors,
/// with the error's status.
pub fn refuse(path: &str, error: &AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(error).unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(path) = HeaderValue::from_str(path) {
        headers.insert(SERVER_FN_ERROR_HEADER, path);
    }
    response
}

/// Gives a server function's error answer the status of its error, where Leptos left it 500.
pub async fn status_follows_error(request: Request, next: Next) -> Response {
    let server_fn = is_server_fn(request.uri().path());
    let response = next.run(request).await;
    let unset = response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && response.headers().contains_key(SERVER_FN_ERROR_HEADER);
    if !server_fn || !unset {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BYTES).await else {
        return (parts, Body::empty()).into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_functions_are_under_api_but_not_the_rest_api() {
        assert!(is_server_fn("/api/open_report"));
        assert!(is_server_fn("/api/sign_in"));
        assert!(!is_server_fn("/api/v1/projects"));
        assert!(!is_server_fn("/projects/1"));
        assert!(is_public("/api/sign_in"));
        assert!(!is_public("/api/open_report"));
    }
}
