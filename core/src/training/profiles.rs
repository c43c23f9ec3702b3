//! Launch profiles: where training jobs run (a backend and its settings), saved and archived by
//! the site admin; a job keeps the profile it ran on.

use sqlx::SqlitePool;

use super::{Backend, Profile};
use crate::audit::{self, Action, NewEvent};
use crate::{Error, Result};

fn profile_from(
    id: i64,
    name: String,
    backend: &str,
    settings: &str,
    archived: bool,
) -> Result<Profile> {
    let backend: Backend = serde_json::from_value(serde_json::json!({
        "backend": backend,
        "settings": crate::db::stored_json::<serde_json::Value>(&format!("settings of profile {name}"), settings)?,
    }))
    .map_err(|error| Error::Internal(format!("profile {name}: {error}")))?;
    Ok(Profile {
        id,
        name,
        backend,
        archived,
    })
}

fn settings_json(backend: &Backend) -> String {
    let value = serde_json::to_value(backend).expect("backends serialise");
    value["settings"].to_string()
}

/// Creates a profile, or replaces the backend of the one with that name.
pub async fn save_profile(
    pool: &SqlitePool,
    name: &str,
    backend: &Backend,
    actor: &str,
) -> Result<Profile> {
    let name = name.trim();
    if name.is_empty() || name.len() > 80 {
        return Err(Error::Invalid(
            "name: give the profile a name of 1 to 80 characters".into(),
        ));
    }
    backend.check()?;
    let kind = backend.name();
    let settings = settings_json(backend);
    let now = crate::now();
    let mut transaction = pool.begin().await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO launch_profiles (name, backend, settings, created_by, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET backend = excluded.backend, settings = excluded.settings,
           updated_at = excluded.updated_at, archived_at = NULL
         RETURNING id AS \"id!\"",
        name,
        kind,
        settings,
        actor,
        now
    )
    .fetch_one(&mut *transaction)
    .await?;
    audit::record(
        &mut *transaction,
        Action::LaunchProfileSaved,
        NewEvent {
            actor: Some(actor),
            object: Some(format!("launch profile {name}")),
            detail: Some(format!("{kind}: {settings}")),
            ..NewEvent::default()
        },
    )
    .await?;
    transaction.commit().await?;
    profile(pool, id).await
}

/// Archives a profile: no new launches; its jobs keep it.
pub async fn archive_profile(pool: &SqlitePool, id: i64, actor: &str) -> Result<()> {
    let mut transaction = pool.begin().await?;
    let now = crate::now();
    let name = sqlx::query_scalar!(
        "UPDATE launch_profiles SET archived_at = ? WHERE id = ? RETURNING name",
        now,
        id
    )
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or_else(|| Error::NotFound(format!("launch profile {id}")))?;
    audit::record(
        &mut *transaction,
        Action::LaunchProfileSaved,
        NewEvent {
            actor: Some(actor),
            object: Some(format!("launch profile {name}")),
            detail: Some("archived".into()),
            ..NewEvent::default()
        },
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Every profile, the usable ones first.
pub async fn profiles(pool: &SqlitePool) -> Result<Vec<Profile>> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", name, backend, settings, archived_at IS NOT NULL AS "archived!: bool"
           FROM launch_profiles ORDER BY archived_at IS NOT NULL, name"#
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| profile_from(row.id, row.name, &row.backend, &row.settings, row.archived))
        .collect()
}

pub async fn profile(pool: &SqlitePool, id: i64) -> Result<Profile> {
    let row = sqlx::query!(
        r#"SELECT id AS "id!", name, backend, settings, archived_at IS NOT NULL AS "archived!: bool"
           FROM launch_profiles WHERE id = ?"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("launch profile {id}")))?;
    profile_from(row.id, row.name, &row.backend, &row.settings, row.archived)
}
