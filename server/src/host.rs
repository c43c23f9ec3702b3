//! The names Sieve answers to. A DNS-rebinding attack points a name the attacker owns
//! (`evil.example`) at Sieve's address, so that a page of theirs can read Sieve's answers as
//! same-origin; the browser still sends `Host: evil.example`. Sieve therefore serves only requests
//! whose `Host` is its configured public URL's host, a loopback name or address, or (without a
//! public URL) an address it listens on: a rebinding attack always comes with a name, never with an
//! address. `GET /healthz` is answered for any host, so that a proxy's health check may use whatever
//! address it knows Sieve by; it carries no credential and nothing that a rebinding page could use.
//!
//! Served over https (the public URL says so), every response also carries
//! `Strict-Transport-Security`, so that a browser never again tries Sieve in clear.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sieve_app::ssr::{AppState, PublicUrl};

/// One year, the value HSTS preload lists ask for.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Refuses a request for a host Sieve does not answer to (421, plain text), and adds HSTS to the
/// answers when Sieve is served over https.
pub async fn require_known_host(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let public_url = state.settings.public_url.as_ref();
    let health_check = request.method() == Method::GET && request.uri().path() == "/healthz";
    // HTTP/2 sends the host as the request's authority rather than a `Host` header.
    let host = match request.headers().get(header::HOST) {
        Some(host) => host.to_str().ok().map(str::to_owned),
        None => request.uri().authority().map(|a| a.as_str().to_owned()),
    };
    let known = match &host {
        Some(host) => is_known_host(host, public_url, state.leptos_options.site_addr),
        // No host at all: not a browser (browsers always send one), so not a rebinding page.
        None => request.headers().get(header::HOST).is_none(),
    };
    let mut response = match known || health_check {
        true => next.run(request).await,
        false => {
            tracing::warn!(
                host = host.as_deref().unwrap_or("?"),
                "request for an unknown host refused"
            );
            let message = match public_url {
                Some(url) => format!("this server answers only at {url}\n"),
                None => "this server answers only at its own address (configure public_url to \
                         serve it under a name)\n"
                    .to_string(),
            };
            (StatusCode::MISDIRECTED_REQUEST, message).into_response()
        }
    };
    if public_url.is_some_and(PublicUrl::is_https) {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    response
}

/// Whether Sieve answers to `host` (a `Host` header: a name or address, and maybe a port).
pub fn is_known_host(host: &str, public_url: Option<&PublicUrl>, listen: SocketAddr) -> bool {
    let Ok(authority) = host.parse::<axum::http::uri::Authority>() else {
        return false;
    };
    let name = authority.host();
    // Exactly a name or address and maybe a port: the parser takes `127.0.0.1:3000.evil.example`
    // or `evil@127.0.0.1` for an authority of 127.0.0.1.
    let strict = host.strip_prefix(name).is_some_and(|port| {
        port.is_empty()
            || port
                .strip_prefix(':')
                .is_some_and(|p| p.parse::<u16>().is_ok())
    });
    if !strict {
        return false;
    }
    if public_url.is_some_and(|url| url.is_host(host)) {
        return true;
    }
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let address = name
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>();
    let Ok(address) = address else {
        // A name: only the public URL's or localhost, which were checked above.
        return false;
    };
    if address.is_loopback() || address == listen.ip() {
        return true;
    }
    // Listening on every interface without a public URL: any of the host's addresses may be typed.
    public_url.is_none() && listen.ip().is_unspecified()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(address: &str) -> SocketAddr {
        address.parse().unwrap()
    }

    #[test]
    fn without_a_public_url_only_loopback_and_the_listen_address_are_served() {
        let local = listen("127.0.0.1:3000");
        assert!(is_known_host("127.0.0.1:3000", None, local));
        assert!(is_known_host("localhost:3000", None, local));
        assert!(is_known_host("LOCALHOST", None, local));
        assert!(is_known_host("[::1]:3000", None, local));
        for loose in [
            "127.0.0.1:3000.evil.example",
            "127.0.0.1:evil",
            "127.0.0.1:",
            "localhost:x",
            "evil.example@127.0.0.1:3000",
        ] {
            assert!(!is_known_host(loose, None, local), "{loose}");
        }
        assert!(!is_known_host("evil.example", None, local));
        assert!(!is_known_host("evil.example:3000", None, local));
        assert!(!is_known_host("10.0.0.5:3000", None, local));
        assert!(!is_known_host("", None, local));

        let lan = listen("10.0.0.5:3000");
        assert!(is_known_host("10.0.0.5:3000", None, lan));
        assert!(!is_known_host("sieve.local:3000", None, lan));

        let everywhere = listen("0.0.0.0:3000");
        assert!(is_known_host("10.0.0.5:3000", None, everywhere));
        assert!(!is_known_host("evil.example:3000", None, everywhere));
    }

    #[test]
    fn with_a_public_url_its_host_and_loopback_are_served() {
        let url: PublicUrl = "https://sieve.hospital.org".parse().unwrap();
        let everywhere = listen("0.0.0.0:8080");
        assert!(is_known_host("sieve.hospital.org", Some(&url), everywhere));
        assert!(is_known_host(
            "Sieve.Hospital.org:443",
            Some(&url),
            everywhere
        ));
        assert!(is_known_host("127.0.0.1:8080", Some(&url), everywhere));
        assert!(!is_known_host("evil.example", Some(&url), everywhere));
        assert!(!is_known_host("10.0.0.5:8080", Some(&url), everywhere));
        assert!(is_known_host(
            "10.0.0.5:8080",
            Some(&url),
            listen("10.0.0.5:8080")
        ));
    }
}
