//! The audit log: an append-only record of who did what to which object, and when.
//! The table refuses updates and deletes (see the migration), and this module only appends and reads.

use serde::Serialize;
use sqlx::{SqliteExecutor, SqlitePool};

use crate::Result;

/// What happened. Stored as its `as_str` name, which compliance exports show as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignInFailed,
    SignInLocked,
    SignOut,
    UserCreated,
    PasswordChanged,
    UserDisabled,
    ProjectCreated,
    MemberAdded,
    ProjectViewed,
    ReportsImported,
}

impl Action {
    /// Returns the name stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::SignInFailed => "sign_in_failed",
            Action::SignInLocked => "sign_in_locked",
            Action::SignOut => "sign_out",
            Action::UserCreated => "user_created",
            Action::PasswordChanged => "password_changed",
            Action::UserDisabled => "user_disabled",
            Action::ProjectCreated => "project_created",
            Action::MemberAdded => "member_added",
            Action::ProjectViewed => "project_viewed",
            Action::ReportsImported => "reports_imported",
        }
    }
}

/// One event to append.
#[derive(Debug, Clone, Default)]
pub struct NewEvent<'a> {
    /// The user name of whoever acted; `None` for the system itself (the command line, start-up).
    pub actor: Option<&'a str>,
    pub project_id: Option<i64>,
    pub object: Option<String>,
    pub detail: Option<String>,
}

/// An event as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: i64,
    pub actor: Option<String>,
    pub action: String,
    pub project_id: Option<i64>,
    pub object: Option<String>,
    pub detail: Option<String>,
}

/// Appends one event. Takes any executor so that an event can commit in the same transaction as what it records.
pub async fn record(
    executor: impl SqliteExecutor<'_>,
    action: Action,
    event: NewEvent<'_>,
) -> Result<()> {
    let action = action.as_str();
    sqlx::query!(
        "INSERT INTO audit_events (actor, action, project_id, object, detail) VALUES (?, ?, ?, ?, ?)",
        event.actor,
        action,
        event.project_id,
        event.object,
        event.detail,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Returns the most recent events, newest first.
pub async fn recent(pool: &SqlitePool, limit: i64) -> Result<Vec<Event>> {
    let events = sqlx::query_as!(
        Event,
        "SELECT id, at, actor, action, project_id, object, detail
         FROM audit_events ORDER BY id DESC LIMIT ?",
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(events)
}

/// Formats an event time (unix seconds) as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn format_time(at: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|moment| moment.format(format).ok())
        .unwrap_or_else(|| at.to_string())
}
