//! What each command of the command line does.

mod agreement;
mod audit;
mod bench;
mod corpus;
mod evaluate;
mod import;
mod label;
mod models;
mod projects;
mod serve;
mod tokens;
mod users;

use std::path::Path;

use sqlx::SqlitePool;

use crate::cli::{Cli, Command, GlobalArgs, PredictionsCommand};
use crate::config::Config;

/// A command's failure, printed as one line.
pub type Outcome = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Runs one command.
pub async fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Serve(args) => serve::run(Config::load(&cli.global, Some(&args))?).await,
        Command::GenCorpus(args) => corpus::run(&args),
        Command::Label(args) => label::run(&args),
        Command::Evaluate(args) => evaluate::run(&args),
        Command::Agreement { file, json } => agreement::run(&file, json),
        Command::Import(args) => {
            let (pool, config) = install(&cli.global).await?;
            import::run(&pool, &config, args).await
        }
        Command::Predictions(PredictionsCommand::Import {
            project,
            model,
            version,
            file,
        }) => {
            let (pool, config) = install(&cli.global).await?;
            models::import(&pool, &config, &project, &model, &version, &file).await
        }
        Command::ModelStats { file } => models::stats(&file),
        Command::BenchModels {
            predictions,
            rounds,
        } => bench::models::run(predictions, rounds).await,
        Command::BenchSearch { project, rounds } => {
            let (pool, config) = install(&cli.global).await?;
            bench::search(&pool, &config, &project, rounds).await
        }
        Command::BenchLabels {
            project,
            rules,
            changes,
        } => {
            let (pool, config) = install(&cli.global).await?;
            bench::labels(&pool, &config, &project, &rules, changes).await
        }
        Command::BenchExport { reports, rounds } => bench::export(reports, rounds).await,
        Command::BenchQueue {
            reports,
            affiliates,
            seconds,
            think_ms,
        } => bench::queue::run(reports, affiliates, seconds, think_ms).await,
        Command::BenchFeed { messages, senders } => bench::feed::run(messages, senders).await,
        Command::Reindex { project } => {
            let (pool, config) = install(&cli.global).await?;
            import::reindex(&pool, &config, &project).await
        }
        Command::User(command) => users::run(&install(&cli.global).await?.0, command).await,
        Command::Audit(command) => audit::run(&install(&cli.global).await?.0, command).await,
        Command::Token(command) => tokens::run(&install(&cli.global).await?.0, command).await,
        Command::Project(command) => {
            let (pool, config) = install(&cli.global).await?;
            projects::run(&pool, &config, command).await
        }
    }
}

/// Opens the install that the global options name.
async fn install(
    global: &GlobalArgs,
) -> Result<(SqlitePool, Config), Box<dyn std::error::Error + Send + Sync>> {
    let config = Config::load(global, None)?;
    Ok((open(&config).await?, config))
}

/// Opens the install's database, creating the data directory (and the database) on first use.
pub async fn open(config: &Config) -> Result<SqlitePool, Box<dyn std::error::Error + Send + Sync>> {
    prepare_data_dir(&config.data_dir)?;
    Ok(sieve_core::db::open(&config.database_path()).await?)
}

/// Creates the data directory if its parent exists, makes it private to the server's user (mode
/// 0700), and checks that it can be written.
pub fn prepare_data_dir(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    if !dir.exists() {
        let parent = dir
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(format!(
                "the data directory {shown} does not exist, nor does its parent {}",
                parent.display()
            ));
        }
        std::fs::create_dir(dir)
            .map_err(|error| format!("cannot create the data directory {shown}: {error}"))?;
    }
    if !dir.is_dir() {
        return Err(format!("the data directory {shown} is not a directory"));
    }
    // The server's user alone may enter it: it holds every report, label and log. Jobs see their
    // own part of it through their sandbox's mounts, whatever this directory's mode.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|error| {
        format!("cannot make the data directory {shown} private to Sieve's user: {error}")
    })?;
    let probe = dir.join(".sieve-write-probe");
    std::fs::write(&probe, b"ok")
        .map_err(|error| format!("the data directory {shown} is not writable: {error}"))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Reads a password from standard input: the first line, without its line ending.
pub fn read_password_from_stdin() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|error| format!("cannot read the password from standard input: {error}"))?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err("the password read from standard input is empty".into());
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_data_directory_is_private_to_the_servers_user() {
        let parent = tempfile::tempdir().unwrap();
        let data = parent.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        super::prepare_data_dir(&data).unwrap();
        let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "other local accounts cannot enter it");
    }
}
