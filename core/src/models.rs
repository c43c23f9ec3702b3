//! Models and continuous validation: a model version answers one question of a project; its
//! predictions are checked against the study's label as Sieve knows it (adjudicated, agreed,
//! confirmed or soft), on a chosen set of studies and day by day, with alarms when the daily
//! discordance leaves its baseline (Tenenholtz et al., §4.1 and §4.3: "all model output is logged
//! alongside the radiologist's final report").
//!
//! A model is registered by a scientist (name, version, question, how its output reads) or made
//! from a succeeded training job that wrote `predictions.csv` (its label set, job, metrics and
//! output directory recorded).

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::audit::{self, Action, NewEvent};
use crate::questions::{self, Question};
use crate::training::Metric;
use crate::{Error, Result};

pub mod alarms;
mod from_job;
mod labeler;
pub use from_job::{adopt_jobs, from_job, PREDICTIONS};
pub use labeler::{labeler, Labeler, Moved, Share, UNLABELED};
mod predictions;
pub use predictions::{import, Imported, Input};
mod reference;
pub use reference::{
    over_time, queue_discordant, validation, Cache, OverTime, Selection, Set, Sources, Subgroup,
    Validation,
};
pub mod statistics;
mod watch;
pub use watch::{alarms_of_project, watch, RaisedAlarm};

/// What a new model version says of itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewModel {
    pub name: String,
    pub version: String,
    /// The question's name.
    pub question: String,
    /// The question's label the model's positive stands for (default: the question's first).
    pub positive_label: Option<String>,
    /// Set when the model outputs a score: positive from this score on.
    pub threshold: Option<f64>,
}

/// How a model is watched, as the scientist sets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watching {
    /// First and last day of the baseline (`YYYY-MM-DD`); `None`: the first 90 days with predictions.
    pub baseline_from: Option<String>,
    pub baseline_to: Option<String>,
    /// Consecutive days above the baseline's limit that raise the run-length alarm (2–60).
    pub run_length: i64,
    /// The CUSUM's in-control average run length, in days (10–100,000).
    pub cusum_arl: f64,
    /// The rise of daily discordance the CUSUM is tuned to detect, as a proportion (0.001–0.5).
    pub cusum_shift: f64,
    /// A local `http://` address sent a JSON POST for every alarm; empty: none.
    pub webhook_url: String,
    /// Bumped by every save: a save must name the version it changes.
    #[serde(default)]
    pub version: i64,
}

impl Default for Watching {
    fn default() -> Watching {
        Watching {
            baseline_from: None,
            baseline_to: None,
            run_length: 7,
            cusum_arl: 1000.0,
            cusum_shift: 0.05,
            webhook_url: String::new(),
            version: 0,
        }
    }
}

/// Days of predictions a baseline takes when none is chosen.
pub const DEFAULT_BASELINE_DAYS: i32 = 90;

impl Watching {
    fn check(&self) -> Result<()> {
        for (name, day) in [
            ("baseline start", &self.baseline_from),
            ("baseline end", &self.baseline_to),
        ] {
            if let Some(day) = day {
                day_number(day).ok_or_else(|| {
                    Error::Invalid(format!("{name}: {day:?} is not a date (YYYY-MM-DD)"))
                })?;
            }
        }
        if let (Some(from), Some(to)) = (&self.baseline_from, &self.baseline_to) {
            if from > to {
                return Err(Error::Invalid(format!(
                    "baseline: it starts on {from}, after it ends ({to})"
                )));
            }
        }
        if !(2..=60).contains(&self.run_length) {
            return Err(Error::Invalid(
                "run length: give between 2 and 60 consecutive days".into(),
            ));
        }
        if !(10.0..=100_000.0).contains(&self.cusum_arl) {
            return Err(Error::Invalid(
                "days between false alarms: give between 10 and 100,000 days".into(),
            ));
        }
        if !(0.001..=0.5).contains(&self.cusum_shift) {
            return Err(Error::Invalid(
                "rise to detect: give between 0.1 and 50 percentage points".into(),
            ));
        }
        let url = self.webhook_url.trim();
        if !url.is_empty() && watch::webhook_address(url).is_none() {
            return Err(Error::Invalid(format!(
                "webhook: {url:?} is not an http:// address on this network (http://host:port/path)"
            )));
        }
        Ok(())
    }
}

/// One model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub version: String,
    pub question_id: i64,
    pub question: String,
    pub positive_label: String,
    pub threshold: Option<f64>,
    /// The training job it came from, and that job's label set version.
    pub job_id: Option<i64>,
    pub label_set_version: Option<i64>,
    pub output_dir: Option<String>,
    pub metrics: Vec<Metric>,
    pub watching: Watching,
    /// Bumped by every import of predictions.
    pub revision: i64,
    pub predictions: i64,
    pub created_by: String,
    pub created_at: i64,
}

impl Model {
    /// Whether an output is the model's positive: its label, or its score from the threshold on.
    pub fn positive(&self, label: Option<&str>, score: Option<f64>) -> bool {
        match self.threshold {
            Some(threshold) => score.is_some_and(|s| s >= threshold),
            None => label == Some(self.positive_label.as_str()),
        }
    }
}

/// Registers a model version for a question of the project. Errors: `Invalid` naming the field,
/// `NotFound` for an unknown question, `AlreadyExists` for a name and version taken.
pub async fn register(
    pool: &SqlitePool,
    project_id: i64,
    new: &NewModel,
    actor: &str,
) -> Result<Model> {
    create(pool, project_id, new, None, actor).await
}

/// What a training job adds to a model it made.
pub(crate) struct Trained {
    pub job_id: i64,
    pub label_set_id: i64,
    pub output_dir: String,
    pub metrics: Vec<Metric>,
}

async fn create(
    pool: &SqlitePool,
    project_id: i64,
    new: &NewModel,
    trained: Option<Trained>,
    actor: &str,
) -> Result<Model> {
    let name = new.name.trim();
    let version = new.version.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(Error::Invalid("name: give the model a name".into()));
    }
    if version.is_empty() || version.len() > 100 {
        return Err(Error::Invalid(
            "version: give the version (for example 1.0 or 2026-12)".into(),
        ));
    }
    let question = question_named(pool, project_id, &new.question).await?;
    let positive = match new.positive_label.as_deref().map(str::trim) {
        None | Some("") => question.labels[0].clone(),
        Some(label) => {
            question.check_label(label)?;
            label.to_string()
        }
    };
    if new.threshold.is_some_and(|t| !t.is_finite()) {
        return Err(Error::Invalid("threshold: give a number".into()));
    }
    let (job_id, label_set_id, output_dir, metrics) = match &trained {
        Some(t) => (
            Some(t.job_id),
            Some(t.label_set_id),
            Some(t.output_dir.clone()),
            serde_json::to_string(&t.metrics).expect("metrics serialise"),
        ),
        None => (None, None, None, "[]".to_string()),
    };
    let now = crate::now();
    let mut transaction = pool.begin().await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO models (project_id, name, version, question_id, positive_label, threshold, job_id, label_set_id,
                               output_dir, metrics, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id AS "id!""#,
        project_id,
        name,
        version,
        question.id,
        positive,
        new.threshold,
        job_id,
        label_set_id,
        output_dir,
        metrics,
        actor,
        now
    )
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or_else(|| Error::AlreadyExists(format!("model {name} version {version}")))?;
    let event = NewEvent {
        actor: Some(actor),
        project_id: Some(project_id),
        object: Some(format!("model:{name} {version}")),
        detail: Some(match job_id {
            Some(job) => format!("from training job {job}, for {}", question.name),
            None => format!("registered for {}", question.name),
        }),
    };
    audit::record(&mut *transaction, Action::ModelRegistered, event).await?;
    transaction.commit().await?;
    get(pool, project_id, id).await
}

async fn question_named(pool: &SqlitePool, project_id: i64, name: &str) -> Result<Question> {
    let name = name.trim();
    let known = questions::list(pool, project_id).await?;
    let names: Vec<&str> = known.iter().map(|q| q.name.as_str()).collect();
    known
        .iter()
        .find(|q| q.name.eq_ignore_ascii_case(name))
        .cloned()
        .ok_or_else(|| match names.is_empty() {
            true => Error::Invalid(
                "question: the project has no question yet; a fellow creates one first".into(),
            ),
            false => Error::Invalid(format!(
                "question: {name:?} is not a question of this project ({})",
                names.join(", ")
            )),
        })
}

struct ModelRow {
    id: i64,
    project_id: i64,
    name: String,
    version: String,
    question_id: i64,
    question: String,
    positive_label: String,
    threshold: Option<f64>,
    job_id: Option<i64>,
    label_set_version: Option<i64>,
    output_dir: Option<String>,
    metrics: String,
    baseline_from: Option<String>,
    baseline_to: Option<String>,
    run_length: i64,
    cusum_arl: f64,
    cusum_shift: f64,
    webhook_url: String,
    watching_version: i64,
    revision: i64,
    predictions: i64,
    created_by: String,
    created_at: i64,
}

impl ModelRow {
    fn model(self) -> Result<Model> {
        Ok(Model {
            id: self.id,
            project_id: self.project_id,
            name: self.name,
            version: self.version,
            question_id: self.question_id,
            question: self.question,
            positive_label: self.positive_label,
            threshold: self.threshold,
            job_id: self.job_id,
            label_set_version: self.label_set_version,
            output_dir: self.output_dir,
            metrics: crate::db::stored_json("model's metrics", &self.metrics)?,
            watching: Watching {
                baseline_from: self.baseline_from,
                baseline_to: self.baseline_to,
                run_length: self.run_length,
                cusum_arl: self.cusum_arl,
                cusum_shift: self.cusum_shift,
                webhook_url: self.webhook_url,
                version: self.watching_version,
            },
            revision: self.revision,
            predictions: self.predictions,
            created_by: self.created_by,
            created_at: self.created_at,
        })
    }
}

/// The project's models, newest first, with their prediction counts.
pub async fn list(pool: &SqlitePool, project_id: i64) -> Result<Vec<Model>> {
    sqlx::query_as!(
        ModelRow,
        r#"SELECT m.id AS "id!", m.project_id, m.name, m.version, m.question_id, q.name AS question, m.positive_label,
                  m.threshold, m.job_id, l.version AS label_set_version, m.output_dir, m.metrics, m.baseline_from,
                  m.baseline_to, m.run_length, m.cusum_arl, m.cusum_shift, m.webhook_url, m.watching_version, m.revision,
                  (SELECT COUNT(*) FROM predictions p WHERE p.model_id = m.id) AS "predictions!: i64",
                  m.created_by, m.created_at
           FROM models m JOIN questions q ON q.id = m.question_id LEFT JOIN label_sets l ON l.id = m.label_set_id
           WHERE m.project_id = ? ORDER BY m.id DESC"#,
        project_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(ModelRow::model)
    .collect()
}

/// One model of the project. Errors: `NotFound` (also for another project's model).
pub async fn get(pool: &SqlitePool, project_id: i64, model_id: i64) -> Result<Model> {
    sqlx::query_as!(
        ModelRow,
        r#"SELECT m.id AS "id!", m.project_id, m.name, m.version, m.question_id, q.name AS question, m.positive_label,
                  m.threshold, m.job_id, l.version AS label_set_version, m.output_dir, m.metrics, m.baseline_from,
                  m.baseline_to, m.run_length, m.cusum_arl, m.cusum_shift, m.webhook_url, m.watching_version, m.revision,
                  (SELECT COUNT(*) FROM predictions p WHERE p.model_id = m.id) AS "predictions!: i64",
                  m.created_by, m.created_at
           FROM models m JOIN questions q ON q.id = m.question_id LEFT JOIN label_sets l ON l.id = m.label_set_id
           WHERE m.project_id = ? AND m.id = ?"#,
        project_id,
        model_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("model {model_id}")))?
    .model()
}

/// Saves how a model is watched, if its settings are still at `watching.version`. The alarms
/// raised under the earlier settings are cleared (the audit log keeps them) and the rules run
/// again at the watcher's next pass. Errors: `Invalid` naming the setting; `Invalid` when the
/// settings were saved meanwhile (another tab, another person), or the baseline holds no
/// predicted study.
pub async fn save_watching(
    pool: &SqlitePool,
    model: &Model,
    watching: &Watching,
    actor: &str,
) -> Result<Model> {
    watching.check()?;
    if let (Some(from), Some(to)) = (&watching.baseline_from, &watching.baseline_to) {
        let inside = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM predictions p JOIN reports r ON r.id = p.report_id
               WHERE p.model_id = ? AND r.study_date BETWEEN ? AND ?"#,
            model.id,
            from,
            to
        )
        .fetch_one(pool)
        .await?;
        if inside == 0 && model.predictions > 0 {
            return Err(Error::Invalid(format!(
                "baseline: no predicted study is dated from {from} to {to}; choose days the model has predictions for"
            )));
        }
    }
    let url = watching.webhook_url.trim();
    let mut transaction = pool.begin().await?;
    let saved = sqlx::query!(
        "UPDATE models SET baseline_from = ?, baseline_to = ?, run_length = ?, cusum_arl = ?, cusum_shift = ?, webhook_url = ?,
                watching_version = watching_version + 1, revision = revision + 1
         WHERE id = ? AND watching_version = ?",
        watching.baseline_from,
        watching.baseline_to,
        watching.run_length,
        watching.cusum_arl,
        watching.cusum_shift,
        url,
        model.id,
        watching.version
    )
    .execute(&mut *transaction)
    .await?;
    if saved.rows_affected() == 0 {
        return Err(Error::Invalid(
            "These alarm settings were changed (in another tab, or by someone else) since this page was opened: nothing was saved. The form now shows the settings as they were saved: make your change again.".into(),
        ));
    }
    sqlx::query!("DELETE FROM model_alarms WHERE model_id = ?", model.id)
        .execute(&mut *transaction)
        .await?;
    let event = NewEvent {
        actor: Some(actor),
        project_id: Some(model.project_id),
        object: Some(format!("model:{} {}", model.name, model.version)),
        detail: Some(format!(
            "baseline {} to {}, run length {} days, CUSUM ARL₀ {} days for a rise of {:.1} points{}",
            watching.baseline_from.as_deref().unwrap_or("(first 90 days)"),
            watching.baseline_to.as_deref().unwrap_or("(first 90 days)"),
            watching.run_length,
            watching.cusum_arl,
            100.0 * watching.cusum_shift,
            match url.is_empty() {
                true => String::new(),
                false => format!(", webhook {url}"),
            }
        ) + "; the alarms of the earlier settings were cleared and the rules run again"),
    };
    audit::record(&mut *transaction, Action::ModelSettingsChanged, event).await?;
    transaction.commit().await?;
    get(pool, model.project_id, model.id).await
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub fn day_number(date: &str) -> Option<i32> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(date.get(..10)?, format).ok()?;
    Some(date.to_julian_day() - time::macros::date!(1970 - 01 - 01).to_julian_day())
}

/// The `YYYY-MM-DD` of a day number.
pub fn day_text(day: i32) -> String {
    let epoch = time::macros::date!(1970 - 01 - 01).to_julian_day();
    match time::Date::from_julian_day(epoch + day) {
        Ok(date) => format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ),
        Err(_) => day.to_string(),
    }
}
