//! The REST API for scripts, under `/api/v1`: token (`Authorization: Bearer`) or session auth,
//! the same per-project authorisation as the pages (`sieve_core::access`), JSON errors, and an
//! OpenAPI document generated from these handlers at `/api/v1/openapi.json`.

/// Declares the extractor of one whole-number parameter of an API path (`{id}`, `{job}`, ...):
/// a parameter that is not a number is answered 400, naming it.
macro_rules! number_in_path {
    ($(#[$doc:meta])* $name:ident, $param:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name(pub i64);

        impl axum::extract::FromRequestParts<sieve_app::ssr::AppState> for $name {
            type Rejection = $crate::api::ApiError;

            async fn from_request_parts(
                parts: &mut axum::http::request::Parts,
                state: &sieve_app::ssr::AppState,
            ) -> Result<Self, Self::Rejection> {
                $crate::api::caller::path_number(parts, state, $param)
                    .await
                    .map($name)
            }
        }
    };
}

mod caller;
mod error;
mod imports;
mod label_sets;
mod labels;
mod models;
mod projects;
mod questions;
mod queue;
mod rules;
mod studies;
mod training;

use axum::routing::get;
use axum::{Json, Router};
use sieve_app::ssr::AppState;
use tower_http::limit::RequestBodyLimitLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use caller::{ApiCaller, ApiQuery, ProjectId, QuestionId, StudyId};
pub use error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(title = "Sieve REST API", description = "Projects, studies, questions with their labels and queues, and label sets of a Sieve install, for scripts."),
    modifiers(&BearerToken),
    security(("bearer" = []))
)]
struct ApiDoc;

/// Declares the bearer-token scheme the operations use.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("An API token from the API tokens page"));
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme.build()));
    }
}

/// Returns the API's routes and the OpenAPI document that describes exactly them. Uploads of
/// reports enforce their own limit (`max_upload_mb`, see `imports`); rule files get a small one.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(imports::import_reports))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(rules::export_rules, rules::import_rules))
                .layer(RequestBodyLimitLayer::new(rules::MAX_RULES_BYTES)),
        )
        .routes(routes!(projects::me))
        .routes(routes!(projects::list_projects))
        .routes(routes!(projects::get_project))
        .routes(routes!(studies::list_studies))
        .routes(routes!(studies::get_study))
        .routes(routes!(questions::list_questions))
        .routes(routes!(labels::list_labels))
        .routes(routes!(queue::queue_progress))
        .routes(routes!(
            label_sets::list_label_sets,
            label_sets::create_label_set
        ))
        .routes(routes!(label_sets::download_file))
        .routes(routes!(training::list_jobs, training::launch_jobs))
        .routes(routes!(training::get_job))
        .routes(routes!(training::cancel_job))
        .routes(routes!(models::list_models, models::create_model))
        .routes(routes!(models::get_model))
        .routes(routes!(models::import_predictions))
        .routes(routes!(models::model_validation))
        .split_for_parts()
}

/// Returns the API router with its OpenAPI document served at `/api/v1/openapi.json`.
pub fn router() -> Router<AppState> {
    let (router, document) = routes();
    router.route(
        "/api/v1/openapi.json",
        get(move || async move { Json(document) }),
    )
}
