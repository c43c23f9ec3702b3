//! Following jobs: asking each unfinished job's scheduler how it is, and recording what changed
//! (`follow` runs `poll` every few seconds inside `sieve serve`).

use std::path::Path;

use sqlx::SqlitePool;

use super::{observe, profile, Observed, Profile, State};
use crate::Result;

/// A launch that never got its scheduler id this long after it was recorded was interrupted.
const INTERRUPTED_AFTER_SECONDS: i64 = 300;

/// How long the poller leaves a job being cancelled to the cancel (which stops it within seconds);
/// after that the cancel was cut short, and the poller records what it sees.
const CANCEL_RECORDED_WITHIN_SECONDS: i64 = 60;

/// Asks the schedulers about every unfinished job and records what changed. A scheduler that
/// cannot be reached leaves its jobs as they were (with the reason in their message).
pub async fn poll(pool: &SqlitePool) -> Result<usize> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", profile_id, state, scheduler_id, dir, created_at FROM jobs WHERE state IN ('queued', 'running')"#
    )
    .fetch_all(pool)
    .await?;
    let mut changed = 0;
    // Read once per pass: many jobs of a hyperparameter search share a profile.
    let mut profiles: std::collections::HashMap<i64, Profile> = std::collections::HashMap::new();
    for row in rows {
        let observed = if row.scheduler_id.is_empty() {
            // Recorded, then the server stopped before the scheduler answered.
            if crate::now() - row.created_at < INTERRUPTED_AFTER_SECONDS {
                continue;
            }
            Observed {
                state: State::Lost,
                exit_code: None,
                message: Some(
                    "the launch was interrupted before the scheduler took the job".into(),
                ),
            }
        } else {
            let backend = match profiles.entry(row.profile_id) {
                std::collections::hash_map::Entry::Occupied(known) => &known.into_mut().backend,
                std::collections::hash_map::Entry::Vacant(new) => {
                    &new.insert(profile(pool, row.profile_id).await?).backend
                }
            };
            match observe(backend, &row.scheduler_id, Path::new(&row.dir)).await {
                Ok(observed) => observed,
                Err(error) => {
                    let message = error.to_string();
                    sqlx::query!("UPDATE jobs SET message = ? WHERE id = ?", message, row.id)
                        .execute(pool)
                        .await?;
                    continue;
                }
            }
        };
        if record(pool, row.id, &row.state, &observed).await? {
            changed += 1;
        }
    }
    Ok(changed)
}

/// Records what was observed of a job that was `was`, unless its state changed meanwhile or a
/// cancel of it is under way. Returns whether its state changed.
pub(super) async fn record(
    pool: &SqlitePool,
    id: i64,
    was: &str,
    observed: &Observed,
) -> Result<bool> {
    let state = observed.state.as_str();
    if state == was && observed.message.is_none() {
        return Ok(false);
    }
    let now = crate::now();
    let cancel_stale = now - CANCEL_RECORDED_WITHIN_SECONDS;
    let finished = observed.state.is_finished().then_some(now);
    let started = (observed.state != State::Queued).then_some(now);
    let result = sqlx::query!(
        "UPDATE jobs SET state = ?, exit_code = COALESCE(?, exit_code), message = ?,
             started_at = COALESCE(started_at, ?), finished_at = COALESCE(finished_at, ?)
         WHERE id = ? AND state = ? AND cancel_requested_at < ?",
        state,
        observed.exit_code,
        observed.message,
        started,
        finished,
        id,
        was,
        cancel_stale
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected() > 0 && state != was)
}

/// Polls every few seconds for as long as the server runs.
pub async fn follow(pool: SqlitePool, every: std::time::Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        if let Err(error) = poll(&pool).await {
            tracing::warn!(%error, "polling the training jobs failed");
        }
    }
}
