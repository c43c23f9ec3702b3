//! User accounts, managed by the site admin: create, reset a password, disable.
//! New passwords are generated and shown once.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A password just set for a user: the only time it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPassword {
    pub user: String,
    pub password: String,
}

/// Creates a user with a generated password. `admin` is "on" when the box was ticked.
#[server(endpoint = "create_user")]
pub async fn create_user(name: String, admin: Option<String>) -> Result<NewPassword, AppError> {
    crate::ssr::respond(
        async {
            let (state, actor) = crate::ssr::require_admin().await?;
            let password = sieve_core::auth::generate_password();
            let is_admin = admin.is_some();
            let user = sieve_core::auth::create_user(
                &state.pool,
                name.trim(),
                &password,
                is_admin,
                Some(&actor.name),
            )
            .await?;
            Ok(NewPassword {
                user: user.name,
                password,
            })
        }
        .await,
    )
}

/// Gives a user a new generated password (and lifts a sign-in lockout). Their sessions and API
/// tokens end; an admin resetting their own password keeps the session they do it from.
#[server(endpoint = "reset_password")]
pub async fn reset_password(name: String) -> Result<NewPassword, AppError> {
    crate::ssr::respond(
        async {
            let (state, actor) = crate::ssr::require_admin().await?;
            let password = sieve_core::auth::generate_password();
            let epoch =
                sieve_core::auth::set_password(&state.pool, &name, &password, Some(&actor.name))
                    .await?;
            if name.trim().eq_ignore_ascii_case(&actor.name) {
                let session = crate::ssr::session().await?;
                session
                    .insert(crate::ssr::SESSION_EPOCH_KEY, epoch)
                    .await
                    .map_err(|error| {
                        tracing::error!(%error, "session store failed");
                        AppError::Internal
                    })?;
            }
            Ok(NewPassword {
                user: name,
                password,
            })
        }
        .await,
    )
}

/// Disables a user: they cannot sign in, and their sessions and tokens stop working.
#[server(endpoint = "disable_user")]
pub async fn disable_user(name: String) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let (state, actor) = crate::ssr::require_admin().await?;
            if name.eq_ignore_ascii_case(&actor.name) {
                return Err(AppError::Invalid(
                    "you cannot disable your own account".into(),
                ));
            }
            sieve_core::auth::disable_user(&state.pool, &name, Some(&actor.name)).await?;
            Ok(())
        }
        .await,
    )
}
