//! `sieve bench-models`: a model's predictions of `n` studies over two years of days imported into
//! a temporary install (predictions a second), then its over-time view (all days and weeks with
//! the alarms' rules) timed: the first view, which reads the predictions into memory, and the
//! views after it.

use std::time::Instant;

use sieve_core::models::{self, Input, NewModel, Sources};

use super::queue::scratch_of;
use crate::commands::Outcome;

/// Days the studies are spread over.
const DAYS: u64 = 730;

pub async fn run(predictions: u64, rounds: u32) -> Outcome {
    let first = models::day_number("2024-01-01").expect("a date");
    let corpus: Vec<_> = sieve_core::corpus::generate(11, predictions)
        .enumerate()
        .map(|(index, mut report)| {
            report.study_date = models::day_text(first + (index as u64 % DAYS) as i32);
            report
        })
        .collect();
    let accessions: Vec<String> = corpus.iter().map(|r| r.accession.clone()).collect();
    println!("{predictions} studies over {DAYS} days: storing and indexing …");
    let scratch = scratch_of(corpus).await?;
    let state = &scratch.state;
    let model = models::register(
        &scratch.pool,
        scratch.project_id,
        &NewModel {
            name: "Bench".into(),
            version: "1".into(),
            question: scratch.question.name.clone(),
            positive_label: Some("present".into()),
            threshold: Some(0.5),
        },
        "benchmark",
    )
    .await?;
    let mut csv = String::from("accession,score\n");
    for (index, accession) in accessions.iter().enumerate() {
        let score = (index * 7919 % 1000) as f64 / 1000.0;
        csv.push_str(&format!("{accession},{score}\n"));
    }
    let started = Instant::now();
    let input = Input {
        file_name: "bench.csv",
        bytes: csv.as_bytes(),
    };
    let imported = models::import(
        &scratch.pool,
        &state.pseudonymizer,
        &model,
        input,
        "benchmark",
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "import: {} predictions ({:.1} MB) in {seconds:.2} s = {:.0} predictions a second",
        imported.predictions,
        csv.len() as f64 / 1e6,
        imported.predictions as f64 / seconds
    );
    let model = models::get(&scratch.pool, scratch.project_id, model.id).await?;
    let labeling = state.labeling();
    let started = Instant::now();
    let view = models::over_time(&labeling, &state.models, &model, Sources::All).await?;
    println!(
        "over-time view, first (reads the predictions into memory, computes the soft labels): {:.0} ms; {} days, {} weeks, {} studies with a reference label",
        started.elapsed().as_secs_f64() * 1e3,
        view.days.len(),
        view.weeks.len(),
        view.days.iter().map(|d| d.studies).sum::<u64>()
    );
    let mut times = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        models::over_time(&labeling, &state.models, &model, Sources::All).await?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "over-time view, next {rounds}: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        at(0.5),
        at(0.95),
        at(1.0)
    );
    Ok(())
}
