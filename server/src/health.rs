//! `GET /healthz`: whether this instance can serve, for load balancers and monitoring.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use sieve_app::ssr::AppState;

/// The health report.
#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub database: bool,
    pub index_dir: bool,
}

/// Answers 200 when the database and the index directory are usable, 503 otherwise, with the details.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let database = sieve_core::db::is_usable(&state.pool).await;
    let index_dir = is_writable_dir(state.settings.index_dir.clone()).await;
    let healthy = database && index_dir;
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let health = Health {
        status: if healthy { "ok" } else { "unavailable" },
        version: env!("CARGO_PKG_VERSION"),
        database,
        index_dir,
    };
    (status, Json(health))
}

/// Whether a directory exists and a file can be written in it.
pub async fn is_writable_dir(dir: std::path::PathBuf) -> bool {
    tokio::task::spawn_blocking(move || {
        let probe = dir.join(".sieve-health-probe");
        let written = std::fs::write(&probe, b"ok").is_ok();
        let _ = std::fs::remove_file(&probe);
        dir.is_dir() && written
    })
    .await
    .unwrap_or(false)
}
