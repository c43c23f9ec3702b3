//! `POST /api/v1/projects/{id}/imports`: a file of reports, uploaded as the request body (the import
//! page sends it with upload progress; scripts can too). Streamed to disk under the data directory,
//! imported all or nothing (or with `skip_invalid`), then indexed before the answer.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sieve_app::ssr::AppState;
use sieve_core::access::Capability;
use sieve_core::import::{import_file, Options};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorBody;
use super::{ApiCaller, ApiError, ApiQuery, ProjectId};

/// The largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024 * 1024;

/// About the uploaded file.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's name: its extension tells the format (.csv, .jsonl, .hl7, optionally .gz).
    pub filename: String,
    /// csv, jsonl or hl7, when the name does not tell.
    pub format: Option<String>,
    /// Import the valid records and set the invalid ones aside instead of rejecting the file.
    pub skip_invalid: Option<bool>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummary {
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Invalid records set aside (with skip_invalid).
    pub rejected: u64,
}

/// A file that was not imported, with its errors as FILE:LINE: field: reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rejection {
    pub error: String,
    pub errors: Vec<String>,
    pub total: u64,
}

/// Imports the request body as a file of reports into the project (fellows).
#[utoipa::path(post, path = "/api/v1/projects/{id}/imports", tag = "studies",
    params(("id" = i64, Path, description = "Project id"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses(
        (status = 200, body = ImportSummary),
        (status = 400, description = "A malformed parameter, or a file the import cannot read", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Only fellows import, while the protocol is in force", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Invalid records: nothing was imported", body = Rejection),
    ))]
pub async fn import_reports(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ImportReports)
        .await?;
    let name = safe_name(&query.filename)?;
    let options = Options {
        format: query
            .format
            .as_deref()
            .filter(|f| !f.is_empty())
            .map(str::parse)
            .transpose()
            .map_err(|error: sieve_core::Error| ApiError::BadRequest(error.to_string()))?,
        skip_invalid: query.skip_invalid.unwrap_or(false),
        mapping: Default::default(),
    };
    let uploads = state.settings.data_dir.join("uploads");
    tokio::fs::create_dir_all(&uploads)
        .await
        .map_err(sieve_core::Error::from)?;
    let path = uploads.join(format!("{}-{name}", sieve_core::now()));
    let stored = receive(body, &path).await;
    let outcome = match stored {
        Ok(()) => {
            import_file(
                &state.pool,
                project_id,
                &path,
                &state.pseudonymizer,
                &options,
                Some(&caller.user.name),
                |_| {},
            )
            .await
        }
        Err(error) => Err(error),
    };
    let _ = tokio::fs::remove_file(&path).await;
    let _ = tokio::fs::remove_file(format!("{}.rejected.txt", path.display())).await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(sieve_core::Error::Rejected { errors, total, .. }) => {
            let errors: Vec<String> = errors
                .into_iter()
                .map(|e| e.replace(&path.display().to_string(), &name))
                .collect();
            let error =
                format!("{name} was not imported: {total} invalid record(s); nothing was written");
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(Rejection {
                    error,
                    errors,
                    total,
                }),
            )
                .into_response());
        }
        // A file the import cannot read (unknown format, unreadable header) is a bad request.
        Err(sieve_core::Error::Invalid(message)) => {
            return Err(ApiError::BadRequest(
                message.replace(&path.display().to_string(), &name),
            ));
        }
        Err(error) => return Err(error.into()),
    };
    state
        .indexes
        .catch_up(&state.pool, project_id, |_, _| {})
        .await?;
    let counts = outcome.counts;
    let summary = ImportSummary {
        new: counts.new,
        updated: counts.updated,
        unchanged: counts.unchanged,
        rejected: outcome.rejected,
    };
    Ok(Json(summary).into_response())
}

/// Keeps a file name to its last component of plain characters (it becomes part of a path).
fn safe_name(name: &str) -> Result<String, ApiError> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let plain: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    match plain.trim_matches('.').is_empty() || plain.len() > 200 {
        true => Err(ApiError::BadRequest(format!(
            "filename {name:?}: give the file's name, e.g. reports.csv"
        ))),
        false => Ok(plain),
    }
}

/// Streams the body to a file, flushed to disk.
async fn receive(body: Body, path: &std::path::Path) -> Result<(), sieve_core::Error> {
    let mut file = tokio::fs::File::create(path).await?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| {
            sieve_core::Error::Invalid(format!("the upload was interrupted: {error}"))
        })?;
        file.write_all(&chunk).await?;
    }
    file.sync_all().await?;
    Ok(())
}
