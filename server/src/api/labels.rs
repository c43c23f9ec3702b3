//! `/api/v1/projects/{id}/questions/{question}/labels`: a question's labels study by study — the
//! soft label of the current rules, and the final label with its source exactly as a label set
//! would take it (`sieve_core::label_sets::Evidence`) — paged and filtered, for scientists' scripts
//! (fellows and scientists, as the label sets page).

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sieve_app::ssr::AppState;
use sieve_core::access::Capability;
use sieve_core::label_sets::{Evidence, LabelFilter, StudyLabel};
use sieve_core::questions;
use sieve_core::queue::Source;
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorBody;
use super::{ApiCaller, ApiError, ApiQuery, ProjectId, QuestionId};

/// Studies per page unless `per_page` says otherwise.
pub const DEFAULT_PER_PAGE: u32 = 100;
/// The most studies one page holds.
pub const MAX_PER_PAGE: u32 = 1000;
/// The deepest page served.
pub const MAX_PAGE: u32 = 1_000_000;

/// Where a study's final label comes from, strongest first: a fellow's adjudication, the fellow's
/// true label of a gold item, two or more affiliates who agree, one affiliate's confirmation,
/// affiliates who disagree with nobody to decide (the soft label stands), or the soft label alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FinalSource {
    Adjudicated,
    Gold,
    Agreed,
    Confirmed,
    Disputed,
    Soft,
}

impl From<Source> for FinalSource {
    fn from(source: Source) -> Self {
        match source {
            Source::Adjudicated => FinalSource::Adjudicated,
            Source::Gold => FinalSource::Gold,
            Source::Agreed => FinalSource::Agreed,
            Source::Confirmed => FinalSource::Confirmed,
            Source::Disputed => FinalSource::Disputed,
            Source::Soft => FinalSource::Soft,
        }
    }
}

impl From<FinalSource> for Source {
    fn from(source: FinalSource) -> Self {
        match source {
            FinalSource::Adjudicated => Source::Adjudicated,
            FinalSource::Gold => Source::Gold,
            FinalSource::Agreed => Source::Agreed,
            FinalSource::Confirmed => Source::Confirmed,
            FinalSource::Disputed => Source::Disputed,
            FinalSource::Soft => Source::Soft,
        }
    }
}

/// Which studies, and which page of them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LabelsQuery {
    /// Only studies whose final label is this one (one of the question's labels; another is 400).
    pub label: Option<String>,
    /// Only studies whose final label comes from this source.
    pub source: Option<FinalSource>,
    /// Page number, from 0.
    #[param(minimum = 0, maximum = 1000000)]
    pub page: Option<u32>,
    /// Studies per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub per_page: Option<u32>,
}

/// One study's labels for the question.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudyLabels {
    /// The study's id, as `/studies/{study}` takes it.
    pub study_id: i64,
    pub accession: String,
    /// The soft label of the current rules; `null`: no rule labels the study.
    pub soft_label: Option<String>,
    /// The final label, as a label set takes it.
    pub label: String,
    pub source: FinalSource,
    /// Affiliates' answers the final label rests on (answers to gold items aside).
    pub answers: usize,
    /// Share of those answers that agree with the final label, 0 to 1; `null` with fewer than two.
    pub agreement: Option<f64>,
}

/// One page of a question's labels.
#[derive(Debug, Serialize, ToSchema)]
pub struct LabelPage {
    pub question_id: i64,
    /// The version of the rules the soft labels come from.
    pub rule_version: i64,
    /// Studies that pass the filters, on every page.
    pub total: usize,
    pub page: u32,
    pub per_page: u32,
    /// In study id order.
    pub studies: Vec<StudyLabels>,
}

/// Lists a question's studies with their soft label and final label, in study id order: every
/// study with a soft label, an answer or a fellow's decision. Identifiers are those of
/// `/studies`: never the patient's.
#[utoipa::path(get, path = "/api/v1/projects/{id}/questions/{question}/labels", tag = "questions",
    params(("id" = i64, Path, description = "Project id"), ("question" = i64, Path, description = "Question id"), LabelsQuery),
    responses(
        (status = 200, body = LabelPage),
        (status = 400, description = "A malformed parameter, a label the question does not have, a source that is not one, per_page outside 1 to 1000", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The protocol has expired, or the role may not export labels", body = ErrorBody),
        (status = 404, description = "No such project or question, or the caller is not a member", body = ErrorBody),
        (status = 503, description = "The project's search index is not ready yet", body = ErrorBody),
    ))]
pub async fn list_labels(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    QuestionId(question_id): QuestionId,
    ApiQuery(query): ApiQuery<LabelsQuery>,
) -> Result<Json<LabelPage>, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ExportLabels)
        .await?;
    let page = query.page.unwrap_or(0);
    if page > MAX_PAGE {
        return Err(ApiError::BadRequest(format!(
            "page: {page} is past the last page this API serves ({MAX_PAGE})"
        )));
    }
    let per_page = query.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(ApiError::BadRequest(format!(
            "per_page: give 1 to {MAX_PER_PAGE} studies a page, not {per_page}"
        )));
    }
    let question = questions::get(&state.pool, project_id, question_id).await?;
    if let Some(label) = &query.label {
        question.check_label(label).map_err(bad_request)?;
    }
    let rules = questions::rules(&state.pool, question.id, None).await?;
    let rule_version = rules.version;
    let evidence = Evidence::read(&state.labeling(), &question, rules).await?;
    let filter = LabelFilter {
        label: query.label,
        source: query.source.map(Source::from),
    };
    let offset = page as usize * per_page as usize;
    // Resolving every study of a large project is CPU work: off the runtime.
    let (total, listed) = tokio::task::spawn_blocking(move || {
        let mut total = 0;
        let mut listed: Vec<StudyLabel> = Vec::new();
        for study in evidence.study_labels(&filter) {
            if total >= offset && listed.len() < per_page as usize {
                listed.push(study);
            }
            total += 1;
        }
        (total, listed)
    })
    .await
    .map_err(|error| sieve_core::Error::Internal(error.to_string()))?;
    let ids: Vec<i64> = listed.iter().map(|study| study.report_id).collect();
    let accessions: HashMap<i64, String> =
        sieve_core::reports::find_many(&state.pool, project_id, &ids)
            .await?
            .into_iter()
            .map(|report| (report.id, report.accession))
            .collect();
    let studies = listed
        .into_iter()
        .map(|study| StudyLabels {
            accession: accessions
                .get(&study.report_id)
                .cloned()
                .unwrap_or_default(),
            study_id: study.report_id,
            soft_label: study.soft_label,
            label: study.final_label.label,
            source: study.final_label.source.into(),
            answers: study.answers,
            agreement: study.final_label.agreement,
        })
        .collect();
    Ok(Json(LabelPage {
        question_id: question.id,
        rule_version,
        total,
        page,
        per_page,
        studies,
    }))
}

/// A parameter that does not fit the question is the caller's to fix: 400.
fn bad_request(error: sieve_core::Error) -> ApiError {
    match error {
        sieve_core::Error::Invalid(message) => ApiError::BadRequest(message),
        other => other.into(),
    }
}
