//! Phrase rules and soft labels: how a fellow's phrases become a label for every study.
//!
//! - [`text`]: words, sentences and sections — one reading for the index and the engine.
//! - [`phrase`]: phrases and finding them; [`negation`]: cue lists and a mention's status.
//! - [`engine`]: questions and rules, and the label of one report (the offline labeler).
//! - [`statuses`]: every word's status and section, as the index keeps them.
//! - [`priority`]: rules in priority order as bitmap algebra over their matches (the first rule that matches a study labels it).
//! - [`file`]: rules as CSV or YAML files; [`error`]: why a phrase or rule cannot be read.

pub mod engine;
pub mod error;
pub mod file;
pub mod negation;
pub mod phrase;
pub mod priority;
pub mod statuses;
pub mod text;

pub use engine::{Labeler, Negation, Outcome, Rule, RuleBook, TextSettings};
pub use error::{PhraseError, RuleError};
pub use negation::{Cues, Preset, Status};
