//! The Kubernetes backend: a `batch/v1` Job per launch, created, read and deleted through the
//! cluster's API (the kube crate; credentials from the in-cluster service account or the
//! kubeconfig of the Sieve host). Of the persistent volume claim that holds Sieve's data directory,
//! the pod mounts only its label set (read-only) and its own job directory, at the fixed paths of
//! `training::seen`, and runs as an unprivileged user without privilege escalation; the job's log is
//! written next to those of the other backends.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, EnvVar, PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec,
    ResourceRequirements, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, PostParams, PropagationPolicy};
use serde::{Deserialize, Serialize};

use super::{seen, shell, Observed, State, Submission};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub namespace: String,
    pub image: String,
    /// The command the container runs; Sieve appends the arguments, then `--manifest M --output O`.
    pub command: String,
    /// The user id the container runs as (never root); it must be able to write the job's
    /// directory on the claim (Sieve makes it the owner when it can).
    #[serde(default = "default_run_as_user")]
    pub run_as_user: i64,
    /// GPUs per job, as a limit on `gpu_resource`; 0 for none.
    #[serde(default)]
    pub gpus: u32,
    /// The extended resource GPUs are counted in.
    #[serde(default = "default_gpu_resource")]
    pub gpu_resource: String,
    /// CPU and memory limits, e.g. `4` and `16Gi`; empty: none.
    #[serde(default)]
    pub cpu: String,
    #[serde(default)]
    pub memory: String,
    /// The persistent volume claim whose root is Sieve's data directory.
    pub data_claim: String,
    #[serde(default)]
    pub service_account: String,
    /// The kubeconfig context; empty: the current one (or the in-cluster account).
    #[serde(default)]
    pub context: String,
}

fn default_gpu_resource() -> String {
    "nvidia.com/gpu".into()
}

/// `nobody` on most distributions.
fn default_run_as_user() -> i64 {
    65534
}

impl Settings {
    pub fn check(&self) -> Result<()> {
        let required = [
            ("namespace", &self.namespace),
            ("image", &self.image),
            ("command", &self.command),
            ("data_claim", &self.data_claim),
        ];
        for (name, value) in required {
            if value.trim().is_empty() {
                return Err(Error::Invalid(format!("{name}: required for Kubernetes")));
            }
        }
        if self.run_as_user <= 0 {
            return Err(Error::Invalid(format!(
                "run_as_user: {} would run jobs as root; give an unprivileged user id such as 65534",
                self.run_as_user
            )));
        }
        for (name, value) in [("cpu", &self.cpu), ("memory", &self.memory)] {
            if value.chars().any(char::is_whitespace) {
                return Err(Error::Invalid(format!(
                    "{name}: {value:?} cannot hold spaces"
                )));
            }
        }
        Ok(())
    }
}

/// The Job's name for a Sieve job.
pub fn job_name(job_id: i64) -> String {
    format!("sieve-job-{job_id}")
}

const DATA_VOLUME: &str = "sieve-data";

/// The Job object a launch creates.
pub fn job_object(settings: &Settings, submission: &Submission) -> Job {
    let arguments: Vec<String> = submission
        .arguments()
        .iter()
        .map(|a| shell::quote(a))
        .collect();
    let run = format!(
        "cd {} && {} {} > {}/{} 2>&1",
        seen::OUTPUT_DIR,
        settings.command,
        arguments.join(" "),
        seen::JOB_DIR,
        super::LOG
    );
    let mut limits = BTreeMap::new();
    if settings.gpus > 0 {
        limits.insert(
            settings.gpu_resource.clone(),
            Quantity(settings.gpus.to_string()),
        );
    }
    for (name, value) in [("cpu", &settings.cpu), ("memory", &settings.memory)] {
        if !value.is_empty() {
            limits.insert(name.to_string(), Quantity(value.clone()));
        }
    }
    let labels = BTreeMap::from([
        (
            "app.kubernetes.io/managed-by".to_string(),
            "sieve".to_string(),
        ),
        ("sieve/job".to_string(), submission.job_id.to_string()),
    ]);
    let container = Container {
        name: "train".into(),
        image: Some(settings.image.clone()),
        command: Some(vec!["/bin/sh".into(), "-c".into(), run]),
        env: Some(
            submission
                .environment()
                .into_iter()
                .map(|(name, value)| EnvVar {
                    name: name.into(),
                    value: Some(value),
                    ..EnvVar::default()
                })
                .collect(),
        ),
        resources: Some(ResourceRequirements {
            limits: (!limits.is_empty()).then_some(limits),
            ..ResourceRequirements::default()
        }),
        volume_mounts: Some(vec![
            VolumeMount {
                name: DATA_VOLUME.into(),
                mount_path: seen::LABEL_SET_DIR.into(),
                sub_path: Some(submission.label_set_in_data().display().to_string()),
                read_only: Some(true),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: DATA_VOLUME.into(),
                mount_path: seen::JOB_DIR.into(),
                sub_path: Some(submission.dir_in_data().display().to_string()),
                ..VolumeMount::default()
            },
        ]),
        security_context: Some(SecurityContext {
            run_as_user: Some(settings.run_as_user),
            run_as_non_root: Some(true),
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Capabilities::default()
            }),
            ..SecurityContext::default()
        }),
        ..Container::default()
    };
    Job {
        metadata: ObjectMeta {
            name: Some(job_name(submission.job_id)),
            namespace: Some(settings.namespace.clone()),
            labels: Some(labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(JobSpec {
            // A training run is not retried behind the scientist's back.
            backoff_limit: Some(0),
            ttl_seconds_after_finished: Some(7 * 24 * 3600),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    restart_policy: Some("Never".into()),
                    containers: vec![container],
                    service_account_name: (!settings.service_account.is_empty())
                        .then(|| settings.service_account.clone()),
                    volumes: Some(vec![Volume {
                        name: DATA_VOLUME.into(),
                        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                            claim_name: settings.data_claim.clone(),
                            read_only: Some(false),
                        }),
                        ..Volume::default()
                    }]),
                    ..PodSpec::default()
                }),
            },
            ..JobSpec::default()
        }),
        status: None,
    }
}

fn unreachable(settings: &Settings, error: impl std::fmt::Display) -> Error {
    Error::Unavailable(format!(
        "Kubernetes (namespace {}) could not be reached: {error}",
        settings.namespace
    ))
}

async fn jobs_api(settings: &Settings) -> Result<Api<Job>> {
    let options = kube::config::KubeConfigOptions {
        context: (!settings.context.is_empty()).then(|| settings.context.clone()),
        ..Default::default()
    };
    let config = match kube::Config::from_kubeconfig(&options).await {
        Ok(config) => config,
        Err(_) if settings.context.is_empty() => kube::Config::incluster().map_err(|error| {
            unreachable(
                settings,
                format!("no kubeconfig and not in a cluster ({error})"),
            )
        })?,
        Err(error) => return Err(unreachable(settings, error)),
    };
    let client = kube::Client::try_from(config).map_err(|error| unreachable(settings, error))?;
    Ok(Api::namespaced(client, &settings.namespace))
}

pub async fn submit(settings: &Settings, submission: &Submission) -> Result<String> {
    give_job_dir_to(settings.run_as_user, submission);
    let api = jobs_api(settings).await?;
    let job = job_object(settings, submission);
    let created = api
        .create(&PostParams::default(), &job)
        .await
        .map_err(|error| unreachable(settings, error))?;
    Ok(created
        .metadata
        .name
        .unwrap_or_else(|| job_name(submission.job_id)))
}

/// Makes the pod's user the owner of the job's directory and output on the claim, where Sieve may
/// (it runs as root); otherwise the claim's own permissions must let that user write.
fn give_job_dir_to(user_id: i64, submission: &Submission) {
    let Ok(uid) = u32::try_from(user_id) else {
        return;
    };
    for dir in [submission.dir.clone(), submission.output()] {
        if let Err(error) = std::os::unix::fs::chown(&dir, Some(uid), Some(uid)) {
            tracing::debug!(%error, dir = %dir.display(), "the job's directory keeps its owner");
        }
    }
}

/// Reads a Job's status as a state.
pub fn state_of(job: &Job) -> Observed {
    let status = job.status.clone().unwrap_or_default();
    if status.succeeded.unwrap_or(0) > 0 {
        return Observed {
            state: State::Succeeded,
            exit_code: Some(0),
            message: None,
        };
    }
    if status.failed.unwrap_or(0) > 0 {
        let reason = status
            .conditions
            .unwrap_or_default()
            .into_iter()
            .find(|c| c.type_ == "Failed")
            .and_then(|c| c.message.or(c.reason));
        return Observed {
            state: State::Failed,
            exit_code: None,
            message: Some(reason.unwrap_or_else(|| "the pod failed".into())),
        };
    }
    match status.active.unwrap_or(0) > 0 && status.ready.unwrap_or(0) > 0 {
        true => Observed::state(State::Running),
        false => Observed::state(State::Queued),
    }
}

pub async fn observe(settings: &Settings, name: &str) -> Result<Observed> {
    let api = jobs_api(settings).await?;
    match api.get_opt(name).await {
        Ok(Some(job)) => Ok(state_of(&job)),
        Ok(None) => Ok(Observed {
            state: State::Lost,
            exit_code: None,
            message: Some(format!(
                "Job {name} is gone from namespace {}",
                settings.namespace
            )),
        }),
        Err(error) => Err(unreachable(settings, error)),
    }
}

pub async fn cancel(settings: &Settings, name: &str) -> Result<()> {
    let api = jobs_api(settings).await?;
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    };
    match api.delete(name, &params).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(error) => Err(unreachable(settings, error)),
    }
}
