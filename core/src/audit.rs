//! The audit log: an append-only record of who did what to which object, and when.
//! The table refuses updates and deletes (see the migration), and this module only appends and reads.

use serde::Serialize;
use sqlx::{SqliteExecutor, SqlitePool};

use crate::{Error, Result};

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
    MemberRoleChanged,
    MemberRemoved,
    ProjectViewed,
    ReportsImported,
    ReportsSearched,
    ReportViewed,
    CohortSaved,
    CohortDeleted,
    IrbExpirySet,
    ProjectClosed,
    TokenCreated,
    TokenRevoked,
    AccessDenied,
    QuestionCreated,
    QuestionArchived,
    QuestionRestored,
    RulesChanged,
    TextSettingsChanged,
    QueueBuilt,
    StudyLabeled,
    AnswerUndone,
    GoldSet,
    Adjudicated,
    LabelSetExported,
    LabelSetDownloaded,
    LaunchProfileSaved,
    JobLaunched,
    JobCancelled,
    FeedFilterSet,
    ModelRegistered,
    ModelSettingsChanged,
    PredictionsImported,
    ModelAlarm,
    DiscordantQueued,
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
            Action::MemberRoleChanged => "member_role_changed",
            Action::MemberRemoved => "member_removed",
            Action::ProjectViewed => "project_viewed",
            Action::ReportsImported => "reports_imported",
            Action::ReportsSearched => "reports_searched",
            Action::ReportViewed => "report_viewed",
            Action::CohortSaved => "cohort_saved",
            Action::CohortDeleted => "cohort_deleted",
            Action::IrbExpirySet => "irb_expiry_set",
            Action::ProjectClosed => "project_closed",
            Action::TokenCreated => "token_created",
            Action::TokenRevoked => "token_revoked",
            Action::AccessDenied => "access_denied",
            Action::QuestionCreated => "question_created",
            Action::QuestionArchived => "question_archived",
            Action::QuestionRestored => "question_restored",
            Action::RulesChanged => "rules_changed",
            Action::TextSettingsChanged => "text_settings_changed",
            Action::QueueBuilt => "queue_built",
            Action::StudyLabeled => "study_labeled",
            Action::AnswerUndone => "answer_undone",
            Action::GoldSet => "gold_set",
            Action::Adjudicated => "adjudicated",
            Action::LabelSetExported => "label_set_exported",
            Action::LabelSetDownloaded => "label_set_downloaded",
            Action::LaunchProfileSaved => "launch_profile_saved",
            Action::JobLaunched => "job_launched",
            Action::JobCancelled => "job_cancelled",
            Action::FeedFilterSet => "feed_filter_set",
            Action::ModelRegistered => "model_registered",
            Action::ModelSettingsChanged => "model_settings_changed",
            Action::PredictionsImported => "predictions_imported",
            Action::ModelAlarm => "model_alarm",
            Action::DiscordantQueued => "discordant_queued",
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
    /// The project's name, when the event belongs to one.
    pub project: Option<String>,
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

/// Which events to list; every field narrows the list when set.
/// Appends several events in one statement, in their order (the queue's writer records a batch's
/// events together).
pub async fn record_all(
    executor: impl SqliteExecutor<'_>,
    events: &[(Action, NewEvent<'_>)],
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = events
        .iter()
        .map(|(action, e)| (e.actor, action.as_str(), e.project_id, &e.object, &e.detail))
        .collect();
    let rows = serde_json::to_string(&rows).expect("events serialise");
    sqlx::query!(
        "INSERT INTO audit_events (actor, action, project_id, object, detail)
         SELECT e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4
         FROM json_each(?) AS e ORDER BY e.key",
        rows
    )
    .execute(executor)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Part of the actor's name, case aside ("fel" finds "Fellow").
    pub actor: Option<String>,
    /// Part of the action's name, case aside, a space standing for `_` ("member" finds
    /// member_added, member_role_changed and member_removed).
    pub action: Option<String>,
    /// Part of what the event names or says (its object or detail, an accession included), case
    /// aside.
    pub text: Option<String>,
    pub project_id: Option<i64>,
    /// Unix seconds, inclusive.
    pub since: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
}

/// Reads a range of days as typed (`YYYY-MM-DD`, empty: open; both days included, in UTC) as
/// unix seconds for [`Filter`]'s `since` and `until`. Errors name the field as the audit page does.
pub fn day_range(from: &str, to: &str) -> Result<(Option<i64>, Option<i64>)> {
    let day = |text: &str, name: &str| -> Result<Option<i64>> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = time::Date::parse(text, format).map_err(|_| {
            Error::Invalid(format!(
                "{name}: “{text}” is not a date (write it as 2024-03-31)"
            ))
        })?;
        Ok(Some(date.midnight().assume_utc().unix_timestamp()))
    };
    let since = day(from, "From")?;
    let until = day(to, "To")?.map(|start| start + 86_400);
    if let (Some(since), Some(until)) = (since, until) {
        if since >= until {
            return Err(Error::Invalid(
                "The dates are reversed: “From” is after “To”. Swap the two dates.".into(),
            ));
        }
    }
    Ok((since, until))
}

/// One page of events, newest first, and how many match in all.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub events: Vec<Event>,
    pub total: i64,
}

/// Returns the events matching `filter`, newest first, `per_page` at a time (page 0 is the newest).
/// An event about a report names the study by its accession (`study SYN…`), as people read it.
pub async fn search(pool: &SqlitePool, filter: &Filter, page: i64, per_page: i64) -> Result<Page> {
    let events = matching(pool, filter, page.max(0) * per_page, per_page).await?;
    let total = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "count!: i64"
         FROM (SELECT *, CASE WHEN object LIKE 'report:%'
                     THEN coalesce('study ' || (SELECT accession FROM reports r WHERE r.id = CAST(substr(object, 8) AS INTEGER)), object)
                     ELSE object END AS shown FROM audit_events)
         WHERE (?1 IS NULL OR instr(lower(actor), lower(?1)) > 0) AND (?2 IS NULL OR instr(action, replace(lower(trim(?2)), ' ', '_')) > 0)
           AND (?3 IS NULL OR project_id = ?3) AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5)
           AND (?6 IS NULL OR instr(lower(shown), lower(?6)) > 0 OR instr(lower(detail), lower(?6)) > 0)"#,
        filter.actor,
        filter.action,
        filter.project_id,
        filter.since,
        filter.until,
        filter.text,
    )
    .fetch_one(pool)
    .await?;
    Ok(Page { events, total })
}

/// The events matching `filter`, newest first, `limit` of them after the first `offset`.
async fn matching(
    pool: &SqlitePool,
    filter: &Filter,
    offset: i64,
    limit: i64,
) -> Result<Vec<Event>> {
    Ok(sqlx::query_as!(
        Event,
        r#"SELECT id AS "id!", at AS "at!", actor, action AS "action!", project_id,
                (SELECT name FROM projects p WHERE p.id = project_id) AS project, shown AS object, detail
         FROM (SELECT *, CASE WHEN object LIKE 'report:%'
                     THEN coalesce('study ' || (SELECT accession FROM reports r WHERE r.id = CAST(substr(object, 8) AS INTEGER)), object)
                     ELSE object END AS shown FROM audit_events)
         WHERE (?1 IS NULL OR instr(lower(actor), lower(?1)) > 0) AND (?2 IS NULL OR instr(action, replace(lower(trim(?2)), ' ', '_')) > 0)
           AND (?3 IS NULL OR project_id = ?3) AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5)
           AND (?8 IS NULL OR instr(lower(shown), lower(?8)) > 0 OR instr(lower(detail), lower(?8)) > 0)
         ORDER BY id DESC LIMIT ?6 OFFSET ?7"#,
        filter.actor,
        filter.action,
        filter.project_id,
        filter.since,
        filter.until,
        limit,
        offset,
        filter.text
    )
    .fetch_all(pool)
    .await?)
}

/// Writes every event since `since` (unix seconds), oldest first, as CSV with a header row,
/// for a compliance office. Streams, so the log's size does not matter. Returns the row count.
pub async fn export_csv(pool: &SqlitePool, since: i64, out: impl std::io::Write) -> Result<u64> {
    use futures_util::TryStreamExt;
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record([
            "id",
            "time_utc",
            "actor",
            "action",
            "project_id",
            "project",
            "object",
            "detail",
        ])
        .map_err(csv_error)?;
    let mut rows = sqlx::query_as!(
        Event,
        "SELECT id, at, actor, action, project_id, (SELECT name FROM projects p WHERE p.id = project_id) AS project,
                object, detail
         FROM audit_events WHERE at >= ? ORDER BY id",
        since
    )
    .fetch(pool);
    let mut count = 0;
    while let Some(event) = rows.try_next().await? {
        writer
            .write_record([
                event.id.to_string(),
                format_time(event.at),
                event.actor.unwrap_or_default(),
                event.action,
                event
                    .project_id
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
                event.project.unwrap_or_default(),
                event.object.unwrap_or_default(),
                event.detail.unwrap_or_default(),
            ])
            .map_err(csv_error)?;
        count += 1;
    }
    writer.flush()?;
    Ok(count)
}

fn csv_error(error: csv::Error) -> crate::Error {
    crate::Error::Internal(format!("writing CSV failed: {error}"))
}

/// Returns the most recent events, newest first, as [`search`] shows them.
pub async fn recent(pool: &SqlitePool, limit: i64) -> Result<Vec<Event>> {
    matching(pool, &Filter::default(), 0, limit).await
}

/// Formats an event time (unix seconds) as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn format_time(at: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|moment| moment.format(format).ok())
        .unwrap_or_else(|| at.to_string())
}
