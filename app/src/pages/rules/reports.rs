//! The reports a rule labels or matches, a page at a time, mentions marked by status.

use leptos::prelude::*;

use super::Screen;
use crate::api::rules::reports::{rule_reports, Marked, RULE_REPORTS_PER_PAGE};
use crate::components::error_box::ErrorBox;
use crate::pages::project::thousands;

/// The reports a rule labels (or matches), its mentions highlighted by status.
#[component]
pub(super) fn RuleReports(id: u32, screen: Screen) -> impl IntoView {
    let all = RwSignal::new(false);
    let page = RwSignal::new(0u32);
    let reports = Resource::new(
        move || (all.get(), page.get(), screen.changes.get()),
        move |(all, page, _)| rule_reports(screen.project, screen.question, id, all, page),
    );
    let list = move || {
        Suspend::new(async move {
            match reports.await {
                Ok(found) => {
                    let pages = found.total.div_ceil(RULE_REPORTS_PER_PAGE as u64).max(1);
                    view! {
                        <p class="muted">{format!("{} reports · page {} of {pages}", thousands(found.total as i64), page.get_untracked() + 1)}</p>
                        <ol class="rule-reports" data-testid="rule-reports">
                            {found.reports.into_iter().map(|report| view! {
                                <li>
                                    <a href=format!("/projects/{}/reports/{}", screen.project, report.id)>{report.accession}</a>
                                    <span class="muted">{format!(" · {}", report.study_date)}</span>
                                    <p class="report-text"><MarkedText fragments=report.fragments /></p>
                                </li>
                            }).collect_view()}
                        </ol>
                        <p class="actions">
                            <button type="button" class="button-quiet" disabled=move || page.get() == 0 on:click=move |_| page.update(|p| *p -= 1)>"← Previous"</button>
                            " "
                            <button type="button" class="button-quiet" disabled=move || { u64::from(page.get()) + 1 >= pages } on:click=move |_| page.update(|p| *p += 1)>"Next →"</button>
                        </p>
                    }.into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <section aria-labelledby="rule-reports-title" class="panel">
            <h2 id="rule-reports-title">"Reports of the selected rule"</h2>
            <p class="form-row">
                <label class="check"><input type="checkbox" checked=all.get_untracked() prop:checked=all on:change=move |e| { all.set(event_target_checked(&e)); page.set(0); } />
                    " All matches (else only the studies it labels)"</label>
                <button type="button" class="button-quiet" on:click=move |_| screen.selected.set(None)>"Close"</button>
            </p>
            <p class="muted legend">
                <mark class="affirmed">"affirmed"</mark> " " <mark class="negated">"negated"</mark> " " <mark class="uncertain">"uncertain"</mark> " " <mark class="ignored">"not counted by the rule"</mark>
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Loading reports…"</p> }>{list}</Suspense>
        </section>
    }
    .into_any()
}

#[component]
pub(super) fn MarkedText(fragments: Vec<Marked>) -> impl IntoView {
    fragments
        .into_iter()
        .map(|fragment| match fragment.mark {
            Some(class) => view! { <mark class=class>{fragment.text}</mark> }.into_any(),
            None => fragment.text.into_any(),
        })
        .collect_view()
}
