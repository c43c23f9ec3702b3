//! The Slurm backend: `sbatch` a script, follow it with `scontrol` (and `sacct` once Slurm has
//! forgotten it), stop it with `scancel`. The commands run on the Sieve host, or on a login node
//! through `ssh` when the profile names one (the job directory must then be on a shared file system).
//! The job runs in the sandbox of `sandbox` on the compute node (bubblewrap must be installed there).

use serde::{Deserialize, Serialize};

use super::{sandbox, shell, Observed, State, Submission};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The command the job runs; Sieve appends the launch's arguments, then `--manifest M --output O`.
    pub command: String,
    /// The job's user and network (`run_as: nobody`, `network: false` unless set).
    #[serde(flatten)]
    pub confinement: sandbox::Confinement,
    /// Empty: the cluster's default partition.
    #[serde(default)]
    pub partition: String,
    #[serde(default)]
    pub account: String,
    /// GPUs per job (`--gres=gpu:N`); 0 for none.
    #[serde(default)]
    pub gpus: u32,
    /// `--time`, e.g. `02:00:00`; empty: the partition's default.
    #[serde(default)]
    pub time_limit: String,
    /// Lines run before the command: `module load ...`, a container wrapper's setup.
    #[serde(default)]
    pub setup: String,
    /// More `#SBATCH` options, one per line (e.g. `--mem=16G`).
    #[serde(default)]
    pub options: String,
    /// A login node to reach through `ssh` (BatchMode); empty: Slurm's commands are on this host.
    #[serde(default)]
    pub login: String,
}

impl Settings {
    pub fn check(&self) -> Result<()> {
        if self.command.trim().is_empty() {
            return Err(Error::Invalid("command: say what the job runs".into()));
        }
        let word = |name: &str, value: &str| match value.chars().any(char::is_whitespace) {
            true => Err(Error::Invalid(format!(
                "{name}: {value:?} cannot hold spaces"
            ))),
            false => Ok(()),
        };
        word("partition", &self.partition)?;
        word("account", &self.account)?;
        word("time_limit", &self.time_limit)?;
        word("login", self.login.trim())?;
        self.confinement.check()?;
        if self.gpus > 64 {
            return Err(Error::Invalid(format!(
                "gpus: {} GPUs for one job is more than any node has",
                self.gpus
            )));
        }
        Ok(())
    }

    fn headers(&self, submission: &Submission) -> Vec<String> {
        let mut lines = vec![
            format!("#SBATCH --job-name=sieve-{}", submission.job_id),
            format!("#SBATCH --output={}", submission.log().display()),
            format!("#SBATCH --chdir={}", submission.dir.display()),
        ];
        let mut option = |name: &str, value: &str| {
            if !value.is_empty() {
                lines.push(format!("#SBATCH --{name}={value}"));
            }
        };
        option("partition", &self.partition);
        option("account", &self.account);
        option("time", &self.time_limit);
        if self.gpus > 0 {
            lines.push(format!("#SBATCH --gres=gpu:{}", self.gpus));
        }
        for extra in self
            .options
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            lines.push(format!("#SBATCH {extra}"));
        }
        lines
    }

    fn place(&self) -> String {
        match self.login.trim() {
            "" => "Slurm".to_string(),
            login => format!("Slurm (login node {login})"),
        }
    }

    /// Runs one of Slurm's commands here or on the login node.
    async fn run(&self, program: &str, args: &[String]) -> Result<std::process::Output> {
        match self.login.trim() {
            "" => shell::run(program, args).await,
            login => {
                let mut remote = vec![program.to_string()];
                remote.extend(args.iter().map(|a| shell::quote(a)));
                let ssh: Vec<String> = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", login]
                    .into_iter()
                    .map(String::from)
                    .chain([remote.join(" ")])
                    .collect();
                shell::run("ssh", &ssh).await
            }
        }
    }
}

const SCRIPT: &str = "job.sbatch";

pub async fn submit(settings: &Settings, submission: &Submission) -> Result<String> {
    let script = shell::script(
        &settings.headers(submission),
        &settings.setup,
        &settings.command,
        &settings.confinement,
        submission,
    );
    let path = submission.dir.join(SCRIPT);
    std::fs::write(&path, script)?;
    let output = settings
        .run("sbatch", &["--parsable".into(), path.display().to_string()])
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let id = stdout.trim().split(';').next().unwrap_or_default().trim();
    if !output.status.success() || id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::Unavailable(format!(
            "{} did not take the job: {}",
            settings.place(),
            shell::complaint(&output)
        )));
    }
    Ok(id.to_string())
}

/// Maps a Slurm job state (`JobState=` of scontrol, `State` of sacct) to ours.
fn state_of(slurm: &str) -> Option<State> {
    let word = slurm.split_whitespace().next().unwrap_or_default();
    Some(match word {
        "PENDING" | "CONFIGURING" | "REQUEUED" | "REQUEUE_HOLD" | "REQUEUE_FED" | "SUSPENDED"
        | "RESV_DEL_HOLD" => State::Queued,
        "RUNNING" | "COMPLETING" | "STAGE_OUT" | "SIGNALING" | "STOPPED" => State::Running,
        "COMPLETED" => State::Succeeded,
        "CANCELLED" => State::Cancelled,
        "FAILED" | "TIMEOUT" | "OUT_OF_MEMORY" | "NODE_FAIL" | "BOOT_FAIL" | "DEADLINE"
        | "PREEMPTED" | "REVOKED" | "SPECIAL_EXIT" => State::Failed,
        _ => return None,
    })
}

/// `ExitCode=2:0` → 2.
fn exit_code_of(text: &str) -> Option<i64> {
    text.split(':').next()?.trim().parse().ok()
}

fn observed(slurm_state: &str, exit_code: Option<i64>) -> Option<Observed> {
    let state = state_of(slurm_state)?;
    let message = match state {
        State::Failed => Some(format!(
            "Slurm: {}{}",
            slurm_state.trim(),
            exit_code
                .map(|c| format!(", exit code {c}"))
                .unwrap_or_default()
        )),
        _ => None,
    };
    Some(Observed {
        state,
        exit_code: exit_code.filter(|_| state.is_finished()),
        message,
    })
}

pub async fn observe(settings: &Settings, id: &str) -> Result<Observed> {
    let output = settings
        .run(
            "scontrol",
            &["show".into(), "job".into(), "-o".into(), id.into()],
        )
        .await?;
    let text = String::from_utf8_lossy(&output.stdout);
    if output.status.success() {
        let field = |name: &str| {
            text.split_whitespace()
                .find_map(|pair| pair.strip_prefix(name))
                .map(String::from)
        };
        let state = field("JobState=").unwrap_or_default();
        let exit_code = field("ExitCode=").and_then(|code| exit_code_of(&code));
        return observed(&state, exit_code).ok_or_else(|| {
            Error::Unavailable(format!("{}: unknown job state {state:?}", settings.place()))
        });
    }
    let complaint = shell::complaint(&output);
    if !complaint.contains("Invalid job id") {
        return Err(Error::Unavailable(format!(
            "{} could not be asked about job {id}: {complaint}",
            settings.place()
        )));
    }
    // Finished jobs leave the controller after MinJobAge; the accounting still has them.
    for source in [&["-c"][..], &[][..]] {
        let mut args: Vec<String> = source.iter().map(|s| s.to_string()).collect();
        args.extend(["-n", "-P", "-X", "-j", id, "-o", "State,ExitCode"].map(String::from));
        let Ok(output) = settings.run("sacct", &args).await else {
            continue;
        };
        let text = String::from_utf8_lossy(&output.stdout);
        if let Some((state, code)) = text.lines().last().and_then(|line| line.split_once('|')) {
            if let Some(found) = observed(state, exit_code_of(code)) {
                return Ok(found);
            }
        }
    }
    Ok(Observed {
        state: State::Lost,
        exit_code: None,
        message: Some(format!(
            "{} no longer knows job {id} and has no record of how it ended",
            settings.place()
        )),
    })
}

pub async fn cancel(settings: &Settings, id: &str) -> Result<()> {
    let output = settings.run("scancel", &[id.to_string()]).await?;
    match output.status.success() {
        true => Ok(()),
        false => Err(Error::Unavailable(format!(
            "{} did not cancel job {id}: {}",
            settings.place(),
            shell::complaint(&output)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurm_states_map_to_job_states() {
        assert_eq!(state_of("PENDING"), Some(State::Queued));
        assert_eq!(state_of("RUNNING"), Some(State::Running));
        assert_eq!(state_of("COMPLETED"), Some(State::Succeeded));
        assert_eq!(state_of("CANCELLED by 0"), Some(State::Cancelled));
        assert_eq!(state_of("TIMEOUT"), Some(State::Failed));
        assert_eq!(state_of("SOMETHING_NEW"), None);
        assert_eq!(exit_code_of("2:0"), Some(2));
    }
}
