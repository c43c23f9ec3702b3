//! A project's questions (fellows): listed with their coverage, created, archived and restored
//! (an archived question leaves the list, the queues and the choices of a new label set; its
//! rules, answers and label sets are kept), and the project's cue lists and section headers.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A question in the project's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionRow {
    pub id: i64,
    pub name: String,
    pub labels: Vec<String>,
    pub cohort: Option<String>,
    pub rules: usize,
    pub labeled: u64,
    pub total: u64,
}

/// The questions page: the questions, the cohorts a new one may apply to, the text settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionsView {
    pub questions: Vec<QuestionRow>,
    /// Archived questions, by name.
    pub archived: Vec<ArchivedQuestion>,
    pub cohorts: Vec<(i64, String)>,
    pub settings: SettingsForm,
    /// The cue presets a fellow can start from: (name, what it holds).
    pub presets: Vec<(String, String)>,
    /// The reading the questions' soft labels were computed from (see `Board::statuses`).
    pub statuses: Option<String>,
}

/// An archived question, listed with Restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedQuestion {
    pub id: i64,
    pub name: String,
    pub labels: Vec<String>,
}

/// A project's cue lists and section headers, one entry per line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsForm {
    pub pre_negation: String,
    pub post_negation: String,
    pub pre_uncertainty: String,
    pub post_uncertainty: String,
    pub pseudo: String,
    pub termination: String,
    pub normal: String,
    pub section_headers: String,
    /// The fingerprint of the saved settings the form was loaded with (empty: not checked).
    #[serde(default)]
    pub loaded: String,
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use sieve_core::soft_labels::Labels;

    use super::QuestionRow;

    pub fn question_row(labels: &Labels, cohort: Option<String>) -> QuestionRow {
        QuestionRow {
            id: labels.question.id,
            name: labels.question.name.clone(),
            labels: labels.question.labels.clone(),
            cohort,
            rules: labels.rules.rules.len(),
            labeled: labels.resolution.labeled.len(),
            total: labels.cohort.len(),
        }
    }

    pub fn lines(list: &[String]) -> String {
        list.join("\n")
    }

    /// Text settings as the form shows them, one entry per line.
    pub fn form(settings: &sieve_core::labeling::TextSettings) -> super::SettingsForm {
        let cues = &settings.cues;
        super::SettingsForm {
            pre_negation: lines(&cues.pre_negation),
            post_negation: lines(&cues.post_negation),
            pre_uncertainty: lines(&cues.pre_uncertainty),
            post_uncertainty: lines(&cues.post_uncertainty),
            pseudo: lines(&cues.pseudo),
            termination: lines(&cues.termination),
            normal: lines(&cues.normal),
            section_headers: lines(&settings.section_headers),
            loaded: sieve_core::questions::fingerprint(settings),
        }
    }

    pub fn unlines(text: &str) -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// Returns a project's questions with their coverage (fellows).
#[server(endpoint = "questions")]
pub async fn questions(project: i64) -> Result<QuestionsView, AppError> {
    use sieve_core::access::Capability;
    use sieve_core::questions;
    crate::ssr::respond(
        async {
            let (state, _, _) =
                crate::ssr::require_project(project, Capability::ManageRules).await?;
            let cohorts: Vec<(i64, String)> =
                sieve_core::cohorts::list(&state.pool, &state.indexes, project)
                    .await?
                    .into_iter()
                    .map(|c| (c.cohort.id, c.cohort.name))
                    .collect();
            let (mut rows, mut statuses) = (Vec::new(), None);
            let listed = questions::list(&state.pool, project).await?;
            state.labeling().prepare(&listed).await?;
            for question in listed {
                let labels = state.labeling().current(&question).await?;
                statuses.get_or_insert_with(|| labels.statuses.clone());
                let cohort = question.cohort_id.and_then(|id| {
                    cohorts
                        .iter()
                        .find(|(c, _)| *c == id)
                        .map(|(_, name)| name.clone())
                });
                rows.push(server::question_row(&labels, cohort));
            }
            let settings = questions::text_settings(&state.pool, project).await?;
            let archived = questions::archived(&state.pool, project)
                .await?
                .into_iter()
                .map(|question| ArchivedQuestion {
                    id: question.id,
                    name: question.name,
                    labels: question.labels,
                })
                .collect();
            Ok(QuestionsView {
                questions: rows,
                archived,
                cohorts,
                presets: sieve_core::labeling::Preset::ALL
                    .iter()
                    .map(|preset| (preset.name().to_string(), preset.described().to_string()))
                    .collect(),
                settings: server::form(&settings),
                statuses,
            })
        }
        .await,
    )
}

/// A question a phrase selected in a report can be added to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhraseTarget {
    pub id: i64,
    pub name: String,
    pub labels: Vec<String>,
}

/// The questions the report viewer offers for "add as phrase": those of the project for fellows,
/// none for other members (who may read reports but not write rules).
#[server(endpoint = "phrase_targets")]
pub async fn phrase_targets(project: i64) -> Result<Vec<PhraseTarget>, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, _, membership) =
                crate::ssr::require_project(project, Capability::ReadReports).await?;
            if !sieve_core::access::allows(&membership, Capability::ManageRules) {
                return Ok(Vec::new());
            }
            Ok(sieve_core::questions::list(&state.pool, project)
                .await?
                .into_iter()
                .map(|q| PhraseTarget {
                    id: q.id,
                    name: q.name,
                    labels: q.labels,
                })
                .collect())
        }
        .await,
    )
}

/// Creates a question (fellows); `labels` comma-separated; returns its id.
#[server(endpoint = "create_question")]
pub async fn create_question(
    project: i64,
    name: String,
    labels: String,
    cohort: Option<i64>,
) -> Result<i64, AppError> {
    use sieve_core::access::Capability;
    use sieve_core::questions;
    crate::ssr::respond(
        async {
            let (state, user, _) =
                crate::ssr::require_project(project, Capability::ManageRules).await?;
            let labels = questions::parse_labels(&labels)?;
            let question = questions::create(
                &state.pool,
                project,
                &name,
                &labels,
                cohort,
                Some(&user.name),
            )
            .await?;
            Ok(question.id)
        }
        .await,
    )
}

/// Saves the project's cue lists and section headers (fellows).
#[server(endpoint = "save_text_settings")]
pub async fn save_text_settings(project: i64, form: SettingsForm) -> Result<(), AppError> {
    use sieve_core::access::Capability;
    use sieve_core::labeling::{Cues, TextSettings};
    crate::ssr::respond(
        async {
            let (state, user, _) =
                crate::ssr::require_project(project, Capability::ManageRules).await?;
            let settings = TextSettings {
                cues: Cues {
                    pre_negation: server::unlines(&form.pre_negation),
                    post_negation: server::unlines(&form.post_negation),
                    pre_uncertainty: server::unlines(&form.pre_uncertainty),
                    post_uncertainty: server::unlines(&form.post_uncertainty),
                    pseudo: server::unlines(&form.pseudo),
                    termination: server::unlines(&form.termination),
                    normal: server::unlines(&form.normal),
                },
                section_headers: server::unlines(&form.section_headers),
            };
            let loaded = Some(form.loaded.as_str()).filter(|loaded| !loaded.is_empty());
            sieve_core::questions::save_text_settings(
                &state.pool,
                project,
                &settings,
                loaded,
                Some(&user.name),
            )
            .await?;
            Ok(())
        }
        .await,
    )
}

/// The cue lists of a preset (by its name), with the project's section headers, to fill the form
/// with (fellows); nothing is saved until the fellow saves the form.
#[server(endpoint = "cue_preset")]
pub async fn cue_preset(project: i64, preset: String) -> Result<SettingsForm, AppError> {
    use sieve_core::access::Capability;
    use sieve_core::labeling::{Preset, TextSettings};
    crate::ssr::respond(
        async {
            let (state, _, _) =
                crate::ssr::require_project(project, Capability::ManageRules).await?;
            let preset = Preset::parse(&preset).ok_or_else(|| {
                sieve_core::Error::Invalid(format!(
                    "{preset:?} is not a cue preset; choose NegEx, ConText or Sieve radiology"
                ))
            })?;
            let current = sieve_core::questions::text_settings(&state.pool, project).await?;
            Ok(server::form(&TextSettings {
                cues: preset.cues(),
                section_headers: current.section_headers,
            }))
        }
        .await,
    )
}

/// Whether the project's reports are being read again with new cue lists or section headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingState {
    /// While they are: what that means for the soft labels shown, with its progress.
    pub under_way: Option<String>,
    /// The fingerprint of the reading soft labels are computed from now (see `Board::statuses`).
    pub statuses: Option<String>,
}

/// How the project's reports are read now (fellows): a page compares it with the reading its
/// labels came from.
#[server(endpoint = "reading_again")]
pub async fn reading_again(project: i64) -> Result<ReadingState, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, _, _) =
                crate::ssr::require_project(project, Capability::ManageRules).await?;
            let stale = state.indexes.stale(&state.pool, project).await?;
            Ok(ReadingState {
                under_way: stale.map(|stale| stale.describe()),
                statuses: state.indexes.statuses_fingerprint(project)?,
            })
        }
        .await,
    )
}

/// Archives a question (fellows).
#[server(endpoint = "archive_question")]
pub async fn archive_question(project: i64, id: i64) -> Result<(), AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, user, _) =
                crate::ssr::require_project(project, Capability::ManageRules).await?;
            sieve_core::questions::archive(&state.pool, project, id, &user.name).await?;
            Ok(())
        }
        .await,
    )
}

/// Restores an archived question to the list and the queues (fellows).
#[server(endpoint = "restore_question")]
pub async fn restore_question(project: i64, id: i64) -> Result<(), AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, user, _) =
                crate::ssr::require_project(project, Capability::ManageRules).await?;
            sieve_core::questions::restore(&state.pool, project, id, &user.name).await?;
            Ok(())
        }
        .await,
    )
}
