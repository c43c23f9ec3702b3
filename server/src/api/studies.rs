//! `/api/v1/projects/{id}/studies`: a project's studies, searched and filtered like the search page.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sieve_app::ssr::AppState;
use sieve_core::access::Capability;
use sieve_core::reports::Report;
use sieve_core::search::{self, Filter, TypedFilter};
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorBody;
use super::{ApiCaller, ApiError, ApiQuery, ProjectId, StudyId};

/// Studies per page.
pub const PER_PAGE: usize = 50;
/// The deepest page served: narrow the query rather than paging through millions of studies.
pub const MAX_PAGE: u32 = 100_000;

/// The search and its filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StudiesQuery {
    /// Words, "phrases", `*` endings, -excluded and OR, read as the search page reads them
    /// (`sieve_core::search::query`); an impossible search (only punctuation, a `*` inside a word)
    /// is answered 400 with what to change.
    pub q: Option<String>,
    /// First study day, YYYY-MM-DD.
    pub from: Option<String>,
    /// Last study day, YYYY-MM-DD.
    pub to: Option<String>,
    /// Exam codes, comma-separated.
    pub exam_code: Option<String>,
    /// Modalities, comma-separated.
    pub modality: Option<String>,
    /// Body parts, comma-separated.
    pub body_part: Option<String>,
    /// Page number, from 0.
    #[param(minimum = 0, maximum = 100000)]
    pub page: Option<u32>,
}

/// A study: the report's identifiers and metadata, pseudonymous. The images' location is not
/// among them: it often names the patient and the accession (label sets link to it instead).
#[derive(Debug, Serialize, ToSchema)]
pub struct Study {
    pub id: i64,
    pub accession: String,
    pub patient_ref: String,
    pub study_date: String,
    pub exam_code: String,
    pub modality: String,
    pub body_part: String,
    /// The report's text (only when one study is asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_text: Option<String>,
    /// Where the query matched, in plain text (only in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

/// One page of studies.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudyPage {
    pub total: usize,
    pub page: u32,
    pub per_page: usize,
    pub studies: Vec<Study>,
}

fn study(report: Report, report_text: Option<String>, snippet: Option<String>) -> Study {
    Study {
        id: report.id,
        accession: report.accession,
        patient_ref: report.patient_ref,
        study_date: report.study_date,
        exam_code: report.exam_code,
        modality: report.modality,
        body_part: report.body_part,
        report_text,
        snippet,
    }
}

/// Lists a project's studies that match the query and filters, best first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/studies", tag = "studies",
    params(("id" = i64, Path, description = "Project id"), StudiesQuery),
    responses(
        (status = 200, body = StudyPage),
        (status = 400, description = "A malformed parameter or query", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The protocol has expired, or the role may not read reports", body = ErrorBody),
        (status = 404, description = "No such project, or the caller is not a member", body = ErrorBody),
    ))]
pub async fn list_studies(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    ApiQuery(query): ApiQuery<StudiesQuery>,
) -> Result<Json<StudyPage>, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ReadReports)
        .await?;
    let filter: Filter = TypedFilter {
        text: typed(&query.q),
        date_from: typed(&query.from),
        date_to: typed(&query.to),
        exam_codes: typed(&query.exam_code),
        modalities: typed(&query.modality),
        body_parts: typed(&query.body_part),
    }
    .into();
    let page = query.page.unwrap_or(0);
    if page > MAX_PAGE {
        return Err(ApiError::BadRequest(format!(
            "page: {page} is past the last page this API serves ({MAX_PAGE})"
        )));
    }
    let offset = (page as usize).saturating_mul(PER_PAGE);
    let found = search::search_reports(
        &state.pool,
        &state.indexes,
        project_id,
        &filter,
        offset,
        PER_PAGE,
        &caller.user.name,
    )
    .await
    .map_err(query_error)?;
    let studies = found
        .results
        .into_iter()
        .map(|(report, fragments)| {
            let snippet = fragments
                .into_iter()
                .map(|fragment| fragment.text)
                .collect::<String>();
            study(report, None, Some(snippet))
        })
        .collect();
    Ok(Json(StudyPage {
        total: found.total,
        page,
        per_page: PER_PAGE,
        studies,
    }))
}

/// Returns one study with its report text (the view is audited).
#[utoipa::path(get, path = "/api/v1/projects/{id}/studies/{study}", tag = "studies",
    params(("id" = i64, Path, description = "Project id"), ("study" = i64, Path, description = "Study id")),
    responses(
        (status = 200, body = Study),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn get_study(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    StudyId(study_id): StudyId,
) -> Result<Json<Study>, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ReadReports)
        .await?;
    let (report, _) = search::view_report(
        &state.pool,
        &state.indexes,
        project_id,
        study_id,
        &Filter::default(),
        &caller.user.name,
    )
    .await?;
    let text = report.report_text.clone();
    Ok(Json(study(report, Some(text), None)))
}

/// A query parameter as typed, absent meaning empty.
fn typed(field: &Option<String>) -> &str {
    field.as_deref().unwrap_or_default()
}

/// A malformed query or date is the caller's to fix: 400.
fn query_error(error: sieve_core::Error) -> ApiError {
    match error {
        sieve_core::Error::Invalid(message) => ApiError::BadRequest(message),
        other => other.into(),
    }
}
