//! Rules files in CSV: the columns of [`super`]'s layout, read line by line and written back.

use serde::Deserialize;

use super::{ordered, route_labels, LineError, Read, RulesFile};
use crate::labeling::engine::{Negation, Rule, RuleBook};

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

pub(super) fn read(text: &str) -> Result<Read, Vec<LineError>> {
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
    let negation = Negation::from_mode(
        row.negation.as_deref().unwrap_or(""),
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

pub(super) fn write(question: &RuleBook) -> String {
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
