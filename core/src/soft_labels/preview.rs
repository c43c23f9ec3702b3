//! One rule seen before it is saved (what it would newly label, and take from the rules below it)
//! and the reports it matches, a page at a time, with its mentions to highlight.

use super::{one_rule_labeler, Context, Labels};
use crate::labeling::{Labeler, Rule};
use crate::questions;
use crate::{Error, Result};

/// What a rule would do if saved at a place: the studies it would newly label, and those it
/// would take from each rule below it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Preview {
    pub matches: u64,
    /// Unlabeled studies it would label, by label.
    pub newly: Vec<(String, u64)>,
    /// (rule id, studies it would take from that rule).
    pub taken: Vec<(u32, u64)>,
}

/// A page of the reports a rule matches, each with the rule's mentions to highlight.
pub struct RuleReports {
    pub total: u64,
    pub reports: Vec<(
        crate::reports::Report,
        Vec<crate::labeling::engine::Mention>,
    )>,
}

impl Context<'_> {
    /// Previews `rule` inserted at `at` in the current rules (`labels`); refused (`Invalid`) for
    /// what an add of it would be refused for (see `questions::check_new`).
    pub async fn preview(&self, labels: &Labels, rule: Rule, at: usize) -> Result<Preview> {
        crate::questions::check_new(&labels.rules.rules, &rule)?;
        let mut draft = labels.rules.clone();
        let at = at.min(draft.rules.len());
        draft.rules.insert(
            at,
            crate::questions::StoredRule {
                id: 0,
                rule: rule.clone(),
            },
        );
        let settings = questions::text_settings(self.pool, labels.question.project_id).await?;
        Labeler::new(vec![draft.rule_book(&labels.question)], &settings)?;
        let after = self.labels(&labels.question, draft).await?;
        let captured = &after.resolution.effective[at];
        let newly = after.matches[at]
            .by_label
            .iter()
            .map(|(label, studies)| {
                let studies = studies & captured & &labels.resolution.unlabeled;
                (label.clone(), studies.len())
            })
            .filter(|(_, count)| *count > 0)
            .collect();
        let taken = labels
            .rules
            .rules
            .iter()
            .zip(&labels.resolution.effective)
            .skip(at)
            .map(|(stored, effective)| (stored.id, effective.intersection_len(captured)))
            .filter(|(_, count)| *count > 0)
            .collect();
        Ok(Preview {
            matches: after.resolution.stats[at].matches,
            newly,
            taken,
        })
    }

    /// Returns a page of the reports rule `rank` labels (or, with `all`, matches), lowest id first,
    /// with its mentions; recorded in the audit log as a search.
    pub async fn rule_reports(
        &self,
        labels: &Labels,
        rank: usize,
        all: bool,
        offset: usize,
        limit: usize,
        actor: &str,
    ) -> Result<RuleReports> {
        let stored = labels
            .rules
            .rules
            .get(rank)
            .ok_or_else(|| Error::NotFound(format!("rule at priority {}", rank + 1)))?;
        let studies = match all {
            true => labels.matches[rank].all() & &*labels.cohort,
            false => labels.resolution.effective[rank].clone(),
        };
        let ids: Vec<i64> = studies
            .iter()
            .skip(offset)
            .take(limit)
            .map(i64::from)
            .collect();
        let project_id = labels.question.project_id;
        let reports = crate::reports::find_many(self.pool, project_id, &ids).await?;
        let settings = questions::text_settings(self.pool, project_id).await?;
        let labeler = one_rule_labeler(&labels.question, &stored.rule, &settings)?;
        let event = crate::audit::NewEvent {
            actor: Some(actor),
            project_id: Some(project_id),
            object: Some(format!("question:{}", labels.question.name)),
            detail: Some(format!(
                "reports of rule “{}” ({} shown)",
                stored.rule.phrase,
                reports.len()
            )),
        };
        crate::audit::record(self.pool, crate::audit::Action::ReportsSearched, event).await?;
        Ok(RuleReports {
            total: studies.len(),
            reports: reports
                .into_iter()
                .map(|report| {
                    let mentions = labeler.mentions(&report.report_text);
                    (report, mentions)
                })
                .collect(),
        })
    }
}
