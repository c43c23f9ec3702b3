//! `/projects/:id/search`: the project's reports, searched by phrase and filtered by date, exam and
//! modality, with the matched words highlighted. The query lives in the address, so a search can be
//! bookmarked and the viewer can step through its results.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use crate::api::cohorts::SaveCohort;
use crate::api::search::{
    filter_choices, search_reports, Fragment, ResultRow, SearchChoices, SearchForm, SearchResults,
};
use crate::components::error_box::ErrorBox;
use crate::pages::project::thousands;

/// Reads the search form from the address's query.
pub fn form_from(query: &ParamsMap) -> SearchForm {
    let get = |name: &str| query.get(name).unwrap_or_default();
    SearchForm {
        q: get("q"),
        from: get("from"),
        to: get("to"),
        exam: get("exam"),
        modality: get("modality"),
        body_part: get("body_part"),
    }
}

/// Writes the search form (and any extra pairs) as a query string.
pub fn query_string(form: &SearchForm, extra: &[(&'static str, String)]) -> String {
    let mut params = ParamsMap::new();
    for (name, value) in [
        ("q", &form.q),
        ("from", &form.from),
        ("to", &form.to),
        ("exam", &form.exam),
        ("modality", &form.modality),
        ("body_part", &form.body_part),
    ] {
        if !value.is_empty() {
            params.insert(name, value.clone());
        }
    }
    for (name, value) in extra {
        params.insert(*name, value.clone());
    }
    params.to_query_string()
}

/// Shows text with its highlighted parts marked.
#[component]
pub fn Highlighted(fragments: Vec<Fragment>) -> impl IntoView {
    fragments
        .into_iter()
        .map(|fragment| match fragment.highlighted {
            true => view! { <mark>{fragment.text}</mark> }.into_any(),
            false => fragment.text.into_any(),
        })
        .collect_view()
}

/// The search form and one page of results.
#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let project_param = crate::pages::route_number("id");
    let project = move || project_param().unwrap_or(0);
    let form = move || form_from(&query.read());
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|page| page.parse::<usize>().ok())
            .unwrap_or(0)
    };
    let results = Resource::new(
        move || (project(), form(), page()),
        |(project, form, page)| search_reports(project, form, page),
    );
    let choices = Resource::new(project, filter_choices);
    let search_box = NodeRef::<leptos::html::Input>::new();
    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        if event.key() == "/" && !crate::components::keyboard::typing_in_a_field(&event) {
            event.prevent_default();
            if let Some(input) = search_box.get() {
                let _ = input.focus();
            }
        }
    });
    on_cleanup(move || handle.remove());

    let content = move || {
        Suspend::new(async move {
            match results.await {
                Ok(results) => {
                    view! { <Results results project=project() form=form() /> }.into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! {
        <Title text="Search reports" />
        <p class="breadcrumbs"><a href=move || format!("/projects/{}", project())>"Project"</a> " / "</p>
        <h1>"Search reports"</h1>
        <Form method="GET" action="">
            <div class="search-bar">
                <label for="q" class="visually-hidden">"Words or \"phrases\""</label>
                <input id="q" name="q" type="search" node_ref=search_box value=move || form().q prop:value=move || form().q
                    placeholder="Words or \"exact phrases\" — e.g. \"no pneumothorax\"   (press / to search)" autofocus />
                <button type="submit" class="button-primary button-inline">"Search"</button>
            </div>
            <div class="form-row filters">
                <div class="field"><label for="from">"Studies from"</label><input id="from" name="from" type="date" value=move || form().from prop:value=move || form().from /></div>
                <div class="field"><label for="to">"to"</label><input id="to" name="to" type="date" value=move || form().to prop:value=move || form().to /></div>
                <div class="field"><label for="exam">"Exam codes"</label><input id="exam" name="exam" list="exam-codes" value=move || form().exam prop:value=move || form().exam placeholder="any (comma-separated)" /></div>
                <div class="field"><label for="modality">"Modalities"</label><input id="modality" name="modality" list="modalities" value=move || form().modality prop:value=move || form().modality placeholder="any" /></div>
                <div class="field"><label for="body_part">"Body parts"</label><input id="body_part" name="body_part" list="body-parts" value=move || form().body_part prop:value=move || form().body_part placeholder="any" /></div>
            </div>
            <p class="muted hint" data-testid="search-help">
                "All words are required, in any order. " <strong>"\"no pneumothorax\""</strong> " in quotes: words in a row, as a rule reads them. "
                <strong>"effus*"</strong> ": any ending. " <strong>"-pleural"</strong> ": without that word. " <strong>"OR"</strong> " between two: either."
            </p>
        </Form>
        <Transition fallback=|| ()>{move || Suspend::new(async move {
            choices.await.ok().map(|choices| view! { <FilterLists choices /> })
        })}</Transition>
        <Suspense fallback=|| view! { <p class="muted">"Searching…"</p> }>{content}</Suspense>
        // Only fellows save cohorts: others are not offered a form that would be refused.
        <Transition fallback=|| ()>{move || Suspend::new(async move {
            choices.await.ok().filter(|choices| choices.writes_rules).map(|_| view! {
                <SaveAsCohort project=Signal::derive(project) form=Signal::derive(form) />
            })
        })}</Transition>
    }
}

/// The filters' suggestion lists: the values the project's studies have.
#[component]
fn FilterLists(choices: SearchChoices) -> impl IntoView {
    let options = |values: Vec<String>| {
        values
            .into_iter()
            .map(|value| view! { <option value=value></option> })
            .collect_view()
    };
    view! {
        <datalist id="exam-codes">{options(choices.exam_codes)}</datalist>
        <datalist id="modalities">{options(choices.modalities)}</datalist>
        <datalist id="body-parts">{options(choices.body_parts)}</datalist>
    }
}

/// Saves the search as a named cohort of the project (fellows).
#[component]
fn SaveAsCohort(project: Signal<i64>, form: Signal<SearchForm>) -> impl IntoView {
    let save = ServerAction::<SaveCohort>::new();
    let name = RwSignal::new(String::new());
    let outcome = move || {
        match save.value().get() {
        Some(Ok(_)) => Some(view! { <p class="notice" role="status">"Cohort saved: it is listed on the project's page with its live count."</p> }.into_any()),
        Some(Err(error)) => Some(view! { <ErrorBox error /> }.into_any()),
        None => None,
    }
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        save.dispatch(SaveCohort {
            project: project.get_untracked(),
            name: name.get_untracked(),
            form: form.get_untracked(),
        });
    };
    view! {
        <section class="card" aria-labelledby="cohort-title">
            <h2 id="cohort-title">"Save this search as a cohort"</h2>
            <form on:submit=submit class="form-row inline-form">
                <div class="field">
                    <label for="cohort-name">"Cohort name"</label>
                    <input id="cohort-name" required maxlength="100" placeholder="e.g. Chest radiographs 2018–2022"
                        prop:value=move || name.get() on:input=move |event| name.set(event_target_value(&event)) />
                </div>
                <button type="submit" class="button-quiet">"Save cohort"</button>
            </form>
            {outcome}
        </section>
    }
}

#[component]
fn Results(results: SearchResults, project: i64, form: SearchForm) -> impl IntoView {
    let study = results.by_accession.clone().map(|(report, accession)| view! {
        <p class="notice" data-testid="by-accession">{format!("{accession} is a study's accession: ")}
            <a href=format!("/projects/{project}/reports/{report}")>{format!("open the report of {accession}")}</a></p>
    });
    if results.total == 0 && study.is_some() {
        return study.into_any();
    }
    if results.total == 0 {
        return view! {
            <div class="empty-state">
                <h2>"No report matches"</h2>
                <p>"Try fewer words, a shorter phrase, or wider filters. Words match whole words: effusion does not find \"effusions\"; write effus* for both."</p>
            </div>
        }
        .into_any();
    }
    let page_link = {
        let form = form.clone();
        move |page: usize| {
            format!(
                "/projects/{project}/search{}",
                query_string(&form, &[("page", page.to_string())])
            )
        }
    };
    let previous = (results.page > 0)
        .then(|| view! { <a href=page_link(results.page - 1)>"← Previous page"</a> });
    let next = (results.page + 1 < results.pages)
        .then(|| view! { <a href=page_link(results.page + 1)>"Next page →"</a> });
    let rows = results
        .rows
        .into_iter()
        .map(|row| view! { <ResultItem row project form=form.clone() /> })
        .collect_view();
    view! {
        {study}
        <p class="muted" role="status" data-testid="result-count">
            {match results.total {
                1 => "1 report matches".to_string(),
                total => format!("{} reports match", thousands(total as i64)),
            }} " · page " {results.page + 1} " of " {results.pages.max(1)}
        </p>
        <ol class="results">{rows}</ol>
        <nav class="pager" aria-label="Result pages">{previous} {next}</nav>
    }
    .into_any()
}

#[component]
fn ResultItem(row: ResultRow, project: i64, form: SearchForm) -> impl IntoView {
    let href = format!(
        "/projects/{project}/reports/{}{}",
        row.report_id,
        query_string(&form, &[("pos", row.position.to_string())])
    );
    view! {
        <li class="result">
            <a class="result-title" href=href>
                {row.accession} " · " {row.study_date} " · " {row.exam_code} " · " {row.modality}
            </a>
            <p class="snippet"><Highlighted fragments=row.snippet /></p>
        </li>
    }
}
