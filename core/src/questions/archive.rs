//! Archiving a question: it leaves the questions list, the affiliates' queues and the choices of a
//! new label set, while its rule versions, answers and exported label sets stay as they are. A
//! fellow can restore it; both are audited.

use sqlx::SqlitePool;

use super::Question;
use crate::audit::{self, Action, NewEvent};
use crate::{Error, Result};

/// Returns a project's archived questions by name.
pub async fn archived(pool: &SqlitePool, project_id: i64) -> Result<Vec<Question>> {
    super::listed(pool, project_id, true).await
}

/// Archives one of a project's questions (refused when it is archived already).
pub async fn archive(
    pool: &SqlitePool,
    project_id: i64,
    question_id: i64,
    actor: &str,
) -> Result<()> {
    set_archived(pool, project_id, question_id, true, actor).await
}

/// Restores an archived question to the list and the queues (refused when it is not archived).
pub async fn restore(
    pool: &SqlitePool,
    project_id: i64,
    question_id: i64,
    actor: &str,
) -> Result<()> {
    set_archived(pool, project_id, question_id, false, actor).await
}

async fn set_archived(
    pool: &SqlitePool,
    project_id: i64,
    question_id: i64,
    archive: bool,
    actor: &str,
) -> Result<()> {
    let now = crate::now();
    let archived_at = archive.then_some(now);
    let mut transaction = pool.begin().await?;
    let name = sqlx::query_scalar!(
        "UPDATE questions SET archived_at = ?
         WHERE id = ? AND project_id = ? AND (archived_at IS NULL) = ?
         RETURNING name",
        archived_at,
        question_id,
        project_id,
        archive
    )
    .fetch_optional(&mut *transaction)
    .await?;
    let Some(name) = name else {
        let exists = sqlx::query_scalar!(
            "SELECT name FROM questions WHERE id = ? AND project_id = ?",
            question_id,
            project_id
        )
        .fetch_optional(&mut *transaction)
        .await?;
        return Err(match (exists, archive) {
            (None, _) => Error::NotFound(format!("question {question_id}")),
            (Some(name), true) => {
                Error::Invalid(format!("The question {name} is archived already."))
            }
            (Some(name), false) => Error::Invalid(format!("The question {name} is not archived.")),
        });
    };
    let (action, detail) = match archive {
        true => (Action::QuestionArchived, "archived; rules and answers kept"),
        false => (Action::QuestionRestored, "restored from the archive"),
    };
    let event = NewEvent {
        actor: Some(actor),
        project_id: Some(project_id),
        object: Some(format!("question:{name}")),
        detail: Some(detail.into()),
    };
    audit::record(&mut *transaction, action, event).await?;
    transaction.commit().await?;
    Ok(())
}
