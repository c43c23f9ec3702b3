//! The projects a member sees.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A project as one of its members sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectCard {
    pub id: i64,
    pub name: String,
    pub irb_protocol: String,
    /// The viewer's role in the project: fellow, affiliate or scientist.
    pub role: String,
    pub report_count: i64,
    /// The protocol's last valid day, if it has one.
    pub irb_expires_on: Option<String>,
    /// Why only statistics are available, when the protocol expired or the project was closed.
    pub restriction: Option<String>,
    /// What the viewer may do today, by the rule the server checks (`access::allows`):
    /// which links and forms the pages offer. The server checks every request all the same.
    pub may: Allowed,
}

/// What a member's role allows in a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowed {
    /// Questions, rules, the gold set and the queue dashboard.
    pub manage_rules: bool,
    pub import_reports: bool,
    /// Label sets and training jobs.
    pub export_labels: bool,
    /// Models, their predictions and alarms.
    pub validate_models: bool,
}

#[cfg(feature = "ssr")]
impl From<sieve_core::projects::Listed> for ProjectCard {
    fn from(listed: sieve_core::projects::Listed) -> Self {
        let membership = listed.membership;
        use sieve_core::access::{check, Capability};
        let today = sieve_core::projects::today();
        let restriction = check(&membership, Capability::ReadReports, &today)
            .err()
            .filter(|_| membership.project.is_closed() || membership.project.is_expired(&today))
            .map(|error| error.to_string());
        let may = |capability: Capability| sieve_core::access::allows(&membership, capability);
        let may = Allowed {
            manage_rules: may(Capability::ManageRules),
            import_reports: may(Capability::ImportReports),
            export_labels: may(Capability::ExportLabels),
            validate_models: may(Capability::ValidateModels),
        };
        ProjectCard {
            may,
            irb_expires_on: membership.project.irb_expires_on.clone(),
            restriction,
            id: membership.project.id,
            name: membership.project.name,
            irb_protocol: membership.project.irb_protocol,
            role: membership.role.to_string(),
            report_count: listed.report_count,
        }
    }
}

/// Returns the projects the signed-in user is a member of.
#[server(endpoint = "my_projects")]
pub async fn my_projects() -> Result<Vec<ProjectCard>, AppError> {
    crate::ssr::respond(
        async {
            let (state, user) = crate::ssr::require_user().await?;
            let memberships = sieve_core::projects::memberships_of(&state.pool, user.id).await?;
            Ok(memberships.into_iter().map(ProjectCard::from).collect())
        }
        .await,
    )
}

/// Returns one project for one of its members; anyone else gets `NotFound`, as if it did not exist.
#[server(endpoint = "project")]
pub async fn project(id: i64) -> Result<ProjectCard, AppError> {
    use sieve_core::audit::{self, Action, NewEvent};

    crate::ssr::respond(
        async {
            let (state, user, membership) =
                crate::ssr::require_project(id, sieve_core::access::Capability::ViewAggregates)
                    .await?;
            let event = NewEvent {
                actor: Some(&user.name),
                project_id: Some(id),
                object: Some(format!("project:{}", membership.project.name)),
                ..NewEvent::default()
            };
            audit::record(&state.pool, Action::ProjectViewed, event).await?;
            let report_count = sieve_core::reports::count(&state.pool, id).await?;
            Ok(ProjectCard::from(sieve_core::projects::Listed {
                membership,
                report_count,
            }))
        }
        .await,
    )
}
