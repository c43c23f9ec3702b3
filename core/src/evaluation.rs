//! Scoring labels against gold labels, per question: precision (positive predictive value, PPV),
//! recall (sensitivity) and F1, the harmonic mean of the two, with their micro average (from the
//! summed counts of every question) and macro average (the mean of the questions' F1). The
//! definitions are the usual ones of information retrieval (Manning, Raghavan & Schütze,
//! *Introduction to Information Retrieval*, 2008, §8.3; micro and macro averaging as in Sokolova &
//! Lapalme, *Information Processing & Management* 45, 2009).
//!
//! A label counts as positive when it is the positive label asked for (`present` by default); a
//! study the rules leave unlabeled counts as negative, as a fellow reading the soft labels would.

use serde::Serialize;

use crate::label_sets::Evidence;
use crate::queue::Source;

/// The counts of one question's confusion matrix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub true_positive: u64,
    pub false_positive: u64,
    pub false_negative: u64,
    pub true_negative: u64,
}

impl Tally {
    /// Counts one study: what the gold label says, and what the label says.
    pub fn add(&mut self, gold: bool, labeled: bool) {
        match (gold, labeled) {
            (true, true) => self.true_positive += 1,
            (false, true) => self.false_positive += 1,
            (true, false) => self.false_negative += 1,
            (false, false) => self.true_negative += 1,
        }
    }

    /// TP / (TP + FP); `None` when nothing was labeled positive.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.true_positive, self.true_positive + self.false_positive)
    }

    /// TP / (TP + FN); `None` when the gold set has no positive.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.true_positive, self.true_positive + self.false_negative)
    }

    /// 2·TP / (2·TP + FP + FN), the harmonic mean of precision and recall; `None` when both the
    /// gold labels and the labels are all negative.
    pub fn f1(&self) -> Option<f64> {
        ratio(
            2 * self.true_positive,
            2 * self.true_positive + self.false_positive + self.false_negative,
        )
    }

    /// The studies counted.
    pub fn studies(&self) -> u64 {
        self.true_positive + self.false_positive + self.false_negative + self.true_negative
    }

    fn plus(self, other: Tally) -> Tally {
        Tally {
            true_positive: self.true_positive + other.true_positive,
            false_positive: self.false_positive + other.false_positive,
            false_negative: self.false_negative + other.false_negative,
            true_negative: self.true_negative + other.true_negative,
        }
    }
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Every question's tally, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    pub questions: Vec<(String, Tally)>,
}

impl Scores {
    /// The counts of every question summed: its F1 is the micro-averaged F1.
    pub fn micro(&self) -> Tally {
        self.questions
            .iter()
            .fold(Tally::default(), |sum, (_, tally)| sum.plus(*tally))
    }

    /// The mean of the questions' F1 (questions whose F1 is undefined left out); `None` when no
    /// question has one.
    pub fn macro_f1(&self) -> Option<f64> {
        let f1s: Vec<f64> = self
            .questions
            .iter()
            .filter_map(|(_, tally)| tally.f1())
            .collect();
        (!f1s.is_empty()).then(|| f1s.iter().sum::<f64>() / f1s.len() as f64)
    }
}

/// A study where the rules' soft label and the label people gave disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    pub report_id: i64,
    /// The current rules' soft label (`None`: no rule labels the study).
    pub soft_label: Option<String>,
    /// The label people gave, and how (gold item, confirmed, agreed or adjudicated).
    pub label: String,
    pub source: Source,
}

/// A question's current soft labels scored against the labels people gave its studies: gold
/// items, confirmations, agreements and the fellow's decisions (answers given before their
/// report changed are not counted, as everywhere). Disputed studies (raters disagree, no decision
/// yet) and studies only the rules labeled are left out.
pub fn against_people(evidence: &Evidence, positive: &str) -> (Tally, Vec<Disagreement>) {
    let mut tally = Tally::default();
    let mut disagreements = Vec::new();
    for study in evidence.study_labels(&Default::default()) {
        let source = study.final_label.source;
        if matches!(source, Source::Soft | Source::Disputed) {
            continue;
        }
        let gold = study.final_label.label == positive;
        let labeled = study.soft_label.as_deref() == Some(positive);
        tally.add(gold, labeled);
        if gold != labeled {
            disagreements.push(Disagreement {
                report_id: study.report_id,
                soft_label: study.soft_label,
                label: study.final_label.label,
                source,
            });
        }
    }
    (tally, disagreements)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(tp: u64, fp: u64, fn_: u64, tn: u64) -> Tally {
        Tally {
            true_positive: tp,
            false_positive: fp,
            false_negative: fn_,
            true_negative: tn,
        }
    }

    #[test]
    fn precision_recall_and_f1_follow_their_definitions() {
        // 8 found of 10 positives, 2 false alarms: precision 0.8, recall 0.8, F1 0.8.
        let t = tally(8, 2, 2, 88);
        assert_eq!(t.precision(), Some(0.8));
        assert_eq!(t.recall(), Some(0.8));
        assert_eq!(t.f1(), Some(0.8));
        // F1 is the harmonic mean: precision 1, recall 0.5 → 2/3.
        let t = tally(1, 0, 1, 0);
        assert!((t.f1().unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(tally(0, 0, 0, 5).f1(), None, "nothing positive anywhere");
        assert_eq!(tally(0, 0, 3, 5).precision(), None);
    }

    #[test]
    fn micro_sums_counts_and_macro_averages_f1() {
        let scores = Scores {
            questions: vec![
                ("a".into(), tally(9, 1, 0, 0)),
                ("b".into(), tally(0, 0, 10, 0)),
                ("c".into(), tally(0, 0, 0, 7)),
            ],
        };
        assert_eq!(scores.micro(), tally(9, 1, 10, 7));
        // a: F1 18/19, b: 0, c: undefined (left out).
        let expected = (18.0 / 19.0 + 0.0) / 2.0;
        assert!((scores.macro_f1().unwrap() - expected).abs() < 1e-12);
    }
}
