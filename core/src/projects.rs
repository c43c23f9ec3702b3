//! Projects (one per approved IRB protocol), their members, and their lifecycle:
//! a protocol can expire, and a project can be closed, which purges its reports.

use std::path::Path;

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
    /// The protocol's last valid day (`YYYY-MM-DD`), if it has one.
    pub irb_expires_on: Option<String>,
    /// When the project was closed and its reports purged.
    pub closed_at: Option<i64>,
}

impl Project {
    /// Whether the protocol has expired on `today` (`YYYY-MM-DD`); it is valid through its last day.
    pub fn is_expired(&self, today: &str) -> bool {
        self.irb_expires_on
            .as_deref()
            .is_some_and(|last_day| last_day < today)
    }

    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }
}

/// A project as one of its members sees it in their list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub project: Project,
    pub role: ProjectRole,
}

/// A membership with its project's report count, as a member's list of projects shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub membership: Membership,
    pub report_count: i64,
}

/// A project as the site admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectOverview {
    pub project: Project,
    pub member_count: i64,
    pub report_count: i64,
}

/// Returns today's date (UTC) as `YYYY-MM-DD`, the form protocol end dates are compared in.
pub fn today() -> String {
    let date = time::OffsetDateTime::now_utc().date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month() as u8,
        date.day()
    )
}

/// Creates a project for an IRB protocol. Names are unique, ignoring case.
pub async fn create(
    pool: &SqlitePool,
    name: &str,
    irb_protocol: &str,
    actor: Option<&str>,
) -> Result<Project> {
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
    let id = sqlx::query_scalar!(
        "INSERT INTO projects (name, irb_protocol) VALUES (?, ?) RETURNING id",
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
        actor,
        project_id: Some(id),
        object: Some(format!("project:{name}")),
        detail: Some(format!("irb {irb_protocol}")),
    };
    audit::record(&mut *transaction, Action::ProjectCreated, event).await?;
    transaction.commit().await?;
    find(pool, id).await
}

/// What giving a user a role in a project did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MemberChange {
    /// They were not a member; they are now.
    Added,
    /// They were a member with another role (`was`); audited as a role change.
    RoleChanged { was: ProjectRole },
    /// They already had that role: nothing was written.
    Unchanged,
}

/// Gives a user a role in a project, replacing the role they had there (audited as
/// `member_added` or `member_role_changed`, naming the role it replaces).
pub async fn add_member(
    pool: &SqlitePool,
    project_name: &str,
    user_name: &str,
    role: ProjectRole,
    actor: Option<&str>,
) -> Result<MemberChange> {
    set_role(pool, project_name, user_name, role, None, actor).await
}

/// Gives a user a role in a project as [`add_member`] does, but only if their role there is still
/// `shown` (`None`: not a member), what the admin's page showed when they chose. A membership
/// changed since (another admin, another tab) is refused as `Invalid`, naming the role they have
/// now, and nothing is written.
pub async fn set_member_role(
    pool: &SqlitePool,
    project_name: &str,
    user_name: &str,
    role: ProjectRole,
    shown: Option<ProjectRole>,
    actor: Option<&str>,
) -> Result<MemberChange> {
    set_role(pool, project_name, user_name, role, Some(shown), actor).await
}

async fn set_role(
    pool: &SqlitePool,
    project_name: &str,
    user_name: &str,
    role: ProjectRole,
    shown: Option<Option<ProjectRole>>,
    actor: Option<&str>,
) -> Result<MemberChange> {
    let project = find_by_name(pool, project_name).await?;
    let user = find_user_by_name(pool, user_name).await?;
    let role_name = role.as_str();
    // IMMEDIATE: the membership is read, then written; another admin's change in between must
    // meet the check below, not end this as a failed write.
    let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await?;
    let was: Option<ProjectRole> = sqlx::query_scalar!(
        "SELECT role FROM memberships WHERE project_id = ? AND user_id = ?",
        project.id,
        user.id
    )
    .fetch_optional(&mut *transaction)
    .await?
    .map(|role| role.parse())
    .transpose()?;
    if let Some(shown) = shown.filter(|shown| *shown != was) {
        let now = match was {
            Some(was) => format!("has the role {was} in {}", project.name),
            None => format!("is not a member of {}", project.name),
        };
        let then = match shown {
            Some(shown) => format!("with the role {shown}"),
            None => "as not a member".to_string(),
        };
        return Err(Error::Invalid(format!(
            "{} {now} (this page showed them as {then}): the membership changed since the page was loaded. \
             Look at the list again and choose once more.",
            user.name
        )));
    }
    let (change, action, detail) = match was {
        Some(was) if was == role => return Ok(MemberChange::Unchanged),
        Some(was) => (
            MemberChange::RoleChanged { was },
            Action::MemberRoleChanged,
            format!("role {was} → {role_name}"),
        ),
        None => (
            MemberChange::Added,
            Action::MemberAdded,
            format!("role {role_name}"),
        ),
    };
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
        actor,
        project_id: Some(project.id),
        object: Some(format!("user:{}", user.name)),
        detail: Some(detail),
    };
    audit::record(&mut *transaction, action, event).await?;
    transaction.commit().await?;
    Ok(change)
}

/// A member of a project, as the admin's project page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub user_name: String,
    pub role: ProjectRole,
    pub disabled: bool,
}

/// Returns a project's members, by name.
pub async fn members(pool: &SqlitePool, project_id: i64) -> Result<Vec<Member>> {
    let rows = sqlx::query!(
        "SELECT u.name, m.role, u.disabled FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.project_id = ? ORDER BY u.name",
        project_id
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Member {
                user_name: row.name,
                role: row.role.parse()?,
                disabled: row.disabled,
            })
        })
        .collect()
}

/// Takes a user out of a project: they lose every role in it at once.
pub async fn remove_member(
    pool: &SqlitePool,
    project_id: i64,
    user_name: &str,
    actor: Option<&str>,
) -> Result<()> {
    let project = find(pool, project_id).await?;
    let user = find_user_by_name(pool, user_name).await?;
    let mut transaction = pool.begin().await?;
    let removed = sqlx::query!(
        "DELETE FROM memberships WHERE project_id = ? AND user_id = ?",
        project.id,
        user.id
    )
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    if removed == 0 {
        return Err(Error::NotFound(format!(
            "member {user_name:?} of project {:?}",
            project.name
        )));
    }
    let event = NewEvent {
        actor,
        project_id: Some(project.id),
        object: Some(format!("user:{}", user.name)),
        detail: None,
    };
    audit::record(&mut *transaction, Action::MemberRemoved, event).await?;
    transaction.commit().await?;
    Ok(())
}

/// Sets (or with `None` removes) the last valid day of a project's protocol.
pub async fn set_irb_expiry(
    pool: &SqlitePool,
    project_id: i64,
    last_day: Option<&str>,
    actor: Option<&str>,
) -> Result<()> {
    if let Some(day) = last_day {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(day, format)
            .map_err(|_| Error::Invalid(format!("{day:?} is not a date: use YYYY-MM-DD")))?;
    }
    let project = find(pool, project_id).await?;
    let mut transaction = pool.begin().await?;
    sqlx::query!(
        "UPDATE projects SET irb_expires_on = ? WHERE id = ?",
        last_day,
        project.id
    )
    .execute(&mut *transaction)
    .await?;
    let event = NewEvent {
        actor,
        project_id: Some(project.id),
        object: Some(format!("project:{}", project.name)),
        detail: Some(format!("irb expires {}", last_day.unwrap_or("never"))),
    };
    audit::record(&mut *transaction, Action::IrbExpirySet, event).await?;
    transaction.commit().await?;
    Ok(())
}

/// Closes a project: deletes its reports and its index directory under `index_root`, keeping the
/// project, its members and its audit events. `confirmation` must repeat the project's name, so
/// that a slip of the hand purges nothing. Returns how many reports were purged.
pub async fn close(
    pool: &SqlitePool,
    index_root: &Path,
    project_id: i64,
    confirmation: &str,
    actor: Option<&str>,
) -> Result<u64> {
    let project = find(pool, project_id).await?;
    if confirmation.trim() != project.name {
        return Err(Error::Invalid(format!(
            "type the project's name, {:?}, to confirm closing it",
            project.name
        )));
    }
    if project.is_closed() {
        return Err(Error::Invalid(format!(
            "project {:?} is already closed",
            project.name
        )));
    }
    let mut transaction = pool.begin().await?;
    let purged = sqlx::query!("DELETE FROM reports WHERE project_id = ?", project.id)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
    sqlx::query!(
        "UPDATE projects SET closed_at = unixepoch() WHERE id = ?",
        project.id
    )
    .execute(&mut *transaction)
    .await?;
    let event = NewEvent {
        actor,
        project_id: Some(project.id),
        object: Some(format!("project:{}", project.name)),
        detail: Some(format!("{purged} reports purged")),
    };
    audit::record(&mut *transaction, Action::ProjectClosed, event).await?;
    transaction.commit().await?;
    let index = index_dir(index_root, project.id);
    if index.exists() {
        std::fs::remove_dir_all(&index)?;
    }
    Ok(purged)
}

/// Returns where a project's search index lives under the install's index directory.
pub fn index_dir(index_root: &Path, project_id: i64) -> std::path::PathBuf {
    index_root.join(format!("project-{project_id}"))
}

/// Returns the ids of the projects that are not closed.
pub async fn open_ids(pool: &SqlitePool) -> Result<Vec<i64>> {
    let ids = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM projects WHERE closed_at IS NULL ORDER BY id"#
    )
    .fetch_all(pool)
    .await?;
    Ok(ids)
}

/// Returns the project with this id, or `NotFound`.
pub async fn find(pool: &SqlitePool, id: i64) -> Result<Project> {
    sqlx::query_as!(
        Project,
        r#"SELECT id AS "id!", name, irb_protocol, created_at, irb_expires_on, closed_at FROM projects WHERE id = ?"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("project {id}")))
}

/// Returns the project with this name (ignoring case), or `NotFound`.
pub async fn find_by_name(pool: &SqlitePool, name: &str) -> Result<Project> {
    sqlx::query_as!(
        Project,
        r#"SELECT id AS "id!", name, irb_protocol, created_at, irb_expires_on, closed_at FROM projects WHERE name = ?"#,
        name
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("project {name:?}")))
}

/// A project with counts, as read from the database, before its role (if any) is parsed.
struct ProjectRow {
    id: i64,
    name: String,
    irb_protocol: String,
    created_at: i64,
    irb_expires_on: Option<String>,
    closed_at: Option<i64>,
    role: String,
    member_count: i64,
    report_count: i64,
}

impl ProjectRow {
    fn project(&self) -> Project {
        Project {
            id: self.id,
            name: self.name.clone(),
            irb_protocol: self.irb_protocol.clone(),
            created_at: self.created_at,
            irb_expires_on: self.irb_expires_on.clone(),
            closed_at: self.closed_at,
        }
    }

    fn membership(self) -> Result<Membership> {
        Ok(Membership {
            project: self.project(),
            role: self.role.parse()?,
        })
    }

    fn listed(self) -> Result<Listed> {
        let report_count = self.report_count;
        Ok(Listed {
            membership: self.membership()?,
            report_count,
        })
    }
}

/// Returns the project as seen by one of its members, or `NotFound` for anyone else:
/// a non-member cannot tell a project they may not see from one that does not exist.
pub async fn membership(pool: &SqlitePool, project_id: i64, user_id: i64) -> Result<Membership> {
    sqlx::query_as!(
        ProjectRow,
        r#"SELECT p.id AS "id!", p.name, p.irb_protocol, p.created_at, p.irb_expires_on, p.closed_at, m.role,
                  0 AS "member_count!: i64", 0 AS "report_count!: i64"
           FROM projects p JOIN memberships m ON m.project_id = p.id
           WHERE p.id = ? AND m.user_id = ?"#,
        project_id,
        user_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("project {project_id} (or your membership of it)")))?
    .membership()
}

/// Returns the projects a user is a member of, by name, with their report counts.
pub async fn memberships_of(pool: &SqlitePool, user_id: i64) -> Result<Vec<Listed>> {
    let rows = sqlx::query_as!(
        ProjectRow,
        r#"SELECT p.id AS "id!", p.name, p.irb_protocol, p.created_at, p.irb_expires_on, p.closed_at, m.role,
                  0 AS "member_count!: i64",
                  (SELECT COUNT(*) FROM reports r WHERE r.project_id = p.id) AS "report_count!: i64"
           FROM projects p JOIN memberships m ON m.project_id = p.id
           WHERE m.user_id = ? ORDER BY p.name"#,
        user_id
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(ProjectRow::listed).collect()
}

/// Returns every project with its member and report counts, for the site admin.
pub async fn overview(pool: &SqlitePool) -> Result<Vec<ProjectOverview>> {
    let rows = sqlx::query_as!(
        ProjectRow,
        r#"SELECT p.id AS "id!", p.name, p.irb_protocol, p.created_at, p.irb_expires_on, p.closed_at,
                  '' AS "role!: String",
                  (SELECT COUNT(*) FROM memberships m WHERE m.project_id = p.id) AS "member_count!: i64",
                  (SELECT COUNT(*) FROM reports r WHERE r.project_id = p.id) AS "report_count!: i64"
           FROM projects p ORDER BY p.name"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ProjectOverview {
            project: row.project(),
            member_count: row.member_count,
            report_count: row.report_count,
        })
        .collect())
}
