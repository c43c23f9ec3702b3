//! Label sets: the scientist's (and fellow's) exports of final labels, previewed before they are
//! written, listed per project, compared version to version.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A question the export can take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionChoice {
    pub id: i64,
    pub name: String,
    pub labels: Vec<String>,
}

/// What the export form asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportForm {
    pub questions: Vec<i64>,
    pub cohort: Option<i64>,
    pub soft_where_unconfirmed: bool,
    pub drop_uncertain: bool,
    pub seed: u64,
    /// Percent of patients per split.
    pub train: f64,
    pub validation: f64,
    pub test: f64,
}

impl Default for ExportForm {
    fn default() -> Self {
        ExportForm {
            questions: Vec::new(),
            cohort: None,
            soft_where_unconfirmed: true,
            drop_uncertain: false,
            seed: 1,
            train: 80.0,
            validation: 10.0,
            test: 10.0,
        }
    }
}

/// One split's size and labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitSize {
    pub name: String,
    pub studies: u64,
    pub patients: u64,
    /// (question, [(label, studies)]).
    pub labels: Vec<(String, Vec<(String, u64)>)>,
}

/// What an export would hold, shown before it is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewView {
    pub studies: u64,
    pub splits: Vec<SplitSize>,
    /// The seed the split was drawn with (shown, so a preview is never taken for another seed's).
    pub seed: u64,
}

/// A file of a label set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRow {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A label set as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetRow {
    pub version: i64,
    pub studies: i64,
    pub questions: Vec<String>,
    pub cohort: Option<String>,
    pub policy: String,
    pub seed: u64,
    pub splits: Vec<SplitSize>,
    pub files: Vec<FileRow>,
    pub manifest_sha256: String,
    pub created_by: String,
    pub created_at: String,
}

/// The label sets page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelSetsView {
    pub project_name: String,
    pub questions: Vec<QuestionChoice>,
    pub cohorts: Vec<(i64, String)>,
    pub sets: Vec<SetRow>,
}

/// What changed between two versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffView {
    pub from: i64,
    pub to: i64,
    pub added: u64,
    pub removed: u64,
    pub relabeled: u64,
    pub unchanged: u64,
    /// Studies in both whose split differs.
    pub moved: u64,
    /// What differs between the two exports, in words.
    pub causes: Vec<String>,
    /// The first relabeled studies, by study id.
    pub examples: Vec<RelabeledRow>,
    /// The first added and removed studies, by study id.
    pub added_examples: Vec<String>,
    pub removed_examples: Vec<String>,
}

/// A study whose label of one question differs between the two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelabeledRow {
    pub study: String,
    pub question: String,
    pub from: String,
    pub to: String,
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use sieve_core::label_sets::{Counts, LabelSet, Policy, Selection};
    use sieve_core::split::Shares;

    use super::*;

    pub fn spec(form: &ExportForm) -> Selection {
        Selection {
            questions: form.questions.clone(),
            cohort_id: form.cohort,
            policy: Policy {
                soft_where_unconfirmed: form.soft_where_unconfirmed,
                drop_uncertain: form.drop_uncertain,
            },
            seed: form.seed,
            shares: Shares {
                train: form.train / 100.0,
                validation: form.validation / 100.0,
                test: form.test / 100.0,
            },
        }
    }

    pub fn splits(counts: &Counts) -> Vec<SplitSize> {
        counts
            .studies
            .iter()
            .map(|(split, studies)| SplitSize {
                name: split.as_str().to_string(),
                studies: *studies,
                patients: counts.patients.get(split).copied().unwrap_or(0),
                labels: counts
                    .labels
                    .get(split)
                    .map(|questions| {
                        questions
                            .iter()
                            .map(|(q, labels)| {
                                (
                                    q.clone(),
                                    labels.iter().map(|(l, n)| (l.clone(), *n)).collect(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }

    pub fn policy_text(policy: &Policy) -> String {
        let labels = match policy.soft_where_unconfirmed {
            true => "final labels, soft where unconfirmed",
            false => "confirmed and adjudicated labels only",
        };
        match policy.drop_uncertain {
            true => format!("{labels}; uncertain dropped"),
            false => labels.to_string(),
        }
    }

    pub fn row(set: &LabelSet) -> SetRow {
        let manifest = &set.manifest;
        SetRow {
            version: set.version,
            studies: set.studies,
            questions: manifest.questions.iter().map(|q| q.name.clone()).collect(),
            cohort: manifest.cohort.clone(),
            policy: policy_text(&manifest.policy),
            seed: manifest.seed,
            splits: splits(&manifest.counts),
            files: manifest
                .files
                .iter()
                .map(|f| FileRow {
                    name: f.name.clone(),
                    bytes: f.bytes,
                    sha256: f.sha256.clone(),
                })
                .collect(),
            manifest_sha256: set.manifest_sha256.clone(),
            created_by: set.created_by.clone(),
            created_at: sieve_core::audit::format_time(set.created_at),
        }
    }
}

/// The project's label sets, with what the export form offers.
#[server(endpoint = "label_sets")]
pub async fn label_sets(project: i64) -> Result<LabelSetsView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, _, membership) =
                crate::ssr::require_project(project, Capability::ExportLabels).await?;
            let questions = sieve_core::questions::list(&state.pool, project).await?;
            let cohorts = sieve_core::cohorts::list(&state.pool, &state.indexes, project).await?;
            let sets = sieve_core::label_sets::list(&state.pool, project).await?;
            Ok(LabelSetsView {
                project_name: membership.project.name,
                questions: questions
                    .into_iter()
                    .map(|q| QuestionChoice {
                        id: q.id,
                        name: q.name,
                        labels: q.labels,
                    })
                    .collect(),
                cohorts: cohorts
                    .into_iter()
                    .map(|c| (c.cohort.id, c.cohort.name))
                    .collect(),
                sets: sets.iter().map(server::row).collect(),
            })
        }
        .await,
    )
}

/// The sizes an export would have, before it is written.
#[server(endpoint = "preview_label_set")]
pub async fn preview_label_set(project: i64, form: ExportForm) -> Result<PreviewView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, _, _) =
                crate::ssr::require_project(project, Capability::ExportLabels).await?;
            let plan = sieve_core::label_sets::plan(
                &state.labeling(),
                &state.pseudonymizer,
                project,
                &server::spec(&form),
            )
            .await?;
            Ok(PreviewView {
                studies: plan.rows.len() as u64,
                splits: server::splits(&plan.counts),
                seed: form.seed,
            })
        }
        .await,
    )
}

/// Writes the project's next label set.
#[server(endpoint = "create_label_set")]
pub async fn create_label_set(project: i64, form: ExportForm) -> Result<SetRow, AppError> {
    use sieve_core::access::Capability;
    use sieve_core::label_sets::{self, Export};
    crate::ssr::respond(
        async {
            let (state, user, membership) =
                crate::ssr::require_project(project, Capability::ExportLabels).await?;
            let plan = label_sets::plan(
                &state.labeling(),
                &state.pseudonymizer,
                project,
                &server::spec(&form),
            )
            .await?;
            let export = Export {
                data_dir: &state.settings.data_dir,
                project_id: project,
                project: &membership.project.name,
                actor: &user.name,
            };
            let set = label_sets::create(&state.pool, &export, plan).await?;
            Ok(server::row(&set))
        }
        .await,
    )
}

/// Compares two of the project's label sets.
#[server(endpoint = "diff_label_sets")]
pub async fn diff_label_sets(project: i64, from: i64, to: i64) -> Result<DiffView, AppError> {
    use sieve_core::access::Capability;
    use sieve_core::label_sets;
    crate::ssr::respond(
        async {
            let (state, _, _) =
                crate::ssr::require_project(project, Capability::ExportLabels).await?;
            let before = label_sets::get(&state.pool, project, from).await?;
            let after = label_sets::get(&state.pool, project, to).await?;
            let diff = label_sets::diff(&state.settings.data_dir, &before, &after).await?;
            Ok(DiffView {
                from: diff.from,
                to: diff.to,
                added: diff.added,
                removed: diff.removed,
                relabeled: diff.relabeled,
                unchanged: diff.unchanged,
                moved: diff.moved,
                causes: diff.causes,
                added_examples: diff.added_examples,
                removed_examples: diff.removed_examples,
                examples: diff
                    .examples
                    .into_iter()
                    .map(|relabeled| RelabeledRow {
                        study: relabeled.study,
                        question: relabeled.question,
                        from: relabeled.from,
                        to: relabeled.to,
                    })
                    .collect(),
            })
        }
        .await,
    )
}
