//! `sieve import`: brings a hospital's export into a project, with progress on a terminal.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Instant;

use sieve_core::import::{import_file, Destination, Options, Progress};
use sieve_core::projects;
use sieve_core::pseudonym::Pseudonymizer;
use sieve_core::search::Indexes;
use sqlx::SqlitePool;

use super::Outcome;
use crate::cli::ImportArgs;
use crate::config::Config;

pub async fn run(pool: &SqlitePool, config: &Config, args: ImportArgs) -> Outcome {
    let project = projects::find_by_name(pool, &args.project).await?;
    let pseudonymizer = Pseudonymizer::load_or_create(&config.data_dir)?;
    let options = Options {
        format: args.format.as_deref().map(str::parse).transpose()?,
        skip_invalid: args.skip_invalid,
        mapping: mappings(&args.mappings)?,
        encoding: args
            .encoding
            .as_deref()
            .map(sieve_core::import::encoding)
            .transpose()?,
    };
    // The reports are indexed while they are stored, unless the running server holds the index
    // (it then indexes them within seconds).
    let indexes = Indexes::new(config.index_dir());
    let held = indexes.get(project.id).is_ok();
    let mut all_indexed = true;
    for file in &args.files {
        let started = Instant::now();
        let destination = Destination {
            pool,
            project_id: project.id,
            indexes: held.then_some(&indexes),
        };
        let outcome = import_file(
            destination,
            file,
            &pseudonymizer,
            &options,
            None,
            progress_printer(started),
        )
        .await?;
        if std::io::stderr().is_terminal() {
            eprintln!();
        }
        let counts = outcome.counts;
        let seconds = started.elapsed().as_secs_f64();
        let done = match outcome.indexed {
            Some(_) => "stored and indexed",
            None => "stored",
        };
        all_indexed &= outcome.indexed.is_some();
        println!(
            "{}: {} new, {} updated, {} unchanged; {done} in {seconds:.1} s ({:.0} reports/s)",
            file.display(),
            counts.new,
            counts.updated,
            counts.unchanged,
            counts.total() as f64 / seconds.max(0.001)
        );
        if let Some(rejected_file) = outcome.rejected_file {
            println!(
                "  {} invalid records set aside in {}",
                outcome.rejected,
                rejected_file.display()
            );
        }
    }
    drop(indexes);
    match all_indexed {
        true => Ok(()),
        false => index(pool, config, project.id, false).await,
    }
}

/// `sieve reindex`: rebuilds a project's index from the database.
pub async fn reindex(pool: &SqlitePool, config: &Config, project: &str) -> Outcome {
    let project = projects::find_by_name(pool, project).await?;
    index(pool, config, project.id, true).await
}

/// Brings the project's index up to date (or rebuilds it), unless the running server holds it,
/// in which case the server indexes the new reports within seconds.
async fn index(pool: &SqlitePool, config: &Config, project_id: i64, rebuild: bool) -> Outcome {
    let indexes = Indexes::new(config.index_dir());
    if let Err(error) = indexes.get(project_id) {
        if !rebuild {
            println!("not indexed now: {error}; the running server indexes the new reports within seconds");
            return Ok(());
        }
        return Err(error.into());
    }
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let show = move |done: u64, total: u64| {
        if terminal {
            eprint!("\r  indexed {done} of {total} reports   ");
        }
    };
    let indexed = match rebuild {
        true => indexes.rebuild(pool, project_id, show).await?,
        false => indexes.catch_up(pool, project_id, show).await?,
    };
    if terminal && indexed > 0 {
        eprintln!();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "indexed {indexed} reports in {seconds:.1} s ({:.0} reports/s)",
        indexed as f64 / seconds.max(0.001)
    );
    Ok(())
}

/// Reads `field=COLUMN` pairs.
fn mappings(pairs: &[String]) -> Result<HashMap<String, String>, String> {
    pairs
        .iter()
        .map(|pair| {
            let (field, column) = pair
                .split_once('=')
                .ok_or_else(|| format!("--map {pair:?}: use FIELD=COLUMN"))?;
            let field = field.trim();
            if !sieve_core::import::FIELDS.contains(&field) {
                return Err(format!(
                    "--map {pair:?}: {field:?} is not a field ({})",
                    sieve_core::import::FIELDS.join(", ")
                ));
            }
            Ok((field.to_string(), column.trim().to_string()))
        })
        .collect()
}

/// Returns a progress callback that redraws one line on a terminal: count, rate, share and time left.
fn progress_printer(started: Instant) -> impl Fn(Progress) + Send + Sync + 'static {
    let terminal = std::io::stderr().is_terminal();
    move |progress: Progress| {
        if !terminal {
            return;
        }
        let seconds = started.elapsed().as_secs_f64().max(0.001);
        let share = progress.bytes_read as f64 / progress.bytes_total.max(1) as f64;
        let left = if share > 0.0 {
            seconds * (1.0 - share) / share
        } else {
            0.0
        };
        eprint!(
            "\r  {} reports · {:.0}/s · {:>3.0}% · about {:.0} s left   ",
            progress.rows,
            progress.rows as f64 / seconds,
            share * 100.0,
            left
        );
    }
}
