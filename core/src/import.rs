//! Importing a hospital's export of reports: CSV, JSON lines or HL7 v2 ORU^R01, optionally gzipped.
//!
//! An import streams the file once, storing records in one transaction as they are read, so memory
//! stays flat whatever the file's size. By default a file with any invalid record is rejected whole,
//! with every error listed as FILE:LINE: field: reason, and nothing is written (storing stops at the
//! first invalid record, the rest of the file is only read for its errors, and the transaction is
//! rolled back); with `skip_invalid` the valid records are stored and the invalid ones are written
//! beside the input. Storing is idempotent on (project, accession). In CSV and JSON lines, an accession on two
//! records of one file is an error on the later one, naming the line of the first (which is the one
//! kept with `skip_invalid`): such a file holds one record per study.

pub mod csv;
mod error;
pub mod hl7;
pub mod jsonl;

pub use error::RecordError;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::SqlitePool;

use crate::audit::{self, Action, NewEvent};
use crate::pseudonym::Pseudonymizer;
use crate::reports::{Counts, NewReport, Writer};
use crate::search::Indexes;
use crate::{Error, Result};

/// The fields of a report, as CSV columns and JSON keys name them by default.
pub const FIELDS: [&str; 8] = [
    "accession",
    "patient_id",
    "study_date",
    "exam_code",
    "modality",
    "body_part",
    "report_text",
    "image_uri",
];
/// The fields a report cannot do without.
pub const REQUIRED_FIELDS: [&str; 4] = ["accession", "patient_id", "study_date", "report_text"];
/// How many errors a rejection lists before it only counts.
pub const MAX_LISTED_ERRORS: usize = 100;
/// Reports stored per batch.
const BATCH: usize = 2_000;

/// One record read from a file: where it starts, the report or why it is not one, and its text.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub line: u64,
    pub result: std::result::Result<NewReport, RecordError>,
    pub raw: String,
}

/// The formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
    Hl7,
}

impl Format {
    /// Tells the format from a file name (`.csv`, `.jsonl`/`.ndjson`/`.json`, `.hl7`, each optionally `.gz`).
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let extension = name.rsplit('.').next()?;
        extension.parse().ok()
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(text: &str) -> Result<Format> {
        match text.to_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "jsonl" | "ndjson" | "json" => Ok(Format::JsonLines),
            "hl7" => Ok(Format::Hl7),
            other => Err(Error::Invalid(format!(
                "unknown format {other:?}: use csv, jsonl or hl7"
            ))),
        }
    }
}

/// How to read a file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The format, when the file name does not tell it.
    pub format: Option<Format>,
    /// Store the valid records and set the invalid ones aside, instead of rejecting the file.
    pub skip_invalid: bool,
    /// CSV columns by field, where the hospital's names differ (field → column).
    pub mapping: HashMap<String, String>,
    /// The character set of a CSV or JSON lines file without a byte-order mark (see
    /// [`encoding`]); `None`: UTF-8, and bytes that are not UTF-8 are an error naming the field.
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

/// Reads the name of a character set as `--encoding` takes it (the WHATWG labels: `windows-1252`,
/// `latin1`, `iso-8859-15`, `utf-16le`, `shift_jis` …), or says which names it takes.
pub fn encoding(label: &str) -> Result<&'static encoding_rs::Encoding> {
    encoding_rs::Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
        Error::Invalid(format!(
            "encoding: {label:?} is not a character set Sieve knows; use a name such as \
             utf-8, windows-1252, iso-8859-1, iso-8859-15, utf-16le or utf-16be"
        ))
    })
}

/// How far an import has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Records stored so far.
    pub rows: u64,
    /// Bytes of the file read so far, and in all (compressed bytes for a gzipped file).
    pub bytes_read: u64,
    pub bytes_total: u64,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub counts: Counts,
    /// Invalid records set aside (with `skip_invalid`), and where.
    pub rejected: u64,
    pub rejected_file: Option<PathBuf>,
    /// Reports indexed while they were stored; `None` when they were not (a catch-up indexes them).
    pub indexed: Option<u64>,
}

/// Where an import stores its reports.
#[derive(Clone, Copy)]
pub struct Destination<'a> {
    pub pool: &'a SqlitePool,
    pub project_id: i64,
    /// The install's search indexes, to index the reports while they are stored (`None`: a later
    /// catch-up indexes them, as it does when the index is busy with other reports).
    pub indexes: Option<&'a Indexes>,
}

/// Imports one file into a project. `progress` is called after each stored batch.
pub async fn import_file(
    destination: Destination<'_>,
    path: &Path,
    pseudonymizer: &Pseudonymizer,
    options: &Options,
    actor: Option<&str>,
    progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Outcome> {
    let format = options.format.or_else(|| Format::from_path(path)).ok_or_else(|| {
        Error::Invalid(format!("{}: cannot tell the format: name it .csv, .jsonl or .hl7 (or .gz), or give the format", path.display()))
    })?;
    let Destination {
        pool, project_id, ..
    } = destination;
    if std::fs::metadata(path).is_ok_and(|metadata| metadata.len() == 0) {
        return Err(Error::Invalid(format!(
            "{}: the file is empty",
            path.display()
        )));
    }
    let outcome = store(destination, path, format, pseudonymizer, options, progress).await?;
    let detail = format!(
        "{}: {} new, {} updated, {} unchanged, {} set aside",
        path.file_name()
            .map(|name| name.to_string_lossy())
            .unwrap_or_default(),
        outcome.counts.new,
        outcome.counts.updated,
        outcome.counts.unchanged,
        outcome.rejected
    );
    let event = NewEvent {
        actor,
        project_id: Some(project_id),
        object: None,
        detail: Some(detail),
    };
    audit::record(pool, Action::ReportsImported, event).await?;
    Ok(outcome)
}

fn internal(error: tokio::task::JoinError) -> Error {
    Error::Internal(format!("import task failed: {error}"))
}

/// The invalid records of a file as it is read: listed (up to [`MAX_LISTED_ERRORS`]) and counted,
/// and with `skip_invalid` written beside the input (`FILE.rejected.txt`: line, reason, record).
struct Checker {
    shown: String,
    skip_invalid: bool,
    errors: Vec<String>,
    /// Records read, valid or not.
    records: u64,
    rejected: u64,
    rejected_out: Option<(PathBuf, std::io::BufWriter<std::fs::File>)>,
}

impl Checker {
    fn new(path: &Path, options: &Options) -> Checker {
        Checker {
            shown: path.display().to_string(),
            skip_invalid: options.skip_invalid,
            errors: Vec::new(),
            records: 0,
            rejected: 0,
            rejected_out: None,
        }
    }

    /// The report of a record, or `None` when it is invalid (which is noted).
    fn check(&mut self, parsed: Parsed) -> Result<Option<NewReport>> {
        self.records += 1;
        let reason = match parsed.result.and_then(|report| Ok(report.normalized()?)) {
            Ok(report) => return Ok(Some(report)),
            Err(reason) => reason,
        };
        self.rejected += 1;
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors
                .push(format!("{}:{}: {reason}", self.shown, parsed.line));
        }
        if self.skip_invalid {
            if self.rejected_out.is_none() {
                let target = PathBuf::from(format!("{}.rejected.txt", self.shown));
                let file = std::fs::File::create(&target)?;
                self.rejected_out = Some((target, std::io::BufWriter::new(file)));
            }
            if let Some((_, out)) = self.rejected_out.as_mut() {
                writeln!(
                    out,
                    "{}\t{reason}\t{}",
                    parsed.line,
                    parsed.raw.replace(['\n', '\r'], " ")
                )?;
            }
        }
        Ok(None)
    }

    /// Whether the file is rejected whole.
    fn rejects(&self) -> bool {
        self.rejected > 0 && !self.skip_invalid
    }

    /// The rejection, or how many records were set aside and where.
    fn finish(self) -> Result<(u64, Option<PathBuf>)> {
        if self.records == 0 {
            return Err(Error::Invalid(format!(
                "{}: the file holds no reports (a CSV file needs a row under its header for each report)",
                self.shown
            )));
        }
        if self.rejects() {
            return Err(Error::Rejected {
                file: self.shown,
                errors: self.errors,
                total: self.rejected,
            });
        }
        let rejected_file = match self.rejected_out {
            Some((target, mut out)) => {
                out.flush()?;
                Some(target)
            }
            None => None,
        };
        Ok((self.rejected, rejected_file))
    }
}

/// Streams the valid records into the database in one transaction.
async fn store(
    destination: Destination<'_>,
    path: &Path,
    format: Format,
    pseudonymizer: &Pseudonymizer,
    options: &Options,
    progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<Outcome> {
    let bytes_total = std::fs::metadata(path)?.len();
    let bytes_read = Arc::new(AtomicU64::new(0));
    let (sender, mut batches) = tokio::sync::mpsc::channel::<Vec<NewReport>>(4);
    let reader = {
        let (path, options, bytes_read) = (path.to_path_buf(), options.clone(), bytes_read.clone());
        tokio::task::spawn_blocking(move || -> Result<Checker> {
            let mut checker = Checker::new(&path, &options);
            let mut batch = Vec::with_capacity(BATCH);
            for parsed in records(&path, format, &options, Some(bytes_read))? {
                let parsed = parsed.map_err(|error| {
                    Error::Invalid(format!("{}: cannot read: {error}", path.display()))
                })?;
                // Once the file is rejected, the rest is only read for its errors.
                if let Some(report) = checker.check(parsed)?.filter(|_| !checker.rejects()) {
                    batch.push(report);
                }
                if batch.len() == BATCH && sender.blocking_send(std::mem::take(&mut batch)).is_err()
                {
                    return Ok(checker);
                }
            }
            if !batch.is_empty() && !checker.rejects() {
                let _ = sender.blocking_send(batch);
            }
            Ok(checker)
        })
    };
    let Destination {
        pool,
        project_id,
        indexes,
    } = destination;
    let mut alongside = match indexes {
        Some(indexes) => Some(indexes.alongside(pool, project_id).await?),
        None => None,
    };
    let stored = async {
        let mut writer = Writer::begin(pool, project_id, pseudonymizer.clone()).await?;
        if let Some(held) = alongside.take() {
            match held.follows(writer.revision()) {
                true => alongside = Some(held),
                false => held.abort().await,
            }
        }
        while let Some(batch) = batches.recv().await {
            let written = writer.write(&batch).await?;
            if let Some(alongside) = alongside.as_mut() {
                alongside.add(as_written(batch, written)).await?;
            }
            progress(Progress {
                rows: writer.counts.total(),
                bytes_read: bytes_read.load(Ordering::Relaxed),
                bytes_total,
            });
        }
        // A reading failure or a rejection part way must not commit a partial file: the
        // writer's transaction rolls back when it is dropped.
        let checked = reader.await.map_err(internal)??.finish()?;
        let revision = writer.revision();
        Ok::<_, Error>((writer.commit().await?, revision, checked))
    }
    .await;
    let (counts, revision, (rejected, rejected_file)) = match stored {
        Ok(stored) => stored,
        Err(error) => {
            if let Some(alongside) = alongside {
                alongside.abort().await;
            }
            return Err(error);
        }
    };
    let indexed = match alongside {
        // The reports are stored whatever happens to their indexing.
        Some(alongside) => alongside
            .commit(revision)
            .await
            .inspect_err(|error| tracing::warn!(%error, "indexing an import: a catch-up does it"))
            .ok(),
        None => None,
    };
    Ok(Outcome {
        counts,
        rejected,
        rejected_file,
        indexed,
    })
}

/// The reports of a batch that were written, with their ids.
fn as_written(batch: Vec<NewReport>, written: Vec<(i64, usize)>) -> Vec<(i64, NewReport)> {
    let mut batch: Vec<Option<NewReport>> = batch.into_iter().map(Some).collect();
    written
        .into_iter()
        .filter_map(|(id, at)| Some((id, batch.get_mut(at)?.take()?)))
        .collect()
}

/// Opens a file (gunzipping it when it starts with the gzip magic) and reads its records.
fn records(
    path: &Path,
    format: Format,
    options: &Options,
    bytes_read: Option<Arc<AtomicU64>>,
) -> Result<Box<dyn Iterator<Item = std::io::Result<Parsed>>>> {
    let file = std::fs::File::open(path)
        .map_err(|error| Error::Invalid(format!("{}: cannot open: {error}", path.display())))?;
    let counted = CountingReader {
        inner: file,
        count: bytes_read.unwrap_or_default(),
    };
    let mut buffered = BufReader::with_capacity(1 << 20, counted);
    let gzipped = buffered.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let decoded: Box<dyn Read> = match gzipped {
        true => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        false => Box::new(buffered),
    };
    // Text files are read as UTF-8: a byte-order mark (UTF-8, UTF-16LE, UTF-16BE) says what they
    // are in, and otherwise the encoding asked for; without either, bytes pass as they are, so that
    // ones that are not UTF-8 are an error naming their field, never replaced silently. (HL7 names
    // its own character set in MSH-18.)
    let decoded: Box<dyn Read> = match format {
        Format::Hl7 => decoded,
        Format::Csv | Format::JsonLines => {
            let mut peeked = BufReader::new(decoded);
            // encoding_rs_io 0.1 keeps an explicit encoding over a UTF-8 BOM when it passes
            // UTF-8 through, so a UTF-8 BOM is looked for here.
            let utf8_bom = peeked.fill_buf()?.starts_with(&[0xEF, 0xBB, 0xBF]);
            Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(options.encoding.filter(|_| !utf8_bom))
                    .bom_override(true)
                    .strip_bom(true)
                    .utf8_passthru(true)
                    .build(peeked),
            )
        }
    };
    let since_record = Arc::new(AtomicU64::new(0));
    let reader = BufReader::with_capacity(
        1 << 20,
        RecordBudget {
            inner: decoded,
            since_record: since_record.clone(),
        },
    );
    let shown = path.display();
    let parsed: Box<dyn Iterator<Item = std::io::Result<Parsed>>> = match format {
        Format::JsonLines => Box::new(jsonl::records(reader)),
        Format::Hl7 => Box::new(hl7::records(reader)),
        Format::Csv => Box::new(
            csv::records(reader, &options.mapping)
                .map_err(|error| Error::Invalid(format!("{shown}:{error}")))?,
        ),
    };
    // HL7 feeds send a report again as it is amended (preliminary, final, corrections): not a
    // duplicate.
    let mut first_lines = (format != Format::Hl7).then(FirstLines::default);
    Ok(Box::new(parsed.map(move |parsed| {
        since_record.store(0, Ordering::Relaxed);
        parsed.map(|parsed| match first_lines.as_mut() {
            Some(first_lines) => first_lines.check(parsed),
            None => parsed,
        })
    })))
}

/// The line each accession of a file was first seen on.
#[derive(Default)]
struct FirstLines(HashMap<String, u64>);

impl FirstLines {
    /// Makes a record whose accession an earlier record of the file has an error naming both lines.
    fn check(&mut self, mut parsed: Parsed) -> Parsed {
        let Ok(report) = &parsed.result else {
            return parsed;
        };
        let accession = report.accession.trim();
        if accession.is_empty() {
            return parsed;
        }
        match self.0.get(accession) {
            Some(&first) => {
                parsed.result = Err(RecordError::Duplicate {
                    accession: accession.to_string(),
                    first,
                })
            }
            None => {
                self.0.insert(accession.to_string(), parsed.line);
            }
        }
        parsed
    }
}

/// The most bytes read (after decompression) for one record: a report's text is at most
/// `reports::MAX_REPORT_BYTES`, and with its other fields, its markup and the readers' read-ahead
/// a record stays well under this. A longer one (a file that is one endless field, or a small
/// gzip file that inflates to gigabytes) is refused before it fills the server's memory.
pub const MAX_RECORD_READ_BYTES: u64 = 8 << 20;

/// Refuses to read more than `MAX_RECORD_READ_BYTES` since the last record was parsed.
struct RecordBudget<R> {
    inner: R,
    since_record: Arc<AtomicU64>,
}

impl<R: Read> Read for RecordBudget<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        let since = self.since_record.fetch_add(read as u64, Ordering::Relaxed) + read as u64;
        if since > MAX_RECORD_READ_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "one record runs past {} MiB (a report's text may hold at most 1 MiB): is this a report export?",
                    MAX_RECORD_READ_BYTES >> 20
                ),
            ));
        }
        Ok(read)
    }
}

/// Counts the bytes read, for progress.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.count.fetch_add(read as u64, Ordering::Relaxed);
        Ok(read)
    }
}
