//! `sieve label`: the offline labeler. Applies rule files to a JSON-lines file of reports and writes,
//! per report and question, the soft label, the rule that gave it, the matched span and its
//! negation status — with the engine the server uses, so both agree report for report.
//!
//! The output is written to a temporary file and renamed at the end: a bad line anywhere leaves no
//! partial output behind.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sieve_core::labeling::file::{self, Format};
use sieve_core::labeling::{Labeler, RuleBook, TextSettings};

use super::Outcome;
use crate::cli::LabelArgs;

/// Reports labeled per step: each step is split between the cores.
const BATCH: usize = 8_192;

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(borrow)]
    accession: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    report_text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct Line<'a> {
    report: &'a str,
    question: &'a str,
    label: Option<&'a str>,
    /// The rule's priority (1 = highest).
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phrase: Option<&'a str>,
    /// Byte offsets of the match in the report text.
    #[serde(skip_serializing_if = "Option::is_none")]
    span: Option<(usize, usize)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    matched: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
}

pub fn run(args: &LabelArgs) -> Outcome {
    let labeler = labeler(&args.rules, args.settings.as_deref())?;
    let started = Instant::now();
    let temporary = args.out.with_extension("partial");
    let (reports, bytes) = label_file(&labeler, &args.reports, &temporary).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })?;
    std::fs::rename(&temporary, &args.out)
        .map_err(|error| format!("cannot write {}: {error}", args.out.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "labeled {reports} reports ({:.1} MB of text) for {} question(s) in {seconds:.2} s: {:.1} MB/s; wrote {}",
        bytes as f64 / 1e6,
        labeler.questions().len(),
        bytes as f64 / 1e6 / seconds,
        args.out.display()
    );
    Ok(())
}

/// The labeler of rule files, with the text settings of a YAML file (Sieve's by default).
pub fn labeler(rules: &[PathBuf], settings: Option<&Path>) -> Result<Labeler, String> {
    let settings = match settings {
        None => TextSettings::default(),
        Some(path) => serde_yaml::from_str(&read(path)?)
            .map_err(|error| format!("{}: {error}", path.display()))?,
    };
    let questions = rules
        .iter()
        .map(|path| question(path))
        .collect::<Result<Vec<_>, _>>()?;
    Labeler::new(questions, &settings).map_err(|error| error.to_string())
}

/// Reads one line of a reports file: the report's accession (or id) and text.
pub fn report<'l>(
    line: &'l str,
    name: &str,
    number: usize,
) -> Result<(Cow<'l, str>, Cow<'l, str>), String> {
    let report: Report = serde_json::from_str(line)
        .map_err(|error| format!("{name}:{number}: not a report as JSON: {error}"))?;
    let text = report
        .report_text
        .or(report.text)
        .ok_or_else(|| format!("{name}:{number}: report_text: missing"))?;
    let id = report
        .accession
        .or(report.id)
        .ok_or_else(|| format!("{name}:{number}: accession: missing (or give an id)"))?;
    Ok((id, text))
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))
}

/// Reads one question's rule file; errors name the file and line.
pub fn question(path: &Path) -> Result<RuleBook, String> {
    let name = path.display().to_string();
    let format = Format::of_path(&name)
        .ok_or_else(|| format!("{name}: a rules file ends in .csv, .yaml or .yml"))?;
    let rules = file::read(format, &read(path)?, None).map_err(|errors| {
        errors
            .iter()
            .map(|error| format!("{name}:{}: {}", error.line, error.message))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let stem = path
        .file_stem()
        .map_or(name.clone(), |s| s.to_string_lossy().into_owned());
    Ok(rules.into_question(&stem))
}

/// Labels every report of `input` into `output`; returns the reports and bytes of text read.
fn label_file(labeler: &Labeler, input: &Path, output: &Path) -> Result<(u64, u64), String> {
    let name = input.display().to_string();
    let file =
        std::fs::File::open(input).map_err(|error| format!("cannot read {name}: {error}"))?;
    let sink = std::fs::File::create(output)
        .map_err(|error| format!("cannot write {}: {error}", output.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut writer = BufWriter::with_capacity(1 << 20, sink);
    let (mut reports, mut bytes, mut line_number) = (0u64, 0u64, 0usize);
    loop {
        let mut lines = Vec::with_capacity(BATCH);
        for _ in 0..BATCH {
            let mut line = String::new();
            let read = reader
                .read_line(&mut line)
                .map_err(|error| format!("{name}: {error}"))?;
            if read == 0 {
                break;
            }
            line_number += 1;
            if !line.trim().is_empty() {
                lines.push((line_number, line));
            }
        }
        if lines.is_empty() {
            break;
        }
        let (out, text_bytes) = label_batch(labeler, &lines, &name)?;
        writer
            .write_all(&out)
            .map_err(|error| format!("cannot write {}: {error}", output.display()))?;
        reports += lines.len() as u64;
        bytes += text_bytes;
    }
    writer
        .flush()
        .map_err(|error| format!("cannot write {}: {error}", output.display()))?;
    Ok((reports, bytes))
}

/// Labels a batch of lines on every core, keeping their order.
fn label_batch(
    labeler: &Labeler,
    lines: &[(usize, String)],
    name: &str,
) -> Result<(Vec<u8>, u64), String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = lines.len().div_ceil(cores).max(1);
    let parts: Vec<Result<(Vec<u8>, u64), String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = lines
            .chunks(chunk)
            .map(|part| scope.spawn(move || label_lines(labeler, part, name)))
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a labeling thread panicked"))
            .collect()
    });
    let mut out = Vec::new();
    let mut bytes = 0;
    for part in parts {
        let (part, part_bytes) = part?;
        out.extend_from_slice(&part);
        bytes += part_bytes;
    }
    Ok((out, bytes))
}

fn label_lines(
    labeler: &Labeler,
    lines: &[(usize, String)],
    name: &str,
) -> Result<(Vec<u8>, u64), String> {
    let mut out = Vec::with_capacity(lines.len() * 200);
    let mut bytes = 0;
    for (number, line) in lines {
        let (id, text) = report(line, name, *number)?;
        bytes += text.len() as u64;
        let outcomes = labeler.label(&text);
        for (question, outcome) in labeler.questions().iter().zip(outcomes) {
            let line = Line {
                report: &id,
                question: &question.name,
                label: outcome.as_ref().map(|o| o.label),
                rule: outcome.as_ref().map(|o| o.rule + 1),
                phrase: outcome
                    .as_ref()
                    .map(|o| question.rules[o.rule].phrase.as_str()),
                span: outcome.as_ref().map(|o| o.span),
                matched: outcome.as_ref().map(|o| &text[o.span.0..o.span.1]),
                status: outcome.as_ref().map(|o| o.status.as_str()),
            };
            serde_json::to_writer(&mut out, &line).expect("writing to memory");
            out.push(b'\n');
        }
    }
    Ok((out, bytes))
}
