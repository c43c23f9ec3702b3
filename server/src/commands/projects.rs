//! `sieve project ...`: projects and their members.

use sieve_core::auth::ProjectRole;
use sieve_core::projects;
use sqlx::SqlitePool;

use super::Outcome;
use crate::cli::{MemberRole, ProjectCommand};
use crate::config::Config;

pub async fn run(pool: &SqlitePool, config: &Config, command: ProjectCommand) -> Outcome {
    match command {
        ProjectCommand::Create { name, irb } => {
            let project = projects::create(pool, &name, &irb, None).await?;
            println!(
                "created project {} (id {}) for IRB protocol {}",
                project.name, project.id, project.irb_protocol
            );
        }
        ProjectCommand::AddMember {
            project,
            user,
            role,
        } => {
            let role = match role {
                MemberRole::Fellow => ProjectRole::Fellow,
                MemberRole::Affiliate => ProjectRole::Affiliate,
                MemberRole::Scientist => ProjectRole::Scientist,
            };
            match projects::add_member(pool, &project, &user, role, None).await? {
                projects::MemberChange::Added => println!("{user} is now {role} in {project}"),
                projects::MemberChange::RoleChanged { was } => {
                    println!("{user} is now {role} in {project} (was {was})")
                }
                projects::MemberChange::Unchanged => {
                    println!("{user} already was {role} in {project}: nothing changed")
                }
            }
        }
        ProjectCommand::Expire { project, on, never } => {
            let id = projects::find_by_name(pool, &project).await?.id;
            let last_day = if never { None } else { on.as_deref() };
            projects::set_irb_expiry(pool, id, last_day, None).await?;
            match last_day {
                Some(day) => println!("the IRB protocol of {project} is valid through {day}"),
                None => println!("the IRB protocol of {project} has no end date"),
            }
        }
        ProjectCommand::Close { project, confirm } => {
            let id = projects::find_by_name(pool, &project).await?.id;
            let purged = projects::close(pool, &config.index_dir(), id, &confirm, None).await?;
            println!(
                "closed {project}: {purged} reports and its index purged; its audit log remains"
            );
        }
        ProjectCommand::List => {
            for overview in projects::overview(pool).await? {
                let project = overview.project;
                println!(
                    "{:>4}  {:<40} IRB {:<16} {} members, {} reports",
                    project.id,
                    project.name,
                    project.irb_protocol,
                    overview.member_count,
                    overview.report_count
                );
            }
        }
    }
    Ok(())
}
