//! Whether a mention is affirmed, negated or uncertain, from cue phrases in its sentence
//! (NegEx/ConText style).
//!
//! A pre-cue ("no", "possible") reaches forward from its end, a post-cue ("is ruled out", "cannot
//! be excluded") backward from its start, each to the sentence's end or the nearest termination cue
//! ("but", "however"). A pseudo-cue ("no change") is not a cue, and hides the cues inside it.
//! A normal-modifier ("normal", "within normal limits") negates a mention a few words before or
//! after it: "heart size is normal" says there is no cardiomegaly. A template's field read by
//! cues alone ("Pneumothorax: none.") has their status. Uncertainty wins over negation, so double
//! negatives ("does not exclude pneumonia") read as uncertain. The lists are data: each project
//! keeps its own, editable by its fellows, starting from a [`Preset`].

use serde::{Deserialize, Serialize};

use super::error::RuleError;
use super::phrase::{Occurrence, Phrase, PhraseSet};
use super::text::Reading;

mod presets;

pub use presets::Preset;

/// The most words between a normal-modifier and the mention after it ("normal heart size": 0).
pub const PRE_NORMAL_REACH: usize = 2;

/// The most words between a mention and the normal-modifier after it ("heart size and pulmonary
/// vascularity appear within normal limits": 4).
pub const POST_NORMAL_REACH: usize = 6;

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
    /// Modifiers that say a finding is normal, so not present ("heart size is normal", "normal
    /// heart size", "within normal limits"): they negate a mention at most
    /// [`PRE_NORMAL_REACH`] words after them or [`POST_NORMAL_REACH`] words before them, in its
    /// sentence and clause.
    pub normal: Vec<String>,
}

impl Default for Cues {
    /// The "Sieve radiology" preset.
    fn default() -> Cues {
        Preset::SieveRadiology.cues()
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
    Normal,
}

impl Kind {
    fn is_pre(self) -> bool {
        matches!(self, Kind::PreNegation | Kind::PreUncertainty)
    }

    /// The bit of [`Side`] the cue sets where it reaches (none for pseudo and termination cues).
    fn side(self) -> Side {
        match self.status() {
            Some(Status::Negated) => NEGATED,
            Some(Status::Uncertain) => UNCERTAIN,
            _ => 0,
        }
    }

    fn status(self) -> Option<Status> {
        match self {
            Kind::PreNegation | Kind::PostNegation | Kind::Normal => Some(Status::Negated),
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
            ("normal", &cues.normal, Kind::Normal),
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

/// Words that start a new clause after a predicate ("heart size is normal and the lungs clear").
const CLAUSE_STARTS: [&str; 12] = [
    "and", "or", "but", "with", "without", "while", "although", "however", "in", "for", "on", "at",
];

/// Whether a normal-modifier ending at word `end` closes its clause, as a predicate does ("heart
/// size is normal."), rather than describing the word after it ("normal lungs"): it is the last
/// word of its sentence, a comma or dash follows it, or the next word starts a new clause.
fn ends_clause(reading: &Reading, end: usize) -> bool {
    let last = &reading.words[end - 1];
    match reading.words.get(end) {
        Some(next) if next.sentence == last.sentence => {
            last.pause_after || CLAUSE_STARTS.contains(&reading.norm(end))
        }
        _ => true,
    }
}

/// What the cues of a sentence say of one word, seen from one side of it: a set of the bits
/// [`NEGATED`], [`UNCERTAIN`] and, from the side after it, [`FIELD`] (the word ends a template's
/// field name, and the field's value alone gives the status). A mention's status depends only on
/// what reaches its first word from before and its last word from after ([`Status::of`]), so the
/// index can keep the two sides of every word and give any phrase's status without the text.
pub type Side = u8;
/// A negation cue (or a normal-modifier) reaches the word.
pub const NEGATED: Side = 1;
/// An uncertainty cue reaches the word.
pub const UNCERTAIN: Side = 2;
/// The word ends a template's field name; the other bits are the value's status.
pub const FIELD: Side = 4;

impl Status {
    /// The status of a mention whose first word is reached by `before` and whose last word by
    /// `after` (see [`Side`]): a template field's value decides alone; otherwise uncertainty wins
    /// over negation, and a mention no cue reaches is affirmed.
    pub fn of(before: Side, after: Side) -> Status {
        let reached = match after & FIELD {
            0 => before | after,
            _ => after | NEGATED,
        };
        match (reached & UNCERTAIN, reached & NEGATED) {
            (0, 0) => Status::Affirmed,
            (0, _) => Status::Negated,
            _ => Status::Uncertain,
        }
    }
}

impl FoundCues {
    /// The status of the mention at words `first..end` of `reading`.
    pub fn status(&self, reading: &Reading, first: usize, end: usize) -> Status {
        Status::of(
            self.from_before(reading, first),
            self.from_after(reading, end),
        )
    }

    /// The cues before word `first` that reach it: pre-cues (up to a termination cue) and
    /// normal-modifiers at most [`PRE_NORMAL_REACH`] words before it.
    pub fn from_before(&self, reading: &Reading, first: usize) -> Side {
        let sentence = reading.words[first].sentence;
        let mut side = 0;
        for &(kind, _, cue_end, _) in self.in_sentence(sentence) {
            if cue_end > first || self.terminated_between(sentence, cue_end, first) {
                continue;
            }
            let reaches = match kind {
                Kind::Normal => first - cue_end <= PRE_NORMAL_REACH,
                _ => kind.is_pre(),
            };
            if reaches {
                side |= kind.side();
            }
        }
        side
    }

    /// The cues after word `end - 1` that reach it: post-cues (back to a termination cue) and
    /// normal-modifiers closing its clause at most [`POST_NORMAL_REACH`] words after it; or, when
    /// the word ends a template's field name, [`FIELD`] and the field value's status.
    pub fn from_after(&self, reading: &Reading, end: usize) -> Side {
        if let Some(status) = self.field_value(reading, end) {
            return FIELD
                | match status {
                    Status::Uncertain => UNCERTAIN,
                    _ => NEGATED,
                };
        }
        let sentence = reading.words[end - 1].sentence;
        let mut side = 0;
        for &(kind, cue_first, cue_end, _) in self.in_sentence(sentence) {
            if cue_first < end || self.terminated_between(sentence, end, cue_first) {
                continue;
            }
            let reaches = match kind {
                Kind::Normal => {
                    cue_first - end <= POST_NORMAL_REACH && ends_clause(reading, cue_end)
                }
                _ => !kind.is_pre(),
            };
            if reaches {
                side |= kind.side();
            }
        }
        side
    }

    fn in_sentence(&self, sentence: u32) -> impl Iterator<Item = &(Kind, usize, usize, u32)> {
        self.cues.iter().filter(move |cue| cue.3 == sentence)
    }

    /// Whether a termination cue of `sentence` lies within words `from..to`.
    fn terminated_between(&self, sentence: u32, from: usize, to: usize) -> bool {
        self.in_sentence(sentence)
            .any(|&(kind, f, e, _)| kind == Kind::Termination && f >= from && e <= to)
    }

    /// A template's field ("Pneumothorax: none.", "Heart size: normal", "Effusion: ?"): when the
    /// mention ending at word `end` is the last thing before a colon, and what follows the colon
    /// up to the sentence's end is nothing but cues, the status those cues give.
    fn field_value(&self, reading: &Reading, end: usize) -> Option<Status> {
        let name = reading.words[end - 1].sentence;
        let value = name + 1;
        if !reading.colon_ends.contains(&name) || reading.words.get(end)?.sentence != value {
            return None;
        }
        let value_end = reading.words[end..]
            .iter()
            .position(|word| word.sentence != value)
            .map_or(reading.words.len(), |n| end + n);
        let cues: Vec<&(Kind, usize, usize, u32)> = self
            .cues
            .iter()
            .filter(|cue| cue.3 == value && cue.0.status().is_some())
            .collect();
        let covered =
            (end..value_end).all(|word| cues.iter().any(|cue| cue.1 <= word && word < cue.2));
        if !covered {
            return None;
        }
        match cues
            .iter()
            .any(|cue| cue.0.status() == Some(Status::Uncertain))
        {
            true => Some(Status::Uncertain),
            false => Some(Status::Negated),
        }
    }
}

#[cfg(test)]
mod tests;
