//! `sieve bench-search`: the latency of what the search page does (search, fetch a page of reports,
//! cut highlighted snippets) for a set of typical phrase searches and filters; `bench-labels` and
//! `bench-export` below, `bench-queue` in [`queue`].

pub mod feed;
pub mod models;
pub mod queue;

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

/// Loads rule files as questions of `project`, then times their soft labels: all of them from
/// scratch (an empty cache: every phrase queried, negation rules checked on their candidates), and
/// one-rule changes (a move, a disable, an enable) each written as a version and recomputed.
pub async fn labels(
    pool: &SqlitePool,
    config: &Config,
    project: &str,
    files: &[std::path::PathBuf],
    changes: u32,
) -> Outcome {
    use sieve_core::questions::{self, Change};
    use sieve_core::soft_labels::{Context, MatchCache};

    let project = projects::find_by_name(pool, project).await?;
    let indexes = Indexes::new(config.index_dir());
    let mut loaded = Vec::new();
    let existing = questions::list(pool, project.id).await?;
    for path in files {
        let spec = super::label::question(path)?;
        let question = match existing.iter().find(|q| q.name == spec.name) {
            Some(found) => found.clone(),
            None => {
                let question =
                    questions::create(pool, project.id, &spec.name, &spec.labels, None, None)
                        .await?;
                let replace = Change::ReplaceAll {
                    rules: spec.rules.clone(),
                    source: path.display().to_string(),
                };
                questions::change(pool, &question, &replace, None).await?;
                question
            }
        };
        loaded.push(question);
    }
    // Word statuses read with the project's current settings (a no-op when they are).
    indexes.refresh_statuses(pool, project.id).await?;
    let cache = MatchCache::default();
    let context = Context {
        pool,
        indexes: &indexes,
        cache: &cache,
    };
    let (mut rules, mut reading) = (0, 0);
    let started = Instant::now();
    context.prepare(&loaded).await?;
    for question in &loaded {
        let labels = context.current(question).await?;
        rules += labels.rules.rules.len();
        reading += labels
            .rules
            .rules
            .iter()
            .filter(|r| r.rule.needs_text())
            .count();
    }
    let scratch = started.elapsed().as_secs_f64();
    println!(
        "soft labels from scratch: {} questions, {rules} rules ({reading} reading negation or sections), {:.2} s",
        loaded.len(),
        scratch
    );
    // Again in the same process (its caches of the index's files warm), with no match cached.
    let again = MatchCache::default();
    let fresh = Context {
        pool,
        indexes: &indexes,
        cache: &again,
    };
    let started = Instant::now();
    fresh.prepare(&loaded).await?;
    for question in &loaded {
        std::hint::black_box(fresh.current(question).await?.resolution.labeled.len());
    }
    println!(
        "soft labels from scratch again (same process): {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let mut latencies = Vec::new();
    for round in 0..changes {
        let question = &loaded[round as usize % loaded.len()];
        let current = questions::rules(pool, question.id, None).await?;
        let count = current.rules.len();
        if count < 2 {
            continue;
        }
        let target = &current.rules[(round as usize * 7) % count];
        let change = match round % 3 {
            0 => Change::Move {
                id: target.id,
                to: (round as usize * 13) % count,
            },
            _ => {
                let mut rule = target.rule.clone();
                rule.enabled = !rule.enabled;
                Change::Edit {
                    id: target.id,
                    rule,
                    was: None,
                }
            }
        };
        let started = Instant::now();
        questions::change(pool, question, &change, Some("benchmark")).await?;
        let labels = context.current(question).await?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(labels.resolution.labeled.len());
    }
    latencies.sort_by(f64::total_cmp);
    if let (Some(first), Some(last)) = (latencies.first(), latencies.last()) {
        let at = |share: f64| {
            latencies[((latencies.len() as f64 * share).ceil() as usize).saturating_sub(1)]
        };
        println!(
            "one-rule change (write a version + recompute the question): {} changes, min {first:.1} ms, p50 {:.1} ms, p95 {:.1} ms, max {last:.1} ms",
            latencies.len(),
            at(0.50),
            at(0.95)
        );
    }
    // A cue-list change: every report's word statuses are read again, then every question's
    // soft labels are computed anew from them.
    let mut settings = questions::text_settings(pool, project.id).await?;
    let cue = format!("bench cue {}", sieve_core::now());
    settings.cues.pre_negation.push(cue.clone());
    questions::save_text_settings(pool, project.id, &settings, None, Some("benchmark")).await?;
    let started = Instant::now();
    indexes.refresh_statuses(pool, project.id).await?;
    let seconds = started.elapsed().as_secs_f64();
    let reports = indexes.get(project.id)?.num_docs();
    println!(
        "word statuses read again after a cue-list change: {reports} reports in {seconds:.2} s ({:.0} reports/s)",
        reports as f64 / seconds
    );
    let started = Instant::now();
    context.prepare(&loaded).await?;
    for question in &loaded {
        std::hint::black_box(context.current(question).await?.resolution.labeled.len());
    }
    println!(
        "soft labels with the new statuses (the rules that read them computed again): {:.2} s",
        started.elapsed().as_secs_f64()
    );
    settings.cues.pre_negation.retain(|c| *c != cue);
    questions::save_text_settings(pool, project.id, &settings, None, Some("benchmark")).await?;
    indexes.refresh_statuses(pool, project.id).await?;
    Ok(())
}

/// `sieve bench-export`: the time to export a label set of `reports` studies (all labeled by soft
/// labels, some confirmed), files and manifest included, over `rounds` exports; then the time to
/// verify one against its manifest (what every launch does).
pub async fn export(reports: u64, rounds: u32) -> Outcome {
    use sieve_core::label_sets::{self, Export, Policy, Selection};
    use sieve_core::labeling::{Negation, Rule};
    use sieve_core::questions::{self, Change};
    let scratch = queue::scratch(reports).await?;
    let state = &scratch.state;
    // Every report has an impression: a last rule labels the studies no finding rule matched, so
    // that every study is exported.
    let rest = Rule {
        phrase: "impression".into(),
        label: "absent".into(),
        negation: Negation::Any,
        sections: Vec::new(),
        enabled: true,
    };
    let change = Change::Add {
        rule: rest,
        at: None,
    };
    questions::change(&scratch.pool, &scratch.question, &change, None).await?;
    let spec = Selection {
        questions: vec![scratch.question.id],
        cohort_id: None,
        policy: Policy {
            soft_where_unconfirmed: true,
            drop_uncertain: false,
        },
        seed: 7,
        shares: sieve_core::split::Shares {
            train: 0.8,
            validation: 0.1,
            test: 0.1,
        },
    };
    // Warm the soft labels once, as a scientist's preview does before the export.
    label_sets::plan(
        &state.labeling(),
        &state.pseudonymizer,
        scratch.project_id,
        &spec,
    )
    .await?;
    let mut seconds = Vec::new();
    let mut last = None;
    for _ in 0..rounds {
        let started = Instant::now();
        let plan = label_sets::plan(
            &state.labeling(),
            &state.pseudonymizer,
            scratch.project_id,
            &spec,
        )
        .await?;
        let export = Export {
            data_dir: &scratch.config.data_dir,
            project_id: scratch.project_id,
            project: "Load",
            actor: "benchmark",
        };
        let set = label_sets::create(&scratch.pool, &export, plan).await?;
        seconds.push(started.elapsed().as_secs_f64());
        last = Some(set);
    }
    let set = last.ok_or("give --rounds 1 or more")?;
    seconds.sort_by(f64::total_cmp);
    let bytes: u64 = set.manifest.files.iter().map(|f| f.bytes).sum();
    println!(
        "export of {} studies of {reports} reports (CSV, JSON lines, Parquet, texts, manifest; {:.1} MB): median {:.2} s, max {:.2} s over {rounds} exports",
        set.studies,
        bytes as f64 / 1e6,
        seconds[seconds.len() / 2],
        seconds[seconds.len() - 1]
    );
    let started = Instant::now();
    label_sets::verify(&scratch.config.data_dir, &set).await?;
    println!(
        "verify against the manifest (before each launch): {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
