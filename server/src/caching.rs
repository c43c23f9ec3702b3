//! What browsers and proxies may keep. Pages, server functions, the REST API and label-set files
//! carry report text, labels and patient pseudonyms, and a shared workstation's browser cache or a
//! hospital proxy must not keep a copy: every response is `Cache-Control: no-store` and carries no
//! validator (`Last-Modified`, `ETag`) that would invite one. The one exception is the static
//! bundle under `/pkg/` (and the favicon), which holds no data. Its files named after their content
//! (`bundle.rs`) are kept for a year and never revalidated, since a new build is a new name; any
//! other file there is stored but revalidated on use, as its name carries no version.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::bundle;

/// The caching of anything that may carry PHI: none.
pub const NO_STORE: &str = "no-store";
/// The caching of a static file whose name carries no version: stored, revalidated against its
/// `Last-Modified` on use.
pub const STATIC_BUNDLE: &str = "public, no-cache";
/// The caching of a bundle file named after its content: kept a year, never revalidated.
pub const HASHED_BUNDLE: &str = "public, max-age=31536000, immutable";

/// Whether a path is the static bundle, which carries no data.
pub fn is_static_bundle(path: &str) -> bool {
    (path.starts_with("/pkg/") && !path.contains("..")) || path == "/favicon.ico"
}

/// Sets `Cache-Control` on every response: `no-store`, without validators, unless it is the static
/// bundle. Conditional request headers are dropped too, so no handler can answer 304 from a copy.
/// The bundle's responses vary with `Accept-Encoding` (brotli, gzip or none), which shared caches
/// are told.
pub async fn cache_control(mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let bundle = is_static_bundle(path);
    let lifetime = match bundle::is_hashed_file(path) {
        true => HASHED_BUNDLE,
        false => STATIC_BUNDLE,
    };
    if !bundle {
        let headers = request.headers_mut();
        headers.remove(header::IF_MODIFIED_SINCE);
        headers.remove(header::IF_NONE_MATCH);
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    match bundle {
        true => {
            headers
                .entry(header::CACHE_CONTROL)
                .or_insert(HeaderValue::from_static(lifetime));
            headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        false => {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
            headers.remove(header::LAST_MODIFIED);
            headers.remove(header::ETAG);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bundle_and_the_favicon_may_be_stored() {
        assert!(is_static_bundle("/pkg/sieve.js"));
        assert!(is_static_bundle("/pkg/sieve_bg.wasm"));
        assert!(is_static_bundle("/favicon.ico"));
        assert!(!is_static_bundle("/pkg/../api/v1/projects"));
        assert!(!is_static_bundle("/projects/1/reports/2"));
        assert!(!is_static_bundle(
            "/api/v1/projects/1/labelsets/1/files/texts.jsonl"
        ));
        assert!(!is_static_bundle("/api/open_report"));
    }

    #[tokio::test]
    async fn hashed_bundle_files_are_immutable_and_others_revalidated() {
        use axum::routing::get;
        use tower::ServiceExt;

        let app = axum::Router::new()
            .route("/pkg/{file}", get(|| async { "bundle" }))
            .route("/login", get(|| async { "page" }))
            .layer(axum::middleware::from_fn(cache_control));
        for (path, expected) in [
            ("/pkg/sieve.0123456789abcdef.wasm", HASHED_BUNDLE),
            ("/pkg/sieve.wasm", STATIC_BUNDLE),
            ("/login", NO_STORE),
        ] {
            let request = axum::http::Request::builder()
                .uri(path)
                .body(axum::body::Body::empty())
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(
                response.headers()[header::CACHE_CONTROL],
                expected,
                "{path}"
            );
        }
    }
}
