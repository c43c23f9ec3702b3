//! Soft labels from phrase rules, one report at a time: the engine of the offline labeler and of
//! the server's checks of section scopes and negation (so both give the same answer).
//!
//! A study's soft label for a question is the label of the highest-priority enabled rule that
//! matches it; when none does, the study is unlabeled.

use serde::{Deserialize, Serialize};

use super::error::RuleError;
use super::negation::{CueSet, Cues, FoundCues, Status};
use super::phrase::{Phrase, PhraseSet};
use super::text::{Reading, NO_SECTION};

/// What a rule does with a mention's negation status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Negation {
    /// Any mention counts, whatever its status (the paper's behaviour).
    #[default]
    Any,
    /// Only affirmed mentions count.
    AffirmedOnly,
    /// Affirmed mentions give the rule's label; negated or uncertain ones the label given here
    /// (`None`: they do not count).
    Route {
        negated: Option<String>,
        uncertain: Option<String>,
    },
}

impl Negation {
    /// Reads a mode as rule files and the rule form write it: empty or `any`, `affirmed`, or
    /// `route` with the labels of negated and of uncertain mentions (blank: they do not count).
    /// Any other mode is an error naming it; nothing falls back to `any` silently.
    pub fn from_mode(
        mode: &str,
        negated: Option<String>,
        uncertain: Option<String>,
    ) -> Result<Negation, RuleError> {
        let some = |label: Option<String>| {
            label
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
        };
        match mode.trim() {
            "" | "any" => Ok(Negation::Any),
            "affirmed" => Ok(Negation::AffirmedOnly),
            "route" => Ok(Negation::Route {
                negated: some(negated),
                uncertain: some(uncertain),
            }),
            other => Err(RuleError::NegationMode(other.to_string())),
        }
    }

    /// The mode's name, as [`Negation::from_mode`] reads it.
    pub fn name(&self) -> &'static str {
        match self {
            Negation::Any => "any",
            Negation::AffirmedOnly => "affirmed",
            Negation::Route { .. } => "route",
        }
    }

    /// The label a mention of `status` gives under this mode, for a rule labeling `label`.
    pub fn label_for<'a>(&'a self, label: &'a str, status: Status) -> Option<&'a str> {
        match (self, status) {
            (_, Status::Affirmed) | (Negation::Any, _) => Some(label),
            (Negation::AffirmedOnly, _) => None,
            (Negation::Route { negated, .. }, Status::Negated) => negated.as_deref(),
            (Negation::Route { uncertain, .. }, Status::Uncertain) => uncertain.as_deref(),
        }
    }

    /// Whether matching needs to know each mention's status (and so the report's sentences).
    pub fn reads_status(&self) -> bool {
        *self != Negation::Any
    }
}

/// One phrase rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rule {
    pub phrase: String,
    pub label: String,
    #[serde(default)]
    pub negation: Negation,
    /// Section headers the rule looks in; empty: the whole report.
    #[serde(default)]
    pub sections: Vec<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

impl Rule {
    /// The labels this rule can give, its own first.
    pub fn labels(&self) -> Vec<&str> {
        let mut labels = vec![self.label.as_str()];
        if let Negation::Route { negated, uncertain } = &self.negation {
            labels.extend(negated.as_deref());
            labels.extend(uncertain.as_deref());
        }
        labels
    }

    /// Whether matching needs each mention's status or section (kept in the index per word, see
    /// [`super::statuses`]), not only where the phrase occurs.
    pub fn needs_text(&self) -> bool {
        self.negation.reads_status() || !self.sections.is_empty()
    }

    /// Of the statuses of a report's in-scope mentions, the one that gives this rule's outcome:
    /// the best that counts under its negation mode (affirmed, then uncertain, then negated);
    /// `None` when no mention counts.
    pub fn best_status(&self, statuses: impl IntoIterator<Item = Status>) -> Option<Status> {
        statuses
            .into_iter()
            .filter(|&status| self.negation.label_for(&self.label, status).is_some())
            .max()
    }

    /// The label this rule gives a report whose in-scope mentions have `statuses`.
    pub fn label_of(&self, statuses: impl IntoIterator<Item = Status>) -> Option<&str> {
        let best = self.best_status(statuses)?;
        self.negation.label_for(&self.label, best)
    }
}

/// Whether a mention in `section` lies in a rule's `sections` (header indices; empty: anywhere).
pub fn in_sections(sections: &[u16], section: u16) -> bool {
    sections.is_empty() || (section != NO_SECTION && sections.contains(&section))
}

/// The header indices of `names` in `headers` (matched without regard to case); the error names
/// a section that is not a header.
pub fn section_numbers(names: &[String], headers: &[String]) -> Result<Vec<u16>, RuleError> {
    names
        .iter()
        .map(|name| {
            headers
                .iter()
                .position(|header| header.eq_ignore_ascii_case(name.trim()))
                .map(|index| index as u16)
                .ok_or_else(|| RuleError::UnknownSection {
                    name: name.clone(),
                    sections: match headers.is_empty() {
                        true => "there are none".to_string(),
                        false => headers.join(", "),
                    },
                })
        })
        .collect()
}

/// A question and its rules in priority order, highest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleBook {
    pub name: String,
    pub labels: Vec<String>,
    pub rules: Vec<Rule>,
}

impl RuleBook {
    /// Checks that every rule's labels are the question's; the error names the rule.
    pub fn check(&self) -> Result<(), RuleError> {
        for (rank, rule) in self.rules.iter().enumerate() {
            for label in rule.labels() {
                if !self.labels.iter().any(|known| known == label) {
                    return Err(RuleError::UnknownLabel {
                        rank: rank + 1,
                        phrase: rule.phrase.trim().to_string(),
                        label: label.to_string(),
                        labels: self.labels.join(", "),
                    });
                }
            }
            Phrase::parse(&rule.phrase).map_err(|phrase| RuleError::Phrase {
                rank: rank + 1,
                phrase,
            })?;
        }
        Ok(())
    }
}

/// A project's text settings: its cue lists and section headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TextSettings {
    pub cues: Cues,
    pub section_headers: Vec<String>,
}

impl Default for TextSettings {
    fn default() -> TextSettings {
        let headers = [
            "EXAMINATION",
            "CLINICAL HISTORY",
            "HISTORY",
            "INDICATION",
            "TECHNIQUE",
            "COMPARISON",
            "FINDINGS",
            "IMPRESSION",
            "CONCLUSION",
        ];
        TextSettings {
            cues: Cues::default(),
            section_headers: headers.iter().map(|h| h.to_string()).collect(),
        }
    }
}

/// The soft label one question got in one report, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome<'a> {
    pub label: &'a str,
    /// The rule's rank in the question's priority order (0 = highest).
    pub rule: usize,
    /// Byte range of the matched phrase in the report.
    pub span: (usize, usize),
    pub status: Status,
}

struct CompiledRule {
    question: usize,
    rank: usize,
    rule: Rule,
    /// Section header indices; empty: anywhere.
    sections: Vec<u16>,
}

impl CompiledRule {
    /// Whether a mention starting at word `first` lies in the rule's sections.
    fn in_scope(&self, reading: &Reading, first: usize) -> bool {
        in_sections(&self.sections, reading.words[first].section)
    }
}

/// A rule's phrase found in a report (see [`Labeler::mentions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mention {
    pub question: usize,
    /// The rule's rank in its question's priority order.
    pub rule: usize,
    pub span: (usize, usize),
    pub status: Status,
    /// Whether the mention gives a label under the rule's negation mode.
    pub counts: bool,
}

/// Rules ready to label report texts.
pub struct Labeler {
    questions: Vec<RuleBook>,
    rules: Vec<CompiledRule>,
    phrases: PhraseSet,
    cues: CueSet,
    headers: Vec<String>,
}

impl Labeler {
    /// Compiles `questions` (their enabled rules) under `settings`; the error names what is wrong.
    pub fn new(questions: Vec<RuleBook>, settings: &TextSettings) -> Result<Labeler, RuleError> {
        let cues = CueSet::new(&settings.cues)?;
        let mut labeler = Labeler {
            questions: Vec::new(),
            rules: Vec::new(),
            phrases: PhraseSet::default(),
            cues,
            headers: settings.section_headers.clone(),
        };
        for (number, question) in questions.into_iter().enumerate() {
            question.check().map_err(|error| RuleError::InQuestion {
                question: question.name.clone(),
                error: Box::new(error),
            })?;
            for (rank, rule) in question.rules.iter().enumerate() {
                if !rule.enabled {
                    continue;
                }
                let sections =
                    section_numbers(&rule.sections, &labeler.headers).map_err(
                        |error| match error {
                            RuleError::UnknownSection { name, sections } => {
                                RuleError::SectionOfRule {
                                    rank: rank + 1,
                                    phrase: rule.phrase.trim().to_string(),
                                    name,
                                    sections,
                                }
                            }
                            other => other,
                        },
                    );
                let sections = sections.map_err(|error| RuleError::InQuestion {
                    question: question.name.clone(),
                    error: Box::new(error),
                })?;
                let phrase = Phrase::parse(&rule.phrase).map_err(|phrase| RuleError::Phrase {
                    rank: rank + 1,
                    phrase,
                })?;
                labeler.phrases.add(phrase);
                labeler.rules.push(CompiledRule {
                    question: number,
                    rank,
                    rule: rule.clone(),
                    sections,
                });
            }
            labeler.questions.push(question);
        }
        Ok(labeler)
    }

    pub fn questions(&self) -> &[RuleBook] {
        &self.questions
    }

    /// Labels one report: for each question, its outcome, or `None` when no rule matches.
    pub fn label(&self, text: &str) -> Vec<Option<Outcome<'_>>> {
        let reading = Reading::new(text, &self.headers);
        // Mentions as (compiled rule, first word, end word), grouped by rule in priority order.
        let mut mentions: Vec<(usize, usize, usize)> = Vec::new();
        self.phrases.find(&reading, |found| {
            mentions.push((found.phrase, found.first, found.end));
        });
        mentions.sort_unstable();
        let mut cues: Option<FoundCues> = None;
        let mut outcomes: Vec<Option<Outcome>> = vec![None; self.questions.len()];
        for group in mentions.chunk_by(|a, b| a.0 == b.0) {
            let compiled = &self.rules[group[0].0];
            if outcomes[compiled.question].is_some() {
                continue;
            }
            let spans: Vec<(usize, usize)> = group.iter().map(|&(_, f, e)| (f, e)).collect();
            let cues = cues.get_or_insert_with(|| self.cues.find(&reading));
            outcomes[compiled.question] = self.outcome(compiled, &spans, &reading, cues);
        }
        outcomes
    }

    /// Every mention of an enabled rule in `text` within the rule's sections, in text order: what
    /// a person checking the rule sees highlighted.
    pub fn mentions(&self, text: &str) -> Vec<Mention> {
        let reading = Reading::new(text, &self.headers);
        let cues = self.cues.find(&reading);
        let mut mentions = Vec::new();
        self.phrases.find(&reading, |found| {
            let compiled = &self.rules[found.phrase];
            if !compiled.in_scope(&reading, found.first) {
                return;
            }
            let status = cues.status(&reading, found.first, found.end);
            mentions.push(Mention {
                question: compiled.question,
                rule: compiled.rank,
                span: (
                    reading.words[found.first].start,
                    reading.words[found.end - 1].end,
                ),
                status,
                counts: compiled
                    .rule
                    .negation
                    .label_for(&compiled.rule.label, status)
                    .is_some(),
            });
        });
        mentions.sort_by_key(|m| m.span);
        mentions
    }

    /// The rule's outcome from its mentions: the first with the status that gives it
    /// ([`Rule::best_status`]).
    fn outcome<'a>(
        &'a self,
        compiled: &'a CompiledRule,
        mentions: &[(usize, usize)],
        reading: &Reading,
        cues: &FoundCues,
    ) -> Option<Outcome<'a>> {
        let read: Vec<(usize, usize, Status)> = mentions
            .iter()
            .filter(|&&(first, _)| compiled.in_scope(reading, first))
            .map(|&(first, end)| (first, end, cues.status(reading, first, end)))
            .collect();
        let best = compiled.rule.best_status(read.iter().map(|m| m.2))?;
        let &(first, end, status) = read.iter().find(|m| m.2 == best)?;
        Some(Outcome {
            label: compiled
                .rule
                .negation
                .label_for(&compiled.rule.label, best)?,
            rule: compiled.rank,
            span: (reading.words[first].start, reading.words[end - 1].end),
            status,
        })
    }
}

#[cfg(test)]
mod tests;
