//! Questions, phrase rules and their soft labels: the fellow's annotation and prioritization
//! screens. Every change returns the question's whole board (counts, distribution, coverage), so
//! the screen updates in one round trip.

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
    pub section_headers: String,
}

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
}

/// What a rule would do before it is saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewView {
    pub matches: u64,
    pub newly: Vec<(String, u64)>,
    /// (phrase of a rule below, studies taken from it).
    pub taken: Vec<(String, u64)>,
}

/// A piece of report text; `mark` is the status class of a highlighted mention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marked {
    pub text: String,
    pub mark: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleReport {
    pub id: i64,
    pub accession: String,
    pub study_date: String,
    pub fragments: Vec<Marked>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleReportsView {
    pub total: u64,
    pub reports: Vec<RuleReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRow {
    pub version: i64,
    pub change: String,
    pub actor: String,
    pub at: String,
    pub rules: usize,
}

/// Studies whose label flips between two versions, for one (from, to) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlipRow {
    pub from: String,
    pub to: String,
    pub count: u64,
    /// (report id, accession) of a few of them.
    pub examples: Vec<(i64, String)>,
}

/// Reports shown per page of a rule's matches.
pub const RULE_REPORTS_PER_PAGE: usize = 20;

#[cfg(feature = "ssr")]
mod server {
    use sieve_core::labeling::{Negation, Rule, TextSettings};
    use sieve_core::questions::{self, Question};
    use sieve_core::soft_labels::Labels;

    use super::*;

    pub fn rule_of(form: &RuleForm) -> Rule {
        let some = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        Rule {
            phrase: form.phrase.trim().to_string(),
            label: form.label.trim().to_string(),
            negation: match form.negation.as_str() {
                "affirmed" => Negation::AffirmedOnly,
                "route" => Negation::Route {
                    negated: some(&form.negated),
                    uncertain: some(&form.uncertain),
                },
                _ => Negation::Any,
            },
            sections: form
                .sections
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            enabled: form.enabled,
        }
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

    pub fn lines(list: &[String]) -> String {
        list.join("\n")
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
            let mut rows = Vec::new();
            for question in questions::list(&state.pool, project).await? {
                let labels = state.labeling().current(&question).await?;
                let cohort = question.cohort_id.and_then(|id| {
                    cohorts
                        .iter()
                        .find(|(c, _)| *c == id)
                        .map(|(_, name)| name.clone())
                });
                rows.push(server::question_row(&labels, cohort));
            }
            let settings = questions::text_settings(&state.pool, project).await?;
            let cues = &settings.cues;
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
                settings: SettingsForm {
                    pre_negation: server::lines(&cues.pre_negation),
                    post_negation: server::lines(&cues.post_negation),
                    pre_uncertainty: server::lines(&cues.pre_uncertainty),
                    post_uncertainty: server::lines(&cues.post_uncertainty),
                    pseudo: server::lines(&cues.pseudo),
                    termination: server::lines(&cues.termination),
                    section_headers: server::lines(&settings.section_headers),
                },
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
            if !Capability::ManageRules.roles().contains(&membership.role) {
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
                },
                section_headers: server::unlines(&form.section_headers),
            };
            sieve_core::questions::save_text_settings(
                &state.pool,
                project,
                &settings,
                Some(&user.name),
            )
            .await?;
            Ok(())
        }
        .await,
    )
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
    let rule = server::rule_of(&rule);
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
        rule: server::rule_of(&rule),
        was: Some(server::rule_of(&was)),
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
                .preview(&labels, server::rule_of(&rule), at)
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

/// A page of the reports a rule labels (or, with `all`, matches), its mentions highlighted.
#[server(endpoint = "rule_reports")]
pub async fn rule_reports(
    project: i64,
    question: i64,
    id: u32,
    all: bool,
    page: u32,
) -> Result<RuleReportsView, AppError> {
    crate::ssr::respond(
        async {
            let (state, user, _, question) = server::fellow_question(project, question).await?;
            let labels = state.labeling().current(&question).await?;
            let rank = labels
                .rules
                .rules
                .iter()
                .position(|r| r.id == id)
                .ok_or_else(|| AppError::NotFound(format!("Rule {id}")))?;
            let offset = (page as usize).saturating_mul(RULE_REPORTS_PER_PAGE);
            let found = state
                .labeling()
                .rule_reports(&labels, rank, all, offset, RULE_REPORTS_PER_PAGE, &user)
                .await?;
            Ok(RuleReportsView {
                total: found.total,
                reports: found
                    .reports
                    .into_iter()
                    .map(|(report, mentions)| RuleReport {
                        id: report.id,
                        accession: report.accession,
                        study_date: report.study_date,
                        fragments: marked(&report.report_text, &mentions),
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// Cuts a text into pieces, the mentions marked with their status (and "ignored" when the rule's
/// negation mode does not count them).
#[cfg(feature = "ssr")]
pub(crate) fn marked(
    text: &str,
    mentions: &[sieve_core::labeling::engine::Mention],
) -> Vec<Marked> {
    let mut out = Vec::new();
    let mut at = 0;
    for mention in mentions {
        let (start, end) = mention.span;
        if start < at {
            continue;
        }
        if start > at {
            out.push(Marked {
                text: text[at..start].to_string(),
                mark: None,
            });
        }
        let class = match mention.counts {
            true => mention.status.as_str().to_string(),
            false => format!("{} ignored", mention.status.as_str()),
        };
        out.push(Marked {
            text: text[start..end].to_string(),
            mark: Some(class),
        });
        at = end;
    }
    if at < text.len() {
        out.push(Marked {
            text: text[at..].to_string(),
            mark: None,
        });
    }
    out
}

/// A question's versions, newest first.
#[server(endpoint = "rule_versions")]
pub async fn rule_versions(project: i64, question: i64) -> Result<Vec<VersionRow>, AppError> {
    crate::ssr::respond(
        async {
            let (state, _, _, question) = server::fellow_question(project, question).await?;
            let versions = sieve_core::questions::versions(&state.pool, question.id).await?;
            Ok(versions
                .into_iter()
                .map(|v| VersionRow {
                    version: v.version,
                    change: v.change,
                    actor: v.actor.unwrap_or_default(),
                    at: sieve_core::audit::format_time(v.created_at),
                    rules: v.rules,
                })
                .collect())
        }
        .await,
    )
}

/// The studies whose soft label flips from version `from` to version `to`.
#[server(endpoint = "compare_versions")]
pub async fn compare_versions(
    project: i64,
    question: i64,
    from: i64,
    to: i64,
) -> Result<Vec<FlipRow>, AppError> {
    use sieve_core::questions;
    crate::ssr::respond(
        async {
            let (state, _, _, question) = server::fellow_question(project, question).await?;
            let before = questions::rules(&state.pool, question.id, Some(from)).await?;
            let after = questions::rules(&state.pool, question.id, Some(to)).await?;
            let before = state.labeling().labels(&question, before).await?;
            let after = state.labeling().labels(&question, after).await?;
            let flips =
                sieve_core::labeling::priority::flips(&before.resolution, &after.resolution, 5);
            let mut rows = Vec::new();
            for flip in flips {
                let ids: Vec<i64> = flip.examples.iter().map(|&id| i64::from(id)).collect();
                let reports = sieve_core::reports::find_many(&state.pool, project, &ids).await?;
                let name = |label: Option<String>| label.unwrap_or_else(|| "unlabeled".into());
                rows.push(FlipRow {
                    from: name(flip.from),
                    to: name(flip.to),
                    count: flip.count,
                    examples: reports.into_iter().map(|r| (r.id, r.accession)).collect(),
                });
            }
            Ok(rows)
        }
        .await,
    )
}
