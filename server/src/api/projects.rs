//! `/api/v1/me` and `/api/v1/projects`: who the caller is and the projects they can reach.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use sieve_app::ssr::AppState;
use sieve_core::access::Capability;
use sieve_core::projects::Listed;
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::{ApiCaller, ApiError, ProjectId};

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub name: String,
    pub is_admin: bool,
    /// The project the token is limited to, if it is.
    pub token_project_id: Option<i64>,
}

/// A project the caller is a member of.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectSummary {
    pub id: i64,
    pub name: String,
    pub irb_protocol: String,
    /// The protocol's last valid day (YYYY-MM-DD), if any.
    pub irb_expires_on: Option<String>,
    pub closed: bool,
    /// The caller's role: fellow, affiliate or scientist.
    pub role: String,
    pub report_count: i64,
}

impl From<Listed> for ProjectSummary {
    fn from(listed: Listed) -> Self {
        let membership = listed.membership;
        ProjectSummary {
            id: membership.project.id,
            closed: membership.project.is_closed(),
            name: membership.project.name,
            irb_protocol: membership.project.irb_protocol,
            irb_expires_on: membership.project.irb_expires_on,
            role: membership.role.to_string(),
            report_count: listed.report_count,
        }
    }
}

/// Returns who the token or session belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "projects",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(caller: ApiCaller) -> Json<Me> {
    Json(Me {
        name: caller.user.name,
        is_admin: caller.user.is_admin,
        token_project_id: caller.caller.token_project,
    })
}

/// Lists the projects the caller is a member of (only the token's project for a project token).
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects",
    responses((status = 200, body = [ProjectSummary]), (status = 401, body = ErrorBody)))]
pub async fn list_projects(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<ProjectSummary>>, ApiError> {
    let memberships = sieve_core::projects::memberships_of(&state.pool, caller.user.id).await?;
    let reachable = memberships.into_iter().filter(|listed| {
        caller
            .caller
            .token_project
            .is_none_or(|scope| scope == listed.membership.project.id)
    });
    Ok(Json(reachable.map(ProjectSummary::from).collect()))
}

/// Returns one project; 404 unless the caller is a member (and the token reaches it).
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, body = ProjectSummary),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such project, or the caller is not a member", body = ErrorBody)
    ))]
pub async fn get_project(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(id): ProjectId,
) -> Result<Json<ProjectSummary>, ApiError> {
    let membership = caller
        .authorize(&state, id, Capability::ViewAggregates)
        .await?;
    let report_count = sieve_core::reports::count(&state.pool, id).await?;
    Ok(Json(
        Listed {
            membership,
            report_count,
        }
        .into(),
    ))
}
