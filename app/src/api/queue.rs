//! The confirmation queue (affiliates and fellows answer; fellows build it, keep the gold set,
//! read the dashboard and adjudicate). An affiliate only ever receives their own study and
//! progress: never gold labels nor other affiliates' answers.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::rules::Marked;
use crate::error::AppError;

/// A question with a queue, as a member's project page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRow {
    pub question_id: i64,
    pub name: String,
    pub done_today: i64,
    /// The caller's answers in this queue, ever.
    pub done: i64,
    /// Answers the queue still needs from any affiliate.
    pub left: i64,
}

/// The project page's queue section: nothing for members who do not answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuesView {
    pub answers: bool,
    pub fellow: bool,
    pub rows: Vec<QueueRow>,
}

/// Where an affiliate stands (`sieve_core::queue::Progress` says what each number means).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressView {
    /// Whether a fellow has built the queue.
    pub built: bool,
    pub done_today: i64,
    pub done: i64,
    /// Answers the queue still needs from any affiliate.
    pub left: i64,
    /// Studies other affiliates are labeling right now.
    pub held_by_others: i64,
    /// How many different affiliates answer a study in the overlap.
    pub overlap_raters: i64,
    pub seconds_per_study: Option<f64>,
}

/// One study to answer, or none left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyView {
    pub project_name: String,
    pub question: String,
    pub labels: Vec<String>,
    pub study: Option<Study>,
    pub progress: ProgressView,
    /// Why the answer or skip just sent was refused (nothing was written): the study shown is the
    /// one the caller holds now.
    pub refused: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Study {
    pub report_id: i64,
    /// The claim the study is held under: an answer or a skip sends it back.
    pub claim: i64,
    pub accession: String,
    pub study_date: String,
    pub exam_code: String,
    pub fragments: Vec<Marked>,
    /// The soft label, pre-selected.
    pub soft_label: Option<String>,
    pub rule_phrase: Option<String>,
}

/// The queue's settings as the fellow's form edits them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueForm {
    /// Percent of studies labeled by several affiliates.
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisagreementView {
    pub report_id: i64,
    pub accession: String,
    pub soft_label: Option<String>,
    pub answers: Vec<(String, String)>,
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
    /// (phrase, answers, agreeing, precision).
    pub rules: Vec<(String, u64, u64, Option<f64>)>,
    pub disagreements: Vec<DisagreementView>,
    /// (source, studies, what the source means).
    pub finals: Vec<(String, u64, String)>,
    /// Studies that need several affiliates' answers (the overlap).
    pub overlapped: i64,
    /// The gold items, the latest set first.
    pub gold: Vec<GoldRow>,
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

#[cfg(feature = "ssr")]
mod server {
    use sieve_core::access::Capability;
    use sieve_core::questions::{self, Question};
    use sieve_core::queue::{self, Served, Verdict};

    use super::*;
    use crate::ssr::AppState;

    pub struct Caller {
        pub state: AppState,
        pub user_id: i64,
        pub user: String,
        pub project_name: String,
        pub question: Question,
    }

    pub async fn caller(
        project: i64,
        question: i64,
        capability: Capability,
    ) -> Result<Caller, AppError> {
        let (state, user, membership) = crate::ssr::require_project(project, capability).await?;
        let question = questions::get(&state.pool, project, question).await?;
        // An archived question's queue is closed; its dashboard stays open to fellows.
        if capability == Capability::Annotate {
            question.check_active()?;
        }
        Ok(Caller {
            state,
            user_id: user.id,
            user: user.name,
            project_name: membership.project.name,
            question,
        })
    }

    /// The view of what an answer or a skip did: the next study, or the study the caller holds
    /// with why the request was refused.
    pub async fn verdict_view(
        caller: &Caller,
        verdict: Verdict,
        action: &str,
    ) -> Result<StudyView, AppError> {
        let (served, refused) = match verdict {
            Verdict::Recorded(served) => (served, None),
            Verdict::NotHeld(served) => {
                let now = match served {
                    Some(_) => "here is your current study",
                    None => "nothing is left for you in this queue",
                };
                let why = format!("This study is no longer yours to {action} — it was answered in another tab or its claim expired; {now}.");
                (served, Some(why))
            }
        };
        let mut view = study_view(caller, served).await?;
        view.refused = refused;
        Ok(view)
    }

    /// The view of a served study (or of an empty queue) with the caller's progress.
    pub async fn study_view(
        caller: &Caller,
        served: Option<Served>,
    ) -> Result<StudyView, AppError> {
        let pool = &caller.state.pool;
        let study = match served {
            None => None,
            Some(served) => {
                let report =
                    sieve_core::reports::find(pool, caller.question.project_id, served.report_id)
                        .await?;
                let mentions = match &served.rule_phrase {
                    Some(phrase) => {
                        sieve_core::soft_labels::mentions_of(
                            &caller.state.labeling(),
                            &caller.question,
                            phrase,
                            served.soft_label.as_deref(),
                            &report.report_text,
                        )
                        .await?
                    }
                    None => Vec::new(),
                };
                Some(Study {
                    report_id: report.id,
                    claim: served.claim,
                    accession: report.accession,
                    study_date: report.study_date,
                    exam_code: report.exam_code,
                    fragments: crate::api::rules::marked(&report.report_text, &mentions),
                    soft_label: served.soft_label,
                    rule_phrase: served.rule_phrase,
                })
            }
        };
        let progress = queue::progress(pool, caller.question.id, caller.user_id).await?;
        Ok(StudyView {
            project_name: caller.project_name.clone(),
            question: caller.question.name.clone(),
            labels: caller.question.labels.clone(),
            study,
            progress: ProgressView {
                built: progress.built,
                done_today: progress.done_today,
                done: progress.done,
                left: progress.left,
                held_by_others: progress.held_by_others,
                overlap_raters: progress.overlap_raters,
                seconds_per_study: progress.seconds_per_study,
            },
            refused: None,
        })
    }
}

/// The questions of a project that have a queue, with the caller's progress; empty for members who
/// do not answer queues (every member may ask: the project page does).
#[server(endpoint = "my_queues")]
pub async fn my_queues(project: i64) -> Result<QueuesView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, user, membership) =
                crate::ssr::require_project(project, Capability::ViewAggregates).await?;
            let answers = Capability::Annotate.roles().contains(&membership.role);
            let fellow = Capability::ManageRules.roles().contains(&membership.role);
            let mut rows = Vec::new();
            if answers {
                for question in sieve_core::questions::list(&state.pool, project).await? {
                    let progress =
                        sieve_core::queue::progress(&state.pool, question.id, user.id).await?;
                    if progress.left > 0 || progress.done > 0 {
                        rows.push(QueueRow {
                            question_id: question.id,
                            name: question.name,
                            done_today: progress.done_today,
                            done: progress.done,
                            left: progress.left,
                        });
                    }
                }
            }
            Ok(QueuesView {
                answers,
                fellow,
                rows,
            })
        }
        .await,
    )
}

/// The study the caller should answer next (claimed for them).
#[server(endpoint = "queue_study")]
pub async fn queue_study(project: i64, question: i64) -> Result<StudyView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let caller = server::caller(project, question, Capability::Annotate).await?;
            let served = caller
                .state
                .queue
                .next(&caller.question, caller.user_id, &caller.user)
                .await?;
            server::study_view(&caller, served).await
        }
        .await,
    )
}

/// Records the caller's answer to the study they hold under `claim` and returns the next study;
/// when they no longer hold it, records nothing and returns the study they hold, saying why.
#[server(endpoint = "answer_study")]
pub async fn answer_study(
    project: i64,
    question: i64,
    report: i64,
    claim: i64,
    label: String,
) -> Result<StudyView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let caller = server::caller(project, question, Capability::Annotate).await?;
            let verdict = caller
                .state
                .queue
                .answer(
                    &caller.question,
                    caller.user_id,
                    &caller.user,
                    report,
                    claim,
                    &label,
                )
                .await?;
            server::verdict_view(&caller, verdict, "answer").await
        }
        .await,
    )
}

/// Takes back the caller's last answer and returns that study again.
#[server(endpoint = "undo_answer")]
pub async fn undo_answer(project: i64, question: i64) -> Result<StudyView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let caller = server::caller(project, question, Capability::Annotate).await?;
            let queue = &caller.state.queue;
            let (question, user_id, actor) = (&caller.question, caller.user_id, &caller.user);
            let served = match queue.undo(question, user_id, actor).await? {
                Some(served) => Some(served),
                None => queue.next(question, user_id, actor).await?,
            };
            server::study_view(&caller, served).await
        }
        .await,
    )
}

/// Skips the study the caller holds under `claim` and returns the next; refused like an answer
/// when they no longer hold it.
#[server(endpoint = "skip_study")]
pub async fn skip_study(
    project: i64,
    question: i64,
    report: i64,
    claim: i64,
) -> Result<StudyView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let caller = server::caller(project, question, Capability::Annotate).await?;
            let verdict = caller
                .state
                .queue
                .skip(
                    &caller.question,
                    caller.user_id,
                    &caller.user,
                    report,
                    claim,
                )
                .await?;
            server::verdict_view(&caller, verdict, "skip").await
        }
        .await,
    )
}

/// A disagreement as the adjudication viewer shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisputeView {
    pub report_id: i64,
    pub accession: String,
    pub fragments: Vec<Marked>,
    pub soft_label: Option<String>,
    pub rule_phrase: Option<String>,
    pub answers: Vec<(String, String)>,
    pub adjudicated: Option<String>,
}

/// One study of the queue with every answer, for the fellow to settle.
#[server(endpoint = "dispute")]
pub async fn dispute(project: i64, question: i64, report: i64) -> Result<DisputeView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let caller = server::caller(project, question, Capability::ManageRules).await?;
            let pool = &caller.state.pool;
            let found = sieve_core::reports::find(pool, project, report).await?;
            let answers = sieve_core::queue::study_answers(pool, &caller.question, report).await?;
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
            let event = sieve_core::audit::NewEvent {
                actor: Some(&caller.user),
                project_id: Some(project),
                object: Some(format!("report:{report}")),
                detail: Some(format!("adjudication of {}", caller.question.name)),
            };
            sieve_core::audit::record(pool, sieve_core::audit::Action::ReportViewed, event).await?;
            Ok(DisputeView {
                report_id: report,
                accession: found.accession,
                fragments: crate::api::rules::marked(&found.report_text, &mentions),
                soft_label: answers.soft_label,
                rule_phrase: answers.rule_phrase,
                answers: answers.answers,
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
            let caller = server::caller(project, question, Capability::ManageRules).await?;
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
                    overlap_percent: settings.overlap_share * 100.0,
                    overlap_raters: settings.overlap_raters,
                    gold_percent: settings.gold_rate * 100.0,
                    claim_minutes: settings.claim_seconds / 60,
                    labels: settings.labels.join(", "),
                },
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
                    .map(|r| (r.phrase.clone(), r.answers, r.agreeing, r.precision))
                    .collect(),
                disagreements: review
                    .disagreements
                    .into_iter()
                    .map(|d| DisagreementView {
                        accession: accessions.get(&d.report_id).cloned().unwrap_or_default(),
                        report_id: d.report_id,
                        soft_label: d.soft_label,
                        answers: d.answers,
                    })
                    .collect(),
                finals: review
                    .finals
                    .iter()
                    .map(|(source, count)| {
                        let name = format!("{source:?}").to_lowercase();
                        (name, *count, source.meaning().to_string())
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
            let caller = server::caller(project, question, Capability::ManageRules).await?;
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
            let caller = server::caller(project, question, Capability::ManageRules).await?;
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
            sieve_core::queue::set_gold(
                &caller.state.labeling(),
                &caller.question,
                report,
                label,
                Some(&caller.user),
            )
            .await?;
            Ok(match label {
                Some(label) => format!("Gold item saved: {accession} is “{label}”."),
                None => format!("{accession} is no longer a gold item."),
            })
        }
        .await,
    )
}

/// Settles a disagreement with a label.
#[server(endpoint = "adjudicate")]
pub async fn adjudicate(
    project: i64,
    question: i64,
    report: i64,
    label: String,
) -> Result<(), AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let caller = server::caller(project, question, Capability::ManageRules).await?;
            sieve_core::queue::adjudicate(
                &caller.state.pool,
                &caller.question,
                report,
                &label,
                Some(&caller.user),
            )
            .await?;
            Ok(())
        }
        .await,
    )
}
