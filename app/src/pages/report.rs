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
    // Loaded beside the report, not inside it (see ProjectPage): the questions a fellow can add a
    // selected phrase to.
    let targets = Resource::new(project, crate::api::questions::phrase_targets);
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
                    view! { <Viewer view back previous next targets /> }.into_any()
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
    targets: Resource<Result<Vec<crate::api::questions::PhraseTarget>, crate::error::AppError>>,
) -> impl IntoView {
    let place = view
        .position
        .zip(view.total)
        .map(|(at, total)| format!("Result {} of {}", at + 1, total));
    let previous = previous
        .map(|href| view! { <a class="button-quiet" href=href rel="prev">"← Previous"</a> });
    let next = next.map(|href| view! { <a class="button-quiet" href=href rel="next">"Next →"</a> });
    let selection = RwSignal::new(String::new());
    let project = view.project_id;
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
            {(!view.status.is_empty()).then(|| view! { <div><dt>"Report status"</dt><dd data-testid="report-status">{view.status.clone()}</dd></div> })}
        </dl>
        <div class:report-with-panel=view.writes_rules>
            <article class="report-text" aria-label="Report text" on:mouseup=move |_| take_selection(selection)
                on:keyup=move |_| take_selection(selection)><Highlighted fragments=view.text /></article>
            {view.writes_rules.then(|| view! { <AddPhrase project selection targets /> })}
        </div>
        {(!view.earlier.is_empty()).then(|| {
            let count = view.earlier.len();
            view! {
                <details class="card" data-testid="earlier-texts">
                    <summary>{format!("Earlier versions of this report ({count}): the text and details above replaced them")}</summary>
                    {view.earlier.into_iter().map(|earlier| view! {
                        <section class="earlier-text">
                            <h3>{match earlier.status.is_empty() {
                                true => format!("Replaced {} UTC", earlier.replaced),
                                false => format!("{}, replaced {} UTC", earlier.status, earlier.replaced),
                            }}</h3>
                            {(!earlier.changes.is_empty()).then(|| view! {
                                <p class="notice" data-testid="changed-details">{format!("Changed with the next version: {}.", earlier.changes.join("; "))}</p>
                            })}
                            <pre class="report-text">{earlier.text}</pre>
                        </section>
                    }).collect_view()}
                </details>
            }
        })}
        <p class="muted">"Keys: ← / k previous · → / j next · Esc back to the results."
            {view.writes_rules.then_some(" Select words in the report to add them as a phrase rule.")}</p>
    }
}

/// Puts the text selected in the page, if any, into `selection` (words separated by one space).
fn take_selection(selection: RwSignal<String>) {
    #[cfg(feature = "hydrate")]
    {
        let selected = window()
            .get_selection()
            .ok()
            .flatten()
            .map(|s| String::from(s.to_string()))
            .unwrap_or_default();
        let words = selected.split_whitespace().collect::<Vec<_>>().join(" ");
        if !words.is_empty() {
            selection.set(words);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = selection;
}

/// Adds the selected words as a phrase rule of one of the project's questions (fellows).
#[component]
fn AddPhrase(
    project: i64,
    selection: RwSignal<String>,
    targets: Resource<Result<Vec<crate::api::questions::PhraseTarget>, crate::error::AppError>>,
) -> impl IntoView {
    use crate::api::rules::{add_rule, preview_rule, RuleForm};
    let question = RwSignal::new(None::<i64>);
    let label = RwSignal::new(String::new());
    // As on the rules page: a new rule goes last unless asked (it takes nothing from the others).
    let at_top = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let form = move || RuleForm {
        phrase: selection.get_untracked(),
        label: label.get_untracked(),
        negation: "any".into(),
        enabled: true,
        ..RuleForm::default()
    };
    let at = move || at_top.get_untracked().then_some(0);
    let preview = move |_| {
        let Some(q) = question.get_untracked() else {
            return;
        };
        let sent = form();
        leptos::task::spawn_local(async move {
            outcome.set(Some(match preview_rule(project, q, sent, at()).await {
                Ok(p) => Ok(format!(
                    "Would match {} studies; newly label {}; take {} from rules below.",
                    p.matches,
                    p.newly.iter().map(|(_, n)| n).sum::<u64>(),
                    p.taken.iter().map(|(_, n)| n).sum::<u64>()
                )),
                Err(error) => Err(error.to_string()),
            }));
        });
    };
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(q) = question.get_untracked() else {
            return;
        };
        let sent = form();
        leptos::task::spawn_local(async move {
            outcome.set(Some(match add_rule(project, q, sent.clone(), at()).await {
                Ok(board) => {
                    // Added once: the box empties, so a second click cannot add it again.
                    selection.set(String::new());
                    Ok(format!(
                        "Added “{}” → {} to {} (version {}).",
                        sent.phrase, sent.label, board.question.name, board.version
                    ))
                }
                Err(error) => Err(error.to_string()),
            }));
        });
    };
    let body = move || {
        Suspend::new(async move {
            let Ok(questions) = targets.await else {
                return view! { <p class="muted">"The questions could not be loaded."</p> }
                    .into_any();
            };
            if questions.is_empty() {
                return view! {
                    <p class="empty">"No questions yet. " <a href=format!("/projects/{project}/questions")>"Create one"</a> " to add phrases to it."</p>
                }.into_any();
            }
            if question.get_untracked().is_none() {
                question.set(questions.first().map(|q| q.id));
                label.set(
                    questions
                        .first()
                        .and_then(|q| q.labels.first().cloned())
                        .unwrap_or_default(),
                );
            }
            let labels_of = {
                let questions = questions.clone();
                move || {
                    questions
                        .iter()
                        .find(|q| Some(q.id) == question.get())
                        .map(|q| q.labels.clone())
                        .unwrap_or_default()
                }
            };
            let choose = {
                let questions = questions.clone();
                move |event: leptos::ev::Event| {
                    let id = event_target_value(&event).parse().ok();
                    question.set(id);
                    let first = questions
                        .iter()
                        .find(|q| Some(q.id) == id)
                        .and_then(|q| q.labels.first().cloned());
                    label.set(first.unwrap_or_default());
                }
            };
            view! {
                <form on:submit=add>
                    <div class="field">
                        <label for="phrase-text">"Phrase"</label>
                        <input id="phrase-text" prop:value=move || selection.get() on:input=move |e| selection.set(event_target_value(&e))
                            placeholder="select words in the report" required autocomplete="off" />
                    </div>
                    <div class="field">
                        <label for="phrase-question">"Question"</label>
                        <select id="phrase-question" on:change=choose>
                            {questions.iter().map(|q| view! { <option value=q.id.to_string()>{q.name.clone()}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="phrase-label">"Label"</label>
                        <select id="phrase-label" on:change=move |e| label.set(event_target_value(&e))>
                            {move || labels_of().into_iter().map(|l| {
                                let (value, text, current) = (l.clone(), l.clone(), l);
                                view! { <option value=value selected=move || label.get() == current>{text}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <label class="check"><input type="checkbox" checked=at_top.get_untracked() prop:checked=at_top on:change=move |e| at_top.set(event_target_checked(&e)) />" Highest priority (else lowest)"</label>
                    <p class="actions">
                        <button type="button" class="button-quiet" on:click=preview>"Preview"</button>
                        " "
                        <button type="submit" class="button-primary button-inline">"Add as phrase"</button>
                    </p>
                    {move || outcome.get().map(|result| match result {
                        Ok(message) => view! {
                            <p class="notice" role="status">{message} " "
                                <a href=move || format!("/projects/{project}/questions/{}", question.get().unwrap_or(0))>"Open the rules"</a></p>
                        }.into_any(),
                        Err(message) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
                    })}
                </form>
            }.into_any()
        })
    };
    view! {
        <aside class="panel add-phrase" aria-labelledby="add-phrase-title">
            <h2 id="add-phrase-title">"Add as phrase"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading the questions…"</p> }>{body}</Suspense>
        </aside>
    }
    .into_any()
}
