//! `sieve token create`: API tokens for automation (scripts, the test suite's API fuzzing).

use sieve_core::{auth, projects, tokens};
use sqlx::SqlitePool;

use super::Outcome;
use crate::cli::TokenCommand;

pub async fn run(pool: &SqlitePool, command: TokenCommand) -> Outcome {
    match command {
        TokenCommand::Create {
            user,
            name,
            project,
            days,
        } => {
            let user = auth::find_user_by_name(pool, &user).await?;
            let project_id = match project {
                Some(project) => Some(projects::find_by_name(pool, &project).await?.id),
                None => None,
            };
            let created =
                tokens::create(pool, &user, &name, project_id, days, sieve_core::now()).await?;
            println!("{}", created.secret);
        }
    }
    Ok(())
}
