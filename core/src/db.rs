//! Opens the SQLite database under the data directory and brings its schema up to date.

use std::path::Path;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::{Error, Result};

/// The schema, embedded from `migrations/` and applied at every start.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Opens (creating if needed) the database file at `path` in WAL mode and applies pending migrations.
///
/// Synchronous mode is FULL: an answer or an import that was acknowledged survives a power cut.
pub async fn open(path: &Path) -> Result<SqlitePool> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // Every commit empties the page cache of the other connections, and the queue commits
        // hundreds of times a second: reading pages through a memory map costs no copy. The map
        // covers the database's first 64 MiB (the queue's tables are small; the reports' texts
        // beyond it are read into the page cache): mapped pages count as the process's resident
        // memory, and a million reports would otherwise hold a gibibyte.
        .pragma("mmap_size", "67108864");
    let open_error = |reason: String| Error::Open {
        path: path.display().to_string(),
        reason,
    };
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|error| open_error(describe(&error)))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|error| open_error(error.to_string()))?;
    Ok(pool)
}

/// Describes an open failure in the words of SQLite, which are clear enough ("file is not a database").
fn describe(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    }
}

/// Reads JSON Sieve stored itself (`what` names it for the log: "job 12's arguments"). Stored JSON
/// that cannot be read is corruption, an internal error, never a silent default.
pub fn stored_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|error| Error::Internal(format!("the stored {what} cannot be read: {error}")))
}

/// Checks that the database answers a trivial query.
pub async fn is_usable(pool: &SqlitePool) -> bool {
    sqlx::query_scalar!("SELECT 1 AS \"one!: i64\"")
        .fetch_one(pool)
        .await
        .is_ok()
}
