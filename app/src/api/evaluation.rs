//! A question's current rules scored against the labels people gave its studies (gold items,
//! confirmations, agreements, the fellow's decisions): the same precision, recall and F1 as
//! `sieve evaluate`, on the question's dashboard. Fellows only (`ManageRules`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// How many disagreements the page lists.
pub const LISTED: usize = 50;

/// A study where the rules and people disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisagreementRow {
    pub report_id: i64,
    pub accession: String,
    /// The current rules' soft label; `None`: no rule labels the study.
    pub soft_label: Option<String>,
    pub label: String,
    /// How people gave it: gold, confirmed, agreed or adjudicated.
    pub source: String,
}

/// The scores of a question's rules against people's labels, for one positive label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationView {
    pub labels: Vec<String>,
    pub positive: String,
    pub studies: u64,
    pub true_positive: u64,
    pub false_positive: u64,
    pub false_negative: u64,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    /// The first [`LISTED`] disagreements, and how many there are in all.
    pub disagreements: Vec<DisagreementRow>,
    pub disagreements_total: usize,
}

/// Scores the question's current rules against people's labels; `positive` empty: `present`
/// when the question has that label, else its first.
#[server(endpoint = "question_evaluation")]
pub async fn question_evaluation(
    project: i64,
    question: i64,
    positive: String,
) -> Result<EvaluationView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let caller =
                crate::api::queue::server::caller(project, question, Capability::ManageRules)
                    .await?;
            let labels = caller.question.labels.clone();
            let positive = match positive.trim() {
                "" if labels.iter().any(|l| l == "present") => "present".to_string(),
                "" => labels.first().cloned().unwrap_or_default(),
                chosen => {
                    caller.question.check_label(chosen)?;
                    chosen.to_string()
                }
            };
            let pool = &caller.state.pool;
            let rules = sieve_core::questions::rules(pool, caller.question.id, None).await?;
            let evidence = sieve_core::label_sets::Evidence::read(
                &caller.state.labeling(),
                &caller.question,
                rules,
            )
            .await?;
            let (tally, disagreements) =
                sieve_core::evaluation::against_people(&evidence, &positive);
            let listed = &disagreements[..disagreements.len().min(LISTED)];
            let ids: Vec<i64> = listed.iter().map(|d| d.report_id).collect();
            let accessions: std::collections::HashMap<i64, String> =
                sieve_core::reports::find_many(pool, project, &ids)
                    .await?
                    .into_iter()
                    .map(|r| (r.id, r.accession))
                    .collect();
            Ok(EvaluationView {
                labels,
                positive,
                studies: tally.studies(),
                true_positive: tally.true_positive,
                false_positive: tally.false_positive,
                false_negative: tally.false_negative,
                precision: tally.precision(),
                recall: tally.recall(),
                f1: tally.f1(),
                disagreements: listed
                    .iter()
                    .map(|d| DisagreementRow {
                        report_id: d.report_id,
                        accession: accessions.get(&d.report_id).cloned().unwrap_or_default(),
                        soft_label: d.soft_label.clone(),
                        label: d.label.clone(),
                        source: d.source.name().to_string(),
                    })
                    .collect(),
                disagreements_total: disagreements.len(),
            })
        }
        .await,
    )
}
