//! API tokens of the signed-in user: list, create (the secret is shown once), revoke.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A token as its owner sees it in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    /// "all your projects" or the project's name.
    pub scope: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub active: bool,
}

/// A token just created, with its secret: the only time it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub name: String,
    pub secret: String,
}

/// How long a token may be made to last, in days, as offered by the form.
pub const VALIDITY_CHOICES: [i64; 4] = [7, 30, 90, 365];

#[cfg(feature = "ssr")]
impl TokenRow {
    fn from_token(token: sieve_core::tokens::Token, now: i64) -> Self {
        use sieve_core::audit::format_time;
        TokenRow {
            id: token.id,
            active: token.is_active(now),
            name: token.name,
            scope: token
                .project_name
                .unwrap_or_else(|| "all your projects".into()),
            created: format_time(token.created_at),
            expires: format_time(token.expires_at),
            last_used: token
                .last_used_at
                .map(format_time)
                .unwrap_or_else(|| "never".into()),
        }
    }
}

/// Returns the signed-in user's tokens, newest first.
#[server(endpoint = "tokens")]
pub async fn list_tokens() -> Result<Vec<TokenRow>, AppError> {
    crate::ssr::respond(
        async {
            let (state, user) = crate::ssr::require_user().await?;
            let now = sieve_core::now();
            let tokens = sieve_core::tokens::list(&state.pool, user.id).await?;
            Ok(tokens
                .into_iter()
                .map(|token| TokenRow::from_token(token, now))
                .collect())
        }
        .await,
    )
}

/// Creates a token for the signed-in user. `project` is a project id, or empty for all their projects.
#[server(endpoint = "create_token")]
pub async fn create_token(name: String, project: String, days: i64) -> Result<NewToken, AppError> {
    crate::ssr::respond(
        async {
            let (state, user) = crate::ssr::require_user().await?;
            let project_id = match project.trim() {
                "" => None,
                id => Some(id.parse::<i64>().map_err(|_| {
                    AppError::Invalid(format!("project: {id:?} is not a project id"))
                })?),
            };
            let created = sieve_core::tokens::create(
                &state.pool,
                &user,
                &name,
                project_id,
                days,
                sieve_core::now(),
            )
            .await?;
            Ok(NewToken {
                name: created.token.name,
                secret: created.secret,
            })
        }
        .await,
    )
}

/// Revokes one of the signed-in user's tokens.
#[server(endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let (state, user) = crate::ssr::require_user().await?;
            sieve_core::tokens::revoke(&state.pool, &user, id, sieve_core::now()).await?;
            Ok(())
        }
        .await,
    )
}
