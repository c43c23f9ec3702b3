//! Labeling a question's queue (affiliates and fellows answer; the fellow's dashboard, gold set
//! and adjudication are `api/review`). An affiliate only ever receives their own study and
//! progress: never gold labels nor other affiliates' answers.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::rules::reports::Marked;
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
    /// The soft label, pre-selected unless `taken_back` is (nothing is when the report changed).
    pub soft_label: Option<String>,
    pub rule_phrase: Option<String>,
    /// The caller's answer that undo just took back, pre-selected.
    pub taken_back: Option<String>,
    /// The caller's answer given before this report's text changed, named (not pre-selected):
    /// they read the new text and answer again.
    pub answered_before_change: Option<String>,
    /// The report's text changed after the study was queued: no soft label is suggested.
    pub report_changed: bool,
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use sieve_core::access::Capability;
    use sieve_core::questions::{self, Question};
    use sieve_core::queue::{self, Served, Verdict};

    use super::*;
    use crate::ssr::AppState;

    pub struct QuestionCaller {
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
    ) -> Result<QuestionCaller, AppError> {
        let (state, user, membership) = crate::ssr::require_project(project, capability).await?;
        let question = questions::get(&state.pool, project, question).await?;
        // An archived question's queue is closed; its dashboard stays open to fellows.
        if capability == Capability::Annotate {
            question.check_active()?;
        }
        Ok(QuestionCaller {
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
        caller: &QuestionCaller,
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
                let why = format!("This study is no longer yours to {action} — it was answered in another tab, decided by the fellow, or its claim expired; {now}.");
                (served, Some(why))
            }
        };
        let mut view = study_view(caller, served).await?;
        view.refused = refused;
        Ok(view)
    }

    /// The view of a served study (or of an empty queue) with the caller's progress.
    pub async fn study_view(
        caller: &QuestionCaller,
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
                    fragments: crate::api::rules::reports::marked(&report.report_text, &mentions),
                    soft_label: served.soft_label,
                    rule_phrase: served.rule_phrase,
                    taken_back: served.taken_back,
                    answered_before_change: served.answered_before_change,
                    report_changed: served.report_changed,
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
            let answers = sieve_core::access::allows(&membership, Capability::Annotate);
            let fellow = sieve_core::access::allows(&membership, Capability::ManageRules);
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
