//! A change to a question's rules (add, edit, move, delete, restore), applied to a rule list with
//! the checks every change passes: a phrase that can be a rule, no rule twice.

use serde::{Deserialize, Serialize};

use super::StoredRule;
use crate::labeling::{Negation, Rule};
use crate::{Error, Result};

/// A change to a question's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// Adds a rule at `at` (0 = highest priority; `None` or past the end: lowest).
    Add {
        rule: Rule,
        at: Option<usize>,
    },
    /// Replaces a rule's content, keeping its place.
    Edit {
        id: u32,
        rule: Rule,
        /// The rule as the editor saw it: when given and the rule has changed since (another tab,
        /// another fellow), the edit is refused rather than undoing that change.
        #[serde(default)]
        was: Option<Rule>,
    },
    /// Moves a rule to position `to` (0 = highest priority).
    Move {
        id: u32,
        to: usize,
    },
    Delete {
        id: u32,
    },
    /// Replaces all rules (a rules file was imported).
    ReplaceAll {
        rules: Vec<Rule>,
        source: String,
    },
    /// Makes the rules those of an earlier version again (its rules and their ids), as a new
    /// version: history is never rewritten.
    Restore {
        version: i64,
        rules: Vec<StoredRule>,
    },
}

/// The place (0-based) of a rule other than `except` that reads text exactly as `rule` does — the
/// same phrase (as parsed: case and spacing aside), negation mode and sections — so that one of the
/// two could never label a study.
fn same_reading(rules: &[StoredRule], rule: &Rule, except: Option<u32>) -> Option<usize> {
    let phrase = crate::labeling::phrase::Phrase::parse(&rule.phrase).ok()?;
    let sections = |r: &Rule| -> Vec<String> {
        let mut s: Vec<String> = r.sections.iter().map(|s| s.trim().to_uppercase()).collect();
        s.sort();
        s
    };
    rules.iter().position(|other| {
        Some(other.id) != except
            && other.rule.negation == rule.negation
            && sections(&other.rule) == sections(rule)
            && crate::labeling::phrase::Phrase::parse(&other.rule.phrase).ok()
                == Some(phrase.clone())
    })
}

/// What adding `rule` to `rules` would be refused for (a phrase without words, a rule the list
/// already has): checked alike by an add and by its preview, so a preview never promises an add
/// that will be refused.
pub(crate) fn check_new(rules: &[StoredRule], rule: &Rule) -> Result<()> {
    check_phrase(rule)?;
    refuse_twice(rules, rule, None)
}

/// Refuses a rule that another already is (see [`same_reading`]), naming that one.
fn refuse_twice(rules: &[StoredRule], rule: &Rule, except: Option<u32>) -> Result<()> {
    match same_reading(rules, rule, except) {
        None => Ok(()),
        Some(at) => Err(Error::Invalid(format!(
            "“{}” is already rule {} ({}), with the same negation and sections: edit that rule instead",
            rule.phrase.trim(),
            at + 1,
            quoted(&rules[at].rule)
        ))),
    }
}

fn quoted(rule: &Rule) -> String {
    format!("“{}” → {}", rule.phrase.trim(), rule.label)
}

/// A rule in full, for a version's description of an edit: its phrase and label, then how it reads
/// negation and where it looks, so that an edit of those is visible in the history.
fn described(rule: &Rule) -> String {
    let mode = match &rule.negation {
        Negation::Any => String::new(),
        Negation::AffirmedOnly => ", affirmed only".into(),
        Negation::Route { negated, uncertain } => format!(
            ", negated → {}, uncertain → {}",
            negated.as_deref().unwrap_or("ignored"),
            uncertain.as_deref().unwrap_or("ignored")
        ),
    };
    let sections = match rule.sections.is_empty() {
        true => String::new(),
        false => format!(", in {}", rule.sections.join(", ")),
    };
    format!("{}{mode}{sections}", quoted(rule))
}

/// Refuses a phrase that cannot be a rule, in the words of [`Phrase::parse`].
fn check_phrase(rule: &Rule) -> Result<()> {
    crate::labeling::phrase::Phrase::parse(&rule.phrase)?;
    Ok(())
}

impl Change {
    /// Applies the change to a rule list; returns what it did, in words.
    pub(super) fn apply(&self, rules: &mut Vec<StoredRule>) -> Result<String> {
        let find = |rules: &[StoredRule], id: u32| {
            rules.iter().position(|r| r.id == id).ok_or_else(|| {
                Error::Invalid(
                    "This rule is no longer in the list: it was deleted in another tab or by someone else. The list below is current."
                        .into(),
                )
            })
        };
        let next_id = || rules.iter().map(|r| r.id).max().unwrap_or(0) + 1;
        Ok(match self {
            Change::Add { rule, at } => {
                check_new(rules, rule)?;
                let at = at.unwrap_or(rules.len()).min(rules.len());
                let id = next_id();
                rules.insert(
                    at,
                    StoredRule {
                        id,
                        rule: rule.clone(),
                    },
                );
                format!("added {} at priority {}", quoted(rule), at + 1)
            }
            Change::Edit { id, rule, was } => {
                check_phrase(rule)?;
                let at = find(rules, *id)?;
                if was.as_ref().is_some_and(|was| *was != rules[at].rule) {
                    return Err(Error::Invalid(format!(
                        "This rule was changed since you opened it (it is now {}), in another tab or by someone else; nothing was saved. The list below is current: edit it again there.",
                        quoted(&rules[at].rule)
                    )));
                }
                refuse_twice(rules, rule, Some(*id))?;
                let before = std::mem::replace(&mut rules[at].rule, rule.clone());
                match (before.enabled, rule.enabled) {
                    (true, false) if before.phrase == rule.phrase => {
                        format!("disabled {}", quoted(rule))
                    }
                    (false, true) if before.phrase == rule.phrase => {
                        format!("enabled {}", quoted(rule))
                    }
                    _ => format!("edited {} (was {})", described(rule), described(&before)),
                }
            }
            Change::Move { id, to } => {
                let from = find(rules, *id)?;
                let moved = rules.remove(from);
                let to = (*to).min(rules.len());
                let words = format!(
                    "moved {} from priority {} to {}",
                    quoted(&moved.rule),
                    from + 1,
                    to + 1
                );
                rules.insert(to, moved);
                words
            }
            Change::Delete { id } => {
                let at = find(rules, *id)?;
                let removed = rules.remove(at);
                format!("deleted {}", quoted(&removed.rule))
            }
            Change::ReplaceAll { rules: new, source } => {
                *rules = new
                    .iter()
                    .enumerate()
                    .map(|(index, rule)| StoredRule {
                        id: index as u32 + 1,
                        rule: rule.clone(),
                    })
                    .collect();
                format!("imported {} rules from {source}", new.len())
            }
            Change::Restore {
                version,
                rules: old,
            } => {
                *rules = old.clone();
                format!("restored version {version} ({} rules)", old.len())
            }
        })
    }
}
