//! `POST /api/v1/projects/{id}/imports`: a file of reports, uploaded as the request body (the import
//! page sends it with upload progress; scripts can too). Everything that can refuse an upload is
//! decided before a byte of it is read: the caller and their role, the file's format (from its
//! name, or `format`), that it is not a form, and its declared length against `max_upload_mb`. The
//! body is then streamed to a temporary file under the data directory (never held in memory), cut
//! off with 413 the moment it passes the limit, imported all or nothing (or with `skip_invalid`),
//! and indexed before the answer. The temporary file goes when the request ends, however it ends.

use std::path::Path;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sieve_app::ssr::AppState;
use sieve_core::access::Capability;
use sieve_core::import::{import_file, Destination, Format, Options};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorBody;
use super::{ApiCaller, ApiError, ApiQuery, ProjectId};

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
    /// The character set of a CSV or JSON lines file without a byte-order mark, e.g.
    /// windows-1252 (default: UTF-8).
    pub encoding: Option<String>,
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
        (status = 413, description = "The file is larger than the server's `max_upload_mb`", body = ErrorBody),
        (status = 422, description = "Invalid records: nothing was imported", body = Rejection),
    ))]
pub async fn import_reports(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ImportReports)
        .await?;
    let name = safe_name(&query.filename)?;
    let format = format_of(&name, query.format.as_deref())?;
    refuse_forms(&headers)?;
    let limit = state.settings.max_upload_bytes;
    if declared_length(&headers).is_some_and(|length| length > limit) {
        return Err(too_large(limit));
    }
    let options = Options {
        format: Some(format),
        skip_invalid: query.skip_invalid.unwrap_or(false),
        mapping: Default::default(),
        encoding: query
            .encoding
            .as_deref()
            .filter(|label| !label.trim().is_empty())
            .map(sieve_core::import::encoding)
            .transpose()?,
    };
    let uploads = state.settings.data_dir.join("uploads");
    tokio::fs::create_dir_all(&uploads)
        .await
        .map_err(sieve_core::Error::from)?;
    let (file, path) = tempfile::Builder::new()
        .suffix(&format!("-{name}"))
        .tempfile_in(&uploads)
        .map_err(sieve_core::Error::from)?
        .into_parts();
    let stored = receive(body, tokio::fs::File::from_std(file), limit).await?;
    let outcome = match stored {
        Ok(()) => {
            // The reports are indexed by the catch-up below, as the background indexer would.
            let destination = Destination {
                pool: &state.pool,
                project_id,
                indexes: None,
            };
            import_file(
                destination,
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

/// Returns the format of the file: the one given, or the one its name tells.
fn format_of(name: &str, given: Option<&str>) -> Result<Format, ApiError> {
    if let Some(given) = given.filter(|given| !given.is_empty()) {
        return given
            .parse()
            .map_err(|error: sieve_core::Error| ApiError::BadRequest(error.to_string()));
    }
    Format::from_path(Path::new(name)).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "{name}: cannot tell the format: name it .csv, .jsonl or .hl7 (or .gz), or give the format"
        ))
    })
}

/// Refuses a body sent as a form: the import reads the file itself, and would take a form's
/// boundaries and headers for records.
fn refuse_forms(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match content_type.starts_with("multipart/") {
        true => Err(ApiError::BadRequest(
            "send the file itself as the body (Content-Type: application/octet-stream), not a form"
                .into(),
        )),
        false => Ok(()),
    }
}

/// Returns the length the client declared, if it declared one.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The refusal of an upload over the limit, naming it.
pub(super) fn too_large(limit: u64) -> ApiError {
    ApiError::TooLarge(format!(
        "the file is larger than this server accepts ({} MiB, its max_upload_mb): split it, or ask the administrator to raise the limit",
        limit / (1024 * 1024)
    ))
}

/// Streams the body to the file, flushed to disk. An upload that passes `limit` is refused as soon
/// as it does (the outer error); one that breaks off is the inner error.
async fn receive(
    body: Body,
    mut file: tokio::fs::File,
    limit: u64,
) -> Result<Result<(), sieve_core::Error>, ApiError> {
    let mut received: u64 = 0;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                return Ok(Err(sieve_core::Error::Invalid(format!(
                    "the upload was interrupted: {error}"
                ))))
            }
        };
        received += chunk.len() as u64;
        if received > limit {
            return Err(too_large(limit));
        }
        file.write_all(&chunk)
            .await
            .map_err(sieve_core::Error::from)?;
    }
    file.sync_all().await.map_err(sieve_core::Error::from)?;
    Ok(Ok(()))
}
