//! A question's rule versions, and the studies whose soft label flips between two of them.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::server;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRow {
    pub version: i64,
    pub change: String,
    pub actor: String,
    pub at: String,
    pub rules: usize,
}

/// Studies whose label flips between two versions, for one (from, to) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlipRow {
    pub from: String,
    pub to: String,
    pub count: u64,
    /// (report id, accession) of a few of them.
    pub examples: Vec<(i64, String)>,
}

/// A question's versions, newest first.
#[leptos::server(endpoint = "rule_versions")]
pub async fn rule_versions(project: i64, question: i64) -> Result<Vec<VersionRow>, AppError> {
    crate::ssr::respond(
        async {
            let (state, _, _, question) = server::fellow_question(project, question).await?;
            let versions = sieve_core::questions::versions(&state.pool, question.id).await?;
            Ok(versions
                .into_iter()
                .map(|v| VersionRow {
                    version: v.version,
                    change: v.change,
                    actor: v.actor.unwrap_or_default(),
                    at: sieve_core::audit::format_time(v.created_at),
                    rules: v.rules,
                })
                .collect())
        }
        .await,
    )
}

/// The studies whose soft label flips from version `from` to version `to`.
#[leptos::server(endpoint = "compare_versions")]
pub async fn compare_versions(
    project: i64,
    question: i64,
    from: i64,
    to: i64,
) -> Result<Vec<FlipRow>, AppError> {
    use sieve_core::questions;
    crate::ssr::respond(
        async {
            let (state, _, _, question) = server::fellow_question(project, question).await?;
            let before = questions::rules(&state.pool, question.id, Some(from)).await?;
            let after = questions::rules(&state.pool, question.id, Some(to)).await?;
            let before = state.labeling().labels(&question, before).await?;
            let after = state.labeling().labels(&question, after).await?;
            let flips =
                sieve_core::labeling::priority::flips(&before.resolution, &after.resolution, 5);
            let mut rows = Vec::new();
            for flip in flips {
                let ids: Vec<i64> = flip.examples.iter().map(|&id| i64::from(id)).collect();
                let reports = sieve_core::reports::find_many(&state.pool, project, &ids).await?;
                let name = |label: Option<String>| label.unwrap_or_else(|| "unlabeled".into());
                rows.push(FlipRow {
                    from: name(flip.from),
                    to: name(flip.to),
                    count: flip.count,
                    examples: reports.into_iter().map(|r| (r.id, r.accession)).collect(),
                });
            }
            Ok(rows)
        }
        .await,
    )
}
