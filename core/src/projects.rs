//! Projects (one per approved IRB protocol) and their members.

use serde::Serialize;
use sqlx::SqlitePool;

use crate::audit::{self, Action, NewEvent};
use crate::auth::{find_user_by_name, ProjectRole};
use crate::error::is_unique_violation;
use crate::{Error, Result};

/// A project as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub irb_protocol: String,
    pub created_at: i64,
}

/// A project as one of its members sees it in their list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub project: Project,
    pub role: ProjectRole,
    pub report_count: i64,
}

/// A project as the site admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectOverview {
    pub project: Project,
    pub member_count: i64,
    pub report_count: i64,
}

/// Creates a project for an IRB protocol. Names are unique, ignoring case.
pub async fn create(pool: &SqlitePool, name: &str, irb_protocol: &str) -> Result<Project> {
    let name = name.trim();
    let irb_protocol = irb_protocol.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(Error::Invalid(
            "the project name must have 1 to 200 characters".into(),
        ));
    }
    if irb_protocol.is_empty() {
        return Err(Error::Invalid("the IRB protocol number is empty".into()));
    }
    let mut transaction = pool.begin().await?;
    let project = sqlx::query_as!(
        Project,
        "INSERT INTO projects (name, irb_protocol) VALUES (?, ?) RETURNING id, name, irb_protocol, created_at",
        name,
        irb_protocol
    )
    .fetch_one(&mut *transaction)
    .await
    .map_err(|error| match is_unique_violation(&error) {
        true => Error::AlreadyExists(format!("project {name:?}")),
        false => error.into(),
    })?;
    let event = NewEvent {
        project_id: Some(project.id),
        object: Some(format!("project:{name}")),
        detail: Some(format!("irb {irb_protocol}")),
        ..NewEvent::default()
    };
    audit::record(&mut *transaction, Action::ProjectCreated, event).await?;
    transaction.commit().await?;
    Ok(project)
}

/// Gives a user a role in a project, replacing the role they had there.
pub async fn add_member(
    pool: &SqlitePool,
    project_name: &str,
    user_name: &str,
    role: ProjectRole,
) -> Result<()> {
    let project = find_by_name(pool, project_name).await?;
    let user = find_user_by_name(pool, user_name).await?;
    let role_name = role.as_str();
    let mut transaction = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO memberships (project_id, user_id, role) VALUES (?, ?, ?)
         ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
        project.id,
        user.id,
        role_name
    )
    .execute(&mut *transaction)
    .await?;
    let event = NewEvent {
        project_id: Some(project.id),
        object: Some(format!("user:{}", user.name)),
        detail: Some(format!("role {role_name}")),
        ..NewEvent::default()
    };
    audit::record(&mut *transaction, Action::MemberAdded, event).await?;
    transaction.commit().await?;
    Ok(())
}

/// Returns the project with this name (ignoring case), or `NotFound`.
pub async fn find_by_name(pool: &SqlitePool, name: &str) -> Result<Project> {
    sqlx::query_as!(
        Project,
        "SELECT id AS \"id!\", name, irb_protocol, created_at FROM projects WHERE name = ?",
        name
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("project {name:?}")))
}

/// Returns a user's role in a project, or `None` when they are not a member.
pub async fn role_of(
    pool: &SqlitePool,
    project_id: i64,
    user_id: i64,
) -> Result<Option<ProjectRole>> {
    let role = sqlx::query_scalar!(
        "SELECT role FROM memberships WHERE project_id = ? AND user_id = ?",
        project_id,
        user_id
    )
    .fetch_optional(pool)
    .await?;
    role.map(|role| role.parse()).transpose()
}

/// A membership as read from the database, before its role is parsed.
struct MembershipRow {
    id: i64,
    name: String,
    irb_protocol: String,
    created_at: i64,
    role: String,
    report_count: i64,
}

impl TryFrom<MembershipRow> for Membership {
    type Error = Error;

    fn try_from(row: MembershipRow) -> Result<Membership> {
        Ok(Membership {
            project: Project {
                id: row.id,
                name: row.name,
                irb_protocol: row.irb_protocol,
                created_at: row.created_at,
            },
            role: row.role.parse()?,
            report_count: row.report_count,
        })
    }
}

/// Returns the project as seen by one of its members, or `NotFound` for anyone else:
/// a non-member cannot tell a project they may not see from one that does not exist.
pub async fn membership(pool: &SqlitePool, project_id: i64, user_id: i64) -> Result<Membership> {
    sqlx::query_as!(
        MembershipRow,
        r#"SELECT p.id AS "id!", p.name, p.irb_protocol, p.created_at, m.role,
                  (SELECT COUNT(*) FROM reports r WHERE r.project_id = p.id) AS "report_count!: i64"
           FROM projects p JOIN memberships m ON m.project_id = p.id
           WHERE p.id = ? AND m.user_id = ?"#,
        project_id,
        user_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("project {project_id}")))?
    .try_into()
}

/// Returns the projects a user is a member of, by name.
pub async fn memberships_of(pool: &SqlitePool, user_id: i64) -> Result<Vec<Membership>> {
    let rows = sqlx::query_as!(
        MembershipRow,
        r#"SELECT p.id AS "id!", p.name, p.irb_protocol, p.created_at, m.role,
                  (SELECT COUNT(*) FROM reports r WHERE r.project_id = p.id) AS "report_count!: i64"
           FROM projects p JOIN memberships m ON m.project_id = p.id
           WHERE m.user_id = ? ORDER BY p.name"#,
        user_id
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(Membership::try_from).collect()
}

/// Returns every project with its member and report counts, for the site admin.
pub async fn overview(pool: &SqlitePool) -> Result<Vec<ProjectOverview>> {
    let rows = sqlx::query!(
        r#"SELECT p.id AS "id!", p.name, p.irb_protocol, p.created_at,
                  (SELECT COUNT(*) FROM memberships m WHERE m.project_id = p.id) AS "member_count!: i64",
                  (SELECT COUNT(*) FROM reports r WHERE r.project_id = p.id) AS "report_count!: i64"
           FROM projects p ORDER BY p.name"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ProjectOverview {
            project: Project {
                id: row.id,
                name: row.name,
                irb_protocol: row.irb_protocol,
                created_at: row.created_at,
            },
            member_count: row.member_count,
            report_count: row.report_count,
        })
        .collect())
}
