//! `/projects/:id/questions/:question/adjudicate`: the disagreements of a queue, one at a time, with
//! the same keys as the queue: 1–9 decide, S or → skips, ← goes back.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::review::{adjudicate, dispute, queue_review};
use crate::components::error_box::ErrorBox;

#[component]
pub fn AdjudicatePage() -> impl IntoView {
    let project = crate::pages::route_number("id");
    let question = crate::pages::route_number("question");
    let review = Resource::new(
        move || (project().unwrap_or(0), question().unwrap_or(0)),
        |(project, question)| queue_review(project, question),
    );
    // The shown study's resource lives here, beside the list, not inside its Suspense (a resource
    // created while another resolves can keep an asynchronous server render waiting).
    // It reads the disagreements itself: taken from `review` while that still loads, the server
    // rendered "none left" and the browser then found a study there (a hydration panic). A decided
    // study leaves the list, so `at` stays on a decision and moves only on skip and back. The
    // place and the count come from the list as read after each decision, and the studies settled
    // are counted once each (a double click or a second key press settles nothing more).
    let at = RwSignal::new(0usize);
    let settled = RwSignal::new(std::collections::BTreeSet::<i64>::new());
    let shown = Resource::new(
        move || {
            (
                project().unwrap_or(0),
                question().unwrap_or(0),
                at.get(),
                settled.with(|s| s.len()),
            )
        },
        |(project, question, at, _)| async move {
            let list = queue_review(project, question).await?;
            let left = list.disagreements.len();
            let view = match list.disagreements.get(at).map(|d| d.report_id) {
                Some(report) => Some(dispute(project, question, report).await?),
                None => None,
            };
            Ok(Shown { view, left })
        },
    );
    let content = move || {
        Suspend::new(async move {
            match review.await {
                Ok(data) => {
                    view! {
                        <Title text=format!("{} — adjudication", data.question) />
                        <p class="breadcrumbs"><a href=format!("/projects/{}/questions/{}/review", project().unwrap_or(0), question().unwrap_or(0))>
                            "← Queue and agreement"</a></p>
                        <h1>{format!("{}: disagreements", data.question)}</h1>
                        <Disputes project=project().unwrap_or(0) question=question().unwrap_or(0) labels=data.labels at settled shown />
                    }
                    .into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! { <Suspense fallback=|| view! { <p class="muted">"Loading the disagreements…"</p> }>{content}</Suspense> }
}

/// The disagreement on screen (none when the list is done) and how many are left to settle.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Shown {
    view: Option<crate::api::review::DisputeView>,
    left: usize,
}

type ShownResource = Resource<Result<Shown, crate::error::AppError>>;

#[component]
fn Disputes(
    project: i64,
    question: i64,
    labels: Vec<String>,
    at: RwSignal<usize>,
    settled: RwSignal<std::collections::BTreeSet<i64>>,
    shown: ShownResource,
) -> impl IntoView {
    let error = RwSignal::new(None);
    let deciding = RwSignal::new(false);
    let latest = move || shown.get_untracked().and_then(Result::ok);
    let labels = StoredValue::new(labels);
    let decide = move |index: usize| {
        let report = latest()
            .and_then(|shown| shown.view)
            .map(|view| view.report_id);
        let (Some(report), Some(label)) = (report, labels.with_value(|l| l.get(index).cloned()))
        else {
            return;
        };
        // One decision at a time: a double click sends one.
        if deciding.get_untracked() {
            return;
        }
        deciding.set(true);
        leptos::task::spawn_local(async move {
            match adjudicate(project, question, report, label).await {
                Ok(_) => {
                    error.set(None);
                    settled.update(|settled| {
                        settled.insert(report);
                    });
                }
                Err(failure) => error.set(Some(failure)),
            }
            deciding.set(false);
        });
    };
    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        if crate::components::keyboard::typing_in_a_field(&event)
            || event.ctrl_key()
            || event.meta_key()
        {
            return;
        }
        match event.key().as_str() {
            "s" | "S" | "ArrowRight" => {
                let left = latest().map_or(0, |shown| shown.left);
                at.update(|i| *i = (*i + 1).min(left))
            }
            "ArrowLeft" => at.update(|i| *i = i.saturating_sub(1)),
            digit if digit.len() == 1 && ("1"..="9").contains(&digit) => {
                decide(digit.parse::<usize>().unwrap_or(1) - 1)
            }
            _ => return,
        }
        event.prevent_default();
    });
    on_cleanup(move || handle.remove());
    let body = move || {
        Suspend::new(async move {
            match shown.await {
                Ok(Shown { view: Some(view), left }) => {
                    let answers = view.answers.iter().map(|answer| format!("{}: {}", answer.rater, answer.label)).collect::<Vec<_>>().join(" · ");
                    view! {
                        <p class="muted" data-testid="dispute-place">{format!("Disagreement {} of {} · settled this visit: {}", at.get_untracked() + 1, left, settled.with_untracked(|s| s.len()))}</p>
                        <dl class="facts compact">
                            <div><dt>"Report"</dt><dd>{view.accession.clone()}</dd></div>
                            <div><dt>"Soft label"</dt><dd>{view.soft_label.clone().unwrap_or_else(|| "—".into())}</dd></div>
                            <div><dt>"Matched phrase"</dt><dd>{view.rule_phrase.clone().unwrap_or_else(|| "—".into())}</dd></div>
                            <div><dt>"Answers"</dt><dd data-testid="dispute-answers">{answers}</dd></div>
                        </dl>
                        <article class="report-text" aria-label="Report text">
                            {view.fragments.into_iter().map(|fragment| match fragment.mark {
                                Some(class) => view! { <mark class=class>{fragment.text}</mark> }.into_any(),
                                None => fragment.text.into_any(),
                            }).collect_view()}
                        </article>
                        <div class="answers" role="group" aria-label="Decide">
                            {labels.get_value().into_iter().enumerate().map(|(index, label)| view! {
                                <button type="button" class="answer" disabled=move || deciding.get() on:click=move |_| decide(index)><kbd>{index + 1}</kbd> " " {label}</button>
                            }).collect_view()}
                        </div>
                        <p class="muted">"Keys: 1–9 decide · S or → skip · ← back."</p>
                    }
                    .into_any()
                }
                Ok(Shown { view: None, .. }) => view! { <p class="empty" data-testid="no-disputes">"No disagreement left to settle."</p> }.into_any(),
                Err(failure) => view! { <ErrorBox error=failure /> }.into_any(),
            }
        })
    };
    view! {
        {move || error.get().map(|error| view! { <ErrorBox error /> })}
        <Suspense fallback=|| view! { <p class="muted">"Opening the report…"</p> }>{body}</Suspense>
    }
    .into_any()
}
