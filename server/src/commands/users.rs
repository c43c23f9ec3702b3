//! `sieve user ...`: accounts.

use sieve_core::auth;
use sqlx::SqlitePool;

use super::{read_password_from_stdin, Outcome};
use crate::cli::{SiteRole, UserCommand};

pub async fn run(pool: &SqlitePool, command: UserCommand) -> Outcome {
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            auth::create_user(pool, &name, &password, role == SiteRole::Admin, None).await?;
            println!("created user {name}");
            if generated {
                println!("password: {password}   (shown once)");
            }
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            auth::set_password(pool, &name, &password, None).await?;
            println!("password changed for {name}");
            if generated {
                println!("password: {password}   (shown once)");
            }
        }
        UserCommand::Disable { name } => {
            auth::disable_user(pool, &name, None).await?;
            println!("disabled user {name}");
        }
        UserCommand::List => {
            for user in auth::list_users(pool).await? {
                let kind = if user.is_admin { "admin" } else { "member" };
                let status = if user.disabled { "disabled" } else { "active" };
                println!("{:<24} {kind:<7} {status}", user.name);
            }
        }
    }
    Ok(())
}

/// Returns the password from standard input, or a generated one (and whether it was generated).
fn password(from_stdin: bool) -> Result<(String, bool), String> {
    match from_stdin {
        true => Ok((read_password_from_stdin()?, false)),
        false => Ok((auth::generate_password(), true)),
    }
}
