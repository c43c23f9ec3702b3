//! Training jobs through the local backend (a real process running the reference job), the
//! Kubernetes Job objects, and a real single-node Slurm cluster started by the test.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::Project;
use sieve_core::label_sets::LabelSet;
use sieve_core::models;
use sieve_core::training::{self, kubernetes, local, slurm, Backend, Job, Launch, State};
use sieve_core::Error;

fn baseline() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../train/baseline.py")
}

/// Puts the reference job into the data directory's `train/` folder, where jobs see it (as the demo
/// does), and returns the command that runs it.
fn install_baseline(project: &Project) -> String {
    let train = project.data_dir().join("train");
    std::fs::create_dir_all(&train).unwrap();
    std::fs::copy(baseline(), train.join("baseline.py")).unwrap();
    format!("python3 {}/baseline.py", training::seen::TRAIN_DIR)
}

fn local_backend_running(command: String) -> Backend {
    Backend::Local(local::Settings {
        command,
        confinement: Default::default(),
    })
}

fn local_backend(project: &Project) -> Backend {
    local_backend_running(install_baseline(project))
}

async fn launch_with(
    project: &Project,
    set: &LabelSet,
    backend: Backend,
    runs: Vec<Vec<String>>,
) -> sieve_core::Result<Vec<Job>> {
    let profile = training::save_profile(&project.pool, backend.name(), &backend, "admin").await?;
    training::launch(
        &project.pool,
        Launch {
            data_dir: project.data_dir(),
            label_set: set,
            profile: &profile,
            runs,
            actor: "scientist",
        },
    )
    .await
}

/// Polls the schedulers until the job is in one of `states` (a minute at most: a hang fails).
async fn wait_until(project: &Project, id: i64, states: &[State]) -> Job {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        training::poll(&project.pool).await.unwrap();
        let job = training::job(&project.pool, project.project_id, id)
            .await
            .unwrap();
        if states.contains(&job.state) {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} stuck in {:?}: {}",
            job.state,
            training::log_tail(&job, 2000)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn job_count(project: &Project) -> usize {
    training::jobs(&project.pool, project.project_id)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_local_job_trains_the_baseline_and_succeeds() {
    let project = Project::new(400).await;
    let set = project.export(&project.spec(true, 1)).await;
    let jobs = launch_with(
        &project,
        &set,
        local_backend(&project),
        vec![vec!["--alpha".into(), "0.5".into()]],
    )
    .await
    .unwrap();
    let job = wait_until(&project, jobs[0].id, &[State::Succeeded, State::Failed]).await;
    let log = training::log_tail(&job, 10_000);
    assert_eq!(job.state, State::Succeeded, "{log}");
    assert_eq!(job.exit_code, Some(0));
    assert!(log.contains("verified 4 files of label set v1"), "{log}");
    assert!(log.contains("alpha 0.5"), "{log}");
    let metrics: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(job.dir.join("output/metrics.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(metrics["question"], "Pneumothorax");
    assert!(
        metrics["splits"]["test"]["accuracy"].as_f64().unwrap() > 0.5,
        "{metrics}"
    );
    // Its predictions of the test split become a model, validated on that split against the
    // reference labels: the job's own test accuracy, counted by Sieve.
    let made = models::adopt_jobs(&project.pool, project.data_dir(), &project.pseudonymizer)
        .await
        .unwrap();
    assert_eq!(made.len(), 1);
    let model = &made[0];
    assert_eq!(
        (model.job_id, model.label_set_version),
        (Some(job.id), Some(1))
    );
    let tested = metrics["splits"]["test"]["studies"].as_i64().unwrap();
    assert_eq!(model.predictions, tested);
    assert!(model
        .metrics
        .iter()
        .any(|m| m.name == "splits.test.accuracy"));
    let selection = models::Selection {
        set: models::Set::TestSplit,
        sources: models::Sources::All,
    };
    let cache = models::Cache::default();
    let found = models::validation(&project.context(), &cache, model, &selection)
        .await
        .unwrap();
    assert_eq!(found.confusion.total() as i64, tested);
    assert!(
        models::adopt_jobs(&project.pool, project.data_dir(), &project.pseudonymizer)
            .await
            .unwrap()
            .is_empty(),
        "a job's model is made once"
    );
}

#[tokio::test]
async fn arguments_naming_sieves_own_options_are_refused_and_start_nothing() {
    let project = Project::new(100).await;
    let set = project.export(&project.spec(true, 1)).await;
    let other = project.data_dir().join("labelsets/2/v1/manifest.json");
    for attack in [
        vec!["--manifest".to_string(), other.display().to_string()],
        vec![format!("--manifest={}", other.display())],
        vec!["--man".to_string(), other.display().to_string()],
        vec!["--output".to_string(), "/tmp/anywhere".to_string()],
        vec!["--alpha".into(), "1".into(), "--".into(), "x".into()],
    ] {
        let runs = vec![vec!["--alpha".into(), "0.5".into()], attack.clone()];
        let error = launch_with(&project, &set, local_backend(&project), runs)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Invalid(m) if m.starts_with("Extra arguments, line 2:") && m.contains("remove it")),
            "{attack:?}: {error}"
        );
    }
    assert_eq!(job_count(&project).await, 0, "nothing was launched");
}

/// What a job that tries to reach past its sandbox finds: it reads the paths given as its
/// arguments (another project's label set, Sieve's database), lists the data directory, tries to
/// write everywhere and to connect to a service on the host.
const PROBE: &str = r#"echo "uid $(id -u)"
cat "$2" && echo "LEAK: read $2"
cat "$3" >/dev/null && echo "LEAK: read $3"
ls -A "$4" 2>/dev/null | grep -q . && echo "LEAK: found files in $4"
head -c 20 /run/sieve/label-set/manifest.json >/dev/null && echo "own label set readable"
touch /run/sieve/label-set/x 2>/dev/null && echo "LEAK: wrote the label set"
touch /run/sieve/job/x 2>/dev/null && echo "LEAK: wrote the job directory"
touch "$4/x" 2>/dev/null && echo "LEAK: wrote the data directory"
echo done > /run/sieve/job/output/probe.txt && echo "output writable"
python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 2)" "$5" 2>/dev/null && echo "LEAK: reached a service of the host's network"
echo "probe finished"
"#;

#[tokio::test]
async fn a_job_sees_only_its_own_label_set_and_writes_only_its_output() {
    let project = Project::new(100).await;
    let set = project.export(&project.spec(true, 1)).await;
    let data = project.data_dir();
    // Another project's label set in the same data directory.
    let other = data.join("labelsets/2/v1");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("manifest.json"), "project 2's secrets").unwrap();
    let train = data.join("train");
    std::fs::create_dir_all(&train).unwrap();
    std::fs::write(train.join("probe.sh"), PROBE).unwrap();
    let backend = local_backend_running(format!("sh {}/probe.sh", training::seen::TRAIN_DIR));
    // A service on the host (Sieve itself, another install) that the job must not reach.
    let service = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let args = [
        "--peek".to_string(),
        other.join("manifest.json").display().to_string(),
        data.join("sieve.db").display().to_string(),
        data.display().to_string(),
        service.local_addr().unwrap().port().to_string(),
    ];
    let jobs = launch_with(&project, &set, backend, vec![args.to_vec()])
        .await
        .unwrap();
    let job = wait_until(&project, jobs[0].id, &[State::Succeeded, State::Failed]).await;
    let log = training::log_tail(&job, 10_000);
    assert!(!log.contains("LEAK") && !log.contains("secrets"), "{log}");
    assert!(log.contains("own label set readable"), "{log}");
    assert!(log.contains("output writable"), "{log}");
    assert!(log.contains("probe finished"), "{log}");
    assert!(job.dir.join("output/probe.txt").exists());
    let server_is_root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap();
    if server_is_root {
        assert!(
            log.contains("uid 65534"),
            "a job started by root runs as nobody: {log}"
        );
    }
}

#[tokio::test]
async fn a_hyperparameter_search_is_one_group_and_a_failing_run_is_failed() {
    let project = Project::new(300).await;
    let set = project.export(&project.spec(true, 1)).await;
    let runs = vec![
        vec!["--alpha".into(), "0.1".into()],
        vec!["--alpha".into(), "1".into()],
        vec!["--question".into(), "Nonexistent".into()],
    ];
    let jobs = launch_with(&project, &set, local_backend(&project), runs)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 3);
    assert!(
        jobs.iter().all(|job| job.group_id == jobs[0].id),
        "one group"
    );
    let failed = wait_until(&project, jobs[2].id, &[State::Succeeded, State::Failed]).await;
    assert_eq!(failed.state, State::Failed);
    assert_eq!(failed.exit_code, Some(1));
    assert!(training::log_tail(&failed, 1000).contains("'Nonexistent' is not in the label set"));
    for job in &jobs[..2] {
        assert_eq!(
            wait_until(&project, job.id, &[State::Succeeded, State::Failed])
                .await
                .state,
            State::Succeeded
        );
    }
}

#[tokio::test]
async fn a_local_job_can_be_cancelled_and_one_killed_outside_sieve_is_lost() {
    let project = Project::new(200).await;
    let set = project.export(&project.spec(true, 1)).await;
    let sleepy = vec![
        vec!["--sleep".into(), "60".into()],
        vec!["--sleep".into(), "60".into()],
    ];
    let jobs = launch_with(&project, &set, local_backend(&project), sleepy)
        .await
        .unwrap();
    for job in &jobs {
        wait_until(&project, job.id, &[State::Running]).await;
    }
    assert!(
        running_in(&jobs[0].dir),
        "the job runs before it is cancelled"
    );
    let cancelled = training::cancel(&project.pool, project.project_id, jobs[0].id, "scientist")
        .await
        .unwrap();
    assert_eq!(cancelled.state, State::Cancelled);
    let error = training::cancel(&project.pool, project.project_id, jobs[0].id, "scientist")
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("already ended (cancelled)"),
        "{error}"
    );

    // Killed behind Sieve's back (as by a reboot): no exit code is ever written.
    let pid = &jobs[1].scheduler_id;
    std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .status()
        .unwrap();
    let lost = wait_until(
        &project,
        jobs[1].id,
        &[State::Lost, State::Failed, State::Succeeded],
    )
    .await;
    assert_eq!(lost.state, State::Lost);
    assert!(lost.message.unwrap().contains("left no exit code"));
    // Cancelling stopped the whole process group: the job's shell and its Python (the sandbox's
    // teardown can take seconds on a loaded machine).
    let deadline = Instant::now() + Duration::from_secs(30);
    while running_in(&jobs[0].dir) {
        assert!(Instant::now() < deadline, "the cancelled job still runs");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_job_that_succeeded_before_its_cancel_stays_succeeded() {
    let project = Project::new(100).await;
    let set = project.export(&project.spec(true, 1)).await;
    let jobs = launch_with(&project, &set, local_backend(&project), vec![vec![]])
        .await
        .unwrap();
    // Ended, but not yet seen by the poller: the job page still shows it running.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !jobs[0].dir.join("exit_code").exists() {
        assert!(Instant::now() < deadline, "the job never ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let error = training::cancel(&project.pool, project.project_id, jobs[0].id, "scientist")
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("succeeded before it could be stopped"),
        "{error}"
    );
    let job = training::job(&project.pool, project.project_id, jobs[0].id)
        .await
        .unwrap();
    assert_eq!((job.state, job.exit_code), (State::Succeeded, Some(0)));
}

#[tokio::test]
async fn a_cancel_cut_short_leaves_the_job_to_the_poller_after_a_minute() {
    let project = Project::new(100).await;
    let set = project.export(&project.spec(true, 1)).await;
    let sleepy = vec![vec!["--sleep".into(), "60".into()]];
    let jobs = launch_with(&project, &set, local_backend(&project), sleepy)
        .await
        .unwrap();
    wait_until(&project, jobs[0].id, &[State::Running]).await;
    // A cancel marked the job, stopped it, and the server stopped before recording it.
    let marked = |seconds_ago: i64| {
        sqlx::query("UPDATE jobs SET cancel_requested_at = ? WHERE id = ?")
            .bind(sieve_core::now() - seconds_ago)
            .bind(jobs[0].id)
            .execute(&project.pool)
    };
    marked(0).await.unwrap();
    let pid = &jobs[0].scheduler_id;
    std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .status()
        .unwrap();
    training::poll(&project.pool).await.unwrap();
    let job = training::job(&project.pool, project.project_id, jobs[0].id)
        .await
        .unwrap();
    assert_eq!(job.state, State::Running, "left to the cancel under way");
    marked(120).await.unwrap();
    let job = wait_until(&project, jobs[0].id, &[State::Lost, State::Failed]).await;
    assert_eq!(job.state, State::Lost);
}

/// Whether a live process (not a zombie) names the job's directory on its command line.
fn running_in(dir: &Path) -> bool {
    let dir = dir.display().to_string();
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        String::from_utf8_lossy(&cmdline).contains(&dir)
    })
}

#[tokio::test]
async fn a_label_set_changed_on_disk_is_not_launched() {
    let project = Project::new(200).await;
    let set = project.export(&project.spec(true, 1)).await;
    let dir = sieve_core::label_sets::set_dir(project.data_dir(), project.project_id, set.version);
    std::fs::write(dir.join("texts.jsonl"), "{}\n").unwrap();
    let error = launch_with(&project, &set, local_backend(&project), vec![vec![]])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Invalid(m) if m.contains("texts.jsonl") && m.contains("refusing")),
        "{error}"
    );
    assert_eq!(job_count(&project).await, 0, "no job record");
}

#[tokio::test]
async fn an_unreachable_scheduler_gives_a_clear_error_and_no_job_record() {
    let project = Project::new(100).await;
    let set = project.export(&project.spec(true, 1)).await;
    let unreachable = Backend::Slurm(slurm::Settings {
        command: "python3 train.py".into(),
        confinement: Default::default(),
        partition: String::new(),
        account: String::new(),
        gpus: 1,
        time_limit: "01:00:00".into(),
        setup: String::new(),
        options: String::new(),
        login: "sieve-login.invalid".into(),
    });
    let error = launch_with(&project, &set, unreachable, vec![vec![], vec![]])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Unavailable(m) if m.contains("login node sieve-login.invalid")),
        "{error}"
    );
    assert_eq!(job_count(&project).await, 0, "no orphan job record");
    let jobs_dir = training::jobs_dir(project.data_dir());
    assert_eq!(
        std::fs::read_dir(jobs_dir).map(|d| d.count()).unwrap_or(0),
        0,
        "no job directory left"
    );
}

#[tokio::test]
async fn invalid_profiles_are_refused_with_the_field_named() {
    let project = Project::new(10).await;
    let error = training::save_profile(
        &project.pool,
        "x",
        &Backend::Local(local::Settings {
            command: " ".into(),
            confinement: Default::default(),
        }),
        "admin",
    )
    .await
    .unwrap_err();
    assert!(error.to_string().starts_with("command:"), "{error}");
    let mut settings = kube_settings();
    settings.run_as_user = 0;
    let error = training::save_profile(&project.pool, "k", &Backend::Kubernetes(settings), "admin")
        .await
        .unwrap_err();
    assert!(error.to_string().starts_with("run_as_user:"), "{error}");
    let error = training::save_profile(
        &project.pool,
        "root",
        &Backend::Local(local::Settings {
            command: "python3 train.py".into(),
            confinement: sieve_core::training::sandbox::Confinement {
                run_as: "root".into(),
                network: false,
            },
        }),
        "admin",
    )
    .await
    .unwrap_err();
    assert!(error.to_string().starts_with("run_as:"), "{error}");
    assert!(training::profiles(&project.pool).await.unwrap().is_empty());
}

fn kube_settings() -> kubernetes::Settings {
    kubernetes::Settings {
        namespace: "radiology-ml".into(),
        image: "registry.hospital.local/sieve-train:1".into(),
        command: "python3 /app/train.py".into(),
        gpus: 2,
        gpu_resource: "nvidia.com/gpu".into(),
        cpu: "8".into(),
        memory: "32Gi".into(),
        data_claim: "sieve-data".into(),
        run_as_user: 65534,
        service_account: "trainer".into(),
        context: String::new(),
    }
}

#[test]
fn the_kubernetes_job_object_carries_the_image_gpus_data_volume_and_arguments() {
    let submission = training::Submission {
        job_id: 42,
        data_dir: "/srv/sieve".into(),
        dir: "/srv/sieve/jobs/42".into(),
        label_set_dir: "/srv/sieve/labelsets/1/v3".into(),
        args: vec!["--lr".into(), "0.01".into(), "it's".into()],
    };
    let job = kubernetes::job_object(&kube_settings(), &submission);
    assert_eq!(job.metadata.name.as_deref(), Some("sieve-job-42"));
    assert_eq!(job.metadata.namespace.as_deref(), Some("radiology-ml"));
    assert_eq!(job.metadata.labels.as_ref().unwrap()["sieve/job"], "42");
    let spec = job.spec.unwrap();
    assert_eq!(spec.backoff_limit, Some(0), "a training run is not retried");
    let pod = spec.template.spec.unwrap();
    assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    assert_eq!(pod.service_account_name.as_deref(), Some("trainer"));
    let volume = &pod.volumes.unwrap()[0];
    assert_eq!(
        volume.persistent_volume_claim.as_ref().unwrap().claim_name,
        "sieve-data"
    );
    let container = &pod.containers[0];
    assert_eq!(
        container.image.as_deref(),
        Some("registry.hospital.local/sieve-train:1")
    );
    let limits = container
        .resources
        .as_ref()
        .unwrap()
        .limits
        .as_ref()
        .unwrap();
    assert_eq!(limits["nvidia.com/gpu"].0, "2");
    assert_eq!(limits["memory"].0, "32Gi");
    assert_eq!(limits["cpu"].0, "8");
    // Only the job's own label set (read-only) and directory of the data volume are mounted.
    let mounts: Vec<_> = container
        .volume_mounts
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.sub_path.as_deref().unwrap(),
                m.mount_path.as_str(),
                m.read_only.unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        mounts,
        [
            (
                volume.name.as_str(),
                "labelsets/1/v3",
                "/run/sieve/label-set",
                true
            ),
            (volume.name.as_str(), "jobs/42", "/run/sieve/job", false),
        ]
    );
    let security = container.security_context.as_ref().unwrap();
    assert_eq!(security.run_as_user, Some(65534));
    assert_eq!(security.run_as_non_root, Some(true));
    assert_eq!(security.allow_privilege_escalation, Some(false));
    let command = container.command.as_ref().unwrap();
    assert_eq!(command[..2], ["/bin/sh", "-c"]);
    // The launch's arguments first, Sieve's options last (they win).
    assert_eq!(
        command[2],
        "cd /run/sieve/job/output && python3 /app/train.py --lr 0.01 'it'\\''s' \
         --manifest /run/sieve/label-set/manifest.json --output /run/sieve/job/output > /run/sieve/job/log.txt 2>&1"
    );
    let env: Vec<(String, String)> = container
        .env
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| (e.name.clone(), e.value.clone().unwrap()))
        .collect();
    assert!(env.contains(&(
        "SIEVE_MANIFEST".into(),
        "/run/sieve/label-set/manifest.json".into()
    )));
    assert!(env.contains(&("SIEVE_JOB_ID".into(), "42".into())));
    // What the API server receives is the typed object as JSON.
    let json = serde_json::to_value(kubernetes::job_object(&kube_settings(), &submission)).unwrap();
    assert_eq!(json["apiVersion"], "batch/v1");
    assert_eq!(json["kind"], "Job");
    assert_eq!(
        json["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"],
        "2"
    );
}

#[test]
fn a_kubernetes_job_status_maps_to_job_states() {
    use k8s_openapi::api::batch::v1::{Job as KubeJob, JobCondition, JobStatus};
    let with = |status: JobStatus| KubeJob {
        status: Some(status),
        ..KubeJob::default()
    };
    assert_eq!(
        kubernetes::state_of(&with(JobStatus::default())).state,
        State::Queued
    );
    let running = JobStatus {
        active: Some(1),
        ready: Some(1),
        ..JobStatus::default()
    };
    assert_eq!(kubernetes::state_of(&with(running)).state, State::Running);
    let done = JobStatus {
        succeeded: Some(1),
        ..JobStatus::default()
    };
    assert_eq!(kubernetes::state_of(&with(done)).state, State::Succeeded);
    let failed = JobStatus {
        failed: Some(1),
        conditions: Some(vec![JobCondition {
            type_: "Failed".into(),
            status: "True".into(),
            message: Some("Job has reached the specified backoff limit".into()),
            ..JobCondition::default()
        }]),
        ..JobStatus::default()
    };
    let observed = kubernetes::state_of(&with(failed));
    assert_eq!(observed.state, State::Failed);
    assert!(observed.message.unwrap().contains("backoff limit"));
}

#[tokio::test]
async fn a_launch_interrupted_before_the_scheduler_answered_is_lost_not_queued_forever() {
    let project = Project::new(100).await;
    let set = project.export(&project.spec(true, 1)).await;
    let jobs = launch_with(&project, &set, local_backend(&project), vec![vec![]])
        .await
        .unwrap();
    wait_until(&project, jobs[0].id, &[State::Succeeded]).await;
    // As Sieve leaves a job it recorded when it stops before the scheduler gave an id.
    sqlx::query("UPDATE jobs SET state = 'queued', scheduler_id = '', created_at = created_at - 600 WHERE id = ?")
        .bind(jobs[0].id)
        .execute(&project.pool)
        .await
        .unwrap();
    let lost = wait_until(&project, jobs[0].id, &[State::Lost]).await;
    assert!(lost.message.unwrap().contains("interrupted"));
}
