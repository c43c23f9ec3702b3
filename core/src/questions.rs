//! A project's questions and their phrase rules, kept as immutable versions: every change writes
//! the whole rule set anew, so any two versions can be compared and nothing is ever overwritten.
//! Also each project's text settings (cue lists and section headers).

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::audit::{self, Action, NewEvent};
use crate::db::stored_json;
use crate::error::is_unique_violation;
use crate::labeling::{Rule, RuleBook};
use crate::{Error, Result};

mod archive;
mod change;
mod import;
mod settings;

pub use archive::{archive, archived, restore};
pub(crate) use change::check_new;
pub use change::Change;
pub use import::{read_rules_file, Replacement};
pub use settings::{fingerprint, read_text_settings, save_text_settings, text_settings};

/// Labels a question may have, at most.
pub const MAX_LABELS: usize = 9;

/// Labels a question needs, at least: one label alone cannot tell studies apart.
pub const MIN_LABELS: usize = 2;

/// A question as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub labels: Vec<String>,
    pub cohort_id: Option<i64>,
    /// Archived questions are out of the lists and queues; their rules and answers are kept.
    pub archived: bool,
}

impl Question {
    /// Refuses an archived question: its queue is closed until a fellow restores it.
    pub fn check_active(&self) -> Result<()> {
        match self.archived {
            true => Err(Error::Forbidden(format!(
                "The question {} is archived; a fellow can restore it on the questions page.",
                self.name
            ))),
            false => Ok(()),
        }
    }

    /// Checks that `label` is one of the question's labels; the error lists them.
    pub fn check_label(&self, label: &str) -> Result<()> {
        match self.labels.iter().any(|known| known == label) {
            true => Ok(()),
            false => Err(Error::Invalid(format!(
                "label: {label:?} is not a label of {} ({})",
                self.name,
                self.labels.join(", ")
            ))),
        }
    }
}

/// A rule with the id that names it across versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRule {
    pub id: u32,
    #[serde(flatten)]
    pub rule: Rule,
}

/// One version of a question's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet {
    pub version: i64,
    /// In priority order, highest first.
    pub rules: Vec<StoredRule>,
}

impl RuleSet {
    /// The question with these rules, for the engine.
    pub fn rule_book(&self, question: &Question) -> RuleBook {
        RuleBook {
            name: question.name.clone(),
            labels: question.labels.clone(),
            rules: self.rules.iter().map(|r| r.rule.clone()).collect(),
        }
    }
}

/// A version in a question's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub version: i64,
    pub change: String,
    pub actor: Option<String>,
    pub created_at: i64,
    pub rules: usize,
}

fn check_name(name: &str) -> Result<&str> {
    let name = name.trim();
    match name.is_empty() || name.chars().count() > 100 {
        true => Err(Error::Invalid(
            "name: give the question a name of 1 to 100 characters".into(),
        )),
        false => Ok(name),
    }
}

/// Reads a typed list of labels ("present, absent, uncertain") and checks it as [`check_labels`].
pub fn parse_labels(typed: &str) -> Result<Vec<String>> {
    let labels: Vec<String> = typed
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    check_labels(&labels)?;
    Ok(labels)
}

/// Checks a question's labels: two to nine (one per answer key), none listed twice (case aside),
/// none empty or longer than 40 characters. The one check every new question goes through.
pub fn check_labels(labels: &[String]) -> Result<()> {
    for (index, label) in labels.iter().enumerate() {
        if label.trim().is_empty() {
            return Err(Error::Invalid("labels: a label is empty".into()));
        }
        if labels[..index]
            .iter()
            .any(|known| known.trim().eq_ignore_ascii_case(label.trim()))
        {
            return Err(Error::Invalid(format!(
                "labels: “{label}” is listed twice; give each label once"
            )));
        }
        if label.chars().count() > 40 {
            return Err(Error::Invalid(format!(
                "labels: “{label}” is longer than 40 characters"
            )));
        }
    }
    match labels.len() {
        0 => Err(Error::Invalid(
            "labels: give at least two labels, separated by commas (e.g. present, absent)".into(),
        )),
        1 => Err(Error::Invalid(format!(
            "labels: a question needs at least two labels, so that studies can differ (e.g. {}, absent); only “{}” was given",
            labels[0], labels[0]
        ))),
        n if n > MAX_LABELS => Err(Error::Invalid(format!(
            "labels: at most {MAX_LABELS} labels (one per answer key 1–9); {n} given"
        ))),
        _ => Ok(()),
    }
}

/// Creates a question with no rules (version 0).
pub async fn create(
    pool: &SqlitePool,
    project_id: i64,
    name: &str,
    labels: &[String],
    cohort_id: Option<i64>,
    actor: Option<&str>,
) -> Result<Question> {
    let name = check_name(name)?;
    check_labels(labels)?;
    let labels_json = serde_json::to_string(labels).expect("labels serialise");
    let now = crate::now();
    let mut transaction = pool.begin().await?;
    if let Some(cohort) = cohort_id {
        sqlx::query_scalar!(
            "SELECT id FROM cohorts WHERE id = ? AND project_id = ?",
            cohort,
            project_id
        )
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or_else(|| Error::Invalid(format!("cohort: no cohort {cohort} in this project")))?;
    }
    let id = sqlx::query_scalar!(
        r#"INSERT INTO questions (project_id, name, labels, cohort_id, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?) RETURNING id AS "id!""#,
        project_id,
        name,
        labels_json,
        cohort_id,
        actor,
        now
    )
    .fetch_one(&mut *transaction)
    .await
    .map_err(|error| match is_unique_violation(&error) {
        true => Error::AlreadyExists(format!("question {name:?}")),
        false => error.into(),
    })?;
    sqlx::query!(
        "INSERT INTO rule_versions (question_id, version, rules, change, actor, created_at) VALUES (?, 0, '[]', 'created the question', ?, ?)",
        id,
        actor,
        now
    )
    .execute(&mut *transaction)
    .await?;
    let event = NewEvent {
        actor,
        project_id: Some(project_id),
        object: Some(format!("question:{name}")),
        detail: Some(format!("labels: {}", labels.join(", "))),
    };
    audit::record(&mut *transaction, Action::QuestionCreated, event).await?;
    transaction.commit().await?;
    Ok(Question {
        id,
        project_id,
        name: name.to_string(),
        labels: labels.to_vec(),
        cohort_id,
        archived: false,
    })
}

/// Returns a project's active questions by name (archived ones: [`archived`]).
pub async fn list(pool: &SqlitePool, project_id: i64) -> Result<Vec<Question>> {
    listed(pool, project_id, false).await
}

/// A project's questions by name, the archived ones or the active ones.
async fn listed(pool: &SqlitePool, project_id: i64, archived: bool) -> Result<Vec<Question>> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", name, labels, cohort_id FROM questions
           WHERE project_id = ? AND (archived_at IS NOT NULL) = ? ORDER BY name"#,
        project_id,
        archived
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Question {
                id: row.id,
                project_id,
                name: row.name,
                labels: stored_json("question's labels", &row.labels)?,
                cohort_id: row.cohort_id,
                archived,
            })
        })
        .collect()
}

/// Returns one question of a project, archived or not.
pub async fn get(pool: &SqlitePool, project_id: i64, question_id: i64) -> Result<Question> {
    let row = sqlx::query!(
        r#"SELECT name, labels, cohort_id, archived_at FROM questions WHERE id = ? AND project_id = ?"#,
        question_id,
        project_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("question {question_id}")))?;
    Ok(Question {
        id: question_id,
        project_id,
        name: row.name,
        labels: stored_json("question's labels", &row.labels)?,
        cohort_id: row.cohort_id,
        archived: row.archived_at.is_some(),
    })
}

/// Returns a version of a question's rules (`None`: the latest).
pub async fn rules(pool: &SqlitePool, question_id: i64, version: Option<i64>) -> Result<RuleSet> {
    let row = sqlx::query!(
        r#"SELECT version, rules FROM rule_versions WHERE question_id = ? AND (? IS NULL OR version = ?)
           ORDER BY version DESC LIMIT 1"#,
        question_id,
        version,
        version
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("version {} of the rules", version.unwrap_or(0))))?;
    Ok(RuleSet {
        version: row.version,
        rules: stored_json("rule set", &row.rules)?,
    })
}

/// Returns a question's versions, newest first.
pub async fn versions(pool: &SqlitePool, question_id: i64) -> Result<Vec<Version>> {
    let rows = sqlx::query!(
        r#"SELECT version, change, actor, created_at, json_array_length(rules) AS "rules!: i64"
           FROM rule_versions WHERE question_id = ? ORDER BY version DESC"#,
        question_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Version {
            version: row.version,
            change: row.change,
            actor: row.actor,
            created_at: row.created_at,
            rules: row.rules as usize,
        })
        .collect())
}

/// Applies a change to a question's latest rules and writes them as a new version; returns it.
///
/// The rules are checked against the question's labels and the project's sections first, so an
/// invalid rule changes nothing. When another change wrote the same version number first, this one
/// is applied again on top of it: concurrent changes never lose one another.
pub async fn change(
    pool: &SqlitePool,
    question: &Question,
    change: &Change,
    actor: Option<&str>,
) -> Result<RuleSet> {
    let settings = text_settings(pool, question.project_id).await?;
    for _attempt in 0..20 {
        let mut current = rules(pool, question.id, None).await?;
        let words = change.apply(&mut current.rules)?;
        crate::labeling::Labeler::new(vec![current.rule_book(question)], &settings)?;
        current.version += 1;
        match write_version(pool, question, &current, &words, actor).await {
            Ok(()) => return Ok(current),
            Err(Error::Database(error)) if is_unique_violation(&error) || is_busy(&error) => {
                continue
            }
            Err(other) => return Err(other),
        }
    }
    Err(Error::Internal(
        "the rules are changing too fast to save this change; try again".into(),
    ))
}

/// Saves the rules of an earlier `version` as a new version (the history keeps every version, the
/// restored one included); returns it. Restoring the current version is refused: nothing would
/// change.
pub async fn restore_version(
    pool: &SqlitePool,
    question: &Question,
    version: i64,
    actor: Option<&str>,
) -> Result<RuleSet> {
    let old = rules(pool, question.id, Some(version)).await?;
    let current = rules(pool, question.id, None).await?;
    if old.rules == current.rules {
        return Err(Error::Invalid(format!(
            "version {version}: the current rules are already those of version {version}"
        )));
    }
    let restore = Change::Restore {
        version,
        rules: old.rules,
    };
    change(pool, question, &restore, actor).await
}

fn is_busy(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.message().contains("locked") || db.message().contains("busy"))
}

async fn write_version(
    pool: &SqlitePool,
    question: &Question,
    set: &RuleSet,
    words: &str,
    actor: Option<&str>,
) -> Result<()> {
    let rules = serde_json::to_string(&set.rules).expect("rules serialise");
    let now = crate::now();
    let mut transaction = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO rule_versions (question_id, version, rules, change, actor, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        question.id,
        set.version,
        rules,
        words,
        actor,
        now
    )
    .execute(&mut *transaction)
    .await?;
    let event = NewEvent {
        actor,
        project_id: Some(question.project_id),
        object: Some(format!("question:{}", question.name)),
        detail: Some(format!("version {}: {words}", set.version)),
    };
    audit::record(&mut *transaction, Action::RulesChanged, event).await?;
    transaction.commit().await?;
    Ok(())
}
