//! JSON lines: one report object a line, with the fields of `NewReport` (unknown fields are errors).

use std::io::BufRead;

use super::{Parsed, RecordError};
use crate::reports::NewReport;

/// Reads reports from JSON lines; blank lines are skipped.
pub fn records(reader: impl BufRead) -> impl Iterator<Item = std::io::Result<Parsed>> {
    reader.lines().enumerate().filter_map(|(index, line)| {
        let line = match line {
            Ok(line) => line,
            Err(error) => return Some(Err(error)),
        };
        if line.trim().is_empty() {
            return None;
        }
        let result = serde_json::from_str::<NewReport>(&line).map_err(|error| describe(&error));
        Some(Ok(Parsed {
            line: index as u64 + 1,
            result,
            raw: line,
        }))
    })
}

/// Turns serde's message into `field: reason`, without its position (the line is reported apart).
fn describe(error: &serde_json::Error) -> RecordError {
    let message = error.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return RecordError::MissingField(field.to_string());
    }
    if let Some(field) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        return RecordError::UnknownField(field.to_string());
    }
    RecordError::NotAReport(message)
}
