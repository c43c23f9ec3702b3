//! Where Sieve is reached and who is calling it: the public URL users type (behind a TLS proxy,
//! the proxy's), against which origins and hosts are checked, and the client's address, read from
//! `X-Forwarded-For` only when the connection comes from a proxy the configuration trusts.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use axum::http::uri::{Authority, Scheme};
use axum::http::Uri;

/// The address users reach Sieve at: scheme, host and port, nothing else (`https://sieve.example`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    https: bool,
    /// Lower case; an IPv6 address keeps its brackets, as in a `Host` header.
    host: String,
    port: u16,
}

impl PublicUrl {
    /// Whether users reach Sieve over TLS (then the session cookie is `Secure` and HSTS is sent).
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Returns the host, without the port.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether `origin` (an `Origin` header, or the start of a `Referer`) is this URL's origin:
    /// the same scheme, host and port.
    pub fn is_origin(&self, origin: &str) -> bool {
        parse_origin(origin).is_some_and(|other| other == *self)
    }

    /// Whether a `Host` header names this URL's host, with its port or none (proxies often drop it).
    pub fn is_host(&self, host: &str) -> bool {
        let Ok(authority) = host.parse::<Authority>() else {
            return false;
        };
        authority.host().eq_ignore_ascii_case(&self.host)
            && authority.port_u16().is_none_or(|port| port == self.port)
    }
}

impl fmt::Display for PublicUrl {
    /// Writes the origin, with the port only when it is not the scheme's default.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.host)?;
        if self.port != default_port(self.https) {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

impl FromStr for PublicUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |why: &str| {
            format!(
                "public URL {text:?} is not valid: {why} (for example https://sieve.hospital.org)"
            )
        };
        let uri: Uri = text.trim().parse().map_err(|_| invalid("not a URL"))?;
        if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
            return Err(invalid(
                "give only the scheme, host and port, without a path",
            ));
        }
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(invalid("a user name has no place in it"));
        }
        let public = match uri.scheme_str() {
            Some("http" | "https") => parse_origin(text.trim().trim_end_matches('/')),
            _ => return Err(invalid("start it with https:// or http://")),
        };
        public.ok_or_else(|| invalid("it names no host"))
    }
}

fn default_port(https: bool) -> u16 {
    if https {
        443
    } else {
        80
    }
}

/// Parses `scheme://host[:port]` and nothing more.
fn parse_origin(origin: &str) -> Option<PublicUrl> {
    let uri: Uri = origin.parse().ok()?;
    if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
        return None;
    }
    let https = match uri.scheme()? {
        scheme if *scheme == Scheme::HTTPS => true,
        scheme if *scheme == Scheme::HTTP => false,
        _ => return None,
    };
    let authority = uri.authority()?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return None;
    }
    Some(PublicUrl {
        https,
        host: authority.host().to_ascii_lowercase(),
        port: authority.port_u16().unwrap_or(default_port(https)),
    })
}

/// Returns the address of the client behind `peer` (the connection's remote address). When `peer`
/// is a trusted proxy, the client is the rightmost address of `X-Forwarded-For` that is not itself a
/// trusted proxy (entries further left were written by the client and prove nothing); otherwise, or
/// when the header is missing or unreadable, it is `peer` itself.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let Some(forwarded_for) = forwarded_for else {
        return peer;
    };
    let mut client = peer;
    for entry in forwarded_for.rsplit(',') {
        let Ok(address) = entry.trim().parse::<IpAddr>() else {
            return client;
        };
        client = address;
        if !trusted_proxies.contains(&address) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_url_is_a_scheme_a_host_and_a_port() {
        let url: PublicUrl = "https://Sieve.Hospital.org".parse().unwrap();
        assert!(url.is_https());
        assert_eq!(url.host(), "sieve.hospital.org");
        assert_eq!(url.to_string(), "https://sieve.hospital.org");
        let url: PublicUrl = "http://10.0.0.5:8080/".parse().unwrap();
        assert!(!url.is_https());
        assert_eq!(url.to_string(), "http://10.0.0.5:8080");
        for wrong in [
            "sieve.hospital.org",
            "ftp://sieve.hospital.org",
            "https://sieve.hospital.org/sieve",
            "https://user@sieve.hospital.org",
            "https://",
        ] {
            assert!(wrong.parse::<PublicUrl>().is_err(), "{wrong}");
        }
    }

    #[test]
    fn an_origin_matches_only_with_the_same_scheme_host_and_port() {
        let url: PublicUrl = "https://sieve.hospital.org".parse().unwrap();
        assert!(url.is_origin("https://sieve.hospital.org"));
        assert!(url.is_origin("https://SIEVE.hospital.org:443"));
        assert!(!url.is_origin("http://sieve.hospital.org"));
        assert!(!url.is_origin("https://sieve.hospital.org:8443"));
        assert!(!url.is_origin("https://sieve.hospital.org.evil.example"));
        assert!(!url.is_origin("null"));
    }

    #[test]
    fn a_host_matches_with_the_port_or_without() {
        let url: PublicUrl = "https://sieve.hospital.org".parse().unwrap();
        assert!(url.is_host("sieve.hospital.org"));
        assert!(url.is_host("sieve.hospital.org:443"));
        assert!(!url.is_host("sieve.hospital.org:3000"));
        assert!(!url.is_host("evil.example"));
        assert!(!url.is_host(""));
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let client: IpAddr = "192.168.7.9".parse().unwrap();
        let trusted = [proxy];
        assert_eq!(client_ip(client, Some("1.2.3.4"), &trusted), client);
        assert_eq!(client_ip(proxy, Some("192.168.7.9"), &trusted), client);
        // The client wrote the leftmost entry itself; only what the proxy appended counts.
        assert_eq!(
            client_ip(proxy, Some("1.2.3.4, 192.168.7.9"), &trusted),
            client
        );
        assert_eq!(client_ip(proxy, None, &trusted), proxy);
        assert_eq!(client_ip(proxy, Some("garbage"), &trusted), proxy);
        assert_eq!(client_ip(proxy, Some("192.168.7.9"), &[]), proxy);
    }
}
