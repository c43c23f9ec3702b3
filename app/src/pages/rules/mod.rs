//! `/projects/:id/questions/:question`: the prioritization screen. A question's rules in priority
//! order with what each matches and labels; reorder by dragging (or Alt+↑/↓), edit in place,
//! enable/disable, delete with undo; every change shows the new counts at once. A rule's reports,
//! the versions and their differences, and the rules as files are on the same screen.

use leptos::prelude::*;
use leptos_meta::Title;

mod files;
mod form;
mod reports;
mod table;
mod versions;

use crate::api::rules::versions::{rule_versions, VersionRow};
use crate::api::rules::{
    add_rule, delete_rule, edit_rule, move_rule, rule_board, Board, RuleForm, RuleRow,
};
use crate::components::error_box::ErrorBox;
use crate::components::reading_again::ReadingAgain;
use crate::error::AppError;
use crate::pages::project::thousands;

type VersionsResource = Resource<Result<Vec<VersionRow>, AppError>>;

/// What the screen shares between its parts.
#[derive(Clone, Copy)]
struct Screen {
    project: i64,
    question: i64,
    /// The board after the latest change (`None`: as first loaded).
    latest: RwSignal<Option<Board>>,
    error: RwSignal<Option<AppError>>,
    /// The last deleted rule and its place, for undo.
    deleted: RwSignal<Option<(RuleForm, usize)>>,
    /// The rule whose reports are listed.
    selected: RwSignal<Option<u32>>,
    /// Changes since load, so the versions list refreshes.
    changes: RwSignal<u32>,
    /// The rule whose row takes the focus when the table is drawn again (moved by keyboard).
    focused: RwSignal<Option<u32>>,
}

impl Screen {
    /// Sends a change and shows the board it returns (or the error).
    fn apply<F>(self, change: F)
    where
        F: std::future::Future<Output = Result<Board, AppError>> + 'static,
    {
        self.apply_then(change, || ());
    }

    /// As [`Screen::apply`], calling `done` once the change is saved (not when it is refused, so a
    /// refused form keeps what was typed).
    fn apply_then<F>(self, change: F, done: impl FnOnce() + 'static)
    where
        F: std::future::Future<Output = Result<Board, AppError>> + 'static,
    {
        self.apply_or(change, done, || ());
    }

    /// As [`Screen::apply_then`], calling `refused` when the change is refused (a control that
    /// showed the change at once goes back to what is saved).
    fn apply_or<F>(self, change: F, done: impl FnOnce() + 'static, refused: impl FnOnce() + 'static)
    where
        F: std::future::Future<Output = Result<Board, AppError>> + 'static,
    {
        leptos::task::spawn_local(async move {
            match change.await {
                Ok(board) => {
                    self.latest.set(Some(board));
                    self.error.set(None);
                    self.changes.update(|n| *n += 1);
                    done();
                }
                Err(error) => {
                    refused();
                    self.error.set(Some(error));
                    // A refusal says "the list below is current": show what is saved now,
                    // whatever this tab last showed (another tab may have changed the rules).
                    if let Ok(board) = rule_board(self.project, self.question).await {
                        self.latest.set(Some(board));
                    }
                }
            }
        });
    }

    fn move_to(self, id: u32, to: usize) {
        self.apply(move_rule(self.project, self.question, id, to));
    }

    fn delete(self, row: &RuleRow, at: usize) {
        // The undo notice once the delete is saved (not beside a refusal).
        let form = row.form.clone();
        let deleted = self.deleted;
        let change = delete_rule(self.project, self.question, row.id);
        self.apply_then(change, move || deleted.set(Some((form, at))));
    }

    fn undo(self) {
        if let Some((form, at)) = self.deleted.get_untracked() {
            self.deleted.set(None);
            self.apply(add_rule(self.project, self.question, form, Some(at)));
        }
    }

    /// Enables or disables a rule; `refused` puts the checkbox back when the server refuses.
    fn set_enabled(self, row: &RuleRow, enabled: bool, refused: impl FnOnce() + 'static) {
        let mut form = row.form.clone();
        form.enabled = enabled;
        let was = row.form.clone();
        let change = edit_rule(self.project, self.question, row.id, form, was);
        self.apply_or(change, || (), refused);
    }

    /// Moves a rule by keyboard: the focus follows it to its new row.
    fn move_by_key(self, id: u32, to: usize) {
        self.focused.set(Some(id));
        self.move_to(id, to);
    }
}

#[component]
pub fn RulesPage() -> impl IntoView {
    let project_param = crate::pages::route_number("id");
    let question_param = crate::pages::route_number("question");
    let loaded = Resource::new(
        move || (project_param().unwrap_or(0), question_param().unwrap_or(0)),
        |(project, question)| rule_board(project, question),
    );
    // Created here, not inside the board's Suspense: a resource created while another resolves can
    // keep an asynchronous server render waiting.
    let changes = RwSignal::new(0u32);
    let versions = Resource::new(
        move || {
            (
                project_param().unwrap_or(0),
                question_param().unwrap_or(0),
                changes.get(),
            )
        },
        |(project, question, _)| rule_versions(project, question),
    );
    let content = move || {
        Suspend::new(async move {
            match loaded.await {
                Ok(first) => {
                    let screen = Screen {
                        project: project_param().unwrap_or(0),
                        question: question_param().unwrap_or(0),
                        latest: RwSignal::new(None),
                        error: RwSignal::new(None),
                        deleted: RwSignal::new(None),
                        selected: RwSignal::new(None),
                        changes,
                        focused: RwSignal::new(None),
                    };
                    view! { <BoardView first screen versions /> }.into_any()
                }
                Err(error) => view! { <ErrorBox error /> }.into_any(),
            }
        })
    };
    view! { <Suspense fallback=|| view! { <p class="muted">"Computing the soft labels…"</p> }>{content}</Suspense> }
}

#[component]
fn BoardView(first: Board, screen: Screen, versions: VersionsResource) -> impl IntoView {
    let board = Memo::new(move |_| screen.latest.get().unwrap_or_else(|| first.clone()));
    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        let undo = (event.ctrl_key() || event.meta_key()) && event.key() == "z";
        if undo && !crate::components::keyboard::typing_in_a_field(&event) {
            event.prevent_default();
            screen.undo();
        }
    });
    on_cleanup(move || handle.remove());
    let refused = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let (Some(_), Some(alert)) = (screen.error.get(), refused.get()) {
            alert.scroll_into_view();
        }
    });
    let head = move || {
        let b = board.get();
        view! {
            <Title text=format!("{} — rules", b.question.name) />
            <p class="breadcrumbs">
                <a href=format!("/projects/{}", screen.project)>{b.project_name.clone()}</a>
                " / " <a href=format!("/projects/{}/questions", screen.project)>"Questions"</a> " /"
            </p>
            <h1>{b.question.name.clone()}</h1>
            <p><a class="button-quiet" href=format!("/projects/{}/questions/{}/review", screen.project, screen.question)>"Queue and agreement"</a></p>
            <p class="muted" data-testid="board-meta">
                {format!("Labels: {} · version {} · {} rules · computed in {:.0} ms",
                    b.question.labels.join(", "), b.version, b.rules.len(), b.elapsed_ms)}
            </p>
        }
    };
    view! {
        {head}
        <ReadingAgain project=screen.project shown=Signal::derive(move || Some(board.get().statuses)) />
        <Coverage board />
        <form::AddRule board screen />
        // Beside the table, where the change was made, and scrolled into view.
        <div node_ref=refused>{move || screen.error.get().map(|error| view! { <ErrorBox error /> })}</div>
        // The undo notice stays in view (fixed at the bottom of the window) until undone or replaced.
        {move || screen.deleted.get().map(|(form, _)| view! {
            <p class="notice undo" role="status">
                {format!("Deleted “{}” → {}. ", form.phrase, form.label)}
                <button type="button" class="button-quiet" on:click=move |_| screen.undo()>"Undo (Ctrl+Z)"</button>
            </p>
        })}
        <table::RuleTable board screen />
        {move || screen.selected.get().map(|id| view! { <reports::RuleReports id screen /> })}
        <files::Files screen />
        <versions::Versions screen versions />
    }
    .into_any()
}

/// The coverage bar and the label distribution. The bar's three parts are disjoint and add up to
/// the question's studies.
#[component]
fn Coverage(board: Memo<Board>) -> impl IntoView {
    move || {
        let b = board.get();
        let studies = b.labeled + b.unlabeled;
        let total = studies.max(1) as f64;
        let share = |n: u64| n as f64 * 100.0 / total;
        let clean = b.labeled - b.conflicted;
        view! {
            <section aria-label="Coverage" class="coverage">
                // Drawn with SVG attributes: the Content-Security-Policy refuses inline styles.
                <svg class="coverage-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=format!(
                    "{clean} labeled without conflict, {} labeled with a conflict, {} unlabeled, of {studies} studies", b.conflicted, b.unlabeled)>
                    <rect class="labeled" x="0" height="10" width=format!("{:.2}", share(clean)) />
                    <rect class="conflicted" x=format!("{:.2}", share(clean)) height="10" width=format!("{:.2}", share(b.conflicted)) />
                    <rect class="unlabeled" x=format!("{:.2}", share(clean) + share(b.conflicted)) height="10" width=format!("{:.2}", share(b.unlabeled)) />
                </svg>
                <p class="coverage-legend">
                    <span><i class="swatch labeled"></i>"Labeled " <strong data-testid="labeled">{thousands(clean as i64)}</strong></span>
                    <span><i class="swatch conflicted"></i>"Labeled, with a conflict " <strong data-testid="conflicted">{thousands(b.conflicted as i64)}</strong></span>
                    <span><i class="swatch unlabeled"></i>"Unlabeled " <strong data-testid="unlabeled">{thousands(b.unlabeled as i64)}</strong></span>
                    <span class="muted">"of " <strong data-testid="studies">{thousands(studies as i64)}</strong> " studies"</span>
                </p>
                <p class="muted" data-testid="conflict-meaning">
                    "A conflict: two enabled rules would give a study different labels; the higher rule's label stands, and both rules' Conflicts columns count it. A phrase inside a longer one above it (pleural effusion under no pleural effusion) is not a conflict."
                </p>
                <dl class="distribution" data-testid="distribution">
                    {b.distribution.into_iter().map(|(label, count)| view! {
                        <div><dt>{label.clone()}</dt><dd data-label=label>{thousands(count as i64)}</dd></div>
                    }).collect_view()}
                </dl>
            </section>
        }
    }
}
