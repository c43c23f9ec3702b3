//! A model's predictions against the reference: each predicted study's label for the question as
//! Sieve knows it now (adjudicated, gold, agreed, confirmed, disputed or soft from the current
//! rules, see [`crate::queue::final_label`]), on a chosen set of studies, in total, per subgroup and
//! day by day. Reports that arrive later get soft labels like any and join once predicted.
//!
//! A model's predictions are read from the database once per import (and again when a report's
//! date or details change) and kept in memory ([`Predictions`]); the reference labels are read
//! for every view, so a new answer or rule shows at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::alarms::{self, Day, Evaluation};
use super::statistics::{roc_auc, Auc, Confusion};
use super::{day_number, Model, DEFAULT_BASELINE_DAYS};
use crate::audit::{self, Action, NewEvent};
use crate::label_sets::Evidence;
use crate::queue::Source;
use crate::soft_labels::Context;
use crate::{questions, Result};

/// Which predicted studies a view takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "set", content = "from")]
pub enum Set {
    /// Every predicted study.
    #[default]
    All,
    /// The test split of the label set the model was trained on.
    TestSplit,
    /// Consecutive studies dated on or after a day (`YYYY-MM-DD`): a pre-deployment test.
    From(String),
}

/// Which reference labels count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sources {
    /// Every final label, the rules' soft labels included.
    #[default]
    All,
    /// Only labels a person gave or settled: adjudicated, gold, agreed, confirmed.
    Human,
}

impl Sources {
    fn takes(self, source: Source) -> bool {
        match self {
            Sources::All => true,
            Sources::Human => matches!(
                source,
                Source::Adjudicated | Source::Gold | Source::Agreed | Source::Confirmed
            ),
        }
    }
}

/// A view's choice of studies and reference labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub set: Set,
    pub sources: Sources,
}

/// One predicted study, as kept in memory.
#[derive(Debug, Clone, Copy)]
pub(super) struct Predicted {
    pub(super) report_id: u32,
    pub(super) day: i32,
    positive: bool,
    score: Option<f64>,
    modality: u32,
    exam_code: u32,
    test_split: bool,
}

/// A model's predictions as read from the database, with the details of their studies.
#[derive(Debug)]
pub struct Predictions {
    /// (model revision, the project's report revision) they were read at.
    read_at: (i64, i64),
    studies: Vec<Predicted>,
    modalities: Vec<String>,
    exam_codes: Vec<String>,
}

impl Predictions {
    /// The predicted studies, by study date.
    pub(super) fn studies(&self) -> &[Predicted] {
        &self.studies
    }
}

/// Models' predictions kept in memory between views, by model id.
#[derive(Debug, Default)]
pub struct Cache {
    models: Mutex<HashMap<i64, Arc<Predictions>>>,
}

impl Cache {
    /// The model's predictions, read again when an import or a report change made them stale.
    pub async fn predictions(
        &self,
        pool: &sqlx::SqlitePool,
        model: &Model,
    ) -> Result<Arc<Predictions>> {
        let reports = sqlx::query_scalar!(
            r#"SELECT COALESCE(MAX(revision), 0) AS "revision!: i64" FROM reports WHERE project_id = ?"#,
            model.project_id
        )
        .fetch_one(pool)
        .await?;
        let revision = sqlx::query_scalar!("SELECT revision FROM models WHERE id = ?", model.id)
            .fetch_one(pool)
            .await?;
        let read_at = (revision, reports);
        if let Some(kept) = self.models.lock().expect("cache lock").get(&model.id) {
            if kept.read_at == read_at {
                return Ok(kept.clone());
            }
        }
        let read = Arc::new(read(pool, model, read_at).await?);
        self.models
            .lock()
            .expect("cache lock")
            .insert(model.id, read.clone());
        Ok(read)
    }
}

async fn read(pool: &sqlx::SqlitePool, model: &Model, read_at: (i64, i64)) -> Result<Predictions> {
    let rows = sqlx::query!(
        r#"SELECT p.report_id AS "report_id!", p.label, p.score, r.study_date, r.modality, r.exam_code,
                  EXISTS (SELECT 1 FROM model_test_studies t WHERE t.model_id = p.model_id AND t.report_id = p.report_id) AS "test!: bool"
           FROM predictions p JOIN reports r ON r.id = p.report_id
           WHERE p.model_id = ? ORDER BY r.study_date, p.report_id"#,
        model.id
    )
    .fetch_all(pool)
    .await?;
    let mut modalities = Names::default();
    let mut exam_codes = Names::default();
    let studies = rows
        .into_iter()
        .filter_map(|row| {
            Some(Predicted {
                report_id: u32::try_from(row.report_id).ok()?,
                day: day_number(&row.study_date)?,
                positive: model.positive(row.label.as_deref(), row.score),
                score: row.score,
                modality: modalities.id(&row.modality),
                exam_code: exam_codes.id(&row.exam_code),
                test_split: row.test,
            })
        })
        .collect();
    Ok(Predictions {
        read_at,
        studies,
        modalities: modalities.names,
        exam_codes: exam_codes.names,
    })
}

#[derive(Default)]
struct Names {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }
}

/// One study of a view: the model's call and the reference's.
struct Compared<'a> {
    study: &'a Predicted,
    reference: bool,
}

/// What a view compares, and what it leaves out.
struct Comparison<'a> {
    compared: Vec<Compared<'a>>,
    /// Predicted studies of the set with no reference label (no rule, answer or decision).
    without_reference: u64,
    /// Studies whose reference label's source the view leaves out.
    other_sources: u64,
    by_source: Vec<(Source, u64)>,
}

async fn compare<'a>(
    context: &Context<'_>,
    model: &Model,
    predictions: &'a Predictions,
    selection: &Selection,
) -> Result<Comparison<'a>> {
    let question = questions::get(context.pool, model.project_id, model.question_id).await?;
    let rules = questions::rules(context.pool, question.id, None).await?;
    let evidence = Evidence::read(context, &question, rules).await?;
    let from = match &selection.set {
        Set::From(day) => Some(day_number(day).ok_or_else(|| {
            crate::Error::Invalid(format!("from: {day:?} is not a date (YYYY-MM-DD)"))
        })?),
        _ => None,
    };
    let mut comparison = Comparison {
        compared: Vec::with_capacity(predictions.studies.len()),
        without_reference: 0,
        other_sources: 0,
        by_source: Vec::new(),
    };
    let mut sources: HashMap<Source, u64> = HashMap::new();
    for study in &predictions.studies {
        let in_set = match selection.set {
            Set::All => true,
            Set::TestSplit => study.test_split,
            Set::From(_) => from.is_some_and(|from| study.day >= from),
        };
        if !in_set {
            continue;
        }
        let Some(reference) = evidence.final_label(i64::from(study.report_id)) else {
            comparison.without_reference += 1;
            continue;
        };
        *sources.entry(reference.source).or_default() += 1;
        if !selection.sources.takes(reference.source) {
            comparison.other_sources += 1;
            continue;
        }
        comparison.compared.push(Compared {
            study,
            reference: reference.label == model.positive_label,
        });
    }
    comparison.by_source = sources.into_iter().collect();
    comparison.by_source.sort();
    Ok(comparison)
}

/// A subgroup's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subgroup {
    /// `modality`, `exam code` or `month`.
    pub kind: String,
    pub name: String,
    pub confusion: Confusion,
}

/// A model on a set of studies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    pub confusion: Confusion,
    /// For a model whose output is a score.
    pub auc: Option<Auc>,
    pub without_reference: u64,
    pub other_sources: u64,
    /// Studies of the set by their reference label's source.
    pub by_source: Vec<(Source, u64)>,
    pub subgroups: Vec<Subgroup>,
}

/// The model's validation on `selection`. Errors: `Invalid` for a date that cannot be read.
pub async fn validation(
    context: &Context<'_>,
    cache: &Cache,
    model: &Model,
    selection: &Selection,
) -> Result<Validation> {
    let predictions = cache.predictions(context.pool, model).await?;
    let comparison = compare(context, model, &predictions, selection).await?;
    let mut confusion = Confusion::default();
    let mut groups: HashMap<(u8, String), Confusion> = HashMap::new();
    let mut scored = Vec::new();
    for compared in &comparison.compared {
        let study = compared.study;
        confusion.add(compared.reference, study.positive);
        if let Some(score) = study.score {
            scored.push((score, compared.reference));
        }
        let month = super::day_text(study.day)[..7].to_string();
        for key in [
            (0, predictions.modalities[study.modality as usize].clone()),
            (1, predictions.exam_codes[study.exam_code as usize].clone()),
            (2, month),
        ] {
            groups
                .entry(key)
                .or_default()
                .add(compared.reference, study.positive);
        }
    }
    let mut subgroups: Vec<Subgroup> = groups
        .into_iter()
        .map(|((kind, name), confusion)| Subgroup {
            kind: ["modality", "exam code", "month"][kind as usize].to_string(),
            name: match name.is_empty() {
                true => "(none given)".into(),
                false => name,
            },
            confusion,
        })
        .collect();
    subgroups.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
    let auc = match model.threshold {
        Some(_) => roc_auc(&scored),
        None => None,
    };
    Ok(Validation {
        confusion,
        auc,
        without_reference: comparison.without_reference,
        other_sources: comparison.other_sources,
        by_source: comparison.by_source,
        subgroups,
    })
}

/// A model over time: its days and weeks, and the alarms' reading of the days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverTime {
    pub days: Vec<Day>,
    /// Weeks from Monday.
    pub weeks: Vec<Day>,
    /// The baseline used (days since 1970-01-01, inclusive).
    pub baseline: Option<(i32, i32)>,
    /// `None` when the baseline holds no study.
    pub evaluation: Option<Evaluation>,
    pub without_reference: u64,
}

/// The model's predictions day by day against `sources`, with the alarms' rules run over them.
pub async fn over_time(
    context: &Context<'_>,
    cache: &Cache,
    model: &Model,
    sources: Sources,
) -> Result<OverTime> {
    let predictions = cache.predictions(context.pool, model).await?;
    let selection = Selection {
        set: Set::All,
        sources,
    };
    let comparison = compare(context, model, &predictions, &selection).await?;
    let mut days: Vec<Day> = Vec::new();
    for compared in &comparison.compared {
        let study = compared.study;
        if days.last().is_none_or(|d| d.day != study.day) {
            days.push(Day {
                day: study.day,
                ..Day::default()
            });
        }
        let day = days.last_mut().expect("pushed");
        day.studies += 1;
        day.discordant += u64::from(compared.reference != study.positive);
        day.model_positive += u64::from(study.positive);
        day.reference_positive += u64::from(compared.reference);
    }
    let mut weeks: Vec<Day> = Vec::new();
    for day in &days {
        // 1970-01-01 was a Thursday: Monday is 3 days before a multiple of 7 plus 4.
        let monday = day.day - (day.day + 3).rem_euclid(7);
        if weeks.last().is_none_or(|w| w.day != monday) {
            weeks.push(Day {
                day: monday,
                ..Day::default()
            });
        }
        let week = weeks.last_mut().expect("pushed");
        week.studies += day.studies;
        week.discordant += day.discordant;
        week.model_positive += day.model_positive;
        week.reference_positive += day.reference_positive;
    }
    let baseline = baseline_of(model, &days);
    let evaluation = baseline.and_then(|baseline| {
        alarms::evaluate(
            &days,
            &alarms::Settings {
                baseline,
                run_length: model.watching.run_length as u32,
                cusum_arl: model.watching.cusum_arl,
                cusum_shift: model.watching.cusum_shift,
            },
        )
    });
    Ok(OverTime {
        days,
        weeks,
        baseline,
        evaluation,
        without_reference: comparison.without_reference,
    })
}

/// The model's baseline: as set, or the first 90 days from its first predicted study.
pub(super) fn baseline_of(model: &Model, days: &[Day]) -> Option<(i32, i32)> {
    let first = days.first()?.day;
    let from = model
        .watching
        .baseline_from
        .as_deref()
        .and_then(day_number)
        .unwrap_or(first);
    let to = model
        .watching
        .baseline_to
        .as_deref()
        .and_then(day_number)
        .unwrap_or(from + DEFAULT_BASELINE_DAYS - 1);
    Some((from, to))
}

/// Queues the studies of `selection` where the model and the reference disagree for confirmation
/// (one answer each, served before the rules' studies), so a person checks them. Studies already
/// queued keep their task. Returns how many were added.
pub async fn queue_discordant(
    context: &Context<'_>,
    cache: &Cache,
    model: &Model,
    selection: &Selection,
    actor: &str,
) -> Result<u64> {
    let question = questions::get(context.pool, model.project_id, model.question_id).await?;
    question.check_active()?;
    let predictions = cache.predictions(context.pool, model).await?;
    let comparison = compare(context, model, &predictions, selection).await?;
    // A discordant study is served like any study of the queue: with the rule that labels it and
    // its soft label as the suggestion. Nothing of the model reaches the rater (its output would
    // sway the answer that is to check it). A study no rule labels has its reference from people
    // already, and is left out.
    let labels = context.current(&question).await?;
    let tasks: Vec<(u32, &str, &str)> = comparison
        .compared
        .iter()
        .filter(|c| c.reference != c.study.positive)
        .filter_map(|c| {
            let id = c.study.report_id;
            let rank = labels
                .resolution
                .effective
                .iter()
                .position(|s| s.contains(id))?;
            let soft = labels
                .resolution
                .labels
                .iter()
                .find(|(_, s)| s.contains(id))?
                .0;
            Some((
                id,
                labels.rules.rules[rank].rule.phrase.as_str(),
                soft.as_str(),
            ))
        })
        .collect();
    let rows = serde_json::to_string(&tasks).expect("tasks serialise");
    let now = crate::now();
    let mut transaction = context.pool.begin().await?;
    // A question whose queue was never built gets one with the default settings.
    sqlx::query!(
        "INSERT INTO queue_settings (question_id, updated_by, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        question.id,
        actor,
        now
    )
    .execute(&mut *transaction)
    .await?;
    let added = sqlx::query!(
        r#"INSERT INTO tasks (question_id, report_id, needed, rule_rank, rule_phrase, soft_label, open, queued_at)
           SELECT ?1, t.value ->> 0, 1, -1, t.value ->> 1, t.value ->> 2, 0, ?2 FROM json_each(?3) AS t
           WHERE 1 ON CONFLICT (question_id, report_id) DO NOTHING"#,
        question.id,
        now,
        rows
    )
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    crate::queue::refill(&mut transaction, question.id, None).await?;
    crate::queue::recount_open(&mut transaction, question.id).await?;
    let event = NewEvent {
        actor: Some(actor),
        project_id: Some(model.project_id),
        object: Some(format!("question:{}", question.name)),
        detail: Some(format!(
            "{added} studies where model {} {} and the reference disagree queued ({} already queued)",
            model.name,
            model.version,
            tasks.len() as u64 - added
        )),
    };
    audit::record(&mut *transaction, Action::DiscordantQueued, event).await?;
    transaction.commit().await?;
    Ok(added)
}
