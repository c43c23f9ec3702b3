//! The one rule of a study's final label and its source, and the one reading of the fellow's
//! decisions (adjudications, gold items) that the dashboard, label sets and REST API share.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::Result;

/// Where a study's final label comes from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Adjudicated,
    /// The fellow's true label for a gold item.
    Gold,
    Agreed,
    Confirmed,
    /// Raters disagree and no fellow has decided: the soft label stands, marked so.
    Disputed,
    Soft,
}

impl Source {
    /// The source's name in files, the API and on screen (as serialised: `adjudicated`, `gold` …).
    pub fn name(self) -> &'static str {
        match self {
            Source::Adjudicated => "adjudicated",
            Source::Gold => "gold",
            Source::Agreed => "agreed",
            Source::Confirmed => "confirmed",
            Source::Disputed => "disputed",
            Source::Soft => "soft",
        }
    }

    /// What the source means, in the words the dashboard shows beside its count.
    pub fn meaning(self) -> &'static str {
        match self {
            Source::Adjudicated => "a fellow settled it",
            Source::Gold => "the fellow's label of a gold item",
            Source::Agreed => "two or more raters gave the same label",
            Source::Confirmed => "one rater's answer (all a study outside the overlap needs)",
            Source::Disputed => {
                "raters disagree and no fellow has settled it on the adjudication page: the soft label stands"
            }
            Source::Soft => "no answer yet: the rules' soft label",
        }
    }
}

/// A study's final label for a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Final {
    pub label: String,
    pub source: Source,
    /// Share of the answers that agree with the final label, from two answers on (`None` with
    /// fewer: one rater agrees with no one).
    pub agreement: Option<f64>,
}

/// The fellow's decisions on a question's studies: adjudications and gold items, by report id.
/// The one reading of them for the dashboard, the label sets and the REST API.
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    pub adjudicated: HashMap<i64, String>,
    pub gold: HashMap<i64, String>,
}

impl Decisions {
    /// Reads a question's adjudications (those made on the report's current text, see the
    /// `trusted_adjudications` view) and gold items.
    pub async fn read(pool: &SqlitePool, question_id: i64) -> Result<Decisions> {
        let adjudicated = sqlx::query!(
            r#"SELECT report_id AS "report_id!", label AS "label!" FROM trusted_adjudications WHERE question_id = ?"#,
            question_id
        )
        .fetch_all(pool)
        .await?;
        let gold = sqlx::query!(
            "SELECT report_id, label FROM gold WHERE question_id = ?",
            question_id
        )
        .fetch_all(pool)
        .await?;
        Ok(Decisions {
            adjudicated: adjudicated
                .into_iter()
                .map(|r| (r.report_id, r.label))
                .collect(),
            gold: gold.into_iter().map(|r| (r.report_id, r.label)).collect(),
        })
    }

    /// A study's final label from its soft label and its answers (gold items' answers aside).
    pub fn final_label(
        &self,
        report_id: i64,
        soft: Option<&str>,
        answers: &[&str],
    ) -> Option<Final> {
        let adjudicated = self.adjudicated.get(&report_id).map(String::as_str);
        let gold = self.gold.get(&report_id).map(String::as_str);
        final_label(soft, answers, adjudicated, gold)
    }

    /// The studies the fellow decided, adjudicated or gold.
    pub fn studies(&self) -> impl Iterator<Item = i64> + '_ {
        self.adjudicated
            .keys()
            .chain(
                self.gold
                    .keys()
                    .filter(|id| !self.adjudicated.contains_key(id)),
            )
            .copied()
    }
}

/// Resolves a final label: adjudicated > gold > agreed confirmations > single confirmation > soft
/// label (disputed where confirmations disagree).
pub fn final_label(
    soft: Option<&str>,
    answers: &[&str],
    adjudicated: Option<&str>,
    gold: Option<&str>,
) -> Option<Final> {
    let share = |label: &str| {
        (answers.len() >= 2)
            .then(|| answers.iter().filter(|a| **a == label).count() as f64 / answers.len() as f64)
    };
    let make = |label: &str, source| Final {
        label: label.to_string(),
        source,
        agreement: share(label),
    };
    if let Some(label) = adjudicated {
        return Some(make(label, Source::Adjudicated));
    }
    if let Some(label) = gold {
        return Some(make(label, Source::Gold));
    }
    match answers {
        [] => soft.map(|label| make(label, Source::Soft)),
        [one] => Some(make(one, Source::Confirmed)),
        [first, rest @ ..] if rest.iter().all(|a| a == first) => Some(make(first, Source::Agreed)),
        _ => soft.map(|label| make(label, Source::Disputed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_named_as_it_is_serialised() {
        for source in [
            Source::Adjudicated,
            Source::Gold,
            Source::Agreed,
            Source::Confirmed,
            Source::Disputed,
            Source::Soft,
        ] {
            assert_eq!(serde_json::to_value(source).unwrap(), source.name());
        }
    }

    #[test]
    fn final_labels_follow_the_order_of_trust() {
        let soft = Some("present");
        assert_eq!(
            final_label(soft, &[], None, None).unwrap().source,
            Source::Soft
        );
        let one = final_label(soft, &["absent"], None, None).unwrap();
        assert_eq!(
            (one.label.as_str(), one.source),
            ("absent", Source::Confirmed)
        );
        let agreed = final_label(soft, &["absent", "absent"], None, None).unwrap();
        assert_eq!(
            (agreed.source, agreed.agreement),
            (Source::Agreed, Some(1.0))
        );
        let disputed = final_label(soft, &["absent", "present"], None, None).unwrap();
        assert_eq!(
            (disputed.label.as_str(), disputed.source),
            ("present", Source::Disputed)
        );
        let decided = final_label(soft, &["absent", "present"], Some("absent"), None).unwrap();
        assert_eq!(
            (decided.source, decided.agreement),
            (Source::Adjudicated, Some(0.5))
        );
        assert_eq!(final_label(None, &[], None, None), None);
        // One rater agrees with no one; gold is its own source, below an adjudication.
        assert_eq!(one.agreement, None);
        let gold = final_label(soft, &["absent"], None, Some("present")).unwrap();
        assert_eq!(
            (gold.label.as_str(), gold.source),
            ("present", Source::Gold)
        );
        let both = final_label(soft, &[], Some("absent"), Some("present")).unwrap();
        assert_eq!(both.source, Source::Adjudicated);
    }
}
