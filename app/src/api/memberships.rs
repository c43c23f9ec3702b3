//! Projects and their members, managed by the site admin.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A member as the admin's project page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user: String,
    pub role: String,
    pub disabled: bool,
}

/// Creates a project for an IRB protocol and returns its id.
#[server(endpoint = "create_project")]
pub async fn create_project(name: String, irb_protocol: String) -> Result<i64, AppError> {
    crate::ssr::respond(
        async {
            let (state, actor) = crate::ssr::require_admin().await?;
            let project =
                sieve_core::projects::create(&state.pool, &name, &irb_protocol, Some(&actor.name))
                    .await?;
            Ok(project.id)
        }
        .await,
    )
}

/// Gives a user a role in a project (replacing the role they had there).
#[server(endpoint = "add_member")]
pub async fn add_member(id: i64, user: String, role: String) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let (state, actor) = crate::ssr::require_admin().await?;
            let project = sieve_core::projects::find(&state.pool, id).await?;
            let role = role.parse()?;
            sieve_core::projects::add_member(
                &state.pool,
                &project.name,
                user.trim(),
                role,
                Some(&actor.name),
            )
            .await?;
            Ok(())
        }
        .await,
    )
}

/// Takes a user out of a project.
#[server(endpoint = "remove_member")]
pub async fn remove_member(id: i64, user: String) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let (state, actor) = crate::ssr::require_admin().await?;
            sieve_core::projects::remove_member(&state.pool, id, &user, Some(&actor.name)).await?;
            Ok(())
        }
        .await,
    )
}
