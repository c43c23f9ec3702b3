//! `sieve audit export`: the audit log as CSV for a compliance office.

use std::io::Write;

use sqlx::SqlitePool;

use super::Outcome;
use crate::cli::AuditCommand;

pub async fn run(pool: &SqlitePool, command: AuditCommand) -> Outcome {
    match command {
        AuditCommand::Export { since, out } => {
            let since = start_of_day(&since)?;
            let count = match &out {
                Some(path) => {
                    let file = std::fs::File::create(path)
                        .map_err(|error| format!("cannot create {}: {error}", path.display()))?;
                    let mut writer = std::io::BufWriter::new(file);
                    let count = sieve_core::audit::export_csv(pool, since, &mut writer).await?;
                    writer.flush()?;
                    count
                }
                None => {
                    sieve_core::audit::export_csv(pool, since, std::io::stdout().lock()).await?
                }
            };
            if let Some(path) = out {
                eprintln!("wrote {count} audit events to {}", path.display());
            }
        }
    }
    Ok(())
}

/// Returns midnight UTC of a `YYYY-MM-DD` day as unix seconds.
fn start_of_day(day: &str) -> Result<i64, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(day, format)
        .map_err(|_| format!("--since {day:?} is not a date: use YYYY-MM-DD"))?;
    Ok(date.midnight().assume_utc().unix_timestamp())
}
