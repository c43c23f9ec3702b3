//! Searching a project's reports and reading one, for its members.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What the search form asks: the query and the filters, as typed (lists comma-separated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchForm {
    pub q: String,
    pub from: String,
    pub to: String,
    pub exam: String,
    pub modality: String,
    pub body_part: String,
}

/// A piece of report text, highlighted where the query matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fragment {
    pub text: String,
    pub highlighted: bool,
}

/// One result in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultRow {
    pub report_id: i64,
    /// Where the result sits in the whole list, for the viewer's previous and next.
    pub position: usize,
    pub accession: String,
    pub study_date: String,
    pub exam_code: String,
    pub modality: String,
    pub snippet: Vec<Fragment>,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub project_name: String,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub rows: Vec<ResultRow>,
    /// The study whose accession is what was typed (report id, accession as stored): accessions
    /// are not in report texts, but people paste them into the search box.
    pub by_accession: Option<(i64, String)>,
}

/// A text a report had before a later one replaced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierText {
    /// Its result status in words, and when it was replaced (UTC).
    pub status: String,
    pub replaced: String,
    pub text: String,
    /// The details the next version changed, in words ("study date 2014-11-23, then 2026-12-07").
    pub changes: Vec<String>,
}

/// A report in the viewer, with its neighbours in the result list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportView {
    pub project_id: i64,
    pub project_name: String,
    pub report_id: i64,
    pub accession: String,
    pub patient_ref: String,
    pub study_date: String,
    pub exam_code: String,
    pub modality: String,
    pub body_part: String,
    pub text: Vec<Fragment>,
    pub position: Option<usize>,
    pub total: Option<usize>,
    /// (report id, position) of the previous and next results.
    pub previous: Option<(i64, usize)>,
    pub next: Option<(i64, usize)>,
    /// Whether the viewer may turn selected text into phrase rules.
    pub writes_rules: bool,
    /// The report's result status in words ("final", "corrected" …), empty for imported files.
    pub status: String,
    /// The texts it had before, oldest first.
    pub earlier: Vec<EarlierText>,
}

/// The values the search filters may name, as the project's studies have them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchChoices {
    pub exam_codes: Vec<String>,
    pub modalities: Vec<String>,
    pub body_parts: Vec<String>,
    /// Whether the caller may save the search as a cohort (fellows).
    pub writes_rules: bool,
}

/// Returns the exam codes, modalities and body parts of a project's studies, for the filters' lists
/// (members who may read reports).
#[server(endpoint = "filter_choices")]
pub async fn filter_choices(project: i64) -> Result<SearchChoices, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, _, membership) =
                crate::ssr::require_project(project, Capability::ReadReports).await?;
            let choices = state.indexes.get(project)?.choices()?;
            Ok(SearchChoices {
                exam_codes: choices.exam_codes,
                modalities: choices.modalities,
                body_parts: choices.body_parts,
                writes_rules: sieve_core::access::allows(&membership, Capability::ManageRules),
            })
        }
        .await,
    )
}

/// Results per page.
pub const PAGE_SIZE: usize = 20;

#[cfg(feature = "ssr")]
impl SearchForm {
    /// The search as the domain's filter.
    pub fn filter(&self) -> sieve_core::search::Filter {
        sieve_core::search::TypedFilter {
            text: &self.q,
            date_from: &self.from,
            date_to: &self.to,
            exam_codes: &self.exam,
            modalities: &self.modality,
            body_parts: &self.body_part,
        }
        .into()
    }
}

#[cfg(feature = "ssr")]
fn fragments(fragments: Vec<sieve_core::search::Fragment>) -> Vec<Fragment> {
    fragments
        .into_iter()
        .map(|f| Fragment {
            text: f.text,
            highlighted: f.highlighted,
        })
        .collect()
}

/// Searches a project's reports (members who may read reports).
#[server(endpoint = "search_reports")]
pub async fn search_reports(
    project: i64,
    form: SearchForm,
    page: usize,
) -> Result<SearchResults, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, user, membership) =
                crate::ssr::require_project(project, Capability::ReadReports).await?;
            // Only a single token with a digit or a joining mark in it can be an accession
            // ("SYN-IMP-LF"): a word ("effusion") costs no look-up (one typed in another case
            // than stored scans the project's reports). A leading "-" excludes a word instead.
            let typed = form.q.trim();
            let maybe_accession = !typed.contains(char::is_whitespace)
                && !typed.starts_with('-')
                && typed
                    .contains(|c: char| c.is_ascii_digit() || matches!(c, '-' | '_' | '.' | '/'));
            let by_accession = match maybe_accession {
                false => None,
                true => match sieve_core::reports::id_of(&state.pool, project, typed).await {
                    Ok(id) => {
                        let report = sieve_core::reports::find(&state.pool, project, id).await?;
                        Some((id, report.accession))
                    }
                    Err(sieve_core::Error::NotFound(_) | sieve_core::Error::Invalid(_)) => None,
                    Err(error) => return Err(error.into()),
                },
            };
            let offset = page * PAGE_SIZE;
            let found = sieve_core::search::search_reports(
                &state.pool,
                &state.indexes,
                project,
                &form.filter(),
                offset,
                PAGE_SIZE,
                &user.name,
            )
            .await?;
            let rows = found
                .results
                .into_iter()
                .enumerate()
                .map(|(index, (report, snippet))| ResultRow {
                    report_id: report.id,
                    position: offset + index,
                    accession: report.accession,
                    study_date: report.study_date,
                    exam_code: report.exam_code,
                    modality: report.modality,
                    snippet: fragments(snippet),
                })
                .collect();
            Ok(SearchResults {
                project_name: membership.project.name,
                total: found.total,
                page,
                pages: found.total.div_ceil(PAGE_SIZE),
                rows,
                by_accession,
            })
        }
        .await,
    )
}

/// Returns a report for the viewer; with a `position` in the results of `form`, also its neighbours.
#[server(endpoint = "open_report")]
pub async fn open_report(
    project: i64,
    report: i64,
    form: SearchForm,
    position: Option<usize>,
) -> Result<ReportView, AppError> {
    use sieve_core::access::Capability;
    crate::ssr::respond(
        async {
            let (state, user, membership) =
                crate::ssr::require_project(project, Capability::ReadReports).await?;
            let filter = form.filter();
            let (found, text) = sieve_core::search::view_report(
                &state.pool,
                &state.indexes,
                project,
                report,
                &filter,
                &user.name,
            )
            .await?;
            let around = match position {
                Some(at) => Some(state.indexes.get(project)?.neighbours(&filter, at)?),
                None => None,
            };
            let total = around.as_ref().map(|around| around.total);
            let previous = around
                .as_ref()
                .and_then(|around| around.previous)
                .zip(position.map(|at| at.saturating_sub(1)));
            let next = around
                .as_ref()
                .and_then(|around| around.next)
                .zip(position.map(|at| at + 1));
            let writes_rules = sieve_core::access::allows(&membership, Capability::ManageRules);
            let history = sieve_core::reports::history(&state.pool, project, found.id).await?;
            let status = sieve_core::reports::status_name(&history.result_status).to_string();
            let earlier = history
                .earlier
                .into_iter()
                .map(|revision| EarlierText {
                    status: sieve_core::reports::status_name(&revision.result_status).to_string(),
                    replaced: sieve_core::audit::format_time(revision.replaced_at),
                    text: revision.report_text,
                    changes: revision
                        .changed
                        .into_iter()
                        .map(|(field, before, after)| {
                            format!("{} {before}, then {after}", field.replace('_', " "))
                        })
                        .collect(),
                })
                .collect();
            Ok(ReportView {
                status,
                earlier,
                project_id: project,
                project_name: membership.project.name,
                report_id: found.id,
                accession: found.accession,
                patient_ref: found.patient_ref,
                study_date: found.study_date,
                exam_code: found.exam_code,
                modality: found.modality,
                body_part: found.body_part,
                text: fragments(text),
                position,
                total,
                previous,
                next,
                writes_rules,
            })
        }
        .await,
    )
}
