//! What a user may type for a launch: extra arguments for the training command, one job per line.
//!
//! Sieve decides which label set a job reads and where it writes; a user's arguments must not be
//! able to change that. Sieve's own options come after the user's (a later option wins in every
//! common parser), and an argument that names one of them, or an abbreviation Python's argparse
//! would accept for one, or `--` (which would turn Sieve's options into plain words), is refused.

use crate::{Error, Result};

/// The options Sieve passes to every job itself, after the launch's own arguments.
pub const SIEVE_OPTIONS: [&str; 2] = ["--manifest", "--output"];

/// The longest single argument accepted, in characters.
pub const MAX_ARGUMENT_CHARS: usize = 1_000;
/// The most arguments one job gets.
pub const MAX_ARGUMENTS: usize = 100;
/// The most characters of all one job's arguments together.
pub const MAX_LINE_CHARS: usize = 4_000;

/// Splits a launch's argument lines: one job per non-empty line, arguments split at white space
/// with the quoting rules of a POSIX shell (`--question "Pleural effusion"` is two arguments), but
/// nothing else of a shell: no variables, globs or commands (the `shlex` crate).
///
/// Errors: `Error::Invalid` naming the line (counted from 1 among the non-empty ones) whose quote is
/// not closed.
pub fn argument_lines(text: &str) -> Result<Vec<Vec<String>>> {
    let mut lines = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let args = shlex::split(line).ok_or_else(|| {
            Error::Invalid(format!(
                "Extra arguments, line {}: a quote is not closed; put a value with spaces in quotes, e.g. --question \"Pleural effusion\"",
                lines.len() + 1
            ))
        })?;
        lines.push(args);
    }
    match lines.is_empty() {
        true => Ok(vec![Vec::new()]),
        false => Ok(lines),
    }
}

/// One job's arguments as one line, quoted where needed, as `argument_lines` reads them back.
pub fn as_line(args: &[String]) -> String {
    shlex::try_join(args.iter().map(String::as_str)).unwrap_or_else(|_| args.join(" "))
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
        if run.len() > MAX_ARGUMENTS {
            return Err(Error::Invalid(format!(
                "Extra arguments, line {line}: {} arguments for one job; at most {MAX_ARGUMENTS}",
                run.len()
            )));
        }
        for argument in run {
            let length = argument.chars().count();
            if length > MAX_ARGUMENT_CHARS {
                return Err(Error::Invalid(format!(
                    "Extra arguments, line {line}: an argument of {length} characters; at most {MAX_ARGUMENT_CHARS}"
                )));
            }
            if argument.chars().any(char::is_control) {
                return Err(Error::Invalid(format!(
                    "Extra arguments, line {line}: {argument:?} holds a control character (such as a NUL byte, a tab or a line break); type plain text"
                )));
            }
            if argument == "--" {
                return Err(Error::Invalid(format!(
                    "Extra arguments, line {line}: \"--\" would stop the training command reading Sieve's own options; remove it"
                )));
            }
            if let Some(option) = sieve_option_named(argument) {
                return Err(Error::Invalid(format!(
                    "Extra arguments, line {line}: {argument:?} would set {option}, which Sieve sets itself \
                     (the job reads its own label set and writes only into its own directory); remove it"
                )));
            }
        }
        let total: usize = run.iter().map(|argument| argument.chars().count()).sum();
        if total > MAX_LINE_CHARS {
            return Err(Error::Invalid(format!(
                "Extra arguments, line {line}: {total} characters for one job; at most {MAX_LINE_CHARS}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Vec<String>> {
        argument_lines(text).unwrap()
    }

    #[test]
    fn each_line_of_arguments_is_one_job_and_none_is_one_job_without_any() {
        assert_eq!(
            words("--alpha 0.5\n\n  --alpha   1 \n"),
            vec![vec!["--alpha", "0.5"], vec!["--alpha", "1"]]
        );
        assert_eq!(words(" \n"), vec![Vec::<String>::new()]);
    }

    #[test]
    fn quotes_group_words_as_a_shell_would_and_nothing_else_is_a_shells() {
        assert_eq!(
            words("--question \"Pleural effusion\" --note 'it''s'"),
            vec![vec!["--question", "Pleural effusion", "--note", "its"]]
        );
        assert_eq!(
            words("--alpha 1; rm -rf /tmp/q $HOME"),
            vec![vec!["--alpha", "1;", "rm", "-rf", "/tmp/q", "$HOME"]]
        );
        let error = argument_lines("--alpha 1\n--question \"Pleural effusion").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("Extra arguments, line 2: a quote is not closed"),
            "{error}"
        );
        let args = words("--question \"Pleural effusion\" --alpha 0.5").remove(0);
        assert_eq!(as_line(&args), "--question 'Pleural effusion' --alpha 0.5");
        assert_eq!(words(&as_line(&args)), vec![args]);
    }

    #[test]
    fn overlong_arguments_are_refused() {
        let long = format!("--alpha {}", "9".repeat(MAX_ARGUMENT_CHARS + 1));
        let error = check(&words(&long)).unwrap_err();
        assert!(error.to_string().contains("at most 1000"), "{error}");
        let many = "-x ".repeat(MAX_ARGUMENTS + 1);
        assert!(check(&words(&many)).is_err());
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
                error.to_string().starts_with("Extra arguments, line 2:"),
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
                error.to_string().starts_with("Extra arguments, line 2:"),
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
