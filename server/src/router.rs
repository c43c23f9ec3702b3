//! The HTTP application: Leptos pages and server functions, the health check, static files,
//! sessions, the sign-in guard and the security headers. Built without a socket, so tests can
//! send it requests directly.

use std::sync::Arc;

use axum::routing::get;
use axum::{middleware, Router};
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sieve_app::ssr::{AppState, PublicUrl, Settings};
use sieve_app::{shell, App};
use sieve_core::pseudonym::Pseudonymizer;
use sieve_core::search::Indexes;
use sqlx::SqlitePool;
use tower_http::limit::RequestBodyLimitLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{CachingSessionStore, Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;

use crate::config::Config;
use crate::session_cache::SessionCache;
use crate::{api, bundle, caching, csrf, guard, health, host, security, server_fns};

/// The largest request body accepted, but for uploads of reports (see `api::imports`).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sieve_session";

/// Builds the state shared by every handler and server function.
pub fn state(pool: SqlitePool, config: &Config) -> sieve_core::Result<AppState> {
    // Pages link the bundle by its hashed name (`bundle.rs`); leptos' plain name without a build.
    let output_name =
        bundle::hashed_name(&config.site_root).unwrap_or_else(|| bundle::STEM.to_string());
    let leptos_options = LeptosOptions::builder()
        .output_name(output_name)
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build();
    let queue = sieve_core::queue::Writer::start(pool.clone())?;
    Ok(AppState {
        pool,
        leptos_options,
        throttle: Arc::new(sieve_core::throttle::AddressThrottle::new()),
        indexes: Arc::new(Indexes::new(config.index_dir())),
        matches: Arc::default(),
        queue,
        models: Arc::default(),
        pseudonymizer: Pseudonymizer::load_or_create(&config.data_dir)?,
        settings: Arc::new(Settings {
            public_url: config.public_url.clone(),
            trusted_proxies: config.trusted_proxies.clone(),
            data_dir: config.data_dir.clone(),
            index_dir: config.index_dir(),
            absolute_session_seconds: config.session_absolute_hours * 3600,
            max_upload_bytes: config.max_upload_bytes(),
            mllp_addr: config.mllp_addr,
        }),
    })
}

/// Where sessions live: in the database (they survive a restart), read through a cache in memory.
pub type SessionStore = CachingSessionStore<SessionCache, SqliteStore>;

/// Prepares the session store in the database (sessions survive a restart) and its cookie settings:
/// HttpOnly, SameSite=Lax, Secure when asked (or the public URL is https), and an idle timeout
/// renewed at every request.
pub async fn sessions(
    pool: &SqlitePool,
    config: &Config,
) -> Result<SessionManagerLayer<SessionStore>, sqlx::Error> {
    let database = SqliteStore::new(pool.clone());
    database.migrate().await?;
    let store = CachingSessionStore::new(SessionCache::default(), database);
    let idle = tower_sessions::cookie::time::Duration::minutes(config.session_idle_minutes);
    Ok(SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(
            config.secure_cookies || config.public_url.as_ref().is_some_and(PublicUrl::is_https),
        )
        .with_expiry(Expiry::OnInactivity(idle))
        // Saved when changed; `guard::touch` renews a session in use once a minute.
        .with_always_save(false))
}

/// Builds the whole application.
pub fn app(state: AppState, sessions: SessionManagerLayer<SessionStore>) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let bundle = bundle::service(std::path::Path::new(options.site_root.as_ref()));
    let pages = Router::new()
        .route("/healthz", get(health::healthz))
        .leptos_routes_with_context(&state, routes, || {}, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn(server_fns::status_follows_error));
    Router::new()
        .merge(api::router())
        .merge(pages)
        .nest_service(bundle::PKG_PATH, bundle)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::require_sign_in,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            csrf::require_same_origin,
        ))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            host::require_known_host,
        ))
        .layer(security::headers())
        .layer(middleware::from_fn(caching::cache_control))
        .with_state(state)
}
