//! Watches the models, in the background: every few seconds it makes the model of each training
//! job that succeeded with a `predictions.csv`, and runs the alarms of every model whose
//! predictions changed (at once) or whose reference labels may have (every minute: answers,
//! rules and new reports change them). A project's index is caught up first, so that soft labels
//! count every report.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sieve_app::ssr::AppState;
use sieve_core::models;

/// How often the watcher looks for succeeded jobs and imported predictions.
pub const INTERVAL: Duration = Duration::from_secs(2);
/// How often every model's alarms are run again (answers, decisions, rules and new reports change
/// the reference labels; a view of a model in memory takes tens of milliseconds).
pub const AGAIN_EVERY: Duration = Duration::from_secs(60);

/// Starts the background watcher.
pub fn start(state: AppState) {
    tokio::spawn(async move {
        let mut watched: HashMap<i64, (i64, Instant)> = HashMap::new();
        loop {
            pass(&state, &mut watched).await;
            tokio::time::sleep(INTERVAL).await;
        }
    });
}

/// One pass: adopts succeeded jobs, then runs the alarms of the models due (`watched` keeps, per
/// model, the revision and time of its last run).
pub async fn pass(state: &AppState, watched: &mut HashMap<i64, (i64, Instant)>) {
    let data_dir = &state.settings.data_dir;
    match models::adopt_jobs(&state.pool, data_dir, &state.pseudonymizer).await {
        Ok(made) => {
            for model in made {
                tracing::info!(model = model.id, job = ?model.job_id, "model made from a training job's predictions");
            }
        }
        Err(error) => tracing::error!(%error, "reading training jobs' predictions failed"),
    }
    let projects = match sieve_core::projects::open_ids(&state.pool).await {
        Ok(projects) => projects,
        Err(error) => {
            tracing::error!(%error, "the model watcher cannot list projects");
            return;
        }
    };
    for project_id in projects {
        let Ok(list) = models::list(&state.pool, project_id).await else {
            continue;
        };
        let due: Vec<_> = list
            .into_iter()
            .filter(|model| {
                watched.get(&model.id).is_none_or(|(revision, at)| {
                    *revision != model.revision || at.elapsed() >= AGAIN_EVERY
                })
            })
            .collect();
        if due.is_empty() {
            continue;
        }
        if let Err(error) = state
            .indexes
            .catch_up(&state.pool, project_id, |_, _| {})
            .await
        {
            tracing::error!(project_id, %error, "search index catch-up failed before watching models");
            continue;
        }
        for model in due {
            match models::watch(&state.labeling(), &state.models, &model).await {
                Ok(raised) => {
                    for alarm in raised {
                        tracing::warn!(
                            model = model.id,
                            rule = alarm.rule,
                            day = alarm.day,
                            "{}",
                            alarm.detail
                        );
                    }
                    watched.insert(model.id, (model.revision, Instant::now()));
                }
                Err(error) => tracing::error!(model = model.id, %error, "watching a model failed"),
            }
        }
    }
}
