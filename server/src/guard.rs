//! The sign-in guard: every page but the sign-in page needs a signed-in user; anyone else is sent
//! to sign in and brought back afterwards. Server functions but signing in and out need one too,
//! and are refused 401 before any of their arguments is read; they check the role themselves.
//! The REST API authenticates its own callers (tokens as well as sessions).

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sieve_app::error::AppError;
use sieve_app::ssr::{session_user, AppState, SignedIn};
use tower_sessions::Session;

/// Whether a path is reachable without signing in.
pub fn is_public(path: &str) -> bool {
    path == "/login"
        || path == "/healthz"
        || path == "/favicon.ico"
        || path.starts_with("/pkg/")
        || path.starts_with("/api/v1/")
        || crate::server_fns::is_public(path)
}

/// Session key holding when the session was last renewed (unix seconds).
const TOUCHED_AT_KEY: &str = "touched_at";
/// A session in use is renewed (its idle timeout restarted) at most this often: saving it on every
/// request would cost a database write per request.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// Renews a signed-in session's idle timeout when its last renewal is older than a minute.
async fn touch(session: &Session) {
    let signed_in = matches!(
        session.get::<i64>(sieve_app::ssr::USER_ID_KEY).await,
        Ok(Some(_))
    );
    if !signed_in {
        return;
    }
    let now = sieve_core::now();
    // Signing in saved the session: that counts as its first renewal.
    let mut touched = session.get::<i64>(TOUCHED_AT_KEY).await.ok().flatten();
    if touched.is_none() {
        touched = (session.get::<i64>(sieve_app::ssr::SIGNED_IN_AT_KEY).await)
            .ok()
            .flatten();
    }
    if touched.is_none_or(|at| now - at >= TOUCH_EVERY_SECONDS) {
        if let Err(error) = session.insert(TOUCHED_AT_KEY, now).await {
            tracing::warn!(%error, "could not renew a session");
        }
    }
}

/// Redirects a request for a page to `/login?next=...` unless its session has a user; renews the
/// session of a signed-in user (see `touch`).
pub async fn require_sign_in(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    touch(&session).await;
    if is_public(request.uri().path()) {
        return next.run(request).await;
    }
    match session_user(&session, &state).await {
        Ok(Some(user)) => {
            // Read once here; `require_user` takes it from the request.
            request.extensions_mut().insert(SignedIn(user));
            next.run(request).await
        }
        Ok(None) if crate::server_fns::is_server_fn(request.uri().path()) => {
            crate::server_fns::refuse(request.uri().path(), &AppError::NotSignedIn)
        }
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
        assert!(is_public("/api/v1/projects"));
        assert!(is_public("/api/sign_in"));
        assert!(!is_public("/api/open_report"));
    }

    #[test]
    fn the_return_path_is_encoded() {
        assert_eq!(
            percent_encode("/projects/1?tab=rules&x=1"),
            "/projects/1%3Ftab%3Drules%26x%3D1"
        );
    }
}
