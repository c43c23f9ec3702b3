//! `/api/v1/projects/{id}/questions/{question}/progress`: a question's confirmation queue in
//! figures — the numbers of the fellow's dashboard (`sieve_core::queue::review`) and its agreement
//! measures (`sieve_core::agreement`) — for the fellows, as the dashboard.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use sieve_app::ssr::AppState;
use sieve_core::access::Capability;
use sieve_core::agreement::Measure;
use sieve_core::{questions, queue};
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::labels::FinalSource;
use super::{ApiCaller, ApiError, ProjectId, QuestionId};

/// An agreement measure with the items it rests on.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureFigure {
    /// `null` where the measure is undefined on the answers (fewer than two ratings of an item,
    /// one label only): never a made-up number.
    pub value: Option<f64>,
    /// Studies it was computed on.
    pub items: usize,
}

impl From<Measure> for MeasureFigure {
    fn from(measure: Measure) -> Self {
        MeasureFigure {
            value: measure.value,
            items: measure.items,
        }
    }
}

/// Agreement between two affiliates, on the studies both answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct PairFigures {
    pub a: String,
    pub b: String,
    /// A share from 0 to 1.
    pub percent_agreement: MeasureFigure,
    pub cohen_kappa: MeasureFigure,
}

/// Inter-rater agreement over the queue's answers (gold items aside), as the dashboard shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementFigures {
    /// Studies answered.
    pub items: usize,
    /// Affiliates who answered.
    pub raters: usize,
    /// Answers counted.
    pub ratings: usize,
    /// Mean share of agreeing pairs of answers per study with two or more, 0 to 1.
    pub percent_agreement: MeasureFigure,
    /// Fleiss' kappa, over the studies with the most common number of answers (two or more).
    pub fleiss_kappa: MeasureFigure,
    /// Krippendorff's alpha, nominal.
    pub krippendorff_alpha: MeasureFigure,
    /// Gwet's AC1.
    pub gwet_ac1: MeasureFigure,
    /// Cohen's kappa and percent agreement for each pair of affiliates.
    pub pairs: Vec<PairFigures>,
}

/// Studies of the queue whose final label comes from one source.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceCount {
    pub source: FinalSource,
    pub studies: u64,
}

/// A question's queue: how far it is, and how well the affiliates agree.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueProgress {
    pub question_id: i64,
    /// Studies in the queue, gold items aside (0 until a fellow builds it).
    pub tasks: i64,
    /// Studies with all the answers they need.
    pub completed: i64,
    /// Answers recorded, gold items included.
    pub answers: i64,
    /// Answers the whole queue still needs from any rater, those being given now included (as the
    /// dashboard and the labeling page show it).
    pub still_needed: i64,
    /// Studies in the gold set.
    pub gold_items: i64,
    /// The dashboard's final labels by source: studies answered or decided by a fellow. Every
    /// study's final label, soft ones included, is at `.../labels`.
    pub finals: Vec<SourceCount>,
    pub agreement: AgreementFigures,
}

/// Returns a question's queue progress and agreement figures (the project's fellows, as the
/// dashboard).
#[utoipa::path(get, path = "/api/v1/projects/{id}/questions/{question}/progress", tag = "questions",
    params(("id" = i64, Path, description = "Project id"), ("question" = i64, Path, description = "Question id")),
    responses(
        (status = 200, body = QueueProgress),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The protocol has expired, or the caller is not a fellow", body = ErrorBody),
        (status = 404, description = "No such project or question, or the caller is not a member", body = ErrorBody),
    ))]
pub async fn queue_progress(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    QuestionId(question_id): QuestionId,
) -> Result<Json<QueueProgress>, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ManageRules)
        .await?;
    let question = questions::get(&state.pool, project_id, question_id).await?;
    let review = queue::review(&state.pool, &question).await?;
    let agreement = review.agreement;
    Ok(Json(QueueProgress {
        question_id: question.id,
        tasks: review.tasks,
        completed: review.completed,
        answers: review.answers,
        still_needed: review.still_needed,
        gold_items: review.gold_items,
        finals: review
            .finals
            .into_iter()
            .map(|(source, studies)| SourceCount {
                source: source.into(),
                studies,
            })
            .collect(),
        agreement: AgreementFigures {
            items: agreement.items,
            raters: agreement.raters,
            ratings: agreement.ratings,
            percent_agreement: agreement.percent_agreement.into(),
            fleiss_kappa: agreement.fleiss_kappa.into(),
            krippendorff_alpha: agreement.krippendorff_alpha.into(),
            gwet_ac1: agreement.gwet_ac1.into(),
            pairs: agreement
                .pairs
                .into_iter()
                .map(|pair| PairFigures {
                    a: pair.a,
                    b: pair.b,
                    percent_agreement: pair.percent_agreement.into(),
                    cohen_kappa: pair.cohen_kappa.into(),
                })
                .collect(),
        },
    }))
}
