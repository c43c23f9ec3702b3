//! `sieve evaluate`: scores the labels of rule files against a gold file, as a fellow checks a
//! question's rules before trusting them: per question precision (PPV), recall (sensitivity), F1
//! and their counts, micro and macro averages (`sieve_core::evaluation`), and every disagreement
//! written to a CSV file to read (report, question, gold, label, rule, matched text, status).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use sieve_core::evaluation::{Scores, Tally};
use sieve_core::labeling::Negation;

use super::label::{labeler, report};
use super::Outcome;
use crate::cli::EvaluateArgs;

pub fn run(args: &EvaluateArgs) -> Outcome {
    let labeler = labeler(&args.rules, args.settings.as_deref())?;
    let names: Vec<&str> = labeler
        .questions()
        .iter()
        .map(|question| question.name.as_str())
        .collect();
    let gold = Gold::read(&args.gold, &names, &args.positive)?;
    // A question none of whose rules can give the positive label scores zero recall: say why.
    for question in labeler.questions() {
        let gives = |rule: &sieve_core::labeling::Rule| {
            let mut labels = vec![rule.label.as_str()];
            if let Negation::Route { negated, uncertain } = &rule.negation {
                labels.extend(negated.as_deref());
                labels.extend(uncertain.as_deref());
            }
            labels.contains(&args.positive.as_str())
        };
        if !question.rules.iter().any(gives) {
            let mut labels: Vec<&str> = question.rules.iter().map(|r| r.label.as_str()).collect();
            labels.sort_unstable();
            labels.dedup();
            eprintln!(
                "warning: no rule of {:?} gives the label {:?} (its rules give {}): check the \
                 spelling in the rules file, or name the positive label with --positive",
                question.name,
                args.positive,
                labels.join(", ")
            );
        }
    }
    let mut scores = Scores {
        questions: names
            .iter()
            .map(|name| (name.to_string(), Tally::default()))
            .collect(),
    };
    let mut disagreements = csv::Writer::from_path(&args.disagreements)
        .map_err(|error| format!("cannot write {}: {error}", args.disagreements.display()))?;
    disagreements.write_record([
        "report", "question", "gold", "label", "rule", "phrase", "matched", "status",
    ])?;
    let name = args.reports.display().to_string();
    let file = std::fs::File::open(&args.reports)
        .map_err(|error| format!("cannot read {name}: {error}"))?;
    let (mut scored, mut without_gold) = (0u64, 0u64);
    let mut seen = std::collections::HashSet::new();
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|error| format!("{name}: {error}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let (id, text) = report(&line, &name, number + 1)?;
        let Some(golds) = gold.labels.get(id.as_ref()) else {
            without_gold += 1;
            continue;
        };
        seen.insert(id.to_string());
        scored += 1;
        let outcomes = labeler.label(&text);
        for (n, outcome) in outcomes.iter().enumerate() {
            let Some(expected) = golds[n] else { continue };
            let label = outcome.as_ref().map(|o| o.label);
            let labeled = label == Some(args.positive.as_str());
            scores.questions[n].1.add(expected, labeled);
            if expected != labeled {
                let question = &labeler.questions()[n];
                let rule = outcome.as_ref().map(|o| (o.rule + 1).to_string());
                disagreements.write_record([
                    id.as_ref(),
                    question.name.as_str(),
                    if expected { "positive" } else { "negative" },
                    label.unwrap_or(""),
                    rule.as_deref().unwrap_or(""),
                    outcome
                        .as_ref()
                        .map_or("", |o| question.rules[o.rule].phrase.as_str()),
                    outcome.as_ref().map_or("", |o| &text[o.span.0..o.span.1]),
                    outcome.as_ref().map_or("", |o| o.status.as_str()),
                ])?;
            }
        }
    }
    disagreements.flush()?;
    if scored == 0 {
        return Err(format!(
            "no report of {name} has a row in {}: the gold file's first column must hold the reports' accession (or id)",
            args.gold.display()
        )
        .into());
    }
    print(&scores, &args.positive);
    let missing = gold.labels.len() - seen.len();
    println!(
        "\n{scored} reports with a gold row scored (a blank gold value leaves that question out \
         for the report); {without_gold} reports without a gold row left out; {missing} gold rows \
         without a report; disagreements in {}",
        args.disagreements.display()
    );
    Ok(())
}

fn print(scores: &Scores, positive: &str) {
    let shown = |value: Option<f64>| value.map_or("—".to_string(), |v| format!("{v:.3}"));
    println!("positive: the label {positive:?} (no label counts as negative)\n");
    println!(
        "{:<24} {:>7} {:>6} {:>6} {:>6} {:>6} {:>9} {:>7} {:>6}",
        "question", "studies", "gold+", "TP", "FP", "FN", "precision", "recall", "F1"
    );
    let row = |name: &str, t: &Tally| {
        println!(
            "{:<24} {:>7} {:>6} {:>6} {:>6} {:>6} {:>9} {:>7} {:>6}",
            name,
            t.studies(),
            t.true_positive + t.false_negative,
            t.true_positive,
            t.false_positive,
            t.false_negative,
            shown(t.precision()),
            shown(t.recall()),
            shown(t.f1())
        )
    };
    for (name, tally) in &scores.questions {
        row(name, tally);
    }
    row("micro average", &scores.micro());
    println!(
        "{:<24} {:>66}",
        "macro average F1",
        shown(scores.macro_f1())
    );
}

/// Gold labels by report: for each question (in the rule files' order), positive, negative or
/// none.
struct Gold {
    labels: HashMap<String, Vec<Option<bool>>>,
}

impl Gold {
    fn read(path: &Path, questions: &[&str], positive: &str) -> Result<Gold, String> {
        let name = path.display().to_string();
        let mut reader =
            csv::Reader::from_path(path).map_err(|error| format!("cannot read {name}: {error}"))?;
        let headers = reader
            .headers()
            .map_err(|error| format!("{name}: {error}"))?
            .clone();
        let key = |text: &str| text.to_lowercase().replace(['_', '-'], " ");
        let columns = questions
            .iter()
            .map(|question| {
                headers
                    .iter()
                    .position(|header| key(header) == key(question))
                    .ok_or_else(|| {
                        format!(
                            "{name} has no column for the question {question:?} (a rules file's name is its \
                             question's); its columns are {}",
                            headers.iter().collect::<Vec<_>>().join(", ")
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut labels = HashMap::new();
        for (number, record) in reader.records().enumerate() {
            let record = record.map_err(|error| format!("{name}: {error}"))?;
            let line = number + 2;
            let id = record.get(0).unwrap_or("").trim().to_string();
            if id.is_empty() {
                return Err(format!(
                    "{name}:{line}: the first column (the report) is empty"
                ));
            }
            let values = columns
                .iter()
                .map(|&column| match record.get(column).unwrap_or("").trim() {
                    "" => None,
                    "1" | "true" | "yes" => Some(true),
                    value => Some(value.eq_ignore_ascii_case(positive)),
                })
                .collect();
            if labels.insert(id.clone(), values).is_some() {
                return Err(format!("{name}:{line}: the report {id:?} has a second row"));
            }
        }
        Ok(Gold { labels })
    }
}
