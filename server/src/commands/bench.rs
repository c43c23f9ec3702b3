//! `sieve bench-search`: the latency of what the search page does (search, fetch a page of reports,
//! cut highlighted snippets) for a set of typical phrase searches and filters.

use std::time::Instant;

use sieve_core::projects;
use sieve_core::search::{search_reports, Filter, Indexes};
use sqlx::SqlitePool;

use super::Outcome;
use crate::config::Config;

/// Searches a fellow typically runs: phrases, negations, uncertainty, and a filtered one.
fn searches() -> Vec<Filter> {
    let phrase = |text: &str| Filter {
        text: text.to_string(),
        ..Filter::default()
    };
    vec![
        phrase("\"no pneumothorax\""),
        phrase("\"pleural effusion\""),
        phrase("\"cannot be excluded\""),
        phrase("consolidation"),
        phrase("\"midline shift\""),
        phrase("\"acute infarct\" OR hemorrhage"),
        phrase("cardiomegaly -\"no cardiomegaly\""),
        Filter {
            text: "\"pulmonary edema\"".into(),
            date_from: Some("2018-01-01".into()),
            date_to: Some("2022-12-31".into()),
            modalities: vec!["DX".into(), "CR".into()],
            ..Filter::default()
        },
    ]
}

pub async fn search(pool: &SqlitePool, config: &Config, project: &str, rounds: u32) -> Outcome {
    let project = projects::find_by_name(pool, project).await?;
    let indexes = Indexes::new(config.index_dir());
    let index = indexes.get(project.id)?;
    let mut index_only = Vec::new();
    for filter in searches() {
        let started = Instant::now();
        let hits = index.search(&filter, 0, 20)?;
        index_only.push((
            filter.text.clone(),
            started.elapsed().as_secs_f64() * 1000.0,
            hits.total,
        ));
    }
    for (text, ms, total) in &index_only {
        eprintln!("  index only: {ms:6.1} ms  {total:>7} hits  {text}");
    }
    let mut latencies = Vec::new();
    for _ in 0..rounds {
        for filter in searches() {
            let started = Instant::now();
            let page =
                search_reports(pool, &indexes, project.id, &filter, 0, 20, "benchmark").await?;
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(page);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let at = |share: f64| {
        latencies[((latencies.len() as f64 * share).ceil() as usize).saturating_sub(1)]
    };
    println!(
        "{} searches (page of 20 with snippets): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        at(0.50),
        at(0.95),
        at(0.99),
        latencies.last().copied().unwrap_or_default()
    );
    Ok(())
}
