//! The rows of a label set before it is written: each study's final label per question as the
//! policy takes it, pseudonymous study ids, the patient-level split, and what they add up to.

use std::collections::{BTreeMap, HashMap};

use super::{files, Cell, Counts, Evidence, Plan, Policy, QuestionEntry, Row, Selection};
use crate::pseudonym::Pseudonymizer;
use crate::questions;
use crate::soft_labels::Context;
use crate::split::{self, Split};
use crate::{Error, Result};

/// The name of a label set's pseudonymous study id: a keyed hash of the accession number.
pub(crate) fn study_pseudonym(pseudonymizer: &Pseudonymizer, accession: &str) -> String {
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
