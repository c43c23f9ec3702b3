//! `/api/v1/projects/{id}/questions`: a project's questions, as the label sets page offers them to
//! export (fellows and scientists).

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use sieve_app::ssr::AppState;
use sieve_core::access::Capability;
use sieve_core::questions;
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::{ApiCaller, ApiError, ProjectId};

/// A question of a project.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionSummary {
    pub id: i64,
    pub name: String,
    /// Its labels, in the question's order (a label set's class indexes follow it).
    pub labels: Vec<String>,
    /// The saved cohort its studies come from; `null`: every study of the project.
    pub cohort_id: Option<i64>,
    /// The cohort's name.
    pub cohort: Option<String>,
    /// The current version of its rules: the one soft labels come from.
    pub rule_version: i64,
}

/// Lists a project's active questions by name (fellows and scientists, as the label sets page).
#[utoipa::path(get, path = "/api/v1/projects/{id}/questions", tag = "questions",
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, body = [QuestionSummary]),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The protocol has expired, or the role may not export labels", body = ErrorBody),
        (status = 404, description = "No such project, or the caller is not a member", body = ErrorBody),
    ))]
pub async fn list_questions(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
) -> Result<Json<Vec<QuestionSummary>>, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ExportLabels)
        .await?;
    let mut listed = Vec::new();
    for question in questions::list(&state.pool, project_id).await? {
        let rules = questions::rules(&state.pool, question.id, None).await?;
        let cohort = match question.cohort_id {
            Some(id) => Some(sieve_core::cohorts::name(&state.pool, project_id, id).await?),
            None => None,
        };
        listed.push(QuestionSummary {
            id: question.id,
            name: question.name,
            labels: question.labels,
            cohort_id: question.cohort_id,
            cohort,
            rule_version: rules.version,
        });
    }
    Ok(Json(listed))
}
