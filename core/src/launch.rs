//! Training jobs: launch profiles (how and where a job runs) and jobs (one launch of one label set,
//! followed until it ends).
//!
//! Every job's state lives in the database and is refreshed by asking its scheduler, so a server
//! restart loses nothing: the poller picks the unfinished jobs up again. A job the scheduler no
//! longer knows is marked lost rather than running forever.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::audit::{self, Action, NewEvent};
use crate::label_sets::{self, LabelSet};
use crate::{Error, Result};

pub mod arguments;
pub use arguments::argument_lines;
pub mod kubernetes;
pub mod local;
mod metrics;
pub use metrics::{metrics, Metric, METRICS};
pub mod sandbox;
mod shell;
pub mod slurm;

/// How a profile runs its jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "backend", content = "settings", rename_all = "lowercase")]
pub enum Backend {
    Local(local::Settings),
    Slurm(slurm::Settings),
    Kubernetes(kubernetes::Settings),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Local(_) => "local",
            Backend::Slurm(_) => "slurm",
            Backend::Kubernetes(_) => "kubernetes",
        }
    }

    /// Reads a backend's settings as the admin writes them (YAML), naming the field that is wrong.
    pub fn from_yaml(backend: &str, settings: &str) -> Result<Backend> {
        let settings: serde_json::Value = match settings.trim() {
            "" => serde_json::json!({}),
            text => serde_yaml::from_str(text)
                .map_err(|error| Error::Invalid(format!("settings: {error}")))?,
        };
        let tagged = serde_json::json!({ "backend": backend, "settings": settings });
        serde_json::from_value(tagged).map_err(|error| {
            let known = ["local", "slurm", "kubernetes"].contains(&backend);
            Error::Invalid(match known {
                true => format!("settings: {error}"),
                false => format!("backend: {backend:?} is not one of local, slurm, kubernetes"),
            })
        })
    }

    /// The settings as YAML, for editing.
    pub fn settings_yaml(&self) -> String {
        let value = serde_json::to_value(self).expect("backends serialise");
        serde_yaml::to_string(&value["settings"]).expect("settings serialise")
    }

    /// A starting point for each backend's settings, for the admin's form.
    pub fn template(backend: &str) -> &'static str {
        match backend {
            "slurm" => "command: python3 /run/sieve/train/baseline.py\nrun_as: nobody\nnetwork: false\npartition: gpu\naccount: radiology\ngpus: 1\ntime_limit: \"04:00:00\"\nsetup: |\n  module load python\noptions: |\n  --mem=32G\nlogin: \"\"   # a login node reached with ssh; empty: this host\n",
            "kubernetes" => "namespace: radiology-ml\nimage: registry.hospital.local/sieve-train:latest\ncommand: python3 /app/train.py\ngpus: 1\ngpu_resource: nvidia.com/gpu\ncpu: \"8\"\nmemory: 32Gi\ndata_claim: sieve-data   # the volume claim whose root is Sieve's data directory\nrun_as_user: 65534\nservice_account: \"\"\ncontext: \"\"\n",
            _ => "command: python3 /run/sieve/train/baseline.py\nrun_as: nobody\nnetwork: false   # true: the job may use the network\n",
        }
    }

    fn check(&self) -> Result<()> {
        match self {
            Backend::Local(settings) => settings.check(),
            Backend::Slurm(settings) => settings.check(),
            Backend::Kubernetes(settings) => settings.check(),
        }
    }
}

/// A named way to run jobs, kept by the admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub id: i64,
    pub name: String,
    pub backend: Backend,
    pub archived: bool,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// The scheduler no longer knows the job and it left no result.
    Lost,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Running => "running",
            State::Succeeded => "succeeded",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
            State::Lost => "lost",
        }
    }

    fn parse(text: &str) -> State {
        match text {
            "queued" => State::Queued,
            "running" => State::Running,
            "succeeded" => State::Succeeded,
            "failed" => State::Failed,
            "cancelled" => State::Cancelled,
            _ => State::Lost,
        }
    }

    pub fn is_finished(self) -> bool {
        !matches!(self, State::Queued | State::Running)
    }
}

/// What a scheduler says of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub state: State,
    pub exit_code: Option<i64>,
    pub message: Option<String>,
}

impl Observed {
    pub fn state(state: State) -> Observed {
        Observed {
            state,
            exit_code: None,
            message: None,
        }
    }
}

/// What a backend needs to start a job.
#[derive(Debug, Clone)]
pub struct Submission {
    pub job_id: i64,
    /// Sieve's data directory, absolute: hidden from the job but for what it is given.
    pub data_dir: PathBuf,
    /// The job's own directory on the Sieve host: its script, log and output.
    pub dir: PathBuf,
    /// The label set the job trains on, on the Sieve host.
    pub label_set_dir: PathBuf,
    /// The launch's own arguments, checked by `arguments::check`.
    pub args: Vec<String>,
}

/// Where a running job finds what Sieve gives it: the same fixed paths on every backend, inside
/// the job's sandbox (local and Slurm) or its pod (Kubernetes). The job sees nothing else of Sieve's
/// data directory.
pub mod seen {
    /// The label set, read-only.
    pub const LABEL_SET_DIR: &str = "/run/sieve/label-set";
    /// The label set's manifest.
    pub const MANIFEST: &str = "/run/sieve/label-set/manifest.json";
    /// The job's directory (its script and log), read-only for the job but in Kubernetes.
    pub const JOB_DIR: &str = "/run/sieve/job";
    /// Where the job writes (models, metrics); also its working and home directory.
    pub const OUTPUT_DIR: &str = "/run/sieve/job/output";
    /// The data directory's `train/` folder (training code the admin keeps there), read-only.
    pub const TRAIN_DIR: &str = "/run/sieve/train";
}

impl Submission {
    pub fn log(&self) -> PathBuf {
        self.dir.join(LOG)
    }

    pub fn output(&self) -> PathBuf {
        self.dir.join(OUTPUT)
    }

    /// The environment every job gets, whatever runs it (paths as the job sees them).
    pub fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SIEVE_JOB_ID", self.job_id.to_string()),
            ("SIEVE_LABEL_SET_DIR", seen::LABEL_SET_DIR.to_string()),
            ("SIEVE_MANIFEST", seen::MANIFEST.to_string()),
            ("SIEVE_OUTPUT_DIR", seen::OUTPUT_DIR.to_string()),
            ("HOME", seen::OUTPUT_DIR.to_string()),
        ]
    }

    /// The arguments after the profile's command: the launch's own first, then Sieve's
    /// `--manifest` and `--output`, so that Sieve's come last and win (see `arguments`).
    pub fn arguments(&self) -> Vec<String> {
        let mut all = self.args.clone();
        all.extend([
            arguments::SIEVE_OPTIONS[0].to_string(),
            seen::MANIFEST.to_string(),
            arguments::SIEVE_OPTIONS[1].to_string(),
            seen::OUTPUT_DIR.to_string(),
        ]);
        all
    }

    /// The label set's directory relative to the data directory (a sub-path of the data volume).
    pub fn label_set_in_data(&self) -> PathBuf {
        relative_to(&self.label_set_dir, &self.data_dir)
    }

    /// The job's directory relative to the data directory.
    pub fn dir_in_data(&self) -> PathBuf {
        relative_to(&self.dir, &self.data_dir)
    }
}

fn relative_to(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// A job's log, in its directory.
pub const LOG: &str = "log.txt";

/// The job's output directory, in its own directory: the one place the job writes.
pub const OUTPUT: &str = "output";

/// Starts a job; returns the scheduler's id for it.
async fn submit(backend: &Backend, submission: &Submission) -> Result<String> {
    match backend {
        Backend::Local(settings) => local::submit(settings, submission).await,
        Backend::Slurm(settings) => slurm::submit(settings, submission).await,
        Backend::Kubernetes(settings) => kubernetes::submit(settings, submission).await,
    }
}

async fn observe(backend: &Backend, scheduler_id: &str, dir: &Path) -> Result<Observed> {
    match backend {
        Backend::Local(_) => local::observe(scheduler_id, dir).await,
        Backend::Slurm(settings) => slurm::observe(settings, scheduler_id).await,
        Backend::Kubernetes(settings) => kubernetes::observe(settings, scheduler_id).await,
    }
}

async fn stop(backend: &Backend, scheduler_id: &str, dir: &Path) -> Result<()> {
    match backend {
        Backend::Local(_) => local::cancel(scheduler_id, dir).await,
        Backend::Slurm(settings) => slurm::cancel(settings, scheduler_id).await,
        Backend::Kubernetes(settings) => kubernetes::cancel(settings, scheduler_id).await,
    }
}

// ---- profiles ----

fn profile_from(
    id: i64,
    name: String,
    backend: &str,
    settings: &str,
    archived: bool,
) -> Result<Profile> {
    let backend: Backend = serde_json::from_value(serde_json::json!({
        "backend": backend,
        "settings": serde_json::from_str::<serde_json::Value>(settings)
            .map_err(|error| Error::Internal(format!("profile {name}: {error}")))?,
    }))
    .map_err(|error| Error::Internal(format!("profile {name}: {error}")))?;
    Ok(Profile {
        id,
        name,
        backend,
        archived,
    })
}

fn settings_json(backend: &Backend) -> String {
    let value = serde_json::to_value(backend).expect("backends serialise");
    value["settings"].to_string()
}

/// Creates a profile, or replaces the backend of the one with that name.
pub async fn save_profile(
    pool: &SqlitePool,
    name: &str,
    backend: &Backend,
    actor: &str,
) -> Result<Profile> {
    let name = name.trim();
    if name.is_empty() || name.len() > 80 {
        return Err(Error::Invalid(
            "name: give the profile a name of 1 to 80 characters".into(),
        ));
    }
    backend.check()?;
    let kind = backend.name();
    let settings = settings_json(backend);
    let now = crate::now();
    let mut transaction = pool.begin().await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO launch_profiles (name, backend, settings, created_by, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET backend = excluded.backend, settings = excluded.settings,
           updated_at = excluded.updated_at, archived_at = NULL
         RETURNING id AS \"id!\"",
        name,
        kind,
        settings,
        actor,
        now
    )
    .fetch_one(&mut *transaction)
    .await?;
    audit::record(
        &mut *transaction,
        Action::LaunchProfileSaved,
        NewEvent {
            actor: Some(actor),
            object: Some(format!("launch profile {name}")),
            detail: Some(format!("{kind}: {settings}")),
            ..NewEvent::default()
        },
    )
    .await?;
    transaction.commit().await?;
    profile(pool, id).await
}

/// Archives a profile: no new launches; its jobs keep it.
pub async fn archive_profile(pool: &SqlitePool, id: i64, actor: &str) -> Result<()> {
    let mut transaction = pool.begin().await?;
    let now = crate::now();
    let name = sqlx::query_scalar!(
        "UPDATE launch_profiles SET archived_at = ? WHERE id = ? RETURNING name",
        now,
        id
    )
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or_else(|| Error::NotFound(format!("launch profile {id}")))?;
    audit::record(
        &mut *transaction,
        Action::LaunchProfileSaved,
        NewEvent {
            actor: Some(actor),
            object: Some(format!("launch profile {name}")),
            detail: Some("archived".into()),
            ..NewEvent::default()
        },
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Every profile, the usable ones first.
pub async fn profiles(pool: &SqlitePool) -> Result<Vec<Profile>> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", name, backend, settings, archived_at IS NOT NULL AS "archived!: bool"
           FROM launch_profiles ORDER BY archived_at IS NOT NULL, name"#
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| profile_from(row.id, row.name, &row.backend, &row.settings, row.archived))
        .collect()
}

pub async fn profile(pool: &SqlitePool, id: i64) -> Result<Profile> {
    let row = sqlx::query!(
        r#"SELECT id AS "id!", name, backend, settings, archived_at IS NOT NULL AS "archived!: bool"
           FROM launch_profiles WHERE id = ?"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("launch profile {id}")))?;
    profile_from(row.id, row.name, &row.backend, &row.settings, row.archived)
}

// ---- jobs ----

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

impl From<JobRow> for Job {
    fn from(row: JobRow) -> Job {
        Job {
            id: row.id,
            project_id: row.project_id,
            group_id: row.group_id,
            label_set_version: row.version,
            profile: row.profile,
            backend: row.backend,
            args: serde_json::from_str(&row.args).unwrap_or_default(),
            state: State::parse(&row.state),
            scheduler_id: row.scheduler_id,
            exit_code: row.exit_code,
            message: row.message,
            created_by: row.created_by,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            dir: PathBuf::from(row.dir),
        }
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
    Ok(rows.into_iter().map(Job::from).collect())
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
    Ok(row.into())
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

/// Asks the scheduler to stop a job and records it as cancelled.
pub async fn cancel(pool: &SqlitePool, project_id: i64, id: i64, actor: &str) -> Result<Job> {
    let job = job(pool, project_id, id).await?;
    if job.state.is_finished() {
        return Err(Error::Invalid(format!(
            "job {id} has already ended ({})",
            job.state.as_str()
        )));
    }
    let profile = profile_of(pool, id).await?;
    stop(&profile.backend, &job.scheduler_id, &job.dir).await?;
    let now = crate::now();
    let mut transaction = pool.begin().await?;
    sqlx::query!(
        "UPDATE jobs SET state = 'cancelled', finished_at = ?, message = ?, cancel_requested = 1
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

/// A launch that never got its scheduler id this long after it was recorded was interrupted.
const INTERRUPTED_AFTER_SECONDS: i64 = 300;

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

async fn record(pool: &SqlitePool, id: i64, was: &str, observed: &Observed) -> Result<bool> {
    let state = observed.state.as_str();
    if state == was && observed.message.is_none() {
        return Ok(false);
    }
    let now = crate::now();
    let finished = observed.state.is_finished().then_some(now);
    let started = (observed.state != State::Queued).then_some(now);
    let result = sqlx::query!(
        "UPDATE jobs SET state = ?, exit_code = COALESCE(?, exit_code), message = ?,
             started_at = COALESCE(started_at, ?), finished_at = COALESCE(finished_at, ?)
         WHERE id = ? AND state = ?",
        state,
        observed.exit_code,
        observed.message,
        started,
        finished,
        id,
        was
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
