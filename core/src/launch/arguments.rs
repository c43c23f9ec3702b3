//! What a user may type for a launch: extra arguments for the training command, one job per line.
//!
//! Sieve decides which label set a job reads and where it writes; a user's arguments must not be
//! able to change that. Sieve's own options come after the user's (a later option wins in every
//! common parser), and an argument that names one of them, or an abbreviation Python's argparse
//! would accept for one, or `--` (which would turn Sieve's options into plain words), is refused.

use crate::{Error, Result};

/// The options Sieve passes to every job itself, after the launch's own arguments.
pub const SIEVE_OPTIONS: [&str; 2] = ["--manifest", "--output"];

/// Splits a launch's argument lines: one job per non-empty line, arguments split at white space
/// (no shell is involved: quotes are not special).
pub fn argument_lines(text: &str) -> Vec<Vec<String>> {
    let lines: Vec<Vec<String>> = text
        .lines()
        .map(|line| {
            line.split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|args| !args.is_empty())
        .collect();
    match lines.is_empty() {
        true => vec![Vec::new()],
        false => lines,
    }
}

/// The Sieve option an argument would set, if any: `--manifest`, `--manifest=X`, and the prefixes
/// argparse accepts as abbreviations (`--man`, `--out=X`) all name one.
fn sieve_option_named(argument: &str) -> Option<&'static str> {
    let name = argument.split('=').next().unwrap_or_default();
    if name.len() <= 2 || !name.starts_with("--") {
        return None;
    }
    SIEVE_OPTIONS
        .into_iter()
        .find(|option| option.starts_with(name))
}

/// Refuses arguments that would override what Sieve decides for a job, naming the run (counted
/// from 1, as the lines of the launch form) and the argument.
///
/// Errors: `Error::Invalid` with a message a scientist can act on.
pub fn check(runs: &[Vec<String>]) -> Result<()> {
    for (index, run) in runs.iter().enumerate() {
        let line = index + 1;
        for argument in run {
            if argument.chars().any(char::is_control) {
                return Err(Error::Invalid(format!(
                    "arguments, line {line}: {argument:?} holds a control character (such as a NUL byte, a tab or a line break); type plain text"
                )));
            }
            if argument == "--" {
                return Err(Error::Invalid(format!(
                    "arguments, line {line}: \"--\" would stop the training command reading Sieve's own options; remove it"
                )));
            }
            if let Some(option) = sieve_option_named(argument) {
                return Err(Error::Invalid(format!(
                    "arguments, line {line}: {argument:?} would set {option}, which Sieve sets itself \
                     (the job reads its own label set and writes only into its own directory); remove it"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Vec<String>> {
        argument_lines(text)
    }

    #[test]
    fn each_line_of_arguments_is_one_job_and_none_is_one_job_without_any() {
        assert_eq!(
            argument_lines("--alpha 0.5\n\n  --alpha   1 \n"),
            vec![vec!["--alpha", "0.5"], vec!["--alpha", "1"]]
        );
        assert_eq!(argument_lines(" \n"), vec![Vec::<String>::new()]);
        // No shell: quotes are ordinary characters.
        assert_eq!(argument_lines("'a b'"), vec![vec!["'a", "b'"]]);
    }

    #[test]
    fn arguments_naming_sieves_options_or_their_abbreviations_are_refused() {
        for refused in [
            "--manifest /srv/sieve/labelsets/2/v1/manifest.json",
            "--manifest=/srv/sieve/labelsets/2/v1/manifest.json",
            "--man x",
            "--m x",
            "--output /tmp/anywhere",
            "--out=/tmp/anywhere",
            "--alpha 1 -- --question x",
        ] {
            let error = check(&words(&format!("--alpha 0.5\n{refused}"))).unwrap_err();
            assert!(
                error.to_string().starts_with("arguments, line 2:"),
                "{refused}: {error}"
            );
        }
    }

    #[test]
    fn arguments_with_control_characters_are_refused() {
        // A shell drops NUL bytes from a script: "--\0manifest" would arrive as "--manifest".
        for refused in ["--\0", "--manifest\0", "-\0-output", "a\u{1b}[2J", "x\ny"] {
            let runs = vec![vec!["--alpha".to_string()], vec![refused.to_string()]];
            let error = check(&runs).unwrap_err();
            assert!(
                error.to_string().starts_with("arguments, line 2:"),
                "{refused:?}: {error}"
            );
        }
    }

    #[test]
    fn ordinary_arguments_pass() {
        for allowed in [
            "--alpha 0.5 --question Pneumothorax",
            "--model resnet50 --output-dir-name x --manifesto y",
            "-m 3 -o 2",
            "",
        ] {
            assert!(check(&words(allowed)).is_ok(), "{allowed}");
        }
    }
}
