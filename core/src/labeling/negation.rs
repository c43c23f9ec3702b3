//! Whether a mention is affirmed, negated or uncertain, from cue phrases in its sentence
//! (NegEx/ConText style).
//!
//! A pre-cue ("no", "possible") reaches forward from its end, a post-cue ("is ruled out", "cannot
//! be excluded") backward from its start, each to the sentence's end or the nearest termination cue
//! ("but", "however"). A pseudo-cue ("no change") is not a cue, and hides the cues inside it.
//! Uncertainty wins over negation ("no definite effusion, cannot be excluded" is uncertain).
//! The lists are data: each project keeps its own, editable by its fellows.

use serde::{Deserialize, Serialize};

use super::error::RuleError;
use super::phrase::{Occurrence, Phrase, PhraseSet};
use super::text::Reading;

/// How a mention is spoken of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Negated,
    Uncertain,
    Affirmed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Affirmed => "affirmed",
            Status::Negated => "negated",
            Status::Uncertain => "uncertain",
        }
    }
}

/// The cue lists of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cues {
    pub pre_negation: Vec<String>,
    pub post_negation: Vec<String>,
    pub pre_uncertainty: Vec<String>,
    pub post_uncertainty: Vec<String>,
    pub pseudo: Vec<String>,
    pub termination: Vec<String>,
}

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|cue| cue.to_string()).collect()
}

impl Default for Cues {
    fn default() -> Cues {
        Cues {
            pre_negation: owned(&[
                "no",
                "not",
                "without",
                "negative for",
                "no evidence of",
                "no signs of",
                "free of",
                "absence of",
                "resolution of",
            ]),
            post_negation: owned(&[
                "is ruled out",
                "are ruled out",
                "has been ruled out",
                "is absent",
                "are absent",
                "has resolved",
                "have resolved",
                "not seen",
                "not identified",
            ]),
            pre_uncertainty: owned(&[
                "possible",
                "possibly",
                "probable",
                "questionable",
                "suspicious for",
                "concern for",
                "cannot exclude",
                "can not exclude",
                "cannot rule out",
                "may represent",
                "equivocal",
                "?",
            ]),
            post_uncertainty: owned(&[
                "cannot be excluded",
                "can not be excluded",
                "not excluded",
                "cannot be ruled out",
                "is suspected",
                "?",
            ]),
            pseudo: owned(&[
                "no change",
                "no significant change",
                "no interval change",
                "not only",
                "no increase",
                "no decrease",
                "without change",
            ]),
            termination: owned(&[
                "but",
                "however",
                "although",
                "though",
                "except",
                "apart from",
                "aside from",
            ]),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    PreNegation,
    PostNegation,
    PreUncertainty,
    PostUncertainty,
    Pseudo,
    Termination,
}

impl Kind {
    fn is_pre(self) -> bool {
        matches!(self, Kind::PreNegation | Kind::PreUncertainty)
    }

    fn status(self) -> Option<Status> {
        match self {
            Kind::PreNegation | Kind::PostNegation => Some(Status::Negated),
            Kind::PreUncertainty | Kind::PostUncertainty => Some(Status::Uncertain),
            Kind::Pseudo | Kind::Termination => None,
        }
    }
}

/// Cue lists ready to be found in texts.
#[derive(Debug, Clone, Default)]
pub struct CueSet {
    phrases: PhraseSet,
    kinds: Vec<Kind>,
    /// Kinds of the `?` mark, when listed as a cue.
    mark_kinds: Vec<Kind>,
}

/// The cues found in one reading, in text order.
#[derive(Debug, Clone, Default)]
pub struct FoundCues {
    /// (kind, first word, end word) of each cue, pseudo-cues and the cues they hide left out.
    cues: Vec<(Kind, usize, usize, u32)>,
}

impl CueSet {
    /// Compiles cue lists; the error names the list and the cue that cannot be read.
    pub fn new(cues: &Cues) -> Result<CueSet, RuleError> {
        let mut set = CueSet::default();
        let lists = [
            ("pre-negation", &cues.pre_negation, Kind::PreNegation),
            ("post-negation", &cues.post_negation, Kind::PostNegation),
            (
                "pre-uncertainty",
                &cues.pre_uncertainty,
                Kind::PreUncertainty,
            ),
            (
                "post-uncertainty",
                &cues.post_uncertainty,
                Kind::PostUncertainty,
            ),
            ("pseudo", &cues.pseudo, Kind::Pseudo),
            ("termination", &cues.termination, Kind::Termination),
        ];
        for (name, list, kind) in lists {
            for cue in list.iter().filter(|cue| !cue.trim().is_empty()) {
                if cue.trim() == "?" {
                    set.mark_kinds.push(kind);
                    continue;
                }
                let phrase =
                    Phrase::parse(cue).map_err(|phrase| RuleError::Cue { list: name, phrase })?;
                set.phrases.add(phrase);
                set.kinds.push(kind);
            }
        }
        Ok(set)
    }

    /// Finds the cues of `reading`.
    pub fn find(&self, reading: &Reading) -> FoundCues {
        let mut all: Vec<(Kind, Occurrence)> = Vec::new();
        self.phrases
            .find(reading, |found| all.push((self.kinds[found.phrase], found)));
        let pseudo: Vec<Occurrence> = all
            .iter()
            .filter(|(kind, _)| *kind == Kind::Pseudo)
            .map(|(_, found)| *found)
            .collect();
        let hidden = |o: &Occurrence| pseudo.iter().any(|p| p.first < o.end && o.first < p.end);
        let mut cues: Vec<(Kind, usize, usize, u32)> = all
            .iter()
            .filter(|(kind, found)| *kind != Kind::Pseudo && !hidden(found))
            .map(|(kind, found)| {
                let sentence = reading.words[found.first].sentence;
                (*kind, found.first, found.end, sentence)
            })
            .collect();
        for mark in &reading.marks {
            for &kind in &self.mark_kinds {
                cues.push((kind, mark.before, mark.before, mark.sentence));
            }
        }
        FoundCues { cues }
    }
}

impl FoundCues {
    /// The status of the mention at words `first..end` of `reading`.
    pub fn status(&self, reading: &Reading, first: usize, end: usize) -> Status {
        let sentence = reading.words[first].sentence;
        let in_sentence = || self.cues.iter().filter(move |cue| cue.3 == sentence);
        let terminated_between = |from: usize, to: usize| {
            in_sentence().any(|&(kind, f, e, _)| kind == Kind::Termination && f >= from && e <= to)
        };
        let (mut negated, mut uncertain) = (false, false);
        for &(kind, cue_first, cue_end, _) in in_sentence() {
            let reaches = match kind.is_pre() {
                true => cue_end <= first && !terminated_between(cue_end, first),
                false => cue_first >= end && !terminated_between(end, cue_first),
            };
            match kind.status() {
                Some(Status::Negated) if reaches => negated = true,
                Some(Status::Uncertain) if reaches => uncertain = true,
                _ => {}
            }
        }
        match (uncertain, negated) {
            (true, _) => Status::Uncertain,
            (false, true) => Status::Negated,
            (false, false) => Status::Affirmed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(mention: &str, text: &str) -> Status {
        let cues = CueSet::new(&Cues::default()).unwrap();
        let mut set = PhraseSet::default();
        set.add(Phrase::parse(mention).unwrap());
        let reading = Reading::new(text, &[]);
        let found = cues.find(&reading);
        let mut first = None;
        set.find(&reading, |o| {
            first.get_or_insert(o);
        });
        let o = first.expect("the mention is in the text");
        found.status(&reading, o.first, o.end)
    }

    #[test]
    fn pre_and_post_cues_negate() {
        assert_eq!(
            status_of("pneumothorax", "No pneumothorax."),
            Status::Negated
        );
        assert_eq!(
            status_of("pneumothorax", "No evidence of a large pneumothorax."),
            Status::Negated
        );
        assert_eq!(
            status_of("pneumothorax", "Pneumothorax is ruled out."),
            Status::Negated
        );
        assert_eq!(
            status_of("pneumothorax", "Large pneumothorax."),
            Status::Affirmed
        );
    }

    #[test]
    fn uncertainty_cues_and_question_marks() {
        assert_eq!(
            status_of("pneumothorax", "Possible small pneumothorax."),
            Status::Uncertain
        );
        assert_eq!(
            status_of("pneumothorax", "A pneumothorax cannot be excluded."),
            Status::Uncertain
        );
        assert_eq!(
            status_of("pneumothorax", "?pneumothorax"),
            Status::Uncertain
        );
        assert_eq!(
            status_of("pneumothorax", "Pneumothorax?"),
            Status::Uncertain
        );
        assert_eq!(
            status_of("effusion", "Possibly no effusion."),
            Status::Uncertain
        );
    }

    #[test]
    fn cues_stop_at_sentence_ends_and_termination_cues() {
        assert_eq!(
            status_of("effusion", "No pneumothorax. Effusion."),
            Status::Affirmed
        );
        assert_eq!(
            status_of("effusion", "No pneumothorax but a large effusion."),
            Status::Affirmed
        );
        assert_eq!(
            status_of(
                "effusion",
                "No pneumothorax, however effusion is ruled out."
            ),
            Status::Negated
        );
    }

    #[test]
    fn pseudo_cues_do_not_negate() {
        assert_eq!(
            status_of("effusion", "No change in the right effusion."),
            Status::Affirmed
        );
        assert_eq!(
            status_of("effusion", "Not only an effusion but also edema."),
            Status::Affirmed
        );
        assert_eq!(
            status_of("effusion", "No increase in effusion, no pneumothorax."),
            Status::Affirmed
        );
    }

    #[test]
    fn a_cue_inside_the_mention_is_not_its_cue() {
        assert_eq!(
            status_of("no pneumothorax", "No pneumothorax."),
            Status::Affirmed
        );
    }

    #[test]
    fn a_bad_cue_names_its_list() {
        let cues = Cues {
            termination: vec!["but*ter".into()],
            ..Cues::default()
        };
        assert!(CueSet::new(&cues)
            .unwrap_err()
            .to_string()
            .starts_with("termination cues:"));
    }
}
