//! The statistics of a model's validation: a confusion matrix's sensitivity, specificity, positive
//! and negative predictive values (PPV, NPV) and accuracy with Wilson 95 % intervals, and the area
//! under the ROC curve with the Hanley–McNeil 95 % interval.
//!
//! Sources: E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
//! *JASA* 22 (1927) — the score interval, computed as statsmodels' `proportion_confint(method=
//! "wilson")`; the ROC AUC as the Mann–Whitney statistic with ties counted one half (equal to
//! scikit-learn's `roc_auc_score`); its standard error from J. A. Hanley & B. J. McNeil, "The meaning
//! and use of the area under a receiver operating characteristic (ROC) curve", *Radiology* 143 (1982).

use serde::{Deserialize, Serialize};

/// The standard normal's 97.5th percentile (`scipy.stats.norm.isf(0.025)`): two-sided 95 %.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A proportion with its Wilson 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Proportion {
    pub count: u64,
    pub total: u64,
    /// count / total.
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Proportion {
    /// `count` of `total`, with its Wilson score interval at 95 %; `None` when `total` is 0.
    pub fn wilson(count: u64, total: u64) -> Option<Proportion> {
        let (low, high) = wilson(count, total, Z_95)?;
        Some(Proportion {
            count,
            total,
            value: count as f64 / total as f64,
            low,
            high,
        })
    }
}

/// The Wilson score interval of `count` successes in `total` trials at the normal quantile `z`
/// (statsmodels' formula, unclipped); `None` when `total` is 0.
pub fn wilson(count: u64, total: u64, z: f64) -> Option<(f64, f64)> {
    if total == 0 {
        return None;
    }
    let n = total as f64;
    let p = count as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some((center - half, center + half))
}

/// The counts of a binary confusion matrix: the model's call against the reference label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub true_positive: u64,
    pub false_positive: u64,
    pub false_negative: u64,
    pub true_negative: u64,
}

impl Confusion {
    /// Counts one study: what the reference says and what the model says.
    pub fn add(&mut self, reference: bool, model: bool) {
        match (reference, model) {
            (true, true) => self.true_positive += 1,
            (false, true) => self.false_positive += 1,
            (true, false) => self.false_negative += 1,
            (false, false) => self.true_negative += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.true_positive + self.false_positive + self.false_negative + self.true_negative
    }

    /// Studies where the model and the reference differ.
    pub fn discordant(&self) -> u64 {
        self.false_positive + self.false_negative
    }

    /// TP / (TP + FN).
    pub fn sensitivity(&self) -> Option<Proportion> {
        Proportion::wilson(self.true_positive, self.true_positive + self.false_negative)
    }

    /// TN / (TN + FP).
    pub fn specificity(&self) -> Option<Proportion> {
        Proportion::wilson(self.true_negative, self.true_negative + self.false_positive)
    }

    /// TP / (TP + FP): positive predictive value.
    pub fn ppv(&self) -> Option<Proportion> {
        Proportion::wilson(self.true_positive, self.true_positive + self.false_positive)
    }

    /// TN / (TN + FN): negative predictive value.
    pub fn npv(&self) -> Option<Proportion> {
        Proportion::wilson(self.true_negative, self.true_negative + self.false_negative)
    }

    /// (TP + TN) / all.
    pub fn accuracy(&self) -> Option<Proportion> {
        Proportion::wilson(self.true_positive + self.true_negative, self.total())
    }
}

/// The area under the ROC curve with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Auc {
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub positives: u64,
    pub negatives: u64,
}

/// The ROC AUC of scores against reference labels (`(score, positive)`), ties counted one half,
/// with the Hanley–McNeil interval clipped to [0, 1]; `None` unless both classes are present.
pub fn roc_auc(scored: &[(f64, bool)]) -> Option<Auc> {
    let positives = scored.iter().filter(|(_, positive)| *positive).count();
    let negatives = scored.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = scored.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Sum of the positives' ranks (1-based), tied scores sharing their mean rank.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < sorted.len() {
        let mut end = start;
        while end < sorted.len() && sorted[end].0 == sorted[start].0 {
            end += 1;
        }
        let mean_rank = (start + end + 1) as f64 / 2.0;
        let tied_positives = sorted[start..end].iter().filter(|(_, p)| *p).count();
        rank_sum += mean_rank * tied_positives as f64;
        start = end;
    }
    let (m, n) = (positives as f64, negatives as f64);
    let value = (rank_sum - m * (m + 1.0) / 2.0) / (m * n);
    let q1 = value / (2.0 - value);
    let q2 = 2.0 * value * value / (1.0 + value);
    let variance = (value * (1.0 - value)
        + (m - 1.0) * (q1 - value * value)
        + (n - 1.0) * (q2 - value * value))
        / (m * n);
    let half = Z_95 * variance.max(0.0).sqrt();
    Some(Auc {
        value,
        low: (value - half).max(0.0),
        high: (value + half).min(1.0),
        positives: positives as u64,
        negatives: negatives as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_the_published_example() {
        // Newcombe (1998), Statistics in Medicine 17, table I: 81/263 → 0.2553 to 0.3662.
        let (low, high) = wilson(81, 263, Z_95).unwrap();
        assert!((low - 0.2553).abs() < 5e-5, "{low}");
        assert!((high - 0.3662).abs() < 5e-5, "{high}");
        assert_eq!(wilson(0, 0, Z_95), None);
    }

    #[test]
    fn auc_counts_ties_as_half() {
        let scored = [(0.1, false), (0.4, true), (0.35, false), (0.8, true)];
        assert!((roc_auc(&scored).unwrap().value - 1.0).abs() < 1e-12);
        let tied = [(0.5, false), (0.5, true)];
        assert!((roc_auc(&tied).unwrap().value - 0.5).abs() < 1e-12);
        assert_eq!(roc_auc(&[(0.5, true)]), None);
    }
}
