//! Phrase rules and their soft labels: the fellow's prioritization screen. Every change returns
//! the question's whole board (counts, distribution, coverage), so the screen updates in one round
//! trip. The rule's matched reports are in [`reports`], its versions in [`versions`]; the
//! questions themselves in [`crate::api::questions`].

pub mod reports;
pub mod versions;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::questions::QuestionRow;
use crate::error::AppError;

/// A rule as the rule form edits it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleForm {
    pub phrase: String,
    pub label: String,
    /// any, affirmed or route.
    pub negation: String,
    /// With route: the label of negated and of uncertain mentions (empty: they do not count).
    pub negated: String,
    pub uncertain: String,
    /// Section headers, comma-separated; empty: the whole report.
    pub sections: String,
    pub enabled: bool,
}

/// A rule in its place, with its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    pub id: u32,
    pub form: RuleForm,
    pub matches: u64,
    pub effective: u64,
    pub overlaps: u64,
    pub conflicts: u64,
}

/// A question's rules and soft labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    pub project_name: String,
    pub question: QuestionRow,
    pub version: i64,
    pub sections: Vec<String>,
    /// Studies per label, in the question's label order.
    pub distribution: Vec<(String, u64)>,
    pub labeled: u64,
    pub conflicted: u64,
    pub unlabeled: u64,
    pub rules: Vec<RuleRow>,
    /// How long the labels took to compute on the server.
    pub elapsed_ms: f64,
    /// The fingerprint of the reading (cue lists, section headers) the labels were computed from:
    /// while the page is open, a later one means its labels are out of date.
    pub statuses: String,
}

/// What a rule would do before it is saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewView {
    pub matches: u64,
    pub newly: Vec<(String, u64)>,
    /// (phrase of a rule below, studies taken from it).
    pub taken: Vec<(String, u64)>,
}

#[cfg(feature = "ssr")]
mod server {
    use sieve_core::labeling::{Negation, Rule, TextSettings};
    use sieve_core::questions::{self, Question};
    use sieve_core::soft_labels::Labels;

    use crate::api::questions::server::question_row;

    use super::*;

    /// The rule the form describes; a negation mode the form cannot have sent is refused.
    pub fn rule_of(form: &RuleForm) -> Result<Rule, AppError> {
        let negation = Negation::from_mode(
            &form.negation,
            Some(form.negated.clone()),
            Some(form.uncertain.clone()),
        )
        .map_err(sieve_core::Error::from)?;
        Ok(Rule {
            phrase: form.phrase.trim().to_string(),
            label: form.label.trim().to_string(),
            negation,
            sections: form
                .sections
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            enabled: form.enabled,
        })
    }

    pub fn form_of(rule: &Rule) -> RuleForm {
        let (negated, uncertain) = match &rule.negation {
            Negation::Route { negated, uncertain } => (
                negated.clone().unwrap_or_default(),
                uncertain.clone().unwrap_or_default(),
            ),
            _ => (String::new(), String::new()),
        };
        RuleForm {
            phrase: rule.phrase.clone(),
            label: rule.label.clone(),
            negation: rule.negation.name().to_string(),
            negated,
            uncertain,
            sections: rule.sections.join(", "),
            enabled: rule.enabled,
        }
    }

    /// The board of `labels`, computed in `elapsed_ms`.
    pub fn board(
        project_name: String,
        labels: &Labels,
        settings: &TextSettings,
        elapsed_ms: f64,
    ) -> Board {
        let resolution = &labels.resolution;
        let distribution = labels
            .question
            .labels
            .iter()
            .map(|label| {
                let count = resolution.labels.get(label).map_or(0, |s| s.len());
                (label.clone(), count)
            })
            .collect();
        let rules = labels
            .rules
            .rules
            .iter()
            .zip(&resolution.stats)
            .map(|(stored, stats)| RuleRow {
                id: stored.id,
                form: form_of(&stored.rule),
                matches: stats.matches,
                effective: stats.effective,
                overlaps: stats.overlaps,
                conflicts: stats.conflicts,
            })
            .collect();
        Board {
            project_name,
            question: question_row(labels, None),
            version: labels.rules.version,
            sections: settings.section_headers.clone(),
            distribution,
            labeled: resolution.labeled.len(),
            conflicted: resolution.conflicted.len(),
            unlabeled: resolution.unlabeled.len(),
            rules,
            elapsed_ms,
            statuses: labels.statuses.clone(),
        }
    }

    /// Authorises a fellow and finds the question.
    pub async fn fellow_question(
        project: i64,
        question: i64,
    ) -> Result<(crate::ssr::AppState, String, String, Question), AppError> {
        use sieve_core::access::Capability;
        let (state, user, membership) =
            crate::ssr::require_project(project, Capability::ManageRules).await?;
        let question = questions::get(&state.pool, project, question).await?;
        Ok((state, user.name, membership.project.name, question))
    }

    /// Applies a change and returns the new board.
    pub async fn change(
        project: i64,
        question: i64,
        change: questions::Change,
    ) -> Result<Board, AppError> {
        let (state, user, project_name, question) = fellow_question(project, question).await?;
        questions::change(&state.pool, &question, &change, Some(&user)).await?;
        current_board(&state, project_name, &question).await
    }

    pub async fn current_board(
        state: &crate::ssr::AppState,
        project_name: String,
        question: &Question,
    ) -> Result<Board, AppError> {
        let started = std::time::Instant::now();
        let labels = state.labeling().current(question).await?;
        let settings = questions::text_settings(&state.pool, question.project_id).await?;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        Ok(board(project_name, &labels, &settings, elapsed))
    }
}

/// Returns a question's board: its rules with their figures and its soft labels (fellows).
#[server(endpoint = "rule_board")]
pub async fn rule_board(project: i64, question: i64) -> Result<Board, AppError> {
    crate::ssr::respond(
        async {
            let (state, _, project_name, question) =
                server::fellow_question(project, question).await?;
            server::current_board(&state, project_name, &question).await
        }
        .await,
    )
}

/// Adds a rule at `at` (0 = highest priority; absent: lowest) and returns the new board.
#[server(endpoint = "add_rule")]
pub async fn add_rule(
    project: i64,
    question: i64,
    rule: RuleForm,
    at: Option<usize>,
) -> Result<Board, AppError> {
    use sieve_core::questions::Change;
    let rule = server::rule_of(&rule)?;
    crate::ssr::respond(server::change(project, question, Change::Add { rule, at }).await)
}

/// Replaces a rule's content (also enables or disables it) and returns the new board. `was` is
/// the rule as the screen showed it: a rule changed since is not overwritten (the error says so).
#[server(endpoint = "edit_rule")]
pub async fn edit_rule(
    project: i64,
    question: i64,
    id: u32,
    rule: RuleForm,
    was: RuleForm,
) -> Result<Board, AppError> {
    use sieve_core::questions::Change;
    let change = Change::Edit {
        id,
        rule: server::rule_of(&rule)?,
        was: Some(server::rule_of(&was)?),
    };
    crate::ssr::respond(server::change(project, question, change).await)
}

/// Moves a rule to priority `to` (0 = highest) and returns the new board.
#[server(endpoint = "move_rule")]
pub async fn move_rule(project: i64, question: i64, id: u32, to: usize) -> Result<Board, AppError> {
    use sieve_core::questions::Change;
    crate::ssr::respond(server::change(project, question, Change::Move { id, to }).await)
}

/// Deletes a rule and returns the new board (the screen offers to undo by adding it back).
#[server(endpoint = "delete_rule")]
pub async fn delete_rule(project: i64, question: i64, id: u32) -> Result<Board, AppError> {
    use sieve_core::questions::Change;
    crate::ssr::respond(server::change(project, question, Change::Delete { id }).await)
}

/// Saves the rules of an earlier `version` as a new version (audited) and returns the new board.
#[server(endpoint = "restore_rule_version")]
pub async fn restore_rule_version(
    project: i64,
    question: i64,
    version: i64,
) -> Result<Board, AppError> {
    crate::ssr::respond(
        async {
            let (state, user, project_name, question) =
                server::fellow_question(project, question).await?;
            sieve_core::questions::restore_version(&state.pool, &question, version, Some(&user))
                .await?;
            server::current_board(&state, project_name, &question).await
        }
        .await,
    )
}

/// What a rule would newly label, and take from the rules below, if added at `at`.
#[server(endpoint = "preview_rule")]
pub async fn preview_rule(
    project: i64,
    question: i64,
    rule: RuleForm,
    at: Option<usize>,
) -> Result<PreviewView, AppError> {
    crate::ssr::respond(
        async {
            let (state, _, _, question) = server::fellow_question(project, question).await?;
            let labels = state.labeling().current(&question).await?;
            let at = at.unwrap_or(labels.rules.rules.len());
            let preview = state
                .labeling()
                .preview(&labels, server::rule_of(&rule)?, at)
                .await?;
            let phrase = |id: u32| {
                labels
                    .rules
                    .rules
                    .iter()
                    .find(|r| r.id == id)
                    .map_or_else(String::new, |r| r.rule.phrase.clone())
            };
            Ok(PreviewView {
                matches: preview.matches,
                newly: preview.newly,
                taken: preview
                    .taken
                    .into_iter()
                    .map(|(id, count)| (phrase(id), count))
                    .collect(),
            })
        }
        .await,
    )
}
