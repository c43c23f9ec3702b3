//! Archiving and restoring questions (fellows): an archived question leaves the list, the queues
//! and the choices of a new label set; its rules, answers and label sets are kept.

use leptos::prelude::*;

use crate::error::AppError;

/// Archives a question (fellows).
#[server(endpoint = "archive_question")]
pub async fn archive_question(project: i64, id: i64) -> Result<(), AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, user, _) =
                crate::ssr::require_project(project, Capability::ManageRules).await?;
            sieve_core::questions::archive(&state.pool, project, id, &user.name).await?;
            Ok(())
        }
        .await,
    )
}

/// Restores an archived question to the list and the queues (fellows).
#[server(endpoint = "restore_question")]
pub async fn restore_question(project: i64, id: i64) -> Result<(), AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, user, _) =
                crate::ssr::require_project(project, Capability::ManageRules).await?;
            sieve_core::questions::restore(&state.pool, project, id, &user.name).await?;
            Ok(())
        }
        .await,
    )
}
