//! Cohorts of a project: saved searches with their live counts.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::search::SearchForm;
use crate::error::AppError;

/// A cohort in the project's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortRow {
    pub id: i64,
    pub name: String,
    pub count: usize,
    /// The search form it was saved from, to open it on the search page.
    pub form: SearchForm,
}

/// A project's cohorts, and whether the caller may delete them (fellows), so that the page offers
/// Delete only to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortsView {
    pub rows: Vec<CohortRow>,
    pub writes_rules: bool,
}

/// Returns a project's cohorts with their counts (every member).
#[server(endpoint = "cohorts")]
pub async fn cohorts(project: i64) -> Result<CohortsView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, _, membership) =
                crate::ssr::require_project(project, Capability::ViewAggregates).await?;
            let cohorts = sieve_core::cohorts::list(&state.pool, &state.indexes, project).await?;
            let rows = cohorts
                .into_iter()
                .map(|entry| {
                    let filter = entry.cohort.filter;
                    CohortRow {
                        id: entry.cohort.id,
                        name: entry.cohort.name,
                        count: entry.count,
                        form: SearchForm {
                            q: filter.text,
                            from: filter.date_from.unwrap_or_default(),
                            to: filter.date_to.unwrap_or_default(),
                            exam: filter.exam_codes.join(", "),
                            modality: filter.modalities.join(", "),
                            body_part: filter.body_parts.join(", "),
                        },
                    }
                })
                .collect();
            Ok(CohortsView {
                rows,
                writes_rules: sieve_core::access::allows(&membership, Capability::ManageRules),
            })
        }
        .await,
    )
}

/// Saves the current search as a cohort (fellows).
#[server(endpoint = "save_cohort")]
pub async fn save_cohort(project: i64, name: String, form: SearchForm) -> Result<i64, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, user, _) =
                crate::ssr::require_project(project, Capability::ManageRules).await?;
            let filter = form.filter();
            let cohort = sieve_core::cohorts::save(
                &state.pool,
                &state.indexes,
                project,
                &name,
                &filter,
                &user.name,
            )
            .await?;
            Ok(cohort.id)
        }
        .await,
    )
}

/// Deletes a cohort that no question uses (fellows); one that questions use is refused with
/// the questions and the studies each would then cover.
#[server(endpoint = "delete_cohort")]
pub async fn delete_cohort(project: i64, id: i64) -> Result<(), AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, user, _) =
                crate::ssr::require_project(project, Capability::ManageRules).await?;
            sieve_core::cohorts::delete(&state.pool, &state.indexes, project, id, &user.name)
                .await?;
            Ok(())
        }
        .await,
    )
}
