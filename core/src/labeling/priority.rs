//! Soft labels for a whole project at once, as set algebra over the studies each rule matches
//! (docs/DESIGN.md, "Performance model"):
//!
//! ```text
//! taken = ∅
//! for rule in rules (by priority):  effective = matches(rule) − taken;  label(effective) = rule.label;  taken ∪= matches(rule)
//! ```
//!
//! Matches come from the search index (and, for rules that read negation or sections, from the
//! engine), one compressed bitmap of study ids per rule and label; reordering, disabling or deleting a
//! rule only redoes this algebra.

use std::collections::BTreeMap;

use roaring::RoaringBitmap;

use super::phrase::Phrase;
use serde::{Deserialize, Serialize};

/// The studies one rule matches, split by the label it gives them (disjoint).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleMatches {
    pub by_label: Vec<(String, RoaringBitmap)>,
}

impl RuleMatches {
    pub fn all(&self) -> RoaringBitmap {
        self.by_label
            .iter()
            .map(|(_, studies)| studies)
            .fold(RoaringBitmap::new(), |all, s| all | s)
    }
}

/// Figures for one rule in its place.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleStats {
    /// Studies the phrase matches (in the question's cohort), whatever the rules above.
    pub matches: u64,
    /// Studies it labels: its matches that no rule above took.
    pub effective: u64,
    /// Studies also matched by another enabled rule.
    pub overlaps: u64,
    /// Studies another enabled rule would give a different label (see [`resolve`] for what
    /// counts as a conflict).
    pub conflicts: u64,
}

/// The soft labels of a question's cohort.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolution {
    /// Studies per label.
    pub labels: BTreeMap<String, RoaringBitmap>,
    /// Studies each rule labels, in priority order (empty for a disabled rule).
    pub effective: Vec<RoaringBitmap>,
    pub stats: Vec<RuleStats>,
    pub labeled: RoaringBitmap,
    /// Labeled studies that enabled rules would label differently (see [`resolve`]).
    pub conflicted: RoaringBitmap,
    pub unlabeled: RoaringBitmap,
}

/// For each rule (by its phrase, `None` when it has none), the rules above it whose phrase holds
/// its own ([`Phrase::within`]): where both match, its match may be the words of theirs.
pub fn nesting(phrases: &[Option<Phrase>]) -> Vec<Vec<usize>> {
    // Rules by the words of their phrases: a holding phrase has the first word of the held one.
    let mut by_word: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (at, phrase) in phrases.iter().enumerate() {
        for word in phrase.iter().flat_map(|p| &p.words) {
            by_word.entry(word).or_default().push(at);
        }
    }
    phrases
        .iter()
        .enumerate()
        .map(|(below, phrase)| {
            let Some(phrase) = phrase else {
                return Vec::new();
            };
            let first = phrase.words[0].as_str();
            let words: Box<dyn Iterator<Item = (&&str, &Vec<usize>)>> =
                match phrase.prefix && phrase.words.len() == 1 {
                    true => Box::new(
                        by_word
                            .range(first..)
                            .take_while(|(w, _)| w.starts_with(first)),
                    ),
                    false => Box::new(by_word.get_key_value(first).into_iter()),
                };
            let mut above: Vec<usize> = words
                .flat_map(|(_, rules)| rules.iter().copied())
                .filter(|&at| at < below)
                .filter(|&at| phrases[at].as_ref().is_some_and(|p| phrase.within(p)))
                .collect();
            above.sort_unstable();
            above.dedup();
            above
        })
        .collect()
}

/// Resolves soft labels over `cohort` from rules in priority order: (enabled, matches), with the
/// rules above each that hold its phrase (`nested`, from [`nesting`]; empty: none).
///
/// A study is *conflicted* when two enabled rules match it with different labels — except where
/// the lower rule's phrase lies inside the higher one's and both match: "pleural effusion" under
/// "no pleural effusion" is the same words, settled by priority, not a disagreement.
pub fn resolve(
    cohort: &RoaringBitmap,
    rules: &[(bool, &RuleMatches)],
    nested: &[Vec<usize>],
) -> Resolution {
    let mut taken = RoaringBitmap::new();
    let mut twice = RoaringBitmap::new();
    let mut labels: BTreeMap<String, RoaringBitmap> = BTreeMap::new();
    let mut effective = Vec::with_capacity(rules.len());
    for &(enabled, matches) in rules {
        let all = matches.all() & cohort;
        if !enabled {
            effective.push(RoaringBitmap::new());
            continue;
        }
        effective.push(&all - &taken);
        for (label, studies) in &matches.by_label {
            *labels.entry(label.clone()).or_default() |= (studies & cohort) - &taken;
        }
        twice |= &taken & &all;
        taken |= all;
    }
    // What each rule counts for conflicts: its matches less those a holding rule above also has.
    let counted: Vec<Vec<(&String, RoaringBitmap)>> = rules
        .iter()
        .enumerate()
        .map(|(at, &(_, matches))| {
            let held = nested.get(at).into_iter().flatten();
            let held = held
                .filter(|&&above| rules[above].0)
                .fold(RoaringBitmap::new(), |union, &above| {
                    union | rules[above].1.all()
                });
            let held = held & cohort;
            let by_label = matches.by_label.iter();
            by_label
                .map(|(label, studies)| (label, (studies & cohort) - &held))
                .collect()
        })
        .collect();
    let mut counted_by_label: BTreeMap<&String, RoaringBitmap> = BTreeMap::new();
    for (&(enabled, _), rule) in rules.iter().zip(&counted) {
        for (label, studies) in rule.iter().filter(|_| enabled) {
            *counted_by_label.entry(label).or_default() |= studies;
        }
    }
    // A study is conflicted when two labels' counted matches meet on it.
    let mut conflicted = RoaringBitmap::new();
    let mut seen = RoaringBitmap::new();
    for studies in counted_by_label.values() {
        conflicted |= &seen & studies;
        seen |= studies;
    }
    let stats = rules
        .iter()
        .zip(&effective)
        .zip(&counted)
        .map(|((&(enabled, matches), effective), counted)| {
            let all = matches.all() & cohort;
            let conflicts = counted
                .iter()
                .map(|(label, studies)| {
                    let others = counted_by_label
                        .iter()
                        .filter(|(other, _)| *other != label)
                        .fold(RoaringBitmap::new(), |union, (_, s)| union | s);
                    studies & others
                })
                .fold(RoaringBitmap::new(), |union, s| union | s);
            RuleStats {
                matches: all.len(),
                effective: effective.len(),
                overlaps: match enabled {
                    true => all.intersection_len(&twice),
                    false => all.intersection_len(&taken),
                },
                conflicts: conflicts.len(),
            }
        })
        .collect();
    Resolution {
        labels,
        effective,
        stats,
        unlabeled: cohort - &taken,
        labeled: taken,
        conflicted,
    }
}

/// Studies whose label changes between two resolutions, for one (from, to) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flip {
    /// `None`: unlabeled.
    pub from: Option<String>,
    pub to: Option<String>,
    pub count: u64,
    /// A few of the studies, lowest ids first.
    pub examples: Vec<u32>,
}

/// The studies whose soft label differs between `before` and `after`, grouped by (from, to),
/// largest groups first.
pub fn flips(before: &Resolution, after: &Resolution, examples: usize) -> Vec<Flip> {
    let sides = |resolution: &Resolution| {
        let mut sides: Vec<(Option<String>, RoaringBitmap)> = resolution
            .labels
            .iter()
            .map(|(label, studies)| (Some(label.clone()), studies.clone()))
            .collect();
        sides.push((None, resolution.unlabeled.clone()));
        sides
    };
    let (from_sides, to_sides) = (sides(before), sides(after));
    let mut out = Vec::new();
    for (from, from_studies) in &from_sides {
        for (to, to_studies) in &to_sides {
            if from == to {
                continue;
            }
            let moved = from_studies & to_studies;
            if !moved.is_empty() {
                out.push(Flip {
                    from: from.clone(),
                    to: to.clone(),
                    count: moved.len(),
                    examples: moved.iter().take(examples).collect(),
                });
            }
        }
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.from.cmp(&b.from)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(label: &str, ids: &[u32]) -> RuleMatches {
        RuleMatches {
            by_label: vec![(label.into(), ids.iter().copied().collect())],
        }
    }

    fn ids(bitmap: &RoaringBitmap) -> Vec<u32> {
        bitmap.iter().collect()
    }

    #[test]
    fn the_first_rule_to_match_a_study_labels_it() {
        let cohort: RoaringBitmap = (1..=10).collect();
        let absent = matches("absent", &[1, 2, 3]);
        let present = matches("present", &[3, 4, 5]);
        let resolution = resolve(&cohort, &[(true, &absent), (true, &present)], &[]);
        assert_eq!(ids(&resolution.labels["absent"]), [1, 2, 3]);
        assert_eq!(ids(&resolution.labels["present"]), [4, 5]);
        assert_eq!(ids(&resolution.unlabeled), [6, 7, 8, 9, 10]);
        assert_eq!(ids(&resolution.conflicted), [3]);
        assert_eq!(
            resolution.stats[1],
            RuleStats {
                matches: 3,
                effective: 2,
                overlaps: 1,
                conflicts: 1
            }
        );
        // Swapped, study 3 goes the other way.
        let swapped = resolve(&cohort, &[(true, &present), (true, &absent)], &[]);
        assert_eq!(ids(&swapped.labels["present"]), [3, 4, 5]);
        let flips = flips(&resolution, &swapped, 5);
        assert_eq!(
            flips,
            [Flip {
                from: Some("absent".into()),
                to: Some("present".into()),
                count: 1,
                examples: vec![3]
            }]
        );
    }

    #[test]
    fn a_phrase_inside_a_higher_ones_is_not_a_conflict_where_both_match() {
        let cohort: RoaringBitmap = (1..=5).collect();
        let phrases: Vec<Option<Phrase>> = ["no pleural effusion", "pleural effusion"]
            .iter()
            .map(|p| Phrase::parse(p).ok())
            .collect();
        let nested = nesting(&phrases);
        assert_eq!(nested, [vec![], vec![0]]);
        let negated = matches("absent", &[1, 2]);
        let mentioned = matches("present", &[1, 2, 3]);
        let resolution = resolve(&cohort, &[(true, &negated), (true, &mentioned)], &nested);
        assert!(resolution.conflicted.is_empty());
        assert_eq!(resolution.stats[1].conflicts, 0);
        // Without the nesting (two unrelated phrases), studies 1 and 2 are conflicts.
        let unrelated = resolve(&cohort, &[(true, &negated), (true, &mentioned)], &[]);
        assert_eq!(ids(&unrelated.conflicted), [1, 2]);
        // The labeled, conflicted and unlabeled studies add up to the cohort.
        assert_eq!(
            resolution.labeled.len() + resolution.unlabeled.len(),
            cohort.len()
        );
    }

    #[test]
    fn disabled_rules_label_nothing_and_studies_outside_the_cohort_count_for_nothing() {
        let cohort: RoaringBitmap = (1..=4).collect();
        let first = matches("present", &[1, 2, 9]);
        let second = matches("present", &[2, 3]);
        let resolution = resolve(&cohort, &[(false, &first), (true, &second)], &[]);
        assert_eq!(ids(&resolution.labels["present"]), [2, 3]);
        assert_eq!(resolution.stats[0].matches, 2);
        assert_eq!(resolution.stats[0].effective, 0);
        // Agreeing rules overlap without conflict.
        let both = resolve(&cohort, &[(true, &first), (true, &second)], &[]);
        assert_eq!(both.stats[1].overlaps, 1);
        assert_eq!(both.stats[1].conflicts, 0);
        assert!(both.conflicted.is_empty());
    }
}
