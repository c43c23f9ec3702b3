//! `sieve predictions import` (a model's outputs from a file, as the REST API reads them) and
//! `sieve model-stats` (the validation statistics of a file of outcomes, for checking them against
//! reference implementations).

use std::path::Path;

use serde::Serialize;
use sieve_core::models::statistics::{roc_auc, Auc, Confusion, Proportion};
use sqlx::SqlitePool;

use super::Outcome;
use crate::config::Config;

/// Reads `file` into the predictions of model `name` `version` of `project`.
pub async fn import(
    pool: &SqlitePool,
    config: &Config,
    project: &str,
    name: &str,
    version: &str,
    file: &Path,
) -> Outcome {
    let project = sieve_core::projects::find_by_name(pool, project).await?;
    let models = sieve_core::models::list(pool, project.id).await?;
    let model = models
        .into_iter()
        .find(|m| m.name.eq_ignore_ascii_case(name) && m.version == version)
        .ok_or_else(|| format!("{} has no model {name} version {version}", project.name))?;
    let bytes =
        std::fs::read(file).map_err(|error| format!("cannot read {}: {error}", file.display()))?;
    let pseudonymizer = sieve_core::pseudonym::Pseudonymizer::load_or_create(&config.data_dir)?;
    let file_name = file.display().to_string();
    let input = sieve_core::models::Input {
        file_name: &file_name,
        bytes: &bytes,
    };
    let started = std::time::Instant::now();
    let imported = sieve_core::models::import(pool, &pseudonymizer, &model, input, "cli").await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "imported {} predictions of {} {} ({} new, {} replaced) in {seconds:.2} s ({:.0} a second); the server raises any alarm within seconds",
        imported.predictions,
        model.name,
        model.version,
        imported.new,
        imported.replaced,
        imported.predictions as f64 / seconds
    );
    Ok(())
}

#[derive(Serialize)]
struct Stats {
    confusion: Confusion,
    sensitivity: Option<Proportion>,
    specificity: Option<Proportion>,
    ppv: Option<Proportion>,
    npv: Option<Proportion>,
    accuracy: Option<Proportion>,
    auc: Option<Auc>,
}

/// Prints the statistics of a CSV file with columns `reference` and `model` (1 positive, 0
/// negative) and optionally `score`, as JSON.
pub fn stats(file: &Path) -> Outcome {
    let mut reader = csv::Reader::from_path(file)
        .map_err(|error| format!("cannot read {}: {error}", file.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(reference), Some(model)) = (column("reference"), column("model")) else {
        return Err("the file needs the columns reference and model (and optionally score)".into());
    };
    let score = column("score");
    let mut confusion = Confusion::default();
    let mut scored = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record?;
        let flag = |at: usize| match record.get(at).map(str::trim) {
            Some("1") => Ok(true),
            Some("0") => Ok(false),
            other => Err(format!("line {}: {other:?} is not 0 or 1", line + 2)),
        };
        let (truth, called) = (flag(reference)?, flag(model)?);
        confusion.add(truth, called);
        if let Some(at) = score {
            let value: f64 = record.get(at).unwrap_or_default().trim().parse()?;
            scored.push((value, truth));
        }
    }
    let stats = Stats {
        confusion,
        sensitivity: confusion.sensitivity(),
        specificity: confusion.specificity(),
        ppv: confusion.ppv(),
        npv: confusion.npv(),
        accuracy: confusion.accuracy(),
        auc: roc_auc(&scored),
    };
    println!("{}", serde_json::to_string_pretty(&stats)?);
    Ok(())
}
