//! Models and continuous validation, for fellows and scientists (`ValidateModels`): the project's
//! models and alarms, a model's validation on a set of studies and over time, its alarm settings,
//! and its discordant studies sent to the confirmation queue.
// The alarm settings' form sends its eight fields as the server function's arguments.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::training::MetricRow;
use crate::error::AppError;

/// A model version in the project's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRow {
    pub id: i64,
    pub name: String,
    pub version: String,
    pub question: String,
    /// What counts as the model's positive, in words: `label present` or `score ≥ 0.5 (present)`.
    pub output: String,
    pub job_id: Option<i64>,
    pub label_set_version: Option<i64>,
    pub predictions: i64,
    pub created_by: String,
    pub created_at: String,
    /// Alarms raised for it.
    pub alarms: usize,
}

/// An alarm as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmRow {
    pub model_id: i64,
    pub model: String,
    /// `Run length` or `CUSUM`.
    pub rule: String,
    pub day: String,
    pub detail: String,
}

/// A question a model can answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionChoice {
    pub name: String,
    pub labels: Vec<String>,
}

/// The project's models page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelsView {
    pub project_name: String,
    pub models: Vec<ModelRow>,
    pub questions: Vec<QuestionChoice>,
    /// Succeeded jobs without a model: (job id, label set version).
    pub jobs: Vec<(i64, i64)>,
    pub alarms: Vec<AlarmRow>,
}

/// A proportion with its Wilson 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub count: u64,
    pub total: u64,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// A confusion matrix and its measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measures {
    pub studies: u64,
    pub true_positive: u64,
    pub false_positive: u64,
    pub false_negative: u64,
    pub true_negative: u64,
    pub sensitivity: Option<Rate>,
    pub specificity: Option<Rate>,
    pub ppv: Option<Rate>,
    pub npv: Option<Rate>,
    pub accuracy: Option<Rate>,
}

/// A subgroup's measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubgroupRow {
    pub kind: String,
    pub name: String,
    pub measures: Measures,
}

/// A model on a set of studies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationView {
    pub measures: Measures,
    /// ROC AUC (value, low, high) for a score model with both classes.
    pub auc: Option<(f64, f64, f64)>,
    pub without_reference: u64,
    pub other_sources: u64,
    /// (source, studies), the sources of the set's reference labels.
    pub by_source: Vec<(String, u64)>,
    pub subgroups: Vec<SubgroupRow>,
}

/// A day (or week) of the over-time view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub day: String,
    pub studies: u64,
    pub discordant: u64,
    pub model_positive: u64,
    pub reference_positive: u64,
    /// The day's upper control limit of discordance, and the CUSUM at its end (days only).
    pub upper_limit: Option<f64>,
    pub cusum: Option<f64>,
}

/// A model over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverTimeView {
    pub days: Vec<Point>,
    pub weeks: Vec<Point>,
    pub baseline: Option<(String, String)>,
    pub baseline_discordance: Option<f64>,
    pub baseline_studies: u64,
    /// The CUSUM's k and h (standard deviations), the shift it is tuned to (standard deviations)
    /// and its expected detection delay (days).
    pub cusum: Option<(f64, f64, f64, f64)>,
    /// Expected days for the run-length rule to fire at the same shift, and between its false
    /// alarms in control.
    pub run_length_delay: Option<f64>,
    pub run_length_arl: Option<f64>,
    /// The alarms the rules raise on these days.
    pub alarms: Vec<AlarmRow>,
    pub without_reference: u64,
}

/// How a model is watched, as the form shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchingForm {
    pub baseline_from: String,
    pub baseline_to: String,
    pub run_length: i64,
    pub cusum_arl: f64,
    /// Percentage points.
    pub cusum_shift: f64,
    pub webhook_url: String,
    /// The version of the settings shown, sent back with a save.
    pub version: i64,
}

/// A model's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelView {
    pub project_name: String,
    pub model: ModelRow,
    pub positive_label: String,
    pub threshold: Option<f64>,
    pub output_dir: Option<String>,
    pub metrics: Vec<MetricRow>,
    pub watching: WatchingForm,
    pub alarms: Vec<AlarmRow>,
}

#[cfg(feature = "ssr")]
mod server {
    use sieve_core::models::{self, statistics, Model, RaisedAlarm, Selection, Set, Sources};

    use super::*;

    pub fn row(model: &Model, alarms: usize) -> ModelRow {
        ModelRow {
            id: model.id,
            name: model.name.clone(),
            version: model.version.clone(),
            question: model.question.clone(),
            output: match model.threshold {
                Some(t) => format!("score ≥ {t} means {}", model.positive_label),
                None => format!("label {}", model.positive_label),
            },
            job_id: model.job_id,
            label_set_version: model.label_set_version,
            predictions: model.predictions,
            created_by: model.created_by.clone(),
            created_at: sieve_core::audit::format_time(model.created_at),
            alarms,
        }
    }

    pub fn alarm(alarm: RaisedAlarm) -> AlarmRow {
        AlarmRow {
            model_id: alarm.model_id,
            model: alarm.model,
            rule: rule_name(&alarm.rule).into(),
            day: alarm.day,
            detail: alarm.detail,
        }
    }

    pub fn rule_name(rule: &str) -> &'static str {
        match rule {
            "run_length" => "Run length",
            "cusum" => "CUSUM",
            _ => "Labeler",
        }
    }

    fn rate(p: Option<statistics::Proportion>) -> Option<Rate> {
        p.map(|p| Rate {
            count: p.count,
            total: p.total,
            value: p.value,
            low: p.low,
            high: p.high,
        })
    }

    pub fn measures(c: &statistics::Confusion) -> Measures {
        Measures {
            studies: c.total(),
            true_positive: c.true_positive,
            false_positive: c.false_positive,
            false_negative: c.false_negative,
            true_negative: c.true_negative,
            sensitivity: rate(c.sensitivity()),
            specificity: rate(c.specificity()),
            ppv: rate(c.ppv()),
            npv: rate(c.npv()),
            accuracy: rate(c.accuracy()),
        }
    }

    pub fn selection(set: &str, from: &str, sources: &str) -> Result<Selection, AppError> {
        Ok(Selection {
            set: match set {
                "test" => Set::TestSplit,
                "from" if from.trim().is_empty() => {
                    return Err(sieve_core::Error::Invalid(
                        "from: give the first day of the studies (YYYY-MM-DD)".into(),
                    )
                    .into())
                }
                "from" => Set::From(from.trim().to_string()),
                _ => Set::All,
            },
            sources: match sources {
                "human" => Sources::Human,
                _ => Sources::All,
            },
        })
    }

    pub async fn model_of(
        project: i64,
        model: i64,
    ) -> Result<(crate::ssr::AppState, sieve_core::auth::User, String, Model), AppError> {
        use sieve_core::access::Capability;
        let (state, user, membership) =
            crate::ssr::require_project(project, Capability::ValidateModels).await?;
        let model = models::get(&state.pool, project, model).await?;
        Ok((state, user, membership.project.name, model))
    }
}

/// The project's models, its questions, its succeeded jobs without a model, and its alarms.
#[server(endpoint = "project_models")]
pub async fn project_models(project: i64) -> Result<ModelsView, AppError> {
    use sieve_core::access::Capability;
    use sieve_core::models;
    crate::ssr::respond(
        async {
            let (state, _, membership) =
                crate::ssr::require_project(project, Capability::ValidateModels).await?;
            let pool = &state.pool;
            let list = models::list(pool, project).await?;
            let alarms = models::alarms_of_project(pool, project, None, 200).await?;
            let made: Vec<i64> = list.iter().filter_map(|m| m.job_id).collect();
            let jobs = sieve_core::training::jobs(pool, project)
                .await?
                .into_iter()
                .filter(|job| {
                    job.state == sieve_core::training::State::Succeeded && !made.contains(&job.id)
                })
                .map(|job| (job.id, job.label_set_version))
                .collect();
            let questions = sieve_core::questions::list(pool, project)
                .await?
                .into_iter()
                .filter(|q| !q.archived)
                .map(|q| QuestionChoice {
                    name: q.name,
                    labels: q.labels,
                })
                .collect();
            Ok(ModelsView {
                project_name: membership.project.name,
                models: list
                    .iter()
                    .map(|m| server::row(m, alarms.iter().filter(|a| a.model_id == m.id).count()))
                    .collect(),
                questions,
                jobs,
                alarms: alarms.into_iter().take(20).map(server::alarm).collect(),
            })
        }
        .await,
    )
}

/// The project's alarms, newest first (its home page lists the first few and counts the rest):
/// none for a member who does not watch models
/// (the page asks for every member), and none while the protocol is not in force.
#[server(endpoint = "project_alarms")]
pub async fn project_alarms(project: i64) -> Result<Vec<AlarmRow>, AppError> {
    use sieve_core::access::{allows, Capability};
    crate::ssr::respond(
        async {
            let (state, _, membership) =
                crate::ssr::require_project(project, Capability::ViewAggregates).await?;
            if !allows(&membership, Capability::ValidateModels) {
                return Ok(Vec::new());
            }
            let alarms =
                sieve_core::models::alarms_of_project(&state.pool, project, None, 500).await?;
            Ok(alarms.into_iter().map(server::alarm).collect())
        }
        .await,
    )
}

/// Registers a model version; returns its id.
#[server(endpoint = "register_model")]
pub async fn register_model(
    project: i64,
    name: String,
    version: String,
    question: String,
    positive_label: String,
    threshold: String,
) -> Result<i64, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, user, _) =
                crate::ssr::require_project(project, Capability::ValidateModels).await?;
            let threshold = match threshold.trim() {
                "" => None,
                typed => Some(typed.replace(',', ".").parse::<f64>().map_err(|_| {
                    sieve_core::Error::Invalid(format!(
                        "threshold: “{typed}” is not a number (leave it empty for a model that outputs labels)"
                    ))
                })?),
            };
            let new = sieve_core::models::NewModel {
                name,
                version,
                question,
                positive_label: Some(positive_label),
                threshold,
            };
            Ok(sieve_core::models::register(&state.pool, project, &new, &user.name)
                .await?
                .id)
        }
        .await,
    )
}

/// Makes the model of a succeeded training job; returns its id.
#[server(endpoint = "model_from_job")]
pub async fn model_from_job(project: i64, job: i64) -> Result<i64, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, user, _) =
                crate::ssr::require_project(project, Capability::ValidateModels).await?;
            let model = sieve_core::models::from_job(
                &state.pool,
                &state.settings.data_dir,
                &state.pseudonymizer,
                project,
                job,
                &user.name,
            )
            .await?;
            Ok(model.id)
        }
        .await,
    )
}

/// A model's page: what it is, what its job measured, how it is watched, its alarms.
#[server(endpoint = "model_page")]
pub async fn model_page(project: i64, model: i64) -> Result<ModelView, AppError> {
    crate::ssr::respond(
        async {
            let (state, _, project_name, model) = server::model_of(project, model).await?;
            let alarms =
                sieve_core::models::alarms_of_project(&state.pool, project, Some(model.id), 200)
                    .await?;
            let watching = &model.watching;
            Ok(ModelView {
                project_name,
                model: server::row(&model, alarms.len()),
                positive_label: model.positive_label.clone(),
                threshold: model.threshold,
                output_dir: model.output_dir.clone(),
                metrics: model
                    .metrics
                    .iter()
                    .map(|m| MetricRow {
                        name: m.name.clone(),
                        value: m.value,
                    })
                    .collect(),
                watching: WatchingForm {
                    baseline_from: watching.baseline_from.clone().unwrap_or_default(),
                    baseline_to: watching.baseline_to.clone().unwrap_or_default(),
                    run_length: watching.run_length,
                    cusum_arl: watching.cusum_arl,
                    cusum_shift: (watching.cusum_shift * 1000.0).round() / 10.0,
                    webhook_url: watching.webhook_url.clone(),
                    version: watching.version,
                },
                alarms: alarms.into_iter().map(server::alarm).collect(),
            })
        }
        .await,
    )
}

/// A model's validation on a set (`all`, `test`, or `from` a day) against the reference labels
/// (`all`, or `human` only).
#[server(endpoint = "model_validation")]
pub async fn model_validation(
    project: i64,
    model: i64,
    set: String,
    from: String,
    sources: String,
) -> Result<ValidationView, AppError> {
    crate::ssr::respond(
        async {
            let (state, _, _, model) = server::model_of(project, model).await?;
            let selection = server::selection(&set, &from, &sources)?;
            let found = sieve_core::models::validation(
                &state.labeling(),
                &state.models,
                &model,
                &selection,
            )
            .await?;
            Ok(ValidationView {
                measures: server::measures(&found.confusion),
                auc: found.auc.map(|a| (a.value, a.low, a.high)),
                without_reference: found.without_reference,
                other_sources: found.other_sources,
                by_source: found
                    .by_source
                    .iter()
                    .map(|(source, n)| (source.name().to_string(), *n))
                    .collect(),
                subgroups: found
                    .subgroups
                    .iter()
                    .map(|s| SubgroupRow {
                        kind: s.kind.clone(),
                        name: s.name.clone(),
                        measures: server::measures(&s.confusion),
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// A model day by day and week by week against the reference labels (`all` or `human`), with
/// its baseline, control limits and alarms.
#[server(endpoint = "model_over_time")]
pub async fn model_over_time(
    project: i64,
    model: i64,
    sources: String,
) -> Result<OverTimeView, AppError> {
    use sieve_core::models::{self, day_text};
    crate::ssr::respond(
        async {
            let (state, _, _, model) = server::model_of(project, model).await?;
            let sources = server::selection("all", "", &sources)?.sources;
            let seen = models::over_time(&state.labeling(), &state.models, &model, sources).await?;
            let evaluation = seen.evaluation.as_ref();
            let watched: std::collections::HashMap<i32, (f64, f64)> = evaluation
                .map(|e| {
                    e.watched
                        .iter()
                        .map(|w| (w.day, (w.upper_limit, w.cusum)))
                        .collect()
                })
                .unwrap_or_default();
            let point = |d: &models::alarms::Day, daily: bool| Point {
                day: day_text(d.day),
                studies: d.studies,
                discordant: d.discordant,
                model_positive: d.model_positive,
                reference_positive: d.reference_positive,
                upper_limit: daily.then(|| watched.get(&d.day).map(|w| w.0)).flatten(),
                cusum: daily.then(|| watched.get(&d.day).map(|w| w.1)).flatten(),
            };
            let name = format!("{} {}", model.name, model.version);
            // JSON has no infinity (it would arrive as null, and the page would differ from the
            // one the server drew): a rule that never fires waits "more than 10,000" days.
            let finite = |days: f64| if days.is_finite() { days } else { 1e12 };
            Ok(OverTimeView {
                days: seen.days.iter().map(|d| point(d, true)).collect(),
                weeks: seen.weeks.iter().map(|d| point(d, false)).collect(),
                baseline: seen.baseline.map(|(a, b)| (day_text(a), day_text(b))),
                // As counted (the limits count half a study when none is discordant).
                baseline_discordance: evaluation
                    .map(|e| e.baseline.discordant as f64 / e.baseline.studies as f64),
                baseline_studies: evaluation.map_or(0, |e| e.baseline.studies),
                cusum: evaluation.map(|e| {
                    (
                        e.cusum.k,
                        e.cusum.h,
                        e.cusum.shift_sd,
                        finite(e.cusum.expected_delay),
                    )
                }),
                run_length_delay: evaluation.map(|e| finite(e.run_length_delay)),
                run_length_arl: evaluation.map(|e| finite(e.run_length_arl)),
                alarms: evaluation
                    .map(|e| {
                        e.alarms
                            .iter()
                            .map(|a| AlarmRow {
                                model_id: model.id,
                                model: name.clone(),
                                rule: server::rule_name(a.rule.as_str()).into(),
                                day: day_text(a.day),
                                detail: a.detail.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                without_reference: seen.without_reference,
            })
        }
        .await,
    )
}

/// Saves how a model is watched (`cusum_shift` in percentage points).
#[server(endpoint = "save_model_watching")]
pub async fn save_model_watching(
    project: i64,
    model: i64,
    baseline_from: String,
    baseline_to: String,
    run_length: String,
    cusum_arl: String,
    cusum_shift: String,
    webhook_url: String,
    version: i64,
) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let (state, user, _, model) = server::model_of(project, model).await?;
            let number = |name: &str, typed: &str| {
                typed.trim().replace(',', ".").parse::<f64>().map_err(|_| {
                    sieve_core::Error::Invalid(format!("{name}: “{typed}” is not a number"))
                })
            };
            let day = |typed: String| Some(typed.trim().to_string()).filter(|d| !d.is_empty());
            let run_length = run_length.trim().parse::<i64>().map_err(|_| {
                sieve_core::Error::Invalid(format!(
                    "run length: “{run_length}” is not a whole number of days"
                ))
            })?;
            let watching = sieve_core::models::Watching {
                baseline_from: day(baseline_from),
                baseline_to: day(baseline_to),
                run_length,
                cusum_arl: number("days between false alarms", &cusum_arl)?,
                cusum_shift: number("rise to detect", &cusum_shift)? / 100.0,
                webhook_url,
                version,
            };
            let model =
                sieve_core::models::save_watching(&state.pool, &model, &watching, &user.name)
                    .await?;
            // The rules run again now, so that the page shows the alarms of the saved settings.
            sieve_core::models::watch(&state.labeling(), &state.models, &model).await?;
            Ok(())
        }
        .await,
    )
}

/// Queues the set's studies where the model and the reference disagree for confirmation;
/// returns how many were added.
#[server(endpoint = "queue_model_discordant")]
pub async fn queue_model_discordant(
    project: i64,
    model: i64,
    set: String,
    from: String,
    sources: String,
) -> Result<u64, AppError> {
    crate::ssr::respond(
        async {
            let (state, user, _, model) = server::model_of(project, model).await?;
            let selection = server::selection(&set, &from, &sources)?;
            Ok(sieve_core::models::queue_discordant(
                &state.labeling(),
                &state.models,
                &model,
                &selection,
                &user.name,
            )
            .await?)
        }
        .await,
    )
}

/// One rule's (or the unlabeled) share of the last weeks' studies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareRow {
    pub name: String,
    pub baseline: f64,
    /// (share of the week's studies, outside the baseline's 99 % limits), per week shown.
    pub weeks: Vec<(f64, bool)>,
}

/// The question's rules week by week over the model's studies: the last weeks shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelerView {
    /// Mondays of the weeks shown, `YYYY-MM-DD`, and their studies.
    pub weeks: Vec<(String, u64)>,
    pub shares: Vec<ShareRow>,
    /// Weeks before those shown.
    pub earlier: usize,
}

/// Weeks of the labeler the model page shows.
pub const LABELER_WEEKS: usize = 8;

/// Each rule's weekly share of the model's studies against its baseline.
#[server(endpoint = "model_labeler")]
pub async fn model_labeler(project: i64, model: i64) -> Result<LabelerView, AppError> {
    crate::ssr::respond(
        async {
            let (state, _, _, model) = server::model_of(project, model).await?;
            let found =
                sieve_core::models::labeler(&state.labeling(), &state.models, &model).await?;
            let from = found.weeks.len().saturating_sub(LABELER_WEEKS);
            Ok(LabelerView {
                weeks: found.weeks[from..]
                    .iter()
                    .zip(&found.studies[from..])
                    .map(|(w, n)| (sieve_core::models::day_text(*w), *n))
                    .collect(),
                shares: found
                    .shares
                    .iter()
                    .map(|share| ShareRow {
                        name: share.name.clone(),
                        baseline: share.baseline,
                        weeks: share.counts[from..]
                            .iter()
                            .zip(&found.studies[from..])
                            .zip(&share.outside[from..])
                            .map(|((c, n), out)| (*c as f64 / (*n).max(1) as f64, *out))
                            .collect(),
                    })
                    .collect(),
                earlier: from,
            })
        }
        .await,
    )
}
