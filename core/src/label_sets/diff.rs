//! What changed between two label sets of a project, study by study.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{files, set_dir, verify_files, LabelSet};
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
