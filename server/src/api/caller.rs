//! Who is calling the API: the user behind a bearer token, or behind the session cookie.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sieve_app::ssr::{session_user, AppState};
use sieve_core::access::{admit, Caller, Capability};
use sieve_core::auth::User;
use sieve_core::projects::Membership;
use tower_sessions::Session;

use super::ApiError;

/// The authenticated caller of an API request.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub user: User,
    pub caller: Caller,
}

impl ApiCaller {
    /// Checks that the caller may do `capability` in the project, returning their membership.
    pub async fn authorize(
        &self,
        state: &AppState,
        project_id: i64,
        capability: Capability,
    ) -> Result<Membership, ApiError> {
        Ok(admit(
            &state.pool,
            self.caller,
            &self.user.name,
            project_id,
            capability,
        )
        .await?)
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(header) = parts.headers.get(AUTHORIZATION) {
            let secret = header
                .to_str()
                .ok()
                .and_then(|value| value.strip_prefix("Bearer "))
                .map(str::trim);
            let found = match secret {
                Some(secret) => {
                    sieve_core::tokens::authenticate(&state.pool, secret, sieve_core::now()).await?
                }
                None => None,
            };
            let (user, caller) = found.ok_or(ApiError::Unauthenticated)?;
            return Ok(ApiCaller { user, caller });
        }
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Unauthenticated)?;
        let user = session_user(&session, state)
            .await
            .map_err(|_| ApiError::Unauthenticated)?;
        let user = user.ok_or(ApiError::Unauthenticated)?;
        let caller = Caller {
            user_id: user.id,
            token_project: None,
        };
        Ok(ApiCaller { user, caller })
    }
}

/// Reads a parameter of an API path, with a JSON error when it is missing.
pub(super) async fn path_text(
    parts: &mut Parts,
    state: &AppState,
    name: &str,
) -> Result<String, ApiError> {
    let axum::extract::Path(mut params) = axum::extract::Path::<
        std::collections::HashMap<String, String>,
    >::from_request_parts(parts, state)
    .await
    .map_err(|rejection| {
        tracing::info!(error = %rejection.body_text(), "unreadable path");
        ApiError::Unreadable("the path is malformed".into())
    })?;
    params
        .remove(name)
        .ok_or_else(|| ApiError::BadRequest(format!("missing path parameter {name}")))
}

/// Reads a whole-number parameter of an API path, with a JSON error when it is not one.
pub(super) async fn path_number(
    parts: &mut Parts,
    state: &AppState,
    name: &str,
) -> Result<i64, ApiError> {
    let value = path_text(parts, state, name).await?;
    value
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("{name} {value:?} is not a whole number")))
}

number_in_path!(
    /// The `{id}` of a project in an API path.
    ProjectId,
    "id"
);
number_in_path!(
    /// The `{study}` of a study in an API path.
    StudyId,
    "study"
);
number_in_path!(
    /// The `{question}` of a question in an API path.
    QuestionId,
    "question"
);

/// Query parameters, with a plain JSON error naming the one that is wrong.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|query| ApiQuery(query.0))
            .map_err(ApiError::from)
    }
}
