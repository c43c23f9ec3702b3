//! Why one record of an import file is not a report, in words for the person who exported the
//! file; the import names the file and line before it.

use super::hl7::Hl7Error;
use crate::reports::FieldError;

/// Why a record is not a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// A field is missing or wrong.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A JSON line lacks a field the report needs.
    #[error("{0}: missing")]
    MissingField(String),
    /// A JSON line has a field Sieve does not read.
    #[error("{0}: unknown field")]
    UnknownField(String),
    /// A JSON line is not a report object (the reader's words, without its position).
    #[error("not a report object: {0}")]
    NotAReport(String),
    /// `field`: the CSV field's number, from 1.
    #[error(
        "the text is not UTF-8 (field {field}): save the file as “CSV UTF-8” and import it again, or name the file's character set (a file saved by Excel on Windows is usually windows-1252)"
    )]
    NotUtf8 { field: u64 },
    /// The file ends or fails before the record does.
    #[error("the file could not be read to the end ({0})")]
    Cut(String),
    #[error("this row cannot be read as CSV (a quote may be left open)")]
    NotCsv,
    #[error("row has {found} columns, the header {header}")]
    Columns { found: usize, header: usize },
    /// An earlier record of the file, on line `first`, has the same accession.
    #[error("accession: {accession} is already on line {first}; a file holds one record per study (when invalid records are set aside, the one on line {first} is imported)")]
    Duplicate { accession: String, first: u64 },
    #[error(transparent)]
    Hl7(#[from] Hl7Error),
}
