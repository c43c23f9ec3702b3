//! The sandbox a local or Slurm job runs in (bubblewrap, the sandbox Flatpak uses): the job sees
//! the host's files read-only, but of Sieve's data directory only its own label set (read-only),
//! its own directory (read-only) and output directory (writable), and the data directory's `train/`
//! folder (read-only), at the fixed paths of `training::seen`. It gets its own `/tmp`, `/run`,
//! process and IPC namespaces, so it can neither see nor signal other jobs, and no network (only
//! its own loopback) unless the profile allows it: patient data does not leave through a job.
//!
//! A job that starts as root (Sieve run as root, or a Slurm cluster running root's jobs) drops to
//! the profile's unprivileged user first (`setpriv`, no new privileges, no capabilities); one that
//! starts as another user keeps that user inside an unprivileged user namespace.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::shell::quote;
use super::{seen, Submission};
use crate::{Error, Result};

/// The user jobs run as when they would otherwise run as root.
pub const DEFAULT_RUN_AS: &str = "nobody";

/// How a profile confines its jobs (the local and Slurm backends' settings share these fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confinement {
    /// The unprivileged account the job runs as when it would start as root.
    #[serde(default = "default_run_as")]
    pub run_as: String,
    /// Whether the job may use the network; off: it has only a loopback of its own.
    #[serde(default)]
    pub network: bool,
}

impl Default for Confinement {
    fn default() -> Self {
        Confinement {
            run_as: default_run_as(),
            network: false,
        }
    }
}

fn default_run_as() -> String {
    DEFAULT_RUN_AS.to_string()
}

impl Confinement {
    /// Checks `run_as`: a plain account name that is not root.
    pub fn check(&self) -> Result<()> {
        check_run_as(&self.run_as)
    }
}

fn check_run_as(run_as: &str) -> Result<()> {
    let plain = !run_as.is_empty()
        && run_as
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !plain {
        return Err(Error::Invalid(format!(
            "run_as: {run_as:?} is not an account name (letters, digits, - _ .)"
        )));
    }
    if run_as == "root" || run_as.chars().all(|c| c == '0') {
        return Err(Error::Invalid(
            "run_as: jobs may not run as root; name an unprivileged account such as nobody".into(),
        ));
    }
    Ok(())
}

/// The shell lines that run `command` (the admin's, as written) with the job's arguments inside
/// the sandbox, replacing the script's shell. They stop with a plain message when bubblewrap is
/// missing on the host that runs the job.
pub fn run_lines(command: &str, confinement: &Confinement, submission: &Submission) -> String {
    let run_as = confinement.run_as.as_str();
    let host = |path: &Path| quote(&path.display().to_string());
    let mut bwrap = vec![
        "bwrap --ro-bind / / --dev-bind /dev /dev --proc /proc".to_string(),
        "--perms 1777 --tmpfs /tmp --perms 1777 --tmpfs /dev/shm".to_string(),
        "--perms 0755 --tmpfs /run --perms 0755 --dir /run/sieve".to_string(),
        format!("--tmpfs {}", host(&submission.data_dir)),
        format!(
            "--ro-bind {} {}",
            host(&submission.label_set_dir),
            seen::LABEL_SET_DIR
        ),
        format!("--ro-bind {} {}", host(&submission.dir), seen::JOB_DIR),
        format!("--bind {} {}", host(&submission.output()), seen::OUTPUT_DIR),
    ];
    let train = submission.data_dir.join("train");
    if train.is_dir() {
        bwrap.push(format!("--ro-bind {} {}", host(&train), seen::TRAIN_DIR));
    }
    // `--die-with-parent`: when the job's shell is stopped (a cancel signals its process group), the
    // whole sandbox goes with it, even processes it started after the signal.
    if !confinement.network {
        bwrap.push("--unshare-net".to_string());
    }
    bwrap.push(format!(
        "--unshare-pid --unshare-ipc --unshare-uts --die-with-parent --chdir {}",
        seen::OUTPUT_DIR
    ));
    let arguments: Vec<String> = submission.arguments().iter().map(|a| quote(a)).collect();
    let inner = quote(&format!("exec {command} {}", arguments.join(" ")));
    let user = quote(run_as);
    format!(
        "command -v bwrap >/dev/null 2>&1 || {{ echo \"sieve: bubblewrap (bwrap) is not installed on $(hostname): Sieve runs every job in a sandbox; install the package bubblewrap\" >&2; exit 127; }}\n\
         set -- {bwrap}\n\
         if [ \"$(id -u)\" = 0 ]; then\n\
         \x20 group=\"$(id -g {user})\" || {{ echo \"sieve: the account {run_as} that jobs run as does not exist on $(hostname)\" >&2; exit 126; }}\n\
         \x20 chown {user}:\"$group\" {output}\n\
         \x20 exec \"$@\" -- setpriv --reuid={user} --regid=\"$group\" --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all sh -c {inner}\n\
         fi\n\
         exec \"$@\" --unshare-user -- sh -c {inner}\n",
        bwrap = bwrap.join(" \\\n  "),
        output = host(&submission.output()),
    )
}
