//! Importing a rules file over a question's rules: reading the bytes a browser or a script sends
//! (refused as a whole, with every problem and its line, unless every rule reads), and saying
//! what the replacement would do before it is saved.

use serde::{Deserialize, Serialize};

use super::{Question, StoredRule};
use crate::labeling::file::{self, Format};
use crate::labeling::Rule;
use crate::{Error, Result};

/// Reads an uploaded rules file named `name` for `question`. The name's extension gives the
/// format; a file that is not text, holds no rule, names a column or a label the question does
/// not have, or has any invalid line is refused with `Error::Rejected` (each problem as
/// `line N: what was wrong`), so a wrong file never replaces the rules.
pub fn read_rules_file(question: &Question, name: &str, bytes: &[u8]) -> Result<Vec<Rule>> {
    let format = Format::of_path(name).ok_or_else(|| {
        Error::Invalid(format!(
            "“{name}” is not a rules file: choose a .csv or .yaml file, such as one exported from this page"
        ))
    })?;
    let rejected = |errors: Vec<String>| Error::Rejected {
        file: name.to_string(),
        total: errors.len() as u64,
        errors,
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(rejected(vec![
            "the file is not text (a spreadsheet or a PDF?): save it as CSV, or export the rules from this page, and import that file".into(),
        ]));
    };
    file::read(format, text, Some(&question.labels))
        .map(|read| read.rules)
        .map_err(|errors| rejected(errors.iter().map(ToString::to_string).collect()))
}

/// What replacing a question's rules would do, rule by rule. Rules are paired by phrase (case and
/// surrounding spaces aside): a pair is unchanged or changed (label, negation, sections or
/// enabled differ); a file's rule without a pair is added, a current rule without one removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replacement {
    pub before: usize,
    pub after: usize,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
}

impl Replacement {
    /// Compares the current rules with those that would replace them.
    pub fn of(current: &[StoredRule], new: &[Rule]) -> Replacement {
        let key = |rule: &Rule| rule.phrase.trim().to_lowercase();
        let mut unpaired: Vec<&Rule> = current.iter().map(|stored| &stored.rule).collect();
        let (mut added, mut changed, mut unchanged) = (0, 0, 0);
        for rule in new {
            match unpaired.iter().position(|old| key(old) == key(rule)) {
                Some(at) => {
                    let old = unpaired.remove(at);
                    // Phrases match case aside (reports are read lower-cased), so compare so.
                    let same = Rule {
                        phrase: rule.phrase.clone(),
                        ..old.clone()
                    } == *rule;
                    match same {
                        true => unchanged += 1,
                        false => changed += 1,
                    }
                }
                None => added += 1,
            }
        }
        Replacement {
            before: current.len(),
            after: new.len(),
            added,
            removed: unpaired.len(),
            changed,
            unchanged,
        }
    }

    /// Says it in one sentence: "Replaces 5 rules with 7: 3 added, 1 removed, 2 changed, 2 unchanged."
    pub fn summary(&self) -> String {
        let rules = |n: usize| match n {
            1 => "1 rule".to_string(),
            n => format!("{n} rules"),
        };
        format!(
            "Replaces {} with {}: {} added, {} removed, {} changed, {} unchanged.",
            rules(self.before),
            self.after,
            self.added,
            self.removed,
            self.changed,
            self.unchanged
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labeling::Negation;

    fn rule(phrase: &str, label: &str) -> Rule {
        Rule {
            phrase: phrase.into(),
            label: label.into(),
            negation: Negation::Any,
            sections: vec![],
            enabled: true,
        }
    }

    #[test]
    fn a_replacement_counts_added_removed_changed_and_unchanged_rules() {
        let current: Vec<StoredRule> = [
            rule("pneumothorax", "present"),
            rule("no pneumothorax", "absent"),
            rule("effusion", "present"),
        ]
        .into_iter()
        .enumerate()
        .map(|(index, rule)| StoredRule {
            id: index as u32 + 1,
            rule,
        })
        .collect();
        let new = [
            rule("Pneumothorax ", "present"),
            rule("no pneumothorax", "uncertain"),
            rule("collapse", "present"),
        ];
        let replacement = Replacement::of(&current, &new);
        assert_eq!(
            replacement.summary(),
            "Replaces 3 rules with 3: 1 added, 1 removed, 1 changed, 1 unchanged."
        );
    }

    fn question() -> Question {
        Question {
            id: 1,
            project_id: 1,
            name: "Pneumothorax".into(),
            labels: vec!["present".into(), "absent".into()],
            cohort_id: None,
            archived: false,
        }
    }

    #[test]
    fn a_file_that_is_not_text_or_has_no_rules_is_rejected() {
        let refused = |name: &str, bytes: &[u8]| match read_rules_file(&question(), name, bytes) {
            Err(Error::Rejected { errors, .. }) => errors.join("\n"),
            other => panic!("{other:?}"),
        };
        assert!(refused("rules.csv", b"\xff\xfe\x00garbage").contains("not text"));
        assert!(refused("rules.csv", b"phrase,label\n").contains("no rules"));
        assert!(refused("rules.csv", b"phrase,label\nedema,maybe\n").contains("line 2"));
        assert!(matches!(
            read_rules_file(&question(), "rules.xlsx", b"x"),
            Err(Error::Invalid(_))
        ));
    }
}
