//! Server-side plumbing shared by every server function and by the server's page guard:
//! the application state, and who the session belongs to.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use sieve_core::access::{Caller, Capability};
use sieve_core::auth::User;
use sieve_core::projects::Membership;
use sieve_core::pseudonym::Pseudonymizer;
use sieve_core::search::Indexes;
use sieve_core::throttle::AddressThrottle;
use sqlx::SqlitePool;
use tower_sessions::Session;

use crate::error::AppError;

mod address;
pub use address::{client_ip, PublicUrl};

/// Session key holding the signed-in user's id.
pub const USER_ID_KEY: &str = "user_id";
/// Session key holding when the user signed in (unix seconds), for the absolute timeout.
pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";
/// Session key holding the user's `session_epoch` at sign-in: a change of credentials since ends
/// the session.
pub const SESSION_EPOCH_KEY: &str = "session_epoch";

/// What the server knows of its own configuration at run time.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where users reach Sieve, when configured: origins and hosts are checked against it.
    pub public_url: Option<PublicUrl>,
    /// Proxies whose `X-Forwarded-For` names the client (see `client_ip`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub data_dir: PathBuf,
    pub index_dir: PathBuf,
    /// A session ends this long after sign-in, however active it is.
    pub absolute_session_seconds: i64,
    /// The largest upload of reports accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Where the live HL7 feed is received over MLLP; `None`: no feed.
    pub mllp_addr: Option<std::net::SocketAddr>,
}

/// The one state of the application, given to axum handlers and provided to Leptos as context.
#[derive(Clone)]
pub struct AppState {
    pub pool: SqlitePool,
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    /// Failed sign-ins per network address.
    pub throttle: Arc<AddressThrottle>,
    /// The search indexes, one per project.
    pub indexes: Arc<Indexes>,
    /// Turns patient identifiers into pseudonyms on import.
    pub pseudonymizer: Pseudonymizer,
    /// Phrase-rule matches computed so far (see `sieve_core::soft_labels`).
    pub matches: Arc<sieve_core::soft_labels::MatchCache>,
    /// Every write of the confirmation queues goes through it.
    pub queue: sieve_core::queue::Writer,
    /// Models' predictions kept in memory between views (see `sieve_core::models`).
    pub models: Arc<sieve_core::models::Cache>,
}

impl AppState {
    /// What soft labels are computed with.
    pub fn labeling(&self) -> sieve_core::soft_labels::Context<'_> {
        sieve_core::soft_labels::Context {
            pool: &self.pool,
            indexes: &self.indexes,
            cache: &self.matches,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Returns the application state inside a server function or a page render.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("application state missing from the Leptos context");
        AppError::Internal
    })
}

/// Returns the request's session (put there by the session layer).
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|error| {
        tracing::error!(%error, "no session on the request");
        AppError::Internal
    })
}

/// Returns the user a session belongs to, or `None` when it has none, has outlived the
/// absolute timeout, belongs to a user who has since been disabled, or was opened before a change
/// of the user's credentials (a password reset moves their `session_epoch` on). The user is read
/// afresh at every request, so rights taken away take effect on the next one.
pub async fn session_user(session: &Session, state: &AppState) -> Result<Option<User>, AppError> {
    let read = |error: tower_sessions::session::Error| {
        tracing::error!(%error, "session store failed");
        AppError::Internal
    };
    let Some(user_id) = session.get::<i64>(USER_ID_KEY).await.map_err(read)? else {
        return Ok(None);
    };
    let signed_in_at = session
        .get::<i64>(SIGNED_IN_AT_KEY)
        .await
        .map_err(read)?
        .unwrap_or(0);
    if sieve_core::now() - signed_in_at > state.settings.absolute_session_seconds {
        session.flush().await.map_err(read)?;
        return Ok(None);
    }
    // Sessions opened before epochs existed count as epoch 0, the epoch every user started at.
    let epoch = session
        .get::<i64>(SESSION_EPOCH_KEY)
        .await
        .map_err(read)?
        .unwrap_or(0);
    let user = sieve_core::auth::find_user(&state.pool, user_id).await?;
    match user {
        Some(user) if !user.disabled && user.session_epoch == epoch => Ok(Some(user)),
        _ => {
            session.flush().await.map_err(read)?;
            Ok(None)
        }
    }
}

/// The user the sign-in guard found for this request (a request extension), so that the server
/// functions and pages it lets through do not read the session and the user a second time.
#[derive(Debug, Clone)]
pub struct SignedIn(pub User);

/// Returns the state and the signed-in user, or `NotSignedIn`.
pub async fn require_user() -> Result<(AppState, User), AppError> {
    let state = state()?;
    let found = leptos_axum::extract::<axum::http::request::Parts>()
        .await
        .ok()
        .and_then(|parts| parts.extensions.get::<SignedIn>().cloned());
    if let Some(SignedIn(user)) = found {
        return Ok((state, user));
    }
    let session = session().await?;
    let user = session_user(&session, &state)
        .await?
        .ok_or(AppError::NotSignedIn)?;
    Ok((state, user))
}

/// Returns the state and the signed-in user if they are a site admin, or `Forbidden`.
pub async fn require_admin() -> Result<(AppState, User), AppError> {
    let (state, user) = require_user().await?;
    if !user.is_admin {
        return Err(AppError::Forbidden(
            "Administration needs the site admin role.".into(),
        ));
    }
    Ok((state, user))
}

/// Returns the state, the signed-in user and their membership if they may do `capability` in the
/// project (see `sieve_core::access`). Refusals are audited.
pub async fn require_project(
    project_id: i64,
    capability: Capability,
) -> Result<(AppState, User, Membership), AppError> {
    let (state, user) = require_user().await?;
    let caller = Caller {
        user_id: user.id,
        token_project: None,
    };
    let membership =
        sieve_core::access::admit(&state.pool, caller, &user.name, project_id, capability).await?;
    Ok((state, user, membership))
}

/// Passes a server function's result through, setting the response status from its error,
/// so that a page rendered with an error answers 403 or 404 rather than 200.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let (Err(error), Some(response)) = (&result, use_context::<ResponseOptions>()) {
        if let Ok(status) = axum::http::StatusCode::from_u16(error.status()) {
            response.set_status(status);
        }
    }
    result
}

/// Returns the client's address, for the audit log and the sign-in throttle: the connection's
/// remote address, or behind a trusted proxy the address it forwarded (see `client_ip`).
pub async fn client_address() -> Option<String> {
    let parts = leptos_axum::extract::<axum::http::request::Parts>()
        .await
        .ok()?;
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    // Several header lines read as one list, in order (RFC 9110, section 5.3).
    let forwarded_for: Vec<&str> = (parts.headers.get_all("x-forwarded-for").iter())
        .filter_map(|value| value.to_str().ok())
        .collect();
    let forwarded_for = (!forwarded_for.is_empty()).then(|| forwarded_for.join(","));
    let trusted_proxies = state().map(|state| state.settings.trusted_proxies.clone());
    let trusted_proxies = trusted_proxies.unwrap_or_default();
    let client = client_ip(peer, forwarded_for.as_deref(), &trusted_proxies);
    Some(client.to_string())
}

/// Returns the Content-Security-Policy: scripts only from this site, plus the one inline bootstrap
/// script that carries `nonce` (pages have one, other responses none); wasm may be compiled.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let inline_script = nonce
        .map(|nonce| format!(" 'nonce-{nonce}'"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{inline_script} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sets the page's Content-Security-Policy with this render's nonce.
pub fn set_page_policy() {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce().map(|nonce| nonce.to_string());
    if let Ok(value) = axum::http::HeaderValue::from_str(&content_security_policy(nonce.as_deref()))
    {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}
