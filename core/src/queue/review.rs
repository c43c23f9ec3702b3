//! The fellow's dashboard of a question: counts, agreement, each affiliate's gold score, rule
//! precision, disagreements and final labels by source.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use super::{settings, Decisions, RaterAnswer, Settings, Source};
use crate::agreement::{Agreement, Ratings};
use crate::questions::Question;
use crate::{Error, Result};

/// How one affiliate did on the gold set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldScore {
    pub answered: u64,
    pub correct: u64,
    pub accuracy: Option<f64>,
    /// Per true label: the share of its gold items answered with it.
    pub recall: Vec<(String, Option<f64>)>,
    /// `confusion[true][answered]`, in the question's label order.
    pub confusion: Vec<Vec<u64>>,
}

/// One affiliate on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaterRow {
    pub name: String,
    pub answers: u64,
    pub mean_seconds: Option<f64>,
    pub gold: GoldScore,
}

/// How often confirmations agree with the soft label a rule gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulePrecision {
    pub phrase: String,
    pub answers: u64,
    pub agreeing: u64,
    pub precision: Option<f64>,
}

/// A study the affiliates disagree on, with their answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    pub report_id: i64,
    pub soft_label: Option<String>,
    pub answers: Vec<RaterAnswer>,
}

/// The fellow's dashboard of one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub settings: Settings,
    /// Studies in the queue (gold items are not: they are served at the gold rate).
    pub tasks: i64,
    /// Studies of the queue that need several affiliates' answers (the overlap).
    pub overlapped: i64,
    /// Studies with every answer they need.
    pub completed: i64,
    /// Answers given, by every affiliate, gold items' included.
    pub answers: i64,
    /// Answers the queue still needs, from any affiliate (see `Progress::left`).
    pub still_needed: i64,
    /// Answers the queued studies need in all (one each, `overlap_raters` in the overlap).
    pub needed: i64,
    pub gold_items: i64,
    pub agreement: Agreement,
    pub raters: Vec<RaterRow>,
    pub rules: Vec<RulePrecision>,
    pub disagreements: Vec<Disagreement>,
    /// Final labels by source, of the studies answered or decided by the fellow.
    pub finals: Vec<(Source, u64)>,
    /// Answers given, and fellows' decisions made, before their report's text changed (an amended
    /// report), of studies not decided since: given on other text, they do not count (see the
    /// `trusted_answers` and `trusted_adjudications` views) and need review.
    pub before_amendment: Vec<AnswerToReview>,
}

/// An answer given before its report's text changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerToReview {
    pub report_id: i64,
    pub accession: String,
    pub rater: String,
    pub label: String,
}

/// One affiliate's answers, as the dashboard adds them up.
#[derive(Default)]
struct RaterTally {
    answers: u64,
    seconds: f64,
    /// (true label, answer) of the gold items they answered.
    gold: Vec<(String, String)>,
}

/// One study's answers (gold items aside).
#[derive(Default)]
struct StudyTally {
    soft: Option<String>,
    answers: Vec<RaterAnswer>,
}

/// Computes the dashboard of a question.
pub async fn review(pool: &SqlitePool, question: &Question) -> Result<Review> {
    let settings = settings(pool, question.id).await?;
    let counts = sqlx::query!(
        r#"SELECT COUNT(*) AS "tasks!: i64",
                  SUM(t.needed > 1) AS "overlapped: i64",
                  SUM(t.needed) AS "needed: i64",
                  SUM((SELECT COUNT(*) FROM answers a WHERE a.question_id = t.question_id AND a.report_id = t.report_id) >= t.needed) AS "completed: i64"
           FROM tasks t WHERE t.question_id = ?1
             AND NOT EXISTS (SELECT 1 FROM gold g WHERE g.question_id = ?1 AND g.report_id = t.report_id)"#,
        question.id
    )
    .fetch_one(pool)
    .await?;
    let answers = sqlx::query!(
        r#"SELECT a.report_id AS "report_id!", u.name AS "name!", a.label AS "label!", a.soft_label, a.rule_phrase,
                  a.seconds AS "seconds!", g.label AS "gold?: String"
           FROM trusted_answers a JOIN users u ON u.id = a.user_id
           LEFT JOIN gold g ON g.question_id = a.question_id AND g.report_id = a.report_id
           WHERE a.question_id = ? ORDER BY a.report_id, u.name"#,
        question.id
    )
    .fetch_all(pool)
    .await?;
    let decisions = Decisions::read(pool, question.id).await?;
    let still_needed = super::still_needed(pool, question.id).await?.unwrap_or(0);

    let mut ratings = Ratings::default();
    let mut raters: std::collections::BTreeMap<String, RaterTally> = Default::default();
    let mut rules: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    let mut studies: std::collections::BTreeMap<i64, StudyTally> = Default::default();
    for row in &answers {
        let rater = raters.entry(row.name.clone()).or_default();
        rater.answers += 1;
        rater.seconds += row.seconds;
        if let Some(gold) = &row.gold {
            rater.gold.push((gold.clone(), row.label.clone()));
            continue;
        }
        ratings
            .add(&row.report_id.to_string(), &row.name, &row.label)
            .map_err(|error| Error::Internal(error.to_string()))?;
        if let (Some(phrase), Some(soft)) = (&row.rule_phrase, &row.soft_label) {
            let rule = rules.entry(phrase.clone()).or_default();
            rule.0 += 1;
            rule.1 += u64::from(soft == &row.label);
        }
        let study = studies.entry(row.report_id).or_default();
        study.soft = row.soft_label.clone();
        study.answers.push(RaterAnswer {
            rater: row.name.clone(),
            label: row.label.clone(),
        });
    }
    // Every decided study has a final label, answered or not (a gold item nobody was served yet).
    for report_id in decisions.studies() {
        studies.entry(report_id).or_default();
    }
    let mut finals: std::collections::BTreeMap<Source, u64> = Default::default();
    let mut disagreements = Vec::new();
    for (
        &report_id,
        StudyTally {
            soft,
            answers: given,
        },
    ) in &studies
    {
        let labels: Vec<&str> = given.iter().map(|answer| answer.label.as_str()).collect();
        if let Some(final_label) = decisions.final_label(report_id, soft.as_deref(), &labels) {
            *finals.entry(final_label.source).or_default() += 1;
        }
        let decided = decisions.adjudicated.contains_key(&report_id);
        if !decided && labels.iter().any(|l| *l != labels[0]) {
            disagreements.push(Disagreement {
                report_id,
                soft_label: soft.clone(),
                answers: given.clone(),
            });
        }
    }
    let before_amendment = sqlx::query_as!(
        AnswerToReview,
        r#"SELECT r.id AS "report_id!", r.accession AS "accession!", u.name AS "rater!", a.label AS "label!"
           FROM answers a JOIN reports r ON r.id = a.report_id JOIN users u ON u.id = a.user_id
           WHERE a.question_id = ?1 AND r.text_changed_at IS NOT NULL AND a.answered_at <= r.text_changed_at
             AND NOT EXISTS (SELECT 1 FROM trusted_adjudications d WHERE d.question_id = ?1 AND d.report_id = a.report_id)
           UNION ALL
           SELECT r.id, r.accession, coalesce(d.decided_by, 'a fellow') || ' (decision)', d.label
           FROM adjudications d JOIN reports r ON r.id = d.report_id
           WHERE d.question_id = ?1 AND r.text_changed_at IS NOT NULL AND d.decided_at <= r.text_changed_at
           ORDER BY 2, 3"#,
        question.id
    )
    .fetch_all(pool)
    .await?;
    Ok(Review {
        before_amendment,
        settings,
        tasks: counts.tasks,
        overlapped: counts.overlapped.unwrap_or(0),
        completed: counts.completed.unwrap_or(0),
        answers: answers.len() as i64,
        still_needed,
        needed: counts.needed.unwrap_or(0),
        gold_items: decisions.gold.len() as i64,
        agreement: ratings.agreement(),
        raters: raters
            .into_iter()
            .map(|(name, tally)| RaterRow {
                name,
                answers: tally.answers,
                mean_seconds: (tally.answers > 0).then(|| tally.seconds / tally.answers as f64),
                gold: gold_score(&question.labels, &tally.gold),
            })
            .collect(),
        rules: rules
            .into_iter()
            .map(|(phrase, (count, agreeing))| RulePrecision {
                phrase,
                answers: count,
                agreeing,
                precision: (count > 0).then(|| agreeing as f64 / count as f64),
            })
            .collect(),
        disagreements,
        finals: finals.into_iter().collect(),
    })
}

/// Scores (true label, answer) pairs against the question's labels.
fn gold_score(labels: &[String], pairs: &[(String, String)]) -> GoldScore {
    let index = |label: &str| labels.iter().position(|l| l == label);
    let mut confusion = vec![vec![0u64; labels.len()]; labels.len()];
    for (truth, given) in pairs {
        if let (Some(t), Some(g)) = (index(truth), index(given)) {
            confusion[t][g] += 1;
        }
    }
    let correct: u64 = (0..labels.len()).map(|i| confusion[i][i]).sum();
    let answered = pairs.len() as u64;
    GoldScore {
        answered,
        correct,
        accuracy: (answered > 0).then(|| correct as f64 / answered as f64),
        recall: labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let row: u64 = confusion[i].iter().sum();
                (
                    label.clone(),
                    (row > 0).then(|| confusion[i][i] as f64 / row as f64),
                )
            })
            .collect(),
        confusion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gold_scores_count_accuracy_recall_and_confusion() {
        let labels = vec!["present".to_string(), "absent".to_string()];
        let pairs = [
            ("present", "present"),
            ("present", "absent"),
            ("absent", "absent"),
            ("absent", "absent"),
        ]
        .map(|(t, g)| (t.to_string(), g.to_string()));
        let score = gold_score(&labels, &pairs);
        assert_eq!(score.accuracy, Some(0.75));
        assert_eq!(score.recall[0], ("present".into(), Some(0.5)));
        assert_eq!(score.recall[1], ("absent".into(), Some(1.0)));
        assert_eq!(score.confusion, vec![vec![1, 1], vec![0, 2]]);
    }
}
