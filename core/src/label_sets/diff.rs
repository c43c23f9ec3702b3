//! What changed between two label sets of a project, study by study.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{files, set_dir, verify_files, LabelSet, Manifest};
use crate::{Error, Result};

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
    /// Studies in both whose split differs (the split is stratified by label: a relabeled
    /// patient may move to another split).
    pub moved: u64,
    /// The first relabeled studies (by study id), at most [`EXAMPLES`] of them.
    pub examples: Vec<Relabeled>,
    /// What differs between the two exports' choices and inputs, in words: rule versions, cue
    /// lists and sections, seed, shares, policy, cohort (empty: the same).
    pub causes: Vec<String>,
    /// The first added and removed studies (by study id), at most [`EXAMPLES`] of each.
    pub added_examples: Vec<String>,
    pub removed_examples: Vec<String>,
}

/// How many studies of each kind a diff names.
pub const EXAMPLES: usize = 20;

/// A study whose label of one question differs between two label sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relabeled {
    /// The study's pseudonymous id.
    pub study: String,
    pub question: String,
    /// Its label in the older set (empty: none) and in the newer.
    pub from: String,
    pub to: String,
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
        causes: causes(&from.manifest, &to.manifest),
        ..Diff::default()
    };
    // In study order, so that the examples are the same at every look.
    let mut studies: Vec<&String> = after.keys().collect();
    studies.sort();
    for study in studies {
        let now = &after[study];
        let Some(old) = before.get(study) else {
            diff.added += 1;
            if diff.added_examples.len() < EXAMPLES {
                diff.added_examples.push(study.clone());
            }
            continue;
        };
        if old.split != now.split {
            diff.moved += 1;
        }
        let mut changed = false;
        for (question, label) in &now.labels {
            let was = old.labels.get(question).cloned().unwrap_or_default();
            if &was != label {
                changed = true;
                if diff.examples.len() < EXAMPLES {
                    diff.examples.push(Relabeled {
                        study: study.clone(),
                        question: question.clone(),
                        from: was,
                        to: label.clone(),
                    });
                }
            }
        }
        changed |= old
            .labels
            .keys()
            .any(|question| !now.labels.contains_key(question));
        match changed {
            true => diff.relabeled += 1,
            false => diff.unchanged += 1,
        }
    }
    let mut removed: Vec<&String> = before.keys().filter(|s| !after.contains_key(*s)).collect();
    removed.sort();
    diff.removed = removed.len() as u64;
    diff.removed_examples = removed.into_iter().take(EXAMPLES).cloned().collect();
    Ok(diff)
}

/// What differs between two exports' manifests, in words.
fn causes(from: &Manifest, to: &Manifest) -> Vec<String> {
    let (a, b) = (from.version, to.version);
    let mut causes = Vec::new();
    for question in &to.questions {
        match from.questions.iter().find(|q| q.name == question.name) {
            Some(before) if before.rule_set_version != question.rule_set_version => {
                causes.push(format!(
                    "{}: rules version {} in v{a}, {} in v{b}",
                    question.name, before.rule_set_version, question.rule_set_version
                ))
            }
            Some(_) => {}
            None => causes.push(format!("{}: only in v{b}", question.name)),
        }
    }
    for question in &from.questions {
        if !to.questions.iter().any(|q| q.name == question.name) {
            causes.push(format!("{}: only in v{a}", question.name));
        }
    }
    match (&from.text_settings, &to.text_settings) {
        (Some(before), Some(after)) if before != after => {
            causes.push("the project's cue lists or section headers changed".to_string())
        }
        (None, Some(_)) | (Some(_), None) => causes.push(format!(
            "the cue lists and section headers are not recorded in v{}",
            if from.text_settings.is_none() { a } else { b }
        )),
        _ => {}
    }
    if from.seed != to.seed {
        causes.push(format!("seed {} in v{a}, {} in v{b}", from.seed, to.seed));
    }
    if from.shares != to.shares {
        causes.push("other split shares".to_string());
    }
    if from.policy != to.policy {
        causes.push("another policy for unconfirmed or uncertain labels".to_string());
    }
    if from.cohort != to.cohort {
        causes.push("another cohort".to_string());
    }
    causes
}
