//! `/projects/:id/label/:question`: the confirmation queue, one study at a time, keyboard first.
//! The soft label is pre-selected; 1–9 choose a label, Enter confirms, Backspace or U takes back the
//! last answer, S skips. Each answer is saved before the next study appears. An answer names the
//! claim the study was served under; one the server refuses (the study was answered in another tab,
//! or its claim expired) says so, and the page moves to the study the user holds now.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::queue::{answer_study, queue_study, skip_study, undo_answer, StudyView};
use crate::components::error_box::ErrorBox;
use crate::error::AppError;
use crate::pages::project::thousands;

#[derive(Clone, Copy)]
struct Queue {
    project: i64,
    question: i64,
    view: RwSignal<Option<StudyView>>,
    selected: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<AppError>>,
}

impl Queue {
    fn show(self, view: StudyView) {
        self.selected.set(view.study.as_ref().and_then(|s| {
            // The answer just taken back is the user's own; otherwise nothing is chosen in
            // advance from a report's earlier text.
            s.taken_back.clone().or_else(|| {
                match s.report_changed || s.answered_before_change.is_some() {
                    true => None,
                    false => s.soft_label.clone(),
                }
            })
        }));
        self.view.set(Some(view));
    }

    /// Sends a request unless one is under way, and shows the study it returns.
    fn send<F>(self, request: F)
    where
        F: std::future::Future<Output = Result<StudyView, AppError>> + 'static,
    {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(view) => {
                    self.error.set(None);
                    self.show(view);
                }
                Err(error) => self.error.set(Some(error)),
            }
            self.busy.set(false);
        });
    }

    /// The study shown and the claim it is held under.
    fn held(self) -> Option<(i64, i64)> {
        self.view
            .get_untracked()
            .and_then(|v| v.study.map(|s| (s.report_id, s.claim)))
    }

    fn confirm(self) {
        let (Some((report, claim)), Some(label)) = (self.held(), self.selected.get_untracked())
        else {
            return;
        };
        self.send(answer_study(
            self.project,
            self.question,
            report,
            claim,
            label,
        ));
    }

    fn undo(self) {
        self.send(undo_answer(self.project, self.question));
    }

    fn skip(self) {
        if let Some((report, claim)) = self.held() {
            self.send(skip_study(self.project, self.question, report, claim));
        }
    }

    fn choose(self, index: usize) {
        let labels = self
            .view
            .get_untracked()
            .map(|v| v.labels)
            .unwrap_or_default();
        if let Some(label) = labels.get(index) {
            self.selected.set(Some(label.clone()));
        }
    }
}

#[component]
pub fn LabelPage() -> impl IntoView {
    let project = crate::pages::route_number("id");
    let question = crate::pages::route_number("question");
    let first = Resource::new(
        move || (project().unwrap_or(0), question().unwrap_or(0)),
        |(project, question)| queue_study(project, question),
    );
    let content = move || {
        Suspend::new(async move {
            match first.await {
                Ok(view) => {
                    let queue = Queue {
                        project: project().unwrap_or(0),
                        question: question().unwrap_or(0),
                        view: RwSignal::new(None),
                        selected: RwSignal::new(None),
                        busy: RwSignal::new(false),
                        error: RwSignal::new(None),
                    };
                    queue.show(view);
                    view! { <QueueView queue /> }.into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! { <Suspense fallback=|| view! { <p class="muted">"Loading your next study…"</p> }>{content}</Suspense> }
}

#[component]
fn QueueView(queue: Queue) -> impl IntoView {
    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        if crate::components::keyboard::typing_in_a_field(&event)
            || event.ctrl_key()
            || event.meta_key()
            || event.alt_key()
        {
            return;
        }
        let key = event.key();
        match key.as_str() {
            "Enter" => queue.confirm(),
            "Backspace" | "u" | "U" => queue.undo(),
            "s" | "S" => queue.skip(),
            digit if digit.len() == 1 && ("1"..="9").contains(&digit) => {
                queue.choose(digit.parse::<usize>().unwrap_or(1) - 1)
            }
            _ => return,
        }
        event.prevent_default();
    });
    on_cleanup(move || handle.remove());
    move || {
        let Some(view) = queue.view.get() else {
            return ().into_any();
        };
        let progress = &view.progress;
        let pace = progress
            .seconds_per_study
            .map(|s| format!(" · {s:.0} s per study today"))
            .unwrap_or_default();
        let still_needed = match progress.left {
            1 => "1 answer".to_string(),
            n => format!("{} answers", thousands(n)),
        };
        let head = view! {
            <Title text=format!("{} — queue", view.question) />
            <p class="breadcrumbs"><a href=format!("/projects/{}", queue.project)>{view.project_name.clone()}</a> " /"</p>
            <div class="viewer-head">
                <h1>{view.question.clone()}</h1>
                <p class="muted" data-testid="queue-progress" title="Your answers count once each; the queue needs one answer per study, or several different raters' for a study in the overlap.">
                    {format!("Done today {} · {} in all · the queue still needs {still_needed} from any rater{pace}",
                        thousands(progress.done_today), thousands(progress.done))}
                </p>
            </div>
        };
        let error = queue.error.get().map(|error| view! { <ErrorBox error /> });
        // A refusal replaces the study the user was looking at: show it where they look.
        let refused_ref = NodeRef::<leptos::html::Div>::new();
        Effect::new(move |_| {
            if let Some(alert) = refused_ref.get() {
                alert.scroll_into_view();
            }
        });
        let refused = view.refused.clone().map(|why| {
            view! { <div class="alert" role="alert" data-testid="queue-refused" node_ref=refused_ref><p>{why}</p></div> }
        });
        let taken_back = view.study.as_ref().and_then(|study| {
            study.taken_back.clone().map(|label| view! {
                <p class="notice" role="status" data-testid="taken-back">
                    {format!("Took back your answer “{label}” to {}: it is selected below; change it or confirm it again.", study.accession)}</p>
            })
        });
        let changed = view.study.as_ref().and_then(|study| {
            let accession = &study.accession;
            let why = match (&study.answered_before_change, study.report_changed) {
                (Some(label), _) => format!("The text of report {accession} changed after you answered “{label}”. Read it again and choose your answer: nothing is selected for you."),
                (None, true) => format!("The text of report {accession} changed after this queue was built: no label is suggested. Read it and choose."),
                (None, false) => return None,
            };
            Some(view! { <p class="notice" data-testid="report-changed">{why}</p> })
        });
        let body = match view.study.clone() {
            None => {
                let why = match progress.left {
                    _ if !progress.built => "No queue has been built for this question yet: a fellow builds it from the question's dashboard.".to_string(),
                    0 => "This queue is finished: every study has all the answers it needs. Thank you!".to_string(),
                    _ => {
                        let busy = match progress.held_by_others {
                            0 => String::new(),
                            held => format!(" Other raters are labeling {} right now.", thousands(held)),
                        };
                        format!(
                            "Nothing left for you in this queue. It still needs {still_needed} from other raters: \
                             a study in the overlap is answered by {} different raters, and the studies still \
                             waiting are ones you have answered or skipped.{busy}",
                            progress.overlap_raters,
                        )
                    }
                };
                view! {
                    <p class="empty" data-testid="queue-empty">{why} " "
                        <a href=format!("/projects/{}", queue.project)>"Back to the project"</a></p>
                    <p><button type="button" class="button-quiet" on:click=move |_| queue.undo()>"Take back my last answer (U)"</button></p>
                }
                .into_any()
            }
            Some(study) => {
                let buttons = view
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(index, label)| {
                        let mine = label.clone();
                        let pressed = Memo::new(move |_| queue.selected.get().as_deref() == Some(mine.as_str()));
                        let soft = study.soft_label.as_deref() == Some(label.as_str());
                        view! {
                            <button type="button" class="answer" class:chosen=pressed aria-pressed=move || pressed.get().to_string()
                                on:click=move |_| queue.choose(index)>
                                <kbd>{index + 1}</kbd> " " {label.clone()}
                                {soft.then_some(view! { <span class="muted">" (suggested)"</span> })}
                            </button>
                        }
                    })
                    .collect_view();
                // The answer panel stays in view beside the report (under it on narrow screens),
                // so the answer keys never fall below the fold.
                view! {
                    <div class="labeling">
                        <div>
                            <dl class="facts compact">
                                <div><dt>"Report"</dt><dd data-testid="queue-accession">{study.accession.clone()}</dd></div>
                                <div><dt>"Study date"</dt><dd>{study.study_date.clone()}</dd></div>
                                <div><dt>"Exam"</dt><dd>{study.exam_code.clone()}</dd></div>
                                <div><dt>"Matched phrase"</dt><dd>{match (&study.rule_phrase, study.report_changed) {
                                    (Some(phrase), _) => phrase.clone(),
                                    (None, true) => "not shown: the report changed after the queue was built".into(),
                                    (None, false) => "—".into(),
                                }}</dd></div>
                            </dl>
                            <article class="report-text" aria-label="Report text">
                                {study.fragments.into_iter().map(|fragment| match fragment.mark {
                                    Some(class) => view! { <mark class=class>{fragment.text}</mark> }.into_any(),
                                    None => fragment.text.into_any(),
                                }).collect_view()}
                            </article>
                        </div>
                        <aside class="labeling-panel" aria-label="Your answer" data-testid="answer-panel">
                            <div class="answers" role="group" aria-label="Label">{buttons}</div>
                            <p class="actions">
                                <button type="button" class="button-primary button-inline" disabled=move || queue.busy.get()
                                    on:click=move |_| queue.confirm()>"Confirm (Enter)"</button>
                                " "
                                <button type="button" class="button-quiet" on:click=move |_| queue.skip()>"Skip (S)"</button>
                                " "
                                <button type="button" class="button-quiet" on:click=move |_| queue.undo()>"Undo last (U)"</button>
                            </p>
                            <p class="muted hint">"Keys: 1–" {view.labels.len()} " choose · Enter confirms · Backspace or U takes back the last answer · S skips · ? lists every key."</p>
                        </aside>
                    </div>
                }
                .into_any()
            }
        };
        view! { {head} {error} {refused} {taken_back} {changed} {body} }.into_any()
    }
}
