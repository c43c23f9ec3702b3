//! The local backend: the job runs as a process on the Sieve host (development, one workstation),
//! in the sandbox of `sandbox` (bubblewrap must be installed), as the profile's unprivileged user.
//!
//! The process writes its exit code into the job's directory when it ends, so its result is known
//! even when Sieve was restarted meanwhile; a process that is gone without one is lost.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{sandbox, shell, Observed, State, Submission};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The command the job runs, e.g. `python3 /run/sieve/train/baseline.py`; Sieve appends the
    /// launch's arguments, then `--manifest M --output O`.
    pub command: String,
    /// The job's user and network (`run_as: nobody`, `network: false` unless set).
    #[serde(flatten)]
    pub confinement: sandbox::Confinement,
}

impl Settings {
    pub fn check(&self) -> Result<()> {
        if self.command.trim().is_empty() {
            return Err(Error::Invalid("command: say what the job runs".into()));
        }
        self.confinement.check()
    }
}

const EXIT_CODE: &str = "exit_code";
const SCRIPT: &str = "job.sh";

/// The name the job's shell runs under, so that a recycled process id (or a job of the same
/// number of another Sieve install on the host) is not taken for this job.
fn marker(dir: &Path) -> String {
    format!("sieve-job:{}", dir.display())
}

/// The search path jobs get: the system's, not the server's (which may name the server user's
/// own tools, unreadable to the job's user).
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Variables of the server's environment a job keeps (locale, time zone, the GPUs it may use);
/// nothing else of the server's environment reaches it.
const KEPT_VARIABLES: [&str; 5] = [
    "LANG",
    "LC_ALL",
    "TZ",
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_VISIBLE_DEVICES",
];

/// Whether `program` is on the jobs' search path.
fn installed(program: &str) -> bool {
    PATH.split(':')
        .any(|dir| Path::new(dir).join(program).is_file())
}

pub fn submit(settings: &Settings, submission: &Submission) -> Result<String> {
    if !installed("bwrap") {
        return Err(Error::Unavailable(
            "this host cannot run jobs safely: Sieve runs every job in a sandbox made with \
             bubblewrap, which is not installed (install the package bubblewrap)"
                .into(),
        ));
    }
    let script = shell::script(
        &[],
        "",
        &settings.command,
        &settings.confinement,
        submission,
    );
    std::fs::write(submission.dir.join(SCRIPT), script)?;
    // The log and the exit code are written here, on the host, into the job's directory, which
    // the job itself cannot write.
    let runner = format!(
        "sh {SCRIPT} > {log} 2>&1; echo $? > {EXIT_CODE}.tmp && mv {EXIT_CODE}.tmp {EXIT_CODE}",
        log = super::LOG
    );
    let kept = KEPT_VARIABLES
        .into_iter()
        .filter_map(|name| std::env::var(name).ok().map(|value| (name, value)));
    // `setsid`: a session and process group of its own, without a terminal; cancelling stops the
    // whole job, and stopping Sieve does not.
    let mut child = tokio::process::Command::new("setsid")
        .arg("sh")
        .arg("-c")
        .arg(runner)
        .arg(marker(&submission.dir))
        .current_dir(&submission.dir)
        .env_clear()
        .env("PATH", PATH)
        .envs(kept)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|error| Error::Unavailable(format!("the job could not be started: {error}")))?;
    let pid = child
        .id()
        .ok_or_else(|| Error::Unavailable("the job ended before it started".into()))?;
    // Reap it when it ends, so it does not linger as a zombie while Sieve runs.
    tokio::spawn(async move {
        let _ = child.wait().await;
    });
    Ok(pid.to_string())
}

/// Whether process `pid` is still this job's shell.
fn alive(pid: &str, dir: &Path) -> bool {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline);
    cmdline.split('\0').any(|word| word == marker(dir))
}

pub fn observe(pid: &str, dir: &Path) -> Result<Observed> {
    if let Some(ended) = ended(dir) {
        return Ok(ended);
    }
    if alive(pid, dir) {
        return Ok(Observed::state(State::Running));
    }
    // The shell may have just ended between the two looks (its last step, the exit code's rename,
    // can replace it): look for the exit code once more, written or being written.
    if let Some(ended) = ended(dir) {
        return Ok(ended);
    }
    let writing = std::fs::metadata(dir.join(format!("{EXIT_CODE}.tmp")))
        .and_then(|file| file.modified())
        .is_ok_and(|at| at.elapsed().unwrap_or_default().as_secs() < 60);
    if writing {
        return Ok(Observed::state(State::Running));
    }
    // The rename may have happened since the second look (the shell's last step is often the
    // `mv` itself, exec'd in its place): an exit code there now is the job's end.
    if let Some(ended) = ended(dir) {
        return Ok(ended);
    }
    Ok(Observed {
        state: State::Lost,
        exit_code: None,
        message: Some(format!(
            "process {pid} is gone and left no exit code (was the host restarted?)"
        )),
    })
}

/// The job's end as its exit code file records it, if it has ended.
fn ended(dir: &Path) -> Option<Observed> {
    if let Ok(text) = std::fs::read_to_string(dir.join(EXIT_CODE)) {
        let code: i64 = text.trim().parse().unwrap_or(-1);
        return Some(Observed {
            state: if code == 0 {
                State::Succeeded
            } else {
                State::Failed
            },
            exit_code: Some(code),
            message: (code != 0).then(|| format!("exited with code {code}")),
        });
    }
    None
}

pub async fn cancel(pid: &str, dir: &Path) -> Result<()> {
    // Only while the process is still this job's shell: once the job has ended, its number may
    // be another process group's (numbers are reused), which must not be signalled.
    if !alive(pid, dir) {
        return Ok(());
    }
    // The whole process group.
    let group = format!("-{pid}");
    let _ = shell::run("kill", &["-TERM".into(), "--".into(), group.clone()]).await?;
    // What outlives the request (a sandbox caught while it was being set up ignores it) is
    // killed: the group's number stays the job's while any of its processes lives.
    for _ in 0..30 {
        if !group_alive(pid, dir) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = shell::run("kill", &["-KILL".into(), "--".into(), group]).await?;
    Ok(())
}

/// Whether a process of group `pid` that names the job's directory is still running.
fn group_alive(pid: &str, dir: &Path) -> bool {
    let dir = dir.display().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid pgrp …: the fields after the command's closing parenthesis.
        let group = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(2));
        group == Some(pid) && {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(&dir)
        }
    })
}
