//! The fellow's side of a question's queue: the dashboard (counts, agreement, gold scores, rule
//! precision, disagreements, final labels by source), building the queue, the gold set and
//! adjudication. Every function needs the project's `ManageRules` capability.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::rules::reports::Marked;
use crate::error::AppError;

/// The queue's settings as the fellow's form edits them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueForm {
    /// Percent of studies labeled by several raters.
    pub overlap_percent: f64,
    pub overlap_raters: i64,
    pub gold_percent: f64,
    pub claim_minutes: i64,
    /// Soft labels to queue, comma-separated; empty: all.
    pub labels: String,
}

/// A measure with the items it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureView {
    pub name: String,
    pub value: Option<f64>,
    pub items: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaterView {
    pub name: String,
    pub answers: u64,
    pub mean_seconds: Option<f64>,
    pub gold_answered: u64,
    pub gold_accuracy: Option<f64>,
    pub recall: Vec<(String, Option<f64>)>,
    pub confusion: Vec<Vec<u64>>,
}

/// An answer given before its report's text changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerToReviewRow {
    pub report_id: i64,
    pub accession: String,
    pub rater: String,
    pub label: String,
}

/// One rater's answer to a study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaterAnswerRow {
    pub rater: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisagreementView {
    pub report_id: i64,
    pub accession: String,
    pub soft_label: Option<String>,
    pub answers: Vec<RaterAnswerRow>,
}

/// Agreement between two affiliates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairView {
    pub a: String,
    pub b: String,
    pub items: usize,
    pub cohen_kappa: Option<f64>,
    pub percent_agreement: Option<f64>,
}

/// The fellow's dashboard of a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewView {
    pub project_name: String,
    pub question: String,
    pub labels: Vec<String>,
    pub form: QueueForm,
    pub tasks: i64,
    pub completed: i64,
    pub answers: i64,
    pub gold_items: i64,
    pub measures: Vec<MeasureView>,
    pub pairs: Vec<PairView>,
    pub raters: Vec<RaterView>,
    pub rules: Vec<RulePrecisionView>,
    pub disagreements: Vec<DisagreementView>,
    pub finals: Vec<SourceCount>,
    /// Answers given before their report's text changed (an amended report), to review.
    pub before_amendment: Vec<AnswerToReviewRow>,
    /// Studies that need several raters' answers (the overlap).
    pub overlapped: i64,
    /// Answers the queue still needs from any rater (as the labeling page says it).
    pub still_needed: i64,
    /// Answers the queued studies need in all.
    pub needed: i64,
    /// The gold items, the latest set first.
    pub gold: Vec<GoldRow>,
}

/// How often the answers agree with the soft label a rule gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulePrecisionView {
    pub phrase: String,
    pub answers: u64,
    pub agreeing: u64,
    /// agreeing / answers; `None` without answers.
    pub precision: Option<f64>,
}

/// How many studies' final labels come from one source, and what the source means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceCount {
    /// As in label sets and the API: `adjudicated`, `gold`, `agreed`, `confirmed`, `disputed`, `soft`.
    pub source: String,
    pub studies: u64,
    pub meaning: String,
}

/// A gold item in the fellow's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldRow {
    pub report_id: i64,
    pub accession: String,
    pub label: String,
    pub set_by: String,
    pub set_at: String,
}

/// A disagreement as the adjudication viewer shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisputeView {
    pub report_id: i64,
    pub accession: String,
    pub fragments: Vec<Marked>,
    pub soft_label: Option<String>,
    pub rule_phrase: Option<String>,
    pub answers: Vec<RaterAnswerRow>,
    pub adjudicated: Option<String>,
}

/// One study of the queue with every answer, for the fellow to settle.
#[server(endpoint = "dispute")]
pub async fn dispute(project: i64, question: i64, report: i64) -> Result<DisputeView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let caller =
                crate::api::queue::server::caller(project, question, Capability::ManageRules)
                    .await?;
            let pool = &caller.state.pool;
            let (found, answers) =
                sieve_core::queue::open_dispute(pool, &caller.question, report, &caller.user)
                    .await?;
            let mentions = match &answers.rule_phrase {
                Some(phrase) => {
                    sieve_core::soft_labels::mentions_of(
                        &caller.state.labeling(),
                        &caller.question,
                        phrase,
                        answers.soft_label.as_deref(),
                        &found.report_text,
                    )
                    .await?
                }
                None => Vec::new(),
            };
            Ok(DisputeView {
                report_id: report,
                accession: found.accession,
                fragments: crate::api::rules::reports::marked(&found.report_text, &mentions),
                soft_label: answers.soft_label,
                rule_phrase: answers.rule_phrase,
                answers: rows_of(answers.answers),
                adjudicated: answers.adjudicated,
            })
        }
        .await,
    )
}

/// The fellow's dashboard of a question's queue.
#[server(endpoint = "queue_review")]
pub async fn queue_review(project: i64, question: i64) -> Result<ReviewView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let caller =
                crate::api::queue::server::caller(project, question, Capability::ManageRules)
                    .await?;
            let pool = &caller.state.pool;
            let review = sieve_core::queue::review(pool, &caller.question).await?;
            let ids: Vec<i64> = review.disagreements.iter().map(|d| d.report_id).collect();
            let accessions: std::collections::HashMap<i64, String> =
                sieve_core::reports::find_many(pool, project, &ids)
                    .await?
                    .into_iter()
                    .map(|r| (r.id, r.accession))
                    .collect();
            let a = &review.agreement;
            let measure = |name: &str, m: &sieve_core::agreement::Measure| MeasureView {
                name: name.to_string(),
                value: m.value,
                items: m.items,
            };
            let settings = &review.settings;
            let gold = sieve_core::queue::gold_items(&caller.state.pool, &caller.question)
                .await?
                .into_iter()
                .map(|item| GoldRow {
                    report_id: item.report_id,
                    accession: item.accession,
                    label: item.label,
                    set_by: item.set_by.unwrap_or_default(),
                    set_at: sieve_core::audit::format_time(item.set_at),
                })
                .collect();
            Ok(ReviewView {
                gold,
                project_name: caller.project_name.clone(),
                question: caller.question.name.clone(),
                labels: caller.question.labels.clone(),
                form: QueueForm {
                    overlap_percent: as_percent(settings.overlap_share),
                    overlap_raters: settings.overlap_raters,
                    gold_percent: as_percent(settings.gold_rate),
                    claim_minutes: settings.claim_seconds / 60,
                    labels: settings.labels.join(", "),
                },
                still_needed: review.still_needed,
                needed: review.needed,
                tasks: review.tasks,
                completed: review.completed,
                overlapped: review.overlapped,
                answers: review.answers,
                gold_items: review.gold_items,
                measures: vec![
                    measure("Percent agreement", &a.percent_agreement),
                    measure("Fleiss' kappa", &a.fleiss_kappa),
                    measure("Krippendorff's alpha", &a.krippendorff_alpha),
                    measure("Gwet's AC1", &a.gwet_ac1),
                ],
                pairs: a
                    .pairs
                    .iter()
                    .map(|p| PairView {
                        a: p.a.clone(),
                        b: p.b.clone(),
                        items: p.cohen_kappa.items,
                        cohen_kappa: p.cohen_kappa.value,
                        percent_agreement: p.percent_agreement.value,
                    })
                    .collect(),
                raters: review
                    .raters
                    .iter()
                    .map(|r| RaterView {
                        name: r.name.clone(),
                        answers: r.answers,
                        mean_seconds: r.mean_seconds,
                        gold_answered: r.gold.answered,
                        gold_accuracy: r.gold.accuracy,
                        recall: r.gold.recall.clone(),
                        confusion: r.gold.confusion.clone(),
                    })
                    .collect(),
                rules: review
                    .rules
                    .iter()
                    .map(|r| RulePrecisionView {
                        phrase: r.phrase.clone(),
                        answers: r.answers,
                        agreeing: r.agreeing,
                        precision: r.precision,
                    })
                    .collect(),
                disagreements: review
                    .disagreements
                    .into_iter()
                    .map(|d| DisagreementView {
                        accession: accessions.get(&d.report_id).cloned().unwrap_or_default(),
                        report_id: d.report_id,
                        soft_label: d.soft_label,
                        answers: rows_of(d.answers),
                    })
                    .collect(),
                before_amendment: review
                    .before_amendment
                    .into_iter()
                    .map(|answer| AnswerToReviewRow {
                        report_id: answer.report_id,
                        accession: answer.accession,
                        rater: answer.rater,
                        label: answer.label,
                    })
                    .collect(),
                finals: review
                    .finals
                    .iter()
                    .map(|(source, count)| SourceCount {
                        source: source.name().to_string(),
                        studies: *count,
                        meaning: source.meaning().to_string(),
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// Saves the queue settings and (re)builds the queue from the current soft labels; returns
/// (studies queued, of them overlapped).
#[server(endpoint = "build_queue")]
pub async fn build_queue(
    project: i64,
    question: i64,
    form: QueueForm,
) -> Result<(u64, u64), AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let caller =
                crate::api::queue::server::caller(project, question, Capability::ManageRules)
                    .await?;
            let labels = form
                .labels
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            let settings = sieve_core::queue::Settings {
                overlap_share: form.overlap_percent / 100.0,
                overlap_raters: form.overlap_raters,
                gold_rate: form.gold_percent / 100.0,
                claim_seconds: form.claim_minutes.saturating_mul(60),
                labels,
            };
            let built = sieve_core::queue::build(
                &caller.state.labeling(),
                &caller.question,
                &settings,
                Some(&caller.user),
            )
            .await?;
            Ok((built.queued, built.overlapped))
        }
        .await,
    )
}

/// Marks the true label of the study with `accession` in the gold set (an empty label removes
/// it); returns what was done, in a sentence naming the study.
#[server(endpoint = "set_gold")]
pub async fn set_gold(
    project: i64,
    question: i64,
    accession: String,
    label: String,
) -> Result<String, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let caller = crate::api::queue::server::caller(project, question, Capability::ManageRules).await?;
            let label = Some(label.trim()).filter(|l| !l.is_empty());
            let accession = accession.trim();
            if accession.is_empty() {
                return Err(AppError::Invalid(
                    "Accession: type the study's accession, as on its report.".into(),
                ));
            }
            // A mistyped accession is the form's to fix, said as such (not a missing page).
            let report = match sieve_core::reports::id_of(&caller.state.pool, project, accession).await {
                Err(sieve_core::Error::NotFound(_)) => {
                    return Err(AppError::Invalid(format!(
                        "No study of this project has the accession “{accession}”: copy it from the report or a search result."
                    )))
                }
                found => found?,
            };
            let change = sieve_core::queue::set_gold(
                &caller.state.labeling(),
                &caller.question,
                report,
                label,
                Some(&caller.user),
            )
            .await?;
            let accession = change.accession;
            Ok(match (label, change.was) {
                (Some(label), Some(was)) if label == was => {
                    format!("{accession} is already a gold item as “{label}”: nothing changed.")
                }
                (Some(label), Some(was)) => format!(
                    "Gold label of {accession} changed from “{was}” to “{label}”."
                ),
                (Some(label), None) => format!("Gold item saved: {accession} is “{label}”."),
                (None, was) => format!(
                    "{accession} is no longer a gold item (it was “{}”).",
                    was.unwrap_or_default()
                ),
            })
        }
        .await,
    )
}

/// Settles a disagreement with a label; returns what was done, in a sentence naming the study.
#[server(endpoint = "adjudicate")]
pub async fn adjudicate(
    project: i64,
    question: i64,
    report: i64,
    label: String,
) -> Result<String, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let caller =
                crate::api::queue::server::caller(project, question, Capability::ManageRules)
                    .await?;
            let accession = sieve_core::queue::adjudicate(
                &caller.state.pool,
                &caller.question,
                report,
                &label,
                Some(&caller.user),
            )
            .await?;
            Ok(format!(
                "Settled {accession} as “{label}”: its final label is now adjudicated."
            ))
        }
        .await,
    )
}

/// A share (0.07) as the percent the form shows (7, not 7.000000000000001): to a millionth of a
/// percent.
#[cfg(feature = "ssr")]
fn as_percent(share: f64) -> f64 {
    (share * 100.0 * 1e6).round() / 1e6
}

/// Raters' answers as the pages show them.
#[cfg(feature = "ssr")]
fn rows_of(answers: Vec<sieve_core::queue::RaterAnswer>) -> Vec<RaterAnswerRow> {
    answers
        .into_iter()
        .map(|answer| RaterAnswerRow {
            rater: answer.rater,
            label: answer.label,
        })
        .collect()
}
