//! The fellow's gold set and adjudications: the studies whose label the fellow decides, and a
//! study's answers as the adjudication page shows them.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::audit::{self, Action, NewEvent};
use crate::questions::Question;
use crate::soft_labels::Context;
use crate::{Error, Result};

/// A gold item as the fellow's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldItem {
    pub report_id: i64,
    pub accession: String,
    pub label: String,
    pub set_by: Option<String>,
    /// Unix seconds.
    pub set_at: i64,
}

/// A question's gold items, the latest set first.
pub async fn gold_items(pool: &SqlitePool, question: &Question) -> Result<Vec<GoldItem>> {
    Ok(sqlx::query_as!(
        GoldItem,
        r#"SELECT g.report_id, r.accession, g.label, g.set_by, g.set_at
           FROM gold g JOIN reports r ON r.id = g.report_id
           WHERE g.question_id = ? ORDER BY g.set_at DESC, r.accession"#,
        question.id
    )
    .fetch_all(pool)
    .await?)
}

/// What setting a gold label did: the study's accession as stored, and its true label before
/// (`None`: it was no gold item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldChange {
    pub accession: String,
    pub was: Option<String>,
}

/// Marks a study's true label for the gold set (`None` removes it). A study outside the
/// question's cohort is refused: the queue would never serve it, and its label says nothing of
/// the question's studies. (The page names studies by accession: see `reports::id_of`.) The same
/// label again changes and records nothing. Removing a study that is no gold item is refused
/// (`Invalid`). A gold item holds no slot of the queue; a removed one is queued again.
pub async fn set_gold(
    context: &Context<'_>,
    question: &Question,
    report_id: i64,
    label: Option<&str>,
    actor: Option<&str>,
) -> Result<GoldChange> {
    let pool = context.pool;
    if let Some(label) = label {
        question.check_label(label)?;
    }
    let report = crate::reports::find(pool, question.project_id, report_id).await?;
    if label.is_some() {
        let cohort = context
            .studies_in(question.project_id, question.cohort_id)
            .await?;
        if !u32::try_from(report_id).is_ok_and(|id| cohort.contains(id)) {
            return Err(Error::Invalid(format!(
                "the study {} is not in this question's cohort: a gold item must be a study the queue can serve",
                report.accession
            )));
        }
    }
    let now = crate::now();
    // IMMEDIATE: the label before is read, then written.
    let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await?;
    let was = sqlx::query_scalar!(
        "SELECT label FROM gold WHERE question_id = ? AND report_id = ?",
        question.id,
        report_id
    )
    .fetch_optional(&mut *transaction)
    .await?;
    let change = GoldChange {
        accession: report.accession,
        was,
    };
    match (label, change.was.as_deref()) {
        // The same true label again (a double click, a second tab) changes nothing.
        (Some(label), Some(was)) if label == was => return Ok(change),
        (None, None) => {
            return Err(Error::Invalid(format!(
                "{} is not a gold item of this question: nothing was changed",
                change.accession
            )))
        }
        (Some(label), _) => {
            sqlx::query!(
                "INSERT INTO gold (question_id, report_id, label, set_by, set_at) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (question_id, report_id) DO UPDATE SET label = excluded.label, set_by = excluded.set_by, set_at = excluded.set_at",
                question.id, report_id, label, actor, now
            )
            .execute(&mut *transaction)
            .await?;
        }
        (None, Some(_)) => {
            sqlx::query!(
                "DELETE FROM gold WHERE question_id = ? AND report_id = ?",
                question.id,
                report_id
            )
            .execute(&mut *transaction)
            .await?;
        }
    }
    // A claim on a gold item is a gold item's claim; either way the study's slots follow the rule.
    let is_gold = label.is_some();
    sqlx::query!(
        "UPDATE claims SET is_gold = ? WHERE question_id = ? AND report_id = ?",
        is_gold,
        question.id,
        report_id
    )
    .execute(&mut *transaction)
    .await?;
    super::refill(&mut transaction, question.id, Some(report_id)).await?;
    let detail = match (&change.was, label) {
        (Some(was), Some(label)) => format!("{} gold: {was} → {label}", question.name),
        (None, Some(label)) => format!("{} gold: {label}", question.name),
        (_, None) => format!("{} gold: removed", question.name),
    };
    let event = NewEvent {
        actor,
        project_id: Some(question.project_id),
        object: Some(format!("report:{report_id}")),
        detail: Some(detail),
    };
    audit::record(&mut *transaction, Action::GoldSet, event).await?;
    transaction.commit().await?;
    Ok(change)
}

/// Settles a study's label (a fellow's decision on a disagreement). The same decision again is
/// no change: nothing is written or audited. Returns the study's accession.
pub async fn adjudicate(
    pool: &SqlitePool,
    question: &Question,
    report_id: i64,
    label: &str,
    actor: Option<&str>,
) -> Result<String> {
    question.check_label(label)?;
    let report = crate::reports::find(pool, question.project_id, report_id).await?;
    let now = crate::now();
    let mut transaction = pool.begin().await?;
    // The same decision again (a double click, a second tab) changes nothing and records nothing.
    let decided = sqlx::query!(
        "INSERT INTO adjudications (question_id, report_id, label, decided_by, decided_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (question_id, report_id) DO UPDATE SET label = excluded.label, decided_by = excluded.decided_by, decided_at = excluded.decided_at
         WHERE adjudications.label != excluded.label",
        question.id, report_id, label, actor, now
    )
    .execute(&mut *transaction)
    .await?;
    if decided.rows_affected() == 0 {
        return Ok(report.accession);
    }
    let event = NewEvent {
        actor,
        project_id: Some(question.project_id),
        object: Some(format!("report:{report_id}")),
        detail: Some(format!("{} adjudicated: {label}", question.name)),
    };
    audit::record(&mut *transaction, Action::Adjudicated, event).await?;
    transaction.commit().await?;
    Ok(report.accession)
}

/// One rater's answer to a study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaterAnswer {
    /// The rater's user name.
    pub rater: String,
    pub label: String,
}

/// One study as the fellow adjudicates it: what the queue showed and every answer given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyAnswers {
    pub soft_label: Option<String>,
    pub rule_phrase: Option<String>,
    /// Every rater's answer, gold items included, by rater name.
    pub answers: Vec<RaterAnswer>,
    pub adjudicated: Option<String>,
}

/// Opens a study to adjudicate it: its report and every answer, the view recorded in the audit
/// log as any report's (`report_viewed`, "adjudication of" the question).
pub async fn open_dispute(
    pool: &SqlitePool,
    question: &Question,
    report_id: i64,
    actor: &str,
) -> Result<(crate::reports::Report, StudyAnswers)> {
    let report = crate::reports::find(pool, question.project_id, report_id).await?;
    let answers = study_answers(pool, question, report_id).await?;
    let event = NewEvent {
        actor: Some(actor),
        project_id: Some(question.project_id),
        object: Some(format!("report:{report_id}")),
        detail: Some(format!("adjudication of {}", question.name)),
    };
    audit::record(pool, Action::ReportViewed, event).await?;
    Ok((report, answers))
}

/// Returns a study's answers in a question's queue (for the fellow).
pub async fn study_answers(
    pool: &SqlitePool,
    question: &Question,
    report_id: i64,
) -> Result<StudyAnswers> {
    let task = sqlx::query!(
        "SELECT soft_label, rule_phrase FROM tasks WHERE question_id = ? AND report_id = ?",
        question.id,
        report_id
    )
    .fetch_optional(pool)
    .await?;
    let answers = sqlx::query!(
        r#"SELECT u.name AS "name!", a.label FROM answers a JOIN users u ON u.id = a.user_id
           WHERE a.question_id = ? AND a.report_id = ? ORDER BY u.name"#,
        question.id,
        report_id
    )
    .fetch_all(pool)
    .await?;
    let adjudicated = sqlx::query_scalar!(
        "SELECT label FROM adjudications WHERE question_id = ? AND report_id = ?",
        question.id,
        report_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(StudyAnswers {
        soft_label: task.as_ref().map(|t| t.soft_label.clone()),
        rule_phrase: task.map(|t| t.rule_phrase),
        answers: answers
            .into_iter()
            .map(|a| RaterAnswer {
                rater: a.name,
                label: a.label,
            })
            .collect(),
        adjudicated,
    })
}
