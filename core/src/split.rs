//! Train / validation / test splits by patient: every study of a patient lands in the same split (no
//! leakage between splits), the assignment is the same for the same seed, and each label's patients
//! are divided in the asked proportions (stratified by the label a patient's studies carry most).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where a patient's studies go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Validation,
    Test,
}

impl Split {
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

/// The shares of patients per split; they must add up to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Shares {
    pub train: f64,
    pub validation: f64,
    pub test: f64,
}

impl Shares {
    /// Checks that each share is between 0 and 1 and that they add up to 1; the message speaks in
    /// per cent, as the export form does.
    pub fn check(&self) -> Result<(), SharesError> {
        let all = [self.train, self.validation, self.test];
        if all.iter().any(|share| !(0.0..=1.0).contains(share)) {
            return Err(SharesError::OutOfRange);
        }
        let total = all.iter().sum::<f64>();
        if (total - 1.0).abs() > 1e-9 {
            return Err(SharesError::NotWhole {
                percent: (total * 1000.0).round() / 10.0,
            });
        }
        Ok(())
    }
}

/// Why split shares cannot be used, in the export form's per cent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SharesError {
    #[error("split: train, validation and test are each between 0 and 100 %")]
    OutOfRange,
    /// `percent`: what they add up to, to one decimal.
    #[error("split: train, validation and test add up to {percent} %, not 100 % (for example 80, 10, 10)")]
    NotWhole { percent: f64 },
}

/// A fixed mix of the seed and a patient id (SplitMix64 finaliser): the order patients are dealt in.
fn rank(seed: u64, patient: &str) -> u64 {
    let mut z = seed ^ 0x9e37_79b9_7f4a_7c15;
    for byte in patient.bytes() {
        z = (z ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Assigns every patient of `studies` (patient, label) to a split. Within each stratum (the label
/// most of the patient's studies carry; ties to the smaller label), patients are dealt in seeded
/// order: the first share to train, the next to validation, the rest to test, rounded so that
/// every split gets its share of each stratum as closely as whole patients allow.
pub fn assign<'a>(
    studies: impl IntoIterator<Item = (&'a str, &'a str)>,
    shares: Shares,
    seed: u64,
) -> BTreeMap<&'a str, Split> {
    let mut labels: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for (patient, label) in studies {
        *labels.entry(patient).or_default().entry(label).or_default() += 1;
    }
    let mut strata: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (patient, counts) in &labels {
        let stratum = counts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map_or("", |(label, _)| *label);
        strata.entry(stratum).or_default().push(patient);
    }
    let mut out = BTreeMap::new();
    for patients in strata.values_mut() {
        patients.sort_by_key(|patient| (rank(seed, patient), *patient));
        let n = patients.len() as f64;
        let train = (n * shares.train).round() as usize;
        let validation = ((n * (shares.train + shares.validation)).round() as usize).max(train);
        for (at, patient) in patients.iter().enumerate() {
            let split = match at {
                _ if at < train => Split::Train,
                _ if at < validation => Split::Validation,
                _ => Split::Test,
            };
            out.insert(*patient, split);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHARES: Shares = Shares {
        train: 0.8,
        validation: 0.1,
        test: 0.1,
    };

    fn studies() -> Vec<(String, String)> {
        (0..3000)
            .map(|n| {
                let patient = format!("P{}", n % 700);
                let label = if n % 7 == 0 { "present" } else { "absent" };
                (patient, label.to_string())
            })
            .collect()
    }

    fn split_of(seed: u64) -> BTreeMap<String, Split> {
        let studies = studies();
        assign(
            studies.iter().map(|(p, l)| (p.as_str(), l.as_str())),
            SHARES,
            seed,
        )
        .into_iter()
        .map(|(p, s)| (p.to_string(), s))
        .collect()
    }

    #[test]
    fn every_patient_is_in_exactly_one_split_and_the_seed_fixes_it() {
        let first = split_of(7);
        assert_eq!(
            first.len(),
            700,
            "one split per patient: no leakage by construction"
        );
        assert_eq!(first, split_of(7), "same seed, same split");
        assert_ne!(first, split_of(8), "another seed deals differently");
    }

    #[test]
    fn each_label_is_divided_in_the_asked_shares() {
        let studies = studies();
        let split = split_of(7);
        let mut per: BTreeMap<(&str, Split), usize> = BTreeMap::new();
        let mut stratum: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
        for (patient, label) in &studies {
            *stratum
                .entry(patient)
                .or_default()
                .entry(label)
                .or_default() += 1;
        }
        for (patient, counts) in &stratum {
            let label = counts
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .unwrap()
                .0;
            *per.entry((label, split[*patient])).or_default() += 1;
        }
        for label in ["absent", "present"] {
            let total: usize = [Split::Train, Split::Validation, Split::Test]
                .iter()
                .map(|s| per.get(&(label, *s)).copied().unwrap_or(0))
                .sum();
            let train = per[&(label, Split::Train)] as f64;
            assert!(
                (train - total as f64 * 0.8).abs() <= 1.0,
                "{label}: {train} of {total}"
            );
        }
    }

    #[test]
    fn shares_must_add_up_to_one() {
        let wrong = Shares {
            train: 0.8,
            validation: 0.3,
            test: 0.1,
        };
        assert!(wrong
            .check()
            .unwrap_err()
            .to_string()
            .contains("add up to 120 %"));
        assert!(SHARES.check().is_ok());
    }
}
