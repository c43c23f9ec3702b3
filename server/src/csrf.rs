//! Cross-site request forgery: a state-changing request must come from a page of this site.
//! Browsers send `Origin` (or at least `Referer`) with every POST; another site's form or script
//! cannot forge them. Requests authorised by a bearer token carry no ambient credential and pass.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sieve_app::ssr::{AppState, PublicUrl};

/// Refuses a state-changing request whose `Origin` (or `Referer`) is not this site. A REST call
/// that carries no cookie has no ambient credential to abuse, and goes on to be authenticated (or
/// refused with 401) by the API itself; pages and server functions are always checked, sign-in too.
pub async fn require_same_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let headers = request.headers();
    let without_cookie_to_api =
        request.uri().path().starts_with("/api/v1/") && !headers.contains_key(header::COOKIE);
    if safe || headers.contains_key(header::AUTHORIZATION) || without_cookie_to_api {
        return next.run(request).await;
    }
    match is_same_origin(request.headers(), state.settings.public_url.as_ref()) {
        true => next.run(request).await,
        false => (
            StatusCode::FORBIDDEN,
            "cross-site request refused: this request must come from a Sieve page",
        )
            .into_response(),
    }
}

/// Whether the request's `Origin`, or failing that its `Referer`, is this site: the public URL's
/// scheme, host and port when one is configured, else the host the request was sent to.
pub fn is_same_origin(headers: &HeaderMap, public_url: Option<&PublicUrl>) -> bool {
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER));
    let Some(source) = source.and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let Some((scheme, rest)) = source.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if let Some(public_url) = public_url {
        return public_url.is_origin(&format!("{scheme}://{authority}"));
    }
    let Some(host) = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
    else {
        return false;
    };
    authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), value.parse().unwrap()))
            .collect()
    }

    #[test]
    fn only_this_sites_pages_may_post() {
        let is_same_origin = |headers: &HeaderMap| is_same_origin(headers, None);
        assert!(is_same_origin(&headers(&[
            (header::HOST, "sieve.hospital.org"),
            (header::ORIGIN, "https://sieve.hospital.org")
        ])));
        assert!(is_same_origin(&headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::REFERER, "http://127.0.0.1:3000/login?next=/")
        ])));
        assert!(!is_same_origin(&headers(&[
            (header::HOST, "sieve.hospital.org"),
            (header::ORIGIN, "https://evil.example")
        ])));
        assert!(!is_same_origin(&headers(&[
            (header::HOST, "sieve.hospital.org"),
            (header::ORIGIN, "https://sieve.hospital.org.evil.example")
        ])));
        assert!(!is_same_origin(&headers(&[
            (header::HOST, "sieve.hospital.org"),
            (header::ORIGIN, "null")
        ])));
        assert!(!is_same_origin(&headers(&[(
            header::HOST,
            "sieve.hospital.org"
        )])));
    }

    #[test]
    fn with_a_public_url_the_scheme_and_port_must_match_too() {
        let url: PublicUrl = "https://sieve.hospital.org".parse().unwrap();
        let from = |source: (header::HeaderName, &str)| {
            is_same_origin(
                &headers(&[(header::HOST, "sieve.hospital.org"), source]),
                Some(&url),
            )
        };
        assert!(from((header::ORIGIN, "https://sieve.hospital.org")));
        assert!(from((
            header::REFERER,
            "https://sieve.hospital.org/login?next=/"
        )));
        assert!(!from((header::ORIGIN, "http://sieve.hospital.org")));
        assert!(!from((header::ORIGIN, "https://sieve.hospital.org:8443")));
        assert!(!from((header::REFERER, "http://sieve.hospital.org/login")));
        assert!(!from((header::ORIGIN, "https://evil.example")));
    }
}
