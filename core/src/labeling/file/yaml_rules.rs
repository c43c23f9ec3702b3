//! Rules files in YAML: a question, its labels and its rules, read item by item and written back.

use serde::{Deserialize, Serialize};

use super::{ordered, route_labels, LineError, Read, RulesFile};
use crate::labeling::engine::{Negation, Rule, RuleBook};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlFile {
    question: Option<String>,
    labels: Option<Vec<String>>,
    rules: Vec<YamlRule>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct YamlRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<i64>,
    phrase: String,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    negation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    negated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uncertain: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sections: Vec<String>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

pub(super) fn read(text: &str) -> Result<Read, Vec<LineError>> {
    let file: YamlFile = serde_yaml::from_str(text).map_err(|error| {
        vec![LineError {
            line: error.location().map_or(1, |l| l.line()),
            message: yaml_reason(&error),
        }]
    })?;
    let lines = yaml_item_lines(text);
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (index, item) in file.rules.into_iter().enumerate() {
        let line = lines.get(index).copied().unwrap_or(1);
        match Negation::from_mode(
            item.negation.as_deref().unwrap_or(""),
            item.negated,
            item.uncertain,
        ) {
            Ok(negation) => rules.push((
                Rule {
                    phrase: item.phrase,
                    label: item.label,
                    negation,
                    sections: item.sections,
                    enabled: item.enabled,
                },
                item.priority,
                line,
            )),
            Err(error) => errors.push(LineError {
                line,
                message: error.to_string(),
            }),
        }
    }
    let (rules, lines) = ordered(rules)?;
    Ok((
        RulesFile {
            question: file.question,
            labels: file.labels,
            rules,
        },
        lines,
        errors,
    ))
}

/// Says in plain words why a YAML rules file could not be read (the parser names Rust types).
fn yaml_reason(error: &serde_yaml::Error) -> String {
    let message = error.to_string();
    let quoted = |marker: &str| {
        let (_, rest) = message.split_once(marker)?;
        let (name, _) = rest.split_once('`')?;
        Some(name.to_string())
    };
    if let Some(field) = quoted("missing field `") {
        return format!("“{field}” is missing (every rule needs a phrase and a label; the file needs a list named rules)");
    }
    if let Some(field) = quoted("unknown field `") {
        return format!(
            "“{field}” is not a field of a rules file (a rule has phrase, label, priority, negation, negated, uncertain, sections, enabled; the file has question, labels, rules)"
        );
    }
    if message.contains("invalid type") || message.contains("expected") {
        return "this is not a rules file in YAML: it needs a list named rules, each rule with a phrase and a label".into();
    }
    "this is not readable YAML: check the indentation and the quotes on this line".into()
}

/// The line of each item of the `rules:` list (the YAML parser keeps no positions of values).
fn yaml_item_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut in_rules = false;
    let mut indent = None;
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let depth = line.len() - trimmed.len();
        if depth == 0 && !trimmed.is_empty() && !trimmed.starts_with('-') {
            in_rules = trimmed.starts_with("rules:");
            continue;
        }
        if in_rules && trimmed.starts_with('-') && *indent.get_or_insert(depth) == depth {
            lines.push(number + 1);
        }
    }
    lines
}

pub(super) fn write(question: &RuleBook) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        question: &'a str,
        labels: &'a [String],
        rules: Vec<YamlRule>,
    }
    let rules = question
        .rules
        .iter()
        .enumerate()
        .map(|(rank, rule)| {
            let (negated, uncertain) = route_labels(&rule.negation);
            YamlRule {
                priority: Some(rank as i64 + 1),
                phrase: rule.phrase.clone(),
                label: rule.label.clone(),
                negation: (rule.negation != Negation::Any)
                    .then(|| rule.negation.name().to_string()),
                negated,
                uncertain,
                sections: rule.sections.clone(),
                enabled: rule.enabled,
            }
        })
        .collect();
    let out = Out {
        question: &question.name,
        labels: &question.labels,
        rules,
    };
    serde_yaml::to_string(&out).expect("rules serialise")
}
