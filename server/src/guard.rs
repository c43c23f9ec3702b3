//! The sign-in guard: every page but the sign-in page needs a signed-in user; anyone else is sent
//! to sign in and brought back afterwards. Server functions check the session (and the role)
//! themselves, so the guard lets them through.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sieve_app::ssr::{session_user, AppState};
use tower_sessions::Session;

/// Whether a path is reachable without signing in.
pub fn is_public(path: &str) -> bool {
    path == "/login"
        || path == "/healthz"
        || path == "/favicon.ico"
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
}

/// Redirects a request for a page to `/login?next=...` unless its session has a user.
pub async fn require_sign_in(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    if is_public(request.uri().path()) {
        return next.run(request).await;
    }
    match session_user(&session, &state).await {
        Ok(Some(_)) => next.run(request).await,
        Ok(None) => {
            let wanted = request.uri().path_and_query().map_or("/", |p| p.as_str());
            let location = format!("/login?next={}", percent_encode(wanted));
            (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Percent-encodes everything but unreserved characters and `/`, for a path inside a query value.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_need_sign_in_but_assets_and_the_sign_in_page_do_not() {
        assert!(is_public("/login"));
        assert!(is_public("/pkg/sieve.js"));
        assert!(is_public("/healthz"));
        assert!(!is_public("/"));
        assert!(!is_public("/admin"));
        assert!(!is_public("/projects/1"));
        assert!(!is_public("/login/../admin"));
    }

    #[test]
    fn the_return_path_is_encoded() {
        assert_eq!(
            percent_encode("/projects/1?tab=rules&x=1"),
            "/projects/1%3Ftab%3Drules%26x%3D1"
        );
    }
}
