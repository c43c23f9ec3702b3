//! The job scripts the local and Slurm backends write, and running the schedulers' commands.

use std::process::Output;

use super::{sandbox, Submission};
use crate::{Error, Result};

/// Quotes a word for a POSIX shell.
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    match safe {
        true => word.to_string(),
        false => format!("'{}'", word.replace('\'', r"'\''")),
    }
}

/// The body of a job script: the environment, the profile's setup lines (run on the host, in the
/// job's output directory), then the command with the job's arguments inside the sandbox (see
/// `sandbox`). `command` is the admin's, kept as written; the arguments are quoted.
pub fn script(
    headers: &[String],
    setup: &str,
    command: &str,
    confinement: &sandbox::Confinement,
    submission: &Submission,
) -> String {
    let mut text = String::from("#!/bin/sh\n");
    for header in headers {
        text.push_str(header);
        text.push('\n');
    }
    for (name, value) in submission.environment() {
        text.push_str(&format!("export {name}={}\n", quote(&value)));
    }
    text.push_str(&format!(
        "cd {}\n",
        quote(&submission.output().display().to_string())
    ));
    for line in setup.lines().filter(|line| !line.trim().is_empty()) {
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text.push_str(&sandbox::run_lines(command, confinement, submission));
    text
}

/// Runs a scheduler's command, naming it in the error when it cannot start.
pub async fn run(program: &str, args: &[String]) -> Result<Output> {
    tokio::process::Command::new(program)
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|error| {
            Error::Unavailable(match error.kind() {
                std::io::ErrorKind::NotFound => {
                    format!("{program} was not found on the Sieve host: is the scheduler's client installed and on PATH?")
                }
                _ => format!("{program} could not be run: {error}"),
            })
        })
}

/// A command's error output, trimmed, or its exit status when it printed nothing.
pub fn complaint(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr).trim().to_string();
    match text.is_empty() {
        true => format!("exited with {}", output.status),
        false => text,
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn words_with_shell_characters_are_quoted() {
        assert_eq!(quote("--lr=0.1"), "--lr=0.1");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
