//! Cohorts: saved, named filters over a project's studies (dates, exam codes, modalities, body
//! parts and a full-text query), shown with their live count. Questions and rules apply to a cohort.

use serde::Serialize;
use sqlx::SqlitePool;

use crate::audit::{self, Action, NewEvent};
use crate::error::is_unique_violation;
use crate::search::{Filter, Indexes, TypedFilter};
use crate::{Error, Result};

/// A saved cohort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cohort {
    pub id: i64,
    pub name: String,
    pub filter: Filter,
    pub created_by: Option<String>,
}

/// A cohort with how many studies it holds now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CohortCount {
    pub cohort: Cohort,
    pub count: usize,
}

fn join(values: &[String]) -> String {
    values
        .iter()
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// Saves a filter under a name (unique in the project). The filter is checked against the index
/// first, so a cohort whose query does not parse is never saved.
pub async fn save(
    pool: &SqlitePool,
    indexes: &Indexes,
    project_id: i64,
    name: &str,
    filter: &Filter,
    actor: &str,
) -> Result<Cohort> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::Invalid(
            "name: give the cohort a name of 1 to 100 characters".into(),
        ));
    }
    indexes.get(project_id)?.count(filter)?;
    let (exam_codes, modalities, body_parts) = (
        join(&filter.exam_codes),
        join(&filter.modalities),
        join(&filter.body_parts),
    );
    let mut transaction = pool.begin().await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO cohorts (project_id, name, query, date_from, date_to, exam_codes, modalities, body_parts, created_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id AS "id!""#,
        project_id,
        name,
        filter.text,
        filter.date_from,
        filter.date_to,
        exam_codes,
        modalities,
        body_parts,
        actor
    )
    .fetch_one(&mut *transaction)
    .await
    .map_err(|error| match is_unique_violation(&error) {
        true => Error::AlreadyExists(format!("cohort {name:?}")),
        false => error.into(),
    })?;
    let event = NewEvent {
        actor: Some(actor),
        project_id: Some(project_id),
        object: Some(format!("cohort:{name}")),
        detail: Some(format!("{filter:?}")),
    };
    audit::record(&mut *transaction, Action::CohortSaved, event).await?;
    transaction.commit().await?;
    Ok(Cohort {
        id,
        name: name.to_string(),
        filter: filter.clone(),
        created_by: Some(actor.to_string()),
    })
}

/// Returns a project's cohorts by name, each with its live count.
pub async fn list(
    pool: &SqlitePool,
    indexes: &Indexes,
    project_id: i64,
) -> Result<Vec<CohortCount>> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", name, query, date_from, date_to, exam_codes, modalities, body_parts, created_by
           FROM cohorts WHERE project_id = ? ORDER BY name"#,
        project_id
    )
    .fetch_all(pool)
    .await?;
    let index = indexes.get(project_id)?;
    rows.into_iter()
        .map(|row| {
            let filter = stored_filter(
                &row.query,
                row.date_from.as_deref(),
                row.date_to.as_deref(),
                [&row.exam_codes, &row.modalities, &row.body_parts],
            );
            let count = index.count(&filter)?;
            Ok(CohortCount {
                cohort: Cohort {
                    id: row.id,
                    name: row.name,
                    filter,
                    created_by: row.created_by,
                },
                count,
            })
        })
        .collect()
}

/// Returns the filter of one of a project's cohorts.
pub async fn filter(pool: &SqlitePool, project_id: i64, cohort_id: i64) -> Result<Filter> {
    let row = sqlx::query!(
        "SELECT query, date_from, date_to, exam_codes, modalities, body_parts FROM cohorts WHERE id = ? AND project_id = ?",
        cohort_id,
        project_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("cohort {cohort_id}")))?;
    Ok(stored_filter(
        &row.query,
        row.date_from.as_deref(),
        row.date_to.as_deref(),
        [&row.exam_codes, &row.modalities, &row.body_parts],
    ))
}

/// Returns the name of one of a project's cohorts.
pub async fn name(pool: &SqlitePool, project_id: i64, cohort_id: i64) -> Result<String> {
    sqlx::query_scalar!(
        "SELECT name FROM cohorts WHERE id = ? AND project_id = ?",
        cohort_id,
        project_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("cohort {cohort_id}")))
}

/// A cohort's filter from its stored columns (lists stored comma-separated, as typed).
fn stored_filter(
    query: &str,
    date_from: Option<&str>,
    date_to: Option<&str>,
    [exam_codes, modalities, body_parts]: [&str; 3],
) -> Filter {
    TypedFilter {
        text: query,
        date_from: date_from.unwrap_or_default(),
        date_to: date_to.unwrap_or_default(),
        exam_codes,
        modalities,
        body_parts,
    }
    .into()
}

/// Deletes one of a project's cohorts that no question uses.
///
/// A question applies to its cohort's studies; were its cohort deleted it would silently apply to
/// every study of the project (a question's scope is part of the protocol a team agreed on). So a
/// cohort that questions use, archived ones included, is refused with `Error::InUse`, which names
/// each question, how many studies it covers now and how many it would cover without the cohort.
pub async fn delete(
    pool: &SqlitePool,
    indexes: &Indexes,
    project_id: i64,
    cohort_id: i64,
    actor: &str,
) -> Result<()> {
    let mut transaction = pool.begin().await?;
    let users = sqlx::query!(
        r#"SELECT name, archived_at IS NOT NULL AS "archived!: bool" FROM questions
           WHERE cohort_id = ? AND project_id = ? ORDER BY name"#,
        cohort_id,
        project_id
    )
    .fetch_all(&mut *transaction)
    .await?;
    if !users.is_empty() {
        let cohort = name(pool, project_id, cohort_id).await?;
        let index = indexes.get(project_id)?;
        let now = index.count(&filter(pool, project_id, cohort_id).await?)?;
        let all = index.count(&Filter::default())?;
        let questions: Vec<String> = users
            .into_iter()
            .map(|user| match user.archived {
                true => format!("{} (archived)", user.name),
                false => user.name,
            })
            .collect();
        return Err(Error::InUse(format!(
            "The cohort {cohort} was not deleted: {} {} it, covering {now} studies; without the cohort {} would cover all {all} studies of the project. Give those questions' work a new question on another cohort, or archive them and keep the cohort.",
            match questions.len() {
                1 => "the question",
                _ => "the questions",
            },
            match questions.len() {
                1 => format!("{} uses", questions[0]),
                _ => format!("{} use", questions.join(", ")),
            },
            match questions.len() {
                1 => "it",
                _ => "each",
            },
        )));
    }
    let name = sqlx::query_scalar!(
        "DELETE FROM cohorts WHERE id = ? AND project_id = ? RETURNING name",
        cohort_id,
        project_id
    )
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or_else(|| Error::NotFound(format!("cohort {cohort_id}")))?;
    let event = NewEvent {
        actor: Some(actor),
        project_id: Some(project_id),
        object: Some(format!("cohort:{name}")),
        detail: None,
    };
    audit::record(&mut *transaction, Action::CohortDeleted, event).await?;
    transaction.commit().await?;
    Ok(())
}
