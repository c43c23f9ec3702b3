//! The audited services of the search page and the report viewer: a page of results with
//! snippets, and one report with its neighbours in the result list.

use serde::Serialize;
use sqlx::SqlitePool;

use super::{join_error, Filter, Fragment, Indexes};
use crate::Result;

/// A page of search results: each report with its highlighted snippet.
#[derive(Debug, Clone, Serialize)]
pub struct ResultPage {
    pub total: usize,
    pub results: Vec<(crate::reports::Report, Vec<Fragment>)>,
}

/// How long a result's snippet may be, in characters.
pub const SNIPPET_CHARS: usize = 240;

/// Searches a project's reports and returns one page of them with snippets, recording the search
/// in the audit log (what was asked, and how many reports it showed).
pub async fn search_reports(
    pool: &SqlitePool,
    indexes: &Indexes,
    project_id: i64,
    filter: &Filter,
    offset: usize,
    limit: usize,
    actor: &str,
) -> Result<ResultPage> {
    let index = indexes.get(project_id)?;
    let hits = {
        let (index, filter) = (index.clone(), filter.clone());
        tokio::task::spawn_blocking(move || {
            index.check_choices(&filter)?;
            index.search(&filter, offset, limit)
        })
        .await
        .map_err(join_error)??
    };
    let reports = crate::reports::find_many(pool, project_id, &hits.report_ids).await?;
    let highlighter = index.highlighter(filter, Some(SNIPPET_CHARS))?;
    let results: Vec<_> = reports
        .into_iter()
        .map(|report| {
            let fragments = highlighter.fragments(&report.report_text);
            (report, fragments)
        })
        .collect();
    let event = crate::audit::NewEvent {
        actor: Some(actor),
        project_id: Some(project_id),
        object: None,
        detail: Some(format!(
            "{:?} → {} of {} reports",
            filter.text,
            results.len(),
            hits.total
        )),
    };
    crate::audit::record(pool, crate::audit::Action::ReportsSearched, event).await?;
    Ok(ResultPage {
        total: hits.total,
        results,
    })
}

/// Returns one report with the words of `filter` highlighted over its whole text, recording the view.
pub async fn view_report(
    pool: &SqlitePool,
    indexes: &Indexes,
    project_id: i64,
    report_id: i64,
    filter: &Filter,
    actor: &str,
) -> Result<(crate::reports::Report, Vec<Fragment>)> {
    let report = crate::reports::find(pool, project_id, report_id).await?;
    let fragments = indexes
        .get(project_id)?
        .highlighter(filter, None)?
        .fragments(&report.report_text);
    let event = crate::audit::NewEvent {
        actor: Some(actor),
        project_id: Some(project_id),
        object: Some(format!("report:{report_id}")),
        detail: None,
    };
    crate::audit::record(pool, crate::audit::Action::ReportViewed, event).await?;
    Ok((report, fragments))
}
