//! Inter-rater agreement on nominal labels: percent agreement, Cohen's kappa for each pair of
//! raters, Fleiss' kappa, Krippendorff's alpha and Gwet's AC1, each with the number of items it
//! rests on. Missing answers are allowed: an item counts for a measure when it has the ratings that
//! measure needs. A measure that is undefined on the data (one label only, fewer than two ratings)
//! is `None`, never a made-up number.
//!
//! The formulas are those of the reference implementations the tests compare against:
//! scikit-learn's `cohen_kappa_score`, statsmodels' `fleiss_kappa`, the `krippendorff` package
//! (nominal) and irrCAC's `gwet` (Gwet 2014, multiple raters with missing ratings).

use std::collections::BTreeMap;

use serde::Serialize;

/// A value with the number of items it was computed on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measure {
    pub value: Option<f64>,
    pub items: usize,
}

/// Agreement between two raters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    pub percent_agreement: Measure,
    pub cohen_kappa: Measure,
}

/// Every measure for one set of ratings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub items: usize,
    pub raters: usize,
    pub ratings: usize,
    pub labels: Vec<String>,
    pub percent_agreement: Measure,
    /// Over the items that have the most common number of ratings (at least two): Fleiss' kappa
    /// assumes every item rated equally often.
    pub fleiss_kappa: Measure,
    pub krippendorff_alpha: Measure,
    pub gwet_ac1: Measure,
    pub pairs: Vec<Pair>,
}

/// Ratings as items × raters, each cell a label number or missing.
#[derive(Debug, Clone, Default)]
pub struct Ratings {
    items: Vec<String>,
    raters: Vec<String>,
    labels: Vec<String>,
    cells: BTreeMap<(usize, usize), usize>,
}

fn number(names: &mut Vec<String>, name: &str) -> usize {
    match names.iter().position(|known| known == name) {
        Some(at) => at,
        None => {
            names.push(name.to_string());
            names.len() - 1
        }
    }
}

/// A rater who gave one item two different labels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rater} rated {item} twice, {first:?} and {second:?}")]
pub struct RatedTwice {
    pub rater: String,
    pub item: String,
    pub first: String,
    pub second: String,
}

impl Ratings {
    /// Adds one rating; a rater who rated the item already with another label is an error.
    pub fn add(&mut self, item: &str, rater: &str, label: &str) -> Result<(), RatedTwice> {
        let (i, r) = (
            number(&mut self.items, item),
            number(&mut self.raters, rater),
        );
        let l = number(&mut self.labels, label);
        match self.cells.insert((i, r), l) {
            Some(before) if before != l => Err(RatedTwice {
                rater: rater.to_string(),
                item: item.to_string(),
                first: self.labels[before].clone(),
                second: label.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// The counts of each label on each item: `counts[item][label]`.
    fn counts(&self) -> Vec<Vec<usize>> {
        let mut counts = vec![vec![0; self.labels.len()]; self.items.len()];
        for (&(item, _), &label) in &self.cells {
            counts[item][label] += 1;
        }
        counts
    }

    /// Computes every measure.
    pub fn agreement(&self) -> Agreement {
        let counts = self.counts();
        let mut pairs = Vec::new();
        for a in 0..self.raters.len() {
            for b in a + 1..self.raters.len() {
                pairs.push(self.pair(a, b));
            }
        }
        Agreement {
            items: self.items.len(),
            raters: self.raters.len(),
            ratings: self.cells.len(),
            labels: self.labels.clone(),
            percent_agreement: percent_agreement(&counts),
            fleiss_kappa: fleiss_kappa(&counts),
            krippendorff_alpha: krippendorff_alpha(&counts),
            gwet_ac1: gwet_ac1(&counts),
            pairs,
        }
    }

    fn pair(&self, a: usize, b: usize) -> Pair {
        let both: Vec<(usize, usize)> = (0..self.items.len())
            .filter_map(|item| {
                let first = self.cells.get(&(item, a))?;
                let second = self.cells.get(&(item, b))?;
                Some((*first, *second))
            })
            .collect();
        let n = both.len();
        let agreed = both.iter().filter(|(x, y)| x == y).count();
        let observed = ratio(agreed as f64, n as f64);
        let expected = (n > 0).then(|| {
            (0..self.labels.len())
                .map(|label| {
                    let share = |pick: fn(&(usize, usize)) -> usize| {
                        both.iter().filter(|p| pick(p) == label).count() as f64 / n as f64
                    };
                    share(|p| p.0) * share(|p| p.1)
                })
                .sum::<f64>()
        });
        Pair {
            a: self.raters[a].clone(),
            b: self.raters[b].clone(),
            percent_agreement: Measure {
                value: observed,
                items: n,
            },
            cohen_kappa: Measure {
                value: chance_corrected(observed, expected),
                items: n,
            },
        }
    }
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator != 0.0).then(|| numerator / denominator)
}

/// (observed − expected) / (1 − expected); undefined when chance alone explains everything.
fn chance_corrected(observed: Option<f64>, expected: Option<f64>) -> Option<f64> {
    let (observed, expected) = (observed?, expected?);
    // Exact comparison on purpose: only a chance agreement of exactly 1 makes the ratio 0/0.
    (expected != 1.0).then(|| (observed - expected) / (1.0 - expected))
}

/// The agreement of one item with `n` ≥ 2 ratings: the share of rating pairs that agree.
fn item_agreement(row: &[usize]) -> f64 {
    let n: usize = row.iter().sum();
    let agreeing: usize = row.iter().map(|&c| c * c.saturating_sub(1)).sum();
    agreeing as f64 / (n * (n - 1)) as f64
}

fn percent_agreement(counts: &[Vec<usize>]) -> Measure {
    let rated: Vec<&Vec<usize>> = counts
        .iter()
        .filter(|row| row.iter().sum::<usize>() >= 2)
        .collect();
    let total: f64 = rated.iter().map(|row| item_agreement(row)).sum();
    Measure {
        value: ratio(total, rated.len() as f64),
        items: rated.len(),
    }
}

fn fleiss_kappa(counts: &[Vec<usize>]) -> Measure {
    // The most common number of ratings per item (at least two), the larger on a tie.
    let mut frequency: BTreeMap<usize, usize> = BTreeMap::new();
    for row in counts {
        let n: usize = row.iter().sum();
        if n >= 2 {
            *frequency.entry(n).or_default() += 1;
        }
    }
    let Some((&n, _)) = frequency.iter().max_by_key(|(&n, &f)| (f, n)) else {
        return Measure {
            value: None,
            items: 0,
        };
    };
    let rows: Vec<&Vec<usize>> = counts
        .iter()
        .filter(|row| row.iter().sum::<usize>() == n)
        .collect();
    let items = rows.len() as f64;
    let labels = counts.first().map_or(0, Vec::len);
    let expected: f64 = (0..labels)
        .map(|label| {
            let share =
                rows.iter().map(|row| row[label]).sum::<usize>() as f64 / (items * n as f64);
            share * share
        })
        .sum();
    let observed = rows.iter().map(|row| item_agreement(row)).sum::<f64>() / items;
    Measure {
        value: chance_corrected(Some(observed), Some(expected)),
        items: rows.len(),
    }
}

fn krippendorff_alpha(counts: &[Vec<usize>]) -> Measure {
    let labels = counts.first().map_or(0, Vec::len);
    // The coincidence matrix of the items with at least two ratings.
    let mut coincidences = vec![vec![0.0f64; labels]; labels];
    let mut items = 0;
    for row in counts {
        let m: usize = row.iter().sum();
        if m < 2 {
            continue;
        }
        items += 1;
        for c in 0..labels {
            for k in 0..labels {
                let pairs = match c == k {
                    true => row[c] * row[c].saturating_sub(1),
                    false => row[c] * row[k],
                };
                coincidences[c][k] += pairs as f64 / (m - 1) as f64;
            }
        }
    }
    let totals: Vec<f64> = coincidences.iter().map(|row| row.iter().sum()).collect();
    let n: f64 = totals.iter().sum();
    let mut observed = 0.0;
    let mut expected = 0.0;
    for c in 0..labels {
        for k in 0..labels {
            if c != k {
                observed += coincidences[c][k];
                expected += totals[c] * totals[k];
            }
        }
    }
    let value = (expected != 0.0).then(|| 1.0 - (n - 1.0) * observed / expected);
    Measure { value, items }
}

fn gwet_ac1(counts: &[Vec<usize>]) -> Measure {
    let labels = counts.first().map_or(0, Vec::len);
    let rated: Vec<&Vec<usize>> = counts
        .iter()
        .filter(|row| row.iter().sum::<usize>() >= 1)
        .collect();
    let paired: Vec<&&Vec<usize>> = rated
        .iter()
        .filter(|row| row.iter().sum::<usize>() >= 2)
        .collect();
    if paired.is_empty() {
        return Measure {
            value: None,
            items: 0,
        };
    }
    if labels < 2 {
        // One label only: every pair agrees, and there is no chance agreement to correct for
        // (irrCAC answers 1 in this case too).
        return Measure {
            value: Some(1.0),
            items: paired.len(),
        };
    }
    let observed = paired.iter().map(|row| item_agreement(row)).sum::<f64>() / paired.len() as f64;
    let expected = (0..labels)
        .map(|label| {
            let share = rated
                .iter()
                .map(|row| row[label] as f64 / row.iter().sum::<usize>() as f64)
                .sum::<f64>()
                / rated.len() as f64;
            share * (1.0 - share)
        })
        .sum::<f64>()
        / (labels - 1) as f64;
    Measure {
        value: chance_corrected(Some(observed), Some(expected)),
        items: paired.len(),
    }
}

/// Reads ratings from CSV with the columns `item`, `rater`, `label` (others ignored); an empty
/// label is a missing answer. Errors name the line.
pub fn read_csv(text: &str) -> Result<Ratings, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| vec![format!("line 1: {e}")])?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                vec![format!(
                    "line 1: no {name:?} column (the columns are item, rater, label)"
                )]
            })
    };
    let (item, rater, label) = (column("item")?, column("rater")?, column("label")?);
    let mut ratings = Ratings::default();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                errors.push(format!("line {line}: {error}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |at: usize| record.get(at).unwrap_or("");
        if field(label).is_empty() {
            continue;
        }
        if field(item).is_empty() || field(rater).is_empty() {
            errors.push(format!("line {line}: item and rater must not be empty"));
            continue;
        }
        if let Err(error) = ratings.add(field(item), field(rater), field(label)) {
            errors.push(format!("line {line}: {error}"));
        }
    }
    match errors.is_empty() {
        true => Ok(ratings),
        false => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratings(rows: &[(&str, &str, &str)]) -> Ratings {
        let mut ratings = Ratings::default();
        for (item, rater, label) in rows {
            ratings.add(item, rater, label).unwrap();
        }
        ratings
    }

    fn close(value: Option<f64>, expected: f64) {
        let value = value.expect("defined");
        assert!((value - expected).abs() < 1e-12, "{value} != {expected}");
    }

    #[test]
    fn two_raters_by_hand() {
        // 4 items; the raters agree on 3 (yes, yes, no) and differ on one.
        let r = ratings(&[
            ("1", "a", "yes"),
            ("1", "b", "yes"),
            ("2", "a", "yes"),
            ("2", "b", "yes"),
            ("3", "a", "no"),
            ("3", "b", "no"),
            ("4", "a", "yes"),
            ("4", "b", "no"),
        ]);
        let agreement = r.agreement();
        close(agreement.percent_agreement.value, 0.75);
        // p_o = 0.75; a says yes 3/4, b says yes 2/4: p_e = 3/4·2/4 + 1/4·2/4 = 0.5.
        close(agreement.pairs[0].cohen_kappa.value, 0.5);
        // Fleiss: shares yes 5/8, no 3/8; P̄e = 34/64; κ = (0.75 − 34/64)/(1 − 34/64) = 7/15.
        close(agreement.fleiss_kappa.value, 7.0 / 15.0);
        // Krippendorff: n = 8, o(yes,no) = o(no,yes) = 1, n_yes = 5, n_no = 3:
        // α = 1 − 7·2/(2·15) = 8/15.
        close(agreement.krippendorff_alpha.value, 8.0 / 15.0);
        // Gwet: π_yes = 5/8, pe = 2·(5/8·3/8) = 30/64; AC1 = (0.75 − 30/64)/(34/64) = 9/17.
        close(agreement.gwet_ac1.value, 9.0 / 17.0);
    }

    #[test]
    fn one_label_only_leaves_kappa_and_alpha_undefined() {
        let r = ratings(&[
            ("1", "a", "no"),
            ("1", "b", "no"),
            ("2", "a", "no"),
            ("2", "b", "no"),
        ]);
        let agreement = r.agreement();
        close(agreement.percent_agreement.value, 1.0);
        assert_eq!(agreement.pairs[0].cohen_kappa.value, None);
        assert_eq!(agreement.fleiss_kappa.value, None);
        assert_eq!(agreement.krippendorff_alpha.value, None);
        // Gwet's AC1 is robust where one label dominates, even when it is the only one.
        close(agreement.gwet_ac1.value, 1.0);
    }

    #[test]
    fn missing_answers_count_only_where_there_are_pairs() {
        let r = ratings(&[
            ("1", "a", "yes"),
            ("1", "b", "yes"),
            ("1", "c", "no"),
            ("2", "a", "no"),
            ("2", "c", "no"),
            ("3", "b", "yes"),
        ]);
        let agreement = r.agreement();
        assert_eq!(agreement.percent_agreement.items, 2);
        assert_eq!(agreement.krippendorff_alpha.items, 2);
        let pair = |a: &str, b: &str| {
            agreement
                .pairs
                .iter()
                .find(|p| p.a == a && p.b == b)
                .unwrap()
        };
        assert_eq!(pair("a", "b").cohen_kappa.items, 1);
        assert_eq!(pair("a", "c").percent_agreement.items, 2);
    }

    #[test]
    fn a_rater_answering_twice_differently_is_refused_by_line() {
        let errors = read_csv("item,rater,label\n1,a,yes\n1,a,no\n2,b,\n").unwrap_err();
        assert_eq!(errors, ["line 3: a rated 1 twice, \"yes\" and \"no\""]);
        let errors = read_csv("item,who,label\n").unwrap_err();
        assert!(errors[0].contains("no \"rater\" column"), "{errors:?}");
    }
}
