//! A project's feed filter: which reports of the live feed it takes, by sending facility (MSH-4),
//! exam code (OBR-4) and modality (OBR-24). A project without a filter takes nothing; in a filter,
//! an empty list accepts any value. Set by a site admin, audited.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::audit::{self, Action, NewEvent};
use crate::db::stored_json;
use crate::{Error, Result};

/// Values are compared ignoring case and surrounding spaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub facilities: Vec<String>,
    pub exam_codes: Vec<String>,
    pub modalities: Vec<String>,
}

impl Filter {
    /// Whether a report from `facility` with `exam_code` and `modality` belongs to the project.
    pub fn accepts(&self, facility: &str, exam_code: &str, modality: &str) -> bool {
        let any = |list: &[String], value: &str| {
            list.is_empty()
                || list
                    .iter()
                    .any(|wanted| wanted.trim().eq_ignore_ascii_case(value.trim()))
        };
        any(&self.facilities, facility)
            && any(&self.exam_codes, exam_code)
            && any(&self.modalities, modality)
    }

    /// Reads a filter as typed in the admin's form (values separated by commas or lines), or says
    /// which value cannot match anything: a code with a space (two codes run together), or with an
    /// HL7 delimiter (a whole field pasted instead of its first component), would silently take
    /// no report at all.
    pub fn typed(facilities: &str, exam_codes: &str, modalities: &str) -> Result<Filter> {
        let checked = |name: &str, example: &str, typed: &str, spaces: bool| {
            let list = Filter::list(typed);
            for value in &list {
                if let Some(bad) = value
                    .chars()
                    .find(|c| "^|~&\\;".contains(*c) || (!spaces && c.is_whitespace()))
                {
                    let what = match bad {
                        c if c.is_whitespace() => "a space".to_string(),
                        c => format!("“{c}”"),
                    };
                    return Err(Error::Invalid(format!(
                        "{name}: “{value}” holds {what}, so no report would match it: give each \
                         code alone and separate them with commas, as in {example}"
                    )));
                }
            }
            Ok(list)
        };
        Ok(Filter {
            facilities: checked("Sending facilities", "HOSP, CLINIC", facilities, true)?,
            exam_codes: checked("Exam codes", "CXR2V, CTHEAD", exam_codes, false)?,
            modalities: checked("Modalities", "CR, CT", modalities, false)?,
        })
    }

    /// Reads a list as typed in a form: values separated by commas or lines; blanks dropped.
    pub fn list(typed: &str) -> Vec<String> {
        typed
            .split([',', '\n'])
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// The filter in words, for the audit log and the admin's page.
    pub fn described(&self) -> String {
        let part = |name: &str, list: &[String]| match list.is_empty() {
            true => format!("any {name}"),
            false => format!("{name} {}", list.join(", ")),
        };
        format!(
            "{}; {}; {}",
            part("sending facility", &self.facilities),
            part("exam code", &self.exam_codes),
            part("modality", &self.modalities)
        )
    }
}

/// Every project's filter, of the projects that take the feed (open projects only).
pub async fn filters(executor: impl sqlx::SqliteExecutor<'_>) -> Result<Vec<(i64, Filter)>> {
    let rows = sqlx::query!(
        r#"SELECT f.project_id, f.facilities, f.exam_codes, f.modalities FROM feed_filters f
           JOIN projects p ON p.id = f.project_id WHERE p.closed_at IS NULL ORDER BY f.project_id"#
    )
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok((
                row.project_id,
                Filter {
                    facilities: stored_json("feed filter", &row.facilities)?,
                    exam_codes: stored_json("feed filter", &row.exam_codes)?,
                    modalities: stored_json("feed filter", &row.modalities)?,
                },
            ))
        })
        .collect()
}

/// A project's filter; `None` when it does not take the feed.
pub async fn filter(pool: &SqlitePool, project_id: i64) -> Result<Option<Filter>> {
    Ok(filters(pool)
        .await?
        .into_iter()
        .find(|(project, _)| *project == project_id)
        .map(|(_, filter)| filter))
}

/// Sets (`Some`) or removes (`None`: the project stops taking the feed) a project's filter, as
/// `actor` (a site admin; the caller checks), audited as `feed_filter_set`.
pub async fn set_filter(
    pool: &SqlitePool,
    project_id: i64,
    filter: Option<&Filter>,
    actor: &str,
) -> Result<()> {
    let mut transaction = pool.begin().await?;
    let project = sqlx::query_scalar!("SELECT name FROM projects WHERE id = ?", project_id)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or_else(|| Error::NotFound(format!("project {project_id}")))?;
    let detail = match filter {
        Some(filter) => {
            let json = |list: &[String]| serde_json::to_string(list).expect("strings serialise");
            let (facilities, exam_codes, modalities) = (
                json(&filter.facilities),
                json(&filter.exam_codes),
                json(&filter.modalities),
            );
            sqlx::query!(
                "INSERT INTO feed_filters (project_id, facilities, exam_codes, modalities, updated_by, updated_at)
                 VALUES (?, ?, ?, ?, ?, unixepoch())
                 ON CONFLICT (project_id) DO UPDATE SET facilities = excluded.facilities,
                   exam_codes = excluded.exam_codes, modalities = excluded.modalities,
                   updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                project_id,
                facilities,
                exam_codes,
                modalities,
                actor
            )
            .execute(&mut *transaction)
            .await?;
            format!("takes the feed: {}", filter.described())
        }
        None => {
            sqlx::query!("DELETE FROM feed_filters WHERE project_id = ?", project_id)
                .execute(&mut *transaction)
                .await?;
            "takes no reports from the feed".to_string()
        }
    };
    let event = NewEvent {
        actor: Some(actor),
        project_id: Some(project_id),
        object: Some(format!("project:{project}")),
        detail: Some(detail),
    };
    audit::record(&mut *transaction, Action::FeedFilterSet, event).await?;
    transaction.commit().await?;
    Ok(())
}
