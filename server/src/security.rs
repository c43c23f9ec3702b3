//! Security headers sent with every response.

use axum::http::{header, HeaderName, HeaderValue};
use tower::layer::util::{Identity, Stack};
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

type HeaderLayer = SetResponseHeaderLayer<HeaderValue>;

/// Returns the layers that add the headers, each only where the handler did not set it: pages set
/// their own Content-Security-Policy, with the nonce of their inline bootstrap script.
#[allow(clippy::type_complexity)]
pub fn headers() -> ServiceBuilder<
    Stack<HeaderLayer, Stack<HeaderLayer, Stack<HeaderLayer, Stack<HeaderLayer, Identity>>>>,
> {
    let set =
        |name: HeaderName, value: HeaderValue| SetResponseHeaderLayer::if_not_present(name, value);
    let policy = sieve_app::ssr::content_security_policy(None);
    let policy = HeaderValue::from_str(&policy).expect("the policy is a valid header value");
    ServiceBuilder::new()
        .layer(set(header::CONTENT_SECURITY_POLICY, policy))
        .layer(set(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(set(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(set(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}
