//! A question's rules as a file, CSV or YAML, to review, version and reuse them.
//!
//! CSV columns: `priority,phrase,label,negation,negated_label,uncertain_label,sections,enabled`
//! (only `phrase` and `label` are required; `sections` separated by `;`). YAML:
//!
//! ```yaml
//! question: Pneumothorax
//! labels: [present, absent, uncertain]
//! rules:
//!   - phrase: no pneumothorax
//!     label: absent
//!   - phrase: pneumothorax
//!     label: present
//!     negation: route          # any | affirmed | route
//!     negated: absent
//!     uncertain: uncertain
//!     sections: [IMPRESSION]
//! ```
//!
//! Rules are in priority order (or ordered by `priority` when given). Reading never stops at the
//! first problem: every error comes back with its line. A file without a single rule (empty, a
//! header alone, `rules: []`) and a CSV file with a column this layout does not have are refused,
//! so that a wrong file can never pass for an empty rule set.

mod csv_rules;
#[cfg(test)]
mod tests;
mod yaml_rules;

use serde::{Deserialize, Serialize};

use super::engine::{Negation, Rule, RuleBook};
use super::phrase::Phrase;

/// A problem at a line of a rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The formats a rules file comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Yaml,
}

impl Format {
    /// The format a file name's extension says.
    pub fn of_path(path: &str) -> Option<Format> {
        let lower = path.to_ascii_lowercase();
        match lower.rsplit('.').next() {
            Some("csv") => Some(Format::Csv),
            Some("yaml" | "yml") => Some(Format::Yaml),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Yaml => "yaml",
        }
    }
}

/// What a rules file holds: its rules in priority order, and the question when the file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesFile {
    pub question: Option<String>,
    pub labels: Option<Vec<String>>,
    pub rules: Vec<Rule>,
}

impl RulesFile {
    /// The question this file describes, named `fallback` when it does not say; its labels, when
    /// not listed, are those its rules give, in order of appearance.
    pub fn into_question(self, fallback: &str) -> RuleBook {
        let labels = self.labels.unwrap_or_else(|| {
            let mut labels: Vec<String> = Vec::new();
            for rule in &self.rules {
                for label in rule.labels() {
                    if !labels.iter().any(|known| known == label) {
                        labels.push(label.to_string());
                    }
                }
            }
            labels
        });
        RuleBook {
            name: self.question.unwrap_or_else(|| fallback.to_string()),
            labels,
            rules: self.rules,
        }
    }
}

/// A file's rules with their lines, and the problems of the rows that could not be read.
type Read = (RulesFile, Vec<usize>, Vec<LineError>);

/// Reads a rules file; `labels`, when given, are the only labels its rules may use.
pub fn read(
    format: Format,
    text: &str,
    labels: Option<&[String]>,
) -> Result<RulesFile, Vec<LineError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(vec![LineError {
            line: 1,
            message: "the file is empty: it holds no rules".into(),
        }]);
    }
    let (file, lines, mut errors) = match format {
        Format::Csv => csv_rules::read(text)?,
        Format::Yaml => yaml_rules::read(text)?,
    };
    if file.rules.is_empty() && errors.is_empty() {
        let expected = match format {
            Format::Csv => "a header line (phrase,label) and then one line per rule",
            Format::Yaml => "a list named rules, each rule with a phrase and a label",
        };
        return Err(vec![LineError {
            line: 1,
            message: format!("the file holds no rules: a rules file has {expected}"),
        }]);
    }
    let allowed = labels.map(<[String]>::to_vec).or(file.labels.clone());
    for (rule, &line) in file.rules.iter().zip(&lines) {
        let mut fail = |message: String| errors.push(LineError { line, message });
        if let Err(error) = Phrase::parse(&rule.phrase) {
            fail(format!("phrase: {error}"));
        }
        for label in rule.labels() {
            match &allowed {
                Some(allowed) if !allowed.iter().any(|known| known == label) => fail(format!(
                    "label: unknown label {label:?} (the question's labels: {})",
                    allowed.join(", ")
                )),
                _ if label.trim().is_empty() => fail("label: empty".into()),
                _ => {}
            }
        }
    }
    errors.sort_by_key(|error| error.line);
    match errors.is_empty() {
        true => Ok(file),
        false => Err(errors),
    }
}

/// Puts rules in priority order: by their `priority` when every rule has one (no two alike),
/// else in the order written.
fn ordered(
    rules: Vec<(Rule, Option<i64>, usize)>,
) -> Result<(Vec<Rule>, Vec<usize>), Vec<LineError>> {
    let given = rules.iter().filter(|(_, p, _)| p.is_some()).count();
    if given != 0 && given != rules.len() {
        let line = rules
            .iter()
            .find(|(_, p, _)| p.is_none())
            .map_or(1, |r| r.2);
        return Err(vec![LineError {
            line,
            message: "priority: missing (give every rule a priority, or none)".into(),
        }]);
    }
    let mut rules = rules;
    rules.sort_by_key(|(_, priority, _)| *priority);
    for pair in rules.windows(2) {
        if pair[0].1.is_some() && pair[0].1 == pair[1].1 {
            return Err(vec![LineError {
                line: pair[1].2,
                message: format!(
                    "priority: {} is also the priority of line {} (ties are not allowed)",
                    pair[1].1.unwrap_or_default(),
                    pair[0].2
                ),
            }]);
        }
    }
    Ok(rules
        .into_iter()
        .map(|(rule, _, line)| (rule, line))
        .unzip())
}

/// Writes a question's rules as a file of `format`.
pub fn write(format: Format, question: &RuleBook) -> String {
    match format {
        Format::Csv => csv_rules::write(question),
        Format::Yaml => yaml_rules::write(question),
    }
}

fn route_labels(negation: &Negation) -> (Option<String>, Option<String>) {
    match negation {
        Negation::Route { negated, uncertain } => (negated.clone(), uncertain.clone()),
        _ => (None, None),
    }
}
