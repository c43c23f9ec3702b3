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

use serde::{Deserialize, Serialize};

use super::engine::{Negation, Rule, RuleBook};
use super::error::RuleError;
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
        Format::Csv => read_csv(text)?,
        Format::Yaml => read_yaml(text)?,
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

fn negation_of(
    mode: Option<&str>,
    negated: Option<String>,
    uncertain: Option<String>,
) -> Result<Negation, RuleError> {
    let some = |label: Option<String>| label.filter(|l| !l.trim().is_empty());
    match mode.map(str::trim).unwrap_or("") {
        "" | "any" => Ok(Negation::Any),
        "affirmed" => Ok(Negation::AffirmedOnly),
        "route" => Ok(Negation::Route {
            negated: some(negated),
            uncertain: some(uncertain),
        }),
        other => Err(RuleError::NegationMode(other.to_string())),
    }
}

/// The columns of a CSV rules file, in the order [`write`] puts them.
const CSV_COLUMNS: [&str; 8] = [
    "priority",
    "phrase",
    "label",
    "negation",
    "negated_label",
    "uncertain_label",
    "sections",
    "enabled",
];

/// Refuses a header with a column this layout does not have, or without `phrase` and `label`.
fn check_csv_header(headers: &csv::StringRecord) -> Result<(), Vec<LineError>> {
    let columns = CSV_COLUMNS.join(", ");
    let unknown: Vec<String> = headers
        .iter()
        .filter(|name| !CSV_COLUMNS.contains(name))
        .map(|name| format!("“{name}”"))
        .collect();
    let missing: Vec<&str> = ["phrase", "label"]
        .into_iter()
        .filter(|needed| !headers.iter().any(|name| name == *needed))
        .collect();
    let message = match (unknown.is_empty(), missing.is_empty()) {
        (true, true) => return Ok(()),
        (false, _) => format!(
            "the first line must name the columns, and {} {} not one of them (a rules file's columns: {columns}; phrase and label are needed)",
            unknown.join(", "),
            if unknown.len() == 1 { "is" } else { "are" }
        ),
        (true, false) => format!(
            "the first line must name the columns, and {} missing (a rules file's columns: {columns})",
            match missing.as_slice() {
                [one] => format!("the column {one} is"),
                _ => "the columns phrase and label are".to_string(),
            }
        ),
    };
    Err(vec![LineError { line: 1, message }])
}

#[derive(Deserialize)]
struct CsvRow {
    priority: Option<String>,
    phrase: String,
    label: String,
    negation: Option<String>,
    negated_label: Option<String>,
    uncertain_label: Option<String>,
    sections: Option<String>,
    enabled: Option<String>,
}

/// A file's rules with their lines, and the problems of the rows that could not be read.
type Read = (RulesFile, Vec<usize>, Vec<LineError>);

fn read_csv(text: &str) -> Result<Read, Vec<LineError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let headers = reader.headers().map_err(|error| {
        vec![LineError {
            line: 1,
            message: csv_reason(&error),
        }]
    })?;
    let headers = headers.clone();
    check_csv_header(&headers)?;
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                errors.push(LineError {
                    line,
                    message: csv_reason(&error),
                });
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line() as usize);
        let row: CsvRow = match record.deserialize(Some(&headers)) {
            Ok(row) => row,
            Err(error) => {
                errors.push(LineError {
                    line,
                    message: csv_reason(&error),
                });
                continue;
            }
        };
        match csv_rule(row) {
            Ok((rule, priority)) => rules.push((rule, priority, line)),
            Err(message) => errors.push(LineError { line, message }),
        }
    }
    let (rules, lines) = ordered(rules)?;
    Ok((
        RulesFile {
            question: None,
            labels: None,
            rules,
        },
        lines,
        errors,
    ))
}

fn csv_reason(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "this line has {len} values where the first line names {expected_len} columns (a phrase with a comma must be in double quotes)"
        ),
        csv::ErrorKind::Utf8 { .. } => "this line is not readable text".into(),
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(field) => format!("column {}: {}", field + 1, err.kind()),
            None => err.to_string(),
        },
        _ => error.to_string(),
    }
}

fn csv_rule(row: CsvRow) -> Result<(Rule, Option<i64>), String> {
    let priority = match row.priority.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(number) => Some(
            number
                .parse::<i64>()
                .map_err(|_| format!("priority: {number:?} is not a whole number"))?,
        ),
    };
    let enabled = match row.enabled.as_deref().map(str::trim) {
        None | Some("") | Some("true" | "yes" | "1") => true,
        Some("false" | "no" | "0") => false,
        Some(other) => return Err(format!("enabled: {other:?} is not true or false")),
    };
    let negation = negation_of(
        row.negation.as_deref(),
        row.negated_label,
        row.uncertain_label,
    )
    .map_err(|error| error.to_string())?;
    let sections = row
        .sections
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let rule = Rule {
        phrase: row.phrase,
        label: row.label,
        negation,
        sections,
        enabled,
    };
    Ok((rule, priority))
}

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

fn read_yaml(text: &str) -> Result<Read, Vec<LineError>> {
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
        match negation_of(item.negation.as_deref(), item.negated, item.uncertain) {
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

/// Writes a question's rules as a file of `format`.
pub fn write(format: Format, question: &RuleBook) -> String {
    match format {
        Format::Csv => write_csv(question),
        Format::Yaml => write_yaml(question),
    }
}

fn route_labels(negation: &Negation) -> (Option<String>, Option<String>) {
    match negation {
        Negation::Route { negated, uncertain } => (negated.clone(), uncertain.clone()),
        _ => (None, None),
    }
}

fn write_csv(question: &RuleBook) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = [
        "priority",
        "phrase",
        "label",
        "negation",
        "negated_label",
        "uncertain_label",
        "sections",
        "enabled",
    ];
    writer.write_record(header).expect("writing to memory");
    for (rank, rule) in question.rules.iter().enumerate() {
        let (negated, uncertain) = route_labels(&rule.negation);
        let record = [
            (rank + 1).to_string(),
            rule.phrase.clone(),
            rule.label.clone(),
            rule.negation.name().to_string(),
            negated.unwrap_or_default(),
            uncertain.unwrap_or_default(),
            rule.sections.join(";"),
            rule.enabled.to_string(),
        ];
        writer.write_record(record).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8")
}

fn write_yaml(question: &RuleBook) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RuleBook {
        RuleBook {
            name: "Pneumothorax".into(),
            labels: vec!["present".into(), "absent".into(), "uncertain".into()],
            rules: vec![
                Rule {
                    phrase: "no pneumothorax".into(),
                    label: "absent".into(),
                    negation: Negation::Any,
                    sections: vec![],
                    enabled: true,
                },
                Rule {
                    phrase: "left, \"tension\" pneumo*".into(),
                    label: "present".into(),
                    negation: Negation::Route {
                        negated: Some("absent".into()),
                        uncertain: None,
                    },
                    sections: vec!["FINDINGS".into(), "IMPRESSION".into()],
                    enabled: false,
                },
                Rule {
                    phrase: "pneumothorax".into(),
                    label: "present".into(),
                    negation: Negation::AffirmedOnly,
                    sections: vec![],
                    enabled: true,
                },
            ],
        }
    }

    #[test]
    fn both_formats_round_trip() {
        let question = sample();
        for format in [Format::Csv, Format::Yaml] {
            let text = write(format, &question);
            let file = read(format, &text, Some(&question.labels)).unwrap();
            assert_eq!(file.rules, question.rules, "{format:?}:\n{text}");
        }
        let yaml = read(Format::Yaml, &write(Format::Yaml, &question), None).unwrap();
        assert_eq!(yaml.into_question("ignored"), question);
    }

    #[test]
    fn priorities_order_the_rules_and_ties_are_refused() {
        let text = "priority,phrase,label\n2,pneumothorax,present\n1,no pneumothorax,absent\n";
        let file = read(Format::Csv, text, None).unwrap();
        assert_eq!(file.rules[0].phrase, "no pneumothorax");
        let tie = "priority,phrase,label\n1,a,present\n1,b,absent\n";
        let errors = read(Format::Csv, tie, None).unwrap_err();
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].message.contains("ties"), "{}", errors[0]);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let labels = vec!["present".to_string(), "absent".to_string()];
        let text = "phrase,label,negation\npneumothorax,present,\neff*usion,present,\nedema,maybe,\nlung,present,sometimes\n";
        let errors = read(Format::Csv, text, Some(&labels)).unwrap_err();
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("line 3: phrase:"), "{lines:?}");
        assert!(
            lines[1].starts_with("line 4: label: unknown label \"maybe\""),
            "{lines:?}"
        );
        assert!(lines[2].starts_with("line 5: negation:"), "{lines:?}");
    }

    #[test]
    fn yaml_errors_carry_lines() {
        let text = "question: P\nlabels: [present]\nrules:\n  - phrase: a\n    label: present\n  - phrase: b\n    label: absent\n";
        let errors = read(Format::Yaml, text, None).unwrap_err();
        assert_eq!(errors[0].line, 6);
        let text = "question: P\nrules:\n  - phrase: a\n    lable: present\n";
        let errors = read(Format::Yaml, text, None).unwrap_err();
        assert_eq!(errors[0].line, 4, "{}", errors[0]);
    }

    #[test]
    fn a_file_without_rules_is_refused() {
        for (format, text) in [
            (Format::Csv, ""),
            (Format::Csv, "  \n"),
            (Format::Csv, "phrase,label\n"),
            (Format::Yaml, "rules: []\n"),
        ] {
            let errors = read(format, text, None).unwrap_err();
            assert_eq!(errors.len(), 1, "{text:?}");
            assert!(errors[0].message.contains("no rules"), "{}", errors[0]);
        }
    }

    #[test]
    fn unknown_or_missing_columns_are_refused_on_the_first_line() {
        let errors = read(Format::Csv, "phrase,lable\npneumothorax,present\n", None).unwrap_err();
        assert_eq!(errors[0].line, 1);
        assert!(
            errors[0].message.contains("“lable” is not one of them"),
            "{}",
            errors[0]
        );
        let garbage = "hello world\nthis is not a rules file\n";
        let errors = read(Format::Csv, garbage, None).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("“hello world”"), "{}", errors[0]);
    }

    #[test]
    fn a_yaml_file_that_is_not_a_rules_file_is_named_so() {
        let errors = read(Format::Yaml, "just some words\n", None).unwrap_err();
        assert!(
            errors[0].message.contains("not a rules file"),
            "{}",
            errors[0]
        );
        assert!(!errors[0].message.contains("struct"), "{}", errors[0]);
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let text = "\u{feff}phrase,label\r\npneumothorax,present\r\n";
        assert_eq!(read(Format::Csv, text, None).unwrap().rules.len(), 1);
    }

    #[test]
    fn a_csv_file_infers_its_labels() {
        let text = "phrase,label\nno pneumothorax,absent\npneumothorax,present\n";
        let question = read(Format::Csv, text, None)
            .unwrap()
            .into_question("Pneumothorax");
        assert_eq!(question.labels, ["absent", "present"]);
        assert_eq!(question.name, "Pneumothorax");
    }
}
