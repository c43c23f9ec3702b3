//! What the site admin sees: users, projects and the latest audit events.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A user in the admin's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub name: String,
    pub is_admin: bool,
    pub disabled: bool,
    /// The admin looking at the list (who cannot disable themselves).
    pub is_you: bool,
}

/// A project in the admin's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRow {
    pub id: i64,
    pub name: String,
    pub irb_protocol: String,
    pub member_count: i64,
    pub report_count: i64,
}

/// One audit event, with its time already formatted (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    /// The project's name; empty for site-wide events (sign-ins, users).
    pub project: String,
    pub object: String,
    pub detail: String,
}

/// Everything the admin page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteOverview {
    pub users: Vec<UserRow>,
    pub projects: Vec<ProjectRow>,
    pub recent_events: Vec<AuditRow>,
}

/// How many audit events the admin page shows.
pub const RECENT_EVENTS: i64 = 50;

/// Returns the admin overview, for site admins only.
#[server(endpoint = "admin_overview")]
pub async fn admin_overview() -> Result<SiteOverview, AppError> {
    use sieve_core::{audit, auth, projects};

    crate::ssr::respond(
        async {
            let (state, admin) = crate::ssr::require_admin().await?;
            let users = auth::list_users(&state.pool).await?;
            let projects = projects::overview(&state.pool).await?;
            let events = audit::recent(&state.pool, RECENT_EVENTS).await?;
            Ok(SiteOverview {
                users: users
                    .into_iter()
                    .map(|u| UserRow {
                        is_you: u.id == admin.id,
                        name: u.name,
                        is_admin: u.is_admin,
                        disabled: u.disabled,
                    })
                    .collect(),
                projects: projects
                    .into_iter()
                    .map(|p| ProjectRow {
                        id: p.project.id,
                        name: p.project.name,
                        irb_protocol: p.project.irb_protocol,
                        member_count: p.member_count,
                        report_count: p.report_count,
                    })
                    .collect(),
                recent_events: events.into_iter().map(audit_row).collect(),
            })
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn audit_row(event: sieve_core::audit::Event) -> AuditRow {
    AuditRow {
        at: sieve_core::audit::format_time(event.at),
        actor: event.actor.unwrap_or_else(|| "system".into()),
        action: event.action,
        project: event.project.unwrap_or_default(),
        object: event.object.unwrap_or_default(),
        detail: event.detail.unwrap_or_default(),
    }
}

/// One page of the audit log, as the admin's audit page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogPage {
    pub rows: Vec<AuditRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Events per page on the audit page.
pub const AUDIT_PAGE_SIZE: i64 = 50;

/// The audit page's filters as typed (empty: any): part of a name, part of an action, a project id, part
/// of the object or detail (an accession), and a day range `YYYY-MM-DD` (both days included).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    pub actor: String,
    pub action: String,
    pub project: String,
    pub text: String,
    pub from: String,
    pub to: String,
}

/// Returns one page of audit events, newest first, filtered as `query` says. For site admins only.
#[server(endpoint = "audit_events")]
pub async fn audit_events(query: AuditQuery, page: i64) -> Result<AuditLogPage, AppError> {
    use sieve_core::audit;

    crate::ssr::respond(
        async {
            let (state, _) = crate::ssr::require_admin().await?;
            let given = |text: &str| Some(text.trim().to_string()).filter(|text| !text.is_empty());
            let project_id = match given(&query.project) {
                Some(id) => Some(id.parse::<i64>().map_err(|_| {
                    AppError::Invalid(format!(
                        "Project id: “{id}” is not a number (the project's id, as in its address)"
                    ))
                })?),
                None => None,
            };
            let (since, until) = audit::day_range(&query.from, &query.to)?;
            let filter = audit::Filter {
                actor: given(&query.actor),
                action: given(&query.action),
                text: given(&query.text),
                project_id,
                since,
                until,
            };
            let found = audit::search(&state.pool, &filter, page.max(0), AUDIT_PAGE_SIZE).await?;
            Ok(AuditLogPage {
                rows: found.events.into_iter().map(audit_row).collect(),
                total: found.total,
                page: page.max(0),
                pages: (found.total + AUDIT_PAGE_SIZE - 1) / AUDIT_PAGE_SIZE,
            })
        }
        .await,
    )
}

/// Every project (id, name), for the audit page's Project filter. For site admins only.
#[server(endpoint = "audit_projects")]
pub async fn audit_projects() -> Result<Vec<(i64, String)>, AppError> {
    crate::ssr::respond(
        async {
            let (state, _) = crate::ssr::require_admin().await?;
            Ok(sieve_core::projects::overview(&state.pool)
                .await?
                .into_iter()
                .map(|listed| (listed.project.id, listed.project.name))
                .collect())
        }
        .await,
    )
}

/// A project as the admin's project page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectAdmin {
    pub id: i64,
    pub name: String,
    pub irb_protocol: String,
    pub irb_expires_on: Option<String>,
    pub closed: bool,
    pub report_count: i64,
    pub members: Vec<crate::api::memberships::MemberRow>,
    /// Every user's name, for the add-member form.
    pub all_users: Vec<String>,
}

/// Returns one project for the site admin.
#[server(endpoint = "admin_project")]
pub async fn admin_project(id: i64) -> Result<ProjectAdmin, AppError> {
    crate::ssr::respond(
        async {
            let (state, _) = crate::ssr::require_admin().await?;
            let project = sieve_core::projects::find(&state.pool, id).await?;
            let report_count = sieve_core::reports::count(&state.pool, id).await?;
            let members = sieve_core::projects::members(&state.pool, id).await?;
            let all_users = sieve_core::auth::list_users(&state.pool).await?;
            Ok(ProjectAdmin {
                members: members
                    .into_iter()
                    .map(|m| crate::api::memberships::MemberRow {
                        user: m.user_name,
                        role: m.role.to_string(),
                        disabled: m.disabled,
                    })
                    .collect(),
                all_users: all_users
                    .into_iter()
                    .filter(|u| !u.disabled)
                    .map(|u| u.name)
                    .collect(),
                id,
                closed: project.is_closed(),
                name: project.name,
                irb_protocol: project.irb_protocol,
                irb_expires_on: project.irb_expires_on,
                report_count,
            })
        }
        .await,
    )
}

/// Sets a project's protocol end date (`YYYY-MM-DD`, or empty for none). For site admins only.
#[server(endpoint = "set_irb_expiry")]
pub async fn set_irb_expiry(id: i64, last_day: String) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let (state, admin) = crate::ssr::require_admin().await?;
            let last_day = Some(last_day.trim()).filter(|day| !day.is_empty());
            sieve_core::projects::set_irb_expiry(&state.pool, id, last_day, Some(&admin.name))
                .await?;
            Ok(())
        }
        .await,
    )
}

/// Closes a project, purging its reports and index; `confirmation` must repeat its name.
/// For site admins only. Returns how many reports were purged.
#[server(endpoint = "close_project")]
pub async fn close_project(id: i64, confirmation: String) -> Result<u64, AppError> {
    crate::ssr::respond(
        async {
            let (state, admin) = crate::ssr::require_admin().await?;
            let index_root = state.settings.index_dir.clone();
            // The index's writer must let go of its files before they are removed.
            state.indexes.forget(id);
            let purged = sieve_core::projects::close(
                &state.pool,
                &index_root,
                id,
                &confirmation,
                Some(&admin.name),
            )
            .await?;
            Ok(purged)
        }
        .await,
    )
}
