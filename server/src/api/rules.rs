//! `/api/v1/projects/{id}/questions/{question}/rules`: a question's rules as a CSV or YAML file —
//! downloaded (every member), or uploaded to replace them as a new version (fellows). The
//! prioritization screen's export links and import button use these too.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sieve_app::ssr::AppState;
use sieve_core::access::Capability;
use sieve_core::labeling::file::{self, Format};
use sieve_core::questions::{self, Change, Replacement, RuleSet, StoredRule};
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorBody;
use super::imports::Rejection;
use super::{ApiCaller, ApiError, ApiQuery, ProjectId, QuestionId};

/// The largest rules file accepted (the most axum reads into memory by default).
pub const MAX_RULES_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// csv (default) or yaml.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's name: its extension (.csv, .yaml, .yml) tells the format.
    pub filename: String,
    /// true: only say what the import would do (rules added, removed, changed; studies whose
    /// label would change), saving nothing.
    pub preview: Option<bool>,
}

/// What an import of rules did, or with `preview`, would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesImported {
    pub message: String,
    /// The version written; with `preview`, the current version (nothing was written).
    pub version: i64,
    pub rules: usize,
    /// Whether the rules were saved (false for a preview).
    pub saved: bool,
    /// Studies whose soft label would change (previews only).
    pub studies_changing: Option<u64>,
}

/// Downloads a question's current rules as CSV or YAML (the project's fellows, as the rules page).
#[utoipa::path(get, path = "/api/v1/projects/{id}/questions/{question}/rules", tag = "rules",
    params(("id" = i64, Path, description = "Project id"), ("question" = i64, Path, description = "Question id"), ExportQuery),
    responses(
        (status = 200, description = "The rules file", content(
            (String = "text/csv"),
            (String = "application/yaml"),
        )),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn export_rules(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    QuestionId(question_id): QuestionId,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ManageRules)
        .await?;
    let format = match query.format.as_deref().unwrap_or("csv") {
        "csv" => Format::Csv,
        "yaml" | "yml" => Format::Yaml,
        other => {
            return Err(ApiError::BadRequest(format!(
                "format {other:?}: use csv or yaml"
            )))
        }
    };
    let question = questions::get(&state.pool, project_id, question_id).await?;
    let rules = questions::rules(&state.pool, question.id, None).await?;
    let text = file::write(format, &rules.rule_book(&question));
    let name: String = question
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{name}-v{}.{}\"",
        rules.version,
        format.extension()
    );
    let content_type = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Yaml => "application/yaml; charset=utf-8",
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}

/// Replaces a question's rules with those of the uploaded file, as a new version (fellows); with
/// `preview=true`, only says what that would do. A file that holds no rule, is not a rules file,
/// or has any invalid line changes nothing and is answered 422 with every problem and its line.
#[utoipa::path(put, path = "/api/v1/projects/{id}/questions/{question}/rules", tag = "rules",
    params(("id" = i64, Path, description = "Project id"), ("question" = i64, Path, description = "Question id"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The rules file"),
    responses(
        (status = 200, body = RulesImported),
        (status = 400, description = "A malformed parameter, or a name without .csv/.yaml", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Only fellows change rules", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Not a rules file, no valid rule, or invalid rules: nothing was changed", body = Rejection),
    ))]
pub async fn import_rules(
    State(state): State<AppState>,
    caller: ApiCaller,
    ProjectId(project_id): ProjectId,
    QuestionId(question_id): QuestionId,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller
        .authorize(&state, project_id, Capability::ManageRules)
        .await?;
    let question = questions::get(&state.pool, project_id, question_id).await?;
    let name = query
        .filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .to_string();
    let rejected = |errors: Vec<String>| {
        let total = errors.len() as u64;
        let error = format!("{name} was not imported, and the rules are unchanged.");
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(Rejection {
                error,
                errors,
                total,
            }),
        )
            .into_response()
    };
    let rules = match questions::read_rules_file(&question, &name, &body) {
        Ok(rules) => rules,
        Err(sieve_core::Error::Rejected { errors, .. }) => return Ok(rejected(errors)),
        // Only the file's name is wrong (not .csv or .yaml): the request, not the file.
        Err(sieve_core::Error::Invalid(message)) => return Err(ApiError::BadRequest(message)),
        Err(other) => return Err(other.into()),
    };
    if query.preview == Some(true) {
        let current = questions::rules(&state.pool, question.id, None).await?;
        let replacement = Replacement::of(&current.rules, &rules);
        let candidate = RuleSet {
            version: current.version + 1,
            rules: rules
                .iter()
                .enumerate()
                .map(|(index, rule)| StoredRule {
                    id: index as u32 + 1,
                    rule: rule.clone(),
                })
                .collect(),
        };
        let labeling = state.labeling();
        let before = labeling.labels(&question, current.clone()).await?;
        let after = match labeling.labels(&question, candidate).await {
            Ok(after) => after,
            Err(sieve_core::Error::Invalid(message)) => return Ok(rejected(vec![message])),
            Err(other) => return Err(other.into()),
        };
        let changing: u64 =
            sieve_core::labeling::priority::flips(&before.resolution, &after.resolution, 0)
                .iter()
                .map(|flip| flip.count)
                .sum();
        let message = format!(
            "{} {changing} studies would change label. Nothing is saved until you confirm.",
            replacement.summary()
        );
        return Ok(Json(RulesImported {
            message,
            version: current.version,
            rules: rules.len(),
            saved: false,
            studies_changing: Some(changing),
        })
        .into_response());
    }
    let change = Change::ReplaceAll {
        rules,
        source: name.clone(),
    };
    let set =
        match questions::change(&state.pool, &question, &change, Some(&caller.user.name)).await {
            Ok(set) => set,
            Err(sieve_core::Error::Invalid(message)) => return Ok(rejected(vec![message])),
            Err(other) => return Err(other.into()),
        };
    let message = format!(
        "Imported {} rules from {name} as version {}.",
        set.rules.len(),
        set.version
    );
    Ok(Json(RulesImported {
        message,
        version: set.version,
        rules: set.rules.len(),
        saved: true,
        studies_changing: None,
    })
    .into_response())
}
