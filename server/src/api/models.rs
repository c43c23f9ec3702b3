//! `/api/v1/projects/{id}/models`: models registered or made from training jobs, their predictions
//! read in (JSON lines or CSV, all or nothing), and their validation against the reference labels
//! — for scientists' scripts, with the same rules as the pages (fellows and scientists).

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sieve_app::ssr::AppState;
use sieve_core::access::Capability;
use sieve_core::models::{self, Input, Model, NewModel, Selection, Set, Sources};
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorBody;
use super::imports::Rejection;
use super::{ApiCaller, ApiError, ApiQuery, ProjectId};

number_in_path!(
    /// The `{model}` of a model in an API path.
    ModelId,
    "model"
);

/// A model version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelSummary {
    pub id: i64,
    pub name: String,
    pub version: String,
    pub question: String,
    /// The question's label the model's positive stands for.
    pub positive_label: String,
    /// Set when the model's output is a score: positive from it on.
    pub threshold: Option<f64>,
    /// The training job it was made from, and that job's label set version.
    pub job_id: Option<i64>,
    pub label_set_version: Option<i64>,
    pub predictions: i64,
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
}

impl From<Model> for ModelSummary {
    fn from(model: Model) -> ModelSummary {
        ModelSummary {
            id: model.id,
            name: model.name,
            version: model.version,
            question: model.question,
            positive_label: model.positive_label,
            threshold: model.threshold,
            job_id: model.job_id,
            label_set_version: model.label_set_version,
            predictions: model.predictions,
            created_by: model.created_by,
            created_at: model.created_at,
        }
    }
}

/// A model to register, or a succeeded training job to make one from.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewModelRequest {
    /// A succeeded job: the model is made from it (its question, label set and `predictions.csv`);
    /// the other fields are then not given.
    pub job: Option<i64>,
    pub name: Option<String>,
    pub version: Option<String>,
    /// The question's name.
    pub question: Option<String>,
    /// Default: the question's first label.
    pub positive_label: Option<String>,
    /// For a model whose output is a score.
    pub threshold: Option<f64>,
}

/// Lists the project's models, newest first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/models", tag = "models",
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, body = Vec<ModelSummary>),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn list_models(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
) -> Result<Json<Vec<ModelSummary>>, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ValidateModels)
        .await?;
    let list = models::list(&state.pool, project_id).await?;
    Ok(Json(list.into_iter().map(ModelSummary::from).collect()))
}

/// Registers a model version, or makes one from a succeeded training job.
#[utoipa::path(post, path = "/api/v1/projects/{id}/models", tag = "models",
    params(("id" = i64, Path, description = "Project id")),
    request_body = NewModelRequest,
    responses(
        (status = 201, body = ModelSummary),
        (status = 400, description = "A malformed request", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The name and version are taken", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "A field is wrong, or the job has not succeeded", body = ErrorBody),
    ))]
pub async fn create_model(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    body: Result<Json<NewModelRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<ModelSummary>), ApiError> {
    caller
        .authorize(&state, project_id, Capability::ValidateModels)
        .await?;
    let Json(request) = body.map_err(ApiError::from)?;
    let model = match request.job {
        Some(job) => {
            models::from_job(
                &state.pool,
                &state.settings.data_dir,
                &state.pseudonymizer,
                project_id,
                job,
                &caller.user.name,
            )
            .await?
        }
        None => {
            let new = NewModel {
                name: request.name.unwrap_or_default(),
                version: request.version.unwrap_or_default(),
                question: request.question.unwrap_or_default(),
                positive_label: request.positive_label,
                threshold: request.threshold,
            };
            models::register(&state.pool, project_id, &new, &caller.user.name).await?
        }
    };
    Ok((StatusCode::CREATED, Json(model.into())))
}

/// One model version.
#[utoipa::path(get, path = "/api/v1/projects/{id}/models/{model}", tag = "models",
    params(("id" = i64, Path, description = "Project id"), ("model" = i64, Path, description = "Model id")),
    responses(
        (status = 200, body = ModelSummary),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
pub async fn get_model(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    ModelId(model_id): ModelId,
) -> Result<Json<ModelSummary>, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ValidateModels)
        .await?;
    Ok(Json(
        models::get(&state.pool, project_id, model_id).await?.into(),
    ))
}

/// About the uploaded predictions.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PredictionsQuery {
    /// The file's name, for messages.
    pub filename: Option<String>,
}

/// What an import of predictions did.
#[derive(Debug, Serialize, ToSchema)]
pub struct PredictionsImported {
    pub message: String,
    pub predictions: u64,
    pub new: u64,
    pub replaced: u64,
}

/// Reads the request body (JSON lines or CSV: accession or study_id, label and/or score,
/// predicted_at) into the model's predictions: one per study, a study predicted again takes the
/// new output; a file with a bad line writes nothing and names every bad line.
#[utoipa::path(post, path = "/api/v1/projects/{id}/models/{model}/predictions", tag = "models",
    params(("id" = i64, Path, description = "Project id"), ("model" = i64, Path, description = "Model id"), PredictionsQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses(
        (status = 200, body = PredictionsImported),
        (status = 400, description = "A malformed parameter, or a file that cannot be read", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, description = "The file is larger than the server's `max_upload_mb`", body = ErrorBody),
        (status = 422, description = "Bad lines: nothing was written", body = Rejection),
    ))]
pub async fn import_predictions(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    ModelId(model_id): ModelId,
    ApiQuery(query): ApiQuery<PredictionsQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ValidateModels)
        .await?;
    let model = models::get(&state.pool, project_id, model_id).await?;
    let limit = state.settings.max_upload_bytes;
    let mut bytes = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError::BadRequest(format!("the upload was interrupted: {error}"))
        })?;
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(super::imports::too_large(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    let name = query
        .filename
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "the file".into());
    let input = Input {
        file_name: &name,
        bytes: &bytes,
    };
    let imported = match models::import(
        &state.pool,
        &state.pseudonymizer,
        &model,
        input,
        &caller.user.name,
    )
    .await
    {
        Ok(imported) => imported,
        Err(sieve_core::Error::Rejected {
            file,
            errors,
            total,
        }) => {
            let error =
                format!("{file} was not imported: {total} bad line(s); nothing was written");
            let body = Rejection {
                error,
                errors,
                total,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
        }
        Err(sieve_core::Error::Invalid(message)) => return Err(ApiError::BadRequest(message)),
        Err(error) => return Err(error.into()),
    };
    let message = format!(
        "Imported {} predictions of {} {} ({} new, {} replaced).",
        imported.predictions, model.name, model.version, imported.new, imported.replaced
    );
    Ok(Json(PredictionsImported {
        message,
        predictions: imported.predictions,
        new: imported.new,
        replaced: imported.replaced,
    })
    .into_response())
}

/// Which studies and reference labels a validation takes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValidationQuery {
    /// all (default), test (the test split of the model's label set) or from (studies dated on
    /// or after `from`).
    pub set: Option<String>,
    /// YYYY-MM-DD, with set=from.
    pub from: Option<String>,
    /// all (default) or human: only adjudicated, gold, agreed and confirmed labels.
    pub sources: Option<String>,
}

/// A proportion with its Wilson 95 % interval.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rate {
    pub count: u64,
    pub total: u64,
    /// count / total.
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl From<models::statistics::Proportion> for Rate {
    fn from(p: models::statistics::Proportion) -> Rate {
        Rate {
            count: p.count,
            total: p.total,
            value: p.value,
            low: p.low,
            high: p.high,
        }
    }
}

/// A model's validation: the confusion matrix against the reference labels, sensitivity,
/// specificity, PPV, NPV and accuracy with Wilson 95 % intervals (`null` when nothing is counted
/// for one), ROC AUC for scores, and per subgroup (modality, exam code, month).
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationBody {
    /// `{confusion, auc, without_reference, other_sources, by_source, subgroups}`.
    #[schema(value_type = Object)]
    pub validation: serde_json::Value,
    pub sensitivity: Option<Rate>,
    pub specificity: Option<Rate>,
    pub ppv: Option<Rate>,
    pub npv: Option<Rate>,
    pub accuracy: Option<Rate>,
}

/// The model's validation on a set of studies.
#[utoipa::path(get, path = "/api/v1/projects/{id}/models/{model}/validation", tag = "models",
    params(("id" = i64, Path, description = "Project id"), ("model" = i64, Path, description = "Model id"), ValidationQuery),
    responses(
        (status = 200, body = ValidationBody),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "A date that cannot be read", body = ErrorBody),
    ))]
pub async fn model_validation(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    ModelId(model_id): ModelId,
    ApiQuery(query): ApiQuery<ValidationQuery>,
) -> Result<Json<ValidationBody>, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ValidateModels)
        .await?;
    let model = models::get(&state.pool, project_id, model_id).await?;
    let selection = Selection {
        set: match query.set.as_deref().unwrap_or("all") {
            "all" => Set::All,
            "test" => Set::TestSplit,
            "from" => Set::From(query.from.unwrap_or_default()),
            other => {
                return Err(ApiError::BadRequest(format!(
                    "set {other:?}: give all, test or from"
                )))
            }
        },
        sources: sources(query.sources.as_deref())?,
    };
    let found = models::validation(&state.labeling(), &state.models, &model, &selection).await?;
    let confusion = found.confusion;
    Ok(Json(ValidationBody {
        sensitivity: confusion.sensitivity().map(Rate::from),
        specificity: confusion.specificity().map(Rate::from),
        ppv: confusion.ppv().map(Rate::from),
        npv: confusion.npv().map(Rate::from),
        accuracy: confusion.accuracy().map(Rate::from),
        validation: serde_json::to_value(found).expect("validation serialises"),
    }))
}

fn sources(given: Option<&str>) -> Result<Sources, ApiError> {
    match given.unwrap_or("all") {
        "all" => Ok(Sources::All),
        "human" => Ok(Sources::Human),
        other => Err(ApiError::BadRequest(format!(
            "sources {other:?}: give all or human"
        ))),
    }
}
