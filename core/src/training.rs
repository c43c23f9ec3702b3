//! Training jobs: launch profiles (how and where a job runs) and jobs (one launch of one label set,
//! followed until it ends).
//!
//! Every job's state lives in the database and is refreshed by asking its scheduler, so a server
//! restart loses nothing: the poller picks the unfinished jobs up again. A job the scheduler no
//! longer knows is marked lost rather than running forever.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

pub mod arguments;
pub use arguments::argument_lines;
mod jobs;
pub use jobs::{cancel, job, jobs, jobs_dir, launch, log_tail, written, Job, Launch, MAX_GROUP};
pub mod kubernetes;
pub mod local;
mod metrics;
pub use metrics::{metrics, Metric, METRICS};
mod poll;
pub use poll::{follow, poll};
mod profiles;
pub use profiles::{archive_profile, profile, profiles, save_profile};
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

    /// Reads a stored state; one Sieve never writes is corruption, an internal error.
    fn stored(text: &str) -> Result<State> {
        match text {
            "queued" => Ok(State::Queued),
            "running" => Ok(State::Running),
            "succeeded" => Ok(State::Succeeded),
            "failed" => Ok(State::Failed),
            "cancelled" => Ok(State::Cancelled),
            "lost" => Ok(State::Lost),
            other => Err(Error::Internal(format!(
                "a stored job state {other:?} is not one Sieve writes"
            ))),
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
        Backend::Local(settings) => local::submit(settings, submission),
        Backend::Slurm(settings) => slurm::submit(settings, submission).await,
        Backend::Kubernetes(settings) => kubernetes::submit(settings, submission).await,
    }
}

async fn observe(backend: &Backend, scheduler_id: &str, dir: &Path) -> Result<Observed> {
    match backend {
        Backend::Local(_) => local::observe(scheduler_id, dir),
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
