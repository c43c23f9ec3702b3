//! Reading a model's predictions in: JSON lines or CSV with a header, one study a line —
//! `accession` (or `study_id`, a label set's pseudonymous study id), `label` and/or `score`, and
//! `predicted_at` (optional: unix seconds, `YYYY-MM-DD` or RFC 3339). Idempotent per (model
//! version, study): a study predicted again takes the new output. All or nothing: a file with a bad
//! line writes nothing and every bad line is named (the first 20, and how many in all).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use super::Model;
use crate::audit::{self, Action, NewEvent};
use crate::pseudonym::Pseudonymizer;
use crate::{questions, Error, Result};

/// At most this many bad lines are named.
const NAMED_ERRORS: usize = 20;
/// Rows written by one statement.
const BATCH: usize = 5_000;

/// A file of predictions.
pub struct Input<'a> {
    /// The file's name, for messages.
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    /// Predictions in the file.
    pub predictions: u64,
    /// Studies the model had no prediction for before.
    pub new: u64,
    /// Studies whose earlier prediction was replaced (or repeated).
    pub replaced: u64,
}

/// One line as read, before its study is looked up.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    #[serde(default)]
    accession: Option<String>,
    #[serde(default)]
    study_id: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    score: Option<serde_json::Value>,
    #[serde(default)]
    predicted_at: Option<serde_json::Value>,
}

/// A checked line: the study's key and the output.
struct Output {
    line: u64,
    key: Key,
    label: Option<String>,
    score: Option<f64>,
    predicted_at: Option<i64>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Accession(String),
    StudyId(String),
}

impl Key {
    fn describe(&self) -> String {
        match self {
            Key::Accession(a) => format!("accession {a}"),
            Key::StudyId(s) => format!("study_id {s}"),
        }
    }
}

/// Reads `input` into the model's predictions. Errors: `Rejected` naming each bad line (nothing is
/// written), `Invalid` for a file that is empty or has no usable header.
pub async fn import(
    pool: &SqlitePool,
    pseudonymizer: &Pseudonymizer,
    model: &Model,
    input: Input<'_>,
    actor: &str,
) -> Result<Imported> {
    let question = questions::get(pool, model.project_id, model.question_id).await?;
    let text = std::str::from_utf8(input.bytes).map_err(|error| {
        Error::Invalid(format!(
            "{}: the file is not UTF-8 text (at byte {}); save it as UTF-8 CSV or JSON lines",
            input.file_name,
            error.valid_up_to()
        ))
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let lines = match text.trim_start().starts_with('{') {
        true => json_lines(text),
        false => csv_lines(text)?,
    };
    let mut errors = Errors::default();
    let mut outputs = Vec::with_capacity(lines.len());
    for (line, read) in lines {
        match read.and_then(|read| check(read, &question.labels, model)) {
            Ok((key, label, score, predicted_at)) => outputs.push(Output {
                line,
                key,
                label,
                score,
                predicted_at,
            }),
            Err(message) => errors.push(line, message),
        }
    }
    if outputs.is_empty() && errors.total() == 0 {
        return Err(Error::Invalid(format!(
            "{}: the file holds no predictions (one line a study: accession, label or score)",
            input.file_name
        )));
    }
    let ids = study_ids(pool, pseudonymizer, model.project_id, &outputs).await?;
    let mut seen: HashMap<i64, u64> = HashMap::with_capacity(outputs.len());
    let mut rows = Vec::with_capacity(outputs.len());
    for output in &outputs {
        let Some(&report_id) = ids.get(&output.key) else {
            errors.push(
                output.line,
                format!("{} is not a study of this project", output.key.describe()),
            );
            continue;
        };
        if let Some(first) = seen.insert(report_id, output.line) {
            errors.push(
                output.line,
                format!(
                    "{} was already predicted on line {first}: give each study once",
                    output.key.describe()
                ),
            );
            continue;
        }
        rows.push((report_id, &output.label, output.score, output.predicted_at));
    }
    if errors.total() > 0 {
        let total = errors.total();
        return Err(Error::Rejected {
            file: input.file_name.to_string(),
            errors: errors.named(),
            total,
        });
    }
    let _one_at_a_time = IMPORTING.lock().await;
    let mut transaction = pool.begin().await?;
    let before = sqlx::query_scalar!(
        "SELECT COUNT(*) FROM predictions WHERE model_id = ?",
        model.id
    )
    .fetch_one(&mut *transaction)
    .await?;
    for batch in rows.chunks(BATCH) {
        let json = serde_json::to_string(batch).expect("predictions serialise");
        sqlx::query!(
            "INSERT INTO predictions (model_id, report_id, label, score, predicted_at)
             SELECT ?1, t.value ->> 0, t.value ->> 1, t.value ->> 2, t.value ->> 3 FROM json_each(?2) AS t WHERE 1
             ON CONFLICT (model_id, report_id) DO UPDATE SET label = excluded.label, score = excluded.score,
                 predicted_at = excluded.predicted_at",
            model.id,
            json
        )
        .execute(&mut *transaction)
        .await?;
    }
    let after = sqlx::query_scalar!(
        "SELECT COUNT(*) FROM predictions WHERE model_id = ?",
        model.id
    )
    .fetch_one(&mut *transaction)
    .await?;
    sqlx::query!(
        "UPDATE models SET revision = revision + 1 WHERE id = ?",
        model.id
    )
    .execute(&mut *transaction)
    .await?;
    let imported = Imported {
        predictions: rows.len() as u64,
        new: (after - before) as u64,
        replaced: rows.len() as u64 - (after - before) as u64,
    };
    let event = NewEvent {
        actor: Some(actor),
        project_id: Some(model.project_id),
        object: Some(format!("model:{} {}", model.name, model.version)),
        detail: Some(format!(
            "{}: {} predictions ({} new, {} replaced)",
            input.file_name, imported.predictions, imported.new, imported.replaced
        )),
    };
    audit::record(&mut *transaction, Action::PredictionsImported, event).await?;
    transaction.commit().await?;
    Ok(imported)
}

/// The bad lines found, named in the order of the file whichever check found them.
#[derive(Default)]
struct Errors {
    found: Vec<(u64, String)>,
}

impl Errors {
    fn push(&mut self, line: u64, message: String) {
        self.found.push((line, message));
    }

    fn total(&self) -> u64 {
        self.found.len() as u64
    }

    /// The first [`NAMED_ERRORS`] by line.
    fn named(mut self) -> Vec<String> {
        self.found.sort_by_key(|(line, _)| *line);
        self.found
            .into_iter()
            .take(NAMED_ERRORS)
            .map(|(line, message)| format!("line {line}: {message}"))
            .collect()
    }
}

/// One import at a time: two uploads of one file (a double click) would otherwise wait on each
/// other's transaction in SQLite and one fail.
static IMPORTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

type Read = std::result::Result<Line, String>;

fn json_lines(text: &str) -> Vec<(u64, Read)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(at, line)| {
            let read = serde_json::from_str::<Line>(line).map_err(|error| {
                format!("not a prediction ({error}); a line is {{\"accession\": …, \"label\": … or \"score\": …}}")
            });
            (at as u64 + 1, read)
        })
        .collect()
}

const COLUMNS: [&str; 5] = ["accession", "study_id", "label", "score", "predicted_at"];

fn csv_lines(text: &str) -> Result<Vec<(u64, Read)>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        _ => {
            return Err(Error::Invalid(
                "line 1: the file is empty; its first line names the columns (accession, label or score, predicted_at)"
                    .into(),
            ))
        }
    };
    let mut columns = Vec::new();
    for name in header.iter() {
        let name = name.trim().to_lowercase();
        if !COLUMNS.contains(&name.as_str()) {
            return Err(Error::Invalid(format!(
                "line 1: the column “{name}” is not one Sieve reads ({}): rename or remove it",
                COLUMNS.join(", ")
            )));
        }
        columns.push(name);
    }
    if !columns.iter().any(|c| c == "accession" || c == "study_id") {
        return Err(Error::Invalid(
            "line 1: the file has no column accession (or study_id): each line names its study"
                .into(),
        ));
    }
    if !columns.iter().any(|c| c == "label" || c == "score") {
        return Err(Error::Invalid(
            "line 1: the file has no column label or score: each line gives the model's output"
                .into(),
        ));
    }
    // Line numbers as an editor shows them, counted from the bytes (CR LF and quoted line breaks).
    let bytes = text.as_bytes();
    let (mut counted_to, mut line) = (0usize, 1u64);
    let mut lines = Vec::new();
    for record in records {
        let (position, read) = match record {
            Ok(record) => {
                let mut read = Line::default();
                for (name, value) in columns.iter().zip(record.iter()) {
                    let value = value.trim();
                    if value.is_empty() {
                        continue;
                    }
                    let text = Some(value.to_string());
                    match name.as_str() {
                        "accession" => read.accession = text,
                        "study_id" => read.study_id = text,
                        "label" => read.label = text,
                        "score" => read.score = Some(serde_json::Value::String(value.into())),
                        _ => read.predicted_at = Some(serde_json::Value::String(value.into())),
                    }
                }
                let blank = record.iter().all(|v| v.trim().is_empty());
                (
                    record.position().map(|p| p.byte()),
                    (!blank).then_some(Ok(read)),
                )
            }
            Err(error) => (
                error.position().map(|p| p.byte()),
                Some(Err(format!("cannot be read as CSV ({error})"))),
            ),
        };
        // The reader's start may be in the CR LF that ends the record before, or before blank
        // lines: the record's first character is the first after it that is not a line break.
        let mut at = (position.unwrap_or(0) as usize).max(counted_to);
        while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        line += bytes[counted_to..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted_to = at;
        if let Some(read) = read {
            lines.push((line, read));
        }
    }
    Ok(lines)
}

type Checked = (Key, Option<String>, Option<f64>, Option<i64>);

fn check(line: Line, labels: &[String], model: &Model) -> std::result::Result<Checked, String> {
    let key = match (line.accession, line.study_id) {
        (Some(a), _) if !a.trim().is_empty() => Key::Accession(a.trim().to_string()),
        (_, Some(s)) if !s.trim().is_empty() => Key::StudyId(s.trim().to_string()),
        _ => return Err("no accession: each line names its study".into()),
    };
    let label = match line
        .label
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
    {
        Some(label) => match labels
            .iter()
            .find(|known| known.eq_ignore_ascii_case(&label))
        {
            Some(known) => Some(known.clone()),
            None => {
                return Err(format!(
                    "label “{label}” is not one of the question's labels ({})",
                    labels.join(", ")
                ))
            }
        },
        None => None,
    };
    let score = match line.score {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => Some(
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite())
                .ok_or_else(|| format!("score “{s}” is not a number"))?,
        ),
        Some(other) => return Err(format!("score {other} is not a number")),
    };
    match model.threshold {
        Some(threshold) if score.is_none() => {
            return Err(format!(
                "no score: this model's output is a score (positive from {threshold})"
            ))
        }
        None if label.is_none() => {
            return Err(format!(
                "no label: this model's output is a label ({})",
                labels.join(", ")
            ))
        }
        _ => {}
    }
    let predicted_at = match line.predicted_at {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => Some(
            n.as_i64()
                .ok_or_else(|| format!("predicted_at {n} is not a time"))?,
        ),
        Some(serde_json::Value::String(s)) => Some(time_of(s.trim()).ok_or_else(|| {
            format!("predicted_at “{s}” is not a time (YYYY-MM-DD, RFC 3339 or unix seconds)")
        })?),
        Some(other) => return Err(format!("predicted_at {other} is not a time")),
    };
    Ok((key, label, score, predicted_at))
}

/// Unix seconds of `YYYY-MM-DD`, RFC 3339 or a number of seconds.
fn time_of(text: &str) -> Option<i64> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(seconds);
    }
    if let Ok(at) =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
    {
        return Some(at.unix_timestamp());
    }
    (text.len() == 10)
        .then(|| super::day_number(text))
        .flatten()
        .map(|day| i64::from(day) * 86_400)
}

/// The report id of every key the file names (absent: not a study of the project).
async fn study_ids(
    pool: &SqlitePool,
    pseudonymizer: &Pseudonymizer,
    project_id: i64,
    outputs: &[Output],
) -> Result<HashMap<Key, i64>> {
    let by_study_id = outputs.iter().any(|o| matches!(o.key, Key::StudyId(_)));
    let reports = sqlx::query!(
        r#"SELECT id AS "id!", accession FROM reports WHERE project_id = ?"#,
        project_id
    )
    .fetch_all(pool)
    .await?;
    let project_key = match by_study_id {
        true => Some(pseudonymizer.of_project(pool, project_id).await?),
        false => None,
    };
    let mut ids = HashMap::with_capacity(reports.len() * (1 + usize::from(by_study_id)));
    for report in reports {
        if let Some(key) = &project_key {
            let study = crate::label_sets::study_pseudonym(key, &report.accession);
            ids.insert(Key::StudyId(study), report.id);
        }
        ids.insert(Key::Accession(report.accession), report.id);
    }
    Ok(ids)
}
