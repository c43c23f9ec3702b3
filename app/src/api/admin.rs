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
}

/// A project in the admin's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRow {
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
            let (state, _) = crate::ssr::require_admin().await?;
            let users = auth::list_users(&state.pool).await?;
            let projects = projects::overview(&state.pool).await?;
            let events = audit::recent(&state.pool, RECENT_EVENTS).await?;
            Ok(SiteOverview {
                users: users
                    .into_iter()
                    .map(|u| UserRow {
                        name: u.name,
                        is_admin: u.is_admin,
                        disabled: u.disabled,
                    })
                    .collect(),
                projects: projects
                    .into_iter()
                    .map(|p| ProjectRow {
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
        object: event.object.unwrap_or_default(),
        detail: event.detail.unwrap_or_default(),
    }
}
