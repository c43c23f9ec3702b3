//! The Slurm backend against a real single-node Slurm cluster (slurmctld, slurmd and munge started
//! by this test through scripts/slurm-cluster.sh, with one fake GPU): launch → running →
//! succeeded, a failing job, cancel, a restart of Sieve mid-job, and a job Slurm forgot.
//! Needs Debian's slurm-wlm and munge and root, so a bare `cargo test` skips it (ignored);
//! `scripts/test.sh` installs them and runs it with `--ignored`.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::Project;
use sieve_core::label_sets::LabelSet;
use sieve_core::training::{self, slurm, Backend, Job, Launch, State};

struct Cluster {
    dir: tempfile::TempDir,
}

impl Cluster {
    fn script() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/slurm-cluster.sh")
    }

    #[track_caller]
    fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("bash")
            .arg(Self::script())
            .arg("start")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "the Slurm cluster did not start (see the output above)"
        );
        // Slurm's commands find the cluster through this; only this test in this binary uses it.
        std::env::set_var("SLURM_CONF", dir.path().join("slurm.conf"));
        Cluster { dir }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(Self::script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

/// The reference job, kept in the data directory's `train/` folder, which jobs see read-only.
fn backend(project: &Project) -> Backend {
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("../train/baseline.py");
    let train = project.data_dir().join("train");
    std::fs::create_dir_all(&train).unwrap();
    std::fs::copy(baseline, train.join("baseline.py")).unwrap();
    Backend::Slurm(slurm::Settings {
        command: format!("python3 {}/baseline.py", training::seen::TRAIN_DIR),
        confinement: Default::default(),
        partition: "debug".into(),
        account: String::new(),
        gpus: 1,
        time_limit: "00:10:00".into(),
        setup: "echo \"gpu: $CUDA_VISIBLE_DEVICES on $SLURM_JOB_PARTITION\"".into(),
        options: "--mem=100M".into(),
        login: String::new(),
    })
}

async fn start(pool: &sqlx::SqlitePool, project: &Project, set: &LabelSet, args: &[&str]) -> Job {
    let profile = training::save_profile(pool, "cluster", &backend(project), "admin")
        .await
        .unwrap();
    let runs = vec![args.iter().map(|a| a.to_string()).collect()];
    let launch = Launch {
        data_dir: project.data_dir(),
        label_set: set,
        profile: &profile,
        runs,
        actor: "scientist",
    };
    training::launch(pool, launch).await.unwrap().remove(0)
}

async fn wait_until(pool: &sqlx::SqlitePool, project_id: i64, id: i64, states: &[State]) -> Job {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        training::poll(pool).await.unwrap();
        let job = training::job(pool, project_id, id).await.unwrap();
        if states.contains(&job.state) {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} stuck in {:?} ({:?}): {}",
            job.state,
            job.message,
            training::log_tail(&job, 2000)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
#[ignore = "needs Slurm, munge and root: scripts/test.sh installs them and runs it"]
async fn jobs_run_fail_cancel_survive_a_restart_and_are_lost_through_slurm() {
    let _cluster = Cluster::start();
    let project = Project::new(300).await;
    let set = project.export(&project.spec(true, 1)).await;
    let (pool, id) = (&project.pool, project.project_id);

    // Launch → running → succeeded, on the fake GPU.
    let job = start(pool, &project, &set, &["--alpha", "0.5"]).await;
    assert!(
        job.scheduler_id.parse::<u64>().is_ok(),
        "a Slurm job id: {}",
        job.scheduler_id
    );
    let done = wait_until(pool, id, job.id, &[State::Succeeded, State::Failed]).await;
    let log = training::log_tail(&done, 10_000);
    assert_eq!(done.state, State::Succeeded, "{log}");
    assert!(
        log.contains("gpu: 0 on debug"),
        "--gres=gpu:1 was granted: {log}"
    );
    assert!(log.contains("verified 4 files"), "{log}");
    assert!(done.dir.join("output/metrics.json").exists());

    // A job whose program fails is failed, with its exit code.
    let failing = start(pool, &project, &set, &["--question", "Nope"]).await;
    let failed = wait_until(pool, id, failing.id, &[State::Succeeded, State::Failed]).await;
    assert_eq!((failed.state, failed.exit_code), (State::Failed, Some(1)));

    // Cancel a running job: Slurm cancels it.
    let long = start(pool, &project, &set, &["--sleep", "120"]).await;
    wait_until(pool, id, long.id, &[State::Running]).await;
    let cancelled = training::cancel(pool, id, long.id, "scientist")
        .await
        .unwrap();
    assert_eq!(cancelled.state, State::Cancelled);
    // scancel returns at once; Slurm records the cancellation a moment later.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let shown = std::process::Command::new("scontrol")
            .args(["show", "job", "-o", &long.scheduler_id])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&shown.stdout).contains("JobState=CANCELLED") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Slurm never cancelled job {}",
            long.scheduler_id
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Sieve stops mid-job; a new server (a new pool on the same database) follows it to the end.
    let slow = start(pool, &project, &set, &["--sleep", "3"]).await;
    wait_until(pool, id, slow.id, &[State::Running]).await;
    pool.close().await;
    let reopened = sieve_core::db::open(&project.data_dir().join("sieve.db"))
        .await
        .unwrap();
    let finished = wait_until(&reopened, id, slow.id, &[State::Succeeded, State::Failed]).await;
    assert_eq!(finished.state, State::Succeeded);

    // A job Slurm never heard of (or forgot) is lost, not running forever.
    sqlx::query("UPDATE jobs SET state = 'running', scheduler_id = '987654' WHERE id = ?")
        .bind(finished.id)
        .execute(&reopened)
        .await
        .unwrap();
    let lost = wait_until(&reopened, id, finished.id, &[State::Lost]).await;
    assert!(lost.message.unwrap().contains("no longer knows job 987654"));
}
