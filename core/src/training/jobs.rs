//! Training jobs: launching a group of jobs on a label set (each recorded, then submitted to its
//! profile's scheduler), reading them back with their log, and cancelling one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use super::{arguments, observe, profile, stop, submit, Metric, Profile, State, Submission, LOG};
use crate::audit::{self, Action, NewEvent};
use crate::label_sets::{self, LabelSet};
use crate::{Error, Result};

/// A job as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: i64,
    pub project_id: i64,
    pub group_id: i64,
    pub label_set_version: i64,
    pub profile: String,
    pub backend: String,
    pub args: Vec<String>,
    pub state: State,
    pub scheduler_id: String,
    pub exit_code: Option<i64>,
    pub message: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    #[serde(skip)]
    pub dir: PathBuf,
}

/// Where jobs keep their scripts and logs.
pub fn jobs_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("jobs")
}

/// The most jobs one launch starts.
pub const MAX_GROUP: usize = 100;

/// Who launches what.
pub struct Launch<'a> {
    /// Sieve's data directory, absolute (the configuration resolves it at start).
    pub data_dir: &'a Path,
    pub label_set: &'a LabelSet,
    pub profile: &'a Profile,
    /// One job per entry.
    pub runs: Vec<Vec<String>>,
    pub actor: &'a str,
}

/// Launches one job per argument list, as one group. The label set's files are checked against
/// its manifest first. A job the scheduler refuses leaves no record; if one of a group is refused,
/// the ones already started are cancelled and forgotten too, and the error says why.
pub async fn launch(pool: &SqlitePool, launch: Launch<'_>) -> Result<Vec<Job>> {
    if !launch.data_dir.is_absolute() {
        return Err(Error::Internal(format!(
            "the data directory {} reached the launch unresolved: it must be absolute",
            launch.data_dir.display()
        )));
    }
    if launch.runs.len() > MAX_GROUP {
        return Err(Error::Invalid(format!(
            "arguments: {} runs would launch {} jobs; at most {MAX_GROUP} at once",
            launch.runs.len(),
            launch.runs.len()
        )));
    }
    if launch.profile.archived {
        return Err(Error::Invalid(format!(
            "profile: {:?} is archived; pick another",
            launch.profile.name
        )));
    }
    arguments::check(&launch.runs)?;
    label_sets::verify(launch.data_dir, launch.label_set).await?;
    let set = launch.label_set;
    let label_set_dir = label_sets::set_dir(launch.data_dir, set.project_id, set.version);
    let mut started: Vec<(i64, String)> = Vec::new();
    let mut group_id = None;
    for args in &launch.runs {
        match start_one(pool, &launch, &label_set_dir, args, group_id).await {
            Ok((id, scheduler_id)) => {
                group_id.get_or_insert(id);
                started.push((id, scheduler_id));
            }
            Err(error) => {
                for (id, scheduler_id) in &started {
                    let dir = jobs_dir(launch.data_dir).join(id.to_string());
                    let _ = stop(&launch.profile.backend, scheduler_id, &dir).await;
                    forget(pool, launch.data_dir, *id).await?;
                }
                return Err(error);
            }
        }
    }
    let mut jobs = Vec::new();
    for (id, _) in started {
        jobs.push(job(pool, set.project_id, id).await?);
    }
    Ok(jobs)
}

/// Records one job, submits it, and keeps the scheduler's id; on refusal removes the record.
async fn start_one(
    pool: &SqlitePool,
    launch: &Launch<'_>,
    label_set_dir: &Path,
    args: &[String],
    group_id: Option<i64>,
) -> Result<(i64, String)> {
    let set = launch.label_set;
    let args_json = serde_json::to_string(args).expect("arguments serialise");
    let now = crate::now();
    let id = sqlx::query_scalar!(
        "INSERT INTO jobs (project_id, label_set_id, profile_id, group_id, args, state, scheduler_id, dir, created_by, created_at)
         VALUES (?, ?, ?, 0, ?, 'queued', '', '', ?, ?) RETURNING id AS \"id!\"",
        set.project_id,
        set.id,
        launch.profile.id,
        args_json,
        launch.actor,
        now
    )
    .fetch_one(pool)
    .await?;
    let dir = jobs_dir(launch.data_dir).join(id.to_string());
    let submission = Submission {
        job_id: id,
        data_dir: launch.data_dir.to_path_buf(),
        dir: dir.clone(),
        label_set_dir: label_set_dir.to_path_buf(),
        args: args.to_vec(),
    };
    let submitted = async {
        std::fs::create_dir_all(submission.output())?;
        submit(&launch.profile.backend, &submission).await
    }
    .await;
    let scheduler_id = match submitted {
        Ok(scheduler_id) => scheduler_id,
        Err(error) => {
            forget(pool, launch.data_dir, id).await?;
            return Err(error);
        }
    };
    let group = group_id.unwrap_or(id);
    let dir_text = dir.display().to_string();
    let mut transaction = pool.begin().await?;
    sqlx::query!(
        "UPDATE jobs SET scheduler_id = ?, dir = ?, group_id = ? WHERE id = ?",
        scheduler_id,
        dir_text,
        group,
        id
    )
    .execute(&mut *transaction)
    .await?;
    audit::record(
        &mut *transaction,
        Action::JobLaunched,
        NewEvent {
            actor: Some(launch.actor),
            project_id: Some(set.project_id),
            object: Some(format!("job {id}")),
            detail: Some(format!(
                "label set v{} on {} ({} {scheduler_id}) {}",
                set.version,
                launch.profile.name,
                launch.profile.backend.name(),
                arguments::as_line(args)
            )),
        },
    )
    .await?;
    transaction.commit().await?;
    Ok((id, scheduler_id))
}

/// Removes a job that never ran, record and directory.
async fn forget(pool: &SqlitePool, data_dir: &Path, id: i64) -> Result<()> {
    sqlx::query!("DELETE FROM jobs WHERE id = ?", id)
        .execute(pool)
        .await?;
    let _ = std::fs::remove_dir_all(jobs_dir(data_dir).join(id.to_string()));
    Ok(())
}

struct JobRow {
    id: i64,
    project_id: i64,
    group_id: i64,
    version: i64,
    profile: String,
    backend: String,
    args: String,
    state: String,
    scheduler_id: String,
    exit_code: Option<i64>,
    message: Option<String>,
    created_by: String,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    dir: String,
}

impl TryFrom<JobRow> for Job {
    type Error = Error;

    fn try_from(row: JobRow) -> Result<Job> {
        Ok(Job {
            id: row.id,
            project_id: row.project_id,
            group_id: row.group_id,
            label_set_version: row.version,
            profile: row.profile,
            backend: row.backend,
            args: crate::db::stored_json(&format!("job {}'s arguments", row.id), &row.args)?,
            state: State::stored(&row.state)?,
            scheduler_id: row.scheduler_id,
            exit_code: row.exit_code,
            message: row.message,
            created_by: row.created_by,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            dir: PathBuf::from(row.dir),
        })
    }
}

/// The project's jobs, newest group first, in launch order within a group.
pub async fn jobs(pool: &SqlitePool, project_id: i64) -> Result<Vec<Job>> {
    let rows = sqlx::query_as!(
        JobRow,
        r#"SELECT j.id AS "id!", j.project_id, j.group_id, l.version, p.name AS profile, p.backend, j.args, j.state,
                  j.scheduler_id, j.exit_code, j.message, j.created_by, j.created_at, j.started_at, j.finished_at, j.dir
           FROM jobs j JOIN label_sets l ON l.id = j.label_set_id JOIN launch_profiles p ON p.id = j.profile_id
           WHERE j.project_id = ? ORDER BY j.group_id DESC, j.id"#,
        project_id
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(Job::try_from).collect()
}

/// One of the project's jobs.
pub async fn job(pool: &SqlitePool, project_id: i64, id: i64) -> Result<Job> {
    let row = sqlx::query_as!(
        JobRow,
        r#"SELECT j.id AS "id!", j.project_id, j.group_id, l.version, p.name AS profile, p.backend, j.args, j.state,
                  j.scheduler_id, j.exit_code, j.message, j.created_by, j.created_at, j.started_at, j.finished_at, j.dir
           FROM jobs j JOIN label_sets l ON l.id = j.label_set_id JOIN launch_profiles p ON p.id = j.profile_id
           WHERE j.project_id = ? AND j.id = ?"#,
        project_id,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("job {id}")))?;
    row.try_into()
}

/// The end of a job's log (at most `bytes`), cut at a line start. A log that is a symbolic link
/// (a job that can write its directory, as on Kubernetes, could plant one) is not followed.
pub fn log_tail(job: &Job, bytes: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    use std::os::unix::fs::OpenOptionsExt;
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(job.dir.join(LOG));
    let Ok(mut file) = opened else {
        return String::new();
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let from = length.saturating_sub(bytes);
    let mut text = Vec::new();
    if file.seek(SeekFrom::Start(from)).is_err() || file.read_to_end(&mut text).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&text).into_owned();
    match (from > 0, text.find('\n')) {
        (true, Some(at)) => text[at + 1..].to_string(),
        _ => text,
    }
}

/// What a job wrote that its page shows: the last `log_bytes` of its log (see [`log_tail`]) and
/// its metrics (see [`metrics`](super::metrics)), read off the async runtime.
pub async fn written(job: &Job, log_bytes: u64) -> Result<(String, Vec<Metric>)> {
    let (id, job) = (job.id, job.clone());
    tokio::task::spawn_blocking(move || (log_tail(&job, log_bytes), super::metrics(&job)))
        .await
        .map_err(|error| Error::Internal(format!("reading the files of job {id}: {error}")))
}

/// Asks the scheduler to stop a job and records it as cancelled. A job that succeeded before the
/// stop reached it stays succeeded, and the cancel is refused (`Invalid`) saying so. The stop and
/// its record run on their own task: a request cut short (a page closed) does not cut them short.
pub async fn cancel(pool: &SqlitePool, project_id: i64, id: i64, actor: &str) -> Result<Job> {
    let job = job(pool, project_id, id).await?;
    if job.state.is_finished() {
        return Err(Error::Invalid(format!(
            "job {id} has already ended ({})",
            job.state.as_str()
        )));
    }
    let profile = profile_of(pool, id).await?;
    let (pool, actor) = (pool.clone(), actor.to_string());
    tokio::spawn(async move { stop_and_record(&pool, &profile, job, &actor).await })
        .await
        .map_err(|error| Error::Internal(format!("cancelling job {id} failed: {error}")))?
}

async fn stop_and_record(
    pool: &SqlitePool,
    profile: &Profile,
    job: Job,
    actor: &str,
) -> Result<Job> {
    let (id, project_id) = (job.id, job.project_id);
    // Marked first, so that the poller, which may see the job's processes gone before this
    // records the cancel, leaves its state to this for a while (it would record the job as lost).
    let requested = crate::now();
    sqlx::query!(
        "UPDATE jobs SET cancel_requested_at = ? WHERE id = ?",
        requested,
        id
    )
    .execute(pool)
    .await?;
    let stopped = stop(&profile.backend, &job.scheduler_id, &job.dir).await;
    // A job that ended on its own first keeps its end: only success tells it apart from the
    // stop, which no job survives with exit code 0.
    let ended = match &stopped {
        Ok(()) => observe(&profile.backend, &job.scheduler_id, &job.dir)
            .await
            .ok()
            .filter(|observed| observed.state == State::Succeeded),
        Err(_) => None,
    };
    if stopped.is_err() || ended.is_some() {
        sqlx::query!("UPDATE jobs SET cancel_requested_at = 0 WHERE id = ?", id)
            .execute(pool)
            .await?;
    }
    stopped?;
    if let Some(ended) = ended {
        super::poll::record(pool, id, job.state.as_str(), &ended).await?;
        return Err(Error::Invalid(format!(
            "job {id} succeeded before it could be stopped: nothing was cancelled"
        )));
    }
    let now = crate::now();
    let mut transaction = pool.begin().await?;
    sqlx::query!(
        "UPDATE jobs SET state = 'cancelled', finished_at = ?, message = ?
         WHERE id = ? AND state IN ('queued', 'running')",
        now,
        "cancelled by the user",
        id
    )
    .execute(&mut *transaction)
    .await?;
    audit::record(
        &mut *transaction,
        Action::JobCancelled,
        NewEvent {
            actor: Some(actor),
            project_id: Some(project_id),
            object: Some(format!("job {id}")),
            detail: None,
        },
    )
    .await?;
    transaction.commit().await?;
    self::job(pool, project_id, id).await
}

async fn profile_of(pool: &SqlitePool, job_id: i64) -> Result<Profile> {
    let profile_id = sqlx::query_scalar!("SELECT profile_id FROM jobs WHERE id = ?", job_id)
        .fetch_one(pool)
        .await?;
    profile(pool, profile_id).await
}
