//! Training jobs (scientists and fellows launch, follow and cancel them per project) and launch
//! profiles (the site admin keeps them).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A profile a launch can use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileChoice {
    pub id: i64,
    pub name: String,
    pub backend: String,
}

/// One job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: i64,
    pub args: String,
    pub state: String,
    pub scheduler_id: String,
    pub exit_code: Option<i64>,
    pub message: Option<String>,
    /// How long it ran (or has been running), e.g. `1 min 5 s`.
    pub duration: String,
    /// The model made of it (a succeeded job that wrote `predictions.csv`, or made by hand).
    pub model: Option<i64>,
}

/// Jobs launched together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    pub id: i64,
    pub label_set_version: i64,
    pub profile: String,
    pub backend: String,
    pub created_by: String,
    pub created_at: String,
    pub jobs: Vec<JobRow>,
}

/// What a launch can use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchOptions {
    pub project_name: String,
    /// Label set versions, newest first.
    pub label_sets: Vec<i64>,
    pub profiles: Vec<ProfileChoice>,
}

impl JobRow {
    /// Whether the job may still change (it can be cancelled; the page keeps refreshing).
    pub fn unfinished(&self) -> bool {
        self.state == "queued" || self.state == "running"
    }
}

/// A job with the end of its log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobWithLog {
    pub job: JobRow,
    pub log: String,
    /// Every number the job wrote into `output/metrics.json`, by its path there.
    pub metrics: Vec<MetricRow>,
}

/// A number a job reported in its metrics file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    /// Its path in the file: `splits.test.accuracy`.
    pub name: String,
    pub value: f64,
}

/// A profile in the admin's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRow {
    pub id: i64,
    pub name: String,
    pub backend: String,
    pub settings: String,
    pub archived: bool,
}

/// The admin's profiles page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfilesView {
    pub profiles: Vec<ProfileRow>,
    /// (backend, settings to start from).
    pub templates: Vec<(String, String)>,
}

/// How much of a job's log the page shows.
pub const LOG_TAIL_BYTES: u64 = 16 * 1024;

#[cfg(feature = "ssr")]
mod server {
    use sieve_core::training::Job;

    use super::*;

    fn duration(job: &Job) -> String {
        let Some(started) = job.started_at else {
            return String::new();
        };
        let seconds = job.finished_at.unwrap_or_else(sieve_core::now) - started;
        match seconds {
            s if s < 60 => format!("{s} s"),
            s => format!("{} min {} s", s / 60, s % 60),
        }
    }

    pub fn row(job: &Job) -> JobRow {
        JobRow {
            id: job.id,
            args: sieve_core::training::arguments::as_line(&job.args),
            state: job.state.as_str().to_string(),
            scheduler_id: job.scheduler_id.clone(),
            exit_code: job.exit_code,
            message: job.message.clone(),
            duration: duration(job),
            model: None,
        }
    }

    /// The jobs by launch; `models` maps a job to the model made of it.
    pub fn groups(jobs: &[Job], models: &std::collections::HashMap<i64, i64>) -> Vec<GroupView> {
        let row = |job: &Job| JobRow {
            model: models.get(&job.id).copied(),
            ..row(job)
        };
        let mut groups: Vec<GroupView> = Vec::new();
        for job in jobs {
            match groups.last_mut() {
                Some(group) if group.id == job.group_id => group.jobs.push(row(job)),
                _ => groups.push(GroupView {
                    id: job.group_id,
                    label_set_version: job.label_set_version,
                    profile: job.profile.clone(),
                    backend: job.backend.clone(),
                    created_by: job.created_by.clone(),
                    created_at: sieve_core::audit::format_time(job.created_at),
                    jobs: vec![row(job)],
                }),
            }
        }
        groups
    }
}

/// What a launch of the project can use: its label sets and the usable profiles.
#[server(endpoint = "launch_choices")]
pub async fn launch_choices(project: i64) -> Result<LaunchOptions, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, _, membership) =
                crate::ssr::require_project(project, Capability::LaunchJobs).await?;
            let sets = sieve_core::label_sets::list(&state.pool, project).await?;
            let profiles = sieve_core::training::profiles(&state.pool).await?;
            Ok(LaunchOptions {
                project_name: membership.project.name,
                label_sets: sets.iter().map(|s| s.version).collect(),
                profiles: profiles
                    .into_iter()
                    .filter(|p| !p.archived)
                    .map(|p| ProfileChoice {
                        id: p.id,
                        backend: p.backend.name().to_string(),
                        name: p.name,
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// The project's jobs, grouped by launch (what the page refreshes while jobs run).
#[server(endpoint = "project_jobs")]
pub async fn project_jobs(project: i64) -> Result<Vec<GroupView>, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, _, _) =
                crate::ssr::require_project(project, Capability::LaunchJobs).await?;
            // A job that just succeeded gets its model now, so that the refresh that shows it
            // succeeded also links its model.
            let adopted = sieve_core::models::adopt_jobs(
                &state.pool,
                &state.settings.data_dir,
                &state.pseudonymizer,
            )
            .await;
            if let Err(error) = adopted {
                tracing::warn!(%error, "reading training jobs' predictions failed");
            }
            let jobs = sieve_core::training::jobs(&state.pool, project).await?;
            // Only those who watch models are shown the way to them.
            let models =
                match crate::ssr::require_project(project, Capability::ValidateModels).await {
                    Ok(_) => sieve_core::models::list(&state.pool, project)
                        .await?
                        .into_iter()
                        .filter_map(|m| Some((m.job_id?, m.id)))
                        .collect(),
                    Err(_) => Default::default(),
                };
            Ok(server::groups(&jobs, &models))
        }
        .await,
    )
}

/// Launches a label set with a profile: one job per line of arguments (none: one job).
#[server(endpoint = "launch_jobs")]
pub async fn launch_jobs(
    project: i64,
    label_set: i64,
    profile: i64,
    args: String,
) -> Result<usize, AppError> {
    use sieve_core::access::Capability;
    use sieve_core::training::{self, Launch};
    crate::ssr::respond(
        async {
            let (state, user, _) =
                crate::ssr::require_project(project, Capability::LaunchJobs).await?;
            let set = sieve_core::label_sets::get(&state.pool, project, label_set).await?;
            let profile = training::profile(&state.pool, profile).await?;
            let launch = Launch {
                data_dir: &state.settings.data_dir,
                label_set: &set,
                profile: &profile,
                runs: training::argument_lines(&args)?,
                actor: &user.name,
            };
            Ok(training::launch(&state.pool, launch).await?.len())
        }
        .await,
    )
}

/// One job with the end of its log.
#[server(endpoint = "job_log")]
pub async fn job_log(project: i64, job: i64) -> Result<JobWithLog, AppError> {
    use sieve_core::access::Capability;
    use sieve_core::training;
    crate::ssr::respond(
        async {
            let (state, _, _) =
                crate::ssr::require_project(project, Capability::LaunchJobs).await?;
            let job = training::job(&state.pool, project, job).await?;
            let (log, metrics) = training::written(&job, LOG_TAIL_BYTES).await?;
            Ok(JobWithLog {
                log,
                metrics: metrics
                    .into_iter()
                    .map(|metric| MetricRow {
                        name: metric.name,
                        value: metric.value,
                    })
                    .collect(),
                job: server::row(&job),
            })
        }
        .await,
    )
}

/// Cancels a queued or running job.
#[server(endpoint = "cancel_job")]
pub async fn cancel_job(project: i64, job: i64) -> Result<JobRow, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, user, _) =
                crate::ssr::require_project(project, Capability::LaunchJobs).await?;
            let job = sieve_core::training::cancel(&state.pool, project, job, &user.name).await?;
            Ok(server::row(&job))
        }
        .await,
    )
}

/// The launch profiles, for the site admin.
#[server(endpoint = "launch_profiles")]
pub async fn launch_profiles() -> Result<ProfilesView, AppError> {
    use sieve_core::training::{self, Backend};
    crate::ssr::respond(
        async {
            let (state, _) = crate::ssr::require_admin().await?;
            let profiles = training::profiles(&state.pool).await?;
            Ok(ProfilesView {
                profiles: profiles
                    .into_iter()
                    .map(|p| ProfileRow {
                        id: p.id,
                        backend: p.backend.name().to_string(),
                        settings: p.backend.settings_yaml(),
                        name: p.name,
                        archived: p.archived,
                    })
                    .collect(),
                templates: ["local", "slurm", "kubernetes"]
                    .into_iter()
                    .map(|b| (b.to_string(), Backend::template(b).to_string()))
                    .collect(),
            })
        }
        .await,
    )
}

/// Creates a profile, or replaces the one with that name.
#[server(endpoint = "save_launch_profile")]
pub async fn save_launch_profile(
    name: String,
    backend: String,
    settings: String,
) -> Result<String, AppError> {
    use sieve_core::training::{self, Backend};
    crate::ssr::respond(
        async {
            let (state, user) = crate::ssr::require_admin().await?;
            let backend = Backend::from_yaml(&backend, &settings)?;
            let profile = training::save_profile(&state.pool, &name, &backend, &user.name).await?;
            Ok(profile.name)
        }
        .await,
    )
}

/// Archives a profile: no new launches with it.
#[server(endpoint = "archive_launch_profile")]
pub async fn archive_launch_profile(id: i64) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let (state, user) = crate::ssr::require_admin().await?;
            sieve_core::training::archive_profile(&state.pool, id, &user.name).await?;
            Ok(())
        }
        .await,
    )
}
