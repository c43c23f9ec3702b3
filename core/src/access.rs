//! Who may do what in a project: the one table of permissions, and the one check that every page,
//! server function and REST endpoint goes through.
//!
//! Roles are per project. Someone who is not a member gets `NotFound`, so a project's existence
//! is not revealed; a member without the role gets `Forbidden`. A site admin manages users and
//! projects but reads a project only as one of its members. Once a project's IRB protocol has
//! expired, or the project is closed, members keep its aggregate statistics only.

use std::fmt;

use sqlx::SqlitePool;

use crate::audit::{self, Action, NewEvent};
use crate::auth::ProjectRole::{self, Affiliate, Fellow, Scientist};
use crate::projects::{self, Membership};
use crate::{Error, Result};

/// Something a member can do in a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// See the project's name, protocol, counts and statistics.
    ViewAggregates,
    /// Read report texts (search, the report viewer, the API's studies).
    ReadReports,
    /// Import reports and rebuild the index.
    ImportReports,
    /// Write and order phrase rules, curate the gold set, adjudicate.
    ManageRules,
    /// Answer the confirmation queue.
    Annotate,
    /// Export label sets and download them.
    ExportLabels,
    /// Launch and follow training jobs.
    LaunchJobs,
    /// Register models, import their predictions, validate and watch them.
    ValidateModels,
}

impl Capability {
    /// The permission table: the roles that may do this.
    pub fn roles(self) -> &'static [ProjectRole] {
        match self {
            Capability::ViewAggregates | Capability::ReadReports => &[Fellow, Affiliate, Scientist],
            Capability::ImportReports | Capability::ManageRules => &[Fellow],
            Capability::Annotate => &[Fellow, Affiliate],
            Capability::ExportLabels | Capability::LaunchJobs | Capability::ValidateModels => {
                &[Fellow, Scientist]
            }
        }
    }

    /// Whether this needs a protocol in force (everything but aggregate statistics does).
    pub fn needs_active_protocol(self) -> bool {
        self != Capability::ViewAggregates
    }

    fn describe(self) -> &'static str {
        match self {
            Capability::ViewAggregates => "viewing the project",
            Capability::ReadReports => "reading reports",
            Capability::ImportReports => "importing reports",
            Capability::ManageRules => "managing phrase rules",
            Capability::Annotate => "answering the queue",
            Capability::ExportLabels => "exporting label sets",
            Capability::LaunchJobs => "launching training jobs",
            Capability::ValidateModels => "validating models",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Who is asking: a user, possibly through an API token limited to one project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    /// The project an API token is limited to, if any.
    pub token_project: Option<i64>,
}

/// Checks that `caller` may do `capability` in `project_id` on `today` (`YYYY-MM-DD`), and returns
/// their membership. `NotFound` for non-members (and for a token limited to another project),
/// `Forbidden` with the reason for members who may not.
pub async fn authorize(
    pool: &SqlitePool,
    caller: Caller,
    project_id: i64,
    capability: Capability,
    today: &str,
) -> Result<Membership> {
    if caller
        .token_project
        .is_some_and(|scope| scope != project_id)
    {
        return Err(Error::NotFound(format!(
            "project {project_id} (or your membership of it)"
        )));
    }
    let membership = projects::membership(pool, project_id, caller.user_id).await?;
    check(&membership, capability, today)?;
    Ok(membership)
}

/// [`authorize`] on today's date for a request, with a refusal recorded in the audit log as
/// `access_denied` (by `actor`, naming the capability) — what both the pages and the REST API do
/// for every project request. A failure to record is logged, not shown.
pub async fn admit(
    pool: &SqlitePool,
    caller: Caller,
    actor: &str,
    project_id: i64,
    capability: Capability,
) -> Result<Membership> {
    let refusal = match authorize(pool, caller, project_id, capability, &projects::today()).await {
        Ok(membership) => return Ok(membership),
        Err(refusal) => refusal,
    };
    let event = NewEvent {
        actor: Some(actor),
        project_id: Some(project_id),
        detail: Some(capability.to_string()),
        ..NewEvent::default()
    };
    if let Err(error) = audit::record(pool, Action::AccessDenied, event).await {
        tracing::error!(%error, "could not audit a refused request");
    }
    Err(refusal)
}

/// Whether a membership allows `capability` today: what a page asks before it shows a control,
/// by the same rule as [`check`] (role and protocol dates), so it never offers what the server
/// would refuse.
pub fn allows(membership: &Membership, capability: Capability) -> bool {
    check(membership, capability, &projects::today()).is_ok()
}

/// The rule itself, for a membership already read.
pub fn check(membership: &Membership, capability: Capability, today: &str) -> Result<()> {
    let project = &membership.project;
    if capability.needs_active_protocol() {
        if project.is_closed() {
            return Err(Error::Forbidden(format!(
                "project {:?} is closed: its reports were purged and only its statistics remain",
                project.name
            )));
        }
        if project.is_expired(today) {
            return Err(Error::Forbidden(format!(
                "IRB protocol {} expired after {}: only aggregate statistics remain available",
                project.irb_protocol,
                project.irb_expires_on.as_deref().unwrap_or_default()
            )));
        }
    }
    if !capability.roles().contains(&membership.role) {
        let roles: Vec<_> = capability
            .roles()
            .iter()
            .map(|role| role.as_str())
            .collect();
        return Err(Error::Forbidden(format!(
            "{} needs the {} role in this project; yours is {}",
            capitalise(capability.describe()),
            roles.join(" or "),
            membership.role
        )));
    }
    Ok(())
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projects::Project;

    fn membership(role: ProjectRole, expires: Option<&str>, closed: bool) -> Membership {
        Membership {
            project: Project {
                id: 1,
                name: "P".into(),
                irb_protocol: "IRB-1".into(),
                created_at: 0,
                irb_expires_on: expires.map(str::to_owned),
                closed_at: closed.then_some(5),
            },
            role,
        }
    }

    #[test]
    fn each_role_gets_exactly_its_capabilities() {
        let today = "2026-01-01";
        let allowed = |role| {
            [
                Capability::ViewAggregates,
                Capability::ReadReports,
                Capability::ImportReports,
                Capability::ManageRules,
                Capability::Annotate,
                Capability::ExportLabels,
                Capability::LaunchJobs,
                Capability::ValidateModels,
            ]
            .into_iter()
            .filter(|capability| check(&membership(role, None, false), *capability, today).is_ok())
            .count()
        };
        assert_eq!(allowed(Fellow), 8);
        assert_eq!(allowed(Affiliate), 3);
        assert_eq!(allowed(Scientist), 5);
    }

    #[test]
    fn an_expired_protocol_leaves_aggregates_only() {
        let member = membership(Fellow, Some("2025-12-31"), false);
        assert!(check(&member, Capability::ViewAggregates, "2026-01-01").is_ok());
        let error = check(&member, Capability::ReadReports, "2026-01-01").unwrap_err();
        assert!(
            error.to_string().contains("expired after 2025-12-31"),
            "{error}"
        );
        // The last day itself is still valid.
        assert!(check(&member, Capability::ReadReports, "2025-12-31").is_ok());
    }

    #[test]
    fn a_closed_project_leaves_aggregates_only() {
        let member = membership(Fellow, None, true);
        assert!(check(&member, Capability::ViewAggregates, "2026-01-01").is_ok());
        assert!(matches!(
            check(&member, Capability::ReadReports, "2026-01-01"),
            Err(Error::Forbidden(_))
        ));
    }

    #[test]
    fn a_refusal_names_the_role_needed() {
        let error = check(
            &membership(Affiliate, None, false),
            Capability::ExportLabels,
            "2026-01-01",
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "Exporting label sets needs the fellow or scientist role in this project; yours is affiliate");
    }
}
