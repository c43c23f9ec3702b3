//! Why phrases, rules, cue lists and section scopes cannot be read: each variant names what is
//! wrong in the fellow's words, and becomes [`crate::Error::Invalid`] at the domain's edge.

use super::text::MAX_WORD;

/// Why a written phrase cannot be a phrase ([`super::phrase::Phrase::parse`]); each holds the
/// phrase as written (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhraseError {
    #[error("“{0}”: a * can only end the phrase, as in effusion*")]
    StarInside(String),
    #[error("“{0}”: the * must follow a word without a space, as in effusion*")]
    SpaceBeforeStar(String),
    #[error("“{0}”: a phrase needs at least one word (letters or digits)")]
    NoWords(String),
    #[error("“{0}”: a phrase is matched within one sentence, so it cannot hold a full stop, colon or semicolon between words")]
    AcrossSentences(String),
    /// Holds the word's first 20 characters.
    #[error("“{0}…” is longer than any word in a report ({MAX_WORD} letters at most)")]
    WordTooLong(String),
}

/// Why a question's rules or a project's text settings cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A cue of one of the cue lists (`list`: "pre-negation", "pseudo", …).
    #[error("{list} cues: {phrase}")]
    Cue {
        list: &'static str,
        phrase: PhraseError,
    },
    /// Rule `rank` (1 = the first) has a phrase that cannot be read.
    #[error("rule {rank}: {phrase}")]
    Phrase { rank: usize, phrase: PhraseError },
    /// Rule `rank` gives a label the question does not have (`labels`: the question's, joined).
    #[error(
        "rule {rank} (“{phrase}”): the label “{label}” is not one of the question's ({labels})"
    )]
    UnknownLabel {
        rank: usize,
        phrase: String,
        label: String,
        labels: String,
    },
    /// A rule is scoped to a section the project does not have (`sections`: the project's, joined).
    #[error("unknown section {name:?} (the project's sections: {sections})")]
    UnknownSection { name: String, sections: String },
    /// Rule `rank` looks in a section that is not one of the project's section headers.
    #[error(
        "rule {rank} (“{phrase}”) looks in the section “{name}”, which is not one of the \
         project's section headers ({sections}): keep that header, or change the rule's sections \
         or delete the rule first (a disabled rule keeps its sections)"
    )]
    SectionOfRule {
        rank: usize,
        phrase: String,
        name: String,
        sections: String,
    },
    /// A negation mode other than any, affirmed or route.
    #[error("negation: {0:?} is not a mode (any, affirmed or route)")]
    NegationMode(String),
    /// What is wrong inside the named question.
    #[error("question {question:?}: {error}")]
    InQuestion {
        question: String,
        error: Box<RuleError>,
    },
}
