//! Keeps every project's search index caught up with the database, in the background: at start
//! (repairing an index that missed an import before a crash), after imports through the browser,
//! and after `sieve import` runs beside the server.

use std::time::Duration;

use sieve_app::ssr::AppState;

/// How often the indexer looks for reports written since the last pass.
pub const INTERVAL: Duration = Duration::from_secs(2);

/// Starts the background indexer.
pub fn start(state: AppState) {
    tokio::spawn(async move {
        loop {
            catch_up_all(&state).await;
            tokio::time::sleep(INTERVAL).await;
        }
    });
}

/// Catches up the index of every open project; failures are logged and retried next pass.
pub async fn catch_up_all(state: &AppState) {
    let projects = match sieve_core::projects::open_ids(&state.pool).await {
        Ok(projects) => projects,
        Err(error) => {
            tracing::error!(%error, "indexer cannot list projects");
            return;
        }
    };
    for project_id in projects {
        match state
            .indexes
            .catch_up(&state.pool, project_id, |_, _| {})
            .await
        {
            Ok(0) => {}
            Ok(indexed) => tracing::info!(project_id, indexed, "search index caught up"),
            Err(error) => tracing::error!(project_id, %error, "search index catch-up failed"),
        }
    }
}
