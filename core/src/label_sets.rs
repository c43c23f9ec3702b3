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
use crate::pseudonym::Pseudonymizer;
use crate::questions;
use crate::queue::{Final, Source};
use crate::soft_labels::Context;
use crate::split::{self, Shares, Split};
use crate::{Error, Result};

mod evidence;
mod files;

pub use evidence::{Evidence, LabelFilter, StudyLabel};
pub use files::{sha256_file, FileEntry};

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

/// The name of a label set's pseudonymous study id: a keyed hash of the accession number.
fn study_pseudonym(pseudonymizer: &Pseudonymizer, accession: &str) -> String {
    let keyed = pseudonymizer.pseudonym(&format!("accession:{accession}"));
    format!("S{}", &keyed[1..])
}

/// A study's cell for one question: its final label, if the policy takes it.
fn cell(evidence: &Evidence, report_id: i64, policy: &Policy) -> Option<Cell> {
    let resolved = evidence.final_label(report_id)?;
    policy.takes(&resolved).then_some(Cell {
        label: resolved.label,
        source: resolved.source,
        agreement: resolved.agreement,
    })
}

fn check_spec(spec: &Selection) -> Result<()> {
    if spec.questions.is_empty() {
        return Err(Error::Invalid(
            "questions: pick at least one question".into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if !spec.questions.iter().all(|id| seen.insert(*id)) {
        return Err(Error::Invalid("questions: each question once".into()));
    }
    Ok(spec.shares.check()?)
}

/// Resolves the rows a label set would hold, and what they add up to (shown before export).
/// `pseudonymizer` is the install's; the project's key is derived from it.
pub async fn plan(
    context: &Context<'_>,
    pseudonymizer: &Pseudonymizer,
    project_id: i64,
    spec: &Selection,
) -> Result<Plan> {
    check_spec(spec)?;
    let mut questions = Vec::new();
    let mut evidence = Vec::new();
    for id in &spec.questions {
        let question = questions::get(context.pool, project_id, *id).await?;
        let rules = questions::rules(context.pool, question.id, None).await?;
        let rule_set_version = rules.version;
        evidence.push(Evidence::read(context, &question, rules).await?);
        questions.push(QuestionEntry {
            id: question.id,
            label_map: question
                .labels
                .iter()
                .enumerate()
                .map(|(at, label)| (label.clone(), at))
                .collect(),
            labels: question.labels,
            name: question.name,
            rule_set_version,
        });
    }
    let (cohort, in_cohort) = match spec.cohort_id {
        None => (None, None),
        Some(id) => {
            let name = crate::cohorts::name(context.pool, project_id, id).await?;
            let studies = context.studies_in(project_id, Some(id)).await?;
            (Some(name), Some(studies))
        }
    };
    // Study ids are keyed like the patients: per project.
    let pseudonymizer = pseudonymizer.of_project(context.pool, project_id).await?;
    let reports = sqlx::query!(
        r#"SELECT id AS "id!", accession, patient_ref, study_date, image_uri FROM reports WHERE project_id = ? ORDER BY id"#,
        project_id
    )
    .fetch_all(context.pool)
    .await?;
    let mut rows = Vec::new();
    for report in reports {
        let in_set = in_cohort
            .as_ref()
            .is_none_or(|set| u32::try_from(report.id).is_ok_and(|id| set.contains(id)));
        if !in_set {
            continue;
        }
        let labels: Vec<Option<Cell>> = evidence
            .iter()
            .map(|question| cell(question, report.id, &spec.policy))
            .collect();
        if labels.iter().all(Option::is_none) {
            continue;
        }
        let study_id = study_pseudonym(&pseudonymizer, &report.accession);
        rows.push(Row {
            image_uri: report
                .image_uri
                .as_ref()
                .map(|_| format!("{}/{study_id}", files::IMAGES)),
            image_location: report.image_uri,
            study_id,
            patient_id: report.patient_ref,
            study_date: report.study_date,
            split: Split::Train,
            labels,
            report_id: report.id,
        });
    }
    assign_splits(&mut rows, spec);
    let counts = count(&rows, &questions);
    Ok(Plan {
        spec: spec.clone(),
        questions,
        cohort,
        rows,
        counts,
    })
}

/// Splits by patient, stratified by the first question's label.
fn assign_splits(rows: &mut [Row], spec: &Selection) {
    let stratum = |row: &Row| {
        row.labels[0]
            .as_ref()
            .map_or(String::new(), |cell| cell.label.clone())
    };
    let pairs: Vec<(String, String)> = rows
        .iter()
        .map(|row| (row.patient_id.clone(), stratum(row)))
        .collect();
    let splits = split::assign(
        pairs.iter().map(|(p, l)| (p.as_str(), l.as_str())),
        spec.shares,
        spec.seed,
    );
    let splits: HashMap<String, Split> = splits
        .into_iter()
        .map(|(patient, split)| (patient.to_string(), split))
        .collect();
    for row in rows {
        row.split = splits[&row.patient_id];
    }
}

fn count(rows: &[Row], questions: &[QuestionEntry]) -> Counts {
    let mut counts = Counts::default();
    let mut patients: BTreeMap<Split, std::collections::HashSet<&str>> = BTreeMap::new();
    for row in rows {
        *counts.studies.entry(row.split).or_default() += 1;
        patients
            .entry(row.split)
            .or_default()
            .insert(&row.patient_id);
        let per_question = counts.labels.entry(row.split).or_default();
        for (question, cell) in questions.iter().zip(&row.labels) {
            if let Some(cell) = cell {
                *per_question
                    .entry(question.name.clone())
                    .or_default()
                    .entry(cell.label.clone())
                    .or_default() += 1;
            }
        }
    }
    counts.patients = patients
        .into_iter()
        .map(|(split, set)| (split, set.len() as u64))
        .collect();
    counts
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
            manifest: serde_json::from_str(&row.manifest)
                .map_err(|error| Error::Internal(format!("label set v{}: {error}", row.version)))?,
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

/// What changed between two label sets of a project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    pub from: i64,
    pub to: i64,
    pub added: u64,
    pub removed: u64,
    /// Studies in both whose label of some question differs.
    pub relabeled: u64,
    pub unchanged: u64,
    /// Examples: (study id, question, from label, to label).
    pub examples: Vec<(String, String, String, String)>,
}

/// Compares two label sets study by study, question by question (questions matched by name),
/// reading their files off the async threads.
pub async fn diff(data_dir: &Path, from: &LabelSet, to: &LabelSet) -> Result<Diff> {
    let (data_dir, from, to) = (data_dir.to_path_buf(), from.clone(), to.clone());
    tokio::task::spawn_blocking(move || diff_files(&data_dir, &from, &to))
        .await
        .map_err(|error| Error::Internal(error.to_string()))?
}

fn diff_files(data_dir: &Path, from: &LabelSet, to: &LabelSet) -> Result<Diff> {
    let read = |set: &LabelSet| -> Result<files::StudyLabels> {
        verify_files(data_dir, set)?;
        files::read_labels(
            &set_dir(data_dir, set.project_id, set.version),
            &set.manifest,
        )
    };
    let (before, after) = (read(from)?, read(to)?);
    let mut diff = Diff {
        from: from.version,
        to: to.version,
        ..Diff::default()
    };
    for (study, labels) in &after {
        let Some(old) = before.get(study) else {
            diff.added += 1;
            continue;
        };
        let mut changed = false;
        for (question, label) in labels {
            let was = old.get(question).cloned().unwrap_or_default();
            if &was != label {
                changed = true;
                if diff.examples.len() < 20 {
                    diff.examples
                        .push((study.clone(), question.clone(), was, label.clone()));
                }
            }
        }
        changed |= old.keys().any(|question| !labels.contains_key(question));
        match changed {
            true => diff.relabeled += 1,
            false => diff.unchanged += 1,
        }
    }
    diff.removed = before.keys().filter(|s| !after.contains_key(*s)).count() as u64;
    Ok(diff)
}
