//! Keeps every project's search index caught up with the database, in the background: at start
//! (repairing an index that missed an import before a crash), after imports through the browser,
//! and after `sieve import` runs beside the server. When a project's cue lists or section headers
//! changed, its reports' word statuses are read again (a task of their own; one that a crash
//! interrupted resumes at start).

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
        match state.indexes.stale(&state.pool, project_id).await {
            Ok(None) => {}
            Ok(Some(_)) => read_again(state, project_id),
            Err(error) => {
                tracing::error!(project_id, %error, "cannot tell whether the word statuses are current")
            }
        }
    }
}

/// Reads the project's word statuses again with its current text settings, in a task of its own
/// (a second call while one runs does nothing).
fn read_again(state: &AppState, project_id: i64) {
    let (indexes, pool) = (state.indexes.clone(), state.pool.clone());
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        match indexes.refresh_statuses(&pool, project_id).await {
            Ok(None) => {}
            Ok(Some(reports)) => tracing::info!(
                project_id,
                reports,
                seconds = started.elapsed().as_secs_f64(),
                "word statuses read again with the new text settings"
            ),
            Err(error) => {
                tracing::error!(project_id, %error, "reading the word statuses again failed")
            }
        }
    });
}
