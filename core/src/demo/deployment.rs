//! The demo's deployed model: a project of a year of consecutive chest and head studies, a model
//! version that scored every one of them, and a drop of its sensitivity near the end — so that a
//! new user sees the over-time chart with the baseline, the control limit and an alarm on first
//! start. The predictions are synthetic: each study's reference label is what the demo's rules say
//! of its text, and the model agrees with it at a set sensitivity and specificity.

use sqlx::SqlitePool;

use crate::auth::ProjectRole;
use crate::corpus::{self, Rng};
use crate::labeling::{Labeler, TextSettings};
use crate::models::{self, Input, NewModel, Watching};
use crate::pseudonym::Pseudonymizer;
use crate::{projects, questions, reports, Result};

pub const PROJECT_NAME: &str = "Demo: deployed model monitoring";
pub const IRB_PROTOCOL: &str = "DEMO-2026-002";
pub const MODEL_NAME: &str = "EffusionNet";
pub const MODEL_VERSION: &str = "2.1";
/// Days of consecutive studies, and studies a day.
const DAYS: i32 = 365;
const STUDIES_PER_DAY: u64 = 40;
/// The first day.
const FIRST_DAY: &str = "2025-12-01";
/// Days of the baseline, from the first.
const BASELINE_DAYS: i32 = 120;
/// The day from which the model misses more effusions (a scanner's new reconstruction, say).
const DRIFT_FROM: i32 = 320;
const SEED: u64 = 2027;

/// Creates the project (members: the demo's fellow and scientist), its question, studies, model
/// and predictions.
pub async fn seed(pool: &SqlitePool, pseudonymizer: &Pseudonymizer) -> Result<()> {
    let project = projects::create(pool, PROJECT_NAME, IRB_PROTOCOL, None).await?;
    for (name, _, role) in super::USERS {
        if let Some(role @ (ProjectRole::Fellow | ProjectRole::Scientist)) = role {
            projects::add_member(pool, PROJECT_NAME, name, role, None).await?;
        }
    }
    let first = models::day_number(FIRST_DAY).expect("a date");
    let studies: Vec<_> = (0..DAYS as u64 * STUDIES_PER_DAY)
        .map(|index| {
            let mut report = corpus::report(SEED, index, 4_000);
            let day = first + (index / STUDIES_PER_DAY) as i32;
            report.study_date = models::day_text(day);
            report.accession = format!("MON{index:07}");
            report
        })
        .collect();
    for batch in studies.chunks(2_000) {
        reports::store_batch(pool, project.id, pseudonymizer, batch).await?;
    }
    super::seed_question(pool, project.id).await?;
    let question = questions::list(pool, project.id).await?.remove(0);
    let rules = questions::rules(pool, question.id, None).await?;
    let labeler = Labeler::new(vec![rules.rule_book(&question)], &TextSettings::default())?;
    let model = models::register(
        pool,
        project.id,
        &NewModel {
            name: MODEL_NAME.into(),
            version: MODEL_VERSION.into(),
            question: question.name.clone(),
            positive_label: Some("present".into()),
            threshold: Some(0.5),
        },
        "scientist",
    )
    .await?;
    let mut rng = Rng::new(SEED);
    let mut csv = String::from("accession,score,predicted_at\n");
    for (index, study) in studies.iter().enumerate() {
        // A study the rules leave unlabeled is predicted like the rest (it has no reference).
        let outcomes = labeler.label(&study.report_text);
        let present = outcomes[0].as_ref().is_some_and(|o| o.label == "present");
        let day = index as i32 / STUDIES_PER_DAY as i32;
        let sensitivity = if day >= DRIFT_FROM { 0.62 } else { 0.93 };
        let positive = match present {
            true => rng.chance(sensitivity),
            false => !rng.chance(0.95),
        };
        let spread = (rng.below(1000) as f64) / 1000.0 * 0.49;
        let score = if positive {
            0.51 + spread
        } else {
            0.49 - spread
        };
        csv.push_str(&format!(
            "{},{score:.3},{}T08:00:00Z\n",
            study.accession, study.study_date
        ));
    }
    let input = Input {
        file_name: "EffusionNet-2.1-outputs.csv",
        bytes: csv.as_bytes(),
    };
    models::import(pool, pseudonymizer, &model, input, "scientist").await?;
    let watching = Watching {
        baseline_from: Some(FIRST_DAY.into()),
        baseline_to: Some(models::day_text(first + BASELINE_DAYS - 1)),
        ..Watching::default()
    };
    models::save_watching(pool, &model, &watching, "scientist").await?;
    Ok(())
}
