//! `/api/v1/projects/{id}/labelsets`: label sets listed, read, exported and downloaded file by
//! file — for scientists' scripts, with the same rules as the pages.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sieve_app::ssr::AppState;
use sieve_core::access::Capability;
use sieve_core::audit::{self, Action, NewEvent};
use sieve_core::label_sets::{self, Export, LabelSet, Policy, Selection};
use sieve_core::split::Shares;
use tower::ServiceExt;
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::{ApiCaller, ApiError, ProjectId};

number_in_path!(
    /// The `{version}` of a label set in an API path.
    Version,
    "version"
);

/// The `{name}` of a label set's file in an API path.
#[derive(Debug, Clone)]
pub struct FileName(pub String);

impl axum::extract::FromRequestParts<AppState> for FileName {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        super::caller::path_text(parts, state, "name")
            .await
            .map(FileName)
    }
}

/// A file of a label set.
#[derive(Debug, Serialize, ToSchema)]
pub struct LabelSetFile {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A label set; its full manifest is at `/labelsets/{version}/files/manifest.json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LabelSetSummary {
    pub version: i64,
    pub studies: i64,
    pub questions: Vec<String>,
    pub manifest_sha256: String,
    pub files: Vec<LabelSetFile>,
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
}

fn summary(set: &LabelSet) -> LabelSetSummary {
    LabelSetSummary {
        version: set.version,
        studies: set.studies,
        questions: set
            .manifest
            .questions
            .iter()
            .map(|q| q.name.clone())
            .collect(),
        manifest_sha256: set.manifest_sha256.clone(),
        files: set
            .manifest
            .files
            .iter()
            .map(|f| LabelSetFile {
                name: f.name.clone(),
                bytes: f.bytes,
                sha256: f.sha256.clone(),
            })
            .collect(),
        created_by: set.created_by.clone(),
        created_at: set.created_at,
    }
}

/// Lists the project's label sets, newest first (fellows and scientists).
#[utoipa::path(get, path = "/api/v1/projects/{id}/labelsets", tag = "label sets",
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, body = Vec<LabelSetSummary>),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn list_label_sets(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
) -> Result<Json<Vec<LabelSetSummary>>, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ExportLabels)
        .await?;
    let sets = label_sets::list(&state.pool, project_id).await?;
    Ok(Json(sets.iter().map(summary).collect()))
}

/// What to export.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLabelSet {
    /// Question ids; the first stratifies the split.
    pub questions: Vec<i64>,
    /// A saved cohort; absent: every study.
    pub cohort: Option<i64>,
    /// Take soft labels where no affiliate confirmed (default true).
    pub soft_where_unconfirmed: Option<bool>,
    /// Leave out labels named "uncertain" (default false).
    pub drop_uncertain: Option<bool>,
    #[schema(minimum = 0)]
    pub seed: Option<u64>,
    /// Shares of patients: train, validation, test (default 0.8, 0.1, 0.1).
    pub shares: Option<[f64; 3]>,
}

/// Exports the project's next label set (fellows and scientists).
#[utoipa::path(post, path = "/api/v1/projects/{id}/labelsets", tag = "label sets",
    params(("id" = i64, Path, description = "Project id")),
    request_body = NewLabelSet,
    responses(
        (status = 201, body = LabelSetSummary),
        (status = 400, description = "A malformed request", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid choices, named", body = ErrorBody),
    ))]
pub async fn create_label_set(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    body: Result<Json<NewLabelSet>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<LabelSetSummary>), ApiError> {
    let membership = caller
        .authorize(&state, project_id, Capability::ExportLabels)
        .await?;
    let Json(request) = body.map_err(ApiError::from)?;
    let [train, validation, test] = request.shares.unwrap_or([0.8, 0.1, 0.1]);
    let spec = Selection {
        questions: request.questions,
        cohort_id: request.cohort,
        policy: Policy {
            soft_where_unconfirmed: request.soft_where_unconfirmed.unwrap_or(true),
            drop_uncertain: request.drop_uncertain.unwrap_or(false),
        },
        seed: request.seed.unwrap_or(1),
        shares: Shares {
            train,
            validation,
            test,
        },
    };
    let plan = label_sets::plan(&state.labeling(), &state.pseudonymizer, project_id, &spec).await?;
    let export = Export {
        data_dir: &state.settings.data_dir,
        project_id,
        project: &membership.project.name,
        actor: &caller.user.name,
    };
    let set = label_sets::create(&state.pool, &export, plan).await?;
    Ok((StatusCode::CREATED, Json(summary(&set))))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        Some("jsonl") => "application/jsonl",
        _ => "application/octet-stream",
    }
}

/// Downloads one file of a label set: `manifest.json`, `labels.csv`, `labels.jsonl`,
/// `labels.parquet` or `texts.jsonl`. A file changed on disk since export is refused (409).
#[utoipa::path(get, path = "/api/v1/projects/{id}/labelsets/{version}/files/{name}", tag = "label sets",
    params(("id" = i64, Path, description = "Project id"), ("version" = i64, Path, description = "Label set version"),
        ("name" = String, Path, description = "File name")),
    responses(
        (status = 200, description = "The file", content(
            (String = "application/json"), (String = "text/csv"), (String = "application/jsonl"), (Vec<u8> = "application/octet-stream"),
        )),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The file was changed on disk since export", body = ErrorBody),
    ))]
pub async fn download_file(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    Version(version): Version,
    FileName(name): FileName,
    request: Request,
) -> Result<Response, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ExportLabels)
        .await?;
    let set = label_sets::get(&state.pool, project_id, version).await?;
    let path = label_sets::file_path(&state.settings.data_dir, &set, &name)?;
    let expected = match name.as_str() {
        "manifest.json" => Some(set.manifest_sha256.clone()),
        _ => set
            .manifest
            .files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.sha256.clone()),
    };
    let hashed = path.clone();
    let actual = tokio::task::spawn_blocking(move || label_sets::sha256_file(&hashed))
        .await
        .map_err(|error| sieve_core::Error::Internal(error.to_string()))?
        .map_err(sieve_core::Error::from)?;
    if expected.as_deref() != Some(actual.as_str()) {
        return Ok(ApiError::Conflict(format!(
            "{name} of label set v{version} was changed on disk since export (SHA-256 differs from the manifest); export a new version"
        ))
        .into_response());
    }
    audit::record(
        &state.pool,
        Action::LabelSetDownloaded,
        NewEvent {
            actor: Some(&caller.user.name),
            project_id: Some(project_id),
            object: Some(format!("label set v{version}")),
            detail: Some(name.clone()),
        },
    )
    .await?;
    let Ok(served) = tower_http::services::ServeFile::new(&path)
        .oneshot(request)
        .await;
    let mut response = served.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&name)),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"labelset-v{version}-{name}\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
