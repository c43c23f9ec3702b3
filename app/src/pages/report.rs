//! `/projects/:id/reports/:report`: one report, whole, with the search's words highlighted; from a
//! search, the previous and next results are a key away (← and →, or k and j; Esc returns).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::search::{open_report, ReportView};
use crate::components::error_box::ErrorBox;
use crate::pages::search::{form_from, query_string, Highlighted};

/// The report viewer.
#[component]
pub fn ReportPage() -> impl IntoView {
    let query = use_query_map();
    let project_param = crate::pages::route_number("id");
    let report_param = crate::pages::route_number("report");
    let project = move || project_param().unwrap_or(0);
    let form = move || form_from(&query.read());
    let position = move || {
        query
            .read()
            .get("pos")
            .and_then(|pos| pos.parse::<usize>().ok())
    };
    let report = Resource::new(
        move || (project(), report_param().unwrap_or(0), form(), position()),
        |(project, report, form, position)| open_report(project, report, form, position),
    );
    let links = StoredValue::new((None::<String>, None::<String>, String::new()));
    let navigate = use_navigate();
    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        if crate::components::keyboard::typing_in_a_field(&event) {
            return;
        }
        let (previous, next, back) = links.get_value();
        let target = match event.key().as_str() {
            "ArrowLeft" | "k" => previous,
            "ArrowRight" | "j" => next,
            "Escape" | "u" => Some(back),
            _ => None,
        };
        if let Some(target) = target {
            navigate(&target, Default::default());
        }
    });
    on_cleanup(move || handle.remove());

    let content = move || {
        Suspend::new(async move {
            match report.await {
                Ok(view) => {
                    let form = form();
                    let project = project();
                    let link = |(id, at): (i64, usize)| {
                        format!(
                            "/projects/{project}/reports/{id}{}",
                            query_string(&form, &[("pos", at.to_string())])
                        )
                    };
                    let back = format!("/projects/{project}/search{}", query_string(&form, &[]));
                    let (previous, next) = (view.previous.map(link), view.next.map(link));
                    links.set_value((previous.clone(), next.clone(), back.clone()));
                    view! { <Viewer view back previous next /> }.into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! { <Suspense fallback=|| view! { <p class="muted">"Opening the report…"</p> }>{content}</Suspense> }
}

#[component]
fn Viewer(
    view: ReportView,
    back: String,
    previous: Option<String>,
    next: Option<String>,
) -> impl IntoView {
    let place = view
        .position
        .zip(view.total)
        .map(|(at, total)| format!("Result {} of {}", at + 1, total));
    let previous = previous
        .map(|href| view! { <a class="button-quiet" href=href rel="prev">"← Previous"</a> });
    let next = next.map(|href| view! { <a class="button-quiet" href=href rel="next">"Next →"</a> });
    view! {
        <Title text=format!("Report {}", view.accession) />
        <p class="breadcrumbs"><a href=back>"← Back to the results"</a></p>
        <div class="viewer-head">
            <h1>"Report " {view.accession.clone()}</h1>
            <div class="viewer-nav">
                <span class="muted">{place}</span>
                {previous}
                {next}
            </div>
        </div>
        <dl class="facts compact">
            <div><dt>"Study date"</dt><dd>{view.study_date}</dd></div>
            <div><dt>"Exam"</dt><dd>{view.exam_code}</dd></div>
            <div><dt>"Modality"</dt><dd>{view.modality}</dd></div>
            <div><dt>"Body part"</dt><dd>{view.body_part}</dd></div>
            <div><dt>"Patient (pseudonym)"</dt><dd class="mono">{view.patient_ref}</dd></div>
        </dl>
        <article class="report-text" aria-label="Report text"><Highlighted fragments=view.text /></article>
        <p class="muted">"Keys: ← / k previous · → / j next · Esc back to the results."</p>
    }
}
