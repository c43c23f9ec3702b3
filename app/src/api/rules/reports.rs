//! The reports a rule labels or matches, a page at a time, its mentions marked with their status.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::server;
use crate::error::AppError;

/// A piece of report text; `mark` is the status class of a highlighted mention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marked {
    pub text: String,
    pub mark: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleReport {
    pub id: i64,
    pub accession: String,
    pub study_date: String,
    pub fragments: Vec<Marked>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleReportsView {
    pub total: u64,
    pub reports: Vec<RuleReport>,
}

/// Reports shown per page of a rule's matches.
pub const RULE_REPORTS_PER_PAGE: usize = 20;

/// A page of the reports a rule labels (or, with `all`, matches), its mentions highlighted.
#[leptos::server(endpoint = "rule_reports")]
pub async fn rule_reports(
    project: i64,
    question: i64,
    id: u32,
    all: bool,
    page: u32,
) -> Result<RuleReportsView, AppError> {
    crate::ssr::respond(
        async {
            let (state, user, _, question) = server::fellow_question(project, question).await?;
            let labels = state.labeling().current(&question).await?;
            let rank = labels
                .rules
                .rules
                .iter()
                .position(|r| r.id == id)
                .ok_or_else(|| AppError::NotFound(format!("Rule {id}")))?;
            let offset = (page as usize).saturating_mul(RULE_REPORTS_PER_PAGE);
            let found = state
                .labeling()
                .rule_reports(&labels, rank, all, offset, RULE_REPORTS_PER_PAGE, &user)
                .await?;
            Ok(RuleReportsView {
                total: found.total,
                reports: found
                    .reports
                    .into_iter()
                    .map(|(report, mentions)| RuleReport {
                        id: report.id,
                        accession: report.accession,
                        study_date: report.study_date,
                        fragments: marked(&report.report_text, &mentions),
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// Cuts a text into pieces, the mentions marked with their status (and "ignored" when the rule's
/// negation mode does not count them).
#[cfg(feature = "ssr")]
pub(crate) fn marked(
    text: &str,
    mentions: &[sieve_core::labeling::engine::Mention],
) -> Vec<Marked> {
    let mut out = Vec::new();
    let mut at = 0;
    for mention in mentions {
        let (start, end) = mention.span;
        if start < at {
            continue;
        }
        if start > at {
            out.push(Marked {
                text: text[at..start].to_string(),
                mark: None,
            });
        }
        let class = match mention.counts {
            true => mention.status.as_str().to_string(),
            false => format!("{} ignored", mention.status.as_str()),
        };
        out.push(Marked {
            text: text[start..end].to_string(),
            mark: Some(class),
        });
        at = end;
    }
    if at < text.len() {
        out.push(Marked {
            text: text[at..].to_string(),
            mark: None,
        });
    }
    out
}
