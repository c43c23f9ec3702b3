//! A model made from a succeeded training job: its label set, metrics and output directory are
//! recorded, the studies of the label set's test split are remembered (the set a model is first
//! validated on), and `predictions.csv` in its output directory, when the job wrote one, is read
//! in like any file of predictions (with `study_id`, the label set's study ids).

use std::io::Read;
use std::path::Path;

use sqlx::SqlitePool;

use super::{create, get, import, Input, Model, NewModel, Trained};
use crate::label_sets::{self, files};
use crate::pseudonym::Pseudonymizer;
use crate::training::{self, State, OUTPUT};
use crate::{Error, Result};

/// The file a training job writes its predictions to, in its output directory.
pub const PREDICTIONS: &str = "predictions.csv";

/// A predictions file larger than this is not read from a job's output.
const MAX_BYTES: u64 = 512 << 20;

/// The model of a succeeded job: made on first call (named after the question, versioned by the
/// job), found again on later ones. Errors: `Invalid` for a job that has not succeeded;
/// `Rejected` when its `predictions.csv` has bad lines (no model is made then).
pub async fn from_job(
    pool: &SqlitePool,
    data_dir: &Path,
    pseudonymizer: &Pseudonymizer,
    project_id: i64,
    job_id: i64,
    actor: &str,
) -> Result<Model> {
    if let Some(id) = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM models WHERE project_id = ? AND job_id = ?"#,
        project_id,
        job_id
    )
    .fetch_optional(pool)
    .await?
    {
        return get(pool, project_id, id).await;
    }
    let job = training::job(pool, project_id, job_id).await?;
    if job.state != State::Succeeded {
        return Err(Error::Invalid(format!(
            "job {job_id} has not succeeded ({}): a model is made from a job that finished its training",
            job.state.as_str()
        )));
    }
    let set = label_sets::get(pool, project_id, job.label_set_version).await?;
    let output = job.dir.join(OUTPUT);
    let (named, predictions) = {
        let output = output.clone();
        tokio::task::spawn_blocking(move || {
            let named = read_small(&output.join(training::METRICS))
                .and_then(|text| serde_json::from_slice::<serde_json::Value>(&text).ok())
                .and_then(|metrics| metrics["question"].as_str().map(str::to_string));
            (named, read_small(&output.join(PREDICTIONS)))
        })
        .await
        .map_err(|error| Error::Internal(format!("reading job {job_id}'s output: {error}")))?
    };
    let question = named
        .filter(|name| set.manifest.questions.iter().any(|q| &q.name == name))
        .or_else(|| set.manifest.questions.first().map(|q| q.name.clone()))
        .ok_or_else(|| Error::Invalid(format!("label set v{} has no question", set.version)))?;
    let metrics = training::written(&job, 0).await?.1;
    let new = NewModel {
        name: question.clone(),
        version: format!("job {job_id} (label set v{})", set.version),
        question,
        positive_label: None,
        threshold: None,
    };
    let trained = Trained {
        job_id,
        label_set_id: set.id,
        output_dir: output.display().to_string(),
        metrics,
    };
    let model = create(pool, project_id, &new, Some(trained), actor).await?;
    let read = async {
        remember_test_split(pool, data_dir, pseudonymizer, &set, model.id).await?;
        if let Some(bytes) = predictions {
            let file_name = format!("job {job_id}/{PREDICTIONS}");
            let input = Input {
                file_name: &file_name,
                bytes: &bytes,
            };
            import(pool, pseudonymizer, &model, input, actor).await?;
        }
        Ok::<_, Error>(())
    };
    if let Err(error) = read.await {
        forget(pool, model.id).await?;
        return Err(error);
    }
    get(pool, project_id, model.id).await
}

/// Removes a model whose predictions could not be read, so that the job can make it again once
/// they are fixed (its registration stays in the audit log).
async fn forget(pool: &SqlitePool, id: i64) -> Result<()> {
    let mut transaction = pool.begin().await?;
    for statement in [
        "DELETE FROM model_test_studies WHERE model_id = ?",
        "DELETE FROM predictions WHERE model_id = ?",
        "DELETE FROM models WHERE id = ?",
    ] {
        sqlx::query(statement)
            .bind(id)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    Ok(())
}

async fn remember_test_split(
    pool: &SqlitePool,
    data_dir: &Path,
    pseudonymizer: &Pseudonymizer,
    set: &label_sets::LabelSet,
    model_id: i64,
) -> Result<()> {
    let dir = label_sets::set_dir(data_dir, set.project_id, set.version);
    let manifest = set.manifest.clone();
    let studies = tokio::task::spawn_blocking(move || files::read_labels(&dir, &manifest))
        .await
        .map_err(|error| Error::Internal(format!("reading a label set: {error}")))??;
    let test: std::collections::HashSet<String> = studies
        .into_iter()
        .filter(|(_, entry)| entry.split == "test")
        .map(|(study, _)| study)
        .collect();
    let key = pseudonymizer.of_project(pool, set.project_id).await?;
    let reports = sqlx::query!(
        r#"SELECT id AS "id!", accession FROM reports WHERE project_id = ?"#,
        set.project_id
    )
    .fetch_all(pool)
    .await?;
    let ids: Vec<i64> = reports
        .into_iter()
        .filter(|r| test.contains(&label_sets::study_pseudonym(&key, &r.accession)))
        .map(|r| r.id)
        .collect();
    let ids = serde_json::to_string(&ids).expect("ids serialise");
    sqlx::query!(
        "INSERT INTO model_test_studies (model_id, report_id) SELECT ?, value FROM json_each(?) WHERE 1 ON CONFLICT DO NOTHING",
        model_id,
        ids
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A plain file of the job's output (no link followed, no pipe waited on), up to 512 MiB.
fn read_small(path: &Path) -> Option<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= MAX_BYTES).then_some(bytes)
}

/// One adoption at a time: the server's watcher and a jobs page may ask at once.
static ADOPTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Makes the model of every succeeded job that wrote `predictions.csv` and has not been looked at
/// (run every few seconds by `sieve serve`, and by the jobs page before it lists the jobs). A file
/// with bad lines makes no model; the job's message says why. Returns the models made.
pub async fn adopt_jobs(
    pool: &SqlitePool,
    data_dir: &Path,
    pseudonymizer: &Pseudonymizer,
) -> Result<Vec<Model>> {
    let _one_at_a_time = ADOPTING.lock().await;
    let jobs = sqlx::query!(
        r#"SELECT id AS "id!", project_id, dir, created_by FROM jobs WHERE state = 'succeeded' AND predictions_read = 0"#
    )
    .fetch_all(pool)
    .await?;
    let mut made = Vec::new();
    for job in jobs {
        let path = Path::new(&job.dir).join(OUTPUT).join(PREDICTIONS);
        let wrote = tokio::fs::symlink_metadata(&path)
            .await
            .is_ok_and(|m| m.is_file());
        let message = match wrote {
            false => None,
            true => match from_job(
                pool,
                data_dir,
                pseudonymizer,
                job.project_id,
                job.id,
                &job.created_by,
            )
            .await
            {
                Ok(model) => {
                    made.push(model);
                    None
                }
                Err(error) => Some(format!("{PREDICTIONS} was not read: {error}")),
            },
        };
        sqlx::query!(
            "UPDATE jobs SET predictions_read = 1, message = COALESCE(?, message) WHERE id = ?",
            message,
            job.id
        )
        .execute(pool)
        .await?;
    }
    Ok(made)
}
