//! CSV with a header row. Columns are matched to report fields by name (the defaults are the field
//! names themselves); a mapping renames the hospital's columns, e.g. `report_text=REPORT_BODY`.

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::sync::{Arc, Mutex};

use super::{Parsed, RecordError, FIELDS, REQUIRED_FIELDS};
use crate::reports::NewReport;
use crate::{Error, Result};

/// Which column holds which field, from the header and the mapping (field → column name).
struct Columns {
    index_of: HashMap<&'static str, usize>,
}

impl Columns {
    fn from_header(
        header: &csv::StringRecord,
        mapping: &HashMap<String, String>,
    ) -> Result<Columns> {
        let column_to_field: HashMap<String, &'static str> = FIELDS
            .iter()
            .map(|field| {
                (
                    mapping
                        .get(*field)
                        .cloned()
                        .unwrap_or_else(|| field.to_string())
                        .to_lowercase(),
                    *field,
                )
            })
            .collect();
        let mut index_of = HashMap::new();
        for (index, name) in header.iter().enumerate() {
            let name = name.trim().trim_start_matches('\u{feff}');
            let field = column_to_field.get(&name.to_lowercase()).ok_or_else(|| {
                Error::Invalid(format!(
                    "line 1: the column “{name}” is not one Sieve reads (its columns: {}): rename or remove it",
                    FIELDS.join(", ")
                ))
            })?;
            index_of.insert(*field, index);
        }
        let missing: Vec<_> = REQUIRED_FIELDS
            .iter()
            .filter(|field| !index_of.contains_key(*field))
            .collect();
        if !missing.is_empty() {
            let missing: Vec<&str> = missing.into_iter().copied().collect();
            return Err(Error::Invalid(format!(
                "line 1: the file has no column {}: every report needs one (rename the column that holds it)",
                missing.join(", no column ")
            )));
        }
        Ok(Columns { index_of })
    }

    fn get(&self, record: &csv::StringRecord, field: &str) -> String {
        self.index_of
            .get(field)
            .and_then(|index| record.get(*index))
            .unwrap_or_default()
            .to_string()
    }

    fn report(&self, record: &csv::StringRecord) -> NewReport {
        let image_uri = self.get(record, "image_uri");
        NewReport {
            accession: self.get(record, "accession"),
            patient_id: self.get(record, "patient_id"),
            study_date: self.get(record, "study_date"),
            exam_code: self.get(record, "exam_code"),
            modality: self.get(record, "modality"),
            body_part: self.get(record, "body_part"),
            report_text: self.get(record, "report_text"),
            image_uri: Some(image_uri).filter(|uri| !uri.trim().is_empty()),
        }
    }
}

/// Why a row could not be read, in words for the person who exported the file.
fn unreadable(error: &csv::Error) -> RecordError {
    match error.kind() {
        csv::ErrorKind::Utf8 { err, .. } => RecordError::NotUtf8 {
            field: err.field() as u64 + 1,
        },
        csv::ErrorKind::Io(error) => RecordError::Cut(error.to_string()),
        _ => RecordError::NotCsv,
    }
}

/// Reads reports from CSV. A header that names an unknown column, or lacks a required one, fails
/// the whole file (at line 1).
pub fn records(
    reader: impl Read,
    mapping: &HashMap<String, String>,
) -> Result<impl Iterator<Item = std::io::Result<Parsed>>> {
    let lines = Arc::new(Mutex::new(Lines::default()));
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(LineCounter {
            inner: reader,
            lines: lines.clone(),
            offset: 0,
        });
    let header = csv
        .headers()
        .map_err(|error| Error::Invalid(format!("line 1: {}", unreadable(&error))))?
        .clone();
    let columns = Columns::from_header(&header, mapping)?;
    let width = header.len();
    let line_of = move |position: Option<&csv::Position>| {
        position.map_or(0, |position| {
            lines
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .line_at(position.byte())
        })
    };
    Ok(csv.into_records().map(move |record| {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = line_of(error.position());
                return Ok(Parsed {
                    line,
                    result: Err(unreadable(&error)),
                    raw: String::new(),
                });
            }
        };
        let line = line_of(record.position());
        let raw = record.iter().collect::<Vec<_>>().join(",");
        let result = match record.len() == width {
            true => Ok(columns.report(&record)),
            false => Err(RecordError::Columns {
                found: record.len(),
                header: width,
            }),
        };
        Ok(Parsed { line, result, raw })
    }))
}

/// The line breaks of the text the CSV reader has read so far, to tell the line a record starts on
/// as a text editor or a spreadsheet numbers it. (The csv crate's own count is one short after a
/// line that ends in CR LF, as Excel and Python write them.)
#[derive(Default)]
struct Lines {
    /// Byte offsets of the CRs and LFs read ahead of the records reached so far (`true`: an LF).
    ahead: VecDeque<(u64, bool)>,
    /// Line feeds before those.
    passed: u64,
}

impl Lines {
    /// The line (from 1) of the record the reader says starts at byte `start`: the record's first
    /// character is the first after `start` that is not a line break (the reader's start may be in
    /// the CR LF that ends the record before, or before blank lines).
    fn line_at(&mut self, start: u64) -> u64 {
        let mut first = start;
        while let Some(&(at, line_feed)) = self.ahead.front().filter(|(at, _)| *at <= first) {
            self.ahead.pop_front();
            self.passed += u64::from(line_feed);
            if at == first {
                first += 1;
            }
        }
        self.passed + 1
    }
}

/// Passes the text on to the CSV reader, noting where its line feeds are.
struct LineCounter<R> {
    inner: R,
    lines: Arc<Mutex<Lines>>,
    offset: u64,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        let mut lines = self
            .lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let offset = self.offset;
        lines.ahead.extend(
            buffer[..read]
                .iter()
                .enumerate()
                .filter(|(_, byte)| matches!(byte, b'\n' | b'\r'))
                .map(|(at, byte)| (offset + at as u64, *byte == b'\n')),
        );
        self.offset += read as u64;
        Ok(read)
    }
}
