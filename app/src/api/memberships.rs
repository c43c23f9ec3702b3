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

/// Gives a user a role in a project. `shown` is the role the page showed them with (empty: not a
/// member); a membership changed since is refused, naming the role they have now. Returns what was
/// done, in a sentence.
#[server(endpoint = "add_member")]
pub async fn add_member(
    id: i64,
    user: String,
    role: String,
    shown: String,
) -> Result<String, AppError> {
    crate::ssr::respond(
        async {
            use sieve_core::projects::MemberChange;
            let (state, actor) = crate::ssr::require_admin().await?;
            let project = sieve_core::projects::find(&state.pool, id).await?;
            let role: sieve_core::auth::ProjectRole = role.parse()?;
            let shown = match shown.trim() {
                "" => None,
                shown => Some(shown.parse()?),
            };
            let user = user.trim();
            let change = sieve_core::projects::set_member_role(
                &state.pool,
                &project.name,
                user,
                role,
                shown,
                Some(&actor.name),
            )
            .await?;
            Ok(match change {
                MemberChange::Added => format!("Added {user} to {} as {role}.", project.name),
                MemberChange::RoleChanged { was } => {
                    format!("{user} is now {role} in {} (was {was}).", project.name)
                }
                MemberChange::Unchanged => {
                    format!(
                        "{user} already was {role} in {}: nothing changed.",
                        project.name
                    )
                }
            })
        }
        .await,
    )
}

/// Takes a user out of a project; returns what was done, in a sentence.
#[server(endpoint = "remove_member")]
pub async fn remove_member(id: i64, user: String) -> Result<String, AppError> {
    crate::ssr::respond(
        async {
            let (state, actor) = crate::ssr::require_admin().await?;
            let project = sieve_core::projects::find(&state.pool, id).await?;
            sieve_core::projects::remove_member(&state.pool, id, &user, Some(&actor.name)).await?;
            Ok(format!(
                "Removed {user} from {}: they no longer see it; their answers stay.",
                project.name
            ))
        }
        .await,
    )
}
