//! `/api/v1/projects/{id}/jobs`: training jobs launched, followed and cancelled — for scientists'
//! scripts, with the same rules as the pages.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sieve_app::ssr::AppState;
use sieve_core::access::Capability;
use sieve_core::label_sets;
use sieve_core::training::{self, Launch};
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::{ApiCaller, ApiError, ProjectId};

number_in_path!(
    /// The `{job}` of a job in an API path.
    JobId,
    "job"
);

/// A training job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobSummary {
    pub id: i64,
    /// Jobs launched together share it.
    pub group_id: i64,
    pub label_set_version: i64,
    pub profile: String,
    pub backend: String,
    pub args: Vec<String>,
    /// queued, running, succeeded, failed, cancelled or lost.
    pub state: String,
    pub scheduler_id: String,
    pub exit_code: Option<i64>,
    pub message: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// The end of the job's log (only when one job is asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_tail: Option<String>,
}

fn job_summary(job: training::Job, log_tail: Option<String>) -> JobSummary {
    JobSummary {
        id: job.id,
        group_id: job.group_id,
        label_set_version: job.label_set_version,
        profile: job.profile,
        backend: job.backend,
        args: job.args,
        state: job.state.as_str().to_string(),
        scheduler_id: job.scheduler_id,
        exit_code: job.exit_code,
        message: job.message,
        created_by: job.created_by,
        created_at: job.created_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
        log_tail,
    }
}

/// Lists the project's jobs, newest group first (fellows and scientists).
#[utoipa::path(get, path = "/api/v1/projects/{id}/jobs", tag = "jobs",
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, body = Vec<JobSummary>),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn list_jobs(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
) -> Result<Json<Vec<JobSummary>>, ApiError> {
    caller
        .authorize(&state, project_id, Capability::LaunchJobs)
        .await?;
    let jobs = training::jobs(&state.pool, project_id).await?;
    Ok(Json(
        jobs.into_iter().map(|job| job_summary(job, None)).collect(),
    ))
}

/// What to launch.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewJobs {
    pub label_set: i64,
    /// A launch profile's id.
    pub profile: i64,
    /// One job per list of extra arguments; absent or empty: one job without any.
    pub runs: Option<Vec<Vec<String>>>,
}

/// Launches a label set with a profile: one job per entry of `runs`, as one group.
#[utoipa::path(post, path = "/api/v1/projects/{id}/jobs", tag = "jobs",
    params(("id" = i64, Path, description = "Project id")),
    request_body = NewJobs,
    responses(
        (status = 201, body = Vec<JobSummary>),
        (status = 400, description = "A malformed request", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid choices, or a label set changed on disk", body = ErrorBody),
        (status = 503, description = "The scheduler could not be reached or refused", body = ErrorBody),
    ))]
pub async fn launch_jobs(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    body: Result<Json<NewJobs>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Vec<JobSummary>>), ApiError> {
    caller
        .authorize(&state, project_id, Capability::LaunchJobs)
        .await?;
    let Json(request) = body.map_err(ApiError::from)?;
    let set = label_sets::get(&state.pool, project_id, request.label_set).await?;
    let profile = training::profile(&state.pool, request.profile).await?;
    let runs = match request.runs {
        Some(runs) if !runs.is_empty() => runs,
        _ => vec![Vec::new()],
    };
    let launch = Launch {
        data_dir: &state.settings.data_dir,
        label_set: &set,
        profile: &profile,
        runs,
        actor: &caller.user.name,
    };
    let jobs = training::launch(&state.pool, launch).await?;
    Ok((
        StatusCode::CREATED,
        Json(jobs.into_iter().map(|j| job_summary(j, None)).collect()),
    ))
}

/// One job, with the end of its log.
#[utoipa::path(get, path = "/api/v1/projects/{id}/jobs/{job}", tag = "jobs",
    params(("id" = i64, Path, description = "Project id"), ("job" = i64, Path, description = "Job id")),
    responses(
        (status = 200, body = JobSummary),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn get_job(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    JobId(job_id): JobId,
) -> Result<Json<JobSummary>, ApiError> {
    caller
        .authorize(&state, project_id, Capability::LaunchJobs)
        .await?;
    let job = training::job(&state.pool, project_id, job_id).await?;
    let tail = training::log_tail(&job, sieve_app::api::training::LOG_TAIL_BYTES);
    Ok(Json(job_summary(job, Some(tail))))
}

/// Cancels a queued or running job.
#[utoipa::path(post, path = "/api/v1/projects/{id}/jobs/{job}/cancel", tag = "jobs",
    params(("id" = i64, Path, description = "Project id"), ("job" = i64, Path, description = "Job id")),
    responses(
        (status = 200, body = JobSummary),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "The job has already ended", body = ErrorBody),
        (status = 503, description = "The scheduler could not be reached or refused", body = ErrorBody),
    ))]
pub async fn cancel_job(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    JobId(job_id): JobId,
) -> Result<Json<JobSummary>, ApiError> {
    caller
        .authorize(&state, project_id, Capability::LaunchJobs)
        .await?;
    let job = training::cancel(&state.pool, project_id, job_id, &caller.user.name).await?;
    Ok(Json(job_summary(job, None)))
}
