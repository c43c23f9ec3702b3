//! Phrase rules and soft labels: how a fellow's phrases become a label for every study.
//!
//! - [`text`]: words, sentences and sections — one reading for the index and the engine.
//! - [`phrase`]: phrases and finding them; [`negation`]: cue lists and a mention's status.
//! - [`engine`]: questions and rules, and the label of one report (the offline labeler).
//! - [`soft`]: the labels of a whole project as bitmap algebra over the rules' matches.
//! - [`file`]: rules as CSV or YAML files.

pub mod engine;
pub mod file;
pub mod negation;
pub mod phrase;
pub mod soft;
pub mod text;

pub use engine::{Labeler, Negation, Outcome, Question, Rule, TextSettings};
pub use negation::{Cues, Status};
