//! Signing in and out, and who the session belongs to.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in user, as the page header shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub name: String,
    pub is_admin: bool,
}

/// Signs in with a user name and password, rotating the session id, then sends the browser to `next`.
#[server(endpoint = "sign_in")]
pub async fn sign_in(name: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::ssr::{
        client_address, respond, session, state, SESSION_EPOCH_KEY, SIGNED_IN_AT_KEY, USER_ID_KEY,
    };
    use sieve_core::auth::{self, SignIn};

    respond(
        async {
            let state = state()?;
            let session = session().await?;
            let address = client_address().await.unwrap_or_else(|| "unknown".into());
            let now = sieve_core::now();
            match auth::sign_in_from(
                &state.pool,
                &state.throttle,
                &name,
                &password,
                &address,
                now,
            )
            .await?
            {
                SignIn::Accepted(user) => {
                    let store = |error| {
                        tracing::error!(%error, "session store failed");
                        AppError::Internal
                    };
                    // A new id at sign-in: an id planted before sign-in (session fixation) is worthless.
                    session.cycle_id().await.map_err(store)?;
                    session.insert(USER_ID_KEY, user.id).await.map_err(store)?;
                    session.insert(SIGNED_IN_AT_KEY, now).await.map_err(store)?;
                    session
                        .insert(SESSION_EPOCH_KEY, user.session_epoch)
                        .await
                        .map_err(store)?;
                    leptos_axum::redirect(&safe_next(next.as_deref()));
                    Ok(())
                }
                SignIn::Rejected => Err(AppError::SignInFailed),
                SignIn::LockedOut {
                    retry_after_seconds,
                } => Err(AppError::TooManyAttempts(describe_wait(
                    retry_after_seconds,
                ))),
            }
        }
        .await,
    )
}

/// Ends the session and sends the browser to the sign-in page.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::{session, session_user, state};
    use sieve_core::audit::{self, Action, NewEvent};

    let state = state()?;
    let session = session().await?;
    if let Some(user) = session_user(&session, &state).await? {
        let event = NewEvent {
            actor: Some(&user.name),
            ..NewEvent::default()
        };
        audit::record(&state.pool, Action::SignOut, event)
            .await
            .map_err(AppError::from)?;
    }
    session.flush().await.map_err(|error| {
        tracing::error!(%error, "session store failed");
        AppError::Internal
    })?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Returns the signed-in user, or `NotSignedIn`.
#[server(endpoint = "me")]
pub async fn me() -> Result<SignedInUser, AppError> {
    let (_, user) = crate::ssr::respond(crate::ssr::require_user().await)?;
    Ok(SignedInUser {
        name: user.name,
        is_admin: user.is_admin,
    })
}

/// Keeps the post-sign-in redirect on this site: only a local path is followed.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Describes a wait in the largest unit that reads naturally.
pub fn describe_wait(seconds: i64) -> String {
    match seconds {
        ..=1 => "1 second".to_string(),
        2..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", (seconds + 59) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/projects/3")), "/projects/3");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn waits_read_naturally() {
        assert_eq!(describe_wait(1), "1 second");
        assert_eq!(describe_wait(30), "30 seconds");
        assert_eq!(describe_wait(900), "15 minutes");
    }
}
