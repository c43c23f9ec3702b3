//! What each command of the command line does.

mod agreement;
mod audit;
mod bench;
mod corpus;
mod import;
mod label;
mod load;
mod projects;
mod serve;
mod tokens;
mod users;

use std::path::Path;

use sqlx::SqlitePool;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::config::Config;

/// A command's failure, printed as one line.
pub type Outcome = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Runs one command.
pub async fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Serve(args) => serve::run(Config::load(&cli.global, Some(&args))?).await,
        Command::GenCorpus(args) => corpus::run(&args),
        Command::Label(args) => label::run(&args),
        Command::Agreement { file, json } => agreement::run(&file, json),
        Command::Import(args) => {
            let (pool, config) = install(&cli.global).await?;
            import::run(&pool, &config, args).await
        }
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
        } => load::run(reports, affiliates, seconds, think_ms).await,
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

/// Creates the data directory if its parent exists, and checks that it can be written.
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
