//! Radiology reports: the records a project labels.
//!
//! Full import (CSV, JSON lines, HL7, pseudonymisation) builds on `store_batch`.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::{Error, Result};

/// The longest report text accepted: anything larger is not a radiology report.
pub const MAX_REPORT_BYTES: usize = 1024 * 1024;

/// One report as it arrives from an export (and as `sieve gen-corpus` writes it, one JSON object a line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    pub accession: String,
    pub patient_id: String,
    /// ISO date, `YYYY-MM-DD`.
    pub study_date: String,
    pub exam_code: String,
    pub modality: String,
    pub body_part: String,
    pub report_text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_uri: Option<String>,
}

impl NewReport {
    /// Checks the fields a report cannot do without, naming the first one that is wrong.
    pub fn validate(&self) -> Result<()> {
        if self.accession.trim().is_empty() {
            return Err(Error::Invalid("accession: missing".into()));
        }
        if self.report_text.trim().is_empty() {
            return Err(Error::Invalid("report_text: missing".into()));
        }
        if self.report_text.len() > MAX_REPORT_BYTES {
            return Err(Error::Invalid(format!(
                "report_text: longer than {MAX_REPORT_BYTES} bytes"
            )));
        }
        let date_format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(&self.study_date, date_format).map_err(|_| {
            Error::Invalid(format!(
                "study_date: {:?} is not a date (YYYY-MM-DD)",
                self.study_date
            ))
        })?;
        Ok(())
    }
}

/// Stores a batch of reports in one transaction, replacing reports with the same accession:
/// a batch is all or nothing, and storing it twice changes nothing.
pub async fn store_batch(pool: &SqlitePool, project_id: i64, reports: &[NewReport]) -> Result<()> {
    for report in reports {
        report
            .validate()
            .map_err(|error| Error::Invalid(format!("report {:?}: {error}", report.accession)))?;
    }
    let mut transaction = pool.begin().await?;
    for report in reports {
        sqlx::query!(
            "INSERT INTO reports (project_id, accession, patient_ref, study_date, exam_code, modality, body_part, report_text, image_uri)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (project_id, accession) DO UPDATE SET
                 patient_ref = excluded.patient_ref, study_date = excluded.study_date, exam_code = excluded.exam_code,
                 modality = excluded.modality, body_part = excluded.body_part, report_text = excluded.report_text,
                 image_uri = excluded.image_uri",
            project_id,
            report.accession,
            report.patient_id,
            report.study_date,
            report.exam_code,
            report.modality,
            report.body_part,
            report.report_text,
            report.image_uri,
        )
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await?;
    Ok(())
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
