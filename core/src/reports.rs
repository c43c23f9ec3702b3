//! Radiology reports: the record an import brings, its validation, and how reports are stored:
//! idempotently on (project, accession), with unchanged reports left untouched.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};

use crate::pseudonym::Pseudonymizer;
use crate::{Error, Result};

/// The longest report text accepted: anything larger is not a radiology report.
pub const MAX_REPORT_BYTES: usize = 1024 * 1024;
/// The longest value of any other field.
pub const MAX_FIELD_BYTES: usize = 1024;

/// One report as it arrives from an export (and as `sieve gen-corpus` writes it, one JSON object a
/// line). `patient_id` is the hospital's identifier, pseudonymised before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    pub accession: String,
    pub patient_id: String,
    /// `YYYY-MM-DD` (or `YYYYMMDD`, as HL7 writes it).
    pub study_date: String,
    #[serde(default)]
    pub exam_code: String,
    #[serde(default)]
    pub modality: String,
    #[serde(default)]
    pub body_part: String,
    pub report_text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_uri: Option<String>,
}

impl NewReport {
    /// Trims the fields and writes the date as `YYYY-MM-DD`, or names the first field that is wrong
    /// as `field: reason`.
    pub fn normalized(mut self) -> std::result::Result<NewReport, FieldError> {
        for (name, value) in [
            ("accession", &mut self.accession),
            ("patient_id", &mut self.patient_id),
            ("study_date", &mut self.study_date),
            ("exam_code", &mut self.exam_code),
            ("modality", &mut self.modality),
            ("body_part", &mut self.body_part),
        ] {
            *value = value.trim().to_string();
            if value.len() > MAX_FIELD_BYTES {
                return Err(FieldError::TooLong {
                    field: name,
                    limit: MAX_FIELD_BYTES,
                });
            }
        }
        if self.accession.is_empty() {
            return Err(FieldError::Missing("accession"));
        }
        if self.patient_id.is_empty() {
            return Err(FieldError::Missing("patient_id"));
        }
        if self.report_text.trim().is_empty() {
            return Err(FieldError::Missing("report_text"));
        }
        if self.report_text.len() > MAX_REPORT_BYTES {
            return Err(FieldError::TooLong {
                field: "report_text",
                limit: MAX_REPORT_BYTES,
            });
        }
        for (name, value) in [
            ("accession", &self.accession),
            ("patient_id", &self.patient_id),
            ("exam_code", &self.exam_code),
            ("modality", &self.modality),
            ("body_part", &self.body_part),
            ("report_text", &self.report_text),
        ] {
            if value.contains(char::REPLACEMENT_CHARACTER) {
                return Err(FieldError::Unreadable(name));
            }
        }
        self.study_date = iso_date(&self.study_date)?;
        self.image_uri = self
            .image_uri
            .map(|uri| uri.trim().to_string())
            .filter(|uri| !uri.is_empty());
        Ok(self)
    }

    /// Checks the report, naming the first field that is wrong.
    pub fn validate(&self) -> Result<()> {
        self.clone().normalized()?;
        Ok(())
    }
}

/// The first field of a report that is missing or wrong, named as in a file's header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("{0}: missing")]
    Missing(&'static str),
    /// `limit` in bytes.
    #[error("{field}: longer than {limit} bytes")]
    TooLong { field: &'static str, limit: usize },
    /// Holds the date as written.
    #[error("study_date: {0:?} is not a date (use YYYY-MM-DD)")]
    NotADate(String),
    /// Holds U+FFFD, the mark of bytes that could not be read in the file's character set: text
    /// already lost, so never stored.
    #[error(
        "{0}: holds the replacement character U+FFFD, the mark of characters that could not be \
         read: the file is in another character set than the one chosen (try windows-1252 or \
         iso-8859-1 for files from older systems) or was damaged before it reached Sieve"
    )]
    Unreadable(&'static str),
}

/// Reads `YYYY-MM-DD` or `YYYYMMDD` into `YYYY-MM-DD`.
fn iso_date(text: &str) -> std::result::Result<String, FieldError> {
    let digits: String = text.chars().filter(|c| *c != '-').collect();
    let shape_ok = digits.len() == 8
        && digits.chars().all(|c| c.is_ascii_digit())
        && (text.len() == 8 || text.len() == 10);
    let iso = format!(
        "{}-{}-{}",
        &digits.get(0..4).unwrap_or(""),
        &digits.get(4..6).unwrap_or(""),
        &digits.get(6..8).unwrap_or("")
    );
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match shape_ok && time::Date::parse(&iso, format).is_ok() {
        true => Ok(iso),
        false if text.is_empty() => Err(FieldError::Missing("study_date")),
        false => Err(FieldError::NotADate(text.to_string())),
    }
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub id: i64,
    pub project_id: i64,
    pub accession: String,
    pub patient_ref: String,
    pub study_date: String,
    pub exam_code: String,
    pub modality: String,
    pub body_part: String,
    pub report_text: String,
    pub image_uri: Option<String>,
}

/// How many reports an import added, changed, or found unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.new + self.updated + self.unchanged
    }
}

/// Rows per INSERT statement: 10 values a row stays well under SQLite's 32,766 parameters.
const ROWS_PER_STATEMENT: usize = 500;

/// Writes reports of one project inside a transaction: the caller commits (all or nothing).
pub struct Writer<'t> {
    transaction: Transaction<'t, Sqlite>,
    project_id: i64,
    revision: i64,
    /// Ids above this were inserted by this import; returned ids below it were updated.
    first_new_id: i64,
    pseudonymizer: Pseudonymizer,
    /// OBR-25 of what is written (P, F, C, A); empty for files.
    result_status: String,
    pub counts: Counts,
}

impl<'t> Writer<'t> {
    /// Starts a transaction that writes reports under the project's next revision, pseudonymised
    /// with the project's key (derived from the install's `pseudonymizer`).
    pub async fn begin(
        pool: &'t SqlitePool,
        project_id: i64,
        pseudonymizer: Pseudonymizer,
    ) -> Result<Writer<'t>> {
        Writer::start(pool.begin().await?, project_id, pseudonymizer).await
    }

    /// Like [`Writer::begin`], inside a transaction the caller holds (a savepoint of it): the
    /// live feed stores many messages in one transaction, each of them whole or not at all.
    pub async fn within(
        connection: &'t mut sqlx::SqliteConnection,
        project_id: i64,
        pseudonymizer: Pseudonymizer,
    ) -> Result<Writer<'t>> {
        use sqlx::Connection;
        Writer::start(connection.begin().await?, project_id, pseudonymizer).await
    }

    async fn start(
        mut transaction: Transaction<'t, Sqlite>,
        project_id: i64,
        pseudonymizer: Pseudonymizer,
    ) -> Result<Writer<'t>> {
        // A project without reports gets its salt here, if it has none yet; one that holds reports
        // keeps its key (a patient keeps one pseudonym within a project).
        let project = sqlx::query!(
            r#"UPDATE projects SET report_revision = report_revision + 1,
                 pseudonym_salt = COALESCE(pseudonym_salt,
                   CASE WHEN NOT EXISTS (SELECT 1 FROM reports WHERE project_id = ?1) THEN lower(hex(randomblob(16))) END)
               WHERE id = ?1 RETURNING report_revision, pseudonym_salt"#,
            project_id
        )
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or_else(|| Error::NotFound(format!("project {project_id}")))?;
        let (revision, pseudonymizer) = (
            project.report_revision,
            pseudonymizer.for_salt(project.pseudonym_salt.as_deref()),
        );
        let first_new_id =
            sqlx::query_scalar!(r#"SELECT COALESCE(MAX(id), 0) AS "id!: i64" FROM reports"#)
                .fetch_one(&mut *transaction)
                .await?
                + 1;
        Ok(Writer {
            transaction,
            project_id,
            revision,
            first_new_id,
            pseudonymizer,
            result_status: String::new(),
            counts: Counts::default(),
        })
    }

    /// Sets the result status (OBR-25: P preliminary, F final, C correction, A addendum) of the
    /// reports written next. A preliminary report never replaces a final, corrected or amended one;
    /// an addendum that does not repeat the report is added after its text, not put in its place.
    pub fn result_status(&mut self, status: &str) {
        self.result_status = status.trim().to_uppercase();
    }

    /// The report revision this writer stores under.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// Writes a batch of normalised reports. Reports whose content did not change are not written;
    /// a changed text replaces the stored one, which is kept as a revision (`report_revisions`).
    /// Returns the (id, position in `reports`) of those written, new or changed.
    pub async fn write(&mut self, reports: &[NewReport]) -> Result<Vec<(i64, usize)>> {
        let mut all_written = Vec::with_capacity(reports.len());
        for (number, chunk) in reports.chunks(ROWS_PER_STATEMENT).enumerate() {
            // Built at run time for the batch size; the statement's shape is fixed and tested.
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO reports (project_id, accession, patient_ref, study_date, exam_code, modality, \
                 body_part, report_text, image_uri, revision, content_hash, result_status) ",
            );
            insert.push_values(chunk, |mut row, report| {
                let patient_ref = self.pseudonymizer.pseudonym(&report.patient_id);
                let hash = content_hash(report, &patient_ref, &self.result_status);
                row.push_bind(self.project_id)
                    .push_bind(report.accession.clone())
                    .push_bind(patient_ref)
                    .push_bind(report.study_date.clone())
                    .push_bind(report.exam_code.clone())
                    .push_bind(report.modality.clone())
                    .push_bind(report.body_part.clone())
                    .push_bind(report.report_text.clone())
                    .push_bind(report.image_uri.clone())
                    .push_bind(self.revision)
                    .push_bind(hash)
                    .push_bind(self.result_status.clone());
            });
            insert.push(
                " ON CONFLICT (project_id, accession) DO UPDATE SET patient_ref = excluded.patient_ref, \
                 study_date = excluded.study_date, exam_code = excluded.exam_code, modality = excluded.modality, \
                 body_part = excluded.body_part, \
                 report_text = CASE WHEN excluded.result_status = 'A' \
                   AND instr(excluded.report_text, reports.report_text) = 0 \
                   THEN reports.report_text || char(10) || char(10) || excluded.report_text \
                   ELSE excluded.report_text END, \
                 image_uri = excluded.image_uri, \
                 revision = excluded.revision, content_hash = excluded.content_hash, \
                 result_status = excluded.result_status \
                 WHERE reports.content_hash <> excluded.content_hash \
                 AND NOT (excluded.result_status = 'P' AND reports.result_status IN ('F', 'C', 'A')) \
                 RETURNING id, accession",
            );
            let written: Vec<(i64, String)> = insert
                .build_query_as()
                .fetch_all(&mut *self.transaction)
                .await?;
            let new = written
                .iter()
                .filter(|(id, _)| *id >= self.first_new_id)
                .count() as u64;
            self.counts.new += new;
            self.counts.updated += written.len() as u64 - new;
            self.counts.unchanged += (chunk.len() - written.len()) as u64;
            // An accession appears once per batch (a file holds one record per study).
            let positions: std::collections::HashMap<&str, usize> = chunk
                .iter()
                .enumerate()
                .map(|(at, report)| (report.accession.as_str(), at))
                .collect();
            let offset = number * ROWS_PER_STATEMENT;
            all_written.extend(written.iter().filter_map(|(id, accession)| {
                positions
                    .get(accession.as_str())
                    .map(|at| (*id, offset + at))
            }));
        }
        Ok(all_written)
    }

    /// The writer's transaction, to write what must be committed with these reports or not at all
    /// (the live feed's record of the message they came in).
    pub fn connection(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.transaction
    }

    /// Commits everything written, returning the counts.
    pub async fn commit(self) -> Result<Counts> {
        self.transaction.commit().await?;
        Ok(self.counts)
    }
}

/// The SHA-256 of what is stored of a report, to tell a changed report from an unchanged one.
pub(crate) fn content_hash(report: &NewReport, patient_ref: &str, result_status: &str) -> String {
    let mut hasher = Sha256::new();
    for field in [
        report.accession.as_str(),
        patient_ref,
        &report.study_date,
        &report.exam_code,
        &report.modality,
        &report.body_part,
        &report.report_text,
        report.image_uri.as_deref().unwrap_or(""),
    ] {
        hasher.update((field.len() as u64).to_le_bytes());
        hasher.update(field.as_bytes());
    }
    // Files carry no status: their hashes stay as they were before statuses were kept.
    if !result_status.is_empty() {
        hasher.update(result_status.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Stores a batch of reports in one transaction (all or nothing), idempotently.
pub async fn store_batch(
    pool: &SqlitePool,
    project_id: i64,
    pseudonymizer: &Pseudonymizer,
    reports: &[NewReport],
) -> Result<Counts> {
    let normalized = reports
        .iter()
        .map(|report| {
            report.clone().normalized().map_err(|reason| {
                Error::Invalid(format!("report {:?}: {reason}", report.accession))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut writer = Writer::begin(pool, project_id, pseudonymizer.clone()).await?;
    writer.write(&normalized).await?;
    writer.commit().await
}

/// Returns how many reports a project holds.
pub async fn count(pool: &SqlitePool, project_id: i64) -> Result<i64> {
    let count = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "count!: i64" FROM reports WHERE project_id = ?"#,
        project_id
    )
    .fetch_one(pool)
    .await?;
    Ok(count)
}

/// Returns one report of a project, or `NotFound`.
pub async fn find(pool: &SqlitePool, project_id: i64, report_id: i64) -> Result<Report> {
    sqlx::query_as!(
        Report,
        r#"SELECT id AS "id!", project_id, accession, patient_ref, study_date, exam_code, modality, body_part,
                  report_text, image_uri
           FROM reports WHERE project_id = ? AND id = ?"#,
        project_id,
        report_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("report {report_id}")))
}

/// What a report's text has been: its current result status (OBR-25; empty for files) and every
/// text it replaced, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub result_status: String,
    pub earlier: Vec<Revision>,
}

/// A version of a report a later one replaced: its text, and the details that changed with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub report_text: String,
    pub result_status: String,
    /// Seconds since 1970 (UTC).
    pub replaced_at: i64,
    /// The details the next version changed, each as (field, this version's value, the next's),
    /// fields named as in a file's header; empty for versions kept before details were.
    pub changed: Vec<(&'static str, String, String)>,
}

/// A stored version of a report, as `report_revisions` and `reports` hold it.
struct Version {
    report_text: String,
    result_status: String,
    replaced_at: i64,
    details: [Option<String>; 5],
}

const DETAILS: [&str; 5] = [
    "patient_ref",
    "study_date",
    "exam_code",
    "modality",
    "body_part",
];

/// Returns a report's history (see [`History`]).
pub async fn history(pool: &SqlitePool, project_id: i64, report_id: i64) -> Result<History> {
    let current = sqlx::query!(
        "SELECT report_text, result_status, patient_ref, study_date, exam_code, modality, body_part
         FROM reports WHERE project_id = ? AND id = ?",
        project_id,
        report_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("report {report_id}")))?;
    let mut versions: Vec<Version> = sqlx::query!(
        "SELECT report_text, result_status, replaced_at, patient_ref, study_date, exam_code, modality, body_part
         FROM report_revisions WHERE report_id = ? ORDER BY id",
        report_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| Version {
        report_text: r.report_text,
        result_status: r.result_status,
        replaced_at: r.replaced_at,
        details: [r.patient_ref, r.study_date, r.exam_code, r.modality, r.body_part],
    })
    .collect();
    versions.push(Version {
        report_text: current.report_text,
        result_status: current.result_status.clone(),
        replaced_at: 0,
        details: [
            Some(current.patient_ref),
            Some(current.study_date),
            Some(current.exam_code),
            Some(current.modality),
            Some(current.body_part),
        ],
    });
    let earlier = versions
        .windows(2)
        .map(|pair| {
            let (this, next) = (&pair[0], &pair[1]);
            let changed = DETAILS
                .iter()
                .zip(this.details.iter().zip(&next.details))
                .filter_map(|(field, (before, after))| match (before, after) {
                    (Some(before), Some(after)) if before != after => {
                        Some((*field, before.clone(), after.clone()))
                    }
                    _ => None,
                })
                .collect();
            Revision {
                report_text: this.report_text.clone(),
                result_status: this.result_status.clone(),
                replaced_at: this.replaced_at,
                changed,
            }
        })
        .collect();
    Ok(History {
        result_status: current.result_status,
        earlier,
    })
}

/// A result status (OBR-25) in words.
pub fn status_name(status: &str) -> &'static str {
    match status {
        "P" => "preliminary",
        "F" => "final",
        "C" => "corrected",
        "A" => "with addendum",
        "" => "",
        _ => "other status",
    }
}

/// Returns the id of a project's report by its accession, in any case and with spaces around it
/// (`syn123` finds SYN123; as typed wins). `NotFound` names the accession; `Invalid` when only
/// the case was wrong and it fits several accessions that differ only in case.
pub async fn id_of(pool: &SqlitePool, project_id: i64, accession: &str) -> Result<i64> {
    let accession = accession.trim();
    let exact = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM reports WHERE project_id = ? AND accession = ?"#,
        project_id,
        accession
    )
    .fetch_optional(pool)
    .await?;
    if let Some(id) = exact {
        return Ok(id);
    }
    let any_case = sqlx::query!(
        r#"SELECT id AS "id!", accession FROM reports WHERE project_id = ? AND accession = ? COLLATE NOCASE
           ORDER BY accession LIMIT 3"#,
        project_id,
        accession
    )
    .fetch_all(pool)
    .await?;
    match any_case.as_slice() {
        [] => Err(Error::NotFound(format!(
            "a study with the accession “{accession}” in this project"
        ))),
        [one] => Ok(one.id),
        several => Err(Error::Invalid(format!(
            "“{accession}” fits several accessions that differ only in capitals ({}): type it exactly",
            several
                .iter()
                .map(|r| r.accession.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Returns the reports with these ids (of one project), in the order of `ids`.
pub async fn find_many(pool: &SqlitePool, project_id: i64, ids: &[i64]) -> Result<Vec<Report>> {
    // One statement for the whole page; CROSS JOIN keeps SQLite looking reports up by id.
    let wanted = serde_json::to_string(ids).map_err(|error| Error::Internal(error.to_string()))?;
    let found = sqlx::query_as!(
        Report,
        r#"SELECT r.id AS "id!", r.project_id, r.accession, r.patient_ref, r.study_date, r.exam_code, r.modality,
                  r.body_part, r.report_text, r.image_uri
           FROM json_each(?) AS wanted CROSS JOIN reports r ON r.id = wanted.value
           WHERE r.project_id = ?"#,
        wanted,
        project_id
    )
    .fetch_all(pool)
    .await?;
    let mut by_id: std::collections::HashMap<i64, Report> = found
        .into_iter()
        .map(|report| (report.id, report))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Returns the texts of the reports with these ids (of one project), by id.
pub async fn texts(pool: &SqlitePool, project_id: i64, ids: &[u32]) -> Result<Vec<(u32, String)>> {
    let wanted = serde_json::to_string(ids).map_err(|error| Error::Internal(error.to_string()))?;
    let rows = sqlx::query!(
        r#"SELECT r.id AS "id!", r.report_text
           FROM json_each(?) AS wanted CROSS JOIN reports r ON r.id = wanted.value
           WHERE r.project_id = ?"#,
        wanted,
        project_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.id as u32, row.report_text))
        .collect())
}

#[cfg(test)]
mod tests;
