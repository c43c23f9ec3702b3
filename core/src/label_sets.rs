//! Label sets: immutable, versioned snapshots of the final labels of chosen questions, split by
//! patient, written as CSV, JSON lines and Parquet with a `manifest.json` that lists every file's
//! SHA-256. The training side trusts nothing it cannot verify against the manifest, and the
//! manifest itself is verified against the copy kept in the database.
//!
//! Identifiers in the files are pseudonyms: the patient reference was pseudonymised on import,
//! and the accession number is replaced by a keyed hash here, both with the project's key (so two
//! projects' label sets cannot be joined on either).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

use crate::audit::{self, Action, NewEvent};
use crate::queue::{Final, Source};
use crate::split::{Shares, Split};
use crate::{Error, Result};

mod diff;
mod evidence;
pub(crate) mod files;
mod plan;

pub use diff::{diff, Diff, Relabeled};
pub use evidence::{Evidence, LabelFilter, StudyLabel};
pub use files::{sha256_file, FileEntry};
pub use plan::plan;
pub(crate) use plan::study_pseudonym;

/// Which labels a label set takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Take the soft label where no affiliate confirmed it (and where affiliates disagree with
    /// nobody to decide); otherwise only confirmed and adjudicated labels.
    pub soft_where_unconfirmed: bool,
    /// Leave out labels named "uncertain".
    pub drop_uncertain: bool,
}

impl Policy {
    /// Whether a final label enters the set.
    pub fn takes(&self, final_label: &Final) -> bool {
        let confirmed = matches!(
            final_label.source,
            Source::Adjudicated | Source::Gold | Source::Agreed | Source::Confirmed
        );
        let uncertain = final_label.label.eq_ignore_ascii_case("uncertain");
        (confirmed || self.soft_where_unconfirmed) && !(uncertain && self.drop_uncertain)
    }
}

/// What a scientist asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// Question ids; the first one stratifies the split.
    pub questions: Vec<i64>,
    /// A saved cohort of the project; `None`: every study.
    pub cohort_id: Option<i64>,
    pub policy: Policy,
    pub seed: u64,
    pub shares: Shares,
}

/// One question's label of one study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub label: String,
    pub source: Source,
    pub agreement: Option<f64>,
}

/// One study of a label set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub study_id: String,
    pub patient_id: String,
    pub study_date: String,
    /// Where the study's images are, as the label set says it: `images/<study_id>`, a link inside
    /// the label set's directory (see `link_images`), never the hospital's location, which names
    /// the patient and the accession more often than not.
    pub image_uri: Option<String>,
    /// The hospital's location of the images, as imported: only the link points to it.
    #[serde(skip)]
    pub image_location: Option<String>,
    pub split: Split,
    /// In the order of the spec's questions.
    pub labels: Vec<Option<Cell>>,
    #[serde(skip)]
    pub report_id: i64,
}

/// A question as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionEntry {
    pub id: i64,
    pub name: String,
    /// Label → class index, in the question's label order.
    pub label_map: BTreeMap<String, usize>,
    pub labels: Vec<String>,
    pub rule_set_version: i64,
}

/// Studies per split, and per split, question and label.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub studies: BTreeMap<Split, u64>,
    pub patients: BTreeMap<Split, u64>,
    /// split → question name → label → studies.
    pub labels: BTreeMap<Split, BTreeMap<String, BTreeMap<String, u64>>>,
}

/// The rows of a label set before it is written, with what they add up to.
pub struct Plan {
    pub spec: Selection,
    pub questions: Vec<QuestionEntry>,
    pub cohort: Option<String>,
    pub rows: Vec<Row>,
    pub counts: Counts,
}

/// `manifest.json`: everything a training job needs to know and check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub project_id: i64,
    pub project: String,
    pub version: i64,
    pub questions: Vec<QuestionEntry>,
    pub cohort: Option<String>,
    pub policy: Policy,
    pub seed: u64,
    pub shares: Shares,
    pub counts: Counts,
    /// The project's cue lists and section headers the soft labels were read with (they change
    /// labels as rules do; absent in sets exported before they were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_settings: Option<crate::labeling::TextSettings>,
    pub files: Vec<FileEntry>,
    pub created_by: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// A label set as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelSet {
    pub id: i64,
    pub project_id: i64,
    pub version: i64,
    pub studies: i64,
    pub manifest: Manifest,
    pub manifest_sha256: String,
    pub created_by: String,
    pub created_at: i64,
}

/// Where a project's label sets live.
pub fn project_dir(data_dir: &Path, project_id: i64) -> PathBuf {
    data_dir.join("labelsets").join(project_id.to_string())
}

/// Where one label set's files live.
pub fn set_dir(data_dir: &Path, project_id: i64, version: i64) -> PathBuf {
    project_dir(data_dir, project_id).join(format!("v{version}"))
}

/// Label sets are numbered per project; one writer at a time keeps the numbers and directories apart.
static WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Who exports, from which project, into which data directory.
pub struct Export<'a> {
    pub data_dir: &'a Path,
    pub project_id: i64,
    pub project: &'a str,
    pub actor: &'a str,
}

/// Writes a plan as the project's next label set: files first (into a fresh directory renamed into
/// place), then the record, so a crash leaves either nothing or a complete set.
pub async fn create(pool: &SqlitePool, export: &Export<'_>, plan: Plan) -> Result<LabelSet> {
    if plan.rows.is_empty() {
        return Err(Error::Invalid(
            "no study has a label under this policy: nothing to export. Confirm some studies first, or take soft labels where unconfirmed".into(),
        ));
    }
    let _writing = WRITER.lock().await;
    let version = sqlx::query_scalar!(
        r#"SELECT COALESCE(MAX(version), 0) + 1 AS "v!: i64" FROM label_sets WHERE project_id = ?"#,
        export.project_id
    )
    .fetch_one(pool)
    .await?;
    let final_dir = set_dir(export.data_dir, export.project_id, version);
    let parent = project_dir(export.data_dir, export.project_id);
    std::fs::create_dir_all(&parent)?;
    // A directory left by a crash before its record was written is not a label set: replace it.
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir)?;
    }
    let now = time::OffsetDateTime::now_utc();
    let created_at = now
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|error| Error::Internal(error.to_string()))?;
    let mut manifest = Manifest {
        format: "sieve-label-set/1".into(),
        project_id: export.project_id,
        project: export.project.to_string(),
        version,
        questions: plan.questions,
        cohort: plan.cohort,
        policy: plan.spec.policy,
        seed: plan.spec.seed,
        shares: plan.spec.shares,
        counts: plan.counts,
        text_settings: Some(crate::questions::text_settings(pool, export.project_id).await?),
        files: Vec::new(),
        created_by: export.actor.to_string(),
        created_at,
    };
    let staging = tempfile::Builder::new()
        .prefix(".writing-")
        .tempdir_in(&parent)?;
    let rows = std::sync::Arc::new(plan.rows);
    let mut written = {
        let (dir, rows) = (staging.path().to_path_buf(), rows.clone());
        let questions = manifest.questions.clone();
        tokio::task::spawn_blocking(move || {
            files::link_images(&dir, &rows)?;
            files::write_labels(&dir, &questions, &rows)
        })
        .await
        .map_err(|error| Error::Internal(error.to_string()))??
    };
    written.push(write_texts(pool, export.project_id, &rows, staging.path()).await?);
    manifest.files = written;
    let manifest_text = serde_json::to_string_pretty(&manifest).expect("manifests serialise");
    std::fs::write(staging.path().join(files::MANIFEST), &manifest_text)?;
    let manifest_sha256 = hex::encode(Sha256::digest(manifest_text.as_bytes()));
    std::fs::rename(staging.keep(), &final_dir)?;

    let spec = serde_json::to_string(&plan.spec).expect("specs serialise");
    let studies: i64 = manifest.counts.studies.values().sum::<u64>() as i64;
    let created = crate::now();
    let mut transaction = pool.begin().await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO label_sets (project_id, version, spec, studies, manifest, manifest_sha256, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id AS \"id!\"",
        export.project_id,
        version,
        spec,
        studies,
        manifest_text,
        manifest_sha256,
        export.actor,
        created
    )
    .fetch_one(&mut *transaction)
    .await?;
    audit::record(
        &mut *transaction,
        Action::LabelSetExported,
        NewEvent {
            actor: Some(export.actor),
            project_id: Some(export.project_id),
            object: Some(format!("label set v{version}")),
            detail: Some(format!("{studies} studies, manifest {manifest_sha256}")),
        },
    )
    .await?;
    transaction.commit().await?;
    Ok(LabelSet {
        id,
        project_id: export.project_id,
        version,
        studies,
        manifest,
        manifest_sha256,
        created_by: export.actor.to_string(),
        created_at: created,
    })
}

/// Writes `texts.jsonl` a chunk of reports at a time, so a large export never holds every text.
async fn write_texts(
    pool: &SqlitePool,
    project_id: i64,
    rows: &std::sync::Arc<Vec<Row>>,
    dir: &Path,
) -> Result<files::FileEntry> {
    const CHUNK: usize = 10_000;
    let path = dir.join(files::TEXTS);
    let mut out = Some(std::io::BufWriter::new(std::fs::File::create(&path)?));
    for at in (0..rows.len()).step_by(CHUNK) {
        let ids: Vec<u32> = rows[at..(at + CHUNK).min(rows.len())]
            .iter()
            .filter_map(|row| u32::try_from(row.report_id).ok())
            .collect();
        let texts: HashMap<u32, String> = crate::reports::texts(pool, project_id, &ids)
            .await?
            .into_iter()
            .collect();
        let (mut writer, rows) = (out.take().expect("the writer is put back"), rows.clone());
        out = Some(
            tokio::task::spawn_blocking(move || {
                files::append_texts(&mut writer, &rows[at..(at + CHUNK).min(rows.len())], &texts)
                    .map(|()| writer)
            })
            .await
            .map_err(|error| Error::Internal(error.to_string()))??,
        );
    }
    let mut writer = out.expect("the writer is put back");
    std::io::Write::flush(&mut writer)?;
    drop(writer);
    files::entry(dir, files::TEXTS)
}

/// A label set's row as stored.
struct Stored {
    id: i64,
    project_id: i64,
    version: i64,
    studies: i64,
    manifest: String,
    manifest_sha256: String,
    created_by: String,
    created_at: i64,
}

impl TryFrom<Stored> for LabelSet {
    type Error = Error;

    fn try_from(row: Stored) -> Result<LabelSet> {
        Ok(LabelSet {
            id: row.id,
            project_id: row.project_id,
            version: row.version,
            studies: row.studies,
            manifest: crate::db::stored_json(
                &format!("manifest of label set v{}", row.version),
                &row.manifest,
            )?,
            manifest_sha256: row.manifest_sha256,
            created_by: row.created_by,
            created_at: row.created_at,
        })
    }
}

/// The project's label sets, newest first.
pub async fn list(pool: &SqlitePool, project_id: i64) -> Result<Vec<LabelSet>> {
    sqlx::query_as!(
        Stored,
        r#"SELECT id AS "id!", project_id, version, studies, manifest, manifest_sha256, created_by, created_at
         FROM label_sets WHERE project_id = ? ORDER BY version DESC"#,
        project_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(LabelSet::try_from)
    .collect()
}

/// One label set of the project.
pub async fn get(pool: &SqlitePool, project_id: i64, version: i64) -> Result<LabelSet> {
    sqlx::query_as!(
        Stored,
        r#"SELECT id AS "id!", project_id, version, studies, manifest, manifest_sha256, created_by, created_at
         FROM label_sets WHERE project_id = ? AND version = ?"#,
        project_id,
        version
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("label set v{version}")))?
    .try_into()
}

/// The path of one of a label set's files; only the files it was written with.
pub fn file_path(data_dir: &Path, set: &LabelSet, name: &str) -> Result<PathBuf> {
    let known = name == files::MANIFEST || set.manifest.files.iter().any(|f| f.name == name);
    if !known {
        return Err(Error::NotFound(format!(
            "file {name:?} of label set v{}",
            set.version
        )));
    }
    Ok(set_dir(data_dir, set.project_id, set.version).join(name))
}

/// Checks that a label set's files on disk are the ones it was written with: the manifest against
/// the database's copy, every file against the manifest. The error names each file that differs.
/// Hashing reads every file, off the async threads.
pub async fn verify(data_dir: &Path, set: &LabelSet) -> Result<()> {
    let (data_dir, set) = (data_dir.to_path_buf(), set.clone());
    tokio::task::spawn_blocking(move || verify_files(&data_dir, &set))
        .await
        .map_err(|error| Error::Internal(error.to_string()))?
}

fn verify_files(data_dir: &Path, set: &LabelSet) -> Result<()> {
    let dir = set_dir(data_dir, set.project_id, set.version);
    let mut wrong = Vec::new();
    let manifest = std::fs::read(dir.join(files::MANIFEST)).unwrap_or_default();
    if hex::encode(Sha256::digest(&manifest)) != set.manifest_sha256 {
        wrong.push(files::MANIFEST.to_string());
    }
    for file in &set.manifest.files {
        match sha256_file(&dir.join(&file.name)) {
            Ok(hash) if hash == file.sha256 => {}
            _ => wrong.push(file.name.clone()),
        }
    }
    match wrong.is_empty() {
        true => Ok(()),
        false => Err(Error::Invalid(format!(
            "label set v{} was changed on disk since it was written ({} differ from the manifest): refusing to use it",
            set.version,
            wrong.join(", ")
        ))),
    }
}
