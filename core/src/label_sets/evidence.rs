//! What a question's final labels rest on: the soft labels of a version of its rules, the
//! affiliates' answers and the fellow's decisions. The one reading of a study's final label and its
//! source: label sets take their cells from it, and the REST API lists it study by study.

use std::collections::HashMap;

use roaring::RoaringBitmap;

use crate::questions::{Question, RuleSet};
use crate::queue::{Decisions, Final, Source};
use crate::soft_labels::Context;
use crate::Result;

/// The labels of one question: soft labels as bitmaps, answers, and the fellow's decisions.
pub struct Evidence {
    soft: Vec<(String, RoaringBitmap)>,
    /// Answers by study, gold items' answers aside (they score the affiliate, not the study).
    answers: HashMap<i64, Vec<String>>,
    decisions: Decisions,
}

/// One study's labels for a question.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyLabel {
    pub report_id: i64,
    /// The soft label of the rules the evidence was read with.
    pub soft_label: Option<String>,
    /// Answers the final label rests on (gold items' answers aside).
    pub answers: usize,
    pub final_label: Final,
}

/// Which studies a listing keeps: `None` keeps every one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelFilter {
    /// The final label.
    pub label: Option<String>,
    /// Where the final label comes from.
    pub source: Option<Source>,
}

impl LabelFilter {
    fn keeps(&self, final_label: &Final) -> bool {
        self.label.as_ref().is_none_or(|l| *l == final_label.label)
            && self.source.is_none_or(|s| s == final_label.source)
    }
}

impl Evidence {
    /// Reads a question's evidence under `rules` (a version of its rules).
    pub async fn read(
        context: &Context<'_>,
        question: &Question,
        rules: RuleSet,
    ) -> Result<Evidence> {
        let labels = context.labels(question, rules).await?;
        let soft = labels.resolution.labels.into_iter().collect();
        let mut answers: HashMap<i64, Vec<String>> = HashMap::new();
        // Every answer, gold items' too: a gold item's final label is the fellow's (it outranks
        // answers), and a study that has left the gold set is labeled by its answers like any.
        let rows = sqlx::query!(
            r#"SELECT report_id AS "report_id!", label AS "label!" FROM trusted_answers WHERE question_id = ?"#,
            question.id
        )
        .fetch_all(context.pool)
        .await?;
        for row in rows {
            answers.entry(row.report_id).or_default().push(row.label);
        }
        let decisions = Decisions::read(context.pool, question.id).await?;
        Ok(Evidence {
            soft,
            answers,
            decisions,
        })
    }

    /// Returns a study's soft label.
    pub fn soft_label(&self, report_id: i64) -> Option<&str> {
        let id = u32::try_from(report_id).ok()?;
        self.soft
            .iter()
            .find(|(_, studies)| studies.contains(id))
            .map(|(label, _)| label.as_str())
    }

    fn answers_of(&self, report_id: i64) -> Vec<&str> {
        self.answers
            .get(&report_id)
            .map(|all| all.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Returns a study's final label and its source; `None` for a study with no soft label, no
    /// answer and no decision.
    pub fn final_label(&self, report_id: i64) -> Option<Final> {
        let soft = self.soft_label(report_id);
        self.decisions
            .final_label(report_id, soft, &self.answers_of(report_id))
    }

    /// Every study that has a final label (a soft label, an answer or a decision), in id order.
    pub fn studies(&self) -> RoaringBitmap {
        let mut studies = RoaringBitmap::new();
        for (_, labeled) in &self.soft {
            studies |= labeled;
        }
        let others = self.answers.keys().copied().chain(self.decisions.studies());
        studies.extend(others.filter_map(|id| u32::try_from(id).ok()));
        studies
    }

    /// The labels of the studies `filter` keeps, in id order.
    pub fn study_labels<'a>(
        &'a self,
        filter: &'a LabelFilter,
    ) -> impl Iterator<Item = StudyLabel> + 'a {
        self.studies().into_iter().filter_map(move |id| {
            let report_id = i64::from(id);
            let final_label = self.final_label(report_id)?;
            filter.keeps(&final_label).then(|| StudyLabel {
                report_id,
                soft_label: self.soft_label(report_id).map(str::to_string),
                answers: self.answers.get(&report_id).map_or(0, Vec::len),
                final_label,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Studies 1–4 labeled "present" by the rules; 2 confirmed "absent", 3 adjudicated "absent",
    /// 9 (outside the soft labels) a gold item "absent".
    fn evidence() -> Evidence {
        let soft = vec![(
            "present".to_string(),
            RoaringBitmap::from_iter([1u32, 2, 3, 4]),
        )];
        let answers = HashMap::from([(2, vec!["absent".to_string()])]);
        let decisions = Decisions {
            adjudicated: HashMap::from([(3, "absent".to_string())]),
            gold: HashMap::from([(9, "absent".to_string())]),
        };
        Evidence {
            soft,
            answers,
            decisions,
        }
    }

    fn listed(evidence: &Evidence, filter: &LabelFilter) -> Vec<(i64, String, Source)> {
        evidence
            .study_labels(filter)
            .map(|s| (s.report_id, s.final_label.label, s.final_label.source))
            .collect()
    }

    #[test]
    fn every_study_with_a_soft_label_an_answer_or_a_decision_is_listed_in_id_order() {
        let evidence = evidence();
        let every = listed(&evidence, &LabelFilter::default());
        let expected = [
            (1, "present", Source::Soft),
            (2, "absent", Source::Confirmed),
            (3, "absent", Source::Adjudicated),
            (4, "present", Source::Soft),
            (9, "absent", Source::Gold),
        ]
        .map(|(id, label, source)| (id, label.to_string(), source));
        assert_eq!(every, expected);
        let confirmed = evidence
            .study_labels(&LabelFilter::default())
            .nth(1)
            .unwrap();
        assert_eq!(
            (confirmed.soft_label.as_deref(), confirmed.answers),
            (Some("present"), 1)
        );
        assert_eq!(evidence.final_label(5), None, "no evidence, no label");
    }

    #[test]
    fn filters_keep_the_label_and_the_source_asked_for() {
        let evidence = evidence();
        let absent = LabelFilter {
            label: Some("absent".into()),
            source: None,
        };
        let ids: Vec<i64> = listed(&evidence, &absent).iter().map(|s| s.0).collect();
        assert_eq!(ids, [2, 3, 9]);
        let soft_absent = LabelFilter {
            label: Some("absent".into()),
            source: Some(Source::Soft),
        };
        assert!(listed(&evidence, &soft_absent).is_empty());
        let gold = LabelFilter {
            label: None,
            source: Some(Source::Gold),
        };
        assert_eq!(listed(&evidence, &gold).len(), 1);
    }
}
